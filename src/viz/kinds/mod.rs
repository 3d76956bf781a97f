//! The visualizer kinds a lesson can name, and the table that builds them.
mod part1_text;
mod part2_math;
mod part3_transformer;
mod part4_pretraining;
mod part5_adapting;
use part1_text::{
    analogy, bpe_replay, concentration, embedding_map, fertility, glitch, metrics, retrieval,
    token_split,
};
use part2_math::{attention, flops, matmul, rnn_gradient, rnn_vs_attention, shapes, softmax};
use part3_transformer::{
    attention_map, attention_timing, block_shapes, cross_attention, dk_variance, kv_cache,
    padding_mask, param_counter, positional, streaming,
};
use part4_pretraining::{
    chinchilla, cost_projector, dedup, diminishing, lm_train, loss_position, next_token,
    parallelism, scaling_sweep,
};
use part5_adapting::{
    best_of_n, dpo, forgetting, grpo, kl_optimum, lora, memory_calc, overoptimization, policy_kl,
    quantize, reward_model, sft,
};

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
