//! Saving progress off the key path. A save locks, reads, merges, writes, syncs and renames
//! (an fsync alone can take milliseconds), too slow for every step change; so the app hands a copy of its
//! progress to a writer thread and moves on. The thread writes only the newest copy of a
//! burst, `save_now` waits for everything sent so far to be on disk (quit, signals,
//! suspend), and dropping the writer finishes what is pending.

use super::{Progress, Store};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

enum Msg {
    Save(Box<Progress>),
    /// Answer once everything sent before is written.
    Flush(Sender<()>),
}

/// Longest `save_now` waits for the disk before giving up (a hung network home, say).
const FLUSH_WAIT: Duration = Duration::from_secs(5);

pub struct Writer {
    /// The store itself when nothing is written to disk (memory stores): no thread needed.
    local: Option<Store>,
    tx: Option<Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
    /// The last save's problem, shared with the thread.
    warning: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Writer(background: {})", self.tx.is_some())
    }
}

impl Writer {
    pub fn new(store: Store) -> Self {
        let warning = Arc::new(Mutex::new(store.warning.clone()));
        if store.path().is_none() {
            return Self {
                local: Some(store),
                tx: None,
                thread: None,
                warning,
            };
        }
        let (tx, rx) = mpsc::channel();
        let shared = Arc::clone(&warning);
        let spawned = std::thread::Builder::new()
            .name("progress-writer".into())
            .spawn(move || write_loop(store, &rx, &shared));
        match spawned {
            Ok(thread) => Self {
                local: None,
                tx: Some(tx),
                thread: Some(thread),
                warning,
            },
            Err(e) => {
                let failed = Self {
                    local: None,
                    tx: None,
                    thread: None,
                    warning,
                };
                failed.set_warning(format!("progress not saved: cannot start its writer ({e})"));
                failed
            }
        }
    }

    fn set_warning(&self, text: String) {
        if let Ok(mut w) = self.warning.lock() {
            *w = Some(text);
        }
    }

    /// Queues a save and returns at once.
    pub fn save_soon(&mut self, progress: &Progress) {
        match (&self.tx, &mut self.local) {
            (Some(tx), _) => {
                if tx.send(Msg::Save(Box::new(progress.clone()))).is_err() {
                    self.set_warning("progress not saved: its writer stopped".into());
                }
            }
            (None, Some(store)) => store.save(&mut progress.clone()),
            (None, None) => {}
        }
    }

    /// Saves and waits until it is on disk (or `FLUSH_WAIT` passes).
    pub fn save_now(&mut self, progress: &mut Progress) {
        let Some(tx) = &self.tx else {
            if let Some(store) = &mut self.local {
                store.save(progress);
            }
            return;
        };
        let (ack_tx, ack_rx) = mpsc::channel();
        let sent = tx.send(Msg::Save(Box::new(progress.clone()))).is_ok()
            && tx.send(Msg::Flush(ack_tx)).is_ok();
        if !sent || ack_rx.recv_timeout(FLUSH_WAIT).is_err() {
            self.set_warning("progress not saved: writing it did not finish".into());
        }
    }

    /// Why the last save failed, if it did.
    pub fn warning(&self) -> Option<String> {
        self.warning.lock().ok().and_then(|w| w.clone())
    }
}

impl Drop for Writer {
    /// Closing the channel ends the thread after it writes what is pending.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes the newest progress of each burst; answers flushes once what came before is written.
fn write_loop(mut store: Store, rx: &Receiver<Msg>, warning: &Mutex<Option<String>>) {
    while let Ok(first) = rx.recv() {
        let mut latest = None;
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Save(p) => latest = Some(p),
                Msg::Flush(ack) => acks.push(ack),
            }
            next = rx.try_recv().ok();
        }
        if let Some(mut p) = latest {
            store.save(&mut p);
            if let Ok(mut w) = warning.lock() {
                w.clone_from(&store.warning);
            }
        }
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_saves_reach_the_disk_by_flush_and_by_drop() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) = Store::open(Some(dir.path().to_path_buf()));
        let mut w = Writer::new(store);
        let mut p = Progress::default();
        for step in 0..50 {
            p.lesson_mut("a").step = step;
            w.save_soon(&p);
        }
        w.save_now(&mut p);
        let (_, on_disk, _) = Store::open(Some(dir.path().to_path_buf()));
        assert_eq!(on_disk.lesson("a").map(|l| l.step), Some(49));
        p.lesson_mut("a").step = 7;
        w.save_soon(&p);
        drop(w);
        let (_, on_disk, _) = Store::open(Some(dir.path().to_path_buf()));
        assert_eq!(
            on_disk.lesson("a").map(|l| l.step),
            Some(7),
            "drop wrote it"
        );
        assert!(Writer::new(Store::memory()).warning().is_none());
    }
}
