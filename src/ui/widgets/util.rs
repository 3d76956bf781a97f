//! Drawing helpers shared by the widgets: clipped writes, display widths, truncation, glyphs and
//! number formatting.
//!
//! Every widget writes text through [`put`], which clips to the widget's own area (and to the
//! buffer), so no data — a long label, a wide CJK token, a stray control character — can make a
//! widget draw outside the rectangle it was given or index outside the buffer.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

/// Replaces control characters with spaces.
///
/// ratatui silently drops control characters while `unicode-width` counts some of them, so a
/// tab in a label would otherwise shift every column after it. One space per control character
/// keeps measured and drawn widths equal.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Display width of `s` in terminal columns (control characters count as one space).
pub(crate) fn width(s: &str) -> usize {
    UnicodeWidthStr::width(clean(s).as_ref())
}

/// `usize` to `u16`, saturating: widths of huge data must not wrap around.
pub(crate) fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Shortens `s` to at most `max` columns, ending with `ell` when something was cut.
///
/// When even the ellipsis does not fit, the plain prefix is returned: a cut label is still more
/// useful than an ellipsis alone.
pub(crate) fn truncate(s: &str, max: usize, ell: &str) -> String {
    let s = clean(s);
    if width(&s) <= max {
        return s.into_owned();
    }
    let ell_w = width(ell);
    let (budget, tail) = if ell_w < max {
        (max - ell_w, ell)
    } else {
        (max, "")
    };
    let (cut, _) = s.unicode_truncate(budget);
    format!("{cut}{tail}")
}

/// `s` padded with spaces on the left to `w` columns (right-aligned); longer text is kept whole.
pub(crate) fn pad_left(s: &str, w: usize) -> String {
    let sw = width(s);
    format!("{}{}", " ".repeat(w.saturating_sub(sw)), s)
}

/// `s` padded with spaces on the right to `w` columns (left-aligned); longer text is kept whole.
pub(crate) fn pad_right(s: &str, w: usize) -> String {
    let sw = width(s);
    format!("{}{}", s, " ".repeat(w.saturating_sub(sw)))
}

/// Writes `s` at (`x`, `y`) clipped to `area` and to the buffer; returns the column after the
/// last one written (or `x` when nothing could be written).
pub(crate) fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, s: &str, style: Style) -> u16 {
    let area = area.intersection(buf.area);
    if y < area.y || y >= area.bottom() || x < area.x || x >= area.right() {
        return x;
    }
    let max = usize::from(area.right() - x);
    buf.set_stringn(x, y, clean(s), max, style).0
}

/// Returns the line `y` points at and moves `y` to the next one (widgets stack lines).
pub(crate) fn next_line(y: &mut u16) -> u16 {
    let cur = *y;
    *y = y.saturating_add(1);
    cur
}

/// Applies `style` to `rect`, clipped to `area` and to the buffer.
pub(crate) fn style_rect(buf: &mut Buffer, area: Rect, rect: Rect, style: Style) {
    let r = rect.intersection(area).intersection(buf.area);
    if r.width > 0 && r.height > 0 {
        buf.set_style(r, style);
    }
}

/// The ellipsis that ends a cut row of columns: `…` or `...`.
pub(crate) fn ellipsis(ascii: bool) -> &'static str {
    if ascii {
        "..."
    } else {
        "…"
    }
}

/// A one-column ellipsis for cut labels: `…` or `~`.
pub(crate) fn short_ellipsis(ascii: bool) -> &'static str {
    if ascii {
        "~"
    } else {
        "…"
    }
}

/// Caps the number of decimals so that absurd settings cannot build huge strings.
pub(crate) const MAX_DECIMALS: usize = 12;

/// Formats a cell value: fixed `decimals`, `·`/`.` for NaN (not computed yet) and an explicit
/// sign on infinities (masked attention scores are `-inf`, and learners should see that).
pub(crate) fn fmt_value(v: f64, decimals: usize, ascii: bool) -> String {
    if v.is_nan() {
        return if ascii { "." } else { "·" }.to_string();
    }
    if v.is_infinite() {
        return match (v > 0.0, ascii) {
            (true, true) => "+inf",
            (false, true) => "-inf",
            (true, false) => "+∞",
            (false, false) => "−∞",
        }
        .to_string();
    }
    let s = format!("{:.*}", decimals.min(MAX_DECIMALS), v);
    // "-0.00" reads as a different number from "0.00"; a value that rounds to zero is zero.
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// Formats a value for a one-line read-out: three decimals for ordinary magnitudes, scientific
/// notation for tiny or huge ones so that `1e-5` does not read as `0.000`.
pub(crate) fn fmt_readout(v: f64, ascii: bool) -> String {
    let a = v.abs();
    if v.is_finite() && a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else {
        fmt_value(v, 3, ascii)
    }
}

/// Greedy word wrap to `max` columns, display-width aware.
///
/// Words longer than a line are broken between characters. Leading indentation is kept on the
/// first line and repeated on continuation lines (when it leaves room), so indented formulas
/// and lists stay visibly indented after wrapping. An empty input gives one empty line.
pub(crate) fn wrap(line: &str, max: usize) -> Vec<String> {
    let line = clean(line);
    let line = line.trim_end();
    if max == 0 {
        return vec![String::new()];
    }
    if width(line) <= max {
        return vec![line.to_string()];
    }
    let body = line.trim_start();
    let indent_w = width(&line[..line.len() - body.len()]);
    let indent = if indent_w * 2 < max {
        " ".repeat(indent_w)
    } else {
        String::new()
    };
    let options = textwrap::Options::new(max)
        .initial_indent(&indent)
        .subsequent_indent(&indent)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(true);
    textwrap::wrap(body, &options)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_display_width() {
        assert_eq!(truncate("hello", 5, "…"), "hello");
        assert_eq!(truncate("hello world", 5, "…"), "hell…");
        assert_eq!(truncate("hello world", 5, "..."), "he...");
        assert_eq!(truncate("hello", 2, "..."), "he");
        assert_eq!(truncate("日本語", 4, "~"), "日~");
        assert_eq!(truncate("abc", 0, "…"), "");
    }

    #[test]
    fn values_format_nan_inf_and_negative_zero() {
        assert_eq!(fmt_value(f64::NAN, 2, true), ".");
        assert_eq!(fmt_value(f64::NEG_INFINITY, 2, true), "-inf");
        assert_eq!(fmt_value(f64::INFINITY, 2, false), "+∞");
        assert_eq!(fmt_value(-0.001, 2, true), "0.00");
        assert_eq!(fmt_value(-1.5, 1, true), "-1.5");
        assert_eq!(fmt_value(1.0, 10_000, true).len(), 2 + MAX_DECIMALS);
    }

    #[test]
    fn wrap_keeps_words_and_indent() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("  a b c d", 5), vec!["  a b", "  c d"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(
            wrap("日本語テキスト", 4),
            vec!["日本", "語テ", "キス", "ト"]
        );
        for l in wrap("a\tb some words that wrap around", 6) {
            assert!(width(&l) <= 6, "{l:?}");
        }
    }

    #[test]
    fn put_clips_to_area_and_buffer() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 2));
        let area = Rect::new(1, 0, 2, 1);
        put(&mut buf, area, 1, 0, "abcdef", Style::new());
        put(&mut buf, area, 1, 1, "zz", Style::new());
        put(&mut buf, Rect::new(0, 0, 50, 50), 0, 40, "zz", Style::new());
        assert_eq!(buf, Buffer::with_lines([" ab ", "    "]));
    }
}

/// Helpers for the widget tests: compare text without styles, and scan whole buffers.
#[cfg(test)]
pub(crate) mod testing {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    /// A copy of `buf` with the symbols only, to compare against `Buffer::with_lines`.
    pub(crate) fn plain(buf: &Buffer) -> Buffer {
        let mut out = Buffer::empty(buf.area);
        let a = buf.area;
        for y in a.top()..a.bottom() {
            for x in a.left()..a.right() {
                out[(x, y)].set_symbol(buf[(x, y)].symbol());
            }
        }
        out
    }

    /// The text of every line (a wide character is followed by the blank cell it covers).
    pub(crate) fn lines(buf: &Buffer) -> Vec<String> {
        let a = buf.area;
        (a.top()..a.bottom())
            .map(|y| {
                (a.left()..a.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect()
            })
            .collect()
    }

    /// Renders `widget` into a `w`×`h` buffer at the origin.
    pub(crate) fn render<W: Widget>(widget: W, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        widget.render(buf.area, &mut buf);
        buf
    }

    /// Renders `widget` into the middle of a larger buffer and checks that nothing outside the
    /// area was touched; returns the buffer.
    pub(crate) fn render_inset<W: Widget>(widget: W, w: u16, h: u16) -> Buffer {
        let outer = Rect::new(0, 0, w + 4, h + 4);
        let mut buf = Buffer::empty(outer);
        let area = Rect::new(2, 2, w, h);
        for y in 0..outer.height {
            for x in 0..outer.width {
                if !area.contains((x, y).into()) {
                    buf[(x, y)].set_symbol("#");
                }
            }
        }
        widget.render(area, &mut buf);
        for y in 0..outer.height {
            for x in 0..outer.width {
                let inside = x >= 2 && x < 2 + w && y >= 2 && y < 2 + h;
                if !inside {
                    assert_eq!(buf[(x, y)].symbol(), "#", "drawn outside at ({x},{y})");
                    assert_eq!(buf[(x, y)].modifier, Default::default());
                }
            }
        }
        buf
    }

    /// True when every symbol in the buffer is ASCII.
    pub(crate) fn all_ascii(buf: &Buffer) -> bool {
        buf.content().iter().all(|c| c.symbol().is_ascii())
    }
}
