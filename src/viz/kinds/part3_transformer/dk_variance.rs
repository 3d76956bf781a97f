//! Why attention divides by √d_k: the measured variance of q·k against d, and the softmax
//! entropy with and without the scale.

use crate::labs::fmt_num;
use crate::labs::part3_transformer::dk_variance::{measure_cached, Measurements, DIMS, KEYS};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual, SEED};

/// Pairs sampled per d; re-sampling all eleven dimensions stays well under a tenth of a
/// second in release.
const SAMPLES: [usize; 4] = [100, 500, 1000, 2000];

/// The `dk-variance` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "dk-variance",
    title: "Why divide by √d_k",
    about: "samples random q and k with unit-variance entries; sees the measured variance of q·k against d, and the softmax entropy over 16 keys with and without ÷√d as d grows",
    params: &[ParamDef { name: "d", ty: ParamType::IntAmong { allowed: &DIMS, default: 64 }, doc: "the dimension read out in the text" }, ParamDef { name: "samples", ty: ParamType::Int { min: 100, max: 2000, default: 500 }, doc: "q·k pairs sampled per dimension (rounded up to 100, 500, 1000 or 2000)" }, SEED.int("seed", 1, "seed of the samples"), ParamDef { name: "chart", ty: ParamType::Choice { options: &["variance", "entropy"], default: "variance" }, doc: "the chart shown first" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for DkVariance {
    fn declare(&self, k: &mut Knobs<Self>) {
        let dims = DIMS.iter().map(|d| d.to_string()).collect();
        k.choice("d", dims, self.d, |v, i| v.d = i);
        let charts = vec!["variance".into(), "entropy".into()];
        k.choice("chart", charts, self.chart, |v, i| v.chart = i);
        // New samples or a new seed: measured again.
        let samples = SAMPLES.iter().map(|s| s.to_string()).collect();
        k.choice("samples per d", samples, self.samples, |v, i| {
            v.samples = i;
            v.data = measure_cached(SAMPLES[v.samples], v.seed);
        });
        k.seed("seed (re-sample)", self.seed, |v, s| {
            v.seed = s;
            v.data = measure_cached(SAMPLES[v.samples], v.seed);
        });
    }
}

impl Visual for DkVariance {
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
                        faint: false,
                    },
                    Series {
                        name: "measured".into(),
                        marker: '*',
                        points: xs
                            .iter()
                            .copied()
                            .zip(self.data.variance.iter().copied())
                            .collect(),
                        faint: false,
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
                        faint: false,
                    },
                    Series {
                        name: "q·k/√d".into(),
                        marker: 'o',
                        points: xs
                            .iter()
                            .copied()
                            .zip(self.data.entropy_scaled.iter().copied())
                            .collect(),
                        faint: false,
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
