//! Reusable visualizer widgets, each drawn from the plain data in `crate::viz::view`.
//!
//! Every widget borrows its data and the [`Theme`](crate::ui::theme::Theme), implements
//! ratatui's `Widget`, and reports the rows it needs (`height(width)`) and its natural width
//! (`width()`), so [`view::render_view`] can stack and arrange them. All of them clip to the
//! area they are given, never panic on odd data (empty, NaN, ragged label lists), and draw only
//! ASCII glyphs when the theme asks for it.
mod util;

pub mod bars;
pub mod chart;
pub mod controls;
pub mod heatmap;
pub mod matrix;
pub mod scatter;
pub mod table;
pub mod token_strip;
pub mod view;

pub use bars::BarsWidget;
pub use chart::ChartWidget;
pub use controls::ControlsWidget;
pub use heatmap::HeatmapWidget;
pub use matrix::MatrixWidget;
pub use scatter::ScatterWidget;
pub use table::TableWidget;
pub use token_strip::TokenStripWidget;
pub use view::{part_height, part_width, render_view, render_zoomed, view_height};
