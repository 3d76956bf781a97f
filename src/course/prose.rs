//! Lesson prose: Markdown (CommonMark, by pulldown-cmark) parsed once into blocks, then laid out into lines of
//! styled text for a given width.
//!
//! Layout is pure and cheap to cache per width (the app keeps the result until the width or
//! the step changes), so drawing a frame never re-parses or re-wraps text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A piece of prose, as parsed from the lesson file.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A `###` (or deeper) heading inside a step.
    Heading(String),
    /// Consecutive text lines joined with spaces.
    Paragraph(String),
    /// A list item: its marker (`•` or `3.`) and text.
    Item {
        marker: String,
        text: String,
    },
    Quote(String),
    /// A fenced or indented code block, drawn verbatim.
    Code(Vec<String>),
}

/// How a run of text is emphasised; the UI maps each to a theme style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Emph {
    Plain,
    Bold,
    Italic,
    Code,
    Heading,
    Quote,
    CodeBlock,
    Marker,
}

/// One laid-out line: runs of text with their emphasis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    pub spans: Vec<(String, Emph)>,
}

impl Line {
    pub fn width(&self) -> usize {
        self.spans.iter().map(|(s, _)| s.width()).sum()
    }
    pub fn text(&self) -> String {
        self.spans.iter().map(|(s, _)| s.as_str()).collect()
    }
}

/// Parses the prose lines of one step (panel blocks already removed) into blocks, with
/// pulldown-cmark (CommonMark). Inline markup stays in the blocks' text, re-written in the
/// one form [`inline`] reads, so a block can be laid out at any width later; nested lists are
/// flattened, links show their text, HTML shows as written.
pub fn parse(lines: &[&str]) -> Vec<Block> {
    let text = lines.join("\n");
    let mut blocks = Vec::new();
    // Each open list's next number (None: a bullet list).
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut quote_depth = 0usize;
    // The block whose text is being collected, and that text.
    let mut open: Option<Block> = None;
    let mut buf = String::new();
    let mut code: Option<String> = None;

    let finish = |open: &mut Option<Block>, buf: &mut String, blocks: &mut Vec<Block>| {
        let text = std::mem::take(buf)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match open.take() {
            Some(Block::Heading(_)) => blocks.push(Block::Heading(text)),
            Some(Block::Item { marker, .. }) => blocks.push(Block::Item { marker, text }),
            Some(Block::Quote(_)) if !text.is_empty() => blocks.push(Block::Quote(text)),
            Some(Block::Paragraph(_)) if !text.is_empty() => blocks.push(Block::Paragraph(text)),
            _ => {}
        }
    };

    for event in Parser::new_ext(&text, Options::empty()) {
        if let Some(body) = code.as_mut() {
            match event {
                Event::Text(t) => body.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let body = code.take().unwrap_or_default();
                    let lines = body.trim_end_matches('\n').lines();
                    blocks.push(Block::Code(
                        lines.map(|l| l.trim_end().to_string()).collect(),
                    ));
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { .. }) => {
                finish(&mut open, &mut buf, &mut blocks);
                open = Some(Block::Heading(String::new()));
            }
            Event::Start(Tag::CodeBlock(_)) => {
                finish(&mut open, &mut buf, &mut blocks);
                code = Some(String::new());
            }
            Event::Start(Tag::List(first)) => {
                finish(&mut open, &mut buf, &mut blocks);
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                finish(&mut open, &mut buf, &mut blocks);
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                finish(&mut open, &mut buf, &mut blocks);
                let marker = match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}.", *n - 1)
                    }
                    _ => "•".to_string(),
                };
                open = Some(Block::Item {
                    marker,
                    text: String::new(),
                });
            }
            Event::Start(Tag::BlockQuote(_)) => {
                finish(&mut open, &mut buf, &mut blocks);
                quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                finish(&mut open, &mut buf, &mut blocks);
                quote_depth = quote_depth.saturating_sub(1);
            }
            Event::Start(Tag::Paragraph) => {
                if matches!(open, Some(Block::Item { .. })) {
                    // A loose item's paragraphs continue the item's text.
                    buf.push(' ');
                } else {
                    finish(&mut open, &mut buf, &mut blocks);
                    open = Some(if quote_depth > 0 {
                        Block::Quote(String::new())
                    } else {
                        Block::Paragraph(String::new())
                    });
                }
            }
            Event::End(TagEnd::Paragraph) if !matches!(open, Some(Block::Item { .. })) => {
                finish(&mut open, &mut buf, &mut blocks);
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Item) => {
                finish(&mut open, &mut buf, &mut blocks);
            }
            // Inline content, written back as the markup `inline` reads.
            Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => buf.push_str("**"),
            Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => buf.push('*'),
            Event::Code(t) => {
                buf.push('`');
                buf.push_str(&escape_markers(&t));
                buf.push('`');
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if open.is_none() {
                    open = Some(Block::Paragraph(String::new()));
                }
                buf.push_str(&escape_markers(&t));
            }
            Event::SoftBreak | Event::HardBreak => buf.push(' '),
            _ => {}
        }
    }
    if let Some(body) = code.take() {
        blocks.push(Block::Code(
            body.lines().map(|l| l.trim_end().to_string()).collect(),
        ));
    }
    finish(&mut open, &mut buf, &mut blocks);
    blocks
}

/// Literal `*` and `` ` `` in parsed text (`2 * 3`, an escaped `\*`) are swapped for
/// stand-ins so [`inline`] does not read them as markup again; it swaps them back.
fn escape_markers(text: &str) -> String {
    text.replace('*', LITERAL_STAR).replace('`', LITERAL_TICK)
}

/// Private-use characters standing for a literal `*` and `` ` `` between parsing and layout.
const LITERAL_STAR: &str = "\u{F8FF}";
const LITERAL_TICK: &str = "\u{F8FE}";

/// Counts the words a learner reads in these blocks.
pub fn word_count(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading(t) | Block::Paragraph(t) | Block::Quote(t) => {
                t.split_whitespace().count()
            }
            Block::Item { text, .. } => text.split_whitespace().count(),
            Block::Code(lines) => lines.iter().map(|l| l.split_whitespace().count()).sum(),
        })
        .sum()
}

/// Splits the inline markup [`parse`] leaves in a block (`**bold**`, `*italic*`, `` `code` ``)
/// into runs. Text that was literal in the lesson (`2 * 3`) comes back as written; an opener
/// without a closer (in text not from `parse`, such as a question) stays a character too.
pub fn inline(text: &str, base: Emph) -> Vec<(String, Emph)> {
    let literal = |s: &str| s.replace(LITERAL_STAR, "*").replace(LITERAL_TICK, "`");
    let mut out: Vec<(String, Emph)> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (delim, emph) = if rest.starts_with("**") {
            ("**", Emph::Bold)
        } else if c == '*' {
            ("*", Emph::Italic)
        } else if c == '`' {
            ("`", Emph::Code)
        } else {
            plain.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let after = &rest[delim.len()..];
        match after.find(delim) {
            Some(end) if end > 0 && !after.starts_with(' ') => {
                if !plain.is_empty() {
                    out.push((literal(&std::mem::take(&mut plain)), base));
                }
                out.push((literal(&after[..end]), emph));
                rest = &after[end + delim.len()..];
            }
            _ => {
                plain.push_str(delim);
                rest = after;
            }
        }
    }
    if !plain.is_empty() {
        out.push((literal(&plain), base));
    }
    out
}

/// Lays blocks out into lines at most `width` columns wide (code blocks excepted: they are
/// never wrapped, and the renderer clips them).
pub fn layout(blocks: &[Block], width: usize, ascii: bool) -> Vec<Line> {
    let width = width.max(8);
    let mut lines = Vec::new();
    // Markup is read before `--ascii` spells the text: `β·ln` folds to `beta*ln`, and a `*`
    // made by folding must stay a character, not open an emphasis.
    let runs = |t: &str, base: Emph| -> Vec<(String, Emph)> {
        let runs = inline(t, base);
        if !ascii {
            return runs;
        }
        runs.into_iter()
            .map(|(s, e)| (crate::text::ascii::fold(&s).into_owned(), e))
            .collect()
    };
    let fold = |t: &str| -> String {
        if ascii {
            crate::text::ascii::fold(t).into_owned()
        } else {
            t.to_string()
        }
    };
    for (i, block) in blocks.iter().enumerate() {
        let tight = i > 0
            && matches!(block, Block::Item { .. })
            && matches!(blocks[i - 1], Block::Item { .. });
        if i > 0 && !tight {
            lines.push(Line::default());
        }
        match block {
            Block::Heading(t) => wrap(&runs(t, Emph::Heading), width, "", "", &mut lines),
            Block::Paragraph(t) => wrap(&runs(t, Emph::Plain), width, "", "", &mut lines),
            Block::Quote(t) => {
                let bar = if ascii { "| " } else { "│ " };
                wrap(&runs(t, Emph::Quote), width, bar, bar, &mut lines);
            }
            Block::Item { marker, text } => {
                let marker = if ascii && marker == "•" {
                    "-"
                } else {
                    marker
                };
                let first = format!("{marker} ");
                let hang = " ".repeat(first.width());
                wrap(&runs(text, Emph::Plain), width, &first, &hang, &mut lines);
            }
            Block::Code(code) => {
                for l in code {
                    lines.push(Line {
                        spans: vec![(format!("  {}", fold(l)), Emph::CodeBlock)],
                    });
                }
            }
        }
    }
    lines
}

/// A unit of wrapping for textwrap: one or more styled pieces with no space between them
/// (`**bold**.` wraps as one, so punctuation never starts a line on its own), or one chunk of
/// a word too long for any line.
#[derive(Debug)]
struct Fragment {
    pieces: Vec<(String, Emph)>,
    width: usize,
    /// Whether a space follows, to be kept when the next fragment shares the line.
    space_after: bool,
}

impl textwrap::core::Fragment for Fragment {
    fn width(&self) -> f64 {
        self.width as f64
    }
    fn whitespace_width(&self) -> f64 {
        f64::from(u8::from(self.space_after))
    }
    fn penalty_width(&self) -> f64 {
        0.0
    }
}

/// Styled runs as fragments: words split at whitespace, with pieces that touch kept together.
fn fragments(runs: &[(String, Emph)], max: usize) -> Vec<Fragment> {
    // Groups of touching pieces, and whether a space stood before each group.
    let mut groups: Vec<(Vec<(String, Emph)>, bool)> = Vec::new();
    let mut space_pending = false;
    for (text, emph) in runs {
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if word_len == 0 {
                let c = rest.chars().next().map_or(1, char::len_utf8);
                rest = &rest[c..];
                space_pending = true;
                continue;
            }
            let word = rest[..word_len].to_string();
            rest = &rest[word_len..];
            match groups.last_mut() {
                Some((pieces, _)) if !space_pending => pieces.push((word, *emph)),
                _ => groups.push((vec![(word, *emph)], space_pending)),
            }
            space_pending = false;
        }
    }
    let mut out: Vec<Fragment> = Vec::new();
    for (pieces, space_before) in groups {
        if let Some(prev) = out.last_mut() {
            prev.space_after = space_before;
        }
        let width: usize = pieces.iter().map(|(p, _)| p.width()).sum();
        if width <= max {
            out.push(Fragment {
                pieces,
                width,
                space_after: false,
            });
            continue;
        }
        // A word longer than a line: chunks of at most a line each, cut between characters.
        let mut chunk = Fragment {
            pieces: Vec::new(),
            width: 0,
            space_after: false,
        };
        for (piece, emph) in pieces {
            for c in piece.chars() {
                let cw = c.width().unwrap_or(0);
                if chunk.width + cw > max && chunk.width > 0 {
                    out.push(std::mem::replace(
                        &mut chunk,
                        Fragment {
                            pieces: Vec::new(),
                            width: 0,
                            space_after: false,
                        },
                    ));
                }
                push_piece(&mut chunk.pieces, c.encode_utf8(&mut [0; 4]), emph);
                chunk.width += cw;
            }
        }
        out.push(chunk);
    }
    out
}

/// Word wrap of styled runs (textwrap's first-fit, so lines fill greedily), with a prefix on
/// the first line and a hanging indent after.
fn wrap(runs: &[(String, Emph)], width: usize, first: &str, hang: &str, out: &mut Vec<Line>) {
    let room = |prefix: &str| width.saturating_sub(prefix.width()).max(1);
    let frags = fragments(runs, room(hang));
    let widths = [room(first) as f64, room(hang) as f64];
    let lines = textwrap::wrap_algorithms::wrap_first_fit(&frags, &widths);
    if lines.is_empty() {
        out.push(Line {
            spans: if first.is_empty() {
                vec![]
            } else {
                vec![(first.to_string(), Emph::Marker)]
            },
        });
        return;
    }
    for (i, frags) in lines.into_iter().enumerate() {
        let prefix = if i == 0 { first } else { hang };
        let mut spans: Vec<(String, Emph)> = Vec::new();
        if !prefix.is_empty() {
            spans.push((prefix.to_string(), Emph::Marker));
        }
        for (j, frag) in frags.iter().enumerate() {
            if j > 0 && frags[j - 1].space_after {
                push_piece(&mut spans, " ", frag.pieces[0].1);
            }
            for (piece, emph) in &frag.pieces {
                push_piece(&mut spans, piece, *emph);
            }
        }
        out.push(Line { spans });
    }
}

fn push_piece(spans: &mut Vec<(String, Emph)>, text: &str, emph: Emph) {
    match spans.last_mut() {
        Some((s, e)) if *e == emph => s.push_str(text),
        _ => spans.push((text.to_string(), emph)),
    }
}

#[cfg(test)]
mod tests;
