//! Counting floating-point operations: a matrix product, a linear layer, a whole model.

/// One PF-day: 10^15 FLOP/s for a day.
pub const PF_DAY: f64 = 1e15 * 86_400.0;

/// FLOPs of (m×k)·(k×n): m·n dot products of k multiply–adds, 2·m·k·n in all.
pub fn matmul_flops(m: f64, k: f64, n: f64) -> f64 {
    2.0 * m * k * n
}

/// A model preset: name, parameter count, and where the number comes from.
pub struct ModelPreset {
    pub key: &'static str,
    pub name: &'static str,
    pub params: f64,
}

pub const MODELS: &[ModelPreset] = &[
    ModelPreset {
        key: "gpt2-small",
        name: "GPT-2 small (124M)",
        params: 124e6,
    },
    ModelPreset {
        key: "gpt2-xl",
        name: "GPT-2 XL (1.5B)",
        params: 1.5e9,
    },
    ModelPreset {
        key: "llama2-7b",
        name: "Llama 2 7B",
        params: 7e9,
    },
    ModelPreset {
        key: "chinchilla-70b",
        name: "Chinchilla (70B)",
        params: 70e9,
    },
    ModelPreset {
        key: "gpt3-175b",
        name: "GPT-3 (175B)",
        params: 175e9,
    },
];

/// Training-set sizes in tokens, named as the lessons name them.
pub const DATA: &[(&str, f64)] = &[
    ("40B", 40e9),
    ("300B", 300e9),
    ("1.4T", 1.4e12),
    ("2T", 2e12),
    ("15T", 15e12),
];

/// Forward pass FLOPs per token: about 2 per parameter (one multiply, one add).
pub fn forward_per_token(params: f64) -> f64 {
    2.0 * params
}

/// Training FLOPs: forward (2N) plus backward (≈ 2× forward, 4N) per token, C ≈ 6·N·D.
pub fn training_flops(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples() {
        assert_eq!(matmul_flops(3.0, 4.0, 3.0), 72.0);
        // Chinchilla: 6 × 70e9 × 1.4e12 = 5.88e23.
        assert!((training_flops(70e9, 1.4e12) - 5.88e23).abs() < 1e20);
        // GPT-3: 6 × 175e9 × 300e9 = 3.15e23 ≈ 3,646 PF-days.
        let c = training_flops(175e9, 300e9);
        assert!((c / PF_DAY - 3645.8).abs() < 0.1);
    }
}
