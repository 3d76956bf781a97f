//! Cosine, dot product and Euclidean distance of two 2-D vectors, and the identity that ties
//! them for unit vectors.

use crate::labs::fmt_num;
use crate::labs::part1_text::similarity::{cosine, dot, euclidean, normalized};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, ScatterView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// Each coordinate of a vector, a control and a parameter.
const COORD: Scale = Scale::linear(-5.0, 5.0, 0.5, 1);

/// The `metrics` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "metrics",
    title: "Cosine, dot product and distance",
    about: "moves two 2-D vectors and sees cosine, dot product and Euclidean distance, and with normalizing on, that ‖a−b‖² = 2 − 2·cos",
    params: &[ParamDef { name: "a", ty: ParamType::Floats { len: (2, 2), range: (COORD.min, COORD.max), default: &[3.0, 1.0] }, doc: "the first vector (x, y)" }, ParamDef { name: "b", ty: ParamType::Floats { len: (2, 2), range: (COORD.min, COORD.max), default: &[1.0, 2.0] }, doc: "the second vector (x, y)" }, ParamDef { name: "normalize", ty: ParamType::Bool { default: false }, doc: "scale both to length 1" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Metrics::new(p)?))
}

pub struct Metrics {
    a: [f64; 2],
    b: [f64; 2],
    normalize: bool,
}

impl Metrics {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let a = p.floats("a")?;
        let b = p.floats("b")?;
        let normalize = p.boolean("normalize")?;
        p.finish()?;
        Ok(Self {
            a: [a[0], a[1]],
            b: [b[0], b[1]],
            normalize,
        })
    }
}

impl Metrics {
    /// A square about the origin holding both vectors as set (and the unit circle), with a
    /// little room for the labels.
    fn extent(&self) -> ([f64; 2], [f64; 2]) {
        let r = self
            .a
            .iter()
            .chain(&self.b)
            .fold(1.0_f64, |m, v| m.max(v.abs()))
            * 1.1;
        ([-r, r], [-r, r])
    }
}

impl Controls for Metrics {
    fn declare(&self, k: &mut Knobs<Self>) {
        // One slider per coordinate of each vector.
        for (j, axis) in ["x", "y"].into_iter().enumerate() {
            k.slider(&format!("a.{axis}"), self.a[j], COORD, move |m, v| {
                m.a[j] = v
            });
        }
        for (j, axis) in ["x", "y"].into_iter().enumerate() {
            k.slider(&format!("b.{axis}"), self.b[j], COORD, move |m, v| {
                m.b[j] = v
            });
        }
        k.toggle("normalize", self.normalize, |m, on| m.normalize = on);
    }
}

impl Visual for Metrics {
    fn parts(&self) -> Vec<Part> {
        let (a, b) = if self.normalize {
            (normalized(&self.a), normalized(&self.b))
        } else {
            (self.a.to_vec(), self.b.to_vec())
        };
        let cos = cosine(&a, &b);
        let mut lines = vec![
            format!(
                "a = ({}, {})  b = ({}, {})",
                fmt_num(a[0]),
                fmt_num(a[1]),
                fmt_num(b[0]),
                fmt_num(b[1])
            ),
            format!(
                "cosine {}   dot {}   distance {}",
                fmt_num(cos),
                fmt_num(dot(&a, &b)),
                fmt_num(euclidean(&a, &b))
            ),
        ];
        if self.normalize {
            lines.push(format!(
                "unit vectors: ‖a−b‖² = {} and 2 − 2·cos = {}",
                fmt_num(euclidean(&a, &b).powi(2)),
                fmt_num(2.0 - 2.0 * cos)
            ));
        } else {
            lines.push("dot = ‖a‖·‖b‖·cos: longer vectors score higher at the same angle".into());
        }
        // Points along each arrow from the origin.
        let along = |v: &[f64]| -> Vec<(f64, f64)> {
            (0..=80)
                .map(|i| (v[0] * f64::from(i) / 80.0, v[1] * f64::from(i) / 80.0))
                .collect()
        };
        let mut points: Vec<(f64, f64)> = along(&a);
        points.extend(along(&b));
        if self.normalize {
            // The unit circle: both normalized vectors end on it.
            points.extend((0..72).map(|i| {
                let t = f64::from(i) * std::f64::consts::TAU / 72.0;
                (t.cos(), t.sin())
            }));
        }
        vec![
            Part::Text(lines),
            Part::Scatter(ScatterView {
                title: String::new(),
                points,
                marks: vec![
                    (a[0], a[1], "a".into()),
                    (b[0], b[1], "b".into()),
                    (0.0, 0.0, "0".into()),
                ],
                // Equal aspect makes the plot narrow (two columns a row): 8 rows keep the
                // labels of a and b clear of the origin's.
                rows: 8,
                equal_aspect: true,
                // The box of the vectors as set, normalized or not, so normalizing is seen to
                // shrink them to length 1.
                extent: Some(self.extent()),
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    #[test]
    fn metrics_identity_holds_when_normalized() {
        let mut lab = Metrics::new(Params::new(&Map::new(), &KIND)).unwrap();
        lab.adjust(4, 1);
        let Part::Text(lines) = &lab.parts()[0] else {
            panic!()
        };
        let nums: Vec<&str> = lines[2].split(" = ").collect();
        assert!(lines[2].starts_with("unit vectors"), "{}", lines[2]);
        assert_eq!(
            nums[1].split(' ').next(),
            nums[2].split(' ').next(),
            "{}",
            lines[2]
        );
    }
}
