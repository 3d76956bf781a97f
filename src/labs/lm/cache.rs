//! Generation with a KV cache: each new token runs through the model alone, attending to the
//! keys and values the earlier tokens left in the cache, instead of re-running the whole window.
//!
//! A window never grows past the model's context (its learned positions end there). When it
//! is full, the window restarts from its last `context / 2` tokens: the cache is rebuilt from
//! them and generation goes on. [`window_start`] is that rule, shared with the cache-free path
//! so that the two give the same logits (tested).

use super::layers::KvSlot;
use super::model::Model;
use candle_core::Result;

/// Keys and values of every layer for the tokens fed so far: (1, heads, t, d_head) each.
pub struct KvCache {
    layers: Vec<KvSlot>,
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

    /// One token through the model at the next position: [`Model::step`] with a batch of one,
    /// the forward pass training and batched sampling use.
    fn step(&mut self, model: &Model, token: u32) -> Result<Vec<f32>> {
        let pos = self.window.len();
        let logits = model.step(&mut self.layers, &[token], pos)?;
        self.window.push(token);
        logits.squeeze(0)?.to_vec1()
    }
}
