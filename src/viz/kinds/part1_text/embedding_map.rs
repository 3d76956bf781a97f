//! The course's word vectors on a 2-D map, a typed word and its nearest neighbours marked.

use crate::labs::part1_text::embeddings::similar_spellings;
use crate::labs::part1_text::shared::word_map;
use crate::labs::part1_text::shared::word_vectors;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, ScatterView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// Neighbours marked around the word, a control and a parameter.
const NEIGHBOURS: Scale = Scale::linear(3.0, 12.0, 1.0, 0);

/// The `embedding-map` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "embedding-map",
    title: "A map of word vectors",
    about: "word vectors built from the course's text (PPMI + SVD); the vocabulary projected to 2-D on a Braille canvas with the typed word and its nearest neighbours marked, and the neighbours with their cosine",
    params: &[ParamDef { name: "word", ty: ParamType::Text { max_words: 1, default: "attention" }, doc: "the word whose neighbours are marked" }, NEIGHBOURS.int("neighbours", 8, "neighbours listed")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for EmbeddingMap {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.text("word", &self.word, |e, text| {
            if let Some(w) = text.split_whitespace().next() {
                e.word = w.to_lowercase();
            }
        });
        k.count("neighbours", self.k, NEIGHBOURS, |e, n| e.k = n);
    }
}

impl Visual for EmbeddingMap {
    fn parts(&self) -> Vec<Part> {
        let wv = word_vectors();
        let proj = word_map();
        let points: Vec<(f64, f64)> = proj.rows().into_iter().map(|r| (r[0], r[1])).collect();
        let Some(near) = wv.neighbours(&self.word, self.k) else {
            let some = similar_spellings(&wv.words, &self.word, 6);
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
                    equal_aspect: false,
                    extent: None,
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
                equal_aspect: false,
                extent: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: "atention" was answered with "try: d, token, k". The suggestions now start
    /// with the course's word one letter away.
    #[test]
    fn a_misspelt_word_gets_real_nearby_words() {
        let lab = EmbeddingMap {
            word: "atention".into(),
            k: 8,
        };
        let Some(Part::Text(t)) = lab.parts().into_iter().next() else {
            panic!("no text")
        };
        assert!(t[0].contains("try: attention,"), "{}", t[0]);
    }
}
