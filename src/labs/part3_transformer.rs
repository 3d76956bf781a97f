//! Part III — Attention and the transformer (lessons 08–14).

pub mod dk_variance;
pub mod fast_attention;
pub mod heads;
pub mod long_context;
pub mod transformer;
