//! Part I visualizers: tokenizers trained live (and the real encodings), BPE merges replayed,
//! fertility across languages, glitch tokens, word vectors on a map, analogies, retrieval, the
//! three similarity metrics and distance concentration.

use crate::labs::embeddings::jacobi_eigen;
use crate::labs::fertility_data::SAMPLES;
use crate::labs::shared::{
    bm25, documents, train_trio, trained, user_tokenizer, word_vectors, Trio,
};
use crate::labs::similarity::{cosine, dot, embed_text, euclidean, normalized, relative_contrast};
use crate::labs::tokenize::{encode, Algorithm, Pretrained, Token};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{
    BarsView, ChartView, Control, Part, ScatterView, Series, StripDetail, StripToken, TableView,
    TokenStripView,
};
use crate::viz::{choice, slider, step_index, step_value, text_field, toggle, Visual};
use ndarray::{Array1, Array2, Axis};
use std::sync::{Arc, Mutex, OnceLock};

const VOCABS: [usize; 6] = [300, 500, 1000, 2000, 4000, 8000];

/// "1 token", "3 tokens".
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn strip(title: String, input: &str, tokens: &[Token], detail: StripDetail) -> Part {
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
fn train_in_background(vocab: usize) {
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

/// The `token-split` kind: how lessons name it, its parameters and how to build it.
pub const TOKEN_SPLIT: KindDef = KindDef {
    name: "token-split",
    title: "Text split into tokens",
    about: "types or pastes text and sees it split live by BPE, WordPiece and Unigram trained on the course's own text at the chosen vocabulary size (retrained in the background), or by the real r50k (GPT-2), cl100k and o200k encodings, with token counts, ids or byte offsets",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: 40, default: "Tokenizers split text into pieces." }, doc: "the text split" }, ParamDef { name: "vocab", ty: ParamType::IntAmong { allowed: &VOCABS, default: 1000 }, doc: "vocabulary of the tokenizers trained here" }, ParamDef { name: "show", ty: ParamType::Choice { options: &["trained", "real"], default: "trained" }, doc: "tokenizers trained on the course or the real encodings" }, ParamDef { name: "detail", ty: ParamType::Choice { options: &["none", "ids", "offsets"], default: "none" }, doc: "what each token shows under it" }],
    build: build_token_split,
};

fn build_token_split(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(TokenSplit::new(p)?))
}

pub struct TokenSplit {
    text: String,
    vocab: usize,
    /// 0: trained here, 1: the real encodings, 2: the learner's own tokenizer.json.
    source: usize,
    detail: usize,
    /// Whether the trained trio was ready the last time the view was computed.
    shown_ready: bool,
    started: bool,
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
            shown_ready: false,
            started: false,
        })
    }

    fn sources() -> Vec<String> {
        let mut list = vec![
            "trained here".to_string(),
            "real (r50k, cl100k, o200k)".to_string(),
        ];
        if let Some((name, _)) = user_tokenizer() {
            list.push(format!("your file: {name}"));
        }
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
                self.started = false;
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
        let ready = trained(VOCABS[self.vocab]).is_some();
        self.trained_view() && (ready != self.shown_ready || !ready)
    }

    fn poll(&mut self) -> bool {
        if self.trained_view() && !self.started {
            self.started = true;
            train_in_background(VOCABS[self.vocab]);
        }
        trained(VOCABS[self.vocab]).is_some() != self.shown_ready
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

    fn after_refresh(&mut self) {
        self.shown_ready = trained(VOCABS[self.vocab]).is_some();
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

/// The merges of a trained BPE, in rank order, read from its JSON form.
pub fn bpe_merges(tok: &tokenizers::Tokenizer) -> Vec<(String, String)> {
    let Ok(json) = tok.to_string(false) else {
        return vec![];
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) else {
        return vec![];
    };
    value["model"]["merges"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| match m {
                    serde_json::Value::String(s) => s
                        .split_once(' ')
                        .map(|(a, b)| (a.to_string(), b.to_string())),
                    serde_json::Value::Array(pair) => Some((
                        pair.first()?.as_str()?.to_string(),
                        pair.get(1)?.as_str()?.to_string(),
                    )),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// GPT-2's byte-to-character map: printable bytes stand for themselves, the rest are shifted
/// to 256 and up (so a space becomes `Ġ`).
pub fn byte_level(text: &str) -> Vec<String> {
    text.bytes().map(|b| byte_char(b).to_string()).collect()
}

/// One replay step: the pieces, and the merge (left, right, rank) that produced them.
pub type ReplayStep = (Vec<String>, Option<(String, String, usize)>);

/// The bytes behind a token written in GPT-2's byte-level alphabet (the inverse of
/// [`byte_level`]); characters outside it pass through as UTF-8.
pub fn byte_level_decode(token: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in token.chars() {
        match (0..=255u8).find(|b| byte_char(*b) == c) {
            Some(b) => out.push(b),
            None => out.extend(c.to_string().as_bytes()),
        }
    }
    out
}

/// The character GPT-2's byte-level alphabet uses for one byte.
fn byte_char(b: u8) -> char {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    if printable(b) {
        return char::from(b);
    }
    let shifted = (0..=b).filter(|x| !printable(*x)).count() as u32;
    char::from_u32(255 + shifted).unwrap_or('?')
}

/// Replays BPE on one word: at each step the adjacent pair with the lowest merge rank joins.
/// Returns the pieces after each step and the merge (pair, rank) that made it.
pub fn replay(word: &str, merges: &[(String, String)]) -> Vec<ReplayStep> {
    let rank: std::collections::HashMap<(&str, &str), usize> = merges
        .iter()
        .enumerate()
        .map(|(i, (a, b))| ((a.as_str(), b.as_str()), i))
        .collect();
    let mut pieces = byte_level(word);
    let mut steps = vec![(pieces.clone(), None)];
    loop {
        let best = pieces
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| rank.get(&(w[0].as_str(), w[1].as_str())).map(|r| (*r, i)))
            .min();
        let Some((r, i)) = best else { break };
        let (a, b) = (pieces[i].clone(), pieces[i + 1].clone());
        pieces[i] = format!("{a}{b}");
        pieces.remove(i + 1);
        steps.push((pieces.clone(), Some((a, b, r))));
    }
    steps
}

/// The `bpe-replay` kind: how lessons name it, its parameters and how to build it.
pub const BPE_REPLAY: KindDef = KindDef {
    name: "bpe-replay",
    title: "BPE merges, one at a time",
    about: "steps through the trained BPE's merges on the typed word one at a time: the pair merged, its rank, the pieces after it",
    params: &[ParamDef { name: "word", ty: ParamType::Text { max_words: 6, default: "tokenization" }, doc: "the word whose merges are replayed" }, ParamDef { name: "vocab", ty: ParamType::IntAmong { allowed: &VOCABS, default: 1000 }, doc: "vocabulary of the trained BPE" }],
    build: build_bpe_replay,
};

fn build_bpe_replay(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(BpeReplay::new(p)?))
}

pub struct BpeReplay {
    word: String,
    vocab: usize,
    step: usize,
    /// Whether the last computed view had the trained merges (busy until it has).
    shown_ready: bool,
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
            shown_ready: false,
        })
    }

    fn steps(&self) -> Option<Vec<ReplayStep>> {
        let trio = trained(VOCABS[self.vocab])?;
        let (_, bpe) = trio.iter().find(|(a, _)| *a == Algorithm::Bpe)?;
        // The trained byte-level BPE reads a word with the space before it, as in running text.
        Some(replay(&format!(" {}", self.word.trim()), &bpe_merges(bpe)))
    }
}

impl Visual for BpeReplay {
    fn controls(&self) -> Vec<Control> {
        let total = self.steps().map_or(0, |s| s.len() - 1);
        vec![
            text_field("word", &self.word),
            slider(
                "merge step",
                self.step.min(total) as f64,
                0.0,
                total as f64,
                1.0,
                0,
            ),
            choice(
                "vocabulary",
                VOCABS.iter().map(ToString::to_string).collect(),
                self.vocab,
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        let total = self.steps().map_or(0, |s| s.len() - 1);
        match index {
            1 => self.step = step_value(self.step as f64, delta, 1.0, 0.0, total as f64) as usize,
            2 => {
                self.vocab = step_index(self.vocab, delta, VOCABS.len());
                self.step = 0;
                self.shown_ready = false;
            }
            _ => {}
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if index == 0 && !text.trim().is_empty() {
            self.word = text.chars().take(40).collect();
            self.step = 0;
        }
    }

    fn busy(&self) -> bool {
        !self.shown_ready
    }

    fn poll(&mut self) -> bool {
        train_in_background(VOCABS[self.vocab]);
        self.steps().is_some() && !self.shown_ready
    }

    fn after_refresh(&mut self) {
        self.shown_ready = self.steps().is_some();
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
            Some((a, b, r)) => format!("step {k}: merge \"{a}\" + \"{b}\" (rank {r}) → \"{a}{b}\""),
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
                let t = StripToken {
                    text: p.clone(),
                    id: i as u32,
                    start,
                    end: start + p.len(),
                };
                start += p.len();
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

/// Token counts of the three shared sentences, per language, for each real tokenizer.
fn fertility_table() -> &'static Vec<[usize; 3]> {
    static TABLE: OnceLock<Vec<[usize; 3]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        SAMPLES
            .iter()
            .map(|s| {
                let mut counts = [0; 3];
                for (c, p) in counts.iter_mut().zip(Pretrained::ALL) {
                    *c = s.sentences.iter().map(|t| p.encode(t).len()).sum();
                }
                counts
            })
            .collect()
    })
}

fn english_words() -> usize {
    SAMPLES[0]
        .sentences
        .iter()
        .map(|s| s.split_whitespace().count())
        .sum()
}

/// The `fertility` kind: how lessons name it, its parameters and how to build it.
pub const FERTILITY: KindDef = KindDef {
    name: "fertility",
    title: "Tokens per word across languages",
    about: "sees the same three sentences in 15 languages and 10 scripts: the cost ratio to English for every tokenizer as a table, and (the `view` control) bars of the chosen tokenizer with tokens per word, on one scale across both pages",
    params: &[ParamDef { name: "tokenizer", ty: ParamType::Choice { options: &["r50k", "cl100k", "o200k"], default: "cl100k" }, doc: "the encoding whose bars are shown" }],
    build: build_fertility,
};

fn build_fertility(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Fertility::new(p)?))
}

pub struct Fertility {
    tokenizer: usize,
    view: usize,
}

impl Fertility {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let tokenizer = p.index("tokenizer")?;
        p.finish()?;
        Ok(Self { tokenizer, view: 0 })
    }
}

impl Visual for Fertility {
    fn controls(&self) -> Vec<Control> {
        vec![
            choice(
                "tokenizer",
                Pretrained::ALL
                    .iter()
                    .map(|p| p.name().to_string())
                    .collect(),
                self.tokenizer,
            ),
            choice(
                "view",
                vec!["table".into(), "bars 1–8".into(), "bars 9–15".into()],
                self.view,
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.tokenizer = step_index(self.tokenizer, delta, 3),
            1 => self.view = step_index(self.view, delta, 3),
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let table = fertility_table();
        let english = table[0];
        let ratio = |i: usize, t: usize| table[i][t] as f64 / english[t].max(1) as f64;
        if self.view == 0 {
            // Two languages per row, so fifteen fit an 80x24 screen.
            let half = SAMPLES.len().div_ceil(2);
            let cell = |i: usize| -> Vec<String> {
                match SAMPLES.get(i) {
                    Some(s) => std::iter::once(s.language.to_string())
                        .chain((0..3).map(|t| format!("{:.1}", ratio(i, t))))
                        .collect(),
                    None => vec![String::new(); 4],
                }
            };
            let rows = (0..half)
                .map(|r| {
                    cell(r)
                        .into_iter()
                        .chain(std::iter::once("│".to_string()))
                        .chain(cell(r + half))
                        .collect()
                })
                .collect();
            let head: Vec<String> = ["language", "r50k", "cl100k", "o200k"]
                .iter()
                .map(|s| (*s).to_string())
                .collect();
            return vec![
                Part::Text(vec![
                    "Tokens for the same three sentences, as a multiple of English:".into(),
                ]),
                Part::Table(TableView {
                    title: String::new(),
                    headers: head
                        .iter()
                        .cloned()
                        .chain(std::iter::once("│".to_string()))
                        .chain(head.iter().cloned())
                        .collect(),
                    rows,
                    highlight: None,
                }),
            ];
        }
        let range = if self.view == 1 {
            0..8
        } else {
            8..SAMPLES.len()
        };
        let t = self.tokenizer;
        let words = english_words();
        vec![Part::Bars(BarsView {
            title: format!(
                "{}: tokens vs English (English = {} tokens, {} per word)",
                Pretrained::ALL[t].name(),
                english[t],
                fmt_num(english[t] as f64 / words as f64)
            ),
            // Fertility: tokens per word (per English word for scripts written without spaces).
            labels: range
                .clone()
                .map(|i| {
                    let s = &SAMPLES[i];
                    let n: usize = if s.spaced {
                        s.sentences
                            .iter()
                            .map(|x| x.split_whitespace().count())
                            .sum()
                    } else {
                        words
                    };
                    format!(
                        "{} {:.1}/word",
                        s.language,
                        table[i][t] as f64 / n.max(1) as f64
                    )
                })
                .collect(),
            values: range.map(|i| ratio(i, t)).collect(),
            decimals: 2,
            highlight: None,
            // One scale for both pages, so bar lengths compare across them.
            max: Some((0..SAMPLES.len()).map(|i| ratio(i, t)).fold(0.0, f64::max)),
        })]
    }
}

/// How often each r50k token appears when the course's text is encoded.
fn r50k_usage() -> &'static Vec<u32> {
    static USAGE: OnceLock<Vec<u32>> = OnceLock::new();
    USAGE.get_or_init(|| {
        let mut counts = vec![0u32; 50_257];
        for line in crate::labs::shared::course_text() {
            for t in Pretrained::R50k.encode(line) {
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
    let bpe = tiktoken_rs::r50k_base_singleton();
    let unused = usage.iter().filter(|c| **c == 0).count();
    let mut odd: Vec<(u32, String)> = (0..50_257u32)
        .filter(|id| usage[*id as usize] == 0)
        .filter_map(|id| {
            let bytes = bpe.decode_bytes(&[id]).ok()?;
            let s = String::from_utf8(bytes).ok()?;
            let body = s.trim_start_matches(' ');
            (body.len() >= 10 && body.chars().all(|c| c.is_ascii_alphanumeric())).then_some((id, s))
        })
        .collect();
    odd.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    odd.truncate(limit);
    (unused, odd)
}

/// The `glitch` kind: how lessons name it, its parameters and how to build it.
pub const GLITCH: KindDef = KindDef {
    name: "glitch",
    title: "Glitch tokens and odd splits",
    about: "unused: r50k tokens that the course's text never produces (long, odd ones first); magikarp: \" SolidGoldMagikarp\" in r50k against cl100k and o200k; numbers: how each tokenizer cuts numbers",
    params: &[ParamDef { name: "view", ty: ParamType::Choice { options: &GLITCH_VIEWS, default: "unused" }, doc: "the page shown first" }],
    build: build_glitch,
};

fn build_glitch(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Glitch::new(p)?))
}

pub struct Glitch {
    view: usize,
}

const GLITCH_VIEWS: [&str; 3] = ["unused", "magikarp", "numbers"];

impl Glitch {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        p.finish()?;
        Ok(Self { view })
    }
}

impl Visual for Glitch {
    fn controls(&self) -> Vec<Control> {
        vec![choice(
            "view",
            GLITCH_VIEWS.iter().map(|v| (*v).to_string()).collect(),
            self.view,
        )]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        if index == 0 {
            self.view = step_index(self.view, delta, GLITCH_VIEWS.len());
        }
    }

    fn parts(&self) -> Vec<Part> {
        match self.view {
            0 => {
                let (unused, odd) = unused_tokens(10);
                let mut lines = vec![format!(
                    "Encoding the whole course with r50k uses {} of its 50,257 tokens; {} never appear.",
                    fmt_count((50_257 - unused) as f64),
                    fmt_count(unused as f64)
                )];
                lines.push("Some long never-used ones (id: token):".into());
                lines.extend(odd.iter().map(|(id, s)| format!("  {id}: {s:?}")));
                vec![Part::Text(lines)]
            }
            1 => {
                let text = " SolidGoldMagikarp";
                Pretrained::ALL
                    .iter()
                    .map(|p| {
                        let tokens = p.encode(text);
                        strip(
                            format!(
                                "{}: {} token{}",
                                p.name(),
                                tokens.len(),
                                if tokens.len() == 1 { "" } else { "s" }
                            ),
                            text,
                            &tokens,
                            StripDetail::Ids,
                        )
                    })
                    .collect()
            }
            _ => {
                let text = "12345 1234567 3.14159 2024-11-29";
                Pretrained::ALL
                    .iter()
                    .map(|p| {
                        let tokens = p.encode(text);
                        strip(
                            format!("{}: {}", p.name(), count(tokens.len(), "token")),
                            text,
                            &tokens,
                            StripDetail::None,
                        )
                    })
                    .collect()
            }
        }
    }
}

/// The word vectors projected on their two main directions (PCA).
fn projection() -> &'static Array2<f64> {
    static PROJ: OnceLock<Array2<f64>> = OnceLock::new();
    PROJ.get_or_init(|| {
        let v = &word_vectors().vectors;
        let mean = v
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(v.ncols()));
        let centred = v - &mean;
        let cov = centred.t().dot(&centred);
        let (values, vecs) = jacobi_eigen(&cov);
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|a, b| values[*b].total_cmp(&values[*a]));
        let basis = Array2::from_shape_fn((v.ncols(), 2), |(r, c)| vecs[[r, order[c]]]);
        centred.dot(&basis)
    })
}

/// The `embedding-map` kind: how lessons name it, its parameters and how to build it.
pub const EMBEDDING_MAP: KindDef = KindDef {
    name: "embedding-map",
    title: "A map of word vectors",
    about: "word vectors built from the course's text (PPMI + SVD); the vocabulary projected to 2-D on a Braille canvas with the typed word and its nearest neighbours marked, and the neighbours with their cosine",
    params: &[ParamDef { name: "word", ty: ParamType::Text { max_words: 1, default: "attention" }, doc: "the word whose neighbours are marked" }, ParamDef { name: "neighbours", ty: ParamType::Int { min: 3, max: 12, default: 8 }, doc: "neighbours listed" }],
    build: build_embedding_map,
};

fn build_embedding_map(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(EmbeddingMap::new(p)?))
}

pub struct EmbeddingMap {
    word: String,
    k: usize,
}

impl EmbeddingMap {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let word = p.text("word")?;
        let k = p.int("neighbours")? as usize;
        p.finish()?;
        Ok(Self { word, k })
    }
}

impl Visual for EmbeddingMap {
    fn controls(&self) -> Vec<Control> {
        vec![
            text_field("word", &self.word),
            slider("neighbours", self.k as f64, 3.0, 12.0, 1.0, 0),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        if index == 1 {
            self.k = step_value(self.k as f64, delta, 1.0, 3.0, 12.0) as usize;
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if let (0, Some(w)) = (index, text.split_whitespace().next()) {
            self.word = w.to_lowercase();
        }
    }

    fn parts(&self) -> Vec<Part> {
        let wv = word_vectors();
        let proj = projection();
        let points: Vec<(f64, f64)> = proj.rows().into_iter().map(|r| (r[0], r[1])).collect();
        let Some(near) = wv.neighbours(&self.word, self.k) else {
            let some: Vec<&str> = wv.words.iter().take(12).map(String::as_str).collect();
            return vec![
                Part::Text(vec![format!(
                    "\"{}\" is not among the {} words of the course's text; try: {}",
                    self.word,
                    wv.words.len(),
                    some.join(", ")
                )]),
                Part::Scatter(ScatterView {
                    title: String::new(),
                    points,
                    marks: vec![],
                    rows: 7,
                }),
            ];
        };
        let mark = |w: &str| {
            wv.index
                .get(w)
                .map(|&i| (proj[[i, 0]], proj[[i, 1]], w.to_string()))
        };
        let mut marks: Vec<(f64, f64, String)> =
            near.iter().take(4).filter_map(|(w, _)| mark(w)).collect();
        marks.extend(mark(&self.word.to_lowercase()));
        vec![
            Part::Scatter(ScatterView {
                title: format!(
                    "{} words of the course on their 2 main directions",
                    wv.words.len()
                ),
                points,
                marks,
                rows: 7,
            }),
            Part::Text(vec![format!(
                "nearest to \"{}\": {}",
                self.word,
                near.iter()
                    .map(|(w, c)| format!("{w} {c:.2}"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            )]),
        ]
    }
}

/// The `analogy` kind: how lessons name it, its parameters and how to build it.
pub const ANALOGY: KindDef = KindDef {
    name: "analogy",
    title: "Word analogies by vector arithmetic",
    about: "solves a − b + c with the course's word vectors and shows the top answers, with and without excluding the three input words",
    params: &[ParamDef { name: "a", ty: ParamType::Text { max_words: 1, default: "keys" }, doc: "the word to start from" }, ParamDef { name: "b", ty: ParamType::Text { max_words: 1, default: "key" }, doc: "the word subtracted" }, ParamDef { name: "c", ty: ParamType::Text { max_words: 1, default: "value" }, doc: "the word added" }, ParamDef { name: "exclude", ty: ParamType::Bool { default: true }, doc: "leave the three input words out of the answers" }],
    build: build_analogy,
};

fn build_analogy(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Analogy::new(p)?))
}

pub struct Analogy {
    words: [String; 3],
    exclude: bool,
}

impl Analogy {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let a = p.text("a")?;
        let b = p.text("b")?;
        let c = p.text("c")?;
        let exclude = p.boolean("exclude")?;
        p.finish()?;
        Ok(Self {
            words: [a, b, c],
            exclude,
        })
    }
}

impl Visual for Analogy {
    fn controls(&self) -> Vec<Control> {
        vec![
            text_field("a", &self.words[0]),
            text_field("− b", &self.words[1]),
            text_field("+ c", &self.words[2]),
            toggle("exclude inputs", self.exclude),
        ]
    }

    fn adjust(&mut self, index: usize, _delta: i32) {
        if index == 3 {
            self.exclude = !self.exclude;
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if let (Some(slot), Some(w)) = (self.words.get_mut(index), text.split_whitespace().next()) {
            *slot = w.to_lowercase();
        }
    }

    fn parts(&self) -> Vec<Part> {
        let [a, b, c] = &self.words;
        match word_vectors().analogy(a, b, c, 5, self.exclude) {
            Err(e) => vec![Part::Text(vec![format!(
                "{e}: the vectors know only the course's own words"
            )])],
            Ok(best) => {
                let inputs = [a.as_str(), b.as_str(), c.as_str()];
                vec![
                    Part::Text(vec![format!(
                        "{a} − {b} + {c} ≈ ?  (cosine to the result vector)"
                    )]),
                    Part::Table(TableView {
                        title: String::new(),
                        headers: vec!["#".into(), "word".into(), "cosine".into(), String::new()],
                        rows: best
                            .iter()
                            .enumerate()
                            .map(|(i, (w, s))| {
                                let note = if inputs.contains(&w.as_str()) {
                                    "an input word"
                                } else {
                                    ""
                                };
                                vec![
                                    (i + 1).to_string(),
                                    w.clone(),
                                    format!("{s:.3}"),
                                    note.into(),
                                ]
                            })
                            .collect(),
                        highlight: Some(0),
                    }),
                ]
            }
        }
    }
}

/// The `retrieval` kind: how lessons name it, its parameters and how to build it.
pub const RETRIEVAL: KindDef = KindDef {
    name: "retrieval",
    title: "Finding paragraphs: BM25 and word vectors",
    about: "ranks the course's paragraphs for a typed query by BM25 (sparse) and by averaged word vectors (dense), side by side, with k1 and b adjustable",
    params: &[ParamDef { name: "query", ty: ParamType::Text { max_words: 10, default: "softmax temperature" }, doc: "the search query" }, ParamDef { name: "k1", ty: ParamType::Float { min: 0.0, max: 3.0, default: 1.2 }, doc: "BM25's term-frequency saturation" }, ParamDef { name: "b", ty: ParamType::Float { min: 0.0, max: 1.0, default: 0.75 }, doc: "BM25's length normalization" }],
    build: build_retrieval,
};

fn build_retrieval(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Retrieval::new(p)?))
}

pub struct Retrieval {
    query: String,
    k1: f64,
    b: f64,
}

impl Retrieval {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let query = p.text("query")?;
        let k1 = p.float("k1")?;
        let b = p.float("b")?;
        p.finish()?;
        Ok(Self { query, k1, b })
    }
}

fn snippet(text: &str, n: usize) -> String {
    let mut s: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        s.push('…');
    }
    s
}

impl Visual for Retrieval {
    fn controls(&self) -> Vec<Control> {
        vec![
            text_field("query", &self.query),
            slider("k1", self.k1, 0.0, 3.0, 0.1, 1),
            slider("b", self.b, 0.0, 1.0, 0.05, 2),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            1 => self.k1 = step_value(self.k1, delta, 0.1, 0.0, 3.0),
            2 => self.b = step_value(self.b, delta, 0.05, 0.0, 1.0),
            _ => {}
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if index == 0 && !text.trim().is_empty() {
            self.query = text
                .split_whitespace()
                .take(10)
                .collect::<Vec<_>>()
                .join(" ");
        }
    }

    fn parts(&self) -> Vec<Part> {
        let docs = documents();
        let sparse = bm25().rank(&self.query, self.k1, self.b);
        let wv = word_vectors();
        let q = embed_text(wv, &self.query);
        let mut dense: Vec<(usize, f64)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, embed_text(wv, d).dot(&q)))
            .collect();
        dense.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Only documents that match at all: a zero score is no ranking.
        let rows = |list: &[(usize, f64)]| -> Vec<Vec<String>> {
            let hits: Vec<Vec<String>> = list
                .iter()
                .filter(|(_, s)| *s > 0.0)
                .take(4)
                .map(|(i, s)| vec![format!("{s:.2}"), snippet(&docs[*i], 58)])
                .collect();
            if hits.is_empty() {
                vec![vec![
                    "-".into(),
                    "no paragraph shares a known word with the query".into(),
                ]]
            } else {
                hits
            }
        };
        vec![
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "BM25".into(),
                    format!("sparse: {} paragraphs, word matches", docs.len()),
                ],
                rows: rows(&sparse),
                highlight: None,
            }),
            Part::Table(TableView {
                title: String::new(),
                headers: vec!["cos".into(), "dense: averaged word vectors".into()],
                rows: rows(&dense),
                highlight: None,
            }),
        ]
    }
}

/// The `metrics` kind: how lessons name it, its parameters and how to build it.
pub const METRICS: KindDef = KindDef {
    name: "metrics",
    title: "Cosine, dot product and distance",
    about: "moves two 2-D vectors and sees cosine, dot product and Euclidean distance, and with normalizing on, that ‖a−b‖² = 2 − 2·cos",
    params: &[ParamDef { name: "a", ty: ParamType::Floats { len: (2, 2), range: (-5.0, 5.0), default: &[3.0, 1.0] }, doc: "the first vector (x, y)" }, ParamDef { name: "b", ty: ParamType::Floats { len: (2, 2), range: (-5.0, 5.0), default: &[1.0, 2.0] }, doc: "the second vector (x, y)" }, ParamDef { name: "normalize", ty: ParamType::Bool { default: false }, doc: "scale both to length 1" }],
    build: build_metrics,
};

fn build_metrics(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Metrics::new(p)?))
}

pub struct Metrics {
    a: [f64; 2],
    b: [f64; 2],
    normalize: bool,
}

impl Metrics {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let a = p.floats("a")?;
        let b = p.floats("b")?;
        let normalize = p.boolean("normalize")?;
        p.finish()?;
        Ok(Self {
            a: [a[0], a[1]],
            b: [b[0], b[1]],
            normalize,
        })
    }
}

impl Visual for Metrics {
    fn controls(&self) -> Vec<Control> {
        vec![
            slider("a.x", self.a[0], -5.0, 5.0, 0.5, 1),
            slider("a.y", self.a[1], -5.0, 5.0, 0.5, 1),
            slider("b.x", self.b[0], -5.0, 5.0, 0.5, 1),
            slider("b.y", self.b[1], -5.0, 5.0, 0.5, 1),
            toggle("normalize", self.normalize),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        let v = match index {
            0 => &mut self.a[0],
            1 => &mut self.a[1],
            2 => &mut self.b[0],
            3 => &mut self.b[1],
            _ => {
                self.normalize = !self.normalize;
                return;
            }
        };
        *v = step_value(*v, delta, 0.5, -5.0, 5.0);
    }

    fn parts(&self) -> Vec<Part> {
        let (a, b) = if self.normalize {
            (normalized(&self.a), normalized(&self.b))
        } else {
            (self.a.to_vec(), self.b.to_vec())
        };
        let cos = cosine(&a, &b);
        let mut lines = vec![
            format!(
                "a = ({}, {})  b = ({}, {})",
                fmt_num(a[0]),
                fmt_num(a[1]),
                fmt_num(b[0]),
                fmt_num(b[1])
            ),
            format!(
                "cosine {}   dot {}   distance {}",
                fmt_num(cos),
                fmt_num(dot(&a, &b)),
                fmt_num(euclidean(&a, &b))
            ),
        ];
        if self.normalize {
            lines.push(format!(
                "unit vectors: ‖a−b‖² = {} and 2 − 2·cos = {}",
                fmt_num(euclidean(&a, &b).powi(2)),
                fmt_num(2.0 - 2.0 * cos)
            ));
        } else {
            lines.push("dot = ‖a‖·‖b‖·cos: longer vectors score higher at the same angle".into());
        }
        // Points along each arrow from the origin.
        let along = |v: &[f64]| -> Vec<(f64, f64)> {
            (0..=20)
                .map(|i| (v[0] * f64::from(i) / 20.0, v[1] * f64::from(i) / 20.0))
                .collect()
        };
        let mut points: Vec<(f64, f64)> = along(&a);
        points.extend(along(&b));
        points.extend([(-5.0, -5.0), (5.0, 5.0)].iter().map(|p| {
            if self.normalize {
                (p.0 / 5.0, p.1 / 5.0)
            } else {
                *p
            }
        }));
        vec![
            Part::Text(lines),
            Part::Scatter(ScatterView {
                title: String::new(),
                points,
                marks: vec![
                    (a[0], a[1], "a".into()),
                    (b[0], b[1], "b".into()),
                    (0.0, 0.0, "0".into()),
                ],
                rows: 6,
            }),
        ]
    }
}

const POINTS: [usize; 4] = [100, 500, 1000, 2000];
const CONC_DIMS: [usize; 12] = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

fn contrast_curve(points: usize) -> Arc<Vec<f64>> {
    type Curves = Mutex<Vec<(usize, Arc<Vec<f64>>)>>;
    static CACHE: OnceLock<Curves> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|e| e.0 == points).map(|e| Arc::clone(&e.1)))
    {
        return hit;
    }
    let curve = Arc::new(
        CONC_DIMS
            .iter()
            .map(|&d| relative_contrast(d, points, d as u64))
            .collect::<Vec<_>>(),
    );
    if let Ok(mut c) = cache.lock() {
        c.push((points, Arc::clone(&curve)));
    }
    curve
}

/// The `concentration` kind: how lessons name it, its parameters and how to build it.
pub const CONCENTRATION: KindDef = KindDef {
    name: "concentration",
    title: "Distances in many dimensions",
    about: "sees (farthest − nearest)/nearest distance from a random query shrink as the dimension grows from 2 to 4096, measured live",
    params: &[ParamDef { name: "points", ty: ParamType::Int { min: 100, max: 2000, default: 500 }, doc: "random points per dimension (rounded up to 100, 500, 1000 or 2000)" }],
    build: build_concentration,
};

fn build_concentration(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Concentration::new(p)?))
}

pub struct Concentration {
    points: usize,
}

impl Concentration {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let points = p.int("points")? as usize;
        p.finish()?;
        let points = POINTS
            .iter()
            .position(|x| *x >= points)
            .unwrap_or(POINTS.len() - 1);
        Ok(Self { points })
    }
}

impl Visual for Concentration {
    fn controls(&self) -> Vec<Control> {
        vec![choice(
            "random points",
            POINTS.iter().map(ToString::to_string).collect(),
            self.points,
        )]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        if index == 0 {
            self.points = step_index(self.points, delta, POINTS.len());
        }
    }

    fn parts(&self) -> Vec<Part> {
        let curve = contrast_curve(POINTS[self.points]);
        let last = CONC_DIMS.len() - 1;
        vec![
            Part::Text(vec![
                format!(
                    "(farthest − nearest) / nearest, from a random query to {} random points:",
                    POINTS[self.points]
                ),
                format!(
                    "d = 2: {}    d = 64: {}    d = 4096: {}",
                    fmt_num(curve[0]),
                    fmt_num(curve[5]),
                    fmt_num(curve[last])
                ),
            ]),
            Part::Chart(ChartView {
                title: "relative contrast vs dimension (log–log)".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: true,
                series: vec![Series {
                    name: "measured".into(),
                    marker: '*',
                    points: CONC_DIMS
                        .iter()
                        .zip(curve.iter())
                        .map(|(d, c)| (*d as f64, *c))
                        .collect(),
                }],
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn byte_level_shows_a_space_as_g_dot() {
        assert_eq!(byte_level(" a").join(""), "Ġa");
    }

    #[test]
    fn replay_merges_lowest_rank_first() {
        let merges = vec![
            ("l".to_string(), "o".to_string()),
            ("lo".to_string(), "w".to_string()),
            ("e".to_string(), "r".to_string()),
        ];
        let steps = replay("lower", &merges);
        let last: Vec<String> = steps.last().unwrap().0.clone();
        assert_eq!(last, vec!["low", "er"]);
        assert_eq!(steps[1].1.as_ref().map(|m| m.2), Some(0));
        assert_eq!(steps.len(), 4);
    }

    #[test]
    fn trained_bpe_replay_ends_in_its_own_split() {
        let trio = train_trio(1000).unwrap();
        let (_, bpe) = trio.iter().find(|(a, _)| *a == Algorithm::Bpe).unwrap();
        let steps = replay(" attention", &bpe_merges(bpe));
        let ours: Vec<String> = steps.last().unwrap().0.clone();
        let theirs: Vec<String> = bpe
            .encode("attention", false)
            .unwrap()
            .get_tokens()
            .to_vec();
        assert_eq!(ours, theirs);
    }

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
        let lab = Fertility::new(Params::new(&Map::new(), &FERTILITY)).unwrap();
        assert!(!lab.parts().is_empty());
    }

    #[test]
    fn metrics_identity_holds_when_normalized() {
        let mut lab = Metrics::new(Params::new(&Map::new(), &METRICS)).unwrap();
        lab.adjust(4, 1);
        let Part::Text(lines) = &lab.parts()[0] else {
            panic!()
        };
        let nums: Vec<&str> = lines[2].split(" = ").collect();
        assert!(lines[2].starts_with("unit vectors"), "{}", lines[2]);
        assert_eq!(
            nums[1].split(' ').next(),
            nums[2].split(' ').next(),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn glitch_finds_unused_tokens() {
        let (unused, odd) = unused_tokens(5);
        assert!(unused > 40_000);
        assert_eq!(odd.len(), 5);
    }
}
