//! Times the Part V policy-gradient loop on the shipped model: `cargo run --release --example
//! policy_timing -- [steps] [beta] [word]`; prints reward, gold, KL and entropy as it goes.
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
    let args: Vec<String> = std::env::args().collect();
    let steps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    let beta: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.05);
    let word = args.get(3).cloned().unwrap_or_else(|| "token".into());
    let lr: f64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1e-3);
    lm::threads::single_threaded(|| {
        let base = lm::base_model().expect("base model");
        let dict = text_reward::dictionary();
        let mut t = PolicyTrainer::new(
            base,
            PolicyConfig {
                prompt: "The ".into(),
                batch: 16,
                len: 24,
                beta,
                lr,
                seed: 1,
            },
        )
        .expect("trainer");
        let begin = Instant::now();
        for i in 0..steps {
            let s = t
                .step(&|x: &str| text_reward::proxy(x, &word))
                .expect("step");
            let gold: f64 = s
                .responses
                .iter()
                .map(|r| text_reward::gold(r, &word, dict))
                .sum::<f64>()
                / s.responses.len() as f64;
            if i % 10 == 0 || i + 1 == steps {
                println!(
                    "{:4} {:6.2}s proxy {:5.2} gold {:5.2} kl {:6.2} H {:4.2} | {:?} {:?}",
                    s.step,
                    begin.elapsed().as_secs_f64(),
                    s.reward,
                    gold,
                    s.kl,
                    s.entropy,
                    s.responses[0],
                    s.responses[1]
                );
            }
        }
        println!(
            "{:.1} ms/step",
            begin.elapsed().as_secs_f64() * 1e3 / steps as f64
        );
    });
}
