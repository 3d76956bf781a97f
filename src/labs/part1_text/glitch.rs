//! Glitch tokens: r50k tokens that encoding the course's whole text never produces.

use crate::labs::part1_text::tokenize::Pretrained;
use std::sync::OnceLock;

/// How often each r50k token appears when the course's text is encoded.
pub fn r50k_usage() -> &'static Vec<u32> {
    static USAGE: OnceLock<Vec<u32>> = OnceLock::new();
    USAGE.get_or_init(|| {
        let mut counts = vec![0u32; 50_257];
        let r50k = Pretrained::R50k.load();
        for line in crate::labs::part1_text::shared::course_text() {
            for t in r50k.encode(line) {
                if let Some(c) = counts.get_mut(t.id as usize) {
                    *c += 1;
                }
            }
        }
        counts
    })
}

/// r50k tokens the course text never produces: long alphabetic ones (with or without a leading
/// space) first, the kind of token that lands in a vocabulary from some other corpus.
pub fn unused_tokens(limit: usize) -> (usize, Vec<(u32, String)>) {
    let usage = r50k_usage();
    // The shelved encoding, not tiktoken's process-wide singleton: a second copy of r50k
    // that was never freed (~25 MB for the rest of a check or a server's life).
    let r50k = Pretrained::R50k.load();
    let unused = usage.iter().filter(|c| **c == 0).count();
    let mut odd: Vec<(u32, String)> = (0..50_257u32)
        .filter(|id| usage[*id as usize] == 0)
        .filter_map(|id| {
            let bytes = r50k.token_bytes(id)?;
            let s = String::from_utf8(bytes).ok()?;
            let body = s.trim_start_matches(' ');
            (body.len() >= 10 && body.chars().all(|c| c.is_ascii_alphanumeric())).then_some((id, s))
        })
        .collect();
    odd.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    odd.truncate(limit);
    (unused, odd)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn glitch_finds_unused_tokens() {
        let (unused, odd) = unused_tokens(5);
        assert!(unused > 40_000);
        assert_eq!(odd.len(), 5);
    }
}
