//! Panels kept for the session while they had background work under way: the learner leaves
//! the step and comes back, through the app's actions. Every kind that trains or sweeps comes
//! back paused where it was, says so in the same words, and goes on on the run key (never
//! trains again by itself from scratch). And what one learner trains stays in their lab.

use crate::common;

use common::panel_then_prose as course_with;
use llmf::app::{Action, App, PanelState};
use llmf::viz::view::Part;
use std::time::{Duration, Instant};

/// The panel's text lines, joined.
fn text(app: &App) -> String {
    let PanelState::Viz(v) = app.panel() else {
        panic!("expected a visualizer")
    };
    v.view()
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(lines) => Some(lines.join("\n")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The points of the chart series named `name`.
fn series(app: &App, name: &str) -> Vec<(f64, f64)> {
    let PanelState::Viz(v) = app.panel() else {
        panic!("expected a visualizer")
    };
    v.view()
        .parts
        .iter()
        .find_map(|p| match p {
            Part::Chart(c) => c.series.iter().find(|s| s.name == name),
            _ => None,
        })
        .map(|s| s.points.clone())
        .unwrap_or_default()
}

/// Ticks (as the event loop's wake-ups would) until `done`, or panics after `secs`.
fn tick_until(app: &mut App, secs: u64, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "{what}: {}", text(app));
        app.update(Action::Tick);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The step the lm-train status line reports ("running step 120/3000 · …").
fn lm_step(app: &App) -> usize {
    let t = text(app);
    let first = t.lines().next().unwrap_or_default();
    let count = first
        .split_whitespace()
        .find(|w| w.contains('/'))
        .unwrap_or_default();
    count.split('/').next().unwrap().parse().unwrap_or(0)
}

#[test]
fn a_training_run_left_mid_way_comes_back_paused_where_it_was_with_its_curve() {
    let (_dir, mut app) = course_with(r#"{"kind": "lm-train", "d_model": "16", "steps": 5000}"#);
    app.update(Action::FocusNext);
    assert!(app.update(Action::Right), "\"train\" starts the run");
    // A few evaluations in (the first is at step 0, then every 5000/30 = 166 steps).
    tick_until(&mut app, 120, "training reaches step 170", |a| {
        lm_step(a) >= 170 && series(a, "train").len() >= 2
    });
    app.update(Action::NextStep);
    assert!(!app.busy(), "nothing trains for a step that is not shown");
    app.update(Action::PrevStep);
    // The step under way when the learner left may still post; once the work waits at the
    // pause, all it computed has been posted and nothing more will be.
    tick_until(&mut app, 60, "the work waits at the pause", |a| {
        a.lab().parked() == 1
    });
    app.update(Action::Tick);
    let left_at = lm_step(&app);
    let curve = series(&app, "train");
    assert!(left_at >= 170, "the run's step is kept: {}", text(&app));
    assert!(curve.len() >= 2, "and its loss curve");
    assert_eq!(curve[0].0, 0.0, "from its start, not a new run");
    let t = text(&app);
    assert!(t.starts_with("paused"), "{t}");
    assert!(
        t.contains(&format!(
            "paused when you left this step, at step {left_at}/5000: press → on \"run\" to resume"
        )),
        "{t}"
    );
    assert!(!app.busy(), "paused: it does not train by itself");
    for _ in 0..3 {
        app.update(Action::Tick);
        assert_eq!(app.lab().parked(), 1, "the work still waits at the pause");
        assert_eq!(lm_step(&app), left_at, "still where it was");
    }
    // The learner resumes it: it goes on from that step, the curve keeps its first points.
    app.update(Action::FocusNext);
    assert!(app.update(Action::Right), "\"train\" resumes");
    assert!(app.busy());
    tick_until(&mut app, 120, "training goes on", |a| lm_step(a) > left_at);
    assert_eq!(series(&app, "train")[..curve.len()], curve[..]);
    assert!(!text(&app).contains("paused"), "{}", text(&app));
}

/// Every kind that trains or sweeps in the background, as a lesson writes it.
const RUN_KINDS: &[&str] = &[
    r#"{"kind": "lm-train", "d_model": "16", "steps": 5000}"#,
    r#"{"kind": "scaling-sweep"}"#,
    r#"{"kind": "sft"}"#,
    r#"{"kind": "lora"}"#,
    r#"{"kind": "forgetting"}"#,
    r#"{"kind": "forgetting", "experiment": "overfitting"}"#,
    r#"{"kind": "policy-kl"}"#,
    r#"{"kind": "dpo"}"#,
];

#[test]
fn every_run_left_mid_way_comes_back_paused_with_the_same_words_and_resumes_on_its_key() {
    for viz in RUN_KINDS {
        let (_dir, mut app) = course_with(viz);
        tick_until(&mut app, 60, "the first view", |a| {
            !text(a).starts_with("Preparing")
        });
        // Without a driver the panel's work waits for the first wake-up.
        app.update(Action::Tick);
        app.update(Action::FocusNext);
        // Some start with the panel, the others on the run key (the first control).
        if !app.busy() {
            assert!(app.update(Action::Right), "{viz}: the run key starts it");
        }
        assert!(app.busy(), "{viz}: running");
        assert!(going(&text(&app)), "{viz}: {}", text(&app));
        app.update(Action::NextStep);
        assert!(
            !app.busy(),
            "{viz}: nothing trains for a step that is not shown"
        );
        app.update(Action::PrevStep);
        tick_until(&mut app, 60, "the work waits at the pause", |a| {
            a.lab().parked() == 1
        });
        app.update(Action::Tick);
        let t = text(&app);
        let first = t.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("paused when you left this step, at ")
                && first.ends_with(": press → on \"run\" to resume"),
            "{viz}: {t}"
        );
        assert!(!app.busy(), "{viz}: paused, not shown as running");
        app.update(Action::FocusNext);
        assert!(app.update(Action::Right), "{viz}: the run key resumes it");
        assert!(app.busy(), "{viz}: running again");
        assert!(going(&text(&app)), "{viz}: {}", text(&app));
    }
}

/// A run that is going: running, or waiting its turn at the CPU (runs of the loop's earlier
/// kinds, stopped when their app was dropped, give their turns back at their next report).
fn going(text: &str) -> bool {
    text.starts_with("running ") || text.starts_with("queued: ")
}

/// A one-lesson course of three panels: `lm-train` (a tiny run), then `next-token` and
/// `loss-at-position` reading the model trained live; the app opens on the first at 80x24.
fn train_then_read() -> (tempfile::TempDir, llmf::course::Course) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-t.md"]}]}"#,
    )
    .unwrap();
    let step = |title: &str, viz: &str| format!("## {title}\nProse.\n\n```viz\n{viz}\n```\n\n");
    let lesson = [
        "# T\n\n".to_string(),
        step(
            "Train",
            r#"{"kind": "lm-train", "d_model": "16", "steps": 20}"#,
        ),
        step("Next", r#"{"kind": "next-token", "model": "trained"}"#),
        step(
            "Loss",
            r#"{"kind": "loss-at-position", "model": "trained"}"#,
        ),
    ]
    .concat();
    std::fs::write(dir.path().join("01-t.md"), lesson).unwrap();
    let course = llmf::check::load_checked(&llmf::course::DirSource(dir.path())).unwrap();
    (dir, course)
}

fn app_on(course: &llmf::course::Course) -> App {
    App::new(
        course.clone(),
        llmf::progress::Progress::default(),
        llmf::progress::Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    )
}

#[test]
fn a_model_one_learner_trains_is_never_read_by_another_in_the_same_process() {
    let (_dir, course) = train_then_read();
    let mut alice = app_on(&course);
    let mut bob = app_on(&course);
    alice.update(Action::FocusNext);
    assert!(alice.update(Action::Right), "\"train\" starts alice's run");
    tick_until(&mut alice, 120, "alice's run ends", |a| {
        text(a).starts_with("done")
    });
    assert!(
        alice.lab().trained().is_some(),
        "alice's lab holds her model"
    );
    assert!(bob.lab().trained().is_none(), "bob's does not");
    let none = "No model trained yet";
    for step in ["next-token", "loss-at-position"] {
        alice.update(Action::NextStep);
        bob.update(Action::NextStep);
        tick_until(&mut alice, 60, step, |a| !a.busy());
        tick_until(&mut bob, 60, step, |a| !a.busy());
        assert!(!text(&alice).contains(none), "{step}: {}", text(&alice));
        assert!(text(&bob).contains(none), "{step}: {}", text(&bob));
    }
    // A third learner arriving after both is as new as bob.
    let mut carol = app_on(&course);
    carol.update(Action::NextStep);
    tick_until(&mut carol, 60, "carol's next-token", |a| !a.busy());
    assert!(text(&carol).contains(none), "{}", text(&carol));
}

/// A course of one lm-train panel, and an app on it whose progress (and saved runs) live in
/// `home`, as each session of a learner opens it.
fn session(course: &llmf::course::Course, home: &std::path::Path) -> App {
    let (store, progress, _) = llmf::progress::Store::open(Some(home.to_path_buf()));
    App::new(
        course.clone(),
        progress,
        store,
        llmf::ui::options(false),
        (80, 24),
    )
}

#[test]
fn a_run_going_when_the_app_ends_comes_back_next_session_paused_and_resumes_from_its_step() {
    let (_dir, course) =
        common::panel_then_prose_course(r#"{"kind": "lm-train", "d_model": "16", "steps": 5000}"#);
    let home = tempfile::tempdir().unwrap();

    let mut app = session(&course, home.path());
    app.update(Action::FocusNext);
    assert!(app.update(Action::Right), "\"run\" starts the run");
    tick_until(&mut app, 120, "training reaches step 170", |a| {
        lm_step(a) >= 170 && series(a, "train").len() >= 2
    });
    // The learner quits while it runs; the driver ends the session.
    app.update(Action::Quit);
    app.end();
    assert_eq!(app.store_warning(), None);
    let saved = home.path().join("runs/t-1.run");
    assert!(saved.is_file(), "the run is saved beside the progress");

    // The next session: the same step's panel says what it says after leaving the step
    // (the driver gives the app its waker first, which builds the panel again).
    let mut app = session(&course, home.path());
    app.set_waker(llmf::jobs::Waker::none());
    let t = text(&app);
    let left_at = lm_step(&app);
    assert!(left_at >= 170, "{t}");
    assert!(
        t.starts_with(&format!(
            "paused when you left this step, at step {left_at}/5000: press → on \"run\" to resume"
        )),
        "{t}"
    );
    let curve = series(&app, "train");
    assert_eq!(curve[0].0, 0.0, "its curve from the start: {curve:?}");
    assert!(!app.busy(), "paused: it does not train by itself");
    app.update(Action::FocusNext);
    assert!(app.update(Action::Right), "\"run\" resumes it");
    assert!(app.busy());
    tick_until(&mut app, 120, "training goes on", |a| lm_step(a) > left_at);
    assert_eq!(series(&app, "train")[..curve.len()], curve[..]);
    // Reset, then quit: nothing is left to resume, and the file goes.
    app.update(Action::Down);
    app.update(Action::Right);
    app.end();
    assert!(!saved.exists(), "a cleared run leaves no file");

    // A corrupt file: the panel starts afresh and says why, once.
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    std::fs::write(&saved, b"llmf-run/1\n\xff\xff\xff\xffjunk").unwrap();
    let app = session(&course, home.path());
    assert!(text(&app).starts_with("Not started"), "{}", text(&app));
    let notice = app.notices().join("\n");
    assert!(
        notice.contains("t-1.run: not a saved run llmf can resume"),
        "{notice}"
    );
    assert!(!saved.exists());
}
