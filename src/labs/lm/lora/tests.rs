//! LoRA's promises, each checked: B = 0 changes nothing, the trainable count is the hand count,
//! the frozen weights get no gradient at all, and merging changes no output.

use super::*;
use crate::labs::lm::{ops, Data, Vocab};
use candle_core::{Device, Tensor};

fn small() -> Model {
    let vocab = Vocab::for_corpus("");
    let cfg = Config {
        vocab: vocab.len(),
        d_model: 16,
        layers: 2,
        heads: 2,
        context: 8,
    };
    Model::new(cfg, vocab, 5).unwrap()
}

fn ids(model: &Model) -> Tensor {
    let text = "LoRA adapts W.Q";
    let ids = model.vocab.encode(&text[..16.min(text.len())]);
    Tensor::from_slice(&ids[..8], (1, 8), &Device::Cpu).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar()
        .unwrap()
}

#[test]
fn zero_b_leaves_the_output_exactly_unchanged() {
    let model = small();
    let lora = Lora::new(&model, 4, 8.0, &Proj::ALL, 1).unwrap();
    let x = ids(&model);
    let plain = model.forward(&x).unwrap();
    let adapted = model.forward_lora(&x, &lora).unwrap();
    // B = 0, so every correction is x·A·0 = 0 and is added to an unchanged output.
    assert_eq!(max_diff(&plain, &adapted), 0.0);
}

#[test]
fn trainable_parameters_match_hand_counts() {
    // The shipped model's shape: d = 96, 2 layers. On W_q and W_v each adapter has
    // r·(96 + 96) = 192r parameters, two per layer, two layers: 768r.
    let data = Data::corpus();
    let base = crate::labs::lm::preset("base")
        .unwrap()
        .config(data.vocab.len());
    assert_eq!(count(&base, 1, &QV), 768);
    assert_eq!(count(&base, 4, &QV), 3_072);
    assert_eq!(count(&base, 8, &QV), 6_144);
    // All six: Q, K, V, O are 192r each (768r), W_in and W_out (96 + 384)r each (960r);
    // 1,728r per layer, 3,456r for two: 27,648 at r = 8.
    assert_eq!(count(&base, 8, &Proj::ALL), 27_648);
    // The adapters built agree with the formula (d = 16, 2 layers, r = 3, Q and V:
    // 2·2·3·(16 + 16) = 384).
    let model = small();
    let lora = Lora::new(&model, 3, 3.0, &QV, 1).unwrap();
    assert_eq!(lora.trainable(), 384);
    assert_eq!(lora.trainable(), count(&model.config, 3, &QV));
    assert!(Lora::new(&model, 0, 1.0, &QV, 1).is_err());
}

#[test]
fn frozen_weights_get_no_gradient_at_all() {
    let model = small();
    let lora = Lora::new(&model, 2, 2.0, &Proj::ALL, 1).unwrap();
    let x = ids(&model);
    let y = Tensor::from_slice(&[3u32, 4, 5, 6, 7, 8, 9, 10], 8, &Device::Cpu).unwrap();
    let logits = model
        .forward_lora(&x, &lora)
        .unwrap()
        .reshape(((), model.config.vocab))
        .unwrap();
    let grads = ops::cross_entropy(&logits, &y).unwrap().backward().unwrap();
    for (name, var) in model.params() {
        assert!(grads.get(var).is_none(), "{name} got a gradient");
    }
    // Every B gets a gradient (A's is zero at the start, as B = 0, but it is computed).
    for ad in &lora.adapters {
        let g = grads.get(&ad.b).expect("B has a gradient");
        let size: f32 = g.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert!(size > 0.0, "{:?} layer {}", ad.proj, ad.layer);
        assert!(grads.get(&ad.a).is_some());
    }
}

#[test]
fn merging_gives_the_same_outputs_with_an_ordinary_model() {
    let model = small();
    let lora = Lora::new(&model, 2, 4.0, &Proj::ALL, 9).unwrap();
    // Give every B values, so the corrections are not zero.
    let mut rng = Rng::new(3);
    for ad in &lora.adapters {
        let n = ad.b.elem_count();
        let v: Vec<f32> = (0..n).map(|_| (rng.normal() * 0.1) as f32).collect();
        ad.b.set(&Tensor::from_vec(v, ad.b.shape(), &Device::Cpu).unwrap())
            .unwrap();
    }
    let x = ids(&model);
    let plain = model.forward(&x).unwrap();
    let adapted = model.forward_lora(&x, &lora).unwrap();
    assert!(
        max_diff(&plain, &adapted) > 1e-3,
        "the adapters change the output"
    );
    let merged = lora.merged(&model).unwrap();
    assert!(max_diff(&merged.forward(&x).unwrap(), &adapted) < 1e-5);
    // No extra cost: the merged model has exactly the base model's parameters.
    assert_eq!(merged.param_count(), model.param_count());
    // And merging did not touch the base model.
    assert_eq!(max_diff(&model.forward(&x).unwrap(), &plain), 0.0);
}
