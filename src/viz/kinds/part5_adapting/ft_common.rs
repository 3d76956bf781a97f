//! What the fine-tuning visualizers of Part V share: the course's own question–answer pairs as
//! the fine-tuning data, runs of [`finetune::run`] in the background (through a
//! [`Run`], which pauses them when the learner leaves the step), and the curves and status
//! lines they draw.

use crate::course::qa::{builtin_pairs, Pairs};
use crate::jobs::{Sink, Waker};
use crate::labs::lm::finetune::{self, FtConfig, FtData, Point};
use crate::labs::lm::sft::{Pair, SftSet};
use crate::labs::lm::{self, Filters, Model, Rng};
use crate::viz::kinds::part4_pretraining::lm_common::{self, one_line};
use crate::viz::lab::Shared;
use crate::viz::run::Run;
use crate::viz::view::{ChartView, Part, Series};
use std::sync::{Arc, OnceLock};

/// Characters of each evaluation set scored at every evaluation (keeps a run near a minute).
pub const EVAL_CHARS: usize = 2048;

/// (train, held out) question–answer pairs of the built-in course, parsed once.
pub fn course_pairs() -> &'static (Pairs, Pairs) {
    static PAIRS: OnceLock<(Pairs, Pairs)> = OnceLock::new();
    PAIRS.get_or_init(builtin_pairs)
}

fn pairs(v: &[(String, String)]) -> Vec<Pair> {
    v.iter().map(|(p, r)| Pair::new(p, r)).collect()
}

/// Which fine-tuning data a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSet {
    /// Every training question of lessons 01–19 (every 6th held out).
    All,
    /// Only the first `n` training questions (a small set that overfits).
    Small(usize),
}

/// The data set, with the shipped model's alphabet and the original corpus beside it. Built
/// on the worker thread (encoding and copying the corpus takes a moment); `All` is kept.
pub fn course_data(which: DataSet) -> Result<Arc<FtData>, String> {
    static ALL: OnceLock<Result<Arc<FtData>, String>> = OnceLock::new();
    let build = |n: Option<usize>| -> Result<Arc<FtData>, String> {
        let base = lm::base_model()?;
        let (train, held) = course_pairs();
        if train.is_empty() || held.is_empty() {
            return Err("the built-in course has no checkpoint questions".into());
        }
        let train = &train[..n.unwrap_or(train.len()).min(train.len())];
        Ok(Arc::new(FtData {
            train: SftSet::new(&pairs(train), &base.vocab),
            held_out: SftSet::new(&pairs(held), &base.vocab),
            original: (*lm_common::corpus()).clone(),
        }))
    };
    match which {
        DataSet::All => ALL.get_or_init(|| build(None)).clone(),
        DataSet::Small(n) => build(Some(n)),
    }
}

/// Characters of the training questions as laid end to end (each pair plus its newline),
/// and how many of the predictions count with the prompt masked, without encoding anything.
pub fn train_counts() -> (usize, usize) {
    let (train, _) = course_pairs();
    let chars = |s: &str| s.chars().count();
    let total: usize = train.iter().map(|(p, r)| chars(p) + chars(r) + 1).sum();
    let answers: usize = train.iter().map(|(_, r)| chars(r) + 1).sum();
    (total, answers)
}

/// The first held-out question's prompt (the samples' prompt).
pub fn held_out_prompt() -> String {
    course_pairs()
        .1
        .first()
        .map(|(p, _)| p.clone())
        .unwrap_or_else(|| "Q: What is fine-tuning?\nA: ".into())
}

/// What a background series of runs reports (saved as it came, to resume by recomputing:
/// [`crate::viz::run::Run::replayable`]).
#[derive(serde::Serialize, serde::Deserialize)]
pub enum FtEvent {
    /// Run `run` started: its trainable parameters.
    Started {
        run: usize,
        trainable: usize,
    },
    Point {
        run: usize,
        point: Point,
    },
    /// A sample after the prompt, from the starting model (`run` = None) or after run `run`.
    Sample {
        run: Option<usize>,
        text: String,
    },
    /// Run `run` ended; with LoRA, the largest |logit| difference between the merged model and
    /// the adapters applied on top of the frozen base, on a window of the held-out text.
    Done {
        run: usize,
        merge_diff: Option<f32>,
    },
    Failed(String),
}

impl FtEvent {
    /// The same report, of run `run` of its series.
    fn as_run(&self, run: usize) -> Self {
        match self {
            FtEvent::Started { trainable, .. } => FtEvent::Started {
                run,
                trainable: *trainable,
            },
            FtEvent::Point { point, .. } => FtEvent::Point { run, point: *point },
            FtEvent::Sample { run: of, text } => FtEvent::Sample {
                run: of.map(|_| run),
                text: text.clone(),
            },
            FtEvent::Done { merge_diff, .. } => FtEvent::Done {
                run,
                merge_diff: *merge_diff,
            },
            FtEvent::Failed(why) => FtEvent::Failed(why.clone()),
        }
    }
}

/// What the panel keeps of one run.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunLog {
    pub trainable: usize,
    pub points: Vec<Point>,
    pub done: bool,
    pub merge_diff: Option<f32>,
    pub sample: Option<String>,
}

/// A series of runs: the work (its life in `run`) and what it reported.
pub struct Runs {
    /// Starts, pauses on leaving the step, resumes, and keeps finished runs for comparison.
    pub run: Run<FtEvent>,
    pub logs: Vec<RunLog>,
    pub before: Option<String>,
    /// Steps of each run, for the share done.
    steps: usize,
    /// Runs at the start of the series kept from the last one, not run again.
    skipped: usize,
    /// Work shared with other panels (`llmf check`'s), from the lab.
    shared: Option<Shared>,
}

impl Runs {
    /// Nothing run yet, in the learner's `lab`; [`Self::start`] starts the work.
    pub fn new(kind: &'static str, lab: &crate::viz::lab::Lab) -> Self {
        Self {
            run: Run::new(kind, lab).replayable(),
            logs: Vec::new(),
            before: None,
            steps: 1,
            skipped: 0,
            shared: lab.shared(),
        }
    }

    /// Starts `configs` one after the other (any earlier work stops), waking the driver
    /// of the last poll.
    pub fn start(&mut self, configs: Vec<FtConfig>, which: DataSet, prompt: Option<String>) {
        self.start_after(Vec::new(), configs, which, prompt);
    }

    /// [`Self::start`], keeping the finished results `done` of the first configs (whose
    /// settings did not change) and running only the rest.
    pub fn start_after(
        &mut self,
        done: Vec<RunLog>,
        configs: Vec<FtConfig>,
        which: DataSet,
        prompt: Option<String>,
    ) {
        if self.run.resumes_by_replay() {
            // A series saved in an earlier session: the panel has its results so far, and the
            // work recomputes them (the run drops those reports) before it goes on.
            let skip = self.skipped;
            let shared = self.shared.clone();
            self.run
                .start(move |tx| work(configs, skip, which, prompt, shared, &tx));
            return;
        }
        let skip = done.len().min(configs.len());
        self.logs = done;
        self.logs.truncate(skip);
        self.logs.resize(configs.len(), RunLog::default());
        self.skipped = skip;
        self.before = None;
        self.steps = configs.iter().map(|c| c.steps).max().unwrap_or(1).max(1);
        let shared = self.shared.clone();
        self.run
            .start(move |tx| work(configs, skip, which, prompt, shared, &tx));
    }

    /// Forgets the results (a setting changed) and stops the work.
    pub fn clear(&mut self) {
        self.run.clear();
        self.logs.clear();
        self.before = None;
    }

    /// Takes every event posted so far, waking `waker` next; returns whether anything changed.
    pub fn take(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.fold(events);
        news
    }

    fn fold(&mut self, events: Vec<FtEvent>) {
        for e in events {
            match e {
                FtEvent::Started { run, trainable } => self.log(run).trainable = trainable,
                FtEvent::Point { run, point } => {
                    // The share of the runs this series does (the kept ones are not redone).
                    let n = self.logs.len().saturating_sub(self.skipped).max(1) as f64;
                    let at = run.saturating_sub(self.skipped) as f64;
                    let share = (at + point.step as f64 / self.steps as f64) / n;
                    self.run.progress(share);
                    self.log(run).points.push(point);
                }
                FtEvent::Sample { run: None, text } => self.before = Some(text),
                FtEvent::Sample { run: Some(r), text } => self.log(r).sample = Some(text),
                FtEvent::Done { run, merge_diff } => {
                    let log = self.log(run);
                    log.done = true;
                    log.merge_diff = merge_diff;
                }
                FtEvent::Failed(why) => self.run.fail(why),
            }
        }
    }

    fn log(&mut self, run: usize) -> &mut RunLog {
        if run >= self.logs.len() {
            self.logs.resize(run + 1, RunLog::default());
        }
        &mut self.logs[run]
    }

    /// Whether the work is going (not paused, not ended).
    pub fn busy(&self) -> bool {
        self.run.running()
    }

    /// Whether a run should start by itself: nothing started since the last change.
    pub fn waiting(&self) -> bool {
        self.run.idle()
    }

    /// The app is closing: the work stops and the file that brings the series back is made,
    /// with the kind's `settings` (see [`crate::viz::run::replay`]).
    pub fn suspend(&mut self, settings: serde_json::Value) -> Option<Result<Vec<u8>, String>> {
        let events = self.run.suspend();
        self.fold(events);
        let kept = &self.logs[..self.skipped.min(self.logs.len())];
        let panel = serde_json::json!({"settings": settings, "kept": kept});
        self.run.file(panel)
    }

    /// Reads back a series saved by [`Self::suspend`] (`origin` names the file): the kind's
    /// settings, for the kind to check and take. Call [`Self::restore_results`] with what
    /// the settings give, or [`Self::clear`] to refuse them.
    pub fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<Restored, String> {
        let (panel, events) = self.run.restore_reports(bytes, origin)?;
        let parsed = serde_json::from_value::<SavedSeries>(panel)
            .map_err(|e| format!("{origin}: its settings: {e}; press → on \"run\" to start again"));
        match parsed {
            Ok(s) => Ok(Restored {
                settings: s.settings,
                kept: s.kept,
                events,
            }),
            Err(e) => {
                self.clear();
                Err(e)
            }
        }
    }

    /// Shows a restored series of `configs` runs of at most `steps` steps each, paused, once
    /// its results fit them (untrusted: every index and length is checked first).
    pub fn restore_results(
        &mut self,
        r: Restored,
        configs: usize,
        steps: usize,
        origin: &str,
    ) -> Result<(), String> {
        let text = |t: &str| t.len() <= 4096;
        let fits_log = |l: &RunLog| {
            l.points.len() <= steps + 2
                && l.points.iter().all(|p| p.step <= steps)
                && l.sample.as_deref().is_none_or(text)
        };
        let skip = r.kept.len();
        let fits = skip < configs
            && r.kept.iter().all(|l| l.done && fits_log(l))
            && r.events.len() <= configs * (steps + 8)
            && r.events.iter().all(|e| match e {
                FtEvent::Started { run, .. } | FtEvent::Done { run, .. } => {
                    (skip..configs).contains(run)
                }
                FtEvent::Point { run, point } => {
                    (skip..configs).contains(run) && point.step <= steps
                }
                FtEvent::Sample { run, text: t } => {
                    run.is_none_or(|r| (skip..configs).contains(&r)) && text(t)
                }
                FtEvent::Failed(_) => false,
            });
        if !fits {
            self.clear();
            return Err(format!(
                "{origin}: its results do not fit this panel's runs; press → on \"run\" to start again"
            ));
        }
        self.logs = r.kept;
        self.logs.resize(configs, RunLog::default());
        self.skipped = skip;
        self.before = None;
        self.steps = steps.max(1);
        let done = self.run.phase().clone();
        self.fold(r.events);
        // Folding sets the share done; the life of the run is the saved one.
        debug_assert_eq!(&done, self.run.phase());
        Ok(())
    }

    /// Runs the work to its end on this thread's behalf (tests).
    #[cfg(test)]
    pub fn wait(&mut self) {
        let events = self.run.wait_all();
        self.fold(events);
    }
}

/// The panel's part of a saved series: the kind's settings and the finished results kept at
/// its start from an earlier series (not recomputed).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSeries {
    settings: serde_json::Value,
    kept: Vec<RunLog>,
}

/// A saved series read back, before the kind takes it ([`Runs::restore_results`]).
pub struct Restored {
    pub settings: serde_json::Value,
    kept: Vec<RunLog>,
    events: Vec<FtEvent>,
}

/// The progress line: "running full (1 of 3), step 40/150 · …", paused, done or failed, in
/// the words every run uses.
pub fn progress(runs: &Runs, names: &[String], steps: usize) -> String {
    let i = runs
        .logs
        .iter()
        .position(|l| !l.done)
        .unwrap_or(runs.logs.len().saturating_sub(1));
    let step = runs
        .logs
        .get(i)
        .and_then(|l| l.points.last())
        .map_or(0, |p| p.step);
    let plan = match names.len() {
        1 => format!("{steps} steps"),
        n => format!("{n} runs × {steps} steps"),
    };
    let at = match names.len() {
        1 => format!("step {step}/{steps}"),
        n => format!(
            "{} ({} of {n}), step {step}/{steps}",
            names.get(i).map_or("", String::as_str),
            i + 1
        ),
    };
    runs.run.status(&plan, &at)
}

/// A chart of one loss per run against step.
pub fn loss_chart(
    title: &str,
    runs: &Runs,
    names: &[String],
    markers: &[char],
    pick: fn(&Point) -> f32,
) -> Part {
    let series = runs
        .logs
        .iter()
        .zip(names)
        .zip(markers)
        .map(|((log, name), &marker)| Series {
            name: name.clone(),
            marker,
            points: log
                .points
                .iter()
                .map(|p| (p.step as f64, f64::from(pick(p))))
                .collect(),
            faint: false,
        })
        .collect();
    Part::Chart(ChartView {
        title: title.into(),
        x_label: String::new(),
        y_label: String::new(),
        x_log: false,
        y_log: false,
        series,
    })
}

/// A sample shown on one line after its prompt's last few characters.
pub fn sample_line(label: &str, text: Option<&String>) -> String {
    match text {
        Some(t) => format!("{label}: {}", one_line(t)),
        None => format!("{label}: (not yet)"),
    }
}

mod work;
use work::work;

#[cfg(test)]
mod tests;
