//! Lesson 26: test-time compute in its simplest form. The shipped model answers each prompt of
//! the word task ([`crate::labs::lm::word_task`]) N times; from those samples the panel
//! computes, for k = 1, 2, 4, … N samples per prompt, the accuracy of **best-of-k with the
//! verifier** (right if any of the k passes the check: pass@k) and of a **majority vote**
//! over the k answers (self-consistency: the most frequent completed word, no verifier
//! needed), averaged over the prompts or for one of them. The answers view lists the words the
//! model gave for a prompt, most frequent first, with the verifier's verdict (for all prompts:
//! each one's share right and its most frequent answer).
//!
//! The sampling runs on a job whenever the settings change (a few seconds at most), like the
//! other kinds that read the shipped model.

use crate::jobs::{Job, Waker};
use crate::labs::lm::batch_sample::sample_batch;
use crate::labs::lm::word_task::{self, majority_at_k, pass_at_k};
use crate::labs::lm::{self, text_reward, Rng};
use crate::viz::kinds::part4_pretraining::lm_common;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};
use std::collections::HashMap;

const VIEWS: &[&str] = &["accuracy", "answers"];
const SAMPLES: &[usize] = &[16, 32, 64];
/// Characters sampled per answer: the task's length, as in the `grpo` panel.
const LEN: usize = crate::viz::kinds::part5_adapting::grpo::LEN;
/// Random draws of k answers behind each majority-vote estimate.
const TRIALS: usize = 400;
/// Rows of the answers table.
const ROWS: usize = 6;

pub const KIND: KindDef = KindDef {
    name: "best-of-n",
    title: "More samples per prompt: best-of-n and majority vote",
    about: "samples N answers per prompt from the shipped model on the word task and computes, for k = 1, 2, 4 … N, the accuracy of best-of-k with the verifier (pass@k) and of a majority vote over k answers, for all prompts or one; or lists one prompt's answers by frequency with the verifier's verdict",
    params: &[
        ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "accuracy" }, doc: "accuracy against samples per prompt, or one prompt's answers" },
        ParamDef { name: "prompt", ty: ParamType::Int { min: 0, max: 8, default: 0 }, doc: "0: all prompts averaged; 1 to 8: one prompt of the task" },
        ParamDef { name: "samples", ty: ParamType::IntAmong { allowed: SAMPLES, default: 64 }, doc: "answers sampled per prompt (N)" },
        SEED.int("seed", 1, "seed of the samples and of the votes' draws"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(BestOfN::new(p)?))
}

/// One prompt's samples: each answer (the completed word, if any) and whether it passed.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptSamples {
    pub answers: Vec<Option<String>>,
    pub right: Vec<bool>,
}

/// What the job computes: every prompt's samples, and the two curves per prompt at
/// k = 1, 2, 4 … N.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    pub prompts: Vec<PromptSamples>,
    pub ks: Vec<usize>,
    /// pass@k per prompt, per k.
    pub best: Vec<Vec<f64>>,
    /// Majority-vote accuracy per prompt, per k.
    pub majority: Vec<Vec<f64>>,
}

/// Samples `n` answers to every prompt and computes both curves.
pub fn compute(n: usize, seed: u64, stopped: &dyn Fn() -> bool) -> Result<Results, String> {
    let model = lm::base_model()?;
    let dict = text_reward::dictionary();
    let mut rng = Rng::new(seed);
    let ks: Vec<usize> = std::iter::successors(Some(1usize), |k| Some(k * 2))
        .take_while(|&k| k <= n)
        .collect();
    let (mut prompts, mut best, mut majority) = (Vec::new(), Vec::new(), Vec::new());
    for prompt in word_task::PROMPTS {
        if stopped() {
            return Err("stopped: the panel was closed".into());
        }
        let ids = model.vocab.encode(prompt);
        let out = sample_batch(model, &ids, n, LEN, &mut rng).map_err(|e| e.to_string())?;
        let texts: Vec<String> = out.iter().map(|r| model.vocab.decode(r)).collect();
        let answers: Vec<Option<String>> =
            texts.iter().map(|t| word_task::answer(prompt, t)).collect();
        let right: Vec<bool> = texts
            .iter()
            .map(|t| word_task::verify(prompt, t, dict))
            .collect();
        let c = right.iter().filter(|r| **r).count();
        best.push(ks.iter().map(|&k| pass_at_k(n, c, k)).collect());
        let is_word = |w: &str| dict.contains(w);
        majority.push(
            ks.iter()
                .map(|&k| majority_at_k(&answers, &is_word, k, TRIALS, &mut rng))
                .collect(),
        );
        prompts.push(PromptSamples { answers, right });
    }
    Ok(Results {
        prompts,
        ks,
        best,
        majority,
    })
}

pub struct BestOfN {
    view: usize,
    prompt: usize,
    samples: usize,
    seed: u64,
    work: Option<Job<Result<Results, String>>>,
    results: Option<Result<Results, String>>,
}

impl BestOfN {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let s = Self {
            view: p.index("view")?,
            prompt: p.int("prompt")? as usize,
            samples: p.index("samples")?,
            seed: p.int("seed")? as u64,
            work: None,
            results: None,
        };
        p.finish()?;
        Ok(s)
    }

    /// The curve for the selected prompt, or the mean over prompts.
    fn curve(&self, per_prompt: &[Vec<f64>]) -> Vec<f64> {
        if self.prompt > 0 {
            return per_prompt.get(self.prompt - 1).cloned().unwrap_or_default();
        }
        let n = per_prompt.len().max(1) as f64;
        let len = per_prompt.first().map_or(0, Vec::len);
        (0..len)
            .map(|i| per_prompt.iter().map(|c| c[i]).sum::<f64>() / n)
            .collect()
    }

    fn which(&self) -> String {
        if self.prompt == 0 {
            format!("all {} prompts", word_task::PROMPTS.len())
        } else {
            format!("\"{}\"", word_task::PROMPTS[self.prompt - 1])
        }
    }

    fn accuracy(&self, r: &Results) -> Vec<Part> {
        let best = self.curve(&r.best);
        let maj = self.curve(&r.majority);
        let n = SAMPLES[self.samples];
        let last = |c: &[f64]| c.last().copied().unwrap_or(0.0);
        let lines = vec![
            format!(
                "{}, {n} samples each: one sample right {:.2}",
                self.which(),
                best.first().copied().unwrap_or(0.0)
            ),
            format!(
                "best-of-{n} with the verifier {:.2} · majority of {n} {:.2}",
                last(&best),
                last(&maj)
            ),
        ];
        let pts = |c: &[f64]| -> Vec<(f64, f64)> {
            r.ks.iter().zip(c).map(|(&k, &v)| (k as f64, v)).collect()
        };
        vec![
            Part::Text(lines),
            Part::Chart(ChartView {
                title: String::new(),
                x_label: "samples per prompt k".into(),
                y_label: String::new(),
                x_log: true,
                y_log: false,
                series: vec![
                    Series {
                        name: "best-of-k (verifier)".into(),
                        marker: 'b',
                        points: pts(&best),
                        faint: false,
                    },
                    Series {
                        name: "majority of k".into(),
                        marker: 'm',
                        points: pts(&maj),
                        faint: false,
                    },
                ],
            }),
        ]
    }

    fn answers(&self, r: &Results) -> Vec<Part> {
        if self.prompt == 0 {
            return self.summary(r);
        }
        let i = self.prompt - 1;
        let s = &r.prompts[i];
        let rows = tally(s);
        let right = s.right.iter().filter(|r| **r).count();
        let none = s.answers.iter().filter(|a| a.is_none()).count();
        let lines = vec![format!(
            "\"{}\": {right} of {} right, {} distinct words, {none} unfinished",
            word_task::PROMPTS[i],
            s.answers.len(),
            rows.len()
        )];
        let table = TableView {
            title: String::new(),
            headers: vec!["answer".into(), "times".into(), "verifier".into()],
            rows: rows
                .iter()
                .take(ROWS)
                .map(|(w, c, ok)| vec![lm_common::one_line(w), c.to_string(), verdict(*ok)])
                .collect(),
            highlight: Some(0),
        };
        vec![Part::Text(lines), Part::Table(table)]
    }

    /// Every prompt in one row: how many answers passed, and the most frequent answer.
    fn summary(&self, r: &Results) -> Vec<Part> {
        let rows = word_task::PROMPTS
            .iter()
            .zip(&r.prompts)
            .map(|(p, s)| {
                let right = s.right.iter().filter(|r| **r).count();
                let top = tally(s).first().map_or_else(
                    || "(none)".to_string(),
                    |(w, c, ok)| format!("{} ×{c} {}", lm_common::one_line(w), verdict(*ok)),
                );
                vec![format!("{p}…"), format!("{right}/{}", s.answers.len()), top]
            })
            .collect();
        vec![Part::Table(TableView {
            title: String::new(),
            headers: vec![
                "prompt".into(),
                "right".into(),
                "most frequent answer".into(),
            ],
            rows,
            highlight: None,
        })]
    }
}

/// A prompt's answers with their counts and verdicts, most frequent first.
fn tally(s: &PromptSamples) -> Vec<(&str, usize, bool)> {
    let mut counts: HashMap<&str, (usize, bool)> = HashMap::new();
    for (a, ok) in s.answers.iter().zip(&s.right) {
        if let Some(w) = a {
            counts.entry(w.as_str()).or_insert((0, *ok)).0 += 1;
        }
    }
    let mut rows: Vec<(&str, usize, bool)> =
        counts.into_iter().map(|(w, (c, ok))| (w, c, ok)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows
}

fn verdict(ok: bool) -> String {
    if ok { "✓ a word" } else { "✗ not a word" }.into()
}

impl Controls for BestOfN {
    fn declare(&self, k: &mut Knobs<Self>) {
        let mut prompts = vec!["all".to_string()];
        prompts.extend(word_task::PROMPTS.iter().map(|p| format!("{p}…")));
        let views = VIEWS.iter().map(|s| (*s).to_string()).collect();
        k.choice("view", views, self.view, |b, i| b.view = i);
        k.choice("prompt", prompts, self.prompt, |b, i| b.prompt = i);
        // New samples: the work starts again.
        let samples = SAMPLES.iter().map(ToString::to_string).collect();
        k.choice("samples N", samples, self.samples, |b, i| {
            b.samples = i;
            b.work = None;
            b.results = None;
        });
        k.seed("seed", self.seed, |b, s| {
            b.seed = s;
            b.work = None;
            b.results = None;
        });
    }
}

impl Visual for BestOfN {
    fn busy(&self) -> bool {
        self.results.is_none()
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.results.is_some() {
            return false;
        }
        let Some(work) = &mut self.work else {
            let (n, seed) = (SAMPLES[self.samples], self.seed);
            self.work = Some(Job::spawn("best-of-n", waker, move |tx| {
                let r = lm::threads::single_threaded(|| compute(n, seed, &|| tx.closed()));
                let _ = tx.send(r);
            }));
            return true;
        };
        match work.drain().pop() {
            Some(r) => {
                self.results = Some(r);
                true
            }
            None if !work.live() => {
                self.results = Some(Err("the sampling thread stopped".into()));
                true
            }
            None => false,
        }
    }

    fn parts(&self) -> Vec<Part> {
        match &self.results {
            None => vec![Part::Text(vec![format!(
                "sampling {} answers to each of {} prompts from the shipped model…",
                SAMPLES[self.samples],
                word_task::PROMPTS.len()
            )])],
            Some(Err(e)) => vec![Part::Text(vec![format!("failed: {e}")])],
            Some(Ok(r)) if self.view == 1 => self.answers(r),
            Some(Ok(r)) => self.accuracy(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curves_hold_their_bounds() {
        let r = compute(16, 1, &|| false).unwrap();
        assert_eq!(r.ks, vec![1, 2, 4, 8, 16]);
        for (p, (best, maj)) in r.prompts.iter().zip(r.best.iter().zip(&r.majority)) {
            let c = p.right.iter().filter(|x| **x).count();
            // One sample: the share right. All N: right if any is.
            assert!((best[0] - c as f64 / 16.0).abs() < 1e-12);
            assert_eq!(best[4], f64::from(u8::from(c > 0)));
            // Best-of-k never falls as k grows, and a vote can never beat having any right.
            assert!(best.windows(2).all(|w| w[1] >= w[0] - 1e-12), "{best:?}");
            // (The vote is estimated from 400 random draws: within 0.08 of exact for k < N,
            // exact at k = N, where every draw is all the samples.)
            for (b, m) in best.iter().zip(maj) {
                assert!(*m <= b + 0.08, "{maj:?} vs {best:?}");
            }
            assert!(maj[4] <= best[4] + 1e-12, "{maj:?} vs {best:?}");
        }
        assert!(compute(16, 1, &|| true).is_err());
    }
}
