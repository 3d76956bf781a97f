//! A matrix drawn as shades — attention weights, similarity tables — where the pattern matters
//! more than any one number.
//!
//! Each cell is two columns wide so it looks roughly square in a terminal. Shades come from a
//! ramp of characters rather than colours (` ░▒▓█`, or ` .:-=+*#%@` in ASCII mode), so the map
//! reads the same on a monochrome terminal; a scale line under the map says which values the
//! lightest and darkest shades stand for. Because the exact value of a shade cannot be read off,
//! the cursor cell's value is printed under the map with its row and column labels.
//!
//! Column labels rarely fit in two columns. When every label is a single character they are
//! written as they are; otherwise the columns are numbered like a ruler (ones digit, plus a tens
//! line past ten columns) and a legend under the map maps numbers to labels. Labels are never
//! written across neighbouring columns, so a label can never be read as belonging to the wrong
//! column.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{
    ellipsis, fmt_readout, next_line, pad_right, put, short_ellipsis, to_u16, truncate, width,
};
use crate::ui::theme::Theme;
use crate::viz::view::HeatmapView;

/// Row labels are shortened to this many columns so the map keeps most of the width.
const MAX_ROW_LABEL: usize = 8;
/// Legend entries are shortened to this many columns.
const MAX_LEGEND_LABEL: usize = 10;
/// The legend of numbered columns takes at most this many lines.
const MAX_LEGEND_LINES: usize = 3;
/// A map on a roomy panel draws each cell this many times larger at most (2k columns by k
/// rows), so a small attention pattern is not a postage stamp at 200x60.
const MAX_ZOOM: usize = 4;

const RAMP_UNICODE: [char; 5] = [' ', '░', '▒', '▓', '█'];
const RAMP_ASCII: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// Draws a [`HeatmapView`]: title, column header, shaded rows, scale, cursor read-out, legend.
pub struct HeatmapWidget<'a> {
    pub view: &'a HeatmapView,
    pub theme: &'a Theme,
}

/// How the column header is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Header {
    /// Every label is at most one column wide: written as is.
    Exact,
    /// Columns numbered from 0; `tens` adds a line of tens digits above the ones.
    Numbered { tens: bool },
}

/// The shade ramp of a theme, lightest first.
fn ramp(ascii: bool) -> &'static [char] {
    if ascii {
        &RAMP_ASCII
    } else {
        &RAMP_UNICODE
    }
}

/// Index into a ramp of `n` shades for `v` scaled between `lo` and `hi`; `None` for NaN.
///
/// `-inf` is the lightest and `+inf` the darkest shade. When `hi <= lo` (a constant matrix)
/// there is no scale to divide by: values equal to it get the middle shade, others the end
/// they lie beyond.
fn shade_index(v: f64, lo: f64, hi: f64, n: usize) -> Option<usize> {
    if v.is_nan() || n == 0 {
        return None;
    }
    let top = n - 1;
    let t = if v == f64::NEG_INFINITY {
        0.0
    } else if v == f64::INFINITY {
        1.0
    } else if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else if v < lo {
        0.0
    } else if v > lo {
        1.0
    } else {
        0.5
    };
    // `t` is in [0, 1], so the product is in [0, top] and the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = (t * top as f64).round() as usize;
    // Only the bottom of the range itself is blank: a small weight never looks like a
    // masked (exactly zero) one.
    let i = if t > 0.0 { i.max(1) } else { i };
    Some(i.min(top))
}

impl HeatmapWidget<'_> {
    /// The values drawn as the lightest and darkest shade: the view's `range` when it is
    /// usable, else the smallest and largest finite values.
    fn range(&self) -> (f64, f64) {
        if let Some((lo, hi)) = self.view.range {
            if lo.is_finite() && hi.is_finite() && lo <= hi {
                return (lo, hi);
            }
        }
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for &v in self.view.values.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            (0.0, 1.0)
        } else {
            (lo, hi)
        }
    }

    fn header(&self) -> Header {
        let ncols = self.view.values.ncols();
        let labels = &self.view.col_labels;
        // Labels that are all empty ask for numbered columns (no legend follows them).
        let unlabelled = labels.iter().take(ncols).all(String::is_empty);
        if !unlabelled && labels.len() >= ncols && labels.iter().take(ncols).all(|l| width(l) <= 1)
        {
            Header::Exact
        } else {
            Header::Numbered { tens: ncols > 10 }
        }
    }

    fn label_w(&self) -> usize {
        self.view
            .row_labels
            .iter()
            .take(self.view.values.nrows())
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            .min(MAX_ROW_LABEL)
    }

    /// Legend lines for numbered columns, wrapped to `width` and cut to [`MAX_LEGEND_LINES`].
    fn legend(&self, width_cols: usize) -> Vec<String> {
        let ncols = self.view.values.ncols();
        let labels = &self.view.col_labels;
        if self.header() == Header::Exact || labels.iter().take(ncols).all(String::is_empty) {
            return Vec::new();
        }
        let ell = short_ellipsis(self.theme.ascii);
        let entries = (0..ncols).map(|j| {
            let label = labels.get(j).map_or("", String::as_str);
            format!("{j}:{}", truncate(label, MAX_LEGEND_LABEL, ell))
        });
        let mut lines: Vec<String> = Vec::new();
        let mut cur = String::new();
        for e in entries {
            if cur.is_empty() {
                cur = e;
            } else if width(&cur) + 2 + width(&e) <= width_cols {
                cur.push_str("  ");
                cur.push_str(&e);
            } else {
                lines.push(std::mem::replace(&mut cur, e));
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        if lines.len() > MAX_LEGEND_LINES {
            lines.truncate(MAX_LEGEND_LINES);
            if let Some(last) = lines.last_mut() {
                let ell = ellipsis(self.theme.ascii);
                let keep = width_cols.saturating_sub(width(ell) + 1);
                *last = format!("{} {ell}", truncate(last, keep, ""));
            }
        }
        lines
    }

    /// Rows needed at `width`: the legend of numbered columns wraps, everything else is fixed.
    pub fn height(&self, width: u16) -> u16 {
        let v = self.view;
        let title = usize::from(!v.title.is_empty());
        let header = match self.header() {
            Header::Exact | Header::Numbered { tens: false } => 1,
            Header::Numbered { tens: true } => 2,
        };
        let scale = usize::from(!v.values.is_empty());
        let readout = usize::from(v.cursor.is_some());
        let legend = self.legend(usize::from(width).saturating_sub(1)).len();
        to_u16(title + header + v.values.nrows() + scale + readout + legend)
    }

    /// The largest zoom whose cells (2k columns each) all fit across `width`.
    fn zoom_across(&self, width: u16) -> usize {
        let ncols = self.view.values.ncols().max(1);
        let avail = usize::from(width).saturating_sub(2 + self.label_w());
        (avail / (2 * ncols)).clamp(1, MAX_ZOOM)
    }

    /// Rows the map can put to use beyond [`Self::height`] at `width`: whole zoom steps.
    pub fn max_growth(&self, width: u16) -> u16 {
        to_u16((self.zoom_across(width) - 1) * self.view.values.nrows())
    }

    /// The zoom for an area: what fits across, and what the rows beyond the natural height
    /// allow (each step of zoom takes one more row per matrix row).
    fn zoom(&self, area: Rect) -> usize {
        let nrows = self.view.values.nrows().max(1);
        let natural = usize::from(self.height(area.width));
        let spare = usize::from(area.height).saturating_sub(natural);
        (1 + spare / nrows).min(self.zoom_across(area.width))
    }

    /// Columns needed to show every column of the map.
    pub fn width(&self) -> u16 {
        let map = 1 + self.label_w() + 1 + 2 * self.view.values.ncols();
        to_u16(map.max(width(&self.view.title)).max(self.scale_width()))
    }

    /// Width of the scale line: ` lo [ramp] hi`.
    fn scale_width(&self) -> usize {
        let (lo, hi) = self.scale_text();
        1 + width(&lo) + 2 + ramp(self.theme.ascii).len() + 2 + width(&hi)
    }

    /// The scale line's two numbers, formatted once for `width` and `render`.
    fn scale_text(&self) -> (String, String) {
        let (lo, hi) = self.range();
        (
            fmt_readout(lo, self.theme.ascii),
            fmt_readout(hi, self.theme.ascii),
        )
    }
}

impl Widget for HeatmapWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.draw(area, buf, false);
    }
}

impl HeatmapWidget<'_> {
    /// Draws the map with its cells as wide as the area allows, whatever its height: a
    /// zoomed panel gives a heatmap the whole width even when its rows cannot grow as much.
    pub fn render_filling(self, area: Rect, buf: &mut Buffer) {
        self.draw(area, buf, true);
    }

    fn draw(self, area: Rect, buf: &mut Buffer, fill: bool) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let v = self.view;
        let t = self.theme;
        let ascii = t.ascii;
        let (nrows, ncols) = v.values.dim();
        let shades = ramp(ascii);
        let (lo, hi) = self.range();
        let aw = usize::from(area.width);
        let ell = ellipsis(ascii);

        // Geometry: marker column, row labels, one space, then two columns per cell.
        let label_w = self.label_w().min(aw.saturating_sub(4));
        let x_map = area.x.saturating_add(to_u16(1 + label_w + 1));
        let avail = usize::from(area.right().saturating_sub(x_map));
        let zoom = self.zoom(area);
        let cell_w = if fill {
            (avail / ncols.max(1)).clamp(2 * zoom, 2 * MAX_ZOOM.max(zoom) * 2)
        } else {
            2 * zoom
        };
        let mut shown_cols = (avail / cell_w).min(ncols);
        let cut_cols = shown_cols < ncols;
        if cut_cols {
            shown_cols = avail.saturating_sub(width(ell)) / cell_w;
        }
        let col_x = |j: usize| x_map.saturating_add(to_u16(cell_w * j));
        let cell_text = |c: char| c.to_string().repeat(cell_w);
        let cursor = v.cursor.filter(|&(r, c)| r < nrows && c < ncols);

        let mut y = area.y;
        if !v.title.is_empty() {
            let ly = next_line(&mut y);
            put(buf, area, area.x, ly, &v.title, t.title);
        }

        // Column header.
        let header = self.header();
        let header_style = |j: usize| {
            if cursor.map(|(_, c)| c) == Some(j) {
                t.highlight_soft
            } else {
                t.dim
            }
        };
        if let Header::Numbered { tens: true } = header {
            let ly = next_line(&mut y);
            for j in (10..shown_cols).step_by(10) {
                put(buf, area, col_x(j), ly, &((j / 10) % 10).to_string(), t.dim);
            }
        }
        let ly = next_line(&mut y);
        for j in 0..shown_cols {
            let text = match header {
                Header::Exact => v.col_labels.get(j).cloned().unwrap_or_default(),
                Header::Numbered { .. } => (j % 10).to_string(),
            };
            put(buf, area, col_x(j), ly, &text, header_style(j));
        }
        if cut_cols {
            put(buf, area, col_x(shown_cols), ly, ell, t.dim);
        }

        // The map: each matrix row drawn `zoom` times, labelled on its first line.
        for i in 0..nrows {
            let on_cursor_row = cursor.map(|(r, _)| r) == Some(i);
            for sub in 0..zoom {
                let ly = next_line(&mut y);
                if ly >= area.bottom() {
                    break;
                }
                if sub == 0 {
                    if on_cursor_row {
                        put(buf, area, area.x, ly, ">", t.highlight_soft);
                    }
                    let label = v.row_labels.get(i).map_or("", String::as_str);
                    let label =
                        pad_right(&truncate(label, label_w, short_ellipsis(ascii)), label_w);
                    let label_style = if on_cursor_row {
                        t.highlight_soft
                    } else {
                        t.dim
                    };
                    put(buf, area, area.x + 1, ly, &label, label_style);
                }
                for j in 0..shown_cols {
                    let shade = shade_index(v.values[(i, j)], lo, hi, shades.len())
                        .and_then(|k| shades.get(k))
                        .copied()
                        .unwrap_or(' ');
                    let style = if cursor == Some((i, j)) {
                        t.highlight
                    } else {
                        t.text
                    };
                    put(buf, area, col_x(j), ly, &cell_text(shade), style);
                }
                if cut_cols {
                    put(buf, area, col_x(shown_cols), ly, ell, t.dim);
                }
            }
        }

        // Scale: which values the lightest and darkest shades stand for.
        if !v.values.is_empty() {
            let ly = next_line(&mut y);
            let (lo_s, hi_s) = self.scale_text();
            let mut x = put(buf, area, area.x + 1, ly, &lo_s, t.dim);
            x = put(buf, area, x, ly, " [", t.dim);
            x = put(buf, area, x, ly, &shades.iter().collect::<String>(), t.text);
            x = put(buf, area, x, ly, "] ", t.dim);
            put(buf, area, x, ly, &hi_s, t.dim);
        }

        // Cursor read-out: the exact value behind the highlighted shade.
        if v.cursor.is_some() {
            let ly = next_line(&mut y);
            if let Some((r, c)) = cursor {
                let row = v
                    .row_labels
                    .get(r)
                    .cloned()
                    .unwrap_or_else(|| format!("row {r}"));
                let col = v
                    .col_labels
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| format!("col {c}"));
                let arrow = if ascii { "->" } else { "→" };
                let value = if v.values[(r, c)].is_nan() {
                    "n/a".to_string()
                } else {
                    fmt_readout(v.values[(r, c)], ascii)
                };
                let x = put(
                    buf,
                    area,
                    area.x + 1,
                    ly,
                    &format!("{row} {arrow} {col}: "),
                    t.text,
                );
                put(buf, area, x, ly, &value, t.bold);
            }
        }

        // Legend of numbered columns.
        for text in self.legend(aw.saturating_sub(1)) {
            let ly = next_line(&mut y);
            put(buf, area, area.x + 1, ly, &text, t.dim);
        }
    }
}

#[cfg(test)]
mod tests;
