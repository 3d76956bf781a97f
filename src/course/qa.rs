//! The course's checkpoint questions as prompt–response pairs, the fine-tuning data of lesson
//! 20: the question is the prompt, the right answer followed by its explanation the response.
//!
//! The panels of lessons 20–25 (fine-tuning, LoRA, forgetting, the reward model, DPO) train on
//! the questions of lessons 01–19 and their prose quotes figures from those runs. So the data
//! is frozen: [`frozen`] reads `checkpoints-frozen.json`, the quiz blocks of lessons 01–19 as
//! they stood at commit d73fc33 (in reading order, each with its lesson number), not the live
//! lessons. Editing a question of lessons 01–19 (its wording, or a choice made longer so that
//! length no longer gives the answer away) then cannot move a figure that lessons 20–25 quote.
//! Refreezing is a deliberate act: regenerate the file from the lessons and update every quoted
//! figure `llmf check` names.

use super::{Course, Panel, Quiz, QuizKind};

/// `(prompt, response)` for every checkpoint question of the lessons numbered below `below`
/// (in reading order): `"Q: {question}\nA: "` and `"{right answer}. {explanation}"`.
///
/// Why a cut-off: lessons added later must not change a data set the lessons quote figures
/// from.
pub fn checkpoint_pairs(course: &Course, below: u32) -> Vec<(String, String)> {
    let quizzes = course
        .lessons
        .iter()
        .filter(|l| l.number.parse::<u32>().is_ok_and(|n| n < below))
        .flat_map(|l| &l.steps)
        .filter_map(|s| match &s.panel {
            Some(Panel::Quiz(q)) => Some(q),
            _ => None,
        });
    pairs_of(quizzes)
}

/// `(prompt, response)` for each question, as [`checkpoint_pairs`] words them.
fn pairs_of<'a>(quizzes: impl Iterator<Item = &'a Quiz>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for q in quizzes {
        let answer = match &q.kind {
            QuizKind::Choice { choices, answer } => match choices.get(*answer) {
                Some(c) => c.clone(),
                None => continue,
            },
            QuizKind::Numeric { answer, .. } => format!("{answer}"),
        };
        let answer = answer.trim_end_matches('.');
        out.push((
            format!("Q: {}\nA: ", q.question),
            format!("{answer}. {}", q.explain),
        ));
    }
    out
}

/// One frozen quiz block, as written in its lesson, with the lesson's number.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrozenQuiz {
    lesson: String,
    id: String,
    question: String,
    #[serde(default)]
    choices: Option<Vec<String>>,
    answer: serde_json::Value,
    /// Read and not used: the frozen file keeps the first edition's fields as they were,
    /// and a numeric key's precision now comes from the key as written.
    #[serde(default)]
    #[allow(dead_code)]
    tolerance: f64,
    explain: String,
}

/// The checkpoint questions of lessons 01–19 as the panels of lessons 20–25 train on them
/// (module docs): `(lesson number, question)` in reading order.
pub fn frozen() -> &'static [(String, Quiz)] {
    static FROZEN: std::sync::OnceLock<Vec<(String, Quiz)>> = std::sync::OnceLock::new();
    FROZEN.get_or_init(|| parse_frozen(include_str!("checkpoints-frozen.json")))
}

/// The frozen file's questions; an entry that does not parse is left out (a test checks that
/// none is).
fn parse_frozen(text: &str) -> Vec<(String, Quiz)> {
    let entries: Vec<FrozenQuiz> = serde_json::from_str(text).unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|e| {
            let kind = match e.choices {
                Some(choices) => {
                    let answer = e
                        .answer
                        .as_u64()
                        .filter(|a| (1..=choices.len() as u64).contains(a))?;
                    QuizKind::Choice {
                        choices,
                        answer: answer as usize - 1,
                    }
                }
                None => QuizKind::Numeric {
                    answer: e.answer.as_f64().filter(|a| a.is_finite())?,
                    precision: crate::course::precision::Precision::of_written(
                        &e.answer.to_string(),
                    ),
                },
            };
            let quiz = Quiz {
                id: e.id,
                question: e.question,
                kind,
                explain: e.explain,
                line: 0,
            };
            Some((e.lesson, quiz))
        })
        .collect()
}

/// Splits pairs into (train, held out): every `every`-th pair (the 1st, the `every + 1`-th, …)
/// is held out, so held-out questions come from every part of the course.
pub fn split_held_out<T: Clone>(pairs: &[T], every: usize) -> (Vec<T>, Vec<T>) {
    let every = every.max(2);
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, p) in pairs.iter().enumerate() {
        if i % every == 0 {
            held.push(p.clone());
        } else {
            train.push(p.clone());
        }
    }
    (train, held)
}

/// `(prompt, response)` pairs.
pub type Pairs = Vec<(String, String)>;

/// The frozen pairs of lessons 01–19 (module docs) as (train, held out), every 6th held out.
pub fn builtin_pairs() -> (Pairs, Pairs) {
    let pairs = pairs_of(frozen().iter().map(|(_, q)| q));
    split_held_out(&pairs, HELD_OUT_EVERY)
}

/// One question in this many is held out of fine-tuning.
pub const HELD_OUT_EVERY: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::{embedded::Embedded, load};

    #[test]
    fn every_question_of_the_first_lessons_becomes_a_pair() {
        let (course, problems) = load(&Embedded);
        assert!(problems.is_empty(), "{problems:?}");
        let course = course.unwrap();
        let pairs = checkpoint_pairs(&course, 20);
        // Count the quizzes of lessons 01–19 independently of the function.
        let quizzes = course
            .lessons
            .iter()
            .filter(|l| l.number.as_str() < "20")
            .flat_map(|l| &l.steps)
            .filter(|s| matches!(s.panel, Some(Panel::Quiz(_))))
            .count();
        assert_eq!(pairs.len(), quizzes);
        assert!(
            pairs.len() >= 57,
            "three per lesson at least: {}",
            pairs.len()
        );
        // Lesson 15's first question is numeric, answer 0.09.
        let chain = pairs
            .iter()
            .find(|(p, _)| p.contains("p(c) = 0.5"))
            .expect("the chain-rule question");
        assert!(chain.0.starts_with("Q: A model gives p(c) = 0.5"));
        assert!(chain.0.ends_with("\nA: "));
        assert!(
            chain.1.starts_with("0.09. By the chain rule"),
            "{}",
            chain.1
        );
    }

    /// The frozen file holds every question of lessons 01–19 as they stood at d73fc33 (94
    /// blocks, 48 of them multiple choice, counted with grep there), each one parsed, in
    /// lesson order, and its pairs are worded as the live course's would be.
    #[test]
    fn the_frozen_questions_all_parse_in_order() {
        let text = include_str!("checkpoints-frozen.json");
        let blocks = text.matches("\"lesson\":").count();
        assert_eq!(blocks, 94);
        let qs = frozen();
        assert_eq!(qs.len(), blocks, "an entry did not parse");
        let choice = qs
            .iter()
            .filter(|(_, q)| matches!(q.kind, QuizKind::Choice { .. }))
            .count();
        assert_eq!(choice, 48);
        assert!(qs.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(qs.iter().all(|(l, _)| l.as_str() < "20"));
        let pairs = pairs_of(qs.iter().map(|(_, q)| q));
        let chain = pairs
            .iter()
            .find(|(p, _)| p.contains("p(c) = 0.5"))
            .expect("the chain-rule question");
        assert!(
            chain.1.starts_with("0.09. By the chain rule"),
            "{}",
            chain.1
        );
        // A numeric answer prints as the live course printed it: 512, not 512.0.
        assert!(pairs
            .iter()
            .any(|(_, r)| r.starts_with("512. Teacher forcing")));
    }

    #[test]
    fn every_sixth_pair_is_held_out() {
        let (train, held) = split_held_out(&(0..13).collect::<Vec<_>>(), 6);
        assert_eq!(held, vec![0, 6, 12]);
        assert_eq!(train.len(), 10);
    }
}
