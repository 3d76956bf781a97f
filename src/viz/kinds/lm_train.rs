//! Lesson 15: a small language model trained from scratch, live, on the course's own text.
//! Training runs on a background thread ([`lm::Trainer`]); this kind only reads its events, so
//! keys are answered while it runs. Leaving the step pauses a run that is going (its thread
//! waits, using no CPU); the panel is kept for the session and, on the way back, shows the
//! run where it was, paused, with its loss curve, until the learner resumes it.

use super::lm_common::{self, one_line};
use crate::jobs::{Job, Waker};
use crate::labs::fmt_num;
use crate::labs::lm::{self, Model, Schedule, TrainEvent, TrainState, Trainer, TrainerHandle};
use crate::viz::lab::Lab;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Control, Part, Series};
use crate::viz::{choice, slider, step_index, step_seed, toggle, Visual};
use std::sync::Arc;

/// Model sizes offered: (name, d_model, layers). All use 4 heads and the demo's context.
pub const SIZES: [(&str, usize, usize); 4] = [
    ("d16, 1 layer", 16, 1),
    ("d32, 1 layer", 32, 1),
    ("d64, 1 layer", 64, 1),
    ("d96, 2 layers", 96, 2),
];
const SIZE_NAMES: [&str; 4] = ["16", "32", "64", "96"];
/// Peak learning rates offered; 3e-3 is the demo's, 3e-2 is there to show a run going wrong.
const LRS: [f64; 5] = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2];
const LR_NAMES: [&str; 5] = ["0.0003", "0.001", "0.003", "0.01", "0.03"];
/// Samples kept for the samples view.
const MAX_SAMPLES: usize = 8;

pub const KIND: KindDef = KindDef {
    name: "lm-train",
    title: "Training a tiny language model",
    about: "trains a small character-level GPT on the course's text in the background: train and validation loss against step with the uniform guess ln V, perplexity e^loss, characters seen, ms per step, and a sample every few hundred steps; start/pause, reset, model width, learning rate and seed",
    params: &[
        ParamDef { name: "d_model", ty: ParamType::Choice { options: &SIZE_NAMES, default: "64" }, doc: "width of the model (16 and 32: one layer; 64: the demo, one layer; 96: two layers)" },
        ParamDef { name: "lr", ty: ParamType::Choice { options: &LR_NAMES, default: "0.003" }, doc: "peak learning rate" },
        ParamDef { name: "steps", ty: ParamType::Int { min: 20, max: 5000, default: 1500 }, doc: "optimizer steps in a run (batches of 16 windows of 32 characters)" },
        ParamDef { name: "seed", ty: ParamType::Int { min: 0, max: 9999, default: 1 }, doc: "seed of the initial weights and the batches" },
        ParamDef { name: "keep_model", ty: ParamType::Bool { default: true }, doc: "offer the trained model to the next-character and loss visualizers for the rest of the session" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(LmTrain::new(p)?))
}

/// A run in progress (or finished): its handle and what it has reported.
struct Run {
    /// Dropping it stops the training thread.
    handle: TrainerHandle,
    events: Job<TrainEvent>,
    paused: bool,
    step: usize,
    tokens: u64,
    ms_per_step: f64,
    /// (step, train loss, validation loss) at each evaluation.
    evals: Vec<(usize, f32, f32)>,
    samples: Vec<(usize, String)>,
    finished: bool,
    failed: Option<String>,
    params: usize,
    /// Paused because the learner left the step (not by their own key), so the panel says so.
    paused_on_leave: bool,
}

pub struct LmTrain {
    size: usize,
    lr: usize,
    steps: usize,
    seed: u64,
    keep: bool,
    show_samples: bool,
    run: Option<Run>,
    /// Why the last start failed (a fresh model only fails on a bad shape).
    start_error: Option<String>,
    /// The driver's waker, as the last poll gave it (a run starts from a key press).
    waker: Waker,
    /// The learner's lab memory, offered the model as it trains (with `keep_model`).
    lab: Lab,
}

impl LmTrain {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let size = p.index("d_model")?;
        let lr = p.index("lr")?;
        let steps = p.int("steps")? as usize;
        let seed = p.int("seed")? as u64;
        let keep = p.boolean("keep_model")?;
        let lab = p.lab();
        p.finish()?;
        Ok(Self {
            size,
            lr,
            steps,
            seed,
            keep,
            show_samples: false,
            run: None,
            start_error: None,
            waker: Waker::none(),
            lab,
        })
    }

    /// The recipe of a run with the current settings: the demo's, with evaluations and
    /// samples spaced so that a run of any length shows about 30 and 6 of them.
    fn recipe(&self) -> lm::TrainConfig {
        let demo = lm::preset("demo").map(|p| p.train);
        let base = demo.unwrap_or_else(|| lm::presets()[0].train.clone());
        lm::TrainConfig {
            steps: self.steps,
            lr: LRS[self.lr],
            warmup: (self.steps / 30).min(50),
            schedule: Schedule::Constant,
            seed: self.seed,
            eval_every: (self.steps / 30).max(10),
            eval_chars: 4096,
            sample_every: (self.steps / 6).max(10),
            sample_chars: 64,
            ..base
        }
    }

    fn start(&mut self) {
        let data = lm_common::corpus();
        let (_, d, layers) = SIZES[self.size];
        let config = lm::Config {
            vocab: data.vocab.len(),
            d_model: d,
            layers,
            heads: 4,
            context: 32,
        };
        let state = match TrainState::fresh(config, data.vocab.clone(), self.recipe()) {
            Ok(s) => s,
            Err(e) => {
                self.run = None;
                self.start_error = Some(e.to_string());
                return;
            }
        };
        let params = state.model.param_count();
        let (tx, events) = Job::channel(&self.waker);
        let handle = Trainer::spawn(state, data, tx);
        self.run = Some(Run {
            handle,
            events,
            paused: false,
            step: 0,
            tokens: 0,
            ms_per_step: 0.0,
            evals: Vec::new(),
            samples: Vec::new(),
            finished: false,
            failed: None,
            params,
            paused_on_leave: false,
        });
    }

    /// Starts, pauses or resumes.
    fn toggle_training(&mut self) {
        match &mut self.run {
            None => self.start(),
            Some(run) if run.finished => self.start(),
            Some(run) if run.paused => {
                run.handle.resume();
                run.paused = false;
                run.paused_on_leave = false;
            }
            Some(run) => {
                run.handle.pause();
                run.paused = true;
            }
        }
    }

    /// New settings: a run in progress restarts with them; a paused or finished one is cleared.
    fn settings_changed(&mut self) {
        let going = self.run.as_ref().is_some_and(|r| !r.paused && !r.finished);
        self.run = None;
        if going {
            self.start();
        }
    }

    fn take_events(&mut self) -> bool {
        let keep = self.keep.then(|| self.lab.clone());
        let Some(run) = &mut self.run else {
            return false;
        };
        let events = run.events.drain();
        let news = !events.is_empty();
        for e in events {
            match e {
                TrainEvent::Step {
                    step,
                    tokens_seen,
                    ms_per_step,
                    ..
                } => {
                    run.step = step;
                    run.tokens = tokens_seen;
                    run.ms_per_step = ms_per_step;
                }
                TrainEvent::Eval {
                    step,
                    train_loss,
                    val_loss,
                    model,
                } => {
                    run.evals.push((step, train_loss, val_loss));
                    if let Some(lab) = &keep {
                        lab.keep_trained(Arc::<Model>::from(model));
                    }
                }
                TrainEvent::Sample { step, text } => {
                    run.samples.push((step, text));
                    if run.samples.len() > MAX_SAMPLES {
                        run.samples.remove(0);
                    }
                }
                TrainEvent::Paused { .. } | TrainEvent::Resumed { .. } => {}
                TrainEvent::Finished { .. } => run.finished = true,
                TrainEvent::Failed(why) => {
                    run.failed = Some(why);
                    run.finished = true;
                }
            }
        }
        if !run.events.live() && !run.finished {
            run.finished = true;
            return true;
        }
        news
    }

    /// Runs the current settings to the end on this thread's behalf (tests).
    #[cfg(test)]
    pub fn train_to_end(&mut self) {
        self.start();
        if let Some(run) = &mut self.run {
            let events = run.events.wait_all();
            let (tx, rx) = Job::channel(&Waker::none());
            for e in events {
                let _ = tx.send(e);
            }
            drop(tx);
            run.events = rx;
        }
        self.take_events();
    }

    fn status(&self) -> Vec<String> {
        let uniform = (lm_common::corpus().vocab.len() as f64).ln();
        let v = lm_common::corpus().vocab.len();
        let Some(run) = &self.run else {
            if let Some(why) = &self.start_error {
                return vec![format!("could not start: {why}")];
            }
            return vec![
                "Not started: select \"train\" and press → to start.".into(),
                format!(
                    "Knowing nothing means guessing 1 of {v}: loss ln {v} = {} nats/char.",
                    fmt_num(uniform)
                ),
            ];
        };
        let state = if let Some(why) = &run.failed {
            format!("failed: {why}")
        } else if run.finished {
            "done".into()
        } else if run.paused {
            "paused".into()
        } else {
            "training".into()
        };
        let first = format!(
            "{state} {}/{} · {} params · {} chars seen",
            run.step,
            self.steps,
            run.params,
            fmt_count(run.tokens)
        );
        let mut lines = vec![first];
        if run.paused && !run.finished {
            lines.push(if run.paused_on_leave {
                "Paused when you left this step: select \"train\" and press → to resume.".into()
            } else {
                "Paused: select \"train\" and press → to resume.".into()
            });
        }
        let second = match run.evals.last() {
            Some(&(_, train, val)) => format!(
                "loss train {train:.2}, val {val:.2} nats/char · perplexity e^{val:.2} = {} · {:.0} ms/step",
                fmt_num(f64::from(val).exp()),
                run.ms_per_step
            ),
            None => format!(
                "loss: first evaluation at step {} · {:.0} ms/step",
                self.recipe().eval_every,
                run.ms_per_step
            ),
        };
        lines.push(second);
        lines
    }

    fn chart(&self) -> Part {
        let uniform = (lm_common::corpus().vocab.len() as f64).ln();
        let evals = self.run.as_ref().map(|r| r.evals.as_slice()).unwrap_or(&[]);
        let line = |pick: fn(&(usize, f32, f32)) -> f32| -> Vec<(f64, f64)> {
            evals
                .iter()
                .map(|e| (e.0 as f64, f64::from(pick(e))))
                .collect()
        };
        Part::Chart(ChartView {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_log: false,
            y_log: false,
            series: vec![
                Series {
                    name: format!(
                        "uniform ln {} = {:.2}",
                        lm_common::corpus().vocab.len(),
                        uniform
                    ),
                    marker: '-',
                    points: vec![(0.0, uniform), (self.steps as f64, uniform)],
                },
                Series {
                    name: "train".into(),
                    marker: '*',
                    points: line(|e| e.1),
                },
                Series {
                    name: "validation (nats/char by step)".into(),
                    marker: '+',
                    points: line(|e| e.2),
                },
            ],
        })
    }

    fn samples(&self) -> Part {
        let mut lines = vec!["What the model writes after \"The \" (temperature 0.8):".into()];
        match self.run.as_ref().map(|r| r.samples.as_slice()) {
            Some(s) if !s.is_empty() => {
                for (step, text) in s {
                    let shown: String = one_line(text).chars().take(60).collect();
                    lines.push(format!("{step:>5}: The {shown}"));
                }
            }
            _ => lines.push(format!(
                "(a sample every {} steps; none yet)",
                self.recipe().sample_every
            )),
        }
        Part::Text(lines)
    }
}

/// 123456 → "123k", 1234567 → "1.2M".
fn fmt_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

impl Visual for LmTrain {
    fn controls(&self) -> Vec<Control> {
        let going = self.run.as_ref().is_some_and(|r| !r.paused && !r.finished);
        vec![
            toggle("train", going),
            // The label names the run a reset clears, so that clearing a paused or finished
            // run changes the controls (the panel redraws only when they change).
            toggle(
                &match &self.run {
                    Some(r) => format!("reset (step {})", r.step),
                    None => "reset".into(),
                },
                false,
            ),
            choice(
                "model",
                SIZES.iter().map(|s| s.0.to_string()).collect(),
                self.size,
            ),
            choice(
                "learning rate",
                LR_NAMES.iter().map(ToString::to_string).collect(),
                self.lr,
            ),
            slider("seed", self.seed as f64, 0.0, 9999.0, 1.0, 0),
            choice(
                "show",
                vec!["loss curves".into(), "samples".into()],
                usize::from(self.show_samples),
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.toggle_training(),
            1 => self.run = None,
            2 => {
                self.size = step_index(self.size, delta, SIZES.len());
                self.settings_changed();
            }
            3 => {
                self.lr = step_index(self.lr, delta, LRS.len());
                self.settings_changed();
            }
            4 => {
                self.seed = step_seed(self.seed, delta);
                self.settings_changed();
            }
            5 => self.show_samples = !self.show_samples,
            _ => {}
        }
    }

    /// Busy while a run is going: paused or finished, the app goes idle.
    fn busy(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.finished && !r.paused)
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        self.waker = waker.clone();
        self.take_events()
    }

    /// Kept when the learner leaves: a run that is going is paused where it is (the trainer
    /// thread waits after its current step, using no CPU) and resumes from there on the
    /// learner's key, not by itself.
    fn leave(&mut self) -> bool {
        self.take_events();
        if let Some(run) = &mut self.run {
            if !run.paused && !run.finished {
                run.handle.pause();
                run.paused = true;
                run.paused_on_leave = true;
            }
        }
        true
    }

    fn parts(&self) -> Vec<Part> {
        let body = if self.show_samples {
            self.samples()
        } else {
            self.chart()
        };
        vec![Part::Text(self.status()), body]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(params: Value) -> LmTrain {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        LmTrain::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn a_short_run_reports_losses_below_the_uniform_guess_and_keeps_its_model() {
        let mut t = lab(json!({"d_model": "16", "steps": 40, "lr": "0.01", "seed": 3}));
        t.train_to_end();
        let run = t.run.as_ref().unwrap();
        assert!(run.finished && run.failed.is_none());
        assert_eq!(run.step, 40);
        // 40 steps × 16 windows × 32 characters.
        assert_eq!(run.tokens, 40 * 16 * 32);
        // Evaluations before the first step, then every max(40/30, 10) = 10 steps.
        let steps: Vec<usize> = run.evals.iter().map(|e| e.0).collect();
        assert_eq!(steps, vec![0, 10, 20, 30, 40]);
        let uniform = (lm_common::corpus().vocab.len() as f32).ln();
        // At step 0 the model knows nothing: both losses within 0.05 of ln V.
        let (_, train0, val0) = run.evals[0];
        assert!((train0 - uniform).abs() < 0.05 && (val0 - uniform).abs() < 0.05);
        let (_, _, last_val) = *run.evals.last().unwrap();
        assert!(last_val < uniform, "{last_val} vs ln V = {uniform}");
        // The model was offered to the learner's other panels, through their lab.
        assert!(t.lab.trained().is_some());
        // Perplexity shown is e^val.
        let text = t.status().join("\n");
        let ppl = fmt_num(f64::from(last_val).exp());
        assert!(text.contains(&format!("= {ppl}")), "{text}");
    }

    #[test]
    fn start_pause_and_reset_move_the_toggle_and_dropping_stops_the_run() {
        let mut t = lab(json!({"d_model": "16", "steps": 5000}));
        assert!(!t.busy());
        t.adjust(0, 1);
        assert!(t.busy());
        assert_eq!(
            t.controls()[0].kind,
            crate::viz::view::ControlKind::Toggle(true)
        );
        t.adjust(0, 1);
        assert!(!t.busy(), "paused runs leave the app idle");
        t.adjust(0, 1);
        assert!(t.busy());
        t.adjust(1, 1);
        assert!(t.run.is_none() && !t.busy());
        t.adjust(0, 1);
        let handle_finished = {
            let run = t.run.take().unwrap();
            let Run { handle, .. } = run;
            handle.stop();
            handle.join().is_some()
        };
        assert!(handle_finished);
    }
}
