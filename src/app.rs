//! The application state and its one `update`: every key, resize and signal arrives as an
//! [`Action`], and drawing (in `crate::ui`) only reads the state.

use crate::course::prose::{self, Line};
use crate::course::{Answer, Course, Panel, Quiz, QuizKind};
use crate::progress::{Progress, Store};
use crate::ui::layout::{self, Areas};
use crate::viz::Visualizer;
use ratatui::layout::Rect;

/// Everything the learner can ask for. Keys, the mouse and the terminal map onto these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Quit,
    NextStep,
    PrevStep,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Mouse wheel over the screen: scroll the prose.
    ScrollUp,
    ScrollDown,
    FocusNext,
    FocusPrev,
    ToggleOutline,
    ToggleHelp,
    /// Esc: close whatever is open.
    Back,
    Enter,
    /// A digit or number character typed (numeric answers, choice numbers).
    Char(char),
    Backspace,
    Resize(u16, u16),
    /// Time passed while background work runs: collect its results.
    Tick,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Outline,
    Prose,
    Panel,
}

/// What stands beside the prose for the current step, with its live state.
#[derive(Debug)]
pub enum PanelState {
    None,
    Viz(Box<Visualizer>),
    /// A visualizer whose parameters are wrong (only with `--lessons`; `llmf check` finds these).
    Broken(String),
    Quiz(QuizState),
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuizState {
    pub quiz: Quiz,
    /// The highlighted choice.
    pub selected: usize,
    /// What the learner has typed for a numeric answer.
    pub input: String,
    pub feedback: Option<Feedback>,
    /// Wrong attempts on this visit; the explanation shows after a right answer or two misses.
    pub misses: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Feedback {
    Correct,
    Wrong,
    /// The typed text is not a number.
    NotANumber,
}

impl QuizState {
    pub fn show_explanation(&self) -> bool {
        self.feedback == Some(Feedback::Correct) || self.misses >= 2
    }
}

/// Options that shape how the app looks, fixed at start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub ascii: bool,
}

pub struct App {
    pub course: Course,
    pub lesson: usize,
    pub step: usize,
    pub focus: Focus,
    /// The learner's wish; the outline only shows where the terminal is wide enough.
    pub outline_wanted: bool,
    pub outline_cursor: usize,
    pub help_open: bool,
    /// Messages from start-up (a progress file moved aside, say), shown until a key is pressed.
    pub notices: Vec<String>,
    pub size: (u16, u16),
    pub prose_scroll: u16,
    /// The current step's prose laid out for `prose_width`.
    pub prose: Vec<Line>,
    prose_width: u16,
    /// Where everything goes, worked out in `relayout` when something that moves it changes,
    /// so drawing a frame does not measure the panel again.
    layout: Areas,
    pub panel: PanelState,
    pub progress: Progress,
    pub store: Store,
    pub options: Options,
    pub quit: bool,
}

impl App {
    /// Opens the course where the learner left off (or at the start).
    pub fn new(
        course: Course,
        progress: Progress,
        store: Store,
        options: Options,
        size: (u16, u16),
    ) -> Self {
        let lesson = progress
            .current
            .as_deref()
            .and_then(|slug| course.lesson_by_slug(slug))
            .unwrap_or(0);
        let step = course.lessons.get(lesson).map_or(0, |l| {
            progress
                .lesson(&l.slug)
                .map_or(0, |p| p.step.min(l.steps.len().saturating_sub(1)))
        });
        let mut app = Self {
            course,
            lesson,
            step,
            focus: Focus::Prose,
            outline_wanted: true,
            outline_cursor: lesson,
            help_open: false,
            notices: Vec::new(),
            size,
            prose_scroll: 0,
            prose: Vec::new(),
            prose_width: 0,
            layout: Areas::default(),
            panel: PanelState::None,
            progress,
            store,
            options,
            quit: false,
        };
        app.enter_step(false);
        app
    }

    pub fn lesson(&self) -> &crate::course::Lesson {
        &self.course.lessons[self.lesson]
    }

    pub fn current_step(&self) -> &crate::course::Step {
        &self.lesson().steps[self.step]
    }

    /// The layout for the current state (kept up to date by `relayout`).
    pub fn areas(&self) -> Areas {
        self.layout
    }

    /// The layout worked out afresh; `areas()` must always equal it (tests check this).
    pub fn compute_areas(&self) -> Areas {
        layout::areas(
            Rect::new(0, 0, self.size.0, self.size.1),
            self.outline_wanted,
            &self.panel,
            self.focus == Focus::Panel,
            self.options.ascii,
        )
    }

    /// Whether the outline is on screen now.
    pub fn outline_shown(&self) -> bool {
        self.areas().outline.is_some()
    }

    /// Applies one action; returns whether anything visible changed (and so a redraw is due).
    pub fn update(&mut self, action: Action) -> bool {
        if !self.notices.is_empty() && !matches!(action, Action::Resize(..)) {
            self.notices.clear();
            return true;
        }
        if action == Action::Tick {
            return self.poll_background();
        }
        if let Action::Resize(w, h) = action {
            if (w, h) == self.size {
                return false;
            }
            self.size = (w, h);
            self.relayout();
            return true;
        }
        if self.text_entry() {
            return self.update_text_entry(action);
        }
        if self.help_open {
            return match action {
                Action::ToggleHelp | Action::Back | Action::Enter => {
                    self.help_open = false;
                    true
                }
                Action::Quit => self.quit_now(),
                _ => false,
            };
        }
        match action {
            Action::Quit => self.quit_now(),
            Action::ToggleHelp => {
                self.help_open = true;
                true
            }
            Action::Back => self.set_focus(Focus::Prose),
            Action::NextStep => self.go_step(1),
            Action::PrevStep => self.go_step(-1),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::ToggleOutline => {
                self.outline_wanted = !self.outline_wanted;
                self.relayout();
                self.outline_cursor = self.lesson;
                true
            }
            Action::ScrollUp => self.scroll_by(-3),
            Action::ScrollDown => self.scroll_by(3),
            _ => match self.focus {
                Focus::Outline => self.update_outline(action),
                Focus::Prose => self.update_prose(action),
                Focus::Panel => self.update_panel(action),
            },
        }
    }

    /// Whether a visualizer has background work under way, so the event loop should tick.
    pub fn busy(&self) -> bool {
        matches!(&self.panel, PanelState::Viz(v) if v.busy())
    }

    fn poll_background(&mut self) -> bool {
        let changed = match &mut self.panel {
            PanelState::Viz(v) => v.poll(),
            _ => false,
        };
        if changed {
            self.relayout();
        }
        changed
    }

    /// Whether keys are being typed into a visualizer's text field.
    pub fn text_entry(&self) -> bool {
        self.focus == Focus::Panel && matches!(&self.panel, PanelState::Viz(v) if v.is_editing())
    }

    fn update_text_entry(&mut self, action: Action) -> bool {
        let PanelState::Viz(viz) = &mut self.panel else {
            return false;
        };
        let changed = match action {
            Action::Char(c) => viz.type_char(c),
            Action::Backspace => viz.backspace(),
            Action::Enter => viz.commit_edit(),
            Action::Back => viz.cancel_edit(),
            Action::Quit => return self.quit_now(),
            _ => false,
        };
        if changed {
            self.relayout();
        }
        changed
    }

    fn quit_now(&mut self) -> bool {
        self.save();
        self.quit = true;
        true
    }

    fn set_focus(&mut self, focus: Focus) -> bool {
        let changed = self.focus != focus;
        self.focus = focus;
        if changed {
            // The split between prose and a stacked panel follows the focus.
            self.relayout();
        }
        changed
    }

    /// Opens a lesson at a step (0-based, clamped), as `llmf render` and tests need.
    pub fn open_at(&mut self, lesson: usize, step: usize) {
        self.lesson = lesson.min(self.course.lessons.len().saturating_sub(1));
        self.step = step.min(self.lesson().steps.len().saturating_sub(1));
        self.outline_cursor = self.lesson;
        self.enter_step(false);
    }

    fn focus_order(&self) -> Vec<Focus> {
        let mut order = Vec::new();
        if self.outline_shown() {
            order.push(Focus::Outline);
        }
        order.push(Focus::Prose);
        if !matches!(self.panel, PanelState::None) {
            order.push(Focus::Panel);
        }
        order
    }

    fn cycle_focus(&mut self, delta: i32) -> bool {
        let order = self.focus_order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0) as i32;
        let next = (at + delta).rem_euclid(order.len() as i32) as usize;
        if order[next] == Focus::Outline {
            self.outline_cursor = self.lesson;
        }
        self.set_focus(order[next])
    }

    fn update_outline(&mut self, action: Action) -> bool {
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

    fn update_prose(&mut self, action: Action) -> bool {
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
            Action::Enter => {
                if matches!(self.panel, PanelState::None) {
                    self.go_step(1)
                } else {
                    self.set_focus(Focus::Panel)
                }
            }
            // Typing an answer (or a choice number) on a question step goes straight to it.
            Action::Char(_) if matches!(self.panel, PanelState::Quiz(_)) => {
                self.set_focus(Focus::Panel);
                self.update_quiz(action);
                true
            }
            _ => false,
        }
    }

    fn update_panel(&mut self, action: Action) -> bool {
        let changed = match &mut self.panel {
            PanelState::Viz(viz) => match action {
                Action::Enter => viz.begin_edit(),
                Action::Up => viz.select(-1),
                Action::Down => viz.select(1),
                Action::Left => viz.adjust(-1),
                Action::Right => viz.adjust(1),
                Action::PageUp => viz.adjust(-10),
                Action::PageDown => viz.adjust(10),
                Action::Top => viz.select(-1000),
                Action::Bottom => viz.select(1000),
                _ => false,
            },
            PanelState::Quiz(_) => return self.update_quiz(action),
            PanelState::Broken(_) | PanelState::None => match action {
                Action::Left => return self.go_step(-1),
                Action::Right => return self.go_step(1),
                _ => false,
            },
        };
        if changed {
            // A taller or shorter view moves the split between prose and panel.
            self.relayout();
        }
        changed
    }

    fn update_quiz(&mut self, action: Action) -> bool {
        let PanelState::Quiz(q) = &mut self.panel else {
            return false;
        };
        let numeric = matches!(q.quiz.kind, QuizKind::Numeric { .. });
        let n_choices = match &q.quiz.kind {
            QuizKind::Choice { choices, .. } => choices.len(),
            QuizKind::Numeric { .. } => 0,
        };
        let changed = match action {
            Action::Up if !numeric => {
                let old = q.selected;
                q.selected = q.selected.saturating_sub(1);
                old != q.selected
            }
            Action::Down if !numeric => {
                let old = q.selected;
                q.selected = (q.selected + 1).min(n_choices.saturating_sub(1));
                old != q.selected
            }
            Action::Char(c) if numeric && q.input.chars().count() < 24 => {
                q.input.push(c);
                q.feedback = None;
                true
            }
            Action::Char(c) if !numeric => match c.to_digit(10) {
                Some(d) if d >= 1 && (d as usize) <= n_choices => {
                    let old = q.selected;
                    q.selected = d as usize - 1;
                    old != q.selected
                }
                _ => false,
            },
            Action::Backspace if numeric => q.input.pop().is_some(),
            Action::Enter => {
                let answer = if numeric {
                    match q.input.trim().replace(',', "").parse::<f64>() {
                        Ok(x) if x.is_finite() => Some(Answer::Number(x)),
                        _ => None,
                    }
                } else {
                    Some(Answer::Choice(q.selected))
                };
                match answer {
                    None => q.feedback = Some(Feedback::NotANumber),
                    Some(a) => {
                        let correct = q.quiz.is_correct(&a);
                        q.feedback = Some(if correct {
                            Feedback::Correct
                        } else {
                            Feedback::Wrong
                        });
                        if !correct {
                            q.misses += 1;
                        }
                        let id = q.quiz.id.clone();
                        let slug = self.course.lessons[self.lesson].slug.clone();
                        let rec = self
                            .progress
                            .lesson_mut(&slug)
                            .answers
                            .entry(id)
                            .or_default();
                        rec.first_try |= correct && rec.attempts == 0;
                        rec.attempts += 1;
                        rec.correct |= correct;
                        self.save();
                    }
                }
                true
            }
            Action::Left => return self.go_step(-1),
            Action::Right => return self.go_step(1),
            _ => false,
        };
        if changed {
            self.relayout();
        }
        changed
    }

    /// Moves one step forward or back, crossing into the next or previous lesson at the ends.
    fn go_step(&mut self, delta: i32) -> bool {
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

    fn open_lesson(&mut self, index: usize) {
        self.lesson = index;
        let lesson = &self.course.lessons[index];
        self.step = self
            .progress
            .lesson(&lesson.slug)
            .map_or(0, |p| p.step.min(lesson.steps.len() - 1));
        self.enter_step(true);
    }

    /// Builds the step's panel, records the visit and, when `save`, writes progress.
    fn enter_step(&mut self, save: bool) {
        if self.course.lessons.is_empty() {
            return;
        }
        self.prose_scroll = 0;
        let slug = self.lesson().slug.clone();
        let last = self.lesson().steps.len() - 1;
        let step = self.step;
        self.panel = match &self.current_step().panel {
            None => PanelState::None,
            Some(Panel::Viz(spec)) => match Visualizer::build(spec) {
                Ok(v) => PanelState::Viz(Box::new(v)),
                Err(e) => PanelState::Broken(format!("{}:{}: {e}", self.lesson().file, spec.line)),
            },
            Some(Panel::Quiz(quiz)) => PanelState::Quiz(QuizState {
                quiz: quiz.clone(),
                selected: 0,
                input: String::new(),
                feedback: None,
                misses: 0,
            }),
        };
        if self.focus == Focus::Panel && matches!(self.panel, PanelState::None) {
            self.focus = Focus::Prose;
        }
        self.progress.current = Some(slug.clone());
        let lp = self.progress.lesson_mut(&slug);
        lp.step = step;
        lp.visited.insert(step);
        if step == last {
            lp.done = true;
        }
        self.prose_width = 0;
        self.relayout();
        if save {
            self.save();
        }
    }

    pub fn save(&mut self) {
        self.store.save(&mut self.progress);
    }

    /// Re-wraps the prose if its width changed, and keeps the scroll in range.
    fn relayout(&mut self) {
        self.layout = self.compute_areas();
        // A hidden outline (toggled off, or the terminal got narrower) cannot keep the focus.
        // Outline and prose focus lay out alike, so the layout stands.
        if self.focus == Focus::Outline && self.layout.outline.is_none() {
            self.focus = Focus::Prose;
        }
        if self.course.lessons.is_empty() {
            return;
        }
        let width = self.layout.prose_text.width;
        if width != self.prose_width {
            self.prose = prose::layout(
                &self.current_step().prose,
                usize::from(width),
                self.options.ascii,
            );
            self.prose_width = width;
        }
        self.prose_scroll = self.prose_scroll.min(self.max_scroll());
    }

    pub fn prose_height(&self) -> u16 {
        self.areas().prose_text.height
    }

    fn max_scroll(&self) -> u16 {
        let lines = u16::try_from(self.prose.len()).unwrap_or(u16::MAX);
        lines.saturating_sub(self.prose_height())
    }

    fn scroll_by(&mut self, delta: i32) -> bool {
        let target = (i32::from(self.prose_scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
        self.scroll_to(target)
    }

    fn scroll_to(&mut self, target: u16) -> bool {
        let new = target.min(self.max_scroll());
        let changed = new != self.prose_scroll;
        self.prose_scroll = new;
        changed
    }
}
