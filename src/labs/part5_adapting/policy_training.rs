//! Training a policy over a few candidate responses, step by step: by gradient ascent on the
//! RLHF objective E[r] − β·KL(π‖π_ref), and by DPO on preference pairs (facts §5).
//!
//! The policy is a softmax over one logit per candidate, started at the reference (logits =
//! ln π_ref), so each step can be shown: reward and KL rising together, faster and further for
//! smaller β, and settling on the closed-form optimum of [`crate::labs::part5_adapting::kl_optimum::optimal_policy`].
//! A language model does the same over sequences, estimated from samples instead of summed
//! exactly; the small set keeps every number exact.

use crate::labs::part2_math::softmax::softmax;
use crate::labs::part5_adapting::kl_optimum::{expected, kl, objective};
use crate::labs::part5_adapting::preference::{log_sigmoid, sigmoid, Comparison};

/// π = softmax(logits).
pub fn policy(logits: &[f64]) -> Vec<f64> {
    softmax(logits, 1.0)
}

/// The reference as logits: ln π_ref (−∞ where it is 0, so such candidates stay at 0).
pub fn reference_logits(reference: &[f64]) -> Vec<f64> {
    reference.iter().map(|p| p.ln()).collect()
}

/// Gradient of E_π[r] − β·KL(π‖π_ref) with respect to the logits. With f(y) = r(y) −
/// β·ln(π(y)/π_ref(y)) it is π(y)·(f(y) − E_π[f]): push up the candidates whose penalised
/// reward beats the current average. (The KL term's own derivative through ln π cancels,
/// because Σ π·∂ln π = ∂Σ π = 0.)
pub fn rlhf_gradient(logits: &[f64], reference: &[f64], rewards: &[f64], beta: f64) -> Vec<f64> {
    let p = policy(logits);
    let f: Vec<f64> = p
        .iter()
        .zip(reference)
        .zip(rewards)
        .map(|((pi, q), r)| {
            if *pi > 0.0 && *q > 0.0 {
                r - beta * (pi / q).ln()
            } else {
                0.0
            }
        })
        .collect();
    let mean = expected(&p, &f);
    p.iter().zip(&f).map(|(pi, fi)| pi * (fi - mean)).collect()
}

/// One step's state in training.
#[derive(Clone, Debug, PartialEq)]
pub struct RlhfPoint {
    pub step: usize,
    pub reward: f64,
    pub kl: f64,
    pub objective: f64,
    pub probs: Vec<f64>,
}

/// `steps` steps of gradient ascent from the reference with learning rate `lr`; the returned
/// trace has `steps + 1` points, the first being the reference itself.
pub fn train_rlhf(
    reference: &[f64],
    rewards: &[f64],
    beta: f64,
    lr: f64,
    steps: usize,
) -> Vec<RlhfPoint> {
    let mut logits = reference_logits(reference);
    let mut trace = Vec::with_capacity(steps + 1);
    for step in 0..=steps {
        let p = policy(&logits);
        trace.push(RlhfPoint {
            step,
            reward: expected(&p, rewards),
            kl: kl(&p, reference),
            objective: objective(&p, reference, rewards, beta),
            probs: p,
        });
        if step < steps {
            let g = rlhf_gradient(&logits, reference, rewards, beta);
            for (l, gi) in logits.iter_mut().zip(g) {
                *l += lr * gi;
            }
        }
    }
    trace
}

/// Mean DPO loss of a policy (as logits) over preference pairs between candidates, and the mean
/// implicit reward margin β·(ln(π(w)/π_ref(w)) − ln(π(l)/π_ref(l))).
pub fn dpo_loss(logits: &[f64], reference: &[f64], pairs: &[Comparison], beta: f64) -> (f64, f64) {
    if pairs.is_empty() {
        return (0.0, 0.0);
    }
    let p = policy(logits);
    let n = pairs.len() as f64;
    let (loss, margin) = pairs.iter().fold((0.0, 0.0), |(l, m), c| {
        let mg = margin(&p, reference, *c, beta);
        (l - log_sigmoid(mg), m + mg)
    });
    (loss / n, margin / n)
}

fn margin(p: &[f64], reference: &[f64], c: Comparison, beta: f64) -> f64 {
    beta * ((p[c.winner] / reference[c.winner]).ln() - (p[c.loser] / reference[c.loser]).ln())
}

/// Gradient of the mean DPO loss with respect to the logits. ln π(y) = logit(y) − logsumexp,
/// and the logsumexp cancels in the difference, so each pair moves only its own two logits:
/// −β·σ(−margin) on the winner, +β·σ(−margin) on the loser.
pub fn dpo_gradient(
    logits: &[f64],
    reference: &[f64],
    pairs: &[Comparison],
    beta: f64,
) -> Vec<f64> {
    let p = policy(logits);
    let mut g = vec![0.0; logits.len()];
    let n = pairs.len().max(1) as f64;
    for c in pairs {
        let w = beta * sigmoid(-margin(&p, reference, *c, beta)) / n;
        g[c.winner] -= w;
        g[c.loser] += w;
    }
    g
}

#[derive(Clone, Debug, PartialEq)]
pub struct DpoPoint {
    pub step: usize,
    pub loss: f64,
    pub margin: f64,
    pub probs: Vec<f64>,
}

/// `steps` steps of gradient descent on the DPO loss from the reference. As for any gradient
/// descent, too large a learning rate overshoots and oscillates instead of settling (about 4 is
/// safe with β = 1 on a few candidates; 20 is not).
pub fn train_dpo(
    reference: &[f64],
    pairs: &[Comparison],
    beta: f64,
    lr: f64,
    steps: usize,
) -> Vec<DpoPoint> {
    let mut logits = reference_logits(reference);
    let mut trace = Vec::with_capacity(steps + 1);
    for step in 0..=steps {
        let (loss, margin) = dpo_loss(&logits, reference, pairs, beta);
        trace.push(DpoPoint {
            step,
            loss,
            margin,
            probs: policy(&logits),
        });
        if step < steps {
            let g = dpo_gradient(&logits, reference, pairs, beta);
            for (l, gi) in logits.iter_mut().zip(g) {
                *l -= lr * gi;
            }
        }
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part5_adapting::kl_optimum::optimal_policy;
    use crate::labs::part5_adapting::preference::{fit, simulate};
    use crate::labs::rng::Rng;

    const REF: [f64; 3] = [0.5, 0.3, 0.2];
    const R: [f64; 3] = [1.0, 2.0, 0.0];

    #[test]
    fn rlhf_gradient_matches_finite_differences() {
        let logits = [0.2, -0.4, 0.9];
        let g = rlhf_gradient(&logits, &REF, &R, 0.7);
        for i in 0..3 {
            let h = 1e-6;
            let mut up = logits;
            let mut down = logits;
            up[i] += h;
            down[i] -= h;
            let fd = (objective(&policy(&up), &REF, &R, 0.7)
                - objective(&policy(&down), &REF, &R, 0.7))
                / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-8, "{i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn rlhf_training_climbs_to_the_closed_form_optimum() {
        let trace = train_rlhf(&REF, &R, 1.0, 1.0, 400);
        // Step 0 is the reference: KL 0, reward E_ref[r] = 0.5 + 0.6 = 1.1.
        assert!(trace[0].kl.abs() < 1e-15);
        assert!((trace[0].reward - 1.1).abs() < 1e-12);
        assert!(trace
            .windows(2)
            .all(|w| w[1].objective >= w[0].objective - 1e-12));
        let best = optimal_policy(&REF, &R, 1.0);
        let last = trace.last().unwrap();
        for (a, b) in last.probs.iter().zip(&best) {
            assert!((a - b).abs() < 1e-6, "{:?} vs {best:?}", last.probs);
        }
        // The closed form's E[r] = 1.5341 and KL = 0.2055 (python3, see kl_policy).
        assert!((last.reward - 1.534_108_265_316_032_7).abs() < 1e-5);
        assert!((last.kl - 0.205_480_691_495_440_13).abs() < 1e-5);
    }

    #[test]
    fn smaller_beta_drifts_further() {
        let kls: Vec<f64> = [2.0, 1.0, 0.5, 0.25]
            .iter()
            .map(|b| train_rlhf(&REF, &R, *b, 1.0, 300).last().unwrap().kl)
            .collect();
        assert!(kls.windows(2).all(|w| w[1] > w[0]), "{kls:?}");
    }

    #[test]
    fn dpo_on_one_pair() {
        let reference = [0.4, 0.3, 0.2, 0.1];
        let pair = [Comparison {
            winner: 1,
            loser: 0,
        }];
        let trace = train_dpo(&reference, &pair, 0.5, 1.0, 200);
        // Policy = reference: margin 0, loss ln 2.
        assert!((trace[0].loss - std::f64::consts::LN_2).abs() < 1e-12);
        assert!(trace[0].margin.abs() < 1e-15);
        // The loss only falls and the margin only grows; with one pair there is no finite
        // optimum, so the loss never reaches 0 (DPO can push a pair apart without limit).
        assert!(trace.windows(2).all(|w| w[1].loss < w[0].loss));
        assert!(trace.windows(2).all(|w| w[1].margin > w[0].margin));
        let last = trace.last().unwrap();
        assert!(last.loss > 0.0);
        assert!(last.probs[1] > reference[1] && last.probs[0] < reference[0]);
        // Only the pair's two logits move: the other candidates keep their ratio 2:1.
        assert!((last.probs[2] / last.probs[3] - 2.0).abs() < 1e-9);
    }

    #[test]
    fn dpo_gradient_matches_finite_differences() {
        let pairs = [
            Comparison {
                winner: 0,
                loser: 2,
            },
            Comparison {
                winner: 1,
                loser: 0,
            },
        ];
        let logits = [0.3, -0.2, 0.5];
        let g = dpo_gradient(&logits, &REF, &pairs, 0.4);
        for i in 0..3 {
            let h = 1e-6;
            let mut up = logits;
            let mut down = logits;
            up[i] += h;
            down[i] -= h;
            let fd = (dpo_loss(&up, &REF, &pairs, 0.4).0 - dpo_loss(&down, &REF, &pairs, 0.4).0)
                / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-8, "{i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn dpo_implicit_rewards_are_the_bradley_terry_fit() {
        // DPO is Bradley–Terry with the reward written as β·ln(π/π_ref): trained on the same
        // judgements, its implicit rewards (mean 0) equal the scores preference::fit finds.
        let truth = [0.8, -0.4, 0.1, -0.5];
        let reference = [0.1, 0.4, 0.3, 0.2];
        let pairs = simulate(&truth, 400, &mut Rng::new(5));
        let beta = 1.0;
        let last = train_dpo(&reference, &pairs, beta, 4.0, 3000)
            .pop()
            .unwrap();
        let implicit: Vec<f64> = last
            .probs
            .iter()
            .zip(&reference)
            .map(|(p, q)| beta * (p / q).ln())
            .collect();
        let mean = implicit.iter().sum::<f64>() / 4.0;
        let bt = fit(4, &pairs, 0.0);
        for (a, b) in implicit.iter().zip(&bt.scores) {
            assert!(
                (a - mean - b).abs() < 1e-4,
                "{implicit:?} vs {:?}",
                bt.scores
            );
        }
    }
}
