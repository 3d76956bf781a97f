//! Lesson 11–13 visualizers: the parameter counter, the KV-cache calculator, positional
//! encodings (sinusoidal, RoPE, and why attention needs them) and one block's forward pass.

use super::attention_map::{column_keys, row_names, words};
use crate::labs::attention::{multi_head, random_multi_head, toy_embeddings, Options};
use crate::labs::transformer::{
    block_forward, kv_bytes_per_token, rms, rope_rotate, sinusoidal, wavelength, ModelShape,
    KV_PRESETS,
};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::rng::Rng;
use crate::viz::view::{BarsView, ChartView, Control, HeatmapView, Part, Series, TableView};
use crate::viz::{choice, slider, step_index, step_seed, step_value, text_field, toggle, Visual};
use ndarray::Array2;

const PRESETS: &[&str] = &["gpt2-small", "gpt2-xl", "llama2-7b", "custom"];
const WIDTHS: &[usize] = &[
    64, 128, 256, 512, 768, 1024, 1280, 1600, 2048, 4096, 8192, 12_288, 16_384,
];
const VOCABS: &[usize] = &[1000, 32_000, 50_257, 128_256, 256_000];

/// The `param-counter` kind: how lessons name it, its parameters and how to build it.
pub const PARAM_COUNTER: KindDef = KindDef {
    name: "param-counter",
    title: "Where the parameters are",
    about: "counts parameters part by part (embeddings, positions, attention, feed-forward, norms) for a preset or free settings, against the 12·L·d² rule",
    params: &[ParamDef { name: "preset", ty: ParamType::Choice { options: PRESETS, default: "gpt2-small" }, doc: "a real model, or custom for the three settings below" }, ParamDef { name: "layers", ty: ParamType::Int { min: 1, max: 128, default: 12 }, doc: "layers of the custom model" }, ParamDef { name: "d_model", ty: ParamType::IntAmong { allowed: WIDTHS, default: 768 }, doc: "width of the custom model" }, ParamDef { name: "vocab", ty: ParamType::Int { min: 1000, max: 256_000, default: 50_257 }, doc: "vocabulary of the custom model" }],
    build: build_param_counter,
};

fn build_param_counter(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(ParamCounter::new(p)?))
}

pub struct ParamCounter {
    preset: usize,
    custom: ModelShape,
}

impl ParamCounter {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let preset = p.index("preset")?;
        let layers = p.int("layers")? as usize;
        let d_model = WIDTHS[p.index("d_model")?];
        let vocab = p.int("vocab")? as usize;
        p.finish()?;
        let custom = ModelShape {
            layers,
            d_model,
            vocab,
            positions: 1024,
            d_ff: 4 * d_model,
            gpt2_style: true,
        };
        Ok(Self { preset, custom })
    }

    pub fn shape(&self) -> ModelShape {
        match self.preset {
            0 => ModelShape::GPT2_SMALL,
            1 => ModelShape::GPT2_XL,
            2 => ModelShape::LLAMA2_7B,
            _ => self.custom,
        }
    }

    /// Changing a size starts a custom model from the preset on screen.
    fn customise(&mut self) {
        if self.preset != 3 {
            let s = self.shape();
            self.custom = ModelShape {
                positions: 1024,
                d_ff: 4 * s.d_model,
                gpt2_style: true,
                ..s
            };
            self.preset = 3;
        }
    }
}

fn nearest(list: &[usize], x: usize) -> usize {
    list.iter()
        .enumerate()
        .min_by_key(|(_, v)| v.abs_diff(x))
        .map_or(0, |(i, _)| i)
}

impl Visual for ParamCounter {
    fn controls(&self) -> Vec<Control> {
        let s = self.shape();
        vec![
            choice(
                "model",
                PRESETS.iter().map(|p| (*p).to_string()).collect(),
                self.preset,
            ),
            slider("layers L", s.layers as f64, 1.0, 128.0, 1.0, 0),
            choice(
                "width d",
                WIDTHS.iter().map(ToString::to_string).collect(),
                nearest(WIDTHS, s.d_model),
            ),
            choice(
                "vocabulary V",
                VOCABS.iter().map(ToString::to_string).collect(),
                nearest(VOCABS, s.vocab),
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.preset = step_index(self.preset, delta, PRESETS.len()),
            1 => {
                self.customise();
                self.custom.layers =
                    step_value(self.custom.layers as f64, delta, 1.0, 1.0, 128.0) as usize;
            }
            2 => {
                self.customise();
                let i = step_index(nearest(WIDTHS, self.custom.d_model), delta, WIDTHS.len());
                self.custom.d_model = WIDTHS[i];
                self.custom.d_ff = 4 * WIDTHS[i];
            }
            3 => {
                self.customise();
                self.custom.vocab =
                    VOCABS[step_index(nearest(VOCABS, self.custom.vocab), delta, VOCABS.len())];
            }
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let s = self.shape();
        let c = s.count();
        let (l, d, v, ff) = (s.layers, s.d_model, s.vocab, s.d_ff);
        let ffn_formula = if s.gpt2_style {
            format!("L·2·d·{ff}")
        } else {
            format!("L·3·d·{ff} (SwiGLU)")
        };
        let mut rows = vec![
            vec![
                "token embeddings".into(),
                format!("V·d = {v}·{d}"),
                fmt_count(c.token_embeddings as f64),
            ],
            vec![
                "positions".into(),
                if s.positions > 0 {
                    format!("{}·d (learned)", s.positions)
                } else {
                    "0 (rotary, RoPE)".into()
                },
                fmt_count(c.positions as f64),
            ],
            vec![
                "attention".into(),
                format!("L·4·d² (L = {l})"),
                fmt_count(c.attention as f64),
            ],
            vec![
                "feed-forward".into(),
                ffn_formula,
                fmt_count(c.feed_forward as f64),
            ],
            vec![
                "norms, biases".into(),
                if s.gpt2_style {
                    "LayerNorm + biases".into()
                } else {
                    "RMSNorm weights".into()
                },
                fmt_count(c.norms_and_biases as f64),
            ],
            vec![
                "unembedding".into(),
                if s.gpt2_style {
                    "tied to embeddings".into()
                } else {
                    "V·d, separate".into()
                },
                fmt_count(c.unembedding as f64),
            ],
        ];
        rows.push(vec![
            "total".into(),
            String::new(),
            fmt_count(c.total as f64),
        ]);
        let rule = s.rule_of_thumb() as f64;
        let blocks = (c.attention + c.feed_forward) as f64;
        vec![
            Part::Table(TableView {
                title: String::new(),
                headers: vec!["part".into(), "formula".into(), "parameters".into()],
                rows,
                highlight: Some(6),
            }),
            Part::Text(vec![format!(
                "12·L·d² = {} vs the blocks' {} ({}); embeddings are {}% of the total",
                fmt_num(rule),
                fmt_num(blocks),
                if s.gpt2_style {
                    "exact for a 4× FFN"
                } else {
                    "SwiGLU is a little wider"
                },
                fmt_num(
                    (100.0 * (c.token_embeddings + c.unembedding + c.positions) as f64
                        / c.total as f64)
                        .round()
                )
            )]),
        ]
    }
}

const PRECISIONS: &[(&str, f64)] = &[("fp32", 4.0), ("fp16", 2.0), ("int8", 1.0), ("int4", 0.5)];
/// The names of `PRECISIONS`, in its order (a test keeps them equal).
const PRECISION_NAMES: &[&str] = &["fp32", "fp16", "int8", "int4"];
/// The keys of `KV_PRESETS`, in its order (a test keeps them equal).
const KV_KEYS: &[&str] = &["llama2-7b", "llama2-70b", "llama3-8b", "gpt3-175b"];

/// The `kv-cache` kind: how lessons name it, its parameters and how to build it.
pub const KV_CACHE: KindDef = KindDef {
    name: "kv-cache",
    title: "How big the KV cache gets",
    about: "bytes of keys and values cached per token (2 × layers × KV heads × d_head × bytes) and in total, against the weights' own size; GQA's saving",
    params: &[ParamDef { name: "preset", ty: ParamType::Choice { options: KV_KEYS, default: "llama2-7b" }, doc: "the model whose cache is sized" }, ParamDef { name: "context", ty: ParamType::PowerOfTwo { min: 512, max: 131_072, default: 4096 }, doc: "tokens in the cache" }, ParamDef { name: "batch", ty: ParamType::Int { min: 1, max: 64, default: 1 }, doc: "sequences cached at once" }, ParamDef { name: "precision", ty: ParamType::Choice { options: PRECISION_NAMES, default: "fp16" }, doc: "bytes per cached number" }],
    build: build_kv_cache,
};

fn build_kv_cache(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(KvCache::new(p)?))
}

pub struct KvCache {
    preset: usize,
    /// log2 of the context length.
    context: u32,
    batch: usize,
    precision: usize,
}

impl KvCache {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let preset = p.index("preset")?;
        let context = p.int("context")?;
        let batch = p.int("batch")? as usize;
        let precision = p.index("precision")?;
        p.finish()?;
        Ok(Self {
            preset,
            context: (context as u64).trailing_zeros(),
            batch,
            precision,
        })
    }
}

/// Bytes in binary units: `512 KiB`, `2.00 GiB`.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

impl Visual for KvCache {
    fn controls(&self) -> Vec<Control> {
        vec![
            choice(
                "model",
                KV_PRESETS.iter().map(|k| k.name.to_string()).collect(),
                self.preset,
            ),
            choice(
                "context",
                (9..=17).map(|e| (1u64 << e).to_string()).collect(),
                self.context as usize - 9,
            ),
            slider("batch", self.batch as f64, 1.0, 64.0, 1.0, 0),
            choice(
                "precision",
                PRECISIONS.iter().map(|x| x.0.to_string()).collect(),
                self.precision,
            ),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            0 => self.preset = step_index(self.preset, delta, KV_PRESETS.len()),
            1 => self.context = step_index(self.context as usize - 9, delta, 9) as u32 + 9,
            2 => self.batch = step_value(self.batch as f64, delta, 1.0, 1.0, 64.0) as usize,
            3 => self.precision = step_index(self.precision, delta, PRECISIONS.len()),
            _ => {}
        }
    }

    fn parts(&self) -> Vec<Part> {
        let s = &KV_PRESETS[self.preset];
        let (pname, bytes) = PRECISIONS[self.precision];
        let per_token = kv_bytes_per_token(s, bytes);
        let tokens = (1u64 << self.context) as f64 * self.batch as f64;
        let total = per_token * tokens;
        let weights = s.params * bytes;
        let without_gqa = KvCacheShapeless::per_token_all_heads(s, bytes);
        let mut lines = vec![
            format!(
                "2 × {} layers × {} KV heads × {} × {bytes} B ({pname})",
                s.layers, s.kv_heads, s.d_head
            ),
            format!(
                "  = {} B = {} per token",
                fmt_count(per_token),
                fmt_bytes(per_token)
            ),
            format!(
                "× {} tokens × batch {} = {} of cache",
                fmt_count((1u64 << self.context) as f64),
                self.batch,
                fmt_bytes(total)
            ),
            format!(
                "weights at {pname}: {} (cache is {}% of that)",
                fmt_bytes(weights),
                fmt_num((100.0 * total / weights).round())
            ),
        ];
        if s.kv_heads < s.query_heads {
            lines.push(format!(
                "GQA: {} query heads share {} KV heads; without it {} per token ({}× more)",
                s.query_heads,
                s.kv_heads,
                fmt_bytes(without_gqa),
                s.query_heads / s.kv_heads
            ));
        }
        vec![
            Part::Text(lines),
            Part::Bars(BarsView {
                title: "memory, GiB".into(),
                labels: vec!["weights".into(), "KV cache".into()],
                values: vec![weights / 1024f64.powi(3), total / 1024f64.powi(3)],
                decimals: 1,
                highlight: Some(1),
                max: None,
            }),
        ]
    }
}

/// The cache a model would need if every query head kept its own keys and values.
struct KvCacheShapeless;

impl KvCacheShapeless {
    fn per_token_all_heads(s: &crate::labs::transformer::KvShape, bytes: f64) -> f64 {
        2.0 * (s.layers * s.query_heads * s.d_head) as f64 * bytes
    }
}

const VIEWS: &[&str] = &["heatmap", "curves", "rope", "shuffle"];

/// The `positional` kind: how lessons name it, its parameters and how to build it.
pub const POSITIONAL: KindDef = KindDef {
    name: "positional",
    title: "Where each token is: positional encodings",
    about: "heatmap: the sinusoidal encoding, position down × dimension across; curves: a few dimensions against position, fast to slow; rope: one 2-D pair of a query rotated by position, and q·k depending only on the offset; shuffle: attention without positions on the sentence and on a shuffled copy, outputs identical up to the same shuffle (checked numerically), and different once positions are added",
    params: &[ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "heatmap" }, doc: "which picture opens first" }, ParamDef { name: "positions", ty: ParamType::Int { min: 8, max: 64, default: 32 }, doc: "positions in the heatmap and curves" }, ParamDef { name: "d_model", ty: ParamType::Int { min: 8, max: 64, default: 32 }, doc: "width of the encoding (even)" }, ParamDef { name: "text", ty: ParamType::Text { max_words: 7, default: "the cat sat on the mat" }, doc: "the sentence of the shuffle view" }],
    build: build_positional,
};

fn build_positional(p: Params) -> ParamResult<Box<dyn Visual>> {
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

/// The `block-shapes` kind: how lessons name it, its parameters and how to build it.
pub const BLOCK_SHAPES: KindDef = KindDef {
    name: "block-shapes",
    title: "One transformer block, shape by shape",
    about: "runs one transformer block forward on the typed words and shows the shape (and the size of the numbers) at every stage: LayerNorm, each head's weights, concat, W_O, residual, feed-forward, residual",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: 7, default: "the cat sat on the mat" }, doc: "the words run through the block" }, ParamDef { name: "d_model", ty: ParamType::Choice { options: &["8", "16", "32", "64"], default: "16" }, doc: "model width" }, ParamDef { name: "heads", ty: ParamType::Choice { options: &["1", "2", "4"], default: "2" }, doc: "attention heads" }, ParamDef { name: "pre_ln", ty: ParamType::Bool { default: true }, doc: "LayerNorm before each sublayer (GPT-2) rather than after" }],
    build: build_block_shapes,
};

fn build_block_shapes(p: Params) -> ParamResult<Box<dyn Visual>> {
    Ok(Box::new(BlockShapes::new(p)?))
}

pub struct BlockShapes {
    text: String,
    d_model: usize,
    heads: usize,
    pre_ln: bool,
}

impl BlockShapes {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let text = p.text("text")?;
        let d = p.index("d_model")?;
        let h = p.index("heads")?;
        let pre_ln = p.boolean("pre_ln")?;
        p.finish()?;
        Ok(Self {
            text,
            d_model: 8 << d,
            heads: 1 << h,
            pre_ln,
        })
    }
}

impl Visual for BlockShapes {
    fn controls(&self) -> Vec<Control> {
        vec![
            text_field("text", &self.text),
            choice(
                "d_model",
                ["8", "16", "32", "64"]
                    .iter()
                    .map(|s| (*s).to_string())
                    .collect(),
                self.d_model.trailing_zeros() as usize - 3,
            ),
            choice(
                "heads",
                ["1", "2", "4"].iter().map(|s| (*s).to_string()).collect(),
                self.heads.trailing_zeros() as usize,
            ),
            toggle("pre-LN", self.pre_ln),
        ]
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        match index {
            1 => {
                self.d_model = 8 << step_index(self.d_model.trailing_zeros() as usize - 3, delta, 4)
            }
            2 => self.heads = 1 << step_index(self.heads.trailing_zeros() as usize, delta, 3),
            3 => self.pre_ln = !self.pre_ln,
            _ => {}
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if index == 0 && !words(text, 7).is_empty() {
            self.text = words(text, 7).join(" ");
        }
    }

    fn parts(&self) -> Vec<Part> {
        let tokens = words(&self.text, 7);
        let (n, d, h) = (tokens.len(), self.d_model, self.heads);
        let mut rng = Rng::new(5);
        let x = toy_embeddings(&tokens, d) + sinusoidal(n, d);
        let attn = random_multi_head(d, h, d / h, &mut rng);
        let w1 = Array2::from_shape_fn((d, 4 * d), |_| rng.normal() / (d as f64).sqrt());
        let w2 = Array2::from_shape_fn((4 * d, d), |_| rng.normal() / (4.0 * d as f64).sqrt());
        let stages = block_forward(&x, &attn, &w1, &w2, self.pre_ln);
        // Per-head weights are alike in shape: show the first and say how many.
        let rows: Vec<Vec<String>> = stages
            .iter()
            .filter(|s| !s.name.starts_with("head ") || s.name == "head 1 weights")
            .map(|s| {
                let name = if s.name == "head 1 weights" && h > 1 {
                    format!("{h} heads' weights (each)")
                } else {
                    s.name.clone()
                };
                vec![
                    name,
                    format!("{}×{}", s.value.nrows(), s.value.ncols()),
                    fmt_num(rms(&s.value)),
                ]
            })
            .collect();
        let _ = (column_keys(n), row_names(&tokens));
        vec![Part::Table(TableView {
            title: format!(
                "n = {n} tokens, d = {d}, {h} head{} of d_k = {}; random weights",
                if h == 1 { "" } else { "s" },
                d / h
            ),
            headers: vec!["stage".into(), "shape".into(), "rms".into()],
            rows,
            highlight: None,
        })]
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
    fn param_counter_shows_gpt2_small_total() {
        let lab = ParamCounter::new(Params::new(&params(json!({})), &PARAM_COUNTER)).unwrap();
        let Part::Table(t) = &lab.parts()[0] else {
            panic!()
        };
        assert_eq!(t.rows[6][2], "124,439,808");
    }

    #[test]
    fn kv_cache_for_llama2_7b_at_4096_is_2_gib() {
        let lab = KvCache::new(Params::new(&params(json!({})), &KV_CACHE)).unwrap();
        let Part::Text(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t[1].contains("524,288 B = 512 KiB per token"), "{}", t[1]);
        assert!(t[2].ends_with("= 2 GiB of cache"), "{}", t[2]);
    }

    #[test]
    fn shuffle_view_checks_permutation_equivariance() {
        let lab = Positional::new(Params::new(
            &params(json!({"view": "shuffle"})),
            &POSITIONAL,
        ))
        .unwrap();
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

    #[test]
    fn block_table_lists_every_stage() {
        let lab = BlockShapes::new(Params::new(
            &params(json!({"text": "a b c"})),
            &BLOCK_SHAPES,
        ))
        .unwrap();
        let Part::Table(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t.rows.iter().any(|r| r[1] == "3×64"), "{:?}", t.rows);
        assert_eq!(t.rows.last().map(|r| r[1].as_str()), Some("3×16"));
    }
}
