//! Lesson 21: how much memory fine-tuning a real model takes, full vs LoRA vs QLoRA, counted
//! by [`crate::labs::part5_adapting::memory_calc`] from the model's shapes, beside the figures the LoRA
//! and QLoRA papers report. Pure arithmetic, computed on every change.

use crate::labs::fmt_count;
use crate::labs::part5_adapting::memory_calc::{self as fm, Method, Target, REPORTED};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

const MODELS: [&str; 5] = [
    "llama2-7b",
    "llama2-13b",
    "llama2-70b",
    "llama3-8b",
    "gpt3-175b",
];
const RANKS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
const TARGETS: [&str; 3] = ["qv", "attention", "all"];
const TARGET_LABELS: [&str; 2] = ["q, v", "q, k, v, o"];

pub const KIND: KindDef = KindDef {
    name: "memory-calc",
    title: "Fine-tuning memory: full, LoRA, QLoRA",
    about: "counts the memory to fine-tune a real model (Llama 2 7B/13B/70B, Llama 3 8B, GPT-3 175B) with Adam in mixed precision: weights, gradients, master weights and optimizer states for full fine-tuning, LoRA at a rank and target set, and QLoRA (NF4 base, double-quantized scales); activations not included; beside the LoRA and QLoRA papers' reported figures",
    params: &[
        ParamDef { name: "model", ty: ParamType::Choice { options: &MODELS, default: "llama2-7b" }, doc: "model preset (shapes from the published configs)" },
        ParamDef { name: "rank", ty: ParamType::IntAmong { allowed: &RANKS, default: 8 }, doc: "LoRA rank r" },
        ParamDef { name: "targets", ty: ParamType::Choice { options: &TARGETS, default: "qv" }, doc: "matrices that get adapters: q and v (the LoRA paper's), all four attention matrices, or every linear matrix of the block (attention and MLP: seven with a gated MLP as in Llama, six in GPT-3)" },
        ParamDef { name: "double_quant", ty: ParamType::Bool { default: true }, doc: "QLoRA's double quantization of the scale constants" },
        ParamDef { name: "papers", ty: ParamType::Bool { default: false }, doc: "show the papers' reported figures instead of the breakdown" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(MemoryCalc::new(p)?))
}

fn targets(i: usize) -> Vec<Target> {
    match i {
        0 => vec![Target::Q, Target::V],
        1 => vec![Target::Q, Target::K, Target::V, Target::O],
        _ => Target::ALL.to_vec(),
    }
}

/// Bytes in decimal gigabytes, as the papers write them (terabytes from 1,000 GB).
fn gb(bytes: u64) -> String {
    let g = bytes as f64 / 1e9;
    if g >= 1000.0 {
        format!("{:.2} TB", g / 1e3)
    } else if g >= 100.0 {
        format!("{g:.0} GB")
    } else if g >= 0.1 {
        format!("{g:.1} GB")
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

pub struct MemoryCalc {
    model: usize,
    rank: usize,
    targets: usize,
    double_quant: bool,
    papers: bool,
}

impl MemoryCalc {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let model = p.index("model")?;
        let rank = p.index("rank")?;
        let targets = p.index("targets")?;
        let double_quant = p.boolean("double_quant")?;
        let papers = p.boolean("papers")?;
        p.finish()?;
        Ok(Self {
            model,
            rank,
            targets,
            double_quant,
            papers,
        })
    }

    /// The target sets as the control names them; the last counts the linear matrices of the
    /// chosen model's block (seven where the MLP has a gate, as in Llama; six in GPT-3).
    fn target_labels(&self) -> Vec<String> {
        let all = match self.arch() {
            Some(arch) => {
                let n = Target::ALL
                    .iter()
                    .filter(|t| arch.shape(**t).is_some())
                    .count();
                format!("all {n} (attn + MLP)")
            }
            None => "attn + MLP".into(),
        };
        TARGET_LABELS
            .iter()
            .map(ToString::to_string)
            .chain(std::iter::once(all))
            .collect()
    }

    fn arch(&self) -> Option<&'static fm::Arch> {
        fm::preset(MODELS[self.model])
    }

    fn methods(&self) -> [(String, Method); 3] {
        [
            ("full".into(), Method::Full),
            (format!("LoRA r={}", RANKS[self.rank]), Method::Lora),
            (
                "QLoRA".into(),
                Method::Qlora {
                    double_quant: self.double_quant,
                },
            ),
        ]
    }

    fn breakdown(&self, arch: &fm::Arch) -> Vec<Part> {
        let r = RANKS[self.rank] as u64;
        let t = targets(self.targets);
        let rows: Vec<(String, fm::Memory)> = self
            .methods()
            .into_iter()
            .map(|(name, m)| (name, fm::memory(arch, m, r, &t)))
            .collect();
        let table = Part::Table(TableView {
            title: format!(
                "{}: {} parameters; bytes without activations",
                arch.name,
                fmt_count(arch.total_params() as f64)
            ),
            headers: [
                "method",
                "trainable",
                "weights",
                "grads",
                "Adam+master",
                "total",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|(name, m)| {
                    vec![
                        name.clone(),
                        fmt_count(m.trainable_params as f64),
                        gb(m.frozen_weights + m.quant_constants + m.trainable_weights),
                        gb(m.gradients),
                        gb(m.master_weights + m.optimizer_states),
                        gb(m.total()),
                    ]
                })
                .collect(),
            highlight: None,
        });
        let (full, lora, qlora) = (rows[0].1, rows[1].1, rows[2].1);
        let plain = fm::memory(
            arch,
            Method::Qlora {
                double_quant: false,
            },
            r,
            &t,
        );
        let dq = fm::memory(arch, Method::Qlora { double_quant: true }, r, &t);
        let lines = vec![
            format!(
                "LoRA trains {}x fewer parameters; memory {} -> {} ({:.1}x less); QLoRA {}",
                fmt_count(
                    (full.trainable_params as f64 / lora.trainable_params.max(1) as f64).round()
                ),
                gb(full.total()),
                gb(lora.total()),
                full.total() as f64 / lora.total().max(1) as f64,
                gb(qlora.total()),
            ),
            format!(
                "saved fine-tune: full {}, adapters {}; scale constants {} -> {} double-quantized",
                gb(full.checkpoint_bytes()),
                gb(lora.checkpoint_bytes()),
                gb(plain.quant_constants),
                gb(dq.quant_constants),
            ),
            "Weights 2 B, grads 2 B, fp32 master 4 B, Adam 8 B per trainable parameter.".into(),
        ];
        vec![table, Part::Text(lines)]
    }

    fn papers_table(&self) -> Part {
        Part::Table(TableView {
            title: "as the papers report them (not computed)".into(),
            headers: ["what", "reported"].map(String::from).to_vec(),
            rows: REPORTED
                .iter()
                .map(|r| vec![r.what.to_string(), r.value.to_string()])
                .collect(),
            highlight: None,
        })
    }
}

impl Controls for MemoryCalc {
    fn declare(&self, k: &mut Knobs<Self>) {
        let model_names = MODELS
            .iter()
            .map(|k| fm::preset(k).map_or((*k).to_string(), |a| a.name.to_string()))
            .collect();
        // The papers' figures are fixed: the settings for the computed table do nothing.
        let papers = self.papers;
        k.choice("model", model_names, self.model, |m, i| m.model = i)
            .idle_when(papers, "papers");
        let ranks = RANKS.iter().map(ToString::to_string).collect();
        k.choice("rank", ranks, self.rank, |m, i| m.rank = i)
            .idle_when(papers, "papers");
        k.choice("adapters on", self.target_labels(), self.targets, |m, i| {
            m.targets = i;
        })
        .idle_when(papers, "papers");
        k.toggle("double quant", self.double_quant, |m, on| {
            m.double_quant = on
        })
        .idle_when(papers, "papers");
        k.toggle("papers' figures", self.papers, |m, on| m.papers = on);
    }
}

impl Visual for MemoryCalc {
    fn parts(&self) -> Vec<Part> {
        let Some(arch) = self.arch() else {
            return vec![Part::Text(vec!["unknown model preset".into()])];
        };
        if self.papers {
            return vec![self.papers_table()];
        }
        self.breakdown(arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn text(params: Value) -> String {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        let m = MemoryCalc::new(Params::new(&map, &KIND)).unwrap();
        format!("{:?}", m.parts())
    }

    #[test]
    fn llama2_7b_rows_match_hand_counts() {
        let t = text(json!({}));
        // Llama 2 7B has 6,738,415,616 parameters (finetune_memory's tests derive it); full
        // fine-tuning at 16 B each: 107,814,649,856 B = 108 GB. LoRA r = 8 on q and v:
        // 32 layers · 2 · 8 · (4096 + 4096) = 4,194,304 trainable.
        assert!(t.contains("6,738,415,616"), "{t}");
        assert!(t.contains("\"108 GB\""), "{t}");
        assert!(t.contains("4,194,304"), "{t}");
        // 6,738,415,616 / 4,194,304 = 1,606.6 → 1,607x fewer.
        assert!(t.contains("1,607x fewer"), "{t}");
    }

    #[test]
    fn the_papers_view_lists_the_reported_figures() {
        let t = text(json!({"papers": true}));
        assert!(
            t.contains("10,000x fewer") && t.contains("one 48 GB GPU"),
            "{t}"
        );
    }

    #[test]
    fn the_all_matrices_option_counts_the_chosen_models_block() {
        let label = |model: &str| {
            let map: Map<String, Value> =
                serde_json::from_value(json!({"model": model, "targets": "all"})).unwrap();
            let m = MemoryCalc::new(Params::new(&map, &KIND)).unwrap();
            m.target_labels()[2].clone()
        };
        // Llama's MLP has a gate (q, k, v, o, gate, up, down); GPT-3's has none.
        assert_eq!(label("llama2-7b"), "all 7 (attn + MLP)");
        assert_eq!(label("gpt3-175b"), "all 6 (attn + MLP)");
    }
}
