//! The commands beside `check` that print for people and scripts: `render`'s screen as
//! README shows it, `attention`, `tokenize` and a tokenizer file given with `--tokenizer`.

use super::*;

#[test]
fn the_readme_screen_is_what_render_prints() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let after = readme
        .split("## A real screen")
        .nth(1)
        .expect("README has a real screen");
    let block = after
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a text block");
    let (code, out, _) = llmf(&["render", "06", "--step", "9", "--panel"]);
    assert_eq!(code, 0);
    // The status line counts the course's lessons ("Lesson 6/18"); a lesson added to the
    // course must not make the README stale, so the count is left out of the comparison.
    let uncounted = |screen: &str| {
        screen
            .lines()
            .map(|line| match line.find(" · step ") {
                Some(at) if line.trim_start().starts_with("Lesson ") => line[at..].to_string(),
                _ => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        uncounted(block),
        uncounted(out.trim_end_matches('\n')),
        "refresh the README capture with `llmf render 06 --step 9 --panel`"
    );
}

#[test]
fn attention_prints_weights_for_scripts() {
    let (code, out, err) = llmf(&[
        "attention",
        "one two three four",
        "--causal",
        "--heads",
        "2",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["tokens"].as_array().map(Vec::len), Some(4));
    let heads = v["heads"].as_array().expect("heads");
    assert_eq!(heads.len(), 2);
    for head in heads {
        for (i, row) in head.as_array().unwrap().iter().enumerate() {
            let row: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(
                row[i + 1..].iter().all(|w| *w == 0.0),
                "causal row {i}: {row:?}"
            );
        }
    }
    let (code, out, _) = llmf(&["attention", "the cat sat"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("head 1 of 1 (seeded random projections"),
        "{out}"
    );
    let (code, _, err) = llmf(&["attention", "   "]);
    assert_eq!(code, 1);
    assert!(err.contains("no words"), "{err}");
}

#[test]
fn tokenize_prints_splits_for_scripts() {
    let (code, out, err) = llmf(&["tokenize", " SolidGoldMagikarp", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["tokens"][0]["id"], 43453);
    assert_eq!(v["count"], 1);
    let (code, out, _) = llmf(&["tokenize", "--tokenizer", "cl100k", " SolidGoldMagikarp"]);
    assert_eq!(code, 0);
    assert!(out.lines().count() > 1, "{out}");
    let (code, out, _) = llmf(&["tokenize", "--list"]);
    assert_eq!(code, 0);
    for name in ["bpe", "wordpiece", "unigram", "r50k", "cl100k", "o200k"] {
        assert!(out.lines().any(|l| l.starts_with(name)), "{out}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("my-tokenizer.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let (code, _, err) = llmf(&["tokenize", "--tokenizer", bad.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1);
    assert!(err.contains("my-tokenizer.json"), "{err}");
    let (code, _, err) = llmf(&["tokenize", "--tokenizer", "gpt9", "hi"]);
    assert_eq!(code, 1);
    assert!(err.contains("no tokenizer \"gpt9\""), "{err}");
}

#[test]
fn a_tokenizer_file_joins_the_course_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("mine.json");
    let trained = llmf::labs::part1_text::tokenize::train(
        llmf::labs::part1_text::tokenize::Algorithm::Bpe,
        300,
        &llmf::labs::part1_text::tokenize::corpus(),
    )
    .unwrap();
    trained.save(&good, false).unwrap();
    let dir_lessons = dir.path().join("course");
    std::fs::create_dir_all(&dir_lessons).unwrap();
    std::fs::write(
        dir_lessons.join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-t.md"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir_lessons.join("01-t.md"),
        "# T\n\n## S\nProse.\n\n```viz\n{\"kind\": \"token-split\"}\n```\n",
    )
    .unwrap();
    let (code, out, err) = llmf(&[
        "--tokenizer",
        good.to_str().unwrap(),
        "--lessons",
        dir_lessons.to_str().unwrap(),
        "render",
        "01",
        "--panel",
        "--size",
        "120x40",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trained here"), "{out}");
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "[1, 2").unwrap();
    let (code, _, err) = llmf(&["--tokenizer", bad.to_str().unwrap(), "render", "01"]);
    assert_eq!(code, 1);
    assert!(err.contains("broken.json"), "{err}");
}
