//! A point plot on ratatui's `Canvas` with Braille dots (2×4 dots a cell, so thousands of points
//! fit a small panel; plain `.` in ASCII mode); marked points get a marker and a label.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Points};
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

/// The smallest box holding every point, never zero wide or tall.
fn bounds(points: impl Iterator<Item = (f64, f64)>) -> Option<([f64; 2], [f64; 2])> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    let mut any = false;
    for (x, y) in points {
        any = true;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    any.then(|| ([x0, x1.max(x0 + 1e-12)], [y0, y1.max(y0 + 1e-12)]))
}

fn is_braille(symbol: &str) -> bool {
    symbol
        .chars()
        .next()
        .is_some_and(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
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
        let rows = v.rows.min(area.bottom().saturating_sub(top));
        if rows == 0 {
            return;
        }
        let plot = Rect::new(area.x, top, area.width, rows);
        let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let points: Vec<(f64, f64)> = v.points.iter().copied().filter(finite).collect();
        let marks: Vec<&(f64, f64, String)> = v
            .marks
            .iter()
            .filter(|m| m.0.is_finite() && m.1.is_finite())
            .collect();
        let Some((x_bounds, y_bounds)) = bounds(
            points
                .iter()
                .copied()
                .chain(marks.iter().map(|m| (m.0, m.1))),
        ) else {
            return;
        };
        let marker = if t.ascii { "*" } else { "●" };
        Canvas::default()
            .marker(Marker::Braille)
            .x_bounds(x_bounds)
            .y_bounds(y_bounds)
            .paint(|ctx| {
                ctx.draw(&Points {
                    coords: &points,
                    color: t.dim.fg.unwrap_or(Color::Reset),
                });
                ctx.layer();
                for (x, y, label) in &marks {
                    ctx.print(
                        *x,
                        *y,
                        Line::from(vec![
                            Span::styled(marker, t.highlight_soft),
                            Span::styled(label.clone(), t.bold),
                        ]),
                    );
                }
            })
            .render(plot, buf);
        // Dots take the theme's dim style (colour is not the only signal), and `.` in ASCII.
        for y in plot.top()..plot.bottom() {
            for x in plot.left()..plot.right() {
                let cell = &mut buf[(x, y)];
                if is_braille(cell.symbol()) {
                    if t.ascii {
                        cell.set_char('.');
                    }
                    cell.set_style(t.dim);
                }
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
