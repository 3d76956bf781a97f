//! Controls declared once. A kind declares each of its controls once, in
//! [`Controls::declare`]: its label, what it shows (a value on a [`Scale`], options, a state,
//! a text, read from the kind as the list is made), when it is idle and why
//! ([`Knob::idle_when`]), and how a move writes the kind (a closure given the value, option,
//! state or text moved to). The panel's list of controls, stepping one and typing into one
//! all derive from that declaration ([`Panel`], for every kind), so no kind matches a control
//! by its position, and a list that changes with the settings (a page's own controls, one
//! slider per logit) is declared as it is drawn.
//!
//! A numeric range is a [`Scale`] const, written once: the slider shows and steps on it, and
//! a lesson parameter of the same name takes its range from it ([`Scale::float`],
//! [`Scale::int`]), with the default beside the parameter.
//!
//! ```ignore
//! const TEMPERATURE: Scale = Scale::linear(0.05, 5.0, 0.05, 2);
//! // in KIND.params: TEMPERATURE.float("temperature", 1.0, "the temperature T"),
//!
//! impl Controls for Softmax {
//!     fn declare(&self, k: &mut Knobs<Self>) {
//!         k.slider("temperature T", self.temperature, TEMPERATURE, |s, t| s.temperature = t);
//!         k.choice("shift every z by", shift_names(), self.shift, |s, i| s.shift = i)
//!             .idle_when(self.temperature > 4.0, "hot");
//!         // A family: one slider per logit, each writing its own.
//!         for (i, z) in self.logits.iter().enumerate() {
//!             k.slider(&format!("logit {i}"), *z, LOGIT, move |s, z| s.logits[i] = z);
//!         }
//!     }
//! }
//! ```
//!
//! A setter is any code: one that changes what a run computes keeps the finished run for
//! comparison and clears it (the trained kinds' `change` methods), one that changes a list
//! keeps a selection inside it.

use super::registry::{ParamDef, ParamType};
use super::run::{Run, RUN};
use super::view::{Control, ControlKind};
use super::Visual;

/// A numeric control's range: its ends, the step one press moves, the decimals shown, and
/// whether it moves linearly or by doubling (log scale). Declared once as a const, it gives
/// the slider, its stepping and, for a lesson parameter, the parameter's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub decimals: usize,
    /// Each press doubles or halves the value (rounded to a whole number), and the knob
    /// moves on a log scale.
    pub log: bool,
}

/// Every seed: a whole number from 0 to 9999, one per press.
pub const SEED: Scale = Scale::linear(0.0, 9999.0, 1.0, 0);

impl Scale {
    /// `min..=max` in steps of `step`, shown with `decimals` digits.
    pub const fn linear(min: f64, max: f64, step: f64, decimals: usize) -> Self {
        Self {
            min,
            max,
            step,
            decimals,
            log: false,
        }
    }

    /// Whole numbers in `min..=max`, each press doubling or halving.
    pub const fn doubling(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            step: 1.0,
            decimals: 0,
            log: true,
        }
    }

    /// The same steps with other ends (a range that depends on the settings: the last
    /// position of a text, the steps a run takes).
    pub const fn between(self, min: f64, max: f64) -> Self {
        Self { min, max, ..self }
    }

    /// Every number (ends and step) times `k`: the scale shows what runs when a run takes
    /// `k` times the steps set.
    pub fn times(self, k: f64) -> Self {
        Self {
            min: self.min * k,
            max: self.max * k,
            step: self.step * k,
            ..self
        }
    }

    /// The lesson parameter `name` taking a number in this range.
    pub const fn float(self, name: &'static str, default: f64, doc: &'static str) -> ParamDef {
        ParamDef {
            name,
            ty: ParamType::Float {
                min: self.min,
                max: self.max,
                default,
            },
            doc,
        }
    }

    /// The lesson parameter `name` taking a whole number in this range.
    pub const fn int(self, name: &'static str, default: i64, doc: &'static str) -> ParamDef {
        ParamDef {
            name,
            ty: ParamType::Int {
                min: self.min as i64,
                max: self.max as i64,
                default,
            },
            doc,
        }
    }

    /// `value` moved by `delta` presses: on the step grid (repeated presses never drift), or
    /// doubled `delta` times; within the ends.
    pub fn step(&self, value: f64, delta: i32) -> f64 {
        if self.log {
            (value * 2f64.powi(delta)).round().clamp(self.min, self.max)
        } else {
            super::step_value(value, delta, self.step, self.min, self.max)
        }
    }
}

/// What a move hands the kind: the value, option or state moved to.
type Write<K, T> = Box<dyn Fn(&mut K, T)>;
/// What typing hands the kind: the text.
type Typed<K> = Box<dyn for<'t> Fn(&mut K, &'t str)>;

/// How a move of the control reaches the kind.
enum Input<K> {
    /// A slider: the value moved along its scale.
    Number(Scale, Write<K, f64>),
    /// A choice: the index of the option moved to.
    Index(Write<K, usize>),
    /// A switch: the state flipped.
    Flag(Write<K, bool>),
    /// A key drawn as a switch (run, reset): any move presses it.
    Press(Box<dyn Fn(&mut K)>),
    /// A text field: the text typed.
    Text(Typed<K>),
}

/// One control of a kind `K`, declared once: what it shows (read from the kind when the
/// list is made) and how a move writes the kind.
pub struct Knob<K> {
    control: Control,
    input: Input<K>,
}

impl<K> Knob<K> {
    /// Dimmed as doing nothing while `idle`, with `why` (a word or two) beside it.
    pub fn idle_when(&mut self, idle: bool, why: &str) -> &mut Self {
        self.control.inactive = idle.then(|| why.to_string());
        self
    }

    /// Moves the control by `delta` presses, writing the kind.
    fn adjust(self, kind: &mut K, delta: i32) {
        match (self.input, self.control.kind) {
            (Input::Number(scale, set), ControlKind::Slider { value, .. }) => {
                set(kind, scale.step(value, delta));
            }
            (Input::Index(set), ControlKind::Choice { options, index }) => {
                set(kind, super::step_index(index, delta, options.len()));
            }
            (Input::Flag(set), ControlKind::Toggle(on)) => set(kind, !on),
            (Input::Press(press), _) => press(kind),
            _ => {}
        }
    }

    /// Hands typed text to a text field (other controls take none).
    fn type_text(self, kind: &mut K, text: &str) {
        if let Input::Text(set) = self.input {
            set(kind, text);
        }
    }
}

/// The controls of a kind `K` in the order the panel lists them, as [`Controls::declare`]
/// declares them. Each method adds one and returns it, to be dimmed with
/// [`Knob::idle_when`].
pub struct Knobs<K> {
    list: Vec<Knob<K>>,
}

impl<K: Controls> Knobs<K> {
    /// The controls `kind` declares now.
    pub fn of(kind: &K) -> Self {
        let mut knobs = Self { list: Vec::new() };
        kind.declare(&mut knobs);
        knobs
    }
}

impl<K> Knobs<K> {
    fn push(&mut self, label: &str, kind: ControlKind, input: Input<K>) -> &mut Knob<K> {
        self.list.push(Knob {
            control: Control {
                label: label.to_string(),
                kind,
                inactive: None,
            },
            input,
        });
        let last = self.list.len() - 1;
        &mut self.list[last]
    }

    /// A slider showing `value` on `scale`; a move hands `set` the value moved to.
    pub fn slider(
        &mut self,
        label: &str,
        value: f64,
        scale: Scale,
        set: impl Fn(&mut K, f64) + 'static,
    ) -> &mut Knob<K> {
        let kind = ControlKind::Slider {
            value,
            min: scale.min,
            max: scale.max,
            step: scale.step,
            decimals: scale.decimals,
            log: scale.log,
        };
        self.push(label, kind, Input::Number(scale, Box::new(set)))
    }

    /// A slider of whole numbers showing `value` on `scale`; `set` gets the number moved to.
    pub fn count(
        &mut self,
        label: &str,
        value: usize,
        scale: Scale,
        set: impl Fn(&mut K, usize) + 'static,
    ) -> &mut Knob<K> {
        self.slider(label, value as f64, scale, move |k, v| set(k, v as usize))
    }

    /// A seed slider (0–9999, see [`SEED`]).
    pub fn seed(
        &mut self,
        label: &str,
        seed: u64,
        set: impl Fn(&mut K, u64) + 'static,
    ) -> &mut Knob<K> {
        self.slider(label, seed as f64, SEED, move |k, v| set(k, v as u64))
    }

    /// A choice among `options` showing option `index`; a move hands `set` the index moved
    /// to (stopping at the ends).
    pub fn choice(
        &mut self,
        label: &str,
        options: Vec<String>,
        index: usize,
        set: impl Fn(&mut K, usize) + 'static,
    ) -> &mut Knob<K> {
        let kind = ControlKind::Choice { options, index };
        self.push(label, kind, Input::Index(Box::new(set)))
    }

    /// A switch showing `on`; a move (either way) hands `set` the other state.
    pub fn toggle(
        &mut self,
        label: &str,
        on: bool,
        set: impl Fn(&mut K, bool) + 'static,
    ) -> &mut Knob<K> {
        self.push(label, ControlKind::Toggle(on), Input::Flag(Box::new(set)))
    }

    /// A key drawn as a switch showing `on` (re-run, reset): a move (either way) calls
    /// `press`.
    pub fn button(
        &mut self,
        label: &str,
        on: bool,
        press: impl Fn(&mut K) + 'static,
    ) -> &mut Knob<K> {
        self.push(
            label,
            ControlKind::Toggle(on),
            Input::Press(Box::new(press)),
        )
    }

    /// The run key of a [`Run`], on while it goes: a move calls `press`, which calls
    /// [`Run::toggle`] and starts a new run when that asks for one.
    pub fn run<E: Send + 'static>(
        &mut self,
        run: &Run<E>,
        press: impl Fn(&mut K) + 'static,
    ) -> &mut Knob<K> {
        self.button(RUN, run.running(), press)
    }

    /// A text field showing `value`; the learner's text goes to `set`.
    pub fn text(
        &mut self,
        label: &str,
        value: &str,
        set: impl Fn(&mut K, &str) + 'static,
    ) -> &mut Knob<K> {
        let kind = ControlKind::Text {
            value: value.to_string(),
            editing: None,
        };
        self.push(label, kind, Input::Text(Box::new(set)))
    }
}

/// The controls of a kind, declared once each (see the module doc).
pub trait Controls {
    /// Declares the controls in the order the panel lists them, showing the current
    /// settings, each with the way a move writes the kind.
    fn declare(&self, knobs: &mut Knobs<Self>)
    where
        Self: Sized;
}

/// A kind as the panel drives it: its controls, a move of one of them, typed text. Derived
/// from [`Controls`] for every kind.
pub trait Panel: Visual {
    /// The controls, showing the current settings.
    fn controls(&self) -> Vec<Control>;
    /// Moves control `index` by `delta` steps (a toggle flips, a choice moves along).
    fn adjust(&mut self, index: usize, delta: i32);
    /// Takes typed text for text control `index` (other controls ignore it).
    fn set_text(&mut self, index: usize, text: &str);
}

impl<K: Visual + Controls> Panel for K {
    fn controls(&self) -> Vec<Control> {
        Knobs::of(self)
            .list
            .into_iter()
            .map(|k| k.control)
            .collect()
    }

    fn adjust(&mut self, index: usize, delta: i32) {
        if let Some(knob) = Knobs::of(self).list.into_iter().nth(index) {
            knob.adjust(self, delta);
        }
    }

    fn set_text(&mut self, index: usize, text: &str) {
        if let Some(knob) = Knobs::of(self).list.into_iter().nth(index) {
            knob.type_text(self, text);
        }
    }
}
