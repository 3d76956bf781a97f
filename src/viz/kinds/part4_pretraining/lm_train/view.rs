//! What the panel shows: the status lines, the loss and learning-rate charts, the samples,
//! and the one-line forms of a schedule, a learning rate and a count.

use super::*;

impl LmTrain {
    pub(super) fn status(&self) -> Vec<String> {
        let uniform = (lm_common::corpus().vocab.len() as f64).ln();
        let v = lm_common::corpus().vocab.len();
        let (name, _, _) = SIZES[self.size];
        let first = self.run.status(
            &format!("{} steps of a {name} model", self.steps),
            &format!("step {}/{}", self.log.step, self.steps),
        );
        if self.run.idle() {
            return vec![
                first,
                format!(
                    "Knowing nothing means guessing 1 of {v}: loss ln {v} = {} nats/char.",
                    fmt_num(uniform)
                ),
                describe(&self.recipe()),
            ];
        }
        let log = &self.log;
        let mut lines = vec![
            first,
            format!(
                "{} params · {} chars seen",
                log.params,
                fmt_count(log.tokens)
            ),
        ];
        lines.push(match log.evals.last() {
            Some(&(_, train, val)) => format!(
                "loss train {train:.2}, val {val:.2} nats/char · perplexity e^{val:.2} = {} · {:.0} ms/step",
                fmt_num(f64::from(val).exp()),
                log.ms_per_step
            ),
            None => format!(
                "loss: first evaluation at step {} · {:.0} ms/step",
                self.recipe().eval_every,
                log.ms_per_step
            ),
        });
        lines
    }

    pub(super) fn chart(&self) -> Part {
        let uniform = (lm_common::corpus().vocab.len() as f64).ln();
        let mut series = self.run.ghosts(&self.settings(), &["validation"], '·');
        series.extend([
            Series {
                name: format!(
                    "uniform ln {} = {:.2}",
                    lm_common::corpus().vocab.len(),
                    uniform
                ),
                marker: '=',
                points: vec![(0.0, uniform), (self.steps as f64, uniform)],
                faint: false,
            },
            Series {
                name: "train".into(),
                marker: '*',
                points: self.line(|e| e.1),
                faint: false,
            },
            Series {
                name: "validation (nats/char by step)".into(),
                marker: 'o',
                points: self.line(|e| e.2),
                faint: false,
            },
        ]);
        Part::Chart(ChartView::plain(series))
    }

    /// The learning rate the chosen schedule sets at every step, over the kept runs' own (the
    /// status line says the schedule in words before a run; the legend names it after).
    pub(super) fn lr_chart(&self) -> Part {
        let mut series = self.run.ghosts(&self.settings(), &["learning rate"], '·');
        series.push(Series {
            name: format!("learning rate, schedule {}", SCHEDULE_NAMES[self.schedule]),
            marker: '*',
            points: self.lr_curve(),
            faint: false,
        });
        Part::Chart(ChartView::plain(series))
    }

    pub(super) fn samples(&self) -> Part {
        let mut lines = vec!["What the model writes after \"The \" (temperature 0.8):".into()];
        match self.log.samples.as_slice() {
            s if !s.is_empty() => {
                for (step, text) in s {
                    let shown: String = one_line(text).chars().take(60).collect();
                    lines.push(format!("{step:>5}: The {shown}"));
                }
            }
            _ => lines.push(format!(
                "(a sample every {} steps; none yet)",
                self.recipe().sample_every
            )),
        }
        Part::Text(lines)
    }
}

/// The schedule of `recipe` in one line of at most 76 columns: "lr: up to 0.003 in 50 steps,
/// flat to 1200, a line down to 0.0003 at 1500".
pub(super) fn describe(recipe: &lm::TrainConfig) -> String {
    let warm = format!("lr: up to {} in {} steps", fmt_lr(recipe.lr), recipe.warmup);
    let floor = fmt_lr(recipe.lr * recipe.min_lr_frac);
    let end = recipe.steps;
    match recipe.schedule {
        Schedule::Constant => format!("{warm}, then flat to step {end}"),
        Schedule::Cosine => format!("{warm}, then a cosine down to {floor} at step {end}"),
        Schedule::Wsd => format!(
            "{warm}, flat to {}, a line down to {floor} at {end}",
            recipe.decay_start()
        ),
    }
}

/// A learning rate without float noise: 0.1 × 0.003 is "0.0003", not 0.00030000000000000003.
pub(super) fn fmt_lr(lr: f64) -> String {
    let s = format!("{lr:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// 123456 → "123k", 1234567 → "1.2M".
pub(super) fn fmt_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}
