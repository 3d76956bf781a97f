//! Scaled dot-product attention on a few tokens, keeping every intermediate so a lesson can
//! show each stage: X, Q, K, V, scores, scaled (and masked) scores, weights, output.

use super::softmax::softmax;
use crate::viz::rng::{seed_of, Rng};
use ndarray::{Array2, Axis};

/// Every stage of one head of attention on one input.
#[derive(Debug, Clone)]
pub struct AttentionTrace {
    pub x: Array2<f64>,
    pub w_q: Array2<f64>,
    pub w_k: Array2<f64>,
    pub w_v: Array2<f64>,
    pub q: Array2<f64>,
    pub k: Array2<f64>,
    pub v: Array2<f64>,
    /// Q·Kᵀ.
    pub scores: Array2<f64>,
    /// Q·Kᵀ/√d_k, with `-inf` above the diagonal when causal.
    pub scaled: Array2<f64>,
    /// softmax of each row of `scaled`.
    pub weights: Array2<f64>,
    /// weights·V.
    pub output: Array2<f64>,
}

/// Runs attention given X and the three projection matrices.
pub fn attend(
    x: Array2<f64>,
    w_q: Array2<f64>,
    w_k: Array2<f64>,
    w_v: Array2<f64>,
    causal: bool,
) -> AttentionTrace {
    let q = x.dot(&w_q);
    let k = x.dot(&w_k);
    let v = x.dot(&w_v);
    let d_k = w_k.ncols().max(1) as f64;
    let scores = q.dot(&k.t());
    let mut scaled = &scores / d_k.sqrt();
    if causal {
        for ((i, j), s) in scaled.indexed_iter_mut() {
            if j > i {
                *s = f64::NEG_INFINITY;
            }
        }
    }
    let mut weights = Array2::zeros(scaled.raw_dim());
    for (i, row) in scaled.axis_iter(Axis(0)).enumerate() {
        let p = softmax(&row.to_vec(), 1.0);
        for (j, pj) in p.into_iter().enumerate() {
            weights[[i, j]] = pj;
        }
    }
    let output = weights.dot(&v);
    AttentionTrace {
        x,
        w_q,
        w_k,
        w_v,
        q,
        k,
        v,
        scores,
        scaled,
        weights,
        output,
    }
}

/// Made-up embeddings, one decimal each: the same word always gets the same vector.
pub fn toy_embeddings(tokens: &[String], d_model: usize) -> Array2<f64> {
    let mut x = Array2::zeros((tokens.len(), d_model));
    for (i, t) in tokens.iter().enumerate() {
        let mut rng = Rng::new(seed_of(&t.to_lowercase(), 11));
        for j in 0..d_model {
            x[[i, j]] = (rng.normal() * 10.0).round() / 10.0;
        }
    }
    x
}

/// A seeded random d_in×d_out matrix with one decimal, scaled so products stay readable.
pub fn toy_matrix(rows: usize, cols: usize, rng: &mut Rng) -> Array2<f64> {
    let scale = 1.0 / (rows as f64).sqrt();
    Array2::from_shape_fn((rows, cols), |_| {
        (rng.normal() * scale * 10.0).round() / 10.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_worked_two_tokens() {
        // X = I, W_Q = W_K = W_V = I, d_k = 2: scores = I, scaled = I/√2.
        let i2 = Array2::<f64>::eye(2);
        let t = attend(i2.clone(), i2.clone(), i2.clone(), i2.clone(), false);
        let a = (1.0f64 / 2f64.sqrt()).exp();
        let p = a / (a + 1.0); // weight on itself
        assert!((t.weights[[0, 0]] - p).abs() < 1e-12);
        assert!((t.weights[[0, 1]] - (1.0 - p)).abs() < 1e-12);
        assert!((t.output[[1, 1]] - p).abs() < 1e-12);
    }

    #[test]
    fn causal_mask_zeroes_the_future_and_rows_sum_to_one() {
        let x = array![[1.0, 0.5], [0.2, -1.0], [0.3, 0.3]];
        let w = array![[0.5, -0.2], [0.1, 0.9]];
        let t = attend(x, w.clone(), w.clone(), w, true);
        for i in 0..3 {
            let sum: f64 = t.weights.row(i).sum();
            assert!((sum - 1.0).abs() < 1e-12);
            for j in (i + 1)..3 {
                assert_eq!(t.weights[[i, j]], 0.0);
            }
        }
        assert_eq!(t.weights[[0, 0]], 1.0);
    }

    #[test]
    fn same_word_same_vector() {
        let toks: Vec<String> = ["the", "cat", "The"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let x = toy_embeddings(&toks, 4);
        assert_eq!(x.row(0), x.row(2));
        assert_ne!(x.row(0), x.row(1));
    }
}
