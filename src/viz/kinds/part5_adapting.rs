//! Part V — Adapting and aligning (lessons 20–26).

pub mod best_of_n;
pub mod dpo;
pub mod forgetting;
pub mod ft_common;
pub mod grpo;
pub mod kl_optimum;
pub mod lora;
pub mod memory_calc;
pub mod overoptimization;
pub mod policy_kl;
pub mod quantize;
pub mod reward_model;
pub mod sft;
