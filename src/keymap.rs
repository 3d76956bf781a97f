//! The one key table. Every binding is a row of data — its keys, where it works, what it does,
//! a short hint and a line of help — and everything about keys is derived from the rows: the
//! lookup from a terminal event to an [`Action`], the `?` help overlay, the hints in the status
//! bar and the keys table in README.md (`llmf keys --markdown`; a test keeps them equal).
//!
//! Outside a text field a key means the same action everywhere (a test holds the table to
//! that) and the app reads the action by focus; a row's [`Context`] says where the key does
//! something worth telling, for the help and the hints. In a text field every printable key is
//! text, so only the [`Context::Typing`] rows apply there.

use crate::action::Action;
use crate::app::{App, Focus};
use crate::panel::PanelState;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};

/// Where a binding does something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Everywhere,
    /// Reading a step's prose (also a panel with nothing to operate).
    Prose,
    /// The course outline has the focus.
    Outline,
    /// A visualizer has the focus.
    Visualizer,
    /// A checkpoint question has the focus.
    Question,
    /// Typing into a visualizer's text field.
    Typing,
    /// The lesson picker is open.
    Picker,
}

impl Context {
    /// The context the app is in now.
    pub fn of(app: &App) -> Self {
        if app.picker().is_some() {
            return Self::Picker;
        }
        if app.text_entry() {
            return Self::Typing;
        }
        match (app.focus(), app.panel()) {
            (Focus::Outline, _) => Self::Outline,
            (Focus::Panel, PanelState::Viz(_)) => Self::Visualizer,
            (Focus::Panel, PanelState::Quiz(_)) => Self::Question,
            _ => Self::Prose,
        }
    }

    /// How the help overlay and README name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Everywhere => "everywhere",
            Self::Prose => "reading",
            Self::Outline => "outline",
            Self::Visualizer => "visualizer",
            Self::Question => "question",
            Self::Typing => "text field",
            Self::Picker => "lesson picker",
        }
    }

    /// Contexts where printable keys are text: only their own rows apply there.
    pub fn takes_text(self) -> bool {
        matches!(self, Self::Typing | Self::Picker)
    }
}

/// A key a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key, whatever modifiers come with it (Shift arrives with capitals).
    Press(KeyCode),
    /// This letter with Ctrl held.
    Ctrl(char),
    /// A character of a number: a digit, `.`, `,`, `/`, `-`, `+`, `e` or `E`.
    NumberChar,
    /// Any character typed without Ctrl.
    Printable,
}

/// What pressing the key asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Does {
    Act(Action),
    /// The typed character itself ([`Action::Char`]).
    TypeIt,
}

/// One row of the table.
#[derive(Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [(Key, Does)],
    /// The keys as the help and README show them.
    pub label: &'static str,
    /// A few words for the status bar, if the row earns a place there.
    pub hint: Option<&'static str>,
    pub help: &'static str,
}

use Does::{Act, TypeIt};
use Key::{Ctrl, NumberChar, Press, Printable};

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
        ENTER,
        "Enter",
        None,
        "edit the picked text field",
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
        "1–9, digits",
        None,
        "pick a choice by number · type a numeric answer",
    ),
    row(
        Context::Question,
        BACKSPACE,
        "Backspace",
        None,
        "delete the last typed character",
    ),
    row(
        Context::Question,
        LEFT_RIGHT,
        "← → or h l",
        None,
        "previous / next step",
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
        BACKSPACE,
        "Backspace",
        None,
        "delete the last character",
    ),
    row(
        Context::Typing,
        &[(Ctrl('c'), Act(Action::Quit))],
        "Ctrl-C",
        Some("Ctrl-C quit"),
        "quit (progress is saved)",
    ),
];

impl Key {
    fn matches(self, key: &KeyEvent) -> Option<char> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match (self, key.code) {
            (Press(code), pressed) if code == pressed => Some('\0'),
            (Ctrl(c), KeyCode::Char(p)) if ctrl && p.eq_ignore_ascii_case(&c) => Some(p),
            (NumberChar, KeyCode::Char(c))
                if c.is_ascii_digit() || matches!(c, '.' | ',' | '/' | '-' | '+' | 'e' | 'E') =>
            {
                Some(c)
            }
            (Printable, KeyCode::Char(c)) if !ctrl => Some(c),
            _ => None,
        }
    }
}

/// The rows that apply in a context, its own first. Outside a text field the other contexts'
/// rows follow: a key means the same everywhere, and the app decides what it does here.
fn rows_for(context: Context) -> impl Iterator<Item = &'static Binding> {
    let text = context.takes_text();
    let own = BINDINGS.iter().filter(move |b| b.context == context);
    let rest = BINDINGS
        .iter()
        .filter(move |b| !text && !b.context.takes_text() && b.context != context);
    own.chain(rest)
}

/// The action a terminal event asks for in a context, if any.
pub fn action_for(event: &Event, context: Context) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_action(key, context),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            _ => None,
        },
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

/// The action a key asks for in a context, if any.
pub fn key_action(key: &KeyEvent, context: Context) -> Option<Action> {
    rows_for(context)
        .flat_map(|b| b.keys.iter())
        .find_map(|(k, does)| {
            k.matches(key).map(|c| match does {
                Act(a) => *a,
                TypeIt => Action::Char(c),
            })
        })
}

/// The rows shown in the help overlay for a context: what works everywhere, then what works
/// here (a text field has only its own).
pub fn help_rows(context: Context) -> Vec<&'static Binding> {
    let mut rows: Vec<&Binding> = Vec::new();
    if !context.takes_text() {
        rows.extend(BINDINGS.iter().filter(|b| b.context == Context::Everywhere));
    }
    rows.extend(BINDINGS.iter().filter(|b| b.context == context));
    rows
}

/// Status-bar hints for a context, most needed first: the context's own, then (outside a
/// text field, where they would be text) the ones that work everywhere.
pub fn hints(context: Context) -> (Vec<&'static str>, Vec<&'static str>) {
    let of = |c: Context| {
        BINDINGS
            .iter()
            .filter(move |b| b.context == c)
            .filter_map(|b| b.hint)
            .collect::<Vec<_>>()
    };
    let general = if context.takes_text() {
        Vec::new()
    } else {
        of(Context::Everywhere)
    };
    (of(context), general)
}

/// Key labels in plain ASCII, for `--ascii`.
pub fn ascii_label(text: &str) -> String {
    text.replace("↑↓", "up/down")
        .replace("←→", "left/right")
        .replace('↑', "Up")
        .replace('↓', "Down")
        .replace('←', "Left")
        .replace('→', "Right")
        .replace(['–', '·'], "-")
}

/// The README's keys table, generated from the rows (`llmf keys --markdown`).
pub fn markdown_table() -> String {
    let mut out = String::from("| Key | Where | What it does |\n|---|---|---|\n");
    for b in BINDINGS {
        let keys = b
            .label
            .split(", ")
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!("| {keys} | {} | {} |\n", b.context.name(), b.help));
    }
    out
}

#[cfg(test)]
mod tests;
