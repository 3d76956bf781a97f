//! Part IV — Pre-training and scaling (lessons 15–19).

pub mod cost;
pub mod dedup;
pub mod dedup_docs;
pub mod packing;
pub mod parallelism;
pub mod quality;
pub mod scaling;
