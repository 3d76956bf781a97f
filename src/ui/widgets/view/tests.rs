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
            inactive: None,
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
