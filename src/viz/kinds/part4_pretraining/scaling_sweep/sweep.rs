//! The sweep itself, on the calling thread: each size trained for the same steps, its
//! validation loss read at the steps where it has used each IsoFLOP budget and at the end.

use super::*;

/// Non-embedding parameters of a size: everything but the token and position tables (as
/// Kaplan et al. count N).
pub fn non_embedding(config: &lm::Config) -> usize {
    config.param_count() - (config.vocab + config.context) * config.d_model
}

pub(super) fn config(size: usize, vocab: usize) -> lm::Config {
    let (d_model, layers) = SIZES[size];
    lm::Config {
        vocab,
        d_model,
        layers,
        heads: 4,
        context: 32,
    }
}

/// Warm-up steps of a sweep of `steps` steps per size.
pub(super) fn warmup(steps: usize) -> usize {
    steps / 10
}

/// The IsoFLOP budgets of a sweep of `steps` steps: the largest is what the third-largest
/// size uses in the whole sweep, so the three largest sizes all reach it; each next is half.
pub fn budgets(steps: usize, vocab: usize) -> Vec<f64> {
    let n = non_embedding(&config(SIZES.len() - 3, vocab)) as f64;
    let top = crate::labs::part4_pretraining::scaling::compute(n, TOKENS_PER_STEP * steps as f64);
    (0..BUDGETS).map(|k| top / f64::from(1u32 << k)).collect()
}

/// The step at which `size` has used `budget` FLOPs (the nearest whole step), if that is after
/// its warm-up and within the sweep.
pub fn budget_step(size: usize, budget: f64, steps: usize, vocab: usize) -> Option<usize> {
    let n = non_embedding(&config(size, vocab)) as f64;
    let at = (budget / (6.0 * n * TOKENS_PER_STEP)).round();
    let step = at as usize;
    (at >= 1.0 && step >= warmup(steps) && step <= steps).then_some(step)
}

/// Trains size `size` for `steps` steps and returns its mean loss on the whole validation
/// split; `on_step` hears every step, with the validation loss at the steps in `read_at`,
/// and stops the run by returning false (then `None`).
pub fn train_size(
    size: usize,
    steps: usize,
    seed: u64,
    data: &Data,
    read_at: &[usize],
    on_step: &mut dyn FnMut(usize, Option<f32>) -> bool,
) -> Result<Option<f32>, String> {
    let base = lm::preset("demo")
        .ok_or("the demo preset is missing")?
        .train;
    let recipe = lm::TrainConfig {
        steps,
        seed,
        warmup: warmup(steps),
        schedule: Schedule::Cosine,
        eval_every: 0,
        sample_every: 0,
        ..base
    };
    let cfg = config(size, data.vocab.len());
    let mut state =
        TrainState::fresh(cfg, data.vocab.clone(), recipe).map_err(|e| e.to_string())?;
    for step in 1..=steps {
        state.step(data).map_err(|e| e.to_string())?;
        let read = if read_at.contains(&step) {
            Some(lm::loss::mean_loss(&state.model, &data.val).map_err(|e| e.to_string())?)
        } else {
            None
        };
        if !on_step(step, read) {
            return Ok(None);
        }
    }
    lm::loss::mean_loss(&state.model, &data.val)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// What the sweep thread reports.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum SweepEvent {
    Progress {
        size: usize,
        step: usize,
    },
    /// The validation loss part-way, at a step an IsoFLOP budget needs.
    Reading {
        size: usize,
        step: usize,
        val_loss: f32,
    },
    Done {
        size: usize,
        val_loss: f32,
    },
    Failed(String),
}

/// The whole sweep, on the calling thread (the visualizer runs it on its own).
pub(super) fn sweep(steps: usize, seed: u64, tx: &dyn Sink<SweepEvent>) {
    let data = lm_common::corpus();
    let vocab = data.vocab.len();
    for size in 0..SIZES.len() {
        // The last step's loss is the final one, measured anyway.
        let read_at: Vec<usize> = budgets(steps, vocab)
            .iter()
            .filter_map(|&c| budget_step(size, c, steps, vocab))
            .filter(|&s| s < steps)
            .collect();
        // A sweep nobody watches stops at once, not at its next report.
        let mut report = |step: usize, read: Option<f32>| {
            !tx.closed()
                && read.is_none_or(|val_loss| {
                    tx.send(SweepEvent::Reading {
                        size,
                        step,
                        val_loss,
                    })
                    .is_ok()
                })
                && (!step.is_multiple_of(REPORT_EVERY)
                    || tx.send(SweepEvent::Progress { size, step }).is_ok())
        };
        match train_size(size, steps, seed, &data, &read_at, &mut report) {
            Ok(Some(val_loss)) => {
                if tx.send(SweepEvent::Done { size, val_loss }).is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(why) => {
                let _ = tx.send(SweepEvent::Failed(why));
                return;
            }
        }
    }
}
