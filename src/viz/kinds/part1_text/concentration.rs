//! Distance concentration: how the gap between nearest and farthest random points shrinks
//! as the dimension grows.

use crate::labs::fmt_num;
use crate::labs::part1_text::similarity::{contrast_curve, CONC_DIMS};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual};

const POINTS: [usize; 4] = [100, 500, 1000, 2000];

/// The `concentration` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "concentration",
    title: "Distances in many dimensions",
    about: "sees (farthest − nearest)/nearest distance from a random query shrink as the dimension grows from 2 to 4096, measured live",
    params: &[ParamDef { name: "points", ty: ParamType::Int { min: 100, max: 2000, default: 500 }, doc: "random points per dimension (rounded up to 100, 500, 1000 or 2000)" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Concentration::new(p)?))
}

pub struct Concentration {
    points: usize,
}

impl Concentration {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let points = p.int("points")? as usize;
        p.finish()?;
        let points = POINTS
            .iter()
            .position(|x| *x >= points)
            .unwrap_or(POINTS.len() - 1);
        Ok(Self { points })
    }
}

impl Controls for Concentration {
    fn declare(&self, k: &mut Knobs<Self>) {
        let points = POINTS.iter().map(ToString::to_string).collect();
        k.choice("random points", points, self.points, |c, i| c.points = i);
    }
}

impl Visual for Concentration {
    fn parts(&self) -> Vec<Part> {
        let curve = contrast_curve(POINTS[self.points]);
        let last = CONC_DIMS.len() - 1;
        vec![
            Part::Text(vec![
                format!(
                    "(farthest − nearest) / nearest, from a random query to {} random points:",
                    POINTS[self.points]
                ),
                format!(
                    "d = 2: {}    d = 64: {}    d = 4096: {}",
                    fmt_num(curve[0]),
                    fmt_num(curve[5]),
                    fmt_num(curve[last])
                ),
            ]),
            Part::Chart(ChartView {
                title: "relative contrast vs dimension (log–log)".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: true,
                series: vec![Series {
                    name: "measured".into(),
                    marker: '*',
                    points: CONC_DIMS
                        .iter()
                        .zip(curve.iter())
                        .map(|(d, c)| (*d as f64, *c))
                        .collect(),
                    faint: false,
                }],
            }),
        ]
    }
}
