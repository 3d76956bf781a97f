//! What draws over the lesson: the `?` key overlay and the start-up notices.

use super::{layout, pane, theme::Theme};
use crate::app::App;
use crate::keymap::{self, Context};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The `?` overlay: the keys that work everywhere and those for where the learner is, from
/// the key table.
pub(super) fn render_help(context: Context, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let rows = keymap::help_rows(context);
    let label = |text: &str| {
        if theme.ascii {
            keymap::ascii_label(text)
        } else {
            text.to_string()
        }
    };
    let key_w = rows
        .iter()
        .map(|b| label(b.label).width())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = Vec::new();
    let mut last = None;
    for b in rows {
        if last != Some(b.context) {
            if last.is_some() {
                lines.push(Line::default());
            }
            let heading = match b.context {
                Context::Everywhere => "Everywhere".to_string(),
                here => format!("Here ({})", here.name()),
            };
            lines.push(Line::from(Span::styled(heading, theme.heading)));
            last = Some(b.context);
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:<key_w$}  ", label(b.label)), theme.key),
            Span::raw(label(b.help)),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "The mouse wheel scrolls the prose. ? or Esc closes.",
        theme.dim,
    )));
    // On a short screen the blank separators go first, so every key still shows.
    if lines.len() + 2 > usize::from(area.height) {
        lines.retain(|l| l.width() > 0);
    }
    let w = 76;
    let rect = centered(area, w, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    let block = pane("Keys", true, theme);
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// Start-up notices in a box as tall as their text, just above the status line and as wide
/// as the prose, so the lesson stays in view; the key to close it sits in the bottom border.
pub(super) fn render_notices(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(76);
    let text_width = usize::from(width.saturating_sub(4)).max(1);
    // Plain wrapping: a notice may hold a path, whose `_` or `*` is not emphasis.
    let lines: Vec<String> = app
        .notices()
        .iter()
        .flat_map(|n| {
            let n = if theme.ascii {
                crate::text::ascii::fold(n).into_owned()
            } else {
                n.clone()
            };
            textwrap::wrap(&n, text_width)
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    // Header and status line stay visible.
    let height = rows.saturating_add(2).min(area.height.saturating_sub(2));
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.bottom().saturating_sub(1 + height),
        width,
        height,
    );
    Clear.render(rect, buf);
    let block = pane("Note", true, theme)
        .title_bottom(Line::from(" any key to continue ").alignment(Alignment::Right));
    block.render(rect, buf);
    let text = layout::inner(rect);
    for (row, line) in lines.iter().take(usize::from(text.height)).enumerate() {
        let y = text.y + row as u16;
        buf.set_stringn(text.x, y, line, usize::from(text.width), theme.text);
    }
}
