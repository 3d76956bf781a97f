use super::ticks::{fmt_pow10, fmt_scaled, linear_scale, log_scale};
use super::*;
use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
use crate::viz::view::Series;

fn series(name: &str, marker: char, points: Vec<(f64, f64)>) -> Series {
    Series {
        name: name.into(),
        marker,
        points,
        faint: false,
    }
}

fn loglog() -> ChartView {
    ChartView {
        title: "Scaling".into(),
        x_label: "params".into(),
        y_label: "loss".into(),
        x_log: true,
        y_log: true,
        series: vec![
            series(
                "train",
                '•',
                vec![(1.0, 1000.0), (10.0, 300.0), (100.0, 100.0), (1e4, 10.0)],
            ),
            series("val", '+', vec![(1.0, 2000.0), (1e4, 20.0), (0.0, 5.0)]),
        ],
    }
}

fn linear() -> ChartView {
    ChartView {
        title: "Loss".into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        x_log: false,
        y_log: false,
        series: vec![series(
            "loss",
            '*',
            vec![(0.0, 4.0), (50.0, 2.0), (100.0, 1.0)],
        )],
    }
}

fn widget<'a>(v: &'a ChartView, theme: &'a Theme) -> ChartWidget<'a> {
    ChartWidget { view: v, theme }
}

/// The tokens of a line, split on spaces.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').filter(|w| !w.is_empty()).collect()
}

#[test]
fn exact_lines_linear_ascii() {
    let theme = Theme::new(true, true);
    let v = linear();
    let buf = render(widget(&v, &theme), 30, 10);
    // The y label shares the title's row and the x label the legend's: 5 plot rows, not 3.
    let expected = Buffer::with_lines([
        "Loss   y: loss                ",
        "4 +***                        ",
        "  |   *****                   ",
        "2 +        ******             ",
        "  |              **********   ",
        "  |                        ***",
        "0 +                           ",
        "  ++------------+------------+",
        "   0           50          100",
        "* loss                 x: step",
    ]);
    assert_eq!(plain(&buf), expected);
}

#[test]
fn exact_lines_log_log_unicode_at_40x10() {
    let theme = Theme::new(false, false);
    let v = loglog();
    let buf = render(widget(&v, &theme), 40, 10);
    // `+` reads as an axis tick (ASCII draws ticks with it), so no series uses it: val takes `*`.
    let expected = Buffer::with_lines([
        "Scaling   y: loss                       ",
        "100k ┤                                  ",
        "     │                                  ",
        "  1k ┤*****                             ",
        "     │ ••••**************               ",
        "     │              •••••*************  ",
        "  10 ┤                           •••••**",
        "     └┬───────┬────────┬───────┬───────┬",
        "      1      10       100     1k     10k",
        "• train  * val                 x: params",
    ]);
    assert_eq!(plain(&buf), expected);
    // Series are styled with the theme's series styles, in order.
    assert_eq!(buf[(8, 4)].fg, theme.series[0].fg.unwrap_or_default());
    assert_eq!(buf[(6, 3)].fg, theme.series[1].fg.unwrap_or_default());
}

#[test]
fn log_axis_ticks_are_powers_of_ten() {
    let theme = Theme::new(true, true);
    let v = ChartView {
        y_log: false,
        series: vec![series("s", '*', vec![(1.0, 1.0), (10000.0, 2.0)])],
        ..loglog()
    };
    // The tick labels are the row under the x axis.
    let ticks = |l: &[String]| l[l.iter().position(|r| r.contains("+-")).unwrap_or(0) + 1].clone();
    for w in [30, 40, 80] {
        let buf = render(widget(&v, &theme), w, 12);
        let l = lines(&buf);
        assert_eq!(
            words(&ticks(&l)),
            ["1", "10", "100", "1k", "10k"],
            "width {w}"
        );
    }
    // Narrow: fewer decades are labelled, never overlapping.
    let buf = render(widget(&v, &theme), 16, 12);
    assert_eq!(words(&ticks(&lines(&buf))), ["1", "100", "10k"]);
}

#[test]
fn tick_label_formats() {
    let labels = |k: std::ops::RangeInclusive<i32>| k.map(fmt_pow10).collect::<Vec<_>>();
    assert_eq!(
        labels(-4..=13),
        [
            "1e-4", "1e-3", "0.01", "0.1", "1", "10", "100", "1k", "10k", "100k", "1M", "10M",
            "100M", "1B", "10B", "100B", "1e12", "1e13"
        ]
    );
    assert_eq!(fmt_scaled(3, -1), "0.3");
    assert_eq!(fmt_scaled(-25, -1), "-2.5");
    assert_eq!(fmt_scaled(15, 2), "1.5k");
    assert_eq!(fmt_scaled(25, -6), "2.5e-5");
    assert_eq!(fmt_scaled(0, 7), "0");
    let s = linear_scale(0.0, 0.3, 5);
    let l: Vec<&str> = s.ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(l, ["0", "0.1", "0.2", "0.3"]);
}

#[test]
fn linear_axes_get_three_to_five_round_ticks() {
    for (lo, hi) in [
        (0.0, 1.0),
        (0.0, 5.1),
        (-3.0, 7.0),
        (1.7, 1.9),
        (0.0, 12345.0),
    ] {
        let s = linear_scale(lo, hi, 5);
        assert!((3..=5).contains(&s.ticks.len()), "{lo}..{hi}: {s:?}");
        assert!(s.lo <= lo && s.hi >= hi, "{lo}..{hi}: {s:?}");
    }
    let equal = linear_scale(2.0, 2.0, 5);
    assert!(equal.lo < 2.0 && equal.hi > 2.0);
}

#[test]
fn edge_cases_draw_sensibly() {
    let theme = Theme::new(true, true);
    // All-equal y: a flat line in the middle of the plot.
    let flat = ChartView {
        series: vec![series("s", '*', vec![(0.0, 3.0), (10.0, 3.0)])],
        ..linear()
    };
    let l = lines(&render(widget(&flat, &theme), 30, 12));
    assert!(l.iter().any(|r| r.ends_with(&"*".repeat(25))), "{l:?}");
    // A single point: one marker.
    let one = ChartView {
        series: vec![series("s", '@', vec![(5.0, 5.0), (f64::NAN, 1.0)])],
        ..linear()
    };
    let l = lines(&render(widget(&one, &theme), 30, 12));
    // One in the plot, one in the legend.
    assert_eq!(l.iter().map(|r| r.matches('@').count()).sum::<usize>(), 2);
    // Nothing drawable: "no data", and no marker anywhere in the plot.
    let none = ChartView {
        series: vec![series("s", '#', vec![(-1.0, 1.0), (f64::INFINITY, 2.0)])],
        ..loglog()
    };
    let l = lines(&render(widget(&none, &theme), 30, 12));
    assert!(l.iter().any(|r| r.contains("no data")), "{l:?}");
    assert_eq!(l.iter().map(|r| r.matches('#').count()).sum::<usize>(), 1);
}

#[test]
fn labels_stay_inside_and_axis_stays_intact() {
    let theme = Theme::new(true, true);
    let wide = ChartView {
        x_log: false,
        y_log: false,
        series: vec![series(
            "s",
            '*',
            vec![(-123_456.7, 0.000_012), (987_654_321.0, 0.000_5)],
        )],
        ..loglog()
    };
    for v in [loglog(), linear(), wide] {
        for w in [8, 12, 20, 33, 47, 80] {
            for h in [4, 7, 10, 20] {
                let chart = widget(&v, &theme);
                let rows = chart.lines(h, w);
                let buf = render_inset(chart, w, h);
                let l: Vec<String> = lines(&buf)
                    .iter()
                    .map(|r| r[2..2 + usize::from(w)].to_string())
                    .skip(2)
                    .collect();
                // Every plot row has the axis (or a tick on it) in the corner's column:
                // tick labels never run into it.
                let top = usize::from(rows.title) + usize::from(rows.y_label && !rows.y_on_title);
                let axis_row = top + usize::from(rows.plot);
                let Some(corner) = l.get(axis_row).and_then(|r| r.find('+')) else {
                    continue;
                };
                for r in &l[top..axis_row] {
                    assert!(matches!(&r[corner..=corner], "|" | "+"), "{l:?}");
                }
            }
        }
    }
}

#[test]
fn ascii_mode_outputs_only_ascii() {
    let theme = Theme::new(true, true);
    let v = loglog();
    let buf = render(widget(&v, &theme), 40, 16);
    assert!(all_ascii(&buf));
    assert!(lines(&buf)
        .last()
        .is_some_and(|l| l.starts_with("* train  o val")));
}

#[test]
fn short_areas_drop_optional_lines_first() {
    let theme = Theme::new(true, true);
    let v = linear();
    let w = widget(&v, &theme);
    // title, y label, x label, legend, 5 plot rows, the axis and its tick labels.
    assert_eq!(w.height(80), 11);
    // Wide enough to merge labels: nothing need go.
    let l = w.lines(7, 80);
    assert_eq!(
        (l.title, l.y_label, l.x_label, l.legend, l.plot),
        (true, true, true, true, 3)
    );
    // Too narrow to merge: the y and x labels go first.
    let l = w.lines(7, 12);
    assert_eq!(
        (l.title, l.y_label, l.x_label, l.legend, l.plot),
        (true, false, false, true, 3)
    );
}

#[test]
fn tiny_areas_and_odd_data_never_panic() {
    let odd = ChartView {
        title: String::new(),
        x_label: String::new(),
        y_label: String::new(),
        x_log: true,
        y_log: false,
        series: vec![
            series("", '\u{0}', vec![]),
            series("wide", '日', vec![(1e-300, f64::MAX), (1e300, f64::MIN)]),
            series("same", 'x', vec![(5.0, 1.0); 4]),
        ],
    };
    let empty = ChartView {
        series: vec![],
        ..linear()
    };
    for theme in [Theme::new(false, false), Theme::new(true, true)] {
        for v in [loglog(), linear(), odd.clone(), empty.clone()] {
            for (w, h) in [(0, 0), (1, 1), (3, 2), (6, 4), (40, 10)] {
                let buf = render_inset(widget(&v, &theme), w, h);
                if theme.ascii {
                    assert!(all_ascii(&buf));
                }
            }
        }
    }
}

/// Regression: one axis read `10M 100M 1B 10B 100B 1e12 1e13`. Each axis now writes all its
/// ticks in one style: SI units, or powers of ten throughout.
#[test]
fn every_tick_of_an_axis_shares_one_style() {
    let labels = |s: &Scale| s.ticks.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>();
    // log10 of 1e7 … 1e13: a decade (12, 13) has no SI unit, so all are powers of ten.
    assert_eq!(
        labels(&log_scale(7.0, 13.0, 7)),
        ["1e7", "1e8", "1e9", "1e10", "1e11", "1e12", "1e13"]
    );
    // Decades that all have units keep them.
    assert_eq!(labels(&log_scale(0.0, 6.0, 4)), ["1", "100", "10k", "1M"]);
    // Linear 0 … 1.5M in steps of 0.5M: all within the units.
    assert_eq!(
        labels(&linear_scale(0.0, 1.5e6, 4)),
        ["0", "500k", "1M", "1.5M"]
    );
    // 0.5e12 … 1.5e12 reaches past B: scientific notation for every tick, 500B included.
    assert_eq!(
        labels(&linear_scale(5e11, 1.5e12, 3)),
        ["5e11", "1e12", "1.5e12"]
    );
}

#[test]
fn a_kept_runs_ghost_never_takes_the_glyph_of_a_current_line() {
    let theme = Theme::new(true, true);
    // Two ghosts listed first, both asking for the glyph of the current train line.
    let ghost = |name: &str| Series {
        faint: true,
        ..series(name, '*', vec![(0.0, 3.0), (10.0, 2.0)])
    };
    let v = ChartView {
        series: vec![
            ghost("lr 0.01"),
            ghost("lr 0.03"),
            series("train", '*', vec![(0.0, 4.0), (10.0, 1.0)]),
            series("held-out", 'o', vec![(0.0, 4.5), (10.0, 1.5)]),
        ],
        ..linear()
    };
    let markers = widget(&v, &theme).markers();
    assert_eq!(markers[2..], ['*', 'o'], "{markers:?}");
    assert!(markers[0] != markers[1] && !markers[..2].contains(&'*'));
    assert!(!markers[..2].contains(&'o'), "{markers:?}");
}
