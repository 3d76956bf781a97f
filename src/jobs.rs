//! The one way work runs off the UI thread: training, timing, a tokenizer learning its
//! vocabulary, a panel's first heavy computation.
//!
//! A [`Job`] is the UI's end of a piece of work running on its own thread. The work reports
//! through a [`Reporter`]: every event it sends lands in the job's channel *and* wakes the
//! driver through a [`Waker`], so the driver's event loop (which blocks on one channel for
//! keys, signals and these wake-ups alike) sleeps until there is something to show. Nothing
//! polls on a timer. When the learner leaves a step its panel is dropped with its jobs; the
//! work's next send fails and the work stops there.
//!
//! Nothing here knows about terminals: the local driver's waker posts a message to its event
//! channel; a server's posts to the session's task; `llmf check` waits on a plain channel.

pub mod gate;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

/// Tells the driver that a job has something new. Cheap to clone; waking an absent driver
/// (tests, command-line tools) does nothing.
#[derive(Clone, Default)]
pub struct Waker(Option<Arc<dyn Fn() + Send + Sync>>);

impl Waker {
    /// A waker that runs `wake` (from any thread) each time a job posts.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(wake)))
    }

    /// A waker that wakes nobody: for callers that collect results by waiting instead.
    pub fn none() -> Self {
        Self(None)
    }

    /// Whether this waker wakes nobody (so results must be waited for).
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    pub fn wake(&self) {
        if let Some(wake) = &self.0 {
            wake();
        }
    }
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Waker"
        } else {
            "Waker(none)"
        })
    }
}

/// The receiving end went away: the work should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// Where work posts its events. Implemented by a [`Reporter`] (a job seen by the UI) and by a
/// plain [`mpsc::Sender`] (the command line and tests, which wait on the receiver), so the
/// labs' long-running loops (`Trainer`) need not know who listens.
pub trait Sink<E>: Send {
    fn send(&self, event: E) -> Result<(), Closed>;
    /// Whether nobody listens any more, known without sending: long work checks it between
    /// its stages so that a dropped panel's work stops within one stage, not at its next
    /// report (a quantizing or fine-tuning thread left running steals the key path's CPU).
    /// A plain sender cannot tell, and says no.
    fn closed(&self) -> bool {
        false
    }
}

impl<E: Send> Sink<E> for Sender<E> {
    fn send(&self, event: E) -> Result<(), Closed> {
        Sender::send(self, event).map_err(|_| Closed)
    }
}

/// The working end of a [`Job`]: sends events and wakes the driver for each. Dropping it (the
/// work has ended, however it ended) wakes the driver once more, so the UI sees the end.
pub struct Reporter<E> {
    tx: Sender<E>,
    waker: Waker,
    /// Set when the job is dropped.
    closed: Arc<AtomicBool>,
}

impl<E> Clone for Reporter<E> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
            closed: Arc::clone(&self.closed),
        }
    }
}

impl<E: Send> Sink<E> for Reporter<E> {
    fn send(&self, event: E) -> Result<(), Closed> {
        self.tx.send(event).map_err(|_| Closed)?;
        self.waker.wake();
        Ok(())
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

impl<E> Reporter<E> {
    /// Posts `event`; `Err(Closed)` once the job was dropped, so the work should stop.
    pub fn send(&self, event: E) -> Result<(), Closed>
    where
        E: Send,
    {
        Sink::send(self, event)
    }

    /// Whether the job was dropped (the work should stop), without sending anything.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Wakes the driver without an event: the panel has something new to show that lives
    /// outside the channel (a run's place in the queue for the CPU).
    pub fn wake(&self) {
        self.waker.wake();
    }
}

impl<E> Drop for Reporter<E> {
    fn drop(&mut self) {
        // Let go of the sender before waking: woken while it was still held, the driver could
        // drain an empty, still-connected channel, and no later wake would tell it the work
        // had ended (the run stayed "running" at its last step).
        drop(std::mem::replace(&mut self.tx, mpsc::channel().0));
        self.waker.wake();
    }
}

/// The UI's end of a piece of background work: the events it posted, and whether it may post
/// more. Dropping it closes the channel, which stops the work at its next send.
pub struct Job<E> {
    rx: Receiver<E>,
    /// False once every reporter is gone (the work finished, failed or stopped).
    live: bool,
    /// Shared with the reporters: set on drop, so work can stop between reports.
    closed: Arc<AtomicBool>,
}

impl<E> Drop for Job<E> {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

impl<E> fmt::Debug for Job<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Job(live: {})", self.live)
    }
}

impl<E: Send + 'static> Job<E> {
    /// A job whose reporter goes to work started elsewhere (a trainer with its own thread).
    pub fn channel(waker: &Waker) -> (Reporter<E>, Self) {
        let (tx, rx) = mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let reporter = Reporter {
            tx,
            waker: waker.clone(),
            closed: Arc::clone(&closed),
        };
        (
            reporter,
            Self {
                rx,
                live: true,
                closed,
            },
        )
    }

    /// Runs `work` on a new thread named `name`, reporting through the reporter it is given.
    /// The thread (and any it starts) runs at a lower priority than the UI thread, see
    /// [`yield_to_the_ui`].
    pub fn spawn(
        name: &str,
        waker: &Waker,
        work: impl FnOnce(Reporter<E>) + Send + 'static,
    ) -> Self {
        Self::spawn_at(name, waker, true, work)
    }

    /// [`Self::spawn`] at the UI thread's own priority: for the short work a frame is waiting
    /// for (a panel's first view), which must not queue behind training runs.
    pub fn spawn_for_frame(
        name: &str,
        waker: &Waker,
        work: impl FnOnce(Reporter<E>) + Send + 'static,
    ) -> Self {
        Self::spawn_at(name, waker, false, work)
    }

    fn spawn_at(
        name: &str,
        waker: &Waker,
        lower: bool,
        work: impl FnOnce(Reporter<E>) + Send + 'static,
    ) -> Self {
        let (reporter, job) = Self::channel(waker);
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                if lower {
                    yield_to_the_ui();
                }
                work(reporter)
            });
        match spawned {
            Ok(_) => job,
            // No thread: its closure (and the reporter) is already dropped, so the job reads
            // as ended on the first drain.
            Err(_) => job,
        }
    }

    /// Every event posted since the last call, oldest first; never waits.
    pub fn drain(&mut self) -> Vec<E> {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty) => return out,
                Err(TryRecvError::Disconnected) => {
                    self.live = false;
                    return out;
                }
            }
        }
    }

    /// Whether the work may still post events (as of the last drain).
    pub fn live(&self) -> bool {
        self.live
    }

    /// Waits up to `timeout` for the next event (for callers with no event loop: the first
    /// frame of a panel, `llmf check`). `None` on timeout or when the work has ended.
    pub fn wait(&mut self, timeout: Duration) -> Option<E> {
        match self.rx.recv_timeout(timeout) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                self.live = false;
                None
            }
        }
    }

    /// Blocks until the work ends, collecting every event (tests drive runs with this).
    pub fn wait_all(&mut self) -> Vec<E> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.recv() {
            out.push(e);
        }
        self.live = false;
        out
    }
}

/// How much nicer than the UI thread background work runs (Linux nice values, 0 to 19).
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority by [`BACKGROUND_NICE`] (threads it starts
/// inherit it). On two cores shared with a training run, a tokenizer being learned or a
/// sweep, the key path then gets the CPU first: the frame after a key press does not wait
/// behind background work. Elsewhere than Linux, or if the system refuses, nothing changes.
pub fn yield_to_the_ui() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        if let Ok(nice) = getpriority_process(me) {
            let _ = setpriority_process(me, (nice + BACKGROUND_NICE).min(19));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting() -> (Waker, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&count);
        let waker = Waker::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        (waker, count)
    }

    #[test]
    fn every_event_and_the_end_wake_the_driver() {
        let (waker, wakes) = counting();
        let mut job = Job::spawn("test", &waker, |r| {
            for i in 0..3 {
                r.send(i).unwrap();
            }
        });
        assert_eq!(job.wait_all(), vec![0, 1, 2]);
        assert!(!job.live());
        // Three events, then the reporter's drop: four wake-ups. The last comes just after
        // the channel closes, so it may still be on its way.
        for _ in 0..10_000 {
            if wakes.load(Ordering::SeqCst) == 4 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(wakes.load(Ordering::SeqCst), 4);
    }

    /// The wake that reports the end must find the channel already closed: a driver that
    /// drains at that wake, and gets no other, still sees the work as ended.
    #[test]
    fn the_last_wake_comes_after_the_channel_has_closed() {
        let (job_tx, job_rx) = mpsc::channel::<Job<u8>>();
        let (seen_tx, seen) = mpsc::channel::<bool>();
        let job_rx = std::sync::Mutex::new(job_rx);
        // The driver's side, run inside the wake itself: it drains and says whether the job
        // is still live.
        let waker = Waker::new(move || {
            let mut job = job_rx.lock().unwrap().recv().unwrap();
            job.drain();
            seen_tx.send(job.live()).unwrap();
        });
        let (reporter, job) = Job::<u8>::channel(&waker);
        job_tx.send(job).unwrap();
        drop(reporter);
        assert!(!seen.recv().unwrap(), "woken while the channel was open");
    }

    #[test]
    fn dropping_the_job_stops_the_work_at_its_next_send() {
        let (first_sent_tx, first_sent) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<usize>();
        let job = Job::spawn("test", &Waker::none(), move |r| {
            let mut sent = 0;
            for i in 0..1000 {
                if r.send(i).is_err() {
                    break;
                }
                sent += 1;
                if i == 0 {
                    // Let the test drop the job before the second send.
                    first_sent_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                }
            }
            done_tx.send(sent).unwrap();
        });
        first_sent.recv().unwrap();
        drop(job);
        go_tx.send(()).unwrap();
        assert_eq!(
            done_rx.recv().unwrap(),
            1,
            "only the event before the drop went out"
        );
    }

    #[test]
    fn dropping_the_job_tells_the_work_without_a_send() {
        let (reporter, job) = Job::<u8>::channel(&Waker::none());
        let sink: &dyn Sink<u8> = &reporter;
        assert!(!reporter.closed() && !sink.closed());
        drop(job);
        assert!(reporter.closed() && sink.closed());
        // A clone made before the drop sees it too.
        let (reporter, job) = Job::<u8>::channel(&Waker::none());
        let other = reporter.clone();
        drop(job);
        assert!(other.closed());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn background_work_runs_nicer_than_the_ui_and_a_frames_work_does_not() {
        use rustix::process::getpriority_process;
        let nice = || getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let ui = nice();
        let mut background = Job::spawn("test", &Waker::none(), move |r| {
            let _ = r.send(nice());
        });
        let mut frame = Job::spawn_for_frame("test", &Waker::none(), move |r| {
            let _ = r.send(nice());
        });
        assert_eq!(background.wait_all(), vec![(ui + BACKGROUND_NICE).min(19)]);
        assert_eq!(frame.wait_all(), vec![ui]);
    }

    #[test]
    fn drain_never_waits_and_sees_the_end() {
        let (reporter, mut job) = Job::<u8>::channel(&Waker::none());
        assert!(job.drain().is_empty());
        assert!(job.live());
        reporter.send(7).unwrap();
        drop(reporter);
        assert_eq!(job.drain(), vec![7]);
        assert!(!job.live());
    }

    #[test]
    fn a_plain_sender_is_a_sink_too() {
        let (tx, rx) = mpsc::channel();
        let sink: &dyn Sink<u8> = &tx;
        sink.send(3).unwrap();
        drop(rx);
        assert_eq!(sink.send(4), Err(Closed));
    }
}
