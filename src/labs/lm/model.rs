//! The decoder-only GPT: token and learned position embeddings, pre-LN blocks (causal
//! multi-head attention, then a 4× MLP with ReLU), a final layer norm, and an output layer tied
//! to the token embedding (logits = h · W_teᵀ). The layers are in `layers.rs`; this
//! module holds them together and runs them (`Model::run`, the one forward pass that
//! training, LoRA, scoring and the KV-cached generation step all go through).
//!
//! ReLU rather than GELU: at this size the two train alike, and ReLU is exact, so the
//! plain-loop reference in the tests can match it without an erf approximation.
//!
//! Weights are initialised from the lab's seeded [`Rng`] (normal, std 0.02 as in GPT-2, the
//! two projections that write into the residual stream scaled by 1/√(2·layers)), never from
//! candle's unseedable generator.

use super::adapter::{Adapt, Base};
use super::config::Config;
use super::fused::add_rows;
use super::layers::{var, Attend, Block, Ctx, KvSlot, LayerNorm};
use super::lora::Lora;
use super::rng::Rng;
use super::vocab::Vocab;
use candle_core::{Device, Result, Tensor, Var};

/// A model: its shape, its alphabet and its weights (candle variables).
pub struct Model {
    pub config: Config,
    pub vocab: Vocab,
    /// Token embeddings (vocab, d), also the output layer.
    pub(crate) wte: Var,
    /// Position embeddings (context, d).
    pub(crate) wpe: Var,
    pub(crate) blocks: Vec<Block>,
    pub(crate) ln_f: LayerNorm,
}

fn normal(rng: &mut Rng, n: usize, std: f64) -> Vec<f32> {
    (0..n).map(|_| (rng.normal() * std) as f32).collect()
}

impl Model {
    /// A freshly initialised model; the same seed gives the same weights, bit for bit.
    pub fn new(config: Config, vocab: Vocab, seed: u64) -> Result<Self> {
        config.check().map_err(candle_core::Error::Msg)?;
        if vocab.len() != config.vocab {
            return Err(candle_core::Error::Msg(format!(
                "the alphabet has {} symbols but the config says {}",
                vocab.len(),
                config.vocab
            )));
        }
        let mut rng = Rng::new(seed);
        let d = config.d_model;
        let std = 0.02;
        let resid_std = std / (2.0 * config.layers as f64).sqrt();
        let wte = var(normal(&mut rng, config.vocab * d, std), &[config.vocab, d])?;
        let wpe = var(
            normal(&mut rng, config.context * d, std),
            &[config.context, d],
        )?;
        let mut matrix = |i: usize, o: usize, std: f64| var(normal(&mut rng, i * o, std), &[i, o]);
        let blocks = (0..config.layers)
            .map(|_| Block::new(d, config.heads, std, resid_std, &mut matrix))
            .collect::<Result<_>>()?;
        Ok(Self {
            config,
            vocab,
            wte,
            wpe,
            blocks,
            ln_f: LayerNorm::new(d)?,
        })
    }

    /// Every parameter with its name, in a fixed order (the order of files and optimizers).
    pub fn params(&self) -> Vec<(String, &Var)> {
        let mut out = vec![
            ("wte".to_string(), &self.wte),
            ("wpe".to_string(), &self.wpe),
        ];
        for (i, b) in self.blocks.iter().enumerate() {
            b.params(i, &mut out);
        }
        self.ln_f.params("ln_f.", &mut out);
        out
    }

    pub fn param_count(&self) -> usize {
        self.params().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// A copy that shares no memory with this model: training one never moves the other (a
    /// frozen reference for Part V). `Tensor::detach` would share the weights' storage.
    pub fn deep_copy(&self) -> Result<Self> {
        let mut copy =
            |v: &Var| -> Result<Var> { Var::from_tensor(&v.as_tensor().copy()?.detach()) };
        Ok(Self {
            config: self.config,
            vocab: self.vocab.clone(),
            wte: copy(&self.wte)?,
            wpe: copy(&self.wpe)?,
            blocks: (self.blocks.iter())
                .map(|b| b.map(&mut copy))
                .collect::<Result<_>>()?,
            ln_f: self.ln_f.map(&mut copy)?,
        })
    }

    /// Logits (B, T, V) for token ids (B, T) u32, T ≤ context. Position t sees tokens 0..=t.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.run(ids, &Base, Attend::Fused)?
            .reshape((b, t, self.config.vocab))
    }

    /// The same logits as rows (B·T, V), the shape the loss reads: training calls this, so the
    /// graph it differentiates has no reshape nodes (each costs backpropagation a zeroed
    /// tensor and an addition the size of the logits).
    pub fn forward_rows(&self, ids: &Tensor) -> Result<Tensor> {
        self.run(ids, &Base, Attend::Fused)
    }

    /// The same logits through the readable attention (q·kᵀ, mask, softmax, ·v as candle
    /// operations) instead of the fused one: slower, the same numbers to within rounding.
    pub fn forward_plain(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.run(ids, &Base, Attend::Plain)?
            .reshape((b, t, self.config.vocab))
    }

    /// The same with LoRA adapters added to their projections and every weight of this model
    /// read frozen: backpropagation computes gradients for the adapters only.
    pub fn forward_lora(&self, ids: &Tensor, lora: &Lora) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.run(ids, lora, Attend::Fused)?
            .reshape((b, t, self.config.vocab))
    }

    /// One new token per sequence at position `pos`, each block's earlier keys and values in
    /// `cache` (one slot per block, empty at the start): logits (B, V). Generation and
    /// batched sampling call it.
    pub(crate) fn step(&self, cache: &mut [KvSlot], tokens: &[u32], pos: usize) -> Result<Tensor> {
        let ids = Tensor::from_slice(tokens, (tokens.len(), 1), &Device::Cpu)?;
        self.run(&ids, &Base, Attend::Cached { cache, pos })
    }

    /// The forward pass: ids (B, T) → logits (B·T, V), the weights read through `adapter`.
    /// The residual stream stays rows (B·T, d) throughout: layer norm, the bias adds and the
    /// products all read it as rows, and only attention needs the (B, T) split.
    pub(crate) fn run(&self, ids: &Tensor, adapter: &dyn Adapt, attend: Attend) -> Result<Tensor> {
        let (seqs, t) = ids.dims2()?;
        let pos = match attend {
            Attend::Cached { pos, .. } => pos,
            _ => 0,
        };
        let c = self.config;
        if pos + t > c.context {
            return Err(candle_core::Error::Msg(format!(
                "{} tokens do not fit the model's context of {}",
                pos + t,
                c.context
            )));
        }
        let tok = adapter
            .read(&self.wte)
            .index_select(&ids.flatten_all()?, 0)?;
        let mut x = add_rows(&tok, &adapter.read(&self.wpe).narrow(0, pos, t)?)?;
        let mut ctx = Ctx {
            adapter,
            attend,
            layer: 0,
            seqs,
            t,
        };
        for (layer, block) in self.blocks.iter().enumerate() {
            ctx.layer = layer;
            x = block.forward(&x, &mut ctx)?;
        }
        let x = self.ln_f.forward(&x, &ctx)?;
        adapter.matmul(&x, &self.wte.as_tensor().t()?)
    }

    /// Logits (T, V) for one sequence of ids.
    pub fn logits(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        let t = Tensor::from_slice(ids, (1, ids.len()), &Device::Cpu)?;
        self.forward(&t)?.squeeze(0)?.to_vec2()
    }
}

/// The last dimension's softmax of a small logits row, in f64 (for sampling and display).
pub fn probabilities(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = logits.iter().map(|&l| (l as f64 - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}
