//! AdamW (Loshchilov & Hutter): Adam's bias-corrected moments plus weight decay applied to the
//! weights directly ("decoupled"), not added to the gradient. Written over plain `Vec<f32>`
//! rather than with candle-nn's `AdamW`, whose moments and step count are private: a
//! checkpoint must save them so a resumed run continues exactly.
//!
//! Every parameter is decayed, layer-norm gains and biases included; at weight decay 0.01 and
//! these few thousand steps the difference from sparing them is negligible, and one rule keeps
//! the update easy to check by hand.

use super::model::Model;
use candle_core::{
    backprop::GradStore, bail, CpuStorage, InplaceOp1, Layout, Result, Storage, Var,
};
use std::cell::RefCell;

#[derive(Clone, Debug, PartialEq)]
pub struct AdamW {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Updates taken so far (t in the bias corrections 1 − βᵗ).
    pub step: u64,
    /// First and second moments, one vector per parameter in [`Model::params`] order.
    pub m: Vec<Vec<f32>>,
    pub v: Vec<Vec<f32>>,
}

impl AdamW {
    pub fn new(model: &Model, beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        let sizes: Vec<usize> = model.params().iter().map(|(_, v)| v.elem_count()).collect();
        Self::for_sizes(&sizes, beta1, beta2, eps, weight_decay)
    }

    /// An optimizer for any list of variables of these sizes (LoRA adapters train this way:
    /// only they have moments, so the frozen weights cost no optimizer memory).
    pub fn for_sizes(sizes: &[usize], beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        Self {
            beta1,
            beta2,
            eps,
            weight_decay,
            step: 0,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
        }
    }

    /// One update at learning rate `lr`:
    /// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
    /// θ ← θ − lr·(m̂/(√v̂ + ε) + λθ).
    pub fn update(&mut self, model: &Model, grads: &GradStore, lr: f64) -> Result<()> {
        let vars: Vec<&Var> = model.params().into_iter().map(|(_, v)| v).collect();
        self.update_vars(&vars, grads, lr)
    }

    /// The same update over `vars`, in the order the optimizer was made for.
    pub fn update_vars(&mut self, vars: &[&Var], grads: &GradStore, lr: f64) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(t);
        let c2 = 1.0 - b2.powi(t);
        for (i, var) in vars.iter().enumerate() {
            let Some(g) = grads.get(var) else { continue };
            let g = g.contiguous()?;
            let (storage, layout) = g.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else {
                bail!("AdamW: the model lab runs on the CPU only")
            };
            let Some((start, end)) = layout.contiguous_offsets() else {
                bail!("AdamW: the gradient of parameter {i} is not contiguous")
            };
            let step = MomentStep {
                g: &cpu.as_slice::<f32>()?[start..end],
                m: RefCell::new(&mut self.m[i]),
                v: RefCell::new(&mut self.v[i]),
                b1,
                b2,
                c1,
                c2,
                eps: self.eps,
                weight_decay: self.weight_decay,
                lr,
            };
            var.as_tensor().inplace_op1(&step)?;
        }
        Ok(())
    }
}

/// One parameter's AdamW update, written into the parameter's own storage: no copy of the
/// weights or the gradient out of candle and back (that copying, not the arithmetic, was
/// most of the optimizer's time in the demo model's training step). The arithmetic is the
/// formula of [`AdamW::update_vars`], element by element in f64, exactly as before.
struct MomentStep<'a> {
    g: &'a [f32],
    m: RefCell<&'a mut Vec<f32>>,
    v: RefCell<&'a mut Vec<f32>>,
    b1: f64,
    b2: f64,
    /// The bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ.
    c1: f64,
    c2: f64,
    eps: f64,
    weight_decay: f64,
    lr: f64,
}

impl InplaceOp1 for MomentStep<'_> {
    fn name(&self) -> &'static str {
        "llmf-adamw-step"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let (Some((start, end)), CpuStorage::F32(all)) = (layout.contiguous_offsets(), storage)
        else {
            bail!("AdamW: a parameter must be contiguous f32")
        };
        let theta = &mut all[start..end];
        let (mut m, mut v) = (self.m.borrow_mut(), self.v.borrow_mut());
        if theta.len() != self.g.len() || m.len() != theta.len() || v.len() != theta.len() {
            bail!(
                "AdamW: a parameter of {} values has a gradient of {} and moments of {}",
                theta.len(),
                self.g.len(),
                m.len()
            )
        }
        pulp::Arch::new().dispatch(Moments {
            step: self,
            theta,
            m: &mut m[..],
            v: &mut v[..],
        });
        Ok(())
    }
}

/// [`MomentStep`]'s loop as a kernel for pulp: compiled for the widest vectors the CPU has.
/// Every value is computed by the same single IEEE operations at any width (element by
/// element, no sums across elements, no fused multiply-add), so the bits do not depend on it.
struct Moments<'a, 'b> {
    step: &'a MomentStep<'b>,
    theta: &'a mut [f32],
    m: &'a mut [f32],
    v: &'a mut [f32],
}

/// Parameters updated together: their values are read into arrays before any is written,
/// since the compiler cannot tell that the four buffers do not overlap and would otherwise
/// keep the loop scalar (one square root and two divisions at a time).
const GROUP: usize = 8;

impl pulp::WithSimd for Moments<'_, '_> {
    type Output = ();
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // indices keep the groups visible to the vectorizer
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let s = self.step;
        let (b1, b2) = (s.b1, s.b2);
        let update = |th: f32, g: f32, m: f32, v: f32| -> (f32, f32, f32) {
            let gj = g as f64;
            let mj = b1 * m as f64 + (1.0 - b1) * gj;
            let vj = b2 * v as f64 + (1.0 - b2) * gj * gj;
            let step = (mj / s.c1) / ((vj / s.c2).sqrt() + s.eps);
            let t = th as f64;
            (
                (t - s.lr * (step + s.weight_decay * t)) as f32,
                mj as f32,
                vj as f32,
            )
        };
        let n = self.theta.len();
        let whole = n / GROUP * GROUP;
        for at in (0..whole).step_by(GROUP) {
            let th: [f32; GROUP] = self.theta[at..at + GROUP].try_into().unwrap();
            let g: [f32; GROUP] = s.g[at..at + GROUP].try_into().unwrap();
            let m: [f32; GROUP] = self.m[at..at + GROUP].try_into().unwrap();
            let v: [f32; GROUP] = self.v[at..at + GROUP].try_into().unwrap();
            let (mut th2, mut m2, mut v2) = ([0f32; GROUP], [0f32; GROUP], [0f32; GROUP]);
            for l in 0..GROUP {
                (th2[l], m2[l], v2[l]) = update(th[l], g[l], m[l], v[l]);
            }
            self.theta[at..at + GROUP].copy_from_slice(&th2);
            self.m[at..at + GROUP].copy_from_slice(&m2);
            self.v[at..at + GROUP].copy_from_slice(&v2);
        }
        for j in whole..n {
            (self.theta[j], self.m[j], self.v[j]) =
                update(self.theta[j], s.g[j], self.m[j], self.v[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, rng::Rng, vocab::Vocab};
    use candle_core::{Device, Tensor};

    /// The update as it was written before it moved in place: weights and gradient copied
    /// out to vectors, the same f64 formula, the result set back as a new tensor.
    fn copying_update(opt: &mut AdamW, vars: &[&Var], grads: &GradStore, lr: f64) {
        opt.step += 1;
        let t = opt.step as i32;
        let (b1, b2) = (opt.beta1, opt.beta2);
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        for (i, var) in vars.iter().enumerate() {
            let g: Vec<f32> = grads
                .get(var)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let mut theta: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            let (m, v) = (&mut opt.m[i], &mut opt.v[i]);
            for j in 0..theta.len() {
                let gj = g[j] as f64;
                let mj = b1 * m[j] as f64 + (1.0 - b1) * gj;
                let vj = b2 * v[j] as f64 + (1.0 - b2) * gj * gj;
                m[j] = mj as f32;
                v[j] = vj as f32;
                let step = (mj / c1) / ((vj / c2).sqrt() + opt.eps);
                let th = theta[j] as f64;
                theta[j] = (th - lr * (step + opt.weight_decay * th)) as f32;
            }
            let new = Tensor::from_vec(theta, var.shape(), var.device()).unwrap();
            var.set(&new).unwrap();
        }
    }

    #[test]
    fn in_place_update_equals_the_copying_update_bit_for_bit() {
        let mut rng = Rng::new(21);
        let mut random = |shape: &[usize]| -> Vec<f32> {
            let n = shape.iter().product();
            (0..n).map(|_| rng.normal() as f32).collect()
        };
        let shapes: [&[usize]; 3] = [&[7], &[3, 5], &[2, 3, 4]];
        let make = |values: &[Vec<f32>]| -> Vec<Var> {
            values
                .iter()
                .zip(shapes)
                .map(|(v, s)| Var::from_vec(v.clone(), s, &Device::Cpu).unwrap())
                .collect()
        };
        let start: Vec<Vec<f32>> = shapes.iter().map(|s| random(s)).collect();
        let (ours, theirs) = (make(&start), make(&start));
        let sizes: Vec<usize> = start.iter().map(Vec::len).collect();
        let mut a = AdamW::for_sizes(&sizes, 0.9, 0.99, 1e-8, 0.1);
        let mut b = a.clone();
        // Five steps with new random gradients each time and a warm-up ramp of the rate,
        // so the bias corrections, the decay and the moments all change from step to step.
        for step in 0..5 {
            let w: Vec<Tensor> = shapes
                .iter()
                .map(|s| Tensor::from_vec(random(s), *s, &Device::Cpu).unwrap())
                .collect();
            // Loss Σ w·θ + ½Σθ²: gradient w + θ, different for every element.
            let loss = |vars: &[Var]| -> GradStore {
                let mut total = Tensor::new(0f32, &Device::Cpu).unwrap();
                for (v, w) in vars.iter().zip(&w) {
                    let t = v.as_tensor();
                    let term = ((t * w).unwrap() + (t.sqr().unwrap() * 0.5).unwrap()).unwrap();
                    total = (total + term.sum_all().unwrap()).unwrap();
                }
                total.backward().unwrap()
            };
            let lr = 0.01 * (step + 1) as f64 / 5.0;
            let (ga, gb) = (loss(&ours), loss(&theirs));
            a.update_vars(&ours.iter().collect::<Vec<_>>(), &ga, lr)
                .unwrap();
            copying_update(&mut b, &theirs.iter().collect::<Vec<_>>(), &gb, lr);
            assert_eq!(a, b, "moments differ after step {step}");
            for ((x, y), first) in ours.iter().zip(&theirs).zip(&start) {
                let (x, y) = (x.flatten_all().unwrap(), y.flatten_all().unwrap());
                let (x, y): (Vec<f32>, Vec<f32>) = (x.to_vec1().unwrap(), y.to_vec1().unwrap());
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&x), bits(&y), "weights differ after step {step}");
                assert!(&x != first, "the weights never moved");
            }
        }
    }

    #[test]
    fn one_step_matches_a_hand_computed_update() {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 4,
            layers: 1,
            heads: 1,
            context: 2,
        };
        let model = Model::new(cfg, vocab, 3).unwrap();
        // Loss = Σ 2·ln_f.b + 0.5·Σ ln_f.g² : grad of ln_f.b is 2, of ln_f.g (all 1) is 1.
        let loss = ((model.ln_f.b.as_tensor() * 2.0).unwrap().sum_all().unwrap()
            + (model.ln_f.g.as_tensor().sqr().unwrap() * 0.5)
                .unwrap()
                .sum_all()
                .unwrap())
        .unwrap();
        let grads = loss.backward().unwrap();
        let mut opt = AdamW::new(&model, 0.9, 0.999, 1e-8, 0.1);
        opt.update(&model, &grads, 0.01).unwrap();
        // Step 1: m = 0.1g, v = 0.001g², m̂ = g, v̂ = g², so m̂/(√v̂+ε) = g/(|g|+1e-8) ≈ 1.
        // ln_f.b: θ = 0 − 0.01·(2/(2+1e-8) + 0.1·0) = −0.0099999999950 → −0.01 in f32.
        // ln_f.g: θ = 1 − 0.01·(1/(1+1e-8) + 0.1·1) = 0.989 (1 − 0.011, to 1e-10).
        let b: Vec<f32> = model.ln_f.b.as_tensor().to_vec1().unwrap();
        let g: Vec<f32> = model.ln_f.g.as_tensor().to_vec1().unwrap();
        assert!(b.iter().all(|x| (x + 0.01).abs() < 1e-7), "{b:?}");
        assert!(g.iter().all(|x| (x - 0.989).abs() < 1e-7), "{g:?}");
        assert_eq!(opt.m.last().unwrap(), &vec![0.2f32; 4]);
        // A second step with the same gradient: m = 0.19·... ; m̂ = 0.38/0.19 = 2 again, so
        // the step is the same size; ln_f.b moves to −0.02 minus decay 0.01·0.1·(−0.01).
        opt.update(&model, &grads, 0.01).unwrap();
        let b: Vec<f32> = model.ln_f.b.as_tensor().to_vec1().unwrap();
        assert!(
            b.iter().all(|x| (x - (-0.02 + 0.00001)).abs() < 1e-7),
            "{b:?}"
        );
    }
}
