//! The demo model's training step timed exactly as `benches/torch/demo_step.py` times
//! PyTorch's: 50 steps to warm up, then 300 single steps each timed on its own, and the
//! median, mean and fastest printed in the same words. Criterion (`benches/lm.rs`) reports a
//! mean over batches of steps, which a few slow steps on a shared machine pull up; the
//! median of single steps is what the PyTorch script reports, so these two lines compare
//! like with like.
//!
//! Run, alternating, on a quiet machine (`uptime` beside each):
//! `cargo bench --bench demo_step` and `OMP_NUM_THREADS=1 python3 benches/torch/demo_step.py 119`
//! (119 = the corpus alphabet, so both models have 59,776 parameters).

use llmf::labs::lm::{self, Data, TrainState};
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WARM_UP: usize = 50;
const TIMED: usize = 300;

fn main() {
    // One compute thread, as in the app's training thread and in the PyTorch script.
    lm::threads::set_at_start();
    let data = Data::corpus();
    let demo = lm::preset("demo").expect("demo preset");
    let config = demo.config(data.vocab.len());
    let mut state =
        TrainState::fresh(config, data.vocab.clone(), demo.train.clone()).expect("demo model");
    println!("parameters {}", state.model.config.param_count());
    for _ in 0..WARM_UP {
        state.step(&data).expect("step");
    }
    let mut times: Vec<f64> = (0..TIMED)
        .map(|_| {
            let start = Instant::now();
            state.step(&data).expect("step");
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
