//! Causal multi-head self-attention, from the fused projection to the merged heads, as one
//! custom operation.
//!
//! Input: qkv (B·T, 3d), B sequences of T rows, each row [q | k | v] with head h at columns
//! h·dₕ..(h+1)·dₕ of its part (the layout `x · W_qkv` produces). Output: (B·T, d), head h's
//! result at the same columns. For every sequence and head: sᵢⱼ = qᵢ·kⱼ·scale for j ≤ i (later keys get weight
//! exactly 0), pᵢ = softmax(sᵢ), outᵢ = Σⱼ pᵢⱼ vⱼ.
//!
//! Backward, with g = d out and the weights p kept from the forward pass:
//! dvⱼ += pᵢⱼ gᵢ, dpᵢⱼ = gᵢ·vⱼ, dsᵢⱼ = pᵢⱼ (dpᵢⱼ − Σₗ pᵢₗ dpᵢₗ) · scale,
//! dqᵢ += dsᵢⱼ kⱼ, dkⱼ += dsᵢⱼ qᵢ.

use super::{axpy, dot, kept, slice, with_values};
use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

struct CausalAttention {
    heads: usize,
    /// Positions per sequence: the input's rows are B sequences of `t` in a row.
    t: usize,
    /// The forward pass's weights, (B, heads, T, T) row by row (zero above the diagonal),
    /// for the backward pass: keeping them costs B·heads·T² floats and saves recomputing
    /// every score and exponential.
    weights: Mutex<Vec<f32>>,
}

/// Where things sit in the qkv and output buffers.
#[derive(Clone, Copy)]
struct Geometry {
    b: usize,
    t: usize,
    d: usize,
    heads: usize,
    dh: usize,
    scale: f32,
}

impl Geometry {
    /// The geometry of qkv `dims` = (B·T, 3d) read as sequences of `t` positions.
    fn new(dims: &[usize], t: usize, heads: usize) -> Result<Self> {
        let &[rows, three_d] = dims else {
            bail!("causal attention: qkv must be (B·T, 3d), got {dims:?}")
        };
        if t == 0 || rows % t != 0 {
            bail!("causal attention: {rows} rows are not whole sequences of {t}")
        }
        let b = rows / t;
        let d = three_d / 3;
        if heads == 0 || three_d % 3 != 0 || d % heads != 0 {
            bail!("causal attention: width {three_d} is not 3 × a multiple of {heads} heads")
        }
        let dh = d / heads;
        Ok(Self {
            b,
            t,
            d,
            heads,
            dh,
            scale: 1.0 / (dh as f32).sqrt(),
        })
    }

    /// Copies part 0/1/2 (q/k/v) of head h of sequence s into `into` (T rows of dₕ).
    fn gather(&self, qkv: &[f32], s: usize, part: usize, h: usize, into: &mut [f32]) {
        let dh = self.dh;
        for (i, row) in into.chunks_exact_mut(dh).enumerate() {
            let at = (s * self.t + i) * 3 * self.d + part * self.d + h * dh;
            row.copy_from_slice(&qkv[at..at + dh]);
        }
    }

    /// Adds `from` (T rows of dₕ) into head h of sequence s of a buffer of width `width`
    /// whose head columns start at `column`.
    fn scatter(
        &self,
        from: &[f32],
        s: usize,
        h: usize,
        column: usize,
        width: usize,
        into: &mut [f32],
    ) {
        let dh = self.dh;
        for (i, row) in from.chunks_exact(dh).enumerate() {
            let at = (s * self.t + i) * width + column + h * dh;
            for (o, v) in into[at..at + dh].iter_mut().zip(row) {
                *o += v;
            }
        }
    }
}

impl CustomOp1 for CausalAttention {
    fn name(&self) -> &'static str {
        "llmf-causal-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let qkv = slice(storage, layout, "causal attention qkv")?;
        let g = Geometry::new(layout.dims(), self.t, self.heads)?;
        let (t, dh) = (g.t, g.dh);
        let mut out = vec![0f32; g.b * t * g.d];
        let mut weights = vec![0f32; g.b * g.heads * t * t];
        let (mut q, mut k, mut v, mut o) = (
            vec![0f32; t * dh],
            vec![0f32; t * dh],
            vec![0f32; t * dh],
            vec![0f32; t * dh],
        );
        for s in 0..g.b {
            for h in 0..g.heads {
                g.gather(qkv, s, 0, h, &mut q);
                g.gather(qkv, s, 1, h, &mut k);
                g.gather(qkv, s, 2, h, &mut v);
                o.fill(0.0);
                let block = &mut weights[(s * g.heads + h) * t * t..][..t * t];
                for (i, p) in block.chunks_exact_mut(t).enumerate() {
                    let qi = &q[i * dh..][..dh];
                    let mut max = f32::NEG_INFINITY;
                    for (j, pj) in p[..=i].iter_mut().enumerate() {
                        *pj = dot(qi, &k[j * dh..][..dh]) * g.scale;
                        max = max.max(*pj);
                    }
                    let mut sum = 0f32;
                    for pj in &mut p[..=i] {
                        *pj = (*pj - max).exp();
                        sum += *pj;
                    }
                    let oi = &mut o[i * dh..][..dh];
                    for (j, pj) in p[..=i].iter_mut().enumerate() {
                        *pj /= sum;
                        axpy(oi, *pj, &v[j * dh..][..dh]);
                    }
                }
                g.scatter(&o, s, h, 0, g.d, &mut out);
            }
        }
        if let Ok(mut kept) = self.weights.lock() {
            *kept = weights;
        }
        Ok((CpuStorage::F32(out), Shape::from((g.b * t, g.d))))
    }

    fn bwd(&self, qkv: &Tensor, _out: &Tensor, dout: &Tensor) -> Result<Option<Tensor>> {
        let g = Geometry::new(qkv.dims(), self.t, self.heads)?;
        let (t, dh) = (g.t, g.dh);
        let weights = kept("causal attention", &self.weights, g.b * g.heads * t * t)?;
        let mut dqkv = vec![0f32; qkv.elem_count()];
        let buf = || vec![0f32; t * dh];
        let (mut q, mut k, mut v, mut go) = (buf(), buf(), buf(), buf());
        let (mut dq, mut dk, mut dv) = (buf(), buf(), buf());
        let mut dp = vec![0f32; t];
        with_values(qkv, "causal attention qkv", |qkv| {
            with_values(dout, "causal attention d out", |dout| {
                for s in 0..g.b {
                    for h in 0..g.heads {
                        g.gather(qkv, s, 0, h, &mut q);
                        g.gather(qkv, s, 1, h, &mut k);
                        g.gather(qkv, s, 2, h, &mut v);
                        for (i, row) in go.chunks_exact_mut(dh).enumerate() {
                            let at = (s * t + i) * g.d + h * dh;
                            row.copy_from_slice(&dout[at..at + dh]);
                        }
                        dq.fill(0.0);
                        dk.fill(0.0);
                        dv.fill(0.0);
                        let block = &weights[(s * g.heads + h) * t * t..][..t * t];
                        for (i, p) in block.chunks_exact(t).enumerate() {
                            let gi = &go[i * dh..][..dh];
                            let mut mean = 0f32;
                            for j in 0..=i {
                                dp[j] = dot(gi, &v[j * dh..][..dh]);
                                mean += p[j] * dp[j];
                            }
                            let qi = &q[i * dh..][..dh];
                            let dqi = &mut dq[i * dh..][..dh];
                            for j in 0..=i {
                                let ds = p[j] * (dp[j] - mean) * g.scale;
                                axpy(&mut dv[j * dh..][..dh], p[j], gi);
                                axpy(dqi, ds, &k[j * dh..][..dh]);
                                axpy(&mut dk[j * dh..][..dh], ds, qi);
                            }
                        }
                        g.scatter(&dq, s, h, 0, 3 * g.d, &mut dqkv);
                        g.scatter(&dk, s, h, g.d, 3 * g.d, &mut dqkv);
                        g.scatter(&dv, s, h, 2 * g.d, 3 * g.d, &mut dqkv);
                    }
                }
            })
        })??;
        Ok(Some(Tensor::from_vec(dqkv, qkv.shape(), qkv.device())?))
    }
}

/// Causal self-attention over `heads` heads: qkv (B·T, 3d), B sequences of `t` positions one
/// after another, → (B·T, d). Gradients flow to qkv. Rows rather than (B, T, 3d), so the
/// model's graph needs no reshape nodes around it.
pub fn causal_attention(qkv: &Tensor, t: usize, heads: usize) -> Result<Tensor> {
    qkv.contiguous()?.apply_op1(CausalAttention {
        heads,
        t,
        weights: Mutex::new(Vec::new()),
    })
}
