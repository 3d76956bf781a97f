//! Policy-gradient fine-tuning of the tiny GPT against a reward, on a KL leash (facts §5):
//! maximise E[r(y)] − β·KL(π‖π_ref), the RLHF objective, with REINFORCE and a baseline.
//!
//! Each step samples a batch of responses to one prompt from the current policy, scores them,
//! and treats the KL penalty as InstructGPT does, as a per-token reward: token t pays
//! −β·(ln π(y_t) − ln π_ref(y_t)), the response earns r(y) at the end. Token t's return is
//! what follows it, G_t = r(y) − β·Σ_{s≥t} (ln π(y_s) − ln π_ref(y_s)); subtracting the batch's
//! mean return at t (the baseline) leaves the advantage A_t, and the loss −Σ_t A_t·ln π(y_t)
//! pushes up tokens that did better than usual. No value network and no clipping: PPO adds
//! those for stability at scale; at this size plain REINFORCE shows the same trade-off.
//!
//! The reference is a deep copy of the starting model ([`Model::deep_copy`]), never a view of
//! the weights being trained, so it cannot drift with them. Reported KL is exact per
//! position, Σ_v π(v)·ln(π(v)/π_ref(v)) over the whole alphabet at each sampled prefix,
//! summed over the response: an unbiased estimate of the sequence-level KL with far less noise
//! than the sampled log-ratio.

use super::batch_sample::sample_batch;
use super::model::Model;
use super::ops::log_softmax;
use super::optim::AdamW;
use super::rng::Rng;
use candle_core::{Device, Result, Tensor, D};

/// The settings of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    pub prompt: String,
    /// Responses sampled per step.
    pub batch: usize,
    /// Characters per response.
    pub len: usize,
    /// The KL coefficient β.
    pub beta: f64,
    /// Adam's learning rate.
    pub lr: f64,
    pub seed: u64,
}

/// What one step saw (before its update).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyStep {
    pub step: usize,
    /// Mean reward of the batch.
    pub reward: f64,
    /// Mean KL(π‖π_ref) per response, in nats (exact per position, summed).
    pub kl: f64,
    /// Mean entropy of π per character, in nats.
    pub entropy: f64,
    /// The sampled responses.
    pub responses: Vec<String>,
}

/// A policy being trained, its frozen reference and its optimizer.
pub struct PolicyTrainer {
    pub policy: Model,
    pub reference: Model,
    pub config: PolicyConfig,
    opt: AdamW,
    rng: Rng,
    prompt: Vec<u32>,
    step: usize,
}

/// Per-position values of a batch of sequences: ln π(chosen), and the full log-distributions.
pub(crate) struct Scored {
    /// ln π(y_t): (B, L), in the graph when the model is being trained.
    pub(crate) chosen: Tensor,
    /// ln π(·) at each response position: (B, L, V).
    pub(crate) all: Tensor,
}

/// Scores response positions: inputs are prompt + response minus its last id; the logits at
/// positions P−1 … P+L−2 predict the L response ids.
pub(crate) fn score(model: &Model, prompt: &[u32], responses: &[Vec<u32>]) -> Result<Scored> {
    let (p, l) = (prompt.len(), responses.first().map_or(0, Vec::len));
    let b = responses.len();
    let mut xs = Vec::with_capacity(b * (p + l - 1));
    let mut ys = Vec::with_capacity(b * l);
    for r in responses {
        xs.extend_from_slice(prompt);
        xs.extend_from_slice(&r[..l - 1]);
        ys.extend_from_slice(r);
    }
    let x = Tensor::from_vec(xs, (b, p + l - 1), &Device::Cpu)?;
    let y = Tensor::from_vec(ys, (b, l, 1), &Device::Cpu)?;
    let logits = model.forward(&x)?.narrow(1, p - 1, l)?;
    let all = log_softmax(&logits)?;
    let chosen = all.gather(&y, 2)?.squeeze(2)?;
    Ok(Scored { chosen, all })
}

/// Exact KL(π‖π_ref) and entropy of π at every position: (B, L) each, from log-distributions.
pub fn kl_and_entropy(policy_all: &Tensor, reference_all: &Tensor) -> Result<(Tensor, Tensor)> {
    let p = policy_all.exp()?;
    let kl = (&p * (policy_all - reference_all)?)?.sum(D::Minus1)?;
    let h = (&p * policy_all)?.sum(D::Minus1)?.neg()?;
    Ok((kl, h))
}

impl PolicyTrainer {
    /// A run starting from `start`: the policy and the reference are two separate copies.
    pub fn new(start: &Model, config: PolicyConfig) -> Result<Self> {
        let policy = start.deep_copy()?;
        let reference = start.deep_copy()?;
        let mut prompt = start.vocab.encode(&config.prompt);
        if prompt.is_empty() {
            prompt.push(start.vocab.id('\n'));
        }
        if prompt.len() + config.len > start.config.context || config.len < 2 || config.batch < 2 {
            return Err(candle_core::Error::Msg(format!(
                "prompt ({}) + response ({}) must fit the context of {}, with responses of 2 or more characters and a batch of 2 or more",
                prompt.len(),
                config.len,
                start.config.context
            )));
        }
        let opt = AdamW::new(&policy, 0.9, 0.99, 1e-8, 0.0);
        Ok(Self {
            rng: Rng::new(config.seed),
            policy,
            reference,
            config,
            opt,
            prompt,
            step: 0,
        })
    }

    /// One step: sample, score with `reward`, update the policy. Returns what the batch saw.
    pub fn step(&mut self, reward: &dyn Fn(&str) -> f64) -> Result<PolicyStep> {
        let c = self.config.clone();
        let responses = sample_batch(&self.policy, &self.prompt, c.batch, c.len, &mut self.rng)?;
        let texts: Vec<String> = responses
            .iter()
            .map(|r| self.policy.vocab.decode(r))
            .collect();
        let rewards: Vec<f64> = texts.iter().map(|t| reward(t)).collect();
        let pol = score(&self.policy, &self.prompt, &responses)?;
        let refr = score(&self.reference, &self.prompt, &responses)?;
        let (kl, ent) = kl_and_entropy(&pol.all.detach(), &refr.all.detach())?;
        let logp: Vec<Vec<f32>> = pol.chosen.detach().to_vec2()?;
        let ref_logp: Vec<Vec<f32>> = refr.chosen.detach().to_vec2()?;
        let adv = advantages(&rewards, &logp, &ref_logp, c.beta);
        let (b, l) = (c.batch, c.len);
        let adv_t = Tensor::from_vec(adv.concat(), (b, l), &Device::Cpu)?;
        let loss = ((&adv_t * &pol.chosen)?.sum_all()? * (-1.0 / b as f64))?;
        let grads = loss.backward()?;
        self.opt.update(&self.policy, &grads, c.lr)?;
        self.step += 1;
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
        let kl_seq: Vec<f32> = kl.sum(1)?.to_vec1()?;
        let ent_mean: f32 = ent.mean_all()?.to_scalar()?;
        Ok(PolicyStep {
            step: self.step,
            reward: mean(&rewards),
            kl: mean(&kl_seq.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()),
            entropy: f64::from(ent_mean),
            responses: texts,
        })
    }
}

/// A_{b,t} = G_{b,t} − mean_b G_{b,t}, with G_{b,t} = r_b − β·Σ_{s≥t} (ln π − ln π_ref)_{b,s}.
pub fn advantages(
    rewards: &[f64],
    logp: &[Vec<f32>],
    ref_logp: &[Vec<f32>],
    beta: f64,
) -> Vec<Vec<f32>> {
    let returns: Vec<Vec<f64>> = rewards
        .iter()
        .zip(logp.iter().zip(ref_logp))
        .map(|(r, (lp, rp))| {
            let mut g = vec![0.0; lp.len()];
            let mut acc = 0.0;
            for t in (0..lp.len()).rev() {
                acc += f64::from(lp[t]) - f64::from(rp[t]);
                g[t] = r - beta * acc;
            }
            g
        })
        .collect();
    let n = returns.len().max(1) as f64;
    let len = returns.first().map_or(0, Vec::len);
    let baseline: Vec<f64> = (0..len)
        .map(|t| returns.iter().map(|g| g[t]).sum::<f64>() / n)
        .collect();
    returns
        .iter()
        .map(|g| {
            g.iter()
                .zip(&baseline)
                .map(|(x, b)| (x - b) as f32)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, vocab::Vocab};

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

    fn weights(m: &Model) -> Vec<f32> {
        m.params()
            .iter()
            .flat_map(|(_, v)| {
                v.as_tensor()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            })
            .collect()
    }

    fn config(beta: f64) -> PolicyConfig {
        PolicyConfig {
            prompt: "ab".into(),
            batch: 8,
            len: 6,
            beta,
            lr: 1e-2,
            seed: 1,
        }
    }

    #[test]
    fn advantages_by_hand() {
        // Two responses of two tokens, rewards 1 and 0, β = 0.5.
        // Log-ratios: first (0.2, 0.4), second (0, −0.2).
        // G first: t1 = 1 − 0.5·0.4 = 0.8, t0 = 1 − 0.5·0.6 = 0.7.
        // G second: t1 = 0 − 0.5·(−0.2) = 0.1, t0 = 0 − 0.5·(−0.2) = 0.1.
        // Baselines: t0 0.4, t1 0.45 → A first (0.3, 0.35), second (−0.3, −0.35).
        let a = advantages(
            &[1.0, 0.0],
            &[vec![-1.0, -1.0], vec![-2.0, -2.2]],
            &[vec![-1.2, -1.4], vec![-2.0, -2.0]],
            0.5,
        );
        let want = [[0.3, 0.35], [-0.3, -0.35]];
        for (row, w) in a.iter().zip(want) {
            for (x, y) in row.iter().zip(w) {
                assert!((f64::from(*x) - y).abs() < 1e-6, "{a:?}");
            }
        }
    }

    #[test]
    fn kl_of_a_policy_to_itself_is_zero_and_positive_after_training() {
        let start = small();
        let mut t = PolicyTrainer::new(&start, config(0.1)).unwrap();
        // Policy and reference are equal copies: the first step's KL is exactly 0.
        let first = t.step(&|s: &str| s.matches('e').count() as f64).unwrap();
        assert_eq!(first.kl, 0.0);
        assert!(first.entropy > 0.0);
        for _ in 0..5 {
            t.step(&|s: &str| s.matches('e').count() as f64).unwrap();
        }
        let later = t.step(&|s: &str| s.matches('e').count() as f64).unwrap();
        assert!(later.kl > 0.0, "{later:?}");
    }

    #[test]
    fn the_reference_stays_unchanged_while_the_policy_trains() {
        let start = small();
        let before = weights(&start);
        let mut t = PolicyTrainer::new(&start, config(0.05)).unwrap();
        // A reward that varies across the batch (lower-case letters are common in the random
        // model's samples), so the update is not zero.
        for _ in 0..4 {
            t.step(&|s: &str| s.chars().filter(char::is_ascii_lowercase).count() as f64)
                .unwrap();
        }
        assert_eq!(weights(&t.reference), before, "the reference moved");
        assert_eq!(weights(&start), before, "the starting model moved");
        assert_ne!(weights(&t.policy), before, "the policy did not move");
    }

    #[test]
    fn the_policy_learns_to_say_what_is_rewarded() {
        // Reward: the number of 'e's. After 60 steps at a small β the batch holds more of them.
        let start = small();
        let mut t = PolicyTrainer::new(
            &start,
            PolicyConfig {
                lr: 3e-2,
                ..config(0.01)
            },
        )
        .unwrap();
        let reward = |s: &str| s.matches('e').count() as f64;
        let first: f64 = (0..5).map(|_| t.step(&reward).unwrap().reward).sum::<f64>() / 5.0;
        for _ in 0..50 {
            t.step(&reward).unwrap();
        }
        let last: f64 = (0..5).map(|_| t.step(&reward).unwrap().reward).sum::<f64>() / 5.0;
        assert!(last > first + 1.0, "{first} → {last}");
    }
}
