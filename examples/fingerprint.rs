//! A fingerprint of the model lab's numbers: every loss and final weight of 30 training steps
//! of the `demo` and `base` presets, and 120 characters sampled from the shipped model, each
//! hashed bit for bit. Run it before and after a change meant only to make the lab faster:
//! the three lines must not change (on the same CPU kind — gemm's kernel is part of the
//! arithmetic, see `lm::threads::matmul_kernel`).
//!
//! `cargo run --release --example fingerprint` (std's `DefaultHasher`: compare runs built with
//! the same Rust toolchain).

use llmf::labs::lm::{self, Data, Filters, Rng, TrainState};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

fn main() {
    lm::threads::set_at_start();
    let data = Data::corpus();
    for name in ["demo", "base"] {
        let preset = lm::preset(name).expect("preset");
        let config = preset.config(data.vocab.len());
        let mut state =
            TrainState::fresh(config, data.vocab.clone(), preset.train.clone()).expect("model");
        let mut hash = DefaultHasher::new();
        for _ in 0..30 {
            state.step(&data).expect("step").to_bits().hash(&mut hash);
        }
        for (_, var) in state.model.params() {
            let values = var
                .as_tensor()
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>());
            for x in values.expect("weights") {
                x.to_bits().hash(&mut hash);
            }
        }
        println!("{name} training: {:016x}", hash.finish());
    }
    let base = lm::base_model().expect("base model");
    let filters = Filters {
        temperature: 0.8,
        ..Filters::default()
    };
    let text = lm::generate(base, "The ", 120, &filters, &mut Rng::new(1)).expect("generate");
    let mut hash = DefaultHasher::new();
    format!("{text:?}").hash(&mut hash);
    println!(
        "base sampling: {:016x} (kernel {})",
        hash.finish(),
        lm::threads::matmul_kernel()
    );
}
