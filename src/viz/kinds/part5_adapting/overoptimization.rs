//! Lesson 25: over-optimising a flawed proxy reward, computed exactly on a toy
//! ([`crate::labs::part5_adapting::kl_optimum`]). Responses have a quality and a length; the gold reward wants
//! quality and at most four paragraphs, the proxy (a reward model that learned "longer looked
//! better") adds a bonus per paragraph. For each β the optimum of proxy − β·KL is scored by
//! both: as β falls the proxy climbs while the gold rises, peaks and falls; and the policy's
//! entropy, after a brief rise, collapses onto one response.

use crate::labs::part5_adapting::kl_optimum::{
    log_betas, optimal_policy, sweep, toy_responses, SweepPoint, TOY_REWARDS,
};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Visual};

const VIEWS: &[&str] = &["rewards", "gold", "entropy"];
/// β from 100 down to 0.01 in 41 points, evenly in log β: ten per factor of 10.
const POINTS: usize = 41;

pub const KIND: KindDef = KindDef {
    name: "overoptimization",
    title: "A proxy reward, over-optimised",
    about: "lowers β and sees the optimum of a flawed proxy reward (it likes length) score higher on the proxy while the gold reward peaks and falls, against √KL; or the policy's entropy collapse as β → 0",
    params: &[
        ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "rewards" }, doc: "proxy and gold against √KL, gold alone (its peak at full height), or entropy against β" },
        ParamDef { name: "beta_index", ty: ParamType::Int { min: 0, max: 40, default: 20 }, doc: "which β is marked: 0 is β = 100, 40 is β = 0.01, 10 steps per factor of 10" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Overoptimization::new(p)?))
}

pub struct Overoptimization {
    view: usize,
    at: usize,
    points: Vec<SweepPoint>,
}

impl Overoptimization {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        let at = p.int("beta_index")? as usize;
        p.finish()?;
        let (responses, reference) = toy_responses();
        let points = sweep(
            &responses,
            &reference,
            &TOY_REWARDS,
            &log_betas(100.0, 0.01, POINTS),
        );
        Ok(Self { view, at, points })
    }

    /// The mean length and quality the policy writes at sweep point `i`.
    fn habits(&self, i: usize) -> (f64, f64) {
        let (responses, reference) = toy_responses();
        let proxy: Vec<f64> = responses.iter().map(|r| TOY_REWARDS.proxy(r)).collect();
        let p = optimal_policy(&reference, &proxy, self.points[i].beta);
        let len = p.iter().zip(&responses).map(|(a, r)| a * r.length).sum();
        let q = p.iter().zip(&responses).map(|(a, r)| a * r.quality).sum();
        (len, q)
    }
}

impl Controls for Overoptimization {
    fn declare(&self, k: &mut Knobs<Self>) {
        let views = VIEWS.iter().map(|s| (*s).to_string()).collect();
        k.choice("view", views, self.view, |o, i| o.view = i);
        let betas = self.points.iter().map(|p| fmt_beta(p.beta)).collect();
        k.choice("β", betas, self.at, |o, i| o.at = i);
    }
}

impl Visual for Overoptimization {
    fn parts(&self) -> Vec<Part> {
        let here = self.points[self.at];
        let peak = self
            .points
            .iter()
            .copied()
            .max_by(|a, b| a.gold.total_cmp(&b.gold))
            .unwrap_or(here);
        let (len, quality) = self.habits(self.at);
        let text = Part::Text(vec![
            format!(
                "β = {}: proxy {:.2} · gold {:.2} · √KL {:.2} · H {:.2} nats",
                fmt_beta(here.beta),
                here.proxy,
                here.gold,
                here.sqrt_kl,
                here.entropy
            ),
            format!(
                "{len:.1} paragraphs, quality {quality:.2} · gold peaks at {:.2} (β = {})",
                peak.gold,
                fmt_beta(peak.beta)
            ),
        ]);
        let chart = if self.view == 1 {
            ChartView {
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: "gold".into(),
                        marker: 'g',
                        points: self.points.iter().map(|p| (p.sqrt_kl, p.gold)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "this β (x axis: √KL)".into(),
                        marker: '•',
                        points: vec![(here.sqrt_kl, here.gold)],
                        faint: false,
                    },
                ],
            }
        } else if self.view == 0 {
            ChartView {
                // No title or axis label: at 80x24 every row goes to the plot, so the gold
                // peak stays visible; the legend names the x axis.
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: "proxy".into(),
                        marker: 'p',
                        points: self.points.iter().map(|p| (p.sqrt_kl, p.proxy)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "gold".into(),
                        marker: 'g',
                        points: self.points.iter().map(|p| (p.sqrt_kl, p.gold)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "this β (x axis: √KL)".into(),
                        marker: '•',
                        points: vec![(here.sqrt_kl, here.proxy), (here.sqrt_kl, here.gold)],
                        faint: false,
                    },
                ],
            }
        } else {
            ChartView {
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: true,
                y_log: false,
                series: vec![
                    Series {
                        name: "entropy".into(),
                        marker: 'h',
                        points: self.points.iter().map(|p| (p.beta, p.entropy)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "this β (x axis: β, log)".into(),
                        marker: '•',
                        points: vec![(here.beta, here.entropy)],
                        faint: false,
                    },
                ],
            }
        };
        vec![text, Part::Chart(chart)]
    }
}

/// β as the control shows it: 100, 2.5, 0.16, 0.01.
fn fmt_beta(b: f64) -> String {
    if b >= 10.0 {
        format!("{b:.0}")
    } else if b >= 1.0 {
        format!("{b:.1}")
    } else if b >= 0.1 {
        format!("{b:.2}")
    } else {
        format!("{b:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> Overoptimization {
        let m: Map<String, Value> = serde_json::from_value(v).unwrap();
        Overoptimization::new(Params::new(&m, &KIND)).unwrap()
    }

    #[test]
    fn proxy_climbs_and_gold_peaks_inside_the_sweep() {
        let l = lab(json!({}));
        assert!((l.points[0].beta - 100.0).abs() < 1e-9);
        assert!((l.points[40].beta - 0.01).abs() < 1e-9);
        // Ten points per decade: index 20 is β = 1. Every view draws.
        for view in 0..VIEWS.len() {
            let mut v = lab(json!({}));
            v.view = view;
            assert!(matches!(v.parts()[1], Part::Chart(_)));
        }
        assert!((l.points[20].beta - 1.0).abs() < 1e-9);
        let last = l.points[40];
        assert!(last.proxy > l.points[0].proxy && last.gold < l.points[0].gold);
        let (peak, _) = l
            .points
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.gold.total_cmp(&b.1.gold))
            .unwrap();
        assert!(peak > 0 && peak < 40, "{peak}");
        // At β → 0 the policy writes the proxy's favourite: 10 paragraphs.
        let (len, _) = l.habits(40);
        assert!((len - 10.0).abs() < 0.05, "{len}");
        assert!(format!("{:?}", l.parts()).contains("β = 1.0:"));
    }
}
