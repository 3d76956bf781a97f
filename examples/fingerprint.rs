//! A fingerprint of the model lab's numbers, each line a hash of values bit for bit:
//! - every loss and final weight of 30 training steps of the `demo` and `base` presets;
//! - 10 fine-tuning steps of the shipped model, full and LoRA (r = 4 on all six
//!   projections, so every adapter site is used): losses and the trained weights or adapters;
//! - the candle KV cache's logits along 80 characters (through a window restart) and 24
//!   characters sampled for a batch of 4 with the batched cache;
//! - 120 characters sampled from the shipped model (the candle-free path).
//!
//! Run it before and after a change meant only to make the lab faster or clearer: the lines
//! must not change (on the same CPU kind — gemm's kernel is part of the arithmetic, see
//! `lm::threads::matmul_kernel`).
//!
//! `cargo run --release --example fingerprint` (std's `DefaultHasher`: compare runs built with
//! the same Rust toolchain).

use llmf::course::qa::builtin_pairs;
use llmf::labs::lm::batch_sample::sample_batch;
use llmf::labs::lm::finetune::{Finetuner, FtConfig, FtData, Method};
use llmf::labs::lm::lora::Proj;
use llmf::labs::lm::sft::{Pair, SftSet};
use llmf::labs::lm::{self, Data, Filters, KvCache, Rng, TrainState};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

fn hash_values(values: &[f32], hash: &mut DefaultHasher) {
    for x in values {
        x.to_bits().hash(hash);
    }
}

fn hash_var(var: &candle_core::Var, hash: &mut DefaultHasher) {
    let values = var
        .as_tensor()
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>());
    hash_values(&values.expect("weights"), hash);
}

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
            hash_var(var, &mut hash);
        }
        println!("{name} training: {:016x}", hash.finish());
    }
    let base = lm::base_model().expect("base model");
    let (train, held) = builtin_pairs();
    let pairs =
        |v: &[(String, String)]| -> Vec<Pair> { v.iter().map(|(p, r)| Pair::new(p, r)).collect() };
    let ft_data = FtData {
        train: SftSet::new(&pairs(&train), &base.vocab),
        held_out: SftSet::new(&pairs(&held), &base.vocab),
        original: Data::corpus(),
    };
    for method in [Method::Full, Method::lora(4, &Proj::ALL)] {
        let mut ft =
            Finetuner::new(base, FtConfig::new(method.clone(), 10, 1e-3)).expect("fine-tuner");
        let mut hash = DefaultHasher::new();
        for _ in 0..10 {
            ft.step(&ft_data).expect("step").to_bits().hash(&mut hash);
        }
        for (_, var) in ft.current().expect("model").params() {
            hash_var(var, &mut hash);
        }
        println!("fine-tune {}: {:016x}", method.name(), hash.finish());
    }
    let mut hash = DefaultHasher::new();
    let mut cache = KvCache::new(base);
    for &id in base.vocab.encode(&lm::BASE_RECIPE[..80]).iter() {
        hash_values(&cache.push(base, id).expect("cache step"), &mut hash);
    }
    let prompt = base.vocab.encode("Q: ");
    for seq in sample_batch(base, &prompt, 4, 24, &mut Rng::new(2)).expect("batch") {
        seq.hash(&mut hash);
    }
    println!("base candle cache: {:016x}", hash.finish());
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
