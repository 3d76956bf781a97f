//! Background work for visualizers, one way: a [`Job`] runs a closure on its own thread, the
//! closure posts messages (progress, results) through a [`Post`], and the visualizer that
//! owns the job collects them in `poll`. Dropping the job (leaving the step) asks the thread
//! to stop at its next check and throws away whatever it still posts.
//!
//! Each message also calls the process's waker, if one is set: the terminal loop sets one
//! that sends an event down the channel it already blocks on, so the screen updates the moment
//! work lands instead of on a timer. Without a waker (tests, `llmf render --settle`) callers
//! just poll. Nothing here knows about the terminal or ratatui.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, OnceLock};

/// What wakes the event loop when a job posts; set once by the terminal loop.
type Waker = Box<dyn Fn() + Send + Sync>;

static WAKER: OnceLock<Waker> = OnceLock::new();

/// Installs the function every job calls after posting (the first call wins).
pub fn set_waker(wake: impl Fn() + Send + Sync + 'static) {
    let _ = WAKER.set(Box::new(wake));
}

fn wake() {
    if let Some(w) = WAKER.get() {
        w();
    }
}

/// The worker's side: post messages and check whether anyone still wants them.
pub struct Post<T> {
    tx: Sender<T>,
    cancelled: Arc<AtomicBool>,
}

impl<T> Post<T> {
    /// Sends a message to the owner and wakes the event loop; false once the owner is gone,
    /// so the worker can stop.
    pub fn send(&self, msg: T) -> bool {
        if self.cancelled() || self.tx.send(msg).is_err() {
            return false;
        }
        wake();
        true
    }

    /// Whether the owner dropped the job (the learner left the step, or changed the settings).
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// A piece of background work and the messages it has posted so far.
pub struct Job<T> {
    rx: Receiver<T>,
    cancelled: Arc<AtomicBool>,
    finished: bool,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a named thread. If no thread can be made, the work runs here, now, so
    /// its results still arrive (late rather than never).
    pub fn spawn(name: &str, work: impl FnOnce(&Post<T>) + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let post = Post {
            tx,
            cancelled: Arc::clone(&cancelled),
        };
        let slot = Arc::new(std::sync::Mutex::new(Some((work, post))));
        let thread_slot = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let taken = thread_slot.lock().ok().and_then(|mut s| s.take());
                if let Some((work, post)) = taken {
                    work(&post);
                    // Dropping `post` closes the channel: the owner sees the job finish.
                    drop(post);
                    wake();
                }
            });
        if spawned.is_err() {
            let taken = slot.lock().ok().and_then(|mut s| s.take());
            if let Some((work, post)) = taken {
                work(&post);
            }
        }
        Self {
            rx,
            cancelled,
            finished: false,
        }
    }
}

impl<T> Job<T> {
    /// Every message posted since the last call, oldest first.
    pub fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(msg) => out.push(msg),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.finished = true;
                    break;
                }
            }
        }
        out
    }

    /// Whether the work has returned and every message it posted has been drained.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Blocks until the work returns, collecting every message (for tests and scripts).
    pub fn wait(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        while let Ok(msg) = self.rx.recv() {
            out.push(msg);
        }
        self.finished = true;
        out
    }
}

impl<T> Drop for Job<T> {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[test]
    fn messages_arrive_in_order_and_the_end_is_seen() {
        let mut job = Job::spawn("test-count", |post: &Post<u32>| {
            for i in 1..=5 {
                post.send(i);
            }
        });
        assert_eq!(job.wait(), vec![1, 2, 3, 4, 5]);
        assert!(job.finished());
        assert!(job.drain().is_empty());
    }

    #[test]
    fn dropping_the_job_stops_the_worker() {
        let steps = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&steps);
        let (started_tx, started_rx) = mpsc::channel();
        let job = Job::spawn("test-cancel", move |post: &Post<()>| {
            let _ = started_tx.send(());
            // Runs until cancelled; each turn is one step.
            while !post.cancelled() {
                seen.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
            // A post after cancelling is refused.
            assert!(!post.send(()));
            seen.store(usize::MAX, Ordering::Relaxed);
        });
        started_rx.recv().unwrap();
        drop(job);
        // The worker notices within a few of its 1 ms turns; give it a generous while.
        for _ in 0..2000 {
            if steps.load(Ordering::Relaxed) == usize::MAX {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("the worker did not stop after the job was dropped");
    }
}
