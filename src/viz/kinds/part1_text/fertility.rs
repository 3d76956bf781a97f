//! Tokenizer fertility: the same sentences in fifteen languages, their token cost against
//! English for each real encoding.

use crate::labs::fmt_num;
use crate::labs::part1_text::fertility::{english_words, fertility_table};
use crate::labs::part1_text::fertility_data::SAMPLES;
use crate::labs::part1_text::tokenize::Pretrained;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

/// The `fertility` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "fertility",
    title: "Tokens per word across languages",
    about: "sees the same three sentences in 15 languages and 10 scripts: the cost ratio to English for every tokenizer as a table, and (the `view` control) bars of the chosen tokenizer with tokens per word, on one scale across both pages and all three tokenizers",
    params: &[ParamDef { name: "tokenizer", ty: ParamType::Choice { options: &["r50k", "cl100k", "o200k"], default: "cl100k" }, doc: "the encoding whose bars are shown" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for Fertility {
    fn declare(&self, k: &mut Knobs<Self>) {
        let tokenizers = Pretrained::ALL
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        k.choice("tokenizer", tokenizers, self.tokenizer, |f, i| {
            f.tokenizer = i;
        })
        // The table shows all three tokenizers side by side.
        .idle_when(self.view == 0, "table");
        let views = vec!["table".into(), "bars 1–8".into(), "bars 9–15".into()];
        k.choice("view", views, self.view, |f, i| f.view = i);
    }
}

impl Visual for Fertility {
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
            // One scale for both pages and all three tokenizers, so bar lengths compare
            // across them: a per-tokenizer scale made newer tokenizers' bars as long as
            // older ones' and so look as expensive.
            max: Some(
                (0..SAMPLES.len())
                    .flat_map(|i| (0..3).map(move |t| (i, t)))
                    .map(|(i, t)| ratio(i, t))
                    .fold(0.0, f64::max),
            ),
        })]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(tokenizer: usize, view: usize) -> BarsView {
        match (Fertility { tokenizer, view }).parts().pop() {
            Some(Part::Bars(b)) => b,
            other => panic!("no bars: {other:?}"),
        }
    }

    /// Regression: the bars' scale followed the tokenizer, so o200k's shorter costs filled the
    /// same width as r50k's longer ones. One scale: the largest ratio of any language under any
    /// tokenizer, the same on every page for every tokenizer.
    #[test]
    fn bars_share_one_scale_across_tokenizers_and_pages() {
        let table = fertility_table();
        let mut largest: f64 = 0.0;
        for row in table.iter() {
            for t in 0..3 {
                largest = largest.max(row[t] as f64 / table[0][t] as f64);
            }
        }
        for t in 0..3 {
            for view in 1..3 {
                assert_eq!(
                    bars(t, view).max,
                    Some(largest),
                    "tokenizer {t} page {view}"
                );
            }
        }
        // So an o200k bar is shorter than the r50k bar of the same language when it costs less.
        let (r50k, o200k) = (bars(0, 1), bars(2, 1));
        let worst = (0..r50k.values.len())
            .max_by(|a, b| {
                (r50k.values[*a] - o200k.values[*a])
                    .total_cmp(&(r50k.values[*b] - o200k.values[*b]))
            })
            .unwrap();
        assert!(o200k.values[worst] < r50k.values[worst]);
    }
}
