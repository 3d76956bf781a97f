//! The checks that look at the whole course at once: a question repeated across lessons, and
//! instructions to try a panel on a step without one.

use crate::course::{Course, Panel, Problem};

/// Two questions in different lessons that a learner would meet as one: the same id, or
/// question texts so alike that one repeats the other ([`near_identical`]). Each is reported
/// at the later question, naming the earlier.
pub fn duplicate_questions(course: &Course) -> Vec<Problem> {
    let mut seen: Vec<(&str, &crate::course::Quiz)> = Vec::new();
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        let quizzes = lesson.steps.iter().filter_map(|s| match &s.panel {
            Some(Panel::Quiz(q)) => Some(q),
            _ => None,
        });
        for q in quizzes {
            for (file, earlier) in &seen {
                // Within a lesson the parser already refuses a second id, and a lesson may
                // well ask two variations on purpose; across lessons a repeat is an accident.
                if *file == lesson.file.as_str() {
                    continue;
                }
                let why = if earlier.id == q.id {
                    Some(format!("has the id \"{}\" of the question", q.id))
                } else if near_identical(&earlier.question, &q.question) {
                    Some("asks nearly the same as the question".to_string())
                } else {
                    None
                };
                if let Some(why) = why {
                    problems.push(Problem::new(
                        &lesson.file,
                        q.line,
                        format!(
                            "question \"{}\" {why} \"{}\" at {file}:{}: ask something new, or give it its own id",
                            q.id, earlier.id, earlier.line
                        ),
                    ));
                }
            }
            seen.push((lesson.file.as_str(), q));
        }
    }
    problems
}

/// Share of shared words above which two questions count as the same question.
pub const NEAR_IDENTICAL: f64 = 0.8;

/// Whether two question texts are near-identical: the Jaccard similarity of their sets of
/// lower-cased words (runs of letters and digits) is at least [`NEAR_IDENTICAL`]. Rewording
/// a few words of a question does not make it a new one; the same topic asked from another
/// side does.
pub fn near_identical(a: &str, b: &str) -> bool {
    let words = |t: &str| -> std::collections::BTreeSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    union > 0 && a.intersection(&b).count() as f64 / union as f64 >= NEAR_IDENTICAL
}

/// A "Try this" list (the step's instructions, [`crate::course::instructions`], whose lead-in
/// sends the learner to try or experiment) on a step with no visualizer: the learner is told
/// to use controls that are not there.
pub fn instructions_without_panel(course: &Course) -> Vec<Problem> {
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        for step in &lesson.steps {
            if matches!(step.panel, Some(Panel::Viz(_))) {
                continue;
            }
            let Some(blocks) = crate::course::instructions::instructions(&step.prose) else {
                continue;
            };
            let Some(crate::course::prose::Block::Paragraph(lead)) = blocks.first() else {
                continue;
            };
            if is_try_lead(lead) {
                problems.push(Problem::new(
                    &lesson.file,
                    step.line,
                    format!(
                        "step \"{}\" has a \"{}\" list but no visualizer to try it on: move the list to the step with the panel, or put the panel here",
                        step.title,
                        lead.trim()
                    ),
                ));
            }
        }
    }
    problems
}

/// Whether a list's lead-in paragraph asks the learner to do something with a panel: its last
/// sentence has the word "try" or "experiment" ("Try this:", "Things to try:", "Then
/// experiment:").
pub fn is_try_lead(lead: &str) -> bool {
    let last = lead
        .rsplit(['.', '!', '?'])
        .find(|s| !s.trim().is_empty())
        .unwrap_or(lead);
    last.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("try") || w.eq_ignore_ascii_case("experiment"))
}
