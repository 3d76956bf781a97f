//! Lesson 21: LoRA adapters of rank 1, 4 and 8 trained live on the shipped model against full
//! fine-tuning, on the same question–answer data: trainable parameters, ms per step, loss on
//! the new data and on the original corpus, and the merge check. Runs in the background,
//! starting when the panel opens; changing a setting starts it again, keeping a finished run's
//! figures to compare.

use crate::jobs::Waker;
use crate::labs::lm::finetune::{FtConfig, Method};
use crate::labs::lm::lora::{self, Proj, QV};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::kinds::part5_adapting::ft_common::{self, loss_chart, progress, DataSet, Runs};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::Setting;
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const TARGET_NAMES: [&str; 3] = ["qv", "attention", "all"];
const TARGET_LABELS: [&str; 3] = ["W_q, W_v", "W_q, W_k, W_v, W_o", "attention and MLP"];
/// Optimizer steps per run, a control and a parameter.
const STEPS: Scale = Scale::linear(20.0, 400.0, 20.0, 0);
/// The ranks compared with full fine-tuning.
pub const RANKS: [usize; 3] = [1, 4, 8];
/// Learning rates: adapters start from zero and have few parameters, so they take a larger
/// step than full fine-tuning, which would wreck the base at that rate.
pub const LORA_LR: f64 = 3e-3;
pub const FULL_LR: f64 = 3e-4;

pub const KIND: KindDef = KindDef {
    name: "lora",
    title: "LoRA ranks 1, 4, 8 against full fine-tuning",
    about: "fine-tunes the shipped model on the course's question-answer pairs four times in the background (LoRA rank 1, 4 and 8, then full fine-tuning): trainable parameters, ms per step, loss on held-out questions and on the original corpus, the largest logit difference after merging BA into W; targets and steps",
    params: &[
        ParamDef { name: "targets", ty: ParamType::Choice { options: &TARGET_NAMES, default: "qv" }, doc: "projections that get adapters: W_q and W_v (the paper's choice), all four attention matrices, or attention and MLP" },
        STEPS.int("steps", 100, "optimizer steps per run (batches of 8 windows of 64 characters)"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(LoraLab::new(p)?))
}

fn targets(i: usize) -> Vec<Proj> {
    match i {
        0 => QV.to_vec(),
        1 => vec![Proj::Q, Proj::K, Proj::V, Proj::O],
        _ => Proj::ALL.to_vec(),
    }
}

pub struct LoraLab {
    targets: usize,
    steps: usize,
    runs: Runs,
}

impl LoraLab {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let targets = p.index("targets")?;
        let steps = p.int("steps")? as usize;
        let runs = Runs::new(KIND.name, &p.lab());
        p.finish()?;
        Ok(Self {
            targets,
            steps,
            runs,
        })
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![
            ("on", TARGET_NAMES[self.targets].to_string()),
            ("steps", self.steps.to_string()),
        ]
    }

    /// Final figures: each method's held-out loss, `r=1 / 4 / 8 / full`.
    fn figures(&self) -> Vec<String> {
        let cells: Vec<String> = self
            .runs
            .logs
            .iter()
            .map(|l| {
                l.points
                    .last()
                    .filter(|_| l.done)
                    .map_or("…".into(), |p| format!("{:.3}", p.held_out))
            })
            .collect();
        vec![cells.join(" / ")]
    }

    fn configs(&self) -> Vec<FtConfig> {
        let mut out: Vec<FtConfig> = RANKS
            .iter()
            .map(|&r| FtConfig::new(Method::lora(r, &targets(self.targets)), self.steps, LORA_LR))
            .collect();
        out.push(FtConfig::new(Method::Full, self.steps, FULL_LR));
        for c in &mut out {
            c.eval_every = (self.steps / 5).max(5);
            c.eval_chars = ft_common::EVAL_CHARS;
        }
        out
    }

    fn names(&self) -> Vec<String> {
        self.configs().iter().map(|c| c.method.name()).collect()
    }

    fn start(&mut self) {
        self.runs.start(self.configs(), DataSet::All, None);
    }

    fn table(&self, runs: &Runs) -> Part {
        // Trainable counts are known before any run starts: LoRA's from the adapter shapes,
        // full fine-tuning's from the model (the runs report the same numbers; a test checks).
        let (counts, full) = match crate::labs::lm::base_model() {
            Ok(m) => {
                let mut c: Vec<usize> = RANKS
                    .iter()
                    .map(|&r| lora::count(&m.config, r, &targets(self.targets)))
                    .collect();
                c.push(m.param_count());
                (c, m.param_count().max(1))
            }
            Err(_) => (vec![0; RANKS.len() + 1], 1),
        };
        let rows = runs
            .logs
            .iter()
            .zip(self.names())
            .zip(counts)
            .map(|((log, name), trainable)| {
                let last = log.points.last().filter(|_| log.done);
                let cell = |f: fn(&crate::labs::lm::finetune::Point) -> f32| {
                    last.map_or("…".into(), |p| format!("{:.3}", f(p)))
                };
                vec![
                    name,
                    fmt_count(trainable as f64),
                    format!("{}%", fmt_num(100.0 * trainable as f64 / full as f64)),
                    last.map_or("…".into(), |p| format!("{:.1}", p.ms_per_step)),
                    cell(|p| p.held_out),
                    cell(|p| p.original),
                    match (log.done, log.merge_diff) {
                        (true, Some(d)) => format!("{d:.0e}"),
                        (true, None) => "-".into(),
                        _ => "…".into(),
                    },
                ]
            })
            .collect();
        Part::Table(TableView {
            title: "after training (losses in nats/char)".into(),
            headers: [
                "method",
                "trainable",
                "share",
                "ms/step",
                "new",
                "original",
                "merge Δ",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            highlight: None,
        })
    }
}

impl Controls for LoraLab {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.run(&self.runs.run, |l| {
            if l.runs.run.toggle() {
                l.start();
            }
        });
        let targets = TARGET_LABELS.iter().map(ToString::to_string).collect();
        k.choice("adapters on", targets, self.targets, |l, i| {
            l.change(|l| l.targets = i);
        });
        k.count("steps", self.steps, STEPS, |l, s| l.change(|l| l.steps = s));
    }
}

impl LoraLab {
    /// Applies a new setting: a finished run is kept for comparison under the settings it
    /// ran with, and the runs start again.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let before = (self.targets, self.steps);
        set(self);
        if before == (self.targets, self.steps) {
            return;
        }
        let now = (self.targets, self.steps);
        (self.targets, self.steps) = before;
        let (settings, figures) = (self.settings(), self.figures());
        self.runs.run.keep(settings, Vec::new(), figures);
        (self.targets, self.steps) = now;
        self.runs.clear();
    }
}

impl Visual for LoraLab {
    fn busy(&self) -> bool {
        self.runs.busy() || self.runs.waiting()
    }

    /// Kept when the learner leaves: a run that is going pauses where it is, and says so.
    fn leave(&mut self) -> bool {
        self.runs.run.leave();
        true
    }

    fn clear_history(&mut self) -> bool {
        self.runs.run.clear_history()
    }

    /// Saved by its reports, resumed by recomputing them ([`crate::viz::run::replay`]).
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let settings = serde_json::json!([self.targets, self.steps]);
        self.runs.suspend(settings)
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let r = self.runs.restore(bytes, origin)?;
        let settings = serde_json::from_value::<(usize, usize)>(r.settings.clone());
        let Ok((targets, steps)) = settings.map_err(drop).and_then(|s| {
            (s.0 < TARGET_NAMES.len() && (20..=400).contains(&s.1))
                .then_some(s)
                .ok_or(())
        }) else {
            self.runs.clear();
            return Err(format!(
                "{origin}: its lora settings are out of range; press → on \"run\" to start again"
            ));
        };
        (self.targets, self.steps) = (targets, steps);
        self.runs
            .restore_results(r, self.configs().len(), steps, origin)
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.runs.waiting() {
            self.runs.run.poll(waker);
            self.start();
            return true;
        }
        self.runs.take(waker)
    }

    fn parts(&self) -> Vec<Part> {
        if self.runs.waiting() {
            return vec![Part::Text(vec!["starting…".into()])];
        }
        let runs = &self.runs;
        let names = self.names();
        let mut parts = vec![
            Part::Text(vec![progress(runs, &names, self.steps)]),
            self.table(runs),
            loss_chart(
                "loss on held-out questions by step",
                runs,
                &names,
                &['1', '4', '8', 'F'],
                |p| p.held_out,
            ),
        ];
        parts.extend(runs.run.history_table(
            &self.settings(),
            &["run", "held-out loss r=1 / 4 / 8 / full"],
            self.figures(),
        ));
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(params: Value) -> LoraLab {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        LoraLab::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn four_runs_report_counts_losses_and_an_exact_merge() {
        let mut l = lab(json!({"steps": 20}));
        assert!(l.busy());
        assert!(
            l.poll(&crate::jobs::Waker::none()),
            "the first poll starts the work"
        );
        l.runs.wait();
        assert!(!l.busy());
        let runs = &l.runs;
        assert!(runs.run.finished(), "{:?}", runs.run.phase());
        // W_q and W_v, d 96, 2 layers: 768r (lora::tests works it out).
        let counts: Vec<usize> = runs.logs.iter().map(|g| g.trainable).collect();
        assert_eq!(&counts[..3], &[768, 3_072, 6_144]);
        assert_eq!(
            counts[3],
            crate::labs::lm::base_model().unwrap().param_count()
        );
        for log in &runs.logs[..3] {
            assert!(log.done);
            assert!(log.merge_diff.unwrap() < 1e-4, "{:?}", log.merge_diff);
            // Evaluations at 0, every max(20/5, 5) = 5 steps, and 20.
            let steps: Vec<usize> = log.points.iter().map(|p| p.step).collect();
            assert_eq!(steps, vec![0, 5, 10, 15, 20]);
        }
        let text = format!("{:?}", l.parts());
        assert!(text.contains("LoRA r=8"), "{text}");
        // Changing a setting keeps the finished run's figures and clears the runs; the next
        // poll starts again.
        let figures = l.figures();
        l.adjust(1, 1);
        assert!(l.runs.waiting() && l.busy());
        let kept = l.runs.run.history();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].figures, figures);
        l.poll(&crate::jobs::Waker::none());
        let text = format!("{:?}", l.parts());
        assert!(
            text.contains("on qv"),
            "labelled by the setting that differs: {text}"
        );
    }
}
