//! llmf — LLM Foundations in the terminal.
pub mod app;
pub mod check;
pub mod course;
pub mod keymap;
pub mod labs;
pub mod progress;
pub mod term;
pub mod ui;
pub mod viz;
