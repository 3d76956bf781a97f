use super::*;
use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
use ndarray::{array, Array2};
use ratatui::style::Modifier;

fn view() -> HeatmapView {
    HeatmapView {
        title: "Attn".into(),
        row_labels: vec!["a".into(), "bb".into(), "ccc".into()],
        col_labels: vec!["x".into(), "y".into(), "z".into()],
        values: array![
            [0.0, 0.25, 0.5],
            [0.75, 1.0, f64::NAN],
            [f64::NEG_INFINITY, 0.5, 1.0]
        ],
        range: None,
        cursor: Some((1, 0)),
    }
}

fn widget<'a>(v: &'a HeatmapView, theme: &'a Theme) -> HeatmapWidget<'a> {
    HeatmapWidget { view: v, theme }
}

/// Regression: the positional map's dimension axis was blank. Columns whose labels are all
/// empty are numbered (tens above units), with no legend; before, the empty labels were
/// drawn "exactly", as nothing.
#[test]
fn all_empty_labels_number_the_columns() {
    let v = HeatmapView {
        title: String::new(),
        row_labels: vec!["0".into()],
        col_labels: vec![String::new(); 12],
        values: Array2::from_elem((1, 12), 0.5),
        range: Some((0.0, 1.0)),
        cursor: None,
    };
    let theme = Theme::new(true, true);
    let w = widget(&v, &theme);
    assert_eq!(w.height(40), 2 + 1 + 1, "tens, units, one row, the scale");
    let l = lines(&render(w, 40, 4));
    assert_eq!(l[0].trim_end(), "                       1");
    assert_eq!(l[1].trim_end(), "   0 1 2 3 4 5 6 7 8 9 0 1");
}

#[test]
fn exact_lines_with_shades_scale_and_readout() {
    let theme = Theme::new(false, false);
    let v = view();
    let w = widget(&v, &theme);
    assert_eq!((w.width(), w.height(20)), (20, 7));
    let buf = render(w, 20, 7);
    let expected = Buffer::with_lines([
        "Attn                ",
        "     x y z          ",
        " a     ░░▒▒         ",
        ">bb  ▓▓██           ",
        " ccc   ▒▒██         ",
        " 0.000 [ ░▒▓█] 1.000",
        " bb → x: 0.750      ",
    ]);
    assert_eq!(plain(&buf), expected);
}

#[test]
fn ascii_lines_and_only_ascii() {
    let theme = Theme::new(true, true);
    let v = view();
    let buf = render(widget(&v, &theme), 25, 7);
    let expected = Buffer::with_lines([
        "Attn                     ",
        "     x y z               ",
        " a     ::++              ",
        ">bb  ##@@                ",
        " ccc   ++@@              ",
        " 0.000 [ .:-=+*#%@] 1.000",
        " bb -> x: 0.750          ",
    ]);
    assert_eq!(plain(&buf), expected);
    assert!(all_ascii(&buf));
}

#[test]
fn min_is_lightest_and_max_darkest() {
    for ascii in [false, true] {
        let shades = ramp(ascii);
        let n = shades.len();
        assert_eq!(shade_index(-2.0, -2.0, 3.0, n), Some(0));
        assert_eq!(shade_index(3.0, -2.0, 3.0, n), Some(n - 1));
        assert_eq!(shade_index(f64::NEG_INFINITY, -2.0, 3.0, n), Some(0));
        assert_eq!(shade_index(f64::INFINITY, -2.0, 3.0, n), Some(n - 1));
        assert_eq!(shade_index(f64::NAN, -2.0, 3.0, n), None);
        // A constant matrix: no division by zero, the middle shade.
        assert_eq!(
            shade_index(1.0, 1.0, 1.0, n),
            Some((n - 1) / 2 + (n - 1) % 2)
        );
        let theme = Theme::new(true, ascii);
        let v = HeatmapView {
            values: array![[5.0, 9.0]],
            row_labels: vec![],
            col_labels: vec![],
            cursor: None,
            title: String::new(),
            range: None,
        };
        let buf = render(widget(&v, &theme), 10, 3);
        let l = lines(&buf);
        let light = shades[0].to_string();
        let dark = shades[n - 1].to_string();
        assert_eq!(&l[1][2..2 + light.len()], light, "{l:?}");
        assert!(l[1].contains(&format!("{dark}{dark}")), "{l:?}");
    }
}

#[test]
fn explicit_range_clamps_values() {
    let theme = Theme::new(true, true);
    let mut v = view();
    v.range = Some((0.0, 0.5));
    v.cursor = None;
    let buf = render(widget(&v, &theme), 25, 5);
    assert_eq!(lines(&buf)[2], " a     ++@@              ");
}

#[test]
fn cursor_is_reversed_and_its_row_marked() {
    let theme = Theme::new(true, true);
    let v = view();
    let buf = render(widget(&v, &theme), 25, 7);
    assert!(buf[(5, 3)].modifier.contains(Modifier::REVERSED));
    assert!(buf[(6, 3)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(7, 3)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(5, 2)].modifier.contains(Modifier::REVERSED));
    assert_eq!(buf[(0, 3)].symbol(), ">");
    assert!(buf[(1, 3)].modifier.contains(Modifier::UNDERLINED));
    assert!(buf[(5, 1)].modifier.contains(Modifier::UNDERLINED));
    assert!(!buf[(7, 1)].modifier.contains(Modifier::UNDERLINED));
}

#[test]
fn long_labels_are_shortened_and_numbered_with_a_legend() {
    let theme = Theme::new(false, false);
    let v = HeatmapView {
        title: String::new(),
        row_labels: vec!["tokenization".into(), "is".into()],
        col_labels: vec!["tokenization".into(), "is".into()],
        values: array![[1.0, 0.0], [0.5, 0.5]],
        range: Some((0.0, 1.0)),
        cursor: None,
    };
    let w = widget(&v, &theme);
    assert_eq!(w.height(30), 5);
    let buf = render(w, 30, 5);
    let expected = Buffer::with_lines([
        "          0 1                 ",
        " tokeniz… ██                  ",
        " is       ▒▒▒▒                ",
        " 0.000 [ ░▒▓█] 1.000          ",
        " 0:tokenizat…  1:is           ",
    ]);
    assert_eq!(plain(&buf), expected);
}

#[test]
fn many_columns_get_a_tens_ruler_and_are_cut_to_fit() {
    let theme = Theme::new(true, true);
    let v = HeatmapView {
        title: String::new(),
        row_labels: vec!["r".into()],
        col_labels: (0..30).map(|i| format!("tok{i}")).collect(),
        values: Array2::from_shape_fn((1, 30), |(_, j)| j as f64),
        range: None,
        cursor: None,
    };
    let buf = render_inset(widget(&v, &theme), 32, 7);
    let l = lines(&buf);
    assert_eq!(&l[2][2..34], "                       1        ");
    assert_eq!(&l[3][2..34], "   0 1 2 3 4 5 6 7 8 9 0 1 2 ...");
    // Only the minimum (column 0) is blank; the next value already gets the first shade.
    assert_eq!(&l[4][2..34], " r   ........::::::::------==...");
    // Legend lines stay inside the area and end with an ellipsis when cut.
    assert!(l[8][2..34].trim_end().ends_with("..."), "{l:?}");
}

#[test]
fn tiny_areas_and_odd_data_never_panic_or_overflow() {
    let odd = HeatmapView {
        title: "a title much longer than the area".into(),
        row_labels: vec![],
        col_labels: vec!["日本語".into()],
        values: array![[f64::NAN, f64::INFINITY], [f64::NAN, f64::NAN]],
        range: Some((f64::NAN, 1.0)),
        cursor: Some((9, 9)),
    };
    let constant = HeatmapView {
        values: Array2::from_elem((3, 3), 0.5),
        ..view()
    };
    let empty = HeatmapView {
        values: Array2::zeros((0, 0)),
        ..view()
    };
    for theme in [Theme::new(false, false), Theme::new(true, true)] {
        for v in [view(), odd.clone(), constant.clone(), empty.clone()] {
            for (w, h) in [(0, 0), (1, 1), (3, 2), (6, 3), (40, 12)] {
                let buf = render_inset(widget(&v, &theme), w, h);
                if theme.ascii && v.col_labels.iter().all(|l| l.is_ascii()) {
                    assert!(all_ascii(&buf));
                }
            }
        }
    }
}
