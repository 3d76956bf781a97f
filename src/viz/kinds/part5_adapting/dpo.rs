//! Lesson 24: DPO on the tiny GPT, live ([`crate::labs::lm::dpo`]). The preference pairs are
//! the course's quizzes (lessons 01–19): the prompt "Q: question⏎A: ", the right answer
//! preferred to each wrong one; whole questions are held out for testing. The panel plots the
//! DPO loss, the implicit reward margin, or how far the preferred and rejected answers'
//! log-probabilities moved from the reference, on training and held-out pairs.

use crate::jobs::{Sink, Waker};
use crate::labs::lm;
use crate::labs::lm::dpo::{DpoConfig, DpoStats, DpoTrainer, PrefText};
use crate::labs::part5_adapting::reward_model::{split_questions, Question};
use crate::viz::kinds::part5_adapting::reward_model::course_questions;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::{Run, Setting};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};

const CHARTS: &[&str] = &["loss", "margin", "shifts"];
const CHART_NAMES: &[&str] = &["DPO loss", "implicit reward margin", "ln π − ln π_ref"];
const BETAS: &[f64] = &[0.1, 0.2, 0.5, 1.0];
const BETA_NAMES: &[&str] = &["0.1", "0.2", "0.5", "1"];
const STEPS: &[usize] = &[50, 100];
/// Pairs per step, characters of each answer kept, Adam's learning rate.
const BATCH: usize = 8;
const MAX_RESPONSE: usize = 40;
const LR: f64 = 3e-4;
/// Share of questions held out, and how often (in steps) every pair is scored.
const HELD_OUT: f64 = 0.25;
const EVAL_EVERY: usize = 10;

pub const KIND: KindDef = KindDef {
    name: "dpo",
    title: "DPO on the tiny GPT",
    about: "trains a copy of the shipped model with DPO on the course's quiz pairs (right answer preferred to each wrong one, whole questions held out) and plots the DPO loss, the implicit reward margin β·(Δ_w − Δ_l), or how far the preferred and rejected answers' log-probabilities moved from the frozen reference, on training and held-out pairs",
    params: &[
        ParamDef { name: "beta", ty: ParamType::Choice { options: BETA_NAMES, default: "0.1" }, doc: "DPO's β" },
        ParamDef { name: "chart", ty: ParamType::Choice { options: CHARTS, default: "loss" }, doc: "what the chart plots first" },
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: STEPS, default: 100 }, doc: "DPO steps (8 pairs each)" },
        SEED.int("seed", 1, "seed of the question split and the batches"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Dpo::new(p)?))
}

/// The quiz pairs as text, split by question: (train, held out).
pub fn quiz_pairs(questions: &[Question], seed: u64) -> (Vec<PrefText>, Vec<PrefText>) {
    let (train, test) = split_questions(questions.len(), HELD_OUT, seed);
    let texts = |ids: &[usize]| -> Vec<PrefText> {
        let mut out = Vec::new();
        for &i in ids {
            let q = &questions[i];
            let Some(right) = q.choices.get(q.answer) else {
                continue;
            };
            for (j, c) in q.choices.iter().enumerate() {
                if j != q.answer {
                    out.push(PrefText {
                        prompt: format!("Q: {}\nA: ", q.question),
                        chosen: right.clone(),
                        rejected: c.clone(),
                    });
                }
            }
        }
        out
    };
    (texts(&train), texts(&test))
}

#[derive(serde::Serialize, serde::Deserialize)]
pub enum Event {
    /// Every pair scored at `step` (step 0: before training).
    Eval {
        step: usize,
        train: DpoStats,
        test: DpoStats,
    },
    Failed(String),
}

pub fn run(beta: f64, steps: usize, seed: u64, tx: &dyn Sink<Event>) {
    let fail = |e: String| {
        let _ = tx.send(Event::Failed(e));
    };
    let base = match lm::base_model() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let (train, test) = quiz_pairs(course_questions(), seed);
    let cfg = DpoConfig {
        beta,
        lr: LR,
        batch: BATCH,
        max_response: MAX_RESPONSE,
        seed,
    };
    let mut t = match DpoTrainer::new(base, &train, &test, cfg) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    for step in 0..=steps {
        if step % EVAL_EVERY == 0 || step == steps {
            match (t.evaluate(false), t.evaluate(true)) {
                (Ok(a), Ok(b)) => {
                    if tx
                        .send(Event::Eval {
                            step,
                            train: a,
                            test: b,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
                (Err(e), _) | (_, Err(e)) => return fail(e.to_string()),
            }
        }
        if tx.closed() {
            return;
        }
        if step < steps {
            if let Err(e) = t.step() {
                return fail(e.to_string());
            }
        }
    }
}

pub struct Dpo {
    beta: usize,
    chart: usize,
    steps: usize,
    seed: u64,
    /// The run, started from a key press.
    run: Run<Event>,
    evals: Vec<(usize, DpoStats, DpoStats)>,
}

impl Dpo {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let s = Self {
            beta: p.index("beta")?,
            chart: p.index("chart")?,
            steps: p.index("steps")?,
            seed: p.int("seed")? as u64,
            run: Run::new(KIND.name, &p.lab()).replayable(),
            evals: Vec::new(),
        };
        p.finish()?;
        Ok(s)
    }

    fn start(&mut self) {
        // A run saved in an earlier session keeps what it shows while its work catches up.
        if !self.run.resumes_by_replay() {
            self.evals.clear();
        }
        let (beta, steps, seed) = (BETAS[self.beta], STEPS[self.steps], self.seed);
        self.run.start(move |tx| {
            lm::threads::single_threaded(|| run(beta, steps, seed, &tx));
        });
    }

    fn take(&mut self, events: Vec<Event>) {
        let total = STEPS[self.steps] as f64;
        for e in events {
            match e {
                Event::Eval {
                    step, train, test, ..
                } => {
                    self.evals.push((step, train, test));
                    self.run.progress(step as f64 / total);
                }
                Event::Failed(why) => self.run.fail(why),
            }
        }
    }

    #[cfg(test)]
    pub fn run_to_end(&mut self) {
        self.start();
        let events = self.run.wait_all();
        self.take(events);
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![("β", BETA_NAMES[self.beta].to_string())]
    }

    fn status(&self) -> String {
        let total = STEPS[self.steps];
        let (train, test) = quiz_pairs(course_questions(), self.seed);
        let step = self.evals.last().map_or(0, |e| e.0);
        self.run.status(
            &format!(
                "{total} steps; {} pairs, {} held out",
                train.len(),
                test.len()
            ),
            &format!("step {step}/{total}"),
        )
    }

    /// The two lines of chart `chart` (0 loss, 1 margin, 2 shifts) for the current run.
    fn lines(&self, chart: usize) -> Vec<Series> {
        let pick = |f: fn(&DpoStats) -> f64, test: bool| -> Vec<(f64, f64)> {
            self.evals
                .iter()
                .map(|(s, a, b)| (*s as f64, f(if test { b } else { a })))
                .collect()
        };
        let series = |name: &str, marker: char, points: Vec<(f64, f64)>| Series {
            name: name.into(),
            marker,
            points,
            faint: false,
        };
        match chart {
            0 => vec![
                series("train", 't', pick(|s| s.loss, false)),
                series("held out", 'h', pick(|s| s.loss, true)),
            ],
            1 => vec![
                series("train", 't', pick(|s| s.margin, false)),
                series("held out", 'h', pick(|s| s.margin, true)),
            ],
            _ => vec![
                series("Δ_w preferred", 'w', pick(|s| s.chosen_shift, false)),
                series("Δ_l rejected", 'l', pick(|s| s.rejected_shift, false)),
            ],
        }
    }

    /// What a kept run keeps: the held-out line of each chart (the preferred shift for the
    /// third), named by chart, and its final held-out loss and margin.
    fn keep(&mut self) {
        let series = (0..CHARTS.len())
            .filter_map(|c| {
                let mut s = self.lines(c).into_iter().nth(usize::from(c < 2))?;
                s.name = CHARTS[c].into();
                Some(s)
            })
            .collect();
        let figures = self.figures();
        self.run.keep(self.settings(), series, figures);
    }

    /// The final figures of the current run: held-out loss and margin.
    fn figures(&self) -> Vec<String> {
        match self.evals.last() {
            Some((_, _, b)) => vec![format!("{:.3}", b.loss), format!("{:+.2}", b.margin)],
            None => vec!["…".into(), "…".into()],
        }
    }
}

impl Controls for Dpo {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        // The run key: a new run when none is going or paused (else pause or resume).
        k.run(&self.run, |d| {
            if d.run.toggle() {
                d.start();
            }
        });
        k.choice("show", names(CHART_NAMES), self.chart, |d, i| d.chart = i);
        // Another β is another experiment: a finished one is kept for comparison.
        k.choice("β", names(BETA_NAMES), self.beta, |d, beta| {
            if beta != d.beta {
                d.keep();
                d.beta = beta;
                d.evals.clear();
                d.run.clear();
            }
        });
    }
}

impl Visual for Dpo {
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
            .file(serde_json::json!([self.beta, self.steps, self.seed]))
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let fits = |&(beta, steps, seed): &(usize, usize, u64), events: &[Event]| {
            let n = STEPS.get(steps).copied().unwrap_or(0);
            beta < BETAS.len()
                && seed <= 9999
                && events.len() <= n + 2
                && events
                    .iter()
                    .all(|e| matches!(e, Event::Eval { step, .. } if *step <= n))
        };
        let ((beta, steps, seed), events) = self.run.restore_settings(bytes, origin, fits)?;
        (self.beta, self.steps, self.seed) = (beta, steps, seed);
        self.evals.clear();
        self.take(events);
        Ok(())
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        let (events, news) = self.run.poll(waker);
        self.take(events);
        news
    }

    fn parts(&self) -> Vec<Part> {
        let mut text = vec![self.status()];
        if let Some((step, a, b)) = self.evals.last() {
            text.push(if self.chart == 2 {
                format!(
                    "step {step}, train pairs: Δ_w {:+.2} · Δ_l {:+.2} nats",
                    a.chosen_shift, a.rejected_shift
                )
            } else {
                format!(
                    "step {step}, train / held out: loss {:.2} / {:.2} · margin {:+.2} / {:+.2}",
                    a.loss, b.loss, a.margin, b.margin
                )
            });
        }
        let current = self.settings();
        let mut series = self.run.ghosts(&current, &[CHARTS[self.chart]], '·');
        series.extend(self.lines(self.chart));
        let mut parts = vec![Part::Text(text), Part::Chart(ChartView::plain(series))];
        parts.extend(self.run.history_table(
            &current,
            &["run", "held-out loss", "margin"],
            self.figures(),
        ));
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    #[test]
    fn pairs_hold_out_whole_questions() {
        let qs = course_questions();
        let (train, test) = quiz_pairs(qs, 1);
        let pairs: usize = qs.iter().map(|q| q.choices.len() - 1).sum();
        assert_eq!(train.len() + test.len(), pairs);
        assert!(train
            .iter()
            .all(|t| !test.iter().any(|u| u.prompt == t.prompt)));
    }

    #[test]
    fn a_run_saved_as_the_app_closes_comes_back_and_recomputes_to_the_same_numbers() {
        let dpo = || {
            let m: Map<String, Value> = serde_json::from_value(json!({"steps": 50})).unwrap();
            Dpo::new(Params::new(&m, &KIND)).unwrap()
        };
        let mut straight = dpo();
        straight.run_to_end();

        let mut first = dpo();
        first.adjust(0, 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while first.evals.len() < 2 && std::time::Instant::now() < deadline {
            first.poll(&Waker::none());
            std::thread::yield_now();
        }
        let file = first.suspend().expect("a run going is saved").unwrap();
        let shown = first.evals.len();
        assert!(
            (2..6).contains(&shown),
            "{shown} evaluations when the app closed"
        );

        let mut second = dpo();
        second.restore(&file, "dpo.run").unwrap();
        assert_eq!(
            second.evals, first.evals,
            "the next session shows what it had"
        );
        assert!(
            second.status().contains("(after recomputing"),
            "{}",
            second.status()
        );
        second.adjust(0, 1);
        assert!(second.run.catching_up(), "{}", second.status());
        // Other tests' runs may hold every turn at the CPU: until this one has its turn the
        // line says it is queued. Nothing is polled meanwhile, so it stays behind.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while second.status().starts_with("queued") && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            second.status().starts_with("recomputing up to step"),
            "{}",
            second.status()
        );
        let events = second.run.wait_all();
        second.take(events);
        assert!(second.run.finished());
        assert_eq!(
            second.evals, straight.evals,
            "bit for bit the run never interrupted"
        );

        // A file that lies about its settings is refused, the panel unchanged.
        let (mut header, work) = crate::viz::run::saved::decode(&file, "x").unwrap();
        header.panel = json!([9, 0, 1]);
        let forged = crate::viz::run::saved::encode(&header, work).unwrap();
        let mut third = dpo();
        assert!(third.restore(&forged, "dpo.run").is_err());
        assert!(third.run.idle() && third.evals.is_empty());
    }

    #[test]
    fn a_run_left_mid_way_pauses_and_resumes_on_the_run_key() {
        let m: Map<String, Value> = serde_json::from_value(json!({"steps": 100})).unwrap();
        let mut d = Dpo::new(Params::new(&m, &KIND)).unwrap();
        d.adjust(0, 1);
        assert!(d.busy());
        assert!(d.leave(), "kept");
        assert!(!d.busy(), "paused");
        let status = d.status();
        assert!(
            status.starts_with("paused when you left this step, at step ")
                && status.ends_with("/100: press → on \"run\" to resume"),
            "{status}"
        );
        // Coming back does not resume it by itself; "run" does, and the note goes.
        d.poll(&Waker::none());
        assert!(!d.busy() && d.status().starts_with("paused"));
        d.adjust(0, 1);
        assert!(d.busy());
        assert!(d.status().starts_with("running"));
    }

    #[test]
    fn training_lowers_the_loss_on_the_pairs_it_sees() {
        let m: Map<String, Value> =
            serde_json::from_value(json!({"steps": 50, "beta": "0.5"})).unwrap();
        let mut d = Dpo::new(Params::new(&m, &KIND)).unwrap();
        d.run_to_end();
        assert!(d.run.finished(), "{:?}", d.run.phase());
        let (first, last) = (&d.evals[0], d.evals.last().unwrap());
        assert_eq!(first.0, 0);
        assert_eq!(last.0, 50);
        // Step 0: the policy is the reference, margin 0 and loss ln 2 on every pair.
        assert!(
            first.1.margin.abs() < 1e-4 && (first.1.loss - std::f64::consts::LN_2).abs() < 1e-4
        );
        assert!(
            last.1.loss < first.1.loss && last.1.margin > 0.0,
            "{last:?}"
        );
        // Every view, results shown, fits 80x24's stacked panel (76 columns, 15 rows).
        for chart in 0..CHARTS.len() {
            d.chart = chart;
            let view = crate::viz::view::View {
                controls: d.controls(),
                selected_control: 0,
                parts: d.parts(),
            };
            assert!(crate::ui::widgets::view_height(&view, 76) <= 15, "{chart}");
        }
    }
}
