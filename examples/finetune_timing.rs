//! A fine-tuning step of the shipped model timed as `benches/demo_step.rs` times a training
//! step (warm-up, then 300 single steps; median, mean, fastest), for full fine-tuning and for
//! LoRA at ranks 1, 2, 4 and 8 on the projections lesson 21's panel offers: W_q and W_v, the
//! four attention matrices, or all six. The methods take turns step by step, so a busy moment
//! of a shared machine slows them all alike.
//!
//! Run: `cargo run --release --example finetune_timing -- [qv|attn|all] [BATCH] [METHOD]`
//! (defaults: qv, the fine-tuning panel's batch, every method; METHOD `full` or a rank times
//! that one alone, for a profiler).

use llmf::course::qa::builtin_pairs;
use llmf::labs::lm::finetune::{Finetuner, FtConfig, FtData, Method};
use llmf::labs::lm::lora::{Proj, QV};
use llmf::labs::lm::sft::{Pair, SftSet};
use llmf::labs::lm::{self, Data};
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WARM_UP: usize = 20;
const TIMED: usize = 300;

fn main() {
    lm::threads::set_at_start();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let targets: Vec<Proj> = match args.first().map(String::as_str) {
        None | Some("qv") => QV.to_vec(),
        Some("attn") => vec![Proj::Q, Proj::K, Proj::V, Proj::O],
        Some("all") => Proj::ALL.to_vec(),
        Some(other) => {
            eprintln!(
                "examples/finetune_timing.rs: unknown targets {other:?}; use qv, attn or all"
            );
            std::process::exit(2)
        }
    };
    let base = lm::base_model().expect("base model");
    let (train, held) = builtin_pairs();
    let pairs =
        |v: &[(String, String)]| -> Vec<Pair> { v.iter().map(|(p, r)| Pair::new(p, r)).collect() };
    let data = FtData {
        train: SftSet::new(&pairs(&train), &base.vocab),
        held_out: SftSet::new(&pairs(&held), &base.vocab),
        original: Data::corpus(),
    };
    let mut methods = vec![Method::Full];
    methods.extend([1, 2, 4, 8].map(|r| Method::lora(r, &targets)));
    match args.get(2).map(String::as_str) {
        None => {}
        Some("full") => methods.truncate(1),
        Some(rank) => {
            let rank = rank.parse().unwrap_or_else(|_| {
                eprintln!(
                    "examples/finetune_timing.rs: method {rank:?} is neither full nor a rank"
                );
                std::process::exit(2)
            });
            methods = vec![Method::lora(rank, &targets)];
        }
    }
    let mut runs: Vec<Finetuner> = methods
        .iter()
        .map(|m| {
            let mut cfg = FtConfig::new(m.clone(), 1_000_000, 1e-3);
            if let Some(b) = args.get(1).and_then(|b| b.parse().ok()).filter(|&b| b > 0) {
                cfg.batch = b;
            }
            Finetuner::new(base, cfg).expect("fine-tuner")
        })
        .collect();
    for run in &mut runs {
        for _ in 0..WARM_UP {
            run.step(&data).expect("step");
        }
    }
    let mut times = vec![Vec::with_capacity(TIMED); runs.len()];
    for _ in 0..TIMED {
        for (run, t) in runs.iter_mut().zip(&mut times) {
            let start = Instant::now();
            run.step(&data).expect("step");
            t.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!("batch {}, {} timed steps each", runs[0].cfg.batch, TIMED);
    for ((run, method), mut t) in runs.iter().zip(&methods).zip(times) {
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        t.sort_by(f64::total_cmp);
        let median = (t[TIMED / 2 - 1] + t[TIMED / 2]) / 2.0;
        println!(
            "{:<24} {:>7} trainable: median {median:.3} ms/step, mean {mean:.3}, min {:.3}",
            method.name(),
            run.trainable(),
            t[0]
        );
    }
}
