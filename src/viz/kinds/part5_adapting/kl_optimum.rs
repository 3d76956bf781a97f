//! Lessons 23 and 24: the KL-regularised optimum over a few candidate responses,
//! π*(y) ∝ π_ref(y)·exp(r(y)/β) ([`crate::labs::part5_adapting::kl_optimum`]), with β as the control; the
//! reward–KL trade-off as β sweeps; and a policy trained step by step toward the optimum, by
//! gradient ascent on E[r] − β·KL or by DPO on the pairs the rewards imply
//! ([`crate::labs::part5_adapting::policy_training`]).

use crate::labs::fmt_num;
use crate::labs::part2_math::softmax::entropy;
use crate::labs::part5_adapting::kl_optimum::{expected, kl, log_betas, objective, optimal_policy};
use crate::labs::part5_adapting::policy_training::{train_dpo, train_rlhf};
use crate::labs::part5_adapting::preference::Comparison;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{ChartView, Part, Series, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

const VIEWS: &[&str] = &["optimum", "sweep", "training"];
const BETAS: &[f64] = &[0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
const BETA_NAMES: &[&str] = &["0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10"];
const STEPS: &[usize] = &[0, 1, 2, 5, 10, 20, 50, 100, 200, 500];
const STEP_NAMES: &[&str] = &["0", "1", "2", "5", "10", "20", "50", "100", "200", "500"];
const METHODS: &[&str] = &["rlhf", "dpo"];
/// Learning rate of the step-by-step training (safe for rewards of a few units).
const LR: f64 = 1.0;

pub const KIND: KindDef = KindDef {
    name: "kl-optimum",
    title: "The best policy on a KL leash",
    about: "sets β and sees the optimum π*(y) ∝ π_ref(y)·exp(r(y)/β) over a few candidate responses with its expected reward and KL to the reference; sweeps β to see reward bought with KL; or trains a policy step by step (gradient on E[r] − β·KL, or DPO on the pairs the rewards imply) and watches it move toward the optimum",
    params: &[
        ParamDef { name: "view", ty: ParamType::Choice { options: VIEWS, default: "optimum" }, doc: "the optimum at one β, a sweep over β, or step-by-step training" },
        ParamDef { name: "beta", ty: ParamType::Choice { options: BETA_NAMES, default: "1" }, doc: "the KL coefficient β" },
        ParamDef { name: "labels", ty: ParamType::Words { len: (2, 6), default: &["helpful", "curt", "flattering", "wrong", "refusal"] }, doc: "the candidate responses" },
        ParamDef { name: "reference", ty: ParamType::Floats { len: (2, 6), range: (0.001, 10.0), default: &[0.25, 0.3, 0.1, 0.2, 0.15] }, doc: "π_ref of each candidate (rescaled to sum to 1)" },
        ParamDef { name: "rewards", ty: ParamType::Floats { len: (2, 6), range: (-10.0, 10.0), default: &[2.0, 0.5, 1.5, -1.0, -0.5] }, doc: "the reward r of each candidate" },
        ParamDef { name: "steps", ty: ParamType::IntAmong { allowed: STEPS, default: 20 }, doc: "training steps taken (training view)" },
        ParamDef { name: "method", ty: ParamType::Choice { options: METHODS, default: "rlhf" }, doc: "gradient ascent on E[r] − β·KL, or DPO (training view)" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(KlOptimum::new(p)?))
}

pub struct KlOptimum {
    view: usize,
    beta: usize,
    labels: Vec<String>,
    reference: Vec<f64>,
    rewards: Vec<f64>,
    steps: usize,
    method: usize,
}

impl KlOptimum {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        let beta = p.index("beta")?;
        let labels = p.words("labels")?;
        let reference = p.floats("reference")?;
        let rewards = p.floats("rewards")?;
        let steps = p.index("steps")?;
        let method = p.index("method")?;
        p.finish()?;
        let n = labels.len();
        if reference.len() != n || rewards.len() != n {
            return Err(format!(
                "kl-optimum: \"labels\", \"reference\" and \"rewards\" must have the same length ({n}, {}, {})",
                reference.len(),
                rewards.len()
            ));
        }
        let z: f64 = reference.iter().sum();
        Ok(Self {
            view,
            beta,
            labels,
            reference: reference.iter().map(|p| p / z).collect(),
            rewards,
            steps,
            method,
        })
    }

    fn b(&self) -> f64 {
        BETAS[self.beta]
    }

    /// Pairs the rewards imply: the higher-reward candidate preferred in every pair.
    fn implied_pairs(&self) -> Vec<Comparison> {
        let n = self.rewards.len();
        let mut out = Vec::new();
        for i in 0..n {
            for j in 0..n {
                if self.rewards[i] > self.rewards[j] {
                    out.push(Comparison {
                        winner: i,
                        loser: j,
                    });
                }
            }
        }
        out
    }

    fn optimum_parts(&self) -> Vec<Part> {
        let b = self.b();
        let p = optimal_policy(&self.reference, &self.rewards, b);
        let rows = (0..self.labels.len())
            .map(|i| {
                vec![
                    self.labels[i].clone(),
                    format!("{:+.2}", self.rewards[i]),
                    format!("{:.3}", self.reference[i]),
                    format!("{:.3}", p[i]),
                ]
            })
            .collect();
        vec![
            Part::Text(vec![
                format!(
                    "β = {}: E[r] {:.3} → {:.3}, KL(π*‖π_ref) = {:.3} nats",
                    BETA_NAMES[self.beta],
                    expected(&self.reference, &self.rewards),
                    expected(&p, &self.rewards),
                    kl(&p, &self.reference)
                ),
                format!(
                    "objective E[r] − β·KL = {:.3} · entropy {:.2} → {:.2} nats",
                    objective(&p, &self.reference, &self.rewards, b),
                    entropy(&self.reference),
                    entropy(&p)
                ),
            ]),
            Part::Table(TableView {
                title: String::new(),
                headers: vec!["response".into(), "r".into(), "π_ref".into(), "π*".into()],
                rows,
                highlight: (0..p.len()).max_by(|&a, &c| p[a].total_cmp(&p[c])),
            }),
        ]
    }

    fn sweep_parts(&self) -> Vec<Part> {
        let betas = log_betas(10.0, 0.05, 40);
        let point = |b: f64| {
            let p = optimal_policy(&self.reference, &self.rewards, b);
            (expected(&p, &self.rewards), kl(&p, &self.reference))
        };
        let pts: Vec<(f64, f64, f64)> = betas
            .iter()
            .map(|&b| {
                let (r, k) = point(b);
                (b, r, k)
            })
            .collect();
        let (r, k) = point(self.b());
        vec![
            Part::Text(vec![format!(
                "β = {}: E[r] = {:.3}, KL = {:.3} (• marks it)",
                BETA_NAMES[self.beta], r, k
            )]),
            Part::Chart(ChartView {
                title: "E[r] (r) and KL (k) against β".into(),
                x_label: "β".into(),
                y_label: String::new(),
                x_log: true,
                y_log: false,
                series: vec![
                    Series {
                        name: "E[r]".into(),
                        marker: 'r',
                        points: pts.iter().map(|p| (p.0, p.1)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "KL".into(),
                        marker: 'k',
                        points: pts.iter().map(|p| (p.0, p.2)).collect(),
                        faint: false,
                    },
                    Series {
                        name: "β".into(),
                        marker: '•',
                        points: vec![(self.b(), r), (self.b(), k)],
                        faint: false,
                    },
                ],
            }),
        ]
    }

    fn training_parts(&self) -> Vec<Part> {
        let b = self.b();
        let n = STEPS[self.steps];
        let best = optimal_policy(&self.reference, &self.rewards, b);
        let (probs, line) = if self.method == 0 {
            let trace = train_rlhf(&self.reference, &self.rewards, b, LR, n);
            let last = trace.last().cloned();
            let p = last
                .as_ref()
                .map_or_else(|| self.reference.clone(), |l| l.probs.clone());
            // A KL is never negative; rounding error can make it -1e-17, printed "-0.000".
            let (r, k) = last.map_or((0.0, 0.0), |l| (l.reward, l.kl.max(0.0)));
            (
                p,
                format!(
                    "step {n}: E[r] {r:.3}, KL {k:.3} · optimum: E[r] {:.3}, KL {:.3}",
                    expected(&best, &self.rewards),
                    kl(&best, &self.reference).max(0.0)
                ),
            )
        } else {
            let pairs = self.implied_pairs();
            let trace = train_dpo(&self.reference, &pairs, b, LR, n);
            let last = trace.last().cloned();
            let p = last
                .as_ref()
                .map_or_else(|| self.reference.clone(), |l| l.probs.clone());
            let (loss, margin) = last.map_or((0.0, 0.0), |l| (l.loss, l.margin));
            (
                p,
                format!(
                    "step {n}: DPO loss {} (ln 2 at step 0), mean margin {}, {} pairs",
                    fmt_num(loss),
                    fmt_num(margin),
                    pairs.len()
                ),
            )
        };
        let rows = (0..self.labels.len())
            .map(|i| {
                vec![
                    self.labels[i].clone(),
                    format!("{:+.2}", self.rewards[i]),
                    format!("{:.3}", self.reference[i]),
                    format!("{:.3}", probs[i]),
                    format!("{:.3}", best[i]),
                ]
            })
            .collect();
        vec![
            Part::Text(vec![line]),
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "response".into(),
                    "r".into(),
                    "π_ref".into(),
                    "π now".into(),
                    "π*".into(),
                ],
                rows,
                highlight: (0..probs.len()).max_by(|&a, &c| probs[a].total_cmp(&probs[c])),
            }),
        ]
    }
}

impl Controls for KlOptimum {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        k.choice("view", names(VIEWS), self.view, |o, i| o.view = i);
        k.choice("β", names(BETA_NAMES), self.beta, |o, i| o.beta = i);
        if self.view == 2 {
            k.choice("steps", names(STEP_NAMES), self.steps, |o, i| o.steps = i);
            k.choice("method", names(METHODS), self.method, |o, i| o.method = i);
        }
    }
}

impl Visual for KlOptimum {
    fn parts(&self) -> Vec<Part> {
        match self.view {
            0 => self.optimum_parts(),
            1 => self.sweep_parts(),
            _ => self.training_parts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> KlOptimum {
        let m: Map<String, Value> = serde_json::from_value(v).unwrap();
        KlOptimum::new(Params::new(&m, &KIND)).unwrap()
    }

    #[test]
    fn the_optimum_matches_a_direct_computation() {
        // Three candidates, π_ref = (0.5, 0.3, 0.2), r = (1, 2, 0), β = 1: weights 0.5e,
        // 0.3e², 0.2 = 1.359141, 2.216717, 0.2 → π* = (0.360, 0.587, 0.053) (python3).
        let l =
            lab(json!({"labels": ["a", "b", "c"], "reference": [5, 3, 2], "rewards": [1, 2, 0]}));
        let text = format!("{:?}", l.parts());
        assert!(
            text.contains("\"0.360\"") && text.contains("\"0.587\"") && text.contains("\"0.053\""),
            "{text}"
        );
        // E[r] = 0.360 + 2·0.587 = 1.534; KL = 0.205.
        assert!(
            text.contains("E[r] 1.100 → 1.534, KL(π*‖π_ref) = 0.205"),
            "{text}"
        );
    }

    #[test]
    fn training_ends_near_the_optimum_and_lengths_must_agree() {
        let l = lab(json!({"view": "training", "steps": 500}));
        let text = format!("{:?}", l.parts());
        let best = optimal_policy(&l.reference, &l.rewards, 1.0);
        assert!(
            text.contains(&format!("E[r] {:.3}", expected(&best, &l.rewards))),
            "{text}"
        );
        let m: Map<String, Value> =
            serde_json::from_value(json!({"labels": ["a", "b"], "rewards": [1, 2, 3]})).unwrap();
        assert!(KlOptimum::new(Params::new(&m, &KIND)).is_err());
    }
}
