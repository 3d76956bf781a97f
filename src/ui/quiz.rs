//! The checkpoint panel: a question, its choices or an answer box, and the feedback.

use crate::app::quiz::{Feedback, QuizState};
use crate::course::prose::{self, Block, Emph};
use crate::course::QuizKind;
use crate::progress::AnswerRecord;
use crate::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Rows a wrapped message takes at this width.
pub fn wrapped_rows(text: &str, width: u16) -> u16 {
    let lines = prose::layout(
        &[Block::Paragraph(text.to_string())],
        usize::from(width),
        true,
    );
    u16::try_from(lines.len()).unwrap_or(u16::MAX)
}

fn wrapped<'a>(text: &str, width: u16, ascii: bool, style: Style, theme: &Theme) -> Vec<Line<'a>> {
    prose::layout(
        &[Block::Paragraph(text.to_string())],
        usize::from(width),
        ascii,
    )
    .into_iter()
    .map(|l| {
        Line::from(
            l.spans
                .into_iter()
                .map(|(s, e)| Span::styled(s, if e == Emph::Code { theme.code } else { style }))
                .collect::<Vec<_>>(),
        )
    })
    .collect()
}

/// The panel's lines for the current state. `record` is what the learner answered before.
pub fn lines<'a>(
    q: &QuizState,
    width: u16,
    theme: &Theme,
    record: Option<AnswerRecord>,
    focused: bool,
) -> Vec<Line<'a>> {
    let ascii = theme.ascii;
    let mut out = wrapped(&q.quiz.question, width, ascii, theme.bold, theme);
    out.push(Line::default());
    let hint = match &q.quiz.kind {
        QuizKind::Choice { choices, .. } => {
            for (i, choice) in choices.iter().enumerate() {
                let selected = i == q.selected;
                let marker = match (selected, ascii) {
                    (true, true) => "> ",
                    (true, false) => "▸ ",
                    _ => "  ",
                };
                let prefix = format!("{marker}{}. ", i + 1);
                let style = if selected && focused {
                    theme.selected
                } else if selected {
                    theme.bold
                } else {
                    theme.text
                };
                let body = wrapped(
                    choice,
                    width.saturating_sub(prefix.chars().count() as u16),
                    ascii,
                    style,
                    theme,
                );
                for (j, mut line) in body.into_iter().enumerate() {
                    let lead = if j == 0 {
                        prefix.clone()
                    } else {
                        " ".repeat(prefix.chars().count())
                    };
                    line.spans.insert(
                        0,
                        Span::styled(lead, if selected { theme.bold } else { theme.text }),
                    );
                    out.push(line);
                }
            }
            if ascii {
                "Up/Down or 1-9 choose, Enter answers"
            } else {
                "↑/↓ or 1–9 choose · Enter answers"
            }
        }
        QuizKind::Numeric { precision, .. } => {
            let cursor = if focused {
                if ascii {
                    "_"
                } else {
                    "▏"
                }
            } else {
                ""
            };
            out.push(Line::from(vec![
                Span::styled("Your answer: ", theme.bold),
                Span::styled(format!("{}{cursor}", q.input), theme.selected),
            ]));
            // The one rule for numbers: how precise to be, said under the box.
            let how = match precision {
                crate::course::precision::Precision::Whole => "as a whole number".to_string(),
                p => p.to_string(),
            };
            out.push(Line::from(Span::styled(
                format!("(answer {how})"),
                theme.dim,
            )));
            "type a number · Enter answers · Esc leaves"
        }
    };
    out.push(Line::default());
    // Only what earlier visits recorded: this visit's answers show as feedback below.
    let before = match record.filter(|r| r.attempts > q.tries) {
        Some(r) if r.correct => {
            if ascii {
                "  (answered before: right)"
            } else {
                "  (answered before: ✓)"
            }
        }
        Some(_) => "  (tried before)",
        None => "",
    };
    let hint_text = if focused {
        format!("{hint}{before}")
    } else {
        format!("Tab here to answer{before}")
    };
    out.push(Line::from(Span::styled(hint_text, theme.dim)));
    match q.feedback {
        Some(Feedback::Correct) => out.push(Line::from(Span::styled(
            if ascii { "[ok] Right." } else { "✓ Right." },
            theme.good,
        ))),
        Some(Feedback::Wrong) => {
            let text = if q.show_explanation() {
                "Not quite. Here is the reasoning:"
            } else {
                "Not quite: try another answer."
            };
            let mark = if ascii { "[x] " } else { "✗ " };
            out.push(Line::from(Span::styled(format!("{mark}{text}"), theme.bad)));
        }
        Some(Feedback::Refused(c)) => out.push(Line::from(Span::styled(
            format!("'{c}' cannot be part of a number: digits, . or , and / for a fraction."),
            theme.bad,
        ))),
        Some(Feedback::PasteRefused) => out.push(Line::from(Span::styled(
            "That paste is not a number: none of it was typed.",
            theme.bad,
        ))),
        Some(Feedback::NotANumber) => out.push(Line::from(Span::styled(
            "That is not a number: try 7.39, 7,39, 1/20 or 5.9e23.",
            theme.bad,
        ))),
        None => {}
    }
    if q.show_explanation() {
        out.extend(wrapped(&q.quiz.explain, width, ascii, theme.text, theme));
    }
    out
}

/// Rows the panel needs in its current state.
pub fn height(q: &QuizState, width: u16, ascii: bool) -> u16 {
    let theme = Theme::new(true, ascii);
    u16::try_from(lines(q, width, &theme, None, true).len()).unwrap_or(u16::MAX)
}

/// Rows the panel needs at its tallest: answered, with the explanation showing.
pub fn max_height(q: &QuizState, width: u16, ascii: bool) -> u16 {
    let mut answered = q.clone();
    answered.feedback = Some(Feedback::Wrong);
    answered.misses = 2;
    height(&answered, width, ascii)
}

pub fn render(
    q: &QuizState,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    record: Option<AnswerRecord>,
    focused: bool,
) {
    Paragraph::new(lines(q, area.width, theme, record, focused)).render(area, buf);
}
