//! Lesson 15: what a real model predicts after a typed prefix. The bars are its next-character
//! distribution after temperature; each bar's label says whether top-k and top-p keep that
//! character ([`lm::sample::filter`]'s stages). Stepping "appended" right draws one more
//! character (seeded, so the same settings always write the same text).

use crate::labs::fmt_num;
use crate::labs::lm::{self, Filters, Rng, SampleStep};
use crate::viz::kinds::part4_pretraining::lm_common::{self, tail, visible, Loaded, Source};
use crate::viz::lab::Lab;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};

/// Top-k settings offered (0: off).
const TOP_KS: [usize; 8] = [0, 1, 2, 3, 5, 10, 20, 40];
/// The most characters the learner can append one by one.
const MAX_APPENDED: usize = 40;
/// How many characters are appended, a control.
const APPENDED: Scale = Scale::linear(0.0, MAX_APPENDED as f64, 1.0, 0);
/// The temperature T, a control and a parameter.
const TEMPERATURE: Scale = Scale::linear(0.1, 2.0, 0.1, 1);
/// Top-p, a control and a parameter.
const TOP_P: Scale = Scale::linear(0.05, 1.0, 0.05, 2);
/// Bars shown.
const SHOWN: usize = 10;

pub const KIND: KindDef = KindDef {
    name: "next-token",
    title: "What comes next? The model's distribution",
    about: "types a prefix and sees the model's next-character distribution (top 10) after temperature, with which characters top-k and top-p keep; appends sampled (seeded) or greedy characters one at a time; reads the shipped model or the one trained in lm-train",
    params: &[
        ParamDef { name: "prefix", ty: ParamType::Text { max_words: 40, default: "The attention wei" }, doc: "the text the model continues" },
        TEMPERATURE.float("temperature", 1.0, "the temperature T dividing the logits"),
        ParamDef { name: "top_k", ty: ParamType::IntAmong { allowed: &TOP_KS, default: 0 }, doc: "keep only the k most likely characters (0: off)" },
        TOP_P.float("top_p", 1.0, "keep the most likely characters until their probability reaches p (1: off)"),
        ParamDef { name: "greedy", ty: ParamType::Bool { default: false }, doc: "append the most likely character instead of a sampled one" },
        SEED.int("seed", 1, "seed of the draws"),
        ParamDef { name: "model", ty: ParamType::Choice { options: &lm_common::SOURCE_NAMES, default: "shipped" }, doc: "the shipped model, or the one trained in lm-train this session" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(NextToken::new(p)?))
}

pub struct NextToken {
    prefix: String,
    temperature: f64,
    top_k: usize,
    top_p: f64,
    greedy: bool,
    appended: usize,
    seed: u64,
    source: Source,
    /// The learner's lab memory, where a model they trained is found.
    lab: Lab,
}

/// The model's view after the prefix and the appended characters.
pub struct Prediction {
    /// The characters appended after the prefix.
    pub appended: String,
    /// The distribution for the character after them, stage by stage.
    pub step: SampleStep,
    /// The character "appended" would add next.
    pub next: u32,
}

impl NextToken {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let prefix = p.text("prefix")?;
        let temperature = p.float("temperature")?;
        let top_k = TOP_KS[p.index("top_k")?];
        let top_p = p.float("top_p")?;
        let greedy = p.boolean("greedy")?;
        let seed = p.int("seed")? as u64;
        let source = Source::from_index(p.index("model")?);
        let lab = p.lab();
        p.finish()?;
        Ok(Self {
            prefix,
            temperature,
            top_k,
            top_p,
            greedy,
            appended: 0,
            seed,
            source,
            lab,
        })
    }

    fn filters(&self) -> Filters {
        Filters {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
        }
    }

    /// Appends `self.appended` characters one at a time, each from the filtered distribution
    /// of the last `context` characters (greedy: the most likely), then returns the
    /// distribution after them and the character that would come next.
    pub fn predict(&self, model: &lm::Model) -> Result<Prediction, String> {
        let mut ids = model.vocab.encode(&self.prefix);
        if ids.is_empty() {
            ids.push(model.vocab.id('\n'));
        }
        let mut rng = Rng::new(self.seed);
        let first = ids.len();
        loop {
            let start = ids.len().saturating_sub(model.config.context);
            let logits = model.logits(&ids[start..]).map_err(|e| e.to_string())?;
            let last = logits.last().ok_or("the model returned no logits")?;
            let step = lm::sample::filter(last, &self.filters());
            let next = if self.greedy {
                step.top(1).first().map_or(0, |t| t.0)
            } else {
                step.draw(&mut rng)
            };
            if ids.len() - first == self.appended {
                return Ok(Prediction {
                    appended: model.vocab.decode(&ids[first..]),
                    step,
                    next,
                });
            }
            ids.push(next);
        }
    }

    fn model(&self) -> Result<Loaded, String> {
        lm_common::load(self.source, &self.lab)
    }

    fn view(&self, model: &lm::Model, pred: &Prediction) -> Vec<Part> {
        let s = &pred.step;
        let top = s.top(SHOWN);
        let mark = |on: bool, c: char| if on { c } else { '-' };
        let labels = top
            .iter()
            .map(|&(id, _)| {
                let i = id as usize;
                format!(
                    "{:<2}{}{}",
                    visible(model.vocab.char(id)),
                    mark(s.after_top_k[i], 'k'),
                    mark(s.after_top_p[i], 'p')
                )
            })
            .collect();
        let values = top.iter().map(|&(id, _)| s.probs[id as usize]).collect();
        let highlight = top.iter().position(|&(id, _)| id == pred.next);
        let kept_k = s.after_top_k.iter().filter(|b| **b).count();
        let kept_p = s.after_top_p.iter().filter(|b| **b).count();
        let mass: f64 = (0..s.probs.len())
            .filter(|&i| s.after_top_p[i])
            .map(|i| s.probs[i])
            .sum();
        let next = pred.next as usize;
        let shown_text = format!("{}{}", self.prefix, pred.appended);
        let mut notes = vec![format!(
            "after \"{}\"",
            tail(&lm_common::one_line(&shown_text), 18)
        )];
        // What the model appended, whole up to APPENDED_SHOWN characters, on as many lines
        // as it needs (cut to 15 characters it hid what the learner asked to see).
        notes.extend(appended_lines(&lm_common::one_line(&pred.appended)));
        notes.extend([
            format!("bars: softmax(z/{:.1})", self.temperature),
            "k, p: kept by top-k, top-p".into(),
            format!("top-k keeps {kept_k} of {}", s.probs.len()),
            format!("top-p keeps {kept_p} ({} mass)", fmt_mass(mass)),
            format!(
                "next ({}): '{}'",
                if self.greedy { "greedy" } else { "sampled" },
                visible(model.vocab.char(pred.next))
            ),
            format!("  p after filters {}", fmt_num(s.final_probs[next])),
            format!(
                "model d{}, {} layer{}",
                model.config.d_model,
                model.config.layers,
                if model.config.layers == 1 { "" } else { "s" }
            ),
        ]);
        vec![Part::Columns(vec![
            Part::Bars(BarsView {
                title: String::new(),
                labels,
                values,
                decimals: 3,
                highlight,
                max: Some(1.0),
            }),
            Part::Text(notes),
        ])]
    }
}

/// Characters of the appended text the notes show, and per line.
const APPENDED_SHOWN: usize = 44;
const APPENDED_LINE: usize = 22;

/// `appended "…"` over lines of at most [`APPENDED_LINE`] characters of text, keeping the
/// last [`APPENDED_SHOWN`].
fn appended_lines(text: &str) -> Vec<String> {
    let shown: Vec<char> = tail(text, APPENDED_SHOWN).chars().collect();
    let chunks: Vec<String> = shown
        .chunks(APPENDED_LINE)
        .map(|c| c.iter().collect())
        .collect();
    if chunks.is_empty() {
        return vec!["appended \"\"".into()];
    }
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let open = if i == 0 { "appended \"" } else { "  " };
            let close = if i == last { "\"" } else { "" };
            format!("{open}{c}{close}")
        })
        .collect()
}

/// A probability mass to three decimals, with more where three would round a mass short of
/// one up to `1.000` (top-p keeping 102 of 119 characters is not all the mass).
fn fmt_mass(mass: f64) -> String {
    if mass >= 1.0 {
        return "1.000".to_string();
    }
    for d in 3..=9 {
        let s = format!("{mass:.d$}");
        if !s.starts_with('1') {
            return s;
        }
    }
    // Short of one by less than 1e-9: say by how much, so "1" never hides the cut-off tail.
    format!("1 − {:.0e}", 1.0 - mass)
}

impl Controls for NextToken {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.text("prefix", &self.prefix, |n, text| {
            n.prefix = text.chars().take(200).collect();
            n.appended = 0;
        });
        k.slider("temperature", self.temperature, TEMPERATURE, |n, t| {
            n.temperature = t;
        });
        let top_ks = TOP_KS
            .iter()
            .map(|k| if *k == 0 { "off".into() } else { k.to_string() })
            .collect();
        let at = TOP_KS.iter().position(|k| *k == self.top_k).unwrap_or(0);
        k.choice("top-k", top_ks, at, |n, i| n.top_k = TOP_KS[i]);
        // Top-k 1 keeps a single candidate, whatever top-p would keep.
        k.slider("top-p", self.top_p, TOP_P, |n, p| n.top_p = p)
            .idle_when(self.top_k == 1, "top-k");
        // Either key flips between the two.
        let next = vec!["sampled".into(), "greedy".into()];
        k.choice("next char", next, usize::from(self.greedy), |n, _| {
            n.greedy = !n.greedy;
        });
        k.count("appended", self.appended, APPENDED, |n, a| n.appended = a);
        // The seed draws the appended characters: none appended, or greedy, it draws nothing.
        k.seed("seed", self.seed, |n, s| n.seed = s).idle_when(
            self.greedy || self.appended == 0,
            if self.greedy { "greedy" } else { "unused" },
        );
        k.choice("model", Source::options(), self.source.index(), |n, i| {
            n.source = Source::from_index(i);
        });
    }
}

impl Visual for NextToken {
    fn parts(&self) -> Vec<Part> {
        let model = match self.model() {
            Ok(m) => m,
            Err(why) => return vec![Part::Text(vec![why])],
        };
        match self.predict(&model) {
            Ok(pred) => self.view(&model, &pred),
            Err(why) => vec![Part::Text(vec![format!("The model failed: {why}")])],
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{json, Map, Value};
    use std::sync::{Arc, OnceLock};

    /// A small model trained here (the shipped one may not be built): 1 layer, d 32, 150
    /// steps. Shared by the tests of the model-driven kinds.
    pub(crate) fn trained() -> Arc<lm::Model> {
        static MODEL: OnceLock<Arc<lm::Model>> = OnceLock::new();
        Arc::clone(MODEL.get_or_init(|| {
            let data = lm_common::corpus();
            let mut recipe = lm::preset("demo").unwrap().train;
            recipe.steps = 150;
            recipe.warmup = 10;
            recipe.batch = 8;
            let config = lm::Config {
                vocab: data.vocab.len(),
                d_model: 32,
                layers: 1,
                heads: 4,
                context: 32,
            };
            let mut state = lm::TrainState::fresh(config, data.vocab.clone(), recipe).unwrap();
            lm::threads::single_threaded(|| {
                for _ in 0..150 {
                    state.step(&data).unwrap();
                }
            });
            Arc::new(state.model)
        }))
    }

    fn lab(params: Value) -> NextToken {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        NextToken::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn probabilities_sum_to_one_and_the_kept_sets_are_the_samplers() {
        let model = trained();
        let t = lab(
            json!({"prefix": "The model predicts the ne", "temperature": 0.7,
                            "top_k": 10, "top_p": 0.8}),
        );
        let pred = t.predict(&model).unwrap();
        let s = &pred.step;
        assert!((s.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((s.final_probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // The same logits through lm::sample::filter directly.
        let ids = model.vocab.encode("The model predicts the ne");
        let logits = model.logits(&ids[ids.len() - 25..]).unwrap();
        let direct = lm::sample::filter(
            logits.last().unwrap(),
            &Filters {
                temperature: 0.7,
                top_k: 10,
                top_p: 0.8,
            },
        );
        assert_eq!(s.after_top_k, direct.after_top_k);
        assert_eq!(s.after_top_p, direct.after_top_p);
        assert_eq!(s.after_top_k.iter().filter(|b| **b).count(), 10);
        // Every bar shows p(z/T) and its marks match the sets.
        let parts = t.view(&model, &pred);
        let Part::Columns(cols) = &parts[0] else {
            panic!()
        };
        let Part::Bars(bars) = &cols[0] else { panic!() };
        for ((id, _), (label, value)) in s.top(10).iter().zip(bars.labels.iter().zip(&bars.values))
        {
            assert_eq!(*value, s.probs[*id as usize]);
            assert_eq!(label.ends_with('p'), s.after_top_p[*id as usize], "{label}");
        }
    }

    #[test]
    fn appending_is_seeded_and_greedy_takes_the_most_likely() {
        let model = trained();
        let mut t = lab(json!({"prefix": "The ", "seed": 7}));
        t.adjust(5, 12);
        let a = t.predict(&model).unwrap();
        let b = t.predict(&model).unwrap();
        assert_eq!(a.appended, b.appended);
        assert_eq!(a.appended.chars().count(), 12);
        // One more step appends exactly the character announced as next.
        t.adjust(5, 1);
        let c = t.predict(&model).unwrap();
        let announced = model.vocab.char(a.next);
        assert_eq!(c.appended, format!("{}{announced}", a.appended));
        t.adjust(4, 1); // greedy
        let g = t.predict(&model).unwrap();
        let best = (0..g.step.probs.len())
            .max_by(|&x, &y| g.step.probs[x].total_cmp(&g.step.probs[y]))
            .unwrap();
        assert_eq!(g.next as usize, best);
    }

    /// `llmf check` measures views with the shipped model, which may not be built yet; this
    /// measures the full view (bars and notes) at 80x24's stacked panel: 76 columns, 15 rows.
    #[test]
    fn the_full_view_fits_the_small_screen() {
        let model = trained();
        let t = lab(
            json!({"prefix": "a long prefix that the notes column has to cut short", "top_k": 5}),
        );
        let pred = t.predict(&model).unwrap();
        let view = crate::viz::view::View {
            controls: t.controls(),
            selected_control: 0,
            parts: t.view(&model, &pred),
        };
        assert!(crate::ui::widgets::view_height(&view, 76) <= 15);
    }

    #[test]
    fn a_mass_short_of_one_never_reads_as_one() {
        assert_eq!(fmt_mass(0.435), "0.435");
        assert_eq!(fmt_mass(0.99991), "0.9999");
        assert_eq!(fmt_mass(1.0), "1.000");
        assert_eq!(fmt_mass(1.0 - 2e-12), "1 − 2e-12");
        assert_eq!(appended_lines(""), ["appended \"\""]);
        let long = appended_lines(&"x".repeat(30));
        assert_eq!(long, ["appended \"xxxxxxxxxxxxxxxxxxxxxx", "  xxxxxxxx\""]);
    }

    #[test]
    fn a_missing_model_is_explained() {
        let t = lab(json!({}));
        let text = format!("{:?}", t.parts());
        // With the shipped model built this shows bars; without it, what to do.
        assert!(
            text.contains("Bars") || text.contains("make model"),
            "{text}"
        );
    }
}
