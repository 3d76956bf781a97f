//! Attention timed on this machine, on a background thread: one head at growing n, against
//! c·n², with the memory of the n×n scores.

use crate::jobs::{Job, Waker};
use crate::labs::fmt_bytes;
use crate::labs::fmt_num;
use crate::labs::part3_transformer::long_context::time_attention;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};
use std::time::Instant;

/// What the timing job posts.
enum Timing {
    /// Timing this n now.
    Running(usize),
    /// n and its time in ms.
    Measured(usize, f64),
    /// All sizes timed, in this many seconds.
    Done(f64),
}

/// What the timing job has found so far.
#[derive(Debug, Default)]
struct Sweep {
    results: Vec<(usize, f64)>,
    /// The n being timed now.
    running: Option<usize>,
    done: bool,
    seconds: f64,
}

const MAX_NS: [usize; 4] = [512, 1024, 2048, 4096];
const DS: [usize; 4] = [16, 32, 64, 128];

/// The `attention-timing` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "attention-timing",
    title: "Attention timed on this machine",
    about: "times one head of attention (Q·Kᵀ, softmax, ·V) on this machine for n = 64, 128, … max_n, in the background with a progress line while the learner reads on; sees the measured times on log–log axes against c·n² fitted to the largest n, and the memory of the n×n matrix; `re-run` times again",
    params: &[ParamDef { name: "max_n", ty: ParamType::IntAmong { allowed: &MAX_NS, default: 4096 }, doc: "the longest sequence timed" }, ParamDef { name: "d", ty: ParamType::IntAmong { allowed: &DS, default: 64 }, doc: "width of the head" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(AttentionTiming::new(p)?))
}

pub struct AttentionTiming {
    max_n: usize,
    d: usize,
    table: bool,
    sweep: Sweep,
    /// The sweep under way; dropping it stops the work after the size it is timing.
    job: Option<Job<Timing>>,
    /// Whether the course has asked for a sweep with the current settings.
    started: bool,
    /// New settings or a re-run: time again at the next poll.
    restart: bool,
}

impl AttentionTiming {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let max_n = p.index("max_n")?;
        let d = p.index("d")?;
        p.finish()?;
        Ok(Self {
            max_n,
            d,
            table: false,
            sweep: Sweep::default(),
            job: None,
            started: false,
            restart: true,
        })
    }

    fn sizes(&self) -> Vec<usize> {
        (6..=MAX_NS[self.max_n].trailing_zeros())
            .map(|e| 1usize << e)
            .collect()
    }

    /// Starts a fresh sweep on a job; the previous one (if any) is dropped, so it stops.
    fn start(&mut self, waker: &Waker) {
        self.sweep = Sweep::default();
        self.started = true;
        let (sizes, d) = (self.sizes(), DS[self.d]);
        self.job = Some(Job::spawn("attention-timing", waker, move |r| {
            let begin = Instant::now();
            for (i, &n) in sizes.iter().enumerate() {
                if r.send(Timing::Running(n)).is_err() {
                    return;
                }
                let ms = time_attention(n, d, i as u64 + 1);
                if r.send(Timing::Measured(n, ms)).is_err() {
                    return;
                }
            }
            let _ = r.send(Timing::Done(begin.elapsed().as_secs_f64()));
        }));
    }

    /// Applies what the job posted; whether anything changed.
    fn collect(&mut self) -> bool {
        let Some(job) = &mut self.job else {
            return false;
        };
        let events = job.drain();
        let ended = !job.live();
        let news = !events.is_empty();
        for event in events {
            match event {
                Timing::Running(n) => self.sweep.running = Some(n),
                Timing::Measured(n, ms) => self.sweep.results.push((n, ms)),
                Timing::Done(seconds) => {
                    self.sweep.running = None;
                    self.sweep.done = true;
                    self.sweep.seconds = seconds;
                }
            }
        }
        if ended {
            self.job = None;
            // A sweep that ended without finishing (its thread could not start) is over too.
            self.sweep.running = None;
            self.sweep.done = true;
        }
        news || ended
    }

    /// Runs the sweep to the end on this thread's behalf (tests).
    #[cfg(test)]
    pub fn wait(&mut self) {
        self.poll(&Waker::none());
        if let Some(job) = &mut self.job {
            let events = job.wait_all();
            let (reporter, done) = Job::channel(&Waker::none());
            for e in events {
                let _ = reporter.send(e);
            }
            drop(reporter);
            self.job = Some(done);
        }
        self.collect();
    }
}

impl Controls for AttentionTiming {
    fn declare(&self, k: &mut Knobs<Self>) {
        // New settings, or an explicit re-run: time again at the next poll (which follows
        // every change of settings).
        let max_ns = MAX_NS.iter().map(ToString::to_string).collect();
        k.choice("largest n", max_ns, self.max_n, |a, i| {
            a.max_n = i;
            a.restart = true;
        });
        let ds = DS.iter().map(ToString::to_string).collect();
        k.choice("d (head width)", ds, self.d, |a, i| {
            a.d = i;
            a.restart = true;
        });
        // Either key flips between the two.
        let shows = vec!["chart".into(), "table".into()];
        k.choice("show", shows, usize::from(self.table), |a, _| {
            a.table = !a.table;
        });
        k.button("re-run (←/→)", false, |a| a.restart = true);
    }
}

impl Visual for AttentionTiming {
    /// Busy while a sweep is on its way.
    fn busy(&self) -> bool {
        self.restart || self.job.is_some()
    }

    /// Kept when the learner leaves: a finished table stays; a sweep cut short is dropped
    /// (its thread stops after the size it is timing) and times again on the way back.
    fn leave(&mut self) -> bool {
        self.collect();
        if self.job.take().is_some() && !self.sweep.done {
            self.sweep = Sweep::default();
            self.restart = true;
        }
        true
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.restart {
            self.restart = false;
            self.start(waker);
            return true;
        }
        self.collect()
    }

    fn parts(&self) -> Vec<Part> {
        let s = &self.sweep;
        let sizes = self.sizes();
        let status = if !self.started {
            "Timing starts when this step opens in the course.".to_string()
        } else if let Some(n) = s.running {
            format!(
                "timing n = {n} … ({} of {}); keep reading, keys still work",
                s.results.len() + 1,
                sizes.len()
            )
        } else if s.done {
            format!(
                "done: {} sizes in {} s on this machine, d = {}",
                s.results.len(),
                fmt_num(s.seconds),
                DS[self.d]
            )
        } else {
            "starting…".to_string()
        };
        let largest = *sizes.last().unwrap_or(&4096) as f64;
        let memory = format!(
            "n×n scores at n = {}: {} per head in fp32, the precision timed here",
            largest,
            fmt_bytes(4.0 * largest * largest)
        );
        // c·n² through the largest measured point.
        let fit: Vec<(f64, f64)> = s
            .results
            .last()
            .map(|&(n, ms)| {
                let c = ms / (n as f64).powi(2);
                sizes
                    .iter()
                    .map(|&m| (m as f64, c * (m as f64).powi(2)))
                    .collect()
            })
            .unwrap_or_default();
        let body = if self.table {
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "n".into(),
                    "ms".into(),
                    "× previous".into(),
                    "n×n fp32".into(),
                ],
                rows: s
                    .results
                    .iter()
                    .enumerate()
                    .map(|(i, &(n, ms))| {
                        let ratio = if i == 0 {
                            String::new()
                        } else {
                            fmt_num(ms / s.results[i - 1].1)
                        };
                        vec![
                            n.to_string(),
                            fmt_num(ms),
                            ratio,
                            fmt_bytes(4.0 * (n * n) as f64),
                        ]
                    })
                    .collect(),
                highlight: None,
            })
        } else {
            Part::Chart(ChartView {
                title: "ms per head vs n (log–log): measured *, c·n² .".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: true,
                series: vec![
                    Series {
                        name: "c·n²".into(),
                        marker: '.',
                        points: fit,
                        faint: false,
                    },
                    Series {
                        name: "measured".into(),
                        marker: '*',
                        points: s.results.iter().map(|&(n, ms)| (n as f64, ms)).collect(),
                        faint: false,
                    },
                ],
            })
        };
        vec![Part::Text(vec![status, memory]), body]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn leaving_keeps_a_finished_table_and_redoes_a_sweep_cut_short() {
        let mut lab = AttentionTiming::new(Params::new(&Map::new(), &KIND)).unwrap();
        // A sweep under way: one size measured, the work still live (its reporter held).
        lab.restart = false;
        let (reporter, job) = Job::channel(&Waker::none());
        reporter.send(Timing::Measured(64, 0.5)).unwrap();
        lab.job = Some(job);
        assert!(lab.leave(), "kept");
        assert!(lab.job.is_none(), "the work is stopped");
        assert!(
            reporter.send(Timing::Running(128)).is_err(),
            "its next send fails"
        );
        assert!(
            lab.sweep.results.is_empty() && lab.restart,
            "and times again on return"
        );
        // A finished sweep is kept as it is.
        lab.restart = false;
        let (reporter, job) = Job::channel(&Waker::none());
        reporter.send(Timing::Measured(64, 0.5)).unwrap();
        reporter.send(Timing::Done(1.0)).unwrap();
        drop(reporter);
        lab.job = Some(job);
        assert!(lab.leave());
        assert_eq!(lab.sweep.results, vec![(64, 0.5)]);
        assert!(lab.sweep.done && !lab.restart && !lab.busy());
    }

    #[test]
    fn timing_sweep_runs_in_the_background_and_grows_with_n() {
        let mut map = Map::new();
        map.insert("max_n".into(), 512.into());
        map.insert("d".into(), 16.into());
        let mut lab = AttentionTiming::new(Params::new(&map, &KIND)).unwrap();
        assert!(!lab.started, "nothing runs until the course asks");
        lab.wait();
        let s = &lab.sweep;
        assert!(s.done && s.running.is_none());
        assert_eq!(
            s.results.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![64, 128, 256, 512]
        );
        // Times are the machine's own and never compared with each other here (a loaded
        // machine can make a small n slower than a large one); each must be a real time.
        assert!(s.results.iter().all(|r| r.1 > 0.0 && r.1.is_finite()));
        let text = format!("{:?}", lab.parts());
        assert!(text.contains("done: 4 sizes"), "{text}");
    }
}
