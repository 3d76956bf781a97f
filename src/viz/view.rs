//! Plain data that a visualizer produces and a widget draws.
//!
//! A lab computes a [`View`] from its inputs once, when an input changes; the UI draws it on
//! every frame without recomputing anything. Nothing here knows about ratatui, so labs stay
//! testable as plain Rust.

use ndarray::Array2;

/// Everything one visualizer shows at one moment: its controls and a stack of parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub controls: Vec<Control>,
    /// Index into `controls` of the control that arrow keys change.
    pub selected_control: usize,
    pub parts: Vec<Part>,
}

/// One drawable piece of a visualizer, stacked top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Short lines of plain text: results, formulas, notes.
    Text(Vec<String>),
    Matrix(MatrixView),
    Heatmap(HeatmapView),
    Bars(BarsView),
    Chart(ChartView),
    Table(TableView),
    /// Parts drawn side by side when the width allows, stacked otherwise (e.g. A, B and A·B).
    Columns(Vec<Part>),
    /// Text cut into tokens.
    Tokens(TokenStripView),
    /// Many points on a dot canvas, a few of them marked and labelled.
    Scatter(ScatterView),
}

/// A 2-D cloud of points (e.g. word vectors projected to a plane).
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterView {
    pub title: String,
    pub points: Vec<(f64, f64)>,
    /// Points drawn with a marker and their label.
    pub marks: Vec<(f64, f64, String)>,
    /// Rows the canvas takes at least; it grows into a taller panel's spare rows.
    pub rows: u16,
    /// One unit spans as many dots up as across (vectors: lengths and angles read true).
    pub equal_aspect: bool,
    /// A box (x range, y range) always shown, whatever the points: keeps the scale still
    /// while points move, so a vector that shrinks is seen to shrink.
    pub extent: Option<([f64; 2], [f64; 2])>,
}

/// Text shown as its tokens, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenStripView {
    pub title: String,
    pub tokens: Vec<StripToken>,
    /// What to print under the strip: nothing, the ids, or the byte offsets.
    pub detail: StripDetail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StripToken {
    /// What the token stands for in the input (or its bytes as `<0xE2>` when it ends inside a
    /// character).
    pub text: String,
    pub id: u32,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripDetail {
    None,
    Ids,
    Offsets,
}

/// A numeric matrix with labelled rows and columns.
///
/// `NaN` cells are drawn as a blank marker (not computed yet); infinite cells as `-inf`/`+inf`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixView {
    pub title: String,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub values: Array2<f64>,
    /// Digits after the decimal point.
    pub decimals: usize,
    /// The one highlighted cell (row, column).
    pub cell: Option<(usize, usize)>,
    /// A highlighted row, e.g. the row of A behind an output cell of A·B.
    pub row: Option<usize>,
    /// A highlighted column, e.g. the column of B behind an output cell of A·B.
    pub col: Option<usize>,
}

/// A matrix drawn as shades, with labels on both axes.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapView {
    pub title: String,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub values: Array2<f64>,
    /// Value drawn as the lightest shade and as the darkest shade; `None` uses the data's range.
    pub range: Option<(f64, f64)>,
    /// A cell whose value is read out under the map.
    pub cursor: Option<(usize, usize)>,
}

/// A horizontal bar chart of a few labelled values (a distribution, a comparison).
#[derive(Debug, Clone, PartialEq)]
pub struct BarsView {
    pub title: String,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    /// Digits after the decimal point in the value column.
    pub decimals: usize,
    /// The bar to emphasise (e.g. the largest probability).
    pub highlight: Option<usize>,
    /// The value a full-length bar stands for; `None` uses the largest value.
    pub max: Option<f64>,
}

/// A line chart of one or more series; either axis may be log-scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartView {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    pub series: Vec<Series>,
}

impl ChartView {
    /// A chart of `series` on linear axes, with no title or axis labels (the panel's text
    /// says what is plotted).
    pub fn plain(series: Vec<Series>) -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_log: false,
            y_log: false,
            series,
        }
    }
}

/// One named line on a chart; points need not be sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// The character that draws this series, so series differ without colour.
    pub marker: char,
    pub points: Vec<(f64, f64)>,
    /// Drawn dim, as background: a kept earlier run beside the current one.
    pub faint: bool,
}

/// A small table of text cells.
#[derive(Debug, Clone, PartialEq)]
pub struct TableView {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub highlight: Option<usize>,
}

/// One thing the learner can change in a visualizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub label: String,
    pub kind: ControlKind,
    /// Why the control does nothing in the panel's current mode, in one word (`real`,
    /// `table`), or `None` when it is live. An inactive control is drawn dimmed with its
    /// reason, so the learner does not press keys that cannot change anything.
    pub inactive: Option<String>,
}

impl Control {
    /// The same control, marked as doing nothing while `idle` holds, for `why`.
    #[must_use]
    pub fn inactive_when(mut self, idle: bool, why: &str) -> Self {
        self.inactive = idle.then(|| why.to_string());
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ControlKind {
    /// A number moved in fixed steps between bounds.
    Slider {
        value: f64,
        min: f64,
        max: f64,
        step: f64,
        decimals: usize,
        /// Stepped by factors (doubling, halving): the knob sits on a log scale, so each press
        /// moves it the same distance.
        log: bool,
    },
    /// One of several named options.
    Choice { options: Vec<String>, index: usize },
    /// On or off.
    Toggle(bool),
    /// A line of text the learner types (Enter starts and ends editing); while it is being
    /// edited, `editing` holds the cursor (in characters from the start).
    Text {
        value: String,
        editing: Option<usize>,
    },
}

impl View {
    /// Rewrites every string in the view with `f` (for `--ascii`: `crate::text::ascii::fold`), so
    /// the widgets measure and draw the text as it will be shown.
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        let all = |v: &mut Vec<String>| v.iter_mut().for_each(|s| *s = f(s));
        for c in &mut self.controls {
            c.label = f(&c.label);
            if let Some(why) = &mut c.inactive {
                *why = f(why);
            }
            match &mut c.kind {
                ControlKind::Choice { options, .. } => all(options),
                ControlKind::Text { value, .. } => *value = f(value),
                ControlKind::Slider { .. } | ControlKind::Toggle(_) => {}
            }
        }
        for p in &mut self.parts {
            p.map_text(f);
        }
    }
}

impl Part {
    fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        let all = |v: &mut Vec<String>| v.iter_mut().for_each(|s| *s = f(s));
        match self {
            Part::Text(lines) => all(lines),
            Part::Matrix(m) => {
                m.title = f(&m.title);
                all(&mut m.row_labels);
                all(&mut m.col_labels);
            }
            Part::Heatmap(h) => {
                h.title = f(&h.title);
                all(&mut h.row_labels);
                all(&mut h.col_labels);
            }
            Part::Bars(b) => {
                b.title = f(&b.title);
                all(&mut b.labels);
            }
            Part::Chart(c) => {
                c.title = f(&c.title);
                c.x_label = f(&c.x_label);
                c.y_label = f(&c.y_label);
                for s in &mut c.series {
                    s.name = f(&s.name);
                    s.marker = crate::text::ascii::fold_char(s.marker);
                }
            }
            Part::Table(t) => {
                t.title = f(&t.title);
                all(&mut t.headers);
                t.rows.iter_mut().for_each(all);
            }
            Part::Columns(parts) => parts.iter_mut().for_each(|p| p.map_text(f)),
            Part::Tokens(t) => {
                t.title = f(&t.title);
                for tok in &mut t.tokens {
                    tok.text = f(&tok.text);
                }
            }
            Part::Scatter(s) => {
                s.title = f(&s.title);
                for m in &mut s.marks {
                    m.2 = f(&m.2);
                }
            }
        }
    }
}

/// What a zoomed panel pages through. Plain data, so the app keeps its page in range without
/// asking the drawing code.
impl View {
    /// The parts a zoomed panel pages through, in order: a column group holding a figure gives
    /// each of its parts a page (the figure then gets the whole screen), any other part is one
    /// page.
    pub fn zoom_parts(&self) -> Vec<&Part> {
        fn push<'a>(part: &'a Part, out: &mut Vec<&'a Part>) {
            match part {
                Part::Columns(parts) if parts.iter().any(Part::can_grow) => {
                    for p in parts {
                        push(p, out);
                    }
                }
                _ => out.push(part),
            }
        }
        let mut out = Vec::new();
        for part in &self.parts {
            push(part, &mut out);
        }
        out
    }

    /// The page a zoom opens on: the view's first figure, else its first part.
    pub fn first_figure(&self) -> usize {
        self.zoom_parts()
            .iter()
            .position(|p| p.is_figure())
            .unwrap_or(0)
    }
}

impl Part {
    /// A chart, scatter plot or heat map: drawn to fill whatever room it is given.
    pub fn is_figure(&self) -> bool {
        matches!(self, Part::Chart(_) | Part::Scatter(_) | Part::Heatmap(_))
    }

    /// Whether the part (or one of its columns) is a figure that can use spare rows.
    pub fn can_grow(&self) -> bool {
        match self {
            Part::Columns(parts) => parts.iter().any(Part::can_grow),
            part => part.is_figure(),
        }
    }
}
