//! From logits to the next character: temperature, then top-k, then top-p (nucleus), then a
//! draw. [`filter`] returns every stage, so a visualizer can show which characters each filter
//! keeps; [`generate`] samples text with the KV cache.

use super::infer::{FastCache, Weights};
use super::model::Model;
use super::rng::Rng;
use candle_core::Result;

/// Sampling settings. `temperature` 0 means greedy (always the most likely character);
/// `top_k` 0 and `top_p` 1 switch those filters off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Filters {
    pub temperature: f64,
    pub top_k: usize,
    pub top_p: f64,
}

impl Default for Filters {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
        }
    }
}

/// One sampling decision, stage by stage (all vectors have one entry per vocabulary id).
#[derive(Clone, Debug, PartialEq)]
pub struct SampleStep {
    /// softmax(logits / T) (for T = 0: all mass on the most likely id).
    pub probs: Vec<f64>,
    /// Ids the top-k filter keeps (all of them when it is off).
    pub after_top_k: Vec<bool>,
    /// Ids that also survive the top-p filter: the smallest set, most likely first, whose
    /// probability (among the top-k survivors, renormalised) reaches p.
    pub after_top_p: Vec<bool>,
    /// The distribution drawn from: `probs` on the survivors, renormalised to sum to 1.
    pub final_probs: Vec<f64>,
}

impl SampleStep {
    /// Draws an id from `final_probs`.
    pub fn draw(&self, rng: &mut Rng) -> u32 {
        let u = rng.unit();
        let mut acc = 0.0;
        let mut last = 0;
        for (i, &p) in self.final_probs.iter().enumerate() {
            if p > 0.0 {
                acc += p;
                last = i;
                if u < acc {
                    return i as u32;
                }
            }
        }
        last as u32
    }

    /// The `n` most likely ids of the final distribution, with their probabilities.
    pub fn top(&self, n: usize) -> Vec<(u32, f64)> {
        let mut order: Vec<usize> = (0..self.final_probs.len()).collect();
        order.sort_by(|&a, &b| self.probs[b].total_cmp(&self.probs[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .take(n)
            .map(|i| (i as u32, self.final_probs[i]))
            .collect()
    }
}

/// Applies temperature, top-k and top-p to one row of logits.
pub fn filter(logits: &[f32], f: &Filters) -> SampleStep {
    let n = logits.len();
    // Ties broken by id, so greedy and top-k never depend on sort stability.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
    let probs: Vec<f64> = if f.temperature <= 0.0 {
        (0..n)
            .map(|i| if i == order[0] { 1.0 } else { 0.0 })
            .collect()
    } else {
        let scaled: Vec<f32> = logits
            .iter()
            .map(|&l| (l as f64 / f.temperature) as f32)
            .collect();
        super::model::probabilities(&scaled)
    };
    let k = if f.top_k == 0 { n } else { f.top_k.min(n) };
    let mut after_top_k = vec![false; n];
    for &i in &order[..k] {
        after_top_k[i] = true;
    }
    let kept_mass: f64 = order[..k].iter().map(|&i| probs[i]).sum();
    let mut after_top_p = vec![false; n];
    let mut acc = 0.0;
    for &i in &order[..k] {
        after_top_p[i] = true;
        acc += probs[i] / kept_mass;
        if acc >= f.top_p - 1e-12 {
            break;
        }
    }
    let mass: f64 = (0..n).filter(|&i| after_top_p[i]).map(|i| probs[i]).sum();
    let final_probs = (0..n)
        .map(|i| if after_top_p[i] { probs[i] / mass } else { 0.0 })
        .collect();
    SampleStep {
        probs,
        after_top_k,
        after_top_p,
        final_probs,
    }
}

/// One generated character and what the model thought of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub id: u32,
    pub ch: char,
    /// Its probability in the distribution it was drawn from.
    pub prob: f64,
    /// The five most likely characters at that step, with their probabilities.
    pub top: Vec<(char, f64)>,
}

/// A prompt and what followed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub prompt: String,
    pub tokens: Vec<Token>,
}

impl Generated {
    pub fn text(&self) -> String {
        self.tokens.iter().map(|t| t.ch).collect()
    }
}

/// Samples `n` characters after `prompt` (characters outside the alphabet become U+FFFD),
/// with the KV cache. An empty prompt starts from a newline.
pub fn generate(
    model: &Model,
    prompt: &str,
    n: usize,
    f: &Filters,
    rng: &mut Rng,
) -> Result<Generated> {
    let mut ids = model.vocab.encode(prompt);
    if ids.is_empty() {
        ids.push(model.vocab.id('\n'));
    }
    // The candle-free path: the same arithmetic as `KvCache`, without per-operation overhead.
    let weights = Weights::of(model)?;
    let mut cache = FastCache::new(&weights);
    let mut logits = Vec::new();
    for &id in &ids {
        logits = cache.push(&weights, id);
    }
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let step = filter(&logits, f);
        let id = step.draw(rng);
        tokens.push(Token {
            id,
            ch: model.vocab.char(id),
            prob: step.final_probs[id as usize],
            top: step
                .top(5)
                .into_iter()
                .map(|(i, p)| (model.vocab.char(i), p))
                .collect(),
        });
        if i + 1 < n {
            logits = cache.push(&weights, id);
        }
    }
    Ok(Generated {
        prompt: prompt.to_string(),
        tokens,
    })
}

/// The same as [`generate`] without a cache: every step re-runs the whole window (the same
/// windows, see [`super::cache::window_start`]). Slow; kept to test the cache against.
pub fn generate_uncached(
    model: &Model,
    prompt: &str,
    n: usize,
    f: &Filters,
    rng: &mut Rng,
) -> Result<Vec<u32>> {
    let mut ids = model.vocab.encode(prompt);
    if ids.is_empty() {
        ids.push(model.vocab.id('\n'));
    }
    let ctx = model.config.context;
    let mut start = 0;
    for i in 1..=ids.len() {
        start = super::cache::window_start(start, i, ctx);
    }
    let first = ids.len();
    for _ in 0..n {
        let logits = model.logits(&ids[start..])?;
        let id = filter(&logits[logits.len() - 1], f).draw(rng);
        ids.push(id);
        start = super::cache::window_start(start, ids.len(), ctx);
    }
    Ok(ids[first..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGITS: [f32; 5] = [1.0, 3.0, 2.0, 0.5, 2.5];

    fn kept(mask: &[bool]) -> Vec<usize> {
        (0..mask.len()).filter(|&i| mask[i]).collect()
    }

    #[test]
    fn probabilities_sum_to_one_at_every_setting() {
        for t in [0.0, 0.1, 1.0, 3.0] {
            for k in [0, 1, 3] {
                for p in [0.3, 0.9, 1.0] {
                    let f = Filters {
                        temperature: t,
                        top_k: k,
                        top_p: p,
                    };
                    let s = filter(&LOGITS, &f);
                    assert!((s.probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                    assert!((s.final_probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn top_k_keeps_exactly_k_most_likely() {
        let f = Filters {
            top_k: 3,
            ..Filters::default()
        };
        let s = filter(&LOGITS, &f);
        // Logits 3.0, 2.5 and 2.0 are ids 1, 4, 2.
        assert_eq!(kept(&s.after_top_k), vec![1, 2, 4]);
        assert_eq!(kept(&s.after_top_p), vec![1, 2, 4]);
    }

    #[test]
    fn top_p_keeps_the_smallest_set_reaching_p() {
        // softmax(LOGITS): python3 -c "import math;l=[1,3,2,.5,2.5];s=sum(map(math.exp,l));
        // print([round(math.exp(x)/s,4) for x in l])" → [0.0617, 0.4562, 0.1678, 0.0375, 0.2767].
        // Most likely first: id 1 (0.4562), + id 4 = 0.7330, + id 2 = 0.9008, ...
        let at = |p: f64| {
            kept(
                &filter(
                    &LOGITS,
                    &Filters {
                        top_p: p,
                        ..Filters::default()
                    },
                )
                .after_top_p,
            )
        };
        assert_eq!(at(0.45), vec![1]);
        assert_eq!(at(0.46), vec![1, 4]);
        assert_eq!(at(0.73), vec![1, 4]);
        assert_eq!(at(0.74), vec![1, 2, 4]);
        assert_eq!(at(0.90), vec![1, 2, 4]);
        assert_eq!(at(0.91), vec![0, 1, 2, 4]);
        assert_eq!(at(1.0).len(), 5);
        let s = filter(
            &LOGITS,
            &Filters {
                top_p: 0.6,
                ..Filters::default()
            },
        );
        // Renormalised over {1, 4}: 0.4562/0.7330 = 0.6225.
        assert!((s.final_probs[1] - 0.6224).abs() < 1e-3);
    }

    #[test]
    fn temperature_towards_zero_is_greedy() {
        let greedy = filter(
            &LOGITS,
            &Filters {
                temperature: 0.0,
                ..Filters::default()
            },
        );
        let cold = filter(
            &LOGITS,
            &Filters {
                temperature: 0.01,
                ..Filters::default()
            },
        );
        assert_eq!(greedy.final_probs[1], 1.0);
        // At T = 0.01 the runner-up has e^(−0.5/0.01) = e^−50 of the leader's weight.
        assert!(cold.final_probs[1] >= 1.0 - 1e-15);
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            assert_eq!(cold.draw(&mut rng), 1);
            assert_eq!(greedy.draw(&mut rng), 1);
        }
    }

    #[test]
    fn draws_follow_the_final_distribution() {
        let s = filter(&LOGITS, &Filters::default());
        let mut rng = Rng::new(5);
        let mut counts = [0usize; 5];
        for _ in 0..20_000 {
            counts[s.draw(&mut rng) as usize] += 1;
        }
        for (i, &count) in counts.iter().enumerate() {
            let share = count as f64 / 20_000.0;
            // Standard error at p = 0.5 is √(0.25/20000) ≈ 0.0035.
            assert!((share - s.final_probs[i]).abs() < 0.015, "{i}: {share}");
        }
    }
}
