//! Lesson 26's lab on the shipped model, timed. `cargo run --release --example grpo_timing --
//! run [steps] [group] [beta] [lr] [seed]` trains GRPO and REINFORCE on the word task as the
//! panel does and prints both rewards as they go; `… -- probe PROMPT…` prints the share of 64
//! samples the verifier accepts for each prompt (the task's own prompts by default).
use llmf::labs::lm::{
    self,
    batch_sample::sample_batch,
    grpo::{GroupConfig, GroupTrainer, Method},
    word_task, Rng,
};
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    lm::threads::single_threaded(|| {
        let base = lm::base_model().expect("base model");
        if args.first().map(String::as_str) == Some("probe") {
            let prompts: Vec<String> = if args.len() > 1 {
                args[1..].to_vec()
            } else {
                word_task::PROMPTS
                    .iter()
                    .map(|p| (*p).to_string())
                    .collect()
            };
            let mut rng = Rng::new(1);
            for p in prompts {
                let ids = base.vocab.encode(&p);
                let out = sample_batch(base, &ids, 64, 8, &mut rng).expect("sample");
                let right = out
                    .iter()
                    .filter(|r| word_task::reward(&p, &base.vocab.decode(r)) > 0.0)
                    .count();
                println!("{right:3}/64  {p:?}");
            }
            return;
        }
        let steps = arg(1, 40.0) as usize;
        let group = arg(2, 8.0) as usize;
        let beta = arg(3, 0.02);
        let lr = arg(4, 3e-3);
        let seed = arg(5, 1.0) as u64;
        // GRPO_PROMPTS="a,b,c" tries other prompts without rebuilding the library.
        let prompts: Vec<String> = std::env::var("GRPO_PROMPTS").map_or_else(
            |_| {
                word_task::PROMPTS
                    .iter()
                    .map(|p| (*p).to_string())
                    .collect()
            },
            |s| s.split(',').map(str::to_string).collect(),
        );
        let mut trainers: Vec<GroupTrainer> = [Method::Grpo, Method::Reinforce]
            .into_iter()
            .map(|method| {
                GroupTrainer::new(
                    base,
                    GroupConfig {
                        method,
                        prompts: prompts.clone(),
                        per_step: 4,
                        group,
                        len: 8,
                        beta,
                        lr,
                        seed,
                    },
                )
                .expect("trainer")
            })
            .collect();
        let begin = Instant::now();
        let mut sums = [0.0; 2];
        for i in 0..steps {
            let mut line = format!("{:4} {:6.2}s", i + 1, begin.elapsed().as_secs_f64());
            for (m, t) in trainers.iter_mut().enumerate() {
                let s = t.step(&word_task::reward).expect("step");
                sums[m] += s.reward;
                line += &format!(
                    " | r {:4.2} kl {:5.2} flat {}/{}",
                    s.reward, s.kl, s.flat, s.groups
                );
            }
            if (i + 1) % 5 == 0 {
                println!(
                    "{line}   mean5 G {:.2} R {:.2}",
                    sums[0] / 5.0,
                    sums[1] / 5.0
                );
                sums = [0.0; 2];
            }
        }
        println!("total {:.1}s", begin.elapsed().as_secs_f64());
    });
}
