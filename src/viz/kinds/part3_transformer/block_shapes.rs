//! One transformer block run forward on typed words, with the shape of every stage.

use crate::labs::fmt_num;
use crate::labs::part2_math::attention::{random_multi_head, toy_embeddings};
use crate::labs::part3_transformer::heads::words;
use crate::labs::part3_transformer::transformer::{block_forward, rms, sinusoidal};
use crate::labs::rng::Rng;
use crate::viz::kinds::part3_transformer::attention_map::{column_keys, row_names};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};
use ndarray::Array2;

/// The `block-shapes` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "block-shapes",
    title: "One transformer block, shape by shape",
    about: "runs one transformer block forward on the typed words and shows the shape (and the size of the numbers) at every stage: LayerNorm, each head's weights, concat, W_O, residual, feed-forward, residual",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: 7, default: "the cat sat on the mat" }, doc: "the words run through the block" }, ParamDef { name: "d_model", ty: ParamType::Choice { options: &["8", "16", "32", "64"], default: "16" }, doc: "model width" }, ParamDef { name: "heads", ty: ParamType::Choice { options: &["1", "2", "4"], default: "2" }, doc: "attention heads" }, ParamDef { name: "pre_ln", ty: ParamType::Bool { default: true }, doc: "LayerNorm before each sublayer (GPT-2) rather than after" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(BlockShapes::new(p)?))
}

pub struct BlockShapes {
    text: String,
    d_model: usize,
    heads: usize,
    pre_ln: bool,
}

impl BlockShapes {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let text = p.text("text")?;
        let d = p.index("d_model")?;
        let h = p.index("heads")?;
        let pre_ln = p.boolean("pre_ln")?;
        p.finish()?;
        Ok(Self {
            text,
            d_model: 8 << d,
            heads: 1 << h,
            pre_ln,
        })
    }
}

impl Controls for BlockShapes {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.text("text", &self.text, |b, text| {
            if !words(text, 7).is_empty() {
                b.text = words(text, 7).join(" ");
            }
        });
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect();
        let d_model = self.d_model.trailing_zeros() as usize - 3;
        k.choice(
            "d_model",
            names(&["8", "16", "32", "64"]),
            d_model,
            |b, i| {
                b.d_model = 8 << i;
            },
        );
        let heads = self.heads.trailing_zeros() as usize;
        k.choice("heads", names(&["1", "2", "4"]), heads, |b, i| {
            b.heads = 1 << i
        });
        k.toggle("pre-LN", self.pre_ln, |b, on| b.pre_ln = on);
    }
}

impl Visual for BlockShapes {
    fn parts(&self) -> Vec<Part> {
        let tokens = words(&self.text, 7);
        let (n, d, h) = (tokens.len(), self.d_model, self.heads);
        let mut rng = Rng::new(5);
        let x = toy_embeddings(&tokens, d) + sinusoidal(n, d);
        let attn = random_multi_head(d, h, d / h, &mut rng);
        let w1 = Array2::from_shape_fn((d, 4 * d), |_| rng.normal() / (d as f64).sqrt());
        let w2 = Array2::from_shape_fn((4 * d, d), |_| rng.normal() / (4.0 * d as f64).sqrt());
        let stages = block_forward(&x, &attn, &w1, &w2, self.pre_ln);
        // Per-head weights are alike in shape: show the first and say how many.
        let rows: Vec<Vec<String>> = stages
            .iter()
            .filter(|s| !s.name.starts_with("head ") || s.name == "head 1 weights")
            .map(|s| {
                let name = if s.name == "head 1 weights" && h > 1 {
                    format!("{h} heads' weights (each)")
                } else {
                    s.name.clone()
                };
                vec![
                    name,
                    format!("{}×{}", s.value.nrows(), s.value.ncols()),
                    fmt_num(rms(&s.value)),
                ]
            })
            .collect();
        let _ = (column_keys(n), row_names(&tokens));
        vec![Part::Table(TableView {
            title: format!(
                "n = {n} tokens, d = {d}, {h} head{} of d_k = {}; random weights",
                if h == 1 { "" } else { "s" },
                d / h
            ),
            headers: vec!["stage".into(), "shape".into(), "rms".into()],
            rows,
            highlight: None,
        })]
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
    fn block_table_lists_every_stage() {
        let lab = BlockShapes::new(Params::new(&params(json!({"text": "a b c"})), &KIND)).unwrap();
        let Part::Table(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t.rows.iter().any(|r| r[1] == "3×64"), "{:?}", t.rows);
        assert_eq!(t.rows.last().map(|r| r[1].as_str()), Some("3×16"));
    }
}
