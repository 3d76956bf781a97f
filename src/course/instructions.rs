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
}
