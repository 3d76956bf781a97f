//! What the tokenizer kinds share: the vocabulary sizes offered, token strips built from a
//! split, and training the course's tokenizers in the background.

use crate::labs::bpe::byte_level_decode;
use crate::labs::shared::{train_trio, trained};
use crate::labs::tokenize::Token;
use crate::viz::view::{Part, StripDetail, StripToken, TokenStripView};
use std::sync::{Mutex, OnceLock};

pub const VOCABS: [usize; 6] = [300, 500, 1000, 2000, 4000, 8000];

/// "1 token", "3 tokens".
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

pub fn strip(title: String, input: &str, tokens: &[Token], detail: StripDetail) -> Part {
    // Byte-level tokens that share one character's offsets each hold some of its bytes: show
    // those bytes (<0xF0>…) rather than the whole character again and again.
    let shared = |i: usize| {
        let same = |j: usize| {
            tokens
                .get(j)
                .is_some_and(|o| (o.start, o.end) == (tokens[i].start, tokens[i].end))
        };
        (i > 0 && same(i - 1)) || same(i + 1)
    };
    Part::Tokens(TokenStripView {
        title,
        tokens: tokens
            .iter()
            .enumerate()
            .map(|(i, t)| StripToken {
                text: if shared(i) {
                    crate::labs::tokenize::show_bytes(&byte_level_decode(&t.text))
                } else {
                    // What the token covers in the input when its offsets allow; else its text.
                    input
                        .get(t.start..t.end)
                        .filter(|s| !s.is_empty())
                        .map_or_else(|| t.text.clone(), str::to_string)
                },
                id: t.id,
                start: t.start,
                end: t.end,
            })
            .collect(),
        detail,
    })
}

/// Trains the trio at `vocab` on a background thread unless it is cached; `poll` sees it land.
pub fn train_in_background(vocab: usize) {
    static RUNNING: OnceLock<Mutex<Vec<usize>>> = OnceLock::new();
    let running = RUNNING.get_or_init(|| Mutex::new(Vec::new()));
    if trained(vocab).is_some() {
        return;
    }
    if let Ok(mut r) = running.lock() {
        if r.contains(&vocab) {
            return;
        }
        r.push(vocab);
    }
    let _ = std::thread::Builder::new()
        .name("train-tokenizers".into())
        .spawn(move || {
            let _ = train_trio(vocab);
            if let Some(r) = RUNNING.get() {
                if let Ok(mut r) = r.lock() {
                    r.retain(|v| *v != vocab);
                }
            }
        });
}
