//! The FLOPs calculator: one linear layer (2·n·d_in·d_out) and a whole model (2N per token
//! forward, about 6N per token to train, C ≈ 6·N·D for a run).

use crate::labs::part2_math::flops::{
    forward_per_token, matmul_flops, training_flops, DATA, MODELS, PF_DAY,
};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::kinds::{dim_options, DIMS, DIM_NAMES};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// The keys of `MODELS`, in its order (a test keeps them equal).
const MODEL_KEYS: &[&str] = &[
    "gpt2-small",
    "gpt2-xl",
    "llama2-7b",
    "chinchilla-70b",
    "gpt3-175b",
];
/// The names of `DATA`, in its order.
const DATA_NAMES: &[&str] = &["40B", "300B", "1.4T", "2T", "15T"];
/// Tokens through the layer, doubled or halved per press: a control and a parameter.
const TOKENS: Scale = Scale::doubling(1.0, 8192.0);

/// The `flops` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "flops",
    title: "Counting FLOPs",
    about: "FLOPs of one linear layer (2·n·d_in·d_out) and of a model: 2N per token forward, 6ND to train, in PF-days",
    params: &[TOKENS.int("tokens", 1, "tokens through the layer"), ParamDef { name: "d_in", ty: ParamType::Choice { options: DIM_NAMES, default: "768" }, doc: "input width of the layer" }, ParamDef { name: "d_out", ty: ParamType::Choice { options: DIM_NAMES, default: "3072" }, doc: "output width of the layer" }, ParamDef { name: "model", ty: ParamType::Choice { options: MODEL_KEYS, default: "gpt2-small" }, doc: "the model whose FLOPs per token and training cost are shown" }, ParamDef { name: "data", ty: ParamType::Choice { options: DATA_NAMES, default: "300B" }, doc: "training tokens for the 6·N·D estimate" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Flops::new(p)?))
}

pub struct Flops {
    tokens: u32,
    d_in: usize,
    d_out: usize,
    model: usize,
    data: usize,
}

impl Flops {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let tokens = p.int("tokens")? as u32;
        let d_in = p.index("d_in")?;
        let d_out = p.index("d_out")?;
        let model = p.index("model")?;
        let data = p.index("data")?;
        p.finish()?;
        Ok(Self {
            tokens,
            d_in,
            d_out,
            model,
            data,
        })
    }
}

impl Controls for Flops {
    fn declare(&self, k: &mut Knobs<Self>) {
        // Doubling and halving: the interesting token counts span four orders of magnitude.
        k.slider("tokens n", f64::from(self.tokens), TOKENS, |f, t| {
            f.tokens = t as u32;
        });
        k.choice("d_in", dim_options(), self.d_in, |f, i| f.d_in = i);
        k.choice("d_out", dim_options(), self.d_out, |f, i| f.d_out = i);
        let models = MODELS.iter().map(|m| m.name.to_string()).collect();
        k.choice("model", models, self.model, |f, i| f.model = i);
        let data = DATA.iter().map(|d| d.0.to_string()).collect();
        k.choice("training tokens D", data, self.data, |f, i| f.data = i);
    }
}

impl Visual for Flops {
    fn parts(&self) -> Vec<Part> {
        let (n, din, dout) = (
            f64::from(self.tokens),
            DIMS[self.d_in] as f64,
            DIMS[self.d_out] as f64,
        );
        let layer = matmul_flops(n, din, dout);
        let model = &MODELS[self.model];
        let (data_name, d) = DATA[self.data];
        let fwd = forward_per_token(model.params);
        let train = training_flops(model.params, d);
        vec![
            Part::Text(vec![
                format!(
                    "Layer y = x·W: ({}×{})·({}×{})",
                    self.tokens, DIMS[self.d_in], DIMS[self.d_in], DIMS[self.d_out]
                ),
                format!(
                    "  weights {} · FLOPs 2·n·d_in·d_out = {}",
                    fmt_count(din * dout),
                    fmt_count(layer)
                ),
                format!(
                    "Model {}: N ≈ {} parameters",
                    model.name,
                    fmt_num(model.params)
                ),
                format!("  forward ≈ 2N = {} FLOPs per token", fmt_num(fwd)),
                format!("  training ≈ 6N = {} FLOPs per token", fmt_num(3.0 * fwd)),
                format!(
                    "  D = {data_name} tokens: C ≈ 6·N·D = {} FLOPs = {} PF-days",
                    fmt_num(train),
                    fmt_num(train / PF_DAY)
                ),
            ]),
            Part::Bars(BarsView {
                title: "FLOPs per training token, in units of N".into(),
                labels: vec!["forward".into(), "backward".into(), "total".into()],
                values: vec![2.0, 4.0, 6.0],
                decimals: 0,
                highlight: Some(2),
                max: Some(6.0),
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    #[test]
    fn chinchilla_compute() {
        let map: Map<String, serde_json::Value> =
            json!({"model": "chinchilla-70b", "data": "1.4T", "tokens": 4, "d_in": 768, "d_out": 3072})
                .as_object()
                .cloned()
                .unwrap_or_default();
        let lab = Flops::new(Params::new(&map, &KIND)).unwrap();
        let Part::Text(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t[1].contains("18,874,368"), "{}", t[1]);
        assert!(t[5].contains("5.88e23 FLOPs"), "{}", t[5]);
        // 5.88e23 / 8.64e19 = 6805.6 PF-days.
        assert!(t[5].contains("6805.6 PF-days"), "{}", t[5]);
    }
}
