//! A learner's lab memory: what their experiments left behind for the rest of their session.
//!
//! Each app (one learner, at a terminal or in a `llmf serve` session) owns one [`Lab`] and
//! hands it to every panel it builds, through [`crate::viz::params::Params::lab`]. Nothing
//! here is process-wide: two students on one server have two labs, so one's trained model
//! never shows in the other's panels. The memory lives as long as the session; nothing is
//! written to disk.
//!
//! It holds the model `lm-train` trained last (which `next-token` and `loss-at-position` read
//! even from another step, since a panel is dropped or set aside when its step is left).
//! Cloning a `Lab` clones the handle, not the memory.

use crate::labs::lm::Model;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One learner's lab memory (a cheap handle: clones share it).
#[derive(Clone, Default)]
pub struct Lab(Arc<Mutex<Memory>>);

/// What the lab remembers.
#[derive(Default)]
struct Memory {
    /// The model most recently offered by `lm-train` (its latest evaluated snapshot).
    trained: Option<Arc<Model>>,
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trained = self.memory().trained.is_some();
        write!(f, "Lab(trained: {trained})")
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
