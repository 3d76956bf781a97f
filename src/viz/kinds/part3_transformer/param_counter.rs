//! The parameter counter: a model's parameters part by part against the 12·L·d² rule.

use crate::labs::part3_transformer::transformer::ModelShape;
use crate::labs::{fmt_count, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const PRESETS: &[&str] = &["gpt2-small", "gpt2-xl", "llama2-7b", "custom"];
const WIDTHS: &[usize] = &[
    64, 128, 256, 512, 768, 1024, 1280, 1600, 2048, 4096, 8192, 12_288, 16_384,
];
const VOCABS: &[usize] = &[1000, 32_000, 50_257, 128_256, 256_000];

/// Layers of a custom model, a control and a parameter.
const LAYERS: Scale = Scale::linear(1.0, 128.0, 1.0, 0);

/// The `param-counter` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "param-counter",
    title: "Where the parameters are",
    about: "counts parameters part by part (embeddings, positions, attention, feed-forward, norms) for a preset or free settings, against the 12·L·d² rule",
    params: &[ParamDef { name: "preset", ty: ParamType::Choice { options: PRESETS, default: "gpt2-small" }, doc: "a real model, or custom for the three settings below" }, LAYERS.int("layers", 12, "layers of the custom model"), ParamDef { name: "d_model", ty: ParamType::IntAmong { allowed: WIDTHS, default: 768 }, doc: "width of the custom model" }, ParamDef { name: "vocab", ty: ParamType::Int { min: 1000, max: 256_000, default: 50_257 }, doc: "vocabulary of the custom model" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(ParamCounter::new(p)?))
}

pub struct ParamCounter {
    preset: usize,
    custom: ModelShape,
}

impl ParamCounter {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let preset = p.index("preset")?;
        let layers = p.int("layers")? as usize;
        let d_model = WIDTHS[p.index("d_model")?];
        let vocab = p.int("vocab")? as usize;
        p.finish()?;
        let custom = ModelShape {
            layers,
            d_model,
            vocab,
            positions: 1024,
            d_ff: 4 * d_model,
            gpt2_style: true,
        };
        Ok(Self { preset, custom })
    }

    pub fn shape(&self) -> ModelShape {
        match self.preset {
            0 => ModelShape::GPT2_SMALL,
            1 => ModelShape::GPT2_XL,
            2 => ModelShape::LLAMA2_7B,
            _ => self.custom,
        }
    }

    /// Changing a size starts a custom model from the preset on screen.
    fn customise(&mut self) {
        if self.preset != 3 {
            let s = self.shape();
            self.custom = ModelShape {
                positions: 1024,
                d_ff: 4 * s.d_model,
                gpt2_style: true,
                ..s
            };
            self.preset = 3;
        }
    }
}

fn nearest(list: &[usize], x: usize) -> usize {
    list.iter()
        .enumerate()
        .min_by_key(|(_, v)| v.abs_diff(x))
        .map_or(0, |(i, _)| i)
}

impl Controls for ParamCounter {
    fn declare(&self, k: &mut Knobs<Self>) {
        let s = self.shape();
        let presets = PRESETS.iter().map(|p| (*p).to_string()).collect();
        k.choice("model", presets, self.preset, |p, i| p.preset = i);
        // Changing a dimension of a named model makes it a custom one.
        k.count("layers L", s.layers, LAYERS, |p, l| {
            p.customise();
            p.custom.layers = l;
        });
        let widths = WIDTHS.iter().map(ToString::to_string).collect();
        k.choice("width d", widths, nearest(WIDTHS, s.d_model), |p, i| {
            p.customise();
            p.custom.d_model = WIDTHS[i];
            p.custom.d_ff = 4 * WIDTHS[i];
        });
        let vocabs = VOCABS.iter().map(ToString::to_string).collect();
        k.choice("vocabulary V", vocabs, nearest(VOCABS, s.vocab), |p, i| {
            p.customise();
            p.custom.vocab = VOCABS[i];
        });
    }
}

impl Visual for ParamCounter {
    fn parts(&self) -> Vec<Part> {
        let s = self.shape();
        let c = s.count();
        let (l, d, v, ff) = (s.layers, s.d_model, s.vocab, s.d_ff);
        let ffn_formula = if s.gpt2_style {
            format!("L·2·d·{ff}")
        } else {
            format!("L·3·d·{ff} (SwiGLU)")
        };
        let mut rows = vec![
            vec![
                "token embeddings".into(),
                format!("V·d = {v}·{d}"),
                fmt_count(c.token_embeddings as f64),
            ],
            vec![
                "positions".into(),
                if s.positions > 0 {
                    format!("{}·d (learned)", s.positions)
                } else {
                    "0 (rotary, RoPE)".into()
                },
                fmt_count(c.positions as f64),
            ],
            vec![
                "attention".into(),
                format!("L·4·d² (L = {l})"),
                fmt_count(c.attention as f64),
            ],
            vec![
                "feed-forward".into(),
                ffn_formula,
                fmt_count(c.feed_forward as f64),
            ],
            vec![
                "norms, biases".into(),
                if s.gpt2_style {
                    "LayerNorm + biases".into()
                } else {
                    "RMSNorm weights".into()
                },
                fmt_count(c.norms_and_biases as f64),
            ],
            vec![
                "unembedding".into(),
                if s.gpt2_style {
                    "tied to embeddings".into()
                } else {
                    "V·d, separate".into()
                },
                fmt_count(c.unembedding as f64),
            ],
        ];
        rows.push(vec![
            "total".into(),
            String::new(),
            fmt_count(c.total as f64),
        ]);
        let rule = s.rule_of_thumb() as f64;
        let blocks = (c.attention + c.feed_forward) as f64;
        vec![
            Part::Table(TableView {
                title: String::new(),
                headers: vec!["part".into(), "formula".into(), "parameters".into()],
                rows,
                highlight: Some(6),
            }),
            Part::Text(vec![format!(
                "12·L·d² = {} vs the blocks' {} ({}); embeddings are {}% of the total",
                fmt_num(rule),
                fmt_num(blocks),
                if s.gpt2_style {
                    "exact for a 4× FFN"
                } else {
                    "SwiGLU is a little wider"
                },
                fmt_num(
                    (100.0 * (c.token_embeddings + c.unembedding + c.positions) as f64
                        / c.total as f64)
                        .round()
                )
            )]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn params(v: serde_json::Value) -> Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap_or_default()
    }
    #[test]
    fn param_counter_shows_gpt2_small_total() {
        let lab = ParamCounter::new(Params::new(&params(json!({})), &KIND)).unwrap();
        let Part::Table(t) = &lab.parts()[0] else {
            panic!()
        };
        assert_eq!(t.rows[6][2], "124,439,808");
    }
}
