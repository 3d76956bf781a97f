//! Long-context arithmetic: one head of attention timed, and a toy stream whose attention
//! mass shows what a sliding window and sink tokens keep.

use crate::labs::part2_math::softmax::softmax;
use crate::labs::part3_transformer::fast_attention::{attention_f32, Workspace};
use crate::labs::rng::{seed_of, Rng};
use ndarray::Array2;
use std::time::Instant;

/// Milliseconds for one head of attention (Q·Kᵀ, softmax, ·V) at n tokens of width d, in f32
/// with real matrix multiplications ([`attention_f32`]): the median of three runs on random
/// inputs, after one untimed run that allocates the buffers.
pub fn time_attention(n: usize, d: usize, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let mut m = || Array2::from_shape_fn((n, d), |_| rng.normal() as f32);
    let (q, k, v) = (m(), m(), m());
    let mut ws = Workspace::default();
    attention_f32(q.view(), k.view(), v.view(), false, &mut ws);
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            attention_f32(q.view(), k.view(), v.view(), false, &mut ws);
            std::hint::black_box(ws.output());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// The toy stream: query t's logit for key j. Position 0 gets a large bonus (the sink that
/// trained models develop), recent keys a small one, and each key a fixed content term.
pub fn stream_logit(t: usize, j: usize) -> f64 {
    if j == 0 {
        // The sink: a large score from every query, however far away.
        return 4.0;
    }
    let recency = -0.05 * (t - j) as f64;
    let mut rng = Rng::new(seed_of(&j.to_string(), 3));
    recency + 0.5 * rng.normal()
}

/// For query t: the share of full attention's mass that falls on the kept keys, and the
/// divergence KL(kept ‖ full) = −ln(that share) of the renormalized kept distribution.
pub fn kept_share(t: usize, kept: &[usize]) -> (f64, f64) {
    let logits: Vec<f64> = (0..=t).map(|j| stream_logit(t, j)).collect();
    let p = softmax(&logits, 1.0);
    let share: f64 = kept.iter().filter(|&&j| j <= t).map(|&j| p[j]).sum();
    // When nothing is evicted −ln(1) comes out as ±1e-16 from rounding: show it as 0.
    let kl = -share.max(1e-300).ln();
    (share.min(1.0), if kl.abs() < 1e-12 { 0.0 } else { kl })
}

/// Keys a cache of `window` entries keeps at query t, the first `sinks` of them pinned to the
/// start of the stream.
pub fn kept_keys(t: usize, window: usize, sinks: usize) -> Vec<usize> {
    let sinks = sinks.min(window);
    let recent = window - sinks;
    let mut keys: Vec<usize> = (0..sinks.min(t + 1)).collect();
    let first_recent = (t + 1).saturating_sub(recent).max(keys.len());
    keys.extend(first_recent..=t);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn kept_keys_pin_the_sinks_and_keep_the_window_size() {
        assert_eq!(kept_keys(3, 8, 4), vec![0, 1, 2, 3]);
        assert_eq!(kept_keys(20, 8, 4), vec![0, 1, 2, 3, 17, 18, 19, 20]);
        assert_eq!(kept_keys(20, 8, 0), (13..=20).collect::<Vec<_>>());
    }

    #[test]
    fn sinks_keep_attention_close_to_full_once_the_start_is_evicted() {
        let t = 200;
        let (w, w_kl) = kept_share(t, &kept_keys(t, 16, 0));
        let (s, s_kl) = kept_share(t, &kept_keys(t, 16, 4));
        assert!(s > w && s_kl < w_kl, "sinks {s} vs window {w}");
        // Before anything is evicted, all three agree exactly.
        assert_eq!(kept_share(10, &kept_keys(10, 16, 0)).1, 0.0);
    }
}
