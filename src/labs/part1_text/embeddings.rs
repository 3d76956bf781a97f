//! Word vectors computed from the bundled corpus: co-occurrence counts in a window, positive
//! pointwise mutual information (PPMI), then a truncated SVD. Nearest neighbours by cosine and
//! the analogy a − b + c, with or without excluding the three input words.

use crate::labs::rng::Rng;
use ndarray::{Array1, Array2, Axis};
use std::collections::HashMap;

/// Word vectors and the vocabulary they belong to.
#[derive(Debug, Clone)]
pub struct WordVectors {
    pub words: Vec<String>,
    pub index: HashMap<String, usize>,
    /// One row per word, unit length (so dot product = cosine).
    pub vectors: Array2<f64>,
}

/// Lowercase alphabetic words of a text.
pub fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Builds vectors of `dims` dimensions for the `vocab` most frequent words (seen at least
/// `min_count` times), counting neighbours within `window` words either side.
pub fn build(lines: &[String], vocab: usize, window: usize, dims: usize, seed: u64) -> WordVectors {
    let docs: Vec<Vec<String>> = lines.iter().map(|l| words_of(l)).collect();
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for w in docs.iter().flatten() {
        *freq.entry(w.as_str()).or_default() += 1;
    }
    let mut by_freq: Vec<(&str, usize)> = freq.into_iter().filter(|(_, c)| *c >= 3).collect();
    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_freq.truncate(vocab);
    let words: Vec<String> = by_freq.iter().map(|(w, _)| (*w).to_string()).collect();
    let index: HashMap<String, usize> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.clone(), i))
        .collect();
    let v = words.len();
    let mut counts = Array2::<f64>::zeros((v, v));
    for doc in &docs {
        let ids: Vec<Option<usize>> = doc.iter().map(|w| index.get(w).copied()).collect();
        for (i, a) in ids.iter().enumerate() {
            let Some(a) = a else { continue };
            let hi = (i + window + 1).min(ids.len());
            for b in ids[i + 1..hi].iter().flatten() {
                counts[[*a, *b]] += 1.0;
                counts[[*b, *a]] += 1.0;
            }
        }
    }
    let ppmi = ppmi(&counts);
    let vectors = truncated_svd_vectors(&ppmi, dims.min(v.max(1)), seed);
    WordVectors {
        words,
        index,
        vectors,
    }
}

/// Positive PMI with context-distribution smoothing (counts^0.75), which tames rare contexts.
pub fn ppmi(counts: &Array2<f64>) -> Array2<f64> {
    let total: f64 = counts.sum();
    if total == 0.0 {
        return counts.clone();
    }
    let row = counts.sum_axis(Axis(1));
    let ctx = counts.sum_axis(Axis(0)).mapv(|c| c.powf(0.75));
    let ctx_total: f64 = ctx.sum();
    let mut out = Array2::zeros(counts.raw_dim());
    for ((i, j), c) in counts.indexed_iter() {
        if *c > 0.0 {
            let pmi = ((c / total) / ((row[i] / total) * (ctx[j] / ctx_total))).ln();
            out[[i, j]] = pmi.max(0.0);
        }
    }
    out
}

/// Rows of U·√Σ from a randomized truncated SVD of a symmetric matrix, normalized to unit
/// length. Randomized range finding with two power iterations, then an exact eigen-solve of
/// the small projected matrix (Jacobi).
pub fn truncated_svd_vectors(m: &Array2<f64>, k: usize, seed: u64) -> Array2<f64> {
    let n = m.nrows();
    let p = (k + 10).min(n);
    let mut rng = Rng::new(seed);
    let omega = Array2::from_shape_fn((m.ncols(), p), |_| rng.normal());
    let mut y = orthonormalize(&m.dot(&omega));
    for _ in 0..2 {
        y = orthonormalize(&m.dot(&m.t().dot(&y)));
    }
    // B = Qᵀ M; its left singular vectors come from the eigenvectors of B·Bᵀ.
    let b = y.t().dot(m);
    let (values, vecs) = jacobi_eigen(&b.dot(&b.t()));
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]));
    let u = y.dot(&vecs);
    let mut out = Array2::zeros((n, k));
    for (col, &e) in order.iter().take(k).enumerate() {
        let sigma = values[e].max(0.0).sqrt();
        for r in 0..n {
            out[[r, col]] = u[[r, e]] * sigma.sqrt();
        }
    }
    for mut row in out.axis_iter_mut(Axis(0)) {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    out
}

/// Gram–Schmidt on the columns (twice, for stability); dependent columns become zero.
pub fn orthonormalize(a: &Array2<f64>) -> Array2<f64> {
    let mut q = a.clone();
    for _ in 0..2 {
        for j in 0..q.ncols() {
            let mut v = q.column(j).to_owned();
            for i in 0..j {
                let qi = q.column(i);
                let proj = qi.dot(&v);
                v.scaled_add(-proj, &qi);
            }
            let norm = v.dot(&v).sqrt();
            let v = if norm > 1e-12 {
                v / norm
            } else {
                Array1::zeros(v.len())
            };
            q.column_mut(j).assign(&v);
        }
    }
    q
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations.
pub fn jacobi_eigen(a: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut m = a.clone();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[[i, j]].powi(2))
            .sum();
        if off < 1e-20 {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                if m[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * m[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[[i, i]]).collect(), v)
}

impl WordVectors {
    /// From explicit vectors (normalized here), for tests and hand-made examples.
    pub fn from_rows(words: &[&str], rows: Array2<f64>) -> Self {
        let mut vectors = rows;
        for mut row in vectors.axis_iter_mut(Axis(0)) {
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row /= norm;
            }
        }
        let words: Vec<String> = words.iter().map(|w| (*w).to_string()).collect();
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        Self {
            words,
            index,
            vectors,
        }
    }

    /// The `k` words closest (cosine) to `query`, skipping `exclude`.
    pub fn nearest_to(
        &self,
        query: &Array1<f64>,
        k: usize,
        exclude: &[usize],
    ) -> Vec<(String, f64)> {
        let norm = query.dot(query).sqrt().max(1e-12);
        let sims = self.vectors.dot(query) / norm;
        let mut order: Vec<usize> = (0..self.words.len())
            .filter(|i| !exclude.contains(i))
            .collect();
        order.sort_by(|a, b| sims[*b].total_cmp(&sims[*a]));
        order
            .into_iter()
            .take(k)
            .map(|i| (self.words[i].clone(), sims[i]))
            .collect()
    }

    /// Neighbours of a word (itself excluded); `None` if the word is not in the vocabulary.
    pub fn neighbours(&self, word: &str, k: usize) -> Option<Vec<(String, f64)>> {
        let i = *self.index.get(&word.to_lowercase())?;
        Some(self.nearest_to(&self.vectors.row(i).to_owned(), k, &[i]))
    }

    /// a − b + c (as in king − man + woman), with or without the three inputs as candidates.
    pub fn analogy(
        &self,
        a: &str,
        b: &str,
        c: &str,
        k: usize,
        exclude_inputs: bool,
    ) -> Result<Vec<(String, f64)>, String> {
        let get = |w: &str| {
            self.index
                .get(&w.to_lowercase())
                .copied()
                .ok_or_else(|| format!("\"{w}\" is not in the vocabulary"))
        };
        let (ia, ib, ic) = (get(a)?, get(b)?, get(c)?);
        let target = &self.vectors.row(ia) - &self.vectors.row(ib) + self.vectors.row(ic);
        let exclude = if exclude_inputs {
            vec![ia, ib, ic]
        } else {
            vec![]
        };
        Ok(self.nearest_to(&target, k, &exclude))
    }
}

/// Every row of `v` projected on the two directions along which the rows vary most (PCA):
/// centre the rows, take the two leading eigenvectors of the covariance, project.
pub fn pca_2d(v: &Array2<f64>) -> Array2<f64> {
    let mean = v
        .mean_axis(Axis(0))
        .unwrap_or_else(|| ndarray::Array1::zeros(v.ncols()));
    let centred = v - &mean;
    let cov = centred.t().dot(&centred);
    let (values, vecs) = jacobi_eigen(&cov);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]));
    let basis = Array2::from_shape_fn((v.ncols(), 2), |(r, c)| vecs[[r, order[c]]]);
    centred.dot(&basis)
}

/// Words of the vocabulary spelled most like `query`, for "not among the words; try: …":
/// fewest edits first (Levenshtein distance), then the longest shared beginning, then the
/// vocabulary's own order. One- and two-letter words are left out unless the query is that
/// short itself: "d" or "k" helps nobody who typed "atention".
pub fn similar_spellings<'a>(words: &'a [String], query: &str, n: usize) -> Vec<&'a str> {
    let q: Vec<char> = query.to_lowercase().chars().collect();
    let shortest = 3.min(q.len());
    let mut scored: Vec<(usize, std::cmp::Reverse<usize>, usize, &str)> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.chars().count() >= shortest)
        .map(|(i, w)| {
            let w_chars: Vec<char> = w.chars().collect();
            let prefix = q.iter().zip(&w_chars).take_while(|(a, b)| a == b).count();
            (
                edit_distance(&q, &w_chars),
                std::cmp::Reverse(prefix),
                i,
                w.as_str(),
            )
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(n).map(|s| s.3).collect()
}

/// Levenshtein distance: the fewest single-character insertions, deletions or substitutions
/// that turn `a` into `b`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    /// Regression: an unknown word suggested "d, token, k". Distances by hand (and checked with a
    /// python3 Levenshtein): "atention" → "attention" is 1 (insert t), → "retention" and
    /// "tension" 2, → "token" 6; "kitten" → "sitting" is the textbook 3.
    #[test]
    fn suggestions_are_spelled_like_the_query() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(super::edit_distance(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(super::edit_distance(&chars(""), &chars("abc")), 3);
        assert_eq!(super::edit_distance(&chars("flaw"), &chars("lawn")), 2);
        let vocab: Vec<String> = [
            "d",
            "token",
            "k",
            "retention",
            "attention",
            "attend",
            "tension",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let got = super::similar_spellings(&vocab, "atention", 3);
        assert_eq!(got[0], "attention");
        assert!(!got.contains(&"d") && !got.contains(&"k"), "{got:?}");
        // "tokens" is 1 from "token" (delete s) and 4 or more from every other word.
        assert_eq!(super::similar_spellings(&vocab, "tokens", 1), ["token"]);
        // Equal distance: the longer shared beginning first ("retention" and "tension" are
        // both 2 from "atention"; neither shares its first letter, so vocabulary order).
        assert_eq!(got[1..], ["retention", "tension"]);
    }

    use super::*;
    use ndarray::array;

    #[test]
    fn jacobi_finds_known_eigenvalues() {
        let (mut vals, vecs) = jacobi_eigen(&array![[2.0, 1.0], [1.0, 2.0]]);
        vals.sort_by(f64::total_cmp);
        assert!((vals[0] - 1.0).abs() < 1e-12 && (vals[1] - 3.0).abs() < 1e-12);
        let vtv = vecs.t().dot(&vecs);
        assert!((vtv[[0, 1]]).abs() < 1e-12);
    }

    #[test]
    fn randomized_svd_recovers_a_low_rank_structure() {
        // A symmetric rank-2 matrix: rows in two groups; vectors of one group coincide.
        let u = array![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.7, 0.7]];
        let m = u.dot(&u.t());
        let v = truncated_svd_vectors(&m, 2, 1);
        let cos = |a: usize, b: usize| v.row(a).dot(&v.row(b));
        assert!((cos(0, 1) - 1.0).abs() < 1e-9);
        assert!(cos(0, 2).abs() < 1e-9);
        assert!((cos(0, 4) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }

    #[test]
    fn analogy_on_a_constructed_set_and_why_inputs_are_excluded() {
        // Dimensions: royalty, maleness, femaleness, person.
        let wv = WordVectors::from_rows(
            &["king", "queen", "man", "woman", "apple"],
            array![
                [1.0, 1.0, 0.0, 1.0],
                [1.0, 0.0, 1.0, 1.0],
                [0.0, 1.0, 0.0, 1.0],
                [0.0, 0.0, 1.0, 1.0],
                [0.0, 0.0, 0.0, 0.2]
            ],
        );
        let with = wv.analogy("king", "man", "woman", 1, true).unwrap();
        assert_eq!(with[0].0, "queen");
        let err = wv
            .analogy("king", "man", "emperor", 1, true)
            .err()
            .unwrap_or_default();
        assert!(err.contains("\"emperor\" is not in the vocabulary"));
    }

    #[test]
    fn vectors_from_the_course_text_put_related_words_together() {
        let wv = build(&crate::labs::part1_text::tokenize::corpus(), 1500, 4, 50, 1);
        assert!(wv.words.len() > 500, "{}", wv.words.len());
        let near = wv.neighbours("keys", 10).unwrap();
        assert!(
            near.iter()
                .any(|(w, _)| w == "values" || w == "queries" || w == "key"),
            "{near:?}"
        );
        for row in wv.vectors.rows() {
            let n = row.dot(&row);
            assert!(n == 0.0 || (n - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn pca_puts_the_widest_spread_first() {
        // Rows spread ±2 along z, ±1 along x and not at all along y, around the mean (1, 1, 1):
        // the first direction is z, the second x, so the projection is (±2, 0) and (0, ±1)
        // (each direction's sign is arbitrary).
        let v = ndarray::array![
            [1.0, 1.0, 3.0],
            [1.0, 1.0, -1.0],
            [2.0, 1.0, 1.0],
            [0.0, 1.0, 1.0]
        ];
        let p = pca_2d(&v);
        let abs: Vec<(f64, f64)> = p
            .rows()
            .into_iter()
            .map(|r| (r[0].abs(), r[1].abs()))
            .collect();
        for (got, want) in abs
            .iter()
            .zip([(2.0, 0.0), (2.0, 0.0), (0.0, 1.0), (0.0, 1.0)])
        {
            assert!(
                (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9,
                "{abs:?}"
            );
        }
    }
}
