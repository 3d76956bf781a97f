//! Layer norm, softmax and cross-entropy.
//!
//! Candle's fused `candle_nn::ops::layer_norm`, `rms_norm` and `softmax_last_dim` compute the
//! right values but pass no gradient back: a model built on them trains only the parameters
//! outside them, silently. [`layer_norm`] and [`cross_entropy`] are this lab's own custom
//! operations ([`super::fused`], with a hand-written backward); the versions made of mean,
//! sub, sqr, sqrt, exp, sum and broadcasting, which candle differentiates itself, stay here as
//! the reference the fused ones are tested against. `every_parameter_gets_a_nonzero_gradient`
//! in the lab's tests would catch a regression.

use candle_core::{Result, Tensor, D};

/// The ε inside the layer norm's square root (GPT-2's value).
pub const LN_EPS: f64 = 1e-5;

pub use super::fused::layer_norm;

/// (x − mean) / √(var + ε) · γ + β over the last dimension (variance with 1/n, as in GPT-2),
/// from basic operations: the reference for [`layer_norm`].
pub fn layer_norm_reference(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centred.broadcast_div(&(var + LN_EPS)?.sqrt()?)?;
    normed.broadcast_mul(gamma)?.broadcast_add(beta)
}

/// Softmax over the last dimension. The row maximum is subtracted first (detached: softmax
/// does not change when a constant is added, so no gradient flows through it), so exp never
/// overflows; −∞ entries (masked positions) come out exactly 0.
pub fn softmax(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// log softmax over the last dimension: x − max − ln Σ exp(x − max), stable for any logits.
pub fn log_softmax(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x.broadcast_sub(&max)?;
    let log_sum = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&log_sum)
}

/// −log p(target) at every position, in nats: logits (N, V), targets (N) u32 → (N).
pub fn nll_per_position(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    super::fused::nll(logits, targets)
}

/// Mean cross-entropy in nats: logits (N, V), targets (N) u32 → scalar.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    nll_per_position(logits, targets)?.mean_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn softmax_and_cross_entropy_match_hand_values() {
        let dev = Device::Cpu;
        // logits [1, 2, 3]: softmax = e^(x−3)/Σ = [0.09003057, 0.24472847, 0.66524096]
        // (python3: [math.exp(i-3)/sum(math.exp(j-3) for j in (1,2,3)) for i in (1,2,3)]).
        let x = Tensor::new(&[[1f32, 2., 3.], [1000., 1000., f32::NEG_INFINITY]], &dev).unwrap();
        let p = softmax(&x).unwrap().to_vec2::<f32>().unwrap();
        for (a, b) in p[0].iter().zip([0.090_030_57, 0.244_728_47, 0.665_240_96]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(p[1], vec![0.5, 0.5, 0.0]);
        // −ln 0.24472847 = 1.40760596; −ln 0.5 = 0.69314718; mean = 1.05037657.
        let t = Tensor::new(&[1u32, 0], &dev).unwrap();
        let ce = cross_entropy(&x, &t).unwrap().to_scalar::<f32>().unwrap();
        assert!((ce - 1.050_376_6).abs() < 1e-5, "{ce}");
    }

    #[test]
    fn layer_norm_matches_hand_values_and_passes_gradients() {
        let dev = Device::Cpu;
        // x = [1, 2, 3, 6]: mean 3, var (4+1+0+9)/4 = 3.5, so (x−3)/√3.50001.
        let x = Var::new(&[[1f32, 2., 3., 6.]], &dev).unwrap();
        let g = Var::new(&[1f32, 2., 1., 1.], &dev).unwrap();
        let b = Var::new(&[0f32, 0., 0.5, 0.], &dev).unwrap();
        let y = layer_norm(x.as_tensor(), g.as_tensor(), b.as_tensor()).unwrap();
        let s = (3.5f32 + 1e-5).sqrt();
        let want = [-2.0 / s, -2.0 / s, 0.5, 3.0 / s];
        for (a, w) in y.to_vec2::<f32>().unwrap()[0].iter().zip(want) {
            assert!((a - w).abs() < 1e-6);
        }
        // A weighted sum so the gradient is not trivially zero (Σ of a normalised row is).
        let w = Tensor::new(&[[1f32, -2., 3., 0.5]], &dev).unwrap();
        let grads = (y * w).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &g, &b] {
            let gr = grads.get(v).unwrap().abs().unwrap().sum_all().unwrap();
            assert!(gr.to_scalar::<f32>().unwrap() > 0.0);
        }
    }
}
