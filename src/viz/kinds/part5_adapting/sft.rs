//! Lesson 20: supervised fine-tuning of the shipped model on the course's own checkpoint
//! questions, live. Shows which characters the loss counts (prompt masked or not), the loss on
//! the training questions, on held-out questions and on the original corpus as it trains, and
//! what the model writes after a held-out question before and after. Runs in the background,
//! from the first poll; changing a setting starts again, keeping the finished run's held-out
//! curve beside the new one.

use crate::jobs::Waker;
use crate::labs::fmt_count;
use crate::labs::lm::finetune::{FtConfig, Method};
use crate::labs::lm::sft::{Pair, SftSet};
use crate::viz::kinds::part4_pretraining::lm_common::{tail, visible};
use crate::viz::kinds::part5_adapting::ft_common::{
    self, loss_chart, progress, sample_line, DataSet, Runs,
};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::run::Setting;
use crate::viz::view::{Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const LRS: [f64; 3] = [3e-4, 1e-3, 3e-3];
const LR_NAMES: [&str; 3] = ["0.0003", "0.001", "0.003"];
const SHOW: [&str; 3] = ["curves", "samples", "mask"];
/// Passes over the training questions, a control and a parameter.
const EPOCHS: Scale = Scale::linear(1.0, 8.0, 1.0, 0);
/// Windows per batch and characters per window (the shipped model's context).
const BATCH: usize = 8;

pub const KIND: KindDef = KindDef {
    name: "sft",
    title: "Fine-tuning on question-answer pairs",
    about: "fine-tunes the shipped model on the course's own checkpoint questions (Q: question, A: answer and explanation) in the background: which characters the loss counts with and without the prompt masked, loss on training questions, held-out questions and the original corpus by step, and samples for a held-out question before and after; learning rate, epochs, masking",
    params: &[
        ParamDef { name: "lr", ty: ParamType::Choice { options: &LR_NAMES, default: "0.0003" }, doc: "learning rate (constant, AdamW)" },
        EPOCHS.int("epochs", 3, "passes over the training questions (in batches of 8 windows of 64 characters)"),
        ParamDef { name: "mask", ty: ParamType::Bool { default: true }, doc: "count the loss on answer characters only (the prompt masked)" },
        ParamDef { name: "show", ty: ParamType::Choice { options: &SHOW, default: "curves" }, doc: "what the panel shows: loss curves, samples before and after, or the mask on one example" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Sft::new(p)?))
}

pub struct Sft {
    lr: usize,
    epochs: usize,
    mask: bool,
    show: usize,
    runs: Runs,
}

/// Steps for one pass over the training questions: their characters over those a batch reads.
fn steps_per_epoch() -> usize {
    let context = crate::labs::lm::base_model().map_or(64, |m| m.config.context);
    ft_common::train_counts().0.div_ceil(BATCH * context)
}

impl Sft {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let lr = p.index("lr")?;
        let epochs = p.int("epochs")? as usize;
        let mask = p.boolean("mask")?;
        let show = p.index("show")?;
        let runs = Runs::new(KIND.name, &p.lab());
        p.finish()?;
        Ok(Self {
            lr,
            epochs,
            mask,
            show,
            runs,
        })
    }

    fn mask_only(&self) -> bool {
        self.show == 2 && self.runs.waiting()
    }

    /// The settings a learner changes here, as a kept run's label names them.
    fn settings(&self) -> Vec<Setting> {
        vec![
            ("lr", LR_NAMES[self.lr].to_string()),
            ("epochs", self.epochs.to_string()),
            ("mask", if self.mask { "on" } else { "off" }.to_string()),
        ]
    }

    /// The current run's line of `f` by step.
    fn line(&self, f: fn(&crate::labs::lm::finetune::Point) -> f32) -> Vec<(f64, f64)> {
        self.runs.logs.first().map_or_else(Vec::new, |log| {
            log.points
                .iter()
                .map(|p| (p.step as f64, f64::from(f(p))))
                .collect()
        })
    }

    /// Final figures: answer loss on training and held-out questions, loss on the original
    /// text.
    fn figures(&self) -> Vec<String> {
        let last = self
            .runs
            .logs
            .first()
            .filter(|l| l.done)
            .and_then(|l| l.points.last());
        match last {
            Some(p) => [p.train, p.held_out, p.original]
                .map(|x| format!("{x:.3}"))
                .to_vec(),
            None => vec!["…".into(); 3],
        }
    }

    fn steps(&self) -> usize {
        self.epochs * steps_per_epoch()
    }

    fn start(&mut self) {
        let mut cfg = FtConfig::new(Method::Full, self.steps(), LRS[self.lr]);
        cfg.batch = BATCH;
        cfg.mask_prompt = self.mask;
        cfg.eval_every = (cfg.steps / 12).max(5);
        cfg.eval_chars = ft_common::EVAL_CHARS;
        let prompt = ft_common::held_out_prompt();
        self.runs.start(vec![cfg], DataSet::All, Some(prompt));
    }

    fn status(&self, runs: &Runs) -> Vec<String> {
        let name = if self.mask {
            "SFT, answers only".to_string()
        } else {
            "SFT, every character".to_string()
        };
        let mut lines = vec![progress(runs, &[name], self.steps())];
        let (train, held) = ft_common::course_pairs();
        lines.push(format!(
            "{} training questions ({} chars), {} held out; 1 epoch = {} steps",
            train.len(),
            fmt_count(ft_common::train_counts().0 as f64),
            held.len(),
            steps_per_epoch()
        ));
        let log = runs.logs.first();
        if let (Some(first), Some(last)) = (
            log.and_then(|l| l.points.first()),
            log.and_then(|l| l.points.last()),
        ) {
            lines.push(format!(
                "answer loss: train {:.2} → {:.2}, held-out {:.2} → {:.2}; original text {:.2} → {:.2} nats/char",
                first.train, last.train, first.held_out, last.held_out, first.original, last.original
            ));
        }
        lines
    }

    fn samples(&self, runs: &Runs) -> Part {
        let prompt = ft_common::held_out_prompt();
        let mut lines = vec![
            "A held-out question (never trained on), temperature 0.5:".into(),
            tail(&prompt.replace('\n', " "), 70),
        ];
        lines.push(sample_line("before", runs.before.as_ref()));
        lines.push(sample_line(
            "after ",
            runs.logs.first().and_then(|l| l.sample.as_ref()),
        ));
        Part::Text(lines)
    }

    /// The first training example with a mark under each character: ^ where its loss counts.
    fn mask_view(&self) -> Part {
        let Ok(base) = crate::labs::lm::base_model() else {
            return Part::Text(vec!["the shipped model is missing".into()]);
        };
        let Some((prompt, response)) = ft_common::course_pairs().0.first() else {
            return Part::Text(vec!["the course has no questions".into()]);
        };
        let set = SftSet::new(&[Pair::new(prompt, response)], &base.vocab);
        // The end of the first prompt and the start of its answer.
        let start = prompt.chars().count().saturating_sub(24).min(set.len());
        let end = (start + 60).min(set.len());
        // One column per character, so each mark sits under its character: spaces stay spaces.
        let shown: String = set.ids[start..end]
            .iter()
            .map(|&i| match base.vocab.char(i) {
                ' ' => ' ',
                c => visible(c).chars().next().unwrap_or('?'),
            })
            .collect();
        let marks: String = set.is_response[start..end]
            .iter()
            .map(|&r| if r || !self.mask { '^' } else { '.' })
            .collect();
        // Over the whole training set: every character after the first is a target; with the
        // prompt masked, only answer characters (and each answer's closing newline).
        let (chars, counted) = ft_common::train_counts();
        let total = chars.saturating_sub(1);
        Part::Text(vec![
            format!("…{shown}"),
            format!(" {marks}"),
            "^ the loss counts predicting this character, . masked (prompt)".into(),
            format!(
                "targets counted in the training set: answers only {} of {} ({:.0}%), every character {}",
                fmt_count(counted as f64),
                fmt_count(total as f64),
                100.0 * counted as f64 / total.max(1) as f64,
                fmt_count(total as f64)
            ),
        ])
    }
}

impl Controls for Sft {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.run(&self.runs.run, |s| {
            if s.runs.run.toggle() {
                s.start();
            }
        });
        let lrs = LR_NAMES.iter().map(ToString::to_string).collect();
        k.choice("learning rate", lrs, self.lr, |s, i| s.change(|s| s.lr = i));
        k.count("epochs", self.epochs, EPOCHS, |s, e| {
            s.change(|s| s.epochs = e)
        });
        k.toggle("mask the prompt", self.mask, |s, on| {
            s.change(|s| s.mask = on)
        });
        let shows = SHOW.iter().map(ToString::to_string).collect();
        k.choice("show", shows, self.show, |s, i| s.show = i);
    }
}

impl Sft {
    /// Applies a new setting: a finished run is kept for comparison under the settings it
    /// ran with (its held-out line drawn faint), and the runs start again.
    fn change(&mut self, set: impl FnOnce(&mut Self)) {
        let before = (self.lr, self.epochs, self.mask);
        set(self);
        if before == (self.lr, self.epochs, self.mask) {
            return;
        }
        let now = (self.lr, self.epochs, self.mask);
        (self.lr, self.epochs, self.mask) = before;
        let line = Series {
            name: "held-out".into(),
            marker: '·',
            points: self.line(|p| p.held_out),
            faint: true,
        };
        let (settings, figures) = (self.settings(), self.figures());
        self.runs.run.keep(settings, vec![line], figures);
        (self.lr, self.epochs, self.mask) = now;
        self.runs.clear();
    }
}

impl Visual for Sft {
    /// The mask view needs no training: nothing runs until another view is chosen.
    fn busy(&self) -> bool {
        self.runs.busy() || (self.runs.waiting() && !self.mask_only())
    }

    /// Kept when the learner leaves: a run that is going pauses where it is, and says so.
    fn leave(&mut self) -> bool {
        self.runs.run.leave();
        true
    }

    fn clear_history(&mut self) -> bool {
        self.runs.run.clear_history()
    }

    /// Saved by its reports, resumed by recomputing them ([`crate::viz::run::replay`]).
    fn suspend(&mut self) -> Option<Result<Vec<u8>, String>> {
        let settings = serde_json::json!([self.lr, self.epochs, self.mask]);
        self.runs.suspend(settings)
    }

    fn restore(&mut self, bytes: &[u8], origin: &str) -> Result<(), String> {
        let r = self.runs.restore(bytes, origin)?;
        let settings = serde_json::from_value::<(usize, usize, bool)>(r.settings.clone());
        let Ok((lr, epochs, mask)) = settings.map_err(drop).and_then(|s| {
            (s.0 < LRS.len() && (1..=8).contains(&s.1))
                .then_some(s)
                .ok_or(())
        }) else {
            self.runs.clear();
            return Err(format!(
                "{origin}: its sft settings are out of range; press → on \"run\" to start again"
            ));
        };
        (self.lr, self.epochs, self.mask) = (lr, epochs, mask);
        self.runs.restore_results(r, 1, self.steps(), origin)
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.runs.waiting() && !self.mask_only() {
            self.runs.run.poll(waker);
            self.start();
            return true;
        }
        self.runs.take(waker)
    }

    fn parts(&self) -> Vec<Part> {
        if self.mask_only() {
            return vec![self.mask_view()];
        }
        if self.runs.waiting() {
            return vec![Part::Text(vec!["starting…".into()])];
        }
        let runs = &self.runs;
        let body = match self.show {
            0 => loss_chart(
                "answer loss by step: train *, held-out o, original text x",
                runs,
                &["train".into()],
                &['*'],
                |p| p.train,
            ),
            1 => self.samples(runs),
            _ => self.mask_view(),
        };
        let body = match (self.show, body) {
            (0, Part::Chart(mut c)) => {
                let mut ghosts = runs.run.ghosts(&self.settings(), &[], '·');
                ghosts.append(&mut c.series);
                c.series = ghosts;
                c.series.push(Series {
                    name: "held-out".into(),
                    marker: 'o',
                    points: self.line(|p| p.held_out),
                    faint: false,
                });
                c.series.push(Series {
                    name: "original text (nats/char by step)".into(),
                    marker: 'x',
                    points: self.line(|p| p.original),
                    faint: false,
                });
                Part::Chart(c)
            }
            (_, b) => b,
        };
        let mut parts = vec![Part::Text(self.status(runs)), body];
        parts.extend(runs.run.history_table(
            &self.settings(),
            &["run", "train", "held-out", "original"],
            self.figures(),
        ));
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(params: Value) -> Sft {
        let map: Map<String, Value> = serde_json::from_value(params).unwrap();
        Sft::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn one_epoch_lowers_the_answer_loss_and_samples_before_and_after() {
        let mut s = lab(json!({"epochs": 1, "lr": "0.0003"}));
        assert!(s.poll(&crate::jobs::Waker::none()));
        s.runs.wait();
        let runs = &s.runs;
        assert!(runs.run.finished(), "{:?}", runs.run.phase());
        let log = &runs.logs[0];
        assert!(log.done);
        let (first, last) = (log.points[0], *log.points.last().unwrap());
        assert_eq!(last.step, s.steps());
        assert!(last.train < first.train, "{first:?} {last:?}");
        assert!(runs.before.is_some() && log.sample.is_some());
        assert_ne!(runs.before, log.sample);
    }

    #[test]
    fn the_mask_view_marks_prompt_characters_only_when_masking() {
        let mut s = lab(json!({"show": "mask"}));
        let text = |s: &Sft| match s.mask_view() {
            Part::Text(l) => l,
            _ => unreachable!(),
        };
        let on = text(&s);
        assert!(on[1].contains('.') && on[1].contains('^'), "{on:?}");
        s.adjust(3, 1);
        let off = text(&s);
        assert!(!off[1].contains('.'), "{off:?}");
    }
}
