//! Lays out a whole [`View`]: its controls on top, then its parts stacked with one blank line
//! between them.
//!
//! Sizes are measured with the ASCII glyph set whatever the theme. ASCII glyphs are never
//! narrower than their Unicode counterparts (`-inf` against `−∞`, `...` against `…`), so a
//! measured width always fits the drawing in either mode, and `view_height`, which has no
//! theme, agrees with `render_view` about every layout decision (side by side or stacked).
//!
//! Parts that do not fit the remaining height are cut at the bottom, never squeezed: a
//! half-drawn matrix with its header is still readable, a squeezed one is not. The caller
//! scrolls by giving a taller area and clipping, or by asking `view_height` first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{put, to_u16, width, wrap};
use super::{
    BarsWidget, ChartWidget, ControlsWidget, HeatmapWidget, MatrixWidget, ScatterWidget,
    TableWidget, TokenStripWidget,
};
use crate::ui::theme::Theme;
use crate::viz::view::{Part, View};

/// Columns between parts drawn side by side.
const COLUMN_GAP: u16 = 1;

/// The theme used for measuring: ASCII glyphs are the widest, see the module docs.
fn measure_theme() -> Theme {
    Theme::new(true, true)
}

/// The natural width of `part`: what it needs to be drawn without cutting anything.
pub fn part_width(part: &Part) -> u16 {
    width_with(part, &measure_theme())
}

/// Rows `part` needs when drawn `width` columns wide.
pub fn part_height(part: &Part, width: u16) -> u16 {
    height_with(part, width, &measure_theme())
}

/// Rows needed to draw the whole view at `width`: controls, a blank line, then every part with
/// one blank line between parts.
pub fn view_height(view: &View, width: u16) -> u16 {
    let theme = measure_theme();
    let controls = controls_widget(view, &theme, false).height(width);
    let parts: u32 = view
        .parts
        .iter()
        .map(|p| u32::from(height_with(p, width, &theme)))
        .sum();
    let gaps = view.parts.len().saturating_sub(1);
    let after_controls = usize::from(controls > 0 && !view.parts.is_empty());
    let total = u32::from(controls) + parts + to_u32(gaps + after_controls);
    u16::try_from(total).unwrap_or(u16::MAX)
}

/// Draws `view` into `area`: controls first (marked as selected only when `focused`), then
/// each part, cut at the bottom of `area` when they do not all fit.
pub fn render_view(view: &View, area: Rect, buf: &mut Buffer, theme: &Theme, focused: bool) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let measure = measure_theme();
    let mut y = area.y;
    let controls = controls_widget(view, theme, focused);
    let ch = controls.height(area.width);
    if ch > 0 {
        let h = ch.min(area.bottom() - y);
        controls.render(Rect::new(area.x, y, area.width, h), buf);
        y = y.saturating_add(ch);
        if !view.parts.is_empty() {
            y = y.saturating_add(1);
        }
    }
    if y < area.bottom() {
        let rest = Rect::new(area.x, y, area.width, area.bottom() - y);
        render_stack(&view.parts, rest, buf, theme, &measure);
    }
}

/// Draws `parts` one under the other with a blank line between them, cut at the bottom of
/// `area`. Rows left over once every part has what it needs go to the parts that can use
/// them (charts, plots, heatmaps, and column groups holding one), shared fairly, so a plot
/// grows on a tall panel and stays compact on an 80x24 screen.
fn render_stack(parts: &[Part], area: Rect, buf: &mut Buffer, theme: &Theme, measure: &Theme) {
    let heights: Vec<u16> = parts
        .iter()
        .map(|p| height_with(p, area.width, measure))
        .collect();
    let needed =
        heights.iter().map(|h| u32::from(*h)).sum::<u32>() + to_u32(parts.len().saturating_sub(1));
    let spare = u32::from(area.height).saturating_sub(needed);
    let caps: Vec<u32> = parts
        .iter()
        .map(|p| growth_cap(p, area.width, measure))
        .collect();
    let grow = share_rows(spare, &caps);
    let mut y = area.y;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            y = y.saturating_add(1);
        }
        if y >= area.bottom() {
            return;
        }
        let natural = heights[i].saturating_add(u16::try_from(grow[i]).unwrap_or(u16::MAX));
        let h = natural.min(area.bottom() - y);
        render_part(
            part,
            Rect::new(area.x, y, area.width, h),
            buf,
            theme,
            measure,
        );
        y = y.saturating_add(h);
    }
}

/// The most rows `part` can put to use beyond its natural height at `width`: plots grow until
/// they are about as tall as they are wide (a cell is twice as tall as it is wide), heatmaps
/// by whole zoom steps; text, tables and bars have nothing to gain. A column group grows as
/// its parts do: side by side, as far as its tallest grown part; stacked, by all of theirs.
fn growth_cap(part: &Part, width: u16, theme: &Theme) -> u32 {
    match part {
        Part::Chart(view) => u32::from(ChartWidget { view, theme }.max_growth(width)),
        Part::Scatter(view) => u32::from(ScatterWidget { view, theme }.max_growth(width)),
        Part::Heatmap(view) => u32::from(HeatmapWidget { view, theme }.max_growth(width)),
        Part::Columns(parts) => match column_widths(parts, width, theme) {
            Some(widths) => {
                let group = u32::from(height_with(part, width, theme));
                parts
                    .iter()
                    .zip(&widths)
                    .map(|(p, &w)| u32::from(height_with(p, w, theme)) + growth_cap(p, w, theme))
                    .max()
                    .unwrap_or(0)
                    .saturating_sub(group)
            }
            None => parts.iter().map(|p| growth_cap(p, width, theme)).sum(),
        },
        _ => 0,
    }
}

/// Whether `part` can put spare rows to use at some width.
/// Shares `spare` rows among parts that can each use at most `caps[i]` more: equal shares,
/// and what a part cannot use goes round again to the others.
pub(crate) fn share_rows(spare: u32, caps: &[u32]) -> Vec<u32> {
    let mut given = vec![0u32; caps.len()];
    let mut left = spare;
    loop {
        let open: Vec<usize> = (0..caps.len()).filter(|&i| given[i] < caps[i]).collect();
        if open.is_empty() || left == 0 {
            return given;
        }
        // At least one row each round, so a remainder smaller than the number of parts is
        // still handed out (to the first ones).
        let share = (left / to_u32(open.len())).max(1);
        for i in open {
            let add = share.min(caps[i] - given[i]).min(left);
            given[i] += add;
            left -= add;
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn controls_widget<'a>(view: &'a View, theme: &'a Theme, focused: bool) -> ControlsWidget<'a> {
    ControlsWidget {
        controls: &view.controls,
        selected: view.selected_control,
        focused,
        theme,
    }
}

fn width_with(part: &Part, theme: &Theme) -> u16 {
    match part {
        Part::Text(lines) => to_u16(lines.iter().map(|l| width(l)).max().unwrap_or(0)),
        Part::Matrix(view) => MatrixWidget { view, theme }.width(),
        Part::Heatmap(view) => HeatmapWidget { view, theme }.width(),
        Part::Bars(view) => BarsWidget { view, theme }.width(),
        Part::Chart(view) => ChartWidget { view, theme }.width(),
        Part::Table(view) => TableWidget { view, theme }.width(),
        Part::Tokens(view) => TokenStripWidget { view, theme }.width(),
        Part::Scatter(view) => ScatterWidget { view, theme }.width(),
        Part::Columns(parts) => {
            let sum: usize = parts
                .iter()
                .map(|p| usize::from(width_with(p, theme)))
                .sum();
            let gaps = parts.len().saturating_sub(1) * usize::from(COLUMN_GAP);
            to_u16(sum + gaps)
        }
    }
}

/// The widths of the parts of a `Columns` drawn side by side in `width` columns, or `None`
/// when they do not fit and stack instead. Each part gets its natural width; the columns
/// left over go to the parts that can grow (a wider plot or map may also be a taller one),
/// so a chart or heatmap beside a table can use a tall panel's rows.
fn column_widths(parts: &[Part], width: u16, theme: &Theme) -> Option<Vec<u16>> {
    let natural: Vec<u16> = parts.iter().map(|p| width_with(p, theme)).collect();
    let gaps = parts.len().saturating_sub(1) * usize::from(COLUMN_GAP);
    let used = natural.iter().map(|w| usize::from(*w)).sum::<usize>() + gaps;
    if parts.is_empty() || used > usize::from(width) {
        return None;
    }
    let spare = u32::from(width).saturating_sub(to_u32(used));
    let caps: Vec<u32> = parts
        .iter()
        .map(|p| if p.can_grow() { u32::MAX } else { 0 })
        .collect();
    let extra = share_rows(spare, &caps);
    Some(
        natural
            .iter()
            .zip(extra)
            .map(|(w, e)| w.saturating_add(u16::try_from(e).unwrap_or(u16::MAX)))
            .collect(),
    )
}

fn height_with(part: &Part, width: u16, theme: &Theme) -> u16 {
    match part {
        Part::Text(lines) => to_u16(
            lines
                .iter()
                .map(|l| wrap(l, usize::from(width)).len())
                .sum(),
        ),
        Part::Matrix(view) => MatrixWidget { view, theme }.height(width),
        Part::Heatmap(view) => HeatmapWidget { view, theme }.height(width),
        Part::Bars(view) => BarsWidget { view, theme }.height(width),
        Part::Chart(view) => ChartWidget { view, theme }.height(width),
        Part::Table(view) => TableWidget { view, theme }.height(width),
        Part::Tokens(view) => TokenStripWidget { view, theme }.height(width),
        Part::Scatter(view) => ScatterWidget { view, theme }.height(width),
        Part::Columns(parts) => {
            if let Some(widths) = column_widths(parts, width, theme) {
                parts
                    .iter()
                    .zip(widths)
                    .map(|(p, w)| height_with(p, w, theme))
                    .max()
                    .unwrap_or(0)
            } else {
                let sum: usize = parts
                    .iter()
                    .map(|p| usize::from(height_with(p, width, theme)))
                    .sum();
                to_u16(sum + parts.len().saturating_sub(1))
            }
        }
    }
}

/// Whether `part` is a figure: a chart, a plot or a heatmap, which a zoom makes bigger.
/// Draws page `index` of a zoomed view (see [`View::zoom_parts`]) on the whole of `area`: a figure
/// fills it; anything else is drawn at its natural size from the top.
pub fn render_zoomed(view: &View, index: usize, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let area = area.intersection(buf.area);
    let parts = view.zoom_parts();
    let Some(part) = parts.get(index.min(parts.len().saturating_sub(1))) else {
        return;
    };
    let measure = measure_theme();
    if let Part::Heatmap(view) = part {
        HeatmapWidget { view, theme }.render_filling(area, buf);
    } else if part.is_figure() {
        render_part(part, area, buf, theme, &measure);
    } else {
        render_stack(std::slice::from_ref(*part), area, buf, theme, &measure);
    }
}

/// Draws one part into `area` (already cut to the rows it may use).
fn render_part(part: &Part, area: Rect, buf: &mut Buffer, theme: &Theme, measure: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    match part {
        Part::Text(lines) => {
            let mut y = area.y;
            for line in lines {
                for piece in wrap(line, usize::from(area.width)) {
                    if y >= area.bottom() {
                        return;
                    }
                    put(buf, area, area.x, y, &piece, theme.text);
                    y += 1;
                }
            }
        }
        Part::Matrix(view) => MatrixWidget { view, theme }.render(area, buf),
        Part::Heatmap(view) => HeatmapWidget { view, theme }.render(area, buf),
        Part::Bars(view) => BarsWidget { view, theme }.render(area, buf),
        Part::Chart(view) => ChartWidget { view, theme }.render(area, buf),
        Part::Table(view) => TableWidget { view, theme }.render(area, buf),
        Part::Tokens(view) => TokenStripWidget { view, theme }.render(area, buf),
        Part::Scatter(view) => ScatterWidget { view, theme }.render(area, buf),
        Part::Columns(parts) => match column_widths(parts, area.width, measure) {
            Some(widths) => {
                // Each part may fill the group's natural height (a short part beside a tall
                // one) and grow past it only as far as it can use.
                let group = height_with(part, area.width, measure);
                let mut x = area.x;
                for (p, w) in parts.iter().zip(widths) {
                    let own = u32::from(height_with(p, w, measure)) + growth_cap(p, w, measure);
                    let h = area
                        .height
                        .min(group.max(u16::try_from(own).unwrap_or(u16::MAX)));
                    let rect = Rect::new(x, area.y, w, h).intersection(area);
                    render_part(p, rect, buf, theme, measure);
                    x = x.saturating_add(w).saturating_add(COLUMN_GAP);
                }
            }
            None => render_stack(parts, area, buf, theme, measure),
        },
    }
}

#[cfg(test)]
mod tests;

/// Random data and areas: no widget may panic or draw outside its area, whatever it is given.
#[cfg(test)]
mod props;
