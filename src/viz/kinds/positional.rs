//! Positional encodings: the sinusoidal table, its curves, RoPE's rotation, and why attention
//! without positions cannot tell a sentence from its shuffle.

use crate::labs::attention::{multi_head, random_multi_head, toy_embeddings, Options};
use crate::labs::fmt_num;
use crate::labs::heads::words;
use crate::labs::rng::Rng;
use crate::labs::transformer::{rope_rotate, sinusoidal, wavelength};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Control, HeatmapView, Part, Series};
use crate::viz::{choice, slider, step_index, step_seed, step_value, text_field, Visual};
use ndarray::Array2;

const VIEWS: &[&str] = &["heatmap", "curves", "rope", "shuffle"];

/// The `positional` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "positional",
    title: "Where each token is: positional encodings",
    about: "heatmap: the sinusoidal encoding, position down × dimension across; curves: a few dimensions against position, fast to slow; rope: one 2-D pair of a query rotated by position, and q·k depending only on the offset; shuffle: attention without positions on the sentence and on a shuffled copy, outputs identical up to the same shuffle (checked numerically), and different once positions are added",
    params: &[ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "heatmap" }, doc: "which picture opens first" }, ParamDef { name: "positions", ty: ParamType::Int { min: 8, max: 64, default: 32 }, doc: "positions in the heatmap and curves" }, ParamDef { name: "d_model", ty: ParamType::Int { min: 8, max: 64, default: 32 }, doc: "width of the encoding (even)" }, ParamDef { name: "text", ty: ParamType::Text { max_words: 7, default: "the cat sat on the mat" }, doc: "the sentence of the shuffle view" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(Positional::new(p)?))
}

pub struct Positional {
    view: usize,
    positions: usize,
    d_model: usize,
    text: String,
    /// RoPE: the query's position and the dimension pair shown.
    pos: usize,
    pair: usize,
    seed: u64,
}

impl Positional {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        let positions = p.int("positions")? as usize;
        let d_model = p.int("d_model")? as usize;
        let text = p.text("text")?;
        p.finish()?;
        if !d_model.is_multiple_of(2) {
            return Err("positional: \"d_model\" must be even".into());
        }
        Ok(Self {
            view,
            positions,
            d_model,
            text,
            pos: 3,
            pair: 0,
            seed: 1,
        })
    }

    fn shuffle_parts(&self) -> Vec<Part> {
        let tokens = words(&self.text, 7);
        let n = tokens.len();
        // A seeded shuffle of the word order.
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = Rng::new(self.seed);
        for i in (1..n).rev() {
            order.swap(i, rng.int(0, i as i64) as usize);
        }
        // A shuffle that moved nothing shows nothing: rotate by one instead.
        if n > 1 && order.iter().enumerate().all(|(i, &o)| i == o) {
            order.rotate_left(1);
        }
        let shuffled: Vec<String> = order.iter().map(|&i| tokens[i].clone()).collect();
        let d = 8;
        let w = random_multi_head(d, 1, d, &mut Rng::new(7));
        let run = |toks: &[String], with_pos: bool| {
            let mut x = toy_embeddings(toks, d);
            if with_pos {
                x = x + sinusoidal(toks.len(), d);
            }
            multi_head(&x, &x, &w, Options::default(), None).output
        };
        // Compare each word's output in the two orders: row order[i] of the shuffled run is word i.
        let gap = |a: &Array2<f64>, b: &Array2<f64>| {
            (0..n)
                .map(|i| {
                    let j = order.iter().position(|&o| o == i).unwrap_or(i);
                    a.row(i)
                        .iter()
                        .zip(b.row(j).iter())
                        .map(|(x, y)| (x - y).abs())
                        .fold(0.0, f64::max)
                })
                .fold(0.0, f64::max)
        };
        let plain = gap(&run(&tokens, false), &run(&shuffled, false));
        let with_pos = gap(&run(&tokens, true), &run(&shuffled, true));
        // Sums taken in another order differ in the last bits of a float, no more.
        let shown = |x: f64| {
            if x < 1e-12 {
                format!("{} (rounding only)", fmt_num(x))
            } else {
                fmt_num(x)
            }
        };
        vec![Part::Text(vec![
            format!("original: {}", tokens.join(" ")),
            format!("shuffled: {}", shuffled.join(" ")),
            String::new(),
            "Each word's attention output, original vs shuffled order:".into(),
            format!(
                "  no positions:           largest difference {}",
                shown(plain)
            ),
            format!(
                "  + sinusoidal positions: largest difference {}",
                shown(with_pos)
            ),
            String::new(),
            if plain < 1e-12 {
                "Without positions every word gets the same output in any order: attention alone cannot see order.".into()
            } else {
                "Unexpected: outputs differ without positions.".into()
            },
        ])]
    }
}

impl Visual for Positional {
    fn controls(&self) -> Vec<Control> {
        let mut c = vec![choice(
            "view",
            VIEWS.iter().map(|v| (*v).to_string()).collect(),
            self.view,
        )];
        match self.view {
            0 | 1 => {
                c.push(slider(
                    "positions",
                    self.positions as f64,
                    8.0,
                    64.0,
                    8.0,
                    0,
                ));
                c.push(slider("d_model", self.d_model as f64, 8.0, 64.0, 8.0, 0));
            }
            2 => {
                c.push(slider("position m", self.pos as f64, 0.0, 64.0, 1.0, 0));
                c.push(slider(
                    "pair i",
                    self.pair as f64,
                    0.0,
                    (self.d_model / 2 - 1) as f64,
                    1.0,
                    0,
                ));
            }
            _ => {
                c.push(text_field("text", &self.text));
                c.push(slider(
                    "shuffle seed",
                    self.seed as f64,
                    0.0,
                    9999.0,
                    1.0,
                    0,
                ));
            }
        }
        c
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match (index, self.view) {
            (0, _) => self.view = step_index(self.view, delta, VIEWS.len()),
            (1, 0 | 1) => {
                self.positions = step_value(self.positions as f64, delta, 8.0, 8.0, 64.0) as usize
            }
            (2, 0 | 1) => {
                self.d_model = step_value(self.d_model as f64, delta, 8.0, 8.0, 64.0) as usize;
                self.pair = self.pair.min(self.d_model / 2 - 1);
            }
            (1, 2) => self.pos = step_value(self.pos as f64, delta, 1.0, 0.0, 64.0) as usize,
            (2, 2) => self.pair = step_index(self.pair, delta, self.d_model / 2),
            (2, _) => self.seed = step_seed(self.seed, delta),
            _ => {}
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if index == 1 && !words(text, 7).is_empty() {
            self.text = words(text, 7).join(" ");
        }
    }

    fn parts(&self) -> Vec<Part> {
        let d = self.d_model;
        match self.view {
            0 => {
                // Eight rows spread over the positions and at most 32 dimensions spread over
                // d_model, so the map fits an 80x24 screen whatever the settings.
                let pe = sinusoidal(self.positions, d);
                let rows: Vec<usize> = (0..8).map(|r| r * (self.positions - 1) / 7).collect();
                // Whole (sin, cos) pairs are kept, so both halves of the pattern stay visible.
                let stride = d.div_ceil(32);
                let cols: Vec<usize> = (0..d / 2)
                    .step_by(stride)
                    .flat_map(|i| [2 * i, 2 * i + 1])
                    .collect();
                let values = Array2::from_shape_fn((rows.len(), cols.len()), |(r, c)| {
                    pe[[rows[r], cols[c]]]
                });
                vec![
                    Part::Text(vec![format!(
                        "↓ position, → dimension{}; λ {} (dim 0) … {} (dim {})",
                        if stride > 1 {
                            format!(" (1 in {stride})")
                        } else {
                            String::new()
                        },
                        fmt_num(wavelength(0, d)),
                        fmt_num(wavelength(d / 2 - 1, d)),
                        d - 2
                    )]),
                    Part::Heatmap(HeatmapView {
                        title: String::new(),
                        row_labels: rows.iter().map(ToString::to_string).collect(),
                        col_labels: cols
                            .iter()
                            .map(|j| {
                                if j % 8 == 0 {
                                    (j / 8).to_string()
                                } else {
                                    " ".into()
                                }
                            })
                            .collect(),
                        values,
                        range: Some((-1.0, 1.0)),
                        cursor: None,
                    }),
                ]
            }
            1 => {
                let pe = sinusoidal(self.positions, d);
                let dims = [0usize, 2, d / 2, d - 2];
                let markers = ['*', 'o', '+', 'x'];
                let series = dims
                    .iter()
                    .zip(markers)
                    .map(|(&j, m)| Series {
                        name: format!("dim {j} (λ {})", fmt_num(wavelength(j / 2, d))),
                        marker: m,
                        points: (0..self.positions)
                            .map(|p| (p as f64, pe[[p, j]]))
                            .collect(),
                    })
                    .collect();
                vec![Part::Chart(ChartView {
                    title: "PE(pos, dim) against position: fast to slow".into(),
                    x_label: String::new(),
                    y_label: String::new(),
                    x_log: false,
                    y_log: false,
                    series,
                })]
            }
            2 => {
                let q = (1.0, 0.0);
                let (m, i) = (self.pos as f64, self.pair);
                let theta = 10_000f64.powf(-2.0 * i as f64 / d as f64);
                let r = rope_rotate(q, m, i, d, 10_000.0);
                let dot = |a: (f64, f64), b: (f64, f64)| a.0 * b.0 + a.1 * b.1;
                let k = (0.6, 0.8);
                let qk = |qm: f64, kn: f64| {
                    dot(
                        rope_rotate(q, qm, i, d, 10_000.0),
                        rope_rotate(k, kn, i, d, 10_000.0),
                    )
                };
                vec![Part::Text(vec![
                    format!("pair {i}: θ = 10000^(−2·{i}/{d}) = {}", fmt_num(theta)),
                    format!(
                        "q = (1, 0) at position m = {}: rotated by m·θ = {} rad",
                        self.pos,
                        fmt_num(m * theta)
                    ),
                    format!("  → ({}, {})", fmt_num(r.0), fmt_num(r.1)),
                    String::new(),
                    "q·k with k = (0.6, 0.8), both rotated by their positions:".into(),
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos + 2,
                        self.pos,
                        fmt_num(qk(m + 2.0, m))
                    ),
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos + 102,
                        self.pos + 100,
                        fmt_num(qk(m + 102.0, m + 100.0))
                    ),
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos + 5,
                        self.pos,
                        fmt_num(qk(m + 5.0, m))
                    ),
                    "Same offset, same score: only m − n matters.".into(),
                ])]
            }
            _ => self.shuffle_parts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn params(v: serde_json::Value) -> Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap_or_default()
    }
    #[test]
    fn shuffle_view_checks_permutation_equivariance() {
        let lab = Positional::new(Params::new(&params(json!({"view": "shuffle"})), &KIND)).unwrap();
        let Part::Text(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t[4].ends_with("(rounding only)"), "{}", t[4]);
        assert!(!t[5].ends_with("(rounding only)"), "{}", t[5]);
        assert!(
            t[7].starts_with("Without positions every word gets the same output"),
            "{}",
            t[7]
        );
    }
}
