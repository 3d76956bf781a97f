//! The app without a terminal: feed actions, assert on state.

use llmf::app::{Action, App, Feedback, Focus, Options, PanelState};
use llmf::course::{embedded::Embedded, Course, Panel, QuizKind};
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn course() -> Course {
    shared_course()
}

fn app_at(w: u16, h: u16) -> App {
    App::new(
        course(),
        Progress::default(),
        Store::memory(),
        Options::default(),
        (w, h),
    )
}

/// The first step of the first lesson that holds a question of the given shape.
fn find_quiz(app: &App, numeric: bool) -> (usize, usize) {
    for (li, lesson) in app.course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            if let Some(Panel::Quiz(q)) = &step.panel {
                if matches!(q.kind, QuizKind::Numeric { .. }) == numeric {
                    return (li, si);
                }
            }
        }
    }
    panic!("no such question in the course");
}

fn draw(app: &App) -> String {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let mut buf = Buffer::empty(area);
    ui::render(app, area, &mut buf, &Theme::default_color());
    ui::buffer_text(&buf)
}

#[test]
fn steps_forward_across_lessons_and_back() {
    let mut app = app_at(80, 24);
    assert_eq!((app.lesson, app.step), (0, 0));
    let steps = app.lesson().steps.len();
    for _ in 0..steps {
        assert!(app.update(Action::NextStep));
    }
    assert_eq!(
        (app.lesson, app.step),
        (1, 0),
        "n at the last step opens the next lesson"
    );
    assert!(app
        .progress
        .lesson(&app.course.lessons[0].slug)
        .is_some_and(|p| p.done));
    assert!(app.update(Action::PrevStep));
    assert_eq!((app.lesson, app.step), (0, steps - 1));
    assert!(app.update(Action::Left), "← on the prose goes back too");
    assert_eq!(app.step, steps - 2);
    // Nothing before the very first step.
    app.open_at(0, 0);
    assert!(!app.update(Action::PrevStep));
}

#[test]
fn resumes_where_the_learner_left_off() {
    let mut progress = Progress {
        current: Some("attention-math".into()),
        ..Progress::default()
    };
    progress.lesson_mut("attention-math").step = 4;
    let app = App::new(
        course(),
        progress,
        Store::memory(),
        Options::default(),
        (80, 24),
    );
    assert_eq!(app.lesson().slug, "attention-math");
    assert_eq!(app.step, 4);
    // A step beyond the lesson's end (the lesson got shorter) is clamped.
    let mut progress = Progress {
        current: Some("matmul".into()),
        ..Progress::default()
    };
    progress.lesson_mut("matmul").step = 999;
    let app = App::new(
        course(),
        progress,
        Store::memory(),
        Options::default(),
        (80, 24),
    );
    assert_eq!(app.step, app.lesson().steps.len() - 1);
}

#[test]
fn a_key_that_changes_nothing_asks_for_no_redraw() {
    let mut app = app_at(80, 24);
    assert!(!app.update(Action::Up), "already at the top");
    assert!(!app.update(Action::Backspace));
    assert!(!app.update(Action::Resize(80, 24)));
    assert!(app.update(Action::Down));
    assert_eq!(app.prose_scroll, 1);
}

#[test]
fn focus_cycles_through_what_is_on_screen() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, false);
    app.open_at(li, si);
    assert_eq!(app.focus, Focus::Prose);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Panel);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Prose, "no outline at 80 columns");
    let mut wide = app_at(160, 48);
    wide.update(Action::FocusPrev);
    assert_eq!(wide.focus, Focus::Outline);
    wide.update(Action::Down);
    wide.update(Action::Enter);
    assert_eq!(wide.lesson, 1, "Enter in the outline opens the lesson");
    assert_eq!(wide.focus, Focus::Prose);
    wide.update(Action::ToggleOutline);
    assert!(!wide.outline_shown());
    // Focus on the outline, then make the terminal too narrow for it: focus moves to the prose.
    wide.update(Action::ToggleOutline);
    wide.update(Action::FocusPrev);
    assert_eq!(wide.focus, Focus::Outline);
    wide.update(Action::Resize(80, 24));
    assert_eq!(wide.focus, Focus::Prose);
}

#[test]
fn a_choice_question_is_answered_retried_and_recorded() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, false);
    app.open_at(li, si);
    app.update(Action::Enter); // Enter on the prose moves into the panel
    assert_eq!(app.focus, Focus::Panel);
    let PanelState::Quiz(q) = &app.panel else {
        panic!("expected a question")
    };
    let QuizKind::Choice { answer, choices } = &q.quiz.kind else {
        panic!()
    };
    let (answer, n) = (*answer, choices.len());
    let id = q.quiz.id.clone();
    let wrong = (answer + 1) % n;
    app.update(Action::Char(
        char::from_digit(wrong as u32 + 1, 10).unwrap(),
    ));
    app.update(Action::Enter);
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    assert_eq!(q.feedback, Some(Feedback::Wrong));
    assert!(!q.show_explanation(), "one miss: try again first");
    for _ in 0..n {
        app.update(Action::Up);
    }
    for _ in 0..answer {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    assert_eq!(q.feedback, Some(Feedback::Correct));
    assert!(q.show_explanation());
    let rec = app.progress.lesson(&app.lesson().slug).unwrap().answers[&id];
    assert!(rec.correct);
    assert!(!rec.first_try);
    assert_eq!(rec.attempts, 2);
    assert!(draw(&app).contains("Right."));
}

#[test]
fn a_numeric_question_takes_typed_numbers() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    app.update(Action::FocusNext);
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    let QuizKind::Numeric { answer, .. } = q.quiz.kind else {
        panic!()
    };
    app.update(Action::Char('e'));
    app.update(Action::Enter);
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    assert_eq!(
        q.feedback,
        Some(Feedback::NotANumber),
        "typed {:?}",
        q.input
    );
    for _ in 0..3 {
        app.update(Action::Backspace);
    }
    for c in format!("{answer}").chars() {
        app.update(Action::Char(c));
    }
    app.update(Action::Enter);
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    assert_eq!(q.feedback, Some(Feedback::Correct), "typed {:?}", q.input);
    assert!(app.progress.lesson(&app.lesson().slug).unwrap().answers[&q.quiz.id].first_try);
}

#[test]
fn visualizer_controls_recompute_the_view() {
    let mut app = app_at(80, 24);
    let lesson = app.course.find("attention-math").expect("lesson 06");
    app.open_at(lesson, 2); // the first softmax step
    let PanelState::Viz(v) = &app.panel else {
        panic!("expected a visualizer, got {:?}", app.panel)
    };
    let before = v.view().clone();
    app.update(Action::FocusNext);
    assert!(app.update(Action::Left), "lower the temperature");
    let PanelState::Viz(v) = &app.panel else {
        panic!()
    };
    assert_ne!(&before.parts, &v.view().parts);
    assert!(app.update(Action::Down));
    let PanelState::Viz(v) = &app.panel else {
        panic!()
    };
    assert_eq!(v.view().selected_control, 1);
}

#[test]
fn help_opens_and_closes_and_quit_saves() {
    let mut app = app_at(80, 24);
    app.update(Action::ToggleHelp);
    assert!(app.help_open);
    assert!(draw(&app).contains("Keys"));
    assert!(!app.update(Action::Down), "keys go to the help screen only");
    app.update(Action::Back);
    assert!(!app.help_open);
    app.update(Action::Quit);
    assert!(app.quit);
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

    /// Any sequence of keys and resizes, drawn after every action, never panics.
    #[test]
    fn random_keys_and_resizes_never_panic(actions in prop::collection::vec(action_strategy(), 1..120)) {
        let mut app = app_at(80, 24);
        for action in actions {
            app.update(action);
            // The layout kept between frames is the one the state implies.
            prop_assert_eq!(app.areas(), app.compute_areas(), "after {:?}", action);
            let _ = draw(&app);
        }
        prop_assert!(app.step < app.lesson().steps.len());
    }
}

#[test]
fn typing_on_a_question_step_answers_it_and_a_new_step_starts_on_the_prose() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    assert_eq!(app.focus, Focus::Prose);
    assert!(app.update(Action::Char('4')));
    assert_eq!(app.focus, Focus::Panel, "a digit moves into the question");
    let PanelState::Quiz(q) = &app.panel else {
        panic!()
    };
    assert_eq!(q.input, "4");
    app.update(Action::NextStep);
    assert_eq!(app.focus, Focus::Prose);
}

/// The built-in course, loaded and checked once for the whole test binary.
fn shared_course() -> llmf::course::Course {
    static COURSE: std::sync::OnceLock<llmf::course::Course> = std::sync::OnceLock::new();
    COURSE
        .get_or_init(|| llmf::check::load_checked(&Embedded).expect("built-in course"))
        .clone()
}

#[test]
fn background_timing_reports_progress_while_keys_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-t.md"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("01-t.md"),
        "# T\n\n## Timing\nProse.\n\n```viz\n{\"kind\": \"attention-timing\", \"max_n\": 512, \"d\": 16}\n```\n",
    )
    .unwrap();
    let course =
        llmf::check::load_checked(&llmf::course::DirSource(dir.path())).expect("test course");
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        Options::default(),
        (80, 24),
    );
    assert!(app.busy(), "the sweep waits for the first tick");
    app.update(Action::FocusNext);
    assert!(app.update(Action::Tick), "the first tick starts it");
    let mut moved = false;
    for _ in 0..2000 {
        if !app.busy() {
            break;
        }
        // Keys are handled between ticks, as the event loop does.
        if !moved {
            moved = app.update(Action::Down);
        }
        app.update(Action::Tick);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(moved, "a key moved the selection during the sweep");
    assert!(!app.busy(), "the sweep finished");
    assert!(draw(&app).contains("done: 4 sizes"), "{}", draw(&app));
}
