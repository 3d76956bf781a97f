//! Where everything goes on screen, as a pure function of the terminal size and the state, so
//! the app (for scrolling and wrapping) and the drawing code always agree. The split is made
//! with ratatui's `Layout` constraints; only the stacked panel's height is worked out here,
//! from what the panel needs and what the prose must keep.

use crate::app::panel::PanelState;
use crate::app::quiz::QuizState;
use crate::app::Options;
use crate::viz::view::View;
use ratatui::layout::{Constraint, Layout, Margin, Rect};

/// The smallest terminal the course draws in; below it a message asks for more room.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// Width of the course outline, when shown.
pub const OUTLINE_WIDTH: u16 = 30;
/// The outline shows only from this width, so the prose keeps a readable measure.
pub const OUTLINE_MIN_TERMINAL: u16 = 110;
/// Prose and panel stand side by side once the space beside the outline is this wide.
pub const SIDE_BY_SIDE_MIN: u16 = 120;
/// Rows the prose keeps (borders included) when a panel is stacked under it: fewer while the
/// panel has the focus, so a visualizer or question gets the room it needs at 80x24.
pub const PROSE_MIN_ROWS: u16 = 9;
pub const PROSE_MIN_ROWS_PANEL_FOCUSED: u16 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub too_small: bool,
    pub header: Rect,
    pub outline: Option<Rect>,
    /// The prose box, borders included.
    pub prose: Rect,
    /// Where prose text goes: inside the borders, one column of padding each side.
    pub prose_text: Rect,
    pub panel: Option<Rect>,
    /// Inside the panel's borders, one column of padding each side.
    pub panel_inner: Option<Rect>,
    pub status: Rect,
    pub side_by_side: bool,
    /// The prose box shows the step's instructions, pinned, instead of the scrolled prose:
    /// the panel has the focus in the stacked layout.
    pub pinned: bool,
    /// The panel fills the terminal (see [`zoomed`]); there is no prose box.
    pub zoomed: bool,
}

/// Where everything goes while the panel is zoomed: the header row holds the picked control
/// and the keys back, and a visualizer takes every row below it, borderless and full width
/// (no status line), so a chart at 80x24 keeps 23 rows (18 or more of them plot) and a
/// heatmap all 80 columns.
pub fn zoomed(size: Rect) -> Areas {
    if size.width < MIN_WIDTH || size.height < MIN_HEIGHT {
        return Areas {
            too_small: true,
            ..Areas::default()
        };
    }
    let [header, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(size);
    Areas {
        too_small: false,
        header,
        outline: None,
        prose: Rect::new(body.x, body.y, 0, 0),
        prose_text: Rect::new(body.x, body.y, 0, 0),
        panel: Some(body),
        // A question or a message keeps its box (and scrolls inside it); a visualizer's page
        // is drawn on the whole `panel`.
        panel_inner: Some(inner(body)),
        status: Rect::new(body.x, body.bottom(), body.width, 0),
        side_by_side: false,
        pinned: false,
        zoomed: true,
    }
}

/// The most rows of pinned instructions the prose box shows on a terminal `height` rows
/// tall: the box takes at most half the body (header and status line excluded), less its
/// two border rows.
pub fn max_pinned_rows(height: u16) -> u16 {
    (height.saturating_sub(2) / 2).saturating_sub(2)
}

/// Inside a bordered box, with one column of padding on each side.
pub fn inner(r: Rect) -> Rect {
    r.inner(Margin::new(2, 1))
}

/// Rows the panel would like at a given inner width.
pub fn panel_needs(panel: &PanelState, width: u16, options: Options) -> u16 {
    let measure = options.measure;
    match panel {
        PanelState::None => 0,
        PanelState::Viz(v) => measure.view_rows(v.view(), width),
        PanelState::Quiz(q) => measure.quiz_rows(q, width, options.ascii),
        PanelState::Broken(msg) => measure.text_rows(msg, width) + 2,
    }
}

/// How many rows the drawing code gives a panel: the one thing the layout must ask of the
/// drawing layer. The app is handed an implementation (`ui::options`) by whoever builds it,
/// so the state never imports the drawing code, and a test can measure with its own.
pub trait Measure: Sync {
    /// Rows a visualizer's view takes at `width` (controls and parts).
    fn view_rows(&self, view: &View, width: u16) -> u16;
    /// Rows a question takes at `width`, as it stands.
    fn quiz_rows(&self, quiz: &QuizState, width: u16, ascii: bool) -> u16;
    /// Rows a paragraph of text wraps to at `width`.
    fn text_rows(&self, text: &str, width: u16) -> u16;
}

/// Where everything goes. `pinned_rows` gives the rows the step's instructions take at a prose
/// width (0 when the step has none): while the panel has the focus in the stacked layout the
/// prose box keeps them in view, up to half the body.
pub fn areas(
    size: Rect,
    outline_wanted: bool,
    panel: &PanelState,
    panel_focused: bool,
    options: Options,
    pinned_rows: &dyn Fn(u16) -> u16,
) -> Areas {
    areas_for(
        size,
        outline_wanted,
        panel,
        panel_focused,
        options,
        pinned_rows,
        false,
    )
}

/// [`areas`] for a step whose prose may be empty (a question step with only its question):
/// then there is no prose box, and the panel takes the body beside the outline.
pub fn areas_for(
    size: Rect,
    outline_wanted: bool,
    panel: &PanelState,
    panel_focused: bool,
    options: Options,
    pinned_rows: &dyn Fn(u16) -> u16,
    prose_empty: bool,
) -> Areas {
    if size.width < MIN_WIDTH || size.height < MIN_HEIGHT {
        return Areas {
            too_small: true,
            ..Areas::default()
        };
    }
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(size);
    let (outline, rest) = if outline_wanted && size.width >= OUTLINE_MIN_TERMINAL {
        let [outline, rest] =
            Layout::horizontal([Constraint::Length(OUTLINE_WIDTH), Constraint::Fill(1)])
                .areas(body);
        (Some(outline), rest)
    } else {
        (None, body)
    };
    let mut pinned = false;
    let (prose, panel_rect, side) = if panel.is_none() {
        (rest, None, false)
    } else if prose_empty {
        (Rect::new(rest.x, rest.y, rest.width, 0), Some(rest), false)
    } else if rest.width >= SIDE_BY_SIDE_MIN {
        // Prose gets the narrower half when the width is odd.
        let [prose, panel] =
            Layout::horizontal([Constraint::Length(rest.width / 2), Constraint::Fill(1)])
                .areas(rest);
        (prose, Some(panel), true)
    } else {
        let needs = panel_needs(panel, rest.width.saturating_sub(4), options).saturating_add(2);
        let instructions = if panel_focused {
            pinned_rows(inner(rest).width)
        } else {
            0
        };
        pinned = instructions > 0;
        let keep = if pinned {
            instructions
                .min(max_pinned_rows(size.height))
                .saturating_add(2)
                .max(PROSE_MIN_ROWS_PANEL_FOCUSED)
        } else if panel_focused {
            PROSE_MIN_ROWS_PANEL_FOCUSED
        } else {
            PROSE_MIN_ROWS
        };
        let max_panel = rest.height.saturating_sub(keep);
        let panel_h = needs.clamp(5.min(max_panel), max_panel);
        let [prose, panel] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(panel_h)]).areas(rest);
        (prose, Some(panel), false)
    };
    Areas {
        too_small: false,
        header,
        outline,
        prose,
        prose_text: inner(prose),
        panel: panel_rect,
        panel_inner: panel_rect.map(inner),
        status,
        side_by_side: side,
        pinned,
        zoomed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        crate::ui::options(false)
    }

    fn at(w: u16, h: u16, outline: bool, panel: &PanelState, focused: bool) -> Areas {
        areas(
            Rect::new(0, 0, w, h),
            outline,
            panel,
            focused,
            opts(),
            &|_| 0,
        )
    }

    #[test]
    fn zoomed_the_panel_takes_the_whole_body() {
        let a = zoomed(Rect::new(0, 0, 80, 24));
        assert!(a.zoomed && !a.too_small);
        assert_eq!(a.panel, Some(Rect::new(0, 1, 80, 23)));
        assert_eq!((a.header.y, a.status.height), (0, 0));
        assert_eq!(a.prose_text.width, 0);
        assert!(zoomed(Rect::new(0, 0, 59, 24)).too_small);
    }

    #[test]
    fn a_step_with_no_prose_gives_its_panel_the_body() {
        let quiz = PanelState::Broken("a question".into());
        let size = Rect::new(0, 0, 80, 24);
        let a = areas_for(size, false, &quiz, false, opts(), &|_| 0, true);
        assert_eq!(a.panel, Some(Rect::new(0, 1, 80, 22)));
        assert_eq!(a.prose.height, 0);
        let b = areas_for(size, false, &quiz, false, opts(), &|_| 0, false);
        assert!(b.prose.height >= PROSE_MIN_ROWS);
    }

    #[test]
    fn too_small_below_the_minimum() {
        assert!(at(59, 24, true, &PanelState::None, false).too_small);
        assert!(at(80, 15, true, &PanelState::None, false).too_small);
        assert!(!at(60, 16, true, &PanelState::None, false).too_small);
    }

    #[test]
    fn header_body_status_and_prose_padding() {
        let a = at(80, 24, true, &PanelState::None, false);
        assert_eq!(a.header, Rect::new(0, 0, 80, 1));
        assert_eq!(a.status, Rect::new(0, 23, 80, 1));
        assert_eq!(a.outline, None, "no outline below 110 columns");
        assert_eq!(a.prose, Rect::new(0, 1, 80, 22));
        // Borders and one column of padding: 80 - 2 - 2 wide, 22 - 2 tall.
        assert_eq!(a.prose_text, Rect::new(2, 2, 76, 20));
        assert_eq!(a.panel, None);
    }

    #[test]
    fn outline_then_side_by_side_halves() {
        let panel = PanelState::Broken("x".into());
        let a = at(160, 48, true, &panel, false);
        assert_eq!(a.outline, Some(Rect::new(0, 1, 30, 46)));
        // 160 - 30 = 130 columns beside the outline, at least 120: halves of 65.
        assert!(a.side_by_side);
        assert_eq!(a.prose, Rect::new(30, 1, 65, 46));
        assert_eq!(a.panel, Some(Rect::new(95, 1, 65, 46)));
        // Odd width: the prose gets the smaller half.
        let b = at(151, 40, false, &panel, false);
        assert_eq!((b.prose.width, b.panel.map(|p| p.width)), (75, Some(76)));
        // Hiding the outline gives its columns back.
        assert_eq!(at(160, 48, false, &panel, false).prose.width, 80);
    }

    #[test]
    fn a_stacked_panel_takes_what_it_needs_within_what_the_prose_keeps() {
        // A one-line message needs 1 row + its 2 padding rows, + 2 for borders = 5.
        let small = PanelState::Broken("short".into());
        let a = at(80, 24, false, &small, false);
        assert!(!a.side_by_side);
        assert_eq!(a.panel, Some(Rect::new(0, 18, 80, 5)));
        assert_eq!(a.prose, Rect::new(0, 1, 80, 17));
        // A long message asks for more than there is: the prose keeps 9 rows, or 5 when the
        // panel has the focus (22 body rows - 9 = 13, - 5 = 17).
        let long = PanelState::Broken("word ".repeat(400));
        assert_eq!(
            at(80, 24, false, &long, false).panel.map(|p| p.height),
            Some(13)
        );
        assert_eq!(
            at(80, 24, false, &long, true).panel.map(|p| p.height),
            Some(17)
        );
    }

    #[test]
    fn a_focused_stacked_panel_keeps_the_instructions_in_view() {
        let long = PanelState::Broken("word ".repeat(400));
        let size = Rect::new(0, 0, 80, 24);
        // 6 rows of instructions at the 76-column prose width: a box of 8 rows.
        let six = |w: u16| if w == 76 { 6 } else { 0 };
        let a = areas(size, false, &long, true, opts(), &six);
        assert!(a.pinned);
        assert_eq!(a.prose.height, 8);
        assert_eq!(a.panel.map(|p| p.height), Some(22 - 8));
        // Never more than half the body (22 rows), never less than the usual 5.
        let a = areas(size, false, &long, true, opts(), &|_| 40);
        assert_eq!(a.prose.height, 11);
        let a = areas(size, false, &long, true, opts(), &|_| 1);
        assert_eq!(a.prose.height, 5);
        // Unfocused, or side by side: nothing is pinned.
        assert!(!areas(size, false, &long, false, opts(), &six).pinned);
        let wide = Rect::new(0, 0, 160, 48);
        assert!(!areas(wide, false, &long, true, opts(), &|_| 6).pinned);
    }
}
