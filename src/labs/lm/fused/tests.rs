//! Each custom operation against the same maths built from candle's basic operations (which
//! candle differentiates itself): values and gradients within 1e-5 on random inputs drawn from
//! the course's seeded generator.

use super::{
    add_rows, add_rows_plus, add_rows_relu, causal_attention, layer_norm, linear, lora_linear, nll,
    relu,
};
use crate::labs::lm::ops;
use crate::labs::lm::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};

fn random(rng: &mut Rng, shape: &[usize], std: f64) -> Var {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| (rng.normal() * std) as f32).collect();
    Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu).unwrap()).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

/// Largest |a − b| over two tensors of the same shape.
fn worst(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    flat(a)
        .iter()
        .zip(flat(b))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Compares `fused` with `reference` on `inputs`: the outputs, then the gradients of
/// Σ out · w (w random, so no gradient is trivially zero) with respect to every input.
fn compare(
    rng: &mut Rng,
    inputs: &[&Var],
    fused: impl Fn(&[Tensor]) -> Result<Tensor>,
    reference: impl Fn(&[Tensor]) -> Result<Tensor>,
) {
    let ts: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
    let (a, b) = (fused(&ts).unwrap(), reference(&ts).unwrap());
    assert!(worst(&a, &b) < 1e-5, "values differ by {}", worst(&a, &b));
    let w = random(rng, a.dims(), 1.0);
    let ga = (&a * w.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gb = (&b * w.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for (i, v) in inputs.iter().enumerate() {
        let (x, y) = (ga.get(v).unwrap(), gb.get(v).unwrap());
        let size = flat(y).iter().map(|g| g.abs()).sum::<f32>();
        assert!(size > 1e-3, "input {i}: the reference gradient is zero");
        assert!(
            worst(x, y) < 1e-5,
            "input {i}: gradients differ by {}",
            worst(x, y)
        );
    }
}

#[test]
fn layer_norm_matches_basic_operations() {
    let mut rng = Rng::new(11);
    let x = random(&mut rng, &[3, 5, 8], 1.5);
    let g = random(&mut rng, &[8], 1.0);
    let b = random(&mut rng, &[8], 1.0);
    compare(
        &mut rng,
        &[&x, &g, &b],
        |t| layer_norm(&t[0], &t[1], &t[2]),
        |t| ops::layer_norm_reference(&t[0], &t[1], &t[2]),
    );
}

/// Attention written with basic operations, as the model did before the fused operation.
fn attention_reference(qkv: &Tensor, heads: usize) -> Result<Tensor> {
    let (b, t, three_d) = qkv.dims3()?;
    let (d, dh) = (three_d / 3, three_d / 3 / heads);
    let qkv = qkv.reshape((b, t, 3, heads, dh))?;
    let part = |i: usize| {
        qkv.narrow(2, i, 1)?
            .squeeze(2)?
            .transpose(1, 2)?
            .contiguous()
    };
    let (q, k, v) = (part(0)?, part(1)?, part(2)?);
    let mask: Vec<f32> = (0..t * t)
        .map(|i| {
            if i % t > i / t {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    let mask = Tensor::from_vec(mask, (t, t), &Device::Cpu)?;
    let scores = (q.matmul(&k.t()?)? * (1.0 / (dh as f64).sqrt()))?.broadcast_add(&mask)?;
    let heads = ops::softmax(&scores)?.matmul(&v)?;
    heads.transpose(1, 2)?.reshape((b, t, d))
}

/// The fused attention on (B, T, 3d), through its rows form.
fn attention_3d(qkv: &Tensor, heads: usize) -> Result<Tensor> {
    let (b, t, width) = qkv.dims3()?;
    causal_attention(&qkv.reshape((b * t, width))?, t, heads)?.reshape((b, t, width / 3))
}

#[test]
fn causal_attention_matches_basic_operations() {
    let mut rng = Rng::new(12);
    // 2 sequences of 5 positions, 2 heads of width 4 (d 8, qkv width 24); std 1 so the
    // weights are far from uniform.
    let qkv = random(&mut rng, &[2, 5, 24], 1.0);
    compare(
        &mut rng,
        &[&qkv],
        |t| attention_3d(&t[0], 2),
        |t| attention_reference(&t[0], 2),
    );
    // Past one group of lanes: 21 positions (not a whole number of groups of 8), heads of
    // width 12 (not one either), and the shipped model's 64 positions with heads of 24.
    for (t, width, heads) in [(21, 108, 3), (64, 72, 1)] {
        let qkv = random(&mut rng, &[2, t, width], 1.0);
        compare(
            &mut rng,
            &[&qkv],
            |v| attention_3d(&v[0], heads),
            |v| attention_reference(&v[0], heads),
        );
    }
    // One head, one position: the output is v itself (weight 1 on the only key).
    let one = Tensor::new(&[[[1f32, 2., 3., 4., 5., 6.]]], &Device::Cpu).unwrap();
    let out = attention_3d(&one, 1).unwrap();
    assert_eq!(flat(&out), vec![5.0, 6.0]);
}

#[test]
fn cross_entropy_matches_basic_operations() {
    let mut rng = Rng::new(13);
    let logits = random(&mut rng, &[6, 7], 2.0);
    let targets = Tensor::new(&[0u32, 6, 3, 3, 1, 5], &Device::Cpu).unwrap();
    compare(
        &mut rng,
        &[&logits],
        |t| nll(&t[0], &targets),
        |t| {
            let logp = ops::log_softmax(&t[0])?;
            logp.gather(&targets.unsqueeze(1)?, 1)?.squeeze(1)?.neg()
        },
    );
    // A target outside the vocabulary is an error, not a panic.
    let bad = Tensor::new(&[7u32, 0, 0, 0, 0, 0], &Device::Cpu).unwrap();
    assert!(nll(logits.as_tensor(), &bad).is_err());
}

#[test]
fn add_rows_matches_a_broadcast_add() {
    let mut rng = Rng::new(14);
    // A bias over a batch of rows, and a (T, d) table under (B, T, d) embeddings.
    let x = random(&mut rng, &[6, 5], 1.0);
    let b = random(&mut rng, &[5], 1.0);
    compare(
        &mut rng,
        &[&x, &b],
        |t| add_rows(&t[0], &t[1]),
        |t| t[0].broadcast_add(&t[1]),
    );
    let x = random(&mut rng, &[2, 3, 4], 1.0);
    let pos = random(&mut rng, &[3, 4], 1.0);
    compare(
        &mut rng,
        &[&x, &pos],
        |t| add_rows(&t[0], &t[1]),
        |t| t[0].broadcast_add(&t[1]),
    );
    // [1, 2] + [10, 20] on each of two rows.
    let x = Tensor::new(&[[1f32, 2.], [3., 4.]], &Device::Cpu).unwrap();
    let b = Tensor::new(&[10f32, 20.], &Device::Cpu).unwrap();
    assert_eq!(
        flat(&add_rows(&x, &b).unwrap()),
        vec![11.0, 22.0, 13.0, 24.0]
    );
}

#[test]
fn relu_matches_candle_relu() {
    let mut rng = Rng::new(15);
    let x = random(&mut rng, &[7, 9], 1.0);
    compare(&mut rng, &[&x], |t| relu(&t[0]), |t| t[0].relu());
    let x = Tensor::new(&[-1f32, 0., 2.5], &Device::Cpu).unwrap();
    assert_eq!(flat(&relu(&x).unwrap()), vec![0.0, 0.0, 2.5]);
}

#[test]
fn add_rows_relu_matches_a_broadcast_add_then_relu() {
    let mut rng = Rng::new(16);
    let x = random(&mut rng, &[6, 5], 1.0);
    let b = random(&mut rng, &[5], 1.0);
    compare(
        &mut rng,
        &[&x, &b],
        |t| add_rows_relu(&t[0], &t[1]),
        |t| t[0].broadcast_add(&t[1])?.relu(),
    );
    // [1, −2] + [0.5, 1]: [1.5, −1] → [1.5, 0]; [−3, 4] + [0.5, 1]: [−2.5, 5] → [0, 5].
    let x = Tensor::new(&[[1f32, -2.], [-3., 4.]], &Device::Cpu).unwrap();
    let b = Tensor::new(&[0.5f32, 1.], &Device::Cpu).unwrap();
    let out = add_rows_relu(&x, &b).unwrap();
    assert_eq!(flat(&out), vec![1.5, 0.0, 0.0, 5.0]);
}

#[test]
fn add_rows_plus_matches_a_broadcast_add_then_an_add() {
    let mut rng = Rng::new(17);
    let x = random(&mut rng, &[6, 5], 1.0);
    let b = random(&mut rng, &[5], 1.0);
    let e = random(&mut rng, &[6, 5], 1.0);
    for relu in [false, true] {
        compare(
            &mut rng,
            &[&x, &b, &e],
            |t| add_rows_plus(&t[0], &t[1], &t[2], relu),
            |t| {
                let sum = (t[0].broadcast_add(&t[1])? + &t[2])?;
                if relu {
                    sum.relu()
                } else {
                    Ok(sum)
                }
            },
        );
    }
    // ([1, −2] + [0.5, 1]) + [1, 0.5] = [2.5, −0.5] → ReLU [2.5, 0].
    let x = Tensor::new(&[[1f32, -2.]], &Device::Cpu).unwrap();
    let b = Tensor::new(&[0.5f32, 1.], &Device::Cpu).unwrap();
    let e = Tensor::new(&[[1f32, 0.5]], &Device::Cpu).unwrap();
    assert_eq!(
        flat(&add_rows_plus(&x, &b, &e, false).unwrap()),
        vec![2.5, -0.5]
    );
    assert_eq!(
        flat(&add_rows_plus(&x, &b, &e, true).unwrap()),
        vec![2.5, 0.0]
    );
    // A correction of another shape is refused, by name.
    let e = Tensor::new(&[1f32, 0.5], &Device::Cpu).unwrap();
    let err = add_rows_plus(&x, &b, &e, false).unwrap_err().to_string();
    assert!(
        err.contains("add rows: e has shape [2] but x has [1, 2]"),
        "{err}"
    );
}

#[test]
fn linear_matches_a_product_then_a_broadcast_add_bit_for_bit() {
    let mut rng = Rng::new(18);
    let x = random(&mut rng, &[7, 5], 1.0);
    let w = random(&mut rng, &[5, 6], 1.0);
    let b = random(&mut rng, &[6], 1.0);
    for with_relu in [false, true] {
        let reference = |t: &[Tensor]| {
            let sum = t[0].matmul(&t[1])?.broadcast_add(&t[2])?;
            if with_relu {
                sum.relu()
            } else {
                Ok(sum)
            }
        };
        compare(
            &mut rng,
            &[&x, &w, &b],
            |t| linear(&t[0], &t[1], &t[2], with_relu),
            reference,
        );
        // The same calls in the same order as the product followed by add_rows (the graph
        // before this operation): equal bits, values and every gradient.
        let two_nodes = |t: &[Tensor]| {
            let xw = t[0].matmul(&t[1])?;
            if with_relu {
                add_rows_relu(&xw, &t[2])
            } else {
                add_rows(&xw, &t[2])
            }
        };
        let ts = [x.as_tensor(), w.as_tensor(), b.as_tensor()].map(Tensor::clone);
        let (one, two) = (
            linear(&ts[0], &ts[1], &ts[2], with_relu).unwrap(),
            two_nodes(&ts).unwrap(),
        );
        assert_eq!(flat(&one), flat(&two));
        let g = random(&mut rng, one.dims(), 1.0);
        let grads = |y: &Tensor| {
            (y * g.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap()
        };
        let (g1, g2) = (grads(&one), grads(&two));
        for v in [&x, &w, &b] {
            assert_eq!(flat(g1.get(v).unwrap()), flat(g2.get(v).unwrap()));
        }
    }
    // [1, 2] · [[1, 0, −1], [0, 1, 1]] + [0.5, −3, 0] = [1.5, −1, 1] → ReLU [1.5, 0, 1].
    let x = Tensor::new(&[[1f32, 2.]], &Device::Cpu).unwrap();
    let w = Tensor::new(&[[1f32, 0., -1.], [0., 1., 1.]], &Device::Cpu).unwrap();
    let b = Tensor::new(&[0.5f32, -3., 0.], &Device::Cpu).unwrap();
    assert_eq!(
        flat(&linear(&x, &w, &b, false).unwrap()),
        vec![1.5, -1.0, 1.0]
    );
    assert_eq!(
        flat(&linear(&x, &w, &b, true).unwrap()),
        vec![1.5, 0.0, 1.0]
    );
    let e = linear(&x, &b.unsqueeze(0).unwrap(), &b, false).unwrap_err();
    assert!(
        e.to_string().contains("linear: x is 1×2 but W is 1×3"),
        "{e}"
    );
}

/// LoRA's linear layer from basic operations: x·W + b plus (s·(x·A))·B in each adapter's
/// columns (a zero block elsewhere), then the ReLU if asked.
fn lora_reference(
    t: &[Tensor],
    w: &Tensor,
    b: &Tensor,
    columns: &[usize],
    scale: f64,
    relu: bool,
) -> Result<Tensor> {
    let n = t[0].dim(0)?;
    let m = w.dim(1)?;
    let mut blocks = Vec::new();
    let mut at = 0;
    for (j, &column) in columns.iter().enumerate() {
        if column > at {
            blocks.push(Tensor::zeros(
                (n, column - at),
                t[0].dtype(),
                t[0].device(),
            )?);
        }
        let delta = ((t[0].matmul(&t[1 + 2 * j])? * scale)?).matmul(&t[2 + 2 * j])?;
        at = column + delta.dim(1)?;
        blocks.push(delta);
    }
    if at < m {
        blocks.push(Tensor::zeros((n, m - at), t[0].dtype(), t[0].device())?);
    }
    let sum = (t[0].matmul(w)?.broadcast_add(b)? + Tensor::cat(&blocks, 1)?)?;
    if relu {
        sum.relu()
    } else {
        Ok(sum)
    }
}

#[test]
fn lora_linear_matches_basic_operations() {
    let mut rng = Rng::new(19);
    // W (5, 9) read as three thirds of 3 columns, adapters on the first and the last; and a
    // projection with one adapter over all its columns.
    let x = random(&mut rng, &[6, 5], 1.0);
    let w = random(&mut rng, &[5, 9], 1.0);
    let b = random(&mut rng, &[9], 1.0);
    let (a1, b1) = (
        random(&mut rng, &[5, 2], 1.0),
        random(&mut rng, &[2, 3], 1.0),
    );
    let (a2, b2) = (
        random(&mut rng, &[5, 2], 1.0),
        random(&mut rng, &[2, 3], 1.0),
    );
    let a3 = random(&mut rng, &[5, 3], 1.0);
    let b3 = random(&mut rng, &[3, 9], 1.0);
    for relu in [false, true] {
        compare(
            &mut rng,
            &[&x, &a1, &b1, &a2, &b2],
            |t| {
                let parts = [(0, &t[1], &t[2]), (6, &t[3], &t[4])];
                lora_linear(&t[0], w.as_tensor(), b.as_tensor(), &parts, 0.5, relu)
            },
            |t| lora_reference(t, w.as_tensor(), b.as_tensor(), &[0, 6], 0.5, relu),
        );
        compare(
            &mut rng,
            &[&x, &a3, &b3],
            |t| {
                lora_linear(
                    &t[0],
                    w.as_tensor(),
                    b.as_tensor(),
                    &[(0, &t[1], &t[2])],
                    2.0,
                    relu,
                )
            },
            |t| lora_reference(t, w.as_tensor(), b.as_tensor(), &[0], 2.0, relu),
        );
        // No adapter: x·W + b, W and b frozen.
        compare(
            &mut rng,
            &[&x],
            |t| lora_linear(&t[0], w.as_tensor(), b.as_tensor(), &[], 1.0, relu),
            |t| lora_reference(t, w.as_tensor(), b.as_tensor(), &[], 1.0, relu),
        );
    }
    // An adapter that does not fit is an error.
    let e = lora_linear(
        x.as_tensor(),
        w.as_tensor(),
        b.as_tensor(),
        &[(7, a1.as_tensor(), b1.as_tensor())],
        1.0,
        false,
    )
    .unwrap_err();
    assert!(e.to_string().contains("does not fit W [5, 9]"), "{e}");
}

#[test]
fn wrong_shapes_are_errors_that_name_the_operation_and_the_shape() {
    let dev = &Device::Cpu;
    let message = |r: Result<Tensor>| r.err().map(|e| e.to_string()).unwrap_or_default();
    // 5 values are not rows of 2.
    let x = Tensor::new(&[1f32, 2., 3., 4., 5.], dev).unwrap();
    let b = Tensor::new(&[1f32, 2.], dev).unwrap();
    let e = message(add_rows(&x, &b));
    assert!(e.contains("add rows: x has shape [5]"), "{e}");
    // x (2, 3) under γ and β of 4: the last dimension is not γ's.
    let x = Tensor::zeros((2, 3), candle_core::DType::F32, dev).unwrap();
    let g = Tensor::ones(4, candle_core::DType::F32, dev).unwrap();
    let e = message(layer_norm(&x, &g, &g));
    assert!(e.contains("layer norm: x has shape [2, 3]"), "{e}");
    let e = message(layer_norm(&x, &b, &g));
    assert!(
        e.contains("layer norm: β [4] must hold γ's 2 values"),
        "{e}"
    );
    // Targets (3) for logits (2, 4).
    let t = Tensor::new(&[0u32, 1, 2], dev).unwrap();
    let e = message(nll(
        &Tensor::zeros((2, 4), candle_core::DType::F32, dev).unwrap(),
        &t,
    ));
    assert!(
        e.contains("cross-entropy: logits [2, 4] and targets [3]"),
        "{e}"
    );
}

/// Checks `op`'s backward pass against finite differences of L = Σ op(inputs) · w (w random,
/// so every output's gradient counts, not a gradient of ones): at a few coordinates of each
/// input, (L(x + ε) − L(x − ε)) / 2ε against the gradient backpropagation gives. A coordinate
/// next to a kink (ReLU at zero) is skipped, seen by its one-sided slopes disagreeing.
fn finite_differences(rng: &mut Rng, inputs: &[&Var], op: impl Fn(&[Tensor]) -> Result<Tensor>) {
    const EPS: f32 = 1e-2;
    let tensors = |vs: &[Tensor]| op(vs).unwrap();
    let base: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
    let out = tensors(&base);
    let w = random(rng, out.dims(), 1.0);
    let loss = |vs: &[Tensor]| -> f32 {
        (tensors(vs) * w.as_tensor())
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar()
            .unwrap()
    };
    let grads = (&out * w.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let l0 = loss(&base);
    for (i, v) in inputs.iter().enumerate() {
        let analytic = flat(grads.get(v).expect("every input gets a gradient"));
        let values = flat(v.as_tensor());
        let mut checked = 0;
        for _ in 0..8 {
            let at = rng.below(values.len());
            let nudged = |by: f32| {
                let mut moved = values.clone();
                moved[at] += by;
                let mut vs = base.clone();
                vs[i] = Tensor::from_vec(moved, v.dims(), &Device::Cpu).unwrap();
                loss(&vs)
            };
            let (up, down) = (nudged(EPS), nudged(-EPS));
            let (right, left) = ((up - l0) / EPS, (l0 - down) / EPS);
            if (right - left).abs() > 0.1 * (1.0 + right.abs()) {
                continue;
            }
            let numeric = (up - down) / (2.0 * EPS);
            let tolerance = 2e-2 * (1.0 + numeric.abs());
            assert!(
                (numeric - analytic[at]).abs() < tolerance,
                "input {i}, value {at}: finite differences give {numeric}, backward {}",
                analytic[at]
            );
            checked += 1;
        }
        assert!(
            checked >= 4,
            "input {i}: only {checked} smooth points checked"
        );
    }
}

/// Every fused operation's backward pass against finite differences, on 20 positions (more
/// than the 16 rows a kernel might handle in one block) and a random output gradient.
#[test]
fn every_fused_backward_matches_finite_differences_over_twenty_positions() {
    let mut rng = Rng::new(21);
    let t = 20;
    let x = random(&mut rng, &[2, t, 8], 1.5);
    let g = random(&mut rng, &[8], 1.0);
    let b = random(&mut rng, &[8], 1.0);
    finite_differences(&mut rng, &[&x, &g, &b], |v| layer_norm(&v[0], &v[1], &v[2]));
    let qkv = random(&mut rng, &[2, t, 24], 1.0);
    finite_differences(&mut rng, &[&qkv], |v| attention_3d(&v[0], 2));
    let logits = random(&mut rng, &[t, 7], 2.0);
    let targets: Vec<u32> = (0..t).map(|i| (i * 3 % 7) as u32).collect();
    let targets = Tensor::from_vec(targets, t, &Device::Cpu).unwrap();
    finite_differences(&mut rng, &[&logits], |v| nll(&v[0], &targets));
    let rows = random(&mut rng, &[t, 8], 1.0);
    let e = random(&mut rng, &[t, 8], 1.0);
    finite_differences(&mut rng, &[&rows, &b], |v| add_rows(&v[0], &v[1]));
    finite_differences(&mut rng, &[&rows], |v| relu(&v[0]));
    finite_differences(&mut rng, &[&rows, &b], |v| add_rows_relu(&v[0], &v[1]));
    for with_relu in [false, true] {
        finite_differences(&mut rng, &[&rows, &b, &e], |v| {
            add_rows_plus(&v[0], &v[1], &v[2], with_relu)
        });
    }
    let w = random(&mut rng, &[8, 5], 1.0);
    let bias = random(&mut rng, &[5], 1.0);
    // With the ReLU, a nudge to a weight moves every row's output in its column: a bias
    // shifted up by 2 keeps most of them away from the kink, so enough points are smooth.
    let lifted = Var::from_tensor(&(bias.as_tensor() + 2.0).unwrap()).unwrap();
    for (with_relu, bias) in [(false, &bias), (true, &lifted)] {
        finite_differences(&mut rng, &[&rows, &w, bias], |v| {
            linear(&v[0], &v[1], &v[2], with_relu)
        });
    }
    let (w9, b9) = (random(&mut rng, &[8, 9], 1.0), random(&mut rng, &[9], 1.0));
    let (a1, b1) = (
        random(&mut rng, &[8, 2], 1.0),
        random(&mut rng, &[2, 3], 1.0),
    );
    let (a2, b2) = (
        random(&mut rng, &[8, 2], 1.0),
        random(&mut rng, &[2, 3], 1.0),
    );
    for (with_relu, lift) in [(false, 0.0), (true, 2.0)] {
        let b9 = (b9.as_tensor() + lift).unwrap();
        finite_differences(&mut rng, &[&rows, &a1, &b1, &a2, &b2], |v| {
            let parts = [(0, &v[1], &v[2]), (6, &v[3], &v[4])];
            lora_linear(&v[0], w9.as_tensor(), &b9, &parts, 0.5, with_relu)
        });
    }
    // x·W with W frozen: the gradient reaches x only (W is not an input here).
    let weights = random(&mut rng, &[8, 5], 1.0);
    finite_differences(&mut rng, &[&rows], |v| {
        crate::labs::lm::frozen::matmul(&v[0], weights.as_tensor())
    });
}
