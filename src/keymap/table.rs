//! The rows of the key table: every binding the app knows, in the order the help and the
//! status bar show them. The lookup, help, hints and README table are derived in the parent.

use super::{Binding, Context, Does, Key};
use crate::app::action::{Action, Edit};
use ratatui::crossterm::event::KeyCode;

use Does::{Act, TypeIt};
use Key::{Alt, Ctrl, CtrlKey, NumberChar, Press, Printable};

const UP_DOWN: &[(Key, Does)] = &[
    (Press(KeyCode::Up), Act(Action::Up)),
    (Press(KeyCode::Char('k')), Act(Action::Up)),
    (Press(KeyCode::Down), Act(Action::Down)),
    (Press(KeyCode::Char('j')), Act(Action::Down)),
];
const LEFT_RIGHT: &[(Key, Does)] = &[
    (Press(KeyCode::Left), Act(Action::Left)),
    (Press(KeyCode::Char('h')), Act(Action::Left)),
    (Press(KeyCode::Right), Act(Action::Right)),
    (Press(KeyCode::Char('l')), Act(Action::Right)),
];
const PAGES: &[(Key, Does)] = &[
    (Press(KeyCode::PageUp), Act(Action::PageUp)),
    (Press(KeyCode::PageDown), Act(Action::PageDown)),
    (Press(KeyCode::Char(' ')), Act(Action::PageDown)),
];
const ENDS: &[(Key, Does)] = &[
    (Press(KeyCode::Char('g')), Act(Action::Top)),
    (Press(KeyCode::Home), Act(Action::Top)),
    (Press(KeyCode::Char('G')), Act(Action::Bottom)),
    (Press(KeyCode::End), Act(Action::Bottom)),
];
const ENTER: &[(Key, Does)] = &[(Press(KeyCode::Enter), Act(Action::Enter))];
const BACKSPACE: &[(Key, Does)] = &[(Press(KeyCode::Backspace), Act(Action::Backspace))];
const ESC: &[(Key, Does)] = &[(Press(KeyCode::Esc), Act(Action::Back))];
const NUMBER: &[(Key, Does)] = &[(NumberChar, TypeIt)];

const fn row(
    context: Context,
    keys: &'static [(Key, Does)],
    label: &'static str,
    hint: Option<&'static str>,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        hint,
        help,
    }
}

/// Every key binding. Rows of a context come in the order their hints are worth room in the
/// status bar; `Everywhere` rows' hints follow the focused context's.
pub const BINDINGS: &[Binding] = &[
    row(
        Context::Everywhere,
        &[(Press(KeyCode::Char('?')), Act(Action::ToggleHelp))],
        "?",
        Some("? help"),
        "this help: the keys for where you are",
    ),
    row(
        Context::Everywhere,
        &[
            (Press(KeyCode::Tab), Act(Action::FocusNext)),
            (Press(KeyCode::BackTab), Act(Action::FocusPrev)),
        ],
        "Tab / Shift-Tab",
        Some("Tab focus"),
        "move the focus: outline, prose, panel",
    ),
    row(
        Context::Everywhere,
        &[(Press(KeyCode::Char('o')), Act(Action::OpenPicker))],
        "o",
        Some("o lessons"),
        "pick a lesson: type its number or part of its title",
    ),
    row(
        Context::Everywhere,
        &[
            (Press(KeyCode::Char('q')), Act(Action::Quit)),
            (Ctrl('c'), Act(Action::Quit)),
        ],
        "q, Ctrl-C",
        Some("q quit"),
        "quit (progress is saved)",
    ),
    row(
        Context::Everywhere,
        &[
            (Press(KeyCode::Char('n')), Act(Action::NextStep)),
            (Press(KeyCode::Char('p')), Act(Action::PrevStep)),
        ],
        "n / p",
        Some("n/p step"),
        "next / previous step (crosses into the next lesson)",
    ),
    row(
        Context::Everywhere,
        &[(Press(KeyCode::Char('z')), Act(Action::ToggleZoom))],
        "z",
        Some("z zoom"),
        "the panel on the whole terminal, and back (Esc too)",
    ),
    row(
        Context::Everywhere,
        &[
            (Press(KeyCode::Char('[')), Act(Action::PanelUp)),
            (Press(KeyCode::Char(']')), Act(Action::PanelDown)),
        ],
        "[ / ]",
        None,
        "scroll a cut-off panel, or page a zoomed one",
    ),
    row(
        Context::Everywhere,
        &[(Press(KeyCode::Char('O')), Act(Action::ToggleOutline))],
        "O",
        None,
        "show or hide the course outline (from 110 columns)",
    ),
    row(
        Context::Everywhere,
        ESC,
        "Esc",
        None,
        "close help, focus back on the prose",
    ),
    row(
        Context::Prose,
        UP_DOWN,
        "↑ ↓ or k j",
        Some("↑↓ scroll"),
        "scroll the prose",
    ),
    row(
        Context::Prose,
        LEFT_RIGHT,
        "← → or h l",
        Some("←→ step"),
        "previous / next step",
    ),
    row(
        Context::Prose,
        PAGES,
        "PgUp PgDn Space",
        None,
        "scroll a page",
    ),
    row(
        Context::Prose,
        ENDS,
        "g / G, Home / End",
        None,
        "top / bottom of the prose",
    ),
    row(
        Context::Prose,
        ENTER,
        "Enter",
        None,
        "into the step's panel (a step without one: n moves on)",
    ),
    row(
        Context::Prose,
        NUMBER,
        "digits",
        None,
        "on a question step: start typing the answer",
    ),
    row(
        Context::Outline,
        UP_DOWN,
        "↑ ↓ or k j",
        Some("↑↓ lesson"),
        "pick a lesson",
    ),
    row(
        Context::Outline,
        ENTER,
        "Enter",
        Some("Enter open"),
        "open the picked lesson",
    ),
    row(
        Context::Outline,
        ENDS,
        "g / G, Home / End",
        None,
        "first / last lesson",
    ),
    row(
        Context::Outline,
        LEFT_RIGHT,
        "← → or h l",
        None,
        "previous / next step",
    ),
    row(
        Context::Visualizer,
        UP_DOWN,
        "↑ ↓ or k j",
        Some("↑↓ control"),
        "pick a control",
    ),
    row(
        Context::Visualizer,
        LEFT_RIGHT,
        "← → or h l",
        Some("←→ change"),
        "change the picked control",
    ),
    row(
        Context::Visualizer,
        PAGES,
        "PgUp PgDn Space",
        None,
        "big steps: PgUp raises the picked control, PgDn lowers it",
    ),
    row(
        Context::Visualizer,
        &[(
            Press(KeyCode::Char(crate::viz::CLEAR_RUNS_KEY)),
            Act(Action::ClearRuns),
        )],
        "x",
        None,
        "forget the kept runs drawn faint beside a training run",
    ),
    row(
        Context::Visualizer,
        ENTER,
        "Enter",
        None,
        "edit the picked text field, or flip the picked switch",
    ),
    row(
        Context::Question,
        ENTER,
        "Enter",
        Some("Enter answer"),
        "answer",
    ),
    row(
        Context::Question,
        UP_DOWN,
        "↑ ↓ or k j",
        None,
        "pick a choice",
    ),
    row(
        Context::Question,
        NUMBER,
        "1–9",
        None,
        "pick a choice by number",
    ),
    row(
        Context::Question,
        LEFT_RIGHT,
        "← → or h l",
        None,
        "previous / next step",
    ),
    row(
        Context::Answer,
        &[(Printable, TypeIt)],
        "any character",
        Some("type a number"),
        "the answer: 7.39, 7,39, 1,000, 1/20 or 5.9e23 (other characters are refused)",
    ),
    row(
        Context::Answer,
        ENTER,
        "Enter",
        Some("Enter answer"),
        "answer",
    ),
    row(
        Context::Answer,
        ESC,
        "Esc",
        Some("Esc leave"),
        "back to the prose, where n, p and q work again",
    ),
    row(
        Context::Answer,
        BACKSPACE,
        "Backspace",
        None,
        "delete the last typed character",
    ),
    row(
        Context::Answer,
        &[
            (Press(KeyCode::Tab), Act(Action::FocusNext)),
            (Press(KeyCode::BackTab), Act(Action::FocusPrev)),
        ],
        "Tab / Shift-Tab",
        None,
        "move the focus",
    ),
    row(
        Context::Answer,
        &[
            (Press(KeyCode::Left), Act(Action::Left)),
            (Press(KeyCode::Right), Act(Action::Right)),
        ],
        "← →",
        None,
        "previous / next step",
    ),
    row(
        Context::Answer,
        &[(Ctrl('c'), Act(Action::Quit))],
        "Ctrl-C",
        Some("Ctrl-C quit"),
        "quit (progress is saved)",
    ),
    row(
        Context::Picker,
        &[
            (Press(KeyCode::Up), Act(Action::Up)),
            (Press(KeyCode::Down), Act(Action::Down)),
            (Ctrl('p'), Act(Action::Up)),
            (Ctrl('n'), Act(Action::Down)),
        ],
        "↑ ↓, Ctrl-P / Ctrl-N",
        Some("↑↓ lesson"),
        "move the highlight",
    ),
    row(
        Context::Picker,
        &[(Printable, TypeIt)],
        "digits, letters",
        Some("type to find"),
        "narrow the list: a lesson number (6 or 06) or part of a title",
    ),
    row(
        Context::Picker,
        ENTER,
        "Enter",
        Some("Enter open"),
        "open the highlighted lesson where you left it",
    ),
    row(
        Context::Picker,
        ESC,
        "Esc",
        Some("Esc close"),
        "close the picker",
    ),
    row(
        Context::Picker,
        &[
            (Press(KeyCode::PageUp), Act(Action::PageUp)),
            (Press(KeyCode::PageDown), Act(Action::PageDown)),
            (Press(KeyCode::Home), Act(Action::Top)),
            (Press(KeyCode::End), Act(Action::Bottom)),
        ],
        "PgUp PgDn, Home End",
        None,
        "move by ten lessons, to the first or last",
    ),
    row(
        Context::Picker,
        BACKSPACE,
        "Backspace",
        None,
        "delete the last typed character",
    ),
    row(
        Context::Picker,
        &[(Ctrl('c'), Act(Action::Quit))],
        "Ctrl-C",
        None,
        "quit (progress is saved)",
    ),
    row(
        Context::Typing,
        &[(Printable, TypeIt)],
        "any character",
        Some("type"),
        "goes into the field",
    ),
    row(
        Context::Typing,
        ENTER,
        "Enter",
        Some("Enter apply"),
        "apply the text",
    ),
    row(
        Context::Typing,
        ESC,
        "Esc",
        Some("Esc cancel"),
        "put the text back as it was",
    ),
    row(
        Context::Typing,
        &[
            (CtrlKey(KeyCode::Left), Act(Action::Edit(Edit::WordLeft))),
            (CtrlKey(KeyCode::Right), Act(Action::Edit(Edit::WordRight))),
            (Alt(KeyCode::Char('b')), Act(Action::Edit(Edit::WordLeft))),
            (Alt(KeyCode::Char('f')), Act(Action::Edit(Edit::WordRight))),
        ],
        "Ctrl-← Ctrl-→, Alt-B Alt-F",
        None,
        "jump a word back / forward",
    ),
    row(
        Context::Typing,
        &[
            (Press(KeyCode::Left), Act(Action::Edit(Edit::Left))),
            (Press(KeyCode::Right), Act(Action::Edit(Edit::Right))),
        ],
        "← →",
        Some("←→ move"),
        "move the cursor",
    ),
    row(
        Context::Typing,
        &[
            (Press(KeyCode::Home), Act(Action::Edit(Edit::Home))),
            (Ctrl('a'), Act(Action::Edit(Edit::Home))),
            (Press(KeyCode::End), Act(Action::Edit(Edit::End))),
            (Ctrl('e'), Act(Action::Edit(Edit::End))),
        ],
        "Home / End, Ctrl-A / Ctrl-E",
        None,
        "to the start / end of the text",
    ),
    row(
        Context::Typing,
        &[
            (Alt(KeyCode::Backspace), Act(Action::Edit(Edit::DeleteWord))),
            (Ctrl('w'), Act(Action::Edit(Edit::DeleteWord))),
        ],
        "Ctrl-W, Alt-Backspace",
        None,
        "delete the word before the cursor",
    ),
    row(
        Context::Typing,
        BACKSPACE,
        "Backspace",
        None,
        "delete the character before the cursor",
    ),
    row(
        Context::Typing,
        &[
            (Press(KeyCode::Delete), Act(Action::Edit(Edit::Delete))),
            (Ctrl('d'), Act(Action::Edit(Edit::Delete))),
        ],
        "Delete, Ctrl-D",
        None,
        "delete the character under the cursor",
    ),
    row(
        Context::Typing,
        &[
            (Ctrl('u'), Act(Action::Edit(Edit::DeleteToStart))),
            (Ctrl('k'), Act(Action::Edit(Edit::DeleteToEnd))),
        ],
        "Ctrl-U / Ctrl-K",
        None,
        "delete to the start / to the end",
    ),
    row(
        Context::Typing,
        &[
            (Ctrl('z'), Act(Action::Edit(Edit::Undo))),
            (Ctrl('y'), Act(Action::Edit(Edit::Redo))),
        ],
        "Ctrl-Z / Ctrl-Y",
        None,
        "undo / redo",
    ),
    row(
        Context::Typing,
        &[(Ctrl('c'), Act(Action::Quit))],
        "Ctrl-C",
        Some("Ctrl-C quit"),
        "quit (progress is saved)",
    ),
];
