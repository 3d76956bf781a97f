//! The lesson engine: a course is a manifest plus Markdown lessons, parsed into steps.
//!
//! Nothing here draws: prose is turned into plain styled lines by [`prose`], visualizers are
//! only named and parameterised here and built by `crate::viz`.

pub mod blocks;
pub mod embedded;
pub mod instructions;
pub mod parse;
pub mod precision;
pub mod prose;
pub mod qa;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use parse::{parse_lesson, parse_lesson_all, parse_manifest};

/// A whole course: its parts in order and every lesson, flattened in reading order.
#[derive(Debug, Clone)]
pub struct Course {
    pub title: String,
    pub parts: Vec<String>,
    pub lessons: Vec<Lesson>,
}

/// One lesson file.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// The number from the file name, as written there (`"06"`).
    pub number: String,
    /// The slug from the file name (`"attention-math"`).
    pub slug: String,
    pub title: String,
    /// The file name, for messages.
    pub file: String,
    /// Index into `Course::parts`.
    pub part: usize,
    /// Read as a list of steps (`lesson.steps.len()`, `&lesson.steps[i]`); parsed from the
    /// lesson file the first time they are read when the course was [`open`]ed.
    pub steps: Steps,
}

/// A lesson's steps, parsed from its file on first use and kept (so opening a course reads
/// only each lesson's file name and title, and a lesson is parsed when a learner opens it,
/// or ahead of time by [`Course::parse_all`] on another thread). Safe to read from several
/// threads: the first reader parses, the others wait for it.
///
/// A lesson with problems reads, for a learner ([`open`]), as one step that lists them
/// (`file:line: what is wrong`), so the rest of the course still opens; for a checker
/// ([`load_all`]), as far as it parsed.
#[derive(Clone)]
pub struct Steps {
    /// The file to parse; `None` when the steps were given parsed.
    pending: Option<Arc<Pending>>,
    parsed: OnceLock<Parsed>,
}

struct Pending {
    file: String,
    text: String,
    /// Where the steps begin (0-based line after the title).
    body: usize,
    /// Whether a lesson with problems shows them as its one step (see [`Steps`]).
    explain_problems: bool,
}

#[derive(Clone)]
struct Parsed {
    steps: Vec<Step>,
    problems: Vec<Problem>,
}

impl Steps {
    /// Steps of `file`, parsed from `text` (its steps begin at line `body`, 0-based) when
    /// first read.
    fn pending(file: &str, text: String, body: usize, explain_problems: bool) -> Self {
        Self {
            pending: Some(Arc::new(Pending {
                file: file.to_string(),
                text,
                body,
                explain_problems,
            })),
            parsed: OnceLock::new(),
        }
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| {
            let Some(p) = &self.pending else {
                return Parsed {
                    steps: Vec::new(),
                    problems: Vec::new(),
                };
            };
            let (_, mut problems) = parse::header(&p.file, &p.text);
            let mut steps = parse::parse_steps(&p.file, &p.text, p.body, &mut problems);
            if p.explain_problems && !problems.is_empty() {
                steps = vec![problems_step(&p.file, &problems)];
            }
            Parsed { steps, problems }
        })
    }

    /// What is wrong with the lesson file (parsing it if it was not yet): empty for a
    /// lesson that parsed cleanly.
    pub fn problems(&self) -> &[Problem] {
        &self.parsed().problems
    }

    /// Whether the file has been parsed already (nothing is parsed by asking).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }
}

/// The one step a learner sees in place of a lesson whose file has problems.
fn problems_step(file: &str, problems: &[Problem]) -> Step {
    let mut prose = vec![prose::Block::Paragraph(format!(
        "{file} cannot be shown: the lesson file has problems. Each line below says where \
         (file:line) and what to change; fix them and start llmf again. `llmf check` lists \
         every problem in the course."
    ))];
    prose.extend(problems.iter().map(|p| prose::Block::Item {
        marker: "•".to_string(),
        text: p.to_string(),
    }));
    Step {
        title: "This lesson has problems".to_string(),
        line: 1,
        prose,
        panel: None,
        code_lines: Vec::new(),
    }
}

impl From<Vec<Step>> for Steps {
    fn from(steps: Vec<Step>) -> Self {
        Self {
            pending: None,
            parsed: OnceLock::from(Parsed {
                steps,
                problems: Vec::new(),
            }),
        }
    }
}

impl std::ops::Deref for Steps {
    type Target = [Step];
    fn deref(&self) -> &[Step] {
        &self.parsed().steps
    }
}

impl<'a> IntoIterator for &'a Steps {
    type Item = &'a Step;
    type IntoIter = std::slice::Iter<'a, Step>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parsed.get() {
            Some(p) => f.debug_list().entries(&p.steps).finish(),
            None => f.write_str("[not parsed yet]"),
        }
    }
}

/// One screen of a lesson: prose and at most one panel.
#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    /// Line of the `## ` heading in the lesson file (1-based).
    pub line: usize,
    pub prose: Vec<prose::Block>,
    pub panel: Option<Panel>,
    /// Each verbatim (code) line with its line number in the file, so `llmf check` can point
    /// at one that is too wide to fit.
    pub code_lines: Vec<(usize, String)>,
}

/// What stands beside the prose.
#[derive(Debug, Clone)]
pub enum Panel {
    Viz(VizSpec),
    Quiz(Quiz),
}

/// A visualizer as the lesson names it: its kind and raw parameters.
#[derive(Debug, Clone)]
pub struct VizSpec {
    pub kind: String,
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Line of the opening fence (1-based).
    pub line: usize,
    /// The line of each parameter's key, for messages about that parameter.
    pub key_lines: Vec<(String, usize)>,
    /// Texts the prose quotes from this panel, which `llmf check` finds on the panel so a
    /// changed computation cannot leave the prose quoting stale numbers.
    pub expect: Vec<Expectation>,
}

/// Texts a panel must show at some settings: the block's own, or with a few parameters set
/// otherwise (`{"with": {"temperature": 0.5}, "shows": ["0.54"]}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// Parameters that replace the block's own for this check.
    pub with: serde_json::Map<String, serde_json::Value>,
    /// Texts that must each appear on the panel (spaces need not match exactly).
    pub shows: Vec<String>,
    /// The line of the entry in the lesson file.
    pub line: usize,
}

impl VizSpec {
    /// The line to blame for a problem: the parameter the message quotes, else the fence.
    pub fn line_for(&self, message: &str) -> usize {
        self.key_lines
            .iter()
            .find(|(k, _)| message.contains(&format!("\"{k}\"")))
            .map_or(self.line, |(_, l)| *l)
    }
}

/// A checkpoint question.
#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    pub id: String,
    pub question: String,
    pub kind: QuizKind,
    pub explain: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuizKind {
    /// `answer` is 0-based here (the file counts from 1).
    Choice { choices: Vec<String>, answer: usize },
    /// A typed number, right when it rounds to `answer` at `precision`.
    Numeric {
        answer: f64,
        precision: precision::Precision,
    },
}

impl Quiz {
    /// Whether a learner's answer is right: a choice index, or a typed number.
    pub fn is_correct(&self, given: &Answer) -> bool {
        match (&self.kind, given) {
            (QuizKind::Choice { answer, .. }, Answer::Choice(c)) => c == answer,
            (QuizKind::Numeric { answer, precision }, Answer::Number(x)) => {
                precision.accepts(*answer, *x)
            }
            _ => false,
        }
    }
}

/// What a learner answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Choice(usize),
    Number(f64),
}

/// One thing wrong in a course, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl Problem {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl Course {
    /// Finds a lesson by number (`6`, `06`) or slug (`attention-math`).
    pub fn find(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if let Some(i) = self.lessons.iter().position(|l| l.slug == key) {
            return Some(i);
        }
        let wanted: u32 = key.parse().ok()?;
        self.lessons
            .iter()
            .position(|l| l.number.parse::<u32>().ok() == Some(wanted))
    }

    /// The lesson index and 0-based step that `lesson` (number or slug) and `step` (from 1) name,
    /// or what is wrong with them.
    pub fn locate(&self, lesson: &str, step: usize) -> Result<(usize, usize), String> {
        let Some(index) = self.find(lesson) else {
            let known: Vec<String> = self
                .lessons
                .iter()
                .map(|l| format!("{} {}", l.number, l.slug))
                .collect();
            return Err(format!(
                "no lesson \"{lesson}\"; the course has: {}",
                known.join(", ")
            ));
        };
        let l = &self.lessons[index];
        let steps = l.steps.len();
        if step == 0 || step > steps {
            return Err(format!(
                "lesson {} ({}) has steps 1 to {steps}, not {step}: pass --step 1 to {steps}",
                l.number, l.slug
            ));
        }
        Ok((index, step - 1))
    }

    pub fn lesson_by_slug(&self, slug: &str) -> Option<usize> {
        self.lessons.iter().position(|l| l.slug == slug)
    }

    /// Parses every lesson not parsed yet, so none is parsed later on a key press; run on a
    /// thread of its own after the first frame.
    pub fn parse_all(&self) {
        for lesson in &self.lessons {
            let _ = lesson.steps.problems();
        }
    }
}

/// Where a course's files come from: the copy built into the binary or a folder on disk.
pub trait Source {
    /// A short name for messages (`lessons/` or `built-in course`).
    fn describe(&self) -> String;
    /// The text of one file, by name relative to the course root.
    fn read(&self, name: &str) -> Result<String, String>;
}

/// A course folder on disk.
pub struct DirSource<'a>(pub &'a Path);

impl Source for DirSource<'_> {
    fn describe(&self) -> String {
        self.0.display().to_string()
    }
    fn read(&self, name: &str) -> Result<String, String> {
        use crate::text::safe_read::{self, LESSON_LIMIT, MANIFEST_LIMIT};
        safe_read::course_entry(name)?;
        let path = self.0.join(name);
        safe_read::inside(self.0, &path)?;
        let limit = if name == "course.json" {
            MANIFEST_LIMIT
        } else {
            LESSON_LIMIT
        };
        safe_read::read_text(&path, limit).map_err(|e| format!("cannot read {e}"))
    }
}

/// Opens a course for a learner: the manifest and each lesson's file name and title, every
/// lesson's steps parsed only when first read (see [`Steps`]), so start-up does not grow with
/// the course. The problems returned are the course's own (manifest, missing or misnamed
/// files, repeated slugs); a lesson's own problems show when it is opened, as its one step,
/// and `llmf check` ([`load_all`]) finds them all.
pub fn open(source: &dyn Source) -> (Option<Course>, Vec<Problem>) {
    read(source, false)
}

/// Loads a course: the manifest, then every lesson it lists, parsed now. Parse problems are
/// collected, not stopped at, so a teacher sees every mistake at once; a lesson with problems
/// is left out.
pub fn load(source: &dyn Source) -> (Option<Course>, Vec<Problem>) {
    let (course, problems) = load_all(source);
    let course = course.map(|mut c| {
        c.lessons
            .retain(|l| !problems.iter().any(|p| p.file == l.file));
        c
    });
    (course, problems)
}

/// As [`load`], but keeping every lesson as far as it parsed, broken or not, for checking.
pub fn load_all(source: &dyn Source) -> (Option<Course>, Vec<Problem>) {
    read(source, true)
}

/// The course at `source`: every lesson parsed now and its problems returned (`eager`, for
/// checking), or each parsed on first use with its problems shown as its one step.
fn read(source: &dyn Source, eager: bool) -> (Option<Course>, Vec<Problem>) {
    let mut problems = Vec::new();
    let manifest_text = match source.read("course.json") {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem::new(
                "course.json",
                1,
                format!(
                    "{e}; a course folder needs a course.json manifest (see lessons/README.md)"
                ),
            ));
            return (None, problems);
        }
    };
    let manifest = match parse_manifest(&manifest_text) {
        Ok(m) => m,
        Err(p) => {
            problems.push(p);
            return (None, problems);
        }
    };
    let mut lessons: Vec<Lesson> = Vec::new();
    for (part_index, part) in manifest.parts.iter().enumerate() {
        for (file, line) in &part.lessons {
            if let Err(e) = crate::text::safe_read::course_entry(file) {
                problems.push(Problem::new("course.json", *line, e));
                continue;
            }
            match source.read(file) {
                Ok(text) => {
                    let (head, _) = parse::header(file, &text);
                    let body = head.body;
                    let lesson = Lesson {
                        number: head.number,
                        slug: head.slug,
                        title: head.title,
                        file: file.clone(),
                        part: part_index,
                        steps: Steps::pending(file, text, body, !eager),
                    };
                    if eager {
                        problems.extend_from_slice(lesson.steps.problems());
                    }
                    if let Some(other) = lessons.iter().find(|l| l.slug == lesson.slug) {
                        problems.push(Problem::new(
                            "course.json",
                            *line,
                            format!("{file} has the same slug as {}", other.file),
                        ));
                    } else {
                        lessons.push(lesson);
                    }
                }
                Err(e) => problems.push(Problem::new(
                    "course.json",
                    *line,
                    format!("{e}: list only lessons that exist"),
                )),
            }
        }
    }
    if lessons.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            "course.json",
            1,
            "the course lists no lessons: add file names to a part's \"lessons\"",
        ));
    }
    let course = Course {
        title: manifest.title,
        parts: manifest.parts.into_iter().map(|p| p.title).collect(),
        lessons,
    };
    (Some(course), problems)
}

#[cfg(test)]
mod tests;
