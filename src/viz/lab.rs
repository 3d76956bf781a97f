//! A learner's lab memory: what their experiments left behind for the rest of their session.
//!
//! Each app (one learner, at a terminal or in a `llmf serve` session) owns one [`Lab`] and
//! hands it to every panel it builds, through [`crate::viz::params::Params::lab`]. Nothing
//! here is process-wide: two students on one server have two labs, so one's trained model
//! never shows in the other's panels. The memory lives as long as the session; nothing is
//! written to disk.
//!
//! It holds the model `lm-train` trained last (which `next-token` and `loss-at-position` read
//! even from another step, since a panel is dropped or set aside when its step is left), the
//! runs waiting paused (at most [`MAX_PAUSED`]: pausing one more stops the oldest), and the
//! last [`MAX_KEPT`] finished runs of each kind, kept for comparison (see [`super::run`]).
//! Cloning a `Lab` clones the handle, not the memory.

use super::run::{Gate, Kept, MAX_KEPT, MAX_PAUSED};
use crate::labs::lm::Model;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// One learner's lab memory (a cheap handle: clones share it).
#[derive(Clone, Default)]
pub struct Lab(Arc<Mutex<Memory>>);

/// What the lab remembers.
#[derive(Default)]
struct Memory {
    /// The model most recently offered by `lm-train` (its latest evaluated snapshot).
    trained: Option<Arc<Model>>,
    /// Runs waiting paused (their panels were left, or paused by key), oldest first.
    paused: VecDeque<Weak<Gate>>,
    /// Finished runs kept for comparison, by kind, newest first.
    kept: Vec<(&'static str, VecDeque<Kept>)>,
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.memory();
        let kept: usize = m.kept.iter().map(|(_, runs)| runs.len()).sum();
        write!(
            f,
            "Lab(trained: {}, paused: {}, kept runs: {kept})",
            m.trained.is_some(),
            m.paused.len()
        )
    }
}

impl Lab {
    /// A fresh, empty lab (a new session).
    pub fn new() -> Self {
        Self::default()
    }

    /// The memory, even after a panic elsewhere while it was held: it holds plain values,
    /// each written whole, so what is there is still consistent.
    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Offers `model` to this learner's other panels for the rest of the session.
    pub fn keep_trained(&self, model: Arc<Model>) {
        self.memory().trained = Some(model);
    }

    /// The model this learner trained last in `lm-train`, if any.
    pub fn trained(&self) -> Option<Arc<Model>> {
        self.memory().trained.clone()
    }

    /// Notes a run that now waits paused; beyond [`MAX_PAUSED`] the oldest waiting run is
    /// stopped (its thread, model and optimizer freed), which its panel says on return.
    pub(crate) fn hold_paused(&self, gate: &Arc<Gate>) {
        let mut m = self.memory();
        m.paused.retain(|g| {
            g.upgrade()
                .is_some_and(|g| g.held() && !Arc::ptr_eq(&g, gate))
        });
        m.paused.push_back(Arc::downgrade(gate));
        while m.paused.len() > MAX_PAUSED {
            if let Some(oldest) = m.paused.pop_front().and_then(|g| g.upgrade()) {
                oldest.stop();
            }
        }
    }

    /// A run no longer waits (resumed, restarted, ended or dropped).
    pub(crate) fn forget_paused(&self, gate: &Arc<Gate>) {
        self.memory()
            .paused
            .retain(|g| g.upgrade().is_some_and(|g| !Arc::ptr_eq(&g, gate)));
    }

    /// How many runs wait paused.
    pub fn paused(&self) -> usize {
        self.memory()
            .paused
            .iter()
            .filter(|g| g.upgrade().is_some_and(|g| g.held()))
            .count()
    }

    /// Keeps a finished run of `kind` for comparison: the newest [`MAX_KEPT`] stay.
    pub(crate) fn keep_run(&self, kind: &'static str, run: Kept) {
        let mut m = self.memory();
        let at = match m.kept.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => {
                m.kept.push((kind, VecDeque::new()));
                m.kept.len() - 1
            }
        };
        let runs = &mut m.kept[at].1;
        runs.push_front(run);
        runs.truncate(MAX_KEPT);
    }

    /// The kept runs of `kind`, newest first.
    pub fn kept_runs(&self, kind: &str) -> Vec<Kept> {
        self.memory()
            .kept
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, runs)| runs.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the kept runs of `kind`; whether there were any.
    pub(crate) fn clear_runs(&self, kind: &str) -> bool {
        let mut m = self.memory();
        let before: usize = m.kept.iter().map(|(_, r)| r.len()).sum();
        m.kept.retain(|(k, _)| *k != kind);
        let after: usize = m.kept.iter().map(|(_, r)| r.len()).sum();
        before != after
    }

    /// Bytes the kept runs hold (the history's share of a session's memory).
    pub fn kept_bytes(&self) -> usize {
        self.memory()
            .kept
            .iter()
            .flat_map(|(_, runs)| runs.iter().map(Kept::bytes))
            .sum()
    }

    /// Whether `self` and `other` are the same learner's lab.
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_labs_do_not_share_a_model_and_clones_do() {
        let alice = Lab::new();
        let bob = Lab::new();
        let alice_again = alice.clone();
        assert!(alice.same(&alice_again) && !alice.same(&bob));
        let vocab = crate::labs::lm::Vocab::for_corpus("abc de");
        let config = crate::labs::lm::Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 4,
            context: 8,
        };
        let model = Model::new(config, vocab, 1).unwrap();
        alice.keep_trained(Arc::new(model));
        assert!(alice_again.trained().is_some());
        assert!(bob.trained().is_none(), "bob sees only his own lab");
    }
}
