//! Part IV — Pre-training and scaling (lessons 15–19).

pub mod chinchilla;
pub mod cost_projector;
pub mod dedup;
pub mod diminishing;
pub mod lm_common;
pub mod lm_train;
pub mod loss_position;
pub mod next_token;
pub mod parallelism;
pub mod scaling_sweep;
