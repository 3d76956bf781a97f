//! llmf — LLM Foundations in the terminal.
//!
//! Layers, listed from the bottom up: each imports only the layers listed before it.
//! - `course` loads and validates lessons; `labs` computes (neither knows ratatui);
//! - `viz` turns a visualizer's settings into plain-data views;
//! - `action`, `quiz`, `panel`, `picker` and `app` hold the state and its one `update(Action)`;
//! - `keymap` is the one key table (lookup, help, hints, README); `ui` draws the state;
//! - `session` is the core a driver runs (`handle(event)`, `draw(frame)`), and `term` is the
//!   local driver: the real terminal, signals and the event loop; `serve` drives one session
//!   per SSH connection, and `class_report` reads a class folder for the teacher.
pub mod action;
pub mod app;
pub mod ascii;
pub mod check;
pub mod class_report;
pub mod course;
pub mod field;
pub mod gate;
pub mod jobs;
pub mod keymap;
pub mod labs;
pub mod output;
pub mod panel;
pub mod picker;
pub mod progress;
pub mod quiz;
pub mod record;
pub mod safe_read;
pub mod sanitize;
pub mod serve;
pub mod session;
pub mod signals;
pub mod term;
pub mod tokenize_cmd;
pub mod tty;
pub mod ui;
pub mod viz;
