//! A reward model learned from preferences (facts §3, §5): Bradley–Terry with the score
//! computed from the text, r(y) = w·φ(y), so it can score answers it has never seen.
//!
//! The course's own multiple-choice questions make the preference data: for each question the
//! right answer is preferred to each wrong one. The features φ are a handful of things a
//! programmer can read (length, digits, absolute words, words shared with the question, …), so
//! the learned weights say what the model came to like. What it likes is partly a flaw: in
//! many quizzes the right answer is the longest one, and a reward model fitted to them learns
//! to prefer length, the same bias that makes real reward models exploitable (lesson 25).
//!
//! The fit maximises Σ ln σ(w·(φ(y_w) − φ(y_l))) − (λ/2)·‖w‖², InstructGPT's reward-model
//! loss for one pair at a time, by Newton's method (a handful of features, so exact).

use crate::labs::part5_adapting::preference::{log_sigmoid, sigmoid, solve};
use crate::labs::rng::Rng;

/// A multiple-choice question as the lessons write it.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub choices: Vec<String>,
    /// 0-based index of the right choice.
    pub answer: usize,
}

/// The features' names, in the order [`features`] returns them.
pub const FEATURES: [&str; 6] = [
    "length (per 5 words)",
    "has a digit",
    "absolute words",
    "linking words",
    "share of question words",
    "negations",
];

/// Words that claim too much (wrong answers to quizzes often use them).
const ABSOLUTE: [&str; 9] = [
    "always", "never", "only", "all", "every", "none", "nothing", "exactly", "must",
];
/// Words that link a claim to a reason or a comparison.
const LINKING: [&str; 6] = ["because", "so", "since", "than", "but", "while"];

/// Lower-case words (letters, digits and apostrophes).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// φ(answer) for an answer to `question`: see [`FEATURES`].
pub fn features(question: &str, answer: &str) -> Vec<f64> {
    let w = words(answer);
    let q: std::collections::HashSet<String> = words(question).into_iter().collect();
    let n = w.len().max(1) as f64;
    let count = |set: &[&str]| w.iter().filter(|x| set.contains(&x.as_str())).count() as f64;
    vec![
        w.len() as f64 / 5.0,
        f64::from(u8::from(answer.chars().any(|c| c.is_ascii_digit()))),
        count(&ABSOLUTE),
        count(&LINKING),
        w.iter().filter(|x| q.contains(*x)).count() as f64 / n,
        w.iter()
            .filter(|x| *x == "not" || *x == "no" || x.ends_with("n't"))
            .count() as f64,
    ]
}

/// One judgement as the reward model sees it: the features of the preferred answer and of the
/// rejected one, and which question it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct FeaturePair {
    pub question: usize,
    pub winner: Vec<f64>,
    pub loser: Vec<f64>,
}

/// Right answer ≻ each wrong answer, for every question.
pub fn pairs_from_questions(questions: &[Question]) -> Vec<FeaturePair> {
    let mut out = Vec::new();
    for (qi, q) in questions.iter().enumerate() {
        let Some(right) = q.choices.get(q.answer) else {
            continue;
        };
        let w = features(&q.question, right);
        for (i, c) in q.choices.iter().enumerate() {
            if i != q.answer {
                out.push(FeaturePair {
                    question: qi,
                    winner: w.clone(),
                    loser: features(&q.question, c),
                });
            }
        }
    }
    out
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn diff(p: &FeaturePair) -> Vec<f64> {
    p.winner.iter().zip(&p.loser).map(|(a, b)| a - b).collect()
}

/// r(φ) = w·φ.
pub fn score(weights: &[f64], phi: &[f64]) -> f64 {
    dot(weights, phi)
}

/// Mean −ln σ(r_w − r_l) over the pairs: the reward-model loss (ln 2 when w = 0).
pub fn mean_loss(weights: &[f64], pairs: &[FeaturePair]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    -pairs
        .iter()
        .map(|p| log_sigmoid(dot(weights, &diff(p))))
        .sum::<f64>()
        / pairs.len() as f64
}

/// Share of pairs the weights order correctly (a tie counts half).
pub fn accuracy(weights: &[f64], pairs: &[FeaturePair]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    pairs
        .iter()
        .map(|p| {
            let m = dot(weights, &diff(p));
            if m > 0.0 {
                1.0
            } else if m == 0.0 {
                0.5
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / pairs.len() as f64
}

/// The weights maximising Σ ln σ(w·Δφ) − (λ/2)·‖w‖², by Newton's method (λ floored at 1e-9
/// so the Hessian stays invertible). `dims` is the number of features.
pub fn fit(dims: usize, pairs: &[FeaturePair], l2: f64) -> Vec<f64> {
    let l2 = l2.max(1e-9);
    let diffs: Vec<Vec<f64>> = pairs.iter().map(diff).collect();
    let mut w = vec![0.0; dims];
    for _ in 0..100 {
        let mut g: Vec<f64> = w.iter().map(|x| -l2 * x).collect();
        let mut h = vec![vec![0.0; dims]; dims];
        for (i, row) in h.iter_mut().enumerate() {
            row[i] = l2;
        }
        for d in &diffs {
            let p = sigmoid(dot(&w, d));
            for i in 0..dims {
                g[i] += (1.0 - p) * d[i];
                for j in 0..dims {
                    h[i][j] += p * (1.0 - p) * d[i] * d[j];
                }
            }
        }
        let step = solve(h, g);
        let size = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for (wi, s) in w.iter_mut().zip(&step) {
            *wi += s;
        }
        if size < 1e-10 {
            break;
        }
    }
    w
}

/// Question indices split into (train, held out): a seeded shuffle, `held_out_share` of the
/// questions held out (at least one each side when there are two or more). Splitting by
/// question, not by pair, keeps every answer the test scores unseen in training.
pub fn split_questions(n: usize, held_out_share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    for i in (1..n).rev() {
        let j = rng.int(0, i as i64) as usize;
        order.swap(i, j);
    }
    let mut held = (n as f64 * held_out_share).round() as usize;
    if n >= 2 {
        held = held.clamp(1, n - 1);
    }
    let train = order[held..].to_vec();
    let mut test = order[..held].to_vec();
    test.sort_unstable();
    (train, test)
}

/// The toy rule's candidate answers to "What does a tokenizer do?", with what a simulated
/// labeller values in each: (text, correct, polite). Its dislike of length reads the words.
pub const TOY_ANSWERS: [(&str, bool, bool); 6] = [
    ("It splits text into tokens.", true, false),
    ("Happy to help! It splits text into tokens.", true, true),
    (
        "It turns text into ids the model reads, in pieces.",
        true,
        false,
    ),
    ("It translates text.", false, false),
    ("Great question! It translates text.", false, true),
    (
        "Tokenizers are part of models and text and many things.",
        false,
        false,
    ),
];

/// The toy labeller's hidden score: 2 for a correct answer, 0.5 for politeness, −0.05 per
/// word (it mildly prefers short answers).
pub fn toy_score(correct: bool, polite: bool, words: usize) -> f64 {
    2.0 * f64::from(u8::from(correct)) + 0.5 * f64::from(u8::from(polite)) - 0.05 * words as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(question: &str, choices: &[&str], answer: usize) -> Question {
        Question {
            id: "t".into(),
            question: question.into(),
            choices: choices.iter().map(|s| (*s).to_string()).collect(),
            answer,
        }
    }

    #[test]
    fn features_by_hand() {
        // "It is never not 4 words, because": 7 words → 1.4; a digit; "never" absolute;
        // "because" linking; question words {is, it}: 2 of 7; one negation.
        let f = features("Is it?", "It is never not 4 words, because");
        assert_eq!(f.len(), FEATURES.len());
        let want = [1.4, 1.0, 1.0, 1.0, 2.0 / 7.0, 1.0];
        for (a, b) in f.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{f:?}");
        }
        assert_eq!(words("Don't STOP-now"), vec!["don't", "stop", "now"]);
    }

    #[test]
    fn pairs_put_the_right_answer_first() {
        let qs = [q("Which?", &["short", "the long right one", "x"], 1)];
        let p = pairs_from_questions(&qs);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|x| x.winner[0] == 0.8), "{p:?}");
        assert_eq!(p[0].loser[0], 0.2);
    }

    #[test]
    fn fit_recovers_a_known_weight_vector() {
        // Synthetic labeller: pairs of random feature vectors, the first wins with probability
        // σ(w_true·Δφ). With 4,000 pairs the fitted weights land within a few hundredths.
        let truth = [1.0, -0.5, 0.0];
        let mut rng = Rng::new(3);
        let mut pairs = Vec::new();
        for _ in 0..4000 {
            let a: Vec<f64> = (0..3).map(|_| rng.normal()).collect();
            let b: Vec<f64> = (0..3).map(|_| rng.normal()).collect();
            let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
            let (winner, loser) = if rng.unit() < sigmoid(dot(&truth, &d)) {
                (a, b)
            } else {
                (b, a)
            };
            pairs.push(FeaturePair {
                question: 0,
                winner,
                loser,
            });
        }
        let w = fit(3, &pairs, 1e-6);
        for (a, b) in w.iter().zip(truth) {
            assert!((a - b).abs() < 0.08, "{w:?}");
        }
        // The fitted loss is below the loss of w = 0, ln 2, and below the truth's own loss.
        assert!(mean_loss(&w, &pairs) < mean_loss(&truth, &pairs) + 1e-12);
        assert!((mean_loss(&[0.0; 3], &pairs) - std::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn accuracy_counts_ties_as_half() {
        let p = |w: f64, l: f64| FeaturePair {
            question: 0,
            winner: vec![w],
            loser: vec![l],
        };
        let pairs = [p(2.0, 1.0), p(1.0, 2.0), p(1.0, 1.0), p(3.0, 0.0)];
        // Weight +1: right, wrong, tie, right → (1 + 0 + 0.5 + 1)/4 = 0.625.
        assert_eq!(accuracy(&[1.0], &pairs), 0.625);
        assert_eq!(accuracy(&[-1.0], &pairs), 0.375);
    }

    #[test]
    fn split_holds_out_whole_questions() {
        let (train, test) = split_questions(10, 0.25, 7);
        assert_eq!(test.len(), 3); // round(2.5) = 3
        assert_eq!(train.len(), 7);
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_ne!(split_questions(10, 0.25, 8).1, test);
    }

    #[test]
    fn toy_scores_by_hand() {
        // Correct and polite, 8 words: 2 + 0.5 − 0.4 = 2.1.
        assert!((toy_score(true, true, 8) - 2.1).abs() < 1e-12);
        assert!((toy_score(false, false, 10) + 0.5).abs() < 1e-12);
    }
}
