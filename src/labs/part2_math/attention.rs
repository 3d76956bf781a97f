//! Scaled dot-product attention with every intermediate kept, so a lesson can show each
//! stage: scores, scaled (and masked) scores, softmax weights, output. Also multi-head
//! attention (split, concat, W_O) and cross-attention (queries from one sequence, keys and
//! values from another: a rectangular weight matrix). All matrix products, no element loops,
//! except in the plain-loop reference the tests compare against.

use crate::labs::rng::{seed_of, Rng};
use ndarray::{concatenate, Array2, Axis};

/// How scores become weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Divide the scores by √d_k.
    pub scale: bool,
    /// Hide every key after the query's own position (−∞ before the softmax).
    pub causal: bool,
    /// Divide the (scaled) scores by this before the softmax.
    pub temperature: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            scale: true,
            causal: false,
            temperature: 1.0,
        }
    }
}

/// The stages of one head on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// Q·Kᵀ (queries × keys).
    pub scores: Array2<f64>,
    /// Scores ÷ √d_k (if scaling) ÷ temperature, with masked entries at −∞.
    pub masked: Array2<f64>,
    /// Softmax of each row of `masked`: rows sum to 1, masked weights are exactly 0.
    pub weights: Array2<f64>,
    /// weights·V.
    pub output: Array2<f64>,
}

/// softmax(mask(Q·Kᵀ/√d_k/T))·V. `key_mask[j] == false` hides key j from every query
/// (padding). The causal mask applies by position, so it needs as many queries as keys.
pub fn scaled_dot_product(
    q: &Array2<f64>,
    k: &Array2<f64>,
    v: &Array2<f64>,
    opts: Options,
    key_mask: Option<&[bool]>,
) -> Stages {
    let scores = q.dot(&k.t());
    let mut divisor = opts.temperature.max(1e-9);
    if opts.scale {
        divisor *= (k.ncols().max(1) as f64).sqrt();
    }
    let mut masked = &scores / divisor;
    if opts.causal || key_mask.is_some() {
        for ((i, j), s) in masked.indexed_iter_mut() {
            let hidden_future = opts.causal && j > i;
            let padding = key_mask.is_some_and(|m| !m.get(j).copied().unwrap_or(true));
            if hidden_future || padding {
                *s = f64::NEG_INFINITY;
            }
        }
    }
    let weights = softmax_rows(&masked);
    let output = weights.dot(v);
    Stages {
        scores,
        masked,
        weights,
        output,
    }
}

/// Only the output of attention, with one n×n buffer scaled and normalized in place: what a
/// real implementation keeps, and what `attention-timing` and the benchmarks time.
pub fn attention_output(
    q: &Array2<f64>,
    k: &Array2<f64>,
    v: &Array2<f64>,
    opts: Options,
) -> Array2<f64> {
    let mut s = q.dot(&k.t());
    let mut divisor = opts.temperature.max(1e-9);
    if opts.scale {
        divisor *= (k.ncols().max(1) as f64).sqrt();
    }
    let inv = 1.0 / divisor;
    for (i, mut row) in s.axis_iter_mut(Axis(0)).enumerate() {
        let visible = if opts.causal {
            (i + 1).min(row.len())
        } else {
            row.len()
        };
        let mut max = f64::NEG_INFINITY;
        for x in row.iter_mut().take(visible) {
            *x *= inv;
            max = max.max(*x);
        }
        let mut sum = 0.0;
        for (j, x) in row.iter_mut().enumerate() {
            *x = if j < visible { (*x - max).exp() } else { 0.0 };
            sum += *x;
        }
        if sum > 0.0 {
            row.mapv_inplace(|x| x / sum);
        }
    }
    s.dot(v)
}

/// Softmax of every row, in place on a copy (no allocation per row): subtract the row's
/// maximum, exponentiate, divide by the sum. A row that is all −∞ (a query that may see
/// nothing) becomes zeros.
pub fn softmax_rows(m: &Array2<f64>) -> Array2<f64> {
    let mut out = m.clone();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            row.fill(0.0);
            continue;
        }
        let mut sum = 0.0;
        for x in row.iter_mut() {
            *x = (*x - max).exp();
            sum += *x;
        }
        row.mapv_inplace(|x| x / sum);
    }
    out
}

/// Every stage of one head of self-attention, with the inputs and projections it used.
#[derive(Debug, Clone)]
pub struct AttentionTrace {
    pub x: Array2<f64>,
    pub w_q: Array2<f64>,
    pub w_k: Array2<f64>,
    pub w_v: Array2<f64>,
    pub q: Array2<f64>,
    pub k: Array2<f64>,
    pub v: Array2<f64>,
    pub scores: Array2<f64>,
    /// Q·Kᵀ/√d_k, with −∞ above the diagonal when causal.
    pub scaled: Array2<f64>,
    pub weights: Array2<f64>,
    pub output: Array2<f64>,
}

/// Self-attention on X with the given projections.
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
    let s = scaled_dot_product(
        &q,
        &k,
        &v,
        Options {
            causal,
            ..Options::default()
        },
        None,
    );
    AttentionTrace {
        x,
        w_q,
        w_k,
        w_v,
        q,
        k,
        v,
        scores: s.scores,
        scaled: s.masked,
        weights: s.weights,
        output: s.output,
    }
}

/// The projections of one head.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub w_q: Array2<f64>,
    pub w_k: Array2<f64>,
    pub w_v: Array2<f64>,
}

/// Multi-head attention's weights: h heads of width d_k = d_model/h and the output matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHead {
    pub heads: Vec<Head>,
    /// (h·d_v) × d_model: mixes the concatenated heads back to the model width.
    pub w_o: Array2<f64>,
}

/// What multi-head attention computed: each head's stages, their concatenation and the
/// output after W_O.
#[derive(Debug, Clone)]
pub struct MultiHeadResult {
    pub heads: Vec<Stages>,
    pub concat: Array2<f64>,
    pub output: Array2<f64>,
}

/// Multi-head attention. `x_q` gives the queries; `x_kv` the keys and values (the same
/// matrix for self-attention, the encoder's output for cross-attention).
pub fn multi_head(
    x_q: &Array2<f64>,
    x_kv: &Array2<f64>,
    w: &MultiHead,
    opts: Options,
    key_mask: Option<&[bool]>,
) -> MultiHeadResult {
    let heads: Vec<Stages> = w
        .heads
        .iter()
        .map(|h| {
            scaled_dot_product(
                &x_q.dot(&h.w_q),
                &x_kv.dot(&h.w_k),
                &x_kv.dot(&h.w_v),
                opts,
                key_mask,
            )
        })
        .collect();
    let views: Vec<_> = heads.iter().map(|s| s.output.view()).collect();
    let concat = if views.is_empty() {
        Array2::zeros((x_q.nrows(), 0))
    } else {
        concatenate(Axis(1), &views).unwrap_or_else(|_| Array2::zeros((x_q.nrows(), 0)))
    };
    let output = concat.dot(&w.w_o);
    MultiHeadResult {
        heads,
        concat,
        output,
    }
}

/// Seeded random multi-head weights, scaled by 1/√fan-in so outputs stay near unit size.
pub fn random_multi_head(d_model: usize, heads: usize, d_k: usize, rng: &mut Rng) -> MultiHead {
    let mut gauss = |r: usize, c: usize| {
        let s = 1.0 / (r as f64).sqrt();
        Array2::from_shape_fn((r, c), |_| rng.normal() * s)
    };
    let hs = (0..heads)
        .map(|_| Head {
            w_q: gauss(d_model, d_k),
            w_k: gauss(d_model, d_k),
            w_v: gauss(d_model, d_k),
        })
        .collect();
    MultiHead {
        heads: hs,
        w_o: gauss(heads * d_k, d_model),
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

/// The same computation with plain loops: the reference the matrix version is tested against.
pub fn scaled_dot_product_loops(
    q: &Array2<f64>,
    k: &Array2<f64>,
    v: &Array2<f64>,
    opts: Options,
) -> Array2<f64> {
    let (n, m, d_v) = (q.nrows(), k.nrows(), v.ncols());
    let d_k = k.ncols() as f64;
    let mut out = Array2::zeros((n, d_v));
    for i in 0..n {
        let mut logits = vec![f64::NEG_INFINITY; m];
        for (j, logit) in logits.iter_mut().enumerate() {
            if opts.causal && j > i {
                continue;
            }
            let mut dot = 0.0;
            for c in 0..q.ncols() {
                dot += q[[i, c]] * k[[j, c]];
            }
            if opts.scale {
                dot /= d_k.sqrt();
            }
            *logit = dot / opts.temperature;
        }
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = logits
            .iter()
            .map(|l| if l.is_finite() { (l - max).exp() } else { 0.0 })
            .collect();
        let total: f64 = exps.iter().sum();
        for j in 0..m {
            for c in 0..d_v {
                out[[i, c]] += exps[j] / total * v[[j, c]];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) -> bool {
        a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() <= tol)
    }

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
    fn hand_worked_three_tokens_with_and_without_the_mask() {
        // Worked independently (plain Python): Q = K = [[1,0],[0,1],[1,1]], V = [[1,2],[3,4],[5,6]].
        let q = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let v = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let s = scaled_dot_product(&q, &q, &v, Options::default(), None);
        let want_w = array![
            [0.401112093, 0.197775815, 0.401112093],
            [0.197775815, 0.401112093, 0.401112093],
            [0.248255078, 0.248255078, 0.503489843]
        ];
        assert!(close(&s.weights, &want_w, 1e-8), "{:?}", s.weights);
        let want_o = array![
            [3.0, 4.0],
            [3.406672556, 4.406672556],
            [3.51046953, 4.51046953]
        ];
        assert!(close(&s.output, &want_o, 1e-8));
        let c = scaled_dot_product(
            &q,
            &q,
            &v,
            Options {
                causal: true,
                ..Options::default()
            },
            None,
        );
        let want_c = array![
            [1.0, 2.0],
            [2.339523099, 3.339523099],
            [3.51046953, 4.51046953]
        ];
        assert!(close(&c.output, &want_c, 1e-8), "{:?}", c.output);
        assert_eq!(c.weights[[0, 1]], 0.0);
        assert_eq!(c.weights[[1, 2]], 0.0);
    }

    #[test]
    fn matches_plain_loops_on_random_inputs() {
        let mut rng = Rng::new(42);
        for (n, d_k, d_v, causal, scale, t) in [
            (7, 5, 3, false, true, 1.0),
            (9, 4, 6, true, true, 0.7),
            (5, 8, 2, true, false, 2.0),
        ] {
            let q = Array2::from_shape_fn((n, d_k), |_| rng.normal());
            let k = Array2::from_shape_fn((n, d_k), |_| rng.normal());
            let v = Array2::from_shape_fn((n, d_v), |_| rng.normal());
            let opts = Options {
                scale,
                causal,
                temperature: t,
            };
            let fast = scaled_dot_product(&q, &k, &v, opts, None);
            let slow = scaled_dot_product_loops(&q, &k, &v, opts);
            assert!(close(&fast.output, &slow, 1e-5));
            for row in fast.weights.rows() {
                assert!((row.sum() - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_lean_path_gives_the_same_output() {
        let mut rng = Rng::new(8);
        let q = Array2::from_shape_fn((6, 4), |_| rng.normal());
        let k = Array2::from_shape_fn((6, 4), |_| rng.normal());
        let v = Array2::from_shape_fn((6, 3), |_| rng.normal());
        for causal in [false, true] {
            let opts = Options {
                causal,
                ..Options::default()
            };
            let full = scaled_dot_product(&q, &k, &v, opts, None).output;
            assert!(close(&attention_output(&q, &k, &v, opts), &full, 1e-12));
        }
    }

    #[test]
    fn masked_weights_are_exactly_zero_and_padding_hides_keys() {
        let mut rng = Rng::new(3);
        let x = Array2::from_shape_fn((4, 3), |_| rng.normal());
        let mask = [true, true, false, true];
        let s = scaled_dot_product(
            &x,
            &x,
            &x,
            Options {
                causal: true,
                ..Options::default()
            },
            Some(&mask),
        );
        for i in 0..4 {
            assert_eq!(s.weights[[i, 2]], 0.0);
            for j in (i + 1)..4 {
                assert_eq!(s.weights[[i, j]], 0.0);
            }
            assert!((s.weights.row(i).sum() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn softmax_stays_finite_for_huge_logits() {
        let q = array![[1e4, -1e4], [-1e4, 1e4]];
        let k = array![[1.0, 0.0], [0.0, 1.0]];
        let s = scaled_dot_product(
            &q,
            &k,
            &k,
            Options {
                scale: false,
                ..Options::default()
            },
            None,
        );
        assert!(s.weights.iter().all(|w| w.is_finite()));
        assert_eq!(s.weights[[0, 0]], 1.0);
    }

    #[test]
    fn without_positions_permuting_the_input_permutes_the_output() {
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((5, 4), |_| rng.normal());
        let w = random_multi_head(4, 2, 2, &mut rng);
        let perm = [3, 0, 4, 1, 2];
        let xp = Array2::from_shape_fn((5, 4), |(i, j)| x[[perm[i], j]]);
        let a = multi_head(&x, &x, &w, Options::default(), None).output;
        let b = multi_head(&xp, &xp, &w, Options::default(), None).output;
        let ap = Array2::from_shape_fn(a.raw_dim(), |(i, j)| a[[perm[i], j]]);
        assert!(close(&ap, &b, 1e-12));
    }

    #[test]
    fn one_head_with_identity_output_is_single_head_attention() {
        let mut rng = Rng::new(4);
        let x = Array2::from_shape_fn((6, 4), |_| rng.normal());
        let mut w = random_multi_head(4, 1, 4, &mut rng);
        w.w_o = Array2::eye(4);
        let h = &w.heads[0];
        let single = scaled_dot_product(
            &x.dot(&h.w_q),
            &x.dot(&h.w_k),
            &x.dot(&h.w_v),
            Options::default(),
            None,
        );
        let multi = multi_head(&x, &x, &w, Options::default(), None);
        assert!(close(&single.output, &multi.output, 1e-12));
        assert_eq!(multi.concat.ncols(), 4);
    }

    #[test]
    fn cross_attention_is_rectangular() {
        let mut rng = Rng::new(5);
        let target = Array2::from_shape_fn((3, 4), |_| rng.normal());
        let source = Array2::from_shape_fn((5, 4), |_| rng.normal());
        let w = random_multi_head(4, 2, 2, &mut rng);
        let r = multi_head(&target, &source, &w, Options::default(), None);
        assert_eq!(r.heads[0].weights.shape(), &[3, 5]);
        assert_eq!(r.output.shape(), &[3, 4]);
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
