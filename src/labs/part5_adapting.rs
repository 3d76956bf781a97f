//! Part V — Adapting and aligning (lessons 20–26).

pub mod kl_optimum;
pub mod memory_calc;
pub mod policy_training;
pub mod preference;
pub mod quantize;
pub mod reward_model;
