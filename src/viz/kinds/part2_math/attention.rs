//! Attention on a few tokens, one stage at a time: X, Q, K, V, scores, scaled (and masked)
//! scores, softmax weights, output. The weights are seeded random numbers, not a trained
//! model's; the same word always gets the same made-up embedding.

use crate::labs::part2_math::attention::{attend, toy_embeddings, toy_matrix, AttentionTrace};
use crate::labs::rng::Rng;
use crate::labs::{fmt_list, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{MatrixView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};
use ndarray::Array2;

/// The width of the made-up embeddings: small enough to read every number.
const D_MODEL: usize = 4;

/// The width of queries and keys, a control and a parameter.
const D_K: Scale = Scale::linear(2.0, 8.0, 1.0, 0);

const STAGES: &[&str] = &[
    "0 X (embeddings)",
    "1 Q = X·W_Q",
    "2 K = X·W_K",
    "3 V = X·W_V",
    "4 scores Q·Kᵀ",
    "5 scaled ÷ √d_k",
    "6 weights = softmax",
    "7 output = weights·V",
];

/// The `attention` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "attention",
    title: "Attention, stage by stage",
    about: "steps through X, Q, K, V, scores QKᵀ, scaled by √d_k, softmax weights and output; picks the query row",
    params: &[ParamDef { name: "tokens", ty: ParamType::Words { len: (2, 6), default: &["the", "cat", "sat", "down"] }, doc: "the words attended over" }, D_K.int("d_k", 4, "width of queries and keys"), SEED.int("seed", 7, "seed of the random embeddings and projections"), ParamDef { name: "stage", ty: ParamType::Int { min: 0, max: 7, default: 0 }, doc: "the stage shown first (0 = X … 7 = output)" }, ParamDef { name: "causal", ty: ParamType::Bool { default: false }, doc: "hide later tokens from each query" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Attention::new(p)?))
}

pub struct Attention {
    tokens: Vec<String>,
    d_k: usize,
    seed: u64,
    stage: usize,
    causal: bool,
    query: usize,
}

impl Attention {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let tokens = p.words("tokens")?;
        let d_k = p.int("d_k")? as usize;
        let seed = p.int("seed")? as u64;
        let stage = p.int("stage")? as usize;
        let causal = p.boolean("causal")?;
        p.finish()?;
        let query = tokens.len().saturating_sub(1).min(1);
        Ok(Self {
            tokens,
            d_k,
            seed,
            stage,
            causal,
            query,
        })
    }

    pub fn trace(&self) -> AttentionTrace {
        let mut rng = Rng::new(self.seed);
        let x = toy_embeddings(&self.tokens, D_MODEL);
        let w_q = toy_matrix(D_MODEL, self.d_k, &mut rng);
        let w_k = toy_matrix(D_MODEL, self.d_k, &mut rng);
        let w_v = toy_matrix(D_MODEL, self.d_k, &mut rng);
        attend(x, w_q, w_k, w_v, self.causal)
    }

    fn matrix(
        &self,
        title: String,
        values: &Array2<f64>,
        cols: Vec<String>,
        row: bool,
    ) -> MatrixView {
        MatrixView {
            title,
            row_labels: self.tokens.clone(),
            col_labels: cols,
            values: values.clone(),
            decimals: 2,
            cell: None,
            row: row.then_some(self.query),
            col: None,
        }
    }
}

fn dims(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

impl Controls for Attention {
    fn declare(&self, k: &mut Knobs<Self>) {
        let stages = STAGES.iter().map(|s| (*s).to_string()).collect();
        k.choice("stage", stages, self.stage, |a, i| a.stage = i);
        // K and V pick out no row; the mask first shows in the scaled scores; X is the
        // embeddings alone, before any projection of width d_k from seeded weights.
        k.choice("query token", self.tokens.clone(), self.query, |a, i| {
            a.query = i;
        })
        .idle_when(matches!(self.stage, 2 | 3), "stage");
        k.toggle("causal mask", self.causal, |a, on| a.causal = on)
            .idle_when(self.stage < 5, "stage");
        k.count("d_k", self.d_k, D_K, |a, d| a.d_k = d)
            .idle_when(self.stage == 0, "stage");
        k.seed("seed", self.seed, |a, s| a.seed = s)
            .idle_when(self.stage == 0, "stage");
        k.text("text", &self.tokens.join(" "), Self::set_tokens);
    }
}

impl Attention {
    /// The learner's own words (up to six) replace the tokens; the pipeline reruns on them.
    fn set_tokens(&mut self, text: &str) {
        let words: Vec<String> = text
            .split_whitespace()
            .take(6)
            .map(|w| w.chars().take(16).collect())
            .collect();
        if !words.is_empty() {
            self.tokens = words;
            self.query = self.query.min(self.tokens.len() - 1);
        }
    }
}

impl Visual for Attention {
    fn parts(&self) -> Vec<Part> {
        let t = self.trace();
        let q = self.query;
        let word = &self.tokens[q];
        let toks = self.tokens.clone();
        let sqrt_dk = (self.d_k as f64).sqrt();
        let row_list = |m: &Array2<f64>| fmt_list(&m.row(q).to_vec());
        let (main, note) = match self.stage {
            0 => (
                self.matrix(
                    format!("X: {} tokens × d_model {D_MODEL}", toks.len()),
                    &t.x,
                    dims("e", D_MODEL),
                    true,
                ),
                format!(
                    "Each row is a made-up embedding; \"{word}\" is row {}.",
                    q + 1
                ),
            ),
            1 => (
                self.matrix(
                    format!("Q = X·W_Q ({}×{})", toks.len(), self.d_k),
                    &t.q,
                    dims("q", self.d_k),
                    true,
                ),
                format!("q_{word} = x_{word}·W_Q: what \"{word}\" is looking for."),
            ),
            2 => (
                self.matrix(
                    format!("K = X·W_K ({}×{})", toks.len(), self.d_k),
                    &t.k,
                    dims("k", self.d_k),
                    false,
                ),
                "Each key row says what that token offers to be found by.".to_string(),
            ),
            3 => (
                self.matrix(
                    format!("V = X·W_V ({}×{})", toks.len(), self.d_k),
                    &t.v,
                    dims("v", self.d_k),
                    false,
                ),
                "Each value row is what that token hands over when attended to.".to_string(),
            ),
            4 => (
                self.matrix("scores = Q·Kᵀ".into(), &t.scores, toks.clone(), true),
                format!(
                    "row \"{word}\": q_{word}·k_j for every j = [{}]",
                    row_list(&t.scores)
                ),
            ),
            5 => (
                self.matrix(
                    format!("scaled = Q·Kᵀ / √{} (= {})", self.d_k, fmt_num(sqrt_dk)),
                    &t.scaled,
                    toks.clone(),
                    true,
                ),
                if self.causal {
                    "Causal: future columns are set to -inf before the softmax.".to_string()
                } else {
                    format!(
                        "Dividing by √d_k = {} keeps the scores' spread near 1.",
                        fmt_num(sqrt_dk)
                    )
                },
            ),
            6 => (
                self.matrix(
                    "weights = softmax(each row)".into(),
                    &t.weights,
                    toks.clone(),
                    true,
                ),
                format!(
                    "row \"{word}\" = [{}], sum {}",
                    row_list(&t.weights),
                    fmt_num(t.weights.row(q).sum())
                ),
            ),
            _ => (
                self.matrix(
                    format!("output = weights·V ({}×{})", toks.len(), self.d_k),
                    &t.output,
                    dims("o", self.d_k),
                    true,
                ),
                format!(
                    "out_{word} = Σⱼ w_{word},ⱼ · v_j = [{}]",
                    row_list(&t.output)
                ),
            ),
        };
        vec![Part::Matrix(main), Part::Text(vec![note])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    #[test]
    fn stages_show_the_trace_and_causal_masks_the_future() {
        let map: Map<String, serde_json::Value> = json!({"stage": 6, "causal": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let lab = Attention::new(Params::new(&map, &KIND)).unwrap();
        let t = lab.trace();
        let parts = lab.parts();
        let Part::Matrix(m) = &parts[0] else { panic!() };
        assert_eq!(m.values, t.weights);
        assert_eq!(m.values[[0, 1]], 0.0);
        assert_eq!(m.values[[0, 0]], 1.0);
        let Part::Text(note) = &parts[1] else {
            panic!()
        };
        assert!(note[0].ends_with("sum 1"), "{}", note[0]);
        // Q really is X·W_Q.
        assert_eq!(t.q, t.x.dot(&t.w_q));
        let mut typed = Attention::new(Params::new(&map, &KIND)).unwrap();
        typed.set_text(5, "time flies like an arrow");
        assert_eq!(typed.trace().weights.shape(), &[5, 5]);
    }
}
