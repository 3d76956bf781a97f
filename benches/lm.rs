//! The model lab's speed on one thread: a training step of the live demo model (1 layer, d 64,
//! context 32, batch 16) and 200 characters sampled from the shipped model with the KV cache.
//! Run: `cargo bench --bench lm` (add `-- --quick` for a short run).
//!
//! Against PyTorch use `cargo bench --bench demo_step`, which times single steps the way
//! `benches/torch/demo_step.py` does (criterion's figure here is a mean over batches of
//! steps, which a few slow steps on a shared machine pull up).

use criterion::{criterion_group, criterion_main, Criterion};
use llmf::labs::lm::{self, Data, Filters, Rng, TrainState};

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn benches(c: &mut Criterion) {
    // Candle runs on this one thread: `cargo bench` sets its two thread variables from
    // .cargo/config.toml (see labs/lm/threads.rs).
    {
        let data = Data::corpus();
        let demo = lm::preset("demo").expect("demo preset");
        let mut state = TrainState::fresh(
            demo.config(data.vocab.len()),
            data.vocab.clone(),
            demo.train.clone(),
        )
        .expect("demo model");
        c.bench_function("demo train step (B16 T32, 1 thread)", |b| {
            b.iter(|| state.step(&data).expect("step"))
        });
        let base = lm::base_model().expect("base model");
        let filters = Filters {
            temperature: 0.8,
            ..Filters::default()
        };
        c.bench_function("base generate 200 chars, KV cache (1 thread)", |b| {
            b.iter(|| lm::generate(base, "The ", 200, &filters, &mut Rng::new(1)).expect("gen"))
        });
    }
}

criterion_group! {
    name = lm_benches;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(lm_benches);
