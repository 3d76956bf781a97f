//! Rewards for the policy-training lab, scored on the characters the tiny GPT writes.
//!
//! The **proxy** is a crude reward model: it counts how often a favourite word appears
//! (as a substring, any case), so "tokentoken" earns two. The **gold** reward is what we
//! actually want from a response: that it mentions the word (once is enough) and is written
//! in varied, real words: the share of its words that are distinct words of the course corpus.
//! Early on, the two agree (mentioning the word helps both); pushed hard, the proxy pays for
//! repeating the word and gold stops paying, then falls as the repeats crowd out real words.
//! The numbers belong to this toy; the shape is what Gao et al. (2022) measured with real
//! reward models.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Lower-case runs of letters (an apostrophe inside a word kept).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every word of the frozen training corpus: the dictionary "real words" are checked against.
pub fn dictionary() -> &'static HashSet<String> {
    static DICT: OnceLock<HashSet<String>> = OnceLock::new();
    DICT.get_or_init(|| words(super::data::CORPUS).into_iter().collect())
}

/// Occurrences of `word` in `text`, case-insensitive, overlapping ones not counted twice.
pub fn proxy(text: &str, word: &str) -> f64 {
    if word.is_empty() {
        return 0.0;
    }
    text.to_lowercase().matches(&word.to_lowercase()).count() as f64
}

/// 1 if the response names `word` as a whole word, plus the share of its words that are
/// distinct dictionary words (a repeated word counts once; a made-up word not at all).
/// A partial word cut off at the end of the response is ignored.
pub fn gold(text: &str, word: &str, dict: &HashSet<String>) -> f64 {
    let trimmed = match text.char_indices().rev().find(|(_, c)| !c.is_alphabetic()) {
        Some((i, c)) if i + c.len_utf8() < text.len() => &text[..i + c.len_utf8()],
        _ => text,
    };
    let ws = words(trimmed);
    let w = word.to_lowercase();
    let mentions = f64::from(u8::from(ws.contains(&w)));
    if ws.is_empty() {
        return mentions;
    }
    let distinct: HashSet<&String> = ws.iter().filter(|x| dict.contains(*x)).collect();
    mentions + distinct.len() as f64 / ws.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> HashSet<String> {
        ["the", "model", "reads", "a", "token"]
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    }

    #[test]
    fn proxy_counts_substrings() {
        assert_eq!(proxy("Token tokentoken x", "token"), 3.0);
        assert_eq!(proxy("nothing here", "token"), 0.0);
        assert_eq!(proxy("abc", ""), 0.0);
    }

    #[test]
    fn gold_by_hand() {
        let d = dict();
        // "the model reads a token." — 5 distinct real words of 5, mentions token: 1 + 1 = 2.
        assert_eq!(gold("the model reads a token.", "token", &d), 2.0);
        // "token token token xqz": the response stops inside "xqz", so that part word is
        // dropped; words token×3, distinct real {token}: 1 + 1/3.
        assert!((gold("token token token xqz", "token", &d) - (1.0 + 1.0 / 3.0)).abs() < 1e-12);
        // "tokentoken the " — words "tokentoken" (not real, not the word) and "the": 0 + 1/2.
        assert_eq!(gold("tokentoken the ", "token", &d), 0.5);
        // A multi-byte character before the cut is kept whole.
        assert_eq!(gold("the ‖ab", "token", &d), 1.0);
        assert!(dictionary().contains("attention"));
    }
}
