//! Parsing of `course.json` and of lesson Markdown files, with every problem located at
//! `file:line` and worded so a teacher knows what to change.

use super::blocks::{self, Mark};
use super::precision::Precision;
use super::prose;
use super::{Lesson, Panel, Problem, Quiz, QuizKind, Step, VizSpec};
use serde_json::{Map, Value};

/// The manifest, with each lesson's line in `course.json` kept for messages.
#[derive(Debug)]
pub struct Manifest {
    pub title: String,
    pub parts: Vec<ManifestPart>,
}

#[derive(Debug)]
pub struct ManifestPart {
    pub title: String,
    /// (file name, line in course.json)
    pub lessons: Vec<(String, usize)>,
}

/// Parses `course.json`.
pub fn parse_manifest(text: &str) -> Result<Manifest, Problem> {
    let file = "course.json";
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Problem::new(file, e.line().max(1), format!("invalid JSON: {e}")))?;
    let bad = |msg: &str| Problem::new(file, 1, msg.to_string());
    let obj = value
        .as_object()
        .ok_or_else(|| bad("the manifest must be a JSON object with \"title\" and \"parts\""))?;
    let title = obj
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("LLM Foundations")
        .to_string();
    let parts_value = obj
        .get("parts")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing \"parts\": a list of {\"title\", \"lessons\"}"))?;
    let mut parts = Vec::new();
    for part in parts_value {
        let title = part
            .get("title")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("every part needs a \"title\" string"))?;
        let list = part
            .get("lessons")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Problem::new(
                    file,
                    line_of(text, title),
                    format!("part \"{title}\" needs a \"lessons\" list of file names"),
                )
            })?;
        let mut lessons = Vec::new();
        for item in list {
            let name = item.as_str().ok_or_else(|| {
                Problem::new(
                    file,
                    line_of(text, title),
                    format!("part \"{title}\": lessons are file names (strings)"),
                )
            })?;
            lessons.push((name.to_string(), line_of(text, &format!("\"{name}\""))));
        }
        parts.push(ManifestPart {
            title: title.to_string(),
            lessons,
        });
    }
    Ok(Manifest { title, parts })
}

/// The 1-based line where `needle` first occurs (1 if nowhere).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Splits `NN-slug.md` into its number and slug.
pub fn split_file_name(file: &str) -> Option<(String, String)> {
    let base = file.rsplit('/').next()?.strip_suffix(".md")?;
    let (number, slug) = base.split_once('-')?;
    let slug_ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) || !slug_ok {
        return None;
    }
    Some((number.to_string(), slug.to_string()))
}

/// Parses one lesson file. All problems found are returned together.
pub fn parse_lesson(file: &str, text: &str, part: usize) -> Result<Lesson, Vec<Problem>> {
    let (lesson, problems) = parse_lesson_all(file, text, part);
    if problems.is_empty() {
        Ok(lesson)
    } else {
        Err(problems)
    }
}

/// Parses one lesson file as far as it goes: the lesson made of every part that parsed,
/// and every problem found, so `llmf check` can check the rest of a broken lesson too (a
/// bad question must not hide a bad visualizer).
pub fn parse_lesson_all(file: &str, text: &str, part: usize) -> (Lesson, Vec<Problem>) {
    let (head, mut problems) = header(file, text);
    let steps = parse_steps(file, text, head.body, &mut problems);
    let lesson = Lesson {
        number: head.number,
        slug: head.slug,
        title: head.title,
        file: file.to_string(),
        part,
        steps: steps.into(),
    };
    (lesson, problems)
}

/// What a lesson file says about itself before its first step: its number and slug (from the
/// file name) and its title (the first line), read without parsing the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub number: String,
    pub slug: String,
    pub title: String,
    /// The 0-based line after the title, where the steps begin.
    pub body: usize,
}

/// Reads a lesson's [`Header`] and the problems with it (a file name or a title that is not
/// as a lesson's must be). Cheap: it looks at the file name and the first lines only.
pub fn header(file: &str, text: &str) -> (Header, Vec<Problem>) {
    let mut problems = Vec::new();
    let (number, slug) = split_file_name(file).unwrap_or_else(|| {
        problems.push(Problem::new(
            file,
            1,
            "lesson file names look like 06-attention-math.md (number, dash, lowercase slug)",
        ));
        (String::from("00"), file.to_string())
    });
    let mut lines = text
        .lines()
        .enumerate()
        .skip_while(|(_, l)| l.trim().is_empty());
    let (idx, first) = lines.next().unwrap_or_else(|| (text.lines().count(), ""));
    let title = match first.strip_prefix("# ") {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            problems.push(Problem::new(
                file,
                idx + 1,
                "a lesson starts with its title on a line like `# Attention math`",
            ));
            String::new()
        }
    };
    let head = Header {
        number,
        slug,
        title,
        body: idx + 1,
    };
    (head, problems)
}

/// Parses the steps of a lesson file from line `from` (0-based, after the title), adding
/// every problem found to `problems`.
pub fn parse_steps(file: &str, text: &str, from: usize, problems: &mut Vec<Problem>) -> Vec<Step> {
    let all_lines: Vec<&str> = text.lines().collect();
    let mut idx = from;

    let mut steps: Vec<Draft> = Vec::new();
    let mut quiz_ids: Vec<(String, usize)> = Vec::new();
    // Headings and code blocks as CommonMark reads them, in line order; the title's own
    // heading (and anything above it) is behind `idx` already.
    let marks = blocks::outline(text);
    let mut marks = marks.iter().peekable();

    while idx < all_lines.len() {
        let line_no = idx + 1;
        let line = all_lines[idx];
        while marks.next_if(|m| m.first_line() < line_no).is_some() {}
        let mark = marks.next_if(|m| m.first_line() == line_no);
        match mark {
            Some(Mark::Heading { level: 2, .. }) => {
                idx += 1;
                let heading = line.trim().trim_start_matches('#').trim();
                if heading.is_empty() {
                    problems.push(Problem::new(
                        file,
                        line_no,
                        "a step heading needs a title after `## `",
                    ));
                }
                steps.push(Draft {
                    title: heading.to_string(),
                    line: line_no,
                    prose: Vec::new(),
                    panel: None,
                    code_lines: Vec::new(),
                });
                continue;
            }
            Some(Mark::Heading { level: 1, .. }) => {
                idx += 1;
                problems.push(Problem::new(
                    file,
                    line_no,
                    "only the first line may be a `# ` title; start a step with `## `",
                ));
                continue;
            }
            Some(Mark::Fence {
                lang,
                last,
                body,
                closed,
                ..
            }) if lang == "viz" || lang == "quiz" => {
                if !closed {
                    problems.push(Problem::new(
                        file,
                        line_no,
                        format!("this ```{lang} block is never closed: end it with a ``` line"),
                    ));
                    break;
                }
                idx = *last;
                let Some(step) = steps.last_mut() else {
                    problems.push(Problem::new(
                        file,
                        line_no,
                        format!("a ```{lang} block must sit inside a step (after a `## ` heading)"),
                    ));
                    continue;
                };
                // Without the last newline, so a JSON error at the end names the last line.
                let body = body.strip_suffix('\n').unwrap_or(body);
                if let Some(problem) = attach_panel(file, line_no, lang, body, step, &mut quiz_ids)
                {
                    problems.push(problem);
                }
                continue;
            }
            Some(Mark::Fence {
                first,
                last,
                closed,
                ..
            }) => {
                if !closed {
                    problems.push(Problem::new(
                        file,
                        all_lines.len(),
                        "a ``` code block is never closed",
                    ));
                }
                // The body, without the fence lines, is what `llmf check` measures.
                let body_end = if *closed { *last - 1 } else { *last };
                push_verbatim(
                    &mut steps,
                    problems,
                    file,
                    &all_lines,
                    *first,
                    *last,
                    |n, line| (n > *first && n <= body_end).then(|| line.trim_end().to_string()),
                );
                idx = *last;
                continue;
            }
            Some(Mark::Indented { first, last }) => {
                push_verbatim(
                    &mut steps,
                    problems,
                    file,
                    &all_lines,
                    *first,
                    *last,
                    |_, line| {
                        let code = line.strip_prefix("    ").unwrap_or(line);
                        (!code.trim().is_empty()).then(|| code.trim_end().to_string())
                    },
                );
                idx = *last;
                continue;
            }
            Some(Mark::Heading { .. }) | None => {}
        }
        idx += 1;
        match steps.last_mut() {
            Some(step) => step.prose.push(line),
            None if !line.trim().is_empty() => problems.push(Problem::new(
                file,
                line_no,
                "text before the first step: start the first step with a `## ` heading",
            )),
            None => {}
        }
    }
    if steps.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            file,
            1,
            "the lesson has no steps: start each step with a `## ` heading",
        ));
    }
    steps
        .into_iter()
        .map(|d| Step {
            title: d.title,
            line: d.line,
            prose: prose::parse(&d.prose),
            panel: d.panel,
            code_lines: d.code_lines,
        })
        .collect()
}

/// A step while its lines are being gathered.
struct Draft<'a> {
    title: String,
    line: usize,
    prose: Vec<&'a str>,
    panel: Option<Panel>,
    code_lines: Vec<(usize, String)>,
}

/// Parses a ```viz or ```quiz block's body and makes it the step's panel, or says why not.
fn attach_panel(
    file: &str,
    line_no: usize,
    lang: &str,
    body: &str,
    step: &mut Draft,
    quiz_ids: &mut Vec<(String, usize)>,
) -> Option<Problem> {
    if step.panel.is_some() {
        return Some(Problem::new(
            file,
            line_no,
            format!(
                "step \"{}\" already has a visualizer or question: a step holds one; split it with a new `## ` heading",
                step.title
            ),
        ));
    }
    let parsed = if lang == "viz" {
        parse_viz(file, line_no, body).map(Panel::Viz)
    } else {
        parse_quiz(file, line_no, body).map(Panel::Quiz)
    };
    let panel = match parsed {
        Ok(panel) => panel,
        Err(p) => return Some(p),
    };
    let mut problem = None;
    if let Panel::Quiz(q) = &panel {
        if let Some((_, first)) = quiz_ids.iter().find(|(id, _)| *id == q.id) {
            problem = Some(Problem::new(
                file,
                line_no,
                format!(
                    "question id \"{}\" is already used on line {first}: ids must be unique in a lesson",
                    q.id
                ),
            ));
        }
        quiz_ids.push((q.id.clone(), line_no));
    }
    step.panel = Some(panel);
    problem
}

/// Adds a code block's lines `first..=last` (1-based) to the current step's prose, and those
/// `code_of` keeps (as shown verbatim) to its verbatim lines; before the first step they are a problem instead.
fn push_verbatim<'a>(
    steps: &mut [Draft<'a>],
    problems: &mut Vec<Problem>,
    file: &str,
    lines: &[&'a str],
    first: usize,
    last: usize,
    code_of: impl Fn(usize, &str) -> Option<String>,
) {
    let Some(step) = steps.last_mut() else {
        problems.push(Problem::new(
            file,
            first,
            "text before the first step: start the first step with a `## ` heading",
        ));
        return;
    };
    for n in first..=last.min(lines.len()) {
        let line = lines[n - 1];
        step.prose.push(line);
        if let Some(code) = code_of(n, line) {
            step.code_lines.push((n, code));
        }
    }
}

mod fenced;
use fenced::{parse_quiz, parse_viz};

#[cfg(test)]
mod tests;
