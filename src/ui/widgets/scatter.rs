//! A point plot on ratatui's `Canvas` with Braille dots (2×4 dots a cell, so thousands of points
//! fit a small panel; plain `.` in ASCII mode); marked points get a marker and a label.
//!
//! A terminal cell is about twice as tall as it is wide, so a Braille dot (half a cell wide, a
//! quarter of a cell tall) is about square. A plot of vectors asks for equal aspect: one unit
//! spans the same number of dots across and up, so a unit vector is as long along x as along y
//! and 45° is drawn as 45°. The plot is then only as wide as that needs.

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

    /// Rows the plot can put to use beyond its natural height at `width`: it grows until it
    /// is about as tall as it is wide.
    pub fn max_growth(&self, width: u16) -> u16 {
        (width / 2).saturating_sub(self.view.rows)
    }

    pub fn width(&self) -> u16 {
        60
    }
}

/// Widens the smaller of two spans about its centre so that both give the same units per dot
/// over `dots` = (across, up) dots: the mapping of ratatui's canvas, which puts the low bound
/// on the first dot and the high bound on the last.
fn equalize(x: [f64; 2], y: [f64; 2], dots: (f64, f64)) -> ([f64; 2], [f64; 2]) {
    let per_dot =
        ((x[1] - x[0]) / (dots.0 - 1.0).max(1.0)).max((y[1] - y[0]) / (dots.1 - 1.0).max(1.0));
    let widen = |b: [f64; 2], n: f64| {
        let half = per_dot * (n - 1.0).max(1.0) / 2.0;
        let mid = (b[0] + b[1]) / 2.0;
        [mid - half, mid + half]
    };
    (widen(x, dots.0), widen(y, dots.1))
}

/// Cells across an equal-aspect plot `rows` tall needs for a box `x` by `y`, at most `width`.
// The ratio is finite and positive, and the result is clamped to `width`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn equal_aspect_width(x: [f64; 2], y: [f64; 2], rows: u16, width: u16) -> u16 {
    let up = f64::from(rows) * 4.0 - 1.0;
    let across = (x[1] - x[0]) / (y[1] - y[0]) * up + 1.0;
    let cells = (across / 2.0).ceil();
    if cells.is_finite() {
        (cells.max(1.0) as u64).min(u64::from(width)) as u16
    } else {
        width
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
        // The plot takes every row it is given: `render_view` hands growing parts the spare rows.
        let rows = area.bottom().saturating_sub(top);
        if rows == 0 {
            return;
        }
        let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let points: Vec<(f64, f64)> = v.points.iter().copied().filter(finite).collect();
        let marks: Vec<&(f64, f64, String)> = v
            .marks
            .iter()
            .filter(|m| m.0.is_finite() && m.1.is_finite())
            .collect();
        let extent = v
            .extent
            .iter()
            .flat_map(|(x, y)| [(x[0], y[0]), (x[1], y[1])]);
        let Some((x_bounds, y_bounds)) = bounds(
            points
                .iter()
                .copied()
                .chain(marks.iter().map(|m| (m.0, m.1)))
                .chain(extent),
        ) else {
            return;
        };
        let (plot, x_bounds, y_bounds) = if v.equal_aspect {
            let w = equal_aspect_width(x_bounds, y_bounds, rows, area.width);
            let (x, y) = equalize(
                x_bounds,
                y_bounds,
                (f64::from(w) * 2.0, f64::from(rows) * 4.0),
            );
            (Rect::new(area.x, top, w, rows), x, y)
        } else {
            (Rect::new(area.x, top, area.width, rows), x_bounds, y_bounds)
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
            equal_aspect: false,
            extent: None,
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

    /// Every Braille dot drawn in `buf`, as (column, row) in dots.
    fn dots(buf: &Buffer) -> Vec<(u32, u32)> {
        // Bit of each dot of a Braille cell, by (column, row) within the cell.
        const BITS: [(u32, u32, u32); 8] = [
            (0, 0, 0x01),
            (0, 1, 0x02),
            (0, 2, 0x04),
            (1, 0, 0x08),
            (1, 1, 0x10),
            (1, 2, 0x20),
            (0, 3, 0x40),
            (1, 3, 0x80),
        ];
        let mut out = Vec::new();
        let a = buf.area;
        for y in a.top()..a.bottom() {
            for x in a.left()..a.right() {
                let Some(c) = buf[(x, y)].symbol().chars().next() else {
                    continue;
                };
                let code = u32::from(c);
                if !(0x2800..=0x28FF).contains(&code) {
                    continue;
                }
                for (dx, dy, bit) in BITS {
                    if (code - 0x2800) & bit != 0 {
                        out.push((u32::from(x) * 2 + dx, u32::from(y) * 4 + dy));
                    }
                }
            }
        }
        out
    }

    /// Dots spanned across and up by a line drawn from the origin to `end`.
    fn drawn_span(end: (f64, f64), equal_aspect: bool, w: u16, h: u16) -> (u32, u32) {
        let view = ScatterView {
            title: String::new(),
            points: (0..=100)
                .map(|i| (end.0 * f64::from(i) / 100.0, end.1 * f64::from(i) / 100.0))
                .collect(),
            marks: vec![],
            rows: h,
            equal_aspect,
            extent: Some(([-2.0, 2.0], [-2.0, 2.0])),
        };
        let theme = Theme::new(false, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        ScatterWidget {
            view: &view,
            theme: &theme,
        }
        .render(buf.area, &mut buf);
        let d = dots(&buf);
        let span = |f: fn(&(u32, u32)) -> u32| {
            d.iter().map(f).max().unwrap_or(0) - d.iter().map(f).min().unwrap_or(0)
        };
        (span(|p| p.0), span(|p| p.1))
    }

    #[test]
    fn equal_aspect_draws_a_unit_vector_as_long_across_as_up() {
        for (w, h) in [(60, 6), (60, 12), (30, 20), (76, 9)] {
            let (across, _) = drawn_span((1.0, 0.0), true, w, h);
            let (_, up) = drawn_span((0.0, 1.0), true, w, h);
            assert!(
                across.abs_diff(up) <= 1,
                "{w}x{h}: {across} across, {up} up"
            );
            // The box of 4 units takes the 4h dots up or the 2w across, whichever is fewer,
            // so a unit is a quarter of that (30x20: 60 dots across, 15 a unit).
            let unit = (4 * u32::from(h)).min(2 * u32::from(w)) / 4;
            assert!(up + 1 >= unit, "{w}x{h}: {up} against {unit}");
        }
        // Without it, a 60x6 plot stretches x: 119 dots for 4 units across, 23 up.
        let (across, _) = drawn_span((1.0, 0.0), false, 60, 6);
        let (_, up) = drawn_span((0.0, 1.0), false, 60, 6);
        assert!(across > 4 * up, "{across} across, {up} up");
    }

    #[test]
    fn empty_and_tiny_areas_do_not_panic() {
        let view = ScatterView {
            title: "t".into(),
            points: vec![(f64::NAN, 1.0)],
            marks: vec![],
            rows: 4,
            equal_aspect: false,
            extent: None,
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
