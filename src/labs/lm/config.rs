//! Model shapes and training recipes, and the named presets `llmf train --preset` offers.

use serde::{Deserialize, Serialize};

/// The shape of a model. `vocab` comes from the alphabet ([`super::vocab::Vocab`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub vocab: usize,
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    /// The longest window the model reads (its learned positions).
    pub context: usize,
}

impl Config {
    pub fn d_head(&self) -> usize {
        self.d_model / self.heads
    }

    /// The MLP's hidden width: 4 × d_model, as in GPT-2.
    pub fn d_mlp(&self) -> usize {
        4 * self.d_model
    }

    /// Parameters: embeddings V·d + positions ctx·d, per layer two layer norms (4d),
    /// W_qkv and its bias (3d² + 3d), W_o (d² + d), the MLP (8d² + 5d), then a final norm (2d).
    /// The output layer reuses the token embedding, so it adds nothing.
    pub fn param_count(&self) -> usize {
        let d = self.d_model;
        let per_layer = 4 * d + 3 * d * d + 3 * d + d * d + d + 8 * d * d + 5 * d;
        self.vocab * d + self.context * d + self.layers * per_layer + 2 * d
    }

    pub fn check(&self) -> Result<(), String> {
        if self.vocab < 2 || self.d_model == 0 || self.layers == 0 || self.context < 2 {
            return Err(format!("model shape out of range: {self:?}"));
        }
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "d_model {} is not a multiple of heads {}",
                self.d_model, self.heads
            ));
        }
        Ok(())
    }
}

/// How the learning rate moves after a linear warm-up: held at the peak (`Constant`), decayed
/// on a cosine to `min_lr_frac` × the peak at the last step (`Cosine`), or held and then
/// decayed in a straight line to that floor over the last [`WSD_DECAY_SHARE`] of the steps
/// (`Wsd`, warmup-stable-decay: Hu et al. 2024, MiniCPM; Hägele et al. 2024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Constant,
    Cosine,
    Wsd,
}

/// The share of a WSD run spent decaying: its last fifth (Hägele et al. 2024 decay over
/// 10–20% of the steps; MiniCPM about a tenth).
pub const WSD_DECAY_SHARE: f64 = 0.2;

impl TrainConfig {
    /// The step where a WSD run starts to decay (never inside the warm-up).
    pub fn decay_start(&self) -> usize {
        let decay = (self.steps as f64 * WSD_DECAY_SHARE).round() as usize;
        self.steps.saturating_sub(decay.max(1)).max(self.warmup)
    }
}

/// A training recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub warmup: usize,
    pub schedule: Schedule,
    pub min_lr_frac: f64,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub seed: u64,
    /// Validation loss every this many steps (0: never, only at the end).
    pub eval_every: usize,
    /// Characters of the validation split used for the loss reported during training
    /// (0: all of it); the final figure always uses all of it.
    pub eval_chars: usize,
    /// A sample every this many steps (0: never).
    pub sample_every: usize,
    pub sample_chars: usize,
}

impl TrainConfig {
    /// The learning rate at `step` (counted from 0).
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.lr * (step + 1) as f64 / self.warmup as f64;
        }
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => {
                let span = self.steps.saturating_sub(self.warmup).max(1) as f64;
                let t = ((step - self.warmup) as f64 / span).min(1.0);
                let min = self.lr * self.min_lr_frac;
                min + (self.lr - min) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            Schedule::Wsd => {
                let start = self.decay_start();
                if step < start {
                    return self.lr;
                }
                let span = self.steps.saturating_sub(start).max(1) as f64;
                let t = ((step - start) as f64 / span).min(1.0);
                self.lr * (1.0 - (1.0 - self.min_lr_frac) * t)
            }
        }
    }
}

/// A named model shape and recipe.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    pub context: usize,
    pub train: TrainConfig,
}

impl Preset {
    pub fn config(&self, vocab: usize) -> Config {
        Config {
            vocab,
            d_model: self.d_model,
            layers: self.layers,
            heads: self.heads,
            context: self.context,
        }
    }
}

fn recipe(steps: usize, batch: usize, lr: f64, warmup: usize, schedule: Schedule) -> TrainConfig {
    TrainConfig {
        steps,
        batch,
        lr,
        warmup,
        schedule,
        min_lr_frac: 0.1,
        weight_decay: 0.01,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        seed: 1,
        eval_every: 100,
        eval_chars: 8192,
        sample_every: 300,
        sample_chars: 120,
    }
}

/// The presets, smallest first.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "tiny",
            about: "for tests: 1 layer, d 16, context 16",
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 16,
            train: TrainConfig {
                eval_every: 0,
                sample_every: 0,
                ..recipe(20, 4, 3e-3, 2, Schedule::Constant)
            },
        },
        Preset {
            name: "demo",
            about: "the live demo: 1 layer, d 64, 4 heads, context 32, batch 16",
            d_model: 64,
            layers: 1,
            heads: 4,
            context: 32,
            train: recipe(1500, 16, 3e-3, 50, Schedule::Constant),
        },
        Preset {
            name: "base",
            about: "the shipped model: 2 layers, d 96, 4 heads, context 64",
            d_model: 96,
            layers: 2,
            heads: 4,
            context: 64,
            train: TrainConfig {
                eval_chars: 0,
                eval_every: 250,
                sample_every: 500,
                ..recipe(2500, 16, 3e-3, 100, Schedule::Cosine)
            },
        },
    ]
}

pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_about_sixty_thousand_parameters() {
        let c = preset("demo").unwrap().config(120);
        // 120·64 + 32·64 + (4·64 + 12·64² + 12·64·... ) worked out term by term:
        // embeddings 7680, positions 2048, layer 256 + 12288+192 + 4096+64 + 32768+320,
        // final norm 128: total 59,840.
        assert_eq!(c.param_count(), 59_840);
    }

    #[test]
    fn schedule_warms_up_then_decays_to_the_floor() {
        let t = recipe(110, 1, 1.0, 10, Schedule::Cosine);
        assert!((t.lr_at(0) - 0.1).abs() < 1e-12);
        assert!((t.lr_at(9) - 1.0).abs() < 1e-12);
        assert!((t.lr_at(10) - 1.0).abs() < 1e-12);
        // Halfway through the decay: 0.1 + 0.9·0.5·(1 + cos(π/2)) = 0.55.
        assert!((t.lr_at(60) - 0.55).abs() < 1e-12);
        assert!((t.lr_at(110) - 0.1).abs() < 1e-12);
        let c = recipe(110, 1, 1.0, 10, Schedule::Constant);
        assert_eq!(c.lr_at(100), 1.0);
    }

    #[test]
    fn wsd_holds_the_peak_then_decays_in_a_line_over_the_last_fifth() {
        let t = recipe(110, 1, 1.0, 10, Schedule::Wsd);
        // The same warm-up as the others.
        assert!((t.lr_at(0) - 0.1).abs() < 1e-12);
        // Decay over round(0.2·110) = 22 steps: from step 88 to 110.
        assert_eq!(t.decay_start(), 88);
        assert_eq!(t.lr_at(50), 1.0);
        assert_eq!(t.lr_at(87), 1.0);
        assert_eq!(t.lr_at(88), 1.0);
        // Halfway down the line: 1 − 0.9·11/22 = 0.55; at the end the floor, 0.1.
        assert!((t.lr_at(99) - 0.55).abs() < 1e-12);
        assert!((t.lr_at(110) - 0.1).abs() < 1e-12);
        // A run shorter than its warm-up decays from the warm-up's end.
        let short = recipe(10, 1, 1.0, 9, Schedule::Wsd);
        assert_eq!(short.decay_start(), 9);
    }
}
