//! A token strip: text drawn as its tokens, neighbours told apart without colour (alternating
//! reverse and underline, and a visible boundary after each token), whitespace made visible,
//! and the ids or byte offsets on demand.
//!
//! Width is measured per grapheme cluster, so a strip wraps CJK, emoji (including ZWJ
//! sequences), combining marks and right-to-left text without ever cutting a character.
//! Right-to-left words are kept in reading (logical) order: terminals differ in how they draw
//! them, and the order of tokens is what the lesson is about.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;
use std::cell::RefCell;
use std::rc::Rc;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::ui::theme::Theme;
use crate::viz::view::{StripDetail, StripToken, TokenStripView};

pub struct TokenStripWidget<'a> {
    pub view: &'a TokenStripView,
    pub theme: &'a Theme,
}

/// One cell-ready piece of a token: a grapheme made visible, with its width.
fn visible_graphemes(text: &str, ascii: bool) -> Vec<(String, usize)> {
    text.graphemes(true)
        .map(|g| {
            let shown = match g {
                " " => (if ascii { "_" } else { "·" }).to_string(),
                "\n" | "\r\n" => (if ascii { "\\n" } else { "⏎" }).to_string(),
                "\t" => (if ascii { "\\t" } else { "⇥" }).to_string(),
                g if g.chars().all(char::is_control) => {
                    g.chars().map(|c| format!("^{:02X}", c as u32)).collect()
                }
                g => {
                    // A grapheme that starts with a combining mark (a token that split an
                    // accent from its letter) gets a dotted circle to sit on.
                    let zero = g.width() == 0;
                    if zero {
                        if ascii {
                            g.chars().map(|c| format!("<U+{:04X}>", c as u32)).collect()
                        } else {
                            format!("◌{g}")
                        }
                    } else {
                        g.to_string()
                    }
                }
            };
            let w = shown.width().max(1);
            (shown, w)
        })
        .collect()
}

/// A piece of the laid-out strip: a visible grapheme, or (empty `text`) the boundary mark after
/// a token.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    row: usize,
    col: usize,
    text: String,
    token: usize,
}

/// The strip laid out for one width: plain data the widget draws from.
#[derive(Debug, PartialEq)]
struct StripLayout {
    pieces: Vec<Piece>,
    rows: usize,
}

/// Where each token's pieces go.
fn lay_out(tokens: &[StripToken], width: usize, ascii: bool) -> StripLayout {
    let boundary = 1;
    let mut pieces = Vec::new();
    let (mut row, mut col) = (0usize, 0usize);
    for (i, tok) in tokens.iter().enumerate() {
        let graphemes = visible_graphemes(&tok.text, ascii);
        let total: usize = graphemes.iter().map(|p| p.1).sum::<usize>() + boundary;
        if col > 0 && col + total > width {
            row += 1;
            col = 0;
        }
        for (g, w) in graphemes {
            if col > 0 && col + w > width {
                row += 1;
                col = 0;
            }
            pieces.push(Piece {
                row,
                col,
                text: g,
                token: i,
            });
            col += w;
        }
        // The boundary after each token.
        if col + boundary > width && col > 0 {
            row += 1;
            col = 0;
        }
        pieces.push(Piece {
            row,
            col,
            text: String::new(),
            token: i,
        });
        col += boundary;
    }
    let rows = pieces.last().map_or(0, |p| p.row + 1);
    StripLayout { pieces, rows }
}

/// Layouts kept between frames: measuring and drawing a frame, and every frame until the
/// tokens or the width change, reuse one layout instead of cutting 2 KB of text into
/// graphemes three times a frame. Keyed on the tokens themselves (comparing them costs far
/// less than laying them out), the width and the glyph set; measuring (ASCII) and drawing
/// (Unicode) each keep an entry: a panel of three strips (token-split) needs six, and with
/// fewer every lookup of a frame missed and laid the text out again.
struct Kept {
    tokens: Vec<StripToken>,
    width: usize,
    ascii: bool,
    layout: Rc<StripLayout>,
}

const KEPT_LAYOUTS: usize = 12;

thread_local! {
    static KEPT: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

fn layout(tokens: &[StripToken], width: usize, ascii: bool) -> Rc<StripLayout> {
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        if let Some(at) = kept
            .iter()
            .position(|k| k.width == width && k.ascii == ascii && k.tokens == tokens)
        {
            // Most recently used goes to the front.
            let hit = kept.remove(at);
            let layout = Rc::clone(&hit.layout);
            kept.insert(0, hit);
            return layout;
        }
        let layout = Rc::new(lay_out(tokens, width, ascii));
        kept.insert(
            0,
            Kept {
                tokens: tokens.to_vec(),
                width,
                ascii,
                layout: Rc::clone(&layout),
            },
        );
        kept.truncate(KEPT_LAYOUTS);
        layout
    })
}

/// The detail line (`ids: 3290 11 …`) wrapped at the spaces between its numbers, so that no id
/// or offset is ever cut in two across rows (`3290` read as `3` and `290`). Only an item
/// wider than the whole row is cut, at the row's width. The detail text is ASCII.
fn detail_lines(detail: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in detail.split(' ').filter(|s| !s.is_empty()) {
        let needed = if line.is_empty() {
            item.len()
        } else {
            line.len() + 1 + item.len()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(item);
        while line.len() > width {
            let rest = line.split_off(width);
            lines.push(std::mem::replace(&mut line, rest));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl TokenStripWidget<'_> {
    fn detail_text(&self) -> String {
        let v = self.view;
        match v.detail {
            StripDetail::None => String::new(),
            StripDetail::Ids => format!(
                "ids: {}",
                v.tokens
                    .iter()
                    .map(|t| t.id.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            StripDetail::Offsets => format!(
                "bytes: {}",
                v.tokens
                    .iter()
                    .map(|t| format!("{}..{}", t.start, t.end))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }

    /// Rows the strip needs at `width`: title, the wrapped tokens, and the detail lines.
    pub fn height(&self, width: u16) -> u16 {
        let w = usize::from(width.max(1));
        let rows = layout(&self.view.tokens, w, self.theme.ascii).rows;
        let title = usize::from(!self.view.title.is_empty());
        let detail_rows = detail_lines(&self.detail_text(), w).len();
        u16::try_from(title + rows + detail_rows).unwrap_or(u16::MAX)
    }

    pub fn width(&self) -> u16 {
        60
    }
}

impl Widget for TokenStripWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let t = self.theme;
        let mut y = area.y;
        if !self.view.title.is_empty() {
            buf.set_stringn(area.x, y, &self.view.title, usize::from(area.width), t.bold);
            y += 1;
        }
        let boundary = if t.ascii { "|" } else { "▏" };
        let laid = layout(&self.view.tokens, usize::from(area.width), t.ascii);
        for piece in &laid.pieces {
            let (row, col, text, i) = (piece.row, piece.col, &piece.text, piece.token);
            let yy = y + row as u16;
            if yy >= area.bottom() {
                break;
            }
            let x = area.x + col as u16;
            if text.is_empty() {
                if x < area.right() {
                    buf.set_stringn(x, yy, boundary, 1, t.dim);
                }
                continue;
            }
            // Alternate reverse and underline: neighbours differ without colour.
            let style = if i % 2 == 0 {
                t.text.add_modifier(Modifier::REVERSED)
            } else {
                t.text.add_modifier(Modifier::UNDERLINED)
            };
            let room = usize::from(area.right().saturating_sub(x));
            if text.width() <= room {
                buf.set_stringn(x, yy, text, room, style);
            }
        }
        let first = y + laid.rows as u16;
        let w = usize::from(area.width);
        let rows = (first..area.bottom()).zip(detail_lines(&self.detail_text(), w));
        for (yy, line) in rows {
            buf.set_stringn(area.x, yy, &line, w, t.dim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::view::StripToken;
    use proptest::prelude::*;

    fn strip(text: &str, cuts: &[usize]) -> TokenStripView {
        let mut tokens = Vec::new();
        let mut start = 0;
        for (i, &end) in cuts.iter().chain(std::iter::once(&text.len())).enumerate() {
            if end > start {
                tokens.push(StripToken {
                    text: text[start..end].to_string(),
                    id: i as u32,
                    start,
                    end,
                });
            }
            start = end;
        }
        TokenStripView {
            title: String::new(),
            tokens,
            detail: StripDetail::None,
        }
    }

    fn render(view: &TokenStripView, theme: &Theme, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        TokenStripWidget { view, theme }.render(Rect::new(0, 0, w, h), &mut buf);
        buf
    }

    fn lines(buf: &Buffer) -> Vec<String> {
        crate::ui::buffer_text(buf)
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn ascii_tokens_with_visible_spaces_and_boundaries() {
        let view = strip("the cat sat", &[3, 7]);
        let ascii = Theme::new(true, true);
        let buf = render(&view, &ascii, 20, 2);
        assert_eq!(lines(&buf)[0], "the|_cat|_sat|");
        // Neighbours differ by style, not colour.
        assert!(buf[(0, 0)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(4, 0)].modifier.contains(Modifier::UNDERLINED));
        let unicode = render(&view, &Theme::new(false, false), 20, 2);
        assert_eq!(lines(&unicode)[0], "the▏·cat▏·sat▏");
    }

    #[test]
    fn cjk_and_emoji_wrap_without_cutting() {
        // 東京 is two wide characters per token; the family emoji is one grapheme (ZWJ).
        let text = "東京タワー👨‍👩‍👧";
        let view = strip(text, &["東京".len(), "東京タワー".len()]);
        let buf = render(&view, &Theme::new(true, true), 7, 4);
        let l = lines(&buf);
        assert_eq!(l[0], "東京|");
        assert_eq!(l[1], "タワー|");
        assert_eq!(l[2], "👨‍👩‍👧|");
    }

    #[test]
    fn a_lone_combining_mark_gets_a_base() {
        // "é" written as e + U+0301, split between the two.
        let text = "e\u{301}";
        let view = strip(text, &[1]);
        let l = lines(&render(&view, &Theme::new(false, false), 10, 2));
        assert_eq!(l[0], "e▏◌\u{301}▏");
        let ascii = lines(&render(&view, &Theme::new(true, true), 20, 2));
        assert_eq!(ascii[0], "e|<U+0301>|");
    }

    #[test]
    fn right_to_left_text_keeps_reading_order_and_ids_show_on_demand() {
        let text = "שלום עולם";
        let mut view = strip(text, &["שלום".len()]);
        view.detail = StripDetail::Ids;
        let l = lines(&render(&view, &Theme::new(true, true), 30, 3));
        assert_eq!(l[0], "שלום|_עולם|");
        assert_eq!(l[1], "ids: 0 1");
        view.detail = StripDetail::Offsets;
        let l = lines(&render(&view, &Theme::new(true, true), 30, 3));
        assert_eq!(l[1], format!("bytes: 0..8 8..{}", text.len()));
    }

    /// Regression: at 80 columns the ids line wrapped inside a number (`3290` read as `3` and
    /// `290`). Every id must stay whole on one row, and the rows hold all of them in order.
    #[test]
    fn ids_wrap_between_numbers_never_inside_one() {
        let mut view = strip("aaaa", &[1, 2, 3]);
        for (t, id) in view.tokens.iter_mut().zip([3290, 11, 3290, 290]) {
            t.id = id;
        }
        view.detail = StripDetail::Ids;
        // "ids: 3290 11 3290 290" at width 10: "ids: 3290" / "11 3290" / "290".
        let l = lines(&render(&view, &Theme::new(true, true), 10, 5));
        assert_eq!(&l[1..4], ["ids: 3290", "11 3290", "290"]);
        let height = TokenStripWidget {
            view: &view,
            theme: &Theme::new(true, true),
        }
        .height(10);
        assert_eq!(height, 4, "one strip row and three detail rows");
        // A single item wider than the row is cut at the width rather than lost.
        assert_eq!(
            detail_lines("ids: 123456789", 4),
            ["ids:", "1234", "5678", "9"]
        );
    }

    #[test]
    fn kept_layouts_follow_the_tokens_and_the_width() {
        let a = strip("the cat sat", &[3, 7]);
        let b = strip("the cat sat", &[4]);
        let first = layout(&a.tokens, 5, true);
        assert!(Rc::ptr_eq(&first, &layout(&a.tokens, 5, true)), "kept");
        // Other tokens, another width, the other glyph set: each its own layout.
        assert_eq!(*layout(&b.tokens, 5, true), lay_out(&b.tokens, 5, true));
        assert_eq!(*layout(&a.tokens, 20, true), lay_out(&a.tokens, 20, true));
        assert_eq!(*layout(&a.tokens, 5, false), lay_out(&a.tokens, 5, false));
        assert_ne!(lay_out(&a.tokens, 5, true), lay_out(&b.tokens, 5, true));
        // "the|" fits 5 columns, "_cat|" is 5 wide and fits a row of its own.
        assert_eq!(lay_out(&a.tokens, 5, true).rows, 3);
        // Enough other layouts to push the first out: it is laid out afresh, the same.
        let other = strip("x", &[]);
        for w in 0..KEPT_LAYOUTS {
            let _ = layout(&other.tokens, w + 1, true);
        }
        assert_eq!(*layout(&a.tokens, 5, true), lay_out(&a.tokens, 5, true));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Any Unicode, any cut points, any width: no panic, nothing outside the area, and
        /// every drawn cell holds a whole grapheme of the visible text.
        #[test]
        fn any_text_any_width(text in "\\PC{0,40}", cuts in prop::collection::vec(0usize..200, 0..8), w in 1u16..40, h in 1u16..12) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (text.len() + 1)).filter(|c| text.is_char_boundary(*c)).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let view = strip(&text, &cuts);
            let theme = Theme::new(true, true);
            let mut buf = Buffer::empty(Rect::new(0, 0, w + 4, h + 4));
            TokenStripWidget { view: &view, theme: &theme }.render(Rect::new(2, 2, w, h), &mut buf);
            for y in 0..h + 4 {
                for x in 0..w + 4 {
                    let inside = (2..2 + w).contains(&x) && (2..2 + h).contains(&y);
                    if !inside {
                        prop_assert_eq!(buf[(x, y)].symbol(), " ");
                    }
                }
            }
            let _ = TokenStripWidget { view: &view, theme: &theme }.height(w);
        }
    }
}
