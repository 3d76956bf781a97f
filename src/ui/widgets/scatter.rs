//! A dot canvas: each cell holds 2×4 Braille dots (plain `.` in ASCII mode), so thousands of
//! points fit a small panel; marked points get a marker and a label.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::ui::theme::Theme;
use crate::viz::view::ScatterView;

pub struct ScatterWidget<'a> {
    pub view: &'a ScatterView,
    pub theme: &'a Theme,
}

impl ScatterWidget<'_> {
    pub fn height(&self, _width: u16) -> u16 {
        self.view.rows + u16::from(!self.view.title.is_empty())
    }

    pub fn width(&self) -> u16 {
        60
    }
}

/// The bit of a Braille cell for dot (dx, dy), dx in 0..2, dy in 0..4.
fn braille_bit(dx: usize, dy: usize) -> u32 {
    match (dx, dy) {
        (0, 0) => 0x01,
        (0, 1) => 0x02,
        (0, 2) => 0x04,
        (1, 0) => 0x08,
        (1, 1) => 0x10,
        (1, 2) => 0x20,
        (0, _) => 0x40,
        _ => 0x80,
    }
}

impl Widget for ScatterWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let (v, t) = (self.view, self.theme);
        let mut top = area.y;
        if !v.title.is_empty() {
            buf.set_stringn(area.x, top, &v.title, usize::from(area.width), t.bold);
            top += 1;
        }
        let rows = usize::from(v.rows.min(area.bottom().saturating_sub(top)));
        let cols = usize::from(area.width);
        if rows == 0 {
            return;
        }
        let all = v
            .points
            .iter()
            .copied()
            .chain(v.marks.iter().map(|m| (m.0, m.1)));
        let finite: Vec<(f64, f64)> = all.filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if finite.is_empty() {
            return;
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in &finite {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
        let (w, h) = ((x1 - x0).max(1e-12), (y1 - y0).max(1e-12));
        let (dots_x, dots_y) = (cols * 2, rows * 4);
        let to_dot = |x: f64, y: f64| -> (usize, usize) {
            let dx = (((x - x0) / w) * (dots_x - 1) as f64).round() as usize;
            let dy = (((y1 - y) / h) * (dots_y - 1) as f64).round() as usize;
            (dx.min(dots_x - 1), dy.min(dots_y - 1))
        };
        let mut cells = vec![0u32; rows * cols];
        for &(x, y) in v
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
        {
            let (dx, dy) = to_dot(x, y);
            cells[(dy / 4) * cols + dx / 2] |= braille_bit(dx % 2, dy % 4);
        }
        for (i, bits) in cells.iter().enumerate() {
            if *bits == 0 {
                continue;
            }
            let (cx, cy) = ((i % cols) as u16, (i / cols) as u16);
            let glyph = if t.ascii {
                '.'
            } else {
                char::from_u32(0x2800 + bits).unwrap_or('.')
            };
            buf[(area.x + cx, top + cy)]
                .set_char(glyph)
                .set_style(t.dim);
        }
        for (x, y, label) in v
            .marks
            .iter()
            .filter(|m| m.0.is_finite() && m.1.is_finite())
        {
            let (dx, dy) = to_dot(*x, *y);
            let (cx, cy) = (dx / 2, dy / 4);
            let (px, py) = (area.x + cx as u16, top + cy as u16);
            buf[(px, py)]
                .set_char(if t.ascii { '*' } else { '●' })
                .set_style(t.highlight_soft);
            let room = cols.saturating_sub(cx + 1);
            if room > 0 {
                buf.set_stringn(px + 1, py, label, room, t.bold);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_land_in_corner_cells_and_marks_are_labelled() {
        let view = ScatterView {
            title: String::new(),
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            marks: vec![(0.5, 0.5, "mid".into())],
            rows: 3,
        };
        let theme = Theme::new(true, true);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        ScatterWidget {
            view: &view,
            theme: &theme,
        }
        .render(Rect::new(0, 0, 10, 3), &mut buf);
        assert_eq!(buf[(0, 2)].symbol(), ".");
        assert_eq!(buf[(9, 0)].symbol(), ".");
        let text = crate::ui::buffer_text(&buf);
        assert!(text.contains("*mid"), "{text}");
        let unicode = Theme::new(false, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        ScatterWidget {
            view: &view,
            theme: &unicode,
        }
        .render(Rect::new(0, 0, 10, 3), &mut buf);
        // Bottom-left dot of the bottom-left cell: dot 7 (0x40).
        assert_eq!(buf[(0, 2)].symbol(), "⡀");
    }

    #[test]
    fn empty_and_tiny_areas_do_not_panic() {
        let view = ScatterView {
            title: "t".into(),
            points: vec![(f64::NAN, 1.0)],
            marks: vec![],
            rows: 4,
        };
        let theme = Theme::new(false, false);
        for (w, h) in [(0, 0), (1, 1), (3, 2)] {
            let mut buf = Buffer::empty(Rect::new(0, 0, w.max(1), h.max(1)));
            ScatterWidget {
                view: &view,
                theme: &theme,
            }
            .render(Rect::new(0, 0, w, h), &mut buf);
        }
    }
}
