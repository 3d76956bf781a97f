//! The drivers: what runs a [`session::Session`] against a real terminal. `term` is the local
//! driver (raw mode, the alternate screen, the event loop), with `tty` (is the terminal there,
//! can it show the UI) and `signals` (which ones end, suspend or resize the session); `serve`
//! drives one session per SSH connection for a class, and reads a class folder for the teacher.

pub mod serve;
pub mod session;
pub mod signals;
pub mod term;
pub mod tty;
