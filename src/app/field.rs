//! A one-line text field that edits like a shell prompt: cursor moves, Home/End, word jumps,
//! Ctrl-W, Ctrl-U, Delete and undo, on `ratatui-textarea` (the ratatui organisation's
//! editor widget, used here only as an editing buffer; the controls widget draws the text).
//!
//! Keys reach it as [`Edit`] actions from the key table, so the table stays the one place
//! keys are defined. A paste arrives whole: newlines and tabs become spaces (a pasted text
//! is text, never commands) and the field says when it had to cut what was pasted.

use crate::app::action::Edit;
use ratatui_textarea::{CursorMove, TextArea};

pub struct Field {
    area: TextArea<'static>,
    max_chars: usize,
    /// What the learner should know about the last edit ("kept the first 2,048 characters").
    note: Option<String>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({:?})", self.text())
    }
}

impl Field {
    /// A field holding `text`, the cursor at its end.
    pub fn new(text: &str, max_chars: usize) -> Self {
        let mut area = TextArea::new(vec![one_line(text)]);
        area.move_cursor(CursorMove::End);
        Self {
            area,
            max_chars,
            note: None,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().first().cloned().unwrap_or_default()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.area.cursor().1
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn len(&self) -> usize {
        self.text().chars().count()
    }

    /// Types one character; whether the text changed.
    pub fn type_char(&mut self, c: char) -> bool {
        self.note = None;
        if c.is_control() {
            return false;
        }
        if self.len() >= self.max_chars {
            self.note = Some(format!("full: a field holds {} characters", self.max_chars));
            return true;
        }
        self.area.insert_char(c);
        true
    }

    /// Inserts a pasted text at the cursor as one edit: line breaks and tabs become spaces,
    /// other control characters are dropped, and what does not fit is cut (and said so).
    pub fn paste(&mut self, text: &str) -> bool {
        let clean = one_line(text);
        let room = self.max_chars.saturating_sub(self.len());
        let total = clean.chars().count();
        let kept: String = clean.chars().take(room).collect();
        self.note = (total > room).then(|| {
            format!(
                "pasted {total} characters, kept the first {room} (a field holds {})",
                self.max_chars
            )
        });
        let inserted = !kept.is_empty() && self.area.insert_str(kept);
        inserted || self.note.is_some()
    }

    /// Applies an editing key; whether anything (text or cursor) changed.
    pub fn edit(&mut self, op: Edit) -> bool {
        self.note = None;
        let before = (self.text(), self.cursor());
        let a = &mut self.area;
        match op {
            Edit::Left => a.move_cursor(CursorMove::Back),
            Edit::Right => a.move_cursor(CursorMove::Forward),
            Edit::WordLeft => a.move_cursor(CursorMove::WordBack),
            Edit::WordRight => a.move_cursor(CursorMove::WordForward),
            Edit::Home => a.move_cursor(CursorMove::Head),
            Edit::End => a.move_cursor(CursorMove::End),
            Edit::Backspace => {
                a.delete_char();
            }
            Edit::Delete => {
                a.delete_next_char();
            }
            Edit::DeleteWord => {
                a.delete_word();
            }
            Edit::DeleteToStart => {
                a.delete_line_by_head();
            }
            Edit::DeleteToEnd => {
                a.delete_line_by_end();
            }
            Edit::Undo => {
                a.undo();
            }
            Edit::Redo => {
                a.redo();
            }
        }
        (self.text(), self.cursor()) != before
    }
}

/// Text on one line: line breaks and tabs become spaces, other control characters go.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> Field {
        Field::new(text, 20)
    }

    #[test]
    fn edits_like_a_shell_prompt() {
        let mut f = field("the cat sat");
        assert_eq!(f.cursor(), 11, "starts at the end");
        assert!(f.edit(Edit::WordLeft));
        assert_eq!(f.cursor(), 8);
        f.type_char('x');
        assert_eq!(f.text(), "the cat xsat");
        assert!(f.edit(Edit::Home));
        assert!(f.edit(Edit::Delete));
        assert_eq!(f.text(), "he cat xsat");
        assert!(f.edit(Edit::End));
        assert!(f.edit(Edit::DeleteWord), "Ctrl-W deletes the word before");
        assert_eq!(f.text(), "he cat ");
        assert!(f.edit(Edit::Undo));
        assert_eq!(f.text(), "he cat xsat");
        f.edit(Edit::Left);
        f.edit(Edit::Left);
        assert!(f.edit(Edit::DeleteToStart));
        assert_eq!((f.text().as_str(), f.cursor()), ("at", 0));
        assert!(!f.edit(Edit::Left), "nothing before the start");
        assert!(!f.edit(Edit::Backspace));
    }

    #[test]
    fn a_paste_is_one_line_of_text_and_a_cut_is_said() {
        let mut f = field("ab");
        assert!(f.paste("c\nd\tq\u{7}"));
        assert_eq!(
            f.text(),
            "abc d q",
            "newline and tab are spaces, the bell is gone"
        );
        assert!(f.note().is_none());
        assert!(f.paste(&"z".repeat(50)));
        assert_eq!(f.text().chars().count(), 20);
        assert_eq!(
            f.note(),
            Some("pasted 50 characters, kept the first 13 (a field holds 20)")
        );
        // Full: typing says so and changes nothing.
        f.type_char('y');
        assert_eq!(f.text().chars().count(), 20);
        assert!(f.note().is_some_and(|n| n.starts_with("full")));
    }
}
