use super::*;
use crate::app::action::Edit;
use ratatui::crossterm::event::KeyEventState;

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent {
        code,
        modifiers,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

fn act(code: KeyCode, context: Context) -> Option<Action> {
    key_action(&press(code, KeyModifiers::NONE), context)
}

#[test]
fn keys_map_to_actions_as_the_table_says() {
    let c = Context::Prose;
    assert_eq!(act(KeyCode::Char('n'), c), Some(Action::NextStep));
    assert_eq!(act(KeyCode::Char('j'), c), Some(Action::Down));
    assert_eq!(act(KeyCode::Char(' '), c), Some(Action::PageDown));
    assert_eq!(act(KeyCode::Char('G'), c), Some(Action::Bottom));
    assert_eq!(act(KeyCode::BackTab, c), Some(Action::FocusPrev));
    assert_eq!(act(KeyCode::Char('7'), c), Some(Action::Char('7')));
    assert_eq!(act(KeyCode::Char('e'), c), Some(Action::Char('e')));
    assert_eq!(act(KeyCode::Char('z'), c), Some(Action::ToggleZoom));
    assert_eq!(act(KeyCode::Char('y'), c), None, "unbound");
    assert_eq!(
        key_action(&press(KeyCode::Char('c'), KeyModifiers::CONTROL), c),
        Some(Action::Quit)
    );
    // A capital arrives with Shift held and still means its key.
    assert_eq!(
        key_action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT), c),
        Some(Action::Bottom)
    );
}

#[test]
fn a_text_field_takes_every_printable_key() {
    let t = Context::Typing;
    assert_eq!(act(KeyCode::Char('q'), t), Some(Action::Char('q')));
    assert_eq!(act(KeyCode::Char('?'), t), Some(Action::Char('?')));
    assert_eq!(act(KeyCode::Char('n'), t), Some(Action::Char('n')));
    assert_eq!(act(KeyCode::Enter, t), Some(Action::Enter));
    assert_eq!(act(KeyCode::Esc, t), Some(Action::Back));
    assert_eq!(act(KeyCode::Tab, t), None, "Tab does not leave a field");
    assert_eq!(act(KeyCode::Left, t), Some(Action::Edit(Edit::Left)));
    assert_eq!(
        key_action(&press(KeyCode::Left, KeyModifiers::CONTROL), t),
        Some(Action::Edit(Edit::WordLeft))
    );
    assert_eq!(
        key_action(&press(KeyCode::Char('b'), KeyModifiers::ALT), t),
        Some(Action::Edit(Edit::WordLeft)),
        "Alt-B is a word jump, not a b"
    );
    assert_eq!(
        key_action(&press(KeyCode::Char('w'), KeyModifiers::CONTROL), t),
        Some(Action::Edit(Edit::DeleteWord))
    );
    assert_eq!(
        key_action(&press(KeyCode::Char('c'), KeyModifiers::CONTROL), t),
        Some(Action::Quit)
    );
    assert_eq!(
        key_action(&press(KeyCode::Char('x'), KeyModifiers::CONTROL), t),
        None
    );
}

#[test]
fn outside_a_field_a_key_means_one_action_everywhere() {
    let samples = [
        KeyCode::Char('k'),
        KeyCode::Char(' '),
        KeyCode::Char('g'),
        KeyCode::Char('1'),
        KeyCode::Enter,
        KeyCode::Left,
        KeyCode::End,
        KeyCode::Backspace,
    ];
    for b in BINDINGS.iter().filter(|b| !b.context.takes_text()) {
        for (k, does) in b.keys {
            for other in BINDINGS.iter().filter(|o| !o.context.takes_text()) {
                for (k2, does2) in other.keys {
                    if k == k2 {
                        assert_eq!(does, does2, "{} and {} disagree", b.label, other.label);
                    }
                }
            }
        }
    }
    // And the lookup agrees across contexts.
    for code in samples {
        let everywhere = act(code, Context::Everywhere);
        for c in [
            Context::Prose,
            Context::Outline,
            Context::Visualizer,
            Context::Question,
        ] {
            assert_eq!(act(code, c), everywhere, "{code:?} in {c:?}");
        }
    }
}

#[test]
fn hints_come_from_the_table_in_order() {
    let (here, general) = hints(Context::Prose);
    assert_eq!(here, vec!["↑↓ scroll", "←→ step"]);
    assert_eq!(
        general,
        vec![
            "? help",
            "Tab focus",
            "o lessons",
            "q quit",
            "n/p step",
            "z zoom"
        ]
    );
    let (here, general) = hints(Context::Typing);
    assert_eq!(
        here,
        vec![
            "type",
            "Enter apply",
            "Esc cancel",
            "←→ move",
            "Ctrl-C quit"
        ]
    );
    assert!(general.is_empty(), "q and ? are text in a field");
    assert_eq!(hints(Context::Question).0, vec!["Enter answer"]);
    assert_eq!(
        ascii_label("↑↓ scroll  ←→ step"),
        "up/down scroll  left/right step"
    );
}

#[test]
fn help_shows_everywhere_then_here() {
    let rows = help_rows(Context::Visualizer);
    let contexts: Vec<Context> = rows.iter().map(|b| b.context).collect();
    let split = contexts
        .iter()
        .position(|c| *c == Context::Visualizer)
        .expect("visualizer rows");
    assert!(contexts[..split].iter().all(|c| *c == Context::Everywhere));
    assert!(contexts[split..].iter().all(|c| *c == Context::Visualizer));
    assert!(help_rows(Context::Typing)
        .iter()
        .all(|b| b.context == Context::Typing));
}

#[test]
fn every_row_says_something_and_the_markdown_has_a_line_per_row() {
    for b in BINDINGS {
        assert!(!b.keys.is_empty() && !b.label.is_empty() && !b.help.is_empty());
    }
    let table = markdown_table();
    assert_eq!(table.lines().count(), BINDINGS.len() + 2);
    assert!(table.contains("| `q`, `Ctrl-C` | everywhere | quit (progress is saved) |"));
}
