//! Every integration test, in one test binary: each binary links candle, tokenizers, tiktoken
//! and russh, so one binary links them once instead of once per file, and its tests share the
//! harness's threads instead of running file after file. Run one part with
//! `cargo test --test suite serve::` (the module names are the files here).

mod common;

mod app;
mod bytes;
mod check;
mod hostile;
mod house;
mod kept;
mod keys;
mod progress;
mod screens;
mod serve;
mod terminal;
mod walks;
