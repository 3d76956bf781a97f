//! How a forward pass reads the model's weights: the one place where fine-tuning methods plug
//! into the layers of [`super::layers`].
//!
//! - [`Base`]: the weights as they are, every one trained (pre-training, full fine-tuning,
//!   generation). It changes nothing.
//! - [`Lora`]: every weight frozen, and a trainable low-rank correction added at the
//!   projections that have an adapter ([`super::lora`] says why and how).

use super::frozen;
use super::fused::{add_rows, add_rows_plus, add_rows_relu, linear, lora_linear};
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

    /// x · W + b for the linear layer at `site` of block `layer` (then max(0, ·) if `relu`),
    /// the adapter's correction added before the ReLU. Read through `matmul`, `read` and
    /// `correction`; the base model overrides it with one fused operation.
    fn linear(
        &self,
        layer: usize,
        site: Site,
        x: &Tensor,
        (w, b): (&Var, &Var),
        relu: bool,
    ) -> Result<Tensor> {
        let xw = self.matmul(x, w.as_tensor())?;
        let b = self.read(b);
        match (self.correction(layer, site, x)?, relu) {
            (Some(delta), _) => add_rows_plus(&xw, &b, &delta, relu),
            (None, false) => add_rows(&xw, &b),
            (None, true) => add_rows_relu(&xw, &b),
        }
    }
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

    /// One operation for product, bias and ReLU ([`linear`]): the same numbers as the
    /// product and [`add_rows`] / [`add_rows_relu`], with one node fewer in the graph.
    fn linear(
        &self,
        _: usize,
        _: Site,
        x: &Tensor,
        (w, b): (&Var, &Var),
        relu: bool,
    ) -> Result<Tensor> {
        linear(x, w.as_tensor(), b.as_tensor(), relu)
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

    /// One operation for the frozen product, the bias, every adapter of the layer and the
    /// ReLU ([`lora_linear`]): the same numbers as the frozen product, [`Lora::delta`] and
    /// [`add_rows_plus`], with one node in the graph instead of about six per adapter.
    fn linear(
        &self,
        layer: usize,
        site: Site,
        x: &Tensor,
        (w, b): (&Var, &Var),
        relu: bool,
    ) -> Result<Tensor> {
        let out = w.dim(1)?;
        let adapters: Vec<(usize, &Tensor, &Tensor)> = match site {
            Site::Qkv => [Proj::Q, Proj::K, Proj::V]
                .into_iter()
                .enumerate()
                .filter_map(|(third, p)| {
                    let ad = self.find(layer, p)?;
                    Some((third * out / 3, ad.a.as_tensor(), ad.b.as_tensor()))
                })
                .collect(),
            _ => {
                let proj = match site {
                    Site::O => Proj::O,
                    Site::MlpIn => Proj::MlpIn,
                    _ => Proj::MlpOut,
                };
                (self.find(layer, proj).iter())
                    .map(|ad| (0, ad.a.as_tensor(), ad.b.as_tensor()))
                    .collect()
            }
        };
        lora_linear(
            x,
            w.as_tensor(),
            b.as_tensor(),
            &adapters,
            self.scale(),
            relu,
        )
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
