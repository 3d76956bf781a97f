//! Times DPO on the shipped model with the course's quiz pairs: `cargo run --release --example
//! dpo_timing -- [steps] [beta]`; prints train and held-out loss, margin and shifts.
use llmf::course::{self, embedded::Embedded, Panel, QuizKind};
use llmf::labs::lm::{
    self,
    dpo::{DpoConfig, DpoTrainer, PrefText},
};
use llmf::labs::part5_adapting::reward_model::split_questions;
use std::time::Instant;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let steps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let beta: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.1);
    let lr: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1e-3);
    let (c, _) = course::load(&Embedded);
    let mut qs = Vec::new();
    for l in &c.expect("course").lessons {
        if l.number.parse::<u32>().unwrap_or(99) > 19 {
            continue;
        }
        for s in &l.steps {
            if let Some(Panel::Quiz(q)) = &s.panel {
                if let QuizKind::Choice { choices, answer } = &q.kind {
                    qs.push((q.question.clone(), choices.clone(), *answer));
                }
            }
        }
    }
    let (tr, te) = split_questions(qs.len(), 0.25, 1);
    let pairs = |ids: &[usize]| -> Vec<PrefText> {
        ids.iter()
            .flat_map(|&i| {
                let (q, c, a) = &qs[i];
                c.iter()
                    .enumerate()
                    .filter(|(j, _)| j != a)
                    .map(|(_, w)| PrefText {
                        prompt: format!("Q: {q}\nA: "),
                        chosen: c[*a].clone(),
                        rejected: w.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    lm::threads::single_threaded(|| {
        let base = lm::base_model().expect("base");
        let begin = Instant::now();
        let mut t = DpoTrainer::new(
            base,
            &pairs(&tr),
            &pairs(&te),
            DpoConfig {
                beta,
                lr,
                batch: 8,
                max_response: 40,
                seed: 1,
            },
        )
        .expect("trainer");
        println!(
            "setup {:.2}s, {} train {} test",
            begin.elapsed().as_secs_f64(),
            t.train.len(),
            t.test.len()
        );
        for step in 0..=steps {
            if step % 10 == 0 {
                let a = t.evaluate(false).unwrap();
                let b = t.evaluate(true).unwrap();
                println!("{step:4} {:6.2}s train loss {:.3} m {:+.3} acc {:.2} dw {:+.2} dl {:+.2} | test loss {:.3} m {:+.3} acc {:.2}", begin.elapsed().as_secs_f64(), a.loss, a.margin, a.accuracy, a.chosen_shift, a.rejected_shift, b.loss, b.margin, b.accuracy);
            }
            if step < steps {
                t.step().unwrap();
            }
        }
        println!("{:.1} s total", begin.elapsed().as_secs_f64());
    });
}
