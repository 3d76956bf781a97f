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
//! impl Visual for MyKind {
//!     fn controls(&self) -> Vec<Control> { vec![self.run.control(), /* settings… */] }
//!     fn adjust(&mut self, index: usize, delta: i32) {
//!         match index {
//!             0 => if self.run.toggle() { self.start() },
//!             1 => {
//!                 self.run.keep(self.settings(), self.series(), vec![/* final figures */]);
//!                 self.lr = step_index(self.lr, delta, LRS.len());
//!                 self.run.clear();
//!             }
//!             _ => {}
//!         }
//!     }
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
use super::toggle;
use super::view::{Control, Part, Series, TableView};
use crate::jobs::{Closed, Job, Reporter, Sink, Waker};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
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

/// One setting of a run as its label shows it: (`"lr"`, `"0.003"`) reads `lr 0.003`.
pub type Setting = (&'static str, String);

/// Whether the work may go on: shared by a [`Run`] and its [`RunSink`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Hold,
    Stop,
}

/// The gate the work passes at every report: it waits while the run is held and learns there
/// that it should stop.
#[derive(Debug)]
pub(crate) struct Gate {
    flow: Mutex<Flow>,
    turn: Condvar,
}

impl Gate {
    fn new() -> Self {
        Self {
            flow: Mutex::new(Flow::Go),
            turn: Condvar::new(),
        }
    }

    fn flow(&self) -> MutexGuard<'_, Flow> {
        self.flow.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the flow (a stopped gate stays stopped) and wakes waiting work.
    fn set(&self, to: Flow) {
        let mut flow = self.flow();
        if *flow != Flow::Stop {
            *flow = to;
        }
        drop(flow);
        self.turn.notify_all();
    }

    /// Stops the work: it returns at its next report, or now if it is waiting.
    pub(crate) fn stop(&self) {
        self.set(Flow::Stop);
    }

    /// Whether the run waits (paused).
    pub(crate) fn held(&self) -> bool {
        *self.flow() == Flow::Hold
    }

    fn stopped(&self) -> bool {
        *self.flow() == Flow::Stop
    }

    /// Waits while held; `Err` once stopped.
    fn pass(&self) -> Result<(), Closed> {
        let mut flow = self.flow();
        while *flow == Flow::Hold {
            flow = self.turn.wait(flow).unwrap_or_else(PoisonError::into_inner);
        }
        if *flow == Flow::Stop {
            Err(Closed)
        } else {
            Ok(())
        }
    }
}

/// The working end of a [`Run`]: reports like a [`Reporter`], and waits at each report while
/// the run is paused. It holds the run's turn at the CPU ([`crate::gate`]) and gives it back
/// while paused, so a paused run never keeps another learner's run waiting.
pub struct RunSink<E> {
    reporter: Reporter<E>,
    gate: Arc<Gate>,
    turn: Mutex<Option<crate::gate::Turn<'static>>>,
    queue: Arc<Queue>,
}

impl<E: Send> RunSink<E> {
    /// Waits while the run is paused (without its CPU turn), then for a turn again.
    fn pass(&self) -> Result<(), Closed> {
        if !self.gate.held() {
            return self.gate.pass();
        }
        self.turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.gate.pass()?;
        let turn = self
            .queue
            .wait_turn(&self.reporter, &self.gate)
            .ok_or(Closed)?;
        *self.turn.lock().unwrap_or_else(PoisonError::into_inner) = Some(turn);
        Ok(())
    }
}

impl<E: Send> Sink<E> for RunSink<E> {
    fn send(&self, event: E) -> Result<(), Closed> {
        self.pass()?;
        self.reporter.send(event)
    }

    fn closed(&self) -> bool {
        self.pass().is_err() || self.reporter.closed()
    }
}

/// Where a run waits for its turn at the CPU: how many runs are ahead of it, shared between
/// the work (which waits) and the panel (which says so).
#[derive(Debug)]
struct Queue(std::sync::atomic::AtomicUsize);

impl Default for Queue {
    fn default() -> Self {
        Self(Self::NOT_WAITING.into())
    }
}

impl Queue {
    /// Not waiting: the run has its turn, or has not asked for one.
    const NOT_WAITING: usize = usize::MAX;

    fn ahead(&self) -> Option<usize> {
        let n = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (n != Self::NOT_WAITING).then_some(n)
    }

    fn set(&self, n: usize) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Waits for a turn at the process's gate, telling the panel its place as it changes;
    /// `None` once the run is stopped or its panel gone.
    fn wait_turn<E: Send>(
        &self,
        reporter: &Reporter<E>,
        gate: &Gate,
    ) -> Option<crate::gate::Turn<'static>> {
        let turn = crate::gate::Gate::global().enter(
            |ahead| {
                self.set(ahead);
                reporter.wake();
            },
            || gate.stopped() || reporter.closed(),
        );
        self.set(Self::NOT_WAITING);
        reporter.wake();
        turn
    }
}

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

/// A finished run kept for comparison: what it ran with, its lines, its final figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub settings: Vec<Setting>,
    pub series: Vec<Series>,
    pub figures: Vec<String>,
}

impl Kept {
    /// Bytes this record holds (for the memory bound and its measurement).
    pub fn bytes(&self) -> usize {
        let strings: usize = self
            .settings
            .iter()
            .map(|(_, v)| v.capacity())
            .chain(self.figures.iter().map(String::capacity))
            .chain(self.series.iter().map(|s| s.name.capacity()))
            .sum();
        let points: usize = self
            .series
            .iter()
            .map(|s| s.points.capacity() * std::mem::size_of::<(f64, f64)>())
            .sum();
        std::mem::size_of::<Self>()
            + self.settings.capacity() * std::mem::size_of::<Setting>()
            + self.series.capacity() * std::mem::size_of::<Series>()
            + self.figures.capacity() * std::mem::size_of::<String>()
            + strings
            + points
    }
}

/// One panel's background run. See the module docs for how a kind uses it.
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
            });
        }));
        self.phase = Phase::Running;
        self.ran = Duration::ZERO;
        self.since = Some(Instant::now());
        self.done = 0.0;
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
            Phase::Paused { .. } if !self.gate.stopped() => {
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
        let mut news = !events.is_empty();
        if !job.live() {
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
        self.job = None;
        self.freeze();
        if self.phase == Phase::Running {
            self.phase = Phase::Done;
        }
        events
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

    /// The run key, as every kind shows it: on while the run is going.
    pub fn control(&self) -> Control {
        toggle(RUN, self.running())
    }

    /// The progress line: `plan` says what a whole run does ("5 sizes × 200 steps"), `at`
    /// where this one is ("size 2 of 5, step 40/200").
    pub fn status(&self, plan: &str, at: &str) -> String {
        let elapsed = self.elapsed();
        match &self.phase {
            Phase::Idle => format!("Not started: select \"{RUN}\" and press → ({plan})."),
            Phase::Running if self.queue.ahead().is_some() => {
                let ahead = self.queue.ahead().unwrap_or(0);
                format!(
                    "queued: {ahead} ahead. Runs take turns at this computer's cores; \
                     this one starts by itself ({plan})."
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

    /// Keeps the finished run for comparison (call it before a setting changes): its
    /// `settings`, chart lines and final figures. An unfinished run is not a result and is
    /// not kept.
    pub fn keep(&mut self, settings: Vec<Setting>, series: Vec<Series>, figures: Vec<String>) {
        if self.finished() {
            self.lab.keep_run(
                self.kind,
                Kept {
                    settings,
                    series,
                    figures,
                },
            );
        }
    }

    /// The kept runs of this kind, newest first.
    pub fn history(&self) -> Vec<Kept> {
        self.lab.kept_runs(self.kind)
    }

    /// Forgets the kept runs of this kind; whether there were any.
    pub fn clear_history(&mut self) -> bool {
        self.lab.clear_runs(self.kind)
    }

    /// The kept runs' lines named in `only` (all when empty), faint, each named by the
    /// settings in which it differs from `current` (`lr 0.003`), to draw under the current
    /// run's. `marker` draws all of them (one character, so they read as the background).
    pub fn ghosts(&self, current: &[Setting], only: &[&str], marker: char) -> Vec<Series> {
        self.history()
            .into_iter()
            .flat_map(|kept| {
                let label = label(&kept.settings, current);
                let shown: Vec<Series> = kept
                    .series
                    .into_iter()
                    .filter(|s| only.is_empty() || only.contains(&s.name.as_str()))
                    .collect();
                let many = shown.len() > 1;
                shown.into_iter().map(move |s| Series {
                    name: if many {
                        format!("{label}: {}", s.name)
                    } else {
                        label.clone()
                    },
                    marker,
                    points: s.points,
                    faint: true,
                })
            })
            .collect()
    }

    /// The kept runs' final figures beside the current run's (`now`), one row each under
    /// `headers` (the first names the run), or `None` while nothing is kept.
    pub fn history_table(
        &self,
        current: &[Setting],
        headers: &[&str],
        now: Vec<String>,
    ) -> Option<Part> {
        let kept = self.history();
        if kept.is_empty() {
            return None;
        }
        let mut rows: Vec<Vec<String>> =
            vec![std::iter::once("this run".to_string()).chain(now).collect()];
        rows.extend(kept.iter().map(|k| {
            std::iter::once(label(&k.settings, current))
                .chain(k.figures.iter().cloned())
                .collect()
        }));
        Some(Part::Table(TableView {
            title: format!(
                "kept runs (the last {MAX_KEPT}; {} forgets them)",
                crate::viz::CLEAR_RUNS_KEY
            ),
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            rows,
            highlight: Some(0),
        }))
    }
}

/// A kept run's label: the settings in which it differs from `current`, or "same settings".
pub fn label(settings: &[Setting], current: &[Setting]) -> String {
    let differ: Vec<String> = settings
        .iter()
        .filter(|s| !current.contains(s))
        .map(|(name, value)| {
            if name.ends_with('=') {
                format!("{name}{value}")
            } else {
                format!("{name} {value}")
            }
        })
        .collect();
    if differ.is_empty() {
        "same settings".into()
    } else {
        differ.join(", ")
    }
}

/// What remains at this pace, once enough is done to tell.
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
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Work that sends 0, 1, 2… until told to stop, each only after the test says go.
    fn stepper(run: &mut Run<u32>) -> mpsc::Sender<()> {
        let (go, wait) = mpsc::channel::<()>();
        run.start(move |tx| {
            for i in 0.. {
                if wait.recv().is_err() || tx.send(i).is_err() {
                    return;
                }
            }
        });
        go
    }

    /// Polls until `n` events came or the run ended.
    fn collect(run: &mut Run<u32>, n: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while out.len() < n && Instant::now() < deadline {
            out.extend(run.poll(&Waker::none()).0);
            std::thread::yield_now();
        }
        out
    }

    #[test]
    fn a_paused_run_waits_at_its_next_report_and_goes_on_from_there() {
        let lab = Lab::new();
        let mut run = Run::<u32>::new("test", &lab);
        assert!(run.idle() && run.status("3 steps", "").starts_with("Not started"));
        let go = stepper(&mut run);
        go.send(()).unwrap();
        assert_eq!(collect(&mut run, 1), vec![0]);
        run.leave();
        assert_eq!(run.phase(), &Phase::Paused { on_leave: true });
        assert!(!run.running());
        assert_eq!(
            run.status("", "step 1"),
            "paused when you left this step, at step 1: press → on \"run\" to resume"
        );
        // The work is let through its own wait, then waits at the gate: nothing arrives.
        go.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            run.poll(&Waker::none()).0.is_empty(),
            "paused work sends nothing"
        );
        assert!(!run.toggle(), "the key resumes, it does not start anew");
        assert!(run.running());
        assert_eq!(collect(&mut run, 1), vec![1], "from where it was");
        // Pausing by key says so in its own words.
        assert!(!run.toggle());
        assert_eq!(
            run.status("", "step 2"),
            format!("paused at step 2: {RESUME}")
        );
    }

    #[test]
    fn a_lab_lets_only_a_few_runs_wait_and_the_oldest_says_it_stopped() {
        let lab = Lab::new();
        let mut runs: Vec<Run<u32>> = (0..=MAX_PAUSED).map(|_| Run::new("test", &lab)).collect();
        let mut gos = Vec::new();
        for run in &mut runs {
            let go = stepper(run);
            run.leave();
            // Let the work through its own wait: it then waits at the run's gate.
            go.send(()).unwrap();
            gos.push(go);
        }
        // The oldest was stopped: its thread ends, and its poll says so.
        let oldest = &mut runs[0];
        let deadline = Instant::now() + Duration::from_secs(20);
        while oldest.phase() != &Phase::Stopped && Instant::now() < deadline {
            oldest.poll(&Waker::none());
            std::thread::yield_now();
        }
        assert_eq!(oldest.phase(), &Phase::Stopped);
        assert!(oldest.status("", "step 0").starts_with("stopped at step 0"));
        assert!(oldest.toggle(), "a stopped run starts anew");
        for run in &runs[1..] {
            assert!(matches!(run.phase(), Phase::Paused { .. }), "{run:?}");
        }
        assert_eq!(lab.paused(), MAX_PAUSED);
    }

    #[test]
    fn work_started_by_a_key_wakes_the_driver_whose_waker_the_poll_gave_and_ends_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&wakes);
        let waker = Waker::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        });
        let mut run = Run::<u8>::new("test", &Lab::new());
        assert_eq!(run.poll(&waker), (Vec::new(), false), "nothing started yet");
        run.start(|tx| {
            let _ = tx.send(7);
        });
        while wakes.load(Ordering::SeqCst) < 2 {
            std::thread::yield_now();
        }
        assert_eq!(run.poll(&waker), (vec![7], true));
        assert!(run.finished());
        assert_eq!(
            run.poll(&waker),
            (Vec::new(), false),
            "the end is news once"
        );
    }

    #[test]
    fn dropping_a_paused_run_ends_its_work() {
        let (ended_tx, ended) = mpsc::channel();
        let mut run = Run::<u32>::new("test", &Lab::new());
        run.start(move |tx| {
            while tx.send(0).is_ok() {}
            ended_tx.send(()).unwrap();
        });
        run.leave();
        drop(run);
        // Work still queued for its CPU turn (other tests' runs hold the process's gate) is
        // dropped unstarted; either way `ended_tx` goes, so only a timeout is a failure.
        assert!(!matches!(
            ended.recv_timeout(Duration::from_secs(20)),
            Err(mpsc::RecvTimeoutError::Timeout)
        ));
    }

    #[test]
    fn finished_runs_are_kept_three_deep_and_labelled_by_what_differs() {
        let lab = Lab::new();
        let mut run = Run::<u32>::new("test", &lab);
        let line = |y: f64| Series {
            name: "loss".into(),
            marker: '*',
            points: vec![(0.0, y)],
            faint: false,
        };
        run.keep(vec![("lr", "1".into())], vec![line(9.0)], vec![]);
        assert!(run.history().is_empty(), "an unfinished run is not kept");
        for lr in ["0.1", "0.2", "0.3", "0.4"] {
            run.start(|_| {});
            run.wait_all();
            assert!(run.finished());
            run.keep(
                vec![("lr", lr.into()), ("seed", "1".into())],
                vec![line(1.0)],
                vec![format!("{lr}!")],
            );
        }
        let kept = run.history();
        assert_eq!(kept.len(), MAX_KEPT);
        assert_eq!(kept[0].figures, vec!["0.4!"], "newest first");
        let current = [("lr", "0.3".to_string()), ("seed", "1".to_string())];
        let ghosts = run.ghosts(&current, &[], '·');
        assert_eq!(run.ghosts(&current, &["other"], '·'), vec![]);
        let names: Vec<&str> = ghosts.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["lr 0.4", "same settings", "lr 0.2"]);
        assert!(ghosts.iter().all(|s| s.faint && s.marker == '·'));
        let Some(Part::Table(t)) = run.history_table(&current, &["run", "x"], vec!["now".into()])
        else {
            panic!("a table")
        };
        assert_eq!(t.rows[0], ["this run", "now"]);
        assert_eq!(t.rows[1], ["lr 0.4", "0.4!"]);
        // Another learner's lab keeps nothing of it; clearing forgets.
        assert!(Run::<u32>::new("test", &Lab::new()).history().is_empty());
        assert!(run.clear_history());
        assert!(run.history().is_empty() && !run.clear_history());
    }

    #[test]
    fn a_kept_lm_train_run_holds_about_a_kilobyte() {
        // lm-train's default run: 1500 steps, an evaluation every 50 (31 points), three
        // settings and three figures.
        let kept = Kept {
            settings: vec![
                ("d", "64".into()),
                ("lr", "0.003".into()),
                ("seed", "1".into()),
            ],
            series: vec![Series {
                name: "validation".into(),
                marker: '·',
                points: (0..31).map(|i| (f64::from(i) * 50.0, 2.0)).collect(),
                faint: true,
            }],
            figures: vec!["1.812".into(), "1.904".into(), "12".into()],
        };
        let bytes = kept.bytes();
        assert!((31 * 16..2048).contains(&bytes), "{bytes} bytes");
    }

    #[test]
    fn the_estimate_of_what_remains_follows_the_share_done() {
        assert_eq!(
            remaining(Duration::from_secs(10), 0.5),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            remaining(Duration::from_secs(10), 0.25),
            Some(Duration::from_secs(30))
        );
        assert_eq!(remaining(Duration::from_secs(10), 0.0), None);
        assert_eq!(remaining(Duration::from_secs(10), 1.0), None);
        assert_eq!(clock(Duration::from_secs(65)), "1 min 05 s");
        assert_eq!(clock(Duration::from_millis(7600)), "8 s");
        assert_eq!(label(&[("r=", "4".into())], &[("r=", "8".into())]), "r=4");
    }
}
