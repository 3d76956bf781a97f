//! The model's alphabet: one token per character.
//!
//! Why characters and not the course's BPE: the vocabulary stays near a hundred symbols, so the
//! uniform baseline ln V ≈ 4.7 nats is a number a learner can hold in mind; every character of
//! the course text (and of anything typed in English) has its own token, so a sample prints
//! exactly as drawn, one character at a time; and "loss per character" means what it says. A
//! BPE token spans a varying number of characters, which would blur the per-character figure
//! and hide the step-by-step sampling the lessons show.
//!
//! The alphabet is the 95 printable ASCII characters, the newline, the non-ASCII characters the
//! frozen corpus uses at least [`MIN_COUNT`] times (·, ×, →, √, Σ, …), and one unknown symbol
//! [`UNKNOWN`] (U+FFFD) that stands for every other character, in the corpus and in prompts.

use std::collections::BTreeMap;

/// The symbol that stands for any character outside the alphabet.
pub const UNKNOWN: char = '\u{FFFD}';
/// A non-ASCII character joins the alphabet if the corpus uses it at least this often.
pub const MIN_COUNT: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
    index: BTreeMap<char, u32>,
}

impl Vocab {
    /// The alphabet for a corpus (see the module doc for the rule).
    pub fn for_corpus(text: &str) -> Self {
        let mut counts: BTreeMap<char, usize> = BTreeMap::new();
        for c in text.chars() {
            *counts.entry(c).or_default() += 1;
        }
        let mut chars: Vec<char> = vec!['\n'];
        chars.extend((0x20u8..=0x7E).map(char::from));
        chars.extend(
            counts
                .iter()
                .filter(|(c, n)| !c.is_ascii() && **n >= MIN_COUNT && **c != UNKNOWN)
                .map(|(c, _)| *c),
        );
        chars.push(UNKNOWN);
        Self::from_chars(chars.into_iter().collect()).unwrap_or_else(|_| unreachable!())
    }

    /// An alphabet given as a string of distinct characters ending with [`UNKNOWN`] (how a
    /// model file stores it).
    pub fn from_chars(chars: String) -> Result<Self, String> {
        let chars: Vec<char> = chars.chars().collect();
        if chars.last() != Some(&UNKNOWN) {
            return Err("the alphabet must end with the unknown symbol U+FFFD".into());
        }
        let mut index = BTreeMap::new();
        for (i, &c) in chars.iter().enumerate() {
            if index.insert(c, i as u32).is_some() {
                return Err(format!("the alphabet lists {c:?} twice"));
            }
        }
        Ok(Self { chars, index })
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The alphabet as one string (stored in model files).
    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn unknown_id(&self) -> u32 {
        (self.chars.len() - 1) as u32
    }

    pub fn id(&self, c: char) -> u32 {
        self.index.get(&c).copied().unwrap_or(self.unknown_id())
    }

    pub fn char(&self, id: u32) -> char {
        self.chars.get(id as usize).copied().unwrap_or(UNKNOWN)
    }

    /// One id per character; characters outside the alphabet become [`UNKNOWN`].
    pub fn encode(&self, text: &str) -> Vec<u32> {
        text.chars().map(|c| self.id(c)).collect()
    }

    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter().map(|&i| self.char(i)).collect()
    }

    /// The distinct characters of `text` the alphabet lacks, in order of first appearance.
    pub fn unknown_chars(&self, text: &str) -> Vec<char> {
        let mut out = Vec::new();
        for c in text.chars() {
            if !self.index.contains_key(&c) && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_ascii_frequent_symbols_and_unknown() {
        let text = format!(
            "ab\n{}{}",
            "→".repeat(MIN_COUNT),
            "東".repeat(MIN_COUNT - 1)
        );
        let v = Vocab::for_corpus(&text);
        // newline + 95 printable ASCII + "→" + unknown = 98.
        assert_eq!(v.len(), 98);
        assert_eq!(v.decode(&v.encode("a→b")), "a→b");
        assert_eq!(v.encode("東"), vec![v.unknown_id()]);
        assert_eq!(v.unknown_chars("a東東é"), vec!['東', 'é']);
        let again = Vocab::from_chars(v.as_string()).unwrap();
        assert_eq!(again, v);
        assert!(Vocab::from_chars("ab".into()).is_err());
        assert!(Vocab::from_chars(format!("aa{UNKNOWN}")).is_err());
    }
}
