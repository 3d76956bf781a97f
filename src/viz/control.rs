//! Controls as plain data, and how a key press moves one: the builders the widgets' tests
//! use, stepping on a grid or through a list, and which choices turn the arrow keys round.

use super::view::{self, Control, ControlKind};

/// A slider control.
pub fn slider(label: &str, value: f64, min: f64, max: f64, step: f64, decimals: usize) -> Control {
    Control {
        label: label.to_string(),
        kind: ControlKind::Slider {
            value,
            min,
            max,
            step,
            decimals,
            log: false,
        },
        inactive: None,
    }
}

/// A slider over a range stepped by factors (each press doubles or halves): the knob moves on a
/// log scale so that it moves evenly.
pub fn log_slider(label: &str, value: f64, min: f64, max: f64) -> Control {
    let mut c = slider(label, value, min, max, 1.0, 0);
    if let ControlKind::Slider { log, .. } = &mut c.kind {
        *log = true;
    }
    c
}

/// A choice among named options.
pub fn choice(label: &str, options: Vec<String>, index: usize) -> Control {
    Control {
        label: label.to_string(),
        kind: ControlKind::Choice { options, index },
        inactive: None,
    }
}

pub fn toggle(label: &str, on: bool) -> Control {
    Control {
        label: label.to_string(),
        kind: ControlKind::Toggle(on),
        inactive: None,
    }
}

/// Moves an index by `delta` within `0..len`, stopping at the ends.
pub fn step_index(index: usize, delta: i32, len: usize) -> usize {
    (index as i64 + i64::from(delta)).clamp(0, len.saturating_sub(1) as i64) as usize
}

/// Moves a value by `delta` steps, clamped, and rounded to the step grid so repeated presses
/// never drift (0.1 + 0.2 stays 0.3).
pub fn step_value(value: f64, delta: i32, step: f64, min: f64, max: f64) -> f64 {
    let moved = value + f64::from(delta) * step;
    let snapped = ((moved - min) / step).round() * step + min;
    snapped.clamp(min, max)
}

/// Whether `control` is a choice among numbers listed from the largest down (`100`, `50`,
/// …, `0.01`): then moving "up" means moving back through the list.
pub(super) fn lists_numbers_downward(control: &view::Control) -> bool {
    let view::ControlKind::Choice { options, .. } = &control.kind else {
        return false;
    };
    let numbers: Option<Vec<f64>> = options.iter().map(|o| leading_number(o)).collect();
    numbers.is_some_and(|n| n.len() >= 2 && n.windows(2).all(|w| w[0] > w[1]))
}

/// The number an option starts with, with its unit's scale (`0.01`, `1e-3`, `300B`, `1.4T`,
/// `16k`, `50 (×2)`), if it starts with one.
pub fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim().trim_start_matches('$');
    let bytes = text.as_bytes();
    let mut end = 0;
    while end < bytes.len()
        && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b',')
    {
        end += 1;
    }
    if end == 0 {
        return None;
    }
    // An exponent only when digits follow it (`1e24`, `1e-3`; not the `e` of a word).
    let mut exp_end = end;
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut k = end + 1;
        if matches!(bytes.get(k), Some(b'-' | b'+')) {
            k += 1;
        }
        let digits = bytes[k..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 {
            exp_end = k + digits;
        }
    }
    let number: f64 = text[..exp_end].replace(',', "").parse().ok()?;
    let scale = match text[exp_end..].chars().next() {
        Some('k' | 'K') => 1e3,
        Some('M') => 1e6,
        Some('B' | 'G') => 1e9,
        Some('T') => 1e12,
        Some('P') => 1e15,
        _ => 1.0,
    };
    Some(number * scale).filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(options: &[&str]) -> view::Control {
        view::Control {
            label: "x".into(),
            kind: view::ControlKind::Choice {
                options: options.iter().map(|o| (*o).to_string()).collect(),
                index: 0,
            },
            inactive: None,
        }
    }

    #[test]
    fn only_numbers_listed_downward_turn_the_keys_round() {
        assert!(lists_numbers_downward(&choice(&["100", "50", "1e-2"])));
        assert!(!lists_numbers_downward(&choice(&["0.01", "0.1", "1"])));
        assert!(!lists_numbers_downward(&choice(&["causal", "padding"])));
        assert!(!lists_numbers_downward(&choice(&["8", "8"])));
        assert_eq!(leading_number("50 (x2)"), Some(50.0));
        assert!(!lists_numbers_downward(&choice(&["300B", "1.4T", "15T"])));
        assert_eq!(leading_number("1.4T"), Some(1.4e12));
        assert_eq!(leading_number("1e-3"), Some(1e-3));
        assert_eq!(leading_number("8 epochs"), Some(8.0));
        assert_eq!(leading_number("gpt2"), None);
    }
}
