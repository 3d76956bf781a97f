//! The language-model lab of Parts IV and V: a small decoder-only GPT over characters, trained
//! on the course's own text with candle on the CPU, one thread. Pure computation: no drawing.
//!
//! - [`Model`]: the network ([`model`] says what is inside; its layers, `LayerNorm`,
//!   `Attention`, `Mlp` and `Block`, are in `layers`, and fine-tuning methods such as LoRA plug
//!   into them through the one trait of `adapter`), [`Config`] its shape, [`presets`] the named
//!   shapes and recipes (`demo` is the live one, `base` the shipped one);
//! - [`Vocab`]: one token per character (why: [`vocab`]);
//! - [`TrainState::step`] trains in place; [`Trainer::spawn`] trains on its own thread and
//!   posts [`TrainEvent`]s (step losses, validation losses, samples) to a channel, with pause,
//!   resume and stop on the [`TrainerHandle`] (dropping it stops the run);
//! - [`sample::filter`] turns logits into a [`SampleStep`] that shows what temperature, top-k
//!   and top-p keep; [`generate`] writes text with a KV cache ([`KvCache`]);
//! - [`loss_per_position`]: −ln p(next character) along a text, its mean, perplexity and the
//!   uniform baseline ln V;
//! - [`base_model`]: the model shipped in the binary (`make model` rebuilds it), loaded once;
//! - [`io`]: model files and resumable checkpoints (safetensors).
//!
//! ```no_run
//! use llmf::labs::lm::{self, Data, Filters, TrainEvent, TrainState, Trainer};
//! use std::sync::{mpsc, Arc};
//!
//! // Train the demo model in the background and watch it learn.
//! let data = Arc::new(Data::corpus());
//! let preset = lm::preset("demo").unwrap();
//! let state = TrainState::fresh(preset.config(data.vocab.len()), data.vocab.clone(),
//!                               preset.train.clone()).unwrap();
//! let (tx, rx) = mpsc::channel();
//! let handle = Trainer::spawn(state, data, tx);
//! for event in rx {
//!     match event {
//!         TrainEvent::Eval { step, val_loss, .. } => println!("{step}: {val_loss:.3} nats/char"),
//!         TrainEvent::Finished { .. } => break,
//!         _ => {}
//!     }
//! }
//! let trained = handle.join().unwrap().model;
//!
//! // Ask the shipped model what comes next.
//! let base = lm::base_model().unwrap();
//! let logits = base.logits(&base.vocab.encode("The attention wei")).unwrap();
//! let step = lm::sample::filter(logits.last().unwrap(), &Filters { top_k: 5, ..Filters::default() });
//! let report = lm::loss_per_position(&trained, "The model predicts the next character.").unwrap();
//! println!("{:.2} nats/char, perplexity {:.1}, uniform {:.2}", report.mean, report.perplexity,
//!          report.uniform);
//! # let _ = step;
//! ```

pub(crate) mod adapter;
pub mod batch_sample;
pub mod cache;
pub mod config;
pub mod data;
pub mod dpo;
pub mod finetune;
pub mod frozen;
pub mod fused;
pub mod grpo;
pub mod infer;
pub mod io;
pub(crate) mod layers;
pub mod lora;
pub mod loss;
pub mod model;
pub mod ops;
pub mod optim;
pub mod policy;
pub mod quantized;
pub mod recipe;
pub mod rng;
pub mod sample;
pub mod sft;
pub mod text_reward;
pub mod threads;
pub mod train;
pub mod vocab;
pub mod word_task;

#[cfg(test)]
mod tests;

pub use cache::KvCache;
pub use config::{preset, presets, Config, Preset, Schedule, TrainConfig, WSD_DECAY_SHARE};
pub use data::Data;
pub use loss::{loss_per_position, LossReport};
pub use model::Model;
pub use rng::Rng;
pub use sample::{filter, generate, Filters, SampleStep};
pub use train::{TrainEvent, TrainState, Trainer, TrainerHandle};
pub use vocab::Vocab;

/// The shipped model's file, embedded in the binary (`make model` rebuilds it).
pub const BASE_MODEL: &[u8] = include_bytes!("../../../assets/model/base.safetensors");
/// The recipe `llmf train` wrote with it: settings, seed, corpus hash, final losses.
pub const BASE_RECIPE: &str = include_str!("../../../assets/model/base.json");

/// The shipped base model, loaded on first use and kept.
pub fn base_model() -> Result<&'static Model, String> {
    static BASE: std::sync::OnceLock<Result<Model, String>> = std::sync::OnceLock::new();
    BASE.get_or_init(|| io::load_model(BASE_MODEL, "assets/model/base.safetensors (built in)"))
        .as_ref()
        .map_err(Clone::clone)
}

/// The shipped model's recipe.
pub fn base_recipe() -> Result<recipe::Recipe, String> {
    serde_json::from_str(BASE_RECIPE).map_err(|e| format!("assets/model/base.json (built in): {e}"))
}
