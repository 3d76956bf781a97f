//! Times what the `policy-kl` panel runs: three copies of the shipped model trained side by side
//! (β = 1, 0.3, 0.1; 16 responses of 24 characters per step; Adam at 1e-3) for 40 steps each,
//! one thread. `cargo run --release --example policy_kl_timing` (measure its peak memory with
//! `/usr/bin/time -v`).
use llmf::labs::lm::{
    self,
    policy::{PolicyConfig, PolicyTrainer},
    text_reward,
};
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    lm::threads::single_threaded(|| {
        let base = lm::base_model().expect("the shipped model");
        let mut trainers: Vec<PolicyTrainer> = [1.0, 0.3, 0.1]
            .iter()
            .enumerate()
            .map(|(i, &beta)| {
                let cfg = PolicyConfig {
                    prompt: "The ".into(),
                    batch: 16,
                    len: 24,
                    beta,
                    lr: 1e-3,
                    seed: 31 + i as u64,
                };
                PolicyTrainer::new(base, cfg).expect("trainer")
            })
            .collect();
        let begin = Instant::now();
        let reward = |s: &str| text_reward::proxy(s, "token");
        let mut last = Vec::new();
        for _ in 0..40 {
            last.clear();
            for t in &mut trainers {
                last.push(t.step(&reward).expect("step"));
            }
        }
        let secs = begin.elapsed().as_secs_f64();
        for s in &last {
            println!(
                "reward {:.2} kl {:.2} entropy {:.2}",
                s.reward, s.kl, s.entropy
            );
        }
        println!(
            "3 × 40 steps in {secs:.1} s ({:.0} ms per policy step)",
            secs * 1e3 / 120.0
        );
    });
}
