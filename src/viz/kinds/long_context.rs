//! Lesson 13 and 14 visualizers: attention timed on this machine (on a background thread),
//! and a streaming simulation of sliding-window attention with and without sink tokens.

use crate::labs::attention::{attention_output, Options};
use crate::labs::fmt_num;
use crate::labs::softmax::softmax;
use crate::viz::kinds::transformer::fmt_bytes;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::rng::{seed_of, Rng};
use crate::viz::view::{ChartView, Control, Part, Series, TableView};
use crate::viz::{choice, slider, step_index, step_value, toggle, Visual};
use ndarray::Array2;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Milliseconds for one head of attention (Q·Kᵀ, softmax, ·V) at n tokens of width d: the
/// median of three runs on random inputs.
pub fn time_attention(n: usize, d: usize, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let mut m = || Array2::from_shape_fn((n, d), |_| rng.normal());
    let (q, k, v) = (m(), m(), m());
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let out = attention_output(&q, &k, &v, Options::default());
            std::hint::black_box(&out);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// What the timing thread has found so far.
#[derive(Debug, Default)]
struct Sweep {
    results: Vec<(usize, f64)>,
    /// The n being timed now.
    running: Option<usize>,
    done: bool,
    /// Bumped on every change, so the UI redraws only when there is news.
    version: u64,
    seconds: f64,
}

const MAX_NS: [usize; 4] = [512, 1024, 2048, 4096];
const DS: [usize; 4] = [16, 32, 64, 128];

/// The `attention-timing` kind: how lessons name it, its parameters and how to build it.
pub const ATTENTION_TIMING: KindDef = KindDef {
    name: "attention-timing",
    title: "Attention timed on this machine",
    about: "times one head of attention (Q·Kᵀ, softmax, ·V) on this machine for n = 64, 128, … max_n, in the background with a progress line while the learner reads on; sees the measured times on log–log axes against c·n² fitted to the largest n, and the memory of the n×n matrix; `re-run` times again",
    params: &[ParamDef { name: "max_n", ty: ParamType::IntAmong { allowed: &MAX_NS, default: 4096 }, doc: "the longest sequence timed" }, ParamDef { name: "d", ty: ParamType::IntAmong { allowed: &DS, default: 64 }, doc: "width of the head" }],
    build: build_attention_timing,
};

fn build_attention_timing(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(AttentionTiming::new(p)?))
}

pub struct AttentionTiming {
    max_n: usize,
    d: usize,
    table: bool,
    sweep: Arc<Mutex<Sweep>>,
    cancel: Arc<AtomicBool>,
    started: bool,
    seen: u64,
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
            sweep: Arc::default(),
            cancel: Arc::new(AtomicBool::new(false)),
            started: false,
            seen: 0,
        })
    }

    fn sizes(&self) -> Vec<usize> {
        (6..=MAX_NS[self.max_n].trailing_zeros())
            .map(|e| 1usize << e)
            .collect()
    }

    /// Starts a fresh sweep on its own thread; the previous one (if any) is told to stop.
    fn start(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.cancel = Arc::new(AtomicBool::new(false));
        self.sweep = Arc::default();
        self.started = true;
        let (sweep, cancel, sizes, d) = (
            Arc::clone(&self.sweep),
            Arc::clone(&self.cancel),
            self.sizes(),
            DS[self.d],
        );
        let spawned = std::thread::Builder::new()
            .name("attention-timing".into())
            .spawn(move || {
                let begin = Instant::now();
                for (i, &n) in sizes.iter().enumerate() {
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Ok(mut s) = sweep.lock() {
                        s.running = Some(n);
                        s.version += 1;
                    }
                    let ms = time_attention(n, d, i as u64 + 1);
                    if let Ok(mut s) = sweep.lock() {
                        s.results.push((n, ms));
                        s.version += 1;
                    }
                }
                if let Ok(mut s) = sweep.lock() {
                    s.running = None;
                    s.done = true;
                    s.seconds = begin.elapsed().as_secs_f64();
                    s.version += 1;
                }
            });
        if spawned.is_err() {
            if let Ok(mut s) = self.sweep.lock() {
                s.done = true;
            }
        }
    }

    /// Blocks until the sweep is done (for tests).
    #[cfg(test)]
    pub fn wait(&mut self) {
        if !self.started {
            self.start();
        }
        while !self.sweep.lock().map(|s| s.done).unwrap_or(true) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

impl Drop for AttentionTiming {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Visual for AttentionTiming {
    fn controls(&self) -> Vec<Control> {
        vec![
            choice(
                "largest n",
                MAX_NS.iter().map(ToString::to_string).collect(),
                self.max_n,
            ),
            choice(
                "d (head width)",
                DS.iter().map(ToString::to_string).collect(),
                self.d,
            ),
            choice(
                "show",
                vec!["chart".into(), "table".into()],
                usize::from(self.table),
            ),
            toggle("re-run (←/→)", false),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.max_n = step_index(self.max_n, delta, MAX_NS.len()),
            1 => self.d = step_index(self.d, delta, DS.len()),
            2 => {
                self.table = !self.table;
                return;
            }
            _ => {}
        }
        // New settings, or an explicit re-run: time again (a sweep not yet started will start
        // with these settings on the course's next poll).
        if self.started {
            self.start();
        }
    }

    /// Busy until the sweep is done and its last result has been picked up by `poll`.
    fn busy(&self) -> bool {
        self.sweep
            .lock()
            .map(|s| !s.done || s.version != self.seen)
            .unwrap_or(false)
    }

    fn poll(&mut self) -> bool {
        if !self.started {
            self.start();
            return true;
        }
        let version = self.sweep.lock().map(|s| s.version).unwrap_or(0);
        let news = version != self.seen;
        self.seen = version;
        news
    }

    fn parts(&self) -> Vec<Part> {
        let Ok(s) = self.sweep.lock() else {
            return vec![];
        };
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
            "n×n scores at n = {}: {} per head in fp32 ({} here, timed in f64)",
            largest,
            fmt_bytes(4.0 * largest * largest),
            fmt_bytes(8.0 * largest * largest)
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
                    },
                    Series {
                        name: "measured".into(),
                        marker: '*',
                        points: s.results.iter().map(|&(n, ms)| (n as f64, ms)).collect(),
                    },
                ],
            })
        };
        vec![Part::Text(vec![status, memory]), body]
    }
}

/// The toy stream: query t's logit for key j. Position 0 gets a large bonus (the sink that
/// trained models develop), recent keys a small one, and each key a fixed content term.
pub fn stream_logit(t: usize, j: usize) -> f64 {
    if j == 0 {
        // The sink: a large score from every query, however far away.
        return 4.0;
    }
    let recency = -0.05 * (t - j) as f64;
    let mut rng = Rng::new(seed_of(&j.to_string(), 3));
    recency + 0.5 * rng.normal()
}

/// For query t: the share of full attention's mass that falls on the kept keys, and the
/// divergence KL(kept ‖ full) = −ln(that share) of the renormalized kept distribution.
pub fn kept_share(t: usize, kept: &[usize]) -> (f64, f64) {
    let logits: Vec<f64> = (0..=t).map(|j| stream_logit(t, j)).collect();
    let p = softmax(&logits, 1.0);
    let share: f64 = kept.iter().filter(|&&j| j <= t).map(|&j| p[j]).sum();
    // When nothing is evicted −ln(1) comes out as ±1e-16 from rounding: show it as 0.
    let kl = -share.max(1e-300).ln();
    (share.min(1.0), if kl.abs() < 1e-12 { 0.0 } else { kl })
}

/// Keys a cache of `window` entries keeps at query t, the first `sinks` of them pinned to the
/// start of the stream.
pub fn kept_keys(t: usize, window: usize, sinks: usize) -> Vec<usize> {
    let sinks = sinks.min(window);
    let recent = window - sinks;
    let mut keys: Vec<usize> = (0..sinks.min(t + 1)).collect();
    let first_recent = (t + 1).saturating_sub(recent).max(keys.len());
    keys.extend(first_recent..=t);
    keys
}

/// The `streaming` kind: how lessons name it, its parameters and how to build it.
pub const STREAMING: KindDef = KindDef {
    name: "streaming",
    title: "Streaming with a window and sink tokens",
    about: "streams a long sequence through a toy attention pattern in which, as in trained models, the first token draws a large share (a sink) and recent tokens a little more than old ones; compares full attention, a sliding window and the window plus sink tokens: where the attention mass goes at the current step, and how far each drifts from full attention (KL divergence) as tokens are evicted",
    params: &[ParamDef { name: "window", ty: ParamType::Int { min: 8, max: 64, default: 16 }, doc: "keys the cache holds" }, ParamDef { name: "sinks", ty: ParamType::Int { min: 0, max: 8, default: 4 }, doc: "of those, keys pinned to the start of the stream" }, ParamDef { name: "length", ty: ParamType::Int { min: 32, max: 512, default: 256 }, doc: "tokens in the stream" }],
    build: build_streaming,
};

fn build_streaming(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Streaming::new(p)?))
}

pub struct Streaming {
    window: usize,
    sinks: usize,
    length: usize,
    t: usize,
}

impl Streaming {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let window = p.int("window")? as usize;
        let sinks = p.int("sinks")? as usize;
        let length = p.int("length")? as usize;
        p.finish()?;
        Ok(Self {
            window,
            sinks,
            length,
            t: length - 1,
        })
    }
}

impl Visual for Streaming {
    fn controls(&self) -> Vec<Control> {
        vec![
            slider(
                "step t",
                self.t as f64,
                0.0,
                (self.length - 1) as f64,
                1.0,
                0,
            ),
            slider("cache size", self.window as f64, 8.0, 64.0, 4.0, 0),
            slider("sink tokens", self.sinks as f64, 0.0, 8.0, 1.0, 0),
            slider("stream length", self.length as f64, 32.0, 512.0, 32.0, 0),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => {
                self.t =
                    step_value(self.t as f64, delta, 1.0, 0.0, (self.length - 1) as f64) as usize
            }
            1 => self.window = step_value(self.window as f64, delta, 4.0, 8.0, 64.0) as usize,
            2 => self.sinks = step_value(self.sinks as f64, delta, 1.0, 0.0, 8.0) as usize,
            3 => {
                self.length = step_value(self.length as f64, delta, 32.0, 32.0, 512.0) as usize;
                self.t = self.t.min(self.length - 1);
            }
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let t = self.t;
        let full = softmax(
            &(0..=t).map(|j| stream_logit(t, j)).collect::<Vec<_>>(),
            1.0,
        );
        let (w_share, w_kl) = kept_share(t, &kept_keys(t, self.window, 0));
        let (s_share, s_kl) = kept_share(t, &kept_keys(t, self.window, self.sinks));
        let curve = |sinks: usize| -> Vec<(f64, f64)> {
            (0..self.length)
                .map(|u| (u as f64, kept_share(u, &kept_keys(u, self.window, sinks)).1))
                .collect()
        };
        vec![
            Part::Text(vec![
                format!(
                    "t = {t}: full attention puts {} of its mass on token 0 (the sink)",
                    fmt_num(full[0])
                ),
                format!(
                    "window {} keeps {} (KL {}); window with {} sink{} keeps {} (KL {})",
                    self.window,
                    fmt_num(w_share),
                    fmt_num(w_kl),
                    self.sinks,
                    if self.sinks == 1 { "" } else { "s" },
                    fmt_num(s_share),
                    fmt_num(s_kl)
                ),
            ]),
            Part::Chart(ChartView {
                title: "drift from full attention, KL(kept ‖ full), over the stream".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: "window only".into(),
                        marker: '*',
                        points: curve(0),
                    },
                    Series {
                        name: format!(
                            "window + {} sink{}",
                            self.sinks,
                            if self.sinks == 1 { "" } else { "s" }
                        ),
                        marker: 'o',
                        points: curve(self.sinks),
                    },
                ],
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn kept_keys_pin_the_sinks_and_keep_the_window_size() {
        assert_eq!(kept_keys(3, 8, 4), vec![0, 1, 2, 3]);
        assert_eq!(kept_keys(20, 8, 4), vec![0, 1, 2, 3, 17, 18, 19, 20]);
        assert_eq!(kept_keys(20, 8, 0), (13..=20).collect::<Vec<_>>());
    }

    #[test]
    fn sinks_keep_attention_close_to_full_once_the_start_is_evicted() {
        let t = 200;
        let (w, w_kl) = kept_share(t, &kept_keys(t, 16, 0));
        let (s, s_kl) = kept_share(t, &kept_keys(t, 16, 4));
        assert!(s > w && s_kl < w_kl, "sinks {s} vs window {w}");
        // Before anything is evicted, all three agree exactly.
        assert_eq!(kept_share(10, &kept_keys(10, 16, 0)).1, 0.0);
        let lab = Streaming::new(Params::new(&Map::new(), &STREAMING)).unwrap();
        assert_eq!(lab.parts().len(), 2);
    }

    #[test]
    fn timing_sweep_runs_in_the_background_and_grows_with_n() {
        let mut map = Map::new();
        map.insert("max_n".into(), 512.into());
        map.insert("d".into(), 16.into());
        let mut lab = AttentionTiming::new(Params::new(&map, &ATTENTION_TIMING)).unwrap();
        assert!(!lab.started, "nothing runs until the course asks");
        lab.wait();
        let s = lab.sweep.lock().unwrap();
        assert_eq!(
            s.results.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![64, 128, 256, 512]
        );
        assert!(s.results.iter().all(|r| r.1 > 0.0));
        assert!(s.results[3].1 > s.results[0].1);
    }
}
