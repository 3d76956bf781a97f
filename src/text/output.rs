//! Printing for the text commands, quiet when the reader goes away.
//!
//! `llmf progress | head -1` closes the pipe early; Rust ignores SIGPIPE, so `println!` would
//! then panic with "failed printing to stdout". These macros end the process quietly with
//! status 0 instead, as ripgrep does, and never panic on a closed stderr either.

use std::io::Write;

/// Writes to stdout; a closed pipe ends the process quietly, any other failure with status 1.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        gone(&e);
    }
}

/// Flushes stdout (before a prompt, or when all is written), with the same rules.
pub fn flush() {
    if let Err(e) = std::io::stdout().lock().flush() {
        gone(&e);
    }
}

/// Writes to stderr; if that fails there is nowhere left to report it, so it is dropped.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

fn gone(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    stderr(format_args!("llmf: cannot write the output: {e}\n"));
    std::process::exit(1);
}

/// `print!` that exits quietly on a closed pipe.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::text::output::stdout(format_args!($($arg)*)) };
}

/// `println!` that exits quietly on a closed pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::text::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => {{
        $crate::text::output::stdout(format_args!($($arg)*));
        $crate::text::output::stdout(format_args!("\n"));
    }};
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        $crate::text::output::stderr(format_args!($($arg)*));
        $crate::text::output::stderr(format_args!("\n"));
    }};
}
