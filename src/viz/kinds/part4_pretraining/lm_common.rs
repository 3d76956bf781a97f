//! What the language-model visualizers of Part IV share: which model they read (the shipped
//! one, or the one trained live in `lm-train`), the corpus loaded once, characters written so
//! a space or a newline can be seen. (Their background work runs on [`crate::jobs::Job`]s.)
//!
//! The trained model is the learner's own: `lm-train` offers it to the learner's
//! [`Lab`] (their session's lab memory) and `next-token` and `loss-at-position` read it from
//! there, so a second learner on the same server never sees it.

use crate::labs::lm::{self, Data, Model};
use crate::viz::lab::Lab;
use std::sync::{Arc, OnceLock};

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
        vec!["shipped".into(), "trained live".into()]
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

/// The model `source` names (the trained one from the learner's `lab`), or a sentence
/// saying what to do when there is none.
pub fn load(source: Source, lab: &Lab) -> Result<Loaded, String> {
    match source {
        Source::Shipped => lm::base_model()
            .map(Loaded::Shipped)
            .map_err(|_| "The shipped model is missing: run `make model` and rebuild.".into()),
        Source::Trained => lab.trained().map(Loaded::Trained).ok_or_else(|| {
            // Lesson 15 shows this on its own steps: name the panel, not the lesson.
            "No model trained yet this session: start one in the panel \"Training a tiny language model\" (the step \"Watch a model learn\"), then come back."
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
}
