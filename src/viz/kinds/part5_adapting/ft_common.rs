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

/// Sampling settings of the before/after samples: mild temperature, fixed seed.
const SAMPLE_CHARS: usize = 90;

fn sample(model: &Model, prompt: &str) -> Result<String, String> {
    let filters = Filters {
        temperature: 0.5,
        ..Filters::default()
    };
    lm::generate(model, prompt, SAMPLE_CHARS, &filters, &mut Rng::new(7))
        .map(|g| g.text())
        .map_err(|e| e.to_string())
}

fn merge_gap(ft: &finetune::Finetuner, data: &FtData) -> candle_core::Result<Option<f32>> {
    let Some(lora) = &ft.lora else {
        return Ok(None);
    };
    let t = ft.model.config.context.min(data.held_out.len());
    let ids = candle_core::Tensor::from_slice(
        &data.held_out.ids[..t],
        (1, t),
        &candle_core::Device::Cpu,
    )?;
    let merged = lora.merged(&ft.model)?.forward(&ids)?;
    let adapted = ft.model.forward_lora(&ids, lora)?;
    let gap = (merged - adapted)?.abs()?.flatten_all()?.max(0)?;
    Ok(Some(gap.to_scalar()?))
}

/// Runs `configs` one after the other from the shipped model, posting their points; with
/// `prompt`, a sample before and after each run. Stops within one training step (or one stage
/// of setting up) once `tx` is closed, and waits there while it is paused.
/// The first `skip` configs are not run (their results are kept from an earlier series).
/// With `shared` (`llmf check`'s panels), a run that another panel has already done with the
/// same settings and data is not done again: its reports are posted as they came.
fn work(
    configs: Vec<FtConfig>,
    skip: usize,
    which: DataSet,
    prompt: Option<String>,
    shared: Option<Shared>,
    tx: &dyn Sink<FtEvent>,
) {
    let fail = |e: String| {
        let _ = tx.send(FtEvent::Failed(e));
    };
    let data = match course_data(which) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if tx.closed() {
        return;
    }
    let base = match lm::base_model() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Some(p) = &prompt {
        match sample(base, p) {
            Ok(text) => {
                if tx.send(FtEvent::Sample { run: None, text }).is_err() {
                    return;
                }
            }
            Err(e) => return fail(e),
        }
    }
    let prompt = prompt.as_deref();
    if let Some(shared) = &shared {
        return shared_work(configs, skip, which, prompt, &data, base, shared, tx);
    }
    for (run, cfg) in configs.into_iter().enumerate().skip(skip) {
        if tx.closed() || !one_run(base, cfg, &data, prompt, run, tx) {
            return;
        }
    }
}

/// [`work`] for `llmf check`'s panels, which share runs: a run another panel has done with the
/// same settings and data is not done again, its reports posted as they came. The runs nobody
/// has begun go first, one claimed at a time, and those another panel is doing are waited for
/// last: two panels sharing runs (lesson 22's) then train side by side, neither waiting while
/// the other trains. The reports are posted in the series' order.
#[allow(clippy::too_many_arguments)]
fn shared_work(
    configs: Vec<FtConfig>,
    skip: usize,
    which: DataSet,
    prompt: Option<&str>,
    data: &FtData,
    base: &Model,
    shared: &Shared,
    tx: &dyn Sink<FtEvent>,
) {
    let key = |cfg: &FtConfig| format!("fine-tuning run: {which:?}, prompt {prompt:?}, {cfg:?}");
    let mut left: Vec<(usize, FtConfig)> = configs.into_iter().enumerate().skip(skip).collect();
    let mut done: std::collections::BTreeMap<usize, Arc<Vec<FtEvent>>> = Default::default();
    let mut posted = skip;
    while !left.is_empty() {
        if tx.closed() {
            return;
        }
        let next = left
            .iter()
            .position(|(_, cfg)| shared.claim(&key(cfg)))
            .unwrap_or(0);
        let (run, cfg) = left.remove(next);
        // Computed as run 0 to the end (nobody closes the collecting channel), then posted as
        // this series' run `run`.
        let reports = shared.get_or_compute(key(&cfg), || {
            let (sender, reports) = std::sync::mpsc::channel();
            one_run(base, cfg, data, prompt, 0, &sender);
            reports.try_iter().collect::<Vec<FtEvent>>()
        });
        let Some(reports) = reports else {
            let _ = tx.send(FtEvent::Failed(
                "a shared run was stored as something else".into(),
            ));
            return;
        };
        done.insert(run, reports);
        while let Some(reports) = done.remove(&posted) {
            for e in reports.iter() {
                if tx.send(e.as_run(posted)).is_err() || matches!(e, FtEvent::Failed(_)) {
                    return;
                }
            }
            posted += 1;
        }
    }
}

/// One run of a series (its index `run`), reported to `tx`: whether it ended and the series
/// may go on (not when `tx` closed or the run failed, which it reports).
fn one_run(
    base: &Model,
    cfg: FtConfig,
    data: &FtData,
    prompt: Option<&str>,
    run: usize,
    tx: &dyn Sink<FtEvent>,
) -> bool {
    let fail = |e: String| {
        let _ = tx.send(FtEvent::Failed(e));
        false
    };
    let trainable = match finetune::Finetuner::new(base, cfg.clone()) {
        Ok(f) => f.trainable(),
        Err(e) => return fail(e.to_string()),
    };
    if tx.send(FtEvent::Started { run, trainable }).is_err() {
        return false;
    }
    let result = finetune::run_while(
        base,
        cfg,
        data,
        |point| tx.send(FtEvent::Point { run, point }).is_ok(),
        || !tx.closed(),
    );
    let ft = match result {
        Ok(ft) => ft,
        Err(e) => return fail(e.to_string()),
    };
    if tx.closed() {
        return false;
    }
    let merge_diff = match merge_gap(&ft, data) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    if let Some(p) = prompt {
        let text = ft
            .current()
            .map_err(|e| e.to_string())
            .and_then(|m| sample(&m, p));
        match text {
            Ok(text) => {
                let _ = tx.send(FtEvent::Sample {
                    run: Some(run),
                    text,
                });
            }
            Err(e) => return fail(e),
        }
    }
    tx.send(FtEvent::Done { run, merge_diff }).is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::finetune::Method;
    use crate::viz::lab::Lab;

    /// A series' results without the timings, which differ from run to run.
    fn results(runs: &Runs) -> Vec<(usize, Vec<Point>, bool, Option<f32>)> {
        runs.logs
            .iter()
            .map(|l| {
                let points = l
                    .points
                    .iter()
                    .map(|p| Point {
                        ms_per_step: 0.0,
                        ..*p
                    })
                    .collect();
                (l.trainable, points, l.done, l.merge_diff)
            })
            .collect()
    }

    fn series(lab: &Lab, configs: Vec<FtConfig>) -> Runs {
        let mut runs = Runs::new("forgetting", lab);
        runs.start(configs, DataSet::Small(4), None);
        runs.wait();
        runs
    }

    #[test]
    fn a_run_shared_between_two_panels_reports_what_it_reports_alone() {
        let cfg = |method: Method, lr: f64| {
            let mut c = FtConfig::new(method, 3, lr);
            c.eval_every = 2;
            c.eval_chars = 256;
            c
        };
        let full = cfg(Method::Full, 1e-3);
        let lora = cfg(Method::lora(2, &crate::labs::lm::lora::QV), 3e-3);
        let alone = series(&Lab::new(), vec![full.clone(), lora.clone()]);
        assert!(alone.run.finished(), "{:?}", alone.run.phase());
        // Two panels of one check: the second finds the LoRA run done by the first, at
        // another place in its series, and does only its own full run at another rate.
        let shared = Shared::new();
        let first = series(&Lab::sharing(&shared), vec![full.clone(), lora.clone()]);
        let other = cfg(Method::Full, 1e-4);
        let second = series(&Lab::sharing(&shared), vec![lora.clone(), other.clone()]);
        assert_eq!(results(&first), results(&alone));
        let lone_other = series(&Lab::new(), vec![other]);
        assert_eq!(results(&second)[0], results(&alone)[1]);
        assert_eq!(results(&second)[1], results(&lone_other)[0]);
        assert!(second.run.finished(), "{:?}", second.run.phase());
        // Two panels started together with two runs in common: each takes first a run the
        // other has not begun, so neither waits while the other trains; both report, in their
        // own order, what they report alone.
        let shared = Shared::new();
        let both = [
            vec![full.clone(), lora.clone(), lone_cfg(1e-4)],
            vec![full.clone(), lora.clone(), lone_cfg(3e-4)],
        ];
        let together: Vec<Runs> = std::thread::scope(|s| {
            let handles: Vec<_> = both
                .iter()
                .map(|configs| s.spawn(|| series(&Lab::sharing(&shared), configs.clone())))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (runs, configs) in together.iter().zip(&both) {
            assert!(runs.run.finished(), "{:?}", runs.run.phase());
            assert_eq!(
                results(runs),
                results(&series(&Lab::new(), configs.clone()))
            );
        }
    }

    fn lone_cfg(lr: f64) -> FtConfig {
        let mut c = FtConfig::new(Method::Full, 3, lr);
        c.eval_every = 2;
        c.eval_chars = 256;
        c
    }
}
