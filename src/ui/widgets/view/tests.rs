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
                    faint: false,
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

#[test]
fn spare_rows_are_shared_fairly_and_never_past_a_cap() {
    // 10 rows for caps 3, 100, 0: the first takes its 3, the rest goes to the second.
    assert_eq!(share_rows(10, &[3, 100, 0]), vec![3, 7, 0]);
    // 5 rows between two that could take 10: 2 each, then the odd row to the first.
    assert_eq!(share_rows(5, &[10, 10]), vec![3, 2]);
    assert_eq!(share_rows(0, &[4]), vec![0]);
    assert_eq!(share_rows(9, &[]), Vec::<u32>::new());
}

fn heatmap_2x2() -> Part {
    Part::Heatmap(HeatmapView {
        title: String::new(),
        row_labels: vec!["a".into(), "b".into()],
        col_labels: vec!["x".into(), "y".into()],
        values: array![[0.0, 1.0], [1.0, 0.0]],
        range: None,
        cursor: None,
    })
}

#[test]
fn a_heatmap_zooms_into_spare_rows_and_stays_natural_without_them() {
    let theme = Theme::new(true, true);
    let v = View {
        parts: vec![heatmap_2x2()],
        ..View::default()
    };
    // Natural: header, 2 rows, scale = 4 rows; each cell 2 columns of `@` for the top value.
    let natural = view_height(&v, 40);
    assert_eq!(natural, 4);
    let small = lines(&draw(&v, &theme, 40, natural, false));
    assert_eq!(small[1].trim_end(), " a   @@", "{small:#?}");
    // Room for 4x zoom across (40 - 2 - 1 = 37 columns >= 2 cells x 8) and 6 spare rows:
    // 1 + 6 / 2 = 4 rows a matrix row, 8 columns a cell.
    let big = lines(&draw(&v, &theme, 40, natural + 6, false));
    // The map starts at column 3 (marker, label, space): cell y spans columns 11..19.
    assert_eq!(
        big[1].trim_end(),
        format!(" a{}{}", " ".repeat(9), "@".repeat(8))
    );
    assert_eq!(
        big[4].trim_end(),
        format!("{}{}", " ".repeat(11), "@".repeat(8))
    );
    assert_eq!(big[5].trim_end(), " b @@@@@@@@", "{big:#?}");
}

#[test]
fn a_chart_grows_into_spare_rows_up_to_about_square() {
    let theme = Theme::new(true, true);
    let chart = Part::Chart(ChartView {
        title: String::new(),
        x_label: String::new(),
        y_label: String::new(),
        x_log: false,
        y_log: false,
        series: vec![Series {
            name: "s".into(),
            marker: '*',
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            faint: false,
        }],
    });
    let v = View {
        parts: vec![Part::Text(vec!["above".into()]), chart],
        ..View::default()
    };
    let last_marked = |h: u16| {
        let rows = lines(&draw(&v, &theme, 50, h, false));
        rows.iter().rposition(|r| r.contains('*')).unwrap_or(0)
    };
    let natural = view_height(&v, 50);
    let spare = 30;
    // The lowest point of the line sits on the plot's bottom row: it moves down with growth,
    // by as many rows as the chart may take at 50 columns: (50 - 10) / 2 - 5 = 15.
    let grown = last_marked(natural + spare) - last_marked(natural);
    assert_eq!(grown, 15);
}

fn line_chart() -> Part {
    Part::Chart(ChartView {
        title: String::new(),
        x_label: String::new(),
        y_label: String::new(),
        x_log: false,
        y_log: false,
        series: vec![Series {
            name: "s".into(),
            marker: '*',
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            faint: false,
        }],
    })
}

fn small_table() -> Part {
    Part::Table(TableView {
        title: "t".into(),
        headers: vec!["h".into()],
        rows: vec![vec!["1".into()]; 2],
        highlight: None,
    })
}

/// Regression: a chart beside a table stayed at its natural height however tall the panel was.
/// Side by side, the group grows as far as its chart can: the chart gets the columns the
/// table leaves (60 - 3 table - 1 gap = 56), so at most (56 - 10) / 2 - 5 = 18 more rows.
#[test]
fn a_chart_beside_a_table_grows_into_spare_rows() {
    let theme = Theme::new(true, true);
    let v = View {
        parts: vec![Part::Columns(vec![small_table(), line_chart()])],
        ..View::default()
    };
    assert_eq!(part_width(&small_table()), 3);
    let last_marked = |h: u16| {
        let rows = lines(&draw(&v, &theme, 60, h, false));
        rows.iter().rposition(|r| r.contains('*')).unwrap_or(0)
    };
    let natural = view_height(&v, 60);
    assert_eq!(last_marked(natural + 10) - last_marked(natural), 10);
    assert_eq!(last_marked(natural + 40) - last_marked(natural), 18);
    // The table beside it is drawn as before, at the top.
    let rows = lines(&draw(&v, &theme, 60, natural + 10, false));
    assert!(rows[0].starts_with("t "), "{rows:#?}");
}

/// The same group too wide to stand side by side stacks, and then its chart shares the spare
/// rows as a chart stacked directly in the view does: at 30 columns a chart may take
/// (30 - 10) / 2 - 5 = 5 more rows.
#[test]
fn a_stacked_column_group_shares_spare_rows_like_the_view() {
    let theme = Theme::new(true, true);
    let wide_table = Part::Table(TableView {
        title: "t".into(),
        headers: vec!["h".repeat(40)],
        rows: vec![vec!["1".into()]],
        highlight: None,
    });
    let v = View {
        parts: vec![Part::Columns(vec![wide_table, line_chart()])],
        ..View::default()
    };
    let last_marked = |h: u16| {
        let rows = lines(&draw(&v, &theme, 30, h, false));
        rows.iter().rposition(|r| r.contains('*')).unwrap_or(0)
    };
    let natural = view_height(&v, 30);
    assert_eq!(last_marked(natural + 20) - last_marked(natural), 5);
}

/// A heatmap beside bars takes the columns the bars leave and zooms into spare rows: 2 rows,
/// so each zoom step takes 2 more rows; 6 spare rows give zoom 4 (cells 8 columns wide).
#[test]
fn a_heatmap_beside_bars_zooms_into_spare_rows() {
    let theme = Theme::new(true, true);
    let bars = Part::Bars(BarsView {
        title: String::new(),
        labels: vec!["x".into()],
        values: vec![1.0],
        decimals: 1,
        highlight: None,
        max: None,
    });
    let v = View {
        parts: vec![Part::Columns(vec![heatmap_2x2(), bars])],
        ..View::default()
    };
    let natural = view_height(&v, 60);
    let small = lines(&draw(&v, &theme, 60, natural, false));
    assert!(small[1].starts_with(" a   @@ "), "{small:#?}");
    let big = lines(&draw(&v, &theme, 60, natural + 6, false));
    assert!(
        big[1].starts_with(&format!(" a{}{}", " ".repeat(9), "@".repeat(8))),
        "{big:#?}"
    );
}
