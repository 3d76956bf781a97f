use super::*;
use serde_json::{json, Map, Value};

#[test]
fn sizes_span_a_decade_and_a_half_of_non_embedding_parameters() {
    // Per layer 12d² + 13d, plus the final norm 2d (see lm::Config::param_count):
    // d16: 12·256 + 208 + 32 = 3312; d64 × 2 layers: 2·(12·4096 + 832) + 128 = 100096.
    let v = lm_common::corpus().vocab.len();
    assert_eq!(non_embedding(&config(0, v)), 3312);
    assert_eq!(non_embedding(&config(1, v)), 7272);
    assert_eq!(non_embedding(&config(4, v)), 100_096);
    let decades = (100_096f64 / 3312.0).log10();
    assert!((1.4..1.6).contains(&decades), "{decades}");
}

#[test]
fn a_seed_gives_the_same_loss_twice() {
    let data = lm_common::corpus();
    let run = || {
        lm::threads::single_threaded(|| {
            train_size(0, 20, 5, &data, &[], &mut |_, _| true)
                .unwrap()
                .unwrap()
        })
    };
    assert_eq!(run().to_bits(), run().to_bits());
    assert_eq!(
        train_size(0, 20, 5, &data, &[], &mut |s, _| s < 3).unwrap(),
        None
    );
    // Reading the validation loss part-way changes nothing of the training.
    let mut read = Vec::new();
    let with_reads = lm::threads::single_threaded(|| {
        train_size(0, 20, 5, &data, &[7, 12], &mut |s, l| {
            read.extend(l.map(|l| (s, l)));
            true
        })
        .unwrap()
        .unwrap()
    });
    assert_eq!(with_reads.to_bits(), run().to_bits());
    assert_eq!(read.iter().map(|r| r.0).collect::<Vec<_>>(), vec![7, 12]);
}

#[test]
fn the_fit_recovers_the_sweeps_own_points() {
    let map: Map<String, Value> = serde_json::from_value(json!({"steps": 50})).unwrap();
    let mut s = ScalingSweep::new(Params::new(&map, &KIND)).unwrap();
    s.run_to_end();
    assert!(s.run.finished(), "{:?}", s.run.phase());
    assert_eq!(s.results.len(), 5);
    let uniform = (lm_common::corpus().vocab.len() as f64).ln();
    for r in &s.results {
        assert!(r.2 < uniform, "{r:?}");
    }
    let fit = s.fit().unwrap();
    for &(_, n, loss) in &s.results {
        assert!(
            (fit.predict(n) - loss).abs() < 0.1,
            "N {n}: measured {loss}, fit {} ({fit:?})",
            fit.predict(n)
        );
    }
    let text = format!("{:?}", s.parts());
    assert!(
        text.contains(&format!("α = {}", fmt_num(fit.alpha))),
        "{text}"
    );
    assert!(text.contains(&fmt_floor(fit.c)), "{text}");
    // Read as IsoFLOP profiles: every budget on at least three sizes, each point the loss
    // the size had at that budget's step (the final loss where that is the last step).
    let profiles = s.profiles();
    assert_eq!(profiles.len(), BUDGETS);
    for p in &profiles {
        assert!(p.points.len() >= 3, "{p:?}");
        for &(n, loss) in &p.points {
            assert!(loss < uniform && n > 0.0, "{p:?}");
        }
    }
    let top = &profiles[0];
    assert_eq!(
        top.points[0],
        (s.results[2].1, s.results[2].2),
        "d32 at its last step"
    );
    s.isoflop = true;
    let text = format!("{:?}", s.parts());
    assert!(text.contains("N_opt: 2.0e9 → "), "{text}");
    let height = |s: &ScalingSweep| {
        let view = crate::viz::view::View {
            controls: s.controls(),
            selected_control: 0,
            parts: s.parts(),
        };
        crate::ui::widgets::view_height(&view, 76)
    };
    // The IsoFLOP view has one line of text more than the power law's.
    assert!(height(&s) <= 16, "{}", height(&s));
    // Every result shown, the power law still fits 80x24's stacked panel (76 columns, 15
    // rows).
    s.isoflop = false;
    for log in [false, true] {
        s.log_reducible = log;
        assert!(height(&s) <= 15);
    }
}

#[test]
fn budgets_are_read_after_the_warm_up_and_on_at_least_three_sizes() {
    let v = lm_common::corpus().vocab.len();
    // The largest budget: 6 · 12,768 (d32) · 512 · 500 = 1.96e10 FLOPs, then halves.
    let c = budgets(500, v);
    assert_eq!(c[0], 6.0 * 12_768.0 * 512.0 * 500.0);
    assert_eq!(c[3], c[0] / 8.0);
    assert_eq!(fmt_c(c[0]), "2.0e10");
    // d32 uses the largest budget at its last step; d64×2 at step 500·12,768/100,096
    // = 63.8, so 64; d16 never gets there.
    assert_eq!(budget_step(2, c[0], 500, v), Some(500));
    assert_eq!(budget_step(4, c[0], 500, v), Some(64));
    assert_eq!(budget_step(0, c[0], 500, v), None);
    // The smallest budget: d64×2 would read at step 8, inside its 50-step warm-up.
    assert_eq!(budget_step(4, c[3], 500, v), None);
    for steps in STEPS {
        for &b in &budgets(steps, v) {
            let sizes = (0..SIZES.len())
                .filter(|&s| budget_step(s, b, steps, v).is_some())
                .count();
            assert!(sizes >= 3, "{steps} steps, C {b}: {sizes} sizes");
        }
    }
}

#[test]
fn the_floor_reads_to_a_hundredth_and_a_zero_floor_says_so() {
    // 4.63e-13 is what the sweep fitted on seed 1: a floor of nothing.
    assert_eq!(fmt_floor(4.63e-13), "c ≈ 0 nats/char (no floor)");
    assert_eq!(fmt_floor(0.004_9), "c ≈ 0 nats/char (no floor)");
    assert_eq!(fmt_floor(1.234), "c = 1.23 nats/char");
    assert_eq!(fmt_floor(0.005), "c = 0.01 nats/char");
}
