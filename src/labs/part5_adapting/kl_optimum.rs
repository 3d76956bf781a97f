//! The KL-regularised policy over a finite set of candidate responses, and what happens when the
//! reward it maximises is a flawed proxy (facts §4, §5).
//!
//! RLHF maximises E_π[r] − β·KL(π‖π_ref): reward, minus a penalty for drifting from the
//! reference (SFT) model. Over a finite set of responses this has a closed-form answer,
//! π*(y) ∝ π_ref(y)·exp(r(y)/β): the reference reweighted by exponentiated reward. Large β keeps
//! π_ref; β → 0 puts everything on the highest-reward response. PPO approaches this optimum by
//! sampling; here it is computed exactly, so the lesson can sweep β and show the trade-off.
//!
//! The over-optimisation toy: responses have a quality and a length. The gold reward (what we
//! actually want) is quality minus a penalty for length beyond a target; the proxy (a reward
//! model that learned "longer looked better") is quality plus a bonus for length. As β falls the
//! proxy reward rises monotonically, while the gold reward first rises (quality improves) and
//! then falls (length takes over). That is the shape Gao, Schulman & Hilton (2022,
//! arXiv:2210.10760) measured with real reward models; the numbers here are the toy's own.

use std::collections::HashSet;

/// π*(y) ∝ π_ref(y)·exp(r(y)/β), computed in log space so tiny β does not overflow.
/// β = 0 gives the limit: all mass on the best reward among responses π_ref allows (shared by
/// ties in proportion to π_ref); β = ∞ gives π_ref.
pub fn optimal_policy(reference: &[f64], rewards: &[f64], beta: f64) -> Vec<f64> {
    if beta.is_infinite() {
        return reference.to_vec();
    }
    if beta <= 0.0 {
        let best = reference
            .iter()
            .zip(rewards)
            .filter(|(p, _)| **p > 0.0)
            .map(|(_, r)| *r)
            .fold(f64::NEG_INFINITY, f64::max);
        let mass: Vec<f64> = reference
            .iter()
            .zip(rewards)
            .map(|(p, r)| if *p > 0.0 && *r == best { *p } else { 0.0 })
            .collect();
        let z: f64 = mass.iter().sum();
        return mass.iter().map(|m| m / z.max(f64::MIN_POSITIVE)).collect();
    }
    let logits: Vec<f64> = reference
        .iter()
        .zip(rewards)
        .map(|(p, r)| {
            if *p > 0.0 {
                p.ln() + r / beta
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let z: f64 = w.iter().sum();
    w.iter().map(|x| x / z).collect()
}

/// KL(p‖q) = Σ p·ln(p/q) in nats; 0 when p = q, ∞ if p puts mass where q has none.
pub fn kl(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(a, _)| **a > 0.0)
        .map(|(a, b)| {
            if *b > 0.0 {
                a * (a / b).ln()
            } else {
                f64::INFINITY
            }
        })
        .sum()
}

/// E_p[r].
pub fn expected(p: &[f64], rewards: &[f64]) -> f64 {
    p.iter().zip(rewards).map(|(a, r)| a * r).sum()
}

/// The RLHF objective E_p[r] − β·KL(p‖π_ref).
pub fn objective(p: &[f64], reference: &[f64], rewards: &[f64], beta: f64) -> f64 {
    expected(p, rewards) - beta * kl(p, reference)
}

/// Distinct-n: unique n-grams of words over all n-grams, pooled across `samples` (1.0 when no
/// n-gram repeats; low when the samples all say the same thing). 0 if there is no n-gram.
pub fn distinct_n(samples: &[&str], n: usize) -> f64 {
    let n = n.max(1);
    let mut seen = HashSet::new();
    let mut total = 0usize;
    for s in samples {
        let words: Vec<&str> = s.split_whitespace().collect();
        for gram in words.windows(n) {
            seen.insert(gram.to_vec());
            total += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        seen.len() as f64 / total as f64
    }
}

/// A candidate response in the over-optimisation toy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    /// How good the content is (0 to 2).
    pub quality: f64,
    /// Length in paragraphs (1 to 10).
    pub length: f64,
}

/// The two rewards of the toy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rewards {
    /// Length the reader wants at most; beyond it gold reward drops.
    pub target_length: f64,
    /// Gold reward lost per paragraph beyond the target.
    pub length_penalty: f64,
    /// Proxy reward gained per paragraph: the flaw the reward model learned.
    pub length_bonus: f64,
}

pub const TOY_REWARDS: Rewards = Rewards {
    target_length: 4.0,
    length_penalty: 0.5,
    length_bonus: 0.3,
};

impl Rewards {
    pub fn gold(&self, r: &Response) -> f64 {
        r.quality - self.length_penalty * (r.length - self.target_length).max(0.0)
    }

    pub fn proxy(&self, r: &Response) -> f64 {
        r.quality + self.length_bonus * r.length
    }
}

/// The toy's responses (quality 0, 0.25 … 2 × length 1 … 10) and its reference policy: an SFT
/// model that writes about 3 paragraphs (±1.5) and finds high quality harder to reach
/// (weight e^(−1.5·quality)).
pub fn toy_responses() -> (Vec<Response>, Vec<f64>) {
    let mut responses = Vec::new();
    let mut weights = Vec::new();
    for q in 0..9 {
        for l in 1..=10 {
            let r = Response {
                quality: f64::from(q) * 0.25,
                length: f64::from(l),
            };
            weights.push(
                (-(r.length - 3.0).powi(2) / (2.0 * 1.5 * 1.5)).exp() * (-1.5 * r.quality).exp(),
            );
            responses.push(r);
        }
    }
    let z: f64 = weights.iter().sum();
    (responses, weights.iter().map(|w| w / z).collect())
}

/// One point of a β sweep: the optimum of proxy − β·KL and how it scores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    pub beta: f64,
    pub kl: f64,
    /// √KL, the distance Gao et al. plot gold reward against.
    pub sqrt_kl: f64,
    pub proxy: f64,
    pub gold: f64,
    /// Entropy of the policy in nats: how varied its answers are.
    pub entropy: f64,
}

/// The policy that maximises proxy − β·KL(π‖π_ref), for each β, scored by both rewards.
pub fn sweep(
    responses: &[Response],
    reference: &[f64],
    rewards: &Rewards,
    betas: &[f64],
) -> Vec<SweepPoint> {
    let proxy: Vec<f64> = responses.iter().map(|r| rewards.proxy(r)).collect();
    let gold: Vec<f64> = responses.iter().map(|r| rewards.gold(r)).collect();
    betas
        .iter()
        .map(|&beta| {
            let p = optimal_policy(reference, &proxy, beta);
            let kl = kl(&p, reference);
            SweepPoint {
                beta,
                kl,
                sqrt_kl: kl.max(0.0).sqrt(),
                proxy: expected(&p, &proxy),
                gold: expected(&p, &gold),
                entropy: crate::labs::part2_math::softmax::entropy(&p),
            }
        })
        .collect()
}

/// β from `hi` down to `lo`, evenly spaced in log β.
pub fn log_betas(hi: f64, lo: f64, steps: usize) -> Vec<f64> {
    let steps = steps.max(2);
    (0..steps)
        .map(|i| (hi.ln() + (lo.ln() - hi.ln()) * i as f64 / (steps - 1) as f64).exp())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part2_math::softmax::entropy;
    use crate::labs::rng::Rng;

    const REF: [f64; 3] = [0.5, 0.3, 0.2];
    const R: [f64; 3] = [1.0, 2.0, 0.0];

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn three_candidates_by_hand() {
        // β = 1: weights 0.5e, 0.3e², 0.2 = 1.359141, 2.216717, 0.2; sum 3.775858 (python3).
        let p = optimal_policy(&REF, &R, 1.0);
        let want = [
            0.359_955_540_280_116,
            0.587_076_362_517_958_4,
            0.052_968_097_201_925_475,
        ];
        for (a, b) in p.iter().zip(want) {
            assert!(close(*a, b, 1e-14), "{p:?}");
        }
        assert!(close(expected(&p, &R), 1.534_108_265_316_032_7, 1e-14));
        assert!(close(kl(&p, &REF), 0.205_480_691_495_440_13, 1e-14));
        // At the optimum, E[r] − β·KL = β·ln Σ π_ref·e^{r/β} = ln 3.775858 = 1.3286275738205928.
        assert!(close(
            objective(&p, &REF, &R, 1.0),
            1.328_627_573_820_592_8,
            1e-14
        ));
        // β = 0.5 (python3): E[r] = 1.7980401750822508, KL = 0.5867424020298487.
        let p = optimal_policy(&REF, &R, 0.5);
        assert!(close(expected(&p, &R), 1.798_040_175_082_250_8, 1e-14));
        assert!(close(kl(&p, &REF), 0.586_742_402_029_848_7, 1e-14));
    }

    #[test]
    fn limits_of_beta() {
        let far = optimal_policy(&REF, &R, 1e6);
        assert!(far.iter().zip(REF).all(|(a, b)| close(*a, b, 1e-5)));
        assert_eq!(optimal_policy(&REF, &R, f64::INFINITY), REF.to_vec());
        let near = optimal_policy(&REF, &R, 1e-3);
        assert!(close(near[1], 1.0, 1e-12), "{near:?}");
        assert_eq!(optimal_policy(&REF, &R, 0.0), vec![0.0, 1.0, 0.0]);
        // A response the reference never produces stays impossible, however good.
        let p = optimal_policy(&[0.5, 0.5, 0.0], &[0.0, 1.0, 9.0], 0.0);
        assert_eq!(p, vec![0.0, 1.0, 0.0]);
        assert_eq!(kl(&REF, &REF), 0.0);
        assert_eq!(kl(&[0.5, 0.5], &[1.0, 0.0]), f64::INFINITY);
    }

    #[test]
    fn no_perturbation_beats_the_optimum() {
        let mut rng = Rng::new(24);
        for &beta in &[0.1, 0.5, 1.0, 3.0] {
            let best = optimal_policy(&REF, &R, beta);
            let top = objective(&best, &REF, &R, beta);
            for _ in 0..2000 {
                let q: Vec<f64> = (0..3).map(|_| rng.unit() + 1e-9).collect();
                let zq: f64 = q.iter().sum();
                let t = rng.unit() * 0.3;
                let p: Vec<f64> = best
                    .iter()
                    .zip(&q)
                    .map(|(b, x)| (1.0 - t) * b + t * x / zq)
                    .collect();
                assert!(objective(&p, &REF, &R, beta) <= top + 1e-12);
            }
        }
    }

    #[test]
    fn distinct_n_by_hand() {
        // Words a b c a b d: 4 unique of 6; bigrams ab bc ab bd: 3 unique of 4.
        let s = ["a b c", "a b d"];
        assert!(close(distinct_n(&s, 1), 4.0 / 6.0, 1e-15));
        assert_eq!(distinct_n(&s, 2), 0.75);
        assert_eq!(distinct_n(&["same answer", "same answer"], 2), 0.5);
        assert_eq!(distinct_n(&["one"], 2), 0.0);
    }

    #[test]
    fn proxy_rises_while_gold_peaks_then_falls() {
        let (responses, reference) = toy_responses();
        assert!(close(reference.iter().sum::<f64>(), 1.0, 1e-12));
        let points = sweep(
            &responses,
            &reference,
            &TOY_REWARDS,
            &log_betas(100.0, 0.01, 60),
        );
        for w in points.windows(2) {
            assert!(
                w[1].proxy >= w[0].proxy - 1e-12,
                "proxy fell at β={}",
                w[1].beta
            );
            assert!(w[1].kl >= w[0].kl - 1e-12, "KL fell at β={}", w[1].beta);
        }
        let (peak, top) = points
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.gold.total_cmp(&b.1.gold))
            .unwrap();
        // Python with the same toy: gold 0.362 at β = 100, ≈ 0.91 near β = 0.3, −1.0 at β → 0.
        assert!(peak > 5 && peak < points.len() - 5, "peak at index {peak}");
        assert!((0.1..1.0).contains(&top.beta), "peak at β={}", top.beta);
        assert!(close(points[0].gold, 0.362, 0.01), "{}", points[0].gold);
        assert!(top.gold > 0.85, "{}", top.gold);
        let last = points.last().unwrap();
        assert!(close(last.gold, -1.0, 0.01) && close(last.proxy, 5.0, 0.01));
        // Up to the peak gold only rises; after it, it falls until it reaches its β → 0 limit
        // (the gold reward of the proxy's favourite, −1). Right at the end it may dip a hair
        // below −1 and come back: the proxy's runner-up (quality 1.75, length 10) is even worse
        // by gold (−1.25) and its share vanishes last. Python shows the same.
        let limit = {
            let proxy: Vec<f64> = responses.iter().map(|r| TOY_REWARDS.proxy(r)).collect();
            let gold: Vec<f64> = responses.iter().map(|r| TOY_REWARDS.gold(r)).collect();
            expected(&optimal_policy(&reference, &proxy, 0.0), &gold)
        };
        assert!(close(limit, -1.0, 1e-12));
        assert!(points[..=peak]
            .windows(2)
            .all(|w| w[1].gold >= w[0].gold - 1e-12));
        let settled = points.iter().position(|p| p.gold < limit + 1e-3).unwrap();
        assert!(points[peak..=settled]
            .windows(2)
            .all(|w| w[1].gold <= w[0].gold + 1e-12));
        assert!(points[settled..].iter().all(|p| close(p.gold, limit, 1e-3)));
    }

    #[test]
    fn entropy_collapses_as_beta_falls_but_not_always_monotonically() {
        let (responses, reference) = toy_responses();
        let points = sweep(
            &responses,
            &reference,
            &TOY_REWARDS,
            &log_betas(100.0, 0.005, 80),
        );
        assert!(close(points[0].entropy, entropy(&reference), 1e-2));
        assert!(points.last().unwrap().entropy < 1e-3);
        // On the way the policy first spreads out (leaving the reference's favourite short,
        // plain answers) before collapsing onto the proxy's favourite: python3 gives 3.53 nats
        // at β = 100 and 3.98 near β = 0.7.
        let max_h = points.iter().map(|p| p.entropy).fold(0.0, f64::max);
        assert!(max_h > points[0].entropy + 0.3, "{max_h}");
    }
}
