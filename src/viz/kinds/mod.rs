//! The visualizer kinds a lesson can name, and the table that builds them.
mod analogy;
mod attention;
mod attention_map;
mod attention_timing;
mod best_of_n;
mod block_shapes;
mod bpe_replay;
mod chinchilla;
mod concentration;
mod cost_projector;
mod cross_attention;
mod dedup;
mod diminishing;
mod dk_variance;
mod dpo;
mod embedding_map;
mod fertility;
mod flops;
mod forgetting;
mod ft_common;
mod glitch;
mod grpo;
mod kl_optimum;
mod kv_cache;
mod lm_common;
mod lm_train;
mod lora;
mod loss_position;
mod matmul;
mod memory_calc;
mod metrics;
mod next_token;
mod overoptimization;
mod padding_mask;
mod parallelism;
mod param_counter;
mod policy_kl;
mod positional;
mod quantize;
mod retrieval;
mod reward_model;
mod rnn_gradient;
mod rnn_vs_attention;
mod scaling_sweep;
mod sft;
mod shapes;
mod softmax;
mod streaming;
mod token_common;
mod token_split;

use super::registry::KindDef;

/// Every kind, once. The builder, `llmf check` and `lessons/README.md` all derive from this
/// list: adding a kind is a new file here and one line below.
pub const ALL: &[&KindDef] = &[
    &matmul::KIND,
    &shapes::KIND,
    &flops::KIND,
    &softmax::KIND,
    &attention::KIND,
    &rnn_gradient::KIND,
    &rnn_vs_attention::KIND,
    &attention_map::KIND,
    &cross_attention::KIND,
    &dk_variance::KIND,
    &padding_mask::KIND,
    &positional::KIND,
    &param_counter::KIND,
    &block_shapes::KIND,
    &kv_cache::KIND,
    &attention_timing::KIND,
    &streaming::KIND,
    &token_split::KIND,
    &bpe_replay::KIND,
    &fertility::KIND,
    &glitch::KIND,
    &embedding_map::KIND,
    &analogy::KIND,
    &retrieval::KIND,
    &metrics::KIND,
    &concentration::KIND,
    &dedup::KIND,
    &parallelism::KIND,
    &chinchilla::KIND,
    &diminishing::KIND,
    &cost_projector::KIND,
    &lm_train::KIND,
    &next_token::KIND,
    &loss_position::KIND,
    &scaling_sweep::KIND,
    &sft::KIND,
    &lora::KIND,
    &quantize::KIND,
    &memory_calc::KIND,
    &forgetting::KIND,
    &reward_model::KIND,
    &kl_optimum::KIND,
    &overoptimization::KIND,
    &policy_kl::KIND,
    &dpo::KIND,
    &grpo::KIND,
    &best_of_n::KIND,
];

/// The matrix sizes offered by shape and FLOPs controls.
pub const DIMS: &[usize] = &[1, 2, 3, 4, 8, 16, 64, 128, 512, 768, 1024, 3072, 4096];
pub const DIM_NAMES: &[&str] = &[
    "1", "2", "3", "4", "8", "16", "64", "128", "512", "768", "1024", "3072", "4096",
];

pub fn dim_options() -> Vec<String> {
    DIM_NAMES.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod idle;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::registry::build;
    use crate::viz::view::Part;
    use serde_json::{Map, Value};

    fn build_default(kind: &str) -> Box<dyn crate::viz::Panel> {
        build(kind, &Map::new())
            .map(|(_, v)| v)
            .unwrap_or_else(|e| panic!("{kind}: {e}"))
    }

    #[test]
    fn every_kind_builds_with_defaults_and_survives_every_control() {
        for kind in ALL.iter().map(|k| k.name) {
            let mut lab = build_default(kind);
            assert!(!lab.parts().is_empty(), "{kind} shows nothing");
            let n = lab.controls().len();
            for i in 0..n {
                for delta in [1, 1, 50, -100, 3] {
                    lab.adjust(i, delta);
                    let parts = lab.parts();
                    assert!(!parts.is_empty());
                }
            }
        }
    }

    /// Catches an `adjust` whose numbering has drifted from `controls`: moving control i must
    /// change control i (typed text, the re-run and reset switches and empty sliders excepted).
    #[test]
    fn each_control_moves_itself() {
        for kind in ALL.iter().map(|k| k.name) {
            let n = build_default(kind).controls().len();
            for i in 0..n {
                let mut lab = build_default(kind);
                let before = lab.controls()[i].clone();
                // A slider with nothing to move through yet (no range) cannot move.
                let fixed = matches!(before.kind, crate::viz::view::ControlKind::Slider { min, max, .. } if min == max);
                if fixed
                    || matches!(before.kind, crate::viz::view::ControlKind::Text { .. })
                    || before.label.starts_with("re-run")
                    || before.label.starts_with("reset")
                {
                    continue;
                }
                lab.adjust(i, 1);
                if lab.controls()[i] == before {
                    lab.adjust(i, -2);
                }
                assert_ne!(
                    lab.controls()[i],
                    before,
                    "{kind}: control {i} ({}) did not move",
                    before.label
                );
            }
        }
    }

    #[test]
    fn unknown_kinds_and_parameters_are_named() {
        let err = build("sofmax", &Map::new()).err().unwrap_or_default();
        assert!(err.contains("unknown visualizer kind \"sofmax\""), "{err}");
        let mut p = Map::new();
        p.insert("temprature".into(), Value::from(1.0));
        let err = build("softmax", &p).err().unwrap_or_default();
        assert!(err.contains("unknown parameter \"temprature\""), "{err}");
        let mut p = Map::new();
        p.insert("d".into(), Value::from(3));
        let err = build("dk-variance", &p).err().unwrap_or_default();
        assert!(err.contains("\"d\" must be one of 1, 2, 4, 8"), "{err}");
        let mut p = Map::new();
        p.insert("m".into(), Value::from(99));
        let err = build("matmul", &p).err().unwrap_or_default();
        assert!(
            err.contains("\"m\" must be a whole number from 1 to 6"),
            "{err}"
        );
    }

    #[test]
    fn text_parts_mention_their_numbers() {
        let lab = build_default("flops");
        let text: String = lab
            .parts()
            .iter()
            .filter_map(|p| match p {
                Part::Text(lines) => Some(lines.join("\n")),
                _ => None,
            })
            .collect();
        assert!(text.contains("2·n·d_in·d_out"), "{text}");
    }
}
