//! Cross-attention: queries from one typed sequence, keys and values from another, as a
//! rectangular map of weights.

use crate::labs::part2_math::attention::{multi_head, random_multi_head, toy_embeddings, Options};
use crate::labs::part3_transformer::heads::words;
use crate::labs::rng::Rng;
use crate::viz::kinds::part3_transformer::attention_map::{column_keys, row_names};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, HeatmapView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};
use ndarray::Array2;

const D_MODEL: usize = 8;
/// The width of queries and keys, a control and a parameter.
const D_K: Scale = Scale::linear(2.0, 16.0, 1.0, 0);

/// The `cross-attention` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "cross-attention",
    title: "Cross-attention between two sentences",
    about: "types two sequences; sees the rectangular target × source weights (queries from the target, keys and values from the source) with a cursor",
    params: &[ParamDef { name: "target", ty: ParamType::Text { max_words: 8, default: "the cat sat" }, doc: "the sequence the queries come from" }, ParamDef { name: "source", ty: ParamType::Text { max_words: 8, default: "le chat s'est assis" }, doc: "the sequence keys and values come from" }, D_K.int("d_k", 8, "width of queries and keys"), SEED.int("seed", 1, "seed of the random projections")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(CrossAttention::new(p)?))
}

pub struct CrossAttention {
    target: String,
    source: String,
    d_k: usize,
    seed: u64,
    cell: (usize, usize),
}

impl CrossAttention {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let target = p.text("target")?;
        let source = p.text("source")?;
        let d_k = p.int("d_k")? as usize;
        let seed = p.int("seed")? as u64;
        p.finish()?;
        Ok(Self {
            target,
            source,
            d_k,
            seed,
            cell: (0, 0),
        })
    }

    /// Weights: target tokens (queries) × source tokens (keys).
    pub fn weights(&self) -> Array2<f64> {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        let w = random_multi_head(D_MODEL, 1, self.d_k, &mut Rng::new(self.seed));
        let r = multi_head(
            &toy_embeddings(&t, D_MODEL),
            &toy_embeddings(&s, D_MODEL),
            &w,
            Options::default(),
            None,
        );
        r.heads
            .into_iter()
            .next()
            .map_or_else(|| Array2::zeros((t.len(), s.len())), |h| h.weights)
    }
}

impl Controls for CrossAttention {
    fn declare(&self, k: &mut Knobs<Self>) {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        k.text("target (Q)", &self.target, |c, text| {
            c.set_words(text, true)
        });
        k.text("source (K, V)", &self.source, |c, text| {
            c.set_words(text, false)
        });
        k.choice("query (row)", row_names(&t), self.cell.0, |c, i| {
            c.cell.0 = i
        });
        k.choice("key (column)", row_names(&s), self.cell.1, |c, i| {
            c.cell.1 = i
        });
        k.count("d_k", self.d_k, D_K, |c, d| c.d_k = d);
        k.seed("seed", self.seed, |c, s| c.seed = s);
    }
}

impl CrossAttention {
    /// The learner's words for the target (or the source); the cell stays inside.
    fn set_words(&mut self, text: &str, target: bool) {
        if words(text, 8).is_empty() {
            return;
        }
        if target {
            self.target = words(text, 8).join(" ");
        } else {
            self.source = words(text, 8).join(" ");
        }
        let (n, m) = (words(&self.target, 8).len(), words(&self.source, 8).len());
        self.cell = (self.cell.0.min(n - 1), self.cell.1.min(m - 1));
    }
}

impl Visual for CrossAttention {
    fn parts(&self) -> Vec<Part> {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        let w = self.weights();
        let (q, k) = self.cell;
        vec![
            Part::Columns(vec![
                Part::Heatmap(HeatmapView {
                    title: format!("{} × {} weights", t.len(), s.len()),
                    row_labels: row_names(&t),
                    col_labels: column_keys(s.len()),
                    values: w.clone(),
                    range: Some((0.0, w.iter().copied().fold(0.0, f64::max).max(1e-9))),
                    cursor: Some((q, k)),
                }),
                Part::Bars(BarsView {
                    title: format!("\"{}\" reads the source:", t[q]),
                    labels: s.clone(),
                    values: w.row(q).to_vec(),
                    decimals: 2,
                    highlight: Some(k),
                    max: Some(1.0),
                }),
            ]),
            Part::Text(vec![format!(
                "Q from the target, K and V from the source; seeded random weights (seed {}).",
                self.seed
            )]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    #[test]
    fn cross_attention_is_target_by_source() {
        let lab = CrossAttention::new(Params::new(&Map::new(), &KIND)).unwrap();
        assert_eq!(lab.weights().shape(), &[3, 4]);
    }
}
