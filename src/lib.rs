//! llmf — LLM Foundations in the terminal.
//!
//! Layers, listed from the bottom up: each module imports only the ones listed before it
//! (`tests/suite/house.rs` fails on an import that points up).
//! - `text`: bounded reads, the sanitizer, quiet printing, `--ascii` spellings;
//! - `jobs`: the one way work runs off the UI thread, and turns at the CPU for training;
//! - `course` loads and validates lessons; `labs` computes (neither knows ratatui);
//! - `viz` turns a visualizer's settings into plain-data views;
//! - `progress`: the learner's progress file and what it says they have done;
//! - `app` holds the state (the app, its `Action`s, a step's panel, a question, the picker,
//!   text fields, where things go on the screen) and its one `update(Action)`;
//! - `keymap` is the one key table (lookup, help, hints, README); `ui` draws the state;
//! - `driver`: the session a driver runs, the local terminal's driver and `serve`, one session
//!   per SSH connection;
//! - `check` checks a course: it builds every panel and draws it to measure it.
//!
//! The commands live in the binary (`src/cli/`), on top of all of these.
pub mod app;
pub mod check;
pub mod course;
pub mod driver;
pub mod jobs;
pub mod keymap;
pub mod labs;
pub mod progress;
pub mod text;
pub mod ui;
pub mod viz;
