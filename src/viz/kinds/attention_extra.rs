//! Lesson 09 and 10 visualizers: cross-attention between two typed sequences, the variance
//! of q·k against d (the reason for ÷√d_k), and padding masks on a batch.

use super::attention_map::{column_keys, row_names, words};
use crate::labs::attention::{
    multi_head, random_multi_head, scaled_dot_product, toy_embeddings, Options,
};
use crate::labs::fmt_num;
use crate::labs::softmax::{entropy, softmax};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::rng::Rng;
use crate::viz::view::{BarsView, ChartView, Control, HeatmapView, MatrixView, Part, Series};
use crate::viz::{choice, slider, step_index, step_seed, text_field, toggle, Visual};
use ndarray::Array2;

const D_MODEL: usize = 8;

/// The `cross-attention` kind: how lessons name it, its parameters and how to build it.
pub const CROSS_ATTENTION: KindDef = KindDef {
    name: "cross-attention",
    title: "Cross-attention between two sentences",
    about: "types two sequences; sees the rectangular target × source weights (queries from the target, keys and values from the source) with a cursor",
    params: &[ParamDef { name: "target", ty: ParamType::Text { max_words: 8, default: "the cat sat" }, doc: "the sequence the queries come from" }, ParamDef { name: "source", ty: ParamType::Text { max_words: 8, default: "le chat s'est assis" }, doc: "the sequence keys and values come from" }, ParamDef { name: "d_k", ty: ParamType::Int { min: 2, max: 16, default: 8 }, doc: "width of queries and keys" }, ParamDef { name: "seed", ty: ParamType::Int { min: 0, max: 9999, default: 1 }, doc: "seed of the random projections" }],
    build: build_cross_attention,
};

fn build_cross_attention(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(CrossAttention::new(p)?))
}

pub struct CrossAttention {
    target: String,
    source: String,
    d_k: usize,
    seed: u64,
    cell: (usize, usize),
}

impl CrossAttention {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let target = p.text("target")?;
        let source = p.text("source")?;
        let d_k = p.int("d_k")? as usize;
        let seed = p.int("seed")? as u64;
        p.finish()?;
        Ok(Self {
            target,
            source,
            d_k,
            seed,
            cell: (0, 0),
        })
    }

    /// Weights: target tokens (queries) × source tokens (keys).
    pub fn weights(&self) -> Array2<f64> {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        let w = random_multi_head(D_MODEL, 1, self.d_k, &mut Rng::new(self.seed));
        let r = multi_head(
            &toy_embeddings(&t, D_MODEL),
            &toy_embeddings(&s, D_MODEL),
            &w,
            Options::default(),
            None,
        );
        r.heads
            .into_iter()
            .next()
            .map_or_else(|| Array2::zeros((t.len(), s.len())), |h| h.weights)
    }
}

impl Visual for CrossAttention {
    fn controls(&self) -> Vec<Control> {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        vec![
            text_field("target (Q)", &self.target),
            text_field("source (K, V)", &self.source),
            choice("query (row)", row_names(&t), self.cell.0),
            choice("key (column)", row_names(&s), self.cell.1),
            slider("d_k", self.d_k as f64, 2.0, 16.0, 1.0, 0),
            slider("seed", self.seed as f64, 0.0, 9999.0, 1.0, 0),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        let m = words(&self.source, 8).len().max(1);
        let n = words(&self.target, 8).len().max(1);
        match index {
            2 => self.cell.0 = step_index(self.cell.0, delta, n),
            3 => self.cell.1 = step_index(self.cell.1, delta, m),
            4 => self.d_k = step_index(self.d_k - 2, delta, 15) + 2,
            5 => self.seed = step_seed(self.seed, delta),
            _ => {}
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if words(text, 8).is_empty() {
            return;
        }
        match index {
            0 => self.target = words(text, 8).join(" "),
            1 => self.source = words(text, 8).join(" "),
            _ => return,
        }
        let (n, m) = (words(&self.target, 8).len(), words(&self.source, 8).len());
        self.cell = (self.cell.0.min(n - 1), self.cell.1.min(m - 1));
    }

    fn parts(&self) -> Vec<Part> {
        let (t, s) = (words(&self.target, 8), words(&self.source, 8));
        let w = self.weights();
        let (q, k) = self.cell;
        vec![
            Part::Columns(vec![
                Part::Heatmap(HeatmapView {
                    title: format!("{} × {} weights", t.len(), s.len()),
                    row_labels: row_names(&t),
                    col_labels: column_keys(s.len()),
                    values: w.clone(),
                    range: Some((0.0, w.iter().copied().fold(0.0, f64::max).max(1e-9))),
                    cursor: Some((q, k)),
                }),
                Part::Bars(BarsView {
                    title: format!("\"{}\" reads the source:", t[q]),
                    labels: s.clone(),
                    values: w.row(q).to_vec(),
                    decimals: 2,
                    highlight: Some(k),
                    max: Some(1.0),
                }),
            ]),
            Part::Text(vec![format!(
                "Q from the target, K and V from the source; seeded random weights (seed {}).",
                self.seed
            )]),
        ]
    }
}

/// Powers of two offered for d.
const DIMS: [usize; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Pairs sampled per d; re-sampling all eleven dimensions stays well under a tenth of a
/// second in release.
const SAMPLES: [usize; 4] = [100, 500, 1000, 2000];
/// Keys per query in the entropy experiment.
const KEYS: usize = 16;

/// Measured variance of q·k for random q, k of each dimension (entries independent, mean 0,
/// variance 1: uniform on ±√3, which is all the argument needs and fast to draw), and the mean
/// softmax entropy over `KEYS` keys without and with ÷√d.
pub struct Measurements {
    pub variance: Vec<f64>,
    pub entropy_raw: Vec<f64>,
    pub entropy_scaled: Vec<f64>,
}

/// Measurements by (samples, seed): sampling is the slow part, and a learner (or `llmf
/// check`) often comes back to the same settings.
pub fn measure_cached(samples: usize, seed: u64) -> std::sync::Arc<Measurements> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<(usize, u64), Arc<Measurements>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&(samples, seed)).cloned())
    {
        return hit;
    }
    let fresh = Arc::new(measure(samples, seed));
    if let Ok(mut c) = cache.lock() {
        if c.len() > 64 {
            c.clear();
        }
        c.insert((samples, seed), Arc::clone(&fresh));
    }
    fresh
}

pub fn measure(samples: usize, seed: u64) -> Measurements {
    let mut rng = Rng::new(seed);
    let trials = (samples / KEYS).clamp(8, 30);
    let mut m = Measurements {
        variance: vec![],
        entropy_raw: vec![],
        entropy_scaled: vec![],
    };
    for &d in &DIMS {
        let dots: Vec<f64> = (0..samples)
            .map(|_| {
                (0..d)
                    .map(|_| rng.unit_variance() * rng.unit_variance())
                    .sum()
            })
            .collect();
        let mean = dots.iter().sum::<f64>() / samples as f64;
        m.variance
            .push(dots.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (samples - 1) as f64);
        let (mut raw, mut scaled) = (0.0, 0.0);
        for _ in 0..trials {
            let q: Vec<f64> = (0..d).map(|_| rng.unit_variance()).collect();
            let logits: Vec<f64> = (0..KEYS)
                .map(|_| q.iter().map(|qi| qi * rng.unit_variance()).sum())
                .collect();
            raw += entropy(&softmax(&logits, 1.0));
            scaled += entropy(&softmax(&logits, (d as f64).sqrt()));
        }
        m.entropy_raw.push(raw / trials as f64);
        m.entropy_scaled.push(scaled / trials as f64);
    }
    m
}

/// The `dk-variance` kind: how lessons name it, its parameters and how to build it.
pub const DK_VARIANCE: KindDef = KindDef {
    name: "dk-variance",
    title: "Why divide by √d_k",
    about: "samples random q and k with unit-variance entries; sees the measured variance of q·k against d, and the softmax entropy over 16 keys with and without ÷√d as d grows",
    params: &[ParamDef { name: "d", ty: ParamType::IntAmong { allowed: &DIMS, default: 64 }, doc: "the dimension read out in the text" }, ParamDef { name: "samples", ty: ParamType::Int { min: 100, max: 2000, default: 500 }, doc: "q·k pairs sampled per dimension (rounded up to 100, 500, 1000 or 2000)" }, ParamDef { name: "seed", ty: ParamType::Int { min: 0, max: 9999, default: 1 }, doc: "seed of the samples" }, ParamDef { name: "chart", ty: ParamType::Choice { options: &["variance", "entropy"], default: "variance" }, doc: "the chart shown first" }],
    build: build_dk_variance,
};

fn build_dk_variance(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(DkVariance::new(p)?))
}

pub struct DkVariance {
    d: usize,
    samples: usize,
    seed: u64,
    chart: usize,
    data: std::sync::Arc<Measurements>,
}

impl DkVariance {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let d = p.index("d")?;
        let samples = p.int("samples")? as usize;
        let seed = p.int("seed")? as u64;
        let chart = p.index("chart")?;
        p.finish()?;
        let samples = SAMPLES
            .iter()
            .position(|s| *s >= samples)
            .unwrap_or(SAMPLES.len() - 1);
        let data = measure_cached(SAMPLES[samples], seed);
        Ok(Self {
            d,
            samples,
            seed,
            chart,
            data,
        })
    }
}

impl Visual for DkVariance {
    fn controls(&self) -> Vec<Control> {
        vec![
            choice("d", DIMS.iter().map(|d| d.to_string()).collect(), self.d),
            choice(
                "chart",
                vec!["variance".into(), "entropy".into()],
                self.chart,
            ),
            choice(
                "samples per d",
                SAMPLES.iter().map(|s| s.to_string()).collect(),
                self.samples,
            ),
            slider("seed (re-sample)", self.seed as f64, 0.0, 9999.0, 1.0, 0),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.d = step_index(self.d, delta, DIMS.len()),
            1 => self.chart = step_index(self.chart, delta, 2),
            2 => {
                self.samples = step_index(self.samples, delta, SAMPLES.len());
                self.data = measure_cached(SAMPLES[self.samples], self.seed);
            }
            3 => {
                self.seed = step_seed(self.seed, delta);
                self.data = measure_cached(SAMPLES[self.samples], self.seed);
            }
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let i = self.d;
        let d = DIMS[i] as f64;
        let var = self.data.variance[i];
        let xs: Vec<f64> = DIMS.iter().map(|d| *d as f64).collect();
        let chart = if self.chart == 0 {
            ChartView {
                title: "variance of q·k vs d (log–log): measured * and d itself .".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: true,
                // The measured points are drawn last, on top of the theory line.
                series: vec![
                    Series {
                        name: "var = d".into(),
                        marker: '.',
                        points: xs.iter().map(|x| (*x, *x)).collect(),
                    },
                    Series {
                        name: "measured".into(),
                        marker: '*',
                        points: xs
                            .iter()
                            .copied()
                            .zip(self.data.variance.iter().copied())
                            .collect(),
                    },
                ],
            }
        } else {
            ChartView {
                title: format!("softmax entropy over {KEYS} keys (nats; max ln 16 = 2.77)"),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: false,
                series: vec![
                    Series {
                        name: "q·k".into(),
                        marker: 'x',
                        points: xs
                            .iter()
                            .copied()
                            .zip(self.data.entropy_raw.iter().copied())
                            .collect(),
                    },
                    Series {
                        name: "q·k/√d".into(),
                        marker: 'o',
                        points: xs
                            .iter()
                            .copied()
                            .zip(self.data.entropy_scaled.iter().copied())
                            .collect(),
                    },
                ],
            }
        };
        vec![
            Part::Text(vec![
                format!(
                    "d = {}: var(q·k) measured {} (theory {}), std {} → ÷√d: {}",
                    DIMS[i],
                    fmt_num(var),
                    DIMS[i],
                    fmt_num(var.sqrt()),
                    fmt_num(var.sqrt() / d.sqrt())
                ),
                format!(
                    "entropy over {KEYS} keys: raw {} nats, scaled {} nats",
                    fmt_num(self.data.entropy_raw[i]),
                    fmt_num(self.data.entropy_scaled[i])
                ),
            ]),
            Part::Chart(chart),
        ]
    }
}

/// The `padding-mask` kind: how lessons name it, its parameters and how to build it.
pub const PADDING_MASK: KindDef = KindDef {
    name: "padding-mask",
    title: "Padding a batch and masking the pads",
    about: "sees a batch of unequal sentences padded to one length, the padding mask, and one sentence's attention weights with the padded columns at exactly 0",
    params: &[
        ParamDef { name: "sentences", ty: ParamType::Texts { len: (2, 4), max_words: 8, default: &["the cat sat", "a dog ran into the park", "birds sing"] }, doc: "the batch, one sentence per row" },
        ParamDef { name: "causal", ty: ParamType::Bool { default: false }, doc: "hide later tokens too" },
    ],
    build: build_padding_mask,
};

fn build_padding_mask(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(PaddingMask::new(p)?))
}

pub struct PaddingMask {
    sentences: Vec<String>,
    shown: usize,
    causal: bool,
}

impl PaddingMask {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let sentences = p.words("sentences")?;
        let causal = p.boolean("causal")?;
        p.finish()?;
        Ok(Self {
            sentences,
            shown: 0,
            causal,
        })
    }

    fn batch(&self) -> (Vec<Vec<String>>, usize) {
        let rows: Vec<Vec<String>> = self.sentences.iter().map(|s| words(s, 8)).collect();
        let len = rows.iter().map(Vec::len).max().unwrap_or(1);
        (rows, len)
    }

    /// The shown sentence's weights over the padded length; pad query rows are NaN (unused).
    pub fn weights(&self) -> Array2<f64> {
        let (rows, len) = self.batch();
        let tokens = &rows[self.shown];
        let mut padded = tokens.clone();
        padded.resize(len, "PAD".into());
        let x = toy_embeddings(&padded, D_MODEL);
        let w = random_multi_head(D_MODEL, 1, D_MODEL, &mut Rng::new(1));
        let h = &w.heads[0];
        let mask: Vec<bool> = (0..len).map(|j| j < tokens.len()).collect();
        let opts = Options {
            causal: self.causal,
            ..Options::default()
        };
        let mut s = scaled_dot_product(
            &x.dot(&h.w_q),
            &x.dot(&h.w_k),
            &x.dot(&h.w_v),
            opts,
            Some(&mask),
        )
        .weights;
        for i in tokens.len()..len {
            s.row_mut(i).fill(f64::NAN);
        }
        s
    }
}

impl Visual for PaddingMask {
    fn controls(&self) -> Vec<Control> {
        vec![
            choice(
                "sentence",
                (1..=self.sentences.len()).map(|i| i.to_string()).collect(),
                self.shown,
            ),
            toggle("causal mask too", self.causal),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.shown = step_index(self.shown, delta, self.sentences.len()),
            1 => self.causal = !self.causal,
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let (rows, len) = self.batch();
        let lines = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut cells = r.clone();
                cells.resize(len, "PAD".into());
                let mask: String = (0..len)
                    .map(|j| if j < r.len() { '1' } else { '0' })
                    .collect();
                let mark = if i == self.shown { '>' } else { ' ' };
                format!("{mark}{}: {}  mask {mask}", i + 1, cells.join(" "))
            })
            .collect();
        let mut labels = rows[self.shown].clone();
        labels.resize(len, "PAD".into());
        vec![
            Part::Text(lines),
            Part::Matrix(MatrixView {
                title: format!(
                    "weights of sentence {} (PAD keys get exactly 0)",
                    self.shown + 1
                ),
                row_labels: labels.clone(),
                col_labels: labels,
                values: self.weights(),
                decimals: 2,
                cell: None,
                row: None,
                col: None,
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn variance_tracks_d() {
        let m = measure(2000, 7);
        for (i, d) in DIMS.iter().enumerate() {
            // The sample variance of 2000 draws is within ~3% (one standard error) of d.
            let rel = (m.variance[i] - *d as f64).abs() / *d as f64;
            assert!(rel < 0.15, "d = {d}: {}", m.variance[i]);
        }
        // Unscaled logits saturate the softmax as d grows; scaled ones do not.
        assert!(m.entropy_raw[10] < 0.5 * m.entropy_scaled[10]);
        assert!((m.entropy_scaled[10] - m.entropy_scaled[4]).abs() < 0.3);
    }

    #[test]
    fn padding_columns_are_exactly_zero() {
        let lab = PaddingMask::new(Params::new(&Map::new(), &PADDING_MASK)).unwrap();
        let w = lab.weights();
        assert_eq!(w.ncols(), 6);
        for i in 0..3 {
            for j in 3..6 {
                assert_eq!(w[[i, j]], 0.0);
            }
            assert!((w.row(i).sum() - 1.0).abs() < 1e-12);
        }
        assert!(w[[4, 0]].is_nan(), "pad queries are not used");
    }

    #[test]
    fn cross_attention_is_target_by_source() {
        let lab = CrossAttention::new(Params::new(&Map::new(), &CROSS_ATTENTION)).unwrap();
        assert_eq!(lab.weights().shape(), &[3, 4]);
    }
}
