//! Word analogies (a − b + c) solved with the course's word vectors.

use crate::labs::part1_text::shared::word_vectors;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

/// The `analogy` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "analogy",
    title: "Word analogies by vector arithmetic",
    about: "solves a − b + c with the course's word vectors and shows the top answers, with and without excluding the three input words",
    params: &[ParamDef { name: "a", ty: ParamType::Text { max_words: 1, default: "keys" }, doc: "the word to start from" }, ParamDef { name: "b", ty: ParamType::Text { max_words: 1, default: "key" }, doc: "the word subtracted" }, ParamDef { name: "c", ty: ParamType::Text { max_words: 1, default: "value" }, doc: "the word added" }, ParamDef { name: "exclude", ty: ParamType::Bool { default: true }, doc: "leave the three input words out of the answers" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for Analogy {
    fn declare(&self, k: &mut Knobs<Self>) {
        for (i, label) in ["a", "− b", "+ c"].into_iter().enumerate() {
            k.text(label, &self.words[i], move |a, text| {
                if let Some(w) = text.split_whitespace().next() {
                    a.words[i] = w.to_lowercase();
                }
            });
        }
        k.toggle("exclude inputs", self.exclude, |a, on| a.exclude = on);
    }
}

impl Visual for Analogy {
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
