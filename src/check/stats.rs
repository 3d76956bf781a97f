//! Counts per lesson (`llmf check --stats`) and the warnings worth a teacher's look that do not
//! stop a course (answer positions, keyed choices that are the longest).

use crate::course::{prose, Course, Panel, Problem};

/// Per-lesson counts for `llmf check --stats`.
pub struct LessonStats {
    pub name: String,
    pub steps: usize,
    pub words: usize,
    pub visualizers: usize,
    pub questions: usize,
    /// Multiple-choice questions, and how many of them key their longest choice.
    pub choice_questions: usize,
    pub keyed_longest: usize,
}

impl LessonStats {
    /// What the lesson lacks against the course bar, or "ok".
    pub fn verdict(&self) -> String {
        let mut missing = Vec::new();
        if !(6..=12).contains(&self.steps) {
            missing.push("6-12 steps");
        }
        if !(1500..=3000).contains(&self.words) {
            missing.push("1,500-3,000 words");
        }
        if self.visualizers < 2 {
            missing.push(">=2 visualizers");
        }
        if self.questions < 3 {
            missing.push(">=3 questions");
        }
        if missing.is_empty() {
            "ok".into()
        } else {
            format!("needs {}", missing.join(", "))
        }
    }
}

pub fn stats(course: &Course) -> Vec<LessonStats> {
    course
        .lessons
        .iter()
        .map(|l| LessonStats {
            name: format!("{} {}", l.number, l.slug),
            steps: l.steps.len(),
            words: l
                .steps
                .iter()
                .map(|s| prose::word_count(&s.prose) + s.title.split_whitespace().count())
                .sum(),
            visualizers: l
                .steps
                .iter()
                .filter(|s| matches!(s.panel, Some(Panel::Viz(_))))
                .count(),
            questions: l
                .steps
                .iter()
                .filter(|s| matches!(s.panel, Some(Panel::Quiz(_))))
                .count(),
            choice_questions: choice_questions(l).count(),
            keyed_longest: choice_questions(l)
                .filter(|(choices, answer)| keys_longest(choices, *answer))
                .count(),
        })
        .collect()
}

/// The lesson's multiple-choice questions as (choices, 0-based answer).
fn choice_questions(lesson: &crate::course::Lesson) -> impl Iterator<Item = (&[String], usize)> {
    lesson.steps.iter().filter_map(|s| match &s.panel {
        Some(Panel::Quiz(q)) => match &q.kind {
            crate::course::QuizKind::Choice { choices, answer } => {
                Some((choices.as_slice(), *answer))
            }
            crate::course::QuizKind::Numeric { .. } => None,
        },
        _ => None,
    })
}

/// Whether the keyed choice is the longest (in characters), ties included: a learner who
/// always picks the longest choice gets it right.
pub fn keys_longest(choices: &[String], answer: usize) -> bool {
    let len = |c: &String| c.chars().count();
    match choices.get(answer) {
        Some(keyed) => choices.iter().all(|c| len(c) <= len(keyed)),
        None => false,
    }
}

/// Most of the course's multiple-choice questions may key their longest choice before `llmf
/// check` warns: length must not give the answer away.
pub const MAX_KEYED_LONGEST_SHARE: f64 = 0.30;

/// (questions keying their longest choice, multiple-choice questions) over the whole course.
pub fn keyed_longest(course: &Course) -> (usize, usize) {
    stats(course).iter().fold((0, 0), |(k, n), s| {
        (k + s.keyed_longest, n + s.choice_questions)
    })
}

/// The `--stats` table: one row per lesson (the `longest` column counts the multiple-choice
/// questions whose keyed choice is the longest, of all its multiple-choice questions), then
/// one `course:` line with that share over the whole course.
pub fn stats_table(course: &Course) -> String {
    let mut out = format!(
        "{:<28} {:>5} {:>6} {:>4} {:>9} {:>7}  bar\n",
        "lesson", "steps", "words", "viz", "questions", "longest"
    );
    for s in stats(course) {
        out.push_str(&format!(
            "{:<28} {:>5} {:>6} {:>4} {:>9} {:>7}  {}\n",
            s.name,
            s.steps,
            s.words,
            s.visualizers,
            s.questions,
            format!("{}/{}", s.keyed_longest, s.choice_questions),
            s.verdict()
        ));
    }
    let (keyed, total) = keyed_longest(course);
    out.push_str(&format!(
        "course: the keyed choice is the longest in {keyed} of {total} multiple-choice questions ({:.0}%; keep it at most {:.0}%)\n",
        share(keyed, total) * 100.0,
        MAX_KEYED_LONGEST_SHARE * 100.0
    ));
    out
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Share of multiple-choice answers one position may hold across the course before `llmf
/// check` warns: a learner guessing "the first one" must not do well.
pub const MAX_POSITION_SHARE: f64 = 0.35;

/// Things worth a teacher's look that do not stop the course: a lesson whose choice
/// questions all have their answer in one position, and a course where one position holds
/// more than [`MAX_POSITION_SHARE`] of the answers (checked from 8 questions up).
pub fn warnings(course: &Course) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut counts: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut total = 0;
    for lesson in &course.lessons {
        let answers: Vec<(usize, usize)> = lesson
            .steps
            .iter()
            .filter_map(|s| match &s.panel {
                Some(Panel::Quiz(q)) => match q.kind {
                    crate::course::QuizKind::Choice { answer, .. } => Some((answer, q.line)),
                    crate::course::QuizKind::Numeric { .. } => None,
                },
                _ => None,
            })
            .collect();
        for (a, _) in &answers {
            *counts.entry(*a).or_default() += 1;
            total += 1;
        }
        if let [(first, line), rest @ ..] = answers.as_slice() {
            if !rest.is_empty() && rest.iter().all(|(a, _)| a == first) {
                out.push(Problem::new(
                    &lesson.file,
                    *line,
                    format!(
                        "warning: all {} choice questions are answered by choice {}: move some answers so position is no clue",
                        answers.len(),
                        first + 1
                    ),
                ));
            }
        }
    }
    let (keyed, choice_total) = keyed_longest(course);
    if choice_total >= 8 && share(keyed, choice_total) > MAX_KEYED_LONGEST_SHARE {
        out.push(Problem::new(
            "course.json",
            1,
            format!(
                "warning: in {keyed} of {choice_total} choice questions ({:.0}%) the right answer is the longest choice; keep it at most {:.0}% by lengthening wrong choices or shortening right ones",
                share(keyed, choice_total) * 100.0,
                MAX_KEYED_LONGEST_SHARE * 100.0
            ),
        ));
    }
    if total >= 8 {
        for (pos, n) in counts {
            let share = n as f64 / total as f64;
            if share > MAX_POSITION_SHARE {
                out.push(Problem::new(
                    "course.json",
                    1,
                    format!(
                        "warning: {n} of {total} choice answers ({:.0}%) are choice {}; keep each position at most {:.0}%",
                        share * 100.0,
                        pos + 1,
                        MAX_POSITION_SHARE * 100.0
                    ),
                ));
            }
        }
    }
    out
}
