use super::*;

const GOOD: &str = "# Title\n\n## One\nHello *there*.\n\n```viz\n{\"kind\": \"softmax\", \"temperature\": 2}\n```\n\n## Two\n```quiz\n{\"id\": \"a\", \"question\": \"Q?\", \"choices\": [\"x\", \"y\"], \"answer\": 2, \"explain\": \"because\"}\n```\n";

#[test]
fn parses_a_good_lesson() {
    let lesson = parse_lesson("06-attention-math.md", GOOD, 0).unwrap();
    assert_eq!(lesson.number, "06");
    assert_eq!(lesson.slug, "attention-math");
    assert_eq!(lesson.title, "Title");
    assert_eq!(lesson.steps.len(), 2);
    assert_eq!(lesson.steps[1].line, 10);
    match &lesson.steps[0].panel {
        Some(Panel::Viz(v)) => {
            assert_eq!(v.kind, "softmax");
            assert_eq!(v.line, 6);
            assert_eq!(v.params.get("temperature"), Some(&Value::from(2)));
        }
        other => panic!("expected a viz, got {other:?}"),
    }
    match &lesson.steps[1].panel {
        Some(Panel::Quiz(q)) => {
            assert_eq!(
                q.kind,
                QuizKind::Choice {
                    choices: vec!["x".into(), "y".into()],
                    answer: 1
                }
            );
        }
        other => panic!("expected a quiz, got {other:?}"),
    }
}

#[test]
fn reports_problems_with_lines() {
    let text = "# T\n## S\n```quiz\n{\"question\": \"q\", \"choices\": [\"a\", \"b\"],\n \"answer\": 3, \"explain\": \"e\"}\n```\n```viz\n{\"kind\": \"x\"}\n```\n";
    let problems = parse_lesson("01-x.md", text, 0).unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec!["01-x.md:5: \"answer\" must be the number of the right choice, 1 to 2".to_string(),]
    );
    let text = "# T\ntext\n## S\n```viz\n{\"kind\": 1\n```\n";
    let shown: Vec<String> = parse_lesson("bad.md", text, 0)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown[0].starts_with("bad.md:1: lesson file names"));
    assert!(shown[1].starts_with("bad.md:2: text before the first step"));
    assert!(shown[2].starts_with("bad.md:5: invalid JSON"), "{shown:?}");
}

#[test]
fn numeric_quiz_precision_from_the_written_key_or_said() {
    use crate::course::precision::Precision;
    let quiz = |json: &str| {
        let text = format!("# T\n## S\n```quiz\n{json}\n```\n");
        parse_lesson("01-x.md", &text, 0)
    };
    let lesson = quiz(r#"{"question": "q", "answer": 7.39, "explain": "e"}"#).unwrap();
    let Some(Panel::Quiz(q)) = &lesson.steps[0].panel else {
        panic!()
    };
    assert!(q.is_correct(&crate::course::Answer::Number(7.389)));
    assert!(!q.is_correct(&crate::course::Answer::Number(7.4)));
    assert!(!q.is_correct(&crate::course::Answer::Number(f64::NAN)));
    // A trailing zero the JSON number drops is said with "decimals".
    let lesson =
        quiz(r#"{"question": "q", "answer": 0.1, "decimals": 2, "explain": "e"}"#).unwrap();
    let Some(Panel::Quiz(q)) = &lesson.steps[0].panel else {
        panic!()
    };
    assert!(matches!(
        q.kind,
        QuizKind::Numeric {
            precision: Precision::Decimals(2),
            ..
        }
    ));
    // Too coarse a precision (0.1 to 1 decimal takes 0.11), or the old key: refused with
    // what to do.
    let e = quiz(r#"{"question": "q", "answer": 0.1, "explain": "e"}"#).unwrap_err();
    assert!(format!("{e:?}").contains("10% off"), "{e:?}");
    let e = quiz(r#"{"question": "q", "answer": 7.39, "tolerance": 0.05, "explain": "e"}"#)
        .unwrap_err();
    assert!(format!("{e:?}").contains("no longer read"), "{e:?}");
}

#[test]
fn manifest_lines_point_at_each_lesson() {
    let text = "{\n \"title\": \"C\",\n \"parts\": [\n  {\"title\": \"P\", \"lessons\": [\n   \"05-a.md\",\n   \"06-b.md\"]}]}";
    let m = parse_manifest(text).unwrap();
    assert_eq!(
        m.parts[0].lessons,
        vec![("05-a.md".into(), 5), ("06-b.md".into(), 6)]
    );
    assert!(parse_manifest("{")
        .unwrap_err()
        .to_string()
        .starts_with("course.json:1: invalid JSON"));
}

#[test]
fn steps_follow_commonmark_blocks() {
    // A `## ` inside a code block or a quote is text; `##` alone is a heading with no title;
    // an indented code block's lines are measured without their four spaces.
    let text = "# T\n## One\n```text\n## not a step\n```\n\n> ## quoted\n\n    wide code\n##\n";
    let (lesson, problems) = parse_lesson_all("01-x.md", text, 0);
    let titles: Vec<&str> = lesson.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, vec!["One", ""]);
    assert_eq!(
        lesson.steps[0].code_lines,
        vec![
            (4, "## not a step".to_string()),
            (9, "wide code".to_string())
        ]
    );
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec!["01-x.md:10: a step heading needs a title after `## `".to_string()]
    );
    // An unclosed fence is reported at the end of the file and keeps its lines as prose.
    let (lesson, problems) = parse_lesson_all("01-x.md", "# T\n## S\n```\ncode\n", 0);
    assert_eq!(lesson.steps[0].code_lines, vec![(4, "code".to_string())]);
    assert_eq!(
        problems[0].to_string(),
        "01-x.md:4: a ``` code block is never closed"
    );
}
