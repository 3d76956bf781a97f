//! The part of a step's prose that tells the learner what to do with its panel ("Try this:"
//! and its list), so the UI can keep it in view while the panel has the focus and the prose
//! box is small.

use super::prose::Block;

/// The step's instructions: its last list together with the paragraph that leads into it,
/// when that paragraph ends with a colon ("Things to try:", "Then experiment:"). A list
/// without such a lead-in is part of the explanation, not a set of things to do, and gives
/// `None`.
pub fn instructions(blocks: &[Block]) -> Option<Vec<Block>> {
    let last = blocks
        .iter()
        .rposition(|b| matches!(b, Block::Item { .. }))?;
    let first = blocks[..=last]
        .iter()
        .rposition(|b| !matches!(b, Block::Item { .. }))
        .map_or(0, |i| i + 1);
    let lead = first.checked_sub(1)?;
    match &blocks[lead] {
        Block::Paragraph(text) if text.trim_end().ends_with(':') => {
            Some(blocks[lead..=last].to_vec())
        }
        _ => None,
    }
}

/// The instructions as pinned in a box `rows` rows tall at `width` columns: whole when they
/// fit; otherwise the lead-in cut to its last sentence and each item to its first, which in this course's lists names
/// the thing to try or look for (`**The points fall as N grows.** Each bigger model…`),
/// the rest staying in the prose one Tab away. The box does not scroll while the panel has
/// the keys, so a list cut at the bottom would hide its last items.
pub fn pinned(blocks: &[Block], width: usize, rows: usize, ascii: bool) -> Vec<Block> {
    if super::prose::layout(blocks, width, ascii).len() <= rows {
        return blocks.to_vec();
    }
    blocks
        .iter()
        .map(|b| match b {
            Block::Item { marker, text } => Block::Item {
                marker: marker.clone(),
                text: first_sentence(text),
            },
            Block::Paragraph(text) => Block::Paragraph(last_sentence(text)),
            other => other.clone(),
        })
        .collect()
}

/// `text` up to the end of its first sentence, with ` …` when something was cut.
fn first_sentence(text: &str) -> String {
    match sentence_ends(text).first() {
        Some(&at) => format!("{} \u{2026}", &text[..at]),
        None => text.to_string(),
    }
}

/// The last sentence of `text`: a lead-in such as "…of cache. Then try:" pins as "Then try:".
fn last_sentence(text: &str) -> String {
    match sentence_ends(text).last() {
        Some(&at) => text[at..].trim_start().to_string(),
        None => text.to_string(),
    }
}

/// Where sentences end inside `text`: the byte offset of the space after each `.`, `!` or `?`
/// (and any closing `*`, `)` or quote), outside code spans and not in `e.g.` or `i.e.`.
fn sentence_ends(text: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut ends = Vec::new();
    let mut in_code = false;
    for (k, &(_, c)) in chars.iter().enumerate() {
        if c == '`' {
            in_code = !in_code;
        }
        if in_code || !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let before: String = chars[k.saturating_sub(3)..k].iter().map(|p| p.1).collect();
        if before.ends_with("e.g") || before.ends_with("i.e") {
            continue;
        }
        let mut end = k + 1;
        while chars
            .get(end)
            .is_some_and(|p| matches!(p.1, '*' | '_' | ')' | '"' | '\u{201d}' | '\u{2019}'))
        {
            end += 1;
        }
        if let Some((at, ' ')) = chars.get(end) {
            ends.push(*at);
        }
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> Block {
        Block::Item {
            marker: "•".into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_last_list_after_a_lead_in_ending_with_a_colon() {
        let blocks = vec![
            Block::Paragraph("Why:".into()),
            item("because"),
            Block::Paragraph("Things to try:".into()),
            item("one"),
            item("two"),
            Block::Paragraph("A closing remark.".into()),
        ];
        assert_eq!(instructions(&blocks), Some(blocks[2..5].to_vec()));
        // A list that explains (its lead-in is a sentence) is not an instruction.
        let explaining = vec![Block::Paragraph("Softmax has steps.".into()), item("exp")];
        assert_eq!(instructions(&explaining), None);
        // No list, or a list with nothing before it.
        assert_eq!(instructions(&[Block::Paragraph("Try:".into())]), None);
        assert_eq!(instructions(&[item("x")]), None);
    }

    #[test]
    fn pinned_items_keep_their_first_sentence_when_the_whole_list_does_not_fit() {
        let blocks = vec![
            Block::Paragraph("Watch the cache. Look for:".into()),
            item("**The points fall.** Each bigger model ends lower, e.g. by 0.1 nats."),
            item("Set `a. b` to 2. Then watch."),
            item("One sentence only."),
        ];
        // At 200 columns: lead-in, blank line, three items = 5 rows whole; in 4, cut to
        // first sentences (the lead-in to its last).
        assert_eq!(pinned(&blocks, 200, 5, false), blocks);
        let cut = pinned(&blocks, 200, 4, false);
        let texts: Vec<&str> = cut
            .iter()
            .map(|b| match b {
                Block::Item { text, .. } | Block::Paragraph(text) => text.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(
            texts,
            [
                "Look for:",
                "**The points fall.** \u{2026}",
                "Set `a. b` to 2. \u{2026}",
                "One sentence only."
            ]
        );
        assert_eq!(
            first_sentence("Try e.g. this. And that."),
            "Try e.g. this. \u{2026}"
        );
    }
}
