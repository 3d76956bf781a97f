//! Generation without candle: the same forward pass as [`super::cache::KvCache`], one token at
//! a time, on weights copied out of the model into plain `f32` rows.
//!
//! Why a second path: for one token the model does about 230 thousand multiply-adds (the
//! shipped model), a fraction of a millisecond, but candle spends several microseconds of
//! bookkeeping and an allocation on each of the ~60 operations of a step, so on the candle path
//! that bookkeeping, not the arithmetic, set the time per character. Written out as loops over contiguous rows, a character costs what
//! its arithmetic costs. Training still goes through candle (it needs gradients); this path
//! only reads. `tests` checks it against the candle cache logit for logit.

use super::model::Model;
use super::ops::LN_EPS;
use candle_core::Result;

/// One block's weights, row-major as the model stores them (`x · W`: W is d_in × d_out).
struct BlockWeights {
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    w_qkv: Vec<f32>,
    b_qkv: Vec<f32>,
    w_o: Vec<f32>,
    b_o: Vec<f32>,
    ln2_g: Vec<f32>,
    ln2_b: Vec<f32>,
    w_in: Vec<f32>,
    b_in: Vec<f32>,
    w_out: Vec<f32>,
    b_out: Vec<f32>,
}

/// A model's weights as plain rows, ready to generate from.
pub struct Weights {
    d: usize,
    heads: usize,
    context: usize,
    vocab: usize,
    /// Token embeddings (vocab × d); also the output projection (tied, as in the model).
    wte: Vec<f32>,
    /// Position embeddings (context × d).
    wpe: Vec<f32>,
    blocks: Vec<BlockWeights>,
    lnf_g: Vec<f32>,
    lnf_b: Vec<f32>,
}

fn flat(v: &candle_core::Var) -> Result<Vec<f32>> {
    v.as_tensor().flatten_all()?.to_vec1::<f32>()
}

impl Weights {
    /// Copies the model's weights (a few hundred kilobytes for the shipped model).
    pub fn of(model: &Model) -> Result<Self> {
        let c = model.config;
        let blocks = model
            .blocks
            .iter()
            .map(|b| {
                Ok(BlockWeights {
                    ln1_g: flat(&b.ln1_g)?,
                    ln1_b: flat(&b.ln1_b)?,
                    w_qkv: flat(&b.w_qkv)?,
                    b_qkv: flat(&b.b_qkv)?,
                    w_o: flat(&b.w_o)?,
                    b_o: flat(&b.b_o)?,
                    ln2_g: flat(&b.ln2_g)?,
                    ln2_b: flat(&b.ln2_b)?,
                    w_in: flat(&b.w_in)?,
                    b_in: flat(&b.b_in)?,
                    w_out: flat(&b.w_out)?,
                    b_out: flat(&b.b_out)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            d: c.d_model,
            heads: c.heads,
            context: c.context,
            vocab: c.vocab,
            wte: flat(&model.wte)?,
            wpe: flat(&model.wpe)?,
            blocks,
            lnf_g: flat(&model.lnf_g)?,
            lnf_b: flat(&model.lnf_b)?,
        })
    }
}

/// `out = x · W + b` for a row `x` (len n) and W (n × m), accumulated row by row of W so the
/// inner loop runs over contiguous memory and vectorises.
fn affine(x: &[f32], w: &[f32], b: &[f32], out: &mut Vec<f32>) {
    let m = b.len();
    out.clear();
    out.extend_from_slice(b);
    for (xi, row) in x.iter().zip(w.chunks_exact(m)) {
        for (o, wij) in out.iter_mut().zip(row) {
            *o += xi * wij;
        }
    }
}

/// LayerNorm of one row, as [`super::ops::layer_norm`] computes it (1/n variance, ε = 1e-5).
fn layer_norm(x: &[f32], g: &[f32], b: &[f32], out: &mut Vec<f32>) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + LN_EPS as f32).sqrt();
    out.clear();
    out.extend(
        x.iter()
            .zip(g.iter().zip(b))
            .map(|(v, (g, b))| (v - mean) * inv * g + b),
    );
}

/// Keys and values of every layer for the tokens of the current window, and scratch rows
/// reused from token to token.
pub struct FastCache {
    /// Per layer: keys and values, one row of d per token (heads side by side).
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    window: Vec<u32>,
}

impl FastCache {
    pub fn new(w: &Weights) -> Self {
        Self {
            keys: vec![Vec::new(); w.blocks.len()],
            values: vec![Vec::new(); w.blocks.len()],
            window: Vec::new(),
        }
    }

    /// The tokens in the current window, oldest first.
    pub fn window(&self) -> &[u32] {
        &self.window
    }

    /// Feeds one token and returns the logits for the next, restarting a full window the way
    /// [`super::cache::KvCache::push`] does (from its last context/2 tokens).
    pub fn push(&mut self, w: &Weights, token: u32) -> Vec<f32> {
        if self.window.len() == w.context {
            let keep = self.window[w.context - w.context / 2..].to_vec();
            self.keys.iter_mut().for_each(Vec::clear);
            self.values.iter_mut().for_each(Vec::clear);
            self.window.clear();
            for t in keep {
                self.step(w, t);
            }
        }
        self.step(w, token)
    }

    fn step(&mut self, w: &Weights, token: u32) -> Vec<f32> {
        let (d, h) = (w.d, w.heads);
        let dh = d / h;
        let pos = self.window.len();
        let tok = (token as usize).min(w.vocab - 1);
        let mut x: Vec<f32> = w.wte[tok * d..(tok + 1) * d]
            .iter()
            .zip(&w.wpe[pos * d..(pos + 1) * d])
            .map(|(a, b)| a + b)
            .collect();
        let scale = 1.0 / (dh as f32).sqrt();
        let (mut a, mut qkv, mut out, mut proj, mut hidden) =
            (Vec::new(), Vec::new(), vec![0.0; d], Vec::new(), Vec::new());
        let mut scores = Vec::with_capacity(pos + 1);
        for (li, blk) in w.blocks.iter().enumerate() {
            layer_norm(&x, &blk.ln1_g, &blk.ln1_b, &mut a);
            affine(&a, &blk.w_qkv, &blk.b_qkv, &mut qkv);
            // qkv = [q (h·dh) | k (h·dh) | v (h·dh)], each head's dh values side by side.
            self.keys[li].extend_from_slice(&qkv[d..2 * d]);
            self.values[li].extend_from_slice(&qkv[2 * d..3 * d]);
            let (keys, values) = (&self.keys[li], &self.values[li]);
            let t = keys.len() / d;
            for head in 0..h {
                let q = &qkv[head * dh..(head + 1) * dh];
                scores.clear();
                scores.extend((0..t).map(|j| {
                    let k = &keys[j * d + head * dh..j * d + (head + 1) * dh];
                    q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale
                }));
                let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut total = 0.0;
                for s in scores.iter_mut() {
                    *s = (*s - max).exp();
                    total += *s;
                }
                let o = &mut out[head * dh..(head + 1) * dh];
                o.iter_mut().for_each(|v| *v = 0.0);
                for (j, s) in scores.iter().enumerate() {
                    let p = s / total;
                    let v = &values[j * d + head * dh..j * d + (head + 1) * dh];
                    for (oi, vi) in o.iter_mut().zip(v) {
                        *oi += p * vi;
                    }
                }
            }
            affine(&out, &blk.w_o, &blk.b_o, &mut proj);
            x.iter_mut().zip(&proj).for_each(|(x, p)| *x += p);
            layer_norm(&x, &blk.ln2_g, &blk.ln2_b, &mut a);
            affine(&a, &blk.w_in, &blk.b_in, &mut hidden);
            hidden.iter_mut().for_each(|v| *v = v.max(0.0));
            affine(&hidden, &blk.w_out, &blk.b_out, &mut proj);
            x.iter_mut().zip(&proj).for_each(|(x, p)| *x += p);
        }
        self.window.push(token);
        layer_norm(&x, &w.lnf_g, &w.lnf_b, &mut a);
        // Logits against the tied token embeddings: one dot product per vocabulary row.
        w.wte
            .chunks_exact(d)
            .map(|row| row.iter().zip(&a).map(|(e, x)| e * x).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::cache::KvCache;
    use crate::labs::lm::{Config, Vocab};

    #[test]
    fn gives_the_candle_caches_logits_through_a_window_restart() {
        let vocab = Vocab::for_corpus("abcdefgh ");
        let config = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 2,
            heads: 4,
            context: 8,
        };
        let model = Model::new(config, vocab, 7).unwrap();
        let weights = Weights::of(&model).unwrap();
        let (mut slow, mut fast) = (KvCache::new(&model), FastCache::new(&weights));
        // 20 tokens through a context of 8: the window restarts twice.
        for i in 0..20u32 {
            let token = (i * 5 + 3) % config.vocab as u32;
            let a = slow.push(&model, token).unwrap();
            let b = fast.push(&weights, token);
            assert_eq!(slow.window(), fast.window());
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-4, "token {i}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn affine_and_layer_norm_match_hand_values() {
        // [1, 2] · [[1, 2, 3], [4, 5, 6]] + [0.5, 0, −1] = [9.5, 12, 14].
        let mut out = Vec::new();
        affine(
            &[1.0, 2.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[0.5, 0.0, -1.0],
            &mut out,
        );
        assert_eq!(out, vec![9.5, 12.0, 14.0]);
        // [1, 3]: mean 2, variance 1 → [−1, 1] (up to ε), then ·[2, 2] + [0, 1].
        layer_norm(&[1.0, 3.0], &[2.0, 2.0], &[0.0, 1.0], &mut out);
        assert!(
            (out[0] + 2.0).abs() < 1e-4 && (out[1] - 3.0).abs() < 1e-4,
            "{out:?}"
        );
    }
}
