//! Layer norm over the last dimension as one custom operation:
//! y = (x − mean)/√(var + ε) · γ + β, variance with 1/n as in GPT-2.
//!
//! Backward, with x̂ = (x − mean)·r and r = 1/√(var + ε), per row of n values:
//! dβ = Σ_rows dy, dγ = Σ_rows dy·x̂, and with g = dy·γ,
//! dx = r · (g − mean(g) − x̂ · mean(g·x̂)).

use super::lanes::{self, vectorized};
use super::{kept, rows, slice, with_values};
use crate::labs::lm::ops::LN_EPS;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

struct LayerNorm {
    /// Each row's mean and 1/√(var + ε) from the forward pass, for the backward pass: the
    /// same numbers it would recompute, without two more passes over every row.
    stats: Mutex<Vec<(f32, f32)>>,
}

/// The mean and 1/√(var + ε) of one row, each sum in the fixed order of [`lanes::sum`].
#[inline(always)]
fn stats(row: &[f32]) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = lanes::sum(row) / n;
    let var = lanes::sum_sq_from(row, mean) / n;
    (mean, 1.0 / (var + LN_EPS as f32).sqrt())
}

/// The forward pass over rows of γ's width: y, and each row's statistics.
struct Forward<'a> {
    x: &'a [f32],
    gamma: &'a [f32],
    beta: &'a [f32],
    y: &'a mut Vec<f32>,
    stats: &'a mut Vec<(f32, f32)>,
}

impl pulp::WithSimd for Forward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let (gamma, beta) = (self.gamma, self.beta);
        for row in self.x.chunks_exact(gamma.len()) {
            let (mean, r) = stats(row);
            self.stats.push((mean, r));
            let normed = row.iter().zip(gamma).zip(beta);
            self.y
                .extend(normed.map(|((x, g), b)| (x - mean) * r * g + b));
        }
    }
}

/// The backward pass: dx, dγ and dβ (zero) from dy and the kept statistics.
struct Backward<'a> {
    x: &'a [f32],
    gamma: &'a [f32],
    dy: &'a [f32],
    stats: &'a [(f32, f32)],
    dx: &'a mut Vec<f32>,
    dgamma: &'a mut [f32],
    dbeta: &'a mut [f32],
}

impl pulp::WithSimd for Backward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let n = self.gamma.len();
        let (mut xhat, mut g) = (vec![0f32; n], vec![0f32; n]);
        let rows = self.x.chunks_exact(n).zip(self.dy.chunks_exact(n));
        for ((row, drow), &(mean, r)) in rows.zip(self.stats) {
            // One length for every slice, so the loop runs without bounds checks, lane-wise.
            let (row, drow, gamma) = (&row[..n], &drow[..n], &self.gamma[..n]);
            let (dgamma, dbeta) = (&mut self.dgamma[..n], &mut self.dbeta[..n]);
            let (xhat, g) = (&mut xhat[..n], &mut g[..n]);
            for k in 0..n {
                xhat[k] = (row[k] - mean) * r;
                dgamma[k] += drow[k] * xhat[k];
                dbeta[k] += drow[k];
                g[k] = drow[k] * gamma[k];
            }
            let mean_g = lanes::sum(g) / n as f32;
            let mean_gx = lanes::dot(g, xhat) / n as f32;
            let terms = g.iter().zip(xhat.iter());
            self.dx
                .extend(terms.map(|(g, xhat)| r * (g - mean_g - xhat * mean_gx)));
        }
    }
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "llmf-layer-norm"
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
        let x = slice(s1, l1, "layer norm x")?;
        let (gamma, beta) = (
            slice(s2, l2, "layer norm γ")?,
            slice(s3, l3, "layer norm β")?,
        );
        let n = gamma.len();
        if rows("layer norm", "β", l3.dims(), n, false)? != 1 {
            bail!("layer norm: β {:?} must hold γ's {n} values", l3.dims())
        }
        rows("layer norm", "x", l1.dims(), n, true)?;
        // Filled row by row as computed, never zeroed first.
        let mut y = Vec::with_capacity(x.len());
        let mut kept = Vec::with_capacity(x.len() / n);
        vectorized(Forward {
            x,
            gamma,
            beta,
            y: &mut y,
            stats: &mut kept,
        });
        if let Ok(mut stats) = self.stats.lock() {
            *stats = kept;
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let n = gamma.elem_count();
        let kept = kept(
            "layer norm",
            &self.stats,
            rows("layer norm", "x", x.dims(), n, true)?,
        )?;
        let mut dx = Vec::with_capacity(x.elem_count());
        let (mut dgamma, mut dbeta) = (vec![0f32; n], vec![0f32; n]);
        with_values(x, "layer norm x", |x| {
            with_values(gamma, "layer norm γ", |gamma| {
                with_values(dy, "layer norm dy", |dy| {
                    vectorized(Backward {
                        x,
                        gamma,
                        dy,
                        stats: &kept,
                        dx: &mut dx,
                        dgamma: &mut dgamma,
                        dbeta: &mut dbeta,
                    })
                })
            })
        })???;
        let grad = |values: Vec<f32>, like: &Tensor| -> Result<Option<Tensor>> {
            if like.track_op() {
                Ok(Some(Tensor::from_vec(values, like.shape(), like.device())?))
            } else {
                Ok(None)
            }
        };
        Ok((grad(dx, x)?, grad(dgamma, gamma)?, grad(dbeta, beta)?))
    }
}

/// Layer norm of `x` over its last dimension, with gain `gamma` and bias `beta` (both of that
/// dimension's size); gradients flow to all three.
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(
        &gamma.contiguous()?,
        &beta.contiguous()?,
        LayerNorm {
            stats: Mutex::new(Vec::new()),
        },
    )
}
