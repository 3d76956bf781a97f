//! −log p(target) per position as one custom operation: logits (N, V), targets (N) u32 →
//! (N) nats, with log p = x − max − ln Σ exp(x − max) (stable for any logits).
//!
//! Backward: d logitsₙᵥ = gₙ · (softmax(xₙ)ᵥ − [v = targetₙ]); the targets get no gradient.
//! The forward pass keeps the softmax for it (N·V floats) rather than exponentiate twice.

use super::{kept, rows, slice, with_values};
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

struct Nll {
    /// softmax(logits), row by row, from the forward pass.
    probs: Mutex<Vec<f32>>,
}

/// (N, V) for logits (N, V) and targets (N).
fn check(logits: &[usize], targets: &[usize]) -> Result<(usize, usize)> {
    let v = logits.last().copied().unwrap_or(0);
    let n = rows("cross-entropy", "logits", logits, v, true)?;
    if logits.len() != 2 || targets != [n] {
        bail!("cross-entropy: logits {logits:?} and targets {targets:?} must be (N, V) and (N)")
    }
    Ok((n, v))
}

/// The sum of each row of `v` values, each added in order from the first, four rows side by
/// side: four chains of additions in flight rather than one row's chain waiting on itself.
/// The same bits as summing row by row.
fn row_sums(values: &[f32], v: usize) -> Vec<f32> {
    let mut sums = Vec::with_capacity(values.len() / v.max(1));
    if v == 0 {
        return sums;
    }
    let mut blocks = values.chunks_exact(4 * v);
    for block in &mut blocks {
        let (r0, rest) = block.split_at(v);
        let (r1, rest) = rest.split_at(v);
        let (r2, r3) = rest.split_at(v);
        let mut s = [0f32; 4];
        for (((a, b), c), d) in r0.iter().zip(r1).zip(r2).zip(r3) {
            s[0] += a;
            s[1] += b;
            s[2] += c;
            s[3] += d;
        }
        sums.extend(s);
    }
    for row in blocks.remainder().chunks_exact(v) {
        let mut sum = 0f32;
        for p in row {
            sum += p;
        }
        sums.push(sum);
    }
    sums
}

impl CustomOp2 for Nll {
    fn name(&self) -> &'static str {
        "llmf-nll"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, v) = check(l1.dims(), l2.dims())?;
        let logits = slice(s1, l1, "cross-entropy logits")?;
        let Some((start, end)) = l2.contiguous_offsets() else {
            bail!("cross-entropy: the targets must be contiguous")
        };
        let targets = &s2.as_slice::<u32>()?[start..end];
        // Filled row by row as computed, never zeroed first.
        let mut probs = Vec::with_capacity(logits.len());
        let mut maxes = Vec::with_capacity(n);
        for (row, &y) in logits.chunks_exact(v).zip(targets) {
            if row.get(y as usize).is_none() {
                bail!("cross-entropy: target {y} is outside the vocabulary of {v}")
            }
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            maxes.push(max);
            probs.extend(row.iter().map(|x| (x - max).exp()));
        }
        let sums = row_sums(&probs, v);
        let mut out = Vec::with_capacity(n);
        let rows = probs.chunks_exact_mut(v).zip(logits.chunks_exact(v));
        for (((p, row), &y), (&max, &sum)) in rows.zip(targets).zip(maxes.iter().zip(&sums)) {
            for p in p.iter_mut() {
                *p /= sum;
            }
            // (max − x_y) + ln Σ: adding the small term last keeps it exact when max is large.
            out.push((max - row[y as usize]) + sum.ln());
        }
        if let Ok(mut kept) = self.probs.lock() {
            *kept = probs;
        }
        Ok((CpuStorage::F32(out), Shape::from(n)))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _nll: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (_, v) = check(logits.dims(), targets.dims())?;
        let ys: Vec<u32> = targets.to_vec1()?;
        let probs = kept("cross-entropy", &self.probs, logits.elem_count())?;
        let mut d = Vec::with_capacity(probs.len());
        with_values(grad, "cross-entropy grad", |grad| {
            for ((p, &y), &g) in probs.chunks_exact(v).zip(&ys).zip(grad) {
                let start = d.len();
                d.extend(p.iter().map(|p| g * p));
                if let Some(dy) = d[start..].get_mut(y as usize) {
                    *dy -= g;
                }
            }
        })?;
        Ok((
            Some(Tensor::from_vec(d, logits.shape(), logits.device())?),
            None,
        ))
    }
}

/// −log softmax(logits)[target] per row, in nats: logits (N, V), targets (N) u32 → (N).
pub fn nll(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits.contiguous()?.apply_op2(
        &targets.contiguous()?,
        Nll {
            probs: Mutex::new(Vec::new()),
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_sums_are_each_rows_sum_in_order() {
        // 7 rows: one block of four side by side, three left over; values of mixed size, so
        // any other order of additions would round differently somewhere.
        let v = 13;
        let values: Vec<f32> = (0..7 * v)
            .map(|i| ((i * 37 % 101) as f32).exp2() * 1e-20 + (i as f32).sin())
            .collect();
        let want: Vec<u32> = values
            .chunks_exact(v)
            .map(|row| row.iter().fold(0f32, |s, x| s + x).to_bits())
            .collect();
        let got: Vec<u32> = super::row_sums(&values, v)
            .iter()
            .map(|s| s.to_bits())
            .collect();
        assert_eq!(got, want);
    }
}
