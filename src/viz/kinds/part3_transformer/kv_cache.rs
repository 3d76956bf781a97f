//! The KV-cache calculator: bytes of keys and values per token and in total, and what grouped
//! queries save.

use crate::labs::fmt_bytes;
use crate::labs::part3_transformer::transformer::{kv_bytes_per_token, KV_PRESETS};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const PRECISIONS: &[(&str, f64)] = &[("fp32", 4.0), ("fp16", 2.0), ("int8", 1.0), ("int4", 0.5)];
/// The names of `PRECISIONS`, in its order (a test keeps them equal).
const PRECISION_NAMES: &[&str] = &["fp32", "fp16", "int8", "int4"];
/// The keys of `KV_PRESETS`, in its order (a test keeps them equal).
const KV_KEYS: &[&str] = &["llama2-7b", "llama2-70b", "llama3-8b", "gpt3-175b"];
/// Sequences cached at once, a control and a parameter.
const BATCH: Scale = Scale::linear(1.0, 64.0, 1.0, 0);

/// The `kv-cache` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "kv-cache",
    title: "How big the KV cache gets",
    about: "bytes of keys and values cached per token (2 × layers × KV heads × d_head × bytes) and in total, against the weights' own size; GQA's saving",
    params: &[ParamDef { name: "preset", ty: ParamType::Choice { options: KV_KEYS, default: "llama2-7b" }, doc: "the model whose cache is sized" }, ParamDef { name: "context", ty: ParamType::PowerOfTwo { min: 512, max: 131_072, default: 4096 }, doc: "tokens in the cache" }, BATCH.int("batch", 1, "sequences cached at once"), ParamDef { name: "precision", ty: ParamType::Choice { options: PRECISION_NAMES, default: "fp16" }, doc: "bytes per cached number" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(KvCache::new(p)?))
}

pub struct KvCache {
    preset: usize,
    /// log2 of the context length.
    context: u32,
    batch: usize,
    precision: usize,
}

impl KvCache {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let preset = p.index("preset")?;
        let context = p.int("context")?;
        let batch = p.int("batch")? as usize;
        let precision = p.index("precision")?;
        p.finish()?;
        Ok(Self {
            preset,
            context: (context as u64).trailing_zeros(),
            batch,
            precision,
        })
    }
}

impl Controls for KvCache {
    fn declare(&self, k: &mut Knobs<Self>) {
        let presets = KV_PRESETS.iter().map(|k| k.name.to_string()).collect();
        k.choice("model", presets, self.preset, |c, i| c.preset = i);
        // Powers of two from 512 to 131,072; the field keeps the exponent.
        let contexts = (9..=17).map(|e| (1u64 << e).to_string()).collect();
        k.choice("context", contexts, self.context as usize - 9, |c, i| {
            c.context = i as u32 + 9;
        });
        k.count("batch", self.batch, BATCH, |c, b| c.batch = b);
        let precisions = PRECISIONS.iter().map(|x| x.0.to_string()).collect();
        k.choice("precision", precisions, self.precision, |c, i| {
            c.precision = i
        });
    }
}

impl Visual for KvCache {
    fn parts(&self) -> Vec<Part> {
        let s = &KV_PRESETS[self.preset];
        let (pname, bytes) = PRECISIONS[self.precision];
        let per_token = kv_bytes_per_token(s, bytes);
        let tokens = (1u64 << self.context) as f64 * self.batch as f64;
        let total = per_token * tokens;
        let weights = s.params * bytes;
        let without_gqa = KvCacheShapeless::per_token_all_heads(s, bytes);
        let mut lines = vec![
            format!(
                "2 × {} layers × {} KV heads × {} × {bytes} B ({pname})",
                s.layers, s.kv_heads, s.d_head
            ),
            format!(
                "  = {} B = {} per token",
                fmt_count(per_token),
                fmt_bytes(per_token)
            ),
            format!(
                "× {} tokens × batch {} = {} of cache",
                fmt_count((1u64 << self.context) as f64),
                self.batch,
                fmt_bytes(total)
            ),
            format!(
                "weights at {pname}: {} (cache is {}% of that)",
                fmt_bytes(weights),
                fmt_num((100.0 * total / weights).round())
            ),
        ];
        if s.kv_heads < s.query_heads {
            lines.push(format!(
                "GQA: {} query heads share {} KV heads; without it {} per token ({}× more)",
                s.query_heads,
                s.kv_heads,
                fmt_bytes(without_gqa),
                s.query_heads / s.kv_heads
            ));
        }
        vec![
            Part::Text(lines),
            Part::Bars(BarsView {
                title: "memory, GiB".into(),
                labels: vec!["weights".into(), "KV cache".into()],
                values: vec![weights / 1024f64.powi(3), total / 1024f64.powi(3)],
                decimals: 1,
                highlight: Some(1),
                max: None,
            }),
        ]
    }
}

/// The cache a model would need if every query head kept its own keys and values.
struct KvCacheShapeless;

impl KvCacheShapeless {
    fn per_token_all_heads(
        s: &crate::labs::part3_transformer::transformer::KvShape,
        bytes: f64,
    ) -> f64 {
        2.0 * (s.layers * s.query_heads * s.d_head) as f64 * bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn params(v: serde_json::Value) -> Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap_or_default()
    }
    #[test]
    fn kv_cache_for_llama2_7b_at_4096_is_2_gib() {
        let lab = KvCache::new(Params::new(&params(json!({})), &KIND)).unwrap();
        let Part::Text(t) = &lab.parts()[0] else {
            panic!()
        };
        assert!(t[1].contains("524,288 B = 512 KiB per token"), "{}", t[1]);
        assert!(t[2].ends_with("= 2 GiB of cache"), "{}", t[2]);
    }
}
