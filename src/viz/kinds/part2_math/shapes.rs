//! The shape checker: (m×k)·(k2×n) either gives an m×n result or fails because k ≠ k2.

use crate::labs::fmt_count;
use crate::labs::part2_math::flops::matmul_flops;
use crate::viz::kinds::{dim_options, DIMS, DIM_NAMES};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

/// The `shapes` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "shapes",
    title: "Do these shapes multiply?",
    about: "picks the shapes of (m×k)·(k2×n); sees the result shape and its FLOPs, or why the shapes do not fit",
    params: &[ParamDef { name: "m", ty: ParamType::Choice { options: DIM_NAMES, default: "4" }, doc: "rows of A" }, ParamDef { name: "k", ty: ParamType::Choice { options: DIM_NAMES, default: "8" }, doc: "columns of A" }, ParamDef { name: "k2", ty: ParamType::Choice { options: DIM_NAMES, default: "8" }, doc: "rows of B" }, ParamDef { name: "n", ty: ParamType::Choice { options: DIM_NAMES, default: "3" }, doc: "columns of B" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Shapes::new(p)?))
}

pub struct Shapes {
    /// Indices into DIMS.
    dims: [usize; 4],
}

impl Shapes {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let m = p.index("m")?;
        let k = p.index("k")?;
        let k2 = p.index("k2")?;
        let n = p.index("n")?;
        p.finish()?;
        Ok(Self {
            dims: [m, k, k2, n],
        })
    }
}

impl Controls for Shapes {
    fn declare(&self, k: &mut Knobs<Self>) {
        let labels = [
            "m (rows of A)",
            "k (cols of A)",
            "k2 (rows of B)",
            "n (cols of B)",
        ];
        // One choice per dimension.
        for (j, (label, i)) in labels.into_iter().zip(self.dims).enumerate() {
            k.choice(label, dim_options(), i, move |s, i| s.dims[j] = i);
        }
    }
}

impl Visual for Shapes {
    fn parts(&self) -> Vec<Part> {
        let [m, k, k2, n] = self.dims.map(|i| DIMS[i]);
        let fits = k == k2;
        let mut rows = vec![
            vec![
                "A".into(),
                m.to_string(),
                k.to_string(),
                fmt_count((m * k) as f64),
            ],
            vec![
                "B".into(),
                k2.to_string(),
                n.to_string(),
                fmt_count((k2 * n) as f64),
            ],
        ];
        let text = if fits {
            rows.push(vec![
                "A·B".into(),
                m.to_string(),
                n.to_string(),
                fmt_count((m * n) as f64),
            ]);
            let flops = matmul_flops(m as f64, k as f64, n as f64);
            vec![
                format!("OK: ({m}×{k})·({k2}×{n}) → ({m}×{n}). The inner sizes match and cancel."),
                format!(
                    "{} outputs, each a dot product of length {k}: 2·m·k·n = {} FLOPs",
                    fmt_count((m * n) as f64),
                    fmt_count(flops)
                ),
            ]
        } else {
            vec![
                format!("Cannot multiply: A has {k} columns but B has {k2} rows."),
                "Each output pairs a row of A with a column of B term by term, so the inner sizes must be equal.".into(),
            ]
        };
        vec![
            Part::Table(TableView {
                title: "Shapes".into(),
                headers: vec![
                    "matrix".into(),
                    "rows".into(),
                    "cols".into(),
                    "numbers".into(),
                ],
                rows,
                highlight: fits.then_some(2),
            }),
            Part::Text(text),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn lab(v: serde_json::Value) -> Shapes {
        let map: Map<String, serde_json::Value> = v.as_object().cloned().unwrap_or_default();
        Shapes::new(Params::new(&map, &KIND)).unwrap()
    }

    #[test]
    fn matching_and_mismatching_shapes() {
        let ok = lab(json!({"m": 4, "k": 768, "k2": 768, "n": 3072}));
        let Part::Text(t) = &ok.parts()[1] else {
            panic!()
        };
        assert!(t[0].starts_with("OK: (4×768)·(768×3072) → (4×3072)"));
        assert!(t[1].contains("18,874,368"), "{}", t[1]);
        let bad = lab(json!({"k": 8, "k2": 16}));
        let Part::Text(t) = &bad.parts()[1] else {
            panic!()
        };
        assert!(t[0].contains("A has 8 columns but B has 16 rows"));
    }
}
