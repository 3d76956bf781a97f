//! Keys and pastes for the parts of the app that take text: a visualizer's text field (an
//! editor from `crate::app::field`), the lesson picker's search, and a pasted numeric answer.

use super::{App, Focus};
use crate::app::action::{Action, Edit};
use crate::app::panel::PanelState;
use crate::app::quiz::QuizInput;
use crate::course::QuizKind;

impl App {
    pub(super) fn update_text_entry(&mut self, action: Action) -> bool {
        if action == Action::Quit {
            return self.quit_now();
        }
        let (PanelState::Viz(viz), Some(field)) = (&mut self.panel, &mut self.field) else {
            return false;
        };
        let changed = match action {
            Action::Char(c) => field.type_char(c),
            Action::Backspace => field.edit(Edit::Backspace),
            Action::Edit(op) => field.edit(op),
            Action::Enter => {
                self.field = None;
                return viz.commit_edit();
            }
            Action::Back => {
                self.field = None;
                return viz.cancel_edit();
            }
            _ => false,
        };
        if changed {
            viz.set_edit(&field.text(), field.cursor());
        }
        changed
    }

    /// A pasted text (bracketed paste): always text, never keys. It goes into the text field
    /// being edited, the picker's search or a numeric answer, at once and with one
    /// recompute; anywhere else it is ignored.
    pub fn paste(&mut self, text: &str) -> bool {
        let changed = self.apply_paste(text);
        if changed {
            self.relayout();
        }
        changed
    }

    fn apply_paste(&mut self, text: &str) -> bool {
        self.notices.clear();
        if let Some(picker) = self.picker.as_mut() {
            let mut changed = false;
            for c in text.chars().filter(|c| !c.is_control()).take(40) {
                changed |= picker.type_char(c);
            }
            return changed;
        }
        if self.text_entry() {
            let (PanelState::Viz(viz), Some(field)) = (&mut self.panel, &mut self.field) else {
                return false;
            };
            let changed = field.paste(text);
            viz.set_edit(&field.text(), field.cursor());
            return changed;
        }
        if let PanelState::Quiz(q) = &mut self.panel {
            if matches!(q.quiz.kind, QuizKind::Numeric { .. }) {
                self.focus = Focus::Panel;
                return q.paste(text) == QuizInput::Changed;
            }
        }
        false
    }

    /// Keys while the picker is open: move, type to narrow, Enter opens, Esc closes.
    pub(super) fn update_picker(&mut self, action: Action) -> bool {
        let Some(picker) = self.picker.as_mut() else {
            return false;
        };
        let course = &self.course;
        match action {
            Action::Quit => self.quit_now(),
            Action::Back => {
                self.picker = None;
                true
            }
            Action::Up => picker.move_by(course, -1),
            Action::Down => picker.move_by(course, 1),
            Action::PageUp => picker.move_by(course, -10),
            Action::PageDown => picker.move_by(course, 10),
            Action::Top => picker.move_by(course, -10_000),
            Action::Bottom => picker.move_by(course, 10_000),
            Action::Char(c) => picker.type_char(c),
            Action::Backspace => picker.backspace(),
            Action::Enter => {
                let Some(target) = picker.chosen(course) else {
                    return false;
                };
                self.picker = None;
                if target != self.lesson {
                    self.open_lesson(target);
                }
                self.outline_cursor = self.lesson;
                self.focus = Focus::Prose;
                true
            }
            _ => false,
        }
    }
}
