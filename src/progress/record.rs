//! What the learner has done in a lesson, worked out from the course and the progress file:
//! steps seen, questions right at the first try, questions still open, and whether the
//! lesson is done.
//!
//! "Done" means every step was seen and every question was answered — right, or missed
//! twice so the explanation showed — not merely that the last page was opened. The picker,
//! the outline, the end-of-lesson summary and `llmf progress` all read this one definition.

use crate::course::prose::Block;
use crate::course::{Course, Lesson, Panel};
use crate::progress::{LessonProgress, Progress};

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
        // A lesson whose file has problems shows them as its one step: nothing to complete.
        let broken = !lesson.steps.problems().is_empty();
        let mut r = Self {
            steps: if broken { 0 } else { lesson.steps.len() },
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

    /// Whether `lesson` is done, as [`Record::of`] says, without parsing a lesson the learner
    /// has not visited (it cannot be done): the course outline asks this of every lesson on
    /// the first frame.
    pub fn is_done(lesson: &Lesson, progress: Option<&LessonProgress>) -> bool {
        progress.is_some_and(|p| !p.visited.is_empty()) && Self::of(lesson, progress).done()
    }
}

/// Steps as the learner counts them: "step 5", "steps 5, 8 and 9".
fn step_list(steps: &[usize]) -> String {
    let names: Vec<String> = steps.iter().map(|s| (s + 1).to_string()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("step {one}"),
        [init @ .., last] => format!("steps {} and {last}", init.join(", ")),
    }
}

/// What closes the last step of a lesson: steps seen, questions right at the first try,
/// where questions were missed or are still open, and what comes next (or that the course
/// is finished).
pub fn summary(course: &Course, index: usize, progress: &Progress) -> Vec<Block> {
    let Some(lesson) = course.lessons.get(index) else {
        return Vec::new();
    };
    let r = Record::of(lesson, progress.lesson(&lesson.slug));
    let item = |text: String| Block::Item {
        marker: "•".into(),
        text,
    };
    let mut out = vec![
        Block::Heading(format!("End of lesson {}", lesson.number)),
        item(format!("Steps seen: {} of {}.", r.steps_seen, r.steps)),
    ];
    if r.questions > 0 {
        out.push(item(format!(
            "Questions right at the first try: {} of {}.",
            r.first_try, r.questions
        )));
    }
    if !r.missed.is_empty() {
        out.push(item(format!(
            "Missed at least once: {} (p goes back to reread).",
            step_list(&r.missed)
        )));
    }
    if !r.open_questions.is_empty() {
        out.push(item(format!(
            "Not answered yet: {}; the lesson counts as done once it is.",
            step_list(&r.open_questions)
        )));
    } else if r.done() {
        out.push(item("Lesson done.".into()));
    }
    match course.lessons.get(index + 1) {
        Some(next) => out.push(Block::Paragraph(format!(
            "Next: lesson {}, {}. Press n to go on, or o to pick another lesson.",
            next.number, next.title
        ))),
        None => {
            let done = course
                .lessons
                .iter()
                .filter(|l| Record::of(l, progress.lesson(&l.slug)).done())
                .count();
            out.push(Block::Paragraph(format!(
                "This is the end of the course: {done} of {} lessons done. o lists them all, with your scores.",
                course.lessons.len()
            )));
        }
    }
    out
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
                        precision: crate::course::precision::Precision::Whole,
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
            steps: vec![step(None), step(Some("a")), step(Some("b"))].into(),
        }
    }

    #[test]
    fn the_summary_names_missed_and_open_questions_and_what_comes_next() {
        let course = Course {
            title: "c".into(),
            parts: vec!["P".into()],
            lessons: vec![lesson(), {
                let mut l = lesson();
                l.slug = "m".into();
                l.number = "02".into();
                l.title = "More".into();
                l
            }],
        };
        let mut p = Progress::default();
        p.lesson_mut("l").visited.extend([0, 1, 2]);
        p.lesson_mut("l").answers.insert(
            "a".into(),
            AnswerRecord {
                correct: true,
                attempts: 2,
                first_try: false,
            },
        );
        let text = format!("{:?}", summary(&course, 0, &p));
        assert!(text.contains("Steps seen: 3 of 3."), "{text}");
        assert!(text.contains("right at the first try: 0 of 2"), "{text}");
        assert!(text.contains("Missed at least once: step 2 "), "{text}");
        assert!(text.contains("Not answered yet: step 3;"), "{text}");
        assert!(text.contains("Next: lesson 02, More."), "{text}");
        let last = format!("{:?}", summary(&course, 1, &p));
        assert!(
            last.contains("end of the course: 0 of 2 lessons done"),
            "{last}"
        );
        assert_eq!(step_list(&[4, 7, 8]), "steps 5, 8 and 9");
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
