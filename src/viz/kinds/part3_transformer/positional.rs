//! Positional encodings: the sinusoidal table, its curves, RoPE's rotation, and why attention
//! without positions cannot tell a sentence from its shuffle.

use crate::labs::fmt_num;
use crate::labs::part2_math::attention::{multi_head, random_multi_head, toy_embeddings, Options};
use crate::labs::part3_transformer::heads::words;
use crate::labs::part3_transformer::transformer::{rope_rotate, sinusoidal, wavelength};
use crate::labs::rng::Rng;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, HeatmapView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};
use ndarray::Array2;

const VIEWS: &[&str] = &["heatmap", "curves", "rope", "shuffle"];

/// Positions drawn, a control and a parameter.
const POSITIONS: Scale = Scale::linear(8.0, 64.0, 8.0, 0);
/// The width of the encodings, a control and a parameter.
const D_MODEL: Scale = Scale::linear(8.0, 64.0, 8.0, 0);

/// The `positional` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "positional",
    title: "Where each token is: positional encodings",
    about: "heatmap: the sinusoidal encoding, position down × dimension across; curves: a few dimensions against position, fast to slow; rope: one 2-D pair of a query rotated by position, and q·k depending only on the offset; shuffle: attention without positions on the sentence and on a shuffled copy, outputs identical up to the same shuffle (checked numerically), and different once positions are added",
    params: &[ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "heatmap" }, doc: "which picture opens first" }, POSITIONS.int("positions", 32, "positions in the heatmap and curves"), D_MODEL.int("d_model", 32, "width of the encoding (even)"), ParamDef { name: "text", ty: ParamType::Text { max_words: 7, default: "the cat sat on the mat" }, doc: "the sentence of the shuffle view" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
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
            // A key two positions earlier is at 3, as in the lesson's example.
            pos: 5,
            pair: 0,
            seed: 1,
        })
    }

    fn shuffle_parts(&self) -> Vec<Part> {
        let tokens = words(&self.text, 7);
        let n = tokens.len();
        // One word has no order to shuffle: both runs would match with or without positions,
        // which would contradict the lesson's point rather than show it.
        if n < 2 {
            return vec![Part::Text(vec![
                format!("original: {}", tokens.join(" ")),
                String::new(),
                "A single word has no order to shuffle: type two words or more to compare.".into(),
            ])];
        }
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

impl Controls for Positional {
    fn declare(&self, k: &mut Knobs<Self>) {
        let views = VIEWS.iter().map(|v| (*v).to_string()).collect();
        k.choice("view", views, self.view, |p, i| p.view = i);
        match self.view {
            0 | 1 => {
                k.count("positions", self.positions, POSITIONS, |p, n| {
                    p.positions = n;
                });
                k.count("d_model", self.d_model, D_MODEL, |p, d| {
                    p.d_model = d;
                    p.pair = p.pair.min(p.d_model / 2 - 1);
                });
            }
            2 => {
                let positions = Scale::linear(2.0, 64.0, 1.0, 0);
                k.count("position m", self.pos, positions, |p, m| p.pos = m);
                let pairs = Scale::linear(0.0, (self.d_model / 2 - 1) as f64, 1.0, 0);
                k.count("pair i", self.pair, pairs, |p, i| p.pair = i);
            }
            _ => {
                k.text("text", &self.text, |p, text| {
                    if !words(text, 7).is_empty() {
                        p.text = words(text, 7).join(" ");
                    }
                });
                k.seed("shuffle seed", self.seed, |p, s| p.seed = s);
            }
        }
    }
}

impl Visual for Positional {
    fn parts(&self) -> Vec<Part> {
        let d = self.d_model;
        match self.view {
            0 => {
                // Eight rows spread over the positions, and the first dimensions as they are
                // (at most 32, so the map fits 80 columns). Spreading a sample of columns over
                // d_model drew the same picture at every width: the rates depend on dim / d.
                // Shown as they are, a wider model visibly spreads its waves over more columns.
                let pe = sinusoidal(self.positions, d);
                let rows: Vec<usize> = (0..8).map(|r| r * (self.positions - 1) / 7).collect();
                let shown = d.min(32);
                let values = Array2::from_shape_fn((rows.len(), shown), |(r, c)| pe[[rows[r], c]]);
                vec![
                    Part::Text(vec![
                        format!(
                            "↓ position, → dimension (numbered along the top): dims 0–{} of {d}",
                            shown - 1
                        ),
                        format!(
                            "wavelength λ {} at dim 0 … {} at dim {}",
                            fmt_num(wavelength(0, d)),
                            fmt_num(wavelength(d / 2 - 1, d)),
                            d - 2
                        ),
                    ]),
                    Part::Heatmap(HeatmapView {
                        title: String::new(),
                        row_labels: rows.iter().map(ToString::to_string).collect(),
                        // No labels of its own: the map numbers its columns 0, 1, 2 …, which
                        // are the dimensions themselves.
                        col_labels: vec![String::new(); shown],
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
                        faint: false,
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
                    // The query sits at m, the position the slider names, in every line.
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos,
                        self.pos - 2,
                        fmt_num(qk(m, m - 2.0))
                    ),
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos + 100,
                        self.pos + 98,
                        fmt_num(qk(m + 100.0, m + 98.0))
                    ),
                    format!(
                        "  q at {}, k at {}: {}",
                        self.pos + 3,
                        self.pos - 2,
                        fmt_num(qk(m + 3.0, m - 2.0))
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
    fn texts(lab: &Positional) -> Vec<String> {
        lab.parts()
            .iter()
            .flat_map(|p| match p {
                Part::Text(t) => t.clone(),
                _ => vec![],
            })
            .collect()
    }

    /// Regression: the RoPE view named the slider's position m as the query's, then listed the
    /// query at m + 2 and the key at m. Every line now puts the query at m. Worked out by hand
    /// for pair 0 (θ = 1): q·k = cos(offset)·0.6 + sin(offset)·0.8 for q = (1, 0), k = (0.6,
    /// 0.8) rotated by m and n; offset 2: 0.6·cos 2 + 0.8·sin 2 = −0.2497 + 0.7274 = 0.478.
    #[test]
    fn rope_lines_put_the_query_at_the_slider_position() {
        let lab = Positional::new(Params::new(&params(json!({"view": "rope"})), &KIND)).unwrap();
        let t = texts(&lab);
        assert!(t[1].contains("position m = 5"), "{}", t[1]);
        assert_eq!(t[5], "  q at 5, k at 3: 0.478");
        assert!(t[7].starts_with("  q at 8, k at 3:"), "{}", t[7]);
    }

    /// Regression: one word "shuffled" showed both differences at rounding level, contradicting
    /// the prose (positions make the second differ). It now asks for two words or more.
    #[test]
    fn a_one_word_shuffle_asks_for_more_words() {
        let lab = Positional::new(Params::new(
            &params(json!({"view": "shuffle", "text": "dog"})),
            &KIND,
        ))
        .unwrap();
        let t = texts(&lab).join("\n");
        assert!(t.contains("no order to shuffle"), "{t}");
        assert!(!t.contains("largest difference"), "{t}");
    }

    /// Regression: the heatmap's dimension axis had no numbers and a new d_model drew the same
    /// picture. The columns are now the first dimensions themselves (numbered by the map), so
    /// d_model 16 shows 16 columns and 64 shows 32, with different values in column 2:
    /// PE(7, 2) = sin(7 / 10000^(2/d)): d = 16 gives sin(7 / 3.162) = 0.800, d = 64 gives
    /// sin(7 / 1.334) = −0.859 (python3: math.sin(7/10000**(2/16)), math.sin(7/10000**(2/64))).
    #[test]
    fn the_heatmap_numbers_its_dimensions_and_follows_d_model() {
        let map = |d: i64| {
            let lab = Positional::new(Params::new(
                &params(json!({"view": "heatmap", "positions": 8, "d_model": d})),
                &KIND,
            ))
            .unwrap();
            let (text, heat) = match &lab.parts()[..] {
                [Part::Text(t), Part::Heatmap(h)] => (t.clone(), h.clone()),
                other => panic!("{other:?}"),
            };
            (text, heat)
        };
        let (t16, h16) = map(16);
        let (t64, h64) = map(64);
        assert_eq!((h16.values.ncols(), h64.values.ncols()), (16, 32));
        assert!(t16[0].contains("dims 0–15 of 16"), "{}", t16[0]);
        assert!(t64[0].contains("dims 0–31 of 64"), "{}", t64[0]);
        // Unlabelled columns make the map number them, i.e. by dimension (see the heatmap
        // widget's test of all-empty labels).
        assert!(h16.col_labels.iter().all(String::is_empty));
        assert!(
            (h16.values[[7, 2]] - 0.800).abs() < 1e-3,
            "{}",
            h16.values[[7, 2]]
        );
        assert!(
            (h64.values[[7, 2]] + 0.859).abs() < 1e-3,
            "{}",
            h64.values[[7, 2]]
        );
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
