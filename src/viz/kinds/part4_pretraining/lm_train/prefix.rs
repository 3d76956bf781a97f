//! Runs that are one run for a while: a constant and a warmup-stable-decay run of the same
//! settings take the same steps at the same learning rate until the decay starts (lesson 15
//! quotes both, 1,200 shared steps of 1,500). In `llmf check`, whose panels share
//! deterministic work ([`Shared`]), those steps are trained once: the first panel to need them
//! trains them, stopping after the last shared step, and every panel continues from that
//! checkpoint with its own schedule, its log filled with the prefix's reports as they came.
//! A checkpoint resumes bit for bit (the same test as a run saved when the app closes), so
//! each panel ends with the numbers a run of its own would have. A learner's panels share
//! nothing and always train from the first step.

use crate::jobs::Sink;
use crate::labs::lm::{self, Data, Schedule, TrainConfig, TrainEvent, TrainState, Trainer};
use crate::viz::lab::Shared;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

/// The shared first steps of a run: the state after them, as a checkpoint, and what the run
/// reported up to there (its `Finished` left out).
pub struct Prefix {
    checkpoint: Vec<u8>,
    events: Vec<TrainEvent>,
}

/// The run of `recipe` that shares its first steps with other schedules: the recipe those
/// steps are trained with (the constant one) and how many there are, if any. The learning
/// rate of every shared step is checked bit for bit, so a schedule that leaves the constant
/// rate earlier (cosine) shares nothing.
pub fn shared_steps(recipe: &TrainConfig) -> Option<(TrainConfig, usize)> {
    let constant = TrainConfig {
        schedule: Schedule::Constant,
        ..recipe.clone()
    };
    let at = TrainConfig {
        schedule: Schedule::Wsd,
        ..recipe.clone()
    }
    .decay_start();
    let same = (0..at).all(|s| recipe.lr_at(s).to_bits() == constant.lr_at(s).to_bits());
    (same && at > 0 && at < recipe.steps).then_some((constant, at))
}

/// The key of a prefix in [`Shared`]: everything the steps depend on.
pub fn key(config: &lm::Config, constant: &TrainConfig, at: usize) -> String {
    format!("lm-train prefix: {config:?}, {constant:?}, to step {at}")
}

/// Trains `state` (a fresh run of the constant recipe) for its first `at` steps, collecting
/// its reports.
pub fn train(state: TrainState, data: Arc<Data>, at: usize) -> Result<Prefix, String> {
    let (tx, rx) = mpsc::channel();
    let sink = StopAfter {
        tx,
        at,
        reached: AtomicBool::new(false),
    };
    let state = Trainer::spawn(state, data, sink)
        .join()
        .ok_or("the training thread failed")?;
    let mut events = Vec::new();
    for e in rx.try_iter() {
        match e {
            TrainEvent::Failed(why) => return Err(why),
            TrainEvent::Finished { .. }
            | TrainEvent::Paused { .. }
            | TrainEvent::Resumed { .. } => {}
            e => events.push(e),
        }
    }
    if state.step != at {
        return Err(format!(
            "the shared steps stopped at {} of {at}",
            state.step
        ));
    }
    Ok(Prefix {
        checkpoint: lm::io::checkpoint_bytes(&state)?,
        events,
    })
}

/// The prefix of `key` from `shared`, trained by the first caller ([`train`]), or why not.
pub fn get(
    shared: &Shared,
    key: String,
    fresh: impl FnOnce() -> Result<Prefix, String>,
) -> Result<Arc<Result<Prefix, String>>, String> {
    shared
        .get_or_compute(key, fresh)
        .ok_or_else(|| "the shared steps were stored as something else".to_string())
}

impl Prefix {
    /// Posts the prefix's reports to `tx` (each model copied), then returns the state after
    /// it with `recipe` to go on with; `None` once `tx` is closed.
    pub fn replay(
        &self,
        recipe: TrainConfig,
        tx: &dyn Sink<TrainEvent>,
    ) -> Result<Option<TrainState>, String> {
        for e in &self.events {
            let copy = match e {
                TrainEvent::Step {
                    step,
                    loss,
                    lr,
                    tokens_seen,
                    ms_per_step,
                } => TrainEvent::Step {
                    step: *step,
                    loss: *loss,
                    lr: *lr,
                    tokens_seen: *tokens_seen,
                    ms_per_step: *ms_per_step,
                },
                TrainEvent::Eval {
                    step,
                    train_loss,
                    val_loss,
                    model,
                } => TrainEvent::Eval {
                    step: *step,
                    train_loss: *train_loss,
                    val_loss: *val_loss,
                    model: Box::new(model.deep_copy().map_err(|e| e.to_string())?),
                },
                TrainEvent::Sample { step, text } => TrainEvent::Sample {
                    step: *step,
                    text: text.clone(),
                },
                _ => continue,
            };
            if tx.send(copy).is_err() {
                return Ok(None);
            }
        }
        let mut state = lm::io::load_checkpoint(&self.checkpoint, "the shared steps")?;
        state.recipe = recipe;
        Ok(Some(state))
    }
}

/// A sink that reads as closed once the step `at` has been reported: the trainer then
/// reports that step's evaluation and sample, and stops before the next step.
struct StopAfter {
    tx: Sender<TrainEvent>,
    at: usize,
    reached: AtomicBool,
}

impl Sink<TrainEvent> for StopAfter {
    fn send(&self, event: TrainEvent) -> Result<(), crate::jobs::Closed> {
        if let TrainEvent::Step { step, .. } = &event {
            if *step >= self.at {
                self.reached.store(true, Ordering::Relaxed);
            }
        }
        self.tx.send(event).map_err(|_| crate::jobs::Closed)
    }

    fn closed(&self) -> bool {
        self.reached.load(Ordering::Relaxed)
    }
}
