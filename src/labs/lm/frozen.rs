//! x·W for a frozen W: a custom candle op whose backward pass returns the gradient for x only.
//!
//! Candle's own matmul always computes both gradients, dX = dY·Wᵀ and dW = Xᵀ·dY, even when W
//! is a detached constant; the second is then dropped. That wasted product costs as much as the
//! first, and it is most of what freezing the base should save. Here W lives inside the op, not
//! in the graph, so backpropagation cannot even ask for its gradient.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Storage, Tensor};

struct FrozenMatmul {
    /// (in, out), contiguous.
    w: Tensor,
}

impl CustomOp1 for FrozenMatmul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(&self, x: &CpuStorage, x_layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, k) = x_layout.shape().dims2()?;
        let (k2, m) = self.w.dims2()?;
        if k != k2 {
            return Err(candle_core::Error::Msg(format!(
                "frozen matmul: x is {n}×{k} but W is {k2}×{m}"
            )));
        }
        let (storage, w_layout) = self.w.storage_and_layout();
        let Storage::Cpu(w) = &*storage else {
            return Err(candle_core::Error::Msg(
                "frozen matmul runs on the CPU only".into(),
            ));
        };
        let out = x.matmul(w, (1, n, m, k), x_layout, w_layout)?;
        Ok((out, Shape::from((n, m))))
    }

    /// dX = dY · Wᵀ; nothing for W.
    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_y.matmul(&self.w.t()?)?))
    }
}

/// x (n, in) · w (in, out) with gradients flowing to x only.
pub fn matmul(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let w = w.contiguous()?;
    x.contiguous()?.apply_op1(FrozenMatmul { w })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn same_product_and_input_gradient_and_no_weight_gradient() {
        let dev = Device::Cpu;
        // x = [[1, 2], [3, 4]], W = [[1, 0, 2], [0, 1, 3]]: x·W = [[1, 2, 8], [3, 4, 18]].
        let x = Var::new(&[[1f32, 2.], [3., 4.]], &dev).unwrap();
        let w = Var::new(&[[1f32, 0., 2.], [0., 1., 3.]], &dev).unwrap();
        let y = matmul(x.as_tensor(), w.as_tensor()).unwrap();
        assert_eq!(
            y.to_vec2::<f32>().unwrap(),
            vec![vec![1., 2., 8.], vec![3., 4., 18.]]
        );
        // Loss Σ y: dL/dx = 1·Wᵀ row sums = [1+0+2, 0+1+3] = [3, 4] for each row.
        let grads = y.sum_all().unwrap().backward().unwrap();
        let gx = grads.get(&x).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(gx, vec![vec![3., 4.], vec![3., 4.]]);
        // W is a variable here, yet it gets nothing: the op never routes a gradient to it.
        // (An ordinary matmul with the same W would give it Xᵀ·1 = [[4,4,4],[6,6,6]].)
        assert!(grads.get(&w).is_none());
        let plain = x.as_tensor().matmul(w.as_tensor()).unwrap();
        let g = plain.sum_all().unwrap().backward().unwrap();
        assert!(g.get(&w).is_some());
    }

    #[test]
    fn input_gradient_is_the_upstream_gradient_times_w_transposed() {
        let dev = Device::Cpu;
        let x = Var::new(&[[1f32, 2.], [3., 4.]], &dev).unwrap();
        let w = Var::new(&[[1f32, 0., 2.], [0., 1., 3.]], &dev).unwrap();
        // Loss Σ y ⊙ G, so dL/dy = G, a different value per entry (not all ones).
        let g = candle_core::Tensor::new(&[[1f32, 2., 3.], [4., 5., 6.]], &dev).unwrap();
        let y = matmul(x.as_tensor(), w.as_tensor()).unwrap();
        let grads = (y * &g).unwrap().sum_all().unwrap().backward().unwrap();
        // G·Wᵀ by hand, Wᵀ = [[1, 0], [0, 1], [2, 3]]:
        // row 1: [1 + 0 + 6, 0 + 2 + 9] = [7, 11]; row 2: [4 + 0 + 12, 0 + 5 + 18] = [16, 23].
        let gx = grads.get(&x).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(gx, vec![vec![7., 11.], vec![16., 23.]]);
        assert!(grads.get(&w).is_none());
    }
}
