//! The block outline of a lesson file as CommonMark reads it — headings and code blocks with
//! their 1-based line numbers — so the lesson splitter agrees with the prose renderer (both use
//! pulldown-cmark) on what is a heading and what is code, and every problem keeps its line.
//!
//! A `## ` inside a fenced block, a `#` line in an indented code block or a heading quoted in
//! a `>` block are not steps; a hand-written line scanner has to special-case each of those,
//! the CommonMark parser already knows them.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One block of interest, by the lines it covers (1-based, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// An ATX heading (`# `, `## `, …) outside any list or quote. Setext headings (a line
    /// underlined with `---`) are left to the prose: a lesson's steps are always `## ` lines.
    Heading {
        level: u8,
        line: usize,
        text: String,
    },
    /// A fenced code block: its info string's first word, its body as the parser read it
    /// (container indentation removed), and whether a closing fence was found.
    Fence {
        lang: String,
        first: usize,
        last: usize,
        body: String,
        closed: bool,
    },
    /// An indented (four-space) code block.
    Indented { first: usize, last: usize },
}

impl Mark {
    /// The first line the block covers.
    pub fn first_line(&self) -> usize {
        match self {
            Mark::Heading { line, .. } => *line,
            Mark::Fence { first, .. } | Mark::Indented { first, .. } => *first,
        }
    }
}

/// The headings and code blocks of `text`, in order.
pub fn outline(text: &str) -> Vec<Mark> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // 1-based line of a byte offset.
    let line_at = |offset: usize| line_starts.partition_point(|&s| s <= offset);
    let mut marks = Vec::new();
    // Lists and block quotes the parser is inside: headings there are not steps.
    let mut containers = 0usize;
    let mut heading: Option<(u8, usize, String)> = None;
    let mut fence: Option<(String, usize, usize, String, bool)> = None;
    let mut indented: Option<(usize, usize)> = None;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::Item) => containers += 1,
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::Item) => {
                containers = containers.saturating_sub(1)
            }
            Event::Start(Tag::Heading { level, .. }) => {
                let line = line_at(range.start);
                let atx = text[range.clone()].trim_start().starts_with('#');
                if containers == 0 && atx {
                    heading = Some((heading_number(level), line, String::new()));
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, line, text)) = heading.take() {
                    marks.push(Mark::Heading {
                        level,
                        line,
                        text: text.trim().to_string(),
                    });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                // The range ends after the block's last byte, usually its newline.
                let first = line_at(range.start);
                let last = line_at(range.end.saturating_sub(1).max(range.start));
                match kind {
                    CodeBlockKind::Fenced(info) => {
                        let lang = info.split_whitespace().next().unwrap_or("").to_string();
                        let closed = last > first && is_closing_fence(&text[range.clone()]);
                        fence = Some((lang, first, last, String::new(), closed));
                    }
                    CodeBlockKind::Indented => indented = Some((first, last)),
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, first, last, body, closed)) = fence.take() {
                    marks.push(Mark::Fence {
                        lang,
                        first,
                        last,
                        body,
                        closed,
                    });
                }
                if let Some((first, last)) = indented.take() {
                    marks.push(Mark::Indented { first, last });
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, _, body, _)) = fence.as_mut() {
                    body.push_str(&t);
                } else if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            _ => {}
        }
    }
    marks
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Whether a fenced block's source ends with a closing fence line (three or more of the
/// opening character and nothing else), rather than running to the end of its container.
fn is_closing_fence(source: &str) -> bool {
    let opener = source.trim_start().chars().next().unwrap_or('`');
    let last = source.trim_end_matches(['\n', '\r']).lines().last();
    last.is_some_and(|l| {
        let l = l.trim();
        // A block quote's closing fence carries the quote's `>` markers.
        let l = l.trim_start_matches(['>', ' ']);
        l.len() >= 3 && l.chars().all(|c| c == opener)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_and_fences_with_their_lines() {
        let text = "# Title\n\n## One\ntext\n```viz\n{\"kind\": \"x\"}\n```\n## Two\n";
        assert_eq!(
            outline(text),
            vec![
                Mark::Heading {
                    level: 1,
                    line: 1,
                    text: "Title".into()
                },
                Mark::Heading {
                    level: 2,
                    line: 3,
                    text: "One".into()
                },
                Mark::Fence {
                    lang: "viz".into(),
                    first: 5,
                    last: 7,
                    body: "{\"kind\": \"x\"}\n".into(),
                    closed: true
                },
                Mark::Heading {
                    level: 2,
                    line: 8,
                    text: "Two".into()
                },
            ]
        );
    }

    #[test]
    fn what_is_not_a_step_heading() {
        // In a fence, in a quote, in a list, and a setext underline: none is a step.
        let text = "```\n## in code\n```\n\n> ## quoted\n\n- ## listed\n\nSetext\n---\n";
        let headings: Vec<_> = outline(text)
            .into_iter()
            .filter(|m| matches!(m, Mark::Heading { .. }))
            .collect();
        assert!(headings.is_empty(), "{headings:?}");
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end_and_says_so() {
        let marks = outline("## s\n```quiz\n{}\nmore\n");
        assert_eq!(
            marks[1],
            Mark::Fence {
                lang: "quiz".into(),
                first: 2,
                last: 4,
                body: "{}\nmore\n".into(),
                closed: false
            }
        );
        // A fence whose body only looks like a closer of the other kind stays open.
        let marks = outline("```\n~~~\n");
        assert!(matches!(marks[0], Mark::Fence { closed: false, .. }));
    }

    #[test]
    fn indented_code_is_marked_with_its_lines() {
        let marks = outline("para\n\n    code one\n    code two\n\nafter\n");
        assert_eq!(marks, vec![Mark::Indented { first: 3, last: 4 }]);
    }
}
