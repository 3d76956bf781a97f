//! Blockwise 4-bit quantization, the storage trick behind QLoRA (Dettmers et al. 2023,
//! arXiv:2305.14314).
//!
//! Weights are cut into blocks (64 by default). Each block is divided by its absolute maximum, so
//! every value lands in [−1, 1], and each value is replaced by the index of the nearest of 16
//! code levels: 4 bits. The block keeps its absmax as one fp32 number to scale back. Two codes:
//! - uniform symmetric int4: levels k/7 for k = −7..7 (15 levels; the 16th code is unused);
//! - NF4 ("4-bit NormalFloat"): levels at quantiles of the standard normal, rebuilt below from
//!   the inverse normal CDF exactly as the paper's appendix describes.
//!
//! Why NF4 wins on trained weights: they are roughly normal, so most values of a block sit near
//! zero and few near its absmax. Uniform levels spend as many codes on the sparse tails as on the
//! crowded middle; NF4 puts its levels where the values are (each level covers about the same
//! probability mass), so the typical value is closer to a level. It is optimal in that
//! equal-mass sense, not the exact minimiser of squared error.
//!
//! Double quantization stores the fp32 absmax constants themselves in 8 bits (blocks of 256):
//! 32/64 = 0.5 bit per weight of overhead becomes 8/64 + 32/(64·256) ≈ 0.127.

/// NF4's 16 code values as published (QLoRA appendix; the same table ships in bitsandbytes):
/// 7 negative levels, an exact zero and 8 positive levels. (The published 0.5626170 is written
/// 0.562_617: clippy rejects the trailing zero as precision an f32 cannot hold.)
pub const NF4_PUBLISHED: [f32; 16] = [
    -1.0,
    -0.696_192_8,
    -0.525_073_1,
    -0.394_917_5,
    -0.284_441_4,
    -0.184_773_4,
    -0.091_050_0,
    0.0,
    0.079_580_3,
    0.160_930_2,
    0.246_112_3,
    0.337_915_2,
    0.440_709_8,
    0.562_617,
    0.722_956_8,
    1.0,
];

/// Default block length for the weights (QLoRA, bitsandbytes).
pub const BLOCK: usize = 64;
/// Block length used when the absmax constants are quantized a second time.
pub const DOUBLE_QUANT_BLOCK: usize = 256;

/// The 4-bit code a block's normalised values are rounded to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Evenly spaced levels k/7, k = −7..7.
    Int4,
    /// Normal-quantile levels, [`NF4_PUBLISHED`].
    Nf4,
}

impl Code {
    pub const ALL: [Code; 2] = [Code::Int4, Code::Nf4];

    pub fn name(self) -> &'static str {
        match self {
            Code::Int4 => "int4 (uniform)",
            Code::Nf4 => "NF4",
        }
    }

    /// The representable values in [−1, 1], ascending.
    pub fn levels(self) -> Vec<f32> {
        match self {
            Code::Int4 => (-7..=7).map(|k| k as f32 / 7.0).collect(),
            Code::Nf4 => NF4_PUBLISHED.to_vec(),
        }
    }

    /// The widest gap between neighbouring levels: rounding to the nearest level can be off by
    /// at most half of it (times the block's absmax once scaled back).
    pub fn largest_gap(self) -> f32 {
        let l = self.levels();
        l.windows(2).map(|w| w[1] - w[0]).fold(0.0, f32::max)
    }
}

/// Index of the level nearest to `x` (levels ascending; ties go to the lower level).
pub fn nearest_level(levels: &[f32], x: f32) -> u8 {
    let mut best = 0;
    for (i, l) in levels.iter().enumerate() {
        if (x - l).abs() < (x - levels[best]).abs() {
            best = i;
        }
    }
    best as u8
}

/// A quantized tensor: one code index per weight and one absmax per block.
#[derive(Clone, Debug)]
pub struct Quantized {
    pub code: Code,
    pub block: usize,
    pub len: usize,
    pub indices: Vec<u8>,
    pub absmax: Vec<f32>,
}

impl Quantized {
    /// Bytes actually needed: two 4-bit indices per byte, plus 4 bytes per block's absmax.
    pub fn storage_bytes(&self) -> usize {
        self.len.div_ceil(2) + 4 * self.absmax.len()
    }
}

/// Quantizes `weights` block by block (`block` ≥ 1). A block of zeros keeps absmax 0 and
/// decodes to zeros.
pub fn quantize(weights: &[f32], block: usize, code: Code) -> Quantized {
    let block = block.max(1);
    let levels = code.levels();
    let mut indices = Vec::with_capacity(weights.len());
    let mut absmax = Vec::with_capacity(weights.len().div_ceil(block));
    for chunk in weights.chunks(block) {
        let m = chunk.iter().fold(0.0f32, |a, x| a.max(x.abs()));
        absmax.push(m);
        for &x in chunk {
            let normalised = if m > 0.0 { x / m } else { 0.0 };
            indices.push(nearest_level(&levels, normalised));
        }
    }
    Quantized {
        code,
        block,
        len: weights.len(),
        indices,
        absmax,
    }
}

/// Scales each index's level back by its block's absmax.
pub fn dequantize(q: &Quantized) -> Vec<f32> {
    dequantize_with(q, &q.absmax)
}

/// Like [`dequantize`], but with absmax constants from elsewhere (e.g. double-quantized ones).
pub fn dequantize_with(q: &Quantized, absmax: &[f32]) -> Vec<f32> {
    let levels = q.code.levels();
    let levels = &levels;
    q.indices
        .chunks(q.block)
        .zip(absmax)
        .flat_map(|(chunk, &m)| chunk.iter().map(move |&i| levels[i as usize] * m))
        .collect()
}

/// Reconstruction error of one block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockError {
    pub absmax: f32,
    pub mse: f64,
    pub max_abs: f64,
}

/// Error per block between original and reconstructed weights.
pub fn block_errors(original: &[f32], restored: &[f32], block: usize) -> Vec<BlockError> {
    let block = block.max(1);
    original
        .chunks(block)
        .zip(restored.chunks(block))
        .map(|(a, b)| {
            let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| f64::from(x - y)).collect();
            BlockError {
                absmax: a.iter().fold(0.0f32, |m, x| m.max(x.abs())),
                mse: diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64,
                max_abs: diffs.iter().fold(0.0f64, |m, d| m.max(d.abs())),
            }
        })
        .collect()
}

/// Mean squared error over all weights.
pub fn mse(original: &[f32], restored: &[f32]) -> f64 {
    let n = original.len().max(1) as f64;
    original
        .iter()
        .zip(restored)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        / n
}

/// Storage cost in bits per weight: 4 for the index plus the scale constants' share.
/// Without double quantization one fp32 absmax per `block` weights: 4 + 32/block.
/// With it (`Some(block2)`), each absmax is 8 bits and every `block2` of them share one fp32
/// scale: 4 + 8/block + 32/(block·block2). (The single fp32 mean subtracted from all absmax
/// values is negligible and left out, as in the paper's count.)
pub fn bits_per_weight(block: usize, double_quant_block: Option<usize>) -> f64 {
    4.0 + scale_bits_per_weight(block, double_quant_block)
}

/// The scale constants' share alone (0.5 for block 64; ≈ 0.127 with double quantization).
pub fn scale_bits_per_weight(block: usize, double_quant_block: Option<usize>) -> f64 {
    let b = block.max(1) as f64;
    match double_quant_block {
        None => 32.0 / b,
        Some(b2) => 8.0 / b + 32.0 / (b * b2.max(1) as f64),
    }
}

/// Absmax constants stored in 8 bits. They are all positive, so their mean is subtracted first
/// (as in QLoRA) and the centred values are quantized symmetrically, k/127 of each block's
/// absmax. QLoRA uses 8-bit floats here; plain int8 keeps the lab simple at the same storage.
#[derive(Clone, Debug)]
pub struct DoubleQuantized {
    pub mean: f32,
    pub block: usize,
    pub codes: Vec<i8>,
    pub scales: Vec<f32>,
}

pub fn double_quantize(absmax: &[f32], block: usize) -> DoubleQuantized {
    let block = block.max(1);
    let mean = if absmax.is_empty() {
        0.0
    } else {
        absmax.iter().sum::<f32>() / absmax.len() as f32
    };
    let mut codes = Vec::with_capacity(absmax.len());
    let mut scales = Vec::new();
    for chunk in absmax.chunks(block) {
        let s = chunk.iter().fold(0.0f32, |a, c| a.max((c - mean).abs()));
        scales.push(s);
        for &c in chunk {
            let k = if s > 0.0 {
                ((c - mean) / s * 127.0).round()
            } else {
                0.0
            };
            codes.push(k.clamp(-127.0, 127.0) as i8);
        }
    }
    DoubleQuantized {
        mean,
        block,
        codes,
        scales,
    }
}

impl DoubleQuantized {
    /// The absmax constants as read back for dequantizing.
    pub fn restore(&self) -> Vec<f32> {
        self.codes
            .chunks(self.block)
            .zip(&self.scales)
            .flat_map(|(chunk, &s)| {
                chunk
                    .iter()
                    .map(move |&k| self.mean + f32::from(k) / 127.0 * s)
            })
            .collect()
    }
}

/// Standard normal CDF Φ(z), to about 1e-15. Uses the upper tail Q(z) = ½·erfc(z/√2), with
/// erfc from a series for small arguments and a continued fraction for large ones.
pub fn normal_cdf(z: f64) -> f64 {
    if z < 0.0 {
        0.5 * erfc(-z / std::f64::consts::SQRT_2)
    } else {
        1.0 - 0.5 * erfc(z / std::f64::consts::SQRT_2)
    }
}

/// Complementary error function for t ≥ 0.
fn erfc(t: f64) -> f64 {
    let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
    if t < 2.0 {
        // erf t = (2/√π)·e^{−t²}·Σ 2ⁿ t^{2n+1} / (1·3·…·(2n+1)): every term positive, so no
        // cancellation; 60 terms are far more than needed below t = 2.
        let mut term = t;
        let mut sum = t;
        for n in 1..60 {
            term *= 2.0 * t * t / (2 * n + 1) as f64;
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
        }
        1.0 - two_over_sqrt_pi * (-t * t).exp() * sum
    } else {
        // erfc t = (e^{−t²}/√π) / (t + (1/2)/(t + 1/(t + (3/2)/(t + 2/(t + …))))),
        // evaluated from the bottom up; 60 levels converge for t ≥ 2.
        let mut f = t;
        for k in (1..60).rev() {
            f = t + (k as f64 / 2.0) / f;
        }
        (-t * t).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// Inverse standard normal CDF (the quantile function), for 0 < p < 1; ±∞ at 0 and 1.
/// Acklam's rational approximation (relative error below 1.2e-9) followed by one Newton step
/// on Φ(x) − p, which brings it to the precision of [`normal_cdf`].
pub fn inv_normal_cdf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    // Newton: x ← x − (Φ(x) − p)/φ(x), with φ the normal density.
    let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    x - (normal_cdf(x) - p) / density
}

/// Rebuilds NF4's 16 levels from normal quantiles, the QLoRA appendix's construction.
///
/// A symmetric 4-bit quantile code has no exact zero, yet zero must be representable (padding,
/// sparse weights). So the two halves are built separately: 8 positive levels from quantiles at
/// 9 evenly spaced probabilities running from `offset` down to ½ (the ½ itself, Q = 0, dropped),
/// and 7 negative ones from 8 such probabilities, mirrored; zero is added once and everything is
/// divided by the largest level so the code spans [−1, 1]. Quantiles at exactly 0 or 1 would be
/// infinite, so the outermost probability is `offset` = ½·((1 − 1/(2·15)) + (1 − 1/(2·16))),
/// the mean of the outermost bin centres for 15 and 16 equal-mass bins = 0.96770833…
pub fn nf4_from_quantiles() -> [f64; 16] {
    let offset = 0.5 * ((1.0 - 1.0 / 30.0) + (1.0 - 1.0 / 32.0));
    let probs = |n: usize| -> Vec<f64> {
        (0..n - 1)
            .map(|i| offset + (0.5 - offset) * i as f64 / (n - 1) as f64)
            .collect()
    };
    let mut v: Vec<f64> = probs(9).into_iter().map(inv_normal_cdf).collect();
    v.extend(probs(8).into_iter().map(|p| -inv_normal_cdf(p)));
    v.push(0.0);
    v.sort_by(f64::total_cmp);
    let top = v[15];
    let mut out = [0.0; 16];
    for (o, x) in out.iter_mut().zip(&v) {
        *o = x / top;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::rng::Rng;
    use proptest::prelude::*;

    #[test]
    fn inverse_normal_cdf_matches_python_statistics() {
        // python3: from statistics import NormalDist; NormalDist().inv_cdf(p)
        let known = [
            (0.5, 0.0),
            (0.6, 0.253_347_103_135_799_8),
            (0.75, 0.674_489_750_196_081_7),
            (0.9, 1.281_551_565_544_600_8),
            (0.975, 1.959_963_984_540_053_6),
            (0.99, 2.326_347_874_040_840_8),
            (0.999, 3.090_232_306_167_813),
            (0.9999, 3.719_016_485_455_708_4),
            (1e-6, -4.753_424_308_822_899),
            (0.024_25, -1.972_961_051_311_884_5),
            (0.967_708_3, 1.848_130_959_757_373),
        ];
        for (p, z) in known {
            let got = inv_normal_cdf(p);
            assert!((got - z).abs() < 1e-12, "p={p}: {got} vs {z}");
        }
        assert_eq!(inv_normal_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inv_normal_cdf(1.0), f64::INFINITY);
    }

    #[test]
    fn normal_cdf_matches_python_erfc() {
        // python3: 0.5 * math.erfc(-z / math.sqrt(2))
        let known = [
            (0.0, 0.5),
            (0.5, 0.691_462_461_274_013_1),
            (1.96, 0.975_002_104_851_779_5),
            (2.5, 0.993_790_334_674_223_8),
            (4.0, 0.999_968_328_758_166_9),
            (-1.0, 0.158_655_253_931_457_07),
            (-3.0, 0.001_349_898_031_630_095_7),
        ];
        for (z, p) in known {
            assert!((normal_cdf(z) - p).abs() < 1e-15, "z={z}");
        }
    }

    #[test]
    fn published_nf4_table_is_the_normal_quantile_construction() {
        // Python with statistics.NormalDist gives the same 16 values; the largest difference to
        // the published (float32-computed) table is 1.6e-7.
        let rebuilt = nf4_from_quantiles();
        for (r, p) in rebuilt.iter().zip(NF4_PUBLISHED) {
            assert!((r - f64::from(p)).abs() < 1e-6, "{r} vs {p}");
        }
        // The shape the facts sheet states: 7 negative levels, exact 0, 8 positive, ±1 at the ends.
        assert_eq!(NF4_PUBLISHED.iter().filter(|x| **x < 0.0).count(), 7);
        assert_eq!(NF4_PUBLISHED.iter().filter(|x| **x > 0.0).count(), 8);
        assert_eq!(NF4_PUBLISHED[7], 0.0);
        assert_eq!((NF4_PUBLISHED[0], NF4_PUBLISHED[15]), (-1.0, 1.0));
        assert!(NF4_PUBLISHED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn largest_gaps() {
        // int4: 1/7. NF4: between −1 and −0.6961928, 0.3038072.
        assert!((Code::Int4.largest_gap() - 1.0 / 7.0).abs() < 1e-7);
        assert!((Code::Nf4.largest_gap() - 0.303_807_2).abs() < 1e-6);
    }

    #[test]
    fn worked_block() {
        // absmax 1.2; normalised 0.25, −1, 0.75, 0.
        // int4: 0.25·7 = 1.75 → 2/7·1.2 = 0.342857; 0.75·7 = 5.25 → 5/7·1.2 = 0.857143.
        // NF4: 0.25 → 0.2461123·1.2 = 0.2953348; 0.75 → 0.7229568·1.2 = 0.8675482.
        let w = [0.3, -1.2, 0.9, 0.0];
        let int4 = dequantize(&quantize(&w, 64, Code::Int4));
        let nf4 = dequantize(&quantize(&w, 64, Code::Nf4));
        let want_int4 = [0.342_857, -1.2, 0.857_143, 0.0];
        let want_nf4 = [0.295_334_8, -1.2, 0.867_548_2, 0.0];
        for i in 0..4 {
            assert!(
                (int4[i] - want_int4[i]).abs() < 1e-6,
                "int4 {i}: {}",
                int4[i]
            );
            assert!((nf4[i] - want_nf4[i]).abs() < 1e-6, "nf4 {i}: {}", nf4[i]);
        }
    }

    #[test]
    fn per_block_errors_by_hand() {
        // The worked block in int4 is off by −0.042857 and +0.042857 in two places:
        // MSE = 2·0.0428571² / 4 = 0.000918367, max 0.0428571. The second block is exact.
        let w = [0.3, -1.2, 0.9, 0.0, 2.0, -2.0, 0.0, 2.0];
        let back = dequantize(&quantize(&w, 4, Code::Int4));
        let e = block_errors(&w, &back, 4);
        assert_eq!(e.len(), 2);
        assert!((e[0].mse - 0.000_918_367).abs() < 1e-8, "{:?}", e[0]);
        assert!((e[0].max_abs - 0.042_857_1).abs() < 1e-6);
        assert_eq!((e[0].absmax, e[1].absmax), (1.2, 2.0));
        assert_eq!((e[1].mse, e[1].max_abs), (0.0, 0.0));
    }

    #[test]
    fn zero_and_absmax_are_exact() {
        let mut rng = Rng::new(3);
        for code in Code::ALL {
            for _ in 0..50 {
                let mut w: Vec<f32> = (0..64).map(|_| rng.normal() as f32).collect();
                w[5] = 0.0;
                let back = dequantize(&quantize(&w, 64, code));
                assert_eq!(back[5], 0.0);
                let (i, m) = w
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                    .unwrap();
                assert_eq!(back[i], *m, "{code:?}");
            }
            let zeros = dequantize(&quantize(&[0.0; 10], 4, code));
            assert!(zeros.iter().all(|x| *x == 0.0));
        }
    }

    #[test]
    fn nf4_beats_int4_on_normal_weights() {
        let mut rng = Rng::new(2023);
        let w: Vec<f32> = (0..64 * 2000).map(|_| rng.normal() as f32).collect();
        let e_int4 = mse(&w, &dequantize(&quantize(&w, BLOCK, Code::Int4)));
        let e_nf4 = mse(&w, &dequantize(&quantize(&w, BLOCK, Code::Nf4)));
        // Python (random.gauss, seed 1, 2000 blocks of 64): int4 0.01157, NF4 0.00843.
        // This generator (seed 2023): int4 0.01175, NF4 0.00842, ratio 0.72.
        assert!((0.010..0.013).contains(&e_int4), "int4 {e_int4}");
        assert!((0.0075..0.0095).contains(&e_nf4), "nf4 {e_nf4}");
        assert!(e_nf4 < 0.8 * e_int4, "nf4 {e_nf4} vs int4 {e_int4}");
    }

    #[test]
    fn storage_costs() {
        // 32 bits / 64 weights = 0.5; 8/64 + 32/(64·256) = 0.125 + 0.001953125 = 0.126953125.
        assert_eq!(scale_bits_per_weight(64, None), 0.5);
        assert_eq!(scale_bits_per_weight(64, Some(256)), 0.126_953_125);
        assert_eq!(bits_per_weight(64, None), 4.5);
        // 64,000 weights: 32,000 bytes of indices + 1,000 blocks × 4 bytes.
        let q = quantize(&vec![1.0; 64_000], 64, Code::Nf4);
        assert_eq!(q.storage_bytes(), 36_000);
        assert_eq!(
            q.storage_bytes() as f64 * 8.0 / 64_000.0,
            bits_per_weight(64, None)
        );
    }

    #[test]
    fn double_quantization_keeps_scales_close() {
        let mut rng = Rng::new(7);
        let w: Vec<f32> = (0..64 * 1024).map(|_| rng.normal() as f32 * 0.02).collect();
        let q = quantize(&w, BLOCK, Code::Nf4);
        let dq = double_quantize(&q.absmax, DOUBLE_QUANT_BLOCK);
        assert_eq!(dq.scales.len(), 4);
        let restored = dq.restore();
        for ((orig, back), s) in q
            .absmax
            .chunks(256)
            .zip(restored.chunks(256))
            .zip(&dq.scales)
        {
            for (a, b) in orig.iter().zip(back) {
                // Rounding to k/127 of the block scale: within half a step.
                assert!((a - b).abs() <= s / 254.0 * 1.0001 + 1e-9);
            }
        }
        // The weights barely notice: MSE grows by under 1% (measured: 3.3894e-6 → 3.3899e-6).
        let plain = mse(&w, &dequantize(&q));
        let doubled = mse(&w, &dequantize_with(&q, &restored));
        assert!(doubled < plain * 1.01, "{doubled} vs {plain}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn error_within_half_the_largest_gap(
            w in proptest::collection::vec(-50.0f32..50.0, 1..300),
            block in 1usize..130,
        ) {
            for code in Code::ALL {
                let back = dequantize(&quantize(&w, block, code));
                let half_gap = code.largest_gap() / 2.0;
                for (bw, bb) in w.chunks(block).zip(back.chunks(block)) {
                    let m = bw.iter().fold(0.0f32, |a, x| a.max(x.abs()));
                    for (x, y) in bw.iter().zip(bb) {
                        prop_assert!((x - y).abs() <= half_gap * m * (1.0 + 1e-5) + 1e-6);
                    }
                }
            }
        }
    }
}
