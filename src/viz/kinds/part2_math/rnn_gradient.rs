//! The vanishing or exploding gradient of a recurrence, against the spectral radius.

use crate::labs::fmt_num;
use crate::labs::part2_math::rnn::gradient_norms;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};

/// The spectral radius ρ of the recurrent matrix, a control and a parameter.
const RADIUS: Scale = Scale::linear(0.5, 1.5, 0.01, 2);
/// Steps the gradient flows back, a control and a parameter.
const STEPS: Scale = Scale::linear(10.0, 200.0, 10.0, 0);
/// The hidden size, a control and a parameter.
const HIDDEN: Scale = Scale::linear(2.0, 64.0, 2.0, 0);

/// The `rnn-gradient` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "rnn-gradient",
    title: "Gradients through an RNN",
    about: "sets the spectral radius of the recurrent matrix; sees the gradient norm shrink or blow up with distance on a log scale",
    params: &[RADIUS.float("radius", 0.9, "spectral radius of the recurrent matrix"), STEPS.int("steps", 60, "time steps the gradient travels back"), HIDDEN.int("hidden", 16, "size of the hidden state"), SEED.int("seed", 3, "seed of the random recurrent matrix"), ParamDef { name: "tanh", ty: ParamType::Bool { default: true }, doc: "pass each step through tanh" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for Gradient {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.slider("spectral radius ρ", self.radius, RADIUS, |g, r| {
            g.radius = r
        });
        k.count("steps back", self.steps, STEPS, |g, s| g.steps = s);
        k.toggle("tanh", self.tanh, |g, on| g.tanh = on);
        k.count("hidden size", self.hidden, HIDDEN, |g, h| g.hidden = h);
        k.seed("seed", self.seed, |g, s| g.seed = s);
    }
}

impl Visual for Gradient {
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
            faint: false,
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
                faint: false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    #[test]
    fn gradient_readout_matches_radius_power() {
        let lab = Gradient::new(Params::new(&Map::new(), &KIND)).unwrap();
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
