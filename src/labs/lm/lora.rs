//! LoRA (Hu et al. 2021, arXiv:2106.09685): the pre-trained weights stay frozen and each chosen
//! projection learns a low-rank correction, W = W₀ + (α/r)·ΔW with ΔW of rank r.
//!
//! The model stores a layer as x·W (W is in × out), so the correction is written the same way:
//! x·W₀ + (α/r)·(x·A)·B with A (in × r) and B (r × out). In the paper's column convention this
//! is ΔW = BA; only the names of the two factors' sides differ. A starts random (normal, std
//! 1/√in, so x·A has entries of order 1), B starts at zero: ΔW = 0 and the model's output at
//! step 0 is exactly the pre-trained one.
//!
//! Frozen means frozen: in [`super::Model::forward_lora`] the layers read their weights through
//! LoRA's adapter (`super::adapter`), so every base matrix is applied by an operation whose
//! backward pass computes the input's gradient only ([`super::fused::lora_linear`] for a
//! projection with its bias and adapters, [`super::frozen::matmul`] for the output layer), and
//! the small vectors (layer norms, biases, embeddings) are read detached. No weight gradient of a
//! big matrix is computed and thrown away, which is where LoRA's training-time saving comes from
//! (with no optimizer moments for the base).
//!
//! [`Lora::merged`] adds (α/r)·A·B into W₀: the merged model is an ordinary model, with no
//! extra work per token.

use super::config::Config;
use super::model::Model;
use super::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};

/// A projection an adapter can sit on. Q, K and V are thirds of the fused W_qkv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proj {
    Q,
    K,
    V,
    O,
    MlpIn,
    MlpOut,
}

impl Proj {
    pub const ALL: [Proj; 6] = [
        Proj::Q,
        Proj::K,
        Proj::V,
        Proj::O,
        Proj::MlpIn,
        Proj::MlpOut,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Proj::Q => "W_q",
            Proj::K => "W_k",
            Proj::V => "W_v",
            Proj::O => "W_o",
            Proj::MlpIn => "W_in",
            Proj::MlpOut => "W_out",
        }
    }

    /// (inputs, outputs) of the projection in a model of width `d` (the MLP is 4d wide).
    pub fn shape(self, d: usize) -> (usize, usize) {
        match self {
            Proj::Q | Proj::K | Proj::V | Proj::O => (d, d),
            Proj::MlpIn => (d, 4 * d),
            Proj::MlpOut => (4 * d, d),
        }
    }

    /// Which third of W_qkv this is, for Q, K and V.
    fn qkv_slot(self) -> Option<usize> {
        match self {
            Proj::Q => Some(0),
            Proj::K => Some(1),
            Proj::V => Some(2),
            _ => None,
        }
    }
}

/// The paper's main choice for GPT-3: adapt only the query and value projections.
pub const QV: [Proj; 2] = [Proj::Q, Proj::V];

/// Trainable parameters of rank-`rank` adapters on `targets` in every layer:
/// layers · Σ r·(in + out). Written from the shapes, independently of [`Lora::trainable`].
pub fn count(config: &Config, rank: usize, targets: &[Proj]) -> usize {
    let per_layer: usize = targets
        .iter()
        .map(|p| {
            let (i, o) = p.shape(config.d_model);
            rank * (i + o)
        })
        .sum();
    config.layers * per_layer
}

/// One adapter: its place, A (in × r) and B (r × out).
pub struct Adapter {
    pub layer: usize,
    pub proj: Proj,
    pub a: Var,
    pub b: Var,
}

/// A set of adapters for one model.
pub struct Lora {
    pub rank: usize,
    pub alpha: f64,
    pub adapters: Vec<Adapter>,
}

impl Lora {
    /// Adapters of rank `rank` on `targets` in every layer of `model`, A drawn from `seed`,
    /// B = 0.
    pub fn new(
        model: &Model,
        rank: usize,
        alpha: f64,
        targets: &[Proj],
        seed: u64,
    ) -> Result<Self> {
        if rank == 0 || targets.is_empty() {
            return Err(candle_core::Error::Msg(
                "LoRA needs a rank of at least 1 and at least one target".into(),
            ));
        }
        let d = model.config.d_model;
        let mut rng = Rng::new(seed ^ 0x10_4A);
        let mut adapters = Vec::new();
        for layer in 0..model.config.layers {
            for &proj in targets {
                let (i, o) = proj.shape(d);
                let std = 1.0 / (i as f64).sqrt();
                let a: Vec<f32> = (0..i * rank).map(|_| (rng.normal() * std) as f32).collect();
                adapters.push(Adapter {
                    layer,
                    proj,
                    a: Var::from_tensor(&Tensor::from_vec(a, (i, rank), &Device::Cpu)?)?,
                    b: Var::zeros((rank, o), candle_core::DType::F32, &Device::Cpu)?,
                });
            }
        }
        Ok(Self {
            rank,
            alpha,
            adapters,
        })
    }

    /// α/r, the factor in front of every correction.
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }

    /// The parameters training changes: every A and B.
    pub fn vars(&self) -> Vec<&Var> {
        self.adapters.iter().flat_map(|a| [&a.a, &a.b]).collect()
    }

    pub fn trainable(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }

    pub(crate) fn find(&self, layer: usize, proj: Proj) -> Option<&Adapter> {
        self.adapters
            .iter()
            .find(|a| a.layer == layer && a.proj == proj)
    }

    /// (α/r)·x·A·B for the adapter at (`layer`, `proj`), x of shape (n, in); None if that
    /// projection has no adapter.
    ///
    /// The product starts on the cheap side, x·A (n, r), and α/r scales that thin product
    /// rather than the (n, out) result: r numbers a row instead of out, forward and backward.
    /// The result is the same, exactly so when α/r is a power of two (as for every rank the
    /// course offers with α = 8): scaling by 2ᵏ is exact, so every product and sum is too.
    pub(crate) fn delta(&self, layer: usize, proj: Proj, x: &Tensor) -> Result<Option<Tensor>> {
        let Some(ad) = self.find(layer, proj) else {
            return Ok(None);
        };
        let low = (x.matmul(ad.a.as_tensor())? * self.scale())?;
        Ok(Some(low.matmul(ad.b.as_tensor())?))
    }

    /// The correction to the fused W_qkv's output (n, 3d): Q, K and V deltas side by side,
    /// zeros where a third has no adapter; None when none of the three has one.
    pub(crate) fn qkv_delta(&self, layer: usize, x: &Tensor, d: usize) -> Result<Option<Tensor>> {
        let n = x.dim(0)?;
        let mut parts = Vec::with_capacity(3);
        let mut any = false;
        for proj in [Proj::Q, Proj::K, Proj::V] {
            match self.delta(layer, proj, x)? {
                Some(t) => {
                    any = true;
                    parts.push(t);
                }
                None => parts.push(Tensor::zeros((n, d), x.dtype(), x.device())?),
            }
        }
        if any {
            Ok(Some(Tensor::cat(&parts, 1)?))
        } else {
            Ok(None)
        }
    }

    /// A copy of `model` with every (α/r)·A·B added into its weight: an ordinary model that
    /// computes what the adapted one does, at the base model's cost per token.
    pub fn merged(&self, model: &Model) -> Result<Model> {
        let out = model.deep_copy()?;
        let d = model.config.d_model;
        for ad in &self.adapters {
            let delta = (ad.a.as_tensor().matmul(ad.b.as_tensor())? * self.scale())?;
            let blk = &out.blocks[ad.layer];
            let (var, delta) = match ad.proj.qkv_slot() {
                Some(slot) => {
                    let mut thirds = vec![Tensor::zeros((d, d), delta.dtype(), delta.device())?; 3];
                    thirds[slot] = delta;
                    (&blk.attn.qkv.w, Tensor::cat(&thirds, 1)?)
                }
                None => match ad.proj {
                    Proj::O => (&blk.attn.o.w, delta),
                    Proj::MlpIn => (&blk.mlp.up.w, delta),
                    _ => (&blk.mlp.down.w, delta),
                },
            };
            var.set(&(var.as_tensor() + delta)?)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
