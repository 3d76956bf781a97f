//! Visualizers: each kind reads its parameters, keeps the learner's settings as typed fields,
//! and computes a [`view::View`] from them with the labs in `crate::labs`.
//!
//! The view is recomputed only when a control changes and kept until the next change, so
//! drawing a frame costs no computation.

mod control;
pub mod kinds;
pub mod knob;
pub mod lab;
pub mod params;
pub mod registry;
pub mod run;
pub mod view;

use crate::course::VizSpec;
use crate::jobs::{Job, Waker};
use control::lists_numbers_downward;
pub use control::{choice, leading_number, log_slider, slider, step_index, step_value, toggle};
pub use knob::{Controls, Knob, Knobs, Panel, Scale, SEED};
use lab::Lab;
use std::time::Duration;
use view::{Control, ControlKind, Part, View};

/// One kind of visualizer: typed settings and the parts they compute. Its controls are
/// declared once each in [`Controls`], from which [`Panel`] derives the list, the stepping and
/// the typing. Each kind registers a [`registry::KindDef`] in [`kinds::ALL`].
pub trait Visual: Send {
    /// Computes what to show for the current settings.
    fn parts(&self) -> Vec<Part>;
    /// Whether background work is under way (or waiting to start).
    fn busy(&self) -> bool {
        false
    }
    /// Starts the background work the current settings need and picks up what running work
    /// has posted; returns whether there is anything new to show. Called right after the
    /// panel's first view, after every change of settings, and whenever a job wakes the
    /// driver. Work is started here (never in a control's setter) with [`Job::spawn`] and `waker`, so
    /// every job wakes the driver it belongs to.
    fn poll(&mut self, _waker: &Waker) -> bool {
        false
    }
    /// Whether text fields apply on every keystroke (splits that update as the learner types).
    fn live_text(&self) -> bool {
        false
    }
    /// Called after each recompute, for kinds that remember what they last showed.
    fn after_refresh(&mut self) {}
    /// The learner left the step; the panel is kept for the session so its settings and
    /// results are there when they come back. Stops any background work (no job may run for
    /// a step that is not shown) and returns whether the kept panel still tells the truth:
    /// the next [`Self::poll`] must resume or redo what was cut short. By default a panel is
    /// kept only when no work is under way; a kind that can stop and resume says so here.
    fn leave(&mut self) -> bool {
        !self.busy()
    }
    /// Forgets the finished runs this kind keeps for comparison (the clear-runs key);
    /// whether there were any. Kinds without a [`run::Run`] keep none.
    fn clear_history(&mut self) -> bool {
        false
    }
    /// The app is closing: a run that is going or paused stops where it can resume and
    /// returns the bytes of its file ([`run::Run::suspend`], [`run::Run::file`]); `None`
    /// when there is nothing to resume. Kinds without a run keep nothing.
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        None
    }
    /// Brings back a run saved by [`Self::suspend`] in an earlier session (`origin` names the
    /// file): paused, to resume on the run key. Refuses a file it cannot trust, unchanged.
    fn restore(&mut self, _bytes: &[u8], origin: &str) -> Result<(), String> {
        Err(format!("{origin}: this panel does not resume saved runs"))
    }
}

/// The key that forgets a panel's kept runs, as the panel names it (the key table binds it).
pub const CLEAR_RUNS_KEY: char = 'x';

/// A built visualizer: its settings and the view last computed from them.
pub struct Visualizer {
    /// The internal kind name, as lessons write it.
    pub kind: String,
    /// The plain-language title shown above the panel.
    pub title: &'static str,
    visual: Box<dyn Panel>,
    view: View,
    /// What the learner is typing into the selected text control, while they type.
    editing: Option<String>,
    /// Wakes the driver when this panel's background work posts.
    waker: Waker,
    /// The first view, computed off the UI thread: some kinds build tables, train a tokenizer
    /// or load a model the first time they are shown.
    first: Option<Job<FirstView>>,
    /// Where the cursor is in `editing`, in characters.
    edit_cursor: usize,
    /// `--ascii`: every string of the view is spelled in 7-bit ASCII after each recompute.
    ascii: bool,
    /// Built only to be measured (`llmf check`): adjusting it starts no background work and
    /// collects none, so what it shows does not depend on how fast a run finishes.
    measuring: bool,
}

/// A kind and the view computed from its settings, handed back by the first-view job.
struct FirstView {
    visual: Box<dyn Panel>,
    controls: Vec<Control>,
    parts: Vec<Part>,
}

impl FirstView {
    /// Computes `visual`'s first controls and parts (the one slow step of opening a panel).
    fn of(visual: Box<dyn Panel>) -> Self {
        Self {
            controls: visual.controls(),
            parts: visual.parts(),
            visual,
        }
    }
}

/// How long opening a step waits for a panel's first view before showing "preparing" and
/// letting it arrive later through the waker: a quarter of a 16 ms frame, so that the wait,
/// the rest of the step change and the draw stay within a frame even when the machine is
/// busy and threads start late. Most first views take well under a millisecond.
const FIRST_VIEW_WAIT: Duration = Duration::from_millis(4);

/// Stands in for a kind while its first view is computed (or after that computation failed).
struct Placeholder(&'static str);

impl Controls for Placeholder {
    fn declare(&self, _: &mut Knobs<Self>) {}
}

impl Visual for Placeholder {
    fn parts(&self) -> Vec<Part> {
        vec![Part::Text(vec![self.0.to_string()])]
    }
}

impl std::fmt::Debug for Visualizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Visualizer({})", self.kind)
    }
}

impl Visualizer {
    /// Builds a visualizer from a lesson's block and waits for its first view, for callers
    /// without an event loop (tests, `llmf render`, `llmf check`), which collect any further
    /// background work by polling; the error names the bad parameter.
    pub fn build(spec: &VizSpec) -> Result<Self, String> {
        Self::build_in(spec, &Lab::new())
    }

    /// [`Self::build`] for measuring the heights of the states its controls reach (`llmf
    /// check`): no background work is started or collected, so a run that finishes early on a
    /// fast machine cannot change what is measured.
    pub fn build_to_measure(spec: &VizSpec) -> Result<Self, String> {
        let mut viz = Self::build(spec)?;
        viz.measuring = true;
        Ok(viz)
    }

    /// [`Self::build`] for a panel of the learner whose lab memory is `lab`.
    ///
    /// The first view is computed here, on the caller's thread, which waits for it anyway: no
    /// thread per panel. (`llmf check` builds panels hundreds of times to measure them; a
    /// short-lived thread for each left its allocator's pages behind it, and the resident
    /// size of a check grew by about 150 MB over Part V's layouts.) Background work waits
    /// for the caller's first poll, so measuring a panel never starts a training run.
    pub fn build_in(spec: &VizSpec, lab: &Lab) -> Result<Self, String> {
        let (def, visual) = registry::build_in(&spec.kind, &spec.params, lab)?;
        let mut viz = Self::preparing(spec, def.title, &Waker::none());
        let first =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| FirstView::of(visual)));
        match first {
            Ok(first) => viz.install(first, false),
            Err(_) => viz.failed_first_view(),
        }
        Ok(viz)
    }

    /// Builds a visualizer whose background work wakes the driver through `waker`, for the
    /// learner whose lab memory is `lab`.
    ///
    /// Parameters are checked here, on the caller's thread, so a mistake is reported at once;
    /// the first view is computed on a job. If it is ready within [`FIRST_VIEW_WAIT`] it is
    /// shown straight away, otherwise the panel says it is preparing and [`Self::poll`] puts
    /// the view in when the job posts it.
    pub fn build_with(spec: &VizSpec, waker: &Waker, lab: &Lab) -> Result<Self, String> {
        let (def, visual) = registry::build_in(&spec.kind, &spec.params, lab)?;
        let first = Job::spawn_for_frame("first-view", waker, move |reporter| {
            let _ = reporter.send(FirstView::of(visual));
        });
        let mut viz = Self::preparing(spec, def.title, waker);
        viz.first = Some(first);
        let ready = viz.first.as_mut().and_then(|job| job.wait(FIRST_VIEW_WAIT));
        match ready {
            Some(first) => {
                viz.install(first, true);
            }
            None => viz.refresh(),
        }
        Ok(viz)
    }

    /// A panel saying it is preparing, until its first view is installed.
    fn preparing(spec: &VizSpec, title: &'static str, waker: &Waker) -> Self {
        Self {
            kind: spec.kind.clone(),
            title,
            visual: Box::new(Placeholder("Preparing this panel...")),
            view: View::default(),
            editing: None,
            waker: waker.clone(),
            first: None,
            edit_cursor: 0,
            ascii: false,
            measuring: false,
        }
    }

    /// The kind panicked computing its first view: the panel says so.
    fn failed_first_view(&mut self) {
        self.first = None;
        self.visual = Box::new(Placeholder(
            "This panel failed to compute its first view (a bug: please report it).",
        ));
        self.refresh();
    }

    /// Puts the first view in place and, with `start`, starts the kind's own background work.
    fn install(&mut self, first: FirstView, start: bool) {
        self.first = None;
        self.visual = first.visual;
        self.view = View {
            controls: first.controls,
            selected_control: 0,
            parts: first.parts,
        };
        self.fold_view();
        self.visual.after_refresh();
        if start {
            self.start_work();
        }
    }

    /// Lets the kind start (or restart) background work for its current settings; whether
    /// the view changed.
    fn start_work(&mut self) -> bool {
        let news = self.visual.poll(&self.waker);
        if news {
            self.refresh();
        }
        news
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    /// Spells the view in ASCII from now on (`--ascii`), without computing it again.
    pub fn set_ascii(&mut self, on: bool) {
        self.ascii = on;
        self.fold_view();
    }

    fn fold_view(&mut self) {
        if self.ascii {
            self.view
                .map_text(&|s: &str| crate::text::ascii::fold(s).into_owned());
        }
    }

    /// Moves the selection among the controls; returns whether anything changed.
    pub fn select(&mut self, delta: i32) -> bool {
        let n = self.view.controls.len();
        if n == 0 {
            return false;
        }
        let old = self.view.selected_control;
        let new = (old as i64 + i64::from(delta)).clamp(0, n as i64 - 1) as usize;
        self.view.selected_control = new;
        new != old
    }

    /// Changes the selected control; returns whether the view changed.
    pub fn adjust(&mut self, delta: i32) -> bool {
        if self.view.controls.is_empty() {
            return false;
        }
        let before = self.view.controls.clone();
        // → and PgUp raise what the control shows, whatever order its kind lists it in: a
        // choice of numbers listed from the largest (β from 100 down to 0.01) moves the
        // other way through its list.
        let delta = match before.get(self.view.selected_control) {
            Some(c) if lists_numbers_downward(c) => -delta,
            _ => delta,
        };
        self.visual.adjust(self.view.selected_control, delta);
        let changed = self.visual.controls() != before;
        if changed {
            self.refresh();
        }
        if self.measuring {
            return changed;
        }
        // A button-like control (re-run) changes no setting but asks for work.
        self.start_work() || changed
    }

    fn refresh(&mut self) {
        let selected = self.view.selected_control;
        self.view = View {
            controls: self.visual.controls(),
            selected_control: selected,
            parts: self.visual.parts(),
        };
        self.visual.after_refresh();
        self.view.selected_control = selected.min(self.view.controls.len().saturating_sub(1));
        self.show_edit();
        self.fold_view();
    }

    /// Shows the text being typed in place of the control's value.
    fn show_edit(&mut self) {
        if let (Some(text), Some(control)) = (
            &self.editing,
            self.view.controls.get_mut(self.view.selected_control),
        ) {
            control.kind = ControlKind::Text {
                value: text.clone(),
                editing: Some(self.edit_cursor),
            };
        }
    }

    /// Whether the visualizer has background work to wait for (its first view included).
    pub fn busy(&self) -> bool {
        self.first.is_some() || self.visual.busy()
    }

    /// Collects background results; returns whether the view changed. The driver calls it
    /// when a job has woken it.
    pub fn poll(&mut self) -> bool {
        if let Some(job) = &mut self.first {
            if let Some(first) = job.drain().pop() {
                self.install(first, true);
                return true;
            }
            if job.live() {
                return false;
            }
            // The job ended without a view: the kind panicked computing it.
            self.failed_first_view();
            return true;
        }
        if self.visual.poll(&self.waker) {
            self.refresh();
            true
        } else {
            false
        }
    }

    /// Whether keys go to a text control being typed into.
    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    /// Starts typing into the selected control if it takes text: the text to edit, or
    /// `None` when the control takes none.
    pub fn begin_edit(&mut self) -> Option<String> {
        let Some(Control {
            kind: ControlKind::Text { value, .. },
            ..
        }) = self.view.controls.get(self.view.selected_control)
        else {
            return None;
        };
        let value = value.clone();
        self.editing = Some(value.clone());
        self.edit_cursor = value.chars().count();
        self.show_edit();
        Some(value)
    }

    /// Enter on a switch flips it, as → does: "train", "reset" and "double quant" read as
    /// buttons, and a learner presses Enter on a button. Returns whether anything changed.
    pub fn press(&mut self) -> bool {
        let is_switch = matches!(
            self.view.controls.get(self.view.selected_control),
            Some(Control {
                kind: ControlKind::Toggle(_),
                ..
            })
        );
        is_switch && self.adjust(1)
    }

    /// The field's text and cursor after an edit (the app owns the editor). Live kinds
    /// recompute when the text changed, once per call: a paste is one call, not one per
    /// character.
    pub fn set_edit(&mut self, text: &str, cursor: usize) {
        if self.editing.is_none() {
            return;
        }
        self.edit_cursor = cursor;
        if self.editing.as_deref() == Some(text) {
            self.show_edit();
            return;
        }
        self.editing = Some(text.to_string());
        self.apply_live();
    }

    /// Live kinds recompute on every keystroke; the others just show the typed text.
    fn apply_live(&mut self) {
        if self.visual.live_text() {
            if let Some(text) = self.editing.clone() {
                self.visual.set_text(self.view.selected_control, &text);
                self.refresh();
                self.start_work();
                return;
            }
        }
        self.show_edit();
    }

    /// Applies the typed text and recomputes.
    pub fn commit_edit(&mut self) -> bool {
        let Some(text) = self.editing.take() else {
            return false;
        };
        self.visual.set_text(self.view.selected_control, &text);
        self.refresh();
        self.start_work();
        true
    }

    /// Drops the typed text, keeping what was there.
    pub fn cancel_edit(&mut self) -> bool {
        let was = self.editing.take().is_some();
        self.refresh();
        was
    }

    /// The learner left the step: stops background work and drops a half-typed edit. Whether
    /// the panel may be kept for their return (see [`Visual::leave`]); a panel still
    /// preparing its first view is not.
    pub fn leave(&mut self) -> bool {
        if self.first.is_some() {
            return false;
        }
        if self.editing.is_some() {
            self.cancel_edit();
        }
        let kept = self.visual.leave();
        // The view says what leaving did (a run paused) before the learner sees it again.
        self.refresh();
        kept
    }

    /// Forgets the panel's kept runs (the clear-runs key); whether the view changed.
    pub fn clear_history(&mut self) -> bool {
        if self.first.is_some() || !self.visual.clear_history() {
            return false;
        }
        self.refresh();
        true
    }

    /// The app is closing: the panel's run, if going or paused, stops where it can resume
    /// and gives the bytes of its file. A panel still preparing has no run.
    pub fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        if self.first.is_some() {
            return None;
        }
        self.visual.suspend()
    }

    /// Brings back a run saved in an earlier session (see [`Visual::restore`]), once the
    /// first view is there (waited for: a panel with a saved run is opened once a session).
    pub fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        if let Some(job) = self.first.as_mut() {
            match job.wait(Duration::from_secs(60)) {
                Some(first) => self.install(first, false),
                None => {
                    return Err(format!(
                        "{origin}: the panel did not open, so its run waits"
                    ))
                }
            }
        }
        let restored = self.visual.restore(bytes, origin);
        self.refresh();
        self.start_work();
        restored
    }

    /// The learner came back to a kept panel: its work resumes (or starts again) for the
    /// settings it had, waking the driver through `waker`.
    pub fn resume(&mut self, waker: &Waker) {
        self.waker = waker.clone();
        self.start_work();
    }
}

/// Longest text a field holds: a pasted paragraph, not a pasted book.
pub const MAX_FIELD_CHARS: usize = 2048;
