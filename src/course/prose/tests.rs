use super::*;

#[test]
fn parses_paragraphs_lists_code_and_headings() {
    let src = "First line\ncontinues here.\n\n- one\n- two\n\n### Sub\n\n```\nx = 1\n```\n\n    y = 2\n\n> quoted";
    let lines: Vec<&str> = src.lines().collect();
    let blocks = parse(&lines);
    assert_eq!(
        blocks,
        vec![
            Block::Paragraph("First line continues here.".into()),
            Block::Item {
                marker: "•".into(),
                text: "one".into()
            },
            Block::Item {
                marker: "•".into(),
                text: "two".into()
            },
            Block::Heading("Sub".into()),
            Block::Code(vec!["x = 1".into()]),
            Block::Code(vec!["y = 2".into()]),
            Block::Quote("quoted".into()),
        ]
    );
    assert_eq!(word_count(&blocks), 4 + 2 + 1 + 3 + 3 + 1);
}

#[test]
fn inline_markup_and_unclosed_markers() {
    assert_eq!(
        inline("a **b** *c* `d` 2 * 3", Emph::Plain),
        vec![
            ("a ".into(), Emph::Plain),
            ("b".into(), Emph::Bold),
            (" ".into(), Emph::Plain),
            ("c".into(), Emph::Italic),
            (" ".into(), Emph::Plain),
            ("d".into(), Emph::Code),
            (" 2 * 3".into(), Emph::Plain),
        ]
    );
}

/// `--ascii` spells `·` as `*`, after the markup is read: the stars it makes stay on
/// screen, and so does an escaped `π\*` (which once came out as `pi?`).
#[test]
fn ascii_spelling_makes_no_markup_and_keeps_literal_stars() {
    let blocks = parse(&["The optimum **π\\*** ∝ π_ref·exp(r/β), and β·ln x + γ·y."]);
    let text = |ascii| -> String { layout(&blocks, 200, ascii).iter().map(Line::text).collect() };
    assert_eq!(
        text(false),
        "The optimum π* ∝ π_ref·exp(r/β), and β·ln x + γ·y."
    );
    assert_eq!(
        text(true),
        "The optimum pi* ~ pi_ref*exp(r/beta), and beta*ln x + gamma*y."
    );
    let bold = layout(&blocks, 200, true)[0].spans.clone();
    assert!(
        bold.iter()
            .any(|(s, e)| s.trim() == "pi*" && *e == Emph::Bold),
        "{bold:?}"
    );
}

#[test]
fn wraps_within_width_and_keeps_every_word() {
    let blocks = vec![Block::Paragraph(
        "the quick brown fox jumps over the lazy dog again and again".into(),
    )];
    let lines = layout(&blocks, 16, false);
    assert!(lines.iter().all(|l| l.width() <= 16), "{lines:?}");
    let joined: Vec<String> = lines.iter().map(Line::text).collect();
    assert_eq!(
        joined.join(" "),
        "the quick brown fox jumps over the lazy dog again and again"
    );
    assert_eq!(joined[0], "the quick brown");
}

#[test]
fn numbered_items_keep_their_numbers() {
    let blocks = parse(&["1. first", "2. second", "- bullet"]);
    assert_eq!(
        blocks,
        vec![
            Block::Item {
                marker: "1.".into(),
                text: "first".into()
            },
            Block::Item {
                marker: "2.".into(),
                text: "second".into()
            },
            Block::Item {
                marker: "•".into(),
                text: "bullet".into()
            },
        ]
    );
}

#[test]
fn punctuation_after_markup_stays_with_its_word() {
    let blocks = vec![Block::Paragraph("aaaa bbbb **cc**. dd".into())];
    let lines = layout(&blocks, 12, false);
    let texts: Vec<String> = lines.iter().map(Line::text).collect();
    assert_eq!(texts, vec!["aaaa bbbb", "cc. dd"]);
}

#[test]
fn list_items_hang_under_their_marker() {
    let blocks = vec![Block::Item {
        marker: "12.".into(),
        text: "alpha beta gamma delta".into(),
    }];
    let lines = layout(&blocks, 14, false);
    let texts: Vec<String> = lines.iter().map(Line::text).collect();
    assert_eq!(texts, vec!["12. alpha beta", "    gamma", "    delta"]);
}

#[test]
fn cuts_words_longer_than_the_line_and_counts_wide_chars() {
    let blocks = vec![Block::Paragraph("汉字汉字汉字汉字汉字 ok".into())];
    let lines = layout(&blocks, 8, false);
    assert!(lines.iter().all(|l| l.width() <= 8), "{lines:?}");
    assert_eq!(lines.last().map(Line::text).as_deref(), Some("汉字 ok"));
}

#[test]
fn commonmark_rules_where_the_old_scanner_went_wrong() {
    // A number and a dot opening a wrapped line do not start a list inside a paragraph
    // (lesson 01 wrapped "until rank\n7. The word" and showed a list item "7.").
    let blocks = parse(&["waits until rank", "7. The word never appeared."]);
    assert_eq!(
        blocks,
        vec![Block::Paragraph(
            "waits until rank 7. The word never appeared.".into()
        )]
    );
    // Escaped and spaced asterisks stay characters; links show their text.
    let blocks = parse(&["2 * 3 and \\*not italic\\* and [a link](https://x.y)"]);
    let Block::Paragraph(text) = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert_eq!(
        inline(text, Emph::Plain),
        vec![("2 * 3 and *not italic* and a link".into(), Emph::Plain)]
    );
    // Inline code keeps an asterisk inside it as written.
    let blocks = parse(&["use `a*b` here"]);
    let Block::Paragraph(text) = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert_eq!(
        inline(text, Emph::Plain),
        vec![
            ("use ".into(), Emph::Plain),
            ("a*b".into(), Emph::Code),
            (" here".into(), Emph::Plain)
        ]
    );
}
