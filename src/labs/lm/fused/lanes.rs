//! Loops written lane by lane, so the compiler turns them into vector instructions of any
//! width and the result is the same bits on every CPU.
//!
//! The rule: every value is computed by the same sequence of single IEEE operations whatever
//! the vector width. Element-wise loops (y[j] = f(x[j])) obey it by themselves. A sum cannot
//! be left to the compiler (it may not reorder float additions, so it would stay scalar), so
//! sums here keep [`LANES`] running totals, total l taking every LANES-th value from l, and
//! add the totals in one fixed tree at the end: the order is written in the code, not chosen
//! by the vector unit. `exp` is our own polynomial, not libm's (whose bits may differ between
//! libraries and which no compiler vectorizes), made of multiplies, adds, one comparison and
//! bit moves, each exact-rounded the same way in every lane.
//!
//! No fused multiply-add: Rust never contracts a·b + c by itself, and nothing here asks for it,
//! so an AVX2 or AVX-512 build computes what the baseline x86-64 build computes.
//!
//! Every function is `#[inline(always)]`: called inside [`vectorized`], it is compiled with the
//! instruction set the CPU offers, not with the baseline one.

/// Running totals of a sum: 8, a multiple of every vector width in use (4 for SSE and NEON,
/// 8 for AVX2, 16 for AVX-512 takes two groups at once), so no lane ever waits on another.
pub(super) const LANES: usize = 8;

/// `n` rounded up to whole groups of [`LANES`].
#[inline(always)]
pub(super) fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// Runs `kernel` compiled for the widest vector instructions this CPU has (AVX-512, AVX2 or
/// the baseline), chosen at run time. Only for loops that follow the rule above: their
/// results are then the same bits whichever version runs, which
/// `attention.rs::tests::attention_is_the_same_bits_at_every_vector_width` checks. A kernel is
/// a struct whose `with_simd` is `#[inline(always)]` and calls `#[inline(always)]` code, so the
/// whole loop nest is compiled inside pulp's per-instruction-set function (a closure would be
/// compiled once, for the baseline, and called from there).
#[inline(always)]
pub(super) fn vectorized<K: pulp::WithSimd>(kernel: K) -> K::Output {
    pulp::Arch::new().dispatch(kernel)
}

/// Σ x in the fixed order described above; values past the last whole group are added at
/// the end, in order.
#[inline(always)]
pub(super) fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let groups = x.chunks_exact(LANES);
    let tail = groups.remainder();
    for group in groups {
        let group: &[f32; LANES] = group.try_into().unwrap();
        for l in 0..LANES {
            acc[l] += group[l];
        }
    }
    tail.iter().fold(combine(acc), |s, v| s + v)
}

/// Σ a·b over two slices of one length, in the order of [`sum`].
#[inline(always)]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ga, gb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ta, tb) = (ga.remainder(), gb.remainder());
    for (x, y) in ga.zip(gb) {
        let (x, y): (&[f32; LANES], &[f32; LANES]) = (x.try_into().unwrap(), y.try_into().unwrap());
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    ta.iter().zip(tb).fold(combine(acc), |s, (x, y)| s + x * y)
}

/// [`dot`] of each of several rows against one `y`, the same bits as R calls of it: the rows'
/// running totals are kept side by side, so R chains of additions are in flight at once
/// rather than one (a single short dot product waits on its own additions).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
pub(super) fn dots<const R: usize>(rows: [&[f32]; R], y: &[f32]) -> [f32; R] {
    let len = y.len();
    let whole = len / LANES * LANES;
    let mut acc = [[0f32; LANES]; R];
    for at in (0..whole).step_by(LANES) {
        let yg: &[f32; LANES] = y[at..at + LANES].try_into().unwrap();
        for r in 0..R {
            let xg: &[f32; LANES] = rows[r][at..at + LANES].try_into().unwrap();
            for l in 0..LANES {
                acc[r][l] += xg[l] * yg[l];
            }
        }
    }
    let mut out = [0f32; R];
    for r in 0..R {
        out[r] = (whole..len).fold(combine(acc[r]), |s, j| s + rows[r][j] * y[j]);
    }
    out
}

/// Σ (x − c)² in the order of [`sum`].
#[inline(always)]
pub(super) fn sum_sq_from(x: &[f32], c: f32) -> f32 {
    let mut acc = [0f32; LANES];
    let groups = x.chunks_exact(LANES);
    let tail = groups.remainder();
    for group in groups {
        let group: &[f32; LANES] = group.try_into().unwrap();
        for l in 0..LANES {
            acc[l] += (group[l] - c) * (group[l] - c);
        }
    }
    tail.iter().fold(combine(acc), |s, v| s + (v - c) * (v - c))
}

/// The largest value of a slice of whole groups (−∞ for none; NaN is passed over, as
/// `f32::max` does). The maximum does not depend on the order; lanes just make it quick.
#[inline(always)]
pub(super) fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    for group in x.chunks_exact(LANES) {
        let group: &[f32; LANES] = group.try_into().unwrap();
        for l in 0..LANES {
            acc[l] = if group[l] > acc[l] { group[l] } else { acc[l] };
        }
    }
    acc.into_iter().fold(f32::NEG_INFINITY, f32::max)
}

/// The running totals added pairwise in one fixed tree.
#[inline(always)]
fn combine(a: [f32; LANES]) -> f32 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

/// out[c] += Σⱼ w[j] · x[j·stride + c] for every column c of `out`: a short vector times a
/// matrix whose rows sit `stride` apart. Each column's sum runs in two running totals, one over
/// the even j and one over the odd j, each in order of j, the first starting from out[c], then
/// added; so every column's arithmetic is fixed, and two chains of additions are in flight at
/// once instead of one. The columns run lane-wise, up to four groups of [`LANES`] at once in
/// registers; the last columns (fewer than a group) one by one, with the same arithmetic.
///
/// Attention uses it both ways round: over a head's dₕ columns (a weighted sum of value rows)
/// and over positions j (a row of scores, from keys stored column by column).
#[inline(always)]
pub(super) fn weighted_rows(w: &[f32], x: &[f32], stride: usize, out: &mut [f32]) {
    let mut c = 0;
    while out.len() - c >= 4 * LANES {
        block::<4>(w, &x[c..], stride, &mut out[c..]);
        c += 4 * LANES;
    }
    match (out.len() - c) / LANES {
        3 => block::<3>(w, &x[c..], stride, &mut out[c..]),
        2 => block::<2>(w, &x[c..], stride, &mut out[c..]),
        1 => block::<1>(w, &x[c..], stride, &mut out[c..]),
        _ => {}
    }
    c += (out.len() - c) / LANES * LANES;
    for (k, o) in out[c..].iter_mut().enumerate() {
        let (mut even, mut odd) = (*o, 0f32);
        let mut pairs = w.chunks_exact(2);
        for (j, pair) in (&mut pairs).enumerate() {
            even += pair[0] * x[2 * j * stride + c + k];
            odd += pair[1] * x[(2 * j + 1) * stride + c + k];
        }
        if let [last] = pairs.remainder() {
            even += last * x[(w.len() - 1) * stride + c + k];
        }
        *o = even + odd;
    }
}

/// [`weighted_rows`] for the first G groups of columns, summed in registers. (Written with
/// fixed-size arrays and indices: with iterators over chunks the compiler did not see the
/// groups and left every sum scalar.)
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
fn block<const G: usize>(w: &[f32], x: &[f32], stride: usize, out: &mut [f32]) {
    let out = &mut out[..G * LANES];
    let mut even = [[0f32; LANES]; G];
    let mut odd = [[0f32; LANES]; G];
    for g in 0..G {
        even[g] = out[g * LANES..(g + 1) * LANES].try_into().unwrap();
    }
    let mut pairs = w.chunks_exact(2);
    for (j, pair) in (&mut pairs).enumerate() {
        let (w0, w1) = (pair[0], pair[1]);
        let row0 = &x[2 * j * stride..2 * j * stride + G * LANES];
        let row1 = &x[(2 * j + 1) * stride..(2 * j + 1) * stride + G * LANES];
        for g in 0..G {
            let r0: &[f32; LANES] = row0[g * LANES..(g + 1) * LANES].try_into().unwrap();
            let r1: &[f32; LANES] = row1[g * LANES..(g + 1) * LANES].try_into().unwrap();
            for l in 0..LANES {
                even[g][l] += w0 * r0[l];
                odd[g][l] += w1 * r1[l];
            }
        }
    }
    if let [last] = pairs.remainder() {
        let at = (w.len() - 1) * stride;
        let row = &x[at..at + G * LANES];
        for g in 0..G {
            let r: &[f32; LANES] = row[g * LANES..(g + 1) * LANES].try_into().unwrap();
            for l in 0..LANES {
                even[g][l] += last * r[l];
            }
        }
    }
    for g in 0..G {
        for l in 0..LANES {
            out[g * LANES + l] = even[g][l] + odd[g][l];
        }
    }
}

/// Into `out` (R rows of `width`, rows `q` of it for columns c..c+R of `w`): the sums of
/// x's `n` rows weighted by those columns of `w` (n rows of `w_stride`), four columns at a
/// time ([`weighted_rows_each`]), so x is read r/4 times rather than r.
#[inline(always)]
pub(super) fn weighted_columns(
    w: &[f32],
    w_stride: usize,
    n: usize,
    x: &[f32],
    stride: usize,
    out: &mut [f32],
    width: usize,
) {
    let mut c = 0;
    while w_stride - c >= 4 {
        let o = &mut out[c * width..][..4 * width];
        weighted_rows_each::<4>(&w[c..], w_stride, n, x, stride, o, width);
        c += 4;
    }
    while c < w_stride {
        let o = &mut out[c * width..][..width];
        weighted_rows_each::<1>(&w[c..], w_stride, n, x, stride, o, width);
        c += 1;
    }
}

/// [`weighted_rows`] for R weight vectors over the same rows of x at once, the same bits as R
/// calls of it: for q in 0..R, out row q (`width` values at q·width) gets
/// Σⱼ w[j·w_stride + q] · x[j·stride + c] for j in 0..n, in `weighted_rows`' order (its even
/// and odd running totals, the first from the out value). Each group of columns of x is read
/// once for all R sums, rather than once per sum: the backward pass of a low-rank product
/// sums the same rows under several weights (one per rank).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
fn weighted_rows_each<const R: usize>(
    w: &[f32],
    w_stride: usize,
    n: usize,
    x: &[f32],
    stride: usize,
    out: &mut [f32],
    width: usize,
) {
    let weight = |j: usize, q: usize| w[j * w_stride + q];
    let whole = width / LANES * LANES;
    for c in (0..whole).step_by(LANES) {
        let mut even = [[0f32; LANES]; R];
        let mut odd = [[0f32; LANES]; R];
        for q in 0..R {
            even[q] = out[q * width + c..][..LANES].try_into().unwrap();
        }
        for j in 0..n / 2 {
            let r0: &[f32; LANES] = x[2 * j * stride + c..][..LANES].try_into().unwrap();
            let r1: &[f32; LANES] = x[(2 * j + 1) * stride + c..][..LANES].try_into().unwrap();
            for q in 0..R {
                let (w0, w1) = (weight(2 * j, q), weight(2 * j + 1, q));
                for l in 0..LANES {
                    even[q][l] += w0 * r0[l];
                    odd[q][l] += w1 * r1[l];
                }
            }
        }
        if n % 2 == 1 {
            let row: &[f32; LANES] = x[(n - 1) * stride + c..][..LANES].try_into().unwrap();
            for q in 0..R {
                let last = weight(n - 1, q);
                for l in 0..LANES {
                    even[q][l] += last * row[l];
                }
            }
        }
        for q in 0..R {
            for l in 0..LANES {
                out[q * width + c + l] = even[q][l] + odd[q][l];
            }
        }
    }
    for q in 0..R {
        for c in whole..width {
            let o = &mut out[q * width + c];
            let (mut even, mut odd) = (*o, 0f32);
            for j in 0..n / 2 {
                even += weight(2 * j, q) * x[2 * j * stride + c];
                odd += weight(2 * j + 1, q) * x[(2 * j + 1) * stride + c];
            }
            if n % 2 == 1 {
                even += weight(n - 1, q) * x[(n - 1) * stride + c];
            }
            *o = even + odd;
        }
    }
}

/// eˣ in single precision, within 2 units in the last place of the exact value for
/// −87 ≤ x ≤ 88; exactly 0 below −87 (where eˣ < 1.7·10⁻³⁸), e⁸⁸ above 88, NaN for NaN.
///
/// x = n·ln 2 + r with n an integer and |r| ≤ ln 2 / 2; eʳ from Cephes' degree-7 polynomial
/// (S. Moshier's `expf`), then 2ⁿ written straight into the exponent bits. Adding 1.5·2²³
/// rounds x·log₂e to the nearest integer (ties to even) and leaves that integer in the low
/// bits, so no rounding instruction (absent before SSE4.1) is needed. The special cases are
/// bit masks, not branches, so a loop of it compiles to vector instructions.
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³
    const LN2_HI: f32 = 0.693_359_4; // ln 2 in 10 bits, so n·LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 − LN2_HI
                                         // All ones where the result is the polynomial's (false for NaN), where x is NaN.
    let keep = u32::from(x >= -87.0).wrapping_neg();
    let nan = u32::from(x.is_nan()).wrapping_neg();
    let x_in = x.clamp(-87.0, 88.0);
    let shifted = x_in * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = (x_in - n * LN2_HI) - n * LN2_LO;
    let p = (((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 0.5)
        * (r * r)
        + r
        + 1.0;
    // The low bits of `shifted` hold n + 0x40_0000; n + 127 is the biased exponent of 2ⁿ.
    let two_n = f32::from_bits(shifted.to_bits().wrapping_sub(0x4B40_0000 - 127) << 23);
    f32::from_bits(((p * two_n).to_bits() & keep) | (x.to_bits() & nan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_units_in_the_last_place() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let (ours, exact) = (exp(x) as f64, (x as f64).exp());
            let ulp = (exact as f32).abs() * f32::EPSILON;
            worst = worst.max((ours - exact).abs() / ulp as f64);
            x += 0.001_3;
        }
        assert!(worst <= 2.0, "{worst} units in the last place");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    fn acc_of(x: &[f32]) -> [f32; LANES] {
        let mut acc = [0f32; LANES];
        for (i, v) in x.iter().enumerate() {
            acc[i % LANES] += v;
        }
        acc
    }

    #[test]
    fn sums_keep_their_fixed_order() {
        let x: Vec<f32> = (0..24).map(|i| 1.0 / (i as f32 + 1.0)).collect();
        let mut acc = [0f32; LANES];
        for (i, v) in x.iter().enumerate() {
            acc[i % LANES] += v;
        }
        assert_eq!(sum(&x).to_bits(), combine(acc).to_bits());
        assert_eq!(
            sum(&x[..11]),
            combine(acc_of(&x[..8])) + x[8] + x[9] + x[10]
        );
        assert_eq!(sum_sq_from(&x, 0.0), dot(&x, &x));
        assert_eq!(
            dot(&x, &x),
            sum(&x.iter().map(|v| v * v).collect::<Vec<_>>())
        );
        assert_eq!(max(&x), 1.0);
        let y: Vec<f32> = x.iter().map(|v| v * 3.0 - 0.5).collect();
        for len in [3, 8, 21, 24] {
            let rows = [&x[..len], &y[..len], &x[..len]];
            let want = rows.map(|r| dot(r, &y[..len]).to_bits());
            assert_eq!(
                dots(rows, &y[..len]).map(f32::to_bits),
                want,
                "length {len}"
            );
        }
        // Several weight vectors at once: the bits of one `weighted_rows` each, with rows
        // further apart than they are wide, odd and even counts, whole and partial groups.
        for (n, width, stride) in [(7, 21, 24), (8, 16, 19), (1, 3, 3)] {
            let rows: Vec<f32> = (0..n * stride).map(|i| (i as f32 * 0.37).sin()).collect();
            let w: Vec<f32> = (0..n * 3).map(|i| (i as f32 * 0.71).cos()).collect();
            let start: Vec<f32> = (0..3 * width).map(|i| i as f32 * 0.01).collect();
            let mut want = start.clone();
            for q in 0..3 {
                let wq: Vec<f32> = (0..n).map(|j| w[j * 3 + q]).collect();
                weighted_rows(&wq, &rows, stride, &mut want[q * width..][..width]);
            }
            let mut got = start.clone();
            weighted_rows_each::<2>(&w, 3, n, &rows, stride, &mut got[..2 * width], width);
            weighted_rows_each::<1>(&w[2..], 3, n, &rows, stride, &mut got[2 * width..], width);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{n} rows of {width}");
        }
        assert_eq!(padded(1), 8);
        assert_eq!(padded(16), 16);
    }
}
