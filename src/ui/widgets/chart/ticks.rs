//! Axis ticks: which values get a tick, and how they are written. Every tick of one axis is
//! written in one style, SI units (`500k`, `1M`) or scientific notation throughout, so an axis
//! never reads `100B 1e12 1e13`.

use super::Scale;

/// Writes the exact number `n × 10^e` short: SI suffixes (`k`, `M`, `B`) from a thousand,
/// scientific notation for very large or very small magnitudes, no trailing zeros.
///
/// Working from an integer mantissa avoids the `0.30000000000000004` that `3 * 0.1` prints.
pub(super) fn fmt_scaled(n: i64, e: i32) -> String {
    fmt_tick(n, e, !si_range(magnitude(n, e)))
}

/// The decimal magnitude of `n × 10^e` (`15 × 10^2` is 3); 0 has none, so `i32::MIN`.
fn magnitude(n: i64, e: i32) -> i32 {
    if n == 0 {
        return i32::MIN;
    }
    to_i32(n.unsigned_abs().to_string().len()) - 1 + e
}

/// Whether a magnitude is written with an SI unit (`0.001` up to `999B`); beyond it, `1e12`.
fn si_range(mag: i32) -> bool {
    mag == i32::MIN || (-3..12).contains(&mag)
}

/// Writes `n × 10^e` with an SI unit, or in scientific notation when `sci` (the axis has a
/// tick beyond the units), so every tick of one axis shares a style: `1e9 … 1e13`, never
/// `1B … 1e13`.
fn fmt_tick(n: i64, e: i32, sci: bool) -> String {
    if n == 0 {
        return "0".to_string();
    }
    let sign = if n < 0 { "-" } else { "" };
    let digits = n.unsigned_abs().to_string();
    let mag = to_i32(digits.len()) - 1 + e;
    if sci || !si_range(mag) {
        let trimmed = digits.trim_end_matches('0');
        let (first, rest) = trimmed.split_at(1.min(trimmed.len()));
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        return format!("{sign}{mant}e{mag}");
    }
    let (unit, suffix) = match mag {
        9.. => (9, "B"),
        6..=8 => (6, "M"),
        3..=5 => (3, "k"),
        _ => (0, ""),
    };
    let shift = e - unit;
    let body = if shift >= 0 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(shift).unwrap_or(0))
        )
    } else {
        let s = usize::try_from(-shift).unwrap_or(0);
        let padded = if digits.len() <= s {
            format!("{}{digits}", "0".repeat(s - digits.len() + 1))
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - s);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    };
    format!("{sign}{body}{suffix}")
}

pub(super) fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A power of ten as a log-axis tick: `0.01`, `1`, `100`, `1k`, `10M`, `1B`, `1e-3`, `1e12`.
pub(super) fn fmt_pow10(k: i32) -> String {
    match k {
        -2..=11 => fmt_scaled(1, k),
        _ => format!("1e{k}"),
    }
}

/// Round ticks (1, 2 or 5 × 10^k apart), at most `max_n` of them, covering `lo..=hi`.
// Tick counts and exponents are small integers computed from finite floats; the casts are
// guarded by the magnitude checks below.
#[allow(clippy::cast_possible_truncation)]
pub(super) fn linear_scale(lo: f64, hi: f64, max_n: usize) -> Scale {
    let (mut lo, mut hi) = (lo, hi);
    if hi <= lo {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= d;
        hi += d;
    }
    let span = hi - lo;
    let max_n = max_n.max(2);
    if !span.is_finite() || span <= 0.0 {
        let ticks = vec![(lo, format!("{lo:.1e}")), (hi, format!("{hi:.1e}"))];
        return Scale { lo, hi, ticks };
    }
    let raw = span / (max_n - 1) as f64;
    let p0 = raw.log10().floor() as i32;
    for p in p0..p0 + 3 {
        for m in [1_i64, 2, 5] {
            let step = m as f64 * 10f64.powi(p);
            if step < raw * (1.0 - 1e-9) {
                continue;
            }
            let k0 = (lo / step + 1e-9).floor();
            let k1 = (hi / step - 1e-9).ceil();
            if !(k0.abs() < 1e15 && k1.abs() < 1e15) {
                continue;
            }
            let count = (k1 - k0) as i64 + 1;
            if count > max_n as i64 {
                continue;
            }
            // Dividing by an exact power of ten keeps 1.7 at 1.7 (17 × 0.1 is 1.7000000000000002).
            let value = |k: i64| {
                let n = (k * m) as f64;
                if p < 0 {
                    n / 10f64.powi(-p)
                } else {
                    n * 10f64.powi(p)
                }
            };
            let ks = k0 as i64..=k1 as i64;
            let sci = ks.clone().any(|k| !si_range(magnitude(k * m, p)));
            let ticks: Vec<(f64, String)> =
                ks.map(|k| (value(k), fmt_tick(k * m, p, sci))).collect();
            return Scale {
                lo: value(k0 as i64),
                hi: value(k1 as i64),
                ticks,
            };
        }
    }
    let ticks = vec![(lo, format!("{lo:.1e}")), (hi, format!("{hi:.1e}"))];
    Scale { lo, hi, ticks }
}

/// Ticks at whole powers of ten for a log axis; `lo` and `hi` are already log10 values.
/// With many decades, every second (third, …) decade is labelled so at most `max_n` remain.
#[allow(clippy::cast_possible_truncation)]
pub(super) fn log_scale(lo: f64, hi: f64, max_n: usize) -> Scale {
    // Decades beyond f64's range cannot occur in finite data; the clamp keeps casts sane.
    let d0 = (lo + 1e-9).floor().clamp(-400.0, 400.0) as i32;
    let mut d1 = (hi - 1e-9).ceil().clamp(-400.0, 400.0) as i32;
    if d1 <= d0 {
        d1 = d0 + 1;
    }
    let span = d1 - d0;
    let gaps = to_i32(max_n.max(2) - 1);
    let step = (span + gaps - 1) / gaps;
    let step = step.max(1);
    let d1 = d0 + step * ((span + step - 1) / step);
    let decades: Vec<i32> = (0..=(d1 - d0) / step).map(|i| d0 + i * step).collect();
    // One style per axis: SI units when every decade has one, else powers of ten throughout.
    let si = decades.iter().all(|d| (-2..=11).contains(d));
    let ticks = decades
        .into_iter()
        .map(|d| {
            let label = if si { fmt_pow10(d) } else { format!("1e{d}") };
            (f64::from(d), label)
        })
        .collect();
    Scale {
        lo: f64::from(d0),
        hi: f64::from(d1),
        ticks,
    }
}

pub(super) fn make_scale(range: Option<(f64, f64)>, log: bool, max_n: usize) -> Scale {
    match (range, log) {
        (Some((lo, hi)), true) => log_scale(lo, hi, max_n),
        (Some((lo, hi)), false) => linear_scale(lo, hi, max_n),
        (None, true) => log_scale(0.0, 1.0, max_n),
        (None, false) => linear_scale(0.0, 1.0, max_n),
    }
}
