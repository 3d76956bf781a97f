//! Lesson 22: forgetting and overfitting, measured on the shipped model.
//! - forgetting: fine-tune on the course's question–answer pairs three ways (full, LoRA, full
//!   with a share of each batch replayed from the original corpus) and watch the loss on the
//!   original corpus;
//! - overfitting: fine-tune on a handful of questions for many steps and watch the training
//!   loss fall while the held-out loss turns back up, with the early-stopping point marked.
//!
//! Both run in the background from the first poll, pause when the learner leaves the step and
//! resume on the run key; a changed setting starts again, keeping the finished run to compare.

use crate::jobs::Waker;
use crate::labs::lm::finetune::{best_stop, FtConfig, Method};
use crate::labs::lm::lora::QV;
use crate::viz::kinds::part5_adapting::ft_common::{
    self, loss_chart, progress, DataSet, RunLog, Runs,
};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::Setting;
use crate::viz::view::{Part, Series, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const EXPERIMENTS: [&str; 2] = ["forgetting", "overfitting"];
/// The share of each batch replayed from the original corpus, a control and a parameter.
const REPLAY: Scale = Scale::linear(0.0, 0.9, 0.1, 1);
/// Optimizer steps per run, a control and a parameter.
const STEPS: Scale = Scale::linear(20.0, 400.0, 20.0, 0);
/// Full fine-tuning's learning rate (the full and replay runs): high enough for the damage to
/// show within a minute.
pub const LR: f64 = 1e-3;
/// The LoRA run's: three times higher, as adapters start from zero and take larger steps, and
/// still it forgets less.
pub const LORA_LR: f64 = 3e-3;
/// The LoRA run's rank (on W_q and W_v).
pub const RANK: usize = 8;
/// Training questions in the overfitting run, and its (gentle) learning rate: small enough
/// that the held-out loss first improves before memorising takes over.
pub const SMALL_SET: usize = 24;
pub const OVERFIT_LR: f64 = 1e-4;

pub const KIND: KindDef = KindDef {
    name: "forgetting",
    title: "Forgetting and overfitting, measured",
    about: "fine-tunes the shipped model on the course's question-answer pairs in the background: loss on the original corpus as full fine-tuning, LoRA and replay (a share of each batch from the original corpus) train; or, on a handful of questions, train and held-out loss diverging with the best early-stopping step marked",
    params: &[
        ParamDef { name: "experiment", ty: ParamType::Choice { options: &EXPERIMENTS, default: "forgetting" }, doc: "forgetting (full vs LoRA vs replay) or overfitting (a small training set)" },
        REPLAY.float("replay", 0.5, "share of each batch taken from the original corpus in the replay run"),
        STEPS.int("steps", 100, "optimizer steps per run (forgetting) or of the single run (overfitting, which takes twice as many)"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Forgetting::new(p)?))
}

pub struct Forgetting {
    experiment: usize,
    replay: f64,
    steps: usize,
    runs: Runs,
    /// The full and LoRA runs' finished results, kept when only the replay share changed:
    /// the next series runs the replay run alone.
    unchanged: Vec<RunLog>,
}

impl Forgetting {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let experiment = p.index("experiment")?;
        let replay = p.float("replay")?;
        let steps = p.int("steps")? as usize;
        let mut runs = Runs::new(KIND.name, &p.lab());
        p.finish()?;
        runs.run.rekey(EXPERIMENTS[experiment]);
        Ok(Self {
            experiment,
            replay,
            steps,
            runs,
            unchanged: Vec::new(),
        })
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        let mut out = vec![("steps", self.run_steps().to_string())];
        if !self.overfitting() {
            out.insert(0, ("replay", format!("{:.0}%", 100.0 * self.replay)));
        }
        out
    }

    /// What a finished run is kept as: the line that changes with the settings (the replay
    /// run's original loss; the overfitting run's held-out loss) and its final figures.
    fn keep(&mut self) {
        let i = if self.overfitting() { 0 } else { 2 };
        let Some(log) = self.runs.logs.get(i) else {
            return;
        };
        let pick = |p: &crate::labs::lm::finetune::Point| {
            if self.overfitting() {
                p.held_out
            } else {
                p.original
            }
        };
        let line = Series {
            name: "kept".into(),
            marker: '·',
            points: log
                .points
                .iter()
                .map(|p| (p.step as f64, f64::from(pick(p))))
                .collect(),
            faint: true,
        };
        let figures = self.figures();
        let settings = self.settings();
        self.runs.run.keep(settings, vec![line], figures);
    }

    /// Final figures: the replay run's change of original loss (forgetting), or the best
    /// stopping step and its held-out loss (overfitting).
    fn figures(&self) -> Vec<String> {
        let dots = || vec!["…".to_string(), "…".to_string()];
        if self.overfitting() {
            let log = self.runs.logs.first();
            return log
                .and_then(|l| best_stop(&l.points))
                .map_or_else(dots, |b| {
                    vec![b.step.to_string(), format!("{:.3}", b.held_out)]
                });
        }
        let Some(log) = self.runs.logs.get(2).filter(|l| l.done) else {
            return dots();
        };
        match (log.points.first(), log.points.last()) {
            (Some(a), Some(b)) => vec![
                format!("{:.3}", b.held_out),
                format!("{:+.3}", b.original - a.original),
            ],
            _ => dots(),
        }
    }

    fn history(&self) -> Option<Part> {
        let heads: &[&str] = if self.overfitting() {
            &["run", "best stop", "held-out"]
        } else {
            &["run", "replay: new", "change"]
        };
        self.runs
            .run
            .history_table(&self.settings(), heads, self.figures())
    }

    fn overfitting(&self) -> bool {
        self.experiment == 1
    }

    fn run_steps(&self) -> usize {
        if self.overfitting() {
            2 * self.steps
        } else {
            self.steps
        }
    }

    fn configs(&self) -> Vec<FtConfig> {
        let n = self.run_steps();
        let every = (n / 12).max(5);
        let cfg = |method: Method, replay: f64| {
            let lr = if method == Method::Full { LR } else { LORA_LR };
            let mut c = FtConfig::new(method, n, lr);
            c.replay = replay;
            c.eval_every = every;
            c.eval_chars = ft_common::EVAL_CHARS;
            c
        };
        if self.overfitting() {
            let mut c = cfg(Method::Full, 0.0);
            c.lr = OVERFIT_LR;
            return vec![c];
        }
        vec![
            cfg(Method::Full, 0.0),
            cfg(Method::lora(RANK, &QV), 0.0),
            cfg(Method::Full, self.replay),
        ]
    }

    fn names(&self) -> Vec<String> {
        if self.overfitting() {
            return vec![format!("full, {SMALL_SET} questions")];
        }
        vec![
            "full".into(),
            format!("LoRA r={RANK}"),
            format!("replay {:.0}%", 100.0 * self.replay),
        ]
    }

    fn start(&mut self) {
        let which = if self.overfitting() {
            DataSet::Small(SMALL_SET)
        } else {
            DataSet::All
        };
        let done = std::mem::take(&mut self.unchanged);
        self.runs.start_after(done, self.configs(), which, None);
    }

    fn forgetting_parts(&self, runs: &Runs) -> Vec<Part> {
        let names = self.names();
        let rows = runs
            .logs
            .iter()
            .zip(&names)
            .map(|(log, name)| {
                let (first, last) = (log.points.first(), log.points.last().filter(|_| log.done));
                let f = |x: Option<f32>| x.map_or("…".into(), |v| format!("{v:.3}"));
                vec![
                    name.clone(),
                    f(last.map(|p| p.held_out)),
                    f(first.map(|p| p.original)),
                    f(last.map(|p| p.original)),
                    match (first, last) {
                        (Some(a), Some(b)) => format!("{:+.3}", b.original - a.original),
                        _ => "…".into(),
                    },
                ]
            })
            .collect();
        let mut chart = loss_chart(
            "loss on the original corpus by step",
            runs,
            &names,
            &['F', 'L', 'R'],
            |p| p.original,
        );
        if let Part::Chart(c) = &mut chart {
            let mut ghosts = runs.run.ghosts(&self.settings(), &[], '·');
            ghosts.append(&mut c.series);
            c.series = ghosts;
        }
        let mut parts = vec![
            Part::Text(vec![progress(runs, &names, self.run_steps())]),
            Part::Table(TableView {
                title: "loss in nats/char: new = held-out answers".into(),
                headers: ["run", "new", "original before", "after", "change"]
                    .map(String::from)
                    .to_vec(),
                rows,
                highlight: None,
            }),
            chart,
        ];
        parts.extend(self.history());
        parts
    }

    fn overfitting_parts(&self, runs: &Runs) -> Vec<Part> {
        let names = self.names();
        let log = runs.logs.first().cloned().unwrap_or_default();
        let mut lines = vec![progress(runs, &names, self.run_steps())];
        let best = best_stop(&log.points);
        if let (Some(b), Some(last)) = (best, log.points.last()) {
            lines.push(format!(
                "lowest held-out loss {:.3} at step {} (train {:.3}); at step {}: held-out {:.3}, train {:.3}",
                b.held_out, b.step, b.train, last.step, last.held_out, last.train
            ));
        }
        let mut chart = loss_chart(
            "answer loss by step: train *, held-out o, best stop X",
            runs,
            &["train".into()],
            &['*'],
            |p| p.train,
        );
        if let Part::Chart(c) = &mut chart {
            let mut ghosts = runs.run.ghosts(&self.settings(), &[], '·');
            ghosts.append(&mut c.series);
            c.series = ghosts;
            c.series.push(Series {
                name: "held-out".into(),
                marker: 'o',
                points: log
                    .points
                    .iter()
                    .map(|p| (p.step as f64, f64::from(p.held_out)))
                    .collect(),
                faint: false,
            });
            if let Some(b) = best {
                c.series.push(Series {
                    name: format!("early stop: step {}", b.step),
                    marker: 'X',
                    points: vec![(b.step as f64, f64::from(b.held_out))],
                    faint: false,
                });
            }
        }
        let mut parts = vec![Part::Text(lines), chart];
        parts.extend(self.history());
        parts
    }
}

impl Controls for Forgetting {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.run(&self.runs.run, |f| {
            if f.runs.run.toggle() {
                f.start();
            }
        });
        let experiments = EXPERIMENTS.iter().map(ToString::to_string).collect();
        k.choice("experiment", experiments, self.experiment, |f, i| {
            f.change(|f| f.experiment = i);
        });
        k.slider("replay share", self.replay, REPLAY, |f, r| {
            f.change(|f| f.replay = r);
        });
        // The overfitting run takes twice the steps: the slider shows what runs.
        let times = self.run_steps() / self.steps.max(1);
        let scale = STEPS.times(times as f64);
        k.count("steps", self.run_steps(), scale, move |f, s| {
            f.change(|f| f.steps = s / times);
        });
    }
}

impl Forgetting {
    /// Applies a new setting. A finished run is kept for comparison under the settings it
    /// ran with, and the runs start again.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let before = (self.experiment, self.replay, self.steps);
        set(self);
        if before == (self.experiment, self.replay, self.steps) {
            return;
        }
        let now = (self.experiment, self.replay, self.steps);
        (self.experiment, self.replay, self.steps) = before;
        self.keep();
        (self.experiment, self.replay, self.steps) = now;
        // Only the replay run depends on the replay share: the full and LoRA runs keep their
        // finished results, and the next series runs the replay run alone.
        let replay_only = (before.0, before.2) == (now.0, now.2) && !self.overfitting();
        self.unchanged = if replay_only {
            self.runs
                .logs
                .iter()
                .take(2)
                .filter(|l| l.done)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if self.unchanged.len() < 2 {
            self.unchanged.clear();
        }
        self.runs.clear();
        self.runs.run.rekey(EXPERIMENTS[self.experiment]);
    }
}

impl Visual for Forgetting {
    fn busy(&self) -> bool {
        self.runs.busy() || self.runs.waiting()
    }

    /// Kept when the learner leaves: a run that is going pauses where it is, and says so.
    fn leave(&mut self) -> bool {
        self.runs.run.leave();
        true
    }

    fn clear_history(&mut self) -> bool {
        self.runs.run.clear_history()
    }

    /// Saved by its reports, resumed by recomputing them ([`crate::viz::run::replay`]); the
    /// full and LoRA results a replay-only series kept are saved as they are.
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let settings = serde_json::json!([self.experiment, self.replay, self.steps]);
        self.runs.suspend(settings)
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let bad = || {
            format!("{origin}: its forgetting settings are out of range; press → on \"run\" to start again")
        };
        // Each experiment keeps its runs under its own name: the file says which it is.
        let (header, _) = crate::viz::run::saved::decode(bytes, origin)?;
        let experiment = EXPERIMENTS
            .iter()
            .position(|e| *e == header.kind)
            .ok_or_else(bad)?;
        self.runs.run.rekey(EXPERIMENTS[experiment]);
        let r = self.runs.restore(bytes, origin);
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                self.runs.run.rekey(EXPERIMENTS[self.experiment]);
                return Err(e);
            }
        };
        let settings = serde_json::from_value::<(usize, f64, usize)>(r.settings.clone());
        let Ok((exp, replay, steps)) = settings.map_err(drop).and_then(|s| {
            (s.0 == experiment && (0.0..=0.9).contains(&s.1) && (20..=400).contains(&s.2))
                .then_some(s)
                .ok_or(())
        }) else {
            self.runs.clear();
            self.runs.run.rekey(EXPERIMENTS[self.experiment]);
            return Err(bad());
        };
        (self.experiment, self.replay, self.steps) = (exp, replay, steps);
        self.unchanged.clear();
        self.runs
            .restore_results(r, self.configs().len(), self.run_steps(), origin)
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.runs.waiting() {
            self.runs.run.poll(waker);
            self.start();
            return true;
        }
        self.runs.take(waker)
    }

    fn parts(&self) -> Vec<Part> {
        if self.runs.waiting() {
            return vec![Part::Text(vec!["starting…".into()])];
        }
        if self.overfitting() {
            self.overfitting_parts(&self.runs)
        } else {
            self.forgetting_parts(&self.runs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(params: Value) -> Forgetting {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        Forgetting::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn the_steps_slider_shows_the_steps_the_run_takes_in_either_experiment() {
        let shown = |f: &Forgetting| match &f.controls()[3].kind {
            crate::viz::view::ControlKind::Slider { value, .. } => *value as usize,
            other => panic!("{other:?}"),
        };
        let forgetting = lab(json!({"steps": 100}));
        assert_eq!((shown(&forgetting), forgetting.run_steps()), (100, 100));
        let overfitting = lab(json!({"steps": 100, "experiment": "overfitting"}));
        assert_eq!((shown(&overfitting), overfitting.run_steps()), (200, 200));
    }

    #[test]
    fn full_fine_tuning_raises_the_original_loss_and_replay_limits_it() {
        let mut f = lab(json!({"steps": 60, "replay": 0.5}));
        assert!(f.poll(&crate::jobs::Waker::none()));
        f.runs.wait();
        let runs = &f.runs;
        assert!(runs.run.finished(), "{:?}", runs.run.phase());
        let rise = |i: usize| {
            let p = &runs.logs[i].points;
            p.last().unwrap().original - p[0].original
        };
        // All three start from the same model, so from the same original loss.
        assert_eq!(
            runs.logs[0].points[0].original,
            runs.logs[2].points[0].original
        );
        assert!(rise(0) > 0.0, "full fine-tuning forgets: {}", rise(0));
        assert!(
            rise(2) < rise(0),
            "replay forgets less: {} vs {}",
            rise(2),
            rise(0)
        );
        assert!(
            rise(1) < rise(0),
            "LoRA forgets less: {} vs {}",
            rise(1),
            rise(0)
        );
    }

    /// The learned numbers of a run's points (not its time per step).
    fn losses(log: &RunLog) -> Vec<(usize, f32, f32, f32)> {
        log.points
            .iter()
            .map(|p| (p.step, p.train, p.held_out, p.original))
            .collect()
    }

    #[test]
    fn a_replay_only_series_saved_as_the_app_closes_resumes_to_the_same_numbers() {
        let waker = crate::jobs::Waker::none();
        let mut f = lab(json!({"steps": 20, "replay": 0.5}));
        f.poll(&waker);
        f.runs.wait();
        f.adjust(2, 1);
        f.poll(&waker);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while f.runs.logs[2].points.len() < 2 && std::time::Instant::now() < deadline {
            f.poll(&waker);
            std::thread::yield_now();
        }
        let file = f.suspend().expect("the replay run is saved").unwrap();

        let mut g = lab(json!({"steps": 40, "replay": 0.1}));
        g.restore(&file, "forgetting.run").unwrap();
        assert_eq!((g.steps, g.replay), (20, f.replay));
        for i in 0..3 {
            assert_eq!(losses(&g.runs.logs[i]), losses(&f.runs.logs[i]), "run {i}");
        }
        assert!(
            !g.poll(&waker) && !g.busy(),
            "paused: it does not start by itself"
        );
        g.adjust(0, 1);
        g.runs.wait();
        assert!(g.runs.run.finished(), "{:?}", g.runs.run.phase());

        let mut straight = lab(json!({"steps": 20, "replay": f.replay}));
        straight.poll(&waker);
        straight.runs.wait();
        for i in 0..3 {
            assert_eq!(
                losses(&g.runs.logs[i]),
                losses(&straight.runs.logs[i]),
                "run {i}"
            );
        }
    }

    #[test]
    fn a_new_replay_share_reruns_only_the_replay_run() {
        let mut f = lab(json!({"steps": 20, "replay": 0.5}));
        f.poll(&crate::jobs::Waker::none());
        f.runs.wait();
        let (full, lora) = (f.runs.logs[0].points.clone(), f.runs.logs[1].points.clone());
        assert!(f.runs.logs.iter().all(|l| l.done));
        f.adjust(2, 1);
        assert_eq!(f.unchanged.len(), 2, "the full and LoRA results are kept");
        // The next poll starts the series; only the replay run reports.
        f.poll(&crate::jobs::Waker::none());
        let events = f.runs.run.wait_all();
        let mut started = Vec::new();
        for e in &events {
            if let ft_common::FtEvent::Started { run, .. } = e {
                started.push(*run);
            }
        }
        assert_eq!(started, vec![2], "only the replay run runs again");
        // (Fold what came, as a poll would.)
        let _ = events;
        assert_eq!(f.runs.logs[0].points, full);
        assert_eq!(f.runs.logs[1].points, lora);
        // A new number of steps reruns everything.
        f.adjust(3, 1);
        assert!(f.unchanged.is_empty());
    }

    #[test]
    fn settings_restart_and_the_overfitting_run_has_one_series_of_points() {
        let mut f = lab(json!({"experiment": "overfitting", "steps": 20}));
        assert_eq!(f.configs().len(), 1);
        assert_eq!(f.run_steps(), 40);
        f.poll(&crate::jobs::Waker::none());
        assert!(f.busy());
        f.adjust(2, 1);
        assert!(f.runs.waiting() && f.runs.logs.is_empty());
        assert!((f.replay - 0.6).abs() < 1e-12);
    }
}
