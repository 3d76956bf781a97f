//! A frozen linear layer with LoRA's low-rank corrections, as one custom operation:
//! y = (x · W₀ + b₀) + Σⱼ (s · (x · Aⱼ)) · Bⱼ, then max(0, ·) if asked, where correction j
//! writes the columns `column`.. of y (a third of the fused W_qkv, or all of a projection's
//! outputs) and W₀, b₀ are frozen (held by the operation, never differentiated).
//!
//! Why: built from basic operations, each adapter was five nodes of the graph (two products,
//! the scale, a concatenation for W_qkv with zero thirds, the sum), and candle's backward pass
//! gives every gradient it routes a zeroed tensor of its own and adds into it: several tensors
//! the size of the layer's output per adapter, forward and backward, which cost more than the
//! weight-gradient products LoRA skips. Here the thin products are the only new tensors.
//!
//! The adapters' A and B reach the operation as one flat tensor (every Aⱼ then Bⱼ, flattened,
//! concatenated), so a layer with any number of adapters stays one node; each factor is read
//! back as a contiguous stretch of it, the layout its own variable has.
//!
//! The arithmetic is the basic operations', call for call (candle's products on the same
//! shapes and layouts, the scale on the thin (n, r) product, the bias added before the
//! corrections, an exact +0 on thirds without an adapter), and backward adds the input's
//! gradient terms in the order candle's backward pass added them (the last adapter's first,
//! the frozen product's last): LoRA trains bit for bit as before.

use super::{kept, slice};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Device, Layout, Result, Shape, Tensor};
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
    scale: f64,
    relu: bool,
    parts: Vec<Part>,
    /// Each part's s · (x · A), (n, rank), for the backward pass.
    lows: Mutex<Vec<Tensor>>,
}

/// A `rows` × `cols` stretch of `params` starting at `at`, as a tensor sharing its storage.
fn factor(params: &Tensor, at: usize, rows: usize, cols: usize) -> Result<Tensor> {
    params.narrow(0, at, rows * cols)?.reshape((rows, cols))
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
        let candle_core::Storage::Cpu(w) = &*w else {
            bail!("LoRA linear: the model lab runs on the CPU only")
        };
        let CpuStorage::F32(mut out) = x.matmul(w, (1, n, m, k), lx, lw)? else {
            bail!("LoRA linear: the model lab computes in f32")
        };
        let b = self.b.flatten_all()?.to_vec1::<f32>()?;
        for row in out.chunks_exact_mut(m) {
            for (o, b) in row.iter_mut().zip(&b) {
                *o += b;
            }
        }
        let mut lows = Vec::with_capacity(self.parts.len());
        let mut corrected = vec![false; m];
        if let Some((p, lp)) = params {
            for part in &self.parts {
                let (r, width) = (part.rank, part.width);
                let la = Layout::contiguous_with_offset((k, r), lp.start_offset() + part.at_a);
                let lb = Layout::contiguous_with_offset((r, width), lp.start_offset() + part.at_b);
                let low = x.matmul(p, (1, n, r, k), lx, &la)?;
                let low = low.affine(&Layout::contiguous((n, r)), self.scale, 0.0)?;
                let CpuStorage::F32(delta) =
                    low.matmul(p, (1, n, width, r), &Layout::contiguous((n, r)), &lb)?
                else {
                    bail!("LoRA linear: the model lab computes in f32")
                };
                let CpuStorage::F32(low) = low else {
                    bail!("LoRA linear: the model lab computes in f32")
                };
                for (row, d) in out.chunks_exact_mut(m).zip(delta.chunks_exact(width)) {
                    for (o, d) in row[part.column..part.column + width].iter_mut().zip(d) {
                        *o += d;
                    }
                }
                corrected[part.column..part.column + width].fill(true);
                lows.push(Tensor::from_vec(low, (n, r), &Device::Cpu)?);
            }
        }
        // Columns without an adapter got + 0 from the zero third of the concatenation: the
        // same here, so a −0 turns +0 as it did.
        if corrected.iter().any(|&c| c) {
            for row in out.chunks_exact_mut(m) {
                for (o, c) in row.iter_mut().zip(&corrected) {
                    if !c {
                        *o += 0.0;
                    }
                }
            }
        }
        if self.relu {
            for o in &mut out {
                *o = o.max(0.0);
            }
        }
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
        let lows = kept(
            "LoRA linear",
            &self.lows,
            params.map_or(0, |_| self.parts.len()),
        )?;
        let x = x.detach();
        let mut dx: Option<Tensor> = None;
        let mut dparams = Vec::with_capacity(2 * self.parts.len());
        if let Some(p) = params {
            let p = p.detach();
            let mut pieces = vec![None; 2 * self.parts.len()];
            // Last adapter first, as candle's backward pass reached them.
            for (j, part) in self.parts.iter().enumerate().rev() {
                let (r, width) = (part.rank, part.width);
                let a = factor(&p, part.at_a, k, r)?;
                let b = factor(&p, part.at_b, r, width)?;
                let g = if width == m {
                    grad.clone()
                } else {
                    grad.narrow(1, part.column, width)?.contiguous()?
                };
                let dlow = g.matmul(&b.t()?)?;
                let db = lows[j].t()?.matmul(&g)?;
                let dlow = dlow.affine(self.scale, 0.0)?;
                let da = x.t()?.matmul(&dlow)?;
                if want_dx {
                    let term = dlow.matmul(&a.t()?)?;
                    dx = Some(match dx {
                        None => term,
                        Some(sum) => (sum + term)?,
                    });
                }
                pieces[2 * j] = Some(da.flatten_all()?);
                pieces[2 * j + 1] = Some(db.flatten_all()?);
            }
            dparams = pieces.into_iter().flatten().collect();
        }
        let dx = if want_dx {
            let frozen = grad.matmul(&self.w.t()?)?;
            let dx = match dx {
                None => frozen,
                Some(sum) => (sum + frozen)?,
            };
            debug_assert_eq!(dx.dims(), [n, k]);
            Some(dx)
        } else {
            None
        };
        let dp = if dparams.is_empty() {
            None
        } else {
            Some(Tensor::cat(&dparams, 0)?)
        };
        Ok((dx, dp))
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
        scale,
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
