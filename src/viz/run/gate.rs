//! The working end of a run: the gate its work passes at every report (go, hold, save,
//! stop), the sink it reports through, and its place in the queue for a turn at the CPU.

use crate::jobs::{Closed, Reporter, Sink};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Whether the work may go on: shared by a [`Run`](super::Run) and its [`RunSink`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Go,
    Hold,
    /// The app is closing: the work reports on (so what it computed is not lost) up to its
    /// next `closed()`, where it stops and hands over its state ([`RunSink::save`]).
    Save,
    Stop,
}

/// The gate the work passes at every report: it waits while the run is held and learns there
/// that it should stop.
#[derive(Debug)]
pub(crate) struct Gate {
    flow: Mutex<Flow>,
    turn: Condvar,
    /// Threads of the work now waiting here while the run is held: once one is, everything
    /// the work computed before the pause has been reported.
    waiting: AtomicUsize,
}

impl Gate {
    pub(super) fn new() -> Self {
        Self {
            flow: Mutex::new(Flow::Go),
            turn: Condvar::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    pub(super) fn flow(&self) -> MutexGuard<'_, Flow> {
        self.flow.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the flow (a stopped gate stays stopped) and wakes waiting work.
    pub(super) fn set(&self, to: Flow) {
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

    /// Whether the run is held and its work waits here (it will report nothing more until
    /// it is let go).
    pub(crate) fn parked(&self) -> bool {
        let flow = self.flow();
        *flow == Flow::Hold && self.waiting.load(Ordering::SeqCst) > 0
    }

    pub(super) fn stopped(&self) -> bool {
        *self.flow() == Flow::Stop
    }

    /// Waits while held; the flow the work goes on with (go or save), `Err` once stopped.
    pub(super) fn pass(&self) -> Result<Flow, Closed> {
        let mut flow = self.flow();
        if *flow == Flow::Hold {
            // Counted under the lock, so whoever reads `parked` under it sees the wait.
            self.waiting.fetch_add(1, Ordering::SeqCst);
            while *flow == Flow::Hold {
                flow = self.turn.wait(flow).unwrap_or_else(PoisonError::into_inner);
            }
            self.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        match *flow {
            Flow::Stop => Err(Closed),
            going => Ok(going),
        }
    }
}

/// The working end of a [`Run`]: reports like a [`Reporter`], and waits at each report while
/// the run is paused. It holds the run's turn at the CPU ([`crate::jobs::gate`]) and gives it back
/// while paused, so a paused run never keeps another learner's run waiting.
pub struct RunSink<E> {
    pub(super) reporter: Reporter<E>,
    pub(super) gate: Arc<Gate>,
    pub(super) turn: Mutex<Option<crate::jobs::gate::Turn<'static>>>,
    pub(super) queue: Arc<Queue>,
    /// Where the work leaves its state when the app closes (see [`Self::save`]).
    pub(super) saved: Arc<Mutex<Option<Vec<u8>>>>,
}

impl<E: Send> RunSink<E> {
    /// Waits while the run is paused (without its CPU turn), then for a turn again; work
    /// winding down to be saved needs no turn.
    pub(super) fn pass(&self) -> Result<Flow, Closed> {
        if !self.gate.held() {
            return self.gate.pass();
        }
        self.turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let flow = self.gate.pass()?;
        if flow == Flow::Save {
            return Ok(flow);
        }
        let turn = self
            .queue
            .wait_turn(&self.reporter, &self.gate)
            .ok_or(Closed)?;
        *self.turn.lock().unwrap_or_else(PoisonError::into_inner) = Some(turn);
        Ok(flow)
    }

    /// Whether the app is closing and wants the work's state: work that can resume checks
    /// this once `closed()` has stopped it, and hands its state to [`Self::save`].
    pub fn saving(&self) -> bool {
        *self.gate.flow() == Flow::Save
    }

    /// Hands over the state the work resumes from (the kind's own bytes: a checkpoint),
    /// which the run writes to the learner's data directory with the kind's panel state.
    pub fn save(&self, state: Vec<u8>) {
        *self.saved.lock().unwrap_or_else(PoisonError::into_inner) = Some(state);
    }
}

impl<E: Send> Sink<E> for RunSink<E> {
    /// Delivers `event`, waiting first while the run is paused. While the app closes, events
    /// still go through: the work stops at its next `closed()`, between two stages, where
    /// everything it computed has been reported.
    fn send(&self, event: E) -> Result<(), Closed> {
        self.pass()?;
        self.reporter.send(event)
    }

    fn closed(&self) -> bool {
        !matches!(self.pass(), Ok(Flow::Go)) || self.reporter.closed()
    }
}

/// A shared sink reports like the sink (work that hands its sink to a thread of its own, as
/// `lm-train`'s trainer, and still asks [`RunSink::saving`] after it).
impl<E: Send> Sink<E> for Arc<RunSink<E>> {
    fn send(&self, event: E) -> Result<(), Closed> {
        self.as_ref().send(event)
    }

    fn closed(&self) -> bool {
        self.as_ref().closed()
    }
}

/// Where a run waits for its turn at the CPU: how many runs are ahead of it, shared between
/// the work (which waits) and the panel (which says so).
#[derive(Debug)]
pub(super) struct Queue(std::sync::atomic::AtomicUsize);

impl Default for Queue {
    fn default() -> Self {
        Self(Self::NOT_WAITING.into())
    }
}

impl Queue {
    /// Not waiting: the run has its turn, or has not asked for one.
    const NOT_WAITING: usize = usize::MAX;

    pub(super) fn ahead(&self) -> Option<usize> {
        let n = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (n != Self::NOT_WAITING).then_some(n)
    }

    pub(super) fn set(&self, n: usize) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Waits for a turn at the process's gate, telling the panel its place as it changes;
    /// `None` once the run is stopped or its panel gone.
    pub(super) fn wait_turn<E: Send>(
        &self,
        reporter: &Reporter<E>,
        gate: &Gate,
    ) -> Option<crate::jobs::gate::Turn<'static>> {
        let turn = crate::jobs::gate::Gate::global().enter(
            |ahead| {
                self.set(ahead);
                reporter.wake();
            },
            // Stopped, its panel gone, or the app closing: a run not yet begun has
            // nothing to save.
            || gate.stopped() || *gate.flow() == Flow::Save || reporter.closed(),
        );
        self.set(Self::NOT_WAITING);
        reporter.wake();
        turn
    }
}
