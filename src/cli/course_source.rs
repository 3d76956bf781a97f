//! Which course a command works on (`--lessons DIR` or the built-in one), loaded as a session
//! needs it, and opened at a lesson.

use llmf::course::{self, embedded::Embedded, Course, DirSource, Source};
use llmf::errln;
use llmf::text::sanitize;
use std::path::Path;

/// The course folder's source and the prefix its problems are printed with.
pub fn source_for(dir: Option<&Path>) -> (Box<dyn Source + '_>, String) {
    match dir {
        Some(d) => (Box::new(DirSource(d)), format!("{}/", d.display())),
        None => (Box::new(Embedded), "lessons/".to_string()),
    }
}

/// `progress` with the course opened at `lesson`, `step` (0-based), as the app opens it:
/// otherwise the app would first open where the learner left off (lesson 01 on a fresh
/// home), record that step as seen, and only then move (`llmf open 15 --step 3` marked
/// lesson 01 as seen).
pub fn starting_at(
    course: &Course,
    lesson: usize,
    step: usize,
    mut progress: llmf::progress::Progress,
) -> llmf::progress::Progress {
    if let Some(l) = course.lessons.get(lesson) {
        progress.current = Some(l.slug.clone());
        progress.lesson_mut(&l.slug).step = step.min(l.steps.len().saturating_sub(1));
    }
    progress
}

/// The course a session opens (the local one or the server's); problems are printed.
///
/// Only the manifest and each lesson's name and title are read here, so start-up does not
/// grow with the course: a lesson is parsed when first opened (or by `Course::parse_all` on a
/// thread of its own after the first frame). A lesson whose file has problems opens as one
/// step that lists them, so one broken lesson does not keep the others closed; a
/// visualizer's wrong parameters show in its panel. `llmf check` finds every problem ahead.
pub fn load_for_session(dir: Option<&Path>) -> Option<Course> {
    let (source, prefix) = source_for(dir);
    let (course, problems) = course::open(source.as_ref());
    let course = course.filter(|c| problems.is_empty() && !c.lessons.is_empty());
    if course.is_none() {
        for p in &problems {
            errln!("{}", sanitize::field(&format!("{prefix}{p}")));
        }
        errln!(
            "llmf: the course at {} has problems; fix them (see `llmf check`) and start again",
            sanitize::field(&source.describe())
        );
    }
    course
}
