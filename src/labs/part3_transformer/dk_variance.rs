//! The measurement behind ÷√d_k: the variance of q·k for random unit-variance vectors of each
//! dimension, and the softmax entropy over a few keys with and without the scale.

use crate::labs::part2_math::softmax::{entropy, softmax};
use crate::labs::rng::Rng;

/// Powers of two offered for d.
pub const DIMS: [usize; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Keys per query in the entropy experiment.
pub const KEYS: usize = 16;

/// Measured variance of q·k for random q, k of each dimension (entries independent, mean 0,
/// variance 1: uniform on ±√3, which is all the argument needs and fast to draw), and the mean
/// softmax entropy over `KEYS` keys without and with ÷√d.
pub struct Measurements {
    pub variance: Vec<f64>,
    pub entropy_raw: Vec<f64>,
    pub entropy_scaled: Vec<f64>,
}

/// Measurements by (samples, seed): sampling is the slow part, and a learner (or `llmf
/// check`) often comes back to the same settings.
pub fn measure_cached(samples: usize, seed: u64) -> std::sync::Arc<Measurements> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<(usize, u64), Arc<Measurements>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&(samples, seed)).cloned())
    {
        return hit;
    }
    let fresh = Arc::new(measure(samples, seed));
    if let Ok(mut c) = cache.lock() {
        if c.len() > 64 {
            c.clear();
        }
        c.insert((samples, seed), Arc::clone(&fresh));
    }
    fresh
}

pub fn measure(samples: usize, seed: u64) -> Measurements {
    let mut rng = Rng::new(seed);
    let trials = (samples / KEYS).clamp(8, 30);
    let mut m = Measurements {
        variance: vec![],
        entropy_raw: vec![],
        entropy_scaled: vec![],
    };
    for &d in &DIMS {
        let dots: Vec<f64> = (0..samples)
            .map(|_| {
                (0..d)
                    .map(|_| rng.unit_variance() * rng.unit_variance())
                    .sum()
            })
            .collect();
        let mean = dots.iter().sum::<f64>() / samples as f64;
        m.variance
            .push(dots.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (samples - 1) as f64);
        let (mut raw, mut scaled) = (0.0, 0.0);
        for _ in 0..trials {
            let q: Vec<f64> = (0..d).map(|_| rng.unit_variance()).collect();
            let logits: Vec<f64> = (0..KEYS)
                .map(|_| q.iter().map(|qi| qi * rng.unit_variance()).sum())
                .collect();
            raw += entropy(&softmax(&logits, 1.0));
            scaled += entropy(&softmax(&logits, (d as f64).sqrt()));
        }
        m.entropy_raw.push(raw / trials as f64);
        m.entropy_scaled.push(scaled / trials as f64);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn variance_tracks_d() {
        let m = measure(2000, 7);
        for (i, d) in DIMS.iter().enumerate() {
            // The sample variance of 2000 draws is within ~3% (one standard error) of d.
            let rel = (m.variance[i] - *d as f64).abs() / *d as f64;
            assert!(rel < 0.15, "d = {d}: {}", m.variance[i]);
        }
        // Unscaled logits saturate the softmax as d grows; scaled ones do not.
        assert!(m.entropy_raw[10] < 0.5 * m.entropy_scaled[10]);
        assert!((m.entropy_scaled[10] - m.entropy_scaled[4]).abs() < 0.3);
    }
}
