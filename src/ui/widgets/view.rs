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
/// The most rows a chart grows by when the panel has room to spare.
const MAX_CHART_GROWTH: u32 = 8;

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
    // Rows left over once every part has what it needs go to the charts, so a plot grows
    // on a tall panel and stays compact on an 80x24 screen.
    let heights: Vec<u16> = view
        .parts
        .iter()
        .map(|p| height_with(p, area.width, &measure))
        .collect();
    let needed = heights.iter().map(|h| u32::from(*h)).sum::<u32>()
        + to_u32(view.parts.len().saturating_sub(1));
    let mut spare = u32::from(area.bottom().saturating_sub(y)).saturating_sub(needed);
    let charts = view
        .parts
        .iter()
        .filter(|p| matches!(p, Part::Chart(_)))
        .count();
    let share = if charts > 0 {
        (spare / to_u32(charts)).min(MAX_CHART_GROWTH)
    } else {
        0
    };
    for (i, part) in view.parts.iter().enumerate() {
        if i > 0 {
            y = y.saturating_add(1);
        }
        if y >= area.bottom() {
            return;
        }
        let mut natural = heights[i];
        if matches!(part, Part::Chart(_)) && spare > 0 {
            let grow = share.min(spare);
            spare -= grow;
            natural = natural.saturating_add(u16::try_from(grow).unwrap_or(0));
        }
        let h = natural.min(area.bottom() - y);
        render_part(
            part,
            Rect::new(area.x, y, area.width, h),
            buf,
            theme,
            &measure,
        );
        y = y.saturating_add(h);
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

/// Whether the parts of a `Columns` fit side by side in `width` columns.
fn side_by_side(parts: &[Part], width: u16, theme: &Theme) -> bool {
    !parts.is_empty() && width_with(&Part::Columns(parts.to_vec()), theme) <= width
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
            if side_by_side(parts, width, theme) {
                parts
                    .iter()
                    .map(|p| height_with(p, width_with(p, theme), theme))
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
        Part::Columns(parts) => {
            if side_by_side(parts, area.width, measure) {
                let mut x = area.x;
                for p in parts {
                    let w = width_with(p, measure);
                    let rect = Rect::new(x, area.y, w, area.height).intersection(area);
                    render_part(p, rect, buf, theme, measure);
                    x = x.saturating_add(w).saturating_add(COLUMN_GAP);
                }
            } else {
                let mut y = area.y;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        y = y.saturating_add(1);
                    }
                    if y >= area.bottom() {
                        return;
                    }
                    let h = height_with(p, area.width, measure).min(area.bottom() - y);
                    render_part(p, Rect::new(area.x, y, area.width, h), buf, theme, measure);
                    y = y.saturating_add(h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, lines, plain};
    use crate::viz::view::{
        BarsView, ChartView, Control, ControlKind, HeatmapView, MatrixView, Series, TableView,
    };
    use ndarray::array;
    use ratatui::style::Modifier;

    fn matrix(title: &str) -> MatrixView {
        MatrixView {
            title: title.into(),
            row_labels: vec!["a".into(), "b".into()],
            col_labels: vec!["x".into(), "y".into()],
            values: array![[1.0, 2.0], [3.0, 4.0]],
            decimals: 0,
            cell: None,
            row: None,
            col: None,
        }
    }

    fn view() -> View {
        View {
            controls: vec![Control {
                label: "n".into(),
                kind: ControlKind::Toggle(true),
            }],
            selected_control: 0,
            parts: vec![
                Part::Text(vec!["A times B gives C".into()]),
                Part::Columns(vec![Part::Matrix(matrix("A")), Part::Matrix(matrix("B"))]),
            ],
        }
    }

    fn draw(v: &View, theme: &Theme, w: u16, h: u16, focused: bool) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        render_view(v, buf.area, &mut buf, theme, focused);
        buf
    }

    #[test]
    fn exact_lines_side_by_side() {
        let theme = Theme::new(true, true);
        let v = view();
        assert_eq!(part_width(&Part::Matrix(matrix("A"))), 8);
        assert_eq!(view_height(&v, 20), 8);
        let buf = draw(&v, &theme, 20, 8, true);
        let expected = Buffer::with_lines([
            "> [x] n             ",
            "                    ",
            "A times B gives C   ",
            "                    ",
            "A        B          ",
            "   x  y     x  y    ",
            " a 1  2   a 1  2    ",
            " b 3  4   b 3  4    ",
        ]);
        assert_eq!(plain(&buf), expected);
        assert!(buf[(6, 0)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn narrow_columns_stack_and_text_wraps() {
        let theme = Theme::new(true, true);
        let v = view();
        assert_eq!(view_height(&v, 12), 14);
        let buf = draw(&v, &theme, 12, 14, false);
        let expected = Buffer::with_lines([
            "  [x] n     ",
            "            ",
            "A times B   ",
            "gives C     ",
            "            ",
            "A           ",
            "   x  y     ",
            " a 1  2     ",
            " b 3  4     ",
            "            ",
            "B           ",
            "   x  y     ",
            " a 1  2     ",
            " b 3  4     ",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    #[test]
    fn text_wraps_by_display_width() {
        let part = Part::Text(vec!["日本語 テキスト".into(), String::new()]);
        assert_eq!(part_height(&part, 8), 3);
        assert_eq!(part_width(&part), 15);
    }

    #[test]
    fn parts_are_cut_at_the_bottom_never_outside() {
        let v = View {
            controls: vec![],
            selected_control: 0,
            parts: vec![
                Part::Table(TableView {
                    title: "t".into(),
                    headers: vec!["h".into()],
                    rows: vec![vec!["1".into()]; 5],
                    highlight: Some(0),
                }),
                Part::Bars(BarsView {
                    title: "b".into(),
                    labels: vec!["x".into()],
                    values: vec![1.0],
                    decimals: 1,
                    highlight: None,
                    max: None,
                }),
            ],
        };
        let theme = Theme::new(true, true);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 6));
        render_view(&v, Rect::new(1, 1, 8, 4), &mut buf, &theme, true);
        let l = lines(&buf);
        assert_eq!(l[0], "          ");
        assert_eq!(l[1], " t        ");
        assert_eq!(l[4], "   1      ");
        assert_eq!(l[5], "          ");
    }

    #[test]
    fn every_part_kind_in_any_area_never_panics() {
        let v = View {
            controls: view().controls,
            selected_control: 7,
            parts: vec![
                Part::Text(vec![]),
                Part::Heatmap(HeatmapView {
                    title: "h".into(),
                    row_labels: vec![],
                    col_labels: vec![],
                    values: array![[1.0]],
                    range: None,
                    cursor: Some((0, 0)),
                }),
                Part::Chart(ChartView {
                    title: "c".into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    x_log: true,
                    y_log: true,
                    series: vec![Series {
                        name: "s".into(),
                        marker: '•',
                        points: vec![(1.0, 1.0), (100.0, 10.0)],
                    }],
                }),
                Part::Columns(vec![]),
                Part::Columns(vec![Part::Columns(vec![Part::Matrix(matrix("m"))])]),
            ],
        };
        for theme in [Theme::new(false, false), Theme::new(true, true)] {
            for (w, h) in [(0, 0), (1, 1), (3, 2), (40, 10), (80, 24), (200, 60)] {
                let buf = draw(&v, &theme, w, h, true);
                if theme.ascii {
                    assert!(all_ascii(&buf));
                }
                let _ = view_height(&v, w);
            }
        }
    }
}

/// Random data and areas: no widget may panic or draw outside its area, whatever it is given.
#[cfg(test)]
mod props {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, render_inset};
    use crate::viz::view::{
        BarsView, ChartView, Control, ControlKind, HeatmapView, MatrixView, Series, TableView,
    };
    use ndarray::Array2;
    use proptest::prelude::*;

    /// Draws a view through `render_view`, so `render_inset` can check its footprint.
    struct Whole<'a>(&'a View, &'a Theme);

    impl Widget for Whole<'_> {
        fn render(self, area: Rect, buf: &mut Buffer) {
            render_view(self.0, area, buf, self.1, true);
        }
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => -10.0..10.0f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => any::<f64>(),
            1 => Just(0.0),
        ]
    }

    fn label() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z]{0,12}", "\\PC{0,10}", "[ \t\n]{0,3}"]
    }

    fn labels() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(label(), 0..8)
    }

    prop_compose! {
        fn matrix_values()(r in 0usize..7, c in 0usize..9)
            (v in prop::collection::vec(value(), r * c), r in Just(r), c in Just(c))
            -> Array2<f64> {
            Array2::from_shape_vec((r, c), v).unwrap_or_else(|_| Array2::zeros((0, 0)))
        }
    }

    fn index() -> impl Strategy<Value = Option<usize>> {
        prop::option::of(0usize..10)
    }

    fn part() -> impl Strategy<Value = Part> {
        let leaf = prop_oneof![
            prop::collection::vec(label(), 0..4).prop_map(Part::Text),
            (
                label(),
                labels(),
                labels(),
                matrix_values(),
                0usize..20,
                index(),
                index(),
                index()
            )
                .prop_map(
                    |(title, row_labels, col_labels, values, decimals, r, c, col)| {
                        Part::Matrix(MatrixView {
                            title,
                            row_labels,
                            col_labels,
                            values,
                            decimals,
                            cell: r.zip(c),
                            row: r,
                            col,
                        })
                    }
                ),
            (
                label(),
                labels(),
                labels(),
                matrix_values(),
                prop::option::of((value(), value())),
                index(),
                index()
            )
                .prop_map(|(title, row_labels, col_labels, values, range, r, c)| {
                    Part::Heatmap(HeatmapView {
                        title,
                        row_labels,
                        col_labels,
                        values,
                        range,
                        cursor: r.zip(c),
                    })
                }),
            (
                label(),
                labels(),
                prop::collection::vec(value(), 0..8),
                0usize..8,
                index(),
                prop::option::of(value())
            )
                .prop_map(|(title, labels, values, decimals, highlight, max)| {
                    Part::Bars(BarsView {
                        title,
                        labels,
                        values,
                        decimals,
                        highlight,
                        max,
                    })
                }),
            (
                label(),
                label(),
                any::<(bool, bool)>(),
                prop::collection::vec(
                    (
                        label(),
                        any::<char>(),
                        prop::collection::vec((value(), value()), 0..12)
                    ),
                    0..4
                )
            )
                .prop_map(|(title, x_label, (x_log, y_log), series)| {
                    Part::Chart(ChartView {
                        title,
                        x_label: x_label.clone(),
                        y_label: x_label,
                        x_log,
                        y_log,
                        series: series
                            .into_iter()
                            .map(|(name, marker, points)| Series {
                                name,
                                marker,
                                points,
                            })
                            .collect(),
                    })
                }),
            (
                label(),
                labels(),
                prop::collection::vec(labels(), 0..5),
                index()
            )
                .prop_map(|(title, headers, rows, highlight)| {
                    Part::Table(TableView {
                        title,
                        headers,
                        rows,
                        highlight,
                    })
                }),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop::collection::vec(inner, 0..3).prop_map(Part::Columns)
        })
    }

    fn control() -> impl Strategy<Value = Control> {
        let kind = prop_oneof![
            (value(), value(), value(), 0usize..20).prop_map(|(value, min, max, decimals)| {
                ControlKind::Slider {
                    value,
                    min,
                    max,
                    step: 0.1,
                    decimals,
                }
            }),
            (labels(), 0usize..9)
                .prop_map(|(options, index)| ControlKind::Choice { options, index }),
            any::<bool>().prop_map(ControlKind::Toggle),
        ];
        (label(), kind).prop_map(|(label, kind)| Control { label, kind })
    }

    /// Whether every string in the view is ASCII (chart markers need not be: they fall back).
    fn view_is_ascii(view: &View) -> bool {
        fn all(v: &[String]) -> bool {
            v.iter().all(|s| s.is_ascii())
        }
        fn part_ascii(p: &Part) -> bool {
            match p {
                Part::Text(lines) => all(lines),
                Part::Matrix(m) => m.title.is_ascii() && all(&m.row_labels) && all(&m.col_labels),
                Part::Heatmap(m) => m.title.is_ascii() && all(&m.row_labels) && all(&m.col_labels),
                Part::Bars(b) => b.title.is_ascii() && all(&b.labels),
                Part::Chart(c) => {
                    c.title.is_ascii()
                        && c.x_label.is_ascii()
                        && c.y_label.is_ascii()
                        && c.series.iter().all(|s| s.name.is_ascii())
                }
                Part::Table(t) => {
                    t.title.is_ascii() && all(&t.headers) && t.rows.iter().all(|r| all(r))
                }
                Part::Columns(parts) => parts.iter().all(part_ascii),
                Part::Tokens(t) => t.title.is_ascii() && t.tokens.iter().all(|k| k.text.is_ascii()),
                Part::Scatter(s) => s.title.is_ascii() && s.marks.iter().all(|m| m.2.is_ascii()),
            }
        }
        view.controls.iter().all(|c| {
            c.label.is_ascii()
                && match &c.kind {
                    ControlKind::Choice { options, .. } => all(options),
                    _ => true,
                }
        }) && view.parts.iter().all(part_ascii)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn any_view_in_any_area_stays_inside(
            controls in prop::collection::vec(control(), 0..5),
            selected in 0usize..6,
            parts in prop::collection::vec(part(), 0..4),
            w in 0u16..130,
            h in 0u16..50,
            ascii in any::<bool>(),
        ) {
            let view = View { controls, selected_control: selected, parts };
            let theme = Theme::new(ascii, ascii);
            let buf = render_inset(Whole(&view, &theme), w, h);
            let _ = view_height(&view, w);
            // With ASCII data, ASCII mode draws only ASCII.
            let data_ascii = view_is_ascii(&view);
            if ascii && data_ascii {
                prop_assert!(all_ascii(&buf));
            }
        }
    }
}
