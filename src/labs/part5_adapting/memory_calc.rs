//! How much memory fine-tuning a real model needs: full fine-tuning, LoRA and QLoRA, counted
//! from each model's matrix shapes so the trainable-parameter counts are exact.
//!
//! What is counted: the weights, the gradients, the fp32 master copy and Adam's two moments, and
//! for QLoRA the 4-bit codes and their quantization constants. What is not: activations (they
//! depend on batch size, sequence length and checkpointing, and are the same for all three
//! methods at the same batch), the CUDA context and allocator slack. The totals are therefore a
//! floor, not a prediction of a real run.
//!
//! The papers' own figures sit next to the computed ones in [`REPORTED`], as data with their
//! sources. They do not itemise their totals, and they imply other byte recipes than the
//! 16 bytes per parameter used here (1.2 TB for GPT-3 175B is ~6.9 B/param; >780 GB for a 65B
//! model is ~12 B/param), so they are shown beside the calculator, never derived by it.

use crate::labs::part5_adapting::quantize::{BLOCK, DOUBLE_QUANT_BLOCK};

/// The weight matrices of one transformer layer that LoRA can adapt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Q,
        Target::K,
        Target::V,
        Target::O,
        Target::Gate,
        Target::Up,
        Target::Down,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Q => "q",
            Target::K => "k",
            Target::V => "v",
            Target::O => "o",
            Target::Gate => "gate",
            Target::Up => "up",
            Target::Down => "down",
        }
    }
}

/// Layer norms: RMSNorm has a weight vector only; LayerNorm a weight and a bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    Rms,
    Layer,
}

/// The shape of a decoder-only transformer, enough to count every parameter.
#[derive(Clone, Copy, Debug)]
pub struct Arch {
    pub key: &'static str,
    pub name: &'static str,
    pub layers: u64,
    pub d_model: u64,
    pub ffn: u64,
    pub heads: u64,
    pub kv_heads: u64,
    pub vocab: u64,
    /// Llama's SwiGLU MLP has three matrices (gate, up, down); GPT's has two (up, down).
    pub gated_mlp: bool,
    /// GPT has a bias on every linear layer; Llama none.
    pub biases: bool,
    pub norm: Norm,
    /// GPT-2/3 reuse the token embedding as the output layer; Llama has a separate one.
    pub tied_embeddings: bool,
    /// Learned position embeddings (GPT) add positions × d_model; RoPE (Llama) adds nothing.
    pub learned_positions: u64,
    pub source: &'static str,
}

/// Published configurations. Llama shapes from the models' `config.json` (facts appendix);
/// the resulting totals match the counts published for the checkpoints.
pub const PRESETS: &[Arch] = &[
    Arch {
        key: "llama2-7b",
        name: "Llama 2 7B",
        layers: 32,
        d_model: 4096,
        ffn: 11008,
        heads: 32,
        kv_heads: 32,
        vocab: 32_000,
        gated_mlp: true,
        biases: false,
        norm: Norm::Rms,
        tied_embeddings: false,
        learned_positions: 0,
        source: "meta-llama/Llama-2-7b-hf config.json",
    },
    Arch {
        key: "llama2-13b",
        name: "Llama 2 13B",
        layers: 40,
        d_model: 5120,
        ffn: 13824,
        heads: 40,
        kv_heads: 40,
        vocab: 32_000,
        gated_mlp: true,
        biases: false,
        norm: Norm::Rms,
        tied_embeddings: false,
        learned_positions: 0,
        source: "meta-llama/Llama-2-13b-hf config.json",
    },
    Arch {
        key: "llama2-70b",
        name: "Llama 2 70B",
        layers: 80,
        d_model: 8192,
        ffn: 28672,
        heads: 64,
        kv_heads: 8,
        vocab: 32_000,
        gated_mlp: true,
        biases: false,
        norm: Norm::Rms,
        tied_embeddings: false,
        learned_positions: 0,
        source: "meta-llama/Llama-2-70b-hf config.json",
    },
    Arch {
        key: "llama3-8b",
        name: "Llama 3 8B",
        layers: 32,
        d_model: 4096,
        ffn: 14336,
        heads: 32,
        kv_heads: 8,
        vocab: 128_256,
        gated_mlp: true,
        biases: false,
        norm: Norm::Rms,
        tied_embeddings: false,
        learned_positions: 0,
        source: "meta-llama/Meta-Llama-3-8B config.json",
    },
    Arch {
        key: "gpt3-175b",
        name: "GPT-3 175B",
        layers: 96,
        d_model: 12288,
        ffn: 4 * 12288,
        heads: 96,
        kv_heads: 96,
        vocab: 50_257,
        gated_mlp: false,
        biases: true,
        norm: Norm::Layer,
        tied_embeddings: true,
        learned_positions: 2048,
        source:
            "Brown et al. 2020 Table 2.1 (layers, d_model); vocab and context assumed from GPT-2",
    },
];

pub fn preset(key: &str) -> Option<&'static Arch> {
    PRESETS.iter().find(|a| a.key == key)
}

impl Arch {
    fn d_head(&self) -> u64 {
        self.d_model / self.heads
    }

    /// (d_in, d_out) of one target matrix in one layer; `None` if the model has no such matrix
    /// (GPT's MLP has no gate).
    pub fn shape(&self, t: Target) -> Option<(u64, u64)> {
        let d = self.d_model;
        let q_dim = self.heads * self.d_head();
        let kv_dim = self.kv_heads * self.d_head();
        match t {
            Target::Q => Some((d, q_dim)),
            Target::K | Target::V => Some((d, kv_dim)),
            Target::O => Some((q_dim, d)),
            Target::Gate if !self.gated_mlp => None,
            Target::Gate | Target::Up => Some((d, self.ffn)),
            Target::Down => Some((self.ffn, d)),
        }
    }

    /// Weights in the linear layers of all blocks (what QLoRA stores in 4 bits).
    pub fn linear_params(&self) -> u64 {
        self.layers
            * Target::ALL
                .iter()
                .filter_map(|t| self.shape(*t))
                .map(|(i, o)| i * o)
                .sum::<u64>()
    }

    /// Every parameter: linear weights, biases, norms, embeddings and output layer.
    pub fn total_params(&self) -> u64 {
        let d = self.d_model;
        let shapes: Vec<(u64, u64)> = Target::ALL.iter().filter_map(|t| self.shape(*t)).collect();
        let biases = if self.biases {
            shapes.iter().map(|(_, o)| o).sum::<u64>()
        } else {
            0
        };
        let norm_size = match self.norm {
            Norm::Rms => d,
            Norm::Layer => 2 * d,
        };
        // Two norms per block (before attention, before the MLP) and one final norm.
        let per_layer_extra = biases + 2 * norm_size;
        let embeddings = self.vocab * d * if self.tied_embeddings { 1 } else { 2 };
        self.linear_params()
            + self.layers * per_layer_extra
            + norm_size
            + embeddings
            + self.learned_positions * d
    }

    /// LoRA's trainable parameters: r·(d_in + d_out) per adapted matrix per layer (A is r×d_in,
    /// B is d_out×r).
    pub fn lora_params(&self, rank: u64, targets: &[Target]) -> u64 {
        self.layers
            * targets
                .iter()
                .filter_map(|t| self.shape(*t))
                .map(|(i, o)| rank * (i + o))
                .sum::<u64>()
    }

    /// Bytes of the scale constants for 4-bit storage of every linear matrix, blockwise per
    /// matrix: one fp32 absmax per 64 weights, or with double quantization one byte per 64
    /// weights plus one fp32 per 256 of those bytes.
    pub fn quant_constant_bytes(&self, double_quant: bool) -> u64 {
        let per_layer: u64 = Target::ALL
            .iter()
            .filter_map(|t| self.shape(*t))
            .map(|(i, o)| {
                let blocks = (i * o).div_ceil(BLOCK as u64);
                if double_quant {
                    blocks + 4 * blocks.div_ceil(DOUBLE_QUANT_BLOCK as u64)
                } else {
                    4 * blocks
                }
            })
            .sum();
        self.layers * per_layer
    }
}

/// Bytes per trainable parameter in mixed-precision training with Adam: 16-bit weights (2) and
/// gradients (2), an fp32 master copy (4) and Adam's first and second moments in fp32 (4 + 4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainBytes {
    pub weight: u64,
    pub grad: u64,
    pub master: u64,
    pub adam_m: u64,
    pub adam_v: u64,
}

pub const MIXED_PRECISION_ADAM: TrainBytes = TrainBytes {
    weight: 2,
    grad: 2,
    master: 4,
    adam_m: 4,
    adam_v: 4,
};

impl TrainBytes {
    pub fn total(&self) -> u64 {
        self.weight + self.grad + self.master + self.adam_m + self.adam_v
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every weight trained.
    Full,
    /// Base frozen in 16 bits; adapters trained.
    Lora,
    /// Base frozen in NF4 (linear layers; embeddings, output layer and norms stay 16-bit);
    /// adapters trained. QLoRA's paged optimizer moves optimizer state to CPU memory when the GPU
    /// runs short: it absorbs spikes but does not shrink the steady-state count below.
    Qlora { double_quant: bool },
}

/// Memory needed, in bytes, split by what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    pub trainable_params: u64,
    /// Frozen base weights (16-bit, or 4-bit codes for QLoRA).
    pub frozen_weights: u64,
    /// QLoRA's absmax constants (fp32, or 8-bit with their own fp32 scales).
    pub quant_constants: u64,
    /// 16-bit copies of the trainable weights (for full fine-tuning: the model itself).
    pub trainable_weights: u64,
    pub gradients: u64,
    pub master_weights: u64,
    pub optimizer_states: u64,
}

impl Memory {
    pub fn total(&self) -> u64 {
        self.frozen_weights
            + self.quant_constants
            + self.trainable_weights
            + self.gradients
            + self.master_weights
            + self.optimizer_states
    }

    /// Size of the saved fine-tune in 16 bits: the whole model for full fine-tuning, only the
    /// adapters for LoRA/QLoRA.
    pub fn checkpoint_bytes(&self) -> u64 {
        2 * self.trainable_params
    }
}

/// The memory floor (no activations) to fine-tune `arch` by `method`; `rank` and `targets`
/// matter for LoRA and QLoRA only.
pub fn memory(arch: &Arch, method: Method, rank: u64, targets: &[Target]) -> Memory {
    let b = MIXED_PRECISION_ADAM;
    let total = arch.total_params();
    let (trainable, frozen_weights, quant_constants) = match method {
        Method::Full => (total, 0, 0),
        Method::Lora => (arch.lora_params(rank, targets), 2 * total, 0),
        Method::Qlora { double_quant } => {
            let linear = arch.linear_params();
            // 4 bits per linear weight; everything else kept in 16 bits.
            let frozen = linear.div_ceil(2) + 2 * (total - linear);
            (
                arch.lora_params(rank, targets),
                frozen,
                arch.quant_constant_bytes(double_quant),
            )
        }
    };
    Memory {
        trainable_params: trainable,
        frozen_weights,
        quant_constants,
        trainable_weights: b.weight * trainable,
        gradients: b.grad * trainable,
        master_weights: b.master * trainable,
        optimizer_states: (b.adam_m + b.adam_v) * trainable,
    }
}

/// A figure a paper reports, kept as data with where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct Reported {
    pub what: &'static str,
    pub value: &'static str,
    pub source: &'static str,
}

const LORA_PAPER: &str = "Hu et al. 2021, LoRA, arXiv:2106.09685";
const QLORA_PAPER: &str = "Dettmers et al. 2023, QLoRA, arXiv:2305.14314";

/// The headline figures of the LoRA and QLoRA papers (facts §11).
pub const REPORTED: &[Reported] = &[
    Reported {
        what: "GPT-3 175B, LoRA vs full fine-tuning with Adam: trainable parameters",
        value: "10,000x fewer",
        source: LORA_PAPER,
    },
    Reported {
        what: "GPT-3 175B, LoRA vs full fine-tuning: GPU memory",
        value: "3x less; 1.2 TB -> 350 GB",
        source: LORA_PAPER,
    },
    Reported {
        what: "GPT-3 175B checkpoint, LoRA r=4 on W_q and W_v",
        value: "350 GB -> 35 MB",
        source: LORA_PAPER,
    },
    Reported {
        what: "GPT-3 175B, LoRA training speed",
        value: "about 25% faster",
        source: LORA_PAPER,
    },
    Reported {
        what: "65B model fine-tuned on one GPU",
        value: "one 48 GB GPU",
        source: QLORA_PAPER,
    },
    Reported {
        what: "65B fine-tuning memory, 16-bit vs QLoRA",
        value: ">780 GB -> <48 GB",
        source: QLORA_PAPER,
    },
    Reported {
        what: "Double quantization: quantization constants per parameter",
        value: "~0.5 -> ~0.127 bits (about 3 GB saved on 65B)",
        source: QLORA_PAPER,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part5_adapting::quantize::scale_bits_per_weight;

    fn arch(key: &str) -> &'static Arch {
        preset(key).unwrap()
    }

    #[test]
    fn parameter_counts_match_published_checkpoints() {
        // Per layer 4·d² (q,k,v,o; no GQA) + 3·d·ffn + 2·d (norms); plus 2·V·d + d.
        // 7B: 32·(67,108,864 + 135,266,304 + 8,192) + 262,144,000 + 4,096 = 6,738,415,616,
        // the count Hugging Face reports for Llama-2-7b-hf.
        assert_eq!(arch("llama2-7b").total_params(), 6_738_415_616);
        // 13B: 40·(104,857,600 + 212,336,640 + 10,240) + 327,680,000 + 5,120.
        assert_eq!(arch("llama2-13b").total_params(), 13_015_864_320);
        // 70B (GQA, kv dim 8·128 = 1,024): 80·(2·8192² + 2·8192·1024 + 3·8192·28672 + 16,384)
        // + 2·32,000·8192 + 8192.
        assert_eq!(arch("llama2-70b").total_params(), 68_976_648_192);
        // Llama 3 8B: 32·(2·4096² + 2·4096·1024 + 3·4096·14336 + 8192) + 2·128,256·4096 + 4096;
        // the same number is in the GGUF metadata (general.parameter_count) of its conversions.
        assert_eq!(arch("llama3-8b").total_params(), 8_030_261_248);
        // GPT-3 175B: 96·(12·d² + 13·d) + 50,257·d + 2048·d + 2·d with d = 12,288
        // (python3 arithmetic): 174,604,259,328, printed as "175B".
        assert_eq!(arch("gpt3-175b").total_params(), 174_604_259_328);
    }

    #[test]
    fn lora_trainable_parameters() {
        use Target::*;
        // 32 layers × 2 matrices × 8 × (4096 + 4096).
        assert_eq!(arch("llama2-7b").lora_params(8, &[Q, V]), 4_194_304);
        // 70B with GQA: q is 8192→8192, v is 8192→1024: 80 × 16 × (16,384 + 9,216).
        assert_eq!(arch("llama2-70b").lora_params(16, &[Q, V]), 32_768_000);
        // All seven on Llama 2 7B, r = 8: 32 × 8 × (4·8192 + 3·(4096 + 11008)).
        assert_eq!(arch("llama2-7b").lora_params(8, &Target::ALL), 19_988_480);
        // GPT-3 has no gate matrix: adding it changes nothing.
        let g = arch("gpt3-175b");
        assert_eq!(g.lora_params(4, &[Q, V, Gate]), g.lora_params(4, &[Q, V]));
    }

    #[test]
    fn gpt3_lora_checkpoint_against_the_paper() {
        // 96 layers × 2 × 4 × (12,288 + 12,288) = 18,874,368 trainable parameters.
        let g = arch("gpt3-175b");
        let m = memory(g, Method::Lora, 4, &[Target::Q, Target::V]);
        assert_eq!(m.trainable_params, 18_874_368);
        // In fp16: 37,748,736 bytes = 37.7 MB = 36.0 MiB. The paper says "35 MB": the same
        // order and within 7%, a rounded figure for the fp16 adapters (fp32 would be 75 MB).
        assert_eq!(m.checkpoint_bytes(), 37_748_736);
        // Trainable-parameter ratio: 174.6e9 / 18.87e6 ≈ 9,250.9, the paper's "10,000x".
        let ratio = g.total_params() as f64 / m.trainable_params as f64;
        assert!((ratio - 9250.87).abs() < 0.01, "{ratio}");
        // Frozen fp16 base: 2 × 174.6e9 = 349 GB, the paper's "350 GB".
        assert_eq!(m.frozen_weights, 349_208_518_656);
        // Full fine-tuning at 16 B/param: 174,604,259,328 × 16 = 2.79 TB, 8x the LoRA figure.
        // The paper's 1.2 TB (3x) is not itemised and implies a leaner recipe (~6.9 B/param):
        // the lesson shows both, and says the byte recipe is an assumption.
        let full = memory(g, Method::Full, 0, &[]);
        assert_eq!(full.total(), 2_793_668_149_248);
    }

    #[test]
    fn llama2_7b_memory_by_hand() {
        let a = arch("llama2-7b");
        let qv = [Target::Q, Target::V];
        // Full: 6,738,415,616 × 16 B = 107,814,649,856 B ≈ 107.8 GB.
        let full = memory(a, Method::Full, 0, &[]);
        assert_eq!(full.total(), 107_814_649_856);
        assert_eq!(full.optimizer_states, 6_738_415_616 * 8);
        // LoRA r = 8 on q, v: 2 × 6,738,415,616 + 16 × 4,194,304 = 13,543,940,096 B.
        let lora = memory(a, Method::Lora, 8, &qv);
        assert_eq!(lora.total(), 13_543_940_096);
        // QLoRA: linear weights 6,476,005,376 at 4 bits = 3,238,002,688 B;
        // constants 101,187,584 blocks × 1 B + 395,264 × 4 B = 102,768,640 B;
        // embeddings, head and norms 262,410,240 × 2 B = 524,820,480 B;
        // adapters 4,194,304 × 16 B = 67,108,864 B. Sum 3,932,700,672 B ≈ 3.93 GB.
        assert_eq!(a.linear_params(), 6_476_005_376);
        let q = memory(a, Method::Qlora { double_quant: true }, 8, &qv);
        assert_eq!(q.quant_constants, 102_768_640);
        assert_eq!(q.total(), 3_932_700_672);
        // Without double quantization the constants are 101,187,584 × 4 B.
        let q1 = memory(
            a,
            Method::Qlora {
                double_quant: false,
            },
            8,
            &qv,
        );
        assert_eq!(q1.quant_constants, 404_750_336);
        // The constants per linear weight are exactly the bit counts of quant.rs.
        let bits = |m: &Memory| m.quant_constants as f64 * 8.0 / a.linear_params() as f64;
        assert!((bits(&q) - scale_bits_per_weight(64, Some(256))).abs() < 1e-12);
        assert!((bits(&q1) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn double_quantization_saves_about_3_gb_on_65b() {
        // The QLoRA paper's "≈3 GB on 65B": 65e9 × (0.5 − 0.126953125) / 8 = 3.03e9 bytes.
        let saved =
            65e9 * (scale_bits_per_weight(64, None) - scale_bits_per_weight(64, Some(256))) / 8.0;
        assert!((saved / 1e9 - 3.03).abs() < 0.01, "{saved}");
    }

    #[test]
    fn ordering_and_reported_figures_present() {
        for a in PRESETS {
            let full = memory(a, Method::Full, 0, &[]).total();
            let lora = memory(a, Method::Lora, 16, &Target::ALL).total();
            let q = memory(a, Method::Qlora { double_quant: true }, 16, &Target::ALL).total();
            assert!(q < lora && lora < full, "{}", a.name);
        }
        // Llama 2 70B in QLoRA with r=16 on q,v fits a 48 GB card by this count:
        // 34.23 GB codes + 1.09 GB constants + 1.05 GB 16-bit rest + 0.52 GB adapters = 36.89 GB.
        let m = memory(
            arch("llama2-70b"),
            Method::Qlora { double_quant: true },
            16,
            &[Target::Q, Target::V],
        );
        assert!(m.total() < 48_000_000_000, "{}", m.total());
        assert!(REPORTED.iter().all(|r| r.source.contains("arXiv:")));
    }
}
