//! llmf — LLM Foundations in the terminal.
pub mod course;
pub mod ui;
pub mod viz;
