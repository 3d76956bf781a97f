//! Text split into tokens live: by BPE, WordPiece and Unigram trained on the course's text,
//! by the real r50k, cl100k and o200k encodings, or by the learner's own tokenizer.json.

use crate::jobs::Waker;
use crate::labs::part1_text::shared::{trained, user_tokenizer, Trio};
use crate::labs::part1_text::tokenize::{encode, Algorithm, Encoding, Pretrained};
use crate::viz::kinds::part1_text::token_common::{count, strip, Pieces, TrioTraining, VOCABS};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, StripDetail};
use crate::viz::{Controls, Knobs, Panel, Visual};

/// The `token-split` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "token-split",
    title: "Text split into tokens",
    about: "types or pastes text and sees it split live by BPE, WordPiece and Unigram trained on the course's own text at the chosen vocabulary size (retrained in the background), or by the real r50k (GPT-2), cl100k and o200k encodings, with token counts, ids or byte offsets",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: 40, default: "Tokenizers split text into pieces." }, doc: "the text split" }, ParamDef { name: "vocab", ty: ParamType::IntAmong { allowed: &VOCABS, default: 1000 }, doc: "vocabulary of the tokenizers trained here" }, ParamDef { name: "show", ty: ParamType::Choice { options: &["trained", "real", "file"], default: "trained" }, doc: "tokenizers trained on the course, the real encodings, or the file given with --tokenizer" }, ParamDef { name: "detail", ty: ParamType::Choice { options: &["none", "ids", "offsets"], default: "none" }, doc: "what each token shows under it" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(TokenSplit::new(p)?))
}

pub struct TokenSplit {
    text: String,
    vocab: usize,
    /// 0: trained here, 1: the real encodings, 2: the learner's own tokenizer.json.
    source: usize,
    detail: usize,
    training: TrioTraining,
    /// The real encodings, loaded the first time they are shown and held while the panel
    /// lives, so that typing does not load them again ([`Pretrained::load`]).
    real: std::sync::OnceLock<Vec<Encoding>>,
}

const DETAILS: [(&str, StripDetail); 3] = [
    ("none", StripDetail::None),
    ("ids", StripDetail::Ids),
    ("offsets", StripDetail::Offsets),
];

impl TokenSplit {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let text = p.text("text")?;
        let vocab = p.index("vocab")?;
        let source = p.index("show")?;
        let detail = p.index("detail")?;
        p.finish()?;
        Ok(Self {
            text,
            vocab,
            source,
            detail,
            training: TrioTraining::default(),
            real: Default::default(),
        })
    }

    fn sources() -> Vec<String> {
        let mut list = vec![
            "trained here".to_string(),
            "real (r50k, cl100k, o200k)".to_string(),
        ];
        list.push(match user_tokenizer() {
            Some((name, _)) => format!("your file: {name}"),
            None => "your file (none given)".to_string(),
        });
        list
    }

    fn trained_view(&self) -> bool {
        self.source == 0
    }
}

impl Controls for TokenSplit {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.text("text", &self.text, |t, text| {
            t.text = text.chars().take(2048).collect();
        });
        k.choice("show", Self::sources(), self.source, |t, i| t.source = i);
        let vocabs = VOCABS.iter().map(ToString::to_string).collect();
        k.choice("vocabulary", vocabs, self.vocab, |t, i| t.vocab = i)
            // The real encodings and a file bring their own vocabularies.
            .idle_when(!self.trained_view(), "fixed");
        let details = DETAILS.iter().map(|d| d.0.to_string()).collect();
        k.choice("detail", details, self.detail, |t, i| t.detail = i);
    }
}

impl Visual for TokenSplit {
    fn live_text(&self) -> bool {
        true
    }

    fn busy(&self) -> bool {
        self.training.running()
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        self.trained_view() && self.training.poll(VOCABS[self.vocab], waker)
    }

    fn parts(&self) -> Vec<Part> {
        let detail = DETAILS[self.detail].1;
        match (self.source, user_tokenizer()) {
            (1, _) => {
                return self
                    .real
                    .get_or_init(|| Pretrained::ALL.map(Pretrained::load).to_vec())
                    .iter()
                    .map(|e| {
                        let tokens = e.encode(&self.text);
                        strip(
                            format!("{}: {}", e.which().name(), count(tokens.len(), "token")),
                            &self.text,
                            &tokens,
                            detail,
                            Pieces::ByteLevel,
                        )
                    })
                    .collect();
            }
            (2, Some((name, tok))) => {
                return vec![match encode(tok, &self.text) {
                    Ok(tokens) => strip(
                        format!("{name}: {}", count(tokens.len(), "token")),
                        &self.text,
                        &tokens,
                        detail,
                        file_pieces(tok),
                    ),
                    Err(e) => Part::Text(vec![format!("{name}: {e}")]),
                }];
            }
            (2, None) => {
                return vec![Part::Text(vec![
                    "No tokenizer file was given: start llmf with --tokenizer FILE (a tokenizer.json) to see its split here.".into(),
                ])];
            }
            _ => {}
        }
        let vocab = VOCABS[self.vocab];
        let Some(trio) = trained(vocab) else {
            return vec![Part::Text(vec![format!(
                "training BPE, WordPiece and Unigram on the course's text at {vocab} tokens… (a moment)"
            )])];
        };
        trio_parts(&trio, &self.text, vocab, detail)
    }
}

fn trio_parts(trio: &Trio, text: &str, vocab: usize, detail: StripDetail) -> Vec<Part> {
    trio.iter()
        .map(|(alg, tok)| match encode(tok, text) {
            Ok(tokens) => strip(
                format!("{} ({vocab}): {}", alg.name(), count(tokens.len(), "token")),
                text,
                &tokens,
                detail,
                if *alg == Algorithm::Bpe {
                    Pieces::ByteLevel
                } else {
                    Pieces::Marked
                },
            ),
            Err(e) => Part::Text(vec![format!("{}: {e}", alg.name())]),
        })
        .collect()
}

/// A tokenizer.json whose decoder is byte-level writes its pieces in GPT-2's byte alphabet.
fn file_pieces(tok: &tokenizers::Tokenizer) -> Pieces {
    match tok.get_decoder() {
        Some(tokenizers::DecoderWrapper::ByteLevel(_)) => Pieces::ByteLevel,
        _ => Pieces::Marked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part1_text::shared::train_trio;

    fn shown(parts: &[Part]) -> Vec<Vec<String>> {
        parts
            .iter()
            .map(|p| match p {
                Part::Tokens(v) => v.tokens.iter().map(|t| t.text.clone()).collect(),
                other => panic!("not a strip: {other:?}"),
            })
            .collect()
    }

    /// Regression: the vocabulary control looked live while the real encodings (whose
    /// vocabularies are fixed) were shown.
    #[test]
    fn the_vocabulary_is_inactive_for_the_real_encodings() {
        let mut lab = TokenSplit::new(Params::new(&serde_json::Map::new(), &KIND)).unwrap();
        let vocab = |lab: &TokenSplit| lab.controls()[2].inactive.clone();
        assert_eq!(vocab(&lab), None);
        lab.adjust(1, 1);
        assert_eq!(vocab(&lab).as_deref(), Some("fixed"));
    }

    /// Regression: a text starting with an emoji showed a space token nobody typed (BPE's prefix
    /// space), and the Unigram row drew its `▁` marker although the lesson says markers are not
    /// drawn. 🦜 is the four bytes F0 9F A6 9C; neither the course's BPE nor its Unigram knows
    /// it, so BPE spells those bytes and Unigram gives its unknown token.
    #[test]
    fn an_emoji_shows_its_bytes_and_no_marker_or_untyped_space() {
        let trio = train_trio(300).unwrap();
        let rows = shown(&trio_parts(&trio, "🦜", 300, StripDetail::Ids));
        assert_eq!(rows[0], ["<0xF0>", "<0x9F>", "<0xA6>", "<0x9C>"], "bpe");
        for row in &rows {
            assert!(
                row.iter()
                    .all(|t| !t.contains('\u{2581}') && !t.contains('Ġ')),
                "{rows:?}"
            );
        }
        // Unigram's lone "▁" before a word it cannot join is drawn as the space it stands for.
        let rows = shown(&trio_parts(&trio, "x 🦜", 300, StripDetail::None));
        assert!(rows[2].iter().all(|t| !t.contains('\u{2581}')), "{rows:?}");
    }

    /// Regression: Unigram puts a "▁" before a text or line that starts with a character it
    /// cannot join to it, sharing that character's offsets (`llmf tokenize --tokenizer
    /// unigram '🦜'` gives "▁" 0..4 then "🦜" 0..4). It was drawn as ` ` (· on screen): a space
    /// nobody typed. Markers are not drawn, so it is empty; a typed space still shows.
    #[test]
    fn unigram_draws_no_space_that_was_not_typed() {
        let trio = train_trio(300).unwrap();
        for text in ["🦜", "x\ny", "東京"] {
            let unigram = &shown(&trio_parts(&trio, text, 300, StripDetail::None))[2];
            assert!(
                unigram.iter().all(|t| !t.contains([' ', '\u{2581}'])),
                "{text:?}: {unigram:?}"
            );
            // The text is still all there, token by token.
            assert_eq!(unigram.concat(), text);
        }
        // "a  b": the second space is a lone "▁" of its own, drawn as the space it is.
        let unigram = &shown(&trio_parts(&trio, "a  b", 300, StripDetail::None))[2];
        assert_eq!(unigram.concat(), "a  b", "{unigram:?}");
        assert!(unigram.contains(&" ".to_string()), "{unigram:?}");
    }
}
