//! The visualizer kinds a lesson can name, and the table that builds them.
mod attention;
mod attention_extra;
pub mod attention_map;
mod chinchilla;
mod cost_projector;
mod dedup;
mod diminishing;
mod flops;
mod long_context;
mod matmul;
mod parallelism;
mod rnn;
mod shapes;
mod softmax;
mod text_labs;
pub mod transformer;

use super::params::Params;
use super::Lab;
use serde_json::{Map, Value};

/// Every kind, for messages and for `lessons/README.md`.
pub const KINDS: &[&str] = &[
    "matmul",
    "shapes",
    "flops",
    "softmax",
    "attention",
    "rnn-gradient",
    "rnn-vs-attention",
    "attention-map",
    "cross-attention",
    "dk-variance",
    "padding-mask",
    "positional",
    "param-counter",
    "block-shapes",
    "kv-cache",
    "attention-timing",
    "streaming",
    "token-split",
    "bpe-replay",
    "fertility",
    "glitch",
    "embedding-map",
    "analogy",
    "retrieval",
    "metrics",
    "concentration",
    "dedup",
    "parallelism",
    "chinchilla",
    "diminishing",
    "cost-projector",
];

/// Builds a kind from its parameters; unknown kinds and bad parameters are errors.
pub fn build(kind: &str, params: &Map<String, Value>) -> Result<Box<dyn Lab>, String> {
    let lab: Box<dyn Lab> = match kind {
        "matmul" => Box::new(matmul::MatMul::new(Params::new(params, "matmul"))?),
        "shapes" => Box::new(shapes::Shapes::new(Params::new(params, "shapes"))?),
        "flops" => Box::new(flops::Flops::new(Params::new(params, "flops"))?),
        "softmax" => Box::new(softmax::Softmax::new(Params::new(params, "softmax"))?),
        "attention" => Box::new(attention::Attention::new(Params::new(params, "attention"))?),
        "rnn-gradient" => Box::new(rnn::Gradient::new(Params::new(params, "rnn-gradient"))?),
        "rnn-vs-attention" => Box::new(rnn::VsAttention::new(Params::new(
            params,
            "rnn-vs-attention",
        ))?),
        "attention-map" => Box::new(attention_map::AttentionMap::new(Params::new(
            params,
            "attention-map",
        ))?),
        "cross-attention" => Box::new(attention_extra::CrossAttention::new(Params::new(
            params,
            "cross-attention",
        ))?),
        "dk-variance" => Box::new(attention_extra::DkVariance::new(Params::new(
            params,
            "dk-variance",
        ))?),
        "padding-mask" => Box::new(attention_extra::PaddingMask::new(Params::new(
            params,
            "padding-mask",
        ))?),
        "positional" => Box::new(transformer::Positional::new(Params::new(
            params,
            "positional",
        ))?),
        "param-counter" => Box::new(transformer::ParamCounter::new(Params::new(
            params,
            "param-counter",
        ))?),
        "block-shapes" => Box::new(transformer::BlockShapes::new(Params::new(
            params,
            "block-shapes",
        ))?),
        "kv-cache" => Box::new(transformer::KvCache::new(Params::new(params, "kv-cache"))?),
        "attention-timing" => Box::new(long_context::AttentionTiming::new(Params::new(
            params,
            "attention-timing",
        ))?),
        "streaming" => Box::new(long_context::Streaming::new(Params::new(
            params,
            "streaming",
        ))?),
        "token-split" => Box::new(text_labs::TokenSplit::new(Params::new(
            params,
            "token-split",
        ))?),
        "bpe-replay" => Box::new(text_labs::BpeReplay::new(Params::new(
            params,
            "bpe-replay",
        ))?),
        "fertility" => Box::new(text_labs::Fertility::new(Params::new(params, "fertility"))?),
        "glitch" => Box::new(text_labs::Glitch::new(Params::new(params, "glitch"))?),
        "embedding-map" => Box::new(text_labs::EmbeddingMap::new(Params::new(
            params,
            "embedding-map",
        ))?),
        "analogy" => Box::new(text_labs::Analogy::new(Params::new(params, "analogy"))?),
        "retrieval" => Box::new(text_labs::Retrieval::new(Params::new(params, "retrieval"))?),
        "metrics" => Box::new(text_labs::Metrics::new(Params::new(params, "metrics"))?),
        "concentration" => Box::new(text_labs::Concentration::new(Params::new(
            params,
            "concentration",
        ))?),
        "dedup" => Box::new(dedup::Dedup::new(Params::new(params, "dedup"))?),
        "parallelism" => Box::new(parallelism::Parallelism::new(Params::new(
            params,
            "parallelism",
        ))?),
        "chinchilla" => Box::new(chinchilla::Chinchilla::new(Params::new(
            params,
            "chinchilla",
        ))?),
        "diminishing" => Box::new(diminishing::Diminishing::new(Params::new(
            params,
            "diminishing",
        ))?),
        "cost-projector" => Box::new(cost_projector::CostProjector::new(Params::new(
            params,
            "cost-projector",
        ))?),
        other => {
            return Err(format!(
                "unknown visualizer kind \"{other}\": use one of {}",
                KINDS.join(", ")
            ))
        }
    };
    Ok(lab)
}

/// The matrix sizes offered by shape and FLOPs controls.
pub const DIMS: &[usize] = &[1, 2, 3, 4, 8, 16, 64, 128, 512, 768, 1024, 3072, 4096];
pub const DIM_NAMES: &[&str] = &[
    "1", "2", "3", "4", "8", "16", "64", "128", "512", "768", "1024", "3072", "4096",
];

pub fn dim_options() -> Vec<String> {
    DIM_NAMES.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::view::Part;

    fn build_default(kind: &str) -> Box<dyn Lab> {
        build(kind, &Map::new()).unwrap_or_else(|e| panic!("{kind}: {e}"))
    }

    #[test]
    fn every_kind_builds_with_defaults_and_survives_every_control() {
        for kind in KINDS {
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
    /// change control i (typed text, the timing's re-run switch and empty sliders excepted).
    #[test]
    fn each_control_moves_itself() {
        for kind in KINDS {
            let n = build_default(kind).controls().len();
            for i in 0..n {
                let mut lab = build_default(kind);
                let before = lab.controls()[i].clone();
                // A slider with nothing to move through yet (no range) cannot move.
                let fixed = matches!(before.kind, crate::viz::view::ControlKind::Slider { min, max, .. } if min == max);
                if fixed
                    || matches!(before.kind, crate::viz::view::ControlKind::Text { .. })
                    || before.label.starts_with("re-run")
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
