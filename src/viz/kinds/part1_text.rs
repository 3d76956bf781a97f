//! Part I — Text to numbers (lessons 01–04).

pub mod analogy;
pub mod bpe_replay;
pub mod concentration;
pub mod embedding_map;
pub mod fertility;
pub mod glitch;
pub mod metrics;
pub mod retrieval;
pub mod token_common;
pub mod token_split;
