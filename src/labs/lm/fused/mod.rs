//! Candle custom operations with a hand-written CPU forward AND backward, for the pieces of the
//! model that basic operations build from many small steps: layer norm, causal attention
//! (split into heads, scaled scores, causal softmax, weighted sum, heads merged back),
//! cross-entropy, ReLU, adding a bias or position row to every row, and a whole linear layer
//! (product, bias and ReLU).
//!
//! Why: built from basic operations, each of these is a dozen tensors allocated, filled and
//! differentiated one by one; the demo model's training step spent most of its time there
//! rather than in its matrix products. One loop forward and one loop backward per piece does
//! the same arithmetic with no intermediate tensors.
//!
//! Why not candle's own fused `layer_norm`, `rms_norm` and `softmax_last_dim`: they pass no
//! gradient back. Every operation here implements `bwd`, and `tests.rs` checks values and
//! gradients against the basic-operation versions in [`super::ops`] (within 1e-5) on random
//! inputs from the course's seeded generator. Every sum runs in an order the code fixes, so
//! training stays reproducible bit for bit; the attention and layer-norm loops run lane-wise,
//! compiled for the CPU's widest vectors, and give the same bits at every width ([`lanes`]).

mod attention;
mod bias;
mod cross_entropy;
mod lanes;
mod layer_norm;
mod linear;
mod low_rank;
mod relu;
#[cfg(test)]
mod tests;

pub use attention::causal_attention;
pub use bias::{add_rows, add_rows_plus, add_rows_relu};
pub use cross_entropy::nll;
pub use layer_norm::layer_norm;
pub use linear::linear;
pub use low_rank::lora_linear;
pub use relu::relu;

use candle_core::{bail, CpuStorage, Layout, Result, Storage, Tensor};
use std::sync::Mutex;

/// How many rows of `width` values `dims` holds, read in memory order: the shape check every
/// fused operation makes, with one wording for its error. `last_dim` also asks that the rows
/// be exactly the last dimension (layer norm, cross-entropy), rather than any run of trailing
/// values (a position table (T, d) under embeddings (B·T, d)).
fn rows(op: &str, what: &str, dims: &[usize], width: usize, last_dim: bool) -> Result<usize> {
    let len: usize = dims.iter().product();
    let whole = width > 0 && len.is_multiple_of(width);
    if !whole || (last_dim && dims.last() != Some(&width)) {
        let unit = if last_dim { "a last dimension" } else { "rows" };
        bail!("{op}: {what} has shape {dims:?}, which is not {unit} of {width} values")
    }
    Ok(len / width)
}

/// What a forward pass kept for its backward pass (`len` values), or an error saying why it
/// is missing.
fn kept<'a, T>(
    op: &str,
    store: &'a Mutex<Vec<T>>,
    len: usize,
) -> Result<std::sync::MutexGuard<'a, Vec<T>>> {
    let Ok(kept) = store.lock() else {
        bail!("{op}: what the forward pass kept for the backward pass was lost")
    };
    if kept.len() != len {
        bail!("{op}: backward called before the forward pass")
    }
    Ok(kept)
}

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
