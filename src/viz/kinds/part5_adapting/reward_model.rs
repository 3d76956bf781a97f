//! Lesson 23: a reward model fitted to preferences. Two data sets: the course's own quizzes
//! (lessons 01–19; the right answer preferred to each wrong one), scored by a Bradley–Terry
//! model over readable text features ([`crate::labs::part5_adapting::reward_model`]) and tested on questions
//! it never saw; and a toy labeller with a known rule, whose noisy judgements of six answers
//! Bradley–Terry turns back into scores ([`crate::labs::part5_adapting::preference`]).

use crate::course::{self, QuizKind};
use crate::labs::part5_adapting::preference::{self, Comparison};
use crate::labs::part5_adapting::reward_model::{
    accuracy, features, fit, mean_loss, pairs_from_questions, score, split_questions, toy_score,
    words, FeaturePair, Question, FEATURES, TOY_ANSWERS,
};
use crate::labs::rng::Rng;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};
use std::sync::OnceLock;

const DATA: &[&str] = &["quizzes", "toy"];
const SHOWS: &[&str] = &["weights", "question"];

/// L2 strengths offered (λ in (λ/2)·‖w‖²).
const L2: &[f64] = &[0.01, 0.1, 0.3, 1.0, 3.0, 10.0];
const L2_NAMES: &[&str] = &["0.01", "0.1", "0.3", "1", "3", "10"];
/// The last lesson whose quizzes feed the reward model: Part V's own lessons are left out,
/// so writing them cannot change the numbers they quote.
const LAST_LESSON: u32 = 19;

/// Preference judgements the model learns from, a control and a parameter.
const JUDGEMENTS: Scale = Scale::linear(10.0, 2000.0, 10.0, 0);

pub const KIND: KindDef = KindDef {
    name: "reward-model",
    title: "A reward model learned from preferences",
    about: "fits a Bradley–Terry reward model r = w·φ(answer) to the course's quizzes (right answer preferred to each wrong one) and shows the learned weights, train and held-out accuracy and a held-out question scored; or fits scores to a toy labeller's noisy judgements of six answers and compares them with the rule it hid",
    params: &[
        ParamDef { name: "data", ty: ParamType::Choice { options: DATA, default: "quizzes" }, doc: "the course's quiz pairs or the toy labeller" },
        ParamDef { name: "show", ty: ParamType::Choice { options: SHOWS, default: "weights" }, doc: "quizzes: the learned weights, or held-out questions scored one at a time" },
        ParamDef { name: "l2", ty: ParamType::Choice { options: L2_NAMES, default: "1" }, doc: "strength λ of the penalty (λ/2)·‖w‖² that keeps weights small" },
        ParamDef { name: "held_out", ty: ParamType::Float { min: 0.1, max: 0.5, default: 0.25 }, doc: "share of quiz questions held out for testing" },
        JUDGEMENTS.int("judgements", 200, "toy judgements to fit (another as many are held out)"),
        SEED.int("seed", 1, "seed of the question split and the toy labeller's coin"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(RewardModel::new(p)?))
}

/// The choice questions of lessons 01–19, from the frozen copy lessons 20–25 quote figures
/// from (`course::qa::frozen`), so editing a question there cannot move them.
pub fn course_questions() -> &'static [Question] {
    static QS: OnceLock<Vec<Question>> = OnceLock::new();
    QS.get_or_init(|| {
        course::qa::frozen()
            .iter()
            .filter(|(lesson, _)| lesson.parse::<u32>().is_ok_and(|n| n <= LAST_LESSON))
            .filter_map(|(lesson, q)| match &q.kind {
                QuizKind::Choice { choices, answer } => Some(Question {
                    id: format!("{lesson}/{}", q.id),
                    question: q.question.clone(),
                    choices: choices.clone(),
                    answer: *answer,
                }),
                QuizKind::Numeric { .. } => None,
            })
            .collect()
    })
}

pub struct RewardModel {
    data: usize,
    show: usize,
    l2: usize,
    held_out: f64,
    judgements: usize,
    seed: u64,
    /// Which held-out question the table shows.
    shown: usize,
}

/// What the quiz fit found.
struct QuizFit {
    weights: Vec<f64>,
    train: Vec<FeaturePair>,
    test: Vec<FeaturePair>,
    train_questions: usize,
    test_questions: Vec<usize>,
}

impl RewardModel {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let s = Self {
            data: p.index("data")?,
            show: p.index("show")?,
            l2: p.index("l2")?,
            held_out: p.float("held_out")?,
            judgements: p.int("judgements")? as usize,
            seed: p.int("seed")? as u64,
            shown: 0,
        };
        p.finish()?;
        Ok(s)
    }

    fn quiz_fit(&self) -> QuizFit {
        let qs = course_questions();
        let (train_q, test_q) = split_questions(qs.len(), self.held_out, self.seed);
        let all = pairs_from_questions(qs);
        let (train, test): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|p| train_q.contains(&p.question));
        let weights = fit(FEATURES.len(), &train, L2[self.l2]);
        QuizFit {
            weights,
            train,
            test,
            train_questions: train_q.len(),
            test_questions: test_q,
        }
    }

    fn quiz_parts(&self) -> Vec<Part> {
        let f = self.quiz_fit();
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        let mut parts = vec![Part::Text(vec![
            format!(
                "fit on {} pairs ({} questions); {} pairs ({} questions) held out",
                f.train.len(),
                f.train_questions,
                f.test.len(),
                f.test_questions.len()
            ),
            format!(
                "accuracy: train {} · held out {} · loss {:.3} / {:.3}",
                pct(accuracy(&f.weights, &f.train)),
                pct(accuracy(&f.weights, &f.test)),
                mean_loss(&f.weights, &f.train),
                mean_loss(&f.weights, &f.test)
            ),
        ])];
        if self.show == 0 {
            parts.push(Part::Table(TableView {
                title: String::new(),
                headers: vec!["feature φ".into(), "weight w".into()],
                rows: FEATURES
                    .iter()
                    .zip(&f.weights)
                    .map(|(n, w)| vec![(*n).to_string(), format!("{w:+.2}")])
                    .collect(),
                highlight: None,
            }));
            return parts;
        }
        let shown = self.shown.min(f.test_questions.len().saturating_sub(1));
        if let Some(&qi) = f.test_questions.get(shown) {
            let q = &course_questions()[qi];
            let scores: Vec<f64> = q
                .choices
                .iter()
                .map(|c| score(&f.weights, &features(&q.question, c)))
                .collect();
            let best = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b]));
            parts.push(Part::Table(TableView {
                title: cut(&format!("{}: {}", q.id, q.question), 70),
                headers: vec!["answer".into(), "r".into(), String::new()],
                rows: q
                    .choices
                    .iter()
                    .zip(&scores)
                    .enumerate()
                    .map(|(i, (c, s))| {
                        vec![
                            cut(c, 48),
                            format!("{s:+.2}"),
                            if i == q.answer {
                                "right".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect(),
                highlight: best,
            }));
        }
        parts
    }

    /// The toy labeller: true scores, a fit to `judgements` comparisons and a test on as many
    /// fresh ones.
    fn toy(&self) -> (Vec<f64>, preference::Fit, Vec<Comparison>) {
        let truth: Vec<f64> = TOY_ANSWERS
            .iter()
            .map(|(text, correct, polite)| toy_score(*correct, *polite, words(text).len()))
            .collect();
        let mut rng = Rng::new(self.seed);
        let train = preference::simulate(&truth, self.judgements, &mut rng);
        let test = preference::simulate(&truth, self.judgements, &mut rng);
        let fitted = preference::fit(truth.len(), &train, L2[self.l2]);
        (truth, fitted, test)
    }

    fn toy_parts(&self) -> Vec<Part> {
        let (truth, fitted, test) = self.toy();
        let mean = truth.iter().sum::<f64>() / truth.len() as f64;
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        vec![
            Part::Text(vec![
                "hidden rule: +2 correct, +0.5 polite, −0.05 per word (shown with mean 0)".into(),
                format!(
                    "{} judgements fit · held-out accuracy {} (the true rule: {})",
                    self.judgements,
                    pct(preference::accuracy(&fitted.scores, &test)),
                    pct(preference::accuracy(&truth, &test))
                ),
            ]),
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "answer to \"What does a tokenizer do?\"".into(),
                    "true".into(),
                    "fitted".into(),
                ],
                rows: TOY_ANSWERS
                    .iter()
                    .zip(truth.iter().zip(&fitted.scores))
                    .map(|((text, _, _), (t, f))| {
                        vec![
                            cut(text, 40),
                            format!("{:+.2}", t - mean),
                            format!("{f:+.2}"),
                        ]
                    })
                    .collect(),
                highlight: None,
            }),
        ]
    }
}

/// `text` cut to `n` characters with "…".
fn cut(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let kept: String = text.chars().take(n - 1).collect();
        format!("{kept}…")
    }
}

impl RewardModel {
    fn held_out_count(&self) -> usize {
        split_questions(course_questions().len(), self.held_out, self.seed)
            .1
            .len()
    }
}

impl Controls for RewardModel {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        // Four controls at a time (the panel fits 80x24 only so), chosen by the data and what
        // is shown.
        k.choice("data", names(DATA), self.data, |r, i| r.data = i);
        if self.data == 0 {
            k.choice("show", names(SHOWS), self.show, |r, i| r.show = i);
        }
        if self.data != 0 || self.show == 0 {
            k.choice("λ (L2)", names(L2_NAMES), self.l2, |r, i| r.l2 = i);
        }
        if self.data == 0 && self.show != 0 {
            let n = self.held_out_count();
            let questions = Scale::linear(1.0, n.max(1) as f64, 1.0, 0);
            let shown = self.shown.min(n.saturating_sub(1)) + 1;
            k.count("question", shown, questions, |r, q| r.shown = q - 1);
        }
        if self.data != 0 {
            k.count("judgements", self.judgements, JUDGEMENTS, |r, j| {
                r.judgements = j;
            });
        }
        k.seed("seed", self.seed, |r, s| r.seed = s);
    }
}

impl Visual for RewardModel {
    fn parts(&self) -> Vec<Part> {
        if self.data == 0 {
            if course_questions().is_empty() {
                return vec![Part::Text(vec![
                    "The built-in course has no quiz questions to learn from.".into(),
                ])];
            }
            self.quiz_parts()
        } else {
            self.toy_parts()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn lab(data: &str) -> RewardModel {
        let mut m = Map::new();
        m.insert("data".into(), data.into());
        RewardModel::new(Params::new(&m, &KIND)).unwrap()
    }

    #[test]
    fn quizzes_become_pairs_and_the_model_beats_a_coin_on_unseen_questions() {
        let qs = course_questions();
        assert!(qs.len() >= 40, "{} questions", qs.len());
        assert!(qs.iter().all(|q| q.answer < q.choices.len()));
        let f = lab("quizzes").quiz_fit();
        let pairs: usize = qs.iter().map(|q| q.choices.len() - 1).sum();
        assert_eq!(f.train.len() + f.test.len(), pairs);
        assert!(accuracy(&f.weights, &f.train) > 0.6);
        assert!(accuracy(&f.weights, &f.test) > 0.5);
        // In these quizzes the right answer is often the longest: the model learns to like length.
        assert!(f.weights[0] > 0.3, "{:?}", f.weights);
        let text = format!("{:?}", lab("quizzes").parts());
        assert!(text.contains("held out"), "{text}");
        // Every setting fits 80x24's stacked panel (76 columns, 15 rows).
        for (data, show) in [(0, 0), (0, 1), (1, 0)] {
            let mut l = lab("quizzes");
            l.data = data;
            l.show = show;
            let view = crate::viz::view::View {
                controls: l.controls(),
                selected_control: 0,
                parts: l.parts(),
            };
            assert!(
                crate::ui::widgets::view_height(&view, 76) <= 15,
                "{data} {show}"
            );
        }
    }

    #[test]
    fn the_toy_fit_orders_answers_like_the_hidden_rule() {
        let mut m = lab("toy");
        m.judgements = 2000;
        let (truth, fitted, _) = m.toy();
        let mean = truth.iter().sum::<f64>() / truth.len() as f64;
        for (t, f) in truth.iter().zip(&fitted.scores) {
            assert!(
                (t - mean - f).abs() < 0.25,
                "{truth:?} vs {:?}",
                fitted.scores
            );
        }
    }
}
