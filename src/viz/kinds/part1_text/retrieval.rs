//! Retrieval of the course's paragraphs for a typed query: BM25 against averaged word
//! vectors.

use crate::labs::part1_text::shared::{bm25, documents, word_vectors};
use crate::labs::part1_text::similarity::embed_text;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// BM25's k1 (how fast a term's count saturates), a control and a parameter.
const K1: Scale = Scale::linear(0.0, 3.0, 0.1, 1);
/// BM25's b (how much a document's length counts), a control and a parameter.
const B: Scale = Scale::linear(0.0, 1.0, 0.05, 2);

/// The `retrieval` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "retrieval",
    title: "Finding paragraphs: BM25 and word vectors",
    about: "ranks the course's paragraphs for a typed query by BM25 (sparse) and by averaged word vectors (dense), side by side, with k1 and b adjustable",
    params: &[ParamDef { name: "query", ty: ParamType::Text { max_words: 10, default: "softmax temperature" }, doc: "the search query" }, K1.float("k1", 1.2, "BM25's term-frequency saturation"), B.float("b", 0.75, "BM25's length normalization")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for Retrieval {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.text("query", &self.query, |r, text| {
            if !text.trim().is_empty() {
                r.query = text
                    .split_whitespace()
                    .take(10)
                    .collect::<Vec<_>>()
                    .join(" ");
            }
        });
        k.slider("k1", self.k1, K1, |r, v| r.k1 = v);
        k.slider("b", self.b, B, |r, v| r.b = v);
    }
}

impl Visual for Retrieval {
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
