//! Lesson 15: a small language model trained from scratch, live, on the course's own text.
//! Training runs on a background thread ([`lm::Trainer`], through a [`Run`]); this kind only
//! reads its events, so keys are answered while it runs. Leaving the step pauses a run that is
//! going (its thread waits, using no CPU); the panel is kept for the session and, on the way
//! back, shows the run where it was, paused, with its loss curve, until the learner resumes
//! it. A finished run is kept when a setting changes, its validation curve drawn faint.
//!
//! The **schedule** control picks how the learning rate moves after the warm-up (constant,
//! cosine, or warmup-stable-decay), so that lesson 15 can train with each and compare: the
//! kept runs are labelled `schedule wsd` and so on, and the **show** control draws the
//! learning rate of the chosen schedule (and of the kept runs) step by step.

use crate::jobs::Waker;
use crate::labs::fmt_num;
use crate::labs::lm::{self, Model, Schedule, TrainEvent, TrainState, Trainer};
use crate::viz::kinds::part4_pretraining::lm_common::{self, one_line};
use crate::viz::lab::Lab;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::{Run, RunSink, Setting};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};
use serde::{Deserialize, Serialize};
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
/// Learning-rate schedules offered; constant is the demo's.
const SCHEDULES: [Schedule; 3] = [Schedule::Constant, Schedule::Cosine, Schedule::Wsd];
const SCHEDULE_NAMES: [&str; 3] = ["constant", "cosine", "wsd"];
/// What the chart shows, as the `show` control and parameter name it.
const SHOW_NAMES: [&str; 3] = ["loss", "samples", "lr"];
/// Points drawn of a learning-rate curve.
const LR_POINTS: usize = 150;
/// Samples kept for the samples view.
const MAX_SAMPLES: usize = 8;

pub const KIND: KindDef = KindDef {
    name: "lm-train",
    title: "Training a tiny language model",
    about: "trains a small character-level GPT on the course's text in the background: train and validation loss against step with the uniform guess ln V, perplexity e^loss, characters seen, ms per step, and a sample every few hundred steps; start/pause, reset, model width, learning rate, its schedule (constant, cosine or warmup-stable-decay, drawn step by step) and seed; finished runs kept faint for comparison",
    params: &[
        ParamDef { name: "d_model", ty: ParamType::Choice { options: &SIZE_NAMES, default: "64" }, doc: "width of the model (16 and 32: one layer; 64: the demo, one layer; 96: two layers)" },
        ParamDef { name: "lr", ty: ParamType::Choice { options: &LR_NAMES, default: "0.003" }, doc: "peak learning rate" },
        ParamDef { name: "schedule", ty: ParamType::Choice { options: &SCHEDULE_NAMES, default: "constant" }, doc: "after a linear warm-up: constant, cosine down to a tenth of the peak, or wsd (held, then a straight line down to a tenth over the last fifth of the steps)" },
        ParamDef { name: "steps", ty: ParamType::Int { min: 20, max: 5000, default: 1500 }, doc: "optimizer steps in a run (batches of 16 windows of 32 characters)" },
        SEED.int("seed", 1, "seed of the initial weights and the batches"),
        ParamDef { name: "keep_model", ty: ParamType::Bool { default: true }, doc: "offer the trained model to the next-character and loss visualizers for the rest of the session" },
        ParamDef { name: "show", ty: ParamType::Choice { options: &SHOW_NAMES, default: "loss" }, doc: "what the panel shows first: loss curves, samples, or the learning rate by step" },
        ParamDef { name: "start", ty: ParamType::Bool { default: false }, doc: "start the run as the panel opens (for `llmf check` and `render --settle`); otherwise the learner starts it" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(LmTrain::new(p)?))
}

/// What a run has reported.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Log {
    step: usize,
    tokens: u64,
    ms_per_step: f64,
    /// (step, train loss, validation loss) at each evaluation.
    evals: Vec<(usize, f32, f32)>,
    samples: Vec<(usize, String)>,
    params: usize,
}

pub struct LmTrain {
    size: usize,
    lr: usize,
    steps: usize,
    seed: u64,
    keep: bool,
    schedule: usize,
    /// Index into [`SHOW_NAMES`].
    show: usize,
    /// Start at the next poll (the `start` parameter), until the run is started.
    pending_start: bool,
    /// The run's life: start, pause, resume, kept runs.
    run: Run<TrainEvent>,
    log: Log,
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
        let schedule = p.index("schedule")?;
        let show = p.index("show")?;
        let pending_start = p.boolean("start")?;
        let lab = p.lab();
        p.finish()?;
        Ok(Self {
            size,
            lr,
            steps,
            seed,
            keep,
            schedule,
            show,
            pending_start,
            run: Run::new(KIND.name, &lab),
            log: Log::default(),
            lab,
        })
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![
            ("d", SIZE_NAMES[self.size].to_string()),
            ("lr", LR_NAMES[self.lr].to_string()),
            ("schedule", SCHEDULE_NAMES[self.schedule].to_string()),
            ("seed", self.seed.to_string()),
        ]
    }

    /// The learning rate of the current settings' recipe, step by step (about
    /// [`LR_POINTS`] points, the first and last step included).
    fn lr_curve(&self) -> Vec<(f64, f64)> {
        let recipe = self.recipe();
        let every = recipe.steps.div_ceil(LR_POINTS).max(1);
        let mut steps: Vec<usize> = (0..recipe.steps).step_by(every).collect();
        // The corners: end of warm-up, start of the decay, the last step.
        steps.extend([recipe.warmup, recipe.decay_start(), recipe.steps - 1]);
        steps.retain(|&s| s < recipe.steps);
        steps.sort_unstable();
        steps.dedup();
        steps
            .into_iter()
            .map(|s| (s as f64, recipe.lr_at(s)))
            .collect()
    }

    /// The current run's line of `pick` by step.
    fn line(&self, pick: fn(&(usize, f32, f32)) -> f32) -> Vec<(f64, f64)> {
        self.log
            .evals
            .iter()
            .map(|e| (e.0 as f64, f64::from(pick(e))))
            .collect()
    }

    /// Final figures: train and validation loss, ms per step.
    fn figures(&self) -> Vec<String> {
        match self.log.evals.last() {
            Some(&(_, train, val)) => vec![
                format!("{train:.3}"),
                format!("{val:.3}"),
                format!("{:.0}", self.log.ms_per_step),
            ],
            None => vec!["…".into(); 3],
        }
    }

    /// Keeps a finished run (its validation curve and figures) before the settings change.
    fn keep_finished(&mut self) {
        let line = Series {
            name: "validation".into(),
            marker: '·',
            points: self.line(|e| e.2),
            faint: true,
        };
        let lr = Series {
            name: "learning rate".into(),
            marker: '·',
            points: self.lr_curve(),
            faint: true,
        };
        let (settings, figures) = (self.settings(), self.figures());
        self.run.keep(settings, vec![line, lr], figures);
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
            schedule: SCHEDULES[self.schedule],
            seed: self.seed,
            eval_every: (self.steps / 30).max(10),
            eval_chars: 4096,
            sample_every: (self.steps / 6).max(10),
            sample_chars: 64,
            ..base
        }
    }

    fn start(&mut self) {
        self.pending_start = false;
        if let Some(saved) = self.run.take_resume() {
            return self.resume(&saved);
        }
        let data = lm_common::corpus();
        let (_, d, layers) = SIZES[self.size];
        let config = lm::Config {
            vocab: data.vocab.len(),
            d_model: d,
            layers,
            heads: 4,
            context: 32,
        };
        self.log = Log::default();
        let recipe = self.recipe();
        // In `llmf check`, the steps this run shares with a run of another schedule are
        // trained once for both (`prefix`).
        let shared = self.lab.shared().and_then(|shared| {
            let (constant, at) = prefix::shared_steps(&recipe)?;
            Some((shared, prefix::key(&config, &constant, at), constant, at))
        });
        match TrainState::fresh(config, data.vocab.clone(), recipe.clone()) {
            Ok(state) => {
                self.log.params = state.model.param_count();
                self.run.start(move |tx| {
                    // The trainer's thread reports through the run's sink, so it waits there
                    // while the run is paused and stops when the run is dropped; when the
                    // app closes, it stops between two steps and its state is saved.
                    let tx = Arc::new(tx);
                    let state = match shared {
                        None => state,
                        Some((shared, key, constant, at)) => {
                            let begun = prefix::get(&shared, key, || {
                                let data = Arc::clone(&data);
                                TrainState::fresh(config, data.vocab.clone(), constant)
                                    .map_err(|e| e.to_string())
                                    .and_then(|fresh| prefix::train(fresh, data, at))
                            })
                            .and_then(|p| match p.as_ref() {
                                Ok(p) => p.replay(recipe, tx.as_ref()),
                                Err(e) => Err(e.clone()),
                            });
                            match begun {
                                Ok(Some(state)) => state,
                                Ok(None) => return,
                                Err(e) => {
                                    let _ = crate::jobs::Sink::send(&*tx, TrainEvent::Failed(e));
                                    return;
                                }
                            }
                        }
                    };
                    let state = Trainer::spawn(state, data, Arc::clone(&tx)).join();
                    save_unfinished(&tx, state);
                });
            }
            // A fresh model only fails on a bad shape.
            Err(e) => self.run.fail(format!("could not start: {e}")),
        }
    }

    /// Continues a run saved in an earlier session from its checkpoint: from the step it
    /// reached, with the weights, optimizer moments and batch order it had.
    fn resume(&mut self, checkpoint: &[u8]) {
        match self.checked_checkpoint(checkpoint, "the saved run") {
            Ok(state) => {
                let data = lm_common::corpus();
                self.run.start(move |tx| {
                    let tx = Arc::new(tx);
                    let state = Trainer::spawn(state, data, Arc::clone(&tx)).join();
                    save_unfinished(&tx, state);
                });
            }
            Err(e) => self.run.fail(e),
        }
    }

    /// A checkpoint's training state, if it continues a run of the current settings at the
    /// step the panel's log reached (`origin` names it in errors).
    fn checked_checkpoint(&self, bytes: &[u8], origin: &str) -> Result<TrainState, String> {
        let state = lm::io::load_checkpoint(bytes, origin)?;
        let data = lm_common::corpus();
        let (_, d, layers) = SIZES[self.size];
        let c = state.model.config;
        if state.model.vocab.as_string() != data.vocab.as_string()
            || (c.d_model, c.layers, c.context) != (d, layers, 32)
        {
            return Err(format!(
                "{origin}: its model is not this panel's (another size or alphabet); press → on \"run\" to start again"
            ));
        }
        if state.recipe != self.recipe() || state.step != self.log.step {
            return Err(format!(
                "{origin}: its recipe or step is not the panel's; press → on \"run\" to start again"
            ));
        }
        Ok(state)
    }

    /// What the saved file holds beside the checkpoint: the settings and what was reported.
    fn saved_panel(&self) -> Result<serde_json::Value, String> {
        serde_json::to_value(SavedPanel {
            size: self.size,
            lr: self.lr,
            steps: self.steps,
            seed: self.seed,
            schedule: self.schedule,
            log: &self.log,
        })
        .map_err(|e| format!("saving the lm-train run: {e}"))
    }

    /// Applies a new setting: a finished run is kept for comparison, and any run is cleared.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let before = (self.size, self.lr, self.schedule, self.seed);
        set(self);
        let now = (self.size, self.lr, self.schedule, self.seed);
        if now == before {
            return;
        }
        (self.size, self.lr, self.schedule, self.seed) = before;
        self.keep_finished();
        (self.size, self.lr, self.schedule, self.seed) = now;
        self.run.clear();
        self.log = Log::default();
    }

    fn take_events(&mut self, events: Vec<TrainEvent>) {
        let keep = self.keep.then(|| self.lab.clone());
        let log = &mut self.log;
        for e in events {
            match e {
                TrainEvent::Step {
                    step,
                    tokens_seen,
                    ms_per_step,
                    ..
                } => {
                    log.step = step;
                    log.tokens = tokens_seen;
                    log.ms_per_step = ms_per_step;
                    self.run.progress(step as f64 / self.steps.max(1) as f64);
                }
                TrainEvent::Eval {
                    step,
                    train_loss,
                    val_loss,
                    model,
                } => {
                    log.evals.push((step, train_loss, val_loss));
                    if let Some(lab) = &keep {
                        lab.keep_trained(Arc::<Model>::from(model));
                    }
                }
                TrainEvent::Sample { step, text } => {
                    log.samples.push((step, text));
                    if log.samples.len() > MAX_SAMPLES {
                        log.samples.remove(0);
                    }
                }
                TrainEvent::Paused { .. }
                | TrainEvent::Resumed { .. }
                | TrainEvent::Finished { .. } => {}
                TrainEvent::Failed(why) => self.run.fail(why),
            }
        }
    }

    /// Runs the current settings to the end on this thread's behalf (tests).
    #[cfg(test)]
    pub fn train_to_end(&mut self) {
        self.start();
        let events = self.run.wait_all();
        self.take_events(events);
    }
}

/// Hands an unfinished run's checkpoint to the run when the app is closing.
fn save_unfinished(tx: &RunSink<TrainEvent>, state: Option<TrainState>) {
    let Some(state) = state.filter(|s| tx.saving() && s.step < s.recipe.steps) else {
        return;
    };
    if let Ok(bytes) = lm::io::checkpoint_bytes(&state) {
        tx.save(bytes);
    }
}

/// The panel's part of a saved run, written.
#[derive(Serialize)]
struct SavedPanel<'a> {
    size: usize,
    lr: usize,
    steps: usize,
    seed: u64,
    schedule: usize,
    log: &'a Log,
}

/// The panel's part of a saved run, read back (and checked before use).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadedPanel {
    size: usize,
    lr: usize,
    steps: usize,
    seed: u64,
    schedule: usize,
    log: Log,
}

impl Controls for LmTrain {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(ToString::to_string).collect::<Vec<_>>();
        // The run key: a new run when none is going or paused (else pause or resume).
        k.run(&self.run, |t| {
            if t.run.toggle() {
                t.start();
            }
        });
        // The label names the run a reset clears, so that clearing a paused or finished
        // run changes the controls (the panel redraws only when they change).
        let reset = if self.run.idle() {
            "reset".into()
        } else {
            format!("reset (step {})", self.log.step)
        };
        // A reset forgets the run; a finished one is kept for comparison first.
        k.button(&reset, false, |t| {
            t.keep_finished();
            t.run.clear();
            t.log = Log::default();
        });
        let sizes = SIZES.iter().map(|s| s.0.to_string()).collect();
        k.choice("model", sizes, self.size, |t, i| t.change(|t| t.size = i));
        k.choice("learning rate", names(&LR_NAMES), self.lr, |t, i| {
            t.change(|t| t.lr = i);
        });
        k.seed("seed", self.seed, |t, s| t.change(|t| t.seed = s));
        let shows = names(&["loss curves", "samples", "learning rate"]);
        k.choice("show", shows, self.show, |t, i| t.show = i);
        // Last, so that the controls before it keep their places.
        k.choice("schedule", names(&SCHEDULE_NAMES), self.schedule, |t, i| {
            t.change(|t| t.schedule = i);
        });
    }
}

impl Visual for LmTrain {
    /// Busy while a run is going: paused or finished, the app goes idle.
    fn busy(&self) -> bool {
        self.pending_start || self.run.running()
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.take_events(events);
        if self.pending_start {
            self.start();
            return true;
        }
        news
    }

    /// Kept when the learner leaves: a run that is going is paused where it is (the trainer
    /// thread waits at its next report, using no CPU) and resumes from there on the learner's
    /// key, not by itself.
    fn leave(&mut self) -> bool {
        self.pending_start = false;
        self.run.leave();
        true
    }

    fn clear_history(&mut self) -> bool {
        self.run.clear_history()
    }

    /// The app is closing: the run stops between two steps and is saved with its checkpoint.
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let events = self.run.suspend();
        self.take_events(events);
        match self.saved_panel() {
            Ok(panel) => self.run.file(panel),
            Err(e) => Some(Err(e)),
        }
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let bad = |what: &str| format!("{origin}: {what}; press → on \"run\" to start again");
        let (header, checkpoint) = crate::viz::run::saved::decode(bytes, origin)?;
        let p: LoadedPanel = serde_json::from_value(header.panel)
            .map_err(|e| bad(&format!("its lm-train settings: {e}")))?;
        let log = &p.log;
        let in_range = p.size < SIZES.len()
            && p.lr < LRS.len()
            && p.schedule < SCHEDULES.len()
            && (20..=5000).contains(&p.steps)
            && p.seed <= 9999
            && log.step <= p.steps
            && log.evals.len() <= p.steps + 2
            && log.samples.len() <= MAX_SAMPLES
            && log.samples.iter().all(|(_, t)| t.len() <= 4096);
        if !in_range {
            return Err(bad("its settings or log are out of range"));
        }
        // Checked against the settings it ran with, before anything changes here.
        let mut probe = Self {
            size: p.size,
            lr: p.lr,
            steps: p.steps,
            seed: p.seed,
            keep: self.keep,
            schedule: p.schedule,
            show: self.show,
            pending_start: false,
            run: Run::new(KIND.name, &Lab::new()),
            log: Log {
                step: log.step,
                ..Log::default()
            },
            lab: Lab::new(),
        };
        probe.checked_checkpoint(checkpoint, origin)?;
        probe.run.clear();
        self.run.restore(bytes, origin)?;
        (self.size, self.lr, self.steps, self.seed, self.schedule) =
            (p.size, p.lr, p.steps, p.seed, p.schedule);
        // Samples are drawn through `one_line`, which shows every control character as a
        // visible escape: a hostile file's text reaches the screen spelled out, as a model's.
        self.log = p.log;
        Ok(())
    }

    fn parts(&self) -> Vec<Part> {
        let body = match self.show {
            1 => self.samples(),
            2 => self.lr_chart(),
            _ => self.chart(),
        };
        let mut parts = vec![Part::Text(self.status()), body];
        parts.extend(self.run.history_table(
            &self.settings(),
            &["run", "train", "validation", "ms/step"],
            self.figures(),
        ));
        parts
    }
}

mod prefix;
mod view;
#[cfg(test)]
use view::describe;
#[cfg(test)]
mod tests;
