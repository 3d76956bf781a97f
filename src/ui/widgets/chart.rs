//! A line chart drawn cell by cell: scaling laws, loss curves, cost against context length.
//!
//! ratatui's `Chart` cannot log-scale an axis and draws with Braille or block markers that do
//! not exist in ASCII mode, and the lessons need both: scaling laws are straight lines only on
//! log–log axes, and each series must be told apart by its own marker character (`*`, `+`, …)
//! rather than by colour. So this widget does its own layout and drawing:
//!
//! - Ticks are chosen so the labels are worth reading: round numbers (1, 2 or 5 × 10^k) on
//!   linear axes, whole powers of ten on log axes, written short (`1k`, `10M`, `1e-3`). The
//!   axis range is widened to the outer ticks so that both ends of an axis are labelled.
//! - Consecutive points of a series (sorted by x) are joined by interpolated cells, so even a
//!   series of three points reads as a line at 40×10.
//! - Values a log axis cannot show (zero, negatives) and non-finite values are skipped, not
//!   clamped: a fake point would teach something false.
//! - The y label shares the title's row, and the x label the legend's, whenever both fit the
//!   width: two more plot rows, which at 80x24 decide whether close lines can be told apart.
//! - When the area is short, the optional lines (y label, x label, title, legend) are dropped
//!   in that order so the plot keeps at least a few rows.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{next_line, pad_left, put, to_u16, truncate, width};
use crate::ui::theme::Theme;
use crate::viz::view::ChartView;
use ticks::make_scale;

/// Plot rows in the natural height.
const NATURAL_PLOT: usize = 5;
/// Columns in the natural width.
const NATURAL_WIDTH: usize = 50;
/// The plot keeps at least this many rows before optional lines are dropped.
const MIN_PLOT: u16 = 3;
/// Y tick labels are cut to this width so they cannot squeeze the plot away.
const MAX_Y_LABEL: usize = 8;
/// Markers used when a series' own marker cannot be drawn (not one column, not ASCII in
/// ASCII mode, an axis glyph, or another series' marker), tried in this order.
const FALLBACK_MARKERS: [char; 10] = ['*', 'o', 'x', '#', '@', '%', '&', '=', '~', '$'];
/// The glyphs the axes are drawn with, which no series may use.
const AXIS_GLYPHS: [char; 8] = ['|', '+', '-', '│', '└', '─', '┤', '┬'];

/// Draws a [`ChartView`]: title, y label, plot with axes and ticks, x label, legend.
pub struct ChartWidget<'a> {
    pub view: &'a ChartView,
    pub theme: &'a Theme,
}

/// One axis after tick selection: the range in transformed space (log10 for log axes) and the
/// ticks inside it.
#[derive(Debug, Clone, PartialEq)]
struct Scale {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl Scale {
    /// Position of `v` along the axis, 0 at `lo` and 1 at `hi`.
    fn frac(&self, v: f64) -> f64 {
        let span = self.hi - self.lo;
        if span > 0.0 && span.is_finite() {
            (v - self.lo) / span
        } else {
            0.5
        }
    }
}

/// Which optional lines are shown, and how many rows the plot gets.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lines {
    title: bool,
    y_label: bool,
    x_label: bool,
    legend: bool,
    /// The y label is written on the title's row (after the title), not a row of its own.
    y_on_title: bool,
    /// The x label is written on the legend's row (at its right end), not a row of its own.
    x_on_legend: bool,
    plot: u16,
}

impl Lines {
    /// Rows the optional lines take, merged lines counted once.
    fn optional_rows(&self) -> usize {
        usize::from(self.title)
            + usize::from(self.y_label && !self.y_on_title)
            + usize::from(self.x_label && !self.x_on_legend)
            + usize::from(self.legend)
    }
}

/// What precedes the y label when it shares the title's row, and the x label on the legend's.
const Y_PREFIX: &str = "   y: ";
const X_PREFIX: &str = "   x: ";

/// A value in the axis' drawing space: log10 on log axes; `None` when it cannot be drawn.
fn transform(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() {
        None
    } else if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// The cell (0..n) nearest to `frac` of the way along `n` cells.
// `frac` is clamped to [0, 1] (NaN casts to 0), so the product fits in `usize`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn cell(frac: f64, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let c = (frac.clamp(0.0, 1.0) * (n - 1) as f64).round() as usize;
    c.min(n - 1)
}

/// Smallest and largest of `vals`, `None` when empty.
fn min_max(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    vals.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Start columns for the x tick labels centred under their ticks, kept inside
/// `left..right` and one space apart; `None` if they cannot all be placed.
fn place_x_labels(
    scale: &Scale,
    px0: u16,
    pw: usize,
    left: u16,
    right: u16,
) -> Option<Vec<(u16, String)>> {
    let room = usize::from(right.saturating_sub(left));
    let mut placed: Vec<(u16, String)> = Vec::new();
    let mut next_free = left;
    for (v, label) in &scale.ticks {
        let label = truncate(label, room, "");
        let w = to_u16(width(&label));
        let col = px0.saturating_add(to_u16(cell(scale.frac(*v), pw)));
        let start = col
            .saturating_sub(w / 2)
            .min(right.saturating_sub(w))
            .max(left);
        if start < next_free {
            return None;
        }
        next_free = start.saturating_add(w).saturating_add(1);
        placed.push((start, label));
    }
    Some(placed)
}

impl ChartWidget<'_> {
    /// Rows needed: the optional lines that have text, a plot of natural height, the x axis
    /// and its tick labels. The width does not change it.
    ///
    /// Labels that share a row when drawn (see [`Lines`]) still count a row each here, and
    /// the plot gets the rows they save: the layout of a panel does not depend on the merge.
    pub fn height(&self, _width: u16) -> u16 {
        let v = self.view;
        let optional = [
            !v.title.is_empty(),
            !v.y_label.is_empty(),
            !v.x_label.is_empty(),
            !v.series.is_empty(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        to_u16(optional + NATURAL_PLOT + 2)
    }

    /// Rows the chart can put to use beyond [`Self::height`] at `width`: the plot grows until
    /// it is about as tall as it is wide (a cell is twice as tall as it is wide; the y tick
    /// labels take up to [`MAX_Y_LABEL`] + 2 columns).
    pub fn max_growth(&self, width: u16) -> u16 {
        let plot_w = width.saturating_sub(to_u16(MAX_Y_LABEL + 2));
        (plot_w / 2).saturating_sub(to_u16(NATURAL_PLOT))
    }

    /// A comfortable width; a chart can be drawn at any width, this is what a column asks for.
    pub fn width(&self) -> u16 {
        let legend = width(&self.legend_text());
        to_u16(
            NATURAL_WIDTH
                .max(width(&self.view.title))
                .max(legend)
                .max(width(&self.view.x_label))
                .max(width(&self.view.y_label)),
        )
    }

    /// Which optional lines fit in `h` rows of `w` columns while the plot keeps
    /// [`MIN_PLOT`] rows.
    fn lines(&self, h: u16, w: u16) -> Lines {
        let v = self.view;
        let w = usize::from(w);
        let mut l = Lines {
            title: !v.title.is_empty(),
            y_label: !v.y_label.is_empty(),
            x_label: !v.x_label.is_empty(),
            legend: !v.series.is_empty(),
            y_on_title: false,
            x_on_legend: false,
            plot: 0,
        };
        l.y_on_title =
            l.title && l.y_label && width(&v.title) + width(Y_PREFIX) + width(&v.y_label) <= w;
        l.x_on_legend = l.legend
            && l.x_label
            && width(&self.legend_text()) + width(X_PREFIX) + width(&v.x_label) <= w;
        loop {
            let optional = l.optional_rows();
            let used = to_u16(optional + 2);
            if h >= used.saturating_add(MIN_PLOT) || optional == 0 {
                l.plot = h.saturating_sub(used);
                return l;
            }
            if l.y_label && !l.y_on_title {
                l.y_label = false;
            } else if l.x_label && !l.x_on_legend {
                l.x_label = false;
            } else if l.title {
                l.title = false;
                l.y_label = false;
            } else {
                l.legend = false;
                l.x_label = false;
            }
        }
    }

    /// Each series' marker: its own when it is one column wide, ASCII in ASCII mode, no axis
    /// glyph and not taken by another series; else the first free fallback. So no two
    /// series, and no series and an axis, ever look alike. The current series (not faint)
    /// choose first, so a kept run's ghost never takes the glyph the prose names for a
    /// current line.
    fn markers(&self) -> Vec<char> {
        let series = &self.view.series;
        let order = (0..series.len())
            .filter(|&i| !series[i].faint)
            .chain((0..series.len()).filter(|&i| series[i].faint));
        let mut used: Vec<char> = Vec::new();
        let mut picked = vec![' '; series.len()];
        for i in order {
            let c = series[i].marker;
            let ok = !c.is_control()
                && c != ' '
                && unicode_width::UnicodeWidthChar::width(c) == Some(1)
                && (!self.theme.ascii || c.is_ascii())
                && !AXIS_GLYPHS.contains(&c)
                && !used.contains(&c);
            let pick = if ok {
                c
            } else {
                FALLBACK_MARKERS
                    .iter()
                    .copied()
                    .find(|f| !used.contains(f))
                    .unwrap_or('*')
            };
            used.push(pick);
            picked[i] = pick;
        }
        picked
    }

    fn legend_entries(&self) -> Vec<String> {
        let markers = self.markers();
        self.view
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let name = if s.name.is_empty() {
                    format!("series {}", i + 1)
                } else {
                    s.name.clone()
                };
                format!("{} {name}", markers[i])
            })
            .collect()
    }

    fn legend_text(&self) -> String {
        self.legend_entries().join("  ")
    }
}

impl Widget for ChartWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let v = self.view;
        let t = self.theme;
        let ascii = t.ascii;
        let lines = self.lines(area.height, area.width);
        let ph = usize::from(lines.plot);

        // Points in drawing space, sorted by x so consecutive points can be joined.
        let series: Vec<Vec<(f64, f64)>> = v
            .series
            .iter()
            .map(|s| {
                let mut pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .filter_map(|&(x, y)| Some((transform(x, v.x_log)?, transform(y, v.y_log)?)))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                pts
            })
            .collect();
        let x_range = min_max(series.iter().flatten().map(|p| p.0));
        let y_range = min_max(series.iter().flatten().map(|p| p.1));

        // Rows, top to bottom.
        let mut y = area.y;
        let title_y = lines.title.then(|| next_line(&mut y));
        let y_label_y = (lines.y_label && !lines.y_on_title).then(|| next_line(&mut y));
        let plot_top = y;
        y = y.saturating_add(lines.plot);
        let axis_y = y;
        let ticks_y = axis_y.saturating_add(1);
        y = ticks_y.saturating_add(1);
        let x_label_y = (lines.x_label && !lines.x_on_legend).then(|| next_line(&mut y));
        let legend_y = lines.legend.then_some(y);

        // Y axis first: its label width decides where the plot starts.
        let max_y_ticks = ((ph.saturating_sub(1)) / 2 + 1).clamp(2, 5);
        let y_scale = make_scale(y_range, v.y_log, max_y_ticks);
        let y_labels: Vec<String> = y_scale
            .ticks
            .iter()
            .map(|(_, l)| truncate(l, MAX_Y_LABEL, ""))
            .collect();
        let yw = y_labels.iter().map(|l| width(l)).max().unwrap_or(1);
        let axis_x = area.x.saturating_add(to_u16(yw + 1));
        let px0 = axis_x.saturating_add(1);
        let pw = usize::from(area.right().saturating_sub(px0));
        let plot = Rect::new(px0, plot_top, to_u16(pw), lines.plot).intersection(area);

        let (x_scale, x_labels) = choose_x_scale(x_range, v.x_log, px0, pw, area);

        // Title and y label.
        if let Some(ty) = title_y {
            let x = put(buf, area, area.x, ty, &v.title, t.title);
            if lines.y_label && lines.y_on_title {
                let x = put(buf, area, x, ty, Y_PREFIX, t.dim);
                put(buf, area, x, ty, &v.y_label, t.dim);
            }
        }
        if let Some(ly) = y_label_y {
            put(buf, area, area.x, ly, &v.y_label, t.dim);
        }

        // Axes with tick marks and labels.
        let (vert, corner, horiz, y_tick, x_tick) = if ascii {
            ("|", "+", "-", "+", "+")
        } else {
            ("│", "└", "─", "┤", "┬")
        };
        for r in 0..lines.plot {
            put(buf, area, axis_x, plot_top.saturating_add(r), vert, t.dim);
        }
        let bottom_row = plot_top.saturating_add(lines.plot.saturating_sub(1));
        let mut used_rows = Vec::new();
        for ((val, _), label) in y_scale.ticks.iter().zip(&y_labels) {
            if ph == 0 {
                break;
            }
            let row = bottom_row.saturating_sub(to_u16(cell(y_scale.frac(*val), ph)));
            if used_rows.contains(&row) {
                continue;
            }
            used_rows.push(row);
            let text = pad_left(label, yw);
            put(buf, area, area.x, row, &text, t.text);
            put(buf, area, axis_x, row, y_tick, t.dim);
        }
        put(buf, area, axis_x, axis_y, corner, t.dim);
        put(buf, area, px0, axis_y, &horiz.repeat(pw), t.dim);
        for (val, _) in &x_scale.ticks {
            let col = px0.saturating_add(to_u16(cell(x_scale.frac(*val), pw)));
            put(buf, area, col, axis_y, x_tick, t.dim);
        }
        for (x, label) in &x_labels {
            put(buf, area, *x, ticks_y, label, t.text);
        }
        if let Some(ly) = x_label_y {
            let w = to_u16(width(&v.x_label));
            let start = px0
                .saturating_add(to_u16(pw).saturating_sub(w) / 2)
                .min(area.right().saturating_sub(w))
                .max(area.x);
            put(buf, area, start, ly, &v.x_label, t.dim);
        }

        self.draw_series(buf, plot, &series, &x_scale, &y_scale);
        if let Some(ly) = legend_y {
            self.draw_legend(buf, area, ly);
            if lines.x_label && lines.x_on_legend {
                let text = format!("{X_PREFIX}{}", v.x_label);
                let start = area.right().saturating_sub(to_u16(width(&text)));
                put(buf, area, start, ly, &text, t.dim);
            }
        }
    }
}

impl ChartWidget<'_> {
    /// The style of series `i`: its own colour, or dim for a faint one (a kept earlier run).
    fn series_style(&self, i: usize) -> ratatui::style::Style {
        let t = self.theme;
        match self.view.series.get(i) {
            Some(s) if s.faint => t.dim,
            _ => t.series[i % t.series.len()],
        }
    }

    /// Draws each series' marker at its points and at interpolated cells between consecutive
    /// points, clipped to `plot`; "no data" when nothing is drawable.
    fn draw_series(
        &self,
        buf: &mut Buffer,
        plot: Rect,
        series: &[Vec<(f64, f64)>],
        x_scale: &Scale,
        y_scale: &Scale,
    ) {
        if plot.width == 0 || plot.height == 0 {
            return;
        }
        let t = self.theme;
        let (pw, ph) = (f64::from(plot.width - 1), f64::from(plot.height - 1));
        let bottom = plot.bottom() - 1;
        // Offsets in cells from the plot's left and bottom edges.
        let to_cell = |(x, y): (f64, f64)| {
            (
                x_scale.frac(x).clamp(0.0, 1.0) * pw,
                y_scale.frac(y).clamp(0.0, 1.0) * ph,
            )
        };
        // The cells each series passes through, in order along it, without repeats.
        let hits: Vec<Vec<(u16, u16)>> = series
            .iter()
            .map(|pts| {
                let mut cells: Vec<(u16, u16)> = Vec::new();
                let mut mark = |(fx, fy): (f64, f64)| {
                    let col = plot.x.saturating_add(to_u16(round_cell(fx)));
                    let row = bottom.saturating_sub(to_u16(round_cell(fy)));
                    if !cells.contains(&(col, row)) {
                        cells.push((col, row));
                    }
                };
                if let [only] = pts.as_slice() {
                    mark(to_cell(*only));
                }
                for pair in pts.windows(2) {
                    let (x0, y0) = to_cell(pair[0]);
                    let (x1, y1) = to_cell(pair[1]);
                    let steps = round_cell((x1 - x0).abs().max((y1 - y0).abs()).ceil()).max(1);
                    for s in 0..=steps {
                        let f = s as f64 / steps as f64;
                        mark((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f));
                    }
                }
                cells
            })
            .collect();
        let markers = self.markers();
        for (cell, i) in cell_owners(&hits) {
            let style = self.series_style(i);
            let marker = markers.get(i).copied().unwrap_or('*');
            put(buf, plot, cell.0, cell.1, &marker.to_string(), style);
        }
        if series.iter().all(Vec::is_empty) {
            let msg = "no data";
            let x = plot.x + plot.width.saturating_sub(to_u16(width(msg))) / 2;
            put(buf, plot, x, plot.y + plot.height / 2, msg, t.dim);
        }
    }

    /// Each series' marker and name in its style, so series differ without colour.
    fn draw_legend(&self, buf: &mut Buffer, area: Rect, y: u16) {
        let t = self.theme;
        let mut x = area.x;
        for (i, entry) in self.legend_entries().iter().enumerate() {
            if i > 0 {
                x = put(buf, area, x, y, "  ", t.text);
            }
            x = put(buf, area, x, y, entry, self.series_style(i));
        }
    }
}

/// Which series draws each cell: the last one through it (later series lie on top), except
/// that a series that would be wholly hidden under others takes every other cell it shares,
/// so the two read as one dashed line of both markers instead of one line hiding the other.
fn cell_owners(hits: &[Vec<(u16, u16)>]) -> Vec<((u16, u16), usize)> {
    let mut owner: std::collections::BTreeMap<(u16, u16), usize> =
        std::collections::BTreeMap::new();
    for (i, cells) in hits.iter().enumerate() {
        for c in cells {
            owner.insert(*c, i);
        }
    }
    for (i, cells) in hits.iter().enumerate() {
        if cells.is_empty() || cells.iter().any(|c| owner.get(c) == Some(&i)) {
            continue;
        }
        for c in cells.iter().step_by(2) {
            owner.insert(*c, i);
        }
    }
    owner.into_iter().collect()
}

/// The x scale with as many ticks as fit without their labels touching, and the labels' places.
fn choose_x_scale(
    range: Option<(f64, f64)>,
    log: bool,
    px0: u16,
    pw: usize,
    area: Rect,
) -> (Scale, Vec<(u16, String)>) {
    let max_ticks = if log { 12 } else { 5 };
    for n in (2..=max_ticks).rev() {
        let s = make_scale(range, log, n);
        if let Some(placed) = place_x_labels(&s, px0, pw, area.x, area.right()) {
            return (s, placed);
        }
    }
    // Not even two labels fit: label the first tick only.
    let s = make_scale(range, log, 2);
    let first = s.ticks.first().map(|(_, l)| (px0, l.clone()));
    (s, first.into_iter().collect())
}

/// Rounds a non-negative cell coordinate; NaN and negatives give 0.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn round_cell(f: f64) -> usize {
    if f.is_nan() || f <= 0.0 {
        0
    } else {
        f.round().min(f64::from(u16::MAX)) as usize
    }
}

#[cfg(test)]
mod tests;
mod ticks;
