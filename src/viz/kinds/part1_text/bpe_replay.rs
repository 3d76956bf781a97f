//! BPE merges replayed on one word, one merge at a time, with the trained merge ranks.

use crate::jobs::Waker;
use crate::labs::part1_text::bpe::{bpe_merges, byte_level_decode, replay, show_piece, ReplayStep};
use crate::labs::part1_text::shared::trained;
use crate::labs::part1_text::tokenize::Algorithm;
use crate::viz::kinds::part1_text::token_common::{count, TrioTraining, VOCABS};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, StripDetail, StripToken, TokenStripView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// The `bpe-replay` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "bpe-replay",
    title: "BPE merges, one at a time",
    about: "steps through the trained BPE's merges on the typed word one at a time: the pair merged, its rank, the pieces after it",
    params: &[ParamDef { name: "word", ty: ParamType::Text { max_words: 6, default: "tokenization" }, doc: "the word whose merges are replayed" }, ParamDef { name: "vocab", ty: ParamType::IntAmong { allowed: &VOCABS, default: 1000 }, doc: "vocabulary of the trained BPE" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(BpeReplay::new(p)?))
}

pub struct BpeReplay {
    word: String,
    vocab: usize,
    step: usize,
    training: TrioTraining,
}

impl BpeReplay {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let word = p.text("word")?;
        let vocab = p.index("vocab")?;
        p.finish()?;
        Ok(Self {
            word,
            vocab,
            step: 0,
            training: TrioTraining::default(),
        })
    }

    fn steps(&self) -> Option<Vec<ReplayStep>> {
        let trio = trained(VOCABS[self.vocab])?;
        let (_, bpe) = trio.iter().find(|(a, _)| *a == Algorithm::Bpe)?;
        // The trained byte-level BPE reads a word with the space before it, as in running text.
        Some(replay(&format!(" {}", self.word.trim()), &bpe_merges(bpe)))
    }
}

impl Controls for BpeReplay {
    fn declare(&self, k: &mut Knobs<Self>) {
        let total = self.steps().map_or(0, |s| s.len() - 1);
        k.text("word", &self.word, |b, text| {
            if !text.trim().is_empty() {
                b.word = text.chars().take(40).collect();
                b.step = 0;
            }
        });
        let steps = Scale::linear(0.0, total as f64, 1.0, 0);
        k.count("merge step", self.step.min(total), steps, |b, s| b.step = s);
        let vocabs = VOCABS.iter().map(ToString::to_string).collect();
        k.choice("vocabulary", vocabs, self.vocab, |b, i| {
            b.vocab = i;
            b.step = 0;
        });
    }
}

impl Visual for BpeReplay {
    fn busy(&self) -> bool {
        self.training.running()
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        self.training.poll(VOCABS[self.vocab], waker)
    }

    fn parts(&self) -> Vec<Part> {
        let Some(steps) = self.steps() else {
            return vec![Part::Text(vec![format!(
                "training BPE at {} tokens… (a moment)",
                VOCABS[self.vocab]
            )])];
        };
        let k = self.step.min(steps.len() - 1);
        let (pieces, merge) = &steps[k];
        let mut lines = vec![match merge {
            None => format!(
                "start: {} byte-level symbols (a space shows as Ġ)",
                pieces.len()
            ),
            Some((a, b, r)) => format!(
                "step {k}: merge \"{}\" + \"{}\" (rank {r}) → \"{}\"",
                show_piece(a),
                show_piece(b),
                show_piece(&format!("{a}{b}"))
            ),
        }];
        lines.push(format!(
            "{} after {k} of {} merges",
            count(pieces.len(), "piece"),
            steps.len() - 1
        ));
        let mut start = 0;
        let tokens: Vec<StripToken> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let len = byte_level_decode(p).len();
                let t = StripToken {
                    text: show_piece(p),
                    id: i as u32,
                    start,
                    end: start + len,
                };
                start += len;
                t
            })
            .collect();
        vec![
            Part::Tokens(TokenStripView {
                title: format!("\"{}\" now", self.word),
                tokens,
                detail: StripDetail::None,
            }),
            Part::Text(lines),
        ]
    }
}
