//! Reusable visualizer widgets, each drawn from the plain data in `crate::viz::view`.
