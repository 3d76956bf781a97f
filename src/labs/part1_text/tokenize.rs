//! Tokenizers: BPE, WordPiece and Unigram trained on the spot on the course's own text, the
//! real GPT-2 (r50k), cl100k and o200k encodings embedded offline, and any `tokenizer.json`
//! a learner names. Every split comes back in one shape: token text, id and byte offsets.

use crate::labs::shelf::Shelf;
use std::sync::Arc;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::unigram::{Unigram, UnigramTrainerBuilder};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::metaspace::Metaspace;
use tokenizers::pre_tokenizers::whitespace::Whitespace;
use tokenizers::{decoders, DecoderWrapper, PreTokenizerWrapper, Tokenizer};

/// One token of a split: its text as shown, its id, and where it sits in the input (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub id: u32,
    pub start: usize,
    pub end: usize,
}

/// The algorithms the course trains itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Byte-level BPE, as GPT-2: 256 base bytes, merges by frequency.
    Bpe,
    /// WordPiece, as BERT: `##` marks a piece inside a word.
    WordPiece,
    /// Unigram, as SentencePiece: `▁` marks a space; a big vocabulary pruned by loss.
    Unigram,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::Bpe, Algorithm::WordPiece, Algorithm::Unigram];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Bpe => "bpe",
            Algorithm::WordPiece => "wordpiece",
            Algorithm::Unigram => "unigram",
        }
    }
}

/// The embedded encodings of real models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pretrained {
    R50k,
    Cl100k,
    O200k,
}

impl Pretrained {
    pub const ALL: [Pretrained; 3] = [Pretrained::R50k, Pretrained::Cl100k, Pretrained::O200k];

    pub fn name(self) -> &'static str {
        match self {
            Pretrained::R50k => "r50k",
            Pretrained::Cl100k => "cl100k",
            Pretrained::O200k => "o200k",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Pretrained::R50k => "GPT-2's byte-level BPE (r50k_base, 50,257 tokens)",
            Pretrained::Cl100k => "cl100k_base (GPT-3.5/GPT-4 era)",
            Pretrained::O200k => "o200k_base (GPT-4o era)",
        }
    }

    /// The encoding, loaded: built the first time and shared by every holder (panels of
    /// every learner on a server among them) for as long as one holds it, then freed: the
    /// three take about 80 MB, which a process that has moved on from lessons 01–02 (`llmf
    /// check`'s training runs, a classroom server) should not keep. A caller that encodes
    /// again and again (a panel, on each key) holds its [`Encoding`] so it is built once.
    pub fn load(self) -> Encoding {
        static SHELVES: [Shelf<tiktoken_rs::CoreBPE>; 3] = [const { Shelf::new() }; 3];
        let bpe = SHELVES[self as usize].get_or_make(|| {
            let built = match self {
                Pretrained::R50k => tiktoken_rs::r50k_base(),
                Pretrained::Cl100k => tiktoken_rs::cl100k_base(),
                Pretrained::O200k => tiktoken_rs::o200k_base(),
            };
            // The vocabularies are compiled in: building one fails only on a broken build.
            built.unwrap_or_else(|e| panic!("{}: {e}", self.name()))
        });
        Encoding { which: self, bpe }
    }

    /// Splits `text` (loading the encoding for this call if nobody holds it: see
    /// [`Self::load`]).
    pub fn encode(self, text: &str) -> Vec<Token> {
        self.load().encode(text)
    }

    /// As [`Pretrained::encode`], but each token's text is made only when it is taken.
    pub fn encode_lazy(self, text: &str) -> impl ExactSizeIterator<Item = Token> {
        self.load().encode_lazy(text)
    }
}

/// A pretrained encoding, loaded ([`Pretrained::load`]): cheap to clone; the last holder to
/// let go frees it.
#[derive(Clone)]
pub struct Encoding {
    which: Pretrained,
    bpe: Arc<tiktoken_rs::CoreBPE>,
}

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoding({})", self.which.name())
    }
}

impl Encoding {
    pub fn which(&self) -> Pretrained {
        self.which
    }

    /// The bytes token `id` stands for (None for an id outside the vocabulary).
    pub fn token_bytes(&self, id: u32) -> Option<Vec<u8>> {
        self.bpe.decode_bytes(&[id]).ok()
    }

    /// Splits `text`; offsets come from the bytes each token stands for. A token may end in
    /// the middle of a character (byte-level BPE); its text then shows the bytes as `<0xE2>`.
    pub fn encode(&self, text: &str) -> Vec<Token> {
        self.encode_lazy(text).collect()
    }

    /// As [`Encoding::encode`], but each token's text is made only when it is taken: the
    /// split itself keeps 4 bytes a token, so a large input can be streamed out.
    pub fn encode_lazy(&self, text: &str) -> impl ExactSizeIterator<Item = Token> {
        let bpe = Arc::clone(&self.bpe);
        let ids = bpe.encode_with_special_tokens(text);
        let mut at = 0;
        ids.into_iter().map(move |id| {
            let bytes = bpe.decode_bytes(&[id]).unwrap_or_default();
            let start = at;
            at += bytes.len();
            Token {
                text: show_bytes(&bytes),
                id,
                start,
                end: at,
            }
        })
    }
}

/// Bytes as text where they are valid UTF-8, and each byte that is only part of a character
/// as `<0xNN>`: a token holding a space and the first byte of 東 shows as ` <0xE6>`, its space
/// drawn like every other space rather than as `<0x20>`.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("<0x{b:02X}>"));
        }
    }
    out
}

/// The course tokenizers' training text, frozen in `assets/tokenizer/corpus.txt`: the prose of
/// the 25 lessons, one paragraph a line (see `assets/tokenizer/README.md` for how it was made).
/// Frozen rather than read from the lessons so that editing a sentence does not retrain every
/// tokenizer and the word vectors and move the figures lessons 01–04 quote.
pub const CORPUS: &str = include_str!("../../../assets/tokenizer/corpus.txt");

/// [`CORPUS`] as its paragraphs.
pub fn corpus() -> Vec<String> {
    CORPUS.lines().map(String::from).collect()
}

/// Trains `algorithm` to `vocab_size` entries on `corpus`.
pub fn train(
    algorithm: Algorithm,
    vocab_size: usize,
    corpus: &[String],
) -> Result<Tokenizer, String> {
    let err = |e: tokenizers::Error| format!("training {} failed: {e}", algorithm.name());
    let (model, mut trainer, pre, dec): (
        ModelWrapper,
        TrainerWrapper,
        PreTokenizerWrapper,
        DecoderWrapper,
    ) = match algorithm {
        Algorithm::Bpe => (
            BPE::default().into(),
            BpeTrainerBuilder::new()
                .vocab_size(vocab_size)
                .show_progress(false)
                .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
                .build()
                .into(),
            // No prefix space: GPT-2's own setting. With one (the library's default) every
            // text, and every training paragraph, gained a space nobody typed, and a text
            // starting with an emoji split into a lone "Ġ" before its bytes.
            ByteLevel::default().add_prefix_space(false).into(),
            decoders::byte_level::ByteLevel::default()
                .add_prefix_space(false)
                .into(),
        ),
        Algorithm::WordPiece => (
            WordPiece::default().into(),
            // [UNK] stands for any character the training text never showed.
            WordPieceTrainerBuilder::new()
                .vocab_size(vocab_size)
                .show_progress(false)
                .special_tokens(vec![tokenizers::AddedToken::from("[UNK]", true)])
                .build()
                .into(),
            Whitespace {}.into(),
            decoders::wordpiece::WordPiece::default().into(),
        ),
        Algorithm::Unigram => (
            Unigram::default().into(),
            UnigramTrainerBuilder::default()
                .vocab_size(vocab_size as u32)
                .show_progress(false)
                .unk_token(Some("<unk>".into()))
                .special_tokens(vec![tokenizers::AddedToken::from("<unk>", true)])
                .build()
                .map_err(|e| format!("unigram trainer: {e}"))?
                .into(),
            Metaspace::default().into(),
            decoders::metaspace::Metaspace::default().into(),
        ),
    };
    let mut tok = Tokenizer::new(model);
    tok.with_pre_tokenizer(Some(pre));
    tok.with_decoder(Some(dec));
    crate::labs::lm::threads::spread(|| tok.train(&mut trainer, corpus.iter()).map(drop))
        .map_err(err)?;
    Ok(tok)
}

/// Splits `text` with a `tokenizers` tokenizer (trained here or loaded from a file).
pub fn encode(tok: &Tokenizer, text: &str) -> Result<Vec<Token>, String> {
    let enc = tok
        .encode(text, false)
        .map_err(|e| format!("encoding failed: {e}"))?;
    Ok(enc
        .get_tokens()
        .iter()
        .zip(enc.get_ids())
        .zip(enc.get_offsets())
        .map(|((t, id), (s, e))| Token {
            text: t.clone(),
            id: *id,
            start: *s,
            end: *e,
        })
        .collect())
}

/// Loads a `tokenizer.json`; the error names the file and says what is wrong.
pub fn load_file(path: &std::path::Path) -> Result<Tokenizer, String> {
    use crate::text::safe_read::{read_bytes, TOKENIZER_LIMIT};
    let bytes = read_bytes(path, TOKENIZER_LIMIT)?;
    Tokenizer::from_bytes(&bytes)
        .map_err(|e| format!("{}: not a usable tokenizer.json ({e})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frozen text is the one the README describes (an accidental edit retrains every
    /// tokenizer); the hash is what `sha256sum assets/tokenizer/corpus.txt` printed.
    #[test]
    fn tokenizer_corpus_is_the_frozen_text() {
        use sha2::{Digest, Sha256};
        let hash: String = Sha256::digest(CORPUS.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hash,
            "8953cf08e99d2ece3431f585e19ef5f3863b534c5400296871086e9cb7ebb8e1"
        );
        assert_eq!(corpus().len(), 1151);
        assert!(corpus().iter().all(|p| !p.trim().is_empty()));
    }

    #[test]
    fn solid_gold_magikarp_is_one_token_in_r50k_and_several_in_cl100k() {
        let r50k = Pretrained::R50k.encode(" SolidGoldMagikarp");
        assert_eq!(r50k.iter().map(|t| t.id).collect::<Vec<_>>(), vec![43453]);
        let cl = Pretrained::Cl100k.encode(" SolidGoldMagikarp");
        assert!(cl.len() > 1);
    }

    /// Ids worked out independently: Python's tiktoken (its own implementation and pattern
    /// strings) loading the same published rank files, e.g.
    /// `tiktoken.Encoding(**openai_public.r50k_base()).encode("Hello world") == [15496, 995]`.
    /// GPT-2's "hello" = 31373 and " SolidGoldMagikarp" = 43453 are also widely published.
    #[test]
    fn pretrained_ids_match_independently_computed_ones() {
        let cases: [(Pretrained, &str, &[u32]); 12] = [
            (Pretrained::R50k, "hello", &[31373]),
            (Pretrained::R50k, "Hello world", &[15496, 995]),
            (Pretrained::R50k, " SolidGoldMagikarp", &[43453]),
            (
                Pretrained::R50k,
                "naïve café, 12345",
                &[2616, 38776, 40304, 11, 17031, 2231],
            ),
            (Pretrained::Cl100k, "hello", &[15339]),
            (Pretrained::Cl100k, "Hello world", &[9906, 1917]),
            (
                Pretrained::Cl100k,
                " SolidGoldMagikarp",
                &[22925, 26509, 34015, 1609, 8035],
            ),
            (
                Pretrained::Cl100k,
                "naïve café, 12345",
                &[3458, 38672, 588, 53050, 11, 220, 4513, 1774],
            ),
            (Pretrained::O200k, "hello", &[24912]),
            (Pretrained::O200k, "Hello world", &[13225, 2375]),
            (
                Pretrained::O200k,
                " SolidGoldMagikarp",
                &[35764, 30717, 20101, 507, 11784],
            ),
            (
                Pretrained::O200k,
                "naïve café, 12345",
                &[1503, 9954, 737, 30469, 11, 220, 7633, 2548],
            ),
        ];
        for (p, text, want) in cases {
            let ours = p.encode(text);
            assert_eq!(
                ours.iter().map(|t| t.id).collect::<Vec<_>>(),
                want,
                "{} {text:?}",
                p.name()
            );
            // Offsets tile the input with no gaps and end at its last byte.
            assert_eq!(ours.first().map(|t| t.start), Some(0));
            assert_eq!(ours.last().map(|t| t.end), Some(text.len()), "{}", p.name());
            for w in ours.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }

    #[test]
    fn trained_splits_match_the_library_and_cover_the_text() {
        let corpus = corpus();
        assert!(corpus.len() > 100, "the lessons are the corpus");
        for alg in Algorithm::ALL {
            let tok = train(alg, 800, &corpus).unwrap_or_else(|e| panic!("{e}"));
            let text = "attention weights sum to one";
            let ours = encode(&tok, text).unwrap();
            let theirs = tok.encode(text, false).unwrap();
            assert_eq!(
                ours.iter().map(|t| t.id).collect::<Vec<_>>(),
                theirs.get_ids().to_vec()
            );
            assert!(!ours.is_empty());
            assert!(ours.iter().all(|t| t.end <= text.len() && t.start <= t.end));
        }
    }

    /// Regression: `llmf tokenize --tokenizer bpe '🦜'` began with `"Ġ" 220`, a space the learner
    /// never typed, because the byte-level pre-tokenizer added a prefix space. The split of a
    /// text must hold exactly its bytes: 🦜 is F0 9F A6 9C, four bytes, no 0x20.
    #[test]
    fn trained_bpe_adds_no_space_that_was_not_typed() {
        let tok = train(Algorithm::Bpe, 300, &corpus()).unwrap_or_else(|e| panic!("{e}"));
        let bytes_of = |text: &str| -> Vec<u8> {
            encode(&tok, text)
                .unwrap()
                .iter()
                .flat_map(|t| crate::labs::part1_text::bpe::byte_level_decode(&t.text))
                .collect()
        };
        assert_eq!(bytes_of("🦜"), vec![0xF0, 0x9F, 0xA6, 0x9C]);
        assert_eq!(bytes_of("hello world"), b"hello world".to_vec());
        // A space that was typed is kept, inside the next token.
        assert_eq!(bytes_of(" hello"), b" hello".to_vec());
        let first = encode(&tok, "the").unwrap();
        assert!(!first[0].text.starts_with('Ġ'), "{first:?}");
    }

    /// r50k splits " 東" into " \xE6" and two more bytes; the space showed as `<0x20>`.
    #[test]
    fn partial_characters_show_as_bytes_and_the_rest_as_text() {
        assert_eq!(show_bytes(b" \xE6"), " <0xE6>");
        assert_eq!(show_bytes(&[0xE6, 0x9D]), "<0xE6><0x9D>");
        assert_eq!(show_bytes("東".as_bytes()), "東");
        let tokens = Pretrained::R50k.encode(" 東");
        assert_eq!(tokens[0].text, " <0xE6>", "{tokens:?}");
    }

    #[test]
    fn a_broken_tokenizer_file_is_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("llmf-tok-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("broken-tokenizer.json");
        std::fs::write(&path, "{ \"model\": 42 }").unwrap();
        let err = load_file(&path).err().unwrap_or_default();
        assert!(err.contains("broken-tokenizer.json"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
