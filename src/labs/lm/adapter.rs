//! How a forward pass reads the model's weights: the one place where fine-tuning methods plug
//! into the layers of [`super::layers`].
//!
//! - [`Base`]: the weights as they are, every one trained (pre-training, full fine-tuning,
//!   generation). It changes nothing.
//! - [`Lora`]: every weight frozen, and a trainable low-rank correction added at the
//!   projections that have an adapter ([`super::lora`] says why and how).

use super::frozen;
use super::layers::Site;
use super::lora::{Lora, Proj};
use candle_core::{Result, Tensor, Var};

pub(crate) trait Adapt {
    /// A small weight (layer-norm gain, bias, embedding table) as the pass uses it.
    fn read(&self, v: &Var) -> Tensor;
    /// x · W for one of the model's matrices W.
    fn matmul(&self, x: &Tensor, w: &Tensor) -> Result<Tensor>;
    /// What to add to the output of `site` in block `layer` for its input x (None: nothing).
    fn correction(&self, layer: usize, site: Site, x: &Tensor) -> Result<Option<Tensor>>;
}

/// The model itself: no adapter.
pub(crate) struct Base;

impl Adapt for Base {
    fn read(&self, v: &Var) -> Tensor {
        v.as_tensor().clone()
    }

    fn matmul(&self, x: &Tensor, w: &Tensor) -> Result<Tensor> {
        x.matmul(w)
    }

    fn correction(&self, _: usize, _: Site, _: &Tensor) -> Result<Option<Tensor>> {
        Ok(None)
    }
}

impl Adapt for Lora {
    /// A detached view: no gradient is ever computed for a frozen weight.
    fn read(&self, v: &Var) -> Tensor {
        v.as_tensor().detach()
    }

    /// Through [`frozen::matmul`], whose backward computes no gradient for W at all.
    fn matmul(&self, x: &Tensor, w: &Tensor) -> Result<Tensor> {
        frozen::matmul(x, w)
    }

    fn correction(&self, layer: usize, site: Site, x: &Tensor) -> Result<Option<Tensor>> {
        match site {
            Site::Qkv => self.qkv_delta(layer, x, x.dim(1)?),
            Site::O => self.delta(layer, Proj::O, x),
            Site::MlpIn => self.delta(layer, Proj::MlpIn, x),
            Site::MlpOut => self.delta(layer, Proj::MlpOut, x),
        }
    }
}
