//! The fused causal attention alone, forward and backward, at the base shape (16 sequences of
//! 64 positions, d 96, 4 heads) and the demo and wide shapes: the fastest and the median of
//! 200 timed calls after 20 to warm up. `cargo run --release --example attention_timing`.

use candle_core::{Device, Tensor, Var};
use llmf::labs::lm::fused::causal_attention;
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    llmf::labs::lm::threads::set_at_start();
    for (name, b, t, d, heads) in [
        ("demo", 16, 32, 64, 4),
        ("base", 16, 64, 96, 4),
        ("wide", 16, 64, 128, 4),
    ] {
        let mut rng = llmf::labs::lm::rng::Rng::new(7);
        let values: Vec<f32> = (0..b * t * 3 * d).map(|_| rng.normal() as f32).collect();
        let qkv =
            Var::from_tensor(&Tensor::from_vec(values, (b * t, 3 * d), &Device::Cpu).unwrap())
                .unwrap();
        let w: Vec<f32> = (0..b * t * d).map(|_| rng.normal() as f32).collect();
        let w = Tensor::from_vec(w, (b * t, d), &Device::Cpu).unwrap();
        let (mut fwd, mut both) = (Vec::new(), Vec::new());
        for k in 0..220 {
            let start = Instant::now();
            let out = causal_attention(qkv.as_tensor(), t, heads).unwrap();
            let f = start.elapsed().as_secs_f64() * 1e3;
            let grads = (&out * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let all = start.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(grads.get(&qkv).unwrap());
            if k >= 20 {
                fwd.push(f);
                both.push(all);
            }
        }
        for v in [&mut fwd, &mut both] {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        }
        println!(
            "{name}: forward min {:.3} median {:.3} ms; forward+backward min {:.3} median {:.3} ms",
            fwd[0],
            fwd[fwd.len() / 2],
            both[0],
            both[both.len() / 2]
        );
    }
}
