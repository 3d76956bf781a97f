//! The lesson picker overlay: what was typed, then the matching lessons under their parts,
//! each with a done mark and its first-try score, the highlighted one kept in view.

use crate::app::picker::Picker;
use crate::app::App;
use crate::progress::record::Record;
use crate::ui::theme::Theme;
use crate::ui::{centered, fit, pane};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

/// Widest the overlay grows: a title and its score stay close enough to read across.
const MAX_WIDTH: u16 = 72;

pub fn render(app: &App, picker: &Picker, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(MAX_WIDTH),
        area.height.saturating_sub(2),
    );
    Clear.render(rect, buf);
    let block = pane("Lessons", true, theme);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let room = usize::from(inner.width);
    let course = app.course();
    let matches = picker.matches(course);
    let cursor = if theme.ascii { "_" } else { "▏" };
    let dot = if theme.ascii { "-" } else { "·" };
    let mut head = vec![
        Line::from(vec![
            Span::styled("Find: ", theme.bold),
            Span::styled(format!("{}{cursor}", picker.query), theme.selected),
        ]),
        Line::from(Span::styled(
            fit(
                &format!(
                    "{} of {} lessons {dot} {} done {dot} n/m = right at first try",
                    matches.len(),
                    course.lessons.len(),
                    if theme.ascii { "[x]" } else { "✓" }
                ),
                room,
                theme.ascii,
            ),
            theme.dim,
        )),
    ];
    let mut list: Vec<Line> = Vec::new();
    let mut cursor_line = 0;
    let mut part_shown = None;
    for (at, &li) in matches.iter().enumerate() {
        let lesson = &course.lessons[li];
        if part_shown != Some(lesson.part) {
            if part_shown.is_some() {
                list.push(Line::default());
            }
            let part = course.parts.get(lesson.part).map_or("", String::as_str);
            list.push(Line::from(Span::styled(
                fit(part, room, theme.ascii),
                theme.heading,
            )));
            part_shown = Some(lesson.part);
        }
        let record = Record::of(lesson, app.progress().lesson(&lesson.slug));
        let here = li == app.position().0;
        let highlighted = at == picker.cursor;
        if highlighted {
            cursor_line = list.len();
        }
        let mark = match (record.done(), theme.ascii) {
            (true, true) => "[x]",
            (true, false) => " ✓ ",
            (false, true) => "[ ]",
            (false, false) => " · ",
        };
        let pointer = match (highlighted, theme.ascii) {
            (true, true) => ">",
            (true, false) => "▸",
            _ => " ",
        };
        let score = if record.questions == 0 {
            String::new()
        } else {
            format!(" {}/{}", record.first_try, record.questions)
        };
        let here_note = if here { " (open)" } else { "" };
        let name_room = room.saturating_sub(6 + score.width() + here_note.width());
        let name = fit(
            &format!("{} {}", lesson.number, lesson.title),
            name_room,
            theme.ascii,
        );
        let pad = room.saturating_sub(6 + name.width() + here_note.width() + score.width());
        let style = if highlighted {
            theme.selected
        } else if here {
            theme.bold
        } else {
            theme.text
        };
        list.push(Line::from(vec![
            Span::styled(format!("{pointer} "), theme.bold),
            Span::styled(mark, if record.done() { theme.good } else { theme.dim }),
            Span::raw(" "),
            Span::styled(format!("{name}{here_note}"), style),
            Span::raw(" ".repeat(pad)),
            Span::styled(score, theme.dim),
        ]));
    }
    if matches.is_empty() {
        list.push(Line::from(Span::styled(
            "No lesson matches: Backspace to widen the search.",
            theme.dim,
        )));
    }
    head.push(Line::default());
    let rows = usize::from(inner.height).saturating_sub(head.len());
    // Keep the highlight in view, with its part heading when it fits.
    let skip = cursor_line.saturating_sub(rows.saturating_sub(1));
    head.extend(list.into_iter().skip(skip).take(rows));
    Paragraph::new(head).render(inner, buf);
}
