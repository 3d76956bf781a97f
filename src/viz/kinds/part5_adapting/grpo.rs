//! Lesson 26: GRPO on the shipped tiny GPT against a reward a program checks
//! ([`crate::labs::lm::grpo`], [`crate::labs::lm::word_task`]): finish the word a prompt
//! breaks off. Two copies of the model train side by side on the same prompts and the same
//! number of samples per step: one with GRPO (advantage = reward against its own group, the
//! KL a term of the loss), one with lesson 24's REINFORCE (one baseline for the whole batch,
//! the KL a per-token reward). The panel plots, for each, the share of verified answers, the
//! KL to the reference or the share of flat groups as training goes, or shows samples from
//! the first step and the latest one with the verifier's verdict.
//!
//! The run starts on a key press (or, with `start`, when the panel opens: `llmf check` and
//! `render --settle` read a finished run that way) and lives in the shared [`Run`], like
//! every other training kind: the same start key, progress line, pause on leaving and resume.

use crate::jobs::{Sink, Waker};
use crate::labs::lm::grpo::{GroupConfig, GroupStep, GroupTrainer, Method, Sample};
use crate::labs::lm::{self, word_task};
use crate::viz::kinds::part4_pretraining::lm_common;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::Run;
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};

use std::time::Instant;

const CHARTS: &[&str] = &["reward", "kl", "flat", "samples"];
const CHART_NAMES: &[&str] = &[
    "verified share",
    "KL to reference",
    "flat groups",
    "samples",
];
const GROUPS: &[usize] = &[2, 4, 8, 16];
const BETAS: &[&str] = &["0", "0.02", "0.1", "0.5"];
const STEPS: &[usize] = &[20, 40, 60];
/// The two methods, in the order of their markers on the chart.
const METHODS: [Method; 2] = [Method::Grpo, Method::Reinforce];
const METHOD_NAMES: [&str; 2] = ["GRPO", "REINFORCE"];
const MARKERS: [char; 2] = ['G', 'R'];
/// Prompts per step (of the task's eight), and characters per response.
pub const PER_STEP: usize = 4;
pub const LEN: usize = 8;
/// Lesson 24's learning rate: the same machinery, the same step size.
pub const LR: f64 = 1e-3;
/// Points on the chart are the mean of this many steps, to calm the sampling noise.
const SMOOTH: usize = 5;
/// Samples shown per prompt in the samples view.
const SHOWN: usize = 4;

pub const KIND: KindDef = KindDef {
    name: "grpo",
    title: "GRPO against a verifier, beside REINFORCE",
    about: "trains two copies of the shipped model side by side to finish the word a prompt breaks off, checked by a program (the word must be one of the course's): GRPO (each response scored against its own group of G, KL to a frozen copy in the loss) and lesson 24's REINFORCE (one baseline per batch, KL in the reward), on the same prompts and samples; plots the verified share, the KL, or the share of groups with nothing to learn, or shows first and latest samples",
    params: &[
        ParamDef { name: "group", ty: ParamType::IntAmong { allowed: GROUPS, default: 8 }, doc: "responses sampled per prompt (G); each step samples 4 prompts × G for each method" },
        ParamDef { name: "beta", ty: ParamType::Choice { options: BETAS, default: "0.02" }, doc: "the KL coefficient β, for both methods" },
        ParamDef { name: "chart", ty: ParamType::Choice { options: CHARTS, default: "reward" }, doc: "what the chart plots first, or the samples" },
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: STEPS, default: 40 }, doc: "training steps for each method" },
        SEED.int("seed", 1, "seed of the sampled responses"),
        ParamDef { name: "start", ty: ParamType::Bool { default: false }, doc: "start the run as the panel opens (for `llmf check` and `render --settle`); otherwise the learner starts it" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Grpo::new(p)?))
}

/// One step of one method, as the panel needs it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub reward: f64,
    pub kl: f64,
    /// Share of the step's groups whose rewards were all equal.
    pub flat: f64,
    pub samples: Vec<Sample>,
}

impl Point {
    fn of(s: &GroupStep) -> Self {
        Self {
            reward: s.reward,
            kl: s.kl,
            flat: s.flat as f64 / s.groups.max(1) as f64,
            samples: s.samples.clone(),
        }
    }

    fn get(&self, chart: usize) -> f64 {
        match chart {
            0 => self.reward,
            1 => self.kl,
            _ => self.flat,
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
pub enum Event {
    Step {
        method: usize,
        point: Point,
        seconds: f64,
    },
    Finished {
        seconds: f64,
    },
    Failed(String),
}

/// The settings of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSettings {
    pub group: usize,
    pub beta: f64,
    pub steps: usize,
    pub seed: u64,
}

/// Trains both methods in turn, one step each, `steps` times. Both start from the same seed,
/// so their first steps sample the same responses.
pub fn run(s: RunSettings, tx: &dyn Sink<Event>) {
    let begin = Instant::now();
    let base = match lm::base_model() {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.send(Event::Failed(e));
            return;
        }
    };
    let mut trainers = Vec::new();
    for method in METHODS {
        let cfg = GroupConfig {
            method,
            prompts: word_task::PROMPTS
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
            per_step: PER_STEP,
            group: s.group,
            len: LEN,
            beta: s.beta,
            lr: LR,
            seed: s.seed,
        };
        match GroupTrainer::new(base, cfg) {
            Ok(t) => trainers.push(t),
            Err(e) => {
                let _ = tx.send(Event::Failed(e.to_string()));
                return;
            }
        }
    }
    for _ in 0..s.steps {
        for (method, t) in trainers.iter_mut().enumerate() {
            if tx.closed() {
                return;
            }
            match t.step(&word_task::reward) {
                Ok(step) => {
                    let event = Event::Step {
                        method,
                        point: Point::of(&step),
                        seconds: begin.elapsed().as_secs_f64(),
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
    let _ = tx.send(Event::Finished {
        seconds: begin.elapsed().as_secs_f64(),
    });
}

pub struct Grpo {
    group: usize,
    beta: usize,
    chart: usize,
    steps: usize,
    seed: u64,
    /// Start at the next poll (the `start` parameter), until the run is started or the
    /// learner leaves.
    pending_start: bool,
    run: Run<Event>,
    points: [Vec<Point>; 2],
    seconds: f64,
    /// The run's own time when it finished (the work measures it).
    finished: Option<f64>,
    failed: Option<String>,
}

impl Grpo {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let s = Self {
            group: p.index("group")?,
            beta: p.index("beta")?,
            chart: p.index("chart")?,
            steps: p.index("steps")?,
            seed: p.int("seed")? as u64,
            pending_start: p.boolean("start")?,
            run: Run::new(KIND.name, &p.lab()).replayable(),
            points: [Vec::new(), Vec::new()],
            seconds: 0.0,
            finished: None,
            failed: None,
        };
        p.finish()?;
        Ok(s)
    }

    fn settings(&self) -> RunSettings {
        RunSettings {
            group: GROUPS[self.group],
            beta: BETAS[self.beta].parse().unwrap_or(0.0),
            steps: STEPS[self.steps],
            seed: self.seed,
        }
    }

    fn running(&self) -> bool {
        self.run.running()
    }

    fn clear(&mut self) {
        self.run.clear();
        self.points = [Vec::new(), Vec::new()];
        self.seconds = 0.0;
        self.finished = None;
        self.failed = None;
    }

    fn start(&mut self) {
        // A run saved in an earlier session keeps what it shows while its work catches up.
        if !self.run.resumes_by_replay() {
            self.clear();
        }
        self.pending_start = false;
        let settings = self.settings();
        self.run.start(move |tx| {
            lm::threads::single_threaded(|| run(settings, &tx));
        });
    }

    fn take(&mut self, events: Vec<Event>) {
        for e in events {
            match e {
                Event::Step {
                    method,
                    point,
                    seconds,
                } => {
                    self.points[method].push(point);
                    self.seconds = seconds;
                    let total = 2 * self.settings().steps;
                    let done: usize = self.points.iter().map(Vec::len).sum();
                    self.run.progress(done as f64 / total.max(1) as f64);
                }
                Event::Finished { seconds } => self.finished = Some(seconds),
                Event::Failed(why) => {
                    self.failed = Some(why.clone());
                    self.run.fail(why);
                }
            }
        }
    }

    fn done(&self) -> usize {
        self.points.iter().map(Vec::len).min().unwrap_or(0)
    }

    /// Mean of `chart` over the last [`SMOOTH`] steps of method `m` up to step `upto`.
    fn smoothed(&self, m: usize, upto: usize) -> f64 {
        let window = &self.points[m][upto.saturating_sub(SMOOTH)..upto];
        window.iter().map(|p| p.get(self.chart)).sum::<f64>() / window.len().max(1) as f64
    }

    fn status(&self) -> String {
        let s = self.settings();
        let total = s.steps;
        let plan = format!(
            "2 methods × {total} steps × {PER_STEP} prompts × G = {}",
            s.group
        );
        if let Some(why) = &self.failed {
            return format!("failed: {why}");
        }
        // A run worked through on the caller's thread (tests) never went through `run`.
        if let (true, Some(secs)) = (self.run.idle(), self.finished) {
            return format!("done: {plan} in {secs:.0} s");
        }
        self.run
            .status(&plan, &format!("step {}/{total}", self.done()))
    }

    /// The samples view: for two prompts, GRPO's responses at step 1 and at the latest step
    /// that asked the same prompts, each as the characters it added and the verifier's verdict.
    fn samples_lines(&self) -> Vec<String> {
        let pts = &self.points[0];
        let Some(first) = pts.first() else {
            return vec!["(no samples yet: start the run)".into()];
        };
        // The latest step that asked the same prompts as step 1, so the two can be compared.
        let same = |p: &&Point| {
            p.samples.first().map(|s| s.prompt) == first.samples.first().map(|s| s.prompt)
        };
        let last = pts.iter().rev().find(same).unwrap_or(first);
        let mut lines = Vec::new();
        let latest = format!(
            "step {}",
            pts.iter()
                .rposition(|p| std::ptr::eq(p, last))
                .map_or(1, |i| i + 1)
        );
        for (name, point) in [("step 1".to_string(), first), (latest, last)] {
            lines.push(format!("GRPO, {name}:"));
            let mut prompts: Vec<usize> = point.samples.iter().map(|s| s.prompt).collect();
            prompts.dedup();
            for &p in prompts.iter().take(2) {
                let shown: Vec<String> = point
                    .samples
                    .iter()
                    .filter(|s| s.prompt == p)
                    .take(SHOWN)
                    .map(|s| {
                        let mark = if s.reward > 0.0 { '✓' } else { '✗' };
                        format!("{}{mark}", completion(&s.text))
                    })
                    .collect();
                lines.push(format!("  {}|{}", word_task::PROMPTS[p], shown.join(" · ")));
            }
        }
        lines
    }
}

/// A response up to the end of the word it completes (its first character that is not a
/// letter, shown visibly), or all of it when the word never ends.
fn completion(text: &str) -> String {
    let cut = text
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(text.len(), |(i, c)| i + c.len_utf8());
    lm_common::one_line(&text[..cut])
}

impl Controls for Grpo {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        k.run(&self.run, |g| {
            if g.run.toggle() {
                g.start();
            }
        });
        k.choice("show", names(CHART_NAMES), self.chart, |g, i| g.chart = i);
        let groups = GROUPS.iter().map(ToString::to_string).collect();
        k.choice("group G", groups, self.group, |g, i| {
            g.change(|g| g.group = i)
        });
        k.choice("β", names(BETAS), self.beta, |g, i| {
            g.change(|g| g.beta = i)
        });
        k.seed("seed", self.seed, |g, s| g.change(|g| g.seed = s));
    }
}

impl Grpo {
    /// Applies a new setting: the runs start again (at once if they were going).
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let was_running = self.running();
        set(self);
        self.clear();
        if was_running {
            self.start();
        }
    }
}

impl Visual for Grpo {
    fn busy(&self) -> bool {
        self.pending_start || self.run.running()
    }

    /// Kept when the learner leaves: a run that is going pauses where it is, and resumes on
    /// its key when they come back (the shared run's one behaviour).
    fn leave(&mut self) -> bool {
        self.pending_start = false;
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
        let s = (self.group, self.beta, self.steps, self.seed);
        self.run.file(serde_json::json!(s))
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let prompts = word_task::PROMPTS.len();
        let fits = |&(group, beta, steps, seed): &(usize, usize, usize, u64), events: &[Event]| {
            let n = STEPS.get(steps).copied().unwrap_or(0);
            group < GROUPS.len()
                && beta < BETAS.len()
                && seed <= 9999
                && events.len() <= 2 * n + 1
                && events.iter().all(|e| match e {
                    Event::Step { method, point, .. } => {
                        *method < METHODS.len()
                            && point.samples.len() <= 4096
                            && point
                                .samples
                                .iter()
                                .all(|s| s.prompt < prompts && s.text.len() <= 4096)
                    }
                    Event::Finished { .. } | Event::Failed(_) => false,
                })
        };
        let ((group, beta, steps, seed), events) =
            self.run.restore_settings(bytes, origin, fits)?;
        (self.group, self.beta, self.steps, self.seed) = (group, beta, steps, seed);
        self.pending_start = false;
        self.points = [Vec::new(), Vec::new()];
        (self.seconds, self.finished, self.failed) = (0.0, None, None);
        self.take(events);
        Ok(())
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.take(events);
        if self.pending_start {
            self.start();
            return true;
        }
        news
    }

    fn parts(&self) -> Vec<Part> {
        let mut lines = vec![self.status()];
        if self.chart < CHARTS.len() - 1 && self.done() > 0 {
            let now: Vec<String> = (0..2)
                .map(|m| {
                    let head = &self.points[m][..SMOOTH.min(self.points[m].len())];
                    let first =
                        head.iter().map(|p| p.get(self.chart)).sum::<f64>() / head.len() as f64;
                    let last = self.smoothed(m, self.points[m].len());
                    format!("{} {first:.2} → {last:.2}", MARKERS[m])
                })
                .collect();
            lines.push(format!(
                "{}, first {SMOOTH} steps → last {SMOOTH}: {}",
                CHART_NAMES[self.chart],
                now.join(" · ")
            ));
        }
        if self.chart == CHARTS.len() - 1 {
            lines.extend(self.samples_lines());
            return vec![Part::Text(lines)];
        }
        // REINFORCE first, so GRPO (the lesson's method) lies on top where the two cross.
        let series = (0..2)
            .rev()
            .map(|m| Series {
                name: METHOD_NAMES[m].to_string(),
                marker: MARKERS[m],
                points: (1..=self.points[m].len())
                    .map(|i| (i as f64, self.smoothed(m, i)))
                    .collect(),
                faint: false,
            })
            .collect();
        vec![Part::Text(lines), Part::Chart(ChartView::plain(series))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    #[test]
    fn a_short_run_reports_both_methods_and_fits_80x24() {
        let m: Map<String, Value> = serde_json::from_value(json!({"group": 4})).unwrap();
        let mut l = Grpo::new(Params::new(&m, &KIND)).unwrap();
        // Three steps of each method, through the same `run` the panel starts.
        let (tx, rx) = std::sync::mpsc::channel();
        let settings = RunSettings {
            steps: 3,
            ..l.settings()
        };
        lm::threads::single_threaded(|| run(settings, &tx));
        drop(tx);
        l.take(rx.into_iter().collect());
        assert!(l.failed.is_none(), "{:?}", l.failed);
        assert!(l.finished.is_some());
        assert!(l.points.iter().all(|p| p.len() == 3));
        // Both start at the reference, from the same seed: the same first samples, KL 0.
        assert_eq!(l.points[0][0].samples, l.points[1][0].samples);
        assert!(l.points.iter().all(|p| p[0].kl == 0.0));
        assert!(format!("{:?}", l.parts()).contains("done: "));
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

    #[test]
    fn completions_stop_after_the_word() {
        assert_eq!(completion("tion is"), "tion ");
        assert_eq!(completion("tionxyz"), "tionxyz");
        assert_eq!(completion(", and"), ",");
    }
}
