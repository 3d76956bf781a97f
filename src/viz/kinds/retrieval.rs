//! Retrieval of the course's paragraphs for a typed query: BM25 against averaged word
//! vectors.

use crate::labs::part1_text::shared::{bm25, documents, word_vectors};
use crate::labs::part1_text::similarity::embed_text;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Control, Part, TableView};
use crate::viz::{slider, step_value, text_field, Visual};

/// The `retrieval` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "retrieval",
    title: "Finding paragraphs: BM25 and word vectors",
    about: "ranks the course's paragraphs for a typed query by BM25 (sparse) and by averaged word vectors (dense), side by side, with k1 and b adjustable",
    params: &[ParamDef { name: "query", ty: ParamType::Text { max_words: 10, default: "softmax temperature" }, doc: "the search query" }, ParamDef { name: "k1", ty: ParamType::Float { min: 0.0, max: 3.0, default: 1.2 }, doc: "BM25's term-frequency saturation" }, ParamDef { name: "b", ty: ParamType::Float { min: 0.0, max: 1.0, default: 0.75 }, doc: "BM25's length normalization" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
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
