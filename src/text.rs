//! Text on its way in and out: bounded reads of files llmf did not write (`safe_read`), the one
//! sanitizer for outside text bound for a terminal (`sanitize`), printing that stays quiet when
//! the reader goes away (`output`, with the `out!`/`outln!`/`errln!` macros), and the 7-bit
//! spellings of `--ascii` (`ascii`).

pub mod ascii;
pub mod output;
pub mod safe_read;
pub mod sanitize;
