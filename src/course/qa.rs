//! The course's checkpoint questions as prompt–response pairs, the fine-tuning data of lesson
//! 20: the question is the prompt, the right answer followed by its explanation the response.

use super::{Course, Panel, QuizKind};

/// `(prompt, response)` for every checkpoint question of the lessons numbered below `below`
/// (in reading order): `"Q: {question}\nA: "` and `"{right answer}. {explanation}"`.
///
/// Why a cut-off: lessons added later must not change a data set the lessons quote figures
/// from.
pub fn checkpoint_pairs(course: &Course, below: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for lesson in &course.lessons {
        if lesson.number.parse::<u32>().map_or(true, |n| n >= below) {
            continue;
        }
        for step in &lesson.steps {
            let Some(Panel::Quiz(q)) = &step.panel else {
                continue;
            };
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
    }
    out
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

/// The built-in course's pairs of lessons 01–19 as (train, held out), every 6th held out.
pub fn builtin_pairs() -> (Pairs, Pairs) {
    let (course, _) = super::load(&super::embedded::Embedded);
    let pairs = course.map_or_else(Vec::new, |c| checkpoint_pairs(&c, 20));
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

    #[test]
    fn every_sixth_pair_is_held_out() {
        let (train, held) = split_held_out(&(0..13).collect::<Vec<_>>(), 6);
        assert_eq!(held, vec![0, 6, 12]);
        assert_eq!(train.len(), 10);
    }
}
