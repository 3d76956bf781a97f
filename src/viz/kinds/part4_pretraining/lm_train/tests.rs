use super::*;
use serde_json::{json, Map, Value};

fn lab(params: Value) -> LmTrain {
    let map: Map<String, Value> = serde_json::from_value(params).unwrap();
    LmTrain::new(Params::new(&map, &KIND)).unwrap()
}

#[test]
fn a_short_run_reports_losses_below_the_uniform_guess_and_keeps_its_model() {
    let mut t = lab(json!({"d_model": "16", "steps": 40, "lr": "0.01", "seed": 3}));
    t.train_to_end();
    assert!(t.run.finished(), "{:?}", t.run.phase());
    let run = &t.log;
    assert_eq!(run.step, 40);
    // 40 steps × 16 windows × 32 characters.
    assert_eq!(run.tokens, 40 * 16 * 32);
    // Evaluations before the first step, then every max(40/30, 10) = 10 steps.
    let steps: Vec<usize> = run.evals.iter().map(|e| e.0).collect();
    assert_eq!(steps, vec![0, 10, 20, 30, 40]);
    let uniform = (lm_common::corpus().vocab.len() as f32).ln();
    // At step 0 the model knows nothing: both losses within 0.05 of ln V.
    let (_, train0, val0) = run.evals[0];
    assert!((train0 - uniform).abs() < 0.05 && (val0 - uniform).abs() < 0.05);
    let (_, _, last_val) = *run.evals.last().unwrap();
    assert!(last_val < uniform, "{last_val} vs ln V = {uniform}");
    // The model was offered to the learner's other panels, through their lab.
    assert!(t.lab.trained().is_some());
    // Perplexity shown is e^val.
    let text = t.status().join("\n");
    let ppl = fmt_num(f64::from(last_val).exp());
    assert!(text.contains(&format!("= {ppl}")), "{text}");
}

#[test]
fn start_pause_and_reset_move_the_toggle_and_dropping_stops_the_run() {
    let mut t = lab(json!({"d_model": "16", "steps": 5000}));
    assert!(!t.busy());
    t.adjust(0, 1);
    assert!(t.busy());
    assert_eq!(
        t.controls()[0].kind,
        crate::viz::view::ControlKind::Toggle(true)
    );
    t.adjust(0, 1);
    assert!(!t.busy(), "paused runs leave the app idle");
    t.adjust(0, 1);
    assert!(t.busy());
    t.adjust(1, 1);
    assert!(t.run.idle() && !t.busy());
    t.adjust(0, 1);
    assert!(t.busy());
}

#[test]
fn a_finished_run_is_kept_when_a_setting_changes_and_drawn_faint_with_its_label() {
    let mut t = lab(json!({"d_model": "16", "steps": 20, "lr": "0.01"}));
    t.train_to_end();
    let figures = t.figures();
    t.adjust(3, -1);
    assert!(t.run.idle(), "the new setting waits for the run key");
    let Part::Chart(chart) = t.chart() else {
        panic!("a chart")
    };
    let ghost = &chart.series[0];
    assert_eq!(
        ghost.name, "lr 0.01",
        "labelled by the setting that differs"
    );
    assert!(ghost.faint && ghost.points.len() == 3, "{ghost:?}");
    let table = format!("{:?}", t.parts());
    assert!(table.contains(&figures[1]), "{table}");
    // Another learner's panel of the same kind keeps nothing of it.
    let other = lab(json!({"d_model": "16"}));
    assert!(other.run.history().is_empty());
    assert!(t.clear_history() && t.run.history().is_empty());
}

/// Polls `t` until its log reaches `step` (or the run ends).
fn run_until(t: &mut LmTrain, step: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while t.log.step < step && t.run.running() && std::time::Instant::now() < deadline {
        t.poll(&Waker::none());
        std::thread::yield_now();
    }
}

fn final_weights(t: &LmTrain) -> Vec<u8> {
    lm::io::model_bytes(&t.lab.trained().expect("a trained model")).unwrap()
}

#[test]
fn a_run_saved_as_the_app_closes_resumes_next_session_to_the_same_numbers() {
    // A schedule other than the default, so the saved settings must bring it back too.
    let params = json!({"d_model": "16", "steps": 60, "lr": "0.01", "seed": 3, "schedule": "wsd"});
    let mut straight = lab(params.clone());
    straight.train_to_end();

    // Paused by key partway, then the app closes: the run is saved.
    let mut first = lab(params.clone());
    first.adjust(0, 1);
    run_until(&mut first, 15);
    first.adjust(0, 1);
    let file = first.suspend().expect("a run to save").unwrap();
    let at = first.log.step;
    assert!(at > 0 && at < 60, "saved at step {at}");

    // A new session: a new panel of the same step, in a new lab, reads it back paused.
    // The new panel starts at the default schedule: the file's settings replace it.
    let mut second = lab(json!({"d_model": "16", "steps": 60, "lr": "0.01", "seed": 3}));
    second.restore(&file, "15-pretraining-7.run").unwrap();
    assert_eq!(SCHEDULE_NAMES[second.schedule], "wsd");
    assert_eq!(
        second.status()[0],
        format!(
            "paused when you left this step, at step {at}/60: {}",
            crate::viz::run::RESUME
        )
    );
    // Resumed, and this time the app closes while it is running.
    second.adjust(0, 1);
    assert!(second.busy());
    run_until(&mut second, at + 10);
    let file = second
        .suspend()
        .expect("a running run is saved too")
        .unwrap();
    let again = second.log.step;
    assert!(again > at && again < 60, "saved at step {again}");

    let mut third = lab(params);
    third.restore(&file, "15-pretraining-7.run").unwrap();
    third.adjust(0, 1);
    let events = third.run.wait_all();
    third.take_events(events);
    assert!(third.run.finished(), "{:?}", third.run.phase());
    // The same curve, samples and weights as the run that was never interrupted.
    assert_eq!(third.log.step, 60);
    assert_eq!(third.log.tokens, straight.log.tokens);
    assert_eq!(third.log.evals, straight.log.evals);
    assert_eq!(third.log.samples, straight.log.samples);
    assert_eq!(final_weights(&third), final_weights(&straight));
    // Nothing left to save once it ended.
    assert!(third.suspend().is_none());
}

#[test]
fn a_saved_run_that_cannot_be_trusted_is_refused_and_the_panel_is_unchanged() {
    let mut t = lab(json!({"d_model": "16", "steps": 40}));
    t.adjust(0, 1);
    run_until(&mut t, 5);
    let file = t.suspend().unwrap().unwrap();
    // Another size's panel: its model is not this panel's... but the settings come from
    // the file, so the file itself must be wrong to be refused: cut it, or change bytes.
    let mut other = lab(json!({"d_model": "16", "steps": 40}));
    for bad in [&file[..file.len() / 2], &file[..20], b"junk".as_slice()] {
        let err = other.restore(bad, "x.run").unwrap_err();
        assert!(err.starts_with("x.run: "), "{err}");
        assert!(other.run.idle() && other.log.evals.is_empty());
    }
    // A header whose log claims more steps than the run has.
    let (mut header, work) = crate::viz::run::saved::decode(&file, "x.run").unwrap();
    header.panel["log"]["step"] = json!(4000);
    let forged = crate::viz::run::saved::encode(&header, work).unwrap();
    assert!(other.restore(&forged, "x.run").is_err());
    assert!(other.run.idle());
}

#[test]
fn each_schedule_is_described_and_drawn_from_the_recipe_it_trains_with() {
    // 100 steps: warm-up min(100/30, 50) = 3 steps; WSD decays over the last 20.
    let mut t = lab(json!({"steps": 100, "schedule": "wsd", "show": "lr"}));
    assert_eq!(
        describe(&t.recipe()),
        "lr: up to 0.003 in 3 steps, flat to 80, a line down to 0.0003 at 100"
    );
    let curve = t.lr_curve();
    assert_eq!(
        curve.first(),
        Some(&(0.0, 0.001)),
        "warm-up: 1/3 of the peak"
    );
    assert!(curve.contains(&(3.0, 0.003)) && curve.contains(&(80.0, 0.003)));
    // The last step taken is 99: 0.003 · (1 − 0.9 · 19/20) = 0.000435.
    let &(last, lr) = curve.last().unwrap();
    assert!(
        last == 99.0 && (lr - 0.000_435).abs() < 1e-12,
        "{last} {lr}"
    );
    t.adjust(6, -1);
    assert_eq!(
        describe(&t.recipe()),
        "lr: up to 0.003 in 3 steps, then a cosine down to 0.0003 at step 100"
    );
    // The cosine's last step, 96 of its 97: 0.0003 + 0.0027 · ½ · (1 + cos(π · 96/97)).
    let want = 0.0003 + 0.0027 * 0.5 * (1.0 + (std::f64::consts::PI * 96.0 / 97.0).cos());
    assert!((t.lr_curve().last().unwrap().1 - want).abs() < 1e-12);
    t.adjust(6, -1);
    assert_eq!(
        describe(&t.recipe()),
        "lr: up to 0.003 in 3 steps, then flat to step 100"
    );
    // The panel shows the line and the chart it names.
    let text = format!("{:?}", t.parts());
    assert!(text.contains("then flat to step 100"), "{text}");
    assert!(text.contains("learning rate, schedule constant"), "{text}");
}

#[test]
fn the_schedule_line_fits_one_row_of_the_panel_at_every_setting() {
    for lr in 0..LRS.len() {
        for schedule in 0..SCHEDULES.len() {
            for steps in [20, 999, 5000] {
                let mut t = lab(json!({ "steps": steps }));
                (t.lr, t.schedule) = (lr, schedule);
                let line = describe(&t.recipe());
                assert!(line.chars().count() <= 76, "{line}");
            }
        }
    }
}

#[test]
fn the_start_parameter_starts_a_run_at_the_first_poll() {
    let mut t = lab(json!({"d_model": "16", "steps": 20, "start": true}));
    assert!(t.busy() && t.run.idle(), "busy until it has started");
    t.poll(&Waker::none());
    assert!(!t.run.idle());
    let events = t.run.wait_all();
    t.take_events(events);
    assert_eq!(t.log.step, 20);
}

#[test]
fn a_run_kept_when_the_schedule_changes_is_labelled_by_it_in_both_charts_and_the_table() {
    let mut t = lab(json!({"d_model": "16", "steps": 20, "lr": "0.01"}));
    t.train_to_end();
    let figures = t.figures();
    t.adjust(6, 2);
    assert_eq!(t.schedule, 2, "wsd");
    let Part::Chart(loss) = t.chart() else {
        panic!("a chart")
    };
    assert_eq!(loss.series[0].name, "schedule constant");
    assert!(loss.series[0].faint);
    t.adjust(5, 2);
    let Part::Chart(lr) = t.lr_chart() else {
        panic!("a chart")
    };
    assert_eq!(lr.series[0].name, "schedule constant");
    // The kept run's rate stayed flat after its warm-up; the current one decays.
    assert!(lr.series[0].points.iter().skip(1).all(|p| p.1 == 0.01));
    assert!(lr.series[1].points.last().unwrap().1 < 0.01);
    let table = format!("{:?}", t.parts());
    assert!(table.contains("schedule constant") && table.contains(&figures[1]));
}

#[test]
fn runs_that_share_their_first_steps_end_with_the_numbers_of_runs_of_their_own() {
    let shared = crate::viz::lab::Shared::new();
    let params = |schedule: &str| json!({"d_model": "16", "steps": 60, "lr": "0.01", "seed": 3, "schedule": schedule});
    let sharing = |schedule: &str| {
        let map: Map<String, Value> = serde_json::from_value(params(schedule)).unwrap();
        let lab = Lab::sharing(&shared);
        LmTrain::new(Params::in_lab(&map, &KIND, &lab)).unwrap()
    };
    // Constant and wsd share the steps before wsd's decay (48 of 60); cosine leaves the
    // constant rate right after the warm-up, so it shares nothing.
    let recipe = |schedule: &str| lab(params(schedule)).recipe();
    let (constant, at) = prefix::shared_steps(&recipe("wsd")).expect("wsd shares");
    assert_eq!((constant.schedule, at), (Schedule::Constant, 48));
    assert_eq!(prefix::shared_steps(&recipe("constant")).unwrap().1, 48);
    assert!(prefix::shared_steps(&recipe("cosine")).is_none());
    // The wsd run trains the shared steps, the constant one (and a second wsd) continue
    // from them: each ends where a run of its own ends, report for report, bit for bit.
    for schedule in ["wsd", "constant", "wsd", "cosine"] {
        let mut alone = lab(params(schedule));
        alone.train_to_end();
        let mut shared_run = sharing(schedule);
        shared_run.train_to_end();
        assert!(shared_run.run.finished(), "{:?}", shared_run.run.phase());
        assert_eq!(shared_run.log.step, 60);
        assert_eq!(shared_run.log.tokens, alone.log.tokens, "{schedule}");
        assert_eq!(shared_run.log.evals, alone.log.evals, "{schedule}");
        assert_eq!(shared_run.log.samples, alone.log.samples, "{schedule}");
        assert_eq!(
            final_weights(&shared_run),
            final_weights(&alone),
            "{schedule}"
        );
    }
    // The shared steps were trained once and kept for the check's other panels.
    let config = lm::Config {
        vocab: lm_common::corpus().vocab.len(),
        d_model: 16,
        layers: 1,
        heads: 4,
        context: 32,
    };
    let kept = prefix::get(&shared, prefix::key(&config, &constant, at), || {
        panic!("trained again")
    });
    assert!(kept.unwrap().is_ok());
}
