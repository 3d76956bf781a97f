//! Direct Preference Optimization on the tiny GPT (Rafailov et al. 2023, facts §5): no reward
//! model and no sampling, just preference pairs (prompt, preferred y_w, rejected y_l) and the
//! loss −ln σ(β·[(ln π(y_w) − ln π_ref(y_w)) − (ln π(y_l) − ln π_ref(y_l))]).
//! The bracket times β is the **implicit reward margin**: how much more the policy has raised
//! the preferred response, relative to the reference, than the rejected one.
//!
//! The model reads 64 characters, so each side of a pair is the prompt's last characters
//! followed by the response's first `max_response` characters: the log-probability of a
//! response is the sum over its characters of ln π(character | what came before). The
//! reference's log-probabilities never change, so they are computed once; the reference is a
//! deep copy of the starting model.

use super::model::Model;
use super::ops::log_softmax;
use super::optim::AdamW;
use super::rng::Rng;
use candle_core::{Device, Result, Tensor};

/// A preference: `chosen` was preferred to `rejected` as an answer to `prompt`.
#[derive(Clone, Debug, PartialEq)]
pub struct PrefText {
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DpoConfig {
    pub beta: f64,
    pub lr: f64,
    /// Pairs per step.
    pub batch: usize,
    /// Characters of each response kept (the rest would not fit the context).
    pub max_response: usize,
    pub seed: u64,
}

/// One side of a pair as ids: the whole sequence and how many of its last ids are response.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    pub ids: Vec<u32>,
    pub response: usize,
}

/// Encodes prompt + response to fit `context` inputs: the response cut to `max_response`
/// characters (at least one), the prompt to its last characters that still fit.
pub fn encode_side(model: &Model, prompt: &str, response: &str, max_response: usize) -> Side {
    let mut r = model.vocab.encode(response);
    r.truncate(max_response.clamp(1, model.config.context));
    if r.is_empty() {
        r.push(model.vocab.id(' '));
    }
    let mut p = model.vocab.encode(prompt);
    if p.is_empty() {
        p.push(model.vocab.id('\n'));
    }
    let room = model.config.context + 1 - r.len();
    let p = p[p.len().saturating_sub(room)..].to_vec();
    let response = r.len();
    Side {
        ids: [p, r].concat(),
        response,
    }
}

/// Σ ln π(response ids) for each side, as a (S) tensor in the model's graph.
pub fn log_probs(model: &Model, sides: &[&Side]) -> Result<Tensor> {
    let n = sides.iter().map(|s| s.ids.len()).max().unwrap_or(2).max(2) - 1;
    let s = sides.len();
    let (mut xs, mut ys, mut mask) = (vec![0u32; s * n], vec![0u32; s * n], vec![0f32; s * n]);
    for (i, side) in sides.iter().enumerate() {
        let len = side.ids.len() - 1;
        xs[i * n..i * n + len].copy_from_slice(&side.ids[..len]);
        ys[i * n..i * n + len].copy_from_slice(&side.ids[1..]);
        for m in &mut mask[i * n + len - side.response..i * n + len] {
            *m = 1.0;
        }
    }
    let x = Tensor::from_vec(xs, (s, n), &Device::Cpu)?;
    let y = Tensor::from_vec(ys, (s, n, 1), &Device::Cpu)?;
    let mask = Tensor::from_vec(mask, (s, n), &Device::Cpu)?;
    let logp = log_softmax(&model.forward(&x)?)?
        .gather(&y, 2)?
        .squeeze(2)?;
    (logp * mask)?.sum(1)
}

/// A pair ready to train on, with the reference's log-probabilities of both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub chosen: Side,
    pub rejected: Side,
    pub ref_chosen: f64,
    pub ref_rejected: f64,
}

/// Averages over some pairs of what DPO tracks.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpoStats {
    pub loss: f64,
    /// Mean implicit reward margin β·(Δ_w − Δ_l).
    pub margin: f64,
    /// Share of pairs with a positive margin (a margin of exactly 0 counts half).
    pub accuracy: f64,
    /// Mean ln π(y_w) − ln π_ref(y_w): how the preferred responses moved.
    pub chosen_shift: f64,
    /// Mean ln π(y_l) − ln π_ref(y_l).
    pub rejected_shift: f64,
}

/// ln(1 + e^z), stable for any z: max(z, 0) + ln(1 + e^−|z|).
fn softplus(z: &Tensor) -> Result<Tensor> {
    z.relu()? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?)
}

pub struct DpoTrainer {
    pub policy: Model,
    pub reference: Model,
    pub config: DpoConfig,
    pub train: Vec<Pair>,
    pub test: Vec<Pair>,
    opt: AdamW,
    rng: Rng,
    pub step: usize,
}

/// How many pairs the reference and evaluation score per forward pass.
const EVAL_CHUNK: usize = 8;

impl DpoTrainer {
    pub fn new(
        start: &Model,
        train: &[PrefText],
        test: &[PrefText],
        config: DpoConfig,
    ) -> Result<Self> {
        let reference = start.deep_copy()?;
        let policy = start.deep_copy()?;
        let prepare = |texts: &[PrefText]| -> Result<Vec<Pair>> {
            let sides: Vec<(Side, Side)> = texts
                .iter()
                .map(|t| {
                    (
                        encode_side(start, &t.prompt, &t.chosen, config.max_response),
                        encode_side(start, &t.prompt, &t.rejected, config.max_response),
                    )
                })
                .collect();
            let mut out = Vec::with_capacity(sides.len());
            for chunk in sides.chunks(EVAL_CHUNK) {
                let all: Vec<&Side> = chunk.iter().flat_map(|(w, l)| [w, l]).collect();
                let lp: Vec<f32> = log_probs(&reference, &all)?.to_vec1()?;
                for (k, (w, l)) in chunk.iter().enumerate() {
                    out.push(Pair {
                        chosen: w.clone(),
                        rejected: l.clone(),
                        ref_chosen: f64::from(lp[2 * k]),
                        ref_rejected: f64::from(lp[2 * k + 1]),
                    });
                }
            }
            Ok(out)
        };
        let (train, test) = (prepare(train)?, prepare(test)?);
        let opt = AdamW::new(&policy, 0.9, 0.99, 1e-8, 0.0);
        Ok(Self {
            rng: Rng::new(config.seed),
            policy,
            reference,
            config,
            train,
            test,
            opt,
            step: 0,
        })
    }

    /// Loss (a scalar in the graph) and stats for `pairs` under the current policy.
    fn loss(&self, pairs: &[&Pair]) -> Result<(Tensor, DpoStats)> {
        let sides: Vec<&Side> = pairs
            .iter()
            .flat_map(|p| [&p.chosen, &p.rejected])
            .collect();
        let lp = log_probs(&self.policy, &sides)?.reshape((pairs.len(), 2))?;
        let refs: Vec<f32> = pairs
            .iter()
            .flat_map(|p| [p.ref_chosen as f32, p.ref_rejected as f32])
            .collect();
        let refs = Tensor::from_vec(refs, (pairs.len(), 2), &Device::Cpu)?;
        let shift = (lp - refs)?; // (P, 2): Δ_w, Δ_l
        let margin =
            ((shift.narrow(1, 0, 1)? - shift.narrow(1, 1, 1)?)? * self.config.beta)?.squeeze(1)?;
        let losses = softplus(&margin.neg()?)?;
        let loss = losses.mean_all()?;
        let m: Vec<f32> = margin.to_vec1()?;
        let sh: Vec<Vec<f32>> = shift.to_vec2()?;
        let n = pairs.len().max(1) as f64;
        let stats = DpoStats {
            loss: f64::from(loss.to_scalar::<f32>()?),
            margin: m.iter().map(|&x| f64::from(x)).sum::<f64>() / n,
            accuracy: m
                .iter()
                .map(|&x| match x.partial_cmp(&0.0) {
                    Some(std::cmp::Ordering::Greater) => 1.0,
                    Some(std::cmp::Ordering::Equal) => 0.5,
                    _ => 0.0,
                })
                .sum::<f64>()
                / n,
            chosen_shift: sh.iter().map(|r| f64::from(r[0])).sum::<f64>() / n,
            rejected_shift: sh.iter().map(|r| f64::from(r[1])).sum::<f64>() / n,
        };
        Ok((loss, stats))
    }

    /// One step on a random batch of training pairs; returns the batch's stats before it.
    pub fn step(&mut self) -> Result<DpoStats> {
        let n = self.train.len();
        if n == 0 {
            return Err(candle_core::Error::Msg("no training pairs".into()));
        }
        let picks: Vec<usize> = (0..self.config.batch.min(n))
            .map(|_| self.rng.below(n))
            .collect();
        let batch: Vec<&Pair> = picks.iter().map(|&i| &self.train[i]).collect();
        let (loss, stats) = self.loss(&batch)?;
        let grads = loss.backward()?;
        self.opt.update(&self.policy, &grads, self.config.lr)?;
        self.step += 1;
        Ok(stats)
    }

    /// Stats over every pair of `set` (no update).
    pub fn evaluate(&self, held_out: bool) -> Result<DpoStats> {
        let set = if held_out { &self.test } else { &self.train };
        let mut total = DpoStats::default();
        for chunk in set.chunks(EVAL_CHUNK) {
            let refs: Vec<&Pair> = chunk.iter().collect();
            let (_, s) = self.loss(&refs)?;
            let w = chunk.len() as f64 / set.len() as f64;
            total.loss += w * s.loss;
            total.margin += w * s.margin;
            total.accuracy += w * s.accuracy;
            total.chosen_shift += w * s.chosen_shift;
            total.rejected_shift += w * s.rejected_shift;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, vocab::Vocab};
    use crate::labs::part5_adapting::preference::DpoPair;

    fn small() -> Model {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 16,
        };
        Model::new(cfg, vocab, 5).unwrap()
    }

    fn pairs() -> Vec<PrefText> {
        vec![
            PrefText {
                prompt: "Q: 2+2? A: ".into(),
                chosen: "4".into(),
                rejected: "5".into(),
            },
            PrefText {
                prompt: "Q: sky? A: ".into(),
                chosen: "blue".into(),
                rejected: "green".into(),
            },
        ]
    }

    #[test]
    fn sides_fit_the_context_and_log_probs_match_the_model() {
        let m = small();
        let s = encode_side(&m, "a long prompt that cannot fit", "reply", 8);
        assert_eq!(s.ids.len(), 17); // 16 inputs + the last target
        assert_eq!(s.response, 5);
        assert_eq!(m.vocab.decode(&s.ids[12..]), "reply");
        // Σ ln p(reply's characters) from the plain forward pass, position by position.
        let logits = m.logits(&s.ids[..16]).unwrap();
        let want: f64 = (11..16)
            .map(|t| crate::labs::lm::model::probabilities(&logits[t])[s.ids[t + 1] as usize].ln())
            .sum();
        let short = encode_side(&m, "ab", "c", 8);
        let got: Vec<f32> = log_probs(&m, &[&s, &short]).unwrap().to_vec1().unwrap();
        assert!((f64::from(got[0]) - want).abs() < 1e-3, "{got:?} vs {want}");
    }

    #[test]
    fn the_loss_of_a_pair_is_minus_log_sigmoid_of_beta_times_the_margin() {
        let m = small();
        let cfg = DpoConfig {
            beta: 0.5,
            lr: 1e-2,
            batch: 2,
            max_response: 6,
            seed: 1,
        };
        let mut t = DpoTrainer::new(&m, &pairs(), &pairs()[..1], cfg).unwrap();
        // At the start the policy is the reference: margin 0 and loss ln 2 for every pair.
        let s0 = t.evaluate(false).unwrap();
        assert!(s0.margin.abs() < 1e-6 && (s0.loss - std::f64::consts::LN_2).abs() < 1e-6);
        for _ in 0..20 {
            t.step().unwrap();
        }
        // After training, each pair's loss equals DpoPair's −ln σ(β·margin), by hand.
        let p = &t.test[0];
        let lp: Vec<f32> = log_probs(&t.policy, &[&p.chosen, &p.rejected])
            .unwrap()
            .to_vec1()
            .unwrap();
        let by_hand = DpoPair {
            policy_w: f64::from(lp[0]),
            policy_l: f64::from(lp[1]),
            ref_w: p.ref_chosen,
            ref_l: p.ref_rejected,
        };
        let s = t.evaluate(true).unwrap();
        assert!(
            (s.loss - by_hand.loss(0.5)).abs() < 1e-4,
            "{} vs {}",
            s.loss,
            by_hand.loss(0.5)
        );
        assert!((s.margin - by_hand.margin(0.5)).abs() < 1e-4);
        // Training pairs: the margin grew and the loss fell below ln 2.
        let s1 = t.evaluate(false).unwrap();
        assert!(
            s1.margin > 0.0 && s1.loss < std::f64::consts::LN_2,
            "{s1:?}"
        );
        assert_eq!(s1.accuracy, 1.0);
        // The reference's own log-probabilities did not move.
        let r: Vec<f32> = log_probs(&t.reference, &[&p.chosen])
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!((f64::from(r[0]) - p.ref_chosen).abs() < 1e-6);
    }
}
