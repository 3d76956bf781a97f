//! What the learner has done in a lesson, worked out from the course and the progress file:
//! steps seen, questions right at the first try, questions still open, and whether the
//! lesson is done.
//!
//! "Done" means every step was seen and every question was answered — right, or missed
//! twice so the explanation showed — not merely that the last page was opened. The picker,
//! the outline, the end-of-lesson summary and `llmf progress` all read this one definition.

use crate::course::{Lesson, Panel};
use crate::progress::LessonProgress;

/// Misses after which a question counts as answered: the explanation has been shown.
pub const MISSES_THAT_EXPLAIN: u32 = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub steps: usize,
    pub steps_seen: usize,
    pub questions: usize,
    /// Questions answered right on the first attempt.
    pub first_try: usize,
    /// Questions answered right at some attempt.
    pub right: usize,
    /// Steps (0-based) whose question is not answered yet (neither right nor explained).
    pub open_questions: Vec<usize>,
    /// Steps (0-based) whose question was missed at least once.
    pub missed: Vec<usize>,
}

impl Record {
    pub fn of(lesson: &Lesson, progress: Option<&LessonProgress>) -> Self {
        let mut r = Self {
            steps: lesson.steps.len(),
            ..Self::default()
        };
        r.steps_seen = progress.map_or(0, |p| {
            p.visited
                .iter()
                .filter(|s| **s < lesson.steps.len())
                .count()
        });
        for (i, step) in lesson.steps.iter().enumerate() {
            let Some(Panel::Quiz(q)) = &step.panel else {
                continue;
            };
            r.questions += 1;
            let answer = progress.and_then(|p| p.answers.get(&q.id));
            let (right, first, attempts) =
                answer.map_or((false, false, 0), |a| (a.correct, a.first_try, a.attempts));
            r.right += usize::from(right);
            r.first_try += usize::from(first);
            if !right && attempts < MISSES_THAT_EXPLAIN {
                r.open_questions.push(i);
            }
            if attempts > 0 && !first {
                r.missed.push(i);
            }
        }
        r
    }

    /// Every step seen and every question answered (right, or explained after two misses).
    pub fn done(&self) -> bool {
        self.steps > 0 && self.steps_seen == self.steps && self.open_questions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::{Quiz, QuizKind, Step};
    use crate::progress::AnswerRecord;

    fn step(quiz: Option<&str>) -> Step {
        Step {
            title: "s".into(),
            line: 1,
            prose: Vec::new(),
            panel: quiz.map(|id| {
                Panel::Quiz(Quiz {
                    id: id.into(),
                    question: "?".into(),
                    kind: QuizKind::Numeric {
                        answer: 1.0,
                        tolerance: 0.0,
                    },
                    explain: ".".into(),
                    line: 1,
                })
            }),
            code_lines: Vec::new(),
        }
    }

    fn lesson() -> Lesson {
        Lesson {
            number: "01".into(),
            slug: "l".into(),
            title: "L".into(),
            file: "01-l.md".into(),
            part: 0,
            steps: vec![step(None), step(Some("a")), step(Some("b"))],
        }
    }

    #[test]
    fn page_views_alone_are_not_done() {
        let l = lesson();
        let mut p = LessonProgress::default();
        p.visited.extend([0, 1, 2]);
        let r = Record::of(&l, Some(&p));
        assert_eq!((r.steps_seen, r.questions, r.first_try), (3, 2, 0));
        assert_eq!(r.open_questions, vec![1, 2]);
        assert!(!r.done(), "seen everything, answered nothing");
    }

    #[test]
    fn right_or_explained_after_two_misses_counts_as_answered() {
        let l = lesson();
        let mut p = LessonProgress::default();
        p.visited.extend([0, 1, 2]);
        let first = AnswerRecord {
            correct: true,
            attempts: 1,
            first_try: true,
        };
        p.answers.insert("a".into(), first);
        let missed_once = AnswerRecord {
            correct: false,
            attempts: 1,
            first_try: false,
        };
        p.answers.insert("b".into(), missed_once);
        let r = Record::of(&l, Some(&p));
        assert_eq!((r.first_try, r.right), (1, 1));
        assert_eq!(
            (r.open_questions.clone(), r.missed.clone()),
            (vec![2], vec![2])
        );
        assert!(!r.done(), "one miss is not yet an answer");
        p.answers.get_mut("b").unwrap().attempts = 2;
        assert!(
            Record::of(&l, Some(&p)).done(),
            "two misses showed the explanation"
        );
        // A step not seen keeps it open, whatever was answered.
        p.visited.remove(&0);
        assert!(!Record::of(&l, Some(&p)).done());
        assert!(!Record::of(&l, None).done());
    }
}
