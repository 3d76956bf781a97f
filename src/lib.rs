//! llmf — LLM Foundations in the terminal.
pub mod app;
pub mod check;
pub mod course;
pub mod keymap;
pub mod labs;
pub mod output;
pub mod progress;
pub mod safe_read;
pub mod sanitize;
pub mod signals;
pub mod term;
pub mod tokenize_cmd;
pub mod tty;
pub mod ui;
pub mod viz;
