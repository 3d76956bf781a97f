//! A horizontal bar chart of a few labelled values: a next-token distribution, a comparison.
//!
//! Horizontal bars leave room for readable labels (tokens, model names) on the left, which
//! vertical bars in a terminal do not. Bar ends use Unicode eighth blocks so that two close
//! probabilities still get visibly different bars even when the bar is only 20 columns long;
//! ASCII mode rounds to whole `#` cells. The number is always printed next to the bar, because
//! a bar alone cannot say whether it means 0.31 or 0.33, and because a negative value (which
//! gets no bar) must still be visible.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;

use super::util::{fmt_value, pad_left, pad_right, put, short_ellipsis, to_u16, truncate, width};
use crate::ui::theme::Theme;
use crate::viz::view::BarsView;

/// Labels longer than this are shortened so the bars keep their room.
const MAX_LABEL: usize = 20;
/// Bar length in the natural width.
const NATURAL_BAR: usize = 30;
/// Bars never grow past this, so a wide terminal does not turn a distribution into a smear.
const MAX_BAR: usize = 40;
/// Partial blocks for 1/8 … 7/8 of a cell.
const EIGHTHS: [char; 7] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// Draws a [`BarsView`]: title, then one line per value: marker, label, bar, value.
pub struct BarsWidget<'a> {
    pub view: &'a BarsView,
    pub theme: &'a Theme,
}

impl BarsWidget<'_> {
    /// Rows needed: the title (when there is one) and one line per value.
    pub fn height(&self, _width: u16) -> u16 {
        to_u16(usize::from(!self.view.title.is_empty()) + self.view.values.len())
    }

    /// Columns for a bar of natural length plus label and value.
    pub fn width(&self) -> u16 {
        let line = 1 + self.label_w() + 1 + NATURAL_BAR + 1 + self.value_w();
        to_u16(line.max(width(&self.view.title)))
    }

    fn label_w(&self) -> usize {
        let n = self.view.values.len();
        self.view
            .labels
            .iter()
            .take(n)
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            .min(MAX_LABEL)
    }

    fn value_w(&self) -> usize {
        self.view
            .values
            .iter()
            .map(|v| width(&fmt_value(*v, self.view.decimals, self.theme.ascii)))
            .max()
            .unwrap_or(0)
    }

    /// The value a full bar stands for: the view's `max` when usable, else the largest value.
    /// `None` when nothing is positive, so no bar is drawn rather than dividing by zero.
    fn scale(&self) -> Option<f64> {
        let usable = |m: f64| m.is_finite() && m > 0.0;
        self.view.max.filter(|m| usable(*m)).or_else(|| {
            self.view
                .values
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(None, |acc: Option<f64>, v| {
                    Some(acc.map_or(v, |a| a.max(v)))
                })
                .filter(|m| usable(*m))
        })
    }
}

/// The bar for `frac` (0..=1) of `cells` columns.
// `frac` is clamped to [0, 1], so the products are in [0, cells * 8] and the casts cannot truncate.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn bar_text(frac: f64, cells: usize, ascii: bool) -> String {
    let frac = if frac.is_nan() {
        0.0
    } else {
        frac.clamp(0.0, 1.0)
    };
    if ascii {
        let n = (frac * cells as f64).round() as usize;
        "#".repeat(n.min(cells))
    } else {
        let eighths = ((frac * (cells * 8) as f64).round() as usize).min(cells * 8);
        let mut s = "█".repeat(eighths / 8);
        if let Some(c) = (eighths % 8).checked_sub(1).and_then(|i| EIGHTHS.get(i)) {
            s.push(*c);
        }
        s
    }
}

impl Widget for BarsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let v = self.view;
        let t = self.theme;
        let ascii = t.ascii;
        let aw = usize::from(area.width);
        let value_w = self.value_w();
        // Narrow areas: labels give up width first, down to a third of the line.
        let label_w = self.label_w().min((aw / 3).max(1));
        let bar_w = aw
            .saturating_sub(1 + label_w + 1 + 1 + value_w)
            .min(MAX_BAR);
        let scale = self.scale();

        let mut y = area.y;
        if !v.title.is_empty() {
            put(buf, area, area.x, y, &v.title, t.title);
            y = y.saturating_add(1);
        }
        for (i, &value) in v.values.iter().enumerate() {
            if y >= area.bottom() {
                break;
            }
            let on = v.highlight == Some(i);
            if on {
                put(buf, area, area.x, y, ">", t.selected);
            }
            let label = v.labels.get(i).map_or("", String::as_str);
            let label = pad_right(&truncate(label, label_w, short_ellipsis(ascii)), label_w);
            put(
                buf,
                area,
                area.x + 1,
                y,
                &label,
                if on { t.selected } else { t.text },
            );
            let x_bar = area.x.saturating_add(to_u16(1 + label_w + 1));
            let bar = match scale {
                Some(m) if value.is_finite() && value > 0.0 => bar_text(value / m, bar_w, ascii),
                Some(_) if value == f64::INFINITY => bar_text(1.0, bar_w, ascii),
                _ => String::new(),
            };
            let bar_style = if on {
                t.bar.add_modifier(Modifier::BOLD)
            } else {
                t.bar
            };
            put(buf, area, x_bar, y, &bar, bar_style);
            let x_value = x_bar.saturating_add(to_u16(bar_w + 1));
            let text = pad_left(&fmt_value(value, v.decimals, ascii), value_w);
            put(
                buf,
                area,
                x_value,
                y,
                &text,
                if on { t.bold } else { t.text },
            );
            y = y.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
    use ratatui::style::Modifier;

    fn view() -> BarsView {
        BarsView {
            title: "next token".into(),
            labels: vec!["the".into(), "cat".into(), "a".into()],
            values: vec![0.5, 0.33, -0.1],
            decimals: 2,
            highlight: Some(0),
            max: None,
        }
    }

    fn widget<'a>(v: &'a BarsView, theme: &'a Theme) -> BarsWidget<'a> {
        BarsWidget { view: v, theme }
    }

    #[test]
    fn exact_lines_with_eighths_and_negative() {
        let theme = Theme::new(false, false);
        let v = view();
        let buf = render(widget(&v, &theme), 21, 4);
        // 0.33 / 0.5 of 10 cells = 52.8 eighths -> 6 full blocks and 5/8.
        let expected = Buffer::with_lines([
            "next token           ",
            ">the ██████████  0.50",
            " cat ██████▋     0.33",
            " a              -0.10",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    #[test]
    fn ascii_bars_and_highlight_style() {
        let theme = Theme::new(true, true);
        let mut v = view();
        v.max = Some(1.0);
        v.highlight = Some(1);
        let buf = render(widget(&v, &theme), 21, 4);
        let expected = Buffer::with_lines([
            "next token           ",
            " the #####       0.50",
            ">cat ###         0.33",
            " a              -0.10",
        ]);
        assert_eq!(plain(&buf), expected);
        assert!(all_ascii(&buf));
        for x in 1..4 {
            let m = buf[(x, 2)].modifier;
            assert!(m.contains(Modifier::REVERSED | Modifier::BOLD), "x={x}");
            assert!(!buf[(x, 1)].modifier.contains(Modifier::REVERSED));
        }
        assert!(buf[(19, 2)].modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn bar_text_rounds_to_eighths() {
        assert_eq!(bar_text(0.0, 4, false), "");
        assert_eq!(bar_text(1.0, 4, false), "████");
        assert_eq!(bar_text(0.5 + 1.0 / 32.0, 4, false), "██▏");
        assert_eq!(bar_text(2.0, 4, true), "####");
        assert_eq!(bar_text(f64::NAN, 4, true), "");
    }

    #[test]
    fn size_and_nothing_positive() {
        let theme = Theme::new(false, false);
        let v = view();
        let w = widget(&v, &theme);
        assert_eq!((w.width(), w.height(80)), (41, 4));
        let zeros = BarsView {
            values: vec![0.0, -1.0, f64::NAN],
            max: Some(0.0),
            ..view()
        };
        let buf = render(widget(&zeros, &theme), 21, 4);
        assert_eq!(lines(&buf)[3], " a                  ·");
    }

    #[test]
    fn tiny_areas_and_odd_data_never_panic_or_overflow() {
        let odd = BarsView {
            title: String::new(),
            labels: vec!["a label that is far too long to show".into()],
            values: vec![f64::INFINITY, f64::NEG_INFINITY, 1e300, 3.0],
            decimals: 99,
            highlight: Some(7),
            max: Some(f64::NAN),
        };
        let empty = BarsView {
            labels: vec![],
            values: vec![],
            ..view()
        };
        for theme in [Theme::new(false, false), Theme::new(true, true)] {
            for v in [view(), odd.clone(), empty.clone()] {
                for (w, h) in [(0, 0), (1, 1), (3, 2), (12, 3), (80, 6)] {
                    let buf = render_inset(widget(&v, &theme), w, h);
                    if theme.ascii {
                        assert!(all_ascii(&buf));
                    }
                }
            }
        }
    }
}
