//! Training: one step at a time ([`TrainState::step`]), or on a background thread
//! ([`Trainer::spawn`]) that posts [`TrainEvent`]s and obeys pause, resume and stop.

use super::config::{Config, TrainConfig};
use super::data::Data;
use super::loss::mean_loss;
use super::model::Model;
use super::ops::cross_entropy;
use super::optim::AdamW;
use super::rng::Rng;
use super::sample::{generate, Filters};
use super::vocab::Vocab;
use crate::jobs::Sink;
use candle_core::{Device, Result, Tensor};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// Everything a run needs to continue exactly where it stopped: weights, optimizer moments,
/// the batch generator's state, the step count and the recipe. A checkpoint saves all of it.
pub struct TrainState {
    pub model: Model,
    pub opt: AdamW,
    pub rng: Rng,
    pub step: usize,
    pub tokens_seen: u64,
    pub recipe: TrainConfig,
}

impl TrainState {
    /// A new run: weights from `recipe.seed`, batches from a generator seeded from it too.
    pub fn fresh(config: Config, vocab: Vocab, recipe: TrainConfig) -> Result<Self> {
        let model = Model::new(config, vocab, recipe.seed)?;
        Ok(Self::with_model(model, recipe))
    }

    /// A new run from existing weights (fine-tuning in Part V starts here).
    pub fn with_model(model: Model, recipe: TrainConfig) -> Self {
        let opt = AdamW::new(
            &model,
            recipe.beta1,
            recipe.beta2,
            recipe.eps,
            recipe.weight_decay,
        );
        Self {
            model,
            opt,
            rng: Rng::new(recipe.seed.wrapping_add(0xB47C)),
            step: 0,
            tokens_seen: 0,
            recipe,
        }
    }

    /// A random batch of windows from `ids`: inputs (B, T) and next-character targets (B·T).
    fn batch(&mut self, ids: &[u32]) -> Result<(Tensor, Tensor)> {
        let t = self.model.config.context.min(ids.len().saturating_sub(1));
        if t == 0 {
            return Err(candle_core::Error::Msg(
                "the training text is too short".into(),
            ));
        }
        let b = self.recipe.batch;
        let (mut xs, mut ys) = (Vec::with_capacity(b * t), Vec::with_capacity(b * t));
        for _ in 0..b {
            let start = self.rng.below(ids.len() - t);
            xs.extend_from_slice(&ids[start..start + t]);
            ys.extend_from_slice(&ids[start + 1..start + t + 1]);
        }
        Ok((
            Tensor::from_vec(xs, (b, t), &Device::Cpu)?,
            Tensor::from_vec(ys, b * t, &Device::Cpu)?,
        ))
    }

    /// One optimizer step on a random batch of `data.train`; returns the batch's loss (nats
    /// per character) before the update.
    pub fn step(&mut self, data: &Data) -> Result<f32> {
        let (x, y) = self.batch(&data.train)?;
        let loss = cross_entropy(&self.model.forward_rows(&x)?, &y)?;
        let grads = loss.backward()?;
        let lr = self.recipe.lr_at(self.step);
        self.opt.update(&self.model, &grads, lr)?;
        self.step += 1;
        self.tokens_seen += y.elem_count() as u64;
        loss.to_scalar()
    }
}

/// What a background run reports.
pub enum TrainEvent {
    /// After every step.
    Step {
        step: usize,
        loss: f32,
        lr: f64,
        tokens_seen: u64,
        ms_per_step: f64,
    },
    /// Before the first step of a fresh run, every `eval_every` steps and at the end
    /// (`eval_every` 0: only at the end): loss on the first `eval_chars` of each split
    /// (non-overlapping windows), and a copy of the model at that moment (for visualizers
    /// that query it while training goes on).
    Eval {
        step: usize,
        train_loss: f32,
        val_loss: f32,
        model: Box<Model>,
    },
    /// Every `sample_every` steps: text the model writes after "The ".
    Sample {
        step: usize,
        text: String,
    },
    Paused {
        step: usize,
    },
    Resumed {
        step: usize,
    },
    /// The run ended (all steps done, or stopped); [`TrainerHandle::join`] returns its state.
    Finished {
        step: usize,
        stopped: bool,
    },
    Failed(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Going,
    Paused,
    Stopping,
}

struct Control {
    run: Mutex<Run>,
    wake: Condvar,
}

/// Controls a background run. Dropping it stops the run (after the step in progress).
pub struct TrainerHandle {
    control: Arc<Control>,
    thread: Option<JoinHandle<TrainState>>,
}

impl TrainerHandle {
    fn set(&self, run: Run) {
        if let Ok(mut r) = self.control.run.lock() {
            if *r != Run::Stopping {
                *r = run;
            }
        }
        self.control.wake.notify_all();
    }
    pub fn pause(&self) {
        self.set(Run::Paused);
    }
    pub fn resume(&self) {
        self.set(Run::Going);
    }
    pub fn stop(&self) {
        self.set(Run::Stopping);
    }
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
    /// Waits for the run to end and returns its state (to save, sample from, or continue).
    pub fn join(mut self) -> Option<TrainState> {
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for TrainerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Trainer;

impl Trainer {
    /// Trains `state` on `data` until `state.recipe.steps`, on a new thread that keeps candle
    /// to one compute thread, posting events to `sender` (a job's reporter, or a plain channel
    /// sender; a closed receiver stops the run).
    pub fn spawn(
        state: TrainState,
        data: Arc<Data>,
        sender: impl Sink<TrainEvent> + 'static,
    ) -> TrainerHandle {
        let control = Arc::new(Control {
            run: Mutex::new(Run::Going),
            wake: Condvar::new(),
        });
        let ctl = control.clone();
        let thread = std::thread::spawn(move || {
            super::threads::single_threaded(move || run(state, &data, &sender, &ctl))
        });
        TrainerHandle {
            control,
            thread: Some(thread),
        }
    }
}

/// Waits while paused; false once the run should stop.
fn keep_going(ctl: &Control, sender: &dyn Sink<TrainEvent>, step: usize) -> bool {
    if sender.closed() {
        return false;
    }
    let Ok(mut r) = ctl.run.lock() else {
        return false;
    };
    if *r == Run::Paused {
        let _ = sender.send(TrainEvent::Paused { step });
        while *r == Run::Paused {
            r = match ctl.wake.wait(r) {
                Ok(r) => r,
                Err(_) => return false,
            };
        }
        if *r == Run::Going {
            let _ = sender.send(TrainEvent::Resumed { step });
        }
    }
    *r == Run::Going
}

fn run(
    mut state: TrainState,
    data: &Data,
    sender: &dyn Sink<TrainEvent>,
    ctl: &Control,
) -> TrainState {
    let total = state.recipe.steps;
    let mut stopped = false;
    // A fresh run is evaluated before its first step too, so its loss curve starts where
    // training starts: near ln V, the loss of a uniform guess.
    if state.step == 0 && state.recipe.eval_every > 0 {
        if let Err(e) = report_eval(&state, data, sender) {
            let _ = sender.send(TrainEvent::Failed(e.to_string()));
            return state;
        }
    }
    while state.step < total {
        if !keep_going(ctl, sender, state.step) {
            stopped = true;
            break;
        }
        let started = Instant::now();
        let loss = match state.step(data) {
            Ok(l) => l,
            Err(e) => {
                let _ = sender.send(TrainEvent::Failed(e.to_string()));
                return state;
            }
        };
        let event = TrainEvent::Step {
            step: state.step,
            loss,
            lr: state.recipe.lr_at(state.step - 1),
            tokens_seen: state.tokens_seen,
            ms_per_step: started.elapsed().as_secs_f64() * 1e3,
        };
        if sender.send(event).is_err() {
            stopped = true;
            break;
        }
        let r = &state.recipe;
        let (step, last) = (state.step, state.step == total);
        if (r.eval_every > 0 && step % r.eval_every == 0) || last {
            if let Err(e) = report_eval(&state, data, sender) {
                let _ = sender.send(TrainEvent::Failed(e.to_string()));
                return state;
            }
        }
        if r.sample_every > 0 && step % r.sample_every == 0 {
            let mut rng = Rng::new(r.seed ^ step as u64);
            let filters = Filters {
                temperature: 0.8,
                ..Filters::default()
            };
            if let Ok(out) = generate(&state.model, "The ", r.sample_chars, &filters, &mut rng) {
                let _ = sender.send(TrainEvent::Sample {
                    step,
                    text: out.text(),
                });
            }
        }
    }
    let _ = sender.send(TrainEvent::Finished {
        step: state.step,
        stopped,
    });
    state
}

fn report_eval(state: &TrainState, data: &Data, sender: &dyn Sink<TrainEvent>) -> Result<()> {
    let n = state.recipe.eval_chars;
    let head = |ids: &[u32]| -> Vec<u32> {
        if n == 0 {
            ids.to_vec()
        } else {
            ids[..n.min(ids.len())].to_vec()
        }
    };
    let train_loss = mean_loss(&state.model, &head(&data.train))?;
    let val_loss = mean_loss(&state.model, &head(&data.val))?;
    let _ = sender.send(TrainEvent::Eval {
        step: state.step,
        train_loss,
        val_loss,
        model: Box::new(state.model.deep_copy()?),
    });
    Ok(())
}
