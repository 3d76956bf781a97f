//! What the tokenizer kinds share: the vocabulary sizes offered, token strips built from a
//! split, and training the course's tokenizers in the background ([`TrioTraining`]).

use crate::jobs::{Job, Waker};
use crate::labs::part1_text::bpe::byte_level_decode;
use crate::labs::part1_text::shared::{train_trio, trained};
use crate::labs::part1_text::tokenize::Token;
use crate::viz::view::{Part, StripDetail, StripToken, TokenStripView};

pub const VOCABS: [usize; 6] = [300, 500, 1000, 2000, 4000, 8000];

/// "1 token", "3 tokens".
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// How a tokenizer writes its pieces, which says how to show a piece that covers no stretch of
/// the input of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pieces {
    /// GPT-2's byte alphabet: pieces sharing one character's offsets hold some of its bytes.
    ByteLevel,
    /// Plain text with markers (`▁` for a space, `##` inside a word), which are never drawn.
    Marked,
}

pub fn strip(
    title: String,
    input: &str,
    tokens: &[Token],
    detail: StripDetail,
    pieces: Pieces,
) -> Part {
    // Tokens that share one character's offsets: byte-level ones each hold some of its bytes,
    // shown as <0xF0>… rather than the whole character again and again. A marked piece that
    // shares its neighbour's offsets covers nothing typed of its own: Unigram's "▁" put before
    // a text or line that starts with a character it cannot join ("🦜", "東", "x" after a
    // newline). No space was typed there, and markers are not drawn, so it shows empty (its
    // boundary still counts it). A "▁" for a typed space has its own offsets and is drawn
    // from the input, as the space it stands for.
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
                text: if shared(i) && pieces == Pieces::ByteLevel {
                    crate::labs::part1_text::tokenize::show_bytes(&byte_level_decode(&t.text))
                } else if shared(i) {
                    let plain = t.text.replace('\u{2581}', "");
                    plain.strip_prefix("##").unwrap_or(&plain).to_string()
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

/// The course's tokenizers being trained at one vocabulary size for a panel that shows them.
/// Training runs on a job; dropping this (the learner left the step) lets the work finish
/// into the cache (it cannot be interrupted) while nobody waits for it.
#[derive(Debug, Default)]
pub struct TrioTraining {
    job: Option<(usize, Job<()>)>,
}

impl TrioTraining {
    /// Starts training at `vocab` unless that trio is cached or already on its way; returns
    /// whether training at `vocab` finished since the last call (the view should change).
    pub fn poll(&mut self, vocab: usize, waker: &Waker) -> bool {
        if self.job.as_ref().is_some_and(|(v, _)| *v != vocab) {
            self.job = None;
        }
        if let Some((_, job)) = &mut self.job {
            job.drain();
            if !job.live() {
                self.job = None;
                return true;
            }
            return false;
        }
        if trained(vocab).is_none() {
            let job = Job::spawn("train-tokenizers", waker, move |reporter| {
                // Concurrent callers for one size share a single training (see train_trio).
                let _ = train_trio(vocab);
                let _ = reporter.send(());
            });
            self.job = Some((vocab, job));
        }
        false
    }

    /// Whether training is under way.
    pub fn running(&self) -> bool {
        self.job.is_some()
    }
}
