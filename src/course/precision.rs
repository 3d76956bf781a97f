//! How precise a numeric answer must be: one rule for every question of the course.
//!
//! A question's precision is that of its key as written (`7.39`: two decimals; `805`: a whole
//! number), unless the quiz says otherwise with `"decimals": N` or `"figures": N` (needed
//! when the written key drops a trailing zero: `0.10` is stored as `0.1`). The learner sees
//! the precision under the answer box, and an answer counts when it rounds to the key at that
//! precision: for `7.39`, anything from 7.385 to 7.395. A whole number is a count: it must be
//! typed exactly. `llmf check` refuses a precision so coarse that an answer 10% off would
//! still round to the key.

use std::fmt;

/// The precision a numeric question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// A whole number, typed exactly.
    Whole,
    /// This many digits after the decimal point.
    Decimals(u32),
    /// This many significant figures.
    Figures(u32),
}

impl Precision {
    /// The precision of a key as JSON writes it (`0.0052`, `5.9`, `805`, `1e-5`).
    pub fn of_written(text: &str) -> Self {
        let text = text.trim().trim_start_matches(['-', '+']);
        if let Some((mantissa, _)) = text.split_once(['e', 'E']) {
            let digits = mantissa.chars().filter(char::is_ascii_digit);
            let figures = digits.skip_while(|c| *c == '0').count();
            return Self::Figures(u32::try_from(figures.max(1)).unwrap_or(1));
        }
        match text.split_once('.') {
            Some((_, frac)) if frac.trim_end_matches('0').is_empty() => Self::Whole,
            Some((_, frac)) => Self::Decimals(u32::try_from(frac.len()).unwrap_or(0)),
            None => Self::Whole,
        }
    }

    /// Half the last unit kept: how far an answer may be from `key` and still round to it.
    /// `None` for a whole number (typed exactly).
    pub fn half_unit(self, key: f64) -> Option<f64> {
        let exp = match self {
            Self::Whole => return None,
            Self::Decimals(d) => -f64::from(d),
            Self::Figures(f) => {
                let magnitude = if key == 0.0 {
                    0.0
                } else {
                    key.abs().log10().floor()
                };
                magnitude - f64::from(f) + 1.0
            }
        };
        Some(0.5 * 10f64.powf(exp))
    }

    /// Whether `given` rounds to `key` at this precision. Halves round away from the key's
    /// neighbours (both ends count), with a hair of slack for binary fractions.
    pub fn accepts(self, key: f64, given: f64) -> bool {
        if !given.is_finite() {
            return false;
        }
        match self.half_unit(key) {
            None => given == key,
            Some(half) => (given - key).abs() <= half * (1.0 + 1e-9) + f64::EPSILON * key.abs(),
        }
    }

    /// The key rounded to this precision, as a learner who follows the hint types it.
    pub fn show(self, key: f64) -> String {
        match self {
            Self::Whole => format!("{key}"),
            Self::Decimals(d) => format!("{key:.prec$}", prec = d as usize),
            Self::Figures(_) => {
                let unit = 2.0 * self.half_unit(key).unwrap_or(0.5);
                let rounded = (key / unit).round() * unit;
                // Decimals needed so the last significant figure shows.
                let places = (-unit.log10().round()).max(0.0);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let places = places as usize;
                format!("{rounded:.places$}")
            }
        }
    }
}

/// The hint under the answer box: "a whole number", "to 2 decimals", "to 3 significant
/// figures".
impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whole => write!(f, "a whole number"),
            Self::Decimals(1) => write!(f, "to 1 decimal"),
            Self::Decimals(d) => write!(f, "to {d} decimals"),
            Self::Figures(1) => write!(f, "to 1 significant figure"),
            Self::Figures(n) => write!(f, "to {n} significant figures"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Precision::{self, Decimals, Figures, Whole};

    #[test]
    fn the_written_key_gives_the_precision() {
        assert_eq!(Precision::of_written("7.39"), Decimals(2));
        assert_eq!(Precision::of_written("0.0052"), Decimals(4));
        assert_eq!(Precision::of_written("805"), Whole);
        assert_eq!(Precision::of_written("-3"), Whole);
        assert_eq!(Precision::of_written("2.0"), Whole);
        assert_eq!(Precision::of_written("1.5e-5"), Figures(2));
        assert_eq!(Precision::of_written("5E23"), Figures(1));
    }

    #[test]
    fn an_answer_counts_when_it_rounds_to_the_key() {
        // e² = 7.389…: the key 7.39 at two decimals.
        assert!(Decimals(2).accepts(7.39, 7.389));
        assert!(Decimals(2).accepts(7.39, 7.385));
        assert!(Decimals(2).accepts(7.39, 7.39));
        assert!(!Decimals(2).accepts(7.39, 7.4));
        assert!(!Decimals(2).accepts(7.39, 7.38));
        // 5.9 at one decimal takes 5.88 (it rounds to 5.9), not 5.8.
        assert!(Decimals(1).accepts(5.9, 5.88));
        assert!(!Decimals(1).accepts(5.9, 5.8));
        // Significant figures scale with the key.
        assert!(Figures(3).accepts(555_556.0, 556_000.0));
        assert!(Figures(3).accepts(555_556.0, 555_500.0));
        assert!(!Figures(3).accepts(555_556.0, 554_000.0));
        assert!(Figures(2).accepts(0.0052, 0.00515));
        // A count is typed exactly.
        assert!(Whole.accepts(805.0, 805.0));
        assert!(!Whole.accepts(805.0, 804.6));
        assert!(!Decimals(2).accepts(7.39, f64::NAN));
    }

    #[test]
    fn hints_and_keys_read_as_written() {
        assert_eq!(Whole.to_string(), "a whole number");
        assert_eq!(Decimals(1).to_string(), "to 1 decimal");
        assert_eq!(Decimals(2).to_string(), "to 2 decimals");
        assert_eq!(Figures(3).to_string(), "to 3 significant figures");
        assert_eq!(Decimals(2).show(0.1), "0.10");
        assert_eq!(Figures(3).show(555_556.0), "556000");
        assert_eq!(Figures(2).show(0.0052), "0.0052");
        assert_eq!(Whole.show(805.0), "805");
    }
}
