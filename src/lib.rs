//! llmf — LLM Foundations in the terminal.
//!
//! Layers, each importing only those below it:
//! - `course` loads and validates lessons; `labs` computes (neither knows ratatui);
//! - `viz` turns a visualizer's settings into plain-data views;
//! - `action`, `quiz`, `panel`, `picker` and `app` hold the state and its one `update(Action)`;
//! - `ui` draws the state; `keymap` is the one key table (lookup, help, hints, README);
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

/// Every program built on this library (the app, its tests and benches) allocates with
/// mimalloc. Why: a training step allocates a few hundred tensors of 100–500 KB and frees
/// them again; glibc's malloc hands such blocks back to the kernel and takes them again on
/// the next step: 706,051 page faults and a tenth of the time in the kernel over 8 s of
/// `benches/lm.rs`'s demo step (202,981 faults in one run of `benches/demo_step.rs`).
/// mimalloc keeps freed pages for reuse (3,542 and 859 faults in the same runs). It changes
/// where memory comes from, never a number.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
