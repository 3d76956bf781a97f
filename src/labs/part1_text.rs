//! Part I — Text to numbers (lessons 01–04).

pub mod bpe;
pub mod embeddings;
pub mod fertility;
pub mod fertility_data;
pub mod glitch;
pub mod shared;
pub mod similarity;
pub mod tokenize;
