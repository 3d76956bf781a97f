//! The training text: the frozen corpus, its alphabet, and the train/validation split.
//!
//! `assets/model/corpus.txt` was made once from the prose of lessons 01–14 (their ```viz and
//! ```quiz JSON blocks removed) and is never regenerated: editing a lesson must not change the
//! text the shipped checkpoint was trained on, or its recorded losses would stop reproducing.
//! `assets/model/README.md` says how it was made.

use super::vocab::Vocab;
use sha2::{Digest, Sha256};

/// The frozen training corpus.
pub const CORPUS: &str = include_str!("../../../assets/model/corpus.txt");

/// The share of the corpus held out for validation (its end).
pub const VALIDATION_SHARE: f64 = 0.1;

/// A text as ids, split into a training part and a validation part.
#[derive(Clone, Debug)]
pub struct Data {
    pub vocab: Vocab,
    pub train: Vec<u32>,
    pub val: Vec<u32>,
    /// SHA-256 of the text, hex (recorded in recipes).
    pub sha256: String,
}

impl Data {
    /// Splits `text` with the given alphabet: the last [`VALIDATION_SHARE`] is validation.
    pub fn new(text: &str, vocab: Vocab) -> Self {
        let ids = vocab.encode(text);
        let cut = ids.len() - (ids.len() as f64 * VALIDATION_SHARE) as usize;
        let sha256 = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            vocab,
            train: ids[..cut].to_vec(),
            val: ids[cut..].to_vec(),
            sha256,
        }
    }

    /// The bundled corpus with its own alphabet.
    pub fn corpus() -> Self {
        Self::new(CORPUS, Vocab::for_corpus(CORPUS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_frozen_and_split_ninety_ten() {
        let d = Data::corpus();
        // The hash `sha256sum assets/model/corpus.txt` printed when the file was made.
        assert_eq!(
            d.sha256,
            "fe90f0111e1b90c78bb066930820464d8581e4828f0c14e9f19dcb8ef24b3481"
        );
        let n = CORPUS.chars().count();
        assert_eq!(d.train.len() + d.val.len(), n);
        assert_eq!(d.val.len(), n / 10);
        assert!(
            d.vocab.len() > 95 && d.vocab.len() < 130,
            "{}",
            d.vocab.len()
        );
    }
}
