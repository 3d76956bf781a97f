//! Lesson 15: the training loss, one character at a time. For a typed text, −ln p(the
//! character that really comes next) at every position ([`lm::loss_per_position`]), their
//! mean, the perplexity e^mean, and the uniform guess ln V; a cursor reads one position.

use crate::labs::fmt_num;
use crate::labs::lm::{self, LossReport};
use crate::viz::kinds::part4_pretraining::lm_common::{self, one_line, tail, visible, Source};
use crate::viz::lab::Lab;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

pub const KIND: KindDef = KindDef {
    name: "loss-at-position",
    title: "How surprised is the model at each character?",
    about: "types a text and sees −ln p(next character) at every position as a strip against the uniform guess ln V, with the mean loss and perplexity e^mean; a cursor shows one position's context, the true next character, its probability and its loss",
    params: &[
        ParamDef { name: "text", ty: ParamType::Text { max_words: 40, default: "The model predicts the next character from the ones before it." }, doc: "the text scored" },
        ParamDef { name: "model", ty: ParamType::Choice { options: &lm_common::SOURCE_NAMES, default: "shipped" }, doc: "the shipped model, or the one trained in lm-train this session" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(LossAtPosition::new(p)?))
}

pub struct LossAtPosition {
    text: String,
    /// Which prediction the cursor reads: the character at `cursor + 1` given those before.
    cursor: usize,
    source: Source,
    /// The learner's lab memory, where a model they trained is found.
    lab: Lab,
}

impl LossAtPosition {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let text = p.text("text")?;
        let source = Source::from_index(p.index("model")?);
        let lab = p.lab();
        p.finish()?;
        Ok(Self {
            text,
            cursor: 0,
            source,
            lab,
        })
    }

    /// Predictions in the text: one per character after the first.
    fn predictions(&self) -> usize {
        self.text.chars().count().saturating_sub(1)
    }

    pub fn report(&self, model: &lm::Model) -> Result<LossReport, String> {
        lm::loss_per_position(model, &self.text).map_err(|e| e.to_string())
    }

    fn view(&self, r: &LossReport) -> Vec<Part> {
        let n = r.losses.len();
        if n == 0 {
            return vec![Part::Text(vec![
                "Type at least two characters: the first has nothing before it to predict from."
                    .into(),
            ])];
        }
        let i = self.cursor.min(n - 1);
        let loss = f64::from(r.losses[i]);
        let before: String = r.chars[..=i].iter().collect();
        let strip: Vec<(f64, f64)> = r
            .losses
            .iter()
            .enumerate()
            .map(|(k, l)| ((k + 1) as f64, f64::from(*l)))
            .collect();
        let v = (r.uniform.exp()).round();
        vec![
            Part::Chart(ChartView {
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: format!("uniform ln {v} = {:.2}", r.uniform),
                        marker: '-',
                        points: vec![(1.0, r.uniform), (n as f64, r.uniform)],
                        faint: false,
                    },
                    Series {
                        name: "−ln p(next) at each position".into(),
                        marker: '*',
                        points: strip,
                        faint: false,
                    },
                    Series {
                        name: "cursor".into(),
                        marker: 'O',
                        points: vec![((i + 1) as f64, loss)],
                        faint: false,
                    },
                ],
            }),
            Part::Text(vec![
                format!(
                    "{}: after \"{}\" comes '{}': p = {}, −ln p = {} nats",
                    i + 1,
                    tail(&one_line(&before), 16),
                    visible(r.chars[i + 1]),
                    fmt_num((-loss).exp()),
                    fmt_num(loss)
                ),
                format!(
                    "mean over {n} predictions: {} nats/char · perplexity e^{} = {}",
                    fmt_num(r.mean),
                    fmt_num(r.mean),
                    fmt_num(r.perplexity)
                ),
                format!(
                    "knowing nothing: ln {v} = {} nats (perplexity {v})",
                    fmt_num(r.uniform)
                ),
            ]),
        ]
    }
}

impl Controls for LossAtPosition {
    fn declare(&self, k: &mut Knobs<Self>) {
        let last = self.predictions().max(1);
        k.text("text", &self.text, |l, text| {
            l.text = text.chars().take(400).collect();
            l.cursor = l.cursor.min(l.predictions().saturating_sub(1));
        });
        let positions = Scale::linear(1.0, last as f64, 1.0, 0);
        k.count(
            "position",
            self.cursor.min(last - 1) + 1,
            positions,
            |l, p| {
                l.cursor = p - 1;
            },
        );
        k.choice("model", Source::options(), self.source.index(), |l, i| {
            l.source = Source::from_index(i);
        });
    }
}

impl Visual for LossAtPosition {
    fn parts(&self) -> Vec<Part> {
        let report = lm_common::load(self.source, &self.lab).and_then(|m| self.report(&m));
        match report {
            Ok(r) => self.view(&r),
            Err(why) => vec![Part::Text(vec![why])],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::next_token::tests::trained;
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(params: Value) -> LossAtPosition {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        LossAtPosition::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn mean_is_the_mean_of_the_positions_and_perplexity_its_exponential() {
        let model = trained();
        let mut t = lab(json!({"text": "The attention weights sum to one."}));
        let r = t.report(&model).unwrap();
        assert_eq!(r.losses.len(), 32);
        let mean = r.losses.iter().map(|&l| f64::from(l)).sum::<f64>() / 32.0;
        assert!((r.mean - mean).abs() < 1e-9);
        assert!((r.perplexity - mean.exp()).abs() < 1e-9);
        assert!((r.uniform - (model.vocab.len() as f64).ln()).abs() < 1e-12);
        // Position 5 predicts the 6th character, 't', from the five before it ("The a"): its
        // loss is −ln softmax(logits after "The a")['t'], computed here without the lab.
        t.adjust(1, 4);
        let logits = model.logits(&model.vocab.encode("The a")).unwrap();
        let p = lm::model::probabilities(logits.last().unwrap());
        let want = -p[model.vocab.id('t') as usize].ln();
        assert!(
            (f64::from(r.losses[4]) - want).abs() < 1e-4,
            "{} vs {want}",
            r.losses[4]
        );
        let parts = t.view(&r);
        let Part::Text(lines) = &parts[1] else {
            panic!()
        };
        assert!(
            lines[0].starts_with("5: after \"The a\" comes 't'"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains(&fmt_num(want)), "{}", lines[0]);
    }

    /// The full view with a model (the shipped one may be missing when `llmf check` runs)
    /// at 80x24's stacked panel: 76 columns, 15 rows.
    #[test]
    fn the_full_view_fits_the_small_screen() {
        let model = trained();
        let long = "word ".repeat(40);
        let mut t = lab(json!({ "text": long.trim() }));
        t.adjust(1, 500);
        let r = t.report(&model).unwrap();
        let view = crate::viz::view::View {
            controls: t.controls(),
            selected_control: 0,
            parts: t.view(&r),
        };
        assert!(crate::ui::widgets::view_height(&view, 76) <= 15);
    }

    #[test]
    fn the_cursor_stays_inside_the_text() {
        let mut t = lab(json!({"text": "abc"}));
        t.adjust(1, 50);
        assert_eq!(t.cursor, 1);
        t.set_text(0, "x");
        assert_eq!(t.cursor, 0);
        let model = trained();
        let r = t.report(&model).unwrap();
        let text = format!("{:?}", t.view(&r));
        assert!(text.contains("at least two characters"), "{text}");
    }
}
