//! Visualizers: each lab turns its parameters and the learner's changes into a [`view::View`].
pub mod view;
