//! What the language-model visualizers of Part IV share: which model they read (the shipped
//! one, or the one trained live in `lm-train`), the corpus loaded once, characters written so
//! a space or a newline can be seen, and [`Background`], the one adapter through which these
//! kinds run work off the UI thread.
//!
//! # The "last trained model" slot
//! `lm-train` trains a model in the background; `next-token` and `loss-at-position` can read
//! it afterwards, even from another lesson step, because a visualizer is dropped when the
//! learner leaves its step. So the model is kept in one process-wide slot
//! ([`keep_trained`], [`last_trained`]): the latest snapshot of the latest run whose
//! `keep_model` parameter is on (the default). It lives for the session only: nothing is
//! written to disk. This is the one static result the app holds, on purpose: the alternative
//! (threading a model store through the app to every visualizer) would widen the
//! [`crate::viz::Visual`] interface for a single pair of kinds.

use crate::labs::lm::{self, Data, Model};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, OnceLock};

/// The model most recently trained by `lm-train` in this session.
static LAST_TRAINED: Mutex<Option<Arc<Model>>> = Mutex::new(None);

/// Offers `model` to the other visualizers for the rest of the session.
pub fn keep_trained(model: Arc<Model>) {
    if let Ok(mut slot) = LAST_TRAINED.lock() {
        *slot = Some(model);
    }
}

/// The model `lm-train` trained last in this session, if any.
pub fn last_trained() -> Option<Arc<Model>> {
    LAST_TRAINED.lock().ok().and_then(|slot| slot.clone())
}

/// The bundled corpus, split once and shared by every run.
pub fn corpus() -> Arc<Data> {
    static DATA: OnceLock<Arc<Data>> = OnceLock::new();
    Arc::clone(DATA.get_or_init(|| Arc::new(Data::corpus())))
}

/// Which model a visualizer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The model shipped in the binary (`make model` builds it).
    Shipped,
    /// The one trained in `lm-train` during this session.
    Trained,
}

/// Names of the sources, as the control and the `model` parameter write them.
pub const SOURCE_NAMES: [&str; 2] = ["shipped", "trained"];

impl Source {
    pub fn from_index(i: usize) -> Self {
        if i == 1 {
            Self::Trained
        } else {
            Self::Shipped
        }
    }
    pub fn index(self) -> usize {
        usize::from(self == Self::Trained)
    }
    pub fn options() -> Vec<String> {
        vec!["shipped model".into(), "trained in lm-train".into()]
    }
}

/// A model to read: the shipped one (kept for the whole run) or a trained one.
pub enum Loaded {
    Shipped(&'static Model),
    Trained(Arc<Model>),
}

impl std::ops::Deref for Loaded {
    type Target = Model;
    fn deref(&self) -> &Model {
        match self {
            Self::Shipped(m) => m,
            Self::Trained(m) => m,
        }
    }
}

/// The model `source` names, or a sentence saying what to do when there is none.
pub fn load(source: Source) -> Result<Loaded, String> {
    lm::threads::limit_candle_threads();
    match source {
        Source::Shipped => lm::base_model()
            .map(Loaded::Shipped)
            .map_err(|_| "The shipped model is missing: run `make model` and rebuild.".into()),
        Source::Trained => last_trained().map(Loaded::Trained).ok_or_else(|| {
            "No model trained yet: train one with the loss-curve visualizer (lesson 15) first."
                .into()
        }),
    }
}

/// A character as the panel shows it: space as ␣, newline as ⏎, tab as ⇥.
pub fn visible(c: char) -> String {
    match c {
        ' ' => "␣".into(),
        '\n' => "⏎".into(),
        '\t' => "⇥".into(),
        c if c.is_control() => format!("U+{:04X}", c as u32),
        c => c.to_string(),
    }
}

/// A text with its spaces left as spaces but newlines and tabs made visible (for one line).
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c == ' ' { " ".into() } else { visible(c) })
        .collect()
}

/// The last `n` characters of `text`, with "…" in front when it was cut.
pub fn tail(text: &str, n: usize) -> String {
    let count = text.chars().count();
    if count <= n {
        text.to_string()
    } else {
        let kept: String = text.chars().skip(count + 1 - n).collect();
        format!("…{kept}")
    }
}

/// Background work seen from the UI thread: the work runs on its own thread and posts events
/// to a channel, which [`Background::drain`] empties without ever waiting. Dropping the
/// `Background` closes the channel, and the work stops at its next send. All the background
/// plumbing of these kinds is this one type, so moving them onto a job runner changes only it.
pub struct Background<E> {
    rx: Receiver<E>,
    /// False once the worker has dropped its sender (finished, failed or stopped).
    live: bool,
}

impl<E: Send + 'static> Background<E> {
    /// A channel whose sending end goes to work started elsewhere (e.g. `Trainer::spawn`).
    pub fn channel() -> (Sender<E>, Self) {
        let (tx, rx) = mpsc::channel();
        (tx, Self { rx, live: true })
    }

    /// Runs `work` on a new thread named `name`; it reports through the sender it is given.
    pub fn spawn(name: &str, work: impl FnOnce(Sender<E>) + Send + 'static) -> Self {
        let (tx, me) = Self::channel();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(tx));
        match spawned {
            Ok(_) => me,
            // No thread: the channel is already closed, so the work reads as finished.
            Err(_) => Self { live: false, ..me },
        }
    }

    /// Every event posted since the last call, oldest first.
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

    /// Whether the worker may still post events.
    pub fn live(&self) -> bool {
        self.live
    }

    /// Blocks until the worker ends, collecting every event (tests drive runs with this).
    #[cfg(test)]
    pub fn wait_all(&mut self) -> Vec<E> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.recv() {
            out.push(e);
        }
        self.live = false;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_made_visible_and_tails_cut() {
        assert_eq!(visible(' '), "␣");
        assert_eq!(visible('\n'), "⏎");
        assert_eq!(visible('a'), "a");
        assert_eq!(one_line("a b\nc"), "a b⏎c");
        assert_eq!(tail("abcdef", 4), "…def");
        assert_eq!(tail("abc", 4), "abc");
    }

    #[test]
    fn background_events_arrive_in_order_and_the_end_is_seen() {
        let mut bg = Background::spawn("test", |tx| {
            for i in 0..3 {
                let _ = tx.send(i);
            }
        });
        assert_eq!(bg.wait_all(), vec![0, 1, 2]);
        assert!(!bg.live());
        assert!(bg.drain().is_empty());
    }
}
