//! Tokenizer fertility: tokens each real encoding spends on the same sentences in every
//! language of [`crate::labs::part1_text::fertility_data`], counted once per process.

use crate::labs::part1_text::fertility_data::SAMPLES;
use crate::labs::part1_text::tokenize::Pretrained;
use std::sync::OnceLock;

/// Token counts of the three shared sentences, per language, for each real tokenizer.
pub fn fertility_table() -> &'static Vec<[usize; 3]> {
    static TABLE: OnceLock<Vec<[usize; 3]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Loaded once for the whole table, and let go after it.
        let encodings = Pretrained::ALL.map(Pretrained::load);
        SAMPLES
            .iter()
            .map(|s| {
                let mut counts = [0; 3];
                for (c, e) in counts.iter_mut().zip(&encodings) {
                    *c = s.sentences.iter().map(|t| e.encode(t).len()).sum();
                }
                counts
            })
            .collect()
    })
}

/// Words in the English sentences (the reference for scripts written without spaces).
pub fn english_words() -> usize {
    SAMPLES[0]
        .sentences
        .iter()
        .map(|s| s.split_whitespace().count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fertility_shows_other_scripts_cost_more() {
        let t = fertility_table();
        let thai = SAMPLES.iter().position(|s| s.language == "Thai").unwrap();
        assert!(
            t[thai][0] > 2 * t[0][0],
            "r50k Thai {} vs English {}",
            t[thai][0],
            t[0][0]
        );
    }
}
