//! Text split into tokens live: by BPE, WordPiece and Unigram trained on the course's text,
//! by the real r50k, cl100k and o200k encodings, or by the learner's own tokenizer.json.

use super::token_common::{count, strip, TrioTraining, VOCABS};
use crate::jobs::Waker;
use crate::labs::shared::{trained, user_tokenizer, Trio};
use crate::labs::tokenize::{encode, Pretrained};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Control, Part, StripDetail};
use crate::viz::{choice, step_index, text_field, Visual};

/// The `token-split` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "token-split",
    title: "Text split into tokens",
    about: "types or pastes text and sees it split live by BPE, WordPiece and Unigram trained on the course's own text at the chosen vocabulary size (retrained in the background), or by the real r50k (GPT-2), cl100k and o200k encodings, with token counts, ids or byte offsets",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: 40, default: "Tokenizers split text into pieces." }, doc: "the text split" }, ParamDef { name: "vocab", ty: ParamType::IntAmong { allowed: &VOCABS, default: 1000 }, doc: "vocabulary of the tokenizers trained here" }, ParamDef { name: "show", ty: ParamType::Choice { options: &["trained", "real", "file"], default: "trained" }, doc: "tokenizers trained on the course, the real encodings, or the file given with --tokenizer" }, ParamDef { name: "detail", ty: ParamType::Choice { options: &["none", "ids", "offsets"], default: "none" }, doc: "what each token shows under it" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(TokenSplit::new(p)?))
}

pub struct TokenSplit {
    text: String,
    vocab: usize,
    /// 0: trained here, 1: the real encodings, 2: the learner's own tokenizer.json.
    source: usize,
    detail: usize,
    training: TrioTraining,
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

impl Visual for TokenSplit {
    fn controls(&self) -> Vec<Control> {
        vec![
            text_field("text", &self.text),
            choice("show", Self::sources(), self.source),
            choice(
                "vocabulary",
                VOCABS.iter().map(ToString::to_string).collect(),
                self.vocab,
            ),
            choice(
                "detail",
                DETAILS.iter().map(|d| d.0.to_string()).collect(),
                self.detail,
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            1 => self.source = step_index(self.source, delta, Self::sources().len()),
            2 => {
                self.vocab = step_index(self.vocab, delta, VOCABS.len());
            }
            3 => self.detail = step_index(self.detail, delta, DETAILS.len()),
            _ => {}
        }
    }

    fn live_text(&self) -> bool {
        true
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if index == 0 {
            self.text = text.chars().take(2048).collect();
        }
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
                return Pretrained::ALL
                    .iter()
                    .map(|p| {
                        let tokens = p.encode(&self.text);
                        strip(
                            format!("{}: {}", p.name(), count(tokens.len(), "token")),
                            &self.text,
                            &tokens,
                            detail,
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
            ),
            Err(e) => Part::Text(vec![format!("{}: {e}", alg.name())]),
        })
        .collect()
}
