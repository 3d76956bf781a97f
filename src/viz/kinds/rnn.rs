//! Two visualizers for lesson 07: the vanishing/exploding gradient of a recurrence, and the
//! cost of a recurrent layer against a self-attention layer as the sequence grows.

use crate::labs::fmt_num;
use crate::labs::rnn::gradient_norms;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Control, Part, Series, TableView};
use crate::viz::{choice, slider, step_seed, step_value, toggle, Visual};

/// The `rnn-gradient` kind: how lessons name it, its parameters and how to build it.
pub const RNN_GRADIENT: KindDef = KindDef {
    name: "rnn-gradient",
    title: "Gradients through an RNN",
    about: "sets the spectral radius of the recurrent matrix; sees the gradient norm shrink or blow up with distance on a log scale",
    params: &[ParamDef { name: "radius", ty: ParamType::Float { min: 0.5, max: 1.5, default: 0.9 }, doc: "spectral radius of the recurrent matrix" }, ParamDef { name: "steps", ty: ParamType::Int { min: 10, max: 200, default: 60 }, doc: "time steps the gradient travels back" }, ParamDef { name: "hidden", ty: ParamType::Int { min: 2, max: 64, default: 16 }, doc: "size of the hidden state" }, ParamDef { name: "seed", ty: ParamType::Int { min: 0, max: 9999, default: 3 }, doc: "seed of the random recurrent matrix" }, ParamDef { name: "tanh", ty: ParamType::Bool { default: true }, doc: "pass each step through tanh" }],
    build: build_rnn_gradient,
};

fn build_rnn_gradient(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Gradient::new(p)?))
}

pub struct Gradient {
    radius: f64,
    steps: usize,
    hidden: usize,
    seed: u64,
    tanh: bool,
}

impl Gradient {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let radius = p.float("radius")?;
        let steps = p.int("steps")? as usize;
        let hidden = p.int("hidden")? as usize;
        let seed = p.int("seed")? as u64;
        let tanh = p.boolean("tanh")?;
        p.finish()?;
        Ok(Self {
            radius,
            steps,
            hidden,
            seed,
            tanh,
        })
    }
}

impl Visual for Gradient {
    fn controls(&self) -> Vec<Control> {
        vec![
            slider("spectral radius ρ", self.radius, 0.5, 1.5, 0.01, 2),
            slider("steps back", self.steps as f64, 10.0, 200.0, 10.0, 0),
            toggle("tanh", self.tanh),
            slider("hidden size", self.hidden as f64, 2.0, 64.0, 2.0, 0),
            slider("seed", self.seed as f64, 0.0, 9999.0, 1.0, 0),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.radius = step_value(self.radius, delta, 0.01, 0.5, 1.5),
            1 => self.steps = step_value(self.steps as f64, delta, 10.0, 10.0, 200.0) as usize,
            2 => self.tanh = !self.tanh,
            3 => self.hidden = step_value(self.hidden as f64, delta, 2.0, 2.0, 64.0) as usize,
            4 => self.seed = step_seed(self.seed, delta),
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let linear = gradient_norms(self.radius, self.steps, self.hidden, self.seed, false);
        let points = |norms: &[f64]| -> Vec<(f64, f64)> {
            norms
                .iter()
                .enumerate()
                .map(|(t, g)| ((t + 1) as f64, *g))
                .collect()
        };
        let mut series = vec![Series {
            name: format!("linear: ρ^t with ρ = {:.2}", self.radius),
            marker: '*',
            points: points(&linear),
        }];
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        // One readout line, so the panel fits an 80x24 screen.
        let mut line = format!(
            "t = {}: linear {} (ρ^t = {})",
            self.steps,
            fmt_num(last(&linear)),
            fmt_num(self.radius.powi(self.steps as i32))
        );
        if self.tanh {
            let squashed = gradient_norms(self.radius, self.steps, self.hidden, self.seed, true);
            line.push_str(&format!(" · with tanh {}", fmt_num(last(&squashed))));
            series.push(Series {
                name: "tanh RNN".into(),
                marker: 'o',
                points: points(&squashed),
            });
        }
        let lines = vec![line];
        vec![
            Part::Chart(ChartView {
                title: "gradient norm ‖∂h_T/∂h_(T−t)‖ (log) vs steps back t".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: true,
                series,
            }),
            Part::Text(lines),
        ]
    }
}

/// Sequence lengths and widths offered: powers of two.
fn pow2_step(value: usize, delta: i32, min: usize, max: usize) -> usize {
    let shifted = if delta >= 0 {
        value.checked_shl(delta.unsigned_abs()).unwrap_or(max)
    } else {
        value >> delta.unsigned_abs().min(63)
    };
    shifted.clamp(min, max)
}

fn is_pow2_in(x: i64, min: i64, max: i64) -> bool {
    x >= min && x <= max && (x as u64).is_power_of_two()
}

/// The `rnn-vs-attention` kind: how lessons name it, its parameters and how to build it.
pub const RNN_VS_ATTENTION: KindDef = KindDef {
    name: "rnn-vs-attention",
    title: "RNN or attention: the cost as sequences grow",
    about: "grows the sequence length; sees sequential steps, operations per layer and path length for an RNN and for self-attention, on log–log axes",
    params: &[ParamDef { name: "n", ty: ParamType::PowerOfTwo { min: 16, max: 65536, default: 1024 }, doc: "sequence length" }, ParamDef { name: "d", ty: ParamType::PowerOfTwo { min: 64, max: 4096, default: 512 }, doc: "model width" }],
    build: build_rnn_vs_attention,
};

fn build_rnn_vs_attention(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(VsAttention::new(p)?))
}

pub struct VsAttention {
    n: usize,
    d: usize,
}

impl VsAttention {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let n = p.int("n")?;
        let d = p.int("d")?;
        p.finish()?;
        if !is_pow2_in(n, 16, 65536) || !is_pow2_in(d, 64, 4096) {
            return Err("rnn-vs-attention: \"n\" and \"d\" must be powers of two".into());
        }
        Ok(Self {
            n: n as usize,
            d: d as usize,
        })
    }
}

impl Visual for VsAttention {
    fn controls(&self) -> Vec<Control> {
        // Powers of two read better as a list than as positions on a linear track.
        let powers = |lo: u32, hi: u32| {
            (lo..=hi)
                .map(|e| (1usize << e).to_string())
                .collect::<Vec<_>>()
        };
        vec![
            choice(
                "sequence length n",
                powers(4, 16),
                self.n.trailing_zeros() as usize - 4,
            ),
            choice(
                "width d",
                powers(6, 12),
                self.d.trailing_zeros() as usize - 6,
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.n = pow2_step(self.n, delta, 16, 65536),
            1 => self.d = pow2_step(self.d, delta, 64, 4096),
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let (n, d) = (self.n as f64, self.d as f64);
        let rnn_ops = n * d * d;
        let attn_ops = n * n * d;
        let ns: Vec<f64> = (4..=16).map(|e| 2f64.powi(e)).collect();
        vec![
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "layer".into(),
                    "sequential steps".into(),
                    "operations".into(),
                    "longest path".into(),
                ],
                rows: vec![
                    vec![
                        "recurrent".into(),
                        fmt_num(n),
                        format!("n·d² = {}", fmt_num(rnn_ops)),
                        fmt_num(n),
                    ],
                    vec![
                        "self-attention".into(),
                        "1".into(),
                        format!("n²·d = {}", fmt_num(attn_ops)),
                        "1".into(),
                    ],
                ],
                highlight: None,
            }),
            Part::Chart(ChartView {
                title: format!(
                    "ops per layer vs n (log–log), d = {}; attention/recurrent = n/d = {}",
                    self.d,
                    fmt_num(attn_ops / rnn_ops)
                ),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: true,
                series: vec![
                    Series {
                        name: "recurrent n·d²".into(),
                        marker: '*',
                        points: ns.iter().map(|x| (*x, x * d * d)).collect(),
                    },
                    Series {
                        name: "attention n²·d".into(),
                        marker: 'o',
                        points: ns.iter().map(|x| (*x, x * x * d)).collect(),
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
    fn work_ratio_is_n_over_d() {
        let mut lab = VsAttention::new(Params::new(&Map::new(), &RNN_VS_ATTENTION)).unwrap();
        let Part::Chart(c) = &lab.parts()[1] else {
            panic!()
        };
        assert!(
            c.title.ends_with("attention/recurrent = n/d = 2"),
            "{}",
            c.title
        );
        lab.adjust(0, 2);
        assert_eq!(lab.n, 4096);
        lab.adjust(0, 100);
        assert_eq!(lab.n, 65536);
        lab.adjust(1, -100);
        assert_eq!(lab.d, 64);
    }

    #[test]
    fn gradient_readout_matches_radius_power() {
        let lab = Gradient::new(Params::new(&Map::new(), &RNN_GRADIENT)).unwrap();
        let Part::Text(t) = &lab.parts()[1] else {
            panic!()
        };
        // 0.9^60 = 0.001797...
        assert!(
            t[0].starts_with("t = 60: linear 0.00180 (ρ^t = 0.00180) · with tanh "),
            "{}",
            t[0]
        );
    }
}
