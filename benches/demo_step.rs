//! A training step timed exactly as `benches/torch/demo_step.py` times PyTorch's: 50 steps to
//! warm up, then 300 single steps each timed on its own, and the median, mean and fastest
//! printed in the same words. Criterion (`benches/lm.rs`) reports a mean over batches of
//! steps, which a few slow steps on a shared machine pull up; the median of single steps is
//! what the PyTorch script reports, so these two lines compare like with like.
//!
//! `cargo bench --bench demo_step -- PRESET…` times each named shape in turn: the lab's
//! presets `tiny`, `demo` (the default) and `base` (the shipped model's shape), and `wide`,
//! a larger shape that only this bench and the PyTorch script know (4 layers, d 128, 4 heads,
//! context 64, batch 16), to see how the step grows past the shipped size.
//!
//! `sample` times generation instead, as the PyTorch script's `sample` does: 200 characters
//! from the shipped model (the base shape) through the KV cache, each drawn after the
//! sampling filters (`lm::generate`, the path the app's panels use); 5 runs to warm up, then
//! the median, mean and fastest of 50.
//!
//! Run the two alternately on a quiet machine, `uptime` beside each (119 = the corpus
//! alphabet, so both models have the same number of parameters):
//! `cargo bench --bench demo_step -- base` and
//! `OMP_NUM_THREADS=1 python3 benches/torch/demo_step.py base 119`.

use llmf::labs::lm::{self, Data, Preset, TrainState};
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WARM_UP: usize = 50;
const TIMED: usize = 300;

/// A preset of the lab by name, or `wide`: the base recipe on a model with twice its layers
/// and a third more width.
fn shape(name: &str) -> Option<Preset> {
    if name == "wide" {
        let base = lm::preset("base")?;
        return Some(Preset {
            name: "wide",
            about: "bench only: 4 layers, d 128, 4 heads, context 64, batch 16",
            d_model: 128,
            layers: 4,
            heads: 4,
            context: 64,
            ..base
        });
    }
    lm::preset(name)
}

fn main() {
    // One compute thread, as in the app's training thread and in the PyTorch script.
    lm::threads::set_at_start();
    // `cargo bench` adds `--bench`; every other argument names a shape.
    let names: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let names = if names.is_empty() {
        vec!["demo".to_string()]
    } else {
        names
    };
    let sample = names.iter().any(|n| n == "sample");
    let presets: Vec<Preset> = names
        .iter()
        .filter(|n| *n != "sample")
        .map(|n| {
            shape(n).unwrap_or_else(|| {
                eprintln!(
                    "benches/demo_step.rs: no shape named {n:?}; name tiny, demo, base, wide \
                     or sample"
                );
                std::process::exit(2)
            })
        })
        .collect();
    let data = Data::corpus();
    for preset in presets {
        time(&preset, &data);
    }
    if sample {
        time_sampling();
    }
}

/// Times 200 characters sampled from the shipped model with the KV cache.
fn time_sampling() {
    const CHARS: usize = 200;
    let model = lm::base_model().expect("the shipped model");
    let mut rng = lm::Rng::new(7);
    let mut run = || {
        let start = Instant::now();
        let text =
            lm::generate(model, "", CHARS, &lm::Filters::default(), &mut rng).expect("sampling");
        assert_eq!(text.tokens.len(), CHARS);
        start.elapsed().as_secs_f64() * 1e3
    };
    for _ in 0..5 {
        run();
    }
    let mut times: Vec<f64> = (0..50).map(|_| run()).collect();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    let median = (times[24] + times[25]) / 2.0;
    println!("sample: {CHARS} characters from the shipped model with the KV cache");
    println!(
        "median {median:.3} ms/run, mean {mean:.3}, min {:.3} (llmf, candle-free cache, 1 thread)",
        times[0]
    );
}

/// Times one shape's step and prints its line.
fn time(preset: &Preset, data: &Data) {
    let config = preset.config(data.vocab.len());
    let mut state = TrainState::fresh(config, data.vocab.clone(), preset.train.clone())
        .unwrap_or_else(|e| panic!("a {} model: {e}", preset.name));
    println!(
        "{}: parameters {}, batch {}",
        preset.name,
        state.model.config.param_count(),
        preset.train.batch
    );
    for _ in 0..WARM_UP {
        state.step(data).expect("step");
    }
    let mut times: Vec<f64> = (0..TIMED)
        .map(|_| {
            let start = Instant::now();
            state.step(data).expect("step");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    let median = (times[TIMED / 2 - 1] + times[TIMED / 2]) / 2.0;
    println!(
        "median {median:.3} ms/step, mean {mean:.3}, min {:.3} (llmf on candle, 1 thread)",
        times[0]
    );
}
