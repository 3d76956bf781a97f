//! Word analogies (a − b + c) solved with the course's word vectors.

use crate::labs::part1_text::shared::word_vectors;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Control, Part, TableView};
use crate::viz::{text_field, toggle, Visual};

/// The `analogy` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "analogy",
    title: "Word analogies by vector arithmetic",
    about: "solves a − b + c with the course's word vectors and shows the top answers, with and without excluding the three input words",
    params: &[ParamDef { name: "a", ty: ParamType::Text { max_words: 1, default: "keys" }, doc: "the word to start from" }, ParamDef { name: "b", ty: ParamType::Text { max_words: 1, default: "key" }, doc: "the word subtracted" }, ParamDef { name: "c", ty: ParamType::Text { max_words: 1, default: "value" }, doc: "the word added" }, ParamDef { name: "exclude", ty: ParamType::Bool { default: true }, doc: "leave the three input words out of the answers" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
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
