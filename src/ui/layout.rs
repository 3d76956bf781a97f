//! Where everything goes on screen, as a pure function of the terminal size and the state, so
//! the app (for scrolling and wrapping) and the drawing code always agree.

use crate::app::PanelState;
use ratatui::layout::Rect;

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
}

/// Inside a bordered box, with one column of padding on each side.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(2),
        r.y.saturating_add(1),
        r.width.saturating_sub(4),
        r.height.saturating_sub(2),
    )
}

/// Rows the panel would like at a given inner width.
pub fn panel_needs(panel: &PanelState, width: u16, ascii: bool) -> u16 {
    match panel {
        PanelState::None => 0,
        PanelState::Viz(v) => crate::ui::widgets::view_height(v.view(), width),
        PanelState::Quiz(q) => crate::ui::quiz::height(q, width, ascii),
        PanelState::Broken(msg) => crate::ui::quiz::wrapped_rows(msg, width) + 2,
    }
}

pub fn areas(
    size: Rect,
    outline_wanted: bool,
    panel: &PanelState,
    panel_focused: bool,
    ascii: bool,
) -> Areas {
    if size.width < MIN_WIDTH || size.height < MIN_HEIGHT {
        return Areas {
            too_small: true,
            ..Areas::default()
        };
    }
    let header = Rect::new(size.x, size.y, size.width, 1);
    let status = Rect::new(size.x, size.y + size.height - 1, size.width, 1);
    let body = Rect::new(size.x, size.y + 1, size.width, size.height - 2);
    let (outline, rest) = if outline_wanted && size.width >= OUTLINE_MIN_TERMINAL {
        (
            Some(Rect::new(body.x, body.y, OUTLINE_WIDTH, body.height)),
            Rect::new(
                body.x + OUTLINE_WIDTH,
                body.y,
                body.width - OUTLINE_WIDTH,
                body.height,
            ),
        )
    } else {
        (None, body)
    };
    let has_panel = !matches!(panel, PanelState::None);
    let (prose, panel_rect, side) = if !has_panel {
        (rest, None, false)
    } else if rest.width >= SIDE_BY_SIDE_MIN {
        let prose_w = rest.width / 2;
        (
            Rect::new(rest.x, rest.y, prose_w, rest.height),
            Some(Rect::new(
                rest.x + prose_w,
                rest.y,
                rest.width - prose_w,
                rest.height,
            )),
            true,
        )
    } else {
        let needs = panel_needs(panel, rest.width.saturating_sub(4), ascii).saturating_add(2);
        let keep = if panel_focused {
            PROSE_MIN_ROWS_PANEL_FOCUSED
        } else {
            PROSE_MIN_ROWS
        };
        let max_panel = rest.height.saturating_sub(keep);
        let panel_h = needs.clamp(5.min(max_panel), max_panel);
        let prose_h = rest.height - panel_h;
        (
            Rect::new(rest.x, rest.y, rest.width, prose_h),
            Some(Rect::new(rest.x, rest.y + prose_h, rest.width, panel_h)),
            false,
        )
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
    }
}
