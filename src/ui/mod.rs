//! Drawing: every function here reads state and writes into a ratatui `Buffer`.
pub mod theme;
pub mod widgets;
