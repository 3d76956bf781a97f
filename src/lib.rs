//! llmf — LLM Foundations in the terminal.
pub mod course;
pub mod labs;
pub mod ui;
pub mod viz;
