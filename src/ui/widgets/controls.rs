//! The knobs of a visualizer — sliders, choices, toggles — one per line.
//!
//! Each control shows its current value in words or digits next to its picture, so the learner
//! never has to estimate a knob position. The selected control is marked with `▸` (ASCII `>`)
//! and its label drawn in reverse video, but only while the controls have focus: when focus is
//! elsewhere, arrow keys do not move them and a marker would mislead.
//!
//! At 70 columns or more, the controls are laid out in two columns, filled top to bottom and
//! then left to right, so that moving the selection down the list reads like a page.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::util::{
    fmt_value, pad_left, pad_right, put, short_ellipsis, style_rect, to_u16, truncate, width,
};
use crate::ui::theme::Theme;
use crate::viz::view::{Control, ControlKind};

/// From this width on, controls are drawn in two columns.
pub const TWO_COLUMN_WIDTH: u16 = 70;
/// Columns between the two columns of controls.
const COLUMN_GAP: usize = 2;
/// Labels longer than this are shortened.
const MAX_LABEL: usize = 18;
/// Slider track length in the natural width; tracks grow up to [`MAX_TRACK`] when room allows.
const NATURAL_TRACK: usize = 10;
const MAX_TRACK: usize = 20;

/// Draws a list of [`Control`]s with the selected one marked when `focused`.
pub struct ControlsWidget<'a> {
    pub controls: &'a [Control],
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
}

/// The glyphs of one theme.
struct Glyphs {
    marker: &'static str,
    left: &'static str,
    right: &'static str,
    filled: &'static str,
    knob: &'static str,
    empty: &'static str,
}

impl Glyphs {
    fn new(ascii: bool) -> Self {
        if ascii {
            Self {
                marker: ">",
                left: "<",
                right: ">",
                filled: "=",
                knob: "O",
                empty: "-",
            }
        } else {
            Self {
                marker: "▸",
                left: "◀",
                right: "▶",
                filled: "━",
                knob: "●",
                empty: "─",
            }
        }
    }
}

/// Where the knob sits on a track of `cells` cells (0-based).
// The fraction is clamped to [0, 1], so the product fits in `usize`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn knob_pos(value: f64, min: f64, max: f64, log: bool, cells: usize) -> usize {
    if cells == 0 {
        return 0;
    }
    // A slider stepped by factors (1, 2, 4 … 8192) measures its track in log units, so each
    // doubling moves the knob the same distance; on a linear track the first ten presses
    // would not move it at all.
    let frac = if log && min > 0.0 && max > min && value > 0.0 && value.is_finite() {
        ((value.ln() - min.ln()) / (max.ln() - min.ln())).clamp(0.0, 1.0)
    } else if max > min && value.is_finite() {
        ((value - min) / (max - min)).clamp(0.0, 1.0)
    } else if value == f64::INFINITY {
        1.0
    } else {
        0.0
    };
    ((frac * (cells - 1) as f64).round() as usize).min(cells - 1)
}

impl ControlsWidget<'_> {
    /// Rows needed at `width`: one per control, or half as many in two columns.
    pub fn height(&self, width: u16) -> u16 {
        let n = self.controls.len();
        if width >= TWO_COLUMN_WIDTH {
            to_u16(n.div_ceil(2))
        } else {
            to_u16(n)
        }
    }

    /// Width of one column of controls with sliders of natural length.
    pub fn width(&self) -> u16 {
        let lw = self.label_w();
        let vw = self.value_w();
        let g = Glyphs::new(self.theme.ascii);
        let line = |c: &Control| match &c.kind {
            ControlKind::Slider { .. } => 2 + lw + 2 + 2 + NATURAL_TRACK + 1 + vw,
            ControlKind::Choice { options, index } => {
                let opt = options.get(*index).map_or(1, |o| width(o));
                2 + lw + 2 + width(g.left) + 1 + opt + 1 + width(g.right)
            }
            ControlKind::Toggle(_) => 2 + 4 + width(&c.label).min(MAX_LABEL),
            ControlKind::Text { value, .. } => 2 + lw + 2 + 1 + width(value) + 2,
        } + c.inactive.as_ref().map_or(0, |why| width(why) + 3);
        to_u16(self.controls.iter().map(line).max().unwrap_or(0))
    }

    /// Width of the label column shared by sliders and choices (toggles put the box first).
    fn label_w(&self) -> usize {
        self.controls
            .iter()
            .filter(|c| !matches!(c.kind, ControlKind::Toggle(_)))
            .map(|c| width(&c.label))
            .max()
            .unwrap_or(0)
            .min(MAX_LABEL)
    }

    /// Width of the value column of sliders: wide enough for min, max and the value, so the
    /// track does not jump as the value changes.
    fn value_w(&self) -> usize {
        let ascii = self.theme.ascii;
        self.controls
            .iter()
            .filter_map(|c| match &c.kind {
                ControlKind::Slider {
                    value,
                    min,
                    max,
                    decimals,
                    ..
                } => [*value, *min, *max]
                    .iter()
                    .map(|v| width(&fmt_value(*v, *decimals, ascii)))
                    .max(),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Draws control `i` on one line of `col`, a rectangle one column of controls wide.
    fn draw_control(&self, buf: &mut Buffer, col: Rect, y: u16, i: usize, lw: usize, vw: usize) {
        let Some(control) = self.controls.get(i) else {
            return;
        };
        let t = self.theme;
        let g = Glyphs::new(t.ascii);
        let ell = short_ellipsis(t.ascii);
        let cw = usize::from(col.width);
        let on = self.focused && i == self.selected;
        let label_style = if on { t.selected } else { t.text };
        if on {
            put(buf, col, col.x, y, g.marker, t.selected);
        }
        let x0 = col.x.saturating_add(2);
        // Room kept at the end of the line for why the control is idle, so " (unused)" is
        // never cut to " (unu": the track or the option gives up columns instead.
        let why_w = control.inactive.as_ref().map_or(0, |why| width(why) + 3);
        let end = match &control.kind {
            ControlKind::Toggle(state) => {
                let boxed = if *state { "[x] " } else { "[ ] " };
                let x = put(buf, col, x0, y, boxed, t.bold);
                let label = truncate(&control.label, MAX_LABEL, ell);
                put(buf, col, x, y, &label, label_style)
            }
            ControlKind::Slider {
                value,
                min,
                max,
                decimals,
                log,
                ..
            } => {
                let label = pad_right(&truncate(&control.label, lw, ell), lw);
                put(buf, col, x0, y, &label, label_style);
                let track = cw
                    .saturating_sub(2 + lw + 2 + 2 + 1 + vw + why_w)
                    .clamp(1, MAX_TRACK);
                let knob = knob_pos(*value, *min, *max, *log, track);
                let mut x = x0.saturating_add(to_u16(lw + 2));
                x = put(buf, col, x, y, g.left, t.dim);
                x = put(buf, col, x, y, &g.filled.repeat(knob), t.bar);
                x = put(buf, col, x, y, g.knob, t.bold);
                x = put(buf, col, x, y, &g.empty.repeat(track - knob - 1), t.dim);
                x = put(buf, col, x, y, g.right, t.dim);
                let text = pad_left(&fmt_value(*value, *decimals, t.ascii), vw);
                put(buf, col, x.saturating_add(1), y, &text, t.text)
            }
            ControlKind::Text { value, editing } => {
                let label = pad_right(&truncate(&control.label, lw, ell), lw);
                put(buf, col, x0, y, &label, label_style);
                let x = x0.saturating_add(to_u16(lw + 2));
                let room = usize::from(col.right().saturating_sub(x)).saturating_sub(2);
                let shown = match editing {
                    Some(at) => with_cursor(value, *at, room, t.ascii, ell),
                    None => truncate(value, room, ell),
                };
                let style = if editing.is_some() {
                    t.selected
                } else {
                    t.bold
                };
                put(buf, col, x, y, &format!("[{shown}]"), style)
            }
            ControlKind::Choice { options, index } => {
                let label = pad_right(&truncate(&control.label, lw, ell), lw);
                put(buf, col, x0, y, &label, label_style);
                let option = options.get(*index).map_or("?", String::as_str);
                let mut x = x0.saturating_add(to_u16(lw + 2));
                x = put(buf, col, x, y, g.left, t.dim);
                let room = usize::from(col.right().saturating_sub(x))
                    .saturating_sub(3 + why_w)
                    .max(1);
                x = put(
                    buf,
                    col,
                    x,
                    y,
                    &format!(" {} ", truncate(option, room, ell)),
                    t.bold,
                );
                put(buf, col, x, y, g.right, t.dim)
            }
        };
        if let Some(why) = &control.inactive {
            let drawn = Rect::new(x0, y, end.saturating_sub(x0), 1);
            style_rect(buf, col, drawn, t.dim);
            put(buf, col, end, y, &format!(" ({why})"), t.dim);
        }
    }
}

impl Widget for ControlsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let n = self.controls.len();
        if area.width == 0 || area.height == 0 || n == 0 {
            return;
        }
        let two = area.width >= TWO_COLUMN_WIDTH;
        let (ncols, rows) = if two { (2, n.div_ceil(2)) } else { (1, n) };
        let aw = usize::from(area.width);
        let cw = if two { (aw - COLUMN_GAP) / 2 } else { aw };
        // Narrow columns: labels give up width, but keep room for a short track and value.
        let lw = self
            .label_w()
            .min(cw.saturating_sub(10 + self.value_w()).max(4));
        let vw = self.value_w();
        for c in 0..ncols {
            let x = area.x.saturating_add(to_u16(c * (cw + COLUMN_GAP)));
            let col = Rect::new(x, area.y, to_u16(cw), area.height).intersection(area);
            for r in 0..rows {
                let i = c * rows + r;
                let y = area.y.saturating_add(to_u16(r));
                if i >= n || y >= area.bottom() {
                    break;
                }
                self.draw_control(buf, col, y, i, lw, vw);
            }
        }
    }
}

/// The text being edited with a cursor mark at `at` (in characters), cut to `room` columns
/// around the cursor so it always stays in view, with `ell` where text is cut off.
fn with_cursor(value: &str, at: usize, room: usize, ascii: bool, ell: &str) -> String {
    let mark = if ascii { '_' } else { '▏' };
    let chars: Vec<char> = value.chars().collect();
    let at = at.min(chars.len());
    let w = |c: &char| width(c.encode_utf8(&mut [0u8; 4]));
    // The window starts as far left as lets the text up to the cursor (and the mark) fit:
    // walked back from the cursor once, so a 2 KB field costs one pass, not one per character.
    let mut start = at;
    let mut before = 0;
    while start > 0 && before + w(&chars[start - 1]) + 2 <= room {
        start -= 1;
        before += w(&chars[start]);
    }
    let mut out = String::new();
    let mut used = 1;
    if start > 0 {
        out.push_str(ell);
        used += 1;
    }
    for c in &chars[start..at] {
        out.push(*c);
        used += w(c);
    }
    out.push(mark);
    let rest = &chars[at..];
    let rest_w: usize = rest.iter().map(w).sum();
    if used + rest_w <= room {
        out.extend(rest);
    } else {
        for c in rest {
            if used + w(c) + 1 > room {
                out.push_str(ell);
                break;
            }
            out.push(*c);
            used += w(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::widgets::util::testing::{all_ascii, lines, plain, render, render_inset};
    use ratatui::style::Modifier;

    fn controls() -> Vec<Control> {
        vec![
            Control {
                label: "temperature".into(),
                kind: ControlKind::Slider {
                    value: 0.75,
                    min: 0.0,
                    max: 2.0,
                    step: 0.05,
                    decimals: 2,
                    log: false,
                },
                inactive: None,
            },
            Control {
                label: "sampling".into(),
                kind: ControlKind::Choice {
                    options: vec!["greedy".into(), "top-k".into()],
                    index: 1,
                },
                inactive: None,
            },
            Control {
                label: "show logits".into(),
                kind: ControlKind::Toggle(true),
                inactive: None,
            },
            Control {
                label: "causal mask".into(),
                kind: ControlKind::Toggle(false),
                inactive: None,
            },
        ]
    }

    fn widget<'a>(
        c: &'a [Control],
        selected: usize,
        focused: bool,
        theme: &'a Theme,
    ) -> ControlsWidget<'a> {
        ControlsWidget {
            controls: c,
            selected,
            focused,
            theme,
        }
    }

    #[test]
    fn the_cursor_stays_in_view_of_a_long_edited_text() {
        // 11 characters in 8 columns: at the end, the last 6 after an ellipsis, then the mark.
        assert_eq!(with_cursor("hello world", 11, 8, false, "…"), "… world▏");
        // At the start: the mark, the first 6, and an ellipsis for the rest.
        assert_eq!(with_cursor("hello world", 0, 8, false, "…"), "▏hello …");
        assert_eq!(with_cursor("abc", 1, 8, true, "~"), "a_bc");
    }

    #[test]
    fn exact_lines_one_column_unicode() {
        let theme = Theme::new(false, false);
        let c = controls();
        let w = widget(&c, 0, true, &theme);
        assert_eq!((w.width(), w.height(40)), (32, 4));
        let buf = render(w, 32, 4);
        let expected = Buffer::with_lines([
            "▸ temperature  ◀━━━●──────▶ 0.75",
            "  sampling     ◀ top-k ▶        ",
            "  [x] show logits               ",
            "  [ ] causal mask               ",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    #[test]
    fn exact_lines_ascii_selected_choice() {
        let theme = Theme::new(true, true);
        let c = controls();
        let buf = render(widget(&c, 1, true, &theme), 32, 4);
        let expected = Buffer::with_lines([
            "  temperature  <===O------> 0.75",
            "> sampling     < top-k >        ",
            "  [x] show logits               ",
            "  [ ] causal mask               ",
        ]);
        assert_eq!(plain(&buf), expected);
        assert!(all_ascii(&buf));
        // The selected label is reversed; the others are not.
        for x in 2..10 {
            assert!(buf[(x, 1)].modifier.contains(Modifier::REVERSED), "x={x}");
        }
        assert!(!buf[(2, 0)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn unfocused_controls_mark_nothing() {
        let theme = Theme::new(true, true);
        let c = controls();
        let buf = render(widget(&c, 2, false, &theme), 32, 4);
        assert_eq!(lines(&buf)[2], "  [x] show logits               ");
        assert!(!buf[(6, 2)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn two_columns_from_70_wide() {
        let theme = Theme::new(true, true);
        let c = controls();
        let w = widget(&c, 3, true, &theme);
        assert_eq!((w.height(69), w.height(70)), (4, 2));
        let buf = render(w, 70, 2);
        let expected = Buffer::with_lines([
            "  temperature  <====O-------> 0.75    [x] show logits                 ",
            "  sampling     < top-k >            > [ ] causal mask                 ",
        ]);
        assert_eq!(plain(&buf), expected);
    }

    /// Regression: the tokens slider doubles per press (1 … 8192) but its knob moved linearly,
    /// so the first ten presses did not move it. On a log track of 14 cells each doubling is
    /// one cell: 2^k sits at k · 13/13 = k (8192 = 2^13 at cell 13).
    #[test]
    fn a_log_slider_moves_its_knob_one_step_per_doubling() {
        let cells: Vec<usize> = (0..14)
            .map(|k| knob_pos(2f64.powi(k), 1.0, 8192.0, true, 14))
            .collect();
        assert_eq!(cells, (0..14).collect::<Vec<_>>());
        // Linear, 2, 4 … 512 would all sit in cell 0 or 1.
        assert_eq!(knob_pos(512.0, 1.0, 8192.0, false, 14), 1);
        let c = [crate::viz::log_slider("tokens", 64.0, 1.0, 8192.0)];
        let theme = Theme::new(true, true);
        let l = lines(&render(widget(&c, 0, false, &theme), 30, 1));
        // 64 = 2^6: the knob is in cell 6 of the track (after "<" and six "=").
        assert!(l[0].contains("<======O"), "{}", l[0]);
    }

    /// Regression: controls that do nothing in the panel's mode looked live. An inactive control
    /// is dimmed and says why in one word.
    #[test]
    fn an_inactive_control_is_dimmed_and_says_why() {
        let c = [
            crate::viz::choice("vocabulary", vec!["1000".into()], 0).inactive_when(true, "fixed")
        ];
        // Colours on (no_color false), so "dim" is a real style to look for.
        let theme = Theme::new(false, true);
        let buf = render(widget(&c, 0, false, &theme), 40, 1);
        assert_eq!(lines(&buf)[0].trim_end(), "  vocabulary  < 1000 > (fixed)");
        let dim = theme.dim;
        assert!(dim.add_modifier.contains(Modifier::DIM));
        for x in 2..30 {
            assert!(
                buf[(x, 0)].modifier.contains(Modifier::DIM),
                "cell {x} not dimmed"
            );
        }
        let live =
            [crate::viz::choice("vocabulary", vec!["1000".into()], 0)
                .inactive_when(false, "fixed")];
        let l = lines(&render(widget(&live, 0, false, &theme), 40, 1));
        assert!(!l[0].contains("(fixed)"));
    }

    #[test]
    fn knob_stays_on_the_track() {
        assert_eq!(knob_pos(0.0, 0.0, 1.0, false, 10), 0);
        assert_eq!(knob_pos(1.0, 0.0, 1.0, false, 10), 9);
        assert_eq!(knob_pos(5.0, 0.0, 1.0, false, 10), 9);
        assert_eq!(knob_pos(f64::NAN, 0.0, 1.0, false, 10), 0);
        assert_eq!(knob_pos(0.5, 1.0, 1.0, false, 10), 0);
        assert_eq!(knob_pos(0.5, 0.0, 1.0, false, 0), 0);
        assert_eq!(
            knob_pos(0.0, 0.0, 1.0, true, 10),
            0,
            "log of 0: the linear rule"
        );
    }

    #[test]
    fn tiny_areas_and_odd_controls_never_panic_or_overflow() {
        let mut odd = controls();
        odd.push(Control {
            label: "日本語のとても長いラベルです".into(),
            kind: ControlKind::Choice {
                options: vec![],
                index: 3,
            },
            inactive: None,
        });
        odd.push(Control {
            label: String::new(),
            kind: ControlKind::Slider {
                value: f64::NAN,
                min: 5.0,
                max: -5.0,
                step: 0.0,
                decimals: 300,
                log: false,
            },
            inactive: None,
        });
        for theme in [Theme::new(false, false), Theme::new(true, true)] {
            for c in [controls(), odd.clone(), vec![]] {
                for (w, h) in [(0, 0), (1, 1), (3, 2), (20, 3), (69, 6), (70, 6), (120, 2)] {
                    let buf = render_inset(widget(&c, 9, true, &theme), w, h);
                    if theme.ascii && c.iter().all(|c| c.label.is_ascii()) {
                        assert!(all_ascii(&buf));
                    }
                }
            }
        }
    }
}
