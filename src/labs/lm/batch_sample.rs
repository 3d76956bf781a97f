//! Sampling many continuations of one prompt at once, with a KV cache: every step feeds one
//! new token per sequence through the model as a batch (`Model::step`). Policy-gradient
//! training (Part V) draws a fresh batch of responses every step, and sampling them one
//! sequence at a time ([`super::cache::KvCache`]) would cost one small forward pass per
//! character per sequence; batched, it is one pass per character for the whole batch.
//!
//! Unlike [`super::sample::generate`], a batch never slides its window: prompt plus response
//! must fit the context, which [`sample_batch`] checks.

use super::model::Model;
use super::rng::Rng;
use candle_core::{Device, Result, Tensor};

/// Draws an id from softmax(logits) (temperature 1: the policy's own distribution).
fn draw(logits: &[f32], rng: &mut Rng) -> u32 {
    let p = super::model::probabilities(logits);
    let u = rng.unit();
    let mut acc = 0.0;
    for (i, pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return i as u32;
        }
    }
    (p.len() - 1) as u32
}

/// `batch` responses of `len` ids each, sampled at temperature 1 after `prompt` (ids, at
/// least one). Prompt plus response must fit the model's context.
pub fn sample_batch(
    model: &Model,
    prompt: &[u32],
    batch: usize,
    len: usize,
    rng: &mut Rng,
) -> Result<Vec<Vec<u32>>> {
    if prompt.is_empty() || prompt.len() + len > model.config.context {
        return Err(candle_core::Error::Msg(format!(
            "a prompt of {} and a response of {len} characters must fit the context of {} (and the prompt must not be empty)",
            prompt.len(),
            model.config.context
        )));
    }
    let mut cache = vec![None; model.config.layers];
    let mut logits = Tensor::zeros(
        (batch, model.config.vocab),
        candle_core::DType::F32,
        &Device::Cpu,
    )?;
    for (pos, &id) in prompt.iter().enumerate() {
        logits = model.step(&mut cache, &vec![id; batch], pos)?;
    }
    let mut out = vec![Vec::with_capacity(len); batch];
    for i in 0..len {
        let rows: Vec<Vec<f32>> = logits.to_vec2()?;
        let next: Vec<u32> = rows.iter().map(|r| draw(r, rng)).collect();
        for (seq, &id) in out.iter_mut().zip(&next) {
            seq.push(id);
        }
        if i + 1 < len {
            logits = model.step(&mut cache, &next, prompt.len() + i)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, vocab::Vocab};

    #[test]
    fn batched_cache_gives_the_full_forward_logits() {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 2,
            heads: 2,
            context: 12,
        };
        let model = Model::new(cfg, vocab, 4).unwrap();
        let seqs: [[u32; 5]; 2] = [[3, 9, 40, 41, 7], [3, 9, 12, 60, 2]];
        let mut cache = vec![None; 2];
        for pos in 0..5 {
            let toks = [seqs[0][pos], seqs[1][pos]];
            let got: Vec<Vec<f32>> = model
                .step(&mut cache, &toks, pos)
                .unwrap()
                .to_vec2()
                .unwrap();
            for (b, seq) in seqs.iter().enumerate() {
                let full = model.logits(&seq[..=pos]).unwrap();
                for (a, w) in got[b].iter().zip(&full[pos]) {
                    assert!((a - w).abs() < 1e-4, "pos {pos} seq {b}: {a} vs {w}");
                }
            }
        }
        let mut rng = Rng::new(1);
        let out = sample_batch(&model, &[3, 9], 4, 6, &mut rng).unwrap();
        assert_eq!(out.len(), 4);
        assert!(out.iter().all(|s| s.len() == 6));
        assert!(sample_batch(&model, &[3, 9], 1, 11, &mut rng).is_err());
    }
}
