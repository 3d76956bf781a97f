//! The JSON written next to a trained model: how it was made (preset, shape, recipe, seed,
//! corpus hash) and the losses it reached, so anyone can retrain it and compare.

use super::config::{Config, TrainConfig};
use super::data::Data;
use super::loss::mean_loss;
use super::model::Model;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub format: String,
    pub preset: String,
    pub config: Config,
    pub train: TrainConfig,
    pub steps: usize,
    pub seed: u64,
    pub params: usize,
    pub tokens_seen: u64,
    /// Mean loss in nats per character over the whole training split.
    pub train_loss: f64,
    /// Mean loss in nats per character over the whole validation split (its last 10%).
    pub val_loss: f64,
    pub corpus: String,
    pub corpus_sha256: String,
    pub corpus_chars: usize,
    /// The batch losses of the first [`FIRST_LOSSES`] steps of a run from step 0, so a test can
    /// retrain those few steps and catch a change that moves training away from this model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_losses: Vec<f32>,
    /// The matrix-product kernel of the CPU that trained it ([`super::threads::matmul_kernel`]):
    /// a retraining reproduces the weights byte for byte only with the same kernel.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub matmul_kernel: String,
}

/// How many first-step losses a recipe records.
pub const FIRST_LOSSES: usize = 4;

/// Losses over the whole of both splits, as a recipe records them.
pub fn final_losses(model: &Model, data: &Data) -> candle_core::Result<(f64, f64)> {
    Ok((
        mean_loss(model, &data.train)? as f64,
        mean_loss(model, &data.val)? as f64,
    ))
}

impl Recipe {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        preset: &str,
        model: &Model,
        train: &TrainConfig,
        steps: usize,
        tokens_seen: u64,
        data: &Data,
        losses: (f64, f64),
    ) -> Self {
        Self {
            format: super::io::FORMAT.into(),
            preset: preset.into(),
            config: model.config,
            train: train.clone(),
            steps,
            seed: train.seed,
            params: model.param_count(),
            tokens_seen,
            train_loss: losses.0,
            val_loss: losses.1,
            corpus: "assets/model/corpus.txt".into(),
            corpus_sha256: data.sha256.clone(),
            corpus_chars: data.train.len() + data.val.len(),
            first_losses: Vec::new(),
            matmul_kernel: super::threads::matmul_kernel().into(),
        }
    }
}

/// The JSON written next to a fine-tuned model (`llmf train --from … --data …`): what it
/// started from, the text it learned (name, hash, size), the method and settings, and the
/// losses before and after, so the run can be repeated and compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRecipe {
    pub format: String,
    /// "base" (the built-in model) or the model file it started from.
    pub from: String,
    /// "full" or "LoRA r=R" (adapters on W_q and W_v, merged into the model written).
    pub method: String,
    pub data: String,
    pub data_sha256: String,
    pub data_chars: usize,
    /// Characters at the end of the data held out to measure the loss (10%).
    pub held_out_chars: usize,
    pub config: Config,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub seed: u64,
    pub params: usize,
    pub trainable: usize,
    /// Mean loss in nats per character on the held-out text, before and after.
    pub held_out_loss_before: f64,
    pub held_out_loss_after: f64,
    /// Mean loss on the course's validation text, before and after: a rise is forgetting.
    pub original_loss_before: f64,
    pub original_loss_after: f64,
    /// Characters of each set scored for those losses (0: all of it).
    pub eval_chars: usize,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub matmul_kernel: String,
}

/// The SHA-256 of a text, in hex, as recipes record a corpus.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
