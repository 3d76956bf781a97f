//! Fine-tuning a trained model on new data: full fine-tuning (every weight moves), LoRA
//! (adapters only, the base frozen), and replay (a share of each batch drawn from the original
//! corpus, the simplest remedy for forgetting).
//!
//! A [`Finetuner`] owns its own copy of the starting model, so the model it started from (the
//! shipped one, usually) never changes. [`run`] trains and evaluates it, reporting
//! [`Point`]s: loss on the new data (train and held out) and on the original corpus, so
//! forgetting shows as the last one rising.

use super::data::Data;
use super::lora::{Lora, Proj};
use super::model::Model;
use super::ops::nll_per_position;
use super::optim::AdamW;
use super::rng::Rng;
use super::sft::{eval_loss, masked_mean, SftSet};
use candle_core::{Device, Result, Tensor, Var};
use std::time::Instant;

/// What training may change.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// Every weight.
    Full,
    /// Adapters of this rank on these projections; α fixed (see [`FtConfig`]).
    Lora {
        rank: usize,
        alpha: f64,
        targets: Vec<Proj>,
    },
}

impl Method {
    pub fn lora(rank: usize, targets: &[Proj]) -> Self {
        Method::Lora {
            rank,
            alpha: LORA_ALPHA,
            targets: targets.to_vec(),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Method::Full => "full".into(),
            Method::Lora { rank, .. } => format!("LoRA r={rank}"),
        }
    }
}

/// α for every rank. The paper fixes α at the first rank it tries and never tunes it, so that
/// changing r does not call for a new learning rate; 8 is the largest rank offered here.
pub const LORA_ALPHA: f64 = 8.0;

/// A fine-tuning run's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct FtConfig {
    pub method: Method,
    pub steps: usize,
    /// Windows per batch (each the model's context long).
    pub batch: usize,
    /// Constant learning rate (AdamW, no weight decay: it would pull the base toward 0).
    pub lr: f64,
    /// Count the loss on response characters only.
    pub mask_prompt: bool,
    /// Share of each batch's windows taken from the original corpus (0: none).
    pub replay: f64,
    pub seed: u64,
    /// Evaluate every this many steps (and at steps 0 and the last).
    pub eval_every: usize,
    /// Characters of each evaluation set used (0: all).
    pub eval_chars: usize,
}

impl FtConfig {
    pub fn new(method: Method, steps: usize, lr: f64) -> Self {
        Self {
            method,
            steps,
            batch: 8,
            lr,
            mask_prompt: true,
            replay: 0.0,
            seed: 1,
            eval_every: (steps / 10).max(1),
            eval_chars: 2048,
        }
    }
}

/// The data of a fine-tuning run.
pub struct FtData {
    /// What the model is fine-tuned on.
    pub train: SftSet,
    /// Examples of the same kind it never trains on.
    pub held_out: SftSet,
    /// The original corpus: replay draws from `train`, forgetting is measured on `val`.
    pub original: Data,
}

/// A fine-tuning run in progress.
pub struct Finetuner {
    /// The model being trained (with LoRA: the frozen base).
    pub model: Model,
    pub lora: Option<Lora>,
    pub cfg: FtConfig,
    pub step: usize,
    opt: AdamW,
    rng: Rng,
}

impl Finetuner {
    /// Starts from a copy of `base` (which is never changed).
    pub fn new(base: &Model, cfg: FtConfig) -> Result<Self> {
        let model = base.deep_copy()?;
        let lora = match &cfg.method {
            Method::Full => None,
            Method::Lora {
                rank,
                alpha,
                targets,
            } => Some(Lora::new(&model, *rank, *alpha, targets, cfg.seed)?),
        };
        let sizes: Vec<usize> = match &lora {
            Some(l) => l.vars().iter().map(|v| v.elem_count()).collect(),
            None => model.params().iter().map(|(_, v)| v.elem_count()).collect(),
        };
        Ok(Self {
            opt: AdamW::for_sizes(&sizes, 0.9, 0.99, 1e-8, 0.0),
            rng: Rng::new(cfg.seed.wrapping_add(0xF17E)),
            model,
            lora,
            cfg,
            step: 0,
        })
    }

    /// Parameters the optimizer changes.
    pub fn trainable(&self) -> usize {
        match &self.lora {
            Some(l) => l.trainable(),
            None => self.model.param_count(),
        }
    }

    /// A batch: inputs (B, T), targets (B·T) and their weights (B·T). `round(replay·B)`
    /// windows come from the original corpus with every target counted.
    fn batch(&mut self, data: &FtData) -> Result<(Tensor, Tensor, Tensor)> {
        let t = self.model.config.context;
        let b = self.cfg.batch;
        let new = &data.train;
        let original = &data.original.train;
        if new.len() < t + 2 || original.len() < t + 2 {
            return Err(candle_core::Error::Msg(format!(
                "the fine-tuning text has {} characters; it needs at least {} (the model's context plus 2)",
                new.len(),
                t + 2
            )));
        }
        let weights = new.target_weights(self.cfg.mask_prompt);
        let replayed = (self.cfg.replay * b as f64).round() as usize;
        let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..b {
            if i < replayed {
                let s = self.rng.below(original.len() - t);
                xs.extend_from_slice(&original[s..s + t]);
                ys.extend_from_slice(&original[s + 1..s + t + 1]);
                ws.extend(std::iter::repeat_n(1f32, t));
                continue;
            }
            // A window with at least one counted target (a few tries; prompts are short).
            let mut s = self.rng.below(new.len() - t);
            for _ in 0..8 {
                if weights[s..s + t].iter().any(|&w| w > 0.0) {
                    break;
                }
                s = self.rng.below(new.len() - t);
            }
            xs.extend_from_slice(&new.ids[s..s + t]);
            ys.extend_from_slice(&new.ids[s + 1..s + t + 1]);
            ws.extend_from_slice(&weights[s..s + t]);
        }
        Ok((
            Tensor::from_vec(xs, (b, t), &Device::Cpu)?,
            Tensor::from_vec(ys, b * t, &Device::Cpu)?,
            Tensor::from_vec(ws, b * t, &Device::Cpu)?,
        ))
    }

    /// One optimizer step; returns the batch's (masked) loss before the update.
    pub fn step(&mut self, data: &FtData) -> Result<f32> {
        let (x, y, w) = self.batch(data)?;
        let logits = match &self.lora {
            Some(l) => self.model.forward_lora(&x, l)?,
            None => self.model.forward(&x)?,
        };
        let nll = nll_per_position(&logits.reshape(((), self.model.config.vocab))?, &y)?;
        let loss = masked_mean(&nll, &w)?;
        let grads = loss.backward()?;
        let lr = self.cfg.lr;
        match &self.lora {
            Some(l) => self.opt.update_vars(&l.vars(), &grads, lr)?,
            None => {
                let vars: Vec<&Var> = self.model.params().into_iter().map(|(_, v)| v).collect();
                self.opt.update_vars(&vars, &grads, lr)?;
            }
        }
        self.step += 1;
        loss.to_scalar()
    }

    /// The model as it now computes: with LoRA, the adapters merged into a copy.
    pub fn current(&self) -> Result<Model> {
        match &self.lora {
            Some(l) => l.merged(&self.model),
            None => self.model.deep_copy(),
        }
    }
}

/// Losses at one moment of a run, in nats per counted character.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub step: usize,
    /// On (the first `eval_chars` of) the new training data, response characters.
    pub train: f32,
    /// On held-out examples of the same kind.
    pub held_out: f32,
    /// On the original corpus's validation text: rising means forgetting.
    pub original: f32,
    /// Mean milliseconds per optimizer step so far (0 at step 0).
    pub ms_per_step: f64,
}

/// Evaluates `model` on the run's three sets. The new data is always scored on response
/// characters only, whether training masks the prompt or not, so runs compare on one measure.
pub fn evaluate(model: &Model, data: &FtData, cfg: &FtConfig, step: usize) -> Result<Point> {
    let n = cfg.eval_chars;
    let original = data.original.val[..if n == 0 {
        data.original.val.len()
    } else {
        n.min(data.original.val.len())
    }]
        .to_vec();
    Ok(Point {
        step,
        train: eval_loss(model, &data.train.head(n), true)?,
        held_out: eval_loss(model, &data.held_out.head(n), true)?,
        original: super::loss::mean_loss(model, &original)?,
        ms_per_step: 0.0,
    })
}

/// Trains from `base` for `cfg.steps`, evaluating at step 0, every `eval_every` steps and at
/// the end; `report` gets each point and returns false to stop early. Returns the run.
pub fn run(
    base: &Model,
    cfg: FtConfig,
    data: &FtData,
    report: impl FnMut(Point) -> bool,
) -> Result<Finetuner> {
    run_while(base, cfg, data, report, || true)
}

/// [`run`], also asking `keep_going` before every step, so that a run nobody watches any
/// more stops within one step rather than at its next evaluation.
pub fn run_while(
    base: &Model,
    cfg: FtConfig,
    data: &FtData,
    mut report: impl FnMut(Point) -> bool,
    keep_going: impl Fn() -> bool,
) -> Result<Finetuner> {
    let mut ft = Finetuner::new(base, cfg)?;
    if !keep_going() || !report(evaluate(base, data, &ft.cfg, 0)?) {
        return Ok(ft);
    }
    let mut training = std::time::Duration::ZERO;
    while ft.step < ft.cfg.steps {
        if !keep_going() {
            break;
        }
        let started = Instant::now();
        ft.step(data)?;
        training += started.elapsed();
        if ft.step % ft.cfg.eval_every.max(1) == 0 || ft.step == ft.cfg.steps {
            let mut p = evaluate(&ft.current()?, data, &ft.cfg, ft.step)?;
            p.ms_per_step = training.as_secs_f64() * 1000.0 / ft.step as f64;
            if !report(p) {
                break;
            }
        }
    }
    Ok(ft)
}

/// The point with the lowest held-out loss: where early stopping would have kept the model.
pub fn best_stop(points: &[Point]) -> Option<Point> {
    points
        .iter()
        .copied()
        .filter(|p| p.held_out.is_finite())
        .min_by(|a, b| a.held_out.total_cmp(&b.held_out))
}

#[cfg(test)]
mod tests;
