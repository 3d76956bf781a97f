//! Part III — Attention and the transformer (lessons 08–14).

pub mod attention_map;
pub mod attention_timing;
pub mod block_shapes;
pub mod cross_attention;
pub mod dk_variance;
pub mod kv_cache;
pub mod padding_mask;
pub mod param_counter;
pub mod positional;
pub mod streaming;
