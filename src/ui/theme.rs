//! Every style the UI uses, in one place.
//!
//! Colour is never the only signal: selection and emphasis also carry a modifier (bold, reverse,
//! underline), so a `NO_COLOR` theme keeps every distinction by dropping only the colours.

use ratatui::style::{Color, Modifier, Style};

/// The styles of one theme plus the glyph set (Unicode or plain ASCII).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub ascii: bool,
    pub text: Style,
    pub dim: Style,
    pub bold: Style,
    pub italic: Style,
    pub code: Style,
    pub heading: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub highlight: Style,
    pub highlight_soft: Style,
    pub good: Style,
    pub bad: Style,
    pub status: Style,
    pub key: Style,
    pub bar: Style,
    pub series: [Style; 4],
}

impl Theme {
    /// The colour theme; `no_color` keeps the modifiers and drops every colour.
    pub fn new(no_color: bool, ascii: bool) -> Self {
        let c = |color: Color| {
            if no_color {
                Style::new()
            } else {
                Style::new().fg(color)
            }
        };
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Self {
            ascii,
            text: Style::new(),
            dim: if no_color {
                Style::new()
            } else {
                Style::new().add_modifier(Modifier::DIM)
            },
            bold,
            italic: Style::new().add_modifier(Modifier::ITALIC),
            code: c(Color::Yellow),
            heading: c(Color::Cyan).add_modifier(Modifier::BOLD),
            title: c(Color::Cyan).add_modifier(Modifier::BOLD),
            border: c(Color::DarkGray),
            border_focused: c(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            highlight: c(Color::Yellow).add_modifier(Modifier::BOLD | Modifier::REVERSED),
            highlight_soft: c(Color::Yellow).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            good: c(Color::Green).add_modifier(Modifier::BOLD),
            bad: c(Color::Red).add_modifier(Modifier::BOLD),
            status: Style::new().add_modifier(Modifier::REVERSED),
            key: c(Color::Cyan).add_modifier(Modifier::BOLD),
            bar: c(Color::Blue),
            series: [
                c(Color::Cyan),
                c(Color::Magenta),
                c(Color::Green),
                c(Color::Yellow),
            ],
        }
    }

    /// A theme with colours and Unicode glyphs, for tests and benchmarks.
    pub fn default_color() -> Self {
        Self::new(false, false)
    }
}
