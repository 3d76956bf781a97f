//! The course built into the binary (the `lessons/` folder at build time).
use super::Source;

include!(concat!(env!("OUT_DIR"), "/embedded_lessons.rs"));

/// Reads lesson files from the copy compiled into the binary.
pub struct Embedded;

impl Source for Embedded {
    fn describe(&self) -> String {
        "built-in course".to_string()
    }
    fn read(&self, name: &str) -> Result<String, String> {
        FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| (*text).to_string())
            .ok_or_else(|| format!("{name} is not in the built-in course"))
    }
}
