//! Moving between steps and lessons, and what the progress file learns on the way: visits,
//! answers, and when a lesson is done.

use super::{App, Focus};
use crate::app::panel::PanelState;
use crate::progress::record::Record;

impl App {
    /// Puts the panel of the step being left aside (when it can be kept, see
    /// [`crate::viz::Visualizer::leave`]) and brings out the current step's: the one kept
    /// from an earlier visit, resumed, or a new one.
    fn swap_panel(&mut self) {
        let here = (self.lesson, self.step);
        let old = std::mem::replace(&mut self.panel, PanelState::None);
        if let PanelState::Viz(mut viz) = old {
            if here != self.panel_at && viz.leave() {
                self.kept.insert(self.panel_at, viz);
            } else if here == self.panel_at {
                self.panel = PanelState::Viz(viz);
                return;
            }
        }
        self.panel_at = here;
        self.panel = match self.kept.remove(&here) {
            Some(mut viz) => {
                viz.resume(&self.waker);
                PanelState::Viz(viz)
            }
            None => {
                let mut panel = PanelState::for_step(
                    self.current_step(),
                    &self.lesson().file,
                    &self.waker,
                    &self.lab,
                );
                panel.set_ascii(self.options.ascii);
                self.restore_run(&mut panel);
                panel
            }
        };
    }

    /// Notes an answer in the learner's progress and saves it.
    pub(super) fn record_answer(&mut self, quiz_id: String, correct: bool) {
        let slug = self.course.lessons[self.lesson].slug.clone();
        let rec = self
            .progress
            .lesson_mut(&slug)
            .answers
            .entry(quiz_id)
            .or_default();
        rec.first_try |= correct && rec.attempts == 0;
        rec.attempts += 1;
        rec.correct |= correct;
        self.note_done();
        // The end-of-lesson summary counts answers: lay the prose out again.
        self.prose_width = 0;
        self.save_soon();
    }

    /// Marks the open lesson done in the progress file once every step is seen and every
    /// question answered (see `crate::progress::record`); a done lesson stays done.
    pub(super) fn note_done(&mut self) {
        let lesson = &self.course.lessons[self.lesson];
        let done = Record::of(lesson, self.progress.lesson(&lesson.slug)).done();
        if done {
            let slug = lesson.slug.clone();
            self.progress.lesson_mut(&slug).done = true;
        }
    }

    /// Moves one step forward or back, crossing into the next or previous lesson at the ends.
    pub(super) fn go_step(&mut self, delta: i32) -> bool {
        let steps = self.lesson().steps.len();
        if delta > 0 {
            if self.step + 1 < steps {
                self.step += 1;
            } else if self.lesson + 1 < self.course.lessons.len() {
                self.lesson += 1;
                self.step = 0;
            } else {
                return false;
            }
        } else if self.step > 0 {
            self.step -= 1;
        } else if self.lesson > 0 {
            self.lesson -= 1;
            self.step = self.lesson().steps.len() - 1;
        } else {
            return false;
        }
        self.outline_cursor = self.lesson;
        // A new step is read first: the focus goes back to its prose.
        if self.focus == Focus::Panel {
            self.focus = Focus::Prose;
        }
        self.enter_step(true);
        true
    }

    pub(super) fn open_lesson(&mut self, index: usize) {
        self.lesson = index;
        let lesson = &self.course.lessons[index];
        self.step = self
            .progress
            .lesson(&lesson.slug)
            .map_or(0, |p| p.step.min(lesson.steps.len() - 1));
        self.enter_step(true);
    }

    /// Builds the step's panel, records the visit and, when `save`, writes progress. The
    /// caller (`update`, `open_at`, `new`) lays the new step out.
    pub(super) fn enter_step(&mut self, save: bool) {
        if self.course.lessons.is_empty() {
            return;
        }
        self.prose_scroll = 0;
        let slug = self.lesson().slug.clone();
        let step = self.step;
        self.field = None;
        self.panel_scroll = 0;
        self.swap_panel();
        self.instructions = match self.panel {
            PanelState::Viz(_) => {
                crate::course::instructions::instructions(&self.current_step().prose)
            }
            _ => None,
        };
        if self.focus == Focus::Panel && self.panel.is_none() {
            self.focus = Focus::Prose;
        }
        // A zoom carries on to the next step's panel, starting on its first figure.
        if self.panel.is_none() {
            self.zoomed = false;
        }
        self.zoom_part = self.first_zoom_part();
        self.progress.current = Some(slug.clone());
        let lp = self.progress.lesson_mut(&slug);
        lp.step = step;
        lp.visited.insert(step);
        self.note_done();
        // The new step's prose is wrapped afresh by `relayout`.
        self.prose_width = 0;
        if save {
            self.save_soon();
        }
    }
}
