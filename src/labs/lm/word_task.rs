//! The task of lesson 26, with a reward a program checks: finish the word the prompt breaks
//! off. Each prompt ends inside a word ("The atten"); a response is right when the letters it
//! adds, up to the first character that is not a letter, complete a word of the course's own
//! text ([`super::text_reward::dictionary`]). No learned reward model decides: the check is a
//! dictionary lookup, like a unit test or a maths answer compared with the key.
//!
//! Two rules close the obvious loopholes: the response must add at least one letter (so a
//! prompt whose stem is already a word cannot be answered by a space), and it must end the
//! word within its characters (an unfinished word is not an answer). Every stem below is
//! checked not to be a word itself.
//!
//! The answer a response gives is the completed word, so answers can be compared and counted:
//! [`majority_at_k`] estimates the accuracy of a majority vote over k samples (self-consistency),
//! [`pass_at_k`] the chance that at least one of k samples passes the check (best-of-k with the
//! verifier as judge).

use super::rng::Rng;
use std::collections::{HashMap, HashSet};

/// The prompts of the task: each stops inside a word of the course's text.
/// The shipped model gets between about a tenth and a half of each right at the start
/// (`cargo run --release --example grpo_timing -- probe` prints the shares), so there is room
/// to learn and a right answer to learn from.
pub const PROMPTS: &[&str] = &[
    "the coll",
    "the sli",
    "the freq",
    "the hig",
    "The trans",
    "the proba",
    "the seque",
    "the dist",
];

/// The letters the prompt ends with: the word the response must finish (empty when the prompt
/// ends with a space or a mark).
pub fn stem(prompt: &str) -> &str {
    let start = prompt
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(prompt.len(), |(i, _)| i);
    &prompt[start..]
}

/// The word a response completes, lower-cased: the prompt's stem, then the response's letters
/// up to the first character that is not a letter. `None` when the response adds no letter or
/// never ends the word within its characters.
pub fn answer(prompt: &str, response: &str) -> Option<String> {
    let added: String = response.chars().take_while(|c| c.is_alphabetic()).collect();
    let ended = response.chars().nth(added.chars().count()).is_some();
    if added.is_empty() || !ended {
        return None;
    }
    Some(format!("{}{added}", stem(prompt)).to_lowercase())
}

/// The verifier: whether the response completes a word of `dict`.
pub fn verify(prompt: &str, response: &str, dict: &HashSet<String>) -> bool {
    answer(prompt, response).is_some_and(|w| dict.contains(&w))
}

/// The reward the training runs use: 1 when [`verify`] passes against the course's words, else 0.
pub fn reward(prompt: &str, response: &str) -> f64 {
    f64::from(u8::from(verify(
        prompt,
        response,
        super::text_reward::dictionary(),
    )))
}

/// The chance that at least one of k samples, drawn without replacement from n of which c are
/// right, is right: 1 − C(n−c, k)/C(n, k) (the unbiased estimator of Chen et al. 2021). With a
/// verifier at hand at test time, best-of-k scores exactly this.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> f64 {
    if k == 0 || n == 0 {
        return 0.0;
    }
    if n - c < k {
        return 1.0;
    }
    // C(n−c, k)/C(n, k) = Π_{i=n−c+1..=n} (1 − k/i).
    let miss: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    1.0 - miss
}

/// The accuracy of a majority vote over k of the `answers` (drawn without replacement), by
/// `trials` random draws: the most frequent answer wins (ties broken at random) and counts if
/// `right` accepts it. Samples without an answer do not vote; if none voted, the vote fails.
pub fn majority_at_k(
    answers: &[Option<String>],
    right: &dyn Fn(&str) -> bool,
    k: usize,
    trials: usize,
    rng: &mut Rng,
) -> f64 {
    let n = answers.len();
    if n == 0 || k == 0 || trials == 0 {
        return 0.0;
    }
    let k = k.min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut wins = 0usize;
    for _ in 0..trials {
        // A partial Fisher–Yates shuffle: the first k of `order` are a uniform draw.
        for i in 0..k {
            let j = i + rng.below(n - i);
            order.swap(i, j);
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for a in order[..k].iter().filter_map(|&i| answers[i].as_deref()) {
            *counts.entry(a).or_default() += 1;
        }
        let Some(&top) = counts.values().max() else {
            continue;
        };
        let mut tied: Vec<&str> = counts
            .iter()
            .filter(|(_, &c)| c == top)
            .map(|(a, _)| *a)
            .collect();
        tied.sort_unstable();
        if right(tied[rng.below(tied.len())]) {
            wins += 1;
        }
    }
    wins as f64 / trials as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> HashSet<String> {
        ["attention", "attend", "language", "the", "a"]
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    }

    #[test]
    fn the_verifier_on_hand_written_cases() {
        let d = dict();
        assert_eq!(stem("The atten"), "atten");
        assert_eq!(stem("the "), "");
        assert_eq!(stem("x"), "x");
        assert!(verify("The atten", "tion is", &d));
        assert!(verify("The atten", "d.", &d));
        assert!(verify("The ATTEN", "TION ", &d), "case does not matter");
        assert!(
            verify("a lang", "uage's", &d),
            "an apostrophe ends the word"
        );
        // A wrong completion, a made-up one, an unfinished one, and one that adds nothing.
        assert!(!verify("The atten", "tive ", &d));
        assert!(!verify("The atten", "tionx ", &d));
        assert!(!verify("The atten", "tion", &d), "the word never ends");
        assert!(!verify("The atten", " the", &d), "no letter added");
        assert!(!verify("The atten", "", &d));
        // Even a prompt whose stem is a word needs a letter: "a" + " " is no answer.
        assert!(!verify("the a", " ", &d));
        assert_eq!(answer("The atten", "tion, then"), Some("attention".into()));
        assert_eq!(answer("The atten", "tion"), None);
    }

    #[test]
    fn no_prompt_can_be_answered_by_ending_the_word_at_once() {
        let d = super::super::text_reward::dictionary();
        for p in PROMPTS {
            let s = stem(p).to_lowercase();
            assert!(s.len() >= 3, "{p}: too short a stem");
            assert!(!d.contains(&s), "{p}: the stem is a word already");
            assert!(
                d.iter().any(|w| w.starts_with(&s) && w.len() > s.len()),
                "{p}: no word of the course completes it"
            );
        }
    }

    #[test]
    fn pass_at_k_by_hand() {
        // n = 4, c = 1: one draw hits with 1/4; two draws miss with (3·2)/(4·3) = 1/2.
        assert!((pass_at_k(4, 1, 1) - 0.25).abs() < 1e-12);
        assert!((pass_at_k(4, 1, 2) - 0.5).abs() < 1e-12);
        assert_eq!(pass_at_k(4, 0, 4), 0.0);
        assert_eq!(pass_at_k(4, 1, 4), 1.0);
        assert_eq!(pass_at_k(4, 2, 3), 1.0);
        // pass@1 is the share right.
        assert!((pass_at_k(64, 10, 1) - 10.0 / 64.0).abs() < 1e-12);
    }

    #[test]
    fn majority_votes_by_hand() {
        let a = |s: &str| Some(s.to_string());
        let right = |w: &str| w == "attention";
        let mut rng = Rng::new(3);
        // Every sample gives the right answer: the vote is always right.
        let all = vec![a("attention"); 5];
        assert_eq!(majority_at_k(&all, &right, 3, 50, &mut rng), 1.0);
        // 3 right of 5 and the other two split: a vote over all five is always right, while
        // one sample is right 3/5 of the time.
        let mixed = vec![
            a("attention"),
            a("attend"),
            a("attention"),
            a("attentive"),
            a("attention"),
        ];
        assert_eq!(majority_at_k(&mixed, &right, 5, 50, &mut rng), 1.0);
        let one = majority_at_k(&mixed, &right, 1, 4000, &mut rng);
        assert!((one - 0.6).abs() < 0.03, "{one}");
        // A wrong answer given most often wins the vote however many samples are drawn.
        let wrong_mode = vec![a("attend"), a("attend"), a("attention"), None];
        assert_eq!(majority_at_k(&wrong_mode, &right, 4, 50, &mut rng), 0.0);
        // No sample answered: the vote fails.
        assert_eq!(majority_at_k(&[None, None], &right, 2, 10, &mut rng), 0.0);
    }
}
