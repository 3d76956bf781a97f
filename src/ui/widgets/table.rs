//! A small table of text cells: model sizes, token ids, a comparison of settings.
//!
//! Columns are as wide as their content so short tables stay compact. When the table is wider
//! than its area, the widest columns give up width first and their cells wrap onto more lines
//! (a figure cut to `1.2 T…` teaches nothing), which keeps narrow columns such as ids and
//! counts whole. Columns whose cells are all numbers are
//! right-aligned so that digits line up. The highlighted row is drawn in reverse video with a
//! `>` marker, so it is found without colour.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{
    next_line, pad_left, pad_right, put, short_ellipsis, style_rect, to_u16, truncate, width, wrap,
};
use crate::ui::theme::Theme;
use crate::viz::view::TableView;

/// Columns between cells.
const GAP: usize = 2;
/// Columns before the first cell, holding the `>` marker of the highlighted row.
const PREFIX: usize = 2;
/// A column is not shrunk below this width (or its content's width, if smaller).
const MIN_COL: usize = 3;

/// Draws a [`TableView`]: title, bold headers, then one line per row.
pub struct TableWidget<'a> {
    pub view: &'a TableView,
    pub theme: &'a Theme,
}

/// Whether a cell reads as a number: `0.25`, `1,308,761`, `41%`, `2.5 GB`, `-3`, `≈7B`, `$12`.
/// Numbers written with separators or units are right-aligned like bare ones, so one column
/// never mixes alignments. A word (`GPT-2`, `n/a`) is not a number.
fn looks_numeric(cell: &str) -> bool {
    let rest = cell.trim_start_matches(['-', '−', '+', '~', '≈', '$', '×']);
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

impl TableWidget<'_> {
    fn ncols(&self) -> usize {
        let v = self.view;
        v.rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(v.headers.len())
    }

    /// Natural width of each column: its widest cell or header.
    fn natural_widths(&self) -> Vec<usize> {
        let v = self.view;
        (0..self.ncols())
            .map(|j| {
                let header = v.headers.get(j).map_or(0, |h| width(h));
                v.rows
                    .iter()
                    .filter_map(|r| r.get(j))
                    .map(|c| width(c))
                    .max()
                    .unwrap_or(0)
                    .max(header)
            })
            .collect()
    }

    /// Whether every non-empty cell of column `j` is a number (then it is right-aligned).
    fn numeric(&self, j: usize) -> bool {
        let mut cells = self
            .view
            .rows
            .iter()
            .filter_map(|r| r.get(j))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .peekable();
        cells.peek().is_some() && cells.all(looks_numeric)
    }

    /// Rows needed at `width`: the title and header lines (when present) and each row's
    /// lines, more than one where a cell wraps.
    pub fn height(&self, width: u16) -> u16 {
        let v = self.view;
        let widths = self.widths_at(width);
        let rows: usize = v.rows.iter().map(|r| row_lines(r, &widths).len()).sum();
        to_u16(usize::from(!v.title.is_empty()) + usize::from(!v.headers.is_empty()) + rows)
    }

    /// Column widths at an area `width` columns wide.
    fn widths_at(&self, width: u16) -> Vec<usize> {
        let mut widths = self.natural_widths();
        fit(&mut widths, usize::from(width).saturating_sub(PREFIX));
        widths
    }

    /// Columns needed to show every cell whole.
    pub fn width(&self) -> u16 {
        let w = self.natural_widths();
        let table = PREFIX + w.iter().sum::<usize>() + GAP * w.len().saturating_sub(1);
        to_u16(table.max(width(&self.view.title)))
    }
}

/// A row's cells wrapped to their columns: one entry per line of the row, each holding every
/// column's piece of text on that line.
fn row_lines(cells: &[String], widths: &[usize]) -> Vec<Vec<String>> {
    let wrapped: Vec<Vec<String>> = widths
        .iter()
        .enumerate()
        .map(|(j, w)| wrap(cells.get(j).map_or("", String::as_str), (*w).max(1)))
        .collect();
    let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    (0..n)
        .map(|i| {
            wrapped
                .iter()
                .map(|c| c.get(i).cloned().unwrap_or_default())
                .collect()
        })
        .collect()
}

/// Shrinks the widest columns, one column at a time, until the table fits in `avail`.
fn fit(widths: &mut [usize], avail: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * w.len().saturating_sub(1);
    while total(widths) > avail {
        let widest = widths
            .iter_mut()
            .filter(|w| **w > MIN_COL)
            .max_by_key(|w| **w);
        match widest {
            Some(w) => *w -= 1,
            None => break,
        }
    }
}

impl Widget for TableWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let v = self.view;
        let t = self.theme;
        let ell = short_ellipsis(t.ascii);
        let widths = self.widths_at(area.width);
        let numeric: Vec<bool> = (0..widths.len()).map(|j| self.numeric(j)).collect();
        let table_w = PREFIX + widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1);

        let cell_text = |j: usize, text: &str| {
            let w = widths.get(j).copied().unwrap_or(0);
            let text = truncate(text, w, ell);
            if numeric.get(j).copied().unwrap_or(false) {
                pad_left(&text, w)
            } else {
                pad_right(&text, w)
            }
        };
        let draw_cells = |buf: &mut Buffer, y: u16, cells: &[String], style| {
            let mut x = area.x.saturating_add(to_u16(PREFIX));
            for (j, w) in widths.iter().enumerate() {
                let text = cells.get(j).map_or("", String::as_str);
                put(buf, area, x, y, &cell_text(j, text), style);
                x = x.saturating_add(to_u16(w + GAP));
            }
        };

        let mut y = area.y;
        if !v.title.is_empty() {
            let ly = next_line(&mut y);
            put(buf, area, area.x, ly, &v.title, t.title);
        }
        if !v.headers.is_empty() {
            let ly = next_line(&mut y);
            draw_cells(buf, ly, &v.headers, t.bold);
        }
        for (i, row) in v.rows.iter().enumerate() {
            for (k, line) in row_lines(row, &widths).iter().enumerate() {
                let ly = next_line(&mut y);
                if ly >= area.bottom() {
                    return;
                }
                if v.highlight == Some(i) {
                    let rect = Rect::new(area.x, ly, to_u16(table_w), 1);
                    style_rect(buf, area, rect, t.selected);
                    if k == 0 {
                        put(buf, area, area.x, ly, ">", t.selected);
                    }
                    draw_cells(buf, ly, line, t.selected);
                } else {
                    draw_cells(buf, ly, line, t.text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
    use ratatui::style::Modifier;

    fn view() -> TableView {
        TableView {
            title: "Models".into(),
            headers: vec!["name".into(), "params".into(), "note".into()],
            rows: vec![
                vec!["GPT-2".into(), "1.5".into(), "2019".into()],
                vec!["GPT-3".into(), "175".into(), "few-shot learning".into()],
                vec!["tiny".into()],
            ],
            highlight: Some(1),
        }
    }

    fn widget<'a>(v: &'a TableView, theme: &'a Theme) -> TableWidget<'a> {
        TableWidget { view: v, theme }
    }

    #[test]
    fn exact_lines_sized_to_content() {
        let theme = Theme::new(false, false);
        let v = view();
        let w = widget(&v, &theme);
        assert_eq!((w.width(), w.height(80)), (34, 5));
        let buf = render(w, 34, 5);
        let expected = Buffer::with_lines([
            "Models                            ",
            "  name   params  note             ",
            "  GPT-2     1.5  2019             ",
            "> GPT-3     175  few-shot learning",
            "  tiny                            ",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    /// Regression: a column of `1,308,761`, `25` and `41%` was left-aligned because the commas
    /// and the unit stopped the cells parsing as numbers, while bare numbers were right-aligned.
    #[test]
    fn numbers_with_separators_or_units_align_right_like_bare_ones() {
        let theme = Theme::new(true, true);
        let v = TableView {
            title: String::new(),
            headers: vec!["what".into(), "value".into()],
            rows: vec![
                vec!["hours".into(), "1,308,761".into()],
                vec!["share".into(), "41%".into()],
                vec!["size".into(), "2.5 GB".into()],
                vec!["n".into(), "25".into()],
            ],
            highlight: None,
        };
        let l: Vec<String> = lines(&render(widget(&v, &theme), 19, 5))
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        assert_eq!(
            &l[1..5],
            [
                "  hours  1,308,761",
                "  share        41%",
                "  size      2.5 GB",
                "  n             25"
            ]
        );
        assert!(looks_numeric("-3") && looks_numeric(".5") && looks_numeric("≈7B"));
        assert!(!looks_numeric("GPT-2") && !looks_numeric("n/a") && !looks_numeric("."));
    }

    #[test]
    fn headers_bold_and_highlight_reversed() {
        let theme = Theme::new(true, true);
        let v = view();
        let buf = render(widget(&v, &theme), 34, 5);
        assert!(buf[(2, 1)].modifier.contains(Modifier::BOLD));
        for x in 0..34 {
            let m = buf[(x, 3)].modifier;
            assert!(m.contains(Modifier::REVERSED | Modifier::BOLD), "x={x}");
        }
        assert!(!buf[(2, 2)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn narrow_area_shrinks_the_widest_column() {
        let theme = Theme::new(true, true);
        let v = view();
        let buf = render(widget(&v, &theme), 26, 6);
        let l = lines(&buf);
        assert_eq!(l[1], "  name   params  note     ");
        // The cut cell wraps onto a line of its own instead of ending in `~`.
        assert_eq!(l[3], "> GPT-3     175  few-shot ");
        assert_eq!(l[4], "                 learning ");
        assert_eq!(widget(&v, &theme).height(26), 6);
        assert!(all_ascii(&buf));
    }

    #[test]
    fn tiny_areas_and_ragged_rows_never_panic_or_overflow() {
        let ragged = TableView {
            title: String::new(),
            headers: vec![],
            rows: vec![vec![], vec!["日本語のテキスト".into(); 7]],
            highlight: Some(5),
        };
        let empty = TableView {
            title: String::new(),
            headers: vec![],
            rows: vec![],
            highlight: None,
        };
        for theme in [Theme::new(false, false), Theme::new(true, true)] {
            for v in [view(), ragged.clone(), empty.clone()] {
                for (w, h) in [(0, 0), (1, 1), (3, 2), (10, 3), (80, 8)] {
                    render_inset(widget(&v, &theme), w, h);
                }
            }
        }
    }
}
