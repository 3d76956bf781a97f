//! `llmf class report`: where every student of a class folder is, and which questions the
//! class finds hardest (the lowest share answered right at the first try comes first).
//!
//! It only reads: a student's broken progress file is reported on their row and left as it
//! is (the server moves it aside the next time that student connects). A class folder is
//! written by students' sessions, so every file in it is read through [`safe_read`] (regular
//! files only, a FIFO refused at once, `student.json` at most [`safe_read::ABOUT_LIMIT`],
//! `progress.json` at most [`safe_read::PROGRESS_LIMIT`]), and every name is shown with
//! [`sanitize::name`], so bidi controls and zero-width characters show as escapes.
//!
//! [`safe_read`]: crate::text::safe_read
//! [`safe_read::ABOUT_LIMIT`]: crate::text::safe_read::ABOUT_LIMIT
//! [`safe_read::PROGRESS_LIMIT`]: crate::text::safe_read::PROGRESS_LIMIT
//! [`sanitize::name`]: crate::text::sanitize::name

use crate::course::{Course, Panel};
use crate::driver::serve::identity::{self, About};
use crate::progress::{self, Progress};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentRow {
    /// The name, or the key's fingerprint.
    pub student: String,
    /// For a key: the name typed with it (a hint only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The lesson open last (its number), and the step in it (from 1).
    pub lesson: Option<String>,
    pub step: Option<usize>,
    pub steps: Option<usize>,
    pub lessons_done: usize,
    /// Questions answered at least once, and of those, right at the first try.
    pub answered: usize,
    pub first_try: usize,
    /// Why this student's progress could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRow {
    pub lesson: String,
    /// The step the question is on (from 1).
    pub step: usize,
    pub id: String,
    pub question: String,
    pub answered: usize,
    pub first_try: usize,
    /// `first_try / answered`; `None` when nobody answered yet.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub students: Vec<StudentRow>,
    /// Hardest first; questions nobody answered yet come last, in course order.
    pub questions: Vec<QuestionRow>,
    pub lessons: usize,
}

/// Every question of the course: (lesson index, step index, id, question text).
fn questions(course: &Course) -> Vec<(usize, usize, &str, &str)> {
    let mut all = Vec::new();
    for (li, lesson) in course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            if let Some(Panel::Quiz(q)) = &step.panel {
                all.push((li, si, q.id.as_str(), q.question.as_str()));
            }
        }
    }
    all
}

/// Reads the class folder. A missing `students` folder is an empty class; any other
/// failure to list it is an error.
pub fn build(class: &Path, course: &Course) -> Result<Report, String> {
    let dir = class.join(identity::STUDENTS);
    let mut folders: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| identity::label_of_folder(n).is_some())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    folders.sort();
    let quiz = questions(course);
    let mut counts = vec![(0usize, 0usize); quiz.len()];
    let mut students = Vec::new();
    for folder in &folders {
        let about_file = dir.join(folder).join(identity::ABOUT_FILE);
        let about: About =
            crate::text::safe_read::read_bytes(&about_file, crate::text::safe_read::ABOUT_LIMIT)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
        let label = about
            .key
            .clone()
            .or_else(|| identity::label_of_folder(folder))
            .unwrap_or_else(|| folder.clone());
        let mut row = StudentRow {
            student: label,
            name: about.key.is_some().then(|| about.name.clone()),
            lesson: None,
            step: None,
            steps: None,
            lessons_done: 0,
            answered: 0,
            first_try: 0,
            problem: None,
        };
        match progress::read_only(&dir.join(folder).join(progress::FILE_NAME)) {
            Ok(Some(p)) => fill_row(&mut row, &p, course, &quiz, &mut counts),
            Ok(None) => {}
            Err(e) => row.problem = Some(e),
        }
        students.push(row);
    }
    let mut rows: Vec<QuestionRow> = quiz
        .iter()
        .zip(&counts)
        .map(
            |(&(li, si, id, question), &(answered, first))| QuestionRow {
                lesson: course.lessons[li].number.clone(),
                step: si + 1,
                id: id.to_string(),
                question: question.to_string(),
                answered,
                first_try: first,
                rate: (answered > 0).then(|| first as f64 / answered as f64),
            },
        )
        .collect();
    // Stable: equal rates keep course order. Unanswered questions sort last.
    rows.sort_by(|a, b| match (a.rate, b.rate) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Ok(Report {
        students,
        questions: rows,
        lessons: course.lessons.len(),
    })
}

fn fill_row(
    row: &mut StudentRow,
    p: &Progress,
    course: &Course,
    quiz: &[(usize, usize, &str, &str)],
    counts: &mut [(usize, usize)],
) {
    if let Some(li) = p.current.as_deref().and_then(|s| course.lesson_by_slug(s)) {
        let lesson = &course.lessons[li];
        let step = p.lesson(&lesson.slug).map_or(0, |l| l.step);
        row.lesson = Some(lesson.number.clone());
        row.steps = Some(lesson.steps.len());
        row.step = Some(step.min(lesson.steps.len().saturating_sub(1)) + 1);
    }
    row.lessons_done = course
        .lessons
        .iter()
        .filter(|l| p.lesson(&l.slug).is_some_and(|l| l.done))
        .count();
    for (i, &(li, _, id, _)) in quiz.iter().enumerate() {
        let record = p
            .lesson(&course.lessons[li].slug)
            .and_then(|l| l.answers.get(id))
            .filter(|a| a.attempts > 0);
        if let Some(a) = record {
            row.answered += 1;
            counts[i].0 += 1;
            if a.first_try {
                row.first_try += 1;
                counts[i].1 += 1;
            }
        }
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "  -".into()
    } else {
        format!("{:3.0}%", 100.0 * part as f64 / whole as f64)
    }
}

/// Cuts `text` to `width` characters, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    cut(&crate::text::sanitize::field(text), width)
}

/// A student's name or key, shown so that no two different names look alike: controls,
/// bidi controls and zero-width characters as escapes ([`crate::text::sanitize::name`]).
fn fit_name(text: &str, width: usize) -> String {
    cut(&crate::text::sanitize::name(text), width)
}

fn cut(clean: &str, width: usize) -> String {
    if clean.chars().count() <= width {
        return clean.to_string();
    }
    let mut cut: String = clean.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The report as the teacher reads it in a terminal.
pub fn table(report: &Report) -> String {
    let mut out = format!("{} student(s)\n\n", report.students.len());
    out.push_str(&format!(
        "{:<30} {:<12} {:>7} {:>12}\n",
        "Student", "Now at", "Done", "First try"
    ));
    for s in &report.students {
        let who = match &s.name {
            Some(n) if !n.is_empty() => format!("{} ({n})", short_key(&s.student)),
            _ => s.student.clone(),
        };
        let at = match (&s.lesson, s.step, s.steps) {
            (Some(l), Some(step), Some(steps)) => format!("{l} · {step}/{steps}"),
            _ => "not started".into(),
        };
        let score = format!(
            "{}/{} {}",
            s.first_try,
            s.answered,
            percent(s.first_try, s.answered)
        );
        out.push_str(&format!(
            "{:<30} {:<12} {:>7} {:>12}\n",
            fit_name(&who, 30),
            at,
            format!("{}/{}", s.lessons_done, report.lessons),
            score
        ));
        if let Some(p) = &s.problem {
            out.push_str(&format!("    progress unreadable: {}\n", fit(p, 200)));
        }
    }
    out.push_str("\nQuestions, hardest first (right at the first try / answered)\n");
    for q in &report.questions {
        out.push_str(&format!(
            "{} {:>7}  {} · {:<3} {:<18} {}\n",
            percent(q.first_try, q.answered),
            format!("{}/{}", q.first_try, q.answered),
            q.lesson,
            q.step,
            fit(&q.id, 18),
            fit(&q.question, 60)
        ));
    }
    out
}

/// `SHA256:` and the first 12 characters of the digest: enough to tell keys apart on screen.
fn short_key(label: &str) -> String {
    match label.strip_prefix("SHA256:") {
        Some(d) if d.chars().count() > 12 => {
            format!("SHA256:{}…", d.chars().take(12).collect::<String>())
        }
        _ => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_fit() {
        assert_eq!(percent(1, 3), " 33%");
        assert_eq!(percent(0, 0), "  -");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(short_key("SHA256:abcdefghijklmnop"), "SHA256:abcdefghijkl…");
        assert_eq!(short_key("SHA256:abc"), "SHA256:abc");
    }
}
