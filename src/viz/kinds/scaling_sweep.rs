//! Lesson 17: a scaling law measured on this machine. Five model sizes, spread over about
//! 1.5 decades of non-embedding parameters N, are trained one after another for the same
//! number of steps on a background thread (one compute thread, seeded weights and batches, so
//! a seed always gives the same losses); each size's validation loss is plotted against N on
//! a log axis with the power law with a floor, L = a·N^−α + c, fitted to them
//! ([`crate::labs::scaling::fit_power_law`]).

use super::lm_common;
use crate::jobs::{Sink, Waker};
use crate::labs::fmt_num;
use crate::labs::lm::{self, Data, Schedule, TrainState};
use crate::labs::scaling::{fit_power_law, PowerFit};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::{Run, Setting};
use crate::viz::view::{ChartView, Control, Part, Series};
use crate::viz::{choice, slider, step_index, step_seed, Visual};

/// The sizes swept: (d_model, layers), all with 4 heads and a context of 32.
pub const SIZES: [(usize, usize); 5] = [(16, 1), (24, 1), (32, 1), (48, 1), (64, 2)];
/// Steps per size offered.
const STEPS: [usize; 5] = [50, 100, 250, 500, 750];
/// Progress is posted every this many steps.
const REPORT_EVERY: usize = 10;

pub const KIND: KindDef = KindDef {
    name: "scaling-sweep",
    title: "A scaling law, measured here",
    about: "trains five tiny models (3.3k to 100k non-embedding parameters) for the same number of steps in the background, one after another, and plots each one's validation loss against N on a log axis with the fitted L = a·N^−α + c (α and c printed); or L − c on log–log axes, where the law is a straight line",
    params: &[
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: &STEPS, default: 500 }, doc: "training steps for every size (batches of 16 windows of 32 characters)" },
        ParamDef { name: "seed", ty: ParamType::Int { min: 0, max: 9999, default: 1 }, doc: "seed of every size's initial weights and batches" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(ScalingSweep::new(p)?))
}

/// Non-embedding parameters of a size: everything but the token and position tables (as
/// Kaplan et al. count N).
pub fn non_embedding(config: &lm::Config) -> usize {
    config.param_count() - (config.vocab + config.context) * config.d_model
}

fn config(size: usize, vocab: usize) -> lm::Config {
    let (d_model, layers) = SIZES[size];
    lm::Config {
        vocab,
        d_model,
        layers,
        heads: 4,
        context: 32,
    }
}

/// Trains size `size` for `steps` steps and returns its mean loss on the whole validation
/// split; `on_step` hears every step and stops the run by returning false (then `None`).
pub fn train_size(
    size: usize,
    steps: usize,
    seed: u64,
    data: &Data,
    on_step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<f32>, String> {
    let base = lm::preset("demo")
        .ok_or("the demo preset is missing")?
        .train;
    let recipe = lm::TrainConfig {
        steps,
        seed,
        warmup: steps / 10,
        schedule: Schedule::Cosine,
        eval_every: 0,
        sample_every: 0,
        ..base
    };
    let cfg = config(size, data.vocab.len());
    let mut state =
        TrainState::fresh(cfg, data.vocab.clone(), recipe).map_err(|e| e.to_string())?;
    for step in 1..=steps {
        state.step(data).map_err(|e| e.to_string())?;
        if !on_step(step) {
            return Ok(None);
        }
    }
    lm::loss::mean_loss(&state.model, &data.val)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// What the sweep thread reports.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum SweepEvent {
    Progress { size: usize, step: usize },
    Done { size: usize, val_loss: f32 },
    Failed(String),
}

/// The whole sweep, on the calling thread (the visualizer runs it on its own).
fn sweep(steps: usize, seed: u64, tx: &dyn Sink<SweepEvent>) {
    let data = lm_common::corpus();
    for size in 0..SIZES.len() {
        // A sweep nobody watches stops at once, not at its next report.
        let mut report = |step: usize| {
            !tx.closed()
                && (!step.is_multiple_of(REPORT_EVERY)
                    || tx.send(SweepEvent::Progress { size, step }).is_ok())
        };
        match train_size(size, steps, seed, &data, &mut report) {
            Ok(Some(val_loss)) => {
                if tx.send(SweepEvent::Done { size, val_loss }).is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(why) => {
                let _ = tx.send(SweepEvent::Failed(why));
                return;
            }
        }
    }
}

pub struct ScalingSweep {
    steps: usize,
    seed: u64,
    log_reducible: bool,
    /// The run, started from a key press.
    run: Run<SweepEvent>,
    /// (size, N, validation loss) of each finished size.
    results: Vec<(usize, f64, f64)>,
    /// (size, step) of the latest progress report.
    progress: Option<(usize, usize)>,
}

impl ScalingSweep {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let steps = p.index("steps")?;
        let seed = p.int("seed")? as u64;
        let run = Run::new(KIND.name, &p.lab()).replayable();
        p.finish()?;
        Ok(Self {
            steps,
            seed,
            log_reducible: false,
            run,
            results: Vec::new(),
            progress: None,
        })
    }

    fn start(&mut self) {
        // A sweep saved in an earlier session keeps what it shows while its work catches up.
        if !self.run.resumes_by_replay() {
            self.results.clear();
            self.progress = None;
        }
        let (steps, seed) = (STEPS[self.steps], self.seed);
        self.run.start(move |tx| {
            lm::threads::single_threaded(|| sweep(steps, seed, &tx));
        });
    }

    fn take(&mut self, events: Vec<SweepEvent>) {
        let vocab = lm_common::corpus().vocab.len();
        let steps = STEPS[self.steps];
        for e in events {
            match e {
                SweepEvent::Progress { size, step, .. } => {
                    self.progress = Some((size, step));
                    // Bigger sizes take longer a step: weigh each by its parameters.
                    let weight = |s: usize| non_embedding(&config(s, vocab)) as f64;
                    let total: f64 = (0..SIZES.len()).map(weight).sum();
                    let before: f64 = (0..size).map(weight).sum();
                    let share = (before + weight(size) * step as f64 / steps as f64) / total;
                    self.run.progress(share);
                }
                SweepEvent::Done { size, val_loss } => {
                    let n = non_embedding(&config(size, vocab)) as f64;
                    self.results.push((size, n, f64::from(val_loss)));
                }
                SweepEvent::Failed(why) => self.run.fail(why),
            }
        }
    }

    /// Runs the whole sweep on this thread (tests).
    #[cfg(test)]
    pub fn run_to_end(&mut self) {
        self.start();
        let events = self.run.wait_all();
        self.take(events);
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![
            ("steps", STEPS[self.steps].to_string()),
            ("seed", self.seed.to_string()),
        ]
    }

    /// Final figures: the fitted α and c, and the largest size's loss.
    fn figures(&self) -> Vec<String> {
        let fit = self.fit();
        vec![
            fit.map_or("…".into(), |f| fmt_num(f.alpha)),
            fit.map_or("…".into(), |f| format!("{:.2}", f.c)),
            self.results
                .iter()
                .find(|r| r.0 == SIZES.len() - 1)
                .map_or("…".into(), |r| format!("{:.3}", r.2)),
        ]
    }

    /// The measured losses as one line against N.
    fn measured(&self) -> Series {
        Series {
            name: "measured".into(),
            marker: 'o',
            points: self.results.iter().map(|r| (r.1, r.2)).collect(),
            faint: false,
        }
    }

    pub fn fit(&self) -> Option<PowerFit> {
        let points: Vec<(f64, f64)> = self.results.iter().map(|r| (r.1, r.2)).collect();
        fit_power_law(&points)
    }

    fn status(&self) -> String {
        let total = SIZES.len();
        let steps = STEPS[self.steps];
        let (size, step) = self.progress.unwrap_or_default();
        let (d, layers) = SIZES[size];
        self.run.status(
            &format!("{total} sizes × {steps} steps each, seed {}", self.seed),
            &format!(
                "size {} of {total} (d{d}, {layers} layer{}), step {step}/{steps}",
                size + 1,
                if layers == 1 { "" } else { "s" },
            ),
        )
    }

    fn chart(&self, fit: Option<&PowerFit>) -> Part {
        let vocab = lm_common::corpus().vocab.len();
        let ns: Vec<f64> = (0..SIZES.len())
            .map(|s| non_embedding(&config(s, vocab)) as f64)
            .collect();
        let (lo, hi) = (ns[0].ln(), ns[ns.len() - 1].ln());
        let floor = if self.log_reducible {
            fit.map_or(0.0, |f| f.c)
        } else {
            0.0
        };
        let mut series = self.run.ghosts(&self.settings(), &[], '·');
        if floor > 0.0 {
            for s in &mut series {
                for p in &mut s.points {
                    p.1 -= floor;
                }
                // Another run's points can fall under this run's floor: off a log axis.
                s.points.retain(|p| p.1 > 0.0);
            }
        }
        if let Some(f) = fit {
            let line = (0..=40)
                .map(|k| {
                    let n = (lo + (hi - lo) * f64::from(k) / 40.0).exp();
                    (n, f.predict(n) - floor)
                })
                .collect();
            series.push(Series {
                name: "fit".into(),
                marker: '.',
                points: line,
                faint: false,
            });
        }
        for &(size, n, loss) in &self.results {
            let (d, layers) = SIZES[size];
            series.push(Series {
                name: if layers == 1 {
                    format!("d{d}")
                } else {
                    format!("d{d}×{layers}")
                },
                marker: char::from_digit(size as u32 + 1, 10).unwrap_or('o'),
                points: vec![(n, loss - floor)],
                faint: false,
            });
        }
        Part::Chart(ChartView {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_log: true,
            y_log: self.log_reducible,
            series,
        })
    }
}

impl Visual for ScalingSweep {
    fn controls(&self) -> Vec<Control> {
        vec![
            self.run.control(),
            choice(
                "steps per size",
                STEPS.iter().map(ToString::to_string).collect(),
                self.steps,
            ),
            slider("seed", self.seed as f64, 0.0, 9999.0, 1.0, 0),
            choice(
                "y axis",
                vec!["loss L".into(), "L − c (log)".into()],
                usize::from(self.log_reducible),
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        let (steps, seed) = (self.steps, self.seed);
        match index {
            0 => {
                if self.run.toggle() {
                    self.start();
                }
                return;
            }
            1 => self.steps = step_index(self.steps, delta, STEPS.len()),
            2 => self.seed = step_seed(self.seed, delta),
            3 => {
                self.log_reducible = !self.log_reducible;
                return;
            }
            _ => return,
        }
        if (steps, seed) == (self.steps, self.seed) {
            return;
        }
        // New settings make a different experiment: a finished one is kept for comparison,
        // under the settings it ran with.
        let now = (self.steps, self.seed);
        (self.steps, self.seed) = (steps, seed);
        let kept = (self.settings(), vec![self.measured()], self.figures());
        self.run.keep(kept.0, kept.1, kept.2);
        (self.steps, self.seed) = now;
        self.results.clear();
        self.progress = None;
        self.run.clear();
    }

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

    /// Saved by its reports, resumed by recomputing them ([`crate::viz::run::replay`]). The
    /// settings' labels are saved beside the indices: a sweep of settings this panel would
    /// set differently is refused, not recomputed with others.
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let events = self.run.suspend();
        self.take(events);
        let panel = serde_json::json!({"at": [self.steps, self.seed], "settings": self.settings()});
        self.run.file(panel)
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let (panel, events) = self.run.restore_reports(bytes, origin)?;
        let before = (self.steps, self.seed);
        let at = serde_json::from_value::<(usize, u64)>(panel["at"].clone())
            .ok()
            .filter(|&(steps, seed)| steps < STEPS.len() && seed <= 9999);
        if let Some(at) = at {
            (self.steps, self.seed) = at;
        }
        let steps = STEPS[self.steps];
        let fits = |e: &SweepEvent| match e {
            SweepEvent::Progress { size, step } => *size < SIZES.len() && *step <= steps,
            SweepEvent::Done { size, .. } => *size < SIZES.len(),
            SweepEvent::Failed(_) => false,
        };
        let same = at.is_some()
            && serde_json::to_value(self.settings()).ok().as_ref() == panel.get("settings")
            && events.len() <= SIZES.len() * (steps / REPORT_EVERY + 2)
            && events.iter().all(fits);
        if !same {
            (self.steps, self.seed) = before;
            self.run.clear();
            return Err(format!(
                "{origin}: its scaling-sweep settings or results do not fit this panel; press → on \"run\" to start again"
            ));
        }
        self.results.clear();
        self.progress = None;
        self.take(events);
        Ok(())
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.take(events);
        news
    }

    fn parts(&self) -> Vec<Part> {
        let fit = self.fit();
        let fit_line = match &fit {
            Some(f) => format!(
                "fit L = a·N^−α + c: a = {}, α = {}, {}",
                fmt_num(f.a),
                fmt_num(f.alpha),
                fmt_floor(f.c)
            ),
            None => format!(
                "the fit L = a·N^−α + c needs 3 sizes ({} so far)",
                self.results.len()
            ),
        };
        let measured = self
            .results
            .iter()
            .map(|(_, n, l)| format!("{} {l:.3}", fmt_n(*n)))
            .collect::<Vec<_>>()
            .join(" · ");
        let mut text = vec![self.status(), fit_line];
        if !measured.is_empty() {
            text.push(format!("L(N): {measured}"));
        }
        let mut parts = vec![Part::Text(text), self.chart(fit.as_ref())];
        parts.extend(self.run.history_table(
            &self.settings(),
            &["run", "α", "c", "L at 100k"],
            self.figures(),
        ));
        parts
    }
}

/// The fitted floor c, to the 0.01 nats/char the losses are read to. The fit searches c
/// from 0 up, and over these small sizes it often settles at 0 (printed as 7e-13 before):
/// then no floor shows within reach, which is said in words.
fn fmt_floor(c: f64) -> String {
    if c < 0.005 {
        "c ≈ 0 nats/char (no floor)".into()
    } else {
        format!("c = {c:.2} nats/char")
    }
}

/// 3312 → "3.3k", 100096 → "100k".
fn fmt_n(n: f64) -> String {
    if n >= 1e5 {
        format!("{:.0}k", n / 1e3)
    } else {
        format!("{:.1}k", n / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    #[test]
    fn sizes_span_a_decade_and_a_half_of_non_embedding_parameters() {
        // Per layer 12d² + 13d, plus the final norm 2d (see lm::Config::param_count):
        // d16: 12·256 + 208 + 32 = 3312; d64 × 2 layers: 2·(12·4096 + 832) + 128 = 100096.
        let v = lm_common::corpus().vocab.len();
        assert_eq!(non_embedding(&config(0, v)), 3312);
        assert_eq!(non_embedding(&config(1, v)), 7272);
        assert_eq!(non_embedding(&config(4, v)), 100_096);
        let decades = (100_096f64 / 3312.0).log10();
        assert!((1.4..1.6).contains(&decades), "{decades}");
    }

    #[test]
    fn a_seed_gives_the_same_loss_twice() {
        let data = lm_common::corpus();
        let run = || {
            lm::threads::single_threaded(|| {
                train_size(0, 20, 5, &data, &mut |_| true).unwrap().unwrap()
            })
        };
        assert_eq!(run().to_bits(), run().to_bits());
        assert_eq!(train_size(0, 20, 5, &data, &mut |s| s < 3).unwrap(), None);
    }

    #[test]
    fn the_fit_recovers_the_sweeps_own_points() {
        let map: Map<String, Value> = serde_json::from_value(json!({"steps": 50})).unwrap();
        let mut s = ScalingSweep::new(Params::new(&map, &KIND)).unwrap();
        s.run_to_end();
        assert!(s.run.finished(), "{:?}", s.run.phase());
        assert_eq!(s.results.len(), 5);
        let uniform = (lm_common::corpus().vocab.len() as f64).ln();
        for r in &s.results {
            assert!(r.2 < uniform, "{r:?}");
        }
        let fit = s.fit().unwrap();
        for &(_, n, loss) in &s.results {
            assert!(
                (fit.predict(n) - loss).abs() < 0.1,
                "N {n}: measured {loss}, fit {} ({fit:?})",
                fit.predict(n)
            );
        }
        let text = format!("{:?}", s.parts());
        assert!(
            text.contains(&format!("α = {}", fmt_num(fit.alpha))),
            "{text}"
        );
        assert!(text.contains(&fmt_floor(fit.c)), "{text}");
        // Every result shown, it still fits 80x24's stacked panel (76 columns, 15 rows).
        for log in [false, true] {
            s.log_reducible = log;
            let view = crate::viz::view::View {
                controls: s.controls(),
                selected_control: 0,
                parts: s.parts(),
            };
            assert!(crate::ui::widgets::view_height(&view, 76) <= 15);
        }
    }

    #[test]
    fn the_floor_reads_to_a_hundredth_and_a_zero_floor_says_so() {
        // 4.63e-13 is what the sweep fitted on seed 1: a floor of nothing.
        assert_eq!(fmt_floor(4.63e-13), "c ≈ 0 nats/char (no floor)");
        assert_eq!(fmt_floor(0.004_9), "c ≈ 0 nats/char (no floor)");
        assert_eq!(fmt_floor(1.234), "c = 1.23 nats/char");
        assert_eq!(fmt_floor(0.005), "c = 0.01 nats/char");
    }
}
