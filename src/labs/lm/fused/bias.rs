//! x + b with b broadcast over x's leading rows, as one custom operation: x (…, m) read as
//! rows of m = b's element count, b any shape of m elements (a bias (k) after x · W, or the
//! position table (T, d) under token embeddings (B, T, d)).
//!
//! Why: candle differentiates a broadcast add by summing the gradient over the broadcast
//! dimension with a strided reduction, which took longer than the matrix product it follows.
//! Here db is a plain sum of the gradient's rows, read in memory order.

use super::{slice, with_values};
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

struct AddRows;

impl CustomOp2 for AddRows {
    fn name(&self) -> &'static str {
        "llmf-add-rows"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1, "add rows x")?, slice(s2, l2, "add rows b")?);
        if b.is_empty() || x.len() % b.len() != 0 {
            bail!(
                "add rows: x {:?} is not rows of b {:?}",
                l1.dims(),
                l2.dims()
            )
        }
        let mut out = x.to_vec();
        for row in out.chunks_exact_mut(b.len()) {
            for (o, b) in row.iter_mut().zip(b) {
                *o += b;
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        _out: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let db = if b.track_op() {
            let mut db = vec![0f32; b.elem_count()];
            with_values(grad, "add rows grad", |g| {
                for row in g.chunks_exact(db.len()) {
                    for (d, g) in db.iter_mut().zip(row) {
                        *d += g;
                    }
                }
            })?;
            Some(Tensor::from_vec(db, b.shape(), b.device())?)
        } else {
            None
        };
        let dx = x.track_op().then(|| grad.clone());
        Ok((dx, db))
    }
}

/// x + b added to every run of b's element count in x (x's last dimensions must hold b's
/// elements): a bias after a matrix product, or positions under embeddings.
pub fn add_rows(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, AddRows)
}
