//! Causal multi-head self-attention, from the fused projection to the merged heads, as one
//! custom operation.
//!
//! Input: qkv (B·T, 3d), B sequences of T rows, each row [q | k | v] with head h at columns
//! h·dₕ..(h+1)·dₕ of its part (the layout `x · W_qkv` produces). Output: (B·T, d), head h's
//! result at the same columns. For every sequence and head: sᵢⱼ = qᵢ·kⱼ·scale for j ≤ i (later
//! keys get weight exactly 0), pᵢ = softmax(sᵢ), outᵢ = Σⱼ pᵢⱼ vⱼ.
//!
//! Backward, with g = d out and the weights p kept from the forward pass:
//! dvⱼ = Σᵢ pᵢⱼ gᵢ, dpᵢⱼ = gᵢ·vⱼ, dsᵢⱼ = pᵢⱼ (dpᵢⱼ − Σₗ pᵢₗ dpᵢₗ) · scale,
//! dqᵢ = Σⱼ dsᵢⱼ kⱼ, dkⱼ = Σᵢ dsᵢⱼ qᵢ.
//!
//! How the loops run fast and stay the same bits on every CPU (see [`super::lanes`]): one
//! row of scores is computed lane-wise over the keys j, from a transposed copy of the head's
//! keys (column c of every key side by side), each score still summed over c in order; the
//! exponentials are our own polynomial, lane-wise too; the weighted sums of values (and in
//! the backward pass of keys, queries and output gradients) run lane-wise over a head's dₕ
//! columns, each column summed over positions in order. Rows are padded to whole groups of
//! lanes with weight exactly 0. The whole pass is compiled for the CPU's widest vectors.

use super::lanes::{self, padded, vectorized, weighted_rows, LANES};
use super::{kept, slice, with_values};
use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

struct CausalAttention {
    heads: usize,
    /// Positions per sequence: the input's rows are B sequences of `t` in a row.
    t: usize,
    /// The forward pass's weights, (B, heads, T, T padded to whole lane groups) row by row
    /// (zero above the diagonal), for the backward pass: keeping them costs B·heads·T² floats
    /// and saves recomputing every score and exponential.
    weights: Mutex<Vec<f32>>,
}

/// Where things sit in the qkv and output buffers.
#[derive(Clone, Copy)]
struct Geometry {
    b: usize,
    t: usize,
    /// `t` rounded up to whole lane groups: the stride of a row of weights.
    tp: usize,
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
            tp: padded(t),
            d,
            heads,
            dh,
            scale: 1.0 / (dh as f32).sqrt(),
        })
    }

    /// Floats of kept weights: B·heads blocks of T rows of `tp`.
    fn weights_len(&self) -> usize {
        self.b * self.heads * self.t * self.tp
    }

    /// Where head h of part 0/1/2 (q/k/v) of position i of sequence s starts in a buffer of
    /// rows `parts` × d wide (3 for qkv, 1 for the output).
    #[inline(always)]
    fn at(&self, parts: usize, s: usize, i: usize, part: usize, h: usize) -> usize {
        (s * self.t + i) * parts * self.d + part * self.d + h * self.dh
    }

    /// Head h of part `part` of sequence s, transposed: `into[c·tp + j]` = column c of
    /// position j; the padding columns j ≥ t stay as they are (zero).
    #[inline(always)]
    fn transpose(&self, qkv: &[f32], s: usize, part: usize, h: usize, into: &mut [f32]) {
        assert!(self.t <= self.tp && into.len() >= self.dh * self.tp);
        for j in 0..self.t {
            let row = &qkv[self.at(3, s, j, part, h)..][..self.dh];
            // Rows of `into` by iterator and j < tp asserted: no bounds check per value.
            for (column, &x) in into.chunks_exact_mut(self.tp).zip(row) {
                column[j] = x;
            }
        }
    }
}

/// The forward pass into `out` (B·T, d, zero) and `weights` (see [`CausalAttention`]),
/// appended to `weights` row by row in memory order: built as it is computed, never zeroed
/// first (the padding past each row's last group is written as zeros).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
fn forward(g: &Geometry, qkv: &[f32], out: &mut [f32], weights: &mut Vec<f32>) {
    let (t, tp, dh, row3) = (g.t, g.tp, g.dh, 3 * g.d);
    let mut kt = vec![0f32; dh * tp];
    let mut row = vec![0f32; tp];
    let mut p = vec![0f32; tp];
    for s in 0..g.b {
        for h in 0..g.heads {
            g.transpose(qkv, s, 1, h, &mut kt);
            let values = &qkv[g.at(3, s, 0, 2, h)..];
            // Rows only grow within a head, so past each row's groups `p` holds zeros.
            p.fill(0.0);
            for i in 0..t {
                let (n, m) = (i + 1, padded(i + 1));
                // Scores against keys 0..m (the padding too: cheaper than a shorter tail),
                // then the ones past the diagonal set to −∞, so their weight is exactly 0.
                let scores = &mut row[..m];
                scores.fill(0.0);
                weighted_rows(&qkv[g.at(3, s, i, 0, h)..][..dh], &kt, tp, scores);
                // Whole groups read into arrays before any is written: the compiler cannot
                // tell that `p` and `scores` do not overlap, and would otherwise keep every
                // division (and below, every product) scalar, one element at a time.
                for x in scores.iter_mut() {
                    *x *= g.scale;
                }
                for x in &mut scores[n..] {
                    *x = f32::NEG_INFINITY;
                }
                let max = lanes::max(scores);
                for group in scores.chunks_exact_mut(LANES) {
                    let group: &mut [f32; LANES] = group.try_into().unwrap();
                    for l in 0..LANES {
                        group[l] = lanes::exp(group[l] - max);
                    }
                }
                let sum = lanes::sum(scores);
                for k in (0..m).step_by(LANES) {
                    let e: [f32; LANES] = scores[k..k + LANES].try_into().unwrap();
                    let mut pg = [0f32; LANES];
                    for l in 0..LANES {
                        pg[l] = e[l] / sum;
                    }
                    p[k..k + LANES].copy_from_slice(&pg);
                }
                let o = &mut out[g.at(1, s, i, 0, h)..][..dh];
                weighted_rows(&p[..n], values, row3, o);
                weights.extend_from_slice(&p);
            }
        }
    }
}

/// The backward pass into `dqkv` (zero), from the output's gradient `dout` and the kept
/// `weights`.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
fn backward(g: &Geometry, qkv: &[f32], dout: &[f32], weights: &[f32], dqkv: &mut [f32]) {
    let (t, tp, dh, row3) = (g.t, g.tp, g.dh, 3 * g.d);
    let mut vt = vec![0f32; dh * tp];
    let mut dp = vec![0f32; tp];
    // dsᵢⱼ of one head, row i at i·tp; then one column of ds or p at a time.
    let mut ds = vec![0f32; t * tp];
    let mut column = vec![0f32; t];
    for s in 0..g.b {
        for h in 0..g.heads {
            g.transpose(qkv, s, 2, h, &mut vt);
            let keys = &qkv[g.at(3, s, 0, 1, h)..];
            let block = &weights[(s * g.heads + h) * t * tp..][..t * tp];
            for (i, (p, dsi)) in block
                .chunks_exact(tp)
                .zip(ds.chunks_exact_mut(tp))
                .enumerate()
            {
                let (n, m) = (i + 1, padded(i + 1));
                let dpi = &mut dp[..m];
                dpi.fill(0.0);
                weighted_rows(&dout[g.at(1, s, i, 0, h)..][..dh], &vt, tp, dpi);
                // p is exactly 0 past the diagonal, so the padding adds nothing.
                let mean = lanes::dot(&p[..m], dpi);
                for k in (0..m).step_by(LANES) {
                    let pg: [f32; LANES] = p[k..k + LANES].try_into().unwrap();
                    let dpg: [f32; LANES] = dpi[k..k + LANES].try_into().unwrap();
                    let mut dg = [0f32; LANES];
                    for l in 0..LANES {
                        dg[l] = pg[l] * (dpg[l] - mean) * g.scale;
                    }
                    dsi[k..k + LANES].copy_from_slice(&dg);
                }
                let dq = &mut dqkv[g.at(3, s, i, 0, h)..][..dh];
                weighted_rows(&dsi[..n], keys, row3, dq);
            }
            // Each key and value j: dsᵢⱼ and pᵢⱼ over the rows i ≥ j that see it.
            assert!(t <= tp);
            for j in 0..t {
                let rows = t - j;
                for (c, dsi) in column.iter_mut().zip(ds[j * tp..].chunks_exact(tp)) {
                    *c = dsi[j];
                }
                let dk = &mut dqkv[g.at(3, s, j, 1, h)..][..dh];
                weighted_rows(&column[..rows], &qkv[g.at(3, s, j, 0, h)..], row3, dk);
                for (c, pi) in column.iter_mut().zip(block[j * tp..].chunks_exact(tp)) {
                    *c = pi[j];
                }
                let dv = &mut dqkv[g.at(3, s, j, 2, h)..][..dh];
                weighted_rows(&column[..rows], &dout[g.at(1, s, j, 0, h)..], g.d, dv);
            }
        }
    }
}

/// [`forward`] as a kernel for [`vectorized`].
struct Forward<'a> {
    g: &'a Geometry,
    qkv: &'a [f32],
    out: &'a mut [f32],
    weights: &'a mut Vec<f32>,
}

impl pulp::WithSimd for Forward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        forward(self.g, self.qkv, self.out, self.weights)
    }
}

/// [`backward`] as a kernel for [`vectorized`].
struct Backward<'a> {
    g: &'a Geometry,
    qkv: &'a [f32],
    dout: &'a [f32],
    weights: &'a [f32],
    dqkv: &'a mut [f32],
}

impl pulp::WithSimd for Backward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        backward(self.g, self.qkv, self.dout, self.weights, self.dqkv)
    }
}

impl CustomOp1 for CausalAttention {
    fn name(&self) -> &'static str {
        "llmf-causal-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let qkv = slice(storage, layout, "causal attention qkv")?;
        let g = Geometry::new(layout.dims(), self.t, self.heads)?;
        let mut out = vec![0f32; g.b * g.t * g.d];
        let mut weights = Vec::with_capacity(g.weights_len());
        vectorized(Forward {
            g: &g,
            qkv,
            out: &mut out,
            weights: &mut weights,
        });
        if let Ok(mut kept) = self.weights.lock() {
            *kept = weights;
        }
        Ok((CpuStorage::F32(out), Shape::from((g.b * g.t, g.d))))
    }

    fn bwd(&self, qkv: &Tensor, _out: &Tensor, dout: &Tensor) -> Result<Option<Tensor>> {
        let g = Geometry::new(qkv.dims(), self.t, self.heads)?;
        let weights = kept("causal attention", &self.weights, g.weights_len())?;
        let mut dqkv = vec![0f32; qkv.elem_count()];
        with_values(qkv, "causal attention qkv", |qkv| {
            with_values(dout, "causal attention d out", |dout| {
                vectorized(Backward {
                    g: &g,
                    qkv,
                    dout,
                    weights: &weights,
                    dqkv: &mut dqkv,
                })
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

#[cfg(test)]
mod tests {
    use super::{Backward, Forward, Geometry};
    use crate::labs::lm::rng::Rng;
    use pulp::Simd;

    /// Output, weights and input gradient of one forward and backward pass, compiled for
    /// `simd`'s instruction set.
    fn run<S: Simd>(simd: S, g: &Geometry, qkv: &[f32], dout: &[f32]) -> [Vec<f32>; 3] {
        let mut out = vec![0f32; g.b * g.t * g.d];
        let mut weights = Vec::new();
        simd.vectorize(Forward {
            g,
            qkv,
            out: &mut out,
            weights: &mut weights,
        });
        let mut dqkv = vec![0f32; qkv.len()];
        simd.vectorize(Backward {
            g,
            qkv,
            dout,
            weights: &weights,
            dqkv: &mut dqkv,
        });
        [out, weights, dqkv]
    }

    /// The baseline build (SSE2: 4 lanes), AVX2 (8) and AVX-512 (16) where this CPU has them:
    /// the same bits, as `lanes` promises, at a shape with positions past a lane group and a
    /// head width that is not a whole group.
    #[test]
    fn attention_is_the_same_bits_at_every_vector_width() {
        let mut rng = Rng::new(31);
        for (b, t, d, heads) in [(2, 21, 24, 2), (1, 64, 96, 4), (3, 9, 8, 1)] {
            let g = Geometry::new(&[b * t, 3 * d], t, heads).unwrap();
            let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.normal() as f32).collect() };
            let (qkv, dout) = (draw(b * t * 3 * d), draw(b * t * d));
            let bits =
                |v: [Vec<f32>; 3]| v.map(|x| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>());
            let scalar = bits(run(pulp::Scalar::new(), &g, &qkv, &dout));
            #[cfg(target_arch = "x86_64")]
            {
                if let Some(v3) = pulp::x86::V3::try_new() {
                    assert!(
                        bits(run(v3, &g, &qkv, &dout)) == scalar,
                        "AVX2 differs at {t}×{d}"
                    );
                }
                #[cfg(feature = "avx512")]
                if let Some(v4) = pulp::x86::V4::try_new() {
                    assert!(
                        bits(run(v4, &g, &qkv, &dout)) == scalar,
                        "AVX-512 differs at {t}×{d}"
                    );
                }
            }
            assert!(scalar[0].iter().all(|&x| f32::from_bits(x).is_finite()));
        }
    }
}
