//! Candle custom operations with a hand-written CPU forward AND backward, for the pieces of the
//! model that basic operations build from many small steps: layer norm, causal attention
//! (split into heads, scaled scores, causal softmax, weighted sum, heads merged back),
//! cross-entropy, ReLU, and adding a bias or position row to every row.
//!
//! Why: built from basic operations, each of these is a dozen tensors allocated, filled and
//! differentiated one by one; the demo model's training step spent most of its time there
//! rather than in its matrix products. One loop forward and one loop backward per piece does
//! the same arithmetic with no intermediate tensors.
//!
//! Why not candle's own fused `layer_norm`, `rms_norm` and `softmax_last_dim`: they pass no
//! gradient back. Every operation here implements `bwd`, and `tests.rs` checks values and
//! gradients against the basic-operation versions in [`super::ops`] (within 1e-5) on random
//! inputs from the course's seeded generator. The loops are sequential and in a fixed order,
//! so training stays reproducible bit for bit.

mod attention;
mod bias;
mod cross_entropy;
mod layer_norm;
mod relu;
#[cfg(test)]
mod tests;

pub use attention::causal_attention;
pub use bias::{add_rows, add_rows_relu};
pub use cross_entropy::nll;
pub use layer_norm::layer_norm;
pub use relu::relu;

use candle_core::{bail, CpuStorage, Layout, Result, Storage, Tensor};

/// The f32 values of a contiguous CPU storage, as a slice.
fn slice<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("{what}: the input must be contiguous (call .contiguous() first)")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// Runs `f` on the f32 values of `t` (copied first only if `t` is not contiguous).
fn with_values<R>(t: &Tensor, what: &str, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        bail!("{what}: the model lab runs on the CPU only")
    };
    Ok(f(slice(cpu, layout, what)?))
}

/// a · b over equal-length slices, in eight running sums (so the compiler can use vector
/// registers) added in a fixed order at the end.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    let mut sum = lanes.iter().sum::<f32>();
    for (x, y) in ra.iter().zip(rb) {
        sum += x * y;
    }
    sum
}

/// out += a · x.
fn axpy(out: &mut [f32], a: f32, x: &[f32]) {
    for (o, x) in out.iter_mut().zip(x) {
        *o += a * x;
    }
}
