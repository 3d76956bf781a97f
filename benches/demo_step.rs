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
    let presets: Vec<Preset> = names
        .iter()
        .map(|n| {
            shape(n).unwrap_or_else(|| {
                eprintln!(
                    "benches/demo_step.rs: no shape named {n:?}; name tiny, demo, base or wide"
                );
                std::process::exit(2)
            })
        })
        .collect();
    let data = Data::corpus();
    for preset in presets {
        time(&preset, &data);
    }
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
