//! The app driven by real key events through the key table, drawn as the terminal draws
//! it: moving, answering, picking a lesson, editing text, pasting. Runs on the fixture course
//! in `tests/fixtures/course`.

use crate::common;

use common::{app_at, draw, find_quiz, key, quiz, typed, Driven};
use llmf::app::{Action, App, Feedback, Focus, PanelState};
use llmf::progress::{Progress, Store};
use ratatui::crossterm::event::KeyCode;
// ---- Real key events, through the key table, drawn like the terminal draws ----

#[test]
fn keys_through_the_table_move_answer_and_quit() {
    let mut d = Driven::new(app_at(80, 24));
    assert!(d.press(KeyCode::Char('n')));
    assert_eq!(d.app().position(), (0, 1));
    assert!(
        d.screen().contains("Which number is two?"),
        "{}",
        d.screen()
    );
    // Into the question with Tab, pick with j, answer with Enter.
    d.press(KeyCode::Tab);
    d.press(KeyCode::Char('j'));
    d.press(KeyCode::Enter);
    assert!(d.screen().contains("Right."), "{}", d.screen());
    // ? opens the help for where the focus is; Esc closes it.
    d.press(KeyCode::Char('?'));
    assert!(d.screen().contains("Here (question)"), "{}", d.screen());
    d.press(KeyCode::Esc);
    assert!(!d.app().help_open());
    assert!(d.press(KeyCode::Char('q')));
    assert!(d.session.quit_requested());
}

#[test]
fn unbound_and_no_op_keys_draw_nothing() {
    let mut d = Driven::new(app_at(80, 24));
    let frames = d.frames;
    assert!(!d.press(KeyCode::Char('z')), "unbound");
    assert!(!d.press(KeyCode::Up), "already at the top");
    assert!(!d.press(KeyCode::F(5)));
    assert_eq!(d.frames, frames);
}

#[test]
fn a_batch_of_keys_costs_one_frame() {
    let mut d = Driven::new(app_at(80, 24));
    let (li, si) = find_quiz(d.app(), true);
    d.session.app_mut().open_at(li, si);
    let frames = d.frames;
    // A paste of "7" then Enter, as one batch: a digit on the prose jumps into the question.
    let mut batch = typed("7");
    batch.push(key(KeyCode::Enter));
    assert!(d.send(&batch));
    assert_eq!(d.frames, frames + 1, "one frame for the whole batch");
    assert_eq!(quiz(d.app()).feedback, Some(Feedback::Correct));
    assert!(d.screen().contains("Right."));
    // A held key: twenty presses of ↓ on the prose, one frame (Esc leaves the answer box,
    // where p would be typed).
    d.press(KeyCode::Esc);
    d.press(KeyCode::Char('p'));
    d.press(KeyCode::Char('p'));
    let frames = d.frames;
    d.send(&vec![key(KeyCode::Down); 20]);
    assert_eq!(d.frames, frames + 1);
}

#[test]
fn a_key_is_handled_at_once_while_the_timing_sweep_runs_in_the_background() {
    let (_dir, mut app) =
        common::panel_then_prose(r#"{"kind": "attention-timing", "max_n": 512, "d": 16}"#);
    assert!(app.busy(), "the sweep waits for the first tick");
    app.update(Action::FocusNext);
    // The panel's first view is computed off the key path; on a loaded machine it can take
    // a few ticks to arrive, and the tick that brings it starts the sweep.
    let mut started = false;
    for _ in 0..4000 {
        if app.update(Action::Tick) {
            started = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        started,
        "a tick brought the first view and started the sweep"
    );
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

#[test]
fn readme_keys_table_is_the_generated_one() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- keys:")
        .expect("the keys table's start marker");
    let body = &readme[start..];
    let body = &body[body.find('\n').expect("marker line") + 1..];
    let end = body
        .find("<!-- /keys -->")
        .expect("the keys table's end marker");
    let expected = llmf::keymap::markdown_table();
    assert!(
        body[..end] == expected,
        "README.md's keys table differs from the key table; replace it with the output of \
         `cargo run -- keys --markdown`:\n{expected}"
    );
}

#[test]
fn the_picker_opens_any_lesson_by_number_or_title_through_real_keys() {
    let mut d = Driven::new(app_at(60, 16));
    assert!(d.press(KeyCode::Char('o')), "o opens the picker");
    assert!(d.app().picker().is_some());
    let screen = d.screen();
    assert!(
        screen.contains("Find:") && screen.contains("02 Trying"),
        "{screen}"
    );
    // Typing narrows by number; Enter opens; the picker closes.
    d.send(&typed("2"));
    assert_eq!(d.app().picker().map(|p| p.query.as_str()), Some("2"));
    d.press(KeyCode::Enter);
    assert!(d.app().picker().is_none());
    assert_eq!(d.app().position(), (1, 0));
    // By title, ignoring case; q is text in the picker, not quit.
    d.press(KeyCode::Char('o'));
    d.send(&typed("READq"));
    assert!(!d.app().quit_requested());
    d.press(KeyCode::Backspace);
    d.press(KeyCode::Enter);
    assert_eq!(d.app().position().0, 0);
    // Arrows move; Esc closes and leaves the lesson as it was.
    d.press(KeyCode::Char('o'));
    d.press(KeyCode::Down);
    assert!(d.press(KeyCode::Esc));
    assert!(d.app().picker().is_none());
    assert_eq!(d.app().position().0, 0);
    // No match: Enter does nothing and the picker stays.
    d.press(KeyCode::Char('o'));
    d.send(&typed("zzz"));
    assert!(d.screen().contains("No lesson matches"), "{}", d.screen());
    assert!(!d.press(KeyCode::Enter));
    assert!(d.app().picker().is_some());
}

#[test]
fn a_lesson_is_done_when_every_step_is_seen_and_every_question_answered() {
    let mut app = app_at(80, 24);
    let slug = app.lesson().slug.clone();
    let steps = app.lesson().steps.len();
    for _ in 1..steps {
        app.update(Action::NextStep);
    }
    let done = |app: &App| app.progress().lesson(&slug).is_some_and(|p| p.done);
    assert!(
        !done(&app),
        "paging to the end is not done: the questions are open"
    );
    for (li, si) in [find_quiz(&app, false), find_quiz(&app, true)] {
        app.open_at(li, si);
        app.update(Action::FocusNext);
        // Two misses show the explanation: that counts as answered.
        for _ in 0..2 {
            app.update(Action::Char('9'));
            app.update(Action::Char('9'));
            app.update(Action::Enter);
        }
    }
    assert!(done(&app), "{:?}", app.progress().lesson(&slug));
}

/// Lesson 06 step 9 of the built-in course: the attention panel, whose last control is a
/// text field, focused and that field picked.
fn on_a_text_field() -> Driven {
    let course = common::built_in();
    let li = course.find("06").expect("lesson 06");
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    app.open_at(li, 8);
    let mut d = Driven::new(app);
    d.press(KeyCode::Tab);
    let PanelState::Viz(v) = d.app().panel() else {
        panic!("a visualizer")
    };
    let at = v
        .view()
        .controls
        .iter()
        .position(|c| c.label == "text")
        .expect("a text control");
    for _ in 0..at {
        d.press(KeyCode::Down);
    }
    d
}

/// Enter on a switch flips it (it did nothing: "train" in lesson 15 looked like a button and
/// only → started it); Enter on a text field still starts editing.
#[test]
fn enter_flips_the_picked_switch() {
    let mut d = on_a_text_field();
    let causal = |d: &Driven| {
        let PanelState::Viz(v) = d.app().panel() else {
            panic!("a visualizer")
        };
        let i = v
            .view()
            .controls
            .iter()
            .position(|c| c.label == "causal mask")
            .expect("a causal mask switch");
        let on = matches!(
            v.view().controls[i].kind,
            llmf::viz::view::ControlKind::Toggle(true)
        );
        (i, v.view().selected_control, on)
    };
    let (switch, text_at, before) = causal(&d);
    for _ in switch..text_at {
        d.press(KeyCode::Up);
    }
    assert_eq!(causal(&d).1, switch, "the switch is picked");
    assert!(d.press(KeyCode::Enter));
    assert_eq!(causal(&d).2, !before, "Enter flipped it");
    assert!(!d.app().text_entry());
    assert!(d.press(KeyCode::Enter));
    assert_eq!(causal(&d).2, before, "and back");
}

fn field_text(d: &Driven) -> (String, Option<usize>) {
    let PanelState::Viz(v) = d.app().panel() else {
        panic!("a visualizer")
    };
    let c = &v.view().controls[v.view().selected_control];
    match &c.kind {
        llmf::viz::view::ControlKind::Text { value, editing } => (value.clone(), *editing),
        other => panic!("not a text control: {other:?}"),
    }
}

#[test]
fn a_text_field_edits_like_a_prompt_through_real_keys() {
    use common::ctrl;
    let mut d = on_a_text_field();
    d.press(KeyCode::Enter);
    assert!(d.app().text_entry());
    let (start, cursor) = field_text(&d);
    assert_eq!(cursor, Some(start.chars().count()), "cursor at the end");
    // Ctrl-U clears what is before the cursor; q and n are text here.
    d.send(&[ctrl('u')]);
    d.send(&typed("the cat sat"));
    assert_eq!(field_text(&d), ("the cat sat".into(), Some(11)));
    d.send(&[ctrl('w')]);
    assert_eq!(field_text(&d).0, "the cat ");
    d.send(&[ctrl('a')]);
    d.press(KeyCode::Delete);
    assert_eq!(field_text(&d), ("he cat ".into(), Some(0)));
    d.press(KeyCode::End);
    d.send(&typed("ran"));
    d.press(KeyCode::Left);
    d.press(KeyCode::Left);
    d.press(KeyCode::Backspace);
    assert_eq!(field_text(&d), ("he cat an".into(), Some(7)));
    d.send(&[ctrl('z')]);
    assert_eq!(field_text(&d).0, "he cat ran", "undo");
    // The status line shows the editing keys, not the reading ones.
    let status = d.screen().lines().last().unwrap_or_default().to_string();
    assert!(
        status.contains("Enter apply") && !status.contains("q quit"),
        "{status}"
    );
    d.press(KeyCode::Enter);
    assert!(!d.app().text_entry());
    assert_eq!(field_text(&d), ("he cat ran".into(), None));
}

#[test]
fn a_paste_is_text_never_keys() {
    let mut d = on_a_text_field();
    let at = d.app().position();
    // Outside a field a paste does nothing at all: "nnq" does not move or quit.
    assert!(!d.send(&[ratatui::crossterm::event::Event::Paste("nnq\n".into())]));
    assert_eq!(d.app().position(), at);
    assert!(!d.app().quit_requested());
    d.press(KeyCode::Enter);
    d.send(&[common::ctrl('u')]);
    d.send(&[ratatui::crossterm::event::Event::Paste(
        "nnq\nmore words".into(),
    )]);
    assert!(!d.app().quit_requested());
    assert_eq!(d.app().position(), at);
    assert!(d.app().text_entry(), "the newline did not commit");
    assert_eq!(field_text(&d).0, "nnq more words");
    // A paste longer than the field is cut, and the status line says so.
    let big = "word ".repeat(20_000);
    d.send(&[ratatui::crossterm::event::Event::Paste(big)]);
    assert_eq!(field_text(&d).0.chars().count(), llmf::viz::MAX_FIELD_CHARS);
    let status = d.screen().lines().last().unwrap_or_default().to_string();
    assert!(
        status.contains("pasted 100000 characters, kept the first"),
        "{status}"
    );
}

#[test]
fn a_numeric_answer_can_be_pasted() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    assert!(app.paste(" 7\n"));
    assert_eq!(quiz(&app).input, "7");
    assert_eq!(app.focus(), Focus::Panel);
    // A paste that is not a number is refused whole: no stray "e" joins the 7.
    assert!(app.paste("hello\nworld"));
    assert_eq!(quiz(&app).input, "7");
    assert!(
        draw(&app).contains("That paste is not a number"),
        "{}",
        draw(&app)
    );
}

#[test]
fn a_numeric_answer_box_refuses_what_is_not_a_number_and_esc_leaves_it() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, true);
    app.open_at(li, si);
    let mut d = Driven::new(app);
    d.press(KeyCode::Tab);
    // q, n and x are typed into the box: x is refused and said so, nothing quits or moves.
    d.send(&typed("1x"));
    assert_eq!(quiz(d.app()).input, "1");
    assert_eq!(quiz(d.app()).feedback, Some(Feedback::Refused('x')));
    assert!(
        d.screen().contains("'x' cannot be part of a number"),
        "{}",
        d.screen()
    );
    d.send(&typed("nq"));
    assert!(!d.app().quit_requested());
    assert_eq!(d.app().position(), (li, si));
    // A decimal comma and a fraction are numbers; Esc leaves and q quits again.
    d.press(KeyCode::Backspace);
    d.send(&typed("4/2"));
    d.press(KeyCode::Enter);
    assert_eq!(
        quiz(d.app()).feedback,
        Some(Feedback::Wrong),
        "14/2 = 7? no: 1 was kept"
    );
    assert!(d.press(KeyCode::Esc));
    assert_eq!(d.app().focus(), Focus::Prose);
    d.press(KeyCode::Char('q'));
    assert!(d.app().quit_requested());
}

#[test]
fn regressions_notice_keys_enter_without_a_panel_and_page_up_raises() {
    // A start-up notice closes on the first key, and that key still does its job.
    let mut d = Driven::new(app_at(80, 24));
    d.session
        .app_mut()
        .add_notices(["progress moved aside".to_string()]);
    d.press(KeyCode::Char('q'));
    assert!(d.app().notices().is_empty());
    assert!(d.app().quit_requested(), "q quits even over a notice");
    // Enter on a step without a panel does not skip the step.
    let mut app = app_at(80, 24);
    assert!(
        app.panel().is_none(),
        "the fixture's first step is prose only"
    );
    assert!(!app.update(Action::Enter));
    assert_eq!((app.position(), app.focus()), ((0, 0), Focus::Prose));
    // PgUp raises the picked slider, PgDn lowers it.
    app.open_at(1, 0); // softmax: its first control is a slider
    app.update(Action::FocusNext);
    let value = |app: &App| match app.panel() {
        PanelState::Viz(v) => match v.view().controls[0].kind {
            llmf::viz::view::ControlKind::Slider { value, .. } => value,
            ref other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let before = value(&app);
    app.update(Action::PageUp);
    assert!(value(&app) > before, "PgUp raises");
    app.update(Action::PageDown);
    assert_eq!(value(&app), before, "PgDn lowers back");
}

#[test]
fn tried_before_speaks_of_earlier_visits_only() {
    let mut app = app_at(80, 24);
    let (li, si) = find_quiz(&app, false);
    app.open_at(li, si);
    app.update(Action::FocusNext);
    app.update(Action::Char('3'));
    app.update(Action::Enter);
    assert!(!draw(&app).contains("tried before"), "{}", draw(&app));
    // Leave and come back: now it was tried before.
    app.update(Action::NextStep);
    app.update(Action::PrevStep);
    assert!(draw(&app).contains("(tried before)"), "{}", draw(&app));
}
