//! x + b with b broadcast over x's leading rows, as one custom operation: x (…, m) read as
//! rows of m = b's element count, b any shape of m elements (a bias (k) after x · W, or the
//! position table (T, d) under token embeddings (B, T, d)).
//!
//! Why: candle differentiates a broadcast add by summing the gradient over the broadcast
//! dimension with a strided reduction, which took longer than the matrix product it follows.
//! Here db is a plain sum of the gradient's rows, read in memory order.
//!
//! [`add_rows_plus`] also adds a correction of x's own shape (a LoRA adapter's output) in the
//! same pass: (x + b) + e, the order the two separate additions used, so the numbers are
//! the same, with one tensor fewer forward and one gradient fewer to accumulate backward.

use super::{rows, slice, with_values};
use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

struct AddRows {
    /// Then max(0, ·), as the MLP's first layer wants: one operation and one tensor instead
    /// of two (backward then passes the gradient only where the output is positive).
    relu: bool,
}

impl CustomOp2 for AddRows {
    fn name(&self) -> &'static str {
        if self.relu {
            "llmf-add-rows-relu"
        } else {
            "llmf-add-rows"
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1, "add rows x")?, slice(s2, l2, "add rows b")?);
        rows("add rows", "x", l1.dims(), b.len(), false)?;
        let out = forward(x, b, None, self.relu);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // Through the ReLU first: out > 0 exactly where x + b > 0.
        let grad = if self.relu {
            super::relu::through_relu(out, grad)?
        } else {
            grad.clone()
        };
        let db = row_sums(b, &grad)?;
        let dx = x.track_op().then_some(grad);
        Ok((dx, db))
    }
}

/// (x + b) row by row, then max(0, ·) if `relu`: the forward pass of both operations.
fn forward(x: &[f32], b: &[f32], e: Option<&[f32]>, relu: bool) -> Vec<f32> {
    let mut out = x.to_vec();
    for row in out.chunks_exact_mut(b.len()) {
        for (o, b) in row.iter_mut().zip(b) {
            *o += b;
        }
    }
    if let Some(e) = e {
        for (o, e) in out.iter_mut().zip(e) {
            *o += e;
        }
    }
    if relu {
        for o in &mut out {
            *o = o.max(0.0);
        }
    }
    out
}

/// db: the sum of the gradient's rows (None when b needs no gradient).
pub(super) fn row_sums(b: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
    if !b.track_op() {
        return Ok(None);
    }
    let mut db = vec![0f32; b.elem_count()];
    with_values(grad, "add rows grad", |g| {
        for row in g.chunks_exact(db.len()) {
            for (d, g) in db.iter_mut().zip(row) {
                *d += g;
            }
        }
    })?;
    Ok(Some(Tensor::from_vec(db, b.shape(), b.device())?))
}

/// (x + b) + e, then max(0, ·) if `relu`.
struct AddRowsPlus {
    relu: bool,
}

impl CustomOp3 for AddRowsPlus {
    fn name(&self) -> &'static str {
        if self.relu {
            "llmf-add-rows-plus-relu"
        } else {
            "llmf-add-rows-plus"
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
        let (x, b) = (slice(s1, l1, "add rows x")?, slice(s2, l2, "add rows b")?);
        let e = slice(s3, l3, "add rows e")?;
        rows("add rows", "x", l1.dims(), b.len(), false)?;
        if l3.dims() != l1.dims() {
            bail!(
                "add rows: e has shape {:?} but x has {:?}; the correction must match x",
                l3.dims(),
                l1.dims()
            )
        }
        let out = forward(x, b, Some(e), self.relu);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        e: &Tensor,
        out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = if self.relu {
            super::relu::through_relu(out, grad)?
        } else {
            grad.clone()
        };
        let db = row_sums(b, &grad)?;
        let de = e.track_op().then(|| grad.clone());
        let dx = x.track_op().then_some(grad);
        Ok((dx, db, de))
    }
}

/// x + b added to every run of b's element count in x (x's last dimensions must hold b's
/// elements): a bias after a matrix product, or positions under embeddings.
pub fn add_rows(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?
        .apply_op2(&b.contiguous()?, AddRows { relu: false })
}

/// max(0, x + b), with b added as in [`add_rows`]: the MLP's bias and activation in one.
pub fn add_rows_relu(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?
        .apply_op2(&b.contiguous()?, AddRows { relu: true })
}

/// (x + b) + e, b added as in [`add_rows`] and e of x's own shape (a correction, such as a
/// LoRA adapter's output), then max(0, ·) if `relu`: one operation for what was two or three.
pub fn add_rows_plus(x: &Tensor, b: &Tensor, e: &Tensor, relu: bool) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(&b.contiguous()?, &e.contiguous()?, AddRowsPlus { relu })
}
