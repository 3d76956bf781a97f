//! What fits on one GPU when training a model across many (lesson 16).
//!
//! Model states, per parameter, follow the ZeRO paper (Rajbhandari et al. 2019,
//! arXiv:1910.02054, §3.1): mixed-precision Adam keeps fp16/bf16 weights (2 bytes) and
//! gradients (2 bytes), and an optimizer state of K = 12 bytes (an fp32 master copy of the
//! weights, Adam's momentum and variance, 4 bytes each): 2Ψ + 2Ψ + 12Ψ = 16Ψ bytes for Ψ
//! parameters. The paper's Figure 1 (Ψ = 7.5B, 64 data-parallel GPUs) gives 120 GB per GPU for
//! plain data parallelism, 31.4 GB with the optimizer state sharded (stage 1), 16.6 GB with the
//! gradients too (stage 2) and 1.9 GB with the parameters too (stage 3): the tests check those.
//!
//! Activations use the estimate of Korthikanti et al. 2022 ("Reducing Activation Recomputation
//! in Large Transformer Models", arXiv:2205.05198): one transformer layer stores about
//! s·b·h·(34 + 5·a·s/h) bytes in 16-bit training (s sequence length, b micro-batch, h width,
//! a heads), divided by t with tensor and sequence parallelism; with full recomputation only
//! each layer's 16-bit input, 2·s·b·h bytes, is kept. The 5·a·s/h part is the attention's
//! n×n scores, softmax and dropout mask (their eq. 1); FlashAttention (Dao et al. 2022,
//! arXiv:2205.14135) never stores them, recomputing them tile by tile in the backward pass, so
//! with it a layer keeps s·b·h·34 bytes (for Llama 2 7B at s = 4096: 34/194, about 18% of the
//! whole). Under the 1F1B pipeline schedule the first
//! stage holds p micro-batches of L/p layers, i.e. as much as L layers of one micro-batch, so
//! pipelining does not shrink this term. Temporary buffers and fragmentation are left out.
//!
//! Gigabytes here are 10^9 bytes, as in the ZeRO paper.

/// How the training keeps its numbers: bytes per parameter for weights, gradients and
/// optimizer state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    pub name: &'static str,
    pub weights: f64,
    pub grads: f64,
    pub optimizer: f64,
}

pub const PRECISIONS: &[Precision] = &[
    // ZeRO §3.1: fp16 weights and grads, fp32 master weights + momentum + variance.
    Precision {
        name: "mixed bf16 + Adam",
        weights: 2.0,
        grads: 2.0,
        optimizer: 12.0,
    },
    // Everything in fp32: 4 + 4, and Adam's two fp32 moments 8.
    Precision {
        name: "fp32 + Adam",
        weights: 4.0,
        grads: 4.0,
        optimizer: 8.0,
    },
    // Plain SGD without momentum in bf16: no optimizer state at all.
    Precision {
        name: "bf16 + SGD",
        weights: 2.0,
        grads: 2.0,
        optimizer: 0.0,
    },
];

/// A model's size and the shapes the activation estimate needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelShape {
    pub key: &'static str,
    pub name: &'static str,
    pub params: f64,
    pub layers: usize,
    pub d_model: usize,
    pub heads: usize,
    pub seq_len: usize,
}

/// Presets from the models' published configurations (facts.md appendix).
pub const MODELS: &[ModelShape] = &[
    ModelShape {
        key: "gpt2-xl",
        name: "GPT-2 XL 1.5B",
        params: 1.5e9,
        layers: 48,
        d_model: 1600,
        heads: 25,
        seq_len: 1024,
    },
    ModelShape {
        key: "llama2-7b",
        name: "Llama 2 7B",
        // 6,738,415,616 by the published weights: the same 6.74B lesson 21 counts.
        params: 6.74e9,
        layers: 32,
        d_model: 4096,
        heads: 32,
        seq_len: 4096,
    },
    ModelShape {
        key: "llama2-70b",
        name: "Llama 2 70B",
        params: 70e9,
        layers: 80,
        d_model: 8192,
        heads: 64,
        seq_len: 4096,
    },
    ModelShape {
        key: "gpt3-175b",
        name: "GPT-3 175B",
        params: 175e9,
        layers: 96,
        d_model: 12288,
        heads: 96,
        seq_len: 2048,
    },
];

/// How the GPUs are split: data-parallel replicas × tensor degree × pipeline degree = GPUs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub gpus: usize,
    pub tensor: usize,
    pub pipeline: usize,
    /// 0 = plain data parallelism; 1 shards optimizer state, 2 also gradients, 3 also weights.
    pub zero_stage: u8,
    pub micro_batch: usize,
    pub recompute: bool,
    /// Attention computed FlashAttention's way: the n×n scores are never stored.
    pub flash_attention: bool,
}

impl Plan {
    /// Data-parallel replicas, or `None` when t·p does not divide the GPUs.
    pub fn data_parallel(&self) -> Option<usize> {
        let model_parallel = self.tensor.max(1) * self.pipeline.max(1);
        (self.gpus >= model_parallel && self.gpus.is_multiple_of(model_parallel))
            .then(|| self.gpus / model_parallel)
    }
}

/// Bytes one GPU holds, by category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    pub weights: f64,
    pub grads: f64,
    pub optimizer: f64,
    pub activations: f64,
}

impl Memory {
    pub fn model_states(&self) -> f64 {
        self.weights + self.grads + self.optimizer
    }

    pub fn total(&self) -> f64 {
        self.model_states() + self.activations
    }
}

/// Whole-model bytes of weights, gradients and optimizer state, on one GPU with no sharing.
pub fn model_state_bytes(params: f64, precision: &Precision) -> f64 {
    params * (precision.weights + precision.grads + precision.optimizer)
}

/// Activation bytes of one layer for one micro-batch (see the module docs), before any split.
pub fn activation_bytes_per_layer(
    model: &ModelShape,
    micro_batch: usize,
    recompute: bool,
    flash_attention: bool,
) -> f64 {
    let (s, b, h, a) = (
        model.seq_len as f64,
        micro_batch as f64,
        model.d_model as f64,
        model.heads as f64,
    );
    let scores = if flash_attention {
        0.0
    } else {
        5.0 * a * s / h
    };
    if recompute {
        2.0 * s * b * h
    } else {
        s * b * h * (34.0 + scores)
    }
}

/// What one GPU holds under `plan`, or `None` when the GPUs cannot be split that way.
///
/// Tensor and pipeline parallelism each cut every model state by their degree (t splits each
/// layer's matrices, p gives each GPU L/p layers); ZeRO then shards over the d data-parallel
/// replicas: stage ≥ 1 the optimizer state, ≥ 2 the gradients, 3 the weights.
pub fn per_gpu(model: &ModelShape, precision: &Precision, plan: &Plan) -> Option<Memory> {
    let d = plan.data_parallel()? as f64;
    let split = (plan.tensor.max(1) * plan.pipeline.max(1)) as f64;
    let per_replica = model.params / split;
    let shard = |stage: u8| if plan.zero_stage >= stage { d } else { 1.0 };
    let activations = model.layers as f64
        * activation_bytes_per_layer(
            model,
            plan.micro_batch.max(1),
            plan.recompute,
            plan.flash_attention,
        )
        / plan.tensor.max(1) as f64;
    Some(Memory {
        weights: per_replica * precision.weights / shard(3),
        grads: per_replica * precision.grads / shard(2),
        optimizer: per_replica * precision.optimizer / shard(1),
        activations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: Precision = PRECISIONS[0];

    fn plan(gpus: usize, tensor: usize, pipeline: usize, zero_stage: u8) -> Plan {
        Plan {
            gpus,
            tensor,
            pipeline,
            zero_stage,
            micro_batch: 1,
            recompute: false,
            flash_attention: false,
        }
    }

    fn shape(params: f64) -> ModelShape {
        ModelShape {
            params,
            ..MODELS[1]
        }
    }

    /// 7e9 × 16 B = 112e9 B = 112 GB of model states; ZeRO-3 over 8 GPUs: 112/8 = 14 GB.
    #[test]
    fn seven_billion_in_mixed_precision() {
        let m = shape(7e9);
        assert_eq!(model_state_bytes(7e9, &MIXED), 112e9);
        let one = per_gpu(&m, &MIXED, &plan(1, 1, 1, 0)).unwrap();
        assert_eq!(one.model_states(), 112e9);
        let z3 = per_gpu(&m, &MIXED, &plan(8, 1, 1, 3)).unwrap();
        assert!((z3.model_states() - 14e9).abs() < 1.0);
    }

    /// The ZeRO paper's Figure 1, Ψ = 7.5e9, N_d = 64, K = 12 (arithmetic in python3):
    /// baseline (2+2+12)·7.5 = 120 GB; P_os: 4·7.5 + 12·7.5/64 = 31.406 GB;
    /// P_os+g: 2·7.5 + 14·7.5/64 = 16.641 GB; P_os+g+p: 16·7.5/64 = 1.875 GB
    /// (printed there as 120, 31.4, 16.6 and 1.9 GB).
    #[test]
    fn zero_paper_figure_one() {
        let m = shape(7.5e9);
        let gb = |stage| {
            per_gpu(&m, &MIXED, &plan(64, 1, 1, stage))
                .unwrap()
                .model_states()
                / 1e9
        };
        assert!((gb(0) - 120.0).abs() < 1e-9);
        assert!((gb(1) - 31.40625).abs() < 1e-9);
        assert!((gb(2) - 16.640625).abs() < 1e-9);
        assert!((gb(3) - 1.875).abs() < 1e-9);
    }

    /// Tensor 8 × pipeline 4 on 64 GPUs leaves 2 data-parallel replicas; 70e9·16/32 = 35 GB of
    /// states per GPU before ZeRO; ZeRO-1 halves only the 12-byte optimizer part:
    /// 70e9/32 · (2 + 2 + 12/2) = 21.875 GB.
    #[test]
    fn three_d_parallelism_splits() {
        let m = shape(70e9);
        let p = plan(64, 8, 4, 0);
        assert_eq!(p.data_parallel(), Some(2));
        assert!((per_gpu(&m, &MIXED, &p).unwrap().model_states() - 35e9).abs() < 1.0);
        let z1 = per_gpu(&m, &MIXED, &plan(64, 8, 4, 1)).unwrap();
        assert!((z1.model_states() - 21.875e9).abs() < 1.0);
        assert_eq!(plan(12, 8, 1, 0).data_parallel(), None);
        assert_eq!(plan(4, 8, 1, 0).data_parallel(), None);
    }

    /// Llama 2 7B shapes (s = 4096, h = 4096, a = 32, L = 32), micro-batch 1:
    /// per layer s·h·(34 + 5·a·s/h) = 4096·4096·(34 + 160) = 3,254,779,904 B; × 32 layers
    /// = 104.15 GB; with recomputation 2·s·h·32 = 1.0737 GB; tensor 8 divides both by 8.
    #[test]
    fn activation_estimate_by_hand() {
        let m = MODELS[1];
        assert_eq!(
            activation_bytes_per_layer(&m, 1, false, false),
            3_254_779_904.0
        );
        let all = per_gpu(&m, &MIXED, &plan(1, 1, 1, 0)).unwrap().activations;
        assert!((all - 104_152_956_928.0).abs() < 1.0);
        let re = Plan {
            recompute: true,
            ..plan(8, 8, 1, 0)
        };
        let a = per_gpu(&m, &MIXED, &re).unwrap().activations;
        assert!((a - 2.0 * 4096.0 * 4096.0 * 32.0 / 8.0).abs() < 1.0);
    }

    /// FlashAttention drops the 5·a·s/h term: 4096·4096·34·32 = 18,253,611,008 B = 18.25 GB,
    /// 34/194 = 17.5% of the 104.15 GB; the scores were the other 82.5%.
    #[test]
    fn flash_attention_keeps_no_scores() {
        let m = MODELS[1];
        let flash = Plan {
            flash_attention: true,
            ..plan(1, 1, 1, 0)
        };
        let a = per_gpu(&m, &MIXED, &flash).unwrap().activations;
        assert!((a - 18_253_611_008.0).abs() < 1.0, "{a}");
        let plain = per_gpu(&m, &MIXED, &plan(1, 1, 1, 0)).unwrap().activations;
        assert!((1.0 - a / plain - 160.0 / 194.0).abs() < 1e-12);
        // With recomputation only the layer inputs are kept either way.
        let both = Plan {
            recompute: true,
            ..flash
        };
        let r = per_gpu(&m, &MIXED, &both).unwrap().activations;
        assert!((r - 2.0 * 4096.0 * 4096.0 * 32.0).abs() < 1.0);
    }
}
