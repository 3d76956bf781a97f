//! The loss at every position of a text: −ln p(the character that really comes next), its
//! mean, the perplexity e^mean, and the baseline ln V of a model that knows nothing.
//!
//! A text longer than the context is read in consecutive windows of `context + 1` characters
//! overlapping by one, so every character after the first is predicted exactly once, from
//! the characters before it in its window (between 0 and context − 1 of them). Validation
//! losses during training use the same rule.

use super::model::Model;
use super::ops::nll_per_position;
use candle_core::{Device, Result, Tensor};

/// Windows per forward pass when scoring long texts.
const WINDOWS_PER_PASS: usize = 64;

/// −ln p(ids[i+1] | window) for i in 0..len−1, in nats.
pub fn nll_for_ids(model: &Model, ids: &[u32]) -> Result<Vec<f32>> {
    let ctx = model.config.context;
    if ids.len() < 2 {
        return Ok(Vec::new());
    }
    let starts: Vec<usize> = (0..ids.len() - 1).step_by(ctx).collect();
    let full: Vec<usize> = starts
        .iter()
        .copied()
        .filter(|s| s + ctx < ids.len())
        .collect();
    let mut out = Vec::with_capacity(ids.len() - 1);
    for chunk in full.chunks(WINDOWS_PER_PASS) {
        out.extend(score(model, ids, chunk, ctx)?);
    }
    if let Some(&last) = starts.last().filter(|s| *s + ctx >= ids.len()) {
        out.extend(score(model, ids, &[last], ids.len() - 1 - last)?);
    }
    Ok(out)
}

fn score(model: &Model, ids: &[u32], starts: &[usize], t: usize) -> Result<Vec<f32>> {
    let mut xs = Vec::with_capacity(starts.len() * t);
    let mut ys = Vec::with_capacity(starts.len() * t);
    for &s in starts {
        xs.extend_from_slice(&ids[s..s + t]);
        ys.extend_from_slice(&ids[s + 1..s + t + 1]);
    }
    let x = Tensor::from_vec(xs, (starts.len(), t), &Device::Cpu)?;
    let y = Tensor::from_vec(ys, starts.len() * t, &Device::Cpu)?;
    let logits = model.forward(&x)?.reshape(((), model.config.vocab))?;
    nll_per_position(&logits, &y)?.to_vec1()
}

/// Mean loss in nats per character over `ids` (0 for fewer than two ids), averaged in f64.
pub fn mean_loss(model: &Model, ids: &[u32]) -> Result<f32> {
    let nll = nll_for_ids(model, ids)?;
    Ok(mean(&nll) as f32)
}

fn mean(xs: &[f32]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64
    }
}

/// A text's losses, position by position.
#[derive(Clone, Debug, PartialEq)]
pub struct LossReport {
    /// The text's characters as the model sees them (outside the alphabet: U+FFFD).
    pub chars: Vec<char>,
    /// `losses[i]` is −ln p(chars[i+1]) in nats.
    pub losses: Vec<f32>,
    pub mean: f64,
    /// e^mean: the model is as unsure as a uniform choice among this many characters.
    pub perplexity: f64,
    /// ln V: the loss of a model that gives every character the same probability.
    pub uniform: f64,
}

pub fn loss_per_position(model: &Model, text: &str) -> Result<LossReport> {
    let ids = model.vocab.encode(text);
    let losses = nll_for_ids(model, &ids)?;
    let mean = mean(&losses);
    Ok(LossReport {
        chars: ids.iter().map(|&i| model.vocab.char(i)).collect(),
        losses,
        mean,
        perplexity: mean.exp(),
        uniform: (model.config.vocab as f64).ln(),
    })
}
