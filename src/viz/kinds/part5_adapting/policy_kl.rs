//! Lessons 24 and 25: policy-gradient training of the shipped tiny GPT on a KL leash,
//! live ([`crate::labs::lm::policy`]). Three copies of the model are trained side by side,
//! one per β, against a crude reward that counts a favourite word
//! ([`crate::labs::lm::text_reward::proxy`]); each keeps its own frozen copy of the starting
//! model as the reference. The panel plots, per β, the reward, the KL to the reference, the
//! gold reward the proxy stands in for, the entropy per character, or distinct-2 of the
//! batch, as training goes.

use crate::jobs::{Sink, Waker};
use crate::labs::lm::policy::{PolicyConfig, PolicyStep, PolicyTrainer};
use crate::labs::lm::{self, text_reward};
use crate::labs::part5_adapting::kl_optimum::distinct_n;
use crate::viz::kinds::part4_pretraining::lm_common;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::{Run, Setting};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};

const WORDS: &[&str] = &["token", "model", "attention", "the"];
const CHARTS: &[&str] = &["reward", "kl", "gold", "entropy", "distinct", "samples"];
const CHART_NAMES: &[&str] = &[
    "proxy reward",
    "KL to reference",
    "gold reward",
    "entropy / char",
    "distinct-2",
    "samples",
];
/// The β of each policy trained side by side (the markers on the chart are 1, 2, 3).
pub const BETAS: [f64; 3] = [1.0, 0.3, 0.1];
const STEPS: &[usize] = &[20, 40, 60];
/// Responses sampled per step, and their length in characters.
pub const BATCH: usize = 16;
pub const LEN: usize = 24;
pub const PROMPT: &str = "The ";
pub const LR: f64 = 1e-3;
/// Points on the chart are the mean of this many steps, to calm the batch noise.
const SMOOTH: usize = 5;

pub const KIND: KindDef = KindDef {
    name: "policy-kl",
    title: "RLHF on the tiny GPT: reward against KL",
    about: "trains three copies of the shipped model side by side with policy gradients (β = 1, 0.3 and 0.1) against a reward that counts a favourite word, each with a per-token KL penalty to its own frozen copy of the start; plots the reward, KL to the reference, a gold reward, entropy per character or distinct-2 as they train, with each policy's latest sample",
    params: &[
        ParamDef { name: "word", ty: ParamType::Choice { options: WORDS, default: "token" }, doc: "the favourite word the proxy reward counts" },
        ParamDef { name: "chart", ty: ParamType::Choice { options: CHARTS, default: "reward" }, doc: "what the chart plots first, or the latest samples" },
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: STEPS, default: 40 }, doc: "policy-gradient steps for each β (16 responses of 24 characters per step)" },
        SEED.int("seed", 1, "seed of the sampled responses"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(PolicyKl::new(p)?))
}

/// One step of one policy, as the chart needs it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub reward: f64,
    pub kl: f64,
    pub gold: f64,
    pub entropy: f64,
    pub distinct: f64,
    pub sample: String,
}

impl Point {
    fn of(s: &PolicyStep, word: &str) -> Self {
        let dict = text_reward::dictionary();
        let n = s.responses.len().max(1) as f64;
        let refs: Vec<&str> = s.responses.iter().map(String::as_str).collect();
        Self {
            reward: s.reward,
            kl: s.kl,
            gold: s
                .responses
                .iter()
                .map(|r| text_reward::gold(r, word, dict))
                .sum::<f64>()
                / n,
            entropy: s.entropy,
            distinct: distinct_n(&refs, 2),
            sample: s.responses.first().cloned().unwrap_or_default(),
        }
    }

    fn get(&self, chart: usize) -> f64 {
        match chart {
            0 => self.reward,
            1 => self.kl,
            2 => self.gold,
            3 => self.entropy,
            _ => self.distinct,
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
pub enum Event {
    Step { beta: usize, point: Point },
    Failed(String),
}

/// Trains the three policies in turn, one step each, `steps` times.
pub fn run(word: &str, steps: usize, seed: u64, tx: &dyn Sink<Event>) {
    let base = match lm::base_model() {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.send(Event::Failed(e));
            return;
        }
    };
    let mut trainers = Vec::new();
    for (i, &beta) in BETAS.iter().enumerate() {
        let cfg = PolicyConfig {
            prompt: PROMPT.into(),
            batch: BATCH,
            len: LEN,
            beta,
            lr: LR,
            seed: seed.wrapping_mul(31).wrapping_add(i as u64),
        };
        match PolicyTrainer::new(base, cfg) {
            Ok(t) => trainers.push(t),
            Err(e) => {
                let _ = tx.send(Event::Failed(e.to_string()));
                return;
            }
        }
    }
    let reward = |s: &str| text_reward::proxy(s, word);
    for _ in 0..steps {
        for (beta, t) in trainers.iter_mut().enumerate() {
            match t.step(&reward) {
                Ok(s) => {
                    let event = Event::Step {
                        beta,
                        point: Point::of(&s, word),
                    };
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Event::Failed(e.to_string()));
                    return;
                }
            }
        }
    }
}

pub struct PolicyKl {
    word: usize,
    chart: usize,
    steps: usize,
    seed: u64,
    /// The run, started from a key press.
    run: Run<Event>,
    points: [Vec<Point>; 3],
}

impl PolicyKl {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let s = Self {
            word: p.index("word")?,
            chart: p.index("chart")?,
            steps: p.index("steps")?,
            seed: p.int("seed")? as u64,
            run: Run::new(KIND.name, &p.lab()).replayable(),
            points: [Vec::new(), Vec::new(), Vec::new()],
        };
        p.finish()?;
        Ok(s)
    }

    fn start(&mut self) {
        // A run saved in an earlier session keeps what it shows while its work catches up.
        if !self.run.resumes_by_replay() {
            self.points = [Vec::new(), Vec::new(), Vec::new()];
        }
        let (word, steps, seed) = (WORDS[self.word], STEPS[self.steps], self.seed);
        self.run.start(move |tx| {
            lm::threads::single_threaded(|| run(word, steps, seed, &tx));
        });
    }

    fn take(&mut self, events: Vec<Event>) {
        for e in events {
            match e {
                Event::Step { beta, point, .. } => {
                    self.points[beta].push(point);
                    let done: usize = self.points.iter().map(Vec::len).sum();
                    let total = BETAS.len() * STEPS[self.steps];
                    self.run.progress(done as f64 / total as f64);
                }
                Event::Failed(why) => self.run.fail(why),
            }
        }
    }

    /// Runs to the end on this thread (tests).
    #[cfg(test)]
    pub fn run_to_end(&mut self) {
        self.start();
        let events = self.run.wait_all();
        self.take(events);
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![
            ("word", WORDS[self.word].to_string()),
            ("seed", self.seed.to_string()),
        ]
    }

    /// Final figures: each β's last smoothed proxy reward, KL and gold reward, as
    /// `β=1 / 0.3 / 0.1`.
    fn figures(&self) -> Vec<String> {
        (0..3)
            .map(|chart| {
                (0..BETAS.len())
                    .map(|b| match self.points[b].len() {
                        0 => "…".to_string(),
                        n => format!("{:.2}", self.smoothed_of(chart, b, n)),
                    })
                    .collect::<Vec<_>>()
                    .join(" / ")
            })
            .collect()
    }

    /// Mean of `chart` over the last [`SMOOTH`] steps of policy `b` up to step `upto`.
    fn smoothed(&self, b: usize, upto: usize) -> f64 {
        self.smoothed_of(self.chart, b, upto)
    }

    /// [`Self::smoothed`] of chart `chart`.
    fn smoothed_of(&self, chart: usize, b: usize, upto: usize) -> f64 {
        let pts = &self.points[b][..upto];
        let from = upto.saturating_sub(SMOOTH);
        let window = &pts[from..];
        window.iter().map(|p| p.get(chart)).sum::<f64>() / window.len().max(1) as f64
    }

    fn status(&self) -> String {
        let total = STEPS[self.steps];
        let done = self.points.iter().map(Vec::len).min().unwrap_or(0);
        self.run.status(
            &format!("3 policies × {total} steps"),
            &format!("step {done}/{total}"),
        )
    }
}

impl Controls for PolicyKl {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        k.run(&self.run, |p| {
            if p.run.toggle() {
                p.start();
            }
        });
        k.choice("show", names(CHART_NAMES), self.chart, |p, i| p.chart = i);
        k.choice("word", names(WORDS), self.word, |p, i| {
            p.change(|p| p.word = i)
        });
        k.seed("seed", self.seed, |p, s| p.change(|p| p.seed = s));
    }
}

impl PolicyKl {
    /// Applies a new setting: a finished run is kept for comparison under the settings it
    /// ran with, and the run starts again.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let (word, seed) = (self.word, self.seed);
        set(self);
        if (word, seed) != (self.word, self.seed) {
            // Kept under the settings it ran with.
            let (now_word, now_seed) = (self.word, self.seed);
            (self.word, self.seed) = (word, seed);
            let (settings, figures) = (self.settings(), self.figures());
            self.run.keep(settings, Vec::new(), figures);
            (self.word, self.seed) = (now_word, now_seed);
            self.points = [Vec::new(), Vec::new(), Vec::new()];
            self.run.clear();
        }
    }
}

impl Visual for PolicyKl {
    fn busy(&self) -> bool {
        self.run.running()
    }

    /// Kept when the learner leaves: a run that is going pauses where it is, and says so.
    fn leave(&mut self) -> bool {
        self.run.leave();
        true
    }

    fn clear_history(&mut self) -> bool {
        self.run.clear_history()
    }

    /// Saved by its reports, resumed by recomputing them ([`crate::viz::run::replay`]).
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let events = self.run.suspend();
        self.take(events);
        self.run
            .file(serde_json::json!([self.word, self.steps, self.seed]))
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let fits = |&(word, steps, seed): &(usize, usize, u64), events: &[Event]| {
            let n = STEPS.get(steps).copied().unwrap_or(0);
            word < WORDS.len()
                && seed <= 9999
                && events.len() <= BETAS.len() * n
                && events.iter().all(|e| {
                    matches!(e, Event::Step { beta, point } if *beta < BETAS.len() && point.sample.len() <= 4096)
                })
        };
        let ((word, steps, seed), events) = self.run.restore_settings(bytes, origin, fits)?;
        (self.word, self.steps, self.seed) = (word, steps, seed);
        self.points = [Vec::new(), Vec::new(), Vec::new()];
        self.take(events);
        Ok(())
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.take(events);
        news
    }

    fn parts(&self) -> Vec<Part> {
        // One line: where the run is, and each β's latest value of what is shown.
        let mut line = self.status();
        if self.chart < CHARTS.len() - 1 && self.points.iter().any(|p| !p.is_empty()) {
            let latest: Vec<String> = (0..BETAS.len())
                .filter(|&b| !self.points[b].is_empty())
                .map(|b| format!("{}: {:.2}", b + 1, self.smoothed(b, self.points[b].len())))
                .collect();
            line = format!("{line} · {}", latest.join("  "));
        }
        let text = Part::Text(vec![line]);
        if self.chart == CHARTS.len() - 1 {
            let samples: Vec<String> = (0..BETAS.len())
                .map(|b| match self.points[b].last() {
                    Some(p) => format!("β={}: The {}", BETAS[b], lm_common::one_line(&p.sample)),
                    None => format!("β={}: (no sample yet)", BETAS[b]),
                })
                .collect();
            return vec![text, Part::Text(samples)];
        }
        let series = (0..BETAS.len())
            .map(|b| Series {
                name: format!("β={}", BETAS[b]),
                marker: char::from_digit(b as u32 + 1, 10).unwrap_or('o'),
                points: (1..=self.points[b].len())
                    .map(|i| (i as f64, self.smoothed(b, i)))
                    .collect(),
                faint: false,
            })
            .collect();
        let mut parts = vec![text, Part::Chart(ChartView::plain(series))];
        let heads = ["run", "reward β=1/0.3/0.1", "KL", "gold"];
        parts.extend(
            self.run
                .history_table(&self.settings(), &heads, self.figures()),
        );
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    #[test]
    fn a_short_run_reports_every_step_of_every_beta() {
        let m: Map<String, Value> = serde_json::from_value(json!({"steps": 20})).unwrap();
        let mut l = PolicyKl::new(Params::new(&m, &KIND)).unwrap();
        l.run_to_end();
        assert!(l.run.finished(), "{:?}", l.run.phase());
        assert!(l.points.iter().all(|p| p.len() == 20));
        // Every policy starts at its reference: KL exactly 0 at the first step.
        assert!(l.points.iter().all(|p| p[0].kl == 0.0));
        // On a looser leash (β = 0.1) the policy drifts further than with β = 1.
        let tail = |b: usize| l.points[b][10..].iter().map(|p| p.kl).sum::<f64>() / 10.0;
        assert!(tail(2) > tail(0), "{} vs {}", tail(2), tail(0));
        let text = format!("{:?}", l.parts());
        assert!(text.contains("done: 3 policies × 20 steps"), "{text}");
        // Every view, results shown, fits 80x24's stacked panel (76 columns, 15 rows).
        for chart in 0..CHARTS.len() {
            l.chart = chart;
            let view = crate::viz::view::View {
                controls: l.controls(),
                selected_control: 0,
                parts: l.parts(),
            };
            assert!(crate::ui::widgets::view_height(&view, 76) <= 15, "{chart}");
        }
    }
}
