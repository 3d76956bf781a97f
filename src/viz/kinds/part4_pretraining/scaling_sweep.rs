//! Lesson 17: a scaling law measured on this machine. Five model sizes, spread over about
//! 1.5 decades of non-embedding parameters N, are trained one after another for the same
//! number of steps on a background thread (one compute thread, seeded weights and batches, so
//! a seed always gives the same losses); each size's validation loss is plotted against N on
//! a log axis with the power law with a floor, L = a·N^−α + c, fitted to them
//! ([`crate::labs::part4_pretraining::scaling::fit_power_law`]).
//!
//! The same sweep read another way is an IsoFLOP experiment (Chinchilla's Approach 2): for a
//! few budgets C, each size's validation loss at the step where it has used C ≈ 6·N·D
//! (D = characters seen, 512 a step), one parabola in log N per budget, its lowest point
//! N_opt(C), and the exponent of N_opt ∝ C^a fitted across budgets
//! ([`crate::labs::part4_pretraining::scaling::IsoFlop`]). The budgets are chosen from the sweep's length so
//! that every one is read on at least three sizes, each after its warm-up (the first tenth
//! of its steps) and by its last step. The extra validation losses are forward passes only:
//! they leave the training, and so the power-law view's losses, exactly as they were.

use crate::jobs::{Sink, Waker};
use crate::labs::fmt_num;
use crate::labs::lm::{self, Data, Schedule, TrainState};
use crate::labs::part4_pretraining::scaling::{fit_power_law, n_opt_exponent, IsoFlop, PowerFit};
use crate::viz::kinds::part4_pretraining::lm_common;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::{Run, Setting};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};

/// The sizes swept: (d_model, layers), all with 4 heads and a context of 32.
pub const SIZES: [(usize, usize); 5] = [(16, 1), (24, 1), (32, 1), (48, 1), (64, 2)];
/// Steps per size offered.
const STEPS: [usize; 5] = [50, 100, 250, 500, 750];
/// Progress is posted every this many steps.
const REPORT_EVERY: usize = 10;
/// Characters each step trains on: 16 windows of 32 (the demo preset's batch, the context).
const TOKENS_PER_STEP: f64 = 16.0 * 32.0;
/// IsoFLOP budgets read: the largest, then each half the one before.
const BUDGETS: usize = 4;
/// Views: the power law over the final losses, or IsoFLOP profiles over the whole runs.
const VIEWS: [&str; 2] = ["power-law", "isoflop"];
/// The `view` control's choices: the power law on L, on L − c (log), and IsoFLOP.
const VIEW_NAMES: [&str; 3] = ["power law, L", "power law, L − c (log)", "IsoFLOP"];

pub const KIND: KindDef = KindDef {
    name: "scaling-sweep",
    title: "A scaling law, measured here",
    about: "trains five tiny models (3.3k to 100k non-embedding parameters) for the same number of steps in the background, one after another, and plots each one's validation loss against N on a log axis with the fitted L = a·N^−α + c (α and c printed); or L − c on log–log axes, where the law is a straight line; or, as IsoFLOP profiles, each size's loss at the step where it has used each of four compute budgets C = 6·N·D, a parabola in log N per budget, its lowest N_opt and the fitted exponent of N_opt ∝ C^a",
    params: &[
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: &STEPS, default: 500 }, doc: "training steps for every size (batches of 16 windows of 32 characters)" },
        SEED.int("seed", 1, "seed of every size's initial weights and batches"),
        ParamDef { name: "view", ty: ParamType::Choice { options: &VIEWS, default: "power-law" }, doc: "the view shown first: the power law over final losses, or IsoFLOP profiles (loss against N at fixed compute)" },
        ParamDef { name: "start", ty: ParamType::Bool { default: false }, doc: "start the sweep as the panel opens (for `llmf check` and `render --settle`); otherwise the learner starts it" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(ScalingSweep::new(p)?))
}

mod sweep;
#[cfg(test)]
use sweep::train_size;
use sweep::{budget_step, budgets, config, non_embedding, sweep, SweepEvent};

pub struct ScalingSweep {
    steps: usize,
    seed: u64,
    log_reducible: bool,
    /// The IsoFLOP view instead of the power law.
    isoflop: bool,
    /// Start at the next poll (the `start` parameter), until the run is started.
    pending_start: bool,
    /// (size, step, validation loss) read part-way for the IsoFLOP budgets.
    readings: Vec<(usize, usize, f64)>,
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
        let isoflop = p.index("view")? == 1;
        let pending_start = p.boolean("start")?;
        let run = Run::new(KIND.name, &p.lab()).replayable();
        p.finish()?;
        Ok(Self {
            steps,
            seed,
            log_reducible: false,
            isoflop,
            pending_start,
            readings: Vec::new(),
            run,
            results: Vec::new(),
            progress: None,
        })
    }

    fn start(&mut self) {
        self.pending_start = false;
        // A sweep saved in an earlier session keeps what it shows while its work catches up.
        if !self.run.resumes_by_replay() {
            self.results.clear();
            self.readings.clear();
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
                SweepEvent::Reading {
                    size,
                    step,
                    val_loss,
                } => self.readings.push((size, step, f64::from(val_loss))),
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

    /// The IsoFLOP profiles of the sizes that have reported every loss a budget needs, for
    /// the budgets read on at least three sizes so far.
    pub fn profiles(&self) -> Vec<IsoFlop> {
        let vocab = lm_common::corpus().vocab.len();
        let steps = STEPS[self.steps];
        budgets(steps, vocab)
            .into_iter()
            .filter_map(|c| {
                let points: Vec<(f64, f64)> = (0..SIZES.len())
                    .filter_map(|size| {
                        let step = budget_step(size, c, steps, vocab)?;
                        let (_, n, last) = *self.results.iter().find(|r| r.0 == size)?;
                        let loss = if step == steps {
                            last
                        } else {
                            self.readings.iter().find(|r| r.0 == size && r.1 == step)?.2
                        };
                        Some((n, loss))
                    })
                    .collect();
                (points.len() >= 3).then(|| IsoFlop::new(c, points))
            })
            .collect()
    }

    /// Final figures: the fitted α and c, the largest size's loss, the IsoFLOP exponent.
    fn figures(&self) -> Vec<String> {
        let fit = self.fit();
        let iso = n_opt_exponent(&self.profiles());
        vec![
            fit.map_or("…".into(), |f| fmt_num(f.alpha)),
            fit.map_or("…".into(), |f| format!("{:.2}", f.c)),
            self.results
                .iter()
                .find(|r| r.0 == SIZES.len() - 1)
                .map_or("…".into(), |r| format!("{:.3}", r.2)),
            iso.map_or("…".into(), |a| format!("{a:.2}")),
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

impl ScalingSweep {
    /// The IsoFLOP text: what is read, each budget's N_opt, and the exponent.
    fn isoflop_lines(&self, profiles: &[IsoFlop]) -> Vec<String> {
        let mut lines = vec![
            "IsoFLOP: loss of each size at the step where C = 6·N·D, D = 512 chars a step"
                .to_string(),
        ];
        if profiles.is_empty() {
            lines.push(format!(
                "each budget needs 3 sizes done ({} of {} so far)",
                self.results.len(),
                SIZES.len()
            ));
            return lines;
        }
        let opts: Vec<String> = profiles
            .iter()
            .map(|p| {
                let at = match (p.n_opt, p.inside) {
                    (Some(n), true) => fmt_n(n),
                    (Some(n), false) => format!("({})", fmt_n(n)),
                    (None, _) => "none".into(),
                };
                format!("{} → {at}", fmt_c(p.budget))
            })
            .collect();
        lines.push(format!("N_opt: {}", opts.join(" · ")));
        let inside = profiles.iter().filter(|p| p.inside).count();
        let note = if inside < profiles.len() {
            " · (…) outside the sizes · none: no valley"
        } else {
            ""
        };
        lines.push(match n_opt_exponent(profiles) {
            Some(a) => format!("N_opt ∝ C^{a:.2} over {inside} budgets{note}"),
            None => format!("N_opt ∝ C^a needs 2 valleys inside the sizes{note}"),
        });
        lines
    }

    /// Loss against N at each budget: the measured points, each budget's parabola, the minima.
    fn isoflop_chart(&self, profiles: &[IsoFlop]) -> Part {
        const MARKS: [char; BUDGETS] = ['a', 'b', 'c', 'd'];
        let mut series = Vec::new();
        for (k, p) in profiles.iter().enumerate() {
            let Some(fit) = p.fit else { continue };
            let (lo, hi) = (
                p.points[0].0.log10(),
                p.points[p.points.len() - 1].0.log10(),
            );
            let line = (0..=30)
                .map(|i| {
                    let x = lo + (hi - lo) * f64::from(i) / 30.0;
                    (10f64.powf(x), fit.at(x))
                })
                .collect();
            series.push(Series {
                name: format!("C {}", fmt_c(p.budget)),
                marker: MARKS[k % BUDGETS],
                points: line,
                faint: false,
            });
        }
        // The measured points are not drawn: a chart joins a series' points, and joined across
        // budgets they would read as one more curve. Each parabola spans the sizes it was fitted to.
        series.push(Series {
            name: "N_opt(C)".into(),
            marker: '@',
            points: profiles
                .iter()
                .filter(|p| p.inside)
                .filter_map(|p| Some((p.n_opt?, p.loss_at_opt()?)))
                .collect(),
            faint: false,
        });
        Part::Chart(ChartView {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_log: true,
            y_log: false,
            series,
        })
    }
}

impl ScalingSweep {
    /// Where the `view` control stands, in [`VIEW_NAMES`].
    fn view_index(&self) -> usize {
        match (self.isoflop, self.log_reducible) {
            (true, _) => 2,
            (false, true) => 1,
            (false, false) => 0,
        }
    }
}

impl Controls for ScalingSweep {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.run(&self.run, |s| {
            if s.run.toggle() {
                s.start();
            }
        });
        let steps = STEPS.iter().map(ToString::to_string).collect();
        k.choice("steps per size", steps, self.steps, |s, i| {
            s.change(|s| s.steps = i);
        });
        k.seed("seed", self.seed, |s, seed| s.change(|s| s.seed = seed));
        // One control for the chart: the power law on loss L or on L − c (log), or the
        // IsoFLOP profiles (which plot the loss itself).
        let views = VIEW_NAMES.iter().map(ToString::to_string).collect();
        k.choice("view", views, self.view_index(), |s, view| {
            (s.log_reducible, s.isoflop) = (view == 1, view == 2);
        });
    }
}

impl ScalingSweep {
    /// Applies a new setting. New settings make a different experiment: a finished one is
    /// kept for comparison, under the settings it ran with.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let (steps, seed) = (self.steps, self.seed);
        set(self);
        if (steps, seed) == (self.steps, self.seed) {
            return;
        }
        let now = (self.steps, self.seed);
        (self.steps, self.seed) = (steps, seed);
        let kept = (self.settings(), vec![self.measured()], self.figures());
        self.run.keep(kept.0, kept.1, kept.2);
        (self.steps, self.seed) = now;
        self.results.clear();
        self.readings.clear();
        self.progress = None;
        self.run.clear();
    }
}

impl Visual for ScalingSweep {
    fn busy(&self) -> bool {
        self.pending_start || self.run.running()
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
            SweepEvent::Reading {
                size,
                step,
                val_loss,
            } => *size < SIZES.len() && *step <= steps && val_loss.is_finite(),
            SweepEvent::Done { size, .. } => *size < SIZES.len(),
            SweepEvent::Failed(_) => false,
        };
        let same = at.is_some()
            && serde_json::to_value(self.settings()).ok().as_ref() == panel.get("settings")
            // Per size: its progress reports, a reading per IsoFLOP budget, its end.
            && events.len() <= SIZES.len() * (steps / REPORT_EVERY + 2 + BUDGETS)
            && events.iter().all(fits);
        if !same {
            (self.steps, self.seed) = before;
            self.run.clear();
            return Err(format!(
                "{origin}: its scaling-sweep settings or results do not fit this panel; press → on \"run\" to start again"
            ));
        }
        self.results.clear();
        self.readings.clear();
        self.progress = None;
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
        let mut parts = if self.isoflop {
            let profiles = self.profiles();
            let mut text = vec![self.status()];
            text.extend(self.isoflop_lines(&profiles));
            vec![Part::Text(text), self.isoflop_chart(&profiles)]
        } else {
            let mut text = vec![self.status(), fit_line];
            if !measured.is_empty() {
                text.push(format!("L(N): {measured}"));
            }
            vec![Part::Text(text), self.chart(fit.as_ref())]
        };
        parts.extend(self.run.history_table(
            &self.settings(),
            &["run", "α", "c", "L at 100k", "IsoFLOP a"],
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

/// A budget in FLOPs: 1.96e10.
fn fmt_c(c: f64) -> String {
    let e = c.log10().floor();
    format!("{:.1}e{e}", c / 10f64.powf(e))
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
mod tests;
