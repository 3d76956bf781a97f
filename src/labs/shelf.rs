//! A process-wide cache that does not keep what nobody uses: a [`Shelf`] hands out one shared
//! value to every caller while any of them holds it, and lets it be freed when the last one
//! lets go; the next caller builds it again. For large read-only tables built on demand (the
//! real tokenizers' vocabularies, ~80 MB for three): a classroom server whose learners have
//! moved past the lesson that uses them, or `llmf check` training models after checking that
//! lesson, need not keep them. A caller that reads the value often holds its [`Arc`].
//!
//! Work that builds and drops many short-lived holders in a row (`llmf check` builds a panel
//! once per control setting to measure it) takes a [`Keep`] for its duration: while a `Keep`
//! lives, every value its thread takes from any shelf stays. Per thread, so that one worker
//! of the check keeps only what its own piece of work uses: with one count for the whole
//! process, two workers' pieces overlapped without a gap and the tokenizers of lesson 1 stayed
//! until the end of the check.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError, Weak};

type Kept = Vec<Arc<dyn Any + Send + Sync>>;

thread_local! {
    /// How many [`Keep`]s live on this thread, and the values they keep.
    static KEPT: RefCell<(usize, Kept)> = const { RefCell::new((0, Vec::new())) };
}

/// While it lives, every value its thread takes from a shelf stays (see the module's text).
/// Not `Send`: it belongs to the thread that made it.
#[must_use = "values are kept only while the Keep lives"]
pub struct Keep(std::marker::PhantomData<*const ()>);

/// Starts keeping every shelved value this thread takes until the returned [`Keep`] (and any
/// other of this thread's) is dropped.
pub fn keep() -> Keep {
    KEPT.with_borrow_mut(|kept| kept.0 += 1);
    Keep(std::marker::PhantomData)
}

impl Drop for Keep {
    fn drop(&mut self) {
        let values = KEPT.with_borrow_mut(|kept| {
            kept.0 -= 1;
            if kept.0 == 0 {
                std::mem::take(&mut kept.1)
            } else {
                Vec::new()
            }
        });
        // Dropped outside the borrow: freeing a value may take a while.
        drop(values);
    }
}

/// Holds `value` for this thread's [`Keep`], if one lives (once per value).
fn keep_for_this_thread(value: Arc<dyn Any + Send + Sync>) {
    KEPT.with_borrow_mut(|(count, kept)| {
        if *count > 0 && !kept.iter().any(|k| Arc::ptr_eq(k, &value)) {
            kept.push(value);
        }
    });
}

pub struct Shelf<T>(Mutex<Weak<T>>);

impl<T> Default for Shelf<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Shelf<T> {
    pub const fn new() -> Self {
        Self(Mutex::new(Weak::new()))
    }
}

impl<T: Send + Sync + 'static> Shelf<T> {
    /// The value on the shelf, built by `make` if nobody holds one. Built under the shelf's
    /// lock: a caller arriving meanwhile waits for it rather than building a second.
    pub fn get_or_make(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let value = match slot.upgrade() {
            Some(value) => value,
            None => {
                let value = Arc::new(make());
                *slot = Arc::downgrade(&value);
                value
            }
        };
        drop(slot);
        keep_for_this_thread(Arc::clone(&value) as Arc<dyn Any + Send + Sync>);
        value
    }

    /// Whether some caller still holds the value.
    pub fn held(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .strong_count()
            > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_value_while_anyone_holds_it_and_none_after() {
        static SHELF: Shelf<Vec<u8>> = Shelf::new();
        let built = AtomicUsize::new(0);
        let make = || {
            built.fetch_add(1, Ordering::SeqCst);
            vec![1, 2, 3]
        };
        let a = SHELF.get_or_make(make);
        let b = SHELF.get_or_make(make);
        assert!(Arc::ptr_eq(&a, &b), "shared while held");
        assert_eq!(built.load(Ordering::SeqCst), 1);
        let weak = Arc::downgrade(&a);
        drop(a);
        assert!(SHELF.held(), "b still holds it");
        drop(b);
        assert!(
            !SHELF.held() && weak.upgrade().is_none(),
            "freed with the last holder"
        );
        let c = SHELF.get_or_make(make);
        assert_eq!((*c).clone(), vec![1, 2, 3]);
        assert_eq!(
            built.load(Ordering::SeqCst),
            2,
            "built again when next asked"
        );
    }

    #[test]
    fn a_keep_keeps_what_is_taken_meanwhile_until_it_ends() {
        static SHELF: Shelf<String> = Shelf::new();
        let keep = keep();
        let weak = Arc::downgrade(&SHELF.get_or_make(|| "table".to_string()));
        assert!(SHELF.held(), "kept after its taker let go");
        let again = SHELF.get_or_make(|| unreachable!("built once while kept"));
        assert_eq!(*again, "table");
        drop(again);
        drop(keep);
        assert!(weak.upgrade().is_none(), "freed when the Keep ended");
    }

    #[test]
    fn a_keep_keeps_only_what_its_own_thread_takes() {
        static SHELF: Shelf<String> = Shelf::new();
        let _keep = keep();
        // Another thread takes and lets go while this thread's Keep lives: not kept.
        let weak = std::thread::scope(|s| {
            s.spawn(|| Arc::downgrade(&SHELF.get_or_make(|| "other".to_string())))
                .join()
                .unwrap()
        });
        assert!(weak.upgrade().is_none(), "another thread's value was kept");
        // What this thread takes stays after it lets go.
        let held = SHELF.get_or_make(|| "mine".to_string());
        let weak = Arc::downgrade(&held);
        drop(held);
        assert!(weak.upgrade().is_some(), "this thread's value was not kept");
    }

    #[test]
    fn callers_arriving_together_share_one_build() {
        let shelf: Shelf<usize> = Shelf::new();
        let built = AtomicUsize::new(0);
        let held: Vec<Arc<usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        shelf.get_or_make(|| {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            built.fetch_add(1, Ordering::SeqCst)
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(built.load(Ordering::SeqCst), 1);
        assert!(held.iter().all(|v| Arc::ptr_eq(v, &held[0])));
    }
}
