//! One head of attention computed the way real code runs it, so lesson 13 times what the
//! machine can do rather than what a teaching loop does: 32-bit floats, both products as
//! real matrix multiplications (GEMM, through ndarray's `general_mat_mul`), and one n×n buffer
//! scaled and normalized in place. The 64-bit [`crate::labs::part2_math::attention::attention_output`] stays the
//! reference the tests hold this path to.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut1, Axis};

/// The buffers one head needs, kept between runs so timing measures arithmetic, not
/// allocation.
#[derive(Debug, Default)]
pub struct Workspace {
    scores: Array2<f32>,
    out: Array2<f32>,
}

impl Workspace {
    /// The output of the last [`attention_f32`] run (queries × d_v).
    pub fn output(&self) -> &Array2<f32> {
        &self.out
    }
}

/// softmax(Q·Kᵀ/√d_k)·V in f32, optionally causal; the result lands in `ws.output()`.
/// Shapes: Q is n×d_k, K is m×d_k, V is m×d_v (the caller keeps them consistent).
pub fn attention_f32(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    causal: bool,
    ws: &mut Workspace,
) {
    let (n, m) = (q.nrows(), k.nrows());
    if ws.scores.dim() != (n, m) {
        ws.scores = Array2::zeros((n, m));
    }
    if ws.out.dim() != (n, v.ncols()) {
        ws.out = Array2::zeros((n, v.ncols()));
    }
    // The 1/√d_k scale rides along in the GEMM's alpha: no extra pass over n×m.
    let scale = 1.0 / (k.ncols().max(1) as f32).sqrt();
    general_mat_mul(scale, &q, &k.t(), 0.0, &mut ws.scores);
    for (i, row) in ws.scores.axis_iter_mut(Axis(0)).enumerate() {
        let visible = if causal { (i + 1).min(m) } else { m };
        softmax_prefix(row, visible);
    }
    general_mat_mul(1.0, &ws.scores, &v, 0.0, &mut ws.out);
}

/// Softmax over the first `visible` entries of a row, zeros after them, in place.
fn softmax_prefix(mut row: ArrayViewMut1<f32>, visible: usize) {
    let Some(xs) = row.as_slice_mut() else {
        return;
    };
    let (shown, hidden) = xs.split_at_mut(visible);
    hidden.fill(0.0);
    let max = lane_max(shown);
    if !max.is_finite() {
        shown.fill(0.0);
        return;
    }
    for x in shown.iter_mut() {
        *x = exp_f32(*x - max);
    }
    let inv = 1.0 / lane_sum(shown);
    for x in shown.iter_mut() {
        *x *= inv;
    }
}

/// The largest value, in eight independent lanes so the loop vectorizes.
fn lane_max(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let mut chunks = xs.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l = if *x > *l { *x } else { *l };
        }
    }
    let tail = chunks.remainder().iter().copied();
    lanes
        .into_iter()
        .chain(tail)
        .fold(f32::NEG_INFINITY, f32::max)
}

/// The sum, in eight lanes (the order differs from a plain loop's only in rounding).
fn lane_sum(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut chunks = xs.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += *x;
        }
    }
    lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// e^x for x ≤ 0 (softmax only ever asks for those), to within a few units in the last place
/// of f32, without a branch or a library call so that a loop over it vectorizes.
///
/// Write x = n·ln 2 + r with n whole and |r| ≤ ½·ln 2; then e^x = 2^n · e^r. 2^n goes straight
/// into the float's exponent bits; e^r comes from its Taylor series to the 7th power (the first
/// term left out, (½·ln 2)⁸/8! ≈ 5·10⁻⁹, is far below f32's 6·10⁻⁸). ln 2 is split in two
/// (Cody and Waite) so that n·ln 2 loses nothing to rounding even at n = −126.
pub fn exp_f32(x: f32) -> f32 {
    // 355/512: 9 significant bits, so n·LN2_HI is exact for |n| < 2¹⁵.
    const LN2_HI: f32 = 0.693_359_4;
    // ln 2 − LN2_HI.
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round to nearest by adding and removing 1.5·2²³ (exact for |t| < 2²²).
    const ROUND: f32 = 12_582_912.0;
    // Below −87, e^x is under f32's smallest normal number: return (close to) zero there.
    let x = if x < -87.0 { -87.0 } else { x };
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Horner form of Σ rᵏ/k!, k = 0..=7.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let exponent = ((n as i32 + 127).max(0) as u32) << 23;
    p * f32::from_bits(exponent)
}

/// Converts a 64-bit matrix to 32 bits (for tests and timing inputs).
pub fn to_f32(m: &Array2<f64>) -> Array2<f32> {
    m.mapv(|x| x as f32)
}

/// Runs one head on fresh buffers and returns the output, for callers that run it once.
pub fn attention_f32_once(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    causal: bool,
) -> Array2<f32> {
    let mut ws = Workspace::default();
    attention_f32(q, k, v, causal, &mut ws);
    ws.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part2_math::attention::{attention_output, Options};
    use crate::labs::rng::Rng;

    #[test]
    fn exp_matches_the_library_to_a_few_ulp() {
        // Every 1/1000 from −87 to 0: relative error under 5·10⁻⁷ (about 4 ulp).
        for i in 0..=87_000 {
            let x = -(i as f32) / 1000.0;
            let want = f64::from(x).exp();
            let got = f64::from(exp_f32(x));
            assert!(((got - want) / want).abs() < 5e-7, "e^{x}: {got} vs {want}");
        }
        // Hand-checked points: e^0 = 1, e^−1 = 0.36787944, e^(−ln 2) = ½.
        assert_eq!(exp_f32(0.0), 1.0);
        assert!((exp_f32(-1.0) - 0.367_879_44).abs() < 1e-7);
        assert!((exp_f32(-std::f32::consts::LN_2) - 0.5).abs() < 1e-7);
        // Far below the range: zero for softmax's purposes.
        assert!(exp_f32(-1e6) < 1e-37);
    }

    fn random(n: usize, d: usize, rng: &mut Rng) -> Array2<f64> {
        Array2::from_shape_fn((n, d), |_| rng.normal())
    }

    #[test]
    fn f32_path_agrees_with_the_f64_reference() {
        let mut rng = Rng::new(5);
        for (n, d, causal) in [
            (1, 4, false),
            (7, 3, true),
            (64, 16, false),
            (200, 64, true),
        ] {
            let (q, k, v) = (
                random(n, d, &mut rng),
                random(n, d, &mut rng),
                random(n, d, &mut rng),
            );
            let reference = attention_output(
                &q,
                &k,
                &v,
                Options {
                    causal,
                    ..Options::default()
                },
            );
            let fast = attention_f32_once(
                to_f32(&q).view(),
                to_f32(&k).view(),
                to_f32(&v).view(),
                causal,
            );
            // Outputs are averages of unit-normal values: f32 keeps them to ~1e-6; 1e-4
            // leaves room for the longer sums at n = 200.
            let worst = reference
                .iter()
                .zip(fast.iter())
                .map(|(a, b)| (a - f64::from(*b)).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-4, "n={n} d={d} causal={causal}: off by {worst}");
        }
    }

    #[test]
    fn two_tokens_by_hand() {
        // q = k = [[1, 0], [0, 1]], v = [[1, 2], [3, 4]], d_k = 2: scores/√2 = [[.7071, 0],
        // [0, .7071]]; softmax row 0 = [e^.7071, 1]/(e^.7071 + 1) = [0.66976, 0.33024];
        // output row 0 = 0.66976·[1, 2] + 0.33024·[3, 4] = [1.66048, 2.66048].
        let eye = ndarray::array![[1.0f32, 0.0], [0.0, 1.0]];
        let v = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
        let out = attention_f32_once(eye.view(), eye.view(), v.view(), false);
        assert!((out[[0, 0]] - 1.660_48).abs() < 1e-4, "{out}");
        assert!((out[[0, 1]] - 2.660_48).abs() < 1e-4, "{out}");
        // Causal: the first query sees only itself, so its output is v's first row.
        let causal = attention_f32_once(eye.view(), eye.view(), v.view(), true);
        assert_eq!(causal.row(0).to_vec(), vec![1.0, 2.0]);
    }
}
