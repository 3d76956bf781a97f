//! max(0, x) as one custom operation, backward dx = dy where x > 0, else 0.
//!
//! Why: candle differentiates relu with four passes (zeros, a comparison, a conversion, a
//! product), each a new tensor the size of the MLP's hidden layer; here it is one.

use super::{slice, with_values};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "llmf-relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(storage, layout, "relu x")?;
        let out = x.iter().map(|&v| v.max(0.0)).collect();
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, out: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(through_relu(out, dy)?))
    }
}

/// One value of [`through_relu`]: the gradient where the output is positive, else 0.
#[inline(always)]
fn passed(out: f32, dy: f32) -> f32 {
    if out > 0.0 {
        dy
    } else {
        0.0
    }
}

/// The gradient `dy` of a ReLU's output `out` carried back to its input: dy where out > 0
/// (exactly where the input was), else 0. Shared with [`super::add_rows_relu`].
pub(super) fn through_relu(out: &Tensor, dy: &Tensor) -> Result<Tensor> {
    let dx = with_values(out, "relu out", |out| {
        with_values(dy, "relu dy", |dy| {
            out.iter()
                .zip(dy)
                .map(|(&o, &g)| passed(o, g))
                .collect::<Vec<f32>>()
        })
    })??;
    Tensor::from_vec(dx, out.shape(), out.device())
}

/// [`through_relu`] for a linear layer's output rows of `b`'s width, and with it, when `b`
/// needs a gradient, the sum of the result's rows (the bias's gradient, added row after row
/// exactly as [`super::bias::row_sums`] adds them): each row is summed while it is still in
/// the cache, rather than in a second pass over the whole gradient.
pub(super) fn through_relu_summing_rows(
    out: &Tensor,
    dy: &Tensor,
    b: &Tensor,
) -> Result<(Tensor, Option<Tensor>)> {
    let width = b.elem_count();
    if width == 0 || !out.elem_count().is_multiple_of(width) || out.elem_count() != dy.elem_count()
    {
        candle_core::bail!(
            "relu: output {:?} and its gradient {:?} are not rows of the bias's {width}",
            out.dims(),
            dy.dims()
        )
    }
    let sums = b.track_op();
    let (dx, db) = with_values(out, "relu out", |out| {
        with_values(dy, "relu dy", |dy| {
            let mut dx = Vec::with_capacity(dy.len());
            let mut db = vec![0f32; if sums { width } else { 0 }];
            for (o, g) in out.chunks_exact(width).zip(dy.chunks_exact(width)) {
                let start = dx.len();
                dx.extend(o.iter().zip(g).map(|(&o, &g)| passed(o, g)));
                for (d, v) in db.iter_mut().zip(&dx[start..]) {
                    *d += v;
                }
            }
            (dx, db)
        })
    })??;
    let db = if sums {
        Some(Tensor::from_vec(db, b.shape(), b.device())?)
    } else {
        None
    };
    Ok((Tensor::from_vec(dx, out.shape(), out.device())?, db))
}

/// max(0, x), element by element, with its gradient.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Relu)
}
