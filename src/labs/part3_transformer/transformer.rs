//! The transformer as numbers: parameter counts part by part, the KV cache, positional
//! encodings (sinusoidal and RoPE) and one block's forward pass.

use crate::labs::part2_math::attention::{multi_head, MultiHead, Options};
use ndarray::{Array1, Array2, Axis};

/// Where a model's parameters are, part by part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelShape {
    pub layers: usize,
    pub d_model: usize,
    pub vocab: usize,
    /// Learned position table rows (0 for rotary positions).
    pub positions: usize,
    /// Feed-forward inner width.
    pub d_ff: usize,
    /// GPT-2 style: biases, LayerNorm with a bias, a 2-matrix FFN, unembedding tied to the
    /// embedding. Otherwise Llama style: no biases, RMSNorm, a 3-matrix SwiGLU FFN, untied.
    pub gpt2_style: bool,
}

/// Parameter counts of a [`ModelShape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamCount {
    pub token_embeddings: u64,
    pub positions: u64,
    pub attention: u64,
    pub feed_forward: u64,
    pub norms_and_biases: u64,
    pub unembedding: u64,
    pub total: u64,
}

impl ModelShape {
    pub const GPT2_SMALL: Self = Self {
        layers: 12,
        d_model: 768,
        vocab: 50_257,
        positions: 1024,
        d_ff: 3072,
        gpt2_style: true,
    };
    pub const GPT2_XL: Self = Self {
        layers: 48,
        d_model: 1600,
        vocab: 50_257,
        positions: 1024,
        d_ff: 6400,
        gpt2_style: true,
    };
    pub const LLAMA2_7B: Self = Self {
        layers: 32,
        d_model: 4096,
        vocab: 32_000,
        positions: 0,
        d_ff: 11_008,
        gpt2_style: false,
    };

    pub fn count(&self) -> ParamCount {
        let (l, d, v, ff) = (
            self.layers as u64,
            self.d_model as u64,
            self.vocab as u64,
            self.d_ff as u64,
        );
        let token_embeddings = v * d;
        let positions = self.positions as u64 * d;
        let attention = l * 4 * d * d;
        let (feed_forward, norms_and_biases, unembedding) = if self.gpt2_style {
            // Biases: Q, K, V and output (4d), FFN (ff + d); LayerNorm weight and bias twice per
            // block, plus the final one.
            (l * 2 * d * ff, l * (4 * d + ff + d + 4 * d) + 2 * d, 0)
        } else {
            // RMSNorm weights twice per block and once at the end; untied output matrix.
            (l * 3 * d * ff, l * 2 * d + d, v * d)
        };
        let total = token_embeddings
            + positions
            + attention
            + feed_forward
            + norms_and_biases
            + unembedding;
        ParamCount {
            token_embeddings,
            positions,
            attention,
            feed_forward,
            norms_and_biases,
            unembedding,
            total,
        }
    }

    /// Kaplan's rule of thumb for the blocks alone: 12·L·d² (attention 4d², FFN 8d²).
    pub fn rule_of_thumb(&self) -> u64 {
        12 * self.layers as u64 * (self.d_model as u64).pow(2)
    }
}

/// A model's key–value cache geometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KvShape {
    pub name: &'static str,
    pub key: &'static str,
    pub layers: u64,
    pub query_heads: u64,
    pub kv_heads: u64,
    pub d_head: u64,
    /// Parameters, for comparing the cache with the weights.
    pub params: f64,
}

pub const KV_PRESETS: &[KvShape] = &[
    KvShape {
        name: "Llama 2 7B",
        key: "llama2-7b",
        layers: 32,
        query_heads: 32,
        kv_heads: 32,
        d_head: 128,
        params: 6.74e9,
    },
    KvShape {
        name: "Llama 2 70B (GQA)",
        key: "llama2-70b",
        layers: 80,
        query_heads: 64,
        kv_heads: 8,
        d_head: 128,
        params: 70e9,
    },
    KvShape {
        name: "Llama 3 8B (GQA)",
        key: "llama3-8b",
        layers: 32,
        query_heads: 32,
        kv_heads: 8,
        d_head: 128,
        params: 8e9,
    },
    KvShape {
        name: "GPT-3 175B",
        key: "gpt3-175b",
        layers: 96,
        query_heads: 96,
        kv_heads: 96,
        d_head: 128,
        params: 175e9,
    },
];

/// Bytes of keys and values cached per token: 2 (K and V) × layers × KV heads × d_head × bytes.
pub fn kv_bytes_per_token(s: &KvShape, bytes_per_value: f64) -> f64 {
    2.0 * (s.layers * s.kv_heads * s.d_head) as f64 * bytes_per_value
}

/// The sinusoidal encoding: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(same).
pub fn sinusoidal(positions: usize, d_model: usize) -> Array2<f64> {
    Array2::from_shape_fn((positions, d_model), |(pos, j)| {
        let i = (j / 2) as f64;
        let angle = pos as f64 / 10_000f64.powf(2.0 * i / d_model as f64);
        if j % 2 == 0 {
            angle.sin()
        } else {
            angle.cos()
        }
    })
}

/// The wavelength of dimension pair i: 2π·10000^(2i/d).
pub fn wavelength(pair: usize, d_model: usize) -> f64 {
    std::f64::consts::TAU * 10_000f64.powf(2.0 * pair as f64 / d_model as f64)
}

/// RoPE on one 2-D pair: rotate (x, y) by pos·θ, θ = base^(−2i/d).
pub fn rope_rotate(v: (f64, f64), pos: f64, pair: usize, d_model: usize, base: f64) -> (f64, f64) {
    let theta = base.powf(-2.0 * pair as f64 / d_model as f64);
    let (s, c) = (pos * theta).sin_cos();
    (v.0 * c - v.1 * s, v.0 * s + v.1 * c)
}

/// LayerNorm without learned scale and shift: each row to mean 0, variance 1.
pub fn layer_norm(x: &Array2<f64>) -> Array2<f64> {
    let mut out = x.clone();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let mean = row.mean().unwrap_or(0.0);
        let var = row.mapv(|v| (v - mean).powi(2)).mean().unwrap_or(0.0);
        row.mapv_inplace(|v| (v - mean) / (var + 1e-5).sqrt());
    }
    out
}

/// One stage of a block's forward pass: its name, the matrix it produced.
pub struct Stage {
    pub name: String,
    pub value: Array2<f64>,
}

/// One transformer block on `x`: attention then a ReLU feed-forward of width 4d, each with a
/// residual connection; LayerNorm before each sublayer (pre-LN, GPT-2 on) or after each
/// residual sum (post-LN, the original).
pub fn block_forward(
    x: &Array2<f64>,
    attn: &MultiHead,
    w1: &Array2<f64>,
    w2: &Array2<f64>,
    pre_ln: bool,
) -> Vec<Stage> {
    let st = |name: &str, value: Array2<f64>| Stage {
        name: name.to_string(),
        value,
    };
    let mut stages = vec![st("input x (embeddings + positions)", x.clone())];
    let attn_in = if pre_ln { layer_norm(x) } else { x.clone() };
    if pre_ln {
        stages.push(st("LayerNorm(x)", attn_in.clone()));
    }
    let mh = multi_head(&attn_in, &attn_in, attn, Options::default(), None);
    for (h, head) in mh.heads.iter().enumerate() {
        stages.push(st(&format!("head {} weights", h + 1), head.weights.clone()));
    }
    stages.push(st("concat(heads)", mh.concat.clone()));
    stages.push(st("attention out = concat·W_O", mh.output.clone()));
    let mut h = x + &mh.output;
    stages.push(st("x + attention (residual)", h.clone()));
    if !pre_ln {
        h = layer_norm(&h);
        stages.push(st("LayerNorm (post)", h.clone()));
    }
    let ffn_in = if pre_ln { layer_norm(&h) } else { h.clone() };
    if pre_ln {
        stages.push(st("LayerNorm", ffn_in.clone()));
    }
    let hidden = ffn_in.dot(w1).mapv(|v| v.max(0.0));
    stages.push(st("FFN hidden = ReLU(·W₁)", hidden.clone()));
    let ffn_out = hidden.dot(w2);
    stages.push(st("FFN out = hidden·W₂", ffn_out.clone()));
    let mut out = &h + &ffn_out;
    stages.push(st("+ residual: block output", out.clone()));
    if !pre_ln {
        out = layer_norm(&out);
        stages.push(st("LayerNorm (post): block output", out));
    }
    stages
}

/// Root mean square of a matrix's entries: the "size" of the numbers at a stage.
pub fn rms(m: &Array2<f64>) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    (m.mapv(|v| v * v).sum() / m.len() as f64).sqrt()
}

/// Mean of each row (used to show LayerNorm centring).
pub fn row_means(m: &Array2<f64>) -> Array1<f64> {
    m.mean_axis(Axis(1))
        .unwrap_or_else(|| Array1::zeros(m.nrows()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part2_math::attention::random_multi_head;
    use crate::labs::rng::Rng;

    #[test]
    fn gpt2_small_is_124m_with_embeddings() {
        // The published checkpoint's count: 124,439,808.
        assert_eq!(ModelShape::GPT2_SMALL.count().total, 124_439_808);
        assert_eq!(ModelShape::GPT2_SMALL.count().token_embeddings, 38_597_376);
        assert_eq!(ModelShape::GPT2_SMALL.rule_of_thumb(), 84_934_656);
    }

    #[test]
    fn llama2_7b_is_6_74b() {
        assert_eq!(ModelShape::LLAMA2_7B.count().total, 6_738_415_616);
    }

    #[test]
    fn kv_cache_bytes_per_token() {
        let llama2 = KV_PRESETS[0];
        assert_eq!(kv_bytes_per_token(&llama2, 2.0), 524_288.0);
        assert_eq!(kv_bytes_per_token(&KV_PRESETS[2], 2.0), 131_072.0); // 128 KiB
        assert_eq!(kv_bytes_per_token(&KV_PRESETS[1], 2.0), 327_680.0); // 320 KiB
        assert_eq!(kv_bytes_per_token(&KV_PRESETS[3], 2.0), 4_718_592.0); // 4.5 MiB
    }

    #[test]
    fn sinusoidal_values_and_wavelengths() {
        let pe = sinusoidal(4, 4);
        assert_eq!(pe[[0, 0]], 0.0);
        assert_eq!(pe[[0, 1]], 1.0);
        assert!((pe[[1, 0]] - 1f64.sin()).abs() < 1e-12);
        assert!((pe[[3, 2]] - (3.0f64 / 100.0).sin()).abs() < 1e-12); // 10000^(2/4) = 100
        assert!((wavelength(0, 512) - std::f64::consts::TAU).abs() < 1e-12);
        assert!((wavelength(256, 512) - std::f64::consts::TAU * 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn rope_dot_products_depend_only_on_the_offset() {
        let (q, k) = ((0.3, -1.2), (0.8, 0.5));
        let dot = |a: (f64, f64), b: (f64, f64)| a.0 * b.0 + a.1 * b.1;
        let at = |m: f64, n: f64| {
            dot(
                rope_rotate(q, m, 1, 8, 10_000.0),
                rope_rotate(k, n, 1, 8, 10_000.0),
            )
        };
        assert!((at(5.0, 2.0) - at(103.0, 100.0)).abs() < 1e-12);
        assert!((at(5.0, 2.0) - at(5.0, 4.0)).abs() > 1e-6);
    }

    #[test]
    fn a_block_keeps_the_shape_and_layer_norm_centres() {
        let mut rng = Rng::new(2);
        let x = Array2::from_shape_fn((5, 8), |_| rng.normal());
        let attn = random_multi_head(8, 2, 4, &mut rng);
        let w1 = Array2::from_shape_fn((8, 32), |_| rng.normal() * 0.3);
        let w2 = Array2::from_shape_fn((32, 8), |_| rng.normal() * 0.2);
        for pre in [true, false] {
            let stages = block_forward(&x, &attn, &w1, &w2, pre);
            let out = &stages.last().unwrap().value;
            assert_eq!(out.shape(), &[5, 8]);
            assert!(stages.iter().any(|s| s.value.shape() == [5, 32]));
        }
        let ln = layer_norm(&x);
        assert!(row_means(&ln).iter().all(|m| m.abs() < 1e-12));
        // Variance 1 per row, with 1/n as LayerNorm divides (up to its ε).
        for row in ln.rows() {
            let var = row.iter().map(|v| v * v).sum::<f64>() / row.len() as f64;
            assert!((var - 1.0).abs() < 1e-4, "row variance {var}");
        }
    }

    #[test]
    fn layer_norm_matches_a_hand_computed_row() {
        // Row [1, 2, 3, 4]: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25,
        // so (x − 2.5)/√1.25 = [−1.3416, −0.4472, 0.4472, 1.3416].
        let x = Array2::from_shape_vec((1, 4), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let ln = layer_norm(&x);
        let want = [-1.341_640_8, -0.447_213_6, 0.447_213_6, 1.341_640_8];
        for (got, want) in ln.iter().zip(want) {
            assert!((got - want).abs() < 1e-4, "{got} vs {want}");
        }
    }
}
