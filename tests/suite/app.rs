//! The app without a terminal: feed actions (or real key events through the key table) and
//! assert on state. Everything runs on the small fixture course in `tests/fixtures/course`,
//! so the tests do not change when the built-in course grows.

use crate::common;

use common::{app_at, draw, find_quiz, fixture, quiz};
use llmf::app::{Action, App, Feedback, Focus, PanelState};
use llmf::course::QuizKind;
use llmf::progress::{Progress, Store};
use proptest::prelude::*;

#[test]
fn steps_forward_across_lessons_and_back() {
    let mut app = app_at(80, 24);
    assert_eq!(app.position(), (0, 0));
    let steps = app.lesson().steps.len();
    for _ in 0..steps {
        assert!(app.update(Action::NextStep));
    }
    assert_eq!(
        app.position(),
        (1, 0),
        "n at the last step opens the next lesson"
    );
    assert!(app.update(Action::PrevStep));
    assert_eq!(app.position(), (0, steps - 1));
    assert!(app.update(Action::Left), "← on the prose goes back too");
    assert_eq!(app.position(), (0, steps - 2));
    // Nothing before the very first step, nothing after the very last.
    app.open_at(0, 0);
    assert!(!app.update(Action::PrevStep));
    app.open_at(1, 99);
    assert_eq!(app.position(), (1, 2), "clamped to the last step");
    assert!(!app.update(Action::NextStep));
}

#[test]
fn resumes_where_the_learner_left_off() {
    let mut progress = Progress {
        current: Some("trying".into()),
        ..Progress::default()
    };
    progress.lesson_mut("trying").step = 1;
    let app = App::new(
        fixture(),
        progress,
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    assert_eq!(app.position(), (1, 1));
    // A step beyond the lesson's end (the lesson got shorter) is clamped.
    let mut progress = Progress {
        current: Some("reading".into()),
        ..Progress::default()
    };
    progress.lesson_mut("reading").step = 999;
    let app = App::new(
        fixture(),
        progress,
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    assert_eq!(app.position(), (0, app.lesson().steps.len() - 1));
}

#[test]
fn a_key_that_changes_nothing_asks_for_no_redraw() {
    let mut app = app_at(80, 24);
    assert!(!app.update(Action::Up), "already at the top");
    assert!(!app.update(Action::Backspace));
    assert!(!app.update(Action::Resize(80, 24)));
    assert!(
        app.update(Action::Down),
        "the first step's prose is longer than the screen"
    );
    assert_eq!(app.prose_scroll(), 1);
    assert!(app.update(Action::Bottom));
    assert!(!app.update(Action::Down), "already at the bottom");
}

#[test]
fn focus_cycles_through_what_is_on_screen() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, false);
    app.open_at(li, si);
    assert_eq!(app.focus(), Focus::Prose);
    app.update(Action::FocusNext);
    assert_eq!(app.focus(), Focus::Panel);
    app.update(Action::FocusNext);
    assert_eq!(app.focus(), Focus::Prose, "no outline at 80 columns");
    let mut wide = app_at(160, 48);
    wide.update(Action::FocusPrev);
    assert_eq!(wide.focus(), Focus::Outline);
    wide.update(Action::Down);
    assert_eq!(wide.outline_cursor(), 1);
    wide.update(Action::Enter);
    assert_eq!(
        wide.position().0,
        1,
        "Enter in the outline opens the lesson"
    );
    assert_eq!(wide.focus(), Focus::Prose);
    wide.update(Action::ToggleOutline);
    assert!(!wide.outline_shown());
    // Focus on the outline, then make the terminal too narrow for it: focus moves to the prose.
    wide.update(Action::ToggleOutline);
    wide.update(Action::FocusPrev);
    assert_eq!(wide.focus(), Focus::Outline);
    wide.update(Action::Resize(80, 24));
    assert_eq!(wide.focus(), Focus::Prose);
}

#[test]
fn a_choice_question_is_answered_retried_and_recorded() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, false);
    app.open_at(li, si);
    app.update(Action::Enter); // Enter on the prose moves into the panel
    assert_eq!(app.focus(), Focus::Panel);
    let QuizKind::Choice { answer, choices } = &quiz(&app).quiz.kind else {
        panic!()
    };
    let (answer, n) = (*answer, choices.len());
    let id = quiz(&app).quiz.id.clone();
    let wrong = (answer + 1) % n;
    app.update(Action::Char(
        char::from_digit(wrong as u32 + 1, 10).unwrap(),
    ));
    app.update(Action::Enter);
    assert_eq!(quiz(&app).feedback, Some(Feedback::Wrong));
    assert!(!quiz(&app).show_explanation(), "one miss: try again first");
    assert!(draw(&app).contains("Not quite: try another answer."));
    for _ in 0..n {
        app.update(Action::Up);
    }
    for _ in 0..answer {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    assert_eq!(quiz(&app).feedback, Some(Feedback::Correct));
    let rec = app.progress().lesson(&app.lesson().slug).unwrap().answers[&id];
    assert!(rec.correct);
    assert!(!rec.first_try);
    assert_eq!(rec.attempts, 2);
    let screen = draw(&app);
    assert!(screen.contains("Right."), "{screen}");
    assert!(
        screen.contains("Two is the second choice"),
        "the explanation shows"
    );
}

#[test]
fn a_numeric_question_takes_typed_numbers() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    app.update(Action::FocusNext);
    let QuizKind::Numeric { answer, .. } = quiz(&app).quiz.kind else {
        panic!()
    };
    app.update(Action::Char('e'));
    app.update(Action::Enter);
    assert_eq!(quiz(&app).feedback, Some(Feedback::NotANumber));
    app.update(Action::Backspace);
    for c in format!("{answer}").chars() {
        app.update(Action::Char(c));
    }
    app.update(Action::Enter);
    assert_eq!(
        quiz(&app).feedback,
        Some(Feedback::Correct),
        "typed {:?}",
        quiz(&app).input
    );
    assert!(
        app.progress().lesson(&app.lesson().slug).unwrap().answers[&quiz(&app).quiz.id].first_try
    );
}

#[test]
fn visualizer_controls_recompute_the_view() {
    let mut app = app_at(80, 24);
    app.open_at(1, 0); // softmax
    let PanelState::Viz(v) = app.panel() else {
        panic!("expected a visualizer, got {:?}", app.panel())
    };
    let before = v.view().clone();
    app.update(Action::FocusNext);
    assert!(app.update(Action::Left), "lower the temperature");
    let PanelState::Viz(v) = app.panel() else {
        panic!()
    };
    assert_ne!(&before.parts, &v.view().parts);
    assert!(app.update(Action::Down));
    let PanelState::Viz(v) = app.panel() else {
        panic!()
    };
    assert_eq!(v.view().selected_control, 1);
}

#[test]
fn help_opens_and_closes() {
    let mut app = app_at(80, 24);
    app.update(Action::ToggleHelp);
    assert!(app.help_open());
    let screen = draw(&app);
    assert!(
        screen.contains("Keys") && screen.contains("Everywhere"),
        "{screen}"
    );
    assert!(screen.contains("Here (reading)"), "{screen}");
    assert!(!app.update(Action::Down), "keys go to the help screen only");
    app.update(Action::Back);
    assert!(!app.help_open());
}

#[test]
fn quit_saves_to_the_progress_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, progress, notices) = Store::open(Some(dir.path().to_path_buf()));
    assert!(notices.is_empty(), "{notices:?}");
    let mut app = App::new(
        fixture(),
        progress,
        store,
        llmf::ui::options(false),
        (80, 24),
    );
    app.open_at(1, 1);
    assert!(app.update(Action::Quit));
    assert!(app.quit_requested());
    assert_eq!(app.store_warning(), None);
    // A new session reads what the first one wrote.
    let (_, reread, _) = Store::open(Some(dir.path().to_path_buf()));
    assert_eq!(reread.current.as_deref(), Some("trying"));
    assert_eq!(reread.lesson("trying").map(|l| l.step), Some(1));
    let app = App::new(
        fixture(),
        reread,
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    assert_eq!(app.position(), (1, 1), "and opens where the learner quit");
}

#[test]
fn tiny_terminals_get_a_message_not_a_mess() {
    let mut app = app_at(80, 24);
    app.update(Action::Resize(40, 10));
    let text = draw(&app);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Please enlarge the terminal to at least 60x16 (now 40x10)"),
        "{text}"
    );
    app.update(Action::Resize(80, 24));
    assert!(draw(&app).contains("step 1/"));
}

fn action_strategy() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::NextStep),
        Just(Action::PrevStep),
        Just(Action::Up),
        Just(Action::Down),
        Just(Action::Left),
        Just(Action::Right),
        Just(Action::PageUp),
        Just(Action::PageDown),
        Just(Action::Top),
        Just(Action::Bottom),
        Just(Action::ScrollUp),
        Just(Action::ScrollDown),
        Just(Action::FocusNext),
        Just(Action::FocusPrev),
        Just(Action::ToggleOutline),
        Just(Action::ToggleHelp),
        Just(Action::Back),
        Just(Action::Enter),
        Just(Action::Backspace),
        Just(Action::Tick),
        prop::sample::select(vec!['1', '2', '3', '7', '.', '-', 'e', '0']).prop_map(Action::Char),
        (1u16..=300, 1u16..=100).prop_map(|(w, h)| Action::Resize(w, h)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any sequence of keys and resizes, drawn after every action, never panics, and the
    /// layout kept between frames is always the one the state implies.
    #[test]
    fn random_keys_and_resizes_never_panic(actions in prop::collection::vec(action_strategy(), 1..120)) {
        let mut app = app_at(80, 24);
        for action in actions {
            app.update(action);
            prop_assert_eq!(app.areas(), app.compute_areas(), "after {:?}", action);
            let _ = draw(&app);
        }
        prop_assert!(app.position().1 < app.lesson().steps.len());
    }
}

#[test]
fn typing_on_a_question_step_answers_it_and_a_new_step_starts_on_the_prose() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    assert_eq!(app.focus(), Focus::Prose);
    assert!(app.update(Action::Char('4')));
    assert_eq!(app.focus(), Focus::Panel, "a digit moves into the question");
    assert_eq!(quiz(&app).input, "4");
    app.update(Action::NextStep);
    assert_eq!(app.focus(), Focus::Prose);
}

/// The panel's controls, as drawn into the view.
fn controls(app: &App) -> Vec<llmf::viz::view::Control> {
    match app.panel() {
        PanelState::Viz(v) => v.view().controls.clone(),
        other => panic!("expected a visualizer, got {other:?}"),
    }
}

#[test]
fn a_panel_keeps_its_settings_when_the_learner_leaves_and_comes_back() {
    let mut app = app_at(80, 24);
    app.open_at(1, 0); // softmax
    let fresh = controls(&app);
    app.update(Action::FocusNext);
    assert!(app.update(Action::Left), "lower the temperature");
    assert!(app.update(Action::Down), "select the next control");
    let changed = controls(&app);
    assert_ne!(fresh, changed);
    // Away and back, by step keys and by opening the lesson again.
    app.update(Action::NextStep);
    app.update(Action::PrevStep);
    assert_eq!(app.position(), (1, 0));
    assert_eq!(
        controls(&app),
        changed,
        "settings kept across a step change"
    );
    let PanelState::Viz(v) = app.panel() else {
        panic!()
    };
    assert_eq!(v.view().selected_control, 1, "and the selected control");
    app.open_at(0, 0);
    app.open_at(1, 0);
    assert_eq!(controls(&app), changed, "kept across lessons too");
}

#[test]
fn a_kept_timing_panel_shows_its_finished_table_and_redoes_a_cut_short_sweep() {
    let (_dir, mut app) =
        common::panel_then_prose(r#"{"kind": "attention-timing", "max_n": 512, "d": 16}"#);
    let run_out = |app: &mut App| {
        for _ in 0..4000 {
            if !app.busy() {
                return;
            }
            app.update(Action::Tick);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the sweep did not finish");
    };
    // Leaving stops the work: nothing is busy on the next step. Coming back times again when
    // the sweep was cut short (the kind's own test covers that case without a race).
    // The sweep starts with the panel (or at the first tick when its first view was slow).
    assert!(
        app.busy(),
        "the sweep is under way or waits for the first tick"
    );
    app.update(Action::Tick);
    app.update(Action::NextStep);
    assert!(!app.busy(), "no work runs for a step that is not shown");
    app.update(Action::PrevStep);
    run_out(&mut app);
    let table = draw(&app);
    assert!(table.contains("done: 4 sizes"), "{table}");
    // Finished: the same table comes back, not a new sweep.
    app.update(Action::NextStep);
    app.update(Action::PrevStep);
    assert!(!app.busy(), "a finished sweep is not run again");
    assert_eq!(draw(&app), table);
}

#[test]
fn a_focused_panel_keeps_the_steps_instructions_in_view_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-t.md"]}]}"#,
    )
    .unwrap();
    let long = "A sentence that explains softmax at some length. ".repeat(30);
    std::fs::write(
        dir.path().join("01-t.md"),
        format!(
            "# T\n\n## Softmax\n{long}\n\nThings to try:\n\n- Lower the temperature to 0.1.\n- Raise it to 5.\n\n```viz\n{{\"kind\": \"softmax\"}}\n```\n"
        ),
    )
    .unwrap();
    let course =
        llmf::check::load_checked(&llmf::course::DirSource(dir.path())).expect("test course");
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    let before = draw(&app);
    assert!(!before.contains("Raise it to 5"), "{before}");
    app.update(Action::FocusNext);
    assert_eq!(app.focus(), Focus::Panel);
    let pinned = draw(&app);
    for line in [
        "Things to try:",
        "Lower the temperature to 0.1.",
        "Raise it to 5.",
    ] {
        assert!(pinned.contains(line), "{line} in\n{pinned}");
    }
    assert!(pinned.contains("what to try"), "{pinned}");
    // Back on the prose, it scrolls as before.
    app.update(Action::FocusNext);
    assert!(!draw(&app).contains("Raise it to 5"));
}

/// A teacher's folder with one broken lesson still opens: the good lessons as they are, the
/// broken one as one step that says where (file:line) and what is wrong.
#[test]
fn a_broken_lesson_shows_its_problems_and_the_rest_of_the_course_opens() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-good.md", "02-broken.md"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("01-good.md"),
        "# Good\n\n## One\nFirst words.\n\n## Two\nSecond words.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("02-broken.md"),
        "# Broken\n\n## Quiz\n```quiz\n{\"question\": \"?\", \"choices\": [\"a\", \"b\"], \"answer\": 3, \"explain\": \"e\"}\n```\n",
    )
    .unwrap();
    let (course, problems) = llmf::course::open(&llmf::course::DirSource(dir.path()));
    assert!(problems.is_empty(), "{problems:?}");
    let mut app = App::new(
        course.expect("the course opens"),
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    assert!(draw(&app).contains("First words."));
    app.update(Action::NextStep);
    app.update(Action::NextStep);
    assert_eq!(app.position(), (1, 0));
    let screen = draw(&app);
    assert!(screen.contains("This lesson has problems"), "{screen}");
    assert!(screen.contains("02-broken.md:5:"), "{screen}");
    app.update(Action::PrevStep);
    assert!(draw(&app).contains("Second words."), "{}", draw(&app));
}
