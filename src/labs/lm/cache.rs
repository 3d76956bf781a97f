//! Generation with a KV cache: each new token runs through the model alone, attending to the
//! keys and values the earlier tokens left in the cache, instead of re-running the whole window.
//!
//! A window never grows past the model's context (its learned positions end there). When it
//! is full, the window restarts from its last `context / 2` tokens: the cache is rebuilt from
//! them and generation goes on. [`window_start`] is that rule, shared with the cache-free path
//! so that the two give the same logits (tested).

use super::model::Model;
use super::ops::{layer_norm, softmax};
use candle_core::{Device, Result, Tensor};

/// Keys and values of every layer for the tokens fed so far: (heads, t, d_head) each.
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    /// The tokens in the current window, oldest first.
    window: Vec<u32>,
}

/// Where the window ending at `len` tokens starts, given where the previous one started: when
/// the newest token would make it longer than the context, it restarts from the previous
/// window's last context/2 tokens plus the newest.
pub fn window_start(start: usize, len: usize, context: usize) -> usize {
    if len - start > context {
        len - 1 - context / 2
    } else {
        start
    }
}

impl KvCache {
    pub fn new(model: &Model) -> Self {
        Self {
            layers: vec![None; model.config.layers],
            window: Vec::new(),
        }
    }

    pub fn window(&self) -> &[u32] {
        &self.window
    }

    /// Feeds one token and returns the logits for the next one.
    pub fn push(&mut self, model: &Model, token: u32) -> Result<Vec<f32>> {
        let ctx = model.config.context;
        if self.window.len() == ctx {
            let keep = self.window[ctx - ctx / 2..].to_vec();
            self.layers.iter_mut().for_each(|l| *l = None);
            self.window.clear();
            for t in keep {
                self.step(model, t)?;
            }
        }
        self.step(model, token)
    }

    fn step(&mut self, model: &Model, token: u32) -> Result<Vec<f32>> {
        let c = model.config;
        let (d, h, dh) = (c.d_model, c.heads, c.d_head());
        let pos = self.window.len();
        let id = Tensor::new(&[token], &Device::Cpu)?;
        let mut x = model
            .wte
            .as_tensor()
            .index_select(&id, 0)?
            .add(&model.wpe.as_tensor().narrow(0, pos, 1)?)?; // (1, d)
        let scale = 1.0 / (dh as f64).sqrt();
        for (blk, slot) in model.blocks.iter().zip(self.layers.iter_mut()) {
            let a = layer_norm(&x, blk.ln1_g.as_tensor(), blk.ln1_b.as_tensor())?;
            let qkv = a
                .matmul(blk.w_qkv.as_tensor())?
                .broadcast_add(blk.b_qkv.as_tensor())?
                .reshape((3, h, 1, dh))?;
            let q = qkv.get(0)?;
            let (k_new, v_new) = (qkv.get(1)?, qkv.get(2)?);
            let (k, v) = match slot.take() {
                Some((k, v)) => (
                    Tensor::cat(&[&k, &k_new], 1)?,
                    Tensor::cat(&[&v, &v_new], 1)?,
                ),
                None => (k_new.contiguous()?, v_new.contiguous()?),
            };
            let weights = softmax(&(q.matmul(&k.t()?)? * scale)?)?; // (h, 1, t)
            let out = weights.matmul(&v)?.reshape((1, d))?;
            *slot = Some((k, v));
            let attn = out
                .matmul(blk.w_o.as_tensor())?
                .broadcast_add(blk.b_o.as_tensor())?;
            x = (x + attn)?;
            let m = layer_norm(&x, blk.ln2_g.as_tensor(), blk.ln2_b.as_tensor())?;
            let hidden = m
                .matmul(blk.w_in.as_tensor())?
                .broadcast_add(blk.b_in.as_tensor())?
                .relu()?;
            let mlp = hidden
                .matmul(blk.w_out.as_tensor())?
                .broadcast_add(blk.b_out.as_tensor())?;
            x = (x + mlp)?;
        }
        self.window.push(token);
        let x = layer_norm(&x, model.lnf_g.as_tensor(), model.lnf_b.as_tensor())?;
        x.matmul(&model.wte.as_tensor().t()?)?.squeeze(0)?.to_vec1()
    }
}
