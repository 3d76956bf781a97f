//! One background run, the same for every panel that trains or sweeps (`lm-train`,
//! `scaling-sweep`, `sft`, `lora`, `forgetting`, `policy-kl`, `dpo`, …): it owns starting the
//! work, its progress line (elapsed time and an estimate of what remains), pausing when the
//! learner leaves the step and resuming on their key, restarting, and the runs kept for
//! comparison. A kind keeps its own results (the events it folds into curves); [`Run`] keeps
//! the life of the work, so every panel says the same thing at the same moment.
//!
//! # Pausing
//! The work reports through a [`RunSink`]: a [`Sink`] whose `send` and `closed` wait while
//! the run is paused. Work written for a plain sink (a loop that sends a point per step and
//! asks `closed()` between stages) therefore pauses at its next report without a line of
//! its own, holding its state (a model, an optimizer) on its thread and using no CPU. A
//! paused run lives as long as its panel (the app keeps left panels for the session); the
//! learner's [`Lab`] bounds how many may wait at once ([`MAX_PAUSED`]) and stops the oldest
//! beyond that, which the panel then says.
//!
//! # History
//! When a setting changes after a run finished, the run is kept ([`Run::keep`]) in the lab:
//! the last [`MAX_KEPT`] finished runs of each kind, drawn faint beside the current one and
//! labelled by the setting that differs ([`Run::ghosts`], [`Run::history_table`]).
//!
//! # Usage
//! ```ignore
//! pub struct MyKind { lr: usize, run: Run<Event>, points: Vec<(f64, f64)> }
//!
//! impl MyKind {
//!     fn new(mut p: Params) -> ParamResult<Self> {
//!         let lr = p.index("lr")?;
//!         Ok(Self { lr, run: Run::new("my-kind", &p.lab()), points: Vec::new() })
//!     }
//!     fn start(&mut self) {
//!         self.points.clear();
//!         let lr = LRS[self.lr];
//!         self.run.start(move |tx| work(lr, &tx)); // tx: RunSink<Event>
//!     }
//!     fn settings(&self) -> Vec<Setting> { vec![("lr", LR_NAMES[self.lr].to_string())] }
//!     fn series(&self) -> Vec<Series> { /* the current run's lines */ }
//! }
//!
//! impl Controls for MyKind {
//!     fn declare(&self, k: &mut Knobs<Self>) {
//!         k.run(&self.run, |m| if m.run.toggle() { m.start() });
//!         k.choice("learning rate", names(LR_NAMES), self.lr, |m, lr| {
//!             m.run.keep(m.settings(), m.series(), vec![/* final figures */]);
//!             m.lr = lr;
//!             m.run.clear();
//!         });
//!     }
//! }
//!
//! impl Visual for MyKind {
//!     fn busy(&self) -> bool { self.run.running() }
//!     fn poll(&mut self, waker: &Waker) -> bool {
//!         let (events, news) = self.run.poll(waker);
//!         for e in events {
//!             match e {
//!                 Event::Point { step, loss } => {
//!                     self.points.push((step as f64, loss));
//!                     self.run.progress(step as f64 / TOTAL as f64);
//!                 }
//!                 Event::Failed(why) => self.run.fail(why),
//!             }
//!         }
//!         news
//!     }
//!     fn leave(&mut self) -> bool { self.run.leave(); true }
//!     fn clear_history(&mut self) -> bool { self.run.clear_history() }
//!     fn parts(&self) -> Vec<Part> {
//!         let at = format!("step {}", self.points.len());
//!         let mut series = self.run.ghosts(&self.settings());
//!         series.extend(self.series());
//!         vec![Part::Text(vec![self.run.status("200 steps", &at)]), /* chart of series */]
//!     }
//! }
//! ```

use super::lab::Lab;
use crate::jobs::{Job, Waker};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Paused runs a learner's lab lets wait at once; pausing one more stops the oldest (each
/// holds its model and optimizer state on a waiting thread).
pub const MAX_PAUSED: usize = 3;

/// Finished runs of one kind kept for comparison.
pub const MAX_KEPT: usize = 3;

/// The words every run uses for its key: the control's name.
pub const RUN: &str = "run";

/// What a paused run's line ends with, everywhere.
pub const RESUME: &str = "press → on \"run\" to resume";

mod gate;
mod history;
mod replay;
pub(crate) use gate::Gate;
pub use gate::RunSink;
use gate::{Flow, Queue};
pub mod saved;
pub use history::{label, Kept, Setting};

/// How long closing the app waits for a run's work to stop where it can resume.
pub const SUSPEND_WAIT: Duration = Duration::from_secs(20);

/// Where a run is in its life.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Not started, or cleared by a change of settings.
    Idle,
    Running,
    /// Waiting where it was: by the learner's key, or because they left the step.
    Paused {
        on_leave: bool,
    },
    /// Ended by itself with everything reported.
    Done,
    Failed(String),
    /// Ended while paused, to keep the session's memory bounded: it cannot resume.
    Stopped,
}

pub struct Run<E> {
    /// The kind's name: the work's thread name and the key of its kept runs.
    kind: &'static str,
    job: Option<Job<E>>,
    gate: Arc<Gate>,
    /// The driver's waker from the last poll (a run starts on a key press, which brings none).
    waker: Waker,
    phase: Phase,
    /// Running time before the current stretch, and when the current stretch began.
    ran: Duration,
    since: Option<Instant>,
    /// Share of the work done, as the kind last said (0 to 1).
    done: f64,
    lab: Lab,
    /// The run's place in the queue for the CPU while it waits for a turn.
    queue: Arc<Queue>,
    /// Where the current work leaves its state when the app closes.
    saved: Arc<Mutex<Option<Vec<u8>>>>,
    /// The state a paused run resumes from when it has no thread: suspended as the app
    /// closed, or read back from the learner's data directory ([`Self::restore`]).
    resume: Option<Vec<u8>>,
    /// The next [`Self::start`] continues a restored run (its time and share done count on).
    resuming: bool,
    /// For kinds that resume by recomputing ([`Self::replayable`]): what the work reported.
    replay: Option<replay::Replay<E>>,
}

impl<E> fmt::Debug for Run<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Run({}, {:?})", self.kind, self.phase)
    }
}

impl<E> Drop for Run<E> {
    /// A dropped panel's work stops, even while it waits paused.
    fn drop(&mut self) {
        self.gate.stop();
    }
}

impl<E: Send + 'static> Run<E> {
    /// A run of `kind` not yet started, in the learner's `lab`.
    pub fn new(kind: &'static str, lab: &Lab) -> Self {
        Self {
            kind,
            job: None,
            gate: Arc::new(Gate::new()),
            waker: Waker::none(),
            phase: Phase::Idle,
            ran: Duration::ZERO,
            since: None,
            done: 0.0,
            lab: lab.clone(),
            queue: Arc::default(),
            saved: Arc::default(),
            resume: None,
            resuming: false,
            replay: None,
        }
    }

    /// Files this run's kept runs under `key` from now on (a kind whose modes are different
    /// experiments keeps each mode's runs apart).
    pub fn rekey(&mut self, key: &'static str) {
        self.kind = key;
    }

    /// Starts `work` on its own thread (at the background's priority), stopping any run
    /// before it. The kind clears its own results first.
    pub fn start(&mut self, work: impl FnOnce(RunSink<E>) + Send + 'static) {
        self.halt();
        let gate = Arc::new(Gate::new());
        self.gate = Arc::clone(&gate);
        let queue = Arc::new(Queue::default());
        self.queue = Arc::clone(&queue);
        let saved = Arc::new(Mutex::new(None));
        self.saved = Arc::clone(&saved);
        self.job = Some(Job::spawn(self.kind, &self.waker, move |reporter| {
            // Runs take turns at the CPU: on a classroom server, as many run at once as it
            // has cores, and the rest wait here in order.
            let Some(turn) = queue.wait_turn(&reporter, &gate) else {
                return;
            };
            work(RunSink {
                reporter,
                gate,
                turn: Mutex::new(Some(turn)),
                queue,
                saved,
            });
        }));
        self.phase = Phase::Running;
        self.since = Some(Instant::now());
        // A restored run counts on from where it was; any other starts from nothing.
        if std::mem::take(&mut self.resuming) {
            if let Some(r) = self.replay.as_mut() {
                r.catch_up();
            }
        } else {
            self.ran = Duration::ZERO;
            self.done = 0.0;
            if let Some(r) = self.replay.as_mut() {
                r.clear();
            }
        }
        self.resume = None;
    }

    /// Stops the work, if any, and forgets it.
    fn halt(&mut self) {
        self.lab.forget_paused(&self.gate);
        self.gate.stop();
        self.job = None;
        self.freeze();
    }

    /// Adds the current stretch to the running time.
    fn freeze(&mut self) {
        if let Some(since) = self.since.take() {
            self.ran += since.elapsed();
        }
    }

    /// Forgets the run (a setting changed): stopped if going, back to not started.
    pub fn clear(&mut self) {
        self.halt();
        self.resume = None;
        self.resuming = false;
        if let Some(r) = self.replay.as_mut() {
            r.clear();
        }
        self.phase = Phase::Idle;
        self.ran = Duration::ZERO;
        self.done = 0.0;
    }

    /// The learner pressed the run key: pauses a running run, resumes a paused one, and
    /// otherwise returns true, asking the kind to start a new run (with [`Self::start`]).
    #[must_use]
    pub fn toggle(&mut self) -> bool {
        match self.phase {
            Phase::Running => {
                self.pause(false);
                false
            }
            // A paused run with a thread resumes in place; one restored from the learner's
            // data directory has none, so the kind starts it again from its saved state.
            Phase::Paused { .. } if self.job.is_some() && !self.gate.stopped() => {
                self.gate.set(Flow::Go);
                self.lab.forget_paused(&self.gate);
                self.phase = Phase::Running;
                self.since = Some(Instant::now());
                false
            }
            _ => true,
        }
    }

    fn pause(&mut self, on_leave: bool) {
        self.gate.set(Flow::Hold);
        self.freeze();
        self.phase = Phase::Paused { on_leave };
        self.lab.hold_paused(&self.gate);
    }

    /// The learner left the step: a running run pauses where it is, and says so on return.
    pub fn leave(&mut self) {
        if self.phase == Phase::Running {
            self.pause(true);
        }
    }

    /// The work failed: `why` replaces the progress line.
    pub fn fail(&mut self, why: String) {
        self.halt();
        self.phase = Phase::Failed(why);
    }

    /// How much of the work is done, from 0 to 1 (for the estimate of what remains).
    pub fn progress(&mut self, share: f64) {
        if share.is_finite() {
            self.done = share.clamp(0.0, 1.0);
        }
    }

    /// Keeps `waker` for the next start and returns what the work posted since the last poll,
    /// and whether anything changed (events came, or the work has just ended).
    pub fn poll(&mut self, waker: &Waker) -> (Vec<E>, bool) {
        self.waker = waker.clone();
        let Some(job) = &mut self.job else {
            return (Vec::new(), false);
        };
        let events = job.drain();
        let live = job.live();
        let mut news = !events.is_empty();
        let events = self.replayed(events);
        if !live {
            self.job = None;
            self.freeze();
            news = true;
            self.phase = match self.phase {
                // Stopped by the lab while it waited (work that ends by itself while paused
                // had reported everything).
                Phase::Paused { .. } if self.gate.stopped() => Phase::Stopped,
                Phase::Paused { .. } => Phase::Done,
                Phase::Running => Phase::Done,
                ref other => other.clone(),
            };
            self.lab.forget_paused(&self.gate);
        }
        (events, news)
    }

    /// Blocks until the work ends and returns everything it posted (tests, `check`).
    pub fn wait_all(&mut self) -> Vec<E> {
        let events = self.job.as_mut().map(Job::wait_all).unwrap_or_default();
        let events = self.replayed(events);
        self.job = None;
        self.freeze();
        if self.phase == Phase::Running {
            self.phase = Phase::Done;
        }
        events
    }

    /// The app is closing (the learner quit, or their ssh session ended): work that is going
    /// or paused is asked to stop where it can resume and hand over its state
    /// ([`RunSink::saving`]). Returns what it posted on the way, for the kind to fold in
    /// before it writes its own state with [`Self::file`]. Waits at most [`SUSPEND_WAIT`]:
    /// work that does not stop by then is not saved. The run reads as paused on leaving.
    pub fn suspend(&mut self) -> Vec<E> {
        let going = matches!(self.phase, Phase::Running | Phase::Paused { .. });
        let Some(job) = self.job.as_mut().filter(|_| going && !self.gate.stopped()) else {
            return Vec::new();
        };
        if self.replay.is_some() {
            // Saved by its reports: the work stops now, and starts again next time.
            let events = job.drain();
            let ended = !job.live();
            let events = self.replayed(events);
            self.halt();
            if ended && self.phase == Phase::Running {
                self.phase = Phase::Done;
            } else {
                self.resume = self.replay.as_ref().and_then(replay::Replay::bytes);
                self.phase = Phase::Paused { on_leave: true };
            }
            return events;
        }
        self.gate.set(Flow::Save);
        let deadline = Instant::now() + SUSPEND_WAIT;
        let mut events = Vec::new();
        while job.live() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            events.extend(job.wait(left));
        }
        events.extend(job.drain());
        let ended = !job.live();
        self.halt();
        let state = self
            .saved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.resume = state.filter(|_| ended);
        self.phase = Phase::Paused { on_leave: true };
        events
    }

    /// The file that brings this run back in a later session: its life (time run, share
    /// done), the kind's `panel` state (settings and what was reported) and the work's own
    /// state. `None` when there is nothing to resume (not paused, or the work saves none).
    pub fn file(&self, panel: serde_json::Value) -> Option<Result<Vec<u8>, String>> {
        let work = self.resume.as_deref()?;
        if !matches!(self.phase, Phase::Paused { .. }) {
            return None;
        }
        Some(saved::encode(
            &saved::Header {
                kind: self.kind.to_string(),
                elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
                done: self.done,
                panel,
            },
            work,
        ))
    }

    /// Brings back a run saved by [`Self::file`] in an earlier session (`origin` names the
    /// file in errors): it reads as paused when the learner left, with its time run and
    /// share done, and the next run key resumes it ([`Self::take_resume`]). Returns the
    /// kind's panel state, for the kind to check and take. The file is untrusted: a wrong
    /// format, kind or size is refused with a message, and nothing changes.
    pub fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<serde_json::Value, String> {
        let (header, work) = saved::decode(bytes, origin)?;
        if header.kind != self.kind {
            return Err(format!(
                "{origin}: a saved run of \"{}\", not of this panel's \"{}\"",
                crate::text::sanitize::field(&header.kind),
                self.kind
            ));
        }
        self.clear();
        self.phase = Phase::Paused { on_leave: true };
        self.ran = Duration::from_millis(header.elapsed_ms);
        self.done = header.done;
        self.resume = Some(work.to_vec());
        Ok(header.panel)
    }

    /// The state to resume from, when the run key restarts a restored run: the kind starts
    /// its work from it (not from zero) with [`Self::start`], which counts the time on.
    pub fn take_resume(&mut self) -> Option<Vec<u8>> {
        let state = self.resume.take();
        self.resuming |= state.is_some();
        state
    }

    /// What the work posted, less the reports a resumed replay recomputes (the panel has
    /// them); recorded for saving.
    fn replayed(&mut self, events: Vec<E>) -> Vec<E> {
        match self.replay.as_mut() {
            Some(r) => r.pass(events),
            None => events,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whether the work is going (not paused, not ended): the app is busy.
    pub fn running(&self) -> bool {
        self.phase == Phase::Running
    }

    /// Whether no run was started since the last clear.
    pub fn idle(&self) -> bool {
        self.phase == Phase::Idle
    }

    /// Whether the run ended by itself, with everything reported.
    pub fn finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Running time so far (paused time not counted).
    pub fn elapsed(&self) -> Duration {
        self.ran + self.since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// The progress line: `plan` says what a whole run does ("5 sizes × 200 steps"), `at`
    /// where this one is ("size 2 of 5, step 40/200").
    pub fn status(&self, plan: &str, at: &str) -> String {
        let elapsed = self.elapsed();
        match &self.phase {
            Phase::Idle => format!("Not started: select \"{RUN}\" and press → ({plan})."),
            Phase::Running if self.queue.ahead().is_some() => {
                let ahead = self.queue.ahead().unwrap_or(0);
                // One line, no longer than the running line that replaces it, so a panel
                // is as tall on a busy server as on an idle one (`llmf check` measures it).
                format!("queued: {ahead} ahead, starts by itself ({plan})")
            }
            Phase::Running if self.replay.as_ref().and_then(replay::Replay::behind).is_some() => {
                let left = self.replay.as_ref().and_then(replay::Replay::behind).unwrap_or(0);
                format!(
                    "recomputing up to {at}, done before llmf closed: same seeds, same \
                     numbers ({left} reports to go)"
                )
            }
            Phase::Running => match remaining(elapsed, self.done) {
                Some(left) => format!(
                    "running {at} · {} so far, about {} left",
                    clock(elapsed),
                    clock(left)
                ),
                None => format!("running {at} · {} so far", clock(elapsed)),
            },
            Phase::Paused { on_leave: true } if self.replay.is_some() && self.resume.is_some() => {
                format!(
                    "paused when you left this step, at {at}: {RESUME} (after \
                     recomputing {} of work)",
                    clock(elapsed)
                )
            }
            Phase::Paused { on_leave: true } => {
                format!("paused when you left this step, at {at}: {RESUME}")
            }
            Phase::Paused { on_leave: false } => format!("paused at {at}: {RESUME}"),
            Phase::Done => format!("done: {plan} in {}", clock(elapsed)),
            Phase::Failed(why) => format!("failed: {why}"),
            Phase::Stopped => format!(
                "stopped at {at}: a session keeps {MAX_PAUSED} paused runs; press → on \"{RUN}\" to start again"
            ),
        }
    }
}

fn remaining(elapsed: Duration, done: f64) -> Option<Duration> {
    (0.02..1.0)
        .contains(&done)
        .then(|| elapsed.mul_f64((1.0 - done) / done))
}

/// A duration as a person reads it: `8 s`, `1 min 05 s`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests;
