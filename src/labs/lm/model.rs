//! The decoder-only GPT: token and learned position embeddings, pre-LN blocks (causal
//! multi-head attention, then a 4× MLP with ReLU), a final layer norm, and an output layer tied
//! to the token embedding (logits = h · W_teᵀ).
//!
//! ReLU rather than GELU: at this size the two train alike, and ReLU is exact, so the
//! plain-loop reference in the tests can match it without an erf approximation.
//!
//! Weights are initialised from the lab's seeded [`Rng`] (normal, std 0.02 as in GPT-2, the
//! two projections that write into the residual stream scaled by 1/√(2·layers)), never from
//! candle's unseedable generator.

use super::config::Config;
use super::fused::{add_rows, add_rows_relu, causal_attention, relu};
use super::lora::{Lora, Proj};
use super::ops::layer_norm;
use super::rng::Rng;
use super::vocab::Vocab;
use candle_core::{Device, Result, Tensor, Var};

/// One block's parameters. Linear weights are stored (in, out), so a layer is x · W + b.
#[derive(Clone)]
pub(crate) struct Block {
    pub ln1_g: Var,
    pub ln1_b: Var,
    pub w_qkv: Var,
    pub b_qkv: Var,
    pub w_o: Var,
    pub b_o: Var,
    pub ln2_g: Var,
    pub ln2_b: Var,
    pub w_in: Var,
    pub b_in: Var,
    pub w_out: Var,
    pub b_out: Var,
}

/// A model: its shape, its alphabet and its weights (candle variables).
pub struct Model {
    pub config: Config,
    pub vocab: Vocab,
    pub(crate) wte: Var,
    pub(crate) wpe: Var,
    pub(crate) blocks: Vec<Block>,
    pub(crate) lnf_g: Var,
    pub(crate) lnf_b: Var,
}

fn var(values: Vec<f32>, shape: &[usize]) -> Result<Var> {
    Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu)?)
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
        let ones = |n: usize| vec![1f32; n];
        let zeros = |n: usize| vec![0f32; n];
        let wte = var(normal(&mut rng, config.vocab * d, std), &[config.vocab, d])?;
        let wpe = var(
            normal(&mut rng, config.context * d, std),
            &[config.context, d],
        )?;
        let mut blocks = Vec::new();
        for _ in 0..config.layers {
            blocks.push(Block {
                ln1_g: var(ones(d), &[d])?,
                ln1_b: var(zeros(d), &[d])?,
                w_qkv: var(normal(&mut rng, d * 3 * d, std), &[d, 3 * d])?,
                b_qkv: var(zeros(3 * d), &[3 * d])?,
                w_o: var(normal(&mut rng, d * d, resid_std), &[d, d])?,
                b_o: var(zeros(d), &[d])?,
                ln2_g: var(ones(d), &[d])?,
                ln2_b: var(zeros(d), &[d])?,
                w_in: var(normal(&mut rng, d * 4 * d, std), &[d, 4 * d])?,
                b_in: var(zeros(4 * d), &[4 * d])?,
                w_out: var(normal(&mut rng, 4 * d * d, resid_std), &[4 * d, d])?,
                b_out: var(zeros(d), &[d])?,
            });
        }
        Ok(Self {
            config,
            vocab,
            wte,
            wpe,
            blocks,
            lnf_g: var(ones(d), &[d])?,
            lnf_b: var(zeros(d), &[d])?,
        })
    }

    /// Every parameter with its name, in a fixed order (the order of files and optimizers).
    pub fn params(&self) -> Vec<(String, &Var)> {
        let mut out = vec![
            ("wte".to_string(), &self.wte),
            ("wpe".to_string(), &self.wpe),
        ];
        for (i, b) in self.blocks.iter().enumerate() {
            for (name, v) in [
                ("ln1.g", &b.ln1_g),
                ("ln1.b", &b.ln1_b),
                ("attn.w_qkv", &b.w_qkv),
                ("attn.b_qkv", &b.b_qkv),
                ("attn.w_o", &b.w_o),
                ("attn.b_o", &b.b_o),
                ("ln2.g", &b.ln2_g),
                ("ln2.b", &b.ln2_b),
                ("mlp.w_in", &b.w_in),
                ("mlp.b_in", &b.b_in),
                ("mlp.w_out", &b.w_out),
                ("mlp.b_out", &b.b_out),
            ] {
                out.push((format!("h{i}.{name}"), v));
            }
        }
        out.push(("ln_f.g".to_string(), &self.lnf_g));
        out.push(("ln_f.b".to_string(), &self.lnf_b));
        out
    }

    pub fn param_count(&self) -> usize {
        self.params().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// A copy that shares no memory with this model: training one never moves the other (a
    /// frozen reference for Part V). `Tensor::detach` would share the weights' storage.
    pub fn deep_copy(&self) -> Result<Self> {
        let copy = |v: &Var| -> Result<Var> { Var::from_tensor(&v.as_tensor().copy()?.detach()) };
        let mut blocks = Vec::new();
        for b in &self.blocks {
            blocks.push(Block {
                ln1_g: copy(&b.ln1_g)?,
                ln1_b: copy(&b.ln1_b)?,
                w_qkv: copy(&b.w_qkv)?,
                b_qkv: copy(&b.b_qkv)?,
                w_o: copy(&b.w_o)?,
                b_o: copy(&b.b_o)?,
                ln2_g: copy(&b.ln2_g)?,
                ln2_b: copy(&b.ln2_b)?,
                w_in: copy(&b.w_in)?,
                b_in: copy(&b.b_in)?,
                w_out: copy(&b.w_out)?,
                b_out: copy(&b.b_out)?,
            });
        }
        Ok(Self {
            config: self.config,
            vocab: self.vocab.clone(),
            wte: copy(&self.wte)?,
            wpe: copy(&self.wpe)?,
            blocks,
            lnf_g: copy(&self.lnf_g)?,
            lnf_b: copy(&self.lnf_b)?,
        })
    }

    /// Logits (B, T, V) for token ids (B, T) u32, T ≤ context. Position t sees tokens 0..=t.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.forward_with(ids, None)?
            .reshape((b, t, self.config.vocab))
    }

    /// The same logits as rows (B·T, V), the shape the loss reads: training calls this, so the
    /// graph it differentiates has no reshape nodes (each costs backpropagation a zeroed
    /// tensor and an addition the size of the logits).
    pub fn forward_rows(&self, ids: &Tensor) -> Result<Tensor> {
        self.forward_with(ids, None)
    }

    /// The same with LoRA adapters added to their projections and every weight of this model
    /// read detached: backpropagation computes gradients for the adapters only.
    pub fn forward_lora(&self, ids: &Tensor, lora: &Lora) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.forward_with(ids, Some(lora))?
            .reshape((b, t, self.config.vocab))
    }

    /// Logits (B·T, V). The residual stream stays (B·T, d) throughout: layer norm, the bias
    /// adds and the products all read it as rows, and only attention needs the (B, T) split.
    fn forward_with(&self, ids: &Tensor, lora: Option<&Lora>) -> Result<Tensor> {
        // A frozen weight is a detached view: no gradient is ever computed for it.
        let w = |v: &Var| -> Tensor {
            if lora.is_some() {
                v.as_tensor().detach()
            } else {
                v.as_tensor().clone()
            }
        };
        // A frozen matrix goes through `frozen::matmul`, whose backward computes no dW at all.
        let mm = |x: &Tensor, v: &Tensor| -> Result<Tensor> {
            if lora.is_some() {
                super::frozen::matmul(x, v)
            } else {
                x.matmul(v)
            }
        };
        let delta = |out: Tensor, d: Result<Option<Tensor>>| -> Result<Tensor> {
            match d? {
                Some(d) => out + d,
                None => Ok(out),
            }
        };
        let (_, t) = ids.dims2()?;
        let c = self.config;
        if t > c.context {
            return Err(candle_core::Error::Msg(format!(
                "{t} tokens do not fit the model's context of {}",
                c.context
            )));
        }
        let (d, h) = (c.d_model, c.heads);
        let tok = w(&self.wte).index_select(&ids.flatten_all()?, 0)?;
        let pos = w(&self.wpe).narrow(0, 0, t)?;
        let mut x = add_rows(&tok, &pos)?;
        for (layer, blk) in self.blocks.iter().enumerate() {
            let a = layer_norm(&x, &w(&blk.ln1_g), &w(&blk.ln1_b))?;
            let qkv = add_rows(&mm(&a, blk.w_qkv.as_tensor())?, &w(&blk.b_qkv))?;
            let qkv = delta(qkv, lora.map_or(Ok(None), |l| l.qkv_delta(layer, &a, d)))?;
            // Split into heads, causal softmax of the scaled scores, weighted sum of values
            // and heads merged back: one operation (`fused::causal_attention`).
            let merged = causal_attention(&qkv, t, h)?;
            let attn = add_rows(&mm(&merged, blk.w_o.as_tensor())?, &w(&blk.b_o))?;
            let attn = delta(
                attn,
                lora.map_or(Ok(None), |l| l.delta(layer, Proj::O, &merged)),
            )?;
            x = (x + attn)?;
            let m = layer_norm(&x, &w(&blk.ln2_g), &w(&blk.ln2_b))?;
            let pre = mm(&m, blk.w_in.as_tensor())?;
            // Without an adapter, bias and ReLU are one operation; with one, its delta goes
            // between them.
            let hidden = match lora.map_or(Ok(None), |l| l.delta(layer, Proj::MlpIn, &m))? {
                Some(dl) => relu(&(add_rows(&pre, &w(&blk.b_in))? + dl)?)?,
                None => add_rows_relu(&pre, &w(&blk.b_in))?,
            };
            let mlp = add_rows(&mm(&hidden, blk.w_out.as_tensor())?, &w(&blk.b_out))?;
            let mlp = delta(
                mlp,
                lora.map_or(Ok(None), |l| l.delta(layer, Proj::MlpOut, &hidden)),
            )?;
            x = (x + mlp)?;
        }
        let x = layer_norm(&x, &w(&self.lnf_g), &w(&self.lnf_b))?;
        mm(&x, &self.wte.as_tensor().t()?)
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
