//! Attention heads on a typed sentence: words split from text, the made-up input vectors
//! (a word part and a one-hot position), hand-built heads that make a named pattern, and the
//! weights of seeded random heads (what `llmf attention` prints).

use crate::labs::part2_math::attention::{
    multi_head, random_multi_head, toy_embeddings, Head, MultiHead, Options,
};
use crate::labs::rng::Rng;
use ndarray::{concatenate, Array2, Axis};

/// Width of the made-up word vectors.
pub const D_WORD: usize = 8;
/// Splits typed text into at most `max` words of at most 16 characters.
pub fn words(text: &str, max: usize) -> Vec<String> {
    text.split_whitespace()
        .take(max)
        .map(|w| w.chars().take(16).collect())
        .collect()
}

/// The input matrix: each word's made-up vector followed by a one-hot position, so hand-built
/// heads can look at positions as well as words.
pub fn inputs(tokens: &[String]) -> Array2<f64> {
    let words = toy_embeddings(tokens, D_WORD);
    let positions = Array2::eye(tokens.len());
    concatenate(Axis(1), &[words.view(), positions.view()]).unwrap_or(words)
}

/// Hand-built projections for a named pattern (`same-word` or `previous-token`).
pub fn pattern_head(pattern: &str, n: usize) -> MultiHead {
    let d_model = D_WORD + n;
    let strength = 3.0;
    let mut w_q = Array2::zeros((d_model, 0));
    let mut w_k = Array2::zeros((d_model, 0));
    if pattern == "same-word" {
        // Q = K = the word part: a query scores highest against keys with its own vector.
        w_q = Array2::from_shape_fn((d_model, D_WORD), |(r, c)| if r == c { 1.2 } else { 0.0 });
        w_k = w_q.clone();
    } else if pattern == "previous-token" {
        // The query at position i asks for position i−1; the key at position j announces j.
        w_q = Array2::from_shape_fn((d_model, n), |(r, c)| {
            if r >= D_WORD && r - D_WORD == c + 1 {
                strength
            } else {
                0.0
            }
        });
        w_k = Array2::from_shape_fn((d_model, n), |(r, c)| {
            if r >= D_WORD && r - D_WORD == c {
                strength
            } else {
                0.0
            }
        });
    }
    // Values carry the word vectors.
    let w_v = Array2::from_shape_fn((d_model, D_WORD), |(r, c)| if r == c { 1.0 } else { 0.0 });
    let w_o = Array2::eye(D_WORD);
    MultiHead {
        heads: vec![Head { w_q, w_k, w_v }],
        w_o,
    }
}

/// Each head's weights for a sentence with seeded random projections (what `llmf attention`
/// prints): heads × (tokens × tokens).
pub fn random_head_weights(
    tokens: &[String],
    heads: usize,
    d_k: usize,
    seed: u64,
    causal: bool,
) -> Vec<Array2<f64>> {
    let x = inputs(tokens);
    let w = random_multi_head(x.ncols(), heads, d_k, &mut Rng::new(seed));
    let opts = Options {
        causal,
        ..Options::default()
    };
    multi_head(&x, &x, &w, opts, None)
        .heads
        .into_iter()
        .map(|h| h.weights)
        .collect()
}
