//! Sparse and dense similarity: BM25 over a document set, the three vector metrics (cosine,
//! dot product, Euclidean distance), and how distances concentrate as dimensions grow.

use crate::labs::part1_text::embeddings::{words_of, WordVectors};
use crate::labs::rng::Rng;
use ndarray::Array1;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A BM25 index: term frequencies per document, document lengths, document frequencies.
pub struct Bm25 {
    docs: Vec<HashMap<String, f64>>,
    lengths: Vec<f64>,
    df: HashMap<String, f64>,
    avg_len: f64,
}

impl Bm25 {
    pub fn new(documents: &[String]) -> Self {
        let mut docs = Vec::new();
        let mut lengths = Vec::new();
        let mut df: HashMap<String, f64> = HashMap::new();
        for d in documents {
            let words = words_of(d);
            let mut tf: HashMap<String, f64> = HashMap::new();
            for w in &words {
                *tf.entry(w.clone()).or_default() += 1.0;
            }
            for w in tf.keys() {
                *df.entry(w.clone()).or_default() += 1.0;
            }
            lengths.push(words.len() as f64);
            docs.push(tf);
        }
        let avg_len = lengths.iter().sum::<f64>() / lengths.len().max(1) as f64;
        Self {
            docs,
            lengths,
            df,
            avg_len,
        }
    }

    /// idf(t) = ln(1 + (N − n + 0.5)/(n + 0.5)), never negative.
    pub fn idf(&self, term: &str) -> f64 {
        let n = self.df.get(term).copied().unwrap_or(0.0);
        let total = self.docs.len() as f64;
        (1.0 + (total - n + 0.5) / (n + 0.5)).ln()
    }

    /// Σ over query terms of idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avg_len)).
    pub fn score(&self, query: &str, doc: usize, k1: f64, b: f64) -> f64 {
        let tf = &self.docs[doc];
        let norm = k1 * (1.0 - b + b * self.lengths[doc] / self.avg_len.max(1e-12));
        words_of(query)
            .iter()
            .map(|t| {
                let f = tf.get(t).copied().unwrap_or(0.0);
                self.idf(t) * f * (k1 + 1.0) / (f + norm)
            })
            .sum()
    }

    /// Documents ranked by score, best first (ties keep document order).
    pub fn rank(&self, query: &str, k1: f64, b: f64) -> Vec<(usize, f64)> {
        let mut scored: Vec<(usize, f64)> = (0..self.docs.len())
            .map(|d| (d, self.score(query, d, k1, b)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
    }
}

/// A dense vector for a text: the mean of its known words' vectors (unit length), or zeros.
pub fn embed_text(wv: &WordVectors, text: &str) -> Array1<f64> {
    let mut sum = Array1::zeros(wv.vectors.ncols());
    let mut n = 0.0;
    for w in words_of(text) {
        if let Some(&i) = wv.index.get(&w) {
            sum += &wv.vectors.row(i);
            n += 1.0;
        }
    }
    if n > 0.0 {
        sum /= n;
    }
    let norm = sum.dot(&sum).sqrt();
    if norm > 0.0 {
        sum / norm
    } else {
        sum
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// a·b / (‖a‖‖b‖); 0 when either vector is zero.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let d = norm(a) * norm(b);
    if d == 0.0 {
        0.0
    } else {
        dot(a, b) / d
    }
}

pub fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

pub fn normalized(a: &[f64]) -> Vec<f64> {
    let n = norm(a);
    if n == 0.0 {
        a.to_vec()
    } else {
        a.iter().map(|x| x / n).collect()
    }
}

/// For random points in the unit cube of dimension `d`: (farthest − nearest) / nearest
/// distance from a random query. It shrinks toward 0 as d grows: distances concentrate.
pub fn relative_contrast(d: usize, points: usize, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let q: Vec<f64> = (0..d).map(|_| rng.unit()).collect();
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for _ in 0..points {
        let p: Vec<f64> = (0..d).map(|_| rng.unit()).collect();
        let dist = euclidean(&p, &q);
        lo = lo.min(dist);
        hi = hi.max(dist);
    }
    (hi - lo) / lo.max(1e-12)
}

/// The dimensions the concentration curve is measured at.
pub const CONC_DIMS: [usize; 12] = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// Relative contrast at each of [`CONC_DIMS`] for `points` random points, measured once per
/// point count and kept.
pub fn contrast_curve(points: usize) -> Arc<Vec<f64>> {
    type Curves = Mutex<Vec<(usize, Arc<Vec<f64>>)>>;
    static CACHE: OnceLock<Curves> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|e| e.0 == points).map(|e| Arc::clone(&e.1)))
    {
        return hit;
    }
    let curve = Arc::new(
        CONC_DIMS
            .iter()
            .map(|&d| relative_contrast(d, points, d as u64))
            .collect::<Vec<_>>(),
    );
    if let Ok(mut c) = cache.lock() {
        c.push((points, Arc::clone(&curve)));
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bm25_matches_a_hand_computed_example() {
        // N = 3 documents of lengths 3, 2, 4 (avg 3); query "cat", k1 = 1.2, b = 0.75.
        let docs: Vec<String> = ["the cat sat", "dog ran", "cat and cat slept"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let bm = Bm25::new(&docs);
        // "cat" is in 2 of 3 documents: idf = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln(1.6).
        let idf = 1.6f64.ln();
        assert!((bm.idf("cat") - idf).abs() < 1e-12);
        // Doc 0: tf 1, len 3: 1·2.2 / (1 + 1.2·(0.25 + 0.75·1)) = 2.2 / 2.2 = 1.
        assert!((bm.score("cat", 0, 1.2, 0.75) - idf * 1.0).abs() < 1e-12);
        // Doc 2: tf 2, len 4: 2·2.2 / (2 + 1.2·(0.25 + 0.75·4/3)) = 4.4 / 3.5.
        assert!((bm.score("cat", 2, 1.2, 0.75) - idf * 4.4 / 3.5).abs() < 1e-12);
        assert_eq!(bm.score("cat", 1, 1.2, 0.75), 0.0);
        assert_eq!(bm.rank("cat", 1.2, 0.75)[0].0, 2);
    }

    #[test]
    fn dot_product_rewards_length_and_cosine_does_not() {
        let (a, b) = ([1.0, 0.0], [3.0, 0.0]);
        assert_eq!(cosine(&a, &b), 1.0);
        assert_eq!(dot(&a, &b), 3.0);
    }

    #[test]
    fn distances_concentrate_as_dimension_grows() {
        assert!(relative_contrast(2, 500, 1) > 5.0 * relative_contrast(512, 500, 1));
    }

    proptest! {
        /// For unit vectors ‖a−b‖² = 2 − 2·cos(a, b).
        #[test]
        fn unit_vectors_tie_distance_to_cosine(a in prop::collection::vec(-10.0f64..10.0, 1..32), seed in 0u64..1000) {
            let mut rng = crate::labs::rng::Rng::new(seed);
            let b: Vec<f64> = a.iter().map(|_| rng.normal()).collect();
            prop_assume!(norm(&a) > 1e-6 && norm(&b) > 1e-6);
            let (ua, ub) = (normalized(&a), normalized(&b));
            let lhs = euclidean(&ua, &ub).powi(2);
            let rhs = 2.0 - 2.0 * cosine(&ua, &ub);
            prop_assert!((lhs - rhs).abs() < 1e-9, "{lhs} vs {rhs}");
        }
    }
}
