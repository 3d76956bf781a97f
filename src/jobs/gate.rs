//! Turns at the CPU for training runs: at most a few run at once, the rest wait in order.
//!
//! A training run keeps one core busy for seconds to minutes. On a classroom server thirty
//! students may press "run" in the same minute; if all thirty ran at once on two cores, each
//! would take thirty times as long, all would finish together at the end, and every reading
//! student's keys would wait behind them. So runs are admitted through one gate per process:
//! up to [`Gate::limit`] run (default: the number of cores), the others wait first come,
//! first served, and each waiting run is told how many are ahead of it, to show the learner
//! ("queued: 3 ahead").
//!
//! The gate is the one process-wide piece of state the labs share on purpose: it holds no
//! learner's data, only counts, and the CPU it shares out is the process's.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How often a waiting run wakes to see whether its learner has left (its work is dropped
/// then, without ever running).
const RECHECK: Duration = Duration::from_millis(200);

/// A first-come, first-served gate for runs that keep a core busy.
#[derive(Debug)]
pub struct Gate {
    state: Mutex<State>,
    turn: Condvar,
}

#[derive(Debug)]
struct State {
    limit: usize,
    running: usize,
    /// Tickets of the runs waiting, oldest first.
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// A run's place at the CPU: the next waiting run goes in when it is dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    gate: &'a Gate,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.running = state.running.saturating_sub(1);
        drop(state);
        self.gate.turn.notify_all();
    }
}

impl Gate {
    /// A gate letting `limit` runs (at least one) go at once.
    pub fn new(limit: usize) -> Self {
        Self {
            state: Mutex::new(State {
                limit: limit.max(1),
                running: 0,
                waiting: VecDeque::new(),
                next_ticket: 0,
            }),
            turn: Condvar::new(),
        }
    }

    /// The process's gate, as wide as the machine has cores.
    pub fn global() -> &'static Gate {
        static GATE: OnceLock<Gate> = OnceLock::new();
        GATE.get_or_init(|| {
            Gate::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Runs going and runs waiting now.
    pub fn load(&self) -> (usize, usize) {
        let state = self.lock();
        (state.running, state.waiting.len())
    }

    /// Waits for this run's turn. While it waits, `place` is told the number of runs ahead
    /// of it whenever that number changes (and at once, if it must wait at all), and `left`
    /// is asked at least every [`RECHECK`] whether its learner has gone: then the run gives
    /// up its place and `None` is returned.
    pub fn enter(&self, mut place: impl FnMut(usize), left: impl Fn() -> bool) -> Option<Turn<'_>> {
        let mut state = self.lock();
        if state.waiting.is_empty() && state.running < state.limit {
            state.running += 1;
            return Some(Turn { gate: self });
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting.push_back(ticket);
        let mut told = None;
        loop {
            let ahead = state.waiting.iter().position(|&t| t == ticket).unwrap_or(0);
            if ahead == 0 && state.running < state.limit {
                state.waiting.pop_front();
                state.running += 1;
                drop(state);
                // The next in line may have room too (several turns ended at once).
                self.turn.notify_all();
                return Some(Turn { gate: self });
            }
            drop(state);
            if told != Some(ahead) {
                told = Some(ahead);
                place(ahead);
            }
            let gone = left();
            state = self.lock();
            if gone {
                state.waiting.retain(|&t| t != ticket);
                drop(state);
                self.turn.notify_all();
                return None;
            }
            // Changes are checked under the lock after the callbacks: a turn that ended
            // while they ran is seen here, not missed.
            let still = state.waiting.iter().position(|&t| t == ticket).unwrap_or(0);
            if still != ahead || (still == 0 && state.running < state.limit) {
                continue;
            }
            let (next, _) = self
                .turn
                .wait_timeout(state, RECHECK)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::Arc;

    #[test]
    fn runs_beyond_the_limit_wait_in_order_and_are_told_their_place() {
        let gate = Arc::new(Gate::new(2));
        let a = gate
            .enter(|_| panic!("room for the first"), || false)
            .unwrap();
        let b = gate
            .enter(|_| panic!("room for the second"), || false)
            .unwrap();
        assert_eq!(gate.load(), (2, 0));
        let (order_tx, order_rx) = mpsc::channel();
        let (place_tx, place_rx) = mpsc::channel();
        let mut waiters = Vec::new();
        for name in ["c", "d", "e"] {
            let shared = Arc::clone(&gate);
            let (order, place) = (order_tx.clone(), place_tx.clone());
            waiters.push(std::thread::spawn(move || {
                let turn = shared.enter(
                    |ahead| {
                        let _ = place.send((name, ahead));
                    },
                    || false,
                );
                order.send(name).unwrap();
                // Hold the turn a moment so the order of entry is the order of the queue.
                std::thread::sleep(Duration::from_millis(20));
                drop(turn);
            }));
            // Queue them in a known order.
            while gate.load().1 < waiters.len() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let first_places: Vec<_> = (0..3).map(|_| place_rx.recv().unwrap()).collect();
        assert_eq!(first_places, [("c", 0), ("d", 1), ("e", 2)]);
        drop(a);
        assert_eq!(order_rx.recv().unwrap(), "c");
        drop(b);
        assert_eq!(order_rx.recv().unwrap(), "d");
        assert_eq!(order_rx.recv().unwrap(), "e");
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(gate.load(), (0, 0));
    }

    #[test]
    fn a_run_whose_learner_left_gives_up_its_place() {
        let gate = Arc::new(Gate::new(1));
        let held = gate.enter(|_| {}, || false).unwrap();
        let left = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let (gate, left) = (Arc::clone(&gate), Arc::clone(&left));
            std::thread::spawn(move || {
                gate.enter(|_| {}, || left.load(std::sync::atomic::Ordering::Relaxed))
                    .is_some()
            })
        };
        while gate.load().1 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        left.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(!waiter.join().unwrap(), "the run left without its turn");
        assert_eq!(gate.load(), (1, 0));
        drop(held);
        assert!(gate.enter(|_| panic!("free again"), || false).is_some());
    }
}
