//! Softmax, its temperature, and why implementations subtract the maximum first.

/// softmax(z / T), computed stably by subtracting the largest logit first. Entries of
/// `-inf` get exactly zero weight; if every entry is `-inf` the result is all zeros.
pub fn softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    let t = temperature.max(1e-12);
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return vec![0.0; logits.len()];
    }
    let exps: Vec<f64> = logits.iter().map(|z| ((z - max) / t).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// The textbook formula without the shift: overflows to `inf`/`NaN` once a logit passes ~709.
pub fn softmax_naive(logits: &[f64], temperature: f64) -> Vec<f64> {
    let exps: Vec<f64> = logits.iter().map(|z| (z / temperature).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// Shannon entropy in nats: 0 for a certain outcome, ln(n) for a uniform one.
pub fn entropy(p: &[f64]) -> f64 {
    -p.iter()
        .filter(|x| **x > 0.0)
        .map(|x| x * x.ln())
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_values() {
        // e^2, e^1, e^0 = 7.389056, 2.718282, 1; sum 11.107338.
        let p = softmax(&[2.0, 1.0, 0.0], 1.0);
        assert!((p[0] - 0.665_241).abs() < 1e-6);
        assert!((p[1] - 0.244_728).abs() < 1e-6);
        assert!((p[2] - 0.090_031).abs() < 1e-6);
    }

    #[test]
    fn shift_invariant_and_stable_where_naive_overflows() {
        let a = softmax(&[1.0, 2.0, 3.0], 1.0);
        let b = softmax(&[1001.0, 1002.0, 1003.0], 1.0);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-12);
        }
        assert!(softmax_naive(&[1001.0, 1002.0, 1003.0], 1.0)[0].is_nan());
        let big = softmax(&[1e4, -1e4, 0.0], 1.0);
        assert!(big.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn temperature_sharpens_and_flattens() {
        let z = [2.0, 1.0, 0.5];
        let cold = softmax(&z, 0.1);
        let warm = softmax(&z, 10.0);
        assert!(cold[0] > 0.99);
        assert!(entropy(&warm) > entropy(&softmax(&z, 1.0)));
        assert!((entropy(&[0.25; 4]) - 4f64.ln()).abs() < 1e-12);
        assert_eq!(softmax(&[f64::NEG_INFINITY, 0.0], 1.0), vec![0.0, 1.0]);
    }
}
