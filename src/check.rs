//! `llmf check`: validates a whole course the way a learner would meet it — every file parses,
//! every visualizer builds from its parameters, every question has a valid answer and fits
//! on an 80x24 screen, and no code line is wider than the narrowest prose column.
//!
//! The pieces, by responsibility:
//! - `layout`: one lesson's screens — code widths, panel and question heights, pinned
//!   instructions ([`check_lesson`]);
//! - `quotes`: the numbers the prose quotes from panels (`expect`), each panel read once per
//!   distinct setting ([`check_expectation`]);
//! - `parallel`: the chosen lessons checked side by side with a progress callback
//!   ([`check_lessons`]);
//! - `across`: the checks that compare lessons (repeated questions, stray instructions);
//! - [`stats`]: the `--stats` table and the warnings that do not stop a course.

mod across;
mod layout;
mod parallel;
mod quotes;
mod stats;

pub use across::{
    duplicate_questions, instructions_without_panel, is_try_lead, near_identical, NEAR_IDENTICAL,
};
pub use layout::{check_lesson, narrowest_prose, tallest_view};
pub use parallel::{check_lessons, process_cpu, reset_peak, resident, LessonChecked, PartCost};
pub use quotes::{check_expectation, check_expectations};
pub use stats::{
    keyed_longest, keys_longest, stats, stats_table, warnings, LessonStats,
    MAX_KEYED_LONGEST_SHARE, MAX_POSITION_SHARE,
};

use crate::app::layout as screen;
use crate::course::{Course, Panel, Problem};

/// The screen every lesson must work on.
pub const SMALL: (u16, u16) = (80, 24);
/// The narrowest side-by-side screen: prose is narrowest here.
pub const NARROW_SIDE: (u16, u16) = (screen::SIDE_BY_SIDE_MIN, 40);

/// Loads a course and checks its layout (no quotes: those train models, and `llmf check` runs
/// them with [`check_lessons`]): the course, or every problem found.
pub fn load_checked(source: &dyn crate::course::Source) -> Result<Course, Vec<Problem>> {
    let (course, mut problems) = crate::course::load_all(source);
    if let Some(c) = &course {
        problems.extend(check_course(c));
    }
    match course {
        Some(c) if problems.is_empty() && !c.lessons.is_empty() => Ok(c),
        _ => Err(problems),
    }
}

/// What start-up with `--lessons DIR` needs: the course parses and every visualizer's
/// parameters are valid ([`check_specs`]), without computing a single view. The layout checks
/// of [`load_checked`] build and measure every panel (slow); `llmf check` runs them.
pub fn load_for_start(source: &dyn crate::course::Source) -> Result<Course, Vec<Problem>> {
    let (course, mut problems) = crate::course::load_all(source);
    if let Some(c) = &course {
        problems.extend(check_specs(c));
    }
    match course {
        Some(c) if problems.is_empty() && !c.lessons.is_empty() => Ok(c),
        _ => Err(problems),
    }
}

/// Every visualizer spec of the course against its kind's parameters (names, types,
/// ranges), each panel's settings built but no view computed.
pub fn check_specs(course: &Course) -> Vec<Problem> {
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        for step in &lesson.steps {
            if let Some(Panel::Viz(spec)) = &step.panel {
                if let Err(e) = crate::viz::registry::build(&spec.kind, &spec.params) {
                    problems.push(Problem::new(&lesson.file, spec.line_for(&e), e));
                }
            }
        }
    }
    problems
}

/// All problems in a loaded course (parse problems come from `course::load`): the checks
/// across lessons, then each lesson's layout checks ([`check_lesson`]).
pub fn check_course(course: &Course) -> Vec<Problem> {
    let mut problems = check_across_lessons(course);
    for lesson in &course.lessons {
        problems.extend(check_lesson(lesson, false));
    }
    problems
}

/// The checks that compare lessons with each other (repeated questions) or look at the whole
/// course at once; cheap, so a one-lesson check runs them too.
pub fn check_across_lessons(course: &Course) -> Vec<Problem> {
    let mut problems = duplicate_questions(course);
    problems.extend(instructions_without_panel(course));
    problems
}

#[cfg(test)]
mod tests;
