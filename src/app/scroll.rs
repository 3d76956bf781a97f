//! Scrolling the prose and the panel: how far each can move, and moving them.

use super::App;

impl App {
    pub(super) fn max_panel_scroll(&self) -> u16 {
        let shown = self.layout.panel_inner.map_or(0, |r| r.height);
        self.panel_rows.saturating_sub(shown)
    }

    /// Moves the panel's content by half a box in `direction` (-1 up, 1 down).
    pub(super) fn scroll_panel(&mut self, direction: i32) -> bool {
        let shown = self.layout.panel_inner.map_or(0, |r| r.height);
        let step = i32::from((shown / 2).max(1)) * direction;
        let target = (i32::from(self.panel_scroll) + step).clamp(0, i32::from(u16::MAX));
        let new = (target as u16).min(self.max_panel_scroll());
        let changed = new != self.panel_scroll;
        self.panel_scroll = new;
        changed
    }

    pub(super) fn max_scroll(&self) -> u16 {
        let lines = u16::try_from(self.prose.len()).unwrap_or(u16::MAX);
        lines.saturating_sub(self.prose_height())
    }

    pub(super) fn scroll_by(&mut self, delta: i32) -> bool {
        let target = (i32::from(self.prose_scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
        self.scroll_to(target)
    }

    pub(super) fn scroll_to(&mut self, target: u16) -> bool {
        let new = target.min(self.max_scroll());
        let changed = new != self.prose_scroll;
        self.prose_scroll = new;
        changed
    }
}
