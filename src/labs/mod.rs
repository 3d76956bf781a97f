//! Labs: the computations the lessons explain, as plain functions on `ndarray` matrices.
//! No drawing here; visualizers in `crate::viz` call these and show the results.
pub mod lm;
pub mod part1_text;
pub mod part2_math;
pub mod part3_transformer;
pub mod part4_pretraining;
pub mod part5_adapting;
pub mod rng;
pub mod shelf;

/// Formats a count or a float compactly: `512`, `12,288`, `3.15e23`, `0.0052`.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-3..1e6).contains(&a) {
        if x.fract() == 0.0 {
            group_thousands(x as i64)
        } else if a >= 100.0 {
            format!("{x:.1}")
        } else {
            let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
            format!("{x:.digits$}")
        }
    } else {
        let exp = a.log10().floor() as i32;
        let mant = x / 10f64.powi(exp);
        // 9.995 rounds up to 10.0: move to the next power instead.
        if format!("{:.2}", mant.abs()) == "10.00" {
            format!("{}e{}", if x < 0.0 { "-1.00" } else { "1.00" }, exp + 1)
        } else {
            format!("{mant:.2}e{exp}")
        }
    }
}

/// Formats an exact count with thousands separators (`18,874,368`), falling back to
/// [`fmt_num`] past 10^15 or for non-integers.
pub fn fmt_count(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        group_thousands(x as i64)
    } else {
        fmt_num(x)
    }
}

/// Bytes in binary units: `512 KiB`, `2.00 GiB`.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Numbers for a comma-separated list, `[1002, 1001, 1000.5, 999]`: as [`fmt_num`] but whole
/// numbers without thousands separators, whose commas would read as more list items
/// (`[1,002, 1,001]`).
pub fn fmt_list(xs: &[f64]) -> String {
    xs.iter()
        .map(|&x| {
            if x.is_finite() && x.fract() == 0.0 && (1.0..1e6).contains(&x.abs()) {
                format!("{}", x as i64)
            } else {
                fmt_num(x)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    /// Regression: a list showed `[1,002, 1,001, 1000.5, 999]`, four numbers reading as six.
    #[test]
    fn lists_have_no_thousands_commas() {
        assert_eq!(
            super::fmt_list(&[1002.0, 1001.0, 1000.5, 999.0]),
            "1002, 1001, 1000.5, 999"
        );
        assert_eq!(
            super::fmt_list(&[-2500.0, 0.25, 2e6]),
            "-2500, 0.250, 2.00e6"
        );
        assert_eq!(
            fmt_num(1002.0),
            "1,002",
            "single numbers keep their separators"
        );
    }

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(fmt_num(512.0), "512");
        assert_eq!(fmt_num(12288.0), "12,288");
        assert_eq!(fmt_num(3.15e23), "3.15e23");
        assert_eq!(fmt_num(0.0052), "0.00520");
        assert_eq!(fmt_num(0.25), "0.250");
        assert_eq!(fmt_num(7.389), "7.39");
        assert_eq!(fmt_num(9.999e9), "1.00e10");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_num(-2.5e-7), "-2.50e-7");
    }
}
