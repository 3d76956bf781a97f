//! llmf — LLM Foundations in the terminal.
pub mod ui;
pub mod viz;
