//! A whole linear layer as one custom operation: y = x · W + b, then max(0, ·) if asked (the
//! MLP's widening layer), x (n, in), W (in, out), b (out).
//!
//! Why: as a matrix product followed by [`super::add_rows`], the layer was two nodes of the
//! graph, and candle's backward pass gives every gradient it routes a zeroed tensor of its own
//! and adds into it. The product's (n, out) output gradient was one such tensor per layer (and
//! the forward pass copied the product once more to add the bias). As one node, the bias is
//! added into the product's own buffer and the output gradient goes straight into the two
//! products of the backward pass.
//!
//! The arithmetic is the one the two nodes did, in the same order and through the same calls:
//! the product is candle's (gemm), the bias is added after it; backward computes dx = dy · Wᵀ
//! and dW = xᵀ · dy exactly as candle's matmul backward does and db as the rows' sum. So a
//! model trains bit for bit as it did with the two nodes (`examples/fingerprint.rs`).

use super::{rows, slice};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

struct Linear {
    relu: bool,
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        if self.relu {
            "llmf-linear-relu"
        } else {
            "llmf-linear"
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = l1.shape().dims2()?;
        let (k2, m) = l2.shape().dims2()?;
        if k != k2 {
            bail!("linear: x is {n}×{k} but W is {k2}×{m}")
        }
        let b = slice(s3, l3, "linear b")?;
        if rows("linear", "b", l3.dims(), m, false)? != 1 {
            bail!("linear: b {:?} must hold W's {m} outputs", l3.dims())
        }
        let CpuStorage::F32(mut out) = s1.matmul(s2, (1, n, m, k), l1, l2)? else {
            bail!("linear: the model lab computes in f32")
        };
        // Bias and ReLU in one pass over the product (the same two operations per value).
        for row in out.chunks_exact_mut(m) {
            if self.relu {
                for (o, b) in row.iter_mut().zip(b) {
                    *o = (*o + b).max(0.0);
                }
            } else {
                for (o, b) in row.iter_mut().zip(b) {
                    *o += b;
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (grad, db) = if self.relu {
            super::relu::through_relu_summing_rows(out, grad, b)?
        } else {
            (grad.clone(), super::bias::row_sums(b, grad)?)
        };
        // Candle's matmul backward, term for term: dx = dy · Wᵀ, dW = xᵀ · dy.
        let dx = x
            .track_op()
            .then(|| grad.matmul(&w.detach().t()?))
            .transpose()?;
        let dw = w
            .track_op()
            .then(|| x.detach().t()?.matmul(&grad))
            .transpose()?;
        Ok((dx, dw, db))
    }
}

/// x · W + b for x (n, in), W (in, out), b (out); then max(0, ·) if `relu`. Gradients flow to
/// all three.
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor, relu: bool) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, Linear { relu })
}
