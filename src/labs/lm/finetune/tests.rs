//! Fine-tuning runs on a small model: LoRA moves only its adapters, full fine-tuning moves the
//! copy and never the model it started from, replay mixes the corpus in, early stopping picks
//! the lowest held-out loss.

use super::*;
use crate::labs::lm::sft::Pair;
use crate::labs::lm::{lora::QV, Config, Vocab};

fn small() -> Model {
    let vocab = Vocab::for_corpus("");
    let cfg = Config {
        vocab: vocab.len(),
        d_model: 16,
        layers: 2,
        heads: 2,
        context: 16,
    };
    Model::new(cfg, vocab, 4).unwrap()
}

fn data(vocab: &Vocab) -> FtData {
    let pairs: Vec<Pair> = (0..12)
        .map(|i| {
            Pair::new(
                format!("Q: what is {i} plus one?\nA: "),
                format!("{}", i + 1),
            )
        })
        .collect();
    let text = "The cat sat on the mat. ".repeat(40);
    FtData {
        train: SftSet::new(&pairs[..10], vocab),
        held_out: SftSet::new(&pairs[10..], vocab),
        original: Data::new(&text, vocab.clone()),
    }
}

fn snapshot(model: &Model) -> Vec<Vec<f32>> {
    model
        .params()
        .iter()
        .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
        .collect()
}

#[test]
fn lora_training_changes_only_the_adapters() {
    let base = small();
    let d = data(&base.vocab);
    let mut ft = Finetuner::new(&base, FtConfig::new(Method::lora(2, &QV), 3, 1e-2)).unwrap();
    let before = snapshot(&ft.model);
    let b_before: Vec<Vec<f32>> = ft
        .lora
        .as_ref()
        .unwrap()
        .adapters
        .iter()
        .map(|a| a.b.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
        .collect();
    for _ in 0..3 {
        ft.step(&d).unwrap();
    }
    assert_eq!(snapshot(&ft.model), before, "a frozen weight moved");
    let lora = ft.lora.as_ref().unwrap();
    for (ad, old) in lora.adapters.iter().zip(&b_before) {
        let now: Vec<f32> = ad.b.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        assert_ne!(
            &now, old,
            "B of {:?} in layer {} did not move",
            ad.proj, ad.layer
        );
    }
    // 2 layers · 2 targets · r 2 · (16 + 16) = 256 trainable, against 6,000-odd in the model.
    assert_eq!(ft.trainable(), 256);
    assert!(base.param_count() > 20 * ft.trainable());
}

#[test]
fn full_fine_tuning_moves_the_copy_and_never_the_starting_model() {
    let base = small();
    let original = snapshot(&base);
    let d = data(&base.vocab);
    let mut ft = Finetuner::new(&base, FtConfig::new(Method::Full, 2, 1e-2)).unwrap();
    ft.step(&d).unwrap();
    ft.step(&d).unwrap();
    assert_eq!(snapshot(&base), original);
    let moved = snapshot(&ft.model);
    // Every parameter tensor changed (Adam moves each weight by about lr per step).
    for (a, b) in moved.iter().zip(&original) {
        assert_ne!(a, b);
    }
    assert_eq!(ft.trainable(), base.param_count());
}

#[test]
fn replay_draws_its_share_of_windows_from_the_original_corpus() {
    let base = small();
    let d = data(&base.vocab);
    let mut cfg = FtConfig::new(Method::Full, 1, 1e-3);
    cfg.batch = 4;
    cfg.replay = 0.5;
    let mut ft = Finetuner::new(&base, cfg).unwrap();
    let (x, _, w) = ft.batch(&d).unwrap();
    let x: Vec<Vec<u32>> = x.to_vec2().unwrap();
    let w: Vec<f32> = w.to_vec1().unwrap();
    // round(0.5 · 4) = 2 windows from the corpus: every target counts and the text is the
    // corpus's; the other two come from the Q/A pairs (they contain "Q:" or "A:" or digits).
    let corpus = base.vocab.decode(&d.original.train);
    for (i, row) in x.iter().enumerate() {
        let text = base.vocab.decode(row);
        if i < 2 {
            assert!(corpus.contains(&text), "{text:?}");
            assert!(w[i * 16..(i + 1) * 16].iter().all(|&v| v == 1.0));
        } else {
            assert!(!corpus.contains(&text), "{text:?}");
        }
    }
}

#[test]
fn a_run_reports_points_and_lowers_the_new_loss() {
    let base = small();
    let d = data(&base.vocab);
    let mut cfg = FtConfig::new(Method::Full, 30, 1e-2);
    cfg.eval_every = 10;
    let mut points = Vec::new();
    run(&base, cfg, &d, |p| {
        points.push(p);
        true
    })
    .unwrap();
    let steps: Vec<usize> = points.iter().map(|p| p.step).collect();
    assert_eq!(steps, vec![0, 10, 20, 30]);
    assert!(points[3].train < points[0].train, "{points:?}");
}

#[test]
fn a_run_nobody_wants_stops_before_its_next_step() {
    let base = small();
    let d = data(&base.vocab);
    let mut cfg = FtConfig::new(Method::Full, 30, 1e-2);
    cfg.eval_every = 10;
    // Asked before every step: yes three times, then no, so exactly three steps are taken
    // (the first question comes before the evaluation at step 0).
    let asked = std::cell::Cell::new(0);
    let mut points = Vec::new();
    let ft = run_while(
        &base,
        cfg,
        &d,
        |p| {
            points.push(p.step);
            true
        },
        || {
            asked.set(asked.get() + 1);
            asked.get() <= 4
        },
    )
    .unwrap();
    assert_eq!(ft.step, 3);
    assert_eq!(points, vec![0], "no evaluation after the stop");
}

#[test]
fn early_stopping_keeps_the_lowest_held_out_loss() {
    let p = |step, held_out| Point {
        step,
        train: 1.0,
        held_out,
        original: 1.0,
        ms_per_step: 0.0,
    };
    let points = [p(0, 2.0), p(10, 1.5), p(20, 1.2), p(30, 1.4), p(40, 1.9)];
    assert_eq!(best_stop(&points).unwrap().step, 20);
    assert!(best_stop(&[]).is_none());
}
