//! The one key table. Every binding is a row of data — its keys, where it works, what it does,
//! a short hint and a line of help — and everything about keys is derived from the rows: the
//! lookup from a terminal event to an [`Action`], the `?` help overlay, the hints in the status
//! bar and the keys table in README.md (`llmf keys --markdown`; a test keeps them equal).
//!
//! Outside a text field a key means the same action everywhere (a test holds the table to
//! that) and the app reads the action by focus; a row's [`Context`] says where the key does
//! something worth telling, for the help and the hints. In a text field every printable key is
//! text, so only the [`Context::Typing`] rows apply there.

use crate::app::action::Action;
use crate::app::panel::PanelState;
use crate::app::{App, Focus};
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
    /// A multiple-choice question has the focus.
    Question,
    /// A numeric question's answer box has the focus: every character is typed into it.
    Answer,
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
            (Focus::Panel, PanelState::Quiz(q)) if q.is_numeric() => Self::Answer,
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
            Self::Answer => "answer box",
        }
    }

    /// Contexts where printable keys are text: only their own rows apply there.
    pub fn takes_text(self) -> bool {
        matches!(self, Self::Typing | Self::Picker | Self::Answer)
    }
}

/// A key a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key, whatever modifiers come with it (Shift arrives with capitals).
    Press(KeyCode),
    /// This letter with Ctrl held.
    Ctrl(char),
    /// This key with Alt held.
    Alt(KeyCode),
    /// This key with Ctrl held (Ctrl-← jumps a word).
    CtrlKey(KeyCode),
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

mod table;
pub use table::BINDINGS;

use Does::{Act, TypeIt};
use Key::{Alt, Ctrl, CtrlKey, NumberChar, Press, Printable};

impl Key {
    fn matches(self, key: &KeyEvent) -> Option<char> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match (self, key.code) {
            (Press(code), pressed) if code == pressed => Some('\0'),
            (Alt(code), pressed) if alt && code == pressed => Some('\0'),
            (CtrlKey(code), pressed) if ctrl && code == pressed => Some('\0'),
            (Ctrl(c), KeyCode::Char(p)) if ctrl && p.eq_ignore_ascii_case(&c) => Some(p),
            (NumberChar, KeyCode::Char(c))
                if c.is_ascii_digit() || matches!(c, '.' | ',' | '/' | '-' | '+' | 'e' | 'E') =>
            {
                Some(c)
            }
            (Printable, KeyCode::Char(c)) if !ctrl && !alt => Some(c),
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
