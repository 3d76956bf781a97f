//! Fine-tuning speed on one thread: one step of the shipped model (2 layers, d 96, context 64,
//! batch 8 windows of the course's question–answer pairs), full fine-tuning against LoRA on
//! W_q and W_v at ranks 1, 4 and 8. LoRA computes no gradient for the frozen weights and keeps
//! no optimizer moments for them, which is where its step is cheaper.
//! Run: `cargo bench --bench finetune -- --quick`.

use criterion::{criterion_group, criterion_main, Criterion};
use llmf::course::qa::builtin_pairs;
use llmf::labs::lm::finetune::{Finetuner, FtConfig, FtData, Method};
use llmf::labs::lm::lora::QV;
use llmf::labs::lm::sft::{Pair, SftSet};
use llmf::labs::lm::{self, Data};

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn benches(c: &mut Criterion) {
    // Candle runs on this one thread: `cargo bench` sets its two thread variables from
    // .cargo/config.toml (see labs/lm/threads.rs).
    let base = lm::base_model().expect("base model");
    let (train, held) = builtin_pairs();
    let pairs =
        |v: &[(String, String)]| -> Vec<Pair> { v.iter().map(|(p, r)| Pair::new(p, r)).collect() };
    let data = FtData {
        train: SftSet::new(&pairs(&train), &base.vocab),
        held_out: SftSet::new(&pairs(&held), &base.vocab),
        original: Data::corpus(),
    };
    let mut group = c.benchmark_group("fine-tune step, base model, B8 T64, 1 thread");
    for method in [
        Method::Full,
        Method::lora(1, &QV),
        Method::lora(4, &QV),
        Method::lora(8, &QV),
    ] {
        let mut ft = Finetuner::new(base, FtConfig::new(method.clone(), 1_000_000, 1e-3))
            .expect("fine-tuner");
        let name = format!("{} ({} trainable)", method.name(), ft.trainable());
        group.bench_function(name, |b| b.iter(|| ft.step(&data).expect("step")));
    }
    group.finish();
}

criterion_group! {
    name = finetune_benches;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(finetune_benches);
