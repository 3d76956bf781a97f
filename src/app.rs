//! The application state and its one `update`: every key, resize and signal arrives as an
//! [`Action`], and drawing (in `crate::ui`) only reads the state.
//!
//! The state is a tree without cycles: the app owns the step's [`PanelState`] (a visualizer or
//! a [`QuizState`], each handling its own keys), and asks `ui::layout` where things go. The
//! layout is worked out once at the end of every `update` that changed something, so drawing a
//! frame never measures anything again.

pub use crate::app::action::{Action, Edit};
pub use crate::app::panel::PanelState;
pub use crate::app::quiz::{Feedback, QuizState};

use crate::app::field::Field;
use crate::app::picker::Picker;
use crate::course::prose::{self, Line};
use crate::course::{Course, Lesson, Step};
use crate::jobs::Waker;
use crate::progress::{Progress, Store, Writer};
use crate::viz::lab::Lab;
use crate::viz::Visualizer;
use layout::Areas;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::sync::Arc;

pub mod action;
mod entry;
pub mod field;
mod focus;
pub mod layout;
pub mod panel;
pub mod picker;
pub mod quiz;
mod runs;
mod scroll;
mod steps;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Outline,
    Prose,
    Panel,
}

/// Options that shape how the app looks, fixed at start. `ui::options(ascii)` builds them
/// with the drawing code's own measure.
#[derive(Clone, Copy)]
pub struct Options {
    pub ascii: bool,
    /// How many rows a panel takes when drawn (see [`layout::Measure`]).
    pub measure: &'static dyn layout::Measure,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("ascii", &self.ascii)
            .finish_non_exhaustive()
    }
}

pub struct App {
    /// Read-only once loaded, so a server's sessions share one copy.
    course: Arc<Course>,
    lesson: usize,
    step: usize,
    focus: Focus,
    /// The learner's wish; the outline only shows where the terminal is wide enough.
    outline_wanted: bool,
    outline_cursor: usize,
    help_open: bool,
    /// The step's panel fills the terminal (`z`); it stays zoomed across steps that have one.
    zoomed: bool,
    /// While zoomed, which part of a visualizer's view is shown (see `View::zoom_parts`).
    zoom_part: usize,
    /// The lesson picker, while it is open (it takes every key until closed).
    picker: Option<Picker>,
    /// The editor of the visualizer's text field being typed into.
    field: Option<Field>,
    /// Messages from start-up (a progress file moved aside, say), shown until a key is pressed.
    notices: Vec<String>,
    size: (u16, u16),
    prose_scroll: u16,
    /// The current step's prose laid out for `prose_width`.
    prose: Vec<Line>,
    prose_width: u16,
    /// What the step asks the learner to do with its visualizer (see
    /// `course::instructions`), and those blocks laid out for the prose box when pinned.
    instructions: Option<Vec<prose::Block>>,
    pinned: Vec<Line>,
    /// Where everything goes, worked out in `relayout` when something that moves it changes,
    /// so drawing a frame does not measure the panel again.
    layout: Areas,
    panel: PanelState,
    /// The (lesson, step) the panel belongs to.
    panel_at: (usize, usize),
    /// Visualizers of steps the learner has left, with their settings and results, by
    /// (lesson, step): kept for the session, their background work stopped.
    kept: HashMap<(usize, usize), Box<Visualizer>>,
    /// Rows the panel's content takes at the panel's width, and the first one shown.
    panel_rows: u16,
    panel_scroll: u16,
    progress: Progress,
    /// Saves progress on a thread of its own, so a step change never waits for the disk.
    writer: Writer,
    /// The writer's last problem, read after every update so drawing can borrow it.
    store_warning: Option<String>,
    options: Options,
    quit: bool,
    /// Wakes the driver when a panel's background work posts; set by the driver.
    waker: Waker,
    /// This learner's lab memory (a trained model, runs): every panel of this app gets it,
    /// and no other app sees it.
    lab: Lab,
    /// The learner's data directory, where runs going or paused are saved when the app
    /// closes and found again by their step's panel ([`crate::viz::run::saved`]); `None`
    /// when progress is kept in memory only.
    data_dir: Option<std::path::PathBuf>,
}

impl App {
    /// Opens the course where the learner left off (or at the start). The course is a
    /// `Course` of its own or an `Arc` shared with other sessions (`llmf serve`).
    pub fn new(
        course: impl Into<Arc<Course>>,
        progress: Progress,
        store: Store,
        options: Options,
        size: (u16, u16),
    ) -> Self {
        let course = course.into();
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
            zoomed: false,
            zoom_part: 0,
            picker: None,
            field: None,
            notices: Vec::new(),
            size,
            prose_scroll: 0,
            prose: Vec::new(),
            prose_width: 0,
            instructions: None,
            pinned: Vec::new(),
            layout: Areas::default(),
            panel: PanelState::None,
            panel_at: (lesson, step),
            kept: HashMap::new(),
            panel_rows: 0,
            panel_scroll: 0,
            progress,
            store_warning: store.warning.clone(),
            data_dir: store.dir().map(std::path::Path::to_path_buf),
            writer: Writer::new(store),
            options,
            quit: false,
            waker: Waker::none(),
            lab: Lab::new(),
        };
        app.enter_step(false);
        app.relayout();
        app
    }

    // ---- Reading the state (what drawing and tests need) ----

    pub fn course(&self) -> &Course {
        &self.course
    }

    /// The course, to share with another thread (one that parses the lessons not yet
    /// opened, say: see `Course::parse_all`).
    pub fn shared_course(&self) -> Arc<Course> {
        Arc::clone(&self.course)
    }

    pub fn lesson(&self) -> &Lesson {
        &self.course.lessons[self.lesson]
    }

    pub fn current_step(&self) -> &Step {
        &self.lesson().steps[self.step]
    }

    /// Where the learner is: (lesson index, step index), both 0-based.
    pub fn position(&self) -> (usize, usize) {
        (self.lesson, self.step)
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The lesson highlighted in the outline (it opens on Enter).
    pub fn outline_cursor(&self) -> usize {
        self.outline_cursor
    }

    pub fn help_open(&self) -> bool {
        self.help_open
    }

    /// Whether the step's panel fills the terminal.
    pub fn zoomed(&self) -> bool {
        self.zoomed
    }

    /// While zoomed, the part of the visualizer's view on screen (an index into
    /// `View::zoom_parts`, kept in range by drawing).
    pub fn zoom_part(&self) -> usize {
        self.zoom_part
    }

    /// The lesson picker, when open.
    pub fn picker(&self) -> Option<&Picker> {
        self.picker.as_ref()
    }

    /// What the text field being edited has to say (a paste that was cut, say).
    pub fn field_note(&self) -> Option<&str> {
        self.field.as_ref().and_then(Field::note)
    }

    /// Start-up messages shown until a key is pressed.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// The first prose line on screen.
    pub fn prose_scroll(&self) -> u16 {
        self.prose_scroll
    }

    /// The current step's prose, wrapped for the prose column.
    pub fn prose(&self) -> &[Line] {
        &self.prose
    }

    pub fn panel(&self) -> &PanelState {
        &self.panel
    }

    /// Rows the panel's content needs at the panel's width (more than its box: it scrolls).
    pub fn panel_rows(&self) -> u16 {
        self.panel_rows
    }

    /// The first row of the panel's content on screen.
    pub fn panel_scroll(&self) -> u16 {
        self.panel_scroll
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// Why progress could not be saved, if it could not.
    pub fn store_warning(&self) -> Option<&str> {
        self.store_warning.as_deref()
    }

    /// Whether the learner asked to quit (progress is already saved).
    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// The layout for the current state (kept up to date by `relayout`).
    pub fn areas(&self) -> Areas {
        self.layout
    }

    /// The layout worked out afresh; `areas()` must always equal it (tests check this).
    pub fn compute_areas(&self) -> Areas {
        let size = Rect::new(0, 0, self.size.0, self.size.1);
        if self.zoomed && !self.panel.is_none() {
            return layout::zoomed(size);
        }
        let ascii = self.options.ascii;
        let pinned_rows = |width: u16| {
            let rows = prose::layout(&self.pinned_blocks(width), usize::from(width), ascii).len();
            u16::try_from(rows).unwrap_or(u16::MAX)
        };
        layout::areas_for(
            size,
            self.outline_wanted,
            &self.panel,
            self.focus == Focus::Panel,
            self.options,
            &pinned_rows,
            self.prose_is_empty(),
        )
    }

    /// Whether the step has no prose to show (a question step holding only its question; the
    /// last step of a lesson always has its summary).
    pub fn prose_is_empty(&self) -> bool {
        !self.course.lessons.is_empty()
            && self.current_step().prose.is_empty()
            && self.step + 1 < self.lesson().steps.len()
    }

    /// The step's instructions as the prose box pins them at `width` (cut to first sentences
    /// when whole they would not fit), or nothing when the step has none.
    fn pinned_blocks(&self, width: u16) -> Vec<prose::Block> {
        self.instructions
            .as_deref()
            .map_or_else(Vec::new, |blocks| {
                crate::course::instructions::pinned(
                    blocks,
                    usize::from(width),
                    usize::from(layout::max_pinned_rows(self.size.1)),
                    self.options.ascii,
                )
            })
    }

    /// The step's instructions laid out for the prose box, while they are pinned there (the
    /// panel has the focus in the stacked layout).
    pub fn pinned(&self) -> Option<&[Line]> {
        self.layout.pinned.then_some(self.pinned.as_slice())
    }

    /// Whether the outline is on screen now.
    pub fn outline_shown(&self) -> bool {
        self.areas().outline.is_some()
    }

    /// This learner's lab memory (what their panels keep for the session).
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Whether a visualizer has background work under way.
    pub fn busy(&self) -> bool {
        self.panel.busy()
    }

    /// Gives the app the driver's waker, so panels' background work wakes the driver's loop
    /// (instead of the loop polling on a timer). The current panel is built again with it.
    pub fn set_waker(&mut self, waker: Waker) {
        self.waker = waker;
        if !self.course.lessons.is_empty() {
            let mut panel = PanelState::for_step(
                self.current_step(),
                &self.lesson().file,
                &self.waker,
                &self.lab,
            );
            panel.set_ascii(self.options.ascii);
            // A run saved in an earlier session comes back in this panel too.
            self.restore_run(&mut panel);
            self.panel = panel;
        }
    }

    /// Whether keys are being typed into a visualizer's text field.
    pub fn text_entry(&self) -> bool {
        self.focus == Focus::Panel && self.panel.is_editing()
    }

    pub fn prose_height(&self) -> u16 {
        self.areas().prose_text.height
    }

    // ---- Changing it ----

    /// Adds messages to show over the screen until the next key.
    pub fn add_notices(&mut self, notices: impl IntoIterator<Item = String>) {
        self.notices.extend(notices);
    }

    /// Writes progress now (a signal, a closed terminal, the end of the session).
    pub fn save(&mut self) {
        self.writer.save_now(&mut self.progress);
        self.store_warning = self.writer.warning();
    }

    /// The session ends (the learner quit, the terminal closed, a signal, the end of an ssh
    /// session): every run going or paused is saved to the learner's data directory, to
    /// resume from where it was next time, and progress is written. Safe to call twice.
    pub fn end(&mut self) {
        let problems = self.suspend_runs();
        self.save();
        if self.store_warning.is_none() {
            self.store_warning = problems.into_iter().next();
        }
    }

    /// Queues a save for the writer thread: the key path does not wait for the disk.
    fn save_soon(&mut self) {
        self.writer.save_soon(&self.progress);
        self.store_warning = self.writer.warning();
    }

    /// Opens a lesson at a step (0-based, clamped), as `llmf render` and tests need.
    pub fn open_at(&mut self, lesson: usize, step: usize) {
        self.lesson = lesson.min(self.course.lessons.len().saturating_sub(1));
        self.step = step.min(self.lesson().steps.len().saturating_sub(1));
        self.outline_cursor = self.lesson;
        self.enter_step(false);
        self.relayout();
    }

    /// Applies one action; returns whether anything visible changed (and so a redraw is due).
    /// The layout is worked out again once, here, whenever something changed.
    pub fn update(&mut self, action: Action) -> bool {
        let warning_before = self.store_warning.is_some();
        self.store_warning = self.writer.warning();
        let changed = self.apply(action) || warning_before != self.store_warning.is_some();
        if changed {
            self.relayout();
        }
        changed
    }

    fn apply(&mut self, action: Action) -> bool {
        // A start-up notice closes on the next key, and that key still does its job (q still
        // quits); only Esc and Enter, the keys that answer a notice, stop there.
        if !self.notices.is_empty() && !matches!(action, Action::Resize(..) | Action::Tick) {
            self.notices.clear();
            if matches!(action, Action::Back | Action::Enter) {
                return true;
            }
            self.apply(action);
            return true;
        }
        match action {
            Action::Tick => return self.panel.poll(),
            Action::Resize(w, h) => {
                let changed = (w, h) != self.size;
                self.size = (w, h);
                return changed;
            }
            _ => {}
        }
        if self.picker.is_some() {
            return self.update_picker(action);
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
            Action::Back if self.zoomed => self.toggle_zoom(),
            Action::Back => self.set_focus(Focus::Prose),
            Action::NextStep => self.go_step(1),
            Action::PrevStep => self.go_step(-1),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::OpenPicker => {
                self.help_open = false;
                self.picker = Some(Picker::new(&self.course, self.lesson));
                true
            }
            Action::ToggleOutline => {
                self.outline_wanted = !self.outline_wanted;
                self.outline_cursor = self.lesson;
                true
            }
            Action::ToggleZoom => self.toggle_zoom(),
            Action::PanelUp if self.zoomed => self.page_zoom(-1),
            Action::PanelDown if self.zoomed => self.page_zoom(1),
            Action::PanelUp => self.scroll_panel(-1),
            Action::PanelDown => self.scroll_panel(1),
            Action::ScrollUp => self.scroll_by(-3),
            Action::ScrollDown => self.scroll_by(3),
            _ => match self.focus {
                Focus::Outline => self.update_outline(action),
                Focus::Prose => self.update_prose(action),
                Focus::Panel => self.update_panel(action),
            },
        }
    }

    /// Saves progress and asks the driver to end the session.
    fn quit_now(&mut self) -> bool {
        self.save();
        self.quit = true;
        true
    }

    /// Works out the layout for the state, re-wraps the prose if its width changed, and keeps
    /// the scroll in range.
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
        if self.layout.zoomed {
            // No prose box: the prose keeps its wrapping and scroll for the way back.
            self.panel_rows = self.layout.panel_inner.map_or(0, |inner| {
                layout::panel_needs(&self.panel, inner.width, self.options)
            });
            self.panel_scroll = self.panel_scroll.min(self.max_panel_scroll());
            return;
        }
        if width != self.prose_width {
            let mut blocks = self.current_step().prose.clone();
            // The last step of a lesson ends with what the learner did in it.
            if self.step + 1 == self.lesson().steps.len() {
                blocks.extend(crate::progress::record::summary(
                    &self.course,
                    self.lesson,
                    &self.progress,
                ));
            }
            self.prose = prose::layout(&blocks, usize::from(width), self.options.ascii);
            self.prose_width = width;
        }
        self.pinned = if self.layout.pinned {
            prose::layout(
                &self.pinned_blocks(width),
                usize::from(width),
                self.options.ascii,
            )
        } else {
            Vec::new()
        };
        self.prose_scroll = self.prose_scroll.min(self.max_scroll());
        self.panel_rows = self.layout.panel_inner.map_or(0, |inner| {
            layout::panel_needs(&self.panel, inner.width, self.options)
        });
        self.panel_scroll = self.panel_scroll.min(self.max_panel_scroll());
    }
}
