//! Attention on a typed sentence: the weight matrix as a heatmap (queries down, keys across)
//! with a cursor, that query's weights as bars, and toggles for the causal mask, the √d_k
//! scale and the temperature. Weights are seeded random (re-rollable) or built by hand to
//! make a named pattern; the view says which.

use crate::labs::part2_math::attention::{multi_head, random_multi_head, Options, Stages};
use crate::labs::part3_transformer::heads::{inputs, pattern_head, words};
use crate::labs::rng::Rng;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, HeatmapView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};

/// Most words a sentence keeps, so the map fits an 80x24 screen.
pub const MAX_WORDS: usize = 7;
/// The temperature dividing the scores, a control and a parameter.
const TEMPERATURE: Scale = Scale::linear(0.1, 5.0, 0.1, 1);

const PATTERNS: &[&str] = &["random", "same-word", "previous-token"];

/// One-character column labels (1–9, then a, b, …), so the map needs no legend; rows carry
/// the words with the same numbers.
pub fn column_keys(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| char::from_digit((i + 1) as u32, 36).map_or_else(|| "?".into(), |c| c.to_string()))
        .collect()
}

pub fn row_names(tokens: &[String]) -> Vec<String> {
    let keys = column_keys(tokens.len());
    tokens
        .iter()
        .zip(keys)
        .map(|(t, k)| format!("{k} {t}"))
        .collect()
}

/// The `attention-map` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "attention-map",
    title: "Who attends to whom",
    about: "types a sentence (Enter on the text control edits it); sees the attention weights as a heatmap (queries down, keys across) with a cursor (a query row and a key column) that reads any weight, and the query row's weights as bars: how much of each value row it mixes in; toggles the causal mask and the √d_k scale, moves the temperature, switches head, re-rolls random weights or picks a hand-built head",
    params: &[ParamDef { name: "text", ty: ParamType::Text { max_words: MAX_WORDS, default: "the cat sat on the mat" }, doc: "the sentence attended over" }, ParamDef { name: "weights", ty: ParamType::Choice { options: PATTERNS, default: "random" }, doc: "random projections or a hand-built head" }, ParamDef { name: "d_k", ty: ParamType::Int { min: 2, max: 16, default: 8 }, doc: "width of queries and keys" }, SEED.int("seed", 1, "seed of the random projections"), ParamDef { name: "causal", ty: ParamType::Bool { default: false }, doc: "hide later tokens from each query" }, ParamDef { name: "scaled", ty: ParamType::Bool { default: true }, doc: "divide the scores by √d_k" }, TEMPERATURE.float("temperature", 1.0, "divides the scores before the softmax"), ParamDef { name: "heads", ty: ParamType::Int { min: 1, max: 4, default: 1 }, doc: "number of heads to switch between" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(AttentionMap::new(p)?))
}

pub struct AttentionMap {
    text: String,
    pattern: usize,
    d_k: usize,
    seed: u64,
    causal: bool,
    scaled: bool,
    temperature: f64,
    heads: usize,
    head: usize,
    /// The cursor: query row and key column.
    cell: (usize, usize),
}

impl AttentionMap {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let text = p.text("text")?;
        let pattern = p.index("weights")?;
        let d_k = p.int("d_k")? as usize;
        let seed = p.int("seed")? as u64;
        let causal = p.boolean("causal")?;
        let scaled = p.boolean("scaled")?;
        let temperature = p.float("temperature")?;
        let heads = p.int("heads")? as usize;
        p.finish()?;
        let n = words(&text, MAX_WORDS).len();
        Ok(Self {
            text,
            pattern,
            d_k,
            seed,
            causal,
            scaled,
            temperature,
            heads,
            head: 0,
            cell: (n.saturating_sub(1), 0),
        })
    }

    fn tokens(&self) -> Vec<String> {
        words(&self.text, MAX_WORDS)
    }

    fn heads_now(&self) -> usize {
        if self.pattern == 0 {
            self.heads
        } else {
            1
        }
    }

    /// The stages of the selected head on the current sentence.
    pub fn stages(&self) -> Stages {
        let tokens = self.tokens();
        let x = inputs(&tokens);
        let weights = if self.pattern == 0 {
            random_multi_head(x.ncols(), self.heads, self.d_k, &mut Rng::new(self.seed))
        } else {
            pattern_head(PATTERNS[self.pattern], tokens.len())
        };
        let opts = Options {
            scale: self.scaled,
            causal: self.causal,
            temperature: self.temperature,
        };
        let mut result = multi_head(&x, &x, &weights, opts, None);
        let head = self.head.min(result.heads.len().saturating_sub(1));
        result.heads.swap_remove(head)
    }
}

impl Controls for AttentionMap {
    fn declare(&self, k: &mut Knobs<Self>) {
        let tokens = self.tokens();
        let numbered = row_names(&tokens);
        k.text("text", &self.text, |a, text| {
            if !words(text, MAX_WORDS).is_empty() {
                a.text = words(text, MAX_WORDS).join(" ");
                let n = a.tokens().len();
                a.cell = (a.cell.0.min(n - 1), a.cell.1.min(n - 1));
            }
        });
        // The option says plainly which weights are shown.
        let weights = vec![
            format!("random, seed {}", self.seed),
            "same-word head".into(),
            "prev-token head".into(),
        ];
        k.choice("weights", weights, self.pattern, |a, i| a.pattern = i);
        k.choice("query (row)", numbered.clone(), self.cell.0, |a, i| {
            a.cell.0 = i;
        });
        k.choice("key (column)", numbered, self.cell.1, |a, i| a.cell.1 = i);
        k.toggle("causal mask", self.causal, |a, on| a.causal = on);
        k.toggle("÷√d_k", self.scaled, |a, on| a.scaled = on);
        k.slider("temperature", self.temperature, TEMPERATURE, |a, t| {
            a.temperature = t;
        });
        // A built-in head's weights are written out, not drawn from the seed.
        k.seed("seed", self.seed, |a, s| a.seed = s)
            .idle_when(self.pattern != 0, "fixed");
        if self.heads_now() > 1 {
            let heads = (1..=self.heads).map(|h| h.to_string()).collect();
            k.choice("head", heads, self.head, |a, i| a.head = i);
        }
    }
}

impl Visual for AttentionMap {
    fn parts(&self) -> Vec<Part> {
        let tokens = self.tokens();
        if tokens.is_empty() {
            return vec![Part::Text(vec![
                "Type a sentence: Enter on the text control.".into(),
            ])];
        }
        let s = self.stages();
        let (q, k) = self.cell;
        let max = s.weights.iter().copied().fold(0.0, f64::max).max(1e-9);
        let heatmap = Part::Heatmap(HeatmapView {
            title: String::new(),
            row_labels: row_names(&tokens),
            col_labels: column_keys(tokens.len()),
            values: s.weights.clone(),
            range: Some((0.0, max)),
            cursor: Some((q, k)),
        });
        let bars = Part::Bars(BarsView {
            title: format!("\"{}\" mixes the values:", tokens[q]),
            labels: tokens.clone(),
            values: s.weights.row(q).to_vec(),
            decimals: 2,
            highlight: Some(k),
            max: Some(1.0),
        });
        vec![Part::Columns(vec![heatmap, bars])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn lab(v: serde_json::Value) -> AttentionMap {
        let map: Map<String, serde_json::Value> = v.as_object().cloned().unwrap_or_default();
        AttentionMap::new(Params::new(&map, &KIND)).unwrap()
    }

    /// Regression: the seed looked live while a built-in head (whose weights no seed draws) was
    /// shown; changing it there changes nothing.
    #[test]
    fn the_seed_is_inactive_for_built_in_heads() {
        let seed = |l: &AttentionMap| l.controls()[7].inactive.clone();
        let random = lab(json!({"text": "a b c"}));
        assert_eq!(seed(&random), None);
        let mut fixed = lab(json!({"text": "a b c", "weights": "previous-token"}));
        assert_eq!(seed(&fixed).as_deref(), Some("fixed"));
        let before = fixed.stages().weights;
        fixed.adjust(7, 5);
        assert_eq!(
            fixed.stages().weights,
            before,
            "the seed really does nothing here"
        );
    }

    #[test]
    fn previous_token_head_looks_one_back() {
        let l = lab(json!({"text": "a b c d e", "weights": "previous-token"}));
        let w = l.stages().weights;
        for i in 1..5 {
            let best = (0..5)
                .max_by(|a, b| w[[i, *a]].total_cmp(&w[[i, *b]]))
                .unwrap();
            assert_eq!(best, i - 1, "row {i}: {:?}", w.row(i));
        }
    }

    #[test]
    fn same_word_head_finds_the_repeat() {
        let l = lab(json!({"text": "the cat saw the dog", "weights": "same-word"}));
        let w = l.stages().weights;
        // "the" (row 3) attends most to the two "the"s, equally.
        assert!((w[[3, 0]] - w[[3, 3]]).abs() < 1e-12);
        assert!(w[[3, 0]] > w[[3, 1]] && w[[3, 0]] > w[[3, 4]]);
    }

    #[test]
    fn causal_toggle_zeroes_the_upper_triangle() {
        let mut l = lab(json!({"text": "one two three four"}));
        l.adjust(4, 1);
        let w = l.stages().weights;
        for i in 0..4 {
            for j in (i + 1)..4 {
                assert_eq!(w[[i, j]], 0.0);
            }
            assert!((w.row(i).sum() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn typed_text_is_capped_and_applied() {
        let mut l = lab(json!({}));
        l.set_text(0, "  one two three four five six seven eight nine ten ");
        assert_eq!(l.tokens().len(), MAX_WORDS);
        l.set_text(0, "   ");
        assert_eq!(
            l.tokens().len(),
            MAX_WORDS,
            "empty text keeps the old sentence"
        );
        l.set_text(0, "hi there");
        assert_eq!(l.stages().weights.shape(), &[2, 2]);
    }
}
