//! The fenced blocks a step may hold: a `viz` panel with its `expect` list of quoted figures,
//! and a `quiz` question, each JSON read with its problems located at `file:line`.

use super::*;

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

pub(super) fn parse_viz(file: &str, fence_line: usize, body: &str) -> Result<VizSpec, Problem> {
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

pub(super) fn parse_quiz(file: &str, fence_line: usize, body: &str) -> Result<Quiz, Problem> {
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
