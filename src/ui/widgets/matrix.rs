//! A labelled numeric matrix, the widget behind "watch A·B being computed".
//!
//! Every column has the same width so that digits line up and the eye can scan down a column.
//! Each value sits in a slot one column wider on each side than the number itself; the two spare
//! columns are the gap between numbers and, for the highlighted cell, hold brackets (`[ 2.0]`),
//! so the selection stays visible without colour and without shifting any other number.
//! The highlighted row gets a `>` before its label and the highlighted column a `v` before its
//! label, again so that a monochrome terminal shows the same thing as a colour one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{
    ellipsis, fmt_value, pad_left, pad_right, put, short_ellipsis, style_rect, to_u16, truncate,
    width,
};
use crate::ui::theme::Theme;
use crate::viz::view::MatrixView;

/// Row labels longer than this are shortened: the numbers are what the learner reads.
const MAX_ROW_LABEL: usize = 16;
/// Column labels longer than this are shortened so one long label cannot widen every column.
const MAX_COL_LABEL: usize = 12;

/// Draws a [`MatrixView`]: title, column labels, then one line per row.
pub struct MatrixWidget<'a> {
    pub view: &'a MatrixView,
    pub theme: &'a Theme,
}

/// Column geometry shared by `width`, `height` and `render`, so they always agree.
struct Layout {
    /// Width of the row-label column (without the marker column before it).
    label_w: usize,
    /// Width of a number, without the bracket columns around it.
    cell_w: usize,
}

impl Layout {
    fn slot_w(&self) -> usize {
        self.cell_w + 2
    }
}

impl MatrixWidget<'_> {
    /// Rows needed: the title (when there is one), the column header and one line per row.
    /// The width does not matter: columns that do not fit are cut, never wrapped.
    pub fn height(&self, _width: u16) -> u16 {
        let title = usize::from(!self.view.title.is_empty());
        to_u16(title + 1 + self.view.values.nrows())
    }

    /// Columns needed to show every column of the matrix.
    pub fn width(&self) -> u16 {
        let l = self.layout();
        let table = 1 + l.label_w + self.view.values.ncols() * l.slot_w();
        to_u16(table.max(width(&self.view.title)))
    }

    fn layout(&self) -> Layout {
        let v = self.view;
        let ascii = self.theme.ascii;
        let label_w = v
            .row_labels
            .iter()
            .take(v.values.nrows())
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            .min(MAX_ROW_LABEL);
        let value_w = v
            .values
            .iter()
            .map(|x| width(&fmt_value(*x, v.decimals, ascii)))
            .max()
            .unwrap_or(1);
        let col_label_w = v
            .col_labels
            .iter()
            .take(v.values.ncols())
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            .min(MAX_COL_LABEL);
        Layout {
            label_w,
            cell_w: value_w.max(col_label_w).max(1),
        }
    }
}

impl Widget for MatrixWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let v = self.view;
        let t = self.theme;
        let ascii = t.ascii;
        let (nrows, ncols) = v.values.dim();
        let mut layout = self.layout();
        let aw = usize::from(area.width);
        let ell = ellipsis(ascii);
        let ell_w = width(ell);

        // Narrow area: give up label width before giving up the first column.
        let need_first = layout.slot_w() + if ncols > 1 { ell_w } else { 0 };
        if 1 + layout.label_w + need_first > aw {
            let room = aw.saturating_sub(1 + need_first);
            layout.label_w = layout.label_w.min(room.max(3));
        }
        let slot_w = layout.slot_w();
        let cell_w = layout.cell_w;
        let avail = aw.saturating_sub(1 + layout.label_w);
        let mut shown_cols = (avail / slot_w).min(ncols);
        let cut_cols = shown_cols < ncols;
        if cut_cols {
            shown_cols = avail.saturating_sub(ell_w) / slot_w;
        }

        let mut y = area.y;
        if !v.title.is_empty() {
            put(buf, area, area.x, y, &v.title, t.title);
            y += 1;
        }
        if y >= area.bottom() {
            return;
        }

        let cell_row = v.cell.map(|(r, _)| r);
        let cell_col = v.cell.map(|(_, c)| c);
        let x_values = area.x + to_u16(1 + layout.label_w);
        let slot_x = |j: usize| x_values.saturating_add(to_u16(j * slot_w));

        // Column header.
        if nrows == 0 && ncols == 0 {
            put(buf, area, area.x, y, "(empty)", t.dim);
            return;
        }
        for j in 0..shown_cols {
            let x = slot_x(j);
            let label = v.col_labels.get(j).map_or("", String::as_str);
            let label = pad_left(&truncate(label, cell_w, short_ellipsis(ascii)), cell_w);
            let soft = v.col == Some(j) || cell_col == Some(j);
            let style = if soft { t.highlight_soft } else { t.bold };
            if v.col == Some(j) {
                put(buf, area, x, y, "v", t.highlight_soft);
            }
            put(buf, area, x + 1, y, &label, style);
        }
        if cut_cols {
            put(buf, area, slot_x(shown_cols), y, ell, t.dim);
        }
        y += 1;

        // Rows; when they do not all fit, the last visible line says so.
        let rows_room = usize::from(area.bottom().saturating_sub(y));
        let (shown_rows, cut_rows) = if nrows > rows_room {
            (rows_room.saturating_sub(1), true)
        } else {
            (nrows, false)
        };
        for i in 0..shown_rows {
            let row_soft = v.row == Some(i);
            let label = v.row_labels.get(i).map_or("", String::as_str);
            let label = pad_right(
                &truncate(label, layout.label_w, short_ellipsis(ascii)),
                layout.label_w,
            );
            let label_style = if row_soft || cell_row == Some(i) {
                t.highlight_soft
            } else {
                t.bold
            };
            if row_soft {
                put(buf, area, area.x, y, ">", t.highlight_soft);
            }
            put(buf, area, area.x + 1, y, &label, label_style);
            for j in 0..shown_cols {
                let x = slot_x(j);
                let text = pad_left(&fmt_value(v.values[(i, j)], v.decimals, ascii), cell_w);
                if v.cell == Some((i, j)) {
                    put(buf, area, x, y, &format!("[{text}]"), t.highlight);
                } else {
                    let style = if row_soft || v.col == Some(j) {
                        t.highlight_soft
                    } else {
                        t.text
                    };
                    put(buf, area, x + 1, y, &text, t.text);
                    if style != t.text {
                        style_rect(buf, area, Rect::new(x + 1, y, to_u16(cell_w), 1), style);
                    }
                }
            }
            if cut_cols {
                put(buf, area, slot_x(shown_cols), y, ell, t.dim);
            }
            y += 1;
        }
        if cut_rows {
            put(buf, area, area.x + 1, y, ell, t.dim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
    use ndarray::{array, Array2};
    use ratatui::style::Modifier;

    fn view() -> MatrixView {
        MatrixView {
            title: "A".into(),
            row_labels: vec!["r0".into(), "row1".into()],
            col_labels: vec!["c0".into(), "c1".into(), "c2".into()],
            values: array![[1.0, 2.0, -3.5], [f64::NAN, f64::NEG_INFINITY, 0.26]],
            decimals: 1,
            cell: None,
            row: None,
            col: None,
        }
    }

    fn draw(v: &MatrixView, theme: &Theme, w: u16, h: u16) -> Buffer {
        render(MatrixWidget { view: v, theme }, w, h)
    }

    #[test]
    fn exact_lines_with_nan_and_inf() {
        let buf = draw(&view(), &Theme::new(false, false), 23, 4);
        let expected = Buffer::with_lines([
            "A                      ",
            "        c0    c1    c2 ",
            " r0    1.0   2.0  -3.5 ",
            " row1    ·    −∞   0.3 ",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    #[test]
    fn ascii_mode_uses_only_ascii() {
        let buf = draw(&view(), &Theme::new(true, true), 23, 4);
        let expected = Buffer::with_lines([
            "A                      ",
            "        c0    c1    c2 ",
            " r0    1.0   2.0  -3.5 ",
            " row1    .  -inf   0.3 ",
        ]);
        assert_eq!(plain(&buf), expected);
        assert!(all_ascii(&buf));
    }

    #[test]
    fn highlights_cell_row_and_col_without_colour() {
        let theme = Theme::new(true, true);
        let mut v = view();
        v.cell = Some((0, 1));
        v.row = Some(1);
        v.col = Some(2);
        let buf = draw(&v, &theme, 23, 4);
        let expected = Buffer::with_lines([
            "A                      ",
            "        c0    c1 v  c2 ",
            " r0    1.0 [ 2.0] -3.5 ",
            ">row1    .  -inf   0.3 ",
        ]);
        assert_eq!(plain(&buf), expected);
        // The highlighted cell, brackets included, is reversed (theme.highlight).
        for x in 11..17 {
            assert!(buf[(x, 2)].modifier.contains(Modifier::REVERSED), "x={x}");
        }
        assert!(!buf[(7, 2)].modifier.contains(Modifier::REVERSED));
        // The highlighted row, label and values, is underlined (theme.highlight_soft).
        assert!(buf[(0, 3)].modifier.contains(Modifier::UNDERLINED));
        assert!(buf[(1, 3)].modifier.contains(Modifier::UNDERLINED));
        assert!(buf[(9, 3)].modifier.contains(Modifier::UNDERLINED));
        assert!(!buf[(9, 2)].modifier.contains(Modifier::UNDERLINED));
        // The highlighted column: header label and values.
        assert!(buf[(21, 1)].modifier.contains(Modifier::UNDERLINED));
        assert!(buf[(21, 2)].modifier.contains(Modifier::UNDERLINED));
        assert!(!buf[(15, 3)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn narrow_area_shows_whole_columns_then_ellipsis() {
        let buf = draw(&view(), &Theme::new(true, true), 17, 4);
        let expected = Buffer::with_lines([
            "A                ",
            "        c0 ...   ",
            " r0    1.0 ...   ",
            " row1    . ...   ",
        ]);
        assert_eq!(plain(&buf), expected);
        let buf = draw(&view(), &Theme::new(false, false), 16, 4);
        assert_eq!(lines(&buf)[2], " r0    1.0 …    ");
    }

    #[test]
    fn too_many_rows_end_with_ellipsis_line() {
        let buf = draw(&view(), &Theme::new(true, true), 23, 3);
        assert_eq!(lines(&buf)[2], " ...                   ");
    }

    #[test]
    fn size_matches_content() {
        let theme = Theme::new(false, false);
        let v = view();
        let w = MatrixWidget {
            view: &v,
            theme: &theme,
        };
        assert_eq!((w.width(), w.height(80)), (23, 4));
    }

    #[test]
    fn odd_data_and_tiny_areas_do_not_panic_or_overflow() {
        let theme = Theme::new(true, true);
        let mut odd = view();
        odd.row_labels = vec![];
        odd.col_labels = vec!["a very long column label".into(); 9];
        odd.cell = Some((99, 99));
        odd.row = Some(50);
        odd.decimals = 500;
        let empty = MatrixView {
            values: Array2::zeros((0, 0)),
            ..view()
        };
        let no_cols = MatrixView {
            values: Array2::zeros((2, 0)),
            ..view()
        };
        for v in [view(), odd, empty, no_cols] {
            for (w, h) in [(0, 0), (1, 1), (3, 2), (5, 1), (40, 10)] {
                let buf = render_inset(
                    MatrixWidget {
                        view: &v,
                        theme: &theme,
                    },
                    w,
                    h,
                );
                assert!(all_ascii(&buf));
            }
        }
    }
}
