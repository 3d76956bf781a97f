//! Group Relative Policy Optimization (GRPO, Shao et al. 2024, DeepSeekMath, arXiv:2402.03300)
//! on the tiny GPT, against a reward a program checks ([`super::word_task`]); and, for
//! comparison on the same task and the same samples budget, lesson 24's REINFORCE
//! ([`super::policy::advantages`]).
//!
//! Each step takes `per_step` prompts and samples a **group** of G responses to each from the
//! current policy. The two methods differ only in what they do with the rewards:
//!
//! - **GRPO**: each response's advantage is its reward against its own group,
//!   Â_i = (r_i − mean(r)) / std(r) (population std), the same for all its tokens. No value
//!   network: the group is the baseline. The KL to the reference is a term of the loss, not
//!   part of the reward, with the per-token estimator the paper uses,
//!   π_ref/π − ln(π_ref/π) − 1 (never negative, 0 where the two agree). The objective per
//!   prompt is (1/G)·Σ_i (1/|o_i|)·Σ_t [Â_i·ln π(o_i,t) − β·KL_t]; the step's loss is minus its
//!   mean over the step's prompts. The paper's objective has PPO's clipped ratio π/π_old;
//!   this lab makes one update per batch of samples, so π_old = π when the gradient is taken,
//!   the clip never binds, and the surrogate's gradient is Â·∇ln π.
//! - **REINFORCE** (lesson 24): every response of the step is one batch; the KL penalty is a
//!   per-token reward, and the baseline is the batch's mean return, one for all prompts.
//!
//! A group whose rewards are all equal (all right or all wrong) has std 0: no response did
//! better than another, so there is nothing to learn from it. This lab drops such a group from
//! the loss entirely, its KL term included, and a step whose groups are all flat makes no
//! update at all (the optimizer is not called, so not one parameter moves).
//!
//! The reference is a deep copy of the start ([`Model::deep_copy`]), never a view of the
//! weights being trained. Reported KL is exact per position, as in [`super::policy`].

use super::batch_sample::sample_batch;
use super::model::Model;
use super::optim::AdamW;
use super::policy::{advantages as reinforce_advantages, kl_and_entropy, score};
use super::rng::Rng;
use candle_core::{Device, Result, Tensor};

/// How a step turns rewards into an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Grpo,
    Reinforce,
}

/// The settings of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupConfig {
    pub method: Method,
    pub prompts: Vec<String>,
    /// Prompts per step, taken in turn from `prompts`.
    pub per_step: usize,
    /// Responses sampled per prompt: the group size G.
    pub group: usize,
    /// Characters per response.
    pub len: usize,
    /// The KL coefficient β.
    pub beta: f64,
    /// Adam's learning rate.
    pub lr: f64,
    pub seed: u64,
}

/// One sampled response and its reward.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Index into the run's prompts.
    pub prompt: usize,
    pub text: String,
    pub reward: f64,
}

/// What one step saw (before its update).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupStep {
    pub step: usize,
    /// Mean reward of the step's samples.
    pub reward: f64,
    /// Mean KL(π‖π_ref) per response, in nats (exact per position, summed).
    pub kl: f64,
    /// Mean entropy of π per character, in nats.
    pub entropy: f64,
    /// Groups whose rewards were all equal, of `groups`.
    pub flat: usize,
    pub groups: usize,
    /// Whether the parameters were updated.
    pub updated: bool,
    pub samples: Vec<Sample>,
}

/// GRPO's advantages for one group: (r_i − mean)/std with the population std. `None` when the
/// rewards are all equal (std 0): the group carries no signal.
pub fn group_advantages(rewards: &[f64]) -> Option<Vec<f64>> {
    let n = rewards.len() as f64;
    if rewards.len() < 2 {
        return None;
    }
    let mean = rewards.iter().sum::<f64>() / n;
    let var = rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
    let std = var.sqrt();
    if std <= 1e-12 * (1.0 + mean.abs()) {
        return None;
    }
    Some(rewards.iter().map(|r| (r - mean) / std).collect())
}

/// A policy trained by GRPO or REINFORCE, its frozen reference and its optimizer.
pub struct GroupTrainer {
    pub policy: Model,
    pub reference: Model,
    pub config: GroupConfig,
    opt: AdamW,
    rng: Rng,
    prompts: Vec<Vec<u32>>,
    step: usize,
}

impl GroupTrainer {
    /// A run starting from `start`: the policy and the reference are two separate copies.
    pub fn new(start: &Model, config: GroupConfig) -> Result<Self> {
        let bad = |what: String| Err(candle_core::Error::Msg(what));
        if config.prompts.is_empty() || config.per_step == 0 {
            return bad("a run needs at least one prompt, and at least one per step".into());
        }
        if config.group < 2 || config.len < 2 {
            return bad(format!(
                "a group needs 2 or more responses (got {}) of 2 or more characters (got {})",
                config.group, config.len
            ));
        }
        let mut prompts = Vec::new();
        for p in &config.prompts {
            let ids = start.vocab.encode(p);
            if ids.is_empty() || ids.len() + config.len > start.config.context {
                return bad(format!(
                    "prompt {p:?} ({} characters) + response ({}) must fit the context of {} and not be empty",
                    ids.len(),
                    config.len,
                    start.config.context
                ));
            }
            prompts.push(ids);
        }
        let policy = start.deep_copy()?;
        let reference = start.deep_copy()?;
        let opt = AdamW::new(&policy, 0.9, 0.99, 1e-8, 0.0);
        Ok(Self {
            rng: Rng::new(config.seed),
            policy,
            reference,
            config,
            opt,
            prompts,
            step: 0,
        })
    }

    /// The prompts step `step` (from 0) uses: `per_step` of them, in turn.
    pub fn prompts_of_step(&self, step: usize) -> Vec<usize> {
        let n = self.prompts.len();
        (0..self.config.per_step)
            .map(|j| (step * self.config.per_step + j) % n)
            .collect()
    }

    /// One step: sample a group per prompt, score with `reward(prompt, response)`, update.
    pub fn step(&mut self, reward: &dyn Fn(&str, &str) -> f64) -> Result<GroupStep> {
        let c = self.config.clone();
        let (g, l) = (c.group, c.len);
        let mut samples = Vec::new();
        let mut grpo_terms = Vec::new();
        let mut chosen = Vec::new();
        let (mut logp, mut ref_logp) = (Vec::new(), Vec::new());
        let (mut kl_sum, mut ent_sum, mut flat) = (0.0, 0.0, 0);
        let which = self.prompts_of_step(self.step);
        for &i in &which {
            let ids = &self.prompts[i];
            let responses = sample_batch(&self.policy, ids, g, l, &mut self.rng)?;
            let rewards: Vec<f64> = responses
                .iter()
                .map(|r| {
                    let text = self.policy.vocab.decode(r);
                    let score = reward(&c.prompts[i], &text);
                    samples.push(Sample {
                        prompt: i,
                        text,
                        reward: score,
                    });
                    score
                })
                .collect();
            let pol = score(&self.policy, ids, &responses)?;
            let refr = score(&self.reference, ids, &responses)?;
            let (kl, ent) = kl_and_entropy(&pol.all.detach(), &refr.all.detach())?;
            kl_sum += f64::from(kl.sum_all()?.to_scalar::<f32>()?);
            ent_sum += f64::from(ent.sum_all()?.to_scalar::<f32>()?);
            let adv = group_advantages(&rewards);
            if adv.is_none() {
                flat += 1;
            }
            match (c.method, adv) {
                (Method::Grpo, Some(adv)) => {
                    let adv: Vec<f32> = adv.iter().map(|&a| a as f32).collect();
                    let adv = Tensor::from_vec(adv, (g, 1), &Device::Cpu)?;
                    // ln(π_ref/π) per token; its estimator e^d − d − 1 ≥ 0, 0 at d = 0.
                    let d = (refr.chosen.detach() - &pol.chosen)?;
                    let kl_tok = ((d.exp()? - &d)? - 1.0)?;
                    let gain = pol.chosen.broadcast_mul(&adv)?;
                    let objective = (gain - (kl_tok * c.beta)?)?.mean_all()?;
                    grpo_terms.push(objective);
                }
                (Method::Grpo, None) => {}
                (Method::Reinforce, _) => {
                    logp.extend(pol.chosen.detach().to_vec2::<f32>()?);
                    ref_logp.extend(refr.chosen.detach().to_vec2::<f32>()?);
                    chosen.push(pol.chosen);
                }
            }
        }
        let loss = match c.method {
            Method::Grpo if grpo_terms.is_empty() => None,
            Method::Grpo => {
                let total =
                    grpo_terms
                        .into_iter()
                        .try_fold(None::<Tensor>, |acc, t| -> Result<_> {
                            Ok(Some(match acc {
                                None => t,
                                Some(a) => (a + t)?,
                            }))
                        })?;
                total.map(|t| t * (-1.0 / which.len() as f64)).transpose()?
            }
            Method::Reinforce => {
                let rewards: Vec<f64> = samples.iter().map(|s| s.reward).collect();
                let adv = reinforce_advantages(&rewards, &logp, &ref_logp, c.beta);
                let b = rewards.len();
                let adv = Tensor::from_vec(adv.concat(), (b, l), &Device::Cpu)?;
                let chosen = Tensor::cat(&chosen, 0)?;
                Some(((&adv * &chosen)?.sum_all()? * (-1.0 / b as f64))?)
            }
        };
        let updated = loss.is_some();
        if let Some(loss) = loss {
            let grads = loss.backward()?;
            self.opt.update(&self.policy, &grads, c.lr)?;
        }
        self.step += 1;
        let n = samples.len().max(1) as f64;
        Ok(GroupStep {
            step: self.step,
            reward: samples.iter().map(|s| s.reward).sum::<f64>() / n,
            kl: kl_sum / n,
            entropy: ent_sum / (n * l as f64),
            flat,
            groups: which.len(),
            updated,
            samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, vocab::Vocab, word_task};

    fn small() -> Model {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 16,
        };
        Model::new(cfg, vocab, 9).unwrap()
    }

    fn weights(m: &Model) -> Vec<u32> {
        m.params()
            .iter()
            .flat_map(|(_, v)| {
                v.as_tensor()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            })
            .map(f32::to_bits)
            .collect()
    }

    fn config(method: Method) -> GroupConfig {
        GroupConfig {
            method,
            prompts: vec!["ab".into(), "cd".into()],
            per_step: 2,
            group: 6,
            len: 5,
            beta: 0.05,
            lr: 1e-2,
            seed: 1,
        }
    }

    #[test]
    fn advantages_sum_to_zero_within_a_group_and_have_unit_spread() {
        let cases: [&[f64]; 4] = [
            &[1.0, 0.0, 0.0, 0.0],
            &[1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0],
            &[0.3, -2.0, 5.5],
            &[2.0, 2.0, 2.0, 7.0, 2.0],
        ];
        for r in cases {
            let a = group_advantages(r).unwrap();
            let sum: f64 = a.iter().sum();
            let var = a.iter().map(|x| x * x).sum::<f64>() / a.len() as f64;
            assert!(sum.abs() < 1e-12, "{r:?}: {a:?}");
            assert!((var - 1.0).abs() < 1e-12, "{r:?}: {a:?}");
        }
        // One right of four: mean 0.25, std √(0.25·0.75) = 0.433; the right one gets +√3,
        // each wrong one −1/√3.
        let a = group_advantages(&[1.0, 0.0, 0.0, 0.0]).unwrap();
        assert!((a[0] - 3f64.sqrt()).abs() < 1e-12);
        assert!((a[1] + 1.0 / 3f64.sqrt()).abs() < 1e-12);
        // All equal: no signal.
        assert_eq!(group_advantages(&[1.0; 4]), None);
        assert_eq!(group_advantages(&[0.0; 8]), None);
        assert_eq!(group_advantages(&[1.0]), None);
    }

    #[test]
    fn a_group_of_equal_rewards_gives_no_update_bit_for_bit() {
        let start = small();
        let mut t = GroupTrainer::new(&start, config(Method::Grpo)).unwrap();
        // Move the policy away from its reference first, so the KL term alone would pull.
        let varied = |_: &str, s: &str| s.chars().filter(char::is_ascii_lowercase).count() as f64;
        for _ in 0..3 {
            assert!(t.step(&varied).unwrap().updated);
        }
        let moved = weights(&t.policy);
        assert!(moved != weights(&start), "the policy did not move");
        for constant in [0.0, 1.0] {
            let s = t.step(&|_: &str, _: &str| constant).unwrap();
            assert_eq!((s.flat, s.groups, s.updated), (2, 2, false), "{s:?}");
            assert!(s.kl > 0.0, "the policy has moved: {s:?}");
            assert!(weights(&t.policy) == moved, "a flat step moved the policy");
        }
        assert!(
            weights(&t.reference) == weights(&start),
            "the reference moved"
        );
    }

    #[test]
    fn reinforce_runs_on_the_same_task_and_budget() {
        let start = small();
        let mut g = GroupTrainer::new(&start, config(Method::Grpo)).unwrap();
        let mut r = GroupTrainer::new(&start, config(Method::Reinforce)).unwrap();
        // Lower-case letters are common in the random model's samples, so rewards vary.
        let reward = |_: &str, s: &str| s.chars().filter(char::is_ascii_lowercase).count() as f64;
        let (a, b) = (g.step(&reward).unwrap(), r.step(&reward).unwrap());
        assert_eq!(a.samples.len(), 12);
        assert_eq!(b.samples.len(), 12);
        // Same seed, same start: the first step samples the same responses.
        assert_eq!(a.samples, b.samples);
        assert_eq!(a.kl, 0.0);
        assert!(a.updated && b.updated);
        assert!(
            weights(&r.policy) != weights(&start),
            "REINFORCE did not move"
        );
        assert!(weights(&g.policy) != weights(&start), "GRPO did not move");
    }

    #[test]
    fn bad_settings_are_refused() {
        let start = small();
        let mut c = config(Method::Grpo);
        c.group = 1;
        assert!(GroupTrainer::new(&start, c).is_err());
        let mut c = config(Method::Grpo);
        c.prompts = vec!["a very long prompt".into()];
        assert!(GroupTrainer::new(&start, c).is_err());
    }

    /// The task of lesson 26 on the shipped model: over a fixed-seed run the share of
    /// completed words rises.
    #[test]
    fn grpo_raises_the_verified_reward_on_the_shipped_model() {
        let base = crate::labs::lm::base_model().unwrap();
        let mut t = GroupTrainer::new(
            base,
            GroupConfig {
                method: Method::Grpo,
                prompts: word_task::PROMPTS
                    .iter()
                    .map(|s| (*s).to_string())
                    .collect(),
                per_step: 4,
                group: 8,
                len: 8,
                beta: 0.02,
                lr: 1e-3,
                seed: 1,
            },
        )
        .unwrap();
        // Every prompt is seen once in each pair of steps: compare the first two pairs with
        // the last two (in release builds about 0.4 against 0.8).
        let rewards: Vec<f64> = (0..16)
            .map(|_| t.step(&word_task::reward).unwrap().reward)
            .collect();
        let first = rewards[..4].iter().sum::<f64>() / 4.0;
        let last = rewards[12..].iter().sum::<f64>() / 4.0;
        assert!(last > first + 0.15, "{rewards:?}");
    }
}
