//! What stands beside the prose for the current step, with its live state: a visualizer, a
//! question, or the reason a visualizer could not be built. Built from the step when it is
//! entered and dropped when it is left, so background work belongs to its step.

use crate::app::quiz::QuizState;
use crate::course::{Panel, Step};
use crate::jobs::Waker;
use crate::viz::lab::Lab;
use crate::viz::Visualizer;

#[derive(Debug)]
pub enum PanelState {
    None,
    Viz(Box<Visualizer>),
    /// A visualizer whose parameters are wrong (only with `--lessons`; `llmf check` finds these).
    Broken(String),
    Quiz(QuizState),
}

impl PanelState {
    /// The panel for a step of the learner whose lab memory is `lab`; `file` names the
    /// lesson file in an error. Its background work wakes the driver through `waker`; with a waker that wakes nobody (tests, `llmf
    /// render`) the first view is waited for instead.
    pub fn for_step(step: &Step, file: &str, waker: &Waker, lab: &Lab) -> Self {
        match &step.panel {
            None => Self::None,
            Some(Panel::Viz(spec)) => match if waker.is_none() {
                Visualizer::build_in(spec, lab)
            } else {
                Visualizer::build_with(spec, waker, lab)
            } {
                Ok(v) => Self::Viz(Box::new(v)),
                Err(e) => Self::Broken(format!("{file}:{}: {e}", spec.line)),
            },
            Some(Panel::Quiz(quiz)) => Self::Quiz(QuizState::new(quiz.clone())),
        }
    }

    /// Spells a visualizer's view in ASCII (`--ascii`).
    pub fn set_ascii(&mut self, on: bool) {
        if let Self::Viz(v) = self {
            v.set_ascii(on);
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    /// Whether a visualizer has background work under way.
    pub fn busy(&self) -> bool {
        matches!(self, Self::Viz(v) if v.busy())
    }

    /// Collects background results; whether the view changed.
    pub fn poll(&mut self) -> bool {
        match self {
            Self::Viz(v) => v.poll(),
            _ => false,
        }
    }

    /// Whether a visualizer's text field is open for typing.
    pub fn is_editing(&self) -> bool {
        matches!(self, Self::Viz(v) if v.is_editing())
    }
}
