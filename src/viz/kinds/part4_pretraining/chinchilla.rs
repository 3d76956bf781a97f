//! The Chinchilla fit on log–log axes (lesson 17): loss against model size for several amounts
//! of data, or the compute-optimal N and D against the budget; and a calculator that turns a
//! budget C into N_opt, D_opt, tokens per parameter and the predicted loss. Kaplan's
//! single-factor laws are the third option. The IsoFLOP view draws what Hoffmann et al.'s
//! "Approach 2" measures: for three fixed budgets, loss against model size with D = C/(6N),
//! each a valley whose bottom is that budget's best N, read off a grid as an experiment would
//! (the closed form is only printed beside it, for comparison).

use crate::labs::fmt_num;
use crate::labs::part4_pretraining::scaling::{compute, kaplan, Fit, FITS};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual};

const FIT_KEYS: &[&str] = &["hoffmann", "epoch", "kaplan"];
const FIT_NAMES: &[&str] = &["Chinchilla", "Epoch refit", "Kaplan"];
const VIEWS: &[&str] = &["loss-vs-n", "frontier", "isoflop"];
/// Budgets 10^18 … 10^27 FLOPs.
const MIN_EXP: i32 = 18;
const MAX_EXP: i32 = 27;
/// Data sizes drawn as one curve each in the loss-vs-N view.
const DATA: &[(f64, char)] = &[(1e10, 'a'), (1e11, 'b'), (1e12, 'c'), (1e13, 'd')];

/// The `chinchilla` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "chinchilla",
    title: "Scaling laws and the compute-optimal model",
    about: "plots a scaling-law fit on log-log axes (loss against N for four data sizes, the compute-optimal N and D against the budget, or IsoFLOP valleys: loss against N at three fixed budgets) and computes N_opt, D_opt, tokens per parameter and loss for a compute budget",
    params: &[
        ParamDef {
            name: "fit",
            ty: ParamType::Choice { options: FIT_KEYS, default: "hoffmann" },
            doc: "Chinchilla (Hoffmann et al.), the Epoch refit, or Kaplan",
        },
        ParamDef {
            name: "view",
            ty: ParamType::Choice { options: VIEWS, default: "loss-vs-n" },
            doc: "loss against N, the compute-optimal frontier, or IsoFLOP valleys",
        },
        ParamDef {
            name: "budget",
            ty: ParamType::Int { min: MIN_EXP as i64, max: MAX_EXP as i64, default: 24 },
            doc: "compute budget as a power of ten (24 = 1e24 FLOPs)",
        },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Chinchilla::new(p)?))
}

pub struct Chinchilla {
    fit: usize,
    view: usize,
    budget_exp: i32,
}

impl Chinchilla {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let fit = p.index("fit")?;
        let view = p.index("view")?;
        let budget_exp = p.int("budget")? as i32;
        p.finish()?;
        Ok(Self {
            fit,
            view,
            budget_exp,
        })
    }

    fn budget(&self) -> f64 {
        10f64.powi(self.budget_exp)
    }
}

/// `n` points from 10^lo to 10^hi, evenly spaced in the exponent.
fn log_range(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / (n - 1) as f64))
        .collect()
}

fn loss_vs_n(fit: &Fit, budget: f64) -> ChartView {
    let mut series: Vec<Series> = DATA
        .iter()
        .map(|(d, marker)| Series {
            name: format!("D={}", fmt_num(*d)),
            marker: *marker,
            points: log_range(7.0, 12.0, 40)
                .into_iter()
                .map(|n| (n, fit.loss(n, *d) - fit.e))
                .collect(),
            faint: false,
        })
        .collect();
    let opt = fit.optimum(budget);
    series.push(Series {
        name: "optimum for C".into(),
        marker: '@',
        // On the same axis as the curves: the reducible part L − E, not the whole loss.
        points: vec![(opt.n, opt.loss - fit.e)],
        faint: false,
    });
    ChartView {
        title: format!(
            "L − E = {}/N^{} + {}/D^{} against N, log–log",
            fit.a, fit.alpha, fit.b, fit.beta
        ),
        // Panels scroll now, and a chart drops its axis labels before its plot when rows are
        // short, so the labels cost nothing on a small screen.
        x_label: "N: parameters (log scale)".into(),
        y_label: "L − E: reducible loss, nats/token (log scale)".into(),
        x_log: true,
        y_log: true,
        series,
    }
}

fn frontier(fit: &Fit, budget: f64) -> ChartView {
    let cs = log_range(f64::from(MIN_EXP), f64::from(MAX_EXP), 40);
    let opt = |c: f64| fit.optimum(c);
    ChartView {
        title: "compute-optimal N and D against budget C (FLOPs)".into(),
        x_label: "C: training compute, FLOPs (log scale)".into(),
        y_label: "N_opt parameters, D_opt and 20·N_opt tokens (log scale)".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series {
                name: "D_opt".into(),
                marker: 'D',
                points: cs.iter().map(|c| (*c, opt(*c).d)).collect(),
                faint: false,
            },
            Series {
                name: "20·N_opt".into(),
                marker: '2',
                points: cs.iter().map(|c| (*c, 20.0 * opt(*c).n)).collect(),
                faint: false,
            },
            Series {
                name: "N_opt".into(),
                marker: 'N',
                points: cs.iter().map(|c| (*c, opt(*c).n)).collect(),
                faint: false,
            },
            Series {
                name: "this C".into(),
                marker: '@',
                points: vec![(budget, opt(budget).n), (budget, opt(budget).d)],
                faint: false,
            },
        ],
    }
}

/// Budgets of the IsoFLOP view: the chosen one and the two decades below it.
fn isoflop_budgets(budget: f64) -> [(f64, char); 3] {
    [(budget / 100.0, 'a'), (budget / 10.0, 'b'), (budget, 'c')]
}

/// One IsoFLOP profile: loss at `points` model sizes from N_opt/100 to 100·N_opt of the
/// budget (evenly in log N), each trained on D = C/(6N) tokens.
fn isoflop_profile(fit: &Fit, c: f64, points: usize) -> Vec<(f64, f64)> {
    let centre = fit.optimum(c).n.log10();
    log_range(centre - 2.0, centre + 2.0, points)
        .into_iter()
        .map(|n| (n, fit.loss(n, c / (6.0 * n))))
        .collect()
}

/// The bottom of a profile: its lowest point, as one would read it off measured runs.
fn valley_bottom(profile: &[(f64, f64)]) -> (f64, f64) {
    profile
        .iter()
        .copied()
        .fold((f64::NAN, f64::INFINITY), |best, p| {
            if p.1 < best.1 {
                p
            } else {
                best
            }
        })
}

/// Points per IsoFLOP profile: fine enough that the grid's bottom is within 1% of the
/// closed form's N (4 decades / 400 steps = 0.01 decade ≈ 2.3% apart, bottom within half).
const ISOFLOP_POINTS: usize = 401;

fn isoflop(fit: &Fit, budget: f64) -> ChartView {
    let mut series: Vec<Series> = isoflop_budgets(budget)
        .iter()
        .map(|(c, marker)| Series {
            name: format!("C={}", fmt_num(*c)),
            marker: *marker,
            points: isoflop_profile(fit, *c, 41),
            faint: false,
        })
        .collect();
    series.push(Series {
        name: "bottom".into(),
        marker: '@',
        points: isoflop_budgets(budget)
            .iter()
            .map(|(c, _)| valley_bottom(&isoflop_profile(fit, *c, ISOFLOP_POINTS)))
            .collect(),
        faint: false,
    });
    ChartView {
        title: "IsoFLOP: loss against N at fixed C (D = C/6N)".into(),
        x_label: "N: parameters (log scale)".into(),
        y_label: "L: loss, nats/token".into(),
        x_log: true,
        y_log: false,
        series,
    }
}

fn kaplan_chart() -> ChartView {
    let xs = log_range(7.0, 13.0, 40);
    ChartView {
        title: "Kaplan: L(N) = (8.8e13/N)^0.076, L(D) = (5.4e13/D)^0.095".into(),
        x_label: "N: parameters without embeddings, or D: tokens (log scale)".into(),
        y_label: "L: test loss, nats/token (log scale)".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series {
                name: "L(N)".into(),
                marker: 'N',
                points: xs.iter().map(|x| (*x, kaplan::loss_n(*x))).collect(),
                faint: false,
            },
            Series {
                name: "L(D)".into(),
                marker: 'D',
                points: xs.iter().map(|x| (*x, kaplan::loss_d(*x))).collect(),
                faint: false,
            },
        ],
    }
}

impl Controls for Chinchilla {
    fn declare(&self, k: &mut Knobs<Self>) {
        let fits = FIT_NAMES.iter().map(|s| (*s).to_string()).collect();
        k.choice("fit", fits, self.fit, |c, i| c.fit = i);
        let budgets = (MIN_EXP..=MAX_EXP).map(|e| format!("1e{e}")).collect();
        let budget = (self.budget_exp - MIN_EXP) as usize;
        k.choice("budget C (FLOPs)", budgets, budget, |c, i| {
            c.budget_exp = MIN_EXP + i as i32;
        });
        if self.fit < FITS.len() {
            let charts = vec!["loss vs N".into(), "optimal N, D".into(), "IsoFLOP".into()];
            k.choice("chart", charts, self.view, |c, i| c.view = i);
        }
    }
}

impl Visual for Chinchilla {
    fn parts(&self) -> Vec<Part> {
        let c = self.budget();
        let Some(fit) = FITS.get(self.fit) else {
            return vec![
                Part::Chart(kaplan_chart()),
                Part::Text(vec![
                    format!(
                        "C = 1e{}: L(C) = (3.1e8 PF-days / C)^0.050 = {}",
                        self.budget_exp,
                        fmt_num(kaplan::loss_c(c))
                    ),
                    "Kaplan's N leaves out embeddings and the loss is on another dataset,".into(),
                    "so values do not compare with Chinchilla's. They advised N_opt ∝ C^0.73."
                        .into(),
                ]),
            ];
        };
        let opt = fit.optimum(c);
        if self.view == 2 {
            let bottoms: Vec<(f64, f64)> = isoflop_budgets(c)
                .iter()
                .map(|(c, _)| valley_bottom(&isoflop_profile(fit, *c, ISOFLOP_POINTS)))
                .collect();
            // The slope of the bottoms on log-log axes: how N_opt grows with C, as Approach 2
            // reads it from its valleys.
            let slope = (bottoms[2].0 / bottoms[0].0).log10() / 2.0;
            let mut lines: Vec<String> = isoflop_budgets(c)
                .iter()
                .zip(&bottoms)
                .map(|((c, marker), (n, l))| {
                    format!(
                        "{marker} C = {}: lowest loss {} at N = {}",
                        fmt_num(*c),
                        fmt_num(*l),
                        fmt_num(*n)
                    )
                })
                .collect();
            lines.push(format!(
                "bottoms: N_opt ∝ C^{slope:.2} (closed form: N_opt = {} at C = {})",
                fmt_num(opt.n),
                fmt_num(c)
            ));
            return vec![Part::Chart(isoflop(fit, c)), Part::Text(lines)];
        }
        let chart = if self.view == 0 {
            loss_vs_n(fit, c)
        } else {
            frontier(fit, c)
        };
        vec![
            Part::Chart(chart),
            Part::Text(vec![
                format!(
                    "C = 1e{}: N_opt = {}, D_opt = {}: {} tokens/param (rule: 20)",
                    self.budget_exp,
                    fmt_num(opt.n),
                    fmt_num(opt.d),
                    fmt_num((opt.tokens_per_param() * 10.0).round() / 10.0),
                ),
                format!(
                    "L = {} nats; N_opt ∝ C^{:.3}, D_opt ∝ C^{:.3}; 6·N·D = {}",
                    fmt_num(opt.loss),
                    fit.beta / (fit.alpha + fit.beta),
                    fit.alpha / (fit.alpha + fit.beta),
                    fmt_num(compute(opt.n, opt.d))
                ),
            ]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> Chinchilla {
        let map: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
        Chinchilla::new(Params::new(&map, &KIND)).unwrap()
    }

    /// python3 at C = 1e24: Hoffmann N = 4.1297e10, D = 4.0358e12, 97.7 tokens/param,
    /// L = 1.911; exponents 0.28/0.62 = 0.452, 0.34/0.62 = 0.548. Epoch: 18.1 tokens/param.
    #[test]
    fn calculator_lines() {
        let parts = lab(json!({})).parts();
        let Part::Text(t) = &parts[1] else { panic!() };
        let want = "N_opt = 4.13e10, D_opt = 4.04e12: 97.7 tokens/param";
        assert!(t[0].contains(want), "{}", t[0]);
        assert!(t[1].starts_with("L = 1.91 nats"), "{}", t[1]);
        assert!(
            t[1].contains("C^0.452") && t[1].contains("C^0.548"),
            "{}",
            t[1]
        );
        assert!(t[1].ends_with("6·N·D = 1.00e24"), "{}", t[1]);
        let parts = lab(json!({"fit": "epoch"})).parts();
        let Part::Text(t) = &parts[1] else { panic!() };
        assert!(t[0].ends_with("18.1 tokens/param (rule: 20)"), "{}", t[0]);
    }

    /// The curves plot L − E, so the optimum's marker must too: at C = 1e24 (python3)
    /// L = 1.911195, E = 1.69, so the marker sits at 0.221195, not at 1.91.
    #[test]
    fn optimum_marker_is_on_the_curves_axis() {
        let parts = lab(json!({})).parts();
        let Part::Chart(chart) = &parts[0] else {
            panic!()
        };
        let marker = chart.series.last().unwrap().points[0];
        assert!((marker.1 - 0.221195).abs() < 1e-6, "{marker:?}");
        assert!(chart.title.starts_with("L − E"), "{}", chart.title);
    }

    /// The IsoFLOP view finds each budget's best N from the valley alone, and it agrees with
    /// the closed form (4.13e10 at 1e24, python3) to the grid's resolution; the bottoms'
    /// slope is β/(α+β) = 0.452 for Hoffmann's fit.
    #[test]
    fn isoflop_valleys_bottom_out_at_the_optimum() {
        let parts = lab(json!({"view": "isoflop"})).parts();
        let Part::Chart(chart) = &parts[0] else {
            panic!()
        };
        assert_eq!(chart.series.len(), 4);
        let bottoms = &chart.series[3].points;
        for ((c, _), (n, l)) in isoflop_budgets(1e24).iter().zip(bottoms) {
            let opt = HOFFMANN_FIT.optimum(*c);
            assert!((n / opt.n - 1.0).abs() < 0.012, "{n} vs {}", opt.n);
            assert!(*l <= opt.loss + 1e-6 && *l >= opt.loss - 1e-12, "{l}");
            // Every point of the valley lies above its bottom.
            let profile = isoflop_profile(&HOFFMANN_FIT, *c, ISOFLOP_POINTS);
            assert!(profile.iter().all(|p| p.1 >= *l));
        }
        let Part::Text(t) = &parts[1] else { panic!() };
        assert!(t[3].starts_with("bottoms: N_opt ∝ C^0.45"), "{}", t[3]);
        assert!(
            t[2].starts_with("c C = 1.00e24: lowest loss 1.91"),
            "{}",
            t[2]
        );
    }

    const HOFFMANN_FIT: Fit = crate::labs::part4_pretraining::scaling::HOFFMANN;

    #[test]
    fn kaplan_has_its_own_chart() {
        let mut l = lab(json!({"fit": "kaplan", "budget": 20}));
        assert_eq!(l.controls().len(), 2);
        let parts = l.parts();
        let Part::Text(t) = &parts[1] else { panic!() };
        // 1e20 FLOPs = 1.1574 PF-days; (3.1e8/1.1574)**0.05 = 2.6388 (python3).
        assert!(t[0].ends_with("= 2.64"), "{}", t[0]);
        l.adjust(0, -1);
        assert_eq!(l.controls().len(), 3);
    }
}
