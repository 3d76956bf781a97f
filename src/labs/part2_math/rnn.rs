//! Why recurrent networks forget: the gradient that flows back through t steps is a product of
//! t Jacobians, so its size behaves like ρ^t for a recurrent matrix of spectral radius ρ.

use crate::labs::rng::Rng;
use ndarray::{Array1, Array2};

/// A random orthogonal matrix (Gram–Schmidt on a Gaussian one): it turns vectors without
/// changing their length, so ρ·Q stretches every direction by exactly ρ.
pub fn random_orthogonal(n: usize, rng: &mut Rng) -> Array2<f64> {
    let mut q: Array2<f64> = Array2::zeros((n, n));
    let mut col = 0;
    while col < n {
        let mut v = Array1::from_shape_fn(n, |_| rng.normal());
        for prev in 0..col {
            let p = q.column(prev).to_owned();
            let proj = p.dot(&v);
            v -= &(p * proj);
        }
        let norm = v.dot(&v).sqrt();
        if norm > 1e-9 {
            q.column_mut(col).assign(&(v / norm));
            col += 1;
        }
    }
    q
}

/// Gradient norms ‖∂h_T/∂h_{T−t}‖ applied to a unit vector, for t = 1..=steps.
///
/// Runs h_t = tanh(W·h_{t−1} + x_t) forward with W = ρ·Q and small random inputs, then carries
/// a unit gradient back through each step's Jacobian diag(1 − h_t²)·W. Without tanh the
/// Jacobian is W itself and the norm is exactly ρ^t.
pub fn gradient_norms(radius: f64, steps: usize, hidden: usize, seed: u64, tanh: bool) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let w = random_orthogonal(hidden, &mut rng) * radius;
    let mut h = Array1::<f64>::zeros(hidden);
    let mut states = Vec::with_capacity(steps);
    for _ in 0..steps {
        let x = Array1::from_shape_fn(hidden, |_| rng.normal() * 0.5);
        let pre = w.dot(&h) + x;
        h = if tanh { pre.mapv(f64::tanh) } else { pre };
        states.push(h.clone());
    }
    let mut g = Array1::from_shape_fn(hidden, |_| rng.normal());
    let n0 = g.dot(&g).sqrt();
    g /= n0;
    let mut norms = Vec::with_capacity(steps);
    for h_t in states.iter().rev() {
        if tanh {
            g = g * h_t.mapv(|v| 1.0 - v * v);
        }
        g = w.t().dot(&g);
        norms.push(g.dot(&g).sqrt());
    }
    norms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_really_is() {
        let mut rng = Rng::new(5);
        let q = random_orthogonal(6, &mut rng);
        let eye = q.t().dot(&q);
        for ((i, j), v) in eye.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-9);
        }
    }

    #[test]
    fn linear_recurrence_scales_by_radius_to_the_t() {
        let norms = gradient_norms(0.9, 50, 8, 1, false);
        // 0.9^50 = 0.005153775...
        assert!((norms[49] - 0.005_153_775).abs() < 1e-8, "{}", norms[49]);
        let grow = gradient_norms(1.1, 10, 8, 1, false);
        assert!((grow[9] - 1.1f64.powi(10)).abs() < 1e-9);
    }

    #[test]
    fn tanh_only_shrinks_further() {
        let lin = gradient_norms(1.0, 40, 16, 2, false);
        let squashed = gradient_norms(1.0, 40, 16, 2, true);
        assert!(squashed[39] < lin[39]);
    }
}
