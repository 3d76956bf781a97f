//! Supervised fine-tuning data: prompt–response pairs as one stream of characters, with a note
//! of which characters belong to a response.
//!
//! SFT keeps pre-training's loss (−ln p of the next character) but usually counts it only where
//! the next character is part of a response: the model is taught to answer, not to write
//! questions. A target at position i is the character i + 1, so its weight is 1 when character
//! i + 1 is a response character and 0 when it is a prompt character. With the mask off every
//! target counts, as in pre-training.
//!
//! Each example is `prompt + response + "\n"`; the closing newline belongs to the response, so
//! the model also learns where an answer ends.

use super::loss::nll_for_ids;
use super::model::Model;
use super::vocab::Vocab;
use candle_core::{Result, Tensor};

/// One example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub prompt: String,
    pub response: String,
}

impl Pair {
    pub fn new(prompt: impl Into<String>, response: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            response: response.into(),
        }
    }
}

/// Examples laid end to end: ids, and for each id whether it is a response character.
#[derive(Clone, Debug, PartialEq)]
pub struct SftSet {
    pub ids: Vec<u32>,
    pub is_response: Vec<bool>,
    pub examples: usize,
}

impl SftSet {
    pub fn new(pairs: &[Pair], vocab: &Vocab) -> Self {
        let mut ids = Vec::new();
        let mut is_response = Vec::new();
        for p in pairs {
            let prompt = vocab.encode(&p.prompt);
            let response = vocab.encode(&format!("{}\n", p.response));
            is_response.extend(std::iter::repeat_n(false, prompt.len()));
            is_response.extend(std::iter::repeat_n(true, response.len()));
            ids.extend(prompt);
            ids.extend(response);
        }
        Self {
            ids,
            is_response,
            examples: pairs.len(),
        }
    }

    /// Plain text (a learner's file): every character is a target.
    pub fn plain(text: &str, vocab: &Vocab) -> Self {
        let ids = vocab.encode(text);
        Self {
            is_response: vec![true; ids.len()],
            ids,
            examples: 1,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Weight of each target (position i predicts ids[i + 1]): `ids.len() − 1` values, 1 where
    /// the target counts. With `mask_prompt` off, all 1.
    pub fn target_weights(&self, mask_prompt: bool) -> Vec<f32> {
        self.is_response
            .iter()
            .skip(1)
            .map(|&r| if r || !mask_prompt { 1.0 } else { 0.0 })
            .collect()
    }

    /// The first `n` characters (all of them for n = 0), for quick evaluations.
    pub fn head(&self, n: usize) -> Self {
        let n = if n == 0 {
            self.len()
        } else {
            n.min(self.len())
        };
        Self {
            ids: self.ids[..n].to_vec(),
            is_response: self.is_response[..n].to_vec(),
            examples: self.examples,
        }
    }
}

/// Σ wᵢ·nllᵢ / Σ wᵢ: the mean loss over the targets that count (nll and weights of shape (N)).
/// A batch with no counted target gives 0, not a division by zero.
pub fn masked_mean(nll: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let total: f32 = weights.sum_all()?.to_scalar()?;
    (nll * weights)?.sum_all()? / f64::from(total.max(1.0))
}

/// The model's mean loss on `set` in nats per counted character: every target is scored once,
/// in windows as [`nll_for_ids`] reads a text, and averaged over those that count.
pub fn eval_loss(model: &Model, set: &SftSet, mask_prompt: bool) -> Result<f32> {
    let nll = nll_for_ids(model, &set.ids)?;
    let weights = set.target_weights(mask_prompt);
    let (mut sum, mut count) = (0f64, 0f64);
    for (l, w) in nll.iter().zip(&weights) {
        sum += f64::from(*l) * f64::from(*w);
        count += f64::from(*w);
    }
    Ok(if count > 0.0 {
        (sum / count) as f32
    } else {
        0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::Config;
    use candle_core::Device;

    #[test]
    fn the_mask_covers_exactly_the_prompt_characters() {
        let vocab = Vocab::for_corpus("");
        let set = SftSet::new(
            &[
                Pair::new("Q: 2+2?\nA: ", "4"),
                Pair::new("Q: hi\nA: ", "yo"),
            ],
            &vocab,
        );
        // "Q: 2+2?\nA: " is 11 characters, "4\n" 2; "Q: hi\nA: " 9, "yo\n" 3: 25 in all.
        let text = "Q: 2+2?\nA: 4\nQ: hi\nA: yo\n";
        assert_eq!(set.ids, vocab.encode(text));
        let want: Vec<bool> = [
            vec![false; 11],
            vec![true; 2],
            vec![false; 9],
            vec![true; 3],
        ]
        .concat();
        assert_eq!(set.is_response, want);
        // Targets are characters 1..25: the weight of target i is that of character i + 1.
        // Counted: "4", "\n" (characters 11, 12) and "y", "o", "\n" (22, 23, 24), so targets
        // 10, 11, 21, 22, 23.
        let w = set.target_weights(true);
        assert_eq!(w.len(), 24);
        let on: Vec<usize> = (0..24).filter(|&i| w[i] == 1.0).collect();
        assert_eq!(on, vec![10, 11, 21, 22, 23]);
        assert!(set.target_weights(false).iter().all(|&x| x == 1.0));
    }

    #[test]
    fn masked_loss_is_the_mean_over_response_targets_only() {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 32,
        };
        let model = Model::new(cfg, vocab.clone(), 2).unwrap();
        let set = SftSet::new(&[Pair::new("Q: colour?\nA: ", "red")], &vocab);
        // Score every target independently, then average by hand the four response targets
        // ("r", "e", "d", "\n" are characters 14..18, so targets 13..17).
        let nll = nll_for_ids(&model, &set.ids).unwrap();
        assert_eq!(nll.len(), 17);
        let by_hand = (nll[13] + nll[14] + nll[15] + nll[16]) / 4.0;
        let masked = eval_loss(&model, &set, true).unwrap();
        assert!((masked - by_hand).abs() < 1e-6, "{masked} vs {by_hand}");
        let all = nll.iter().sum::<f32>() / 17.0;
        assert!((eval_loss(&model, &set, false).unwrap() - all).abs() < 1e-6);
        // The tensor form agrees: weights 0 on prompt targets drop them from the mean.
        let nll_t = Tensor::from_slice(&nll, 17, &Device::Cpu).unwrap();
        let w = Tensor::from_vec(set.target_weights(true), 17, &Device::Cpu).unwrap();
        let t: f32 = masked_mean(&nll_t, &w).unwrap().to_scalar().unwrap();
        assert!((t - by_hand).abs() < 1e-6);
    }
}
