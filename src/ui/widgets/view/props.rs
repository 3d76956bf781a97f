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
                            faint: false,
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
                log: false,
            }
        }),
        (labels(), 0usize..9).prop_map(|(options, index)| ControlKind::Choice { options, index }),
        any::<bool>().prop_map(ControlKind::Toggle),
    ];
    (label(), kind).prop_map(|(label, kind)| Control {
        label,
        kind,
        inactive: None,
    })
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
