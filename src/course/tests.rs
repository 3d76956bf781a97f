//! Opening a course lazily gives the lessons loading it eagerly gives, and a lesson's problems
//! are still reported: as its one step when opened, in full by the eager load (`llmf check`).

use super::embedded::Embedded;
use super::{load, load_all, open, Course, Source};
use crate::progress::record::Record;
use crate::progress::LessonProgress;
use std::collections::HashMap;

/// A course held in memory.
struct Files(HashMap<&'static str, String>);

impl Source for Files {
    fn describe(&self) -> String {
        "test course".into()
    }
    fn read(&self, name: &str) -> Result<String, String> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("{name} is not here"))
    }
}

const GOOD: &str = "# Good\n\n## One\nSome text.\n\n## Two\n```quiz\n{\"id\": \"q\", \"question\": \"?\", \"choices\": [\"a\", \"b\"], \"answer\": 1, \"explain\": \"e\"}\n```\n";
/// Line 5: an answer that is no choice.
const BROKEN: &str = "# Broken\n\n## Quiz\n```quiz\n{\"id\": \"q\", \"question\": \"?\", \"choices\": [\"a\", \"b\"], \"answer\": 7, \"explain\": \"e\"}\n```\n";

fn two_lessons() -> Files {
    Files(HashMap::from([
        (
            "course.json",
            r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-good.md", "06-broken.md"]}]}"#
                .to_string(),
        ),
        ("01-good.md", GOOD.to_string()),
        ("06-broken.md", BROKEN.to_string()),
    ]))
}

/// Each lesson's name, title, file, part and steps (as their debug text: a `Step` holds
/// floats and has no `Eq`).
fn described(course: &Course) -> Vec<(String, String, String, String, usize, String)> {
    course
        .lessons
        .iter()
        .map(|l| {
            (
                l.number.clone(),
                l.slug.clone(),
                l.title.clone(),
                l.file.clone(),
                l.part,
                format!("{:?}", &l.steps[..]),
            )
        })
        .collect()
}

#[test]
fn opening_the_built_in_course_parses_no_lesson_yet_and_gives_the_lessons_loading_gives() {
    let (opened, problems) = open(&Embedded);
    assert_eq!(problems, Vec::new());
    let opened = opened.expect("the built-in course opens");
    assert!(opened.lessons.len() > 20);
    assert!(opened.lessons.iter().all(|l| !l.steps.is_parsed()));
    let (loaded, problems) = load(&Embedded);
    assert_eq!(problems, Vec::new());
    let loaded = loaded.expect("the built-in course loads");
    assert!(loaded.lessons.iter().all(|l| l.steps.is_parsed()));
    assert_eq!(
        (&opened.title, &opened.parts),
        (&loaded.title, &loaded.parts)
    );
    assert_eq!(described(&opened), described(&loaded));
}

#[test]
fn a_lesson_is_parsed_when_first_read_and_once_whichever_thread_reads_it() {
    let (course, _) = open(&Embedded);
    let course = std::sync::Arc::new(course.expect("the built-in course opens"));
    let third = &course.lessons[2];
    assert!(course.find(&third.slug).is_some() && !third.steps.is_parsed());
    let _ = course.locate(&third.number, 1).expect("step 1 exists");
    assert!(third.steps.is_parsed(), "locating a step reads its lesson");
    assert!(!course.lessons[3].steps.is_parsed(), "and no other");
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let course = std::sync::Arc::clone(&course);
            std::thread::spawn(move || {
                course.parse_all();
                described(&course)
            })
        })
        .collect();
    let seen: Vec<_> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert!(course.lessons.iter().all(|l| l.steps.is_parsed()));
}

#[test]
fn a_broken_lesson_opens_as_its_problems_and_the_others_open_as_they_are() {
    let (course, problems) = open(&two_lessons());
    assert_eq!(
        problems,
        Vec::new(),
        "a lesson's own problems wait until it is read"
    );
    let course = course.expect("the course opens");
    assert_eq!(course.lessons.len(), 2);
    let (good, broken) = (&course.lessons[0], &course.lessons[1]);
    assert_eq!(broken.title, "Broken", "the title is read without parsing");
    assert!(!broken.steps.is_parsed());

    assert_eq!(good.steps.problems(), &[]);
    assert_eq!(good.steps.len(), 2);

    let wrong = broken.steps.problems();
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!((wrong[0].file.as_str(), wrong[0].line), ("06-broken.md", 5));
    assert_eq!(broken.steps.len(), 1, "one step lists the problems");
    let step = &broken.steps[0];
    assert_eq!(step.title, "This lesson has problems");
    let text = format!("{:?}", step.prose);
    assert!(
        text.contains(
            "06-broken.md:5: \\\"answer\\\" must be the number of the right choice, 1 to 2"
        ),
        "{text}"
    );
    assert!(text.contains("llmf check"), "{text}");
}

#[test]
fn loading_for_a_check_still_reports_every_problem_and_keeps_the_broken_lesson_as_parsed() {
    let source = two_lessons();
    let (course, problems) = load_all(&source);
    let course = course.expect("the course loads");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].to_string(),
        "06-broken.md:5: \"answer\" must be the number of the right choice, 1 to 2"
    );
    // As far as it parsed (its step, without the question), not the learner's problems step.
    assert_eq!(course.lessons[1].steps.len(), 1);
    assert_eq!(course.lessons[1].steps[0].title, "Quiz");
    assert_eq!(course.lessons[1].steps.problems(), &problems[..]);
    let opened = open(&source).0.unwrap();
    assert_eq!(opened.lessons[1].steps.problems(), &problems[..]);
    // `load` leaves the broken lesson out, as before.
    let (loaded, again) = load(&source);
    assert_eq!(again, problems);
    assert_eq!(loaded.unwrap().lessons.len(), 1);
}

#[test]
fn a_broken_lesson_is_never_done_and_an_unvisited_one_is_not_parsed_to_say_so() {
    let course = open(&two_lessons()).0.unwrap();
    assert!(!Record::is_done(&course.lessons[0], None));
    assert!(!course.lessons[0].steps.is_parsed());
    let mut seen = LessonProgress::default();
    seen.visited.insert(0);
    assert!(!Record::is_done(&course.lessons[1], Some(&seen)));
    assert_eq!(Record::of(&course.lessons[1], Some(&seen)).steps, 0);
}

#[test]
fn the_course_s_own_problems_are_found_on_opening() {
    let mut files = two_lessons();
    files.0.insert(
        "course.json",
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-good.md", "02-gone.md"]}]}"#
            .to_string(),
    );
    let (_, problems) = open(&files);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("02-gone.md is not here"));
}
