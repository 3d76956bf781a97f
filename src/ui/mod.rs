//! Drawing: every function here reads the app's state and writes into a ratatui `Buffer`.
//! Nothing is computed here that the state could hold: prose is already wrapped, views are
//! already computed.

mod overlay;
pub mod picker;
pub mod quiz;
pub mod theme;
pub mod widgets;

pub(crate) use overlay::centered;
use overlay::{render_help, render_notices};

use crate::app::layout::Measure;
use crate::app::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use crate::app::panel::PanelState;
use crate::app::quiz::QuizState;
use crate::app::{App, Focus, Options};
use crate::course::prose::Emph;
use crate::keymap::{self, Context};
use crate::viz::view::View;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use theme::Theme;
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

/// What the app is given to measure panels with: the drawing code's own heights.
struct DrawnHeights;

impl Measure for DrawnHeights {
    fn view_rows(&self, view: &View, width: u16) -> u16 {
        widgets::view_height(view, width)
    }
    fn quiz_rows(&self, quiz: &QuizState, width: u16, ascii: bool) -> u16 {
        self::quiz::height(quiz, width, ascii)
    }
    fn text_rows(&self, text: &str, width: u16) -> u16 {
        self::quiz::wrapped_rows(text, width)
    }
}

/// The app's options for a screen drawn by this module: `ascii` and the heights it draws.
pub fn options(ascii: bool) -> Options {
    Options {
        ascii,
        measure: &DrawnHeights,
    }
}

/// Box-drawing characters, or plain ASCII ones for `--ascii`.
const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// A bordered box whose focus shows by a marker in its title as well as by style.
pub(crate) fn pane<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    let marker = match (focused, theme.ascii) {
        (true, true) => "> ",
        (true, false) => "▶ ",
        _ => "",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(
            format!(" {marker}{title} "),
            if focused {
                theme.border_focused
            } else {
                theme.bold
            },
        ));
    if theme.ascii {
        block.border_set(ASCII_BORDER)
    } else {
        block
    }
}

/// Draws the whole screen.
pub fn render(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let areas = app.areas();
    if areas.too_small {
        let msg = format!(
            "Please enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{}). q quits.",
            area.width, area.height
        );
        let y = area.y + area.height / 2;
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .alignment(Alignment::Center)
            .render(
                Rect::new(
                    area.x,
                    y.saturating_sub(1),
                    area.width,
                    area.height.saturating_sub(y.saturating_sub(1) - area.y),
                ),
                buf,
            );
        return;
    }
    if areas.zoomed {
        render_zoomed(app, &areas, buf, theme);
    } else {
        render_header(app, areas.header, buf, theme);
        if let Some(outline) = areas.outline {
            render_outline(app, outline, buf, theme);
        }
        if areas.prose.height > 0 {
            render_prose(app, areas.prose, buf, theme);
        }
        if let Some(panel) = areas.panel {
            render_panel(app, panel, buf, theme);
        }
    }
    if !areas.zoomed {
        render_status(app, areas.status, buf, theme);
    }
    if let Some(p) = app.picker() {
        picker::render(app, p, area, buf, theme);
    }
    if app.help_open() {
        render_help(Context::of(app), area, buf, theme);
    }
    if !app.notices().is_empty() {
        render_notices(app, area, buf, theme);
    }
    if theme.ascii {
        fold_to_ascii(buf, area);
    }
}

/// The last word on `--ascii`: text was spelled in ASCII before layout (`crate::text::ascii::fold`),
/// and any glyph still on screen (a border, a block, a shape, a character a lesson quotes)
/// becomes a one-column look-alike here, so the layout is unchanged and the output is 7-bit.
fn fold_to_ascii(buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            if cell.symbol().is_ascii() {
                continue;
            }
            let mut chars = cell.symbol().chars();
            let plain = match (chars.next(), chars.next()) {
                (Some(c), None) => crate::text::ascii::fold_char(c),
                _ => '?',
            };
            cell.set_char(plain);
        }
    }
}

/// Text as the theme can draw it: spelled in ASCII for `--ascii`.
fn plain(text: String, theme: &Theme) -> String {
    if theme.ascii {
        crate::text::ascii::fold(&text).into_owned()
    } else {
        text
    }
}

/// Cuts `text` to `width` display columns, ending with `…` (or `~` in ASCII) when cut.
pub fn fit(text: &str, width: usize, ascii: bool) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mark = if ascii { "~" } else { "…" };
    let (cut, _) = text.unicode_truncate(width - 1);
    format!("{cut}{mark}")
}

fn render_header(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let lesson = app.lesson();
    let right = format!(" step {}/{} ", app.position().1 + 1, lesson.steps.len());
    let dot = if theme.ascii { "-" } else { "·" };
    let left = format!(
        " llmf {dot} {} {} {dot} {}",
        lesson.number,
        lesson.title,
        app.current_step().title
    );
    let left = plain(left, theme);
    let room = usize::from(area.width).saturating_sub(right.width() + 1);
    buf.set_style(area, theme.status);
    buf.set_stringn(
        area.x,
        area.y,
        fit(&left, room, theme.ascii),
        room,
        theme.status,
    );
    let x = area.x + area.width - right.width() as u16;
    buf.set_string(x, area.y, &right, theme.status);
}

fn render_outline(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let focused = app.focus() == Focus::Outline;
    let block = pane("Course", focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor_line = 0;
    for (pi, part) in app.course().parts.iter().enumerate() {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        let room = usize::from(inner.width);
        lines.push(Line::from(Span::styled(
            fit(part, room, theme.ascii),
            theme.heading,
        )));
        for (li, lesson) in app
            .course()
            .lessons
            .iter()
            .enumerate()
            .filter(|(_, l)| l.part == pi)
        {
            let done = crate::progress::record::Record::is_done(
                lesson,
                app.progress().lesson(&lesson.slug),
            );
            let mark = match (done, theme.ascii) {
                (true, true) => "[x] ",
                (true, false) => " ✓ ",
                (false, true) => "[ ] ",
                (false, false) => " · ",
            };
            let here = li == app.position().0;
            let pointer = match (here, theme.ascii) {
                (true, true) => ">",
                (true, false) => "▶",
                _ => " ",
            };
            let mut style = if here { theme.bold } else { theme.text };
            if focused && li == app.outline_cursor() {
                style = theme.selected;
                cursor_line = lines.len();
            }
            lines.push(Line::from(vec![
                Span::styled(pointer, theme.bold),
                Span::styled(mark, if done { theme.good } else { theme.dim }),
                Span::styled(
                    outline_name(app.course(), li, room.saturating_sub(5), theme.ascii),
                    style,
                ),
            ]));
        }
    }
    // Keep the cursor in view on short terminals.
    let skip = cursor_line.saturating_sub(usize::from(inner.height).saturating_sub(1));
    let visible: Vec<Line> = lines.into_iter().skip(skip).collect();
    Paragraph::new(visible).render(inner, buf);
}

/// A lesson's name in the outline: its number and title, cut to fit. When the cut title
/// would read the same as another lesson's (two titles that start "From embeddings to"), the
/// lesson's slug stands in for it, so no two rows look alike.
fn outline_name(course: &crate::course::Course, index: usize, width: usize, ascii: bool) -> String {
    let cut = |l: &crate::course::Lesson| {
        fit(&l.title, width.saturating_sub(l.number.width() + 1), ascii)
    };
    let lesson = &course.lessons[index];
    let mine = cut(lesson);
    let clash = mine != lesson.title
        && course
            .lessons
            .iter()
            .enumerate()
            .any(|(i, l)| i != index && cut(l) == mine);
    let name = if clash {
        lesson.slug.replace('-', " ")
    } else {
        lesson.title.clone()
    };
    fit(&format!("{} {name}", lesson.number), width, ascii)
}

fn emph_style(e: Emph, theme: &Theme) -> Style {
    match e {
        Emph::Plain => theme.text,
        Emph::Bold => theme.bold,
        Emph::Italic => theme.italic,
        Emph::Code | Emph::CodeBlock => theme.code,
        Emph::Heading => theme.heading,
        Emph::Quote => theme.italic,
        Emph::Marker => theme.dim,
    }
}

fn render_prose(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let focused = app.focus() == Focus::Prose;
    let step = app.current_step();
    let mut block = pane(&step.title, focused, theme);
    // While the panel has the focus in the stacked layout, the box keeps the step's
    // instructions in view instead of wherever the prose was scrolled to.
    let (lines, top) = match app.pinned() {
        Some(pinned) => (pinned, 0),
        None => (app.prose(), usize::from(app.prose_scroll())),
    };
    let total = lines.len();
    let height = usize::from(layout::inner(area).height);
    let shown = format!(" {}-{} of {total}", top + 1, (top + height).min(total));
    if app.pinned().is_some() {
        let cut = if total > height { shown } else { String::new() };
        block = block.title_bottom(
            Line::from(format!("{cut} what to try · Tab: all the prose "))
                .alignment(Alignment::Right),
        );
    } else if total > height {
        let more = if top + height < total {
            if theme.ascii {
                " v more "
            } else {
                " ↓ more "
            }
        } else {
            " end "
        };
        block =
            block.title_bottom(Line::from(format!("{shown}{more}")).alignment(Alignment::Right));
    }
    block.render(area, buf);
    let text = layout::inner(area);
    for (row, line) in lines.iter().skip(top).take(height).enumerate() {
        let y = text.y + row as u16;
        let mut x = text.x;
        for (s, e) in &line.spans {
            let room = usize::from(text.right().saturating_sub(x));
            if room == 0 {
                break;
            }
            let (nx, _) = buf.set_stringn(x, y, s, room, emph_style(*e, theme));
            x = nx;
        }
    }
}

/// The zoomed screen: the header row holds the picked control (↑↓ pick another, ←→ change
/// it, as unzoomed) and, on its right, where the zoom is and the keys back; one page of the
/// visualizer fills every other row. A question or a message keeps its box on the body.
fn render_zoomed(app: &App, areas: &layout::Areas, buf: &mut Buffer, theme: &Theme) {
    let Some(body) = areas.panel else {
        return;
    };
    let header = areas.header;
    let dot = if theme.ascii { "-" } else { "·" };
    let PanelState::Viz(v) = app.panel() else {
        buf.set_style(header, theme.status);
        let right = format!(" zoom {dot} z back ");
        buf.set_string(header.x, header.y, " Checkpoint", theme.status);
        let x = header
            .right()
            .saturating_sub(u16::try_from(right.width()).unwrap_or(0));
        buf.set_string(x, header.y, &right, theme.status);
        render_panel(app, body, buf, theme);
        return;
    };
    let view = v.view();
    let pages = view.zoom_parts().len().max(1);
    let page = app.zoom_part().min(pages - 1) + 1;
    let n = view.controls.len();
    let arrows = if theme.ascii { "up/down" } else { "↑↓" };
    let mut right = String::from(" ");
    if n > 1 {
        right.push_str(&format!(
            "{arrows} {}/{n} {dot} ",
            view.selected_control.min(n - 1) + 1
        ));
    }
    if pages > 1 {
        right.push_str(&format!("[ ] part {page}/{pages} {dot} "));
    }
    right.push_str("z back ");
    let right_w = u16::try_from(right.width()).unwrap_or(0);
    let left = Rect::new(header.x, header.y, header.width.saturating_sub(right_w), 1);
    if n == 0 {
        let title = plain(format!(" Try it: {}", v.title), theme);
        let room = usize::from(left.width);
        buf.set_stringn(
            left.x,
            left.y,
            fit(&title, room, theme.ascii),
            room,
            theme.bold,
        );
    } else {
        let sel = view.selected_control.min(n - 1);
        widgets::ControlsWidget {
            controls: &view.controls[sel..=sel],
            selected: 0,
            focused: app.focus() == Focus::Panel,
            theme,
        }
        .render(left, buf);
    }
    buf.set_string(left.right(), header.y, &right, theme.status);
    widgets::render_zoomed(view, app.zoom_part(), body, buf, theme);
}

fn render_panel(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let focused = app.focus() == Focus::Panel;
    let title = match app.panel() {
        PanelState::Viz(v) => format!("Try it: {}", v.title),
        PanelState::Quiz(_) => "Checkpoint".to_string(),
        PanelState::Broken(_) => "Visualizer error".to_string(),
        PanelState::None => String::new(),
    };
    let inner = layout::inner(area);
    let rows = app.panel_rows();
    let mut block = pane(&title, focused, theme);
    if rows <= inner.height {
        block.render(area, buf);
        render_panel_content(app, inner, buf, theme, focused);
        return;
    }
    // Taller than its box: draw it whole off screen and show the rows scrolled to, with a
    // counter on the border like the prose has.
    let top = app.panel_scroll();
    let bottom = (top + inner.height).min(rows);
    let more = match (bottom < rows, top > 0) {
        (true, _) => " ] more ",
        (false, true) => " [ back ",
        (false, false) => " ",
    };
    block = block.title_bottom(
        Line::from(format!(" {}-{bottom} of {rows}{more}", top + 1)).alignment(Alignment::Right),
    );
    block.render(area, buf);
    let tall = Rect::new(0, 0, inner.width, rows);
    let mut off = Buffer::empty(tall);
    render_panel_content(app, tall, &mut off, theme, focused);
    for dy in 0..inner.height.min(rows - top) {
        for dx in 0..inner.width {
            buf[(inner.x + dx, inner.y + dy)] = off[(dx, top + dy)].clone();
        }
    }
}

fn render_panel_content(app: &App, inner: Rect, buf: &mut Buffer, theme: &Theme, focused: bool) {
    match app.panel() {
        PanelState::Viz(v) => widgets::render_view(v.view(), inner, buf, theme, focused),
        PanelState::Quiz(q) => {
            let record = app
                .progress()
                .lesson(&app.lesson().slug)
                .and_then(|p| p.answers.get(&q.quiz.id))
                .copied();
            quiz::render(q, inner, buf, theme, record, focused);
        }
        PanelState::Broken(msg) => Paragraph::new(msg.clone())
            .style(theme.bad)
            .wrap(Wrap { trim: true })
            .render(inner, buf),
        PanelState::None => {}
    }
}

fn render_status(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let lesson = app.lesson();
    let dot = if theme.ascii { "-" } else { "·" };
    let place = format!(
        " Lesson {}/{} {dot} step {}/{} ",
        app.position().0 + 1,
        app.course().lessons.len(),
        app.position().1 + 1,
        lesson.steps.len()
    );
    let place = plain(place, theme);
    buf.set_style(area, theme.status);
    let (x, _) = buf.set_stringn(
        area.x,
        area.y,
        &place,
        usize::from(area.width),
        theme.status,
    );
    let room = usize::from(area.right().saturating_sub(x));
    let rest = match app.store_warning().or(app.field_note()) {
        Some(w) => fit(&format!("| {w}"), room, theme.ascii),
        None => {
            // Hints in order of need, from the key table: the focused context's all, then
            // each general one only if it fits whole.
            let (here, general) = keymap::hints(Context::of(app));
            let label = |h: &str| {
                if theme.ascii {
                    keymap::ascii_label(h)
                } else {
                    h.to_string()
                }
            };
            let bar = if theme.ascii { "|" } else { "│" };
            let here: Vec<String> = here.iter().map(|h| label(h)).collect();
            let mut rest = format!("{bar} {}", here.join("  "));
            for hint in general.iter().map(|h| label(h)) {
                if rest.width() + 2 + hint.width() <= room {
                    rest.push_str("  ");
                    rest.push_str(&hint);
                }
            }
            rest
        }
    };
    buf.set_stringn(x, area.y, &rest, room, theme.status);
}

/// The screen as plain text, one line per row, trailing spaces trimmed: what `llmf render`
/// prints and what snapshot tests compare.
pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            line.push_str(symbol);
            skip = symbol.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
