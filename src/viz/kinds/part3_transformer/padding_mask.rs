//! A padded batch and its mask: unequal sentences padded to one length, and one sentence's
//! attention weights with the padded keys at exactly zero.

use crate::labs::part2_math::attention::{
    random_multi_head, scaled_dot_product, toy_embeddings, Options,
};
use crate::labs::part3_transformer::heads::words;
use crate::labs::rng::Rng;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{MatrixView, Part};
use crate::viz::{Controls, Knobs, Panel, Visual};
use ndarray::Array2;

const D_MODEL: usize = 8;

/// The `padding-mask` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "padding-mask",
    title: "Padding a batch and masking the pads",
    about: "sees a batch of unequal sentences padded to one length, the padding mask, and one sentence's attention weights with the padded columns at exactly 0",
    params: &[
        ParamDef { name: "sentences", ty: ParamType::Texts { len: (2, 4), max_words: 8, default: &["the cat sat", "a dog ran into the park", "birds sing"] }, doc: "the batch, one sentence per row" },
        ParamDef { name: "causal", ty: ParamType::Bool { default: false }, doc: "hide later tokens too" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(PaddingMask::new(p)?))
}

pub struct PaddingMask {
    sentences: Vec<String>,
    shown: usize,
    causal: bool,
}

impl PaddingMask {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let sentences = p.words("sentences")?;
        let causal = p.boolean("causal")?;
        p.finish()?;
        Ok(Self {
            sentences,
            shown: 0,
            causal,
        })
    }

    fn batch(&self) -> (Vec<Vec<String>>, usize) {
        let rows: Vec<Vec<String>> = self.sentences.iter().map(|s| words(s, 8)).collect();
        let len = rows.iter().map(Vec::len).max().unwrap_or(1);
        (rows, len)
    }

    /// The shown sentence's weights over the padded length; pad query rows are NaN (unused).
    pub fn weights(&self) -> Array2<f64> {
        let (rows, len) = self.batch();
        let tokens = &rows[self.shown];
        let mut padded = tokens.clone();
        padded.resize(len, "PAD".into());
        let x = toy_embeddings(&padded, D_MODEL);
        let w = random_multi_head(D_MODEL, 1, D_MODEL, &mut Rng::new(1));
        let h = &w.heads[0];
        let mask: Vec<bool> = (0..len).map(|j| j < tokens.len()).collect();
        let opts = Options {
            causal: self.causal,
            ..Options::default()
        };
        let mut s = scaled_dot_product(
            &x.dot(&h.w_q),
            &x.dot(&h.w_k),
            &x.dot(&h.w_v),
            opts,
            Some(&mask),
        )
        .weights;
        for i in tokens.len()..len {
            s.row_mut(i).fill(f64::NAN);
        }
        s
    }
}

impl Controls for PaddingMask {
    fn declare(&self, k: &mut Knobs<Self>) {
        let sentences = (1..=self.sentences.len()).map(|i| i.to_string()).collect();
        k.choice("sentence", sentences, self.shown, |p, i| p.shown = i);
        k.toggle("causal mask too", self.causal, |p, on| p.causal = on);
    }
}

impl Visual for PaddingMask {
    fn parts(&self) -> Vec<Part> {
        let (rows, len) = self.batch();
        let lines = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut cells = r.clone();
                cells.resize(len, "PAD".into());
                let mask: String = (0..len)
                    .map(|j| if j < r.len() { '1' } else { '0' })
                    .collect();
                let mark = if i == self.shown { '>' } else { ' ' };
                format!("{mark}{}: {}  mask {mask}", i + 1, cells.join(" "))
            })
            .collect();
        let real = rows[self.shown].len();
        let mut labels = rows[self.shown].clone();
        labels.resize(len, "PAD".into());
        let mut values = self.weights();
        // Future real keys are blocked by the causal mask, not by padding: they are drawn as
        // "·" so that only PAD keys show the 0.00 the title promises, and the two masks can be
        // told apart at a glance.
        if self.causal {
            for i in 0..real {
                for j in i + 1..real {
                    values[[i, j]] = f64::NAN;
                }
            }
        }
        let title = if self.causal {
            format!(
                "weights of sentence {}: PAD keys exactly 0.00, future keys · (causal mask)",
                self.shown + 1
            )
        } else {
            format!(
                "weights of sentence {} (PAD keys get exactly 0)",
                self.shown + 1
            )
        };
        vec![
            Part::Text(lines),
            Part::Matrix(MatrixView {
                title,
                row_labels: labels.clone(),
                col_labels: labels,
                values,
                decimals: 2,
                cell: None,
                row: None,
                col: None,
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    #[test]
    fn padding_columns_are_exactly_zero() {
        let lab = PaddingMask::new(Params::new(&Map::new(), &KIND)).unwrap();
        let w = lab.weights();
        assert_eq!(w.ncols(), 6);
        for i in 0..3 {
            for j in 3..6 {
                assert_eq!(w[[i, j]], 0.0);
            }
            assert!((w.row(i).sum() - 1.0).abs() < 1e-12);
        }
        assert!(w[[4, 0]].is_nan(), "pad queries are not used");
    }

    /// Regression: with the causal mask on, future keys and PAD keys both showed 0.00 under
    /// "(PAD keys get exactly 0)". Future real keys are now blank (·), PAD keys stay 0.00, and
    /// the title says which is which.
    #[test]
    fn future_keys_are_told_apart_from_pad_keys() {
        let mut lab = PaddingMask::new(Params::new(&Map::new(), &KIND)).unwrap();
        lab.causal = true;
        let Some(Part::Matrix(m)) = lab.parts().pop() else {
            panic!("no matrix")
        };
        // Sentence 1 is "the cat sat" padded to 6: row "the" sees only itself.
        assert_eq!(m.values[[0, 0]], 1.0);
        assert!(
            m.values[[0, 1]].is_nan() && m.values[[0, 2]].is_nan(),
            "future keys"
        );
        assert!(m.values[[1, 2]].is_nan());
        for i in 0..3 {
            for j in 3..6 {
                assert_eq!(m.values[[i, j]], 0.0, "PAD key ({i}, {j})");
            }
        }
        assert!(m.title.contains("future keys ·"), "{}", m.title);
        // Without the causal mask nothing real is blanked.
        lab.causal = false;
        let Some(Part::Matrix(m)) = lab.parts().pop() else {
            panic!("no matrix")
        };
        for i in 0..3 {
            assert!((0..3).all(|j| !m.values[[i, j]].is_nan()), "row {i}");
        }
    }
}
