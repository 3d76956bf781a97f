//! The two attention paths agree (values and every gradient, with and without LoRA), the
//! cached pass takes several tokens at once, and the parameters keep the names model files use.

use super::Attend;
use crate::labs::lm::adapter::{Adapt, Base};
use crate::labs::lm::lora::{Lora, Proj};
use crate::labs::lm::{ops, Config, Model, Rng, Vocab};
use candle_core::{Device, Tensor, Var};

/// Two layers, two heads, a context of 24: windows longer than 16 positions.
fn model() -> Model {
    let vocab = Vocab::for_corpus("abcdefghij ");
    let config = Config {
        vocab: vocab.len(),
        d_model: 16,
        layers: 2,
        heads: 2,
        context: 24,
    };
    let model = Model::new(config, vocab, 11).unwrap();
    // Gains and biases away from 1 and 0, so every term of every gradient is exercised.
    let mut rng = Rng::new(5);
    for (name, var) in model.params() {
        if name.contains(".b") || name.contains(".g") {
            jitter(var, &mut rng, 0.3);
        }
    }
    model
}

fn jitter(var: &Var, rng: &mut Rng, size: f64) {
    let noise: Vec<f32> = (0..var.elem_count())
        .map(|_| (rng.normal() * size) as f32)
        .collect();
    let noise = Tensor::from_vec(noise, var.shape(), &Device::Cpu).unwrap();
    var.set(&(var.as_tensor() + noise).unwrap()).unwrap();
}

fn ids(seqs: usize, t: usize) -> Vec<u32> {
    (0..seqs * t).map(|i| ((i * 7 + 3) % 11) as u32).collect()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Logits and the loss's gradient for each of `vars`, through one attention path.
fn run(
    model: &Model,
    adapter: &dyn Adapt,
    attend: Attend,
    vars: &[&Var],
) -> (Vec<f32>, Vec<Vec<f32>>) {
    let (seqs, t) = (2, 20);
    let all = ids(seqs, t + 1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for s in all.chunks(t + 1) {
        x.extend_from_slice(&s[..t]);
        y.extend_from_slice(&s[1..]);
    }
    let x = Tensor::from_vec(x, (seqs, t), &Device::Cpu).unwrap();
    let y = Tensor::from_vec(y, seqs * t, &Device::Cpu).unwrap();
    let logits = model.run(&x, adapter, attend).unwrap();
    let grads = ops::cross_entropy(&logits, &y).unwrap().backward().unwrap();
    let grads = vars
        .iter()
        .map(|v| flat(grads.get(v).expect("every variable has a gradient")))
        .collect();
    (flat(&logits), grads)
}

fn assert_paths_agree(model: &Model, adapter: &dyn Adapt, vars: &[&Var], names: &[String]) {
    let (fused, fused_grads) = run(model, adapter, Attend::Fused, vars);
    let (plain, plain_grads) = run(model, adapter, Attend::Plain, vars);
    assert!(worst(&fused, &plain) < 1e-5, "logits differ");
    for ((f, p), name) in fused_grads.iter().zip(&plain_grads).zip(names) {
        let size = f.iter().map(|g| g.abs()).fold(0.0, f32::max);
        assert!(size > 0.0, "{name}: no gradient");
        let diff = worst(f, p);
        assert!(
            diff <= 1e-4 * size,
            "{name}: gradients differ by {diff} (largest {size})"
        );
    }
}

#[test]
fn plain_attention_gives_the_fused_ops_logits_and_gradients() {
    let model = model();
    let params = model.params();
    let names: Vec<String> = params.iter().map(|(n, _)| n.clone()).collect();
    let vars: Vec<&Var> = params.iter().map(|(_, v)| *v).collect();
    assert_paths_agree(&model, &Base, &vars, &names);
}

#[test]
fn plain_attention_agrees_with_lora_on_every_projection() {
    let model = model();
    let lora = Lora::new(&model, 2, 4.0, &Proj::ALL, 3).unwrap();
    // B starts at zero, which would leave every A without a gradient.
    let mut rng = Rng::new(9);
    for ad in &lora.adapters {
        jitter(&ad.b, &mut rng, 0.1);
    }
    let vars = lora.vars();
    let names: Vec<String> = (lora.adapters.iter())
        .flat_map(|a| ["A", "B"].map(|f| format!("h{}.{} {f}", a.layer, a.proj.name())))
        .collect();
    assert_paths_agree(&model, &lora, &vars, &names);
}

#[test]
fn the_cache_takes_several_tokens_at_once_and_then_one_at_a_time() {
    let model = model();
    let seq = ids(2, 14);
    let full = flat(
        &model
            .forward(&Tensor::from_slice(&seq, (2, 14), &Device::Cpu).unwrap())
            .unwrap(),
    );
    let v = model.config.vocab;
    let mut cache = vec![None; model.config.layers];
    // Positions 0..9 in one pass, 9..13 in a second, then 13 alone.
    for (from, to) in [(0, 9), (9, 13), (13, 14)] {
        let part: Vec<u32> = seq.chunks(14).flat_map(|s| s[from..to].to_vec()).collect();
        let x = Tensor::from_vec(part, (2, to - from), &Device::Cpu).unwrap();
        let got = flat(
            &model
                .run(
                    &x,
                    &Base,
                    Attend::Cached {
                        cache: &mut cache,
                        pos: from,
                    },
                )
                .unwrap(),
        );
        for s in 0..2 {
            for (i, p) in (from..to).enumerate() {
                let row = &got[(s * (to - from) + i) * v..][..v];
                let want = &full[(s * 14 + p) * v..][..v];
                assert!(worst(row, want) < 1e-5, "sequence {s} position {p}");
            }
        }
    }
    let mut cache = vec![None; model.config.layers];
    let x = Tensor::from_slice(&seq[..14], (1, 14), &Device::Cpu).unwrap();
    assert!(model
        .run(
            &x,
            &Base,
            Attend::Cached {
                cache: &mut cache,
                pos: 11
            }
        )
        .is_err());
}

#[test]
fn parameters_keep_the_names_and_order_of_model_files() {
    let names: Vec<String> = model().params().into_iter().map(|(n, _)| n).collect();
    let mut want = vec!["wte".to_string(), "wpe".to_string()];
    for l in 0..2 {
        for n in [
            "ln1.g",
            "ln1.b",
            "attn.w_qkv",
            "attn.b_qkv",
            "attn.w_o",
            "attn.b_o",
            "ln2.g",
            "ln2.b",
            "mlp.w_in",
            "mlp.b_in",
            "mlp.w_out",
            "mlp.b_out",
        ] {
            want.push(format!("h{l}.{n}"));
        }
    }
    want.extend(["ln_f.g".to_string(), "ln_f.b".to_string()]);
    assert_eq!(names, want);
}

/// An adapter read as the basic operations read it: its products, biases and corrections
/// through the default `Adapt::linear` (a product node, then `add_rows` or `add_rows_plus`),
/// never through the fused linear layers its own `linear` uses.
struct Unfused<'a>(&'a dyn Adapt);

impl Adapt for Unfused<'_> {
    fn read(&self, v: &Var) -> Tensor {
        self.0.read(v)
    }
    fn matmul(&self, x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
        self.0.matmul(x, w)
    }
    fn correction(
        &self,
        layer: usize,
        site: super::Site,
        x: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        self.0.correction(layer, site, x)
    }
}

/// The fused linear layers agree with the basic operations: the base model's (`fused::linear`)
/// bit for bit (the same products in the same order, the input's gradient terms added in the
/// order candle's backward pass added them: training changed no bit when it came in); LoRA's
/// (`fused::lora_linear`, on any set of projections) within rounding, since its thin products
/// are its own loops, which sum in an order fixed for every CPU rather than the library's.
#[test]
fn fused_linear_layers_compute_what_the_basic_operations_compute() {
    let model = model();
    let params = model.params();
    let vars: Vec<&Var> = params.iter().map(|(_, v)| *v).collect();
    let (logits, grads) = run(&model, &Base, Attend::Fused, &vars);
    let (logits0, grads0) = run(&model, &Unfused(&Base), Attend::Fused, &vars);
    assert!(logits == logits0, "base model: logits differ");
    for ((g, g0), (name, _)) in grads.iter().zip(&grads0).zip(&params) {
        assert!(g == g0, "base model: {name}'s gradient differs");
    }
    let targets: [&[Proj]; 3] = [&Proj::ALL, &[Proj::Q, Proj::V], &[Proj::K, Proj::MlpIn]];
    for (i, targets) in targets.into_iter().enumerate() {
        for rank in [1, 3] {
            let lora = Lora::new(&model, rank, 4.0, targets, 3).unwrap();
            let mut rng = Rng::new(9 + i as u64);
            for ad in &lora.adapters {
                jitter(&ad.b, &mut rng, 0.1);
            }
            let vars = lora.vars();
            let (logits, grads) = run(&model, &lora, Attend::Fused, &vars);
            let (logits0, grads0) = run(&model, &Unfused(&lora), Attend::Fused, &vars);
            let off = worst(&logits, &logits0);
            assert!(
                off < 1e-5,
                "LoRA {targets:?} r {rank}: logits differ by {off}"
            );
            for (j, (g, g0)) in grads.iter().zip(&grads0).enumerate() {
                let size = g0.iter().map(|v| v.abs()).fold(0.0, f32::max);
                let off = worst(g, g0);
                assert!(
                    size > 0.0 && off <= 1e-7 + 1e-3 * size,
                    "LoRA {targets:?} r {rank}: gradient {j} differs by {off} (largest {size})"
                );
            }
        }
    }
}
