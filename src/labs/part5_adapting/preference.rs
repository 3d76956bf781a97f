//! Learning from preferences: the Bradley–Terry model, InstructGPT's reward-model loss and the
//! DPO loss (facts §3 and §5).
//!
//! Bradley–Terry says each item has a hidden score r and P(A preferred to B) = σ(r_A − r_B).
//! Only differences matter, so scores are defined up to a constant; a small L2 penalty (λ/2)·Σr²
//! both fixes that constant (at the optimum Σr = 0: the penalty's gradient −λ·Σr must cancel
//! the comparisons' gradients, which sum to zero) and keeps scores finite when one item wins
//! every comparison. A reward model is the same idea with r computed by a network from the text.

use crate::labs::rng::Rng;

/// σ(x) = 1/(1 + e^−x), computed without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln σ(x) = −ln(1 + e^−x), accurate for large negative and positive x.
pub fn log_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// One human judgement: `winner` was preferred to `loser` (indices into the items).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub winner: usize,
    pub loser: usize,
}

/// P(a ≻ b) under Bradley–Terry.
pub fn prob_preferred(scores: &[f64], a: usize, b: usize) -> f64 {
    sigmoid(scores[a] - scores[b])
}

/// Σ ln σ(r_w − r_l) − (λ/2)·Σ r²: what the fit maximises.
pub fn log_likelihood(scores: &[f64], comparisons: &[Comparison], l2: f64) -> f64 {
    let fit: f64 = comparisons
        .iter()
        .map(|c| log_sigmoid(scores[c.winner] - scores[c.loser]))
        .sum();
    fit - 0.5 * l2 * scores.iter().map(|r| r * r).sum::<f64>()
}

/// Gradient of [`log_likelihood`]: each comparison pushes the winner up and the loser down by
/// 1 − σ(r_w − r_l), i.e. by how surprised the current scores are by the outcome.
pub fn gradient(scores: &[f64], comparisons: &[Comparison], l2: f64) -> Vec<f64> {
    let mut g: Vec<f64> = scores.iter().map(|r| -l2 * r).collect();
    for c in comparisons {
        let surprise = 1.0 - sigmoid(scores[c.winner] - scores[c.loser]);
        g[c.winner] += surprise;
        g[c.loser] -= surprise;
    }
    g
}

/// Scores fitted by Newton's method, with how it went.
#[derive(Clone, Debug)]
pub struct Fit {
    pub scores: Vec<f64>,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// Fits Bradley–Terry scores to `comparisons` among `items` items. The log-likelihood is
/// concave (strictly, with λ > 0), so Newton's method converges in a handful of steps; λ is
/// floored at 1e-9 so the Hessian is always invertible. The returned scores have mean 0.
pub fn fit(items: usize, comparisons: &[Comparison], l2: f64) -> Fit {
    let l2 = l2.max(1e-9);
    let mut r = vec![0.0; items];
    let mut iterations = 0;
    for _ in 0..100 {
        iterations += 1;
        let g = gradient(&r, comparisons, l2);
        // Negative Hessian: λI plus σ(1−σ)·(e_w − e_l)(e_w − e_l)ᵀ per comparison.
        let mut h = vec![vec![0.0; items]; items];
        for (i, row) in h.iter_mut().enumerate() {
            row[i] = l2;
        }
        for c in comparisons {
            let p = sigmoid(r[c.winner] - r[c.loser]);
            let w = p * (1.0 - p);
            h[c.winner][c.winner] += w;
            h[c.loser][c.loser] += w;
            h[c.winner][c.loser] -= w;
            h[c.loser][c.winner] -= w;
        }
        let step = solve(h, g);
        let size = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for (ri, s) in r.iter_mut().zip(&step) {
            *ri += s;
        }
        // Newton converges quadratically, then stalls at rounding noise (~1e-11 with 20,000
        // comparisons and λ = 1e-3, which only weakly pins the mean): stop well above that.
        if size < 1e-9 {
            break;
        }
    }
    let mean = r.iter().sum::<f64>() / items.max(1) as f64;
    for ri in &mut r {
        *ri -= mean;
    }
    Fit {
        log_likelihood: log_likelihood(&r, comparisons, l2),
        scores: r,
        iterations,
    }
}

/// Solves a·x = b by Gaussian elimination with partial pivoting (a is small and positive
/// definite here).
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let d = a[col][col];
        if d.abs() < 1e-300 {
            continue;
        }
        for row in col + 1..n {
            let f = a[row][col] / d;
            if f != 0.0 {
                let (upper, lower) = a.split_at_mut(row);
                for (x, p) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                    *x -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = if a[row][row].abs() < 1e-300 {
            0.0
        } else {
            (b[row] - s) / a[row][row]
        };
    }
    x
}

/// Share of comparisons the scores order correctly (a tie counts as half).
pub fn accuracy(scores: &[f64], comparisons: &[Comparison]) -> f64 {
    if comparisons.is_empty() {
        return 0.0;
    }
    let right: f64 = comparisons
        .iter()
        .map(|c| match scores[c.winner].partial_cmp(&scores[c.loser]) {
            Some(std::cmp::Ordering::Greater) => 1.0,
            Some(std::cmp::Ordering::Equal) => 0.5,
            _ => 0.0,
        })
        .sum();
    right / comparisons.len() as f64
}

/// `n` judgements between random distinct pairs, each decided by a coin with Bradley–Terry
/// odds from `true_scores`: synthetic labellers whose taste we know.
pub fn simulate(true_scores: &[f64], n: usize, rng: &mut Rng) -> Vec<Comparison> {
    let items = true_scores.len() as i64;
    if items < 2 {
        return Vec::new();
    }
    (0..n)
        .map(|_| {
            let a = rng.int(0, items - 1) as usize;
            let b = (a + rng.int(1, items - 1) as usize) % items as usize;
            if rng.unit() < prob_preferred(true_scores, a, b) {
                Comparison {
                    winner: a,
                    loser: b,
                }
            } else {
                Comparison {
                    winner: b,
                    loser: a,
                }
            }
        })
        .collect()
}

/// InstructGPT's reward-model loss for one prompt (Ouyang et al. 2022, Eq. 1): the labeller
/// ranked K responses, best first; `rewards` are the model's scores in that order. Every one of
/// the C(K,2) pairs is a comparison, and their losses are averaged so a prompt with many
/// responses does not outweigh one with few.
pub fn ranking_loss(rewards_best_first: &[f64]) -> f64 {
    let k = rewards_best_first.len();
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for i in 0..k {
        for j in i + 1..k {
            sum -= log_sigmoid(rewards_best_first[i] - rewards_best_first[j]);
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        sum / pairs as f64
    }
}

/// One preference pair as DPO sees it: log-probabilities of the preferred (w) and rejected (l)
/// responses under the policy being trained and under the frozen reference (SFT) model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpoPair {
    pub policy_w: f64,
    pub policy_l: f64,
    pub ref_w: f64,
    pub ref_l: f64,
}

impl DpoPair {
    /// DPO's implicit rewards β·log(π/π_ref) for the preferred and rejected responses.
    pub fn implicit_rewards(&self, beta: f64) -> (f64, f64) {
        (
            beta * (self.policy_w - self.ref_w),
            beta * (self.policy_l - self.ref_l),
        )
    }

    /// The implicit reward margin β·((log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))).
    pub fn margin(&self, beta: f64) -> f64 {
        let (w, l) = self.implicit_rewards(beta);
        w - l
    }

    /// L_DPO = −ln σ(margin) (Rafailov et al. 2023): Bradley–Terry on the implicit rewards.
    pub fn loss(&self, beta: f64) -> f64 {
        -log_sigmoid(self.margin(beta))
    }

    /// (∂L/∂log π(y_w), ∂L/∂log π(y_l)) = (−β·σ(−m), +β·σ(−m)). Descending the loss raises the
    /// preferred response's log-probability and lowers the rejected one's, by an amount that
    /// is largest when the implicit rewards order the pair wrongly and fades as they get it
    /// right.
    pub fn gradient(&self, beta: f64) -> (f64, f64) {
        let weight = beta * sigmoid(-self.margin(beta));
        (-weight, weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_and_log_sigmoid() {
        assert_eq!(sigmoid(0.0), 0.5);
        // 1/(1 + e^−2) = 0.8807970779778823
        assert!((sigmoid(2.0) - 0.880_797_077_977_882_3).abs() < 1e-15);
        assert!((sigmoid(-2.0) - (1.0 - 0.880_797_077_977_882_3)).abs() < 1e-15);
        assert!((log_sigmoid(0.0) + std::f64::consts::LN_2).abs() < 1e-15);
        // Far tails: ln σ(−800) = −800 (no −inf), ln σ(800) = −e^−800 = −0.
        assert!((log_sigmoid(-800.0) + 800.0).abs() < 1e-9);
        assert!(log_sigmoid(800.0) <= 0.0 && log_sigmoid(800.0) > -1e-300);
    }

    #[test]
    fn two_items_by_hand() {
        // A beat B three times, B beat A once: the maximum-likelihood σ(r_A − r_B) = 3/4, so
        // r_A − r_B = ln 3, and with mean 0, r_A = ln(3)/2 = 0.5493061443340549.
        let a_wins = Comparison {
            winner: 0,
            loser: 1,
        };
        let b_wins = Comparison {
            winner: 1,
            loser: 0,
        };
        let f = fit(2, &[a_wins, a_wins, a_wins, b_wins], 0.0);
        assert!(
            (f.scores[0] - 0.549_306_144_334_054_9).abs() < 1e-7,
            "{:?}",
            f.scores
        );
        assert!((f.scores[1] + 0.549_306_144_334_054_9).abs() < 1e-7);
        assert!(f.iterations < 20);
        assert!((prob_preferred(&f.scores, 0, 1) - 0.75).abs() < 1e-7);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = Rng::new(11);
        let truth = [0.3, -1.0, 0.9, -0.2];
        let comps = simulate(&truth, 40, &mut rng);
        let r = [0.1, 0.2, -0.3, 0.4];
        let g = gradient(&r, &comps, 0.5);
        for i in 0..4 {
            let h = 1e-6;
            let mut up = r;
            let mut down = r;
            up[i] += h;
            down[i] -= h;
            let fd =
                (log_likelihood(&up, &comps, 0.5) - log_likelihood(&down, &comps, 0.5)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-6, "{i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn recovers_known_scores() {
        let truth = [-1.5, -0.5, 0.0, 0.7, 1.3];
        let mut rng = Rng::new(1952);
        let train = simulate(&truth, 20_000, &mut rng);
        let held_out = simulate(&truth, 5_000, &mut rng);
        let f = fit(truth.len(), &train, 1e-3);
        assert!(f.iterations <= 10, "{} Newton steps", f.iterations);
        for (got, want) in f.scores.iter().zip(truth) {
            assert!((got - want).abs() < 0.08, "{:?}", f.scores);
        }
        assert!(f.scores.iter().sum::<f64>().abs() < 1e-9);
        // Held out, the fitted scores order pairs as well as the true ones do (the labellers
        // are noisy, so even the truth is far from 100%).
        let fitted = accuracy(&f.scores, &held_out);
        let best = accuracy(&truth, &held_out);
        assert!((fitted - best).abs() < 0.01, "{fitted} vs {best}");
        // Expected accuracy of the true order, averaged over the 10 pairs of mean σ(|r_a − r_b|),
        // is 0.7740 (python3); 5,000 judgements give a standard error of 0.006.
        assert!((fitted - 0.774).abs() < 0.02, "{fitted}");
        // The fit is a maximum: nudging any score lowers the penalised likelihood.
        for i in 0..truth.len() {
            let mut s = f.scores.clone();
            s[i] += 0.01;
            assert!(log_likelihood(&s, &train, 1e-3) < f.log_likelihood);
        }
    }

    #[test]
    fn unbeaten_item_stays_finite_with_the_penalty() {
        let comps = vec![
            Comparison {
                winner: 0,
                loser: 1
            };
            10
        ];
        let f = fit(2, &comps, 0.1);
        assert!(f.scores.iter().all(|s| s.is_finite()));
        assert!(f.scores[0] > f.scores[1]);
    }

    #[test]
    fn ranking_loss_by_hand() {
        // Rewards 2, 1, 0 ranked best first: pairs differ by 1, 2, 1;
        // −(2·ln σ(1) + ln σ(2))/3 = 0.25115046202647273 (python3).
        assert!((ranking_loss(&[2.0, 1.0, 0.0]) - 0.251_150_462_026_472_73).abs() < 1e-14);
        // K = 2 is a single Bradley–Terry pair; equal rewards give ln 2 whatever K.
        assert!((ranking_loss(&[0.5, -0.5]) + log_sigmoid(1.0)).abs() < 1e-15);
        assert!((ranking_loss(&[1.0; 9]) - std::f64::consts::LN_2).abs() < 1e-15);
        // Reversing the order makes it worse.
        assert!(ranking_loss(&[0.0, 1.0, 2.0]) > ranking_loss(&[2.0, 1.0, 0.0]));
    }

    #[test]
    fn dpo_by_hand() {
        let pair = DpoPair {
            policy_w: -10.0,
            policy_l: -11.0,
            ref_w: -12.0,
            ref_l: -10.0,
        };
        // β = 0.1: implicit rewards 0.1·2 = 0.2 and 0.1·(−1) = −0.1, margin 0.3;
        // −ln σ(0.3) = 0.5543552444685271 (python3).
        let (rw, rl) = pair.implicit_rewards(0.1);
        assert!((rw - 0.2).abs() < 1e-12 && (rl + 0.1).abs() < 1e-12);
        assert!((pair.margin(0.1) - 0.3).abs() < 1e-12);
        assert!((pair.loss(0.1) - 0.554_355_244_468_527_1).abs() < 1e-12);
        // At the start of training the policy is the reference: margin 0, loss ln 2, and the
        // gradient pushes y_w up and y_l down by β/2 each.
        let start = DpoPair {
            policy_w: -7.0,
            policy_l: -9.0,
            ref_w: -7.0,
            ref_l: -9.0,
        };
        assert!((start.loss(0.5) - std::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(start.gradient(0.5), (-0.25, 0.25));
    }

    #[test]
    fn dpo_gradient_matches_finite_differences() {
        let pair = DpoPair {
            policy_w: -4.0,
            policy_l: -3.0,
            ref_w: -3.5,
            ref_l: -3.2,
        };
        let beta = 0.3;
        let (gw, gl) = pair.gradient(beta);
        let h = 1e-6;
        let bump = |dw: f64, dl: f64| {
            DpoPair {
                policy_w: pair.policy_w + dw,
                policy_l: pair.policy_l + dl,
                ..pair
            }
            .loss(beta)
        };
        assert!(((bump(h, 0.0) - bump(-h, 0.0)) / (2.0 * h) - gw).abs() < 1e-8);
        assert!(((bump(0.0, h) - bump(0.0, -h)) / (2.0 * h) - gl).abs() < 1e-8);
        assert!(gw < 0.0 && gl > 0.0);
    }
}
