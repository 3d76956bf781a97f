//! Where a key goes: the focus (outline, prose, panel), zooming the panel, and each focus's
//! own handling of the keys `App::apply` does not take for everyone.

use super::field::Field;
use super::quiz::QuizInput;
use super::{Action, App, Focus, PanelState};

impl App {
    /// Zooms the step's panel onto the whole terminal (giving it the focus, so its keys
    /// work), or back. A step without a panel has nothing to zoom.
    pub(super) fn toggle_zoom(&mut self) -> bool {
        if self.zoomed {
            self.zoomed = false;
            return true;
        }
        if self.panel.is_none() {
            return false;
        }
        self.zoomed = true;
        self.zoom_part = self.first_zoom_part();
        self.focus = Focus::Panel;
        true
    }

    /// The part a zoom starts on: the view's first figure, else its first part.
    pub(super) fn first_zoom_part(&self) -> usize {
        match &self.panel {
            PanelState::Viz(v) => v.view().first_figure(),
            _ => 0,
        }
    }

    /// While zoomed, `[` and `]` page through a visualizer's parts (a question or message
    /// has one part, which scrolls instead).
    pub(super) fn page_zoom(&mut self, delta: i32) -> bool {
        let PanelState::Viz(v) = &self.panel else {
            return self.scroll_panel(delta);
        };
        let n = v.view().zoom_parts().len();
        if n == 0 {
            return false;
        }
        let at = self.zoom_part.min(n - 1);
        let next = usize::try_from((i64::try_from(at).unwrap_or(0) + i64::from(delta)).max(0))
            .unwrap_or(0)
            .min(n - 1);
        let changed = next != self.zoom_part;
        self.zoom_part = next;
        changed
    }

    pub(super) fn set_focus(&mut self, focus: Focus) -> bool {
        let changed = self.focus != focus;
        self.focus = focus;
        changed
    }

    pub(super) fn focus_order(&self) -> Vec<Focus> {
        let mut order = Vec::new();
        if self.outline_shown() {
            order.push(Focus::Outline);
        }
        order.push(Focus::Prose);
        if !self.panel.is_none() {
            order.push(Focus::Panel);
        }
        order
    }

    pub(super) fn cycle_focus(&mut self, delta: i32) -> bool {
        let order = self.focus_order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0) as i32;
        let next = (at + delta).rem_euclid(order.len() as i32) as usize;
        if order[next] == Focus::Outline {
            self.outline_cursor = self.lesson;
        }
        self.set_focus(order[next])
    }

    pub(super) fn update_outline(&mut self, action: Action) -> bool {
        let n = self.course.lessons.len();
        let old = self.outline_cursor;
        match action {
            Action::Up => self.outline_cursor = self.outline_cursor.saturating_sub(1),
            Action::Down => self.outline_cursor = (self.outline_cursor + 1).min(n - 1),
            Action::Top | Action::PageUp => self.outline_cursor = 0,
            Action::Bottom | Action::PageDown => self.outline_cursor = n - 1,
            Action::Left => return self.go_step(-1),
            Action::Right => return self.go_step(1),
            Action::Enter => {
                let target = self.outline_cursor;
                if target != self.lesson {
                    self.open_lesson(target);
                }
                self.focus = Focus::Prose;
                return true;
            }
            _ => return false,
        }
        old != self.outline_cursor
    }

    pub(super) fn update_prose(&mut self, action: Action) -> bool {
        let page = i32::from(self.prose_height().saturating_sub(1).max(1));
        match action {
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-page),
            Action::PageDown => self.scroll_by(page),
            Action::Top => self.scroll_to(0),
            Action::Bottom => self.scroll_to(u16::MAX),
            Action::Left => self.go_step(-1),
            Action::Right => self.go_step(1),
            // Into the panel; a step without one has nothing for Enter (n moves on), so the
            // learner never skips a step by a key that means "answer" elsewhere.
            Action::Enter if self.panel.is_none() => false,
            Action::Enter => self.set_focus(Focus::Panel),
            // Typing an answer (or a choice number) on a question step goes straight to it.
            Action::Char(_) if matches!(self.panel, PanelState::Quiz(_)) => {
                self.set_focus(Focus::Panel);
                self.update_panel(action);
                true
            }
            _ => false,
        }
    }

    pub(super) fn update_panel(&mut self, action: Action) -> bool {
        match &mut self.panel {
            PanelState::Viz(viz) => match action {
                Action::Enter => match viz.begin_edit() {
                    Some(text) => {
                        self.field = Some(Field::new(&text, crate::viz::MAX_FIELD_CHARS));
                        true
                    }
                    None => viz.press(),
                },
                Action::Up => viz.select(-1),
                Action::Down => viz.select(1),
                Action::Left => viz.adjust(-1),
                Action::Right => viz.adjust(1),
                // Up means more, as ↑ and → do: PgUp raises a value, PgDn lowers it.
                Action::PageUp => viz.adjust(10),
                Action::PageDown => viz.adjust(-10),
                Action::Top => viz.select(-1000),
                Action::Bottom => viz.select(1000),
                Action::ClearRuns => viz.clear_history(),
                _ => false,
            },
            PanelState::Quiz(q) => match q.handle(action) {
                QuizInput::Unchanged => false,
                QuizInput::Changed => true,
                QuizInput::Answered { correct } => {
                    let id = q.quiz.id.clone();
                    self.record_answer(id, correct);
                    true
                }
                QuizInput::Ignored => self.step_keys(action),
            },
            PanelState::Broken(_) | PanelState::None => self.step_keys(action),
        }
    }

    /// ← and → move between steps where nothing else uses them.
    pub(super) fn step_keys(&mut self, action: Action) -> bool {
        match action {
            Action::Left => self.go_step(-1),
            Action::Right => self.go_step(1),
            _ => false,
        }
    }
}
