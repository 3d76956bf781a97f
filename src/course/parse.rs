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

fn parse_json_block(
    file: &str,
    fence_line: usize,
    body: &str,
) -> Result<Map<String, Value>, Problem> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        Problem::new(
            file,
            fence_line + e.line().max(1),
            format!("invalid JSON: {e}"),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Problem::new(
            file,
            fence_line + 1,
            "the block must hold one JSON object: { \"kind\": ... }",
        )),
    }
}

fn parse_viz(file: &str, fence_line: usize, body: &str) -> Result<VizSpec, Problem> {
    let mut params = parse_json_block(file, fence_line, body)?;
    let kind =
        match params.remove("kind") {
            Some(Value::String(k)) => k,
            _ => return Err(Problem::new(
                file,
                fence_line + 1,
                "a visualizer needs \"kind\": a name such as \"softmax\" (see lessons/README.md)",
            )),
        };
    let expect = match params.remove("expect") {
        None => Vec::new(),
        Some(value) => parse_expect(file, fence_line, body, value)?,
    };
    let key_lines = params
        .keys()
        .map(|k| (k.clone(), fence_line + line_of(body, &format!("\"{k}\""))))
        .collect();
    Ok(VizSpec {
        kind,
        params,
        line: fence_line,
        key_lines,
        expect,
    })
}

/// Reads a visualizer's `"expect"`: a list whose entries are either a text the panel shows at
/// the block's settings, or `{"with": {params}, "shows": [texts]}`.
fn parse_expect(
    file: &str,
    fence_line: usize,
    body: &str,
    value: Value,
) -> Result<Vec<crate::course::Expectation>, Problem> {
    let expect_line = fence_line + line_of(body, "\"expect\"");
    let bad = |line: usize, what: &str| {
        Problem::new(
            file,
            line,
            format!(
                "\"expect\" {what}: write a list of quoted texts, or of {{\"with\": {{\"param\": value}}, \"shows\": [\"text\"]}}"
            ),
        )
    };
    let Value::Array(entries) = value else {
        return Err(bad(expect_line, "must be a list"));
    };
    // Each entry is blamed on the first line after "expect" that holds its first text.
    let mut search_from = (expect_line - fence_line).saturating_sub(1);
    let mut out = Vec::new();
    for entry in entries {
        let (with, shows) = match entry {
            Value::String(text) => (serde_json::Map::new(), vec![text]),
            Value::Object(mut map) => {
                let with = match map.remove("with") {
                    None => serde_json::Map::new(),
                    Some(Value::Object(w)) => w,
                    Some(_) => {
                        return Err(bad(expect_line, "has a \"with\" that is not an object"))
                    }
                };
                let shows = match map.remove("shows") {
                    Some(Value::Array(items)) if !items.is_empty() => items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) if !s.trim().is_empty() => Ok(s),
                            _ => Err(bad(expect_line, "has a \"shows\" entry that is not a text")),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return Err(bad(expect_line, "has an entry without \"shows\"")),
                };
                if let Some(key) = map.keys().next() {
                    return Err(bad(expect_line, &format!("has an unknown key \"{key}\"")));
                }
                (with, shows)
            }
            _ => {
                return Err(bad(
                    expect_line,
                    "holds something that is neither a text nor an object",
                ))
            }
        };
        let needle = serde_json::to_string(&shows[0]).unwrap_or_default();
        let line = body
            .lines()
            .enumerate()
            .skip(search_from)
            .find(|(_, l)| l.contains(&needle))
            .map_or(expect_line, |(i, _)| {
                search_from = i;
                fence_line + i + 1
            });
        out.push(crate::course::Expectation { with, shows, line });
    }
    Ok(out)
}

fn parse_quiz(file: &str, fence_line: usize, body: &str) -> Result<Quiz, Problem> {
    let mut map = parse_json_block(file, fence_line, body)?;
    let at = |key: &str| fence_line + line_of(body, &format!("\"{key}\""));
    let err = |line: usize, msg: String| Problem::new(file, line, msg);
    let text = |map: &mut Map<String, Value>, key: &str| -> Result<String, Problem> {
        match map.remove(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            _ => Err(err(
                at(key).max(fence_line + 1),
                format!("a question needs \"{key}\": a non-empty string"),
            )),
        }
    };
    let question = text(&mut map, "question")?;
    let explain = text(&mut map, "explain")?;
    let id = match map.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        None => format!("line-{fence_line}"),
        Some(_) => return Err(err(at("id"), "\"id\" must be a non-empty string".into())),
    };
    let answer = map.remove("answer");
    let kind = match map.remove("choices") {
        Some(Value::Array(items)) => {
            let choices: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if choices.len() != items.len() || choices.len() < 2 {
                return Err(err(
                    at("choices"),
                    "\"choices\" must list at least two strings".into(),
                ));
            }
            let n = choices.len();
            let answer = answer
                .as_ref()
                .and_then(Value::as_u64)
                .filter(|a| (1..=n as u64).contains(a))
                .ok_or_else(|| {
                    err(
                        at("answer"),
                        format!("\"answer\" must be the number of the right choice, 1 to {n}"),
                    )
                })?;
            QuizKind::Choice {
                choices,
                answer: answer as usize - 1,
            }
        }
        Some(_) => {
            return Err(err(
                at("choices"),
                "\"choices\" must be a list of strings".into(),
            ))
        }
        None => {
            let written = answer
                .as_ref()
                .map_or_else(String::new, ToString::to_string);
            let answer = answer
                .as_ref()
                .and_then(Value::as_f64)
                .filter(|a| a.is_finite())
                .ok_or_else(|| {
                    err(
                        at("answer").max(fence_line + 1),
                        "\"answer\" must be a number (or add \"choices\" for multiple choice)"
                            .into(),
                    )
                })?;
            if map.contains_key("tolerance") {
                return Err(err(
                    at("tolerance"),
                    "\"tolerance\" is no longer read: a numeric answer counts when it rounds to \"answer\" as written (7.39: to 2 decimals); remove it, and add \"decimals\": N or \"figures\": N only when the written key drops a trailing zero".into(),
                ));
            }
            let mut precision = Precision::of_written(&written);
            for (key, make) in [
                ("decimals", Precision::Decimals as fn(u32) -> Precision),
                ("figures", Precision::Figures as fn(u32) -> Precision),
            ] {
                if let Some(v) = map.remove(key) {
                    let n = v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (1..=12).contains(n))
                        .ok_or_else(|| {
                            err(
                                at(key),
                                format!("\"{key}\" must be a whole number from 1 to 12"),
                            )
                        })?;
                    precision = make(n);
                }
            }
            // One rule for every question: an answer 10% off must not round to the key.
            let lax = answer != 0.0
                && (precision.accepts(answer, answer * 1.1)
                    || precision.accepts(answer, answer * 0.9));
            if lax {
                return Err(err(
                    at("answer").max(fence_line + 1),
                    format!(
                        "\"answer\": {written} asked {precision} would accept an answer 10% off: write the key with more digits, or add \"decimals\": N or \"figures\": N"
                    ),
                ));
            }
            QuizKind::Numeric { answer, precision }
        }
    };
    if let Some(key) = map.keys().next() {
        return Err(err(
            at(key),
            format!("unknown key \"{key}\": a question has id, question, choices, answer, decimals or figures, explain"),
        ));
    }
    Ok(Quiz {
        id,
        question,
        kind,
        explain,
        line: fence_line,
    })
}

#[cfg(test)]
mod tests;
