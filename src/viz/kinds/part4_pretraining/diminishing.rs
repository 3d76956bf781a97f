//! Diminishing returns (lesson 18), three pages: the loss each 10× of compute buys along the
//! compute-optimal frontier, shrinking toward the floor E; growing datasets against the stock
//! of public human text, with the year they meet; and repeated epochs, worth less than fresh
//! tokens.

use crate::labs::fmt_num;
use crate::labs::part4_pretraining::cost::{
    crossing_year, grown, STOCK_HIGH, STOCK_LOW, STOCK_TOKENS,
};
use crate::labs::part4_pretraining::scaling::{effective_data, FITS, REPEAT_HALF_LIFE};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const VIEWS: &[&str] = &["per-10x", "data-stock", "epochs"];
const VIEW_NAMES: &[&str] = &["loss per 10×", "data stock", "repeated epochs"];
const FIT_KEYS: &[&str] = &["hoffmann", "epoch"];
/// Dataset growth per year, a control and a parameter.
const GROWTH: Scale = Scale::linear(1.2, 4.0, 0.1, 1);
/// Epochs over the unique tokens, a control and a parameter.
const EPOCHS: Scale = Scale::linear(1.0, 60.0, 1.0, 0);
/// Dataset sizes in 2024 to start the projection from (Llama 3: >15T tokens, facts appendix).
const SIZES: &[(&str, f64)] = &[("5T", 5e12), ("10T", 10e12), ("15T", 15e12), ("20T", 20e12)];
const UNIQUE: &[(&str, f64)] = &[("10B", 10e9), ("100B", 100e9), ("1T", 1e12)];
const START_YEAR: f64 = 2024.0;
/// The 2024 dataset sizes and unique-data sizes, as lessons name them (checked by a test).
const SIZE_KEYS: &[&str] = &["5T", "10T", "15T", "20T"];
const UNIQUE_KEYS: &[&str] = &["10B", "100B", "1T"];

/// The `diminishing` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "diminishing",
    title: "Diminishing returns and the data wall",
    about: "sees the loss each 10x of compute buys shrink toward E; a dataset growing from a chosen 2024 size at a chosen rate against the stock of public text; repeated epochs against fresh data",
    params: &[
        ParamDef {
            name: "view",
            ty: ParamType::Choice { options: VIEWS, default: "per-10x" },
            doc: "loss per 10x, the data stock, or repeated epochs",
        },
        ParamDef {
            name: "fit",
            ty: ParamType::Choice { options: FIT_KEYS, default: "hoffmann" },
            doc: "Chinchilla fit or the Epoch refit",
        },
        ParamDef {
            name: "start",
            ty: ParamType::Int { min: 18, max: 24, default: 20 },
            doc: "first compute budget, as a power of ten",
        },
        ParamDef {
            name: "size_2024",
            ty: ParamType::Choice { options: SIZE_KEYS, default: "15T" },
            doc: "the largest training set in 2024, in tokens",
        },
        GROWTH.float("growth", 2.5, "dataset growth per year"),
        ParamDef {
            name: "unique",
            ty: ParamType::Choice { options: UNIQUE_KEYS, default: "100B" },
            doc: "unique tokens available for repetition",
        },
        EPOCHS.float("epochs", 4.0, "epochs over the unique data"),
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Diminishing::new(p)?))
}

pub struct Diminishing {
    view: usize,
    fit: usize,
    /// First budget of the per-10× bars, as a power of ten.
    start_exp: i32,
    size: usize,
    growth: f64,
    unique: usize,
    epochs: f64,
}

impl Diminishing {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        let fit = p.index("fit")?;
        let start_exp = p.int("start")? as i32;
        let size = p.index("size_2024")?;
        let growth = p.float("growth")?;
        let unique = p.index("unique")?;
        let epochs = p.float("epochs")?.round();
        p.finish()?;
        Ok(Self {
            view,
            fit,
            start_exp,
            size,
            growth,
            unique,
            epochs,
        })
    }

    fn per_10x(&self) -> Vec<Part> {
        let fit = &FITS[self.fit];
        let exps: Vec<i32> = (self.start_exp..self.start_exp + 6).collect();
        let gains: Vec<f64> = exps
            .iter()
            .map(|e| fit.gain_per_10x(10f64.powi(*e)))
            .collect();
        let first = fit.optimum(10f64.powi(self.start_exp)).loss;
        let last = fit.optimum(10f64.powi(self.start_exp + 6)).loss;
        let factor = 10f64.powf(-fit.frontier_exponent());
        vec![
            Part::Bars(BarsView {
                title: "loss gained by 10× more compute (spent optimally)".into(),
                labels: exps.iter().map(|e| format!("1e{e}→1e{}", e + 1)).collect(),
                values: gains,
                decimals: 3,
                highlight: None,
                max: None,
            }),
            Part::Text(vec![
                format!(
                    "L: {} at 1e{} → {} at 1e{}; floor E = {}",
                    fmt_num(first),
                    self.start_exp,
                    fmt_num(last),
                    self.start_exp + 6,
                    fit.e
                ),
                format!(
                    "each 10× keeps {}% of the loss above E (10^−αβ/(α+β))",
                    fmt_num((factor * 1000.0).round() / 10.0)
                ),
            ]),
        ]
    }

    fn data_stock(&self) -> Vec<Part> {
        let (name, size) = SIZES[self.size];
        // Years after 2024 on the x axis: the chart's ticks read 0, 2, 4 … rather than 2.02k.
        let years: Vec<f64> = (0..=10).map(f64::from).collect();
        // A calendar year is written whole: the one in which the lines meet (2027.3 is
        // during 2027), never as a decimal.
        let cross = |stock| {
            crossing_year(size, START_YEAR, self.growth, stock)
                .map_or("never".to_string(), calendar_year)
        };
        vec![
            Part::Chart(ChartView {
                title: format!(
                    "tokens: dataset ({name} in 2024, ×{:.1}/yr) vs stock; years after 2024",
                    self.growth
                ),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: true,
                series: vec![
                    Series {
                        name: "dataset".into(),
                        marker: '*',
                        points: years
                            .iter()
                            .map(|t| (*t, grown(size, self.growth, 0.0, *t)))
                            .collect(),
                        faint: false,
                    },
                    Series {
                        name: "stock ~300T".into(),
                        marker: '=',
                        points: years.iter().map(|t| (*t, STOCK_TOKENS)).collect(),
                        faint: false,
                    },
                ],
            }),
            Part::Text(vec![
                format!(
                    "meets the ~300T-token stock in {} (90% CI 100T–1000T: {} to {})",
                    cross(STOCK_TOKENS),
                    cross(STOCK_LOW),
                    cross(STOCK_HIGH)
                ),
                "Epoch AI's forecast: 2026–2032 if trends continue".into(),
            ]),
        ]
    }

    fn epochs(&self) -> Vec<Part> {
        let (name, u) = UNIQUE[self.unique];
        let points: Vec<f64> = (1..=60).map(f64::from).collect();
        let worth = effective_data(u, self.epochs);
        vec![
            Part::Chart(ChartView {
                title: format!("{name} unique tokens: worth, in units of U, against epochs"),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: "fresh data".into(),
                        marker: '.',
                        points: points.iter().map(|e| (*e, *e)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "repeated".into(),
                        marker: '*',
                        points: points
                            .iter()
                            .map(|e| (*e, effective_data(1.0, *e)))
                            .collect(),
                        faint: false,
                    },
                    Series {
                        name: "now".into(),
                        marker: '@',
                        points: vec![(self.epochs, worth / u)],
                        faint: false,
                    },
                ],
            }),
            Part::Text(vec![
                format!(
                    "{} epochs: {} tokens seen, worth {} fresh ({}%)",
                    self.epochs,
                    fmt_num(u * self.epochs),
                    fmt_num(worth),
                    fmt_num((1000.0 * worth / (u * self.epochs)).round() / 10.0)
                ),
                format!(
                    "D' = U + U·R*·(1 − e^(−R/R*)), R = epochs − 1, R* = {REPEAT_HALF_LIFE:.1}"
                ),
            ]),
        ]
    }
}

impl Controls for Diminishing {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[(&str, f64)]| xs.iter().map(|x| x.0.to_string()).collect();
        let views = VIEW_NAMES.iter().map(|s| (*s).to_string()).collect();
        k.choice("page", views, self.view, |d, i| d.view = i);
        match self.view {
            0 => {
                let fits = vec!["Chinchilla".into(), "Epoch refit".into()];
                k.choice("fit", fits, self.fit, |d, i| d.fit = i);
                let budgets = (18..=24).map(|e| format!("1e{e}")).collect();
                let start = (self.start_exp - 18) as usize;
                k.choice("from budget", budgets, start, |d, i| {
                    d.start_exp = 18 + i as i32;
                });
            }
            1 => {
                k.choice("2024 dataset", names(SIZES), self.size, |d, i| d.size = i);
                k.slider("growth ×/yr", self.growth, GROWTH, |d, g| d.growth = g);
            }
            _ => {
                k.choice("unique tokens", names(UNIQUE), self.unique, |d, i| {
                    d.unique = i;
                });
                k.slider("epochs", self.epochs, EPOCHS, |d, e| d.epochs = e);
            }
        }
    }
}

impl Visual for Diminishing {
    fn parts(&self) -> Vec<Part> {
        match self.view {
            0 => self.per_10x(),
            1 => self.data_stock(),
            _ => self.epochs(),
        }
    }
}

/// The calendar year a moment falls in (`2027.27` → `2027`). A moment within a millionth of
/// a year of New Year counts as the new year, so float noise never turns 2028 into 2027.
fn calendar_year(at: f64) -> String {
    format!("{:.0}", (at + 1e-6).floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option lists lessons use are the same, in the same order, as the lab's own data.
    #[test]
    fn option_lists_match_the_data() {
        assert_eq!(
            SIZE_KEYS,
            SIZES.iter().map(|s| s.0).collect::<Vec<_>>().as_slice()
        );
        assert_eq!(
            UNIQUE_KEYS,
            UNIQUE.iter().map(|s| s.0).collect::<Vec<_>>().as_slice()
        );
    }
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> Diminishing {
        let map: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
        Diminishing::new(Params::new(&map, &KIND)).unwrap()
    }

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(l) => Some(l.join("\n")),
                _ => None,
            })
            .collect()
    }

    /// python3: gain 1e24 → 1e25 is 1.911195 − 1.845320 = 0.065875; each 10× keeps
    /// 10^−0.153548 = 70.2% of L − E.
    #[test]
    fn gains_shrink() {
        let parts = lab(json!({"start": 24})).parts();
        let Part::Bars(b) = &parts[0] else { panic!() };
        assert!((b.values[0] - 0.065875).abs() < 1e-6);
        assert!(b.values.windows(2).all(|w| w[1] < w[0]));
        assert!(text(&parts).contains("keeps 70.2%"));
    }

    /// 15T in 2024 at ×2.5/yr (python3): 300T in 2027.27, 100T in 2026.07, 1000T in 2028.58:
    /// each during the year written, whole.
    #[test]
    fn data_stock_crossing() {
        let t = text(&lab(json!({"view": "data-stock"})).parts());
        assert!(
            t.contains("stock in 2027 (90% CI 100T–1000T: 2026 to 2028)"),
            "{t}"
        );
        // Slow growth reaches the stock years later, still a whole year.
        let slow = text(&lab(json!({"view": "data-stock", "growth": 1.5})).parts());
        let year = slow
            .split("stock in ")
            .nth(1)
            .and_then(|r| r.split(' ').next());
        assert!(year.is_some_and(|y| y.parse::<u32>().is_ok()), "{slow}");
        assert_eq!(calendar_year(2027.9999999), "2028");
        assert_eq!(calendar_year(2035.1), "2035");
    }

    /// 100B unique × 4 epochs: 372.567B fresh-equivalent of 400B seen = 93.1%.
    #[test]
    fn four_epochs_nearly_as_good() {
        let t = text(&lab(json!({"view": "epochs"})).parts());
        assert!(
            t.contains("4 epochs: 4.00e11 tokens seen, worth 3.73e11 fresh (93.1%)"),
            "{t}"
        );
    }
}
