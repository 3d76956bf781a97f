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
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

/// One learner's lab memory (a cheap handle: clones share it).
#[derive(Clone, Default)]
pub struct Lab(Arc<Mutex<Memory>>);

/// Results of deterministic work that panels of several labs compute alike (a fine-tuning run
/// of the same settings from the same model), shared by the labs made [`Lab::sharing`] one
/// handle. `llmf check` reads every quoted panel in a lab of its own and gives them all one
/// `Shared`, so that two panels repeating a run (lesson 22's full and LoRA runs, redone beside
/// every replay share) train it once per check. A learner's app never shares: their runs are
/// their own to watch, pause and redo.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<SharedCells>>);

type SharedCells = HashMap<String, Arc<OnceLock<Arc<dyn Any + Send + Sync>>>>;

impl Shared {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key`: computed by `compute` for the first caller; a later caller (one
    /// asking while it is being computed included) waits for it and gets the same value.
    /// `None` only if `key` holds a value of another type.
    pub fn get_or_compute<T: Any + Send + Sync>(
        &self,
        key: String,
        compute: impl FnOnce() -> T,
    ) -> Option<Arc<T>> {
        let cell = Arc::clone(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        );
        let value: &Arc<dyn Any + Send + Sync> = cell.get_or_init(|| Arc::new(compute()));
        Arc::clone(value).downcast::<T>().ok()
    }
}

impl Shared {
    /// Claims the work under `key` for the caller: true if nobody had asked for it yet (the
    /// caller is expected to compute it next, with [`Self::get_or_compute`]), false if some
    /// caller has (it is being computed, or done). Lets a caller with several pieces of work
    /// do first those nobody else is doing, and wait for the others' last.
    pub fn claim(&self, key: &str) -> bool {
        let mut cells = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if cells.contains_key(key) {
            return false;
        }
        cells.insert(key.to_string(), Arc::default());
        true
    }
}

/// What the lab remembers.
#[derive(Default)]
struct Memory {
    /// The model most recently offered by `lm-train` (its latest evaluated snapshot).
    trained: Option<Arc<Model>>,
    /// Runs waiting paused (their panels were left, or paused by key), oldest first.
    paused: VecDeque<Weak<Gate>>,
    /// Finished runs kept for comparison, by kind, newest first.
    kept: Vec<(&'static str, VecDeque<Kept>)>,
    /// Work shared with other labs (`llmf check`'s), if any.
    shared: Option<Shared>,
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

    /// A fresh lab whose panels share deterministic work with every other lab made with
    /// `shared` ([`Shared`]); nothing else of either lab is shared.
    pub fn sharing(shared: &Shared) -> Self {
        let lab = Self::new();
        lab.memory().shared = Some(shared.clone());
        lab
    }

    /// The work this lab shares with others, if any ([`Self::sharing`]).
    pub fn shared(&self) -> Option<Shared> {
        self.memory().shared.clone()
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

    /// How many paused runs have their work waiting at the pause: whatever such a run
    /// computed before it was paused has been reported, and it reports nothing more until
    /// it resumes. (A run paused mid-step is held but not yet parked.)
    pub fn parked(&self) -> usize {
        self.memory()
            .paused
            .iter()
            .filter(|g| g.upgrade().is_some_and(|g| g.parked()))
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

    #[test]
    fn shared_work_is_computed_once_for_every_lab_that_shares_it() {
        assert!(
            Lab::new().shared().is_none(),
            "a learner's lab shares nothing"
        );
        let shared = Shared::new();
        let (a, b) = (Lab::sharing(&shared), Lab::sharing(&shared));
        assert!(!a.same(&b), "two labs: only the shared work is common");
        let computed = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            vec![1, 2, 3]
        };
        // Asked at once from two threads: one computes, the other waits for it.
        std::thread::scope(|s| {
            for lab in [&a, &b] {
                s.spawn(|| {
                    let v = lab.shared().unwrap().get_or_compute("k".into(), work);
                    assert_eq!(*v.unwrap(), vec![1, 2, 3]);
                });
            }
        });
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another key is other work; the same key of another type is refused, not confused.
        let other = shared.get_or_compute("j".into(), || 7u8);
        assert_eq!(other.as_deref(), Some(&7));
        assert!(shared.get_or_compute("k".into(), || 7u8).is_none());
        // A claim is granted once per key: to whoever asks first, before or instead of
        // computing it.
        assert!(!shared.claim("k"), "k was computed");
        assert!(shared.claim("new") && !shared.claim("new"));
        assert_eq!(*shared.get_or_compute("new".into(), || 5u8).unwrap(), 5);
    }
}
