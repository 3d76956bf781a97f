//! Results computed once per process and shared by every visualizer that needs them: the
//! bundled corpus, the word vectors built from it, its BM25 index, and tokenizers trained on it
//! (by vocabulary size).

use crate::labs::part1_text::embeddings::{build, WordVectors};
use crate::labs::part1_text::similarity::Bm25;
use crate::labs::part1_text::tokenize::{corpus, train, Algorithm};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokenizers::Tokenizer;

pub fn course_text() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(corpus)
}

/// Word vectors from the course text (1,500 words, 50 dimensions); about 60 ms the first time.
pub fn word_vectors() -> &'static WordVectors {
    static VECTORS: OnceLock<WordVectors> = OnceLock::new();
    VECTORS.get_or_init(|| build(course_text(), 1500, 4, 50, 1))
}

/// Paragraphs long enough to be worth retrieving, as the document set.
pub fn documents() -> &'static [String] {
    static DOCS: OnceLock<Vec<String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        course_text()
            .iter()
            .filter(|p| p.split_whitespace().count() >= 25)
            .cloned()
            .collect()
    })
}

/// The course's word vectors on their two main directions, for the embedding map.
pub fn word_map() -> &'static ndarray::Array2<f64> {
    static MAP: OnceLock<ndarray::Array2<f64>> = OnceLock::new();
    MAP.get_or_init(|| crate::labs::part1_text::embeddings::pca_2d(&word_vectors().vectors))
}

pub fn bm25() -> &'static Bm25 {
    static INDEX: OnceLock<Bm25> = OnceLock::new();
    INDEX.get_or_init(|| Bm25::new(documents()))
}

/// A tokenizer.json the learner named with `--tokenizer FILE`, shown by the token-split panel.
static USER_TOKENIZER: OnceLock<(String, Tokenizer)> = OnceLock::new();

pub fn set_user_tokenizer(name: String, tok: Tokenizer) {
    let _ = USER_TOKENIZER.set((name, tok));
}

pub fn user_tokenizer() -> Option<&'static (String, Tokenizer)> {
    USER_TOKENIZER.get()
}

/// BPE, WordPiece and Unigram trained at one vocabulary size.
pub type Trio = Arc<Vec<(Algorithm, Tokenizer)>>;

/// One cell per vocabulary size: the first caller trains into it and any caller arriving
/// meanwhile waits for that training instead of starting a second one.
type TrioCell = Arc<OnceLock<Result<Trio, String>>>;

fn trio_cell(vocab: usize) -> TrioCell {
    static CELLS: OnceLock<Mutex<HashMap<usize, TrioCell>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| Mutex::new(HashMap::new()));
    match cells.lock() {
        Ok(mut map) => Arc::clone(map.entry(vocab).or_default()),
        // A panic while the map was held: a private cell still gives a correct answer.
        Err(_) => Arc::default(),
    }
}

/// The trained trio at `vocab`, if it is ready.
pub fn trained(vocab: usize) -> Option<Trio> {
    trio_cell(vocab)
        .get()
        .and_then(|r| r.as_ref().ok())
        .cloned()
}

/// Trains the trio at `vocab` now (blocking) unless it is cached or being trained, in which
/// case it waits for that training.
pub fn train_trio(vocab: usize) -> Result<Trio, String> {
    let cell = trio_cell(vocab);
    cell.get_or_init(|| {
        let mut out = Vec::new();
        for alg in Algorithm::ALL {
            out.push((alg, train(alg, vocab, course_text())?));
        }
        Ok(Arc::new(out))
    })
    .clone()
}
