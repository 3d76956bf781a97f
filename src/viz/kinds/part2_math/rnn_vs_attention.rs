//! The cost of a recurrent layer against a self-attention layer as the sequence grows.

use crate::labs::fmt_num;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

fn is_pow2_in(x: i64, min: i64, max: i64) -> bool {
    x >= min && x <= max && (x as u64).is_power_of_two()
}

/// The `rnn-vs-attention` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "rnn-vs-attention",
    title: "RNN or attention: the cost as sequences grow",
    about: "grows the sequence length; sees sequential steps, operations per layer and path length for an RNN and for self-attention, on log–log axes",
    params: &[ParamDef { name: "n", ty: ParamType::PowerOfTwo { min: 16, max: 65536, default: 1024 }, doc: "sequence length" }, ParamDef { name: "d", ty: ParamType::PowerOfTwo { min: 64, max: 4096, default: 512 }, doc: "model width" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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

impl Controls for VsAttention {
    fn declare(&self, k: &mut Knobs<Self>) {
        // Powers of two read better as a list than as positions on a linear track.
        let powers = |lo: u32, hi: u32| {
            (lo..=hi)
                .map(|e| (1usize << e).to_string())
                .collect::<Vec<_>>()
        };
        let n = self.n.trailing_zeros() as usize - 4;
        k.choice("sequence length n", powers(4, 16), n, |v, i| {
            v.n = 1 << (i + 4)
        });
        let d = self.d.trailing_zeros() as usize - 6;
        k.choice("width d", powers(6, 12), d, |v, i| v.d = 1 << (i + 6));
    }
}

impl Visual for VsAttention {
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
                        faint: false,
                    },
                    Series {
                        name: "attention n²·d".into(),
                        marker: 'o',
                        points: ns.iter().map(|x| (*x, x * x * d)).collect(),
                        faint: false,
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
        let mut lab = VsAttention::new(Params::new(&Map::new(), &KIND)).unwrap();
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
}
