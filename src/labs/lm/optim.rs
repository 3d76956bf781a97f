//! AdamW (Loshchilov & Hutter): Adam's bias-corrected moments plus weight decay applied to the
//! weights directly ("decoupled"), not added to the gradient. Written over plain `Vec<f32>`
//! rather than with candle-nn's `AdamW`, whose moments and step count are private: a
//! checkpoint must save them so a resumed run continues exactly.
//!
//! Every parameter is decayed, layer-norm gains and biases included; at weight decay 0.01 and
//! these few thousand steps the difference from sparing them is negligible, and one rule keeps
//! the update easy to check by hand.

use super::model::Model;
use candle_core::{backprop::GradStore, Result, Tensor, Var};

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
            let g: Vec<f32> = g.flatten_all()?.to_vec1()?;
            let mut theta: Vec<f32> = var.as_tensor().flatten_all()?.to_vec1()?;
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            for j in 0..theta.len() {
                let gj = g[j] as f64;
                let mj = b1 * m[j] as f64 + (1.0 - b1) * gj;
                let vj = b2 * v[j] as f64 + (1.0 - b2) * gj * gj;
                m[j] = mj as f32;
                v[j] = vj as f32;
                let step = (mj / c1) / ((vj / c2).sqrt() + self.eps);
                let th = theta[j] as f64;
                theta[j] = (th - lr * (step + self.weight_decay * th)) as f32;
            }
            var.set(&Tensor::from_vec(theta, var.shape(), var.device())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{config::Config, vocab::Vocab};

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
        let loss = ((model.lnf_b.as_tensor() * 2.0).unwrap().sum_all().unwrap()
            + (model.lnf_g.as_tensor().sqr().unwrap() * 0.5)
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
        let b: Vec<f32> = model.lnf_b.as_tensor().to_vec1().unwrap();
        let g: Vec<f32> = model.lnf_g.as_tensor().to_vec1().unwrap();
        assert!(b.iter().all(|x| (x + 0.01).abs() < 1e-7), "{b:?}");
        assert!(g.iter().all(|x| (x - 0.989).abs() < 1e-7), "{g:?}");
        assert_eq!(opt.m.last().unwrap(), &vec![0.2f32; 4]);
        // A second step with the same gradient: m = 0.19·... ; m̂ = 0.38/0.19 = 2 again, so
        // the step is the same size; ln_f.b moves to −0.02 minus decay 0.01·0.1·(−0.01).
        opt.update(&model, &grads, 0.01).unwrap();
        let b: Vec<f32> = model.lnf_b.as_tensor().to_vec1().unwrap();
        assert!(
            b.iter().all(|x| (x - (-0.02 + 0.00001)).abs() < 1e-7),
            "{b:?}"
        );
    }
}
