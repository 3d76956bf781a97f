//! The parallelism planner (lesson 16): pick a model, a number of GPUs and their memory, the
//! precision, the tensor and pipeline degrees and a ZeRO stage; see the gigabytes one GPU
//! holds for weights, gradients, optimizer state and activations, and whether it fits.

use crate::labs::fmt_num;
use crate::labs::part4_pretraining::parallelism::{
    model_state_bytes, per_gpu, Plan, Precision, MODELS, PRECISIONS,
};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Visual};

const GPUS: &[usize] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// GPU memory in GB: a 16 GB V100, 24 GB consumer card, 40 and 80 GB A100/H100, 141 GB H200.
const MEMORY_GB: &[usize] = &[16, 24, 40, 80, 141];
const TENSOR: &[usize] = &[1, 2, 4, 8];
const PIPELINE: &[usize] = &[1, 2, 4, 8, 16, 32];
const ZERO: &[&str] = &["off", "1: optimizer", "2: + gradients", "3: + weights"];
/// The model presets' keys, as lessons name them (a test checks they match the presets).
const MODEL_KEYS: &[&str] = &["gpt2-xl", "llama2-7b", "llama2-70b", "gpt3-175b"];
/// The precisions' names, as lessons name them (a test checks they match the lab's).
const PRECISION_NAMES: &[&str] = &["mixed bf16 + Adam", "fp32 + Adam", "bf16 + SGD"];

/// The `parallelism` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "parallelism",
    title: "What fits on the GPUs",
    about: "picks a model, GPUs, GPU memory, precision, tensor and pipeline degrees, a ZeRO stage, recomputation and FlashAttention; sees gigabytes per GPU for weights, gradients, optimizer state and activations (one micro-batch of full-length sequences), and whether it fits",
    params: &[
        ParamDef {
            name: "model",
            ty: ParamType::Choice { options: MODEL_KEYS, default: "llama2-7b" },
            doc: "the model",
        },
        ParamDef {
            name: "gpus",
            ty: ParamType::IntAmong { allowed: GPUS, default: 8 },
            doc: "number of GPUs",
        },
        ParamDef {
            name: "memory",
            ty: ParamType::IntAmong { allowed: MEMORY_GB, default: 80 },
            doc: "memory per GPU in GB",
        },
        ParamDef {
            name: "precision",
            ty: ParamType::Choice { options: PRECISION_NAMES, default: "mixed bf16 + Adam" },
            doc: "number formats and optimizer",
        },
        ParamDef {
            name: "tensor",
            ty: ParamType::IntAmong { allowed: TENSOR, default: 1 },
            doc: "tensor-parallel degree",
        },
        ParamDef {
            name: "pipeline",
            ty: ParamType::IntAmong { allowed: PIPELINE, default: 1 },
            doc: "pipeline-parallel degree",
        },
        ParamDef {
            name: "zero",
            ty: ParamType::Int { min: 0, max: 3, default: 0 },
            doc: "ZeRO stage (0 = off)",
        },
        ParamDef {
            name: "recompute",
            ty: ParamType::Bool { default: false },
            doc: "recompute activations in the backward pass",
        },
        ParamDef {
            name: "flash_attention",
            ty: ParamType::Bool { default: false },
            doc: "attention computed FlashAttention's way: the n×n scores are never stored",
        },
        ParamDef {
            name: "micro_batch",
            ty: ParamType::Int { min: 1, max: 8, default: 1 },
            doc: "sequences per GPU per step",
        },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Parallelism::new(p)?))
}

pub struct Parallelism {
    model: usize,
    gpus: usize,
    memory: usize,
    precision: usize,
    tensor: usize,
    pipeline: usize,
    zero: usize,
    recompute: bool,
    flash_attention: bool,
    micro_batch: usize,
}

impl Parallelism {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let model = p.index("model")?;
        let gpus = p.index("gpus")?;
        let memory = p.index("memory")?;
        let precision = p.index("precision")?;
        let tensor = p.index("tensor")?;
        let pipeline = p.index("pipeline")?;
        let zero = p.int("zero")? as usize;
        let recompute = p.boolean("recompute")?;
        let flash_attention = p.boolean("flash_attention")?;
        let micro_batch = p.int("micro_batch")? as usize;
        p.finish()?;
        Ok(Self {
            model,
            gpus,
            memory,
            precision,
            tensor,
            pipeline,
            zero,
            recompute,
            flash_attention,
            micro_batch,
        })
    }

    fn plan(&self) -> Plan {
        Plan {
            gpus: GPUS[self.gpus],
            tensor: TENSOR[self.tensor],
            pipeline: PIPELINE[self.pipeline],
            zero_stage: self.zero as u8,
            micro_batch: self.micro_batch,
            recompute: self.recompute,
            flash_attention: self.flash_attention,
        }
    }
}

fn names<T: ToString>(xs: &[T]) -> Vec<String> {
    xs.iter().map(ToString::to_string).collect()
}

fn gb(bytes: f64) -> String {
    format!("{} GB", fmt_num((bytes / 1e9 * 10.0).round() / 10.0))
}

impl Controls for Parallelism {
    fn declare(&self, k: &mut Knobs<Self>) {
        // When t × p does not divide the GPUs there is no plan, so the memory a GPU has and
        // what would change its use do nothing; with one data-parallel copy ZeRO has nothing
        // to shard across.
        let plan = self.plan();
        let fits = per_gpu(&MODELS[self.model], &PRECISIONS[self.precision], &plan).is_some();
        let copies = plan.gpus / (plan.tensor * plan.pipeline).max(1);
        let models = MODELS.iter().map(|m| m.name.to_string()).collect();
        k.choice("model", models, self.model, |p, i| p.model = i);
        k.choice("GPUs", names(GPUS), self.gpus, |p, i| p.gpus = i);
        k.choice("GB per GPU", names(MEMORY_GB), self.memory, |p, i| {
            p.memory = i
        })
        .idle_when(!fits, "t×p");
        let precisions = PRECISIONS.iter().map(|x| x.name.to_string()).collect();
        k.choice("precision", precisions, self.precision, |p, i| {
            p.precision = i
        });
        k.choice("tensor t", names(TENSOR), self.tensor, |p, i| p.tensor = i);
        k.choice("pipeline p", names(PIPELINE), self.pipeline, |p, i| {
            p.pipeline = i
        });
        k.choice("ZeRO stage", names(ZERO), self.zero, |p, i| p.zero = i)
            .idle_when(!fits || copies == 1, if fits { "1 copy" } else { "t×p" });
        k.toggle("recompute activations", self.recompute, |p, on| {
            p.recompute = on
        })
        .idle_when(!fits, "t×p");
        k.toggle("FlashAttention", self.flash_attention, |p, on| {
            p.flash_attention = on;
        })
        .idle_when(!fits, "t×p");
    }
}

impl Visual for Parallelism {
    fn parts(&self) -> Vec<Part> {
        let model = &MODELS[self.model];
        let precision: &Precision = &PRECISIONS[self.precision];
        let plan = self.plan();
        let capacity = MEMORY_GB[self.memory] as f64 * 1e9;
        let per_param = precision.weights + precision.grads + precision.optimizer;
        let whole = format!(
            "{}: {} params × {} B ({}+{}+{}) = {} of model states",
            model.name,
            fmt_num(model.params),
            per_param,
            precision.weights,
            precision.grads,
            precision.optimizer,
            gb(model_state_bytes(model.params, precision))
        );
        let Some(mem) = per_gpu(model, precision, &plan) else {
            return vec![Part::Text(vec![
                whole,
                format!(
                    "t × p = {} × {} = {} GPUs per replica does not divide {} GPUs:",
                    plan.tensor,
                    plan.pipeline,
                    plan.tensor * plan.pipeline,
                    plan.gpus
                ),
                "add GPUs or lower t or p so that GPUs = data × t × p.".into(),
            ])];
        };
        let d = plan.data_parallel().unwrap_or(1);
        let total = mem.total();
        let verdict = if total <= capacity {
            format!(
                "fits: {} of {} GB ({}% used)",
                gb(total),
                MEMORY_GB[self.memory],
                fmt_num((100.0 * total / capacity).round())
            )
        } else {
            format!(
                "does NOT fit: {} needed, {}× the {} GB a GPU has",
                gb(total),
                fmt_num((total / capacity * 10.0).round() / 10.0),
                MEMORY_GB[self.memory]
            )
        };
        vec![
            Part::Text(vec![
                whole,
                format!(
                    "{} GPUs = {d} data-parallel × {} tensor × {} pipeline",
                    plan.gpus, plan.tensor, plan.pipeline
                ),
                format!(
                    "activations: {} × {} tokens per GPU, {}",
                    plan.micro_batch,
                    fmt_num(model.seq_len as f64),
                    match (plan.recompute, plan.flash_attention) {
                        (true, _) => "only each layer's input kept",
                        (false, true) => "no n×n scores stored",
                        (false, false) => "n×n attention scores stored",
                    }
                ),
            ]),
            Part::Bars(BarsView {
                title: format!("GB on one GPU (of {})", MEMORY_GB[self.memory]),
                labels: vec![
                    "weights".into(),
                    "gradients".into(),
                    "optimizer".into(),
                    "activations".into(),
                ],
                values: vec![
                    mem.weights / 1e9,
                    mem.grads / 1e9,
                    mem.optimizer / 1e9,
                    mem.activations / 1e9,
                ],
                decimals: 1,
                highlight: None,
                max: Some((capacity / 1e9).max(total / 1e9)),
            }),
            Part::Text(vec![verdict]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option lists lessons use are the same, in the same order, as the lab's own data.
    #[test]
    fn option_lists_match_the_data() {
        assert_eq!(
            MODEL_KEYS,
            MODELS.iter().map(|m| m.key).collect::<Vec<_>>().as_slice()
        );
        assert_eq!(
            PRECISION_NAMES,
            PRECISIONS
                .iter()
                .map(|x| x.name)
                .collect::<Vec<_>>()
                .as_slice()
        );
    }
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> Parallelism {
        let map: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
        Parallelism::new(Params::new(&map, &KIND)).unwrap()
    }

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(l) => Some(l.join("\n")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// 6.74e9 × 16 B = 107.84 GB; ZeRO-3 over 8 GPUs: 13.48 GB of states each, plus
    /// activations with recomputation 2·4096·4096·32 B = 1.07 GB → 14.55 GB, which fits in 80.
    #[test]
    fn seven_b_zero3_on_eight_gpus_fits() {
        let l = lab(json!({"model": "llama2-7b", "gpus": 8, "zero": 3, "recompute": true}));
        let parts = l.parts();
        let t = text(&parts);
        assert!(t.contains("= 107.8 GB of model states"), "{t}");
        assert!(t.contains("fits: 14.6 GB of 80 GB"), "{t}");
        assert!(t.contains("only each layer's input kept"), "{t}");
        let Part::Bars(b) = &parts[1] else { panic!() };
        assert!((b.values[0] + b.values[1] + b.values[2] - 13.48).abs() < 1e-9);
    }

    /// FlashAttention leaves 4096·4096·34·32 B = 18.25 GB of activations instead of 104.15,
    /// and the toggle (the ninth control) switches it.
    #[test]
    fn flash_attention_toggle_shrinks_activations() {
        let mut l = lab(json!({"model": "llama2-7b", "gpus": 8}));
        let bars = |l: &Parallelism| match &l.parts()[1] {
            Part::Bars(b) => b.values[3],
            _ => panic!("no bars"),
        };
        assert!((bars(&l) - 104.152_956_928).abs() < 1e-9);
        assert!(text(&l.parts()).contains("n×n attention scores stored"));
        assert_eq!(l.controls()[8].label, "FlashAttention");
        l.adjust(8, 1);
        assert!((bars(&l) - 18.253_611_008).abs() < 1e-9);
        assert!(text(&l.parts()).contains("no n×n scores stored"));
    }

    #[test]
    fn too_big_and_bad_splits_are_said() {
        let l = lab(json!({"model": "gpt3-175b", "gpus": 1}));
        assert!(text(&l.parts()).contains("does NOT fit"));
        let l = lab(json!({"model": "gpt3-175b", "gpus": 4, "tensor": 8}));
        assert!(text(&l.parts()).contains("does not divide 4 GPUs"));
    }
}
