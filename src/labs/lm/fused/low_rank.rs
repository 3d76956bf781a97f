//! A frozen linear layer with LoRA's low-rank corrections, as one custom operation:
//! y = (x · W₀ + b₀) + Σⱼ (s · (x · Aⱼ)) · Bⱼ, then max(0, ·) if asked, where correction j
//! writes the columns `column`.. of y (a third of the fused W_qkv, or all of a projection's
//! outputs) and W₀, b₀ are frozen (held by the operation, never differentiated).
//!
//! Why: built from basic operations, each adapter was five nodes of the graph (two products,
//! the scale, a concatenation for W_qkv with zero thirds, the sum), and candle's backward pass
//! gives every gradient it routes a zeroed tensor of its own and adds into it: several tensors
//! the size of the layer's output per adapter, forward and backward, which cost more than the
//! weight-gradient products LoRA skips. Here the thin products are the only new values.
//!
//! The adapters' A and B reach the operation as one flat tensor (every Aⱼ then Bⱼ, flattened,
//! concatenated), so a layer with any number of adapters stays one node; each factor is read
//! back as a contiguous stretch of it, the layout its own variable has.
//!
//! The frozen product x · W₀ and its backward g · W₀ᵀ are candle's (the same products a full
//! fine-tuning step makes). The thin products with A and B (rank r ≤ a few dozen) are our own
//! loops in [`super::lanes`]: every sum in an order the code fixes, so a LoRA run gives the
//! same bits on every CPU. (Through the matrix library, a rank-1 product took a path whose
//! order of additions depends on the CPU's vector width, and a quoted loss moved between an
//! AVX2 and an AVX-512 machine.) They also cost less than a library call each on such shapes.

use super::lanes::{self, vectorized, weighted_rows};
use super::{kept, slice, with_values};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Storage, Tensor};
use std::sync::Mutex;

/// One adapter as the operation sees it.
#[derive(Clone, Copy)]
struct Part {
    /// Its first output column in y.
    column: usize,
    rank: usize,
    /// Outputs it writes (its B's width).
    width: usize,
    /// Where its A (in × rank) and B (rank × width) start in the flat parameter tensor.
    at_a: usize,
    at_b: usize,
}

struct LowRank {
    /// W₀ (in, out), contiguous, and b₀ (out): frozen.
    w: Tensor,
    b: Tensor,
    scale: f32,
    relu: bool,
    parts: Vec<Part>,
    /// s · (x · Aⱼ) of every part, (n, rankⱼ) row by row, one part after another: the
    /// backward pass needs them for the gradient of B.
    lows: Mutex<Vec<f32>>,
}

/// `m` (rows × cols, row by row) transposed: cols × rows.
#[inline(always)]
fn transposed(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; m.len()];
    for (i, row) in m.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + i] = v;
        }
    }
    t
}

/// The shapes and values one pass reads.
struct Shapes<'a> {
    parts: &'a [Part],
    scale: f32,
    relu: bool,
    /// Rows of x, inputs (x's width), outputs (y's width).
    n: usize,
    k: usize,
    m: usize,
    /// The flat adapter parameters (empty without adapters).
    p: &'a [f32],
}

impl Shapes<'_> {
    fn total_rank(parts: &[Part]) -> usize {
        parts.iter().map(|p| p.rank).sum()
    }
}

/// scale · (row i of `x` · row c of `ys`) for every row i of x (rows `stride` apart, each
/// `len` long) and every row c of `ys` (`len` apart), handed to `put(i, c, value)`. Four rows
/// of x at a time, against every row of `ys` while those four are at hand: four sums are in
/// flight at once, and x is read once however many rows `ys` has.
#[inline(always)]
fn row_dots(
    x: &[f32],
    stride: usize,
    ys: &[f32],
    len: usize,
    scale: f32,
    mut put: impl FnMut(usize, usize, f32),
) {
    let n = (x.len() + stride - len) / stride;
    let row = |i: usize| &x[i * stride..][..len];
    let mut i = 0;
    while i + 4 <= n {
        let rows = [row(i), row(i + 1), row(i + 2), row(i + 3)];
        for (c, y) in ys.chunks_exact(len).enumerate() {
            for (j, v) in lanes::dots(rows, y).into_iter().enumerate() {
                put(i + j, c, v * scale);
            }
        }
        i += 4;
    }
    for i in i..n {
        for (c, y) in ys.chunks_exact(len).enumerate() {
            put(i, c, lanes::dot(row(i), y) * scale);
        }
    }
}

/// After the frozen product is in `out`: the bias, each adapter's correction and the ReLU,
/// row by row; each part's s · (x · A) kept in `lows`.
#[inline(always)]
fn forward_rows(sh: &Shapes, x: &[f32], bias: &[f32], out: &mut [f32], lows: &mut [f32]) {
    let (n, k, m) = (sh.n, sh.k, sh.m);
    // Aᵀ of each part, so a row's x · A is `rank` dot products of contiguous rows.
    let a_t: Vec<Vec<f32>> = (sh.parts.iter())
        .map(|part| transposed(&sh.p[part.at_a..][..k * part.rank], k, part.rank))
        .collect();
    let mut before = 0;
    for (part, a_t) in sh.parts.iter().zip(&a_t) {
        let r = part.rank;
        let low = &mut lows[before * n..][..n * r];
        row_dots(x, k, a_t, k, sh.scale, |i, c, v| low[i * r + c] = v);
        before += r;
    }
    for (i, row) in out.chunks_exact_mut(m).enumerate().take(n) {
        for (o, b) in row.iter_mut().zip(bias) {
            *o += b;
        }
        let mut before = 0;
        for part in sh.parts {
            let (r, width) = (part.rank, part.width);
            let low = &lows[before * n + i * r..][..r];
            let b = &sh.p[part.at_b..][..r * width];
            weighted_rows(low, b, width, &mut row[part.column..][..width]);
            before += r;
        }
        if sh.relu {
            for o in row.iter_mut() {
                *o = if *o > 0.0 { *o } else { 0.0 };
            }
        }
    }
}

/// The adapters' gradients into `dp` (laid out as the flat parameters, zero) and, when `dx`
/// is given (holding the frozen product's term g · W₀ᵀ), each adapter's term added to it.
/// `g` is the gradient of y (after the ReLU's mask), `lows` what the forward pass kept.
#[inline(always)]
fn backward_rows(
    sh: &Shapes,
    x: &[f32],
    g: &[f32],
    lows: &[f32],
    mut dx: Option<&mut [f32]>,
    dp: &mut [f32],
) {
    let (n, k, m) = (sh.n, sh.k, sh.m);
    let mut before = 0;
    for part in sh.parts {
        let (r, width, col) = (part.rank, part.width, part.column);
        let b = &sh.p[part.at_b..][..r * width];
        let low = &lows[before * n..][..n * r];
        // d(s·x·A) = s · g · Bᵀ, (n, r): row i's entry c is g's row i (this part's columns)
        // against B's row c.
        let mut dlow = vec![0f32; n * r];
        row_dots(&g[col..], m, b, width, sh.scale, |i, c, v| {
            dlow[i * r + c] = v
        });
        // dB = (s·x·A)ᵀ · g: row c of dB sums g's rows weighted by column c of the kept lows.
        let db = &mut dp[part.at_b..][..r * width];
        lanes::weighted_columns(low, r, n, &g[col..], m, db, width);
        // dA = xᵀ · d(s·x·A): column c of dA sums x's rows weighted by column c of dlow
        // (summed as rows of dAᵀ, then laid out as A is, (in, r)).
        let mut da_t = vec![0f32; r * k];
        lanes::weighted_columns(&dlow, r, n, x, k, &mut da_t, k);
        for (c, column) in da_t.chunks_exact(k).enumerate() {
            for (row, &v) in column.iter().enumerate() {
                dp[part.at_a + row * r + c] = v;
            }
        }
        // dx += d(s·x·A) · Aᵀ.
        if let Some(dx) = dx.as_deref_mut() {
            let a_t = transposed(&sh.p[part.at_a..][..k * r], k, r);
            for (dxi, dl) in dx.chunks_exact_mut(k).zip(dlow.chunks_exact(r)) {
                weighted_rows(dl, &a_t, k, dxi);
            }
        }
        before += r;
    }
}

/// [`forward_rows`] as a kernel for [`vectorized`].
struct Forward<'a> {
    sh: &'a Shapes<'a>,
    x: &'a [f32],
    bias: &'a [f32],
    out: &'a mut [f32],
    lows: &'a mut [f32],
}

impl pulp::WithSimd for Forward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        forward_rows(self.sh, self.x, self.bias, self.out, self.lows)
    }
}

/// [`backward_rows`] as a kernel for [`vectorized`].
struct Backward<'a> {
    sh: &'a Shapes<'a>,
    x: &'a [f32],
    g: &'a [f32],
    lows: &'a [f32],
    dx: Option<&'a mut [f32]>,
    dp: &'a mut [f32],
}

impl pulp::WithSimd for Backward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        backward_rows(self.sh, self.x, self.g, self.lows, self.dx, self.dp)
    }
}

impl LowRank {
    fn forward(
        &self,
        x: &CpuStorage,
        lx: &Layout,
        params: Option<(&CpuStorage, &Layout)>,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = lx.shape().dims2()?;
        let (k2, m) = self.w.dims2()?;
        if k != k2 || self.b.elem_count() != m {
            bail!(
                "LoRA linear: x is {n}×{k}, W {k2}×{m}, b {:?}",
                self.b.dims()
            )
        }
        let (w, lw) = self.w.storage_and_layout();
        let Storage::Cpu(w) = &*w else {
            bail!("LoRA linear: the model lab runs on the CPU only")
        };
        let CpuStorage::F32(mut out) = x.matmul(w, (1, n, m, k), lx, lw)? else {
            bail!("LoRA linear: the model lab computes in f32")
        };
        let bias = self.b.flatten_all()?.to_vec1::<f32>()?;
        let p = match params {
            Some((p, lp)) => slice(p, lp, "LoRA linear parameters")?,
            None => &[],
        };
        let sh = Shapes {
            parts: &self.parts,
            scale: self.scale,
            relu: self.relu,
            n,
            k,
            m,
            p,
        };
        let mut lows = vec![0f32; n * Shapes::total_rank(&self.parts)];
        vectorized(Forward {
            sh: &sh,
            x: slice(x, lx, "LoRA linear input")?,
            bias: &bias,
            out: &mut out,
            lows: &mut lows,
        });
        if let Ok(mut kept) = self.lows.lock() {
            *kept = lows;
        }
        Ok((CpuStorage::F32(out), Shape::from((n, m))))
    }

    /// dx (None when x needs none: the first block's layer norm reads the frozen embeddings),
    /// and the flat gradient of the parameters when there are adapters.
    fn backward(
        &self,
        x: &Tensor,
        params: Option<&Tensor>,
        out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let want_dx = x.track_op();
        let grad = if self.relu {
            super::relu::through_relu(out, grad)?
        } else {
            grad.clone()
        };
        let (n, k) = x.dims2()?;
        let m = grad.dim(1)?;
        let frozen = if want_dx {
            Some(grad.matmul(&self.w.t()?)?)
        } else {
            None
        };
        let Some(p) = params else {
            return Ok((frozen, None));
        };
        let lows = kept(
            "LoRA linear",
            &self.lows,
            n * Shapes::total_rank(&self.parts),
        )?;
        let mut dx = match &frozen {
            Some(f) => Some(f.flatten_all()?.to_vec1::<f32>()?),
            None => None,
        };
        let mut dp = vec![0f32; p.elem_count()];
        with_values(&grad, "LoRA linear d out", |g| {
            with_values(x, "LoRA linear input", |xs| {
                with_values(p, "LoRA linear parameters", |ps| {
                    let sh = Shapes {
                        parts: &self.parts,
                        scale: self.scale,
                        relu: self.relu,
                        n,
                        k,
                        m,
                        p: ps,
                    };
                    vectorized(Backward {
                        sh: &sh,
                        x: xs,
                        g,
                        lows: &lows,
                        dx: dx.as_deref_mut(),
                        dp: &mut dp,
                    })
                })
            })
        })???;
        let dx = match dx {
            Some(v) => Some(Tensor::from_vec(v, (n, k), x.device())?),
            None => None,
        };
        Ok((dx, Some(Tensor::from_vec(dp, p.shape(), p.device())?)))
    }
}

impl CustomOp1 for LowRank {
    fn name(&self) -> &'static str {
        "llmf-frozen-linear"
    }

    fn cpu_fwd(&self, x: &CpuStorage, lx: &Layout) -> Result<(CpuStorage, Shape)> {
        self.forward(x, lx, None)
    }

    fn bwd(&self, x: &Tensor, out: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(self.backward(x, None, out, grad)?.0)
    }
}

impl CustomOp2 for LowRank {
    fn name(&self) -> &'static str {
        "llmf-lora-linear"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        lx: &Layout,
        p: &CpuStorage,
        lp: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        slice(p, lp, "LoRA linear parameters")?;
        self.forward(x, lx, Some((p, lp)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        p: &Tensor,
        out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        self.backward(x, Some(p), out, grad)
    }
}

/// (x · w + b) + Σ (scale · (x · A)) · B over `adapters` (each: its first output column, A
/// (in, r), B (r, width)), then max(0, ·) if `relu`; w and b frozen, gradients flowing to x
/// and to every A and B. With no adapters: x · w + b with w and b frozen.
pub fn lora_linear(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    adapters: &[(usize, &Tensor, &Tensor)],
    scale: f64,
    relu: bool,
) -> Result<Tensor> {
    let (k, m) = w.dims2()?;
    let mut parts = Vec::with_capacity(adapters.len());
    let mut flat = Vec::with_capacity(2 * adapters.len());
    let mut at = 0;
    for &(column, a, bm) in adapters {
        let (ka, rank) = a.dims2()?;
        let (rb, width) = bm.dims2()?;
        if ka != k || rb != rank || column + width > m {
            bail!(
                "LoRA linear: an adapter A {:?}, B {:?} at column {column} does not fit W {:?}",
                a.dims(),
                bm.dims(),
                w.dims()
            )
        }
        parts.push(Part {
            column,
            rank,
            width,
            at_a: at,
            at_b: at + k * rank,
        });
        at += rank * (k + width);
        flat.push(a.flatten_all()?);
        flat.push(bm.flatten_all()?);
    }
    let op = LowRank {
        w: w.detach().contiguous()?,
        b: b.detach().contiguous()?,
        scale: scale as f32,
        relu,
        parts,
        lows: Mutex::new(Vec::new()),
    };
    let x = x.contiguous()?;
    if flat.is_empty() {
        x.apply_op1(op)
    } else {
        x.apply_op2(&Tensor::cat(&flat, 0)?, op)
    }
}

#[cfg(test)]
mod tests {
    use super::{Backward, Forward, Part, Shapes};
    use crate::labs::lm::rng::Rng;
    use pulp::Simd;

    /// Output, kept lows, input gradient and parameter gradient of one pass of the thin
    /// products, compiled for `simd`'s instruction set.
    fn run<S: Simd>(simd: S, sh: &Shapes, x: &[f32], frozen: &[f32], g: &[f32]) -> [Vec<f32>; 4] {
        let bias: Vec<f32> = (0..sh.m).map(|c| c as f32 * 0.01 - 0.1).collect();
        let mut out = frozen.to_vec();
        let mut lows = vec![0f32; sh.n * Shapes::total_rank(sh.parts)];
        simd.vectorize(Forward {
            sh,
            x,
            bias: &bias,
            out: &mut out,
            lows: &mut lows,
        });
        let mut dx = vec![0.5f32; sh.n * sh.k];
        let mut dp = vec![0f32; sh.p.len()];
        simd.vectorize(Backward {
            sh,
            x,
            g,
            lows: &lows,
            dx: Some(&mut dx),
            dp: &mut dp,
        });
        [out, lows, dx, dp]
    }

    /// The baseline build (SSE2: 4 lanes), AVX2 (8) and AVX-512 (16) where this CPU has them
    /// give the same bits, at ranks 1 to 8 and widths that are not whole lane groups: a LoRA
    /// run is the same on every machine.
    #[test]
    fn thin_products_are_the_same_bits_at_every_vector_width() {
        let mut rng = Rng::new(41);
        for (n, k, rank, relu) in [(37, 96, 1, false), (20, 21, 8, true), (64, 40, 3, false)] {
            // Two adapters side by side, as on W_q and W_v of the fused W_qkv.
            let width = k;
            let m = 3 * width;
            let per = rank * (k + width);
            let parts = [0, 2].map(|third| Part {
                column: third * width,
                rank,
                width,
                at_a: third / 2 * per,
                at_b: third / 2 * per + k * rank,
            });
            let mut draw =
                |len: usize| -> Vec<f32> { (0..len).map(|_| rng.normal() as f32).collect() };
            let p = draw(2 * per);
            let (x, frozen, g) = (draw(n * k), draw(n * m), draw(n * m));
            let sh = Shapes {
                parts: &parts,
                scale: 0.75,
                relu,
                n,
                k,
                m,
                p: &p,
            };
            let bits =
                |v: [Vec<f32>; 4]| v.map(|x| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>());
            let scalar = bits(run(pulp::Scalar::new(), &sh, &x, &frozen, &g));
            assert!(
                scalar[3].iter().any(|&b| b != 0),
                "no gradient at rank {rank}"
            );
            #[cfg(target_arch = "x86_64")]
            {
                if let Some(v3) = pulp::x86::V3::try_new() {
                    assert!(
                        bits(run(v3, &sh, &x, &frozen, &g)) == scalar,
                        "AVX2 differs at rank {rank}"
                    );
                }
                #[cfg(feature = "avx512")]
                if let Some(v4) = pulp::x86::V4::try_new() {
                    assert!(
                        bits(run(v4, &sh, &x, &frozen, &g)) == scalar,
                        "AVX-512 differs at rank {rank}"
                    );
                }
            }
        }
    }
}
