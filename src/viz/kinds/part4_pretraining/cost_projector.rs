//! The cost projector (lesson 19): a model size and a token count give the training FLOPs
//! (6·N·D); a GPU's peak speed, the utilisation actually reached and a price per GPU-hour give
//! GPU-hours, days and dollars; its power and the data centre's PUE give energy; and a growth
//! rate per year says how soon runs like this one cost $100M, $1B or $10B.

use crate::labs::part4_pretraining::cost::{days_on, years_until, Run};
use crate::labs::{fmt_count, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

const PARAMS: &[(&str, f64)] = &[
    ("1.5B", 1.5e9),
    ("7B", 7e9),
    ("70B", 70e9),
    ("175B", 175e9),
    ("405B", 405e9),
    ("1T", 1e12),
];
const TOKENS: &[(&str, f64)] = &[
    ("300B", 300e9),
    ("1.4T", 1.4e12),
    ("2T", 2e12),
    ("15T", 15e12),
    ("30T", 30e12),
    ("100T", 100e12),
];

/// Model FLOP utilisation, a control and a parameter.
const MFU: Scale = Scale::linear(0.1, 0.7, 0.05, 2);
/// Dollars per GPU-hour, a control and a parameter.
const PRICE: Scale = Scale::linear(0.5, 10.0, 0.5, 1);
/// How fast the cost of the largest runs grows each year, a control and a parameter.
const GROWTH: Scale = Scale::linear(1.5, 5.0, 0.1, 1);

/// A GPU: dense bf16 peak FLOP/s and board power in kW, from NVIDIA's data sheets (A100 SXM
/// 312 TFLOP/s, 400 W; H100 SXM 989 TFLOP/s, 700 W). Not in facts.md: they are inputs the
/// learner can change, not figures the lesson quotes.
struct Gpu {
    name: &'static str,
    peak: f64,
    kw: f64,
}

const GPUS: &[Gpu] = &[
    Gpu {
        name: "A100 312 TF/s",
        peak: 312e12,
        kw: 0.4,
    },
    Gpu {
        name: "H100 989 TF/s",
        peak: 989e12,
        kw: 0.7,
    },
];
const CLUSTER: &[usize] = &[256, 1024, 4096, 16_384, 100_000];
/// Budgets shown as bars: how many years until the run's cost reaches each.
const BUDGETS: &[(&str, f64)] = &[("$100M", 1e8), ("$1B", 1e9), ("$10B", 1e10)];
/// Parameter counts, token counts and GPUs as lessons name them (checked by a test).
const PARAM_KEYS: &[&str] = &["1.5B", "7B", "70B", "175B", "405B", "1T"];
const TOKEN_KEYS: &[&str] = &["300B", "1.4T", "2T", "15T", "30T", "100T"];
const GPU_KEYS: &[&str] = &["a100", "h100"];

/// The `cost-projector` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "cost-projector",
    title: "What a training run costs",
    about: "picks parameters, tokens, a GPU, utilisation, price, cluster size, growth and PUE; sees FLOPs from 6ND, GPU-hours, dollars, days, energy, and years until a run like it costs $100M, $1B, $10B",
    params: &[
        ParamDef {
            name: "params",
            ty: ParamType::Choice { options: PARAM_KEYS, default: "175B" },
            doc: "model parameters N",
        },
        ParamDef {
            name: "tokens",
            ty: ParamType::Choice { options: TOKEN_KEYS, default: "300B" },
            doc: "training tokens D",
        },
        ParamDef {
            name: "gpu",
            ty: ParamType::Choice { options: GPU_KEYS, default: "a100" },
            doc: "the GPU (its bf16 peak and power)",
        },
        MFU.float("mfu", 0.4, "model FLOPs utilisation"),
        PRICE.float("price", 2.0, "dollars per GPU-hour"),
        ParamDef {
            name: "gpus",
            ty: ParamType::IntAmong { allowed: CLUSTER, default: 1024 },
            doc: "GPUs in the cluster",
        },
        GROWTH.float("growth", 2.4, "cost growth per year of the largest runs"),
        ParamDef {
            name: "pue",
            ty: ParamType::Float { min: 1.0, max: 2.0, default: 1.2 },
            doc: "power usage effectiveness of the data centre",
        },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(CostProjector::new(p)?))
}

pub struct CostProjector {
    params: usize,
    tokens: usize,
    gpu: usize,
    mfu: f64,
    price: f64,
    cluster: usize,
    growth: f64,
    pue: f64,
}

impl CostProjector {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let params = p.index("params")?;
        let tokens = p.index("tokens")?;
        let gpu = p.index("gpu")?;
        let mfu = p.float("mfu")?;
        let price = p.float("price")?;
        let cluster = p.index("gpus")?;
        let growth = p.float("growth")?;
        let pue = p.float("pue")?;
        p.finish()?;
        Ok(Self {
            params,
            tokens,
            gpu,
            mfu,
            price,
            cluster,
            growth,
            pue,
        })
    }

    fn run(&self) -> Run {
        let gpu = &GPUS[self.gpu];
        Run {
            params: PARAMS[self.params].1,
            tokens: TOKENS[self.tokens].1,
            peak_flops: gpu.peak,
            mfu: self.mfu,
            price_per_gpu_hour: self.price,
            gpu_kw: gpu.kw,
            pue: self.pue,
        }
    }
}

fn names(xs: &[(&str, f64)]) -> Vec<String> {
    xs.iter().map(|x| x.0.to_string()).collect()
}

/// Dollars as `$1.40M`, `$825k`, `$3.2B`.
pub fn fmt_dollars(x: f64) -> String {
    let (v, unit) = if x >= 1e9 {
        (x / 1e9, "B")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    format!("${v:.2}{unit}")
}

impl Controls for CostProjector {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.choice("parameters N", names(PARAMS), self.params, |c, i| {
            c.params = i
        });
        k.choice("tokens D", names(TOKENS), self.tokens, |c, i| c.tokens = i);
        let gpus = GPUS.iter().map(|g| g.name.to_string()).collect();
        k.choice("GPU (bf16 peak)", gpus, self.gpu, |c, i| c.gpu = i);
        k.slider("utilisation MFU", self.mfu, MFU, |c, v| c.mfu = v);
        k.slider("$ per GPU-hour", self.price, PRICE, |c, v| c.price = v);
        let cluster = CLUSTER.iter().map(|c| fmt_count(*c as f64)).collect();
        k.choice("GPUs in the run", cluster, self.cluster, |c, i| {
            c.cluster = i
        });
        k.slider("cost growth ×/yr", self.growth, GROWTH, |c, v| {
            c.growth = v
        });
    }
}

impl Visual for CostProjector {
    fn parts(&self) -> Vec<Part> {
        let run = self.run();
        let c = run.cost();
        let gpus = CLUSTER[self.cluster] as f64;
        let years: Vec<f64> = BUDGETS
            .iter()
            .map(|(_, b)| years_until(c.dollars, *b, self.growth).unwrap_or(f64::NAN))
            .collect();
        vec![
            Part::Text(vec![
                format!(
                    "C = 6·N·D = 6 × {} × {} = {} FLOPs",
                    PARAMS[self.params].0,
                    TOKENS[self.tokens].0,
                    fmt_num(c.flops)
                ),
                format!(
                    "GPU-hours = C / ({} × {:.2}) / 3600 = {}",
                    fmt_num(run.peak_flops),
                    self.mfu,
                    fmt_count(c.gpu_hours.round())
                ),
                format!(
                    "cost = {} h × ${:.2} = {};  {} on {} GPUs",
                    fmt_num(c.gpu_hours.round()),
                    self.price,
                    fmt_dollars(c.dollars),
                    fmt_days(days_on(c.gpu_hours, gpus)),
                    fmt_count(gpus)
                ),
                format!(
                    "energy = h × {} kW × PUE {} = {} MWh",
                    run.gpu_kw,
                    self.pue,
                    fmt_num((c.kwh / 1e3).round())
                ),
                format!(
                    "at ×{:.1}/yr, years until a run like this costs:",
                    self.growth
                ),
            ]),
            Part::Bars(BarsView {
                title: String::new(),
                // A budget the run already costs more than is said so, not drawn as 0.0 years.
                labels: BUDGETS
                    .iter()
                    .map(|(name, b)| {
                        if c.dollars >= *b {
                            format!("{name} (passed)")
                        } else {
                            (*name).to_string()
                        }
                    })
                    .collect(),
                values: years,
                decimals: 1,
                highlight: None,
                max: None,
            }),
        ]
    }
}

/// A run's length in days as people say it: a decimal for short runs, whole days for long
/// ones, and years beside them past a year (`6,857 days (18.8 years)`, not `6857.1 days`).
fn fmt_days(days: f64) -> String {
    if !days.is_finite() {
        return fmt_num(days);
    }
    if days < 100.0 {
        return format!("{} days", fmt_num((days * 10.0).round() / 10.0));
    }
    let whole = fmt_count(days.round());
    if days < 365.0 {
        format!("{whole} days")
    } else {
        format!("{whole} days ({:.1} years)", days / 365.25)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_people_write_them() {
        assert_eq!(fmt_days(28.53), "28.5 days");
        assert_eq!(fmt_days(150.4), "150 days");
        assert_eq!(fmt_days(6857.1), "6,857 days (18.8 years)");
    }

    /// The option lists lessons use are the same, in the same order, as the lab's own data.
    #[test]
    fn option_lists_match_the_data() {
        assert_eq!(
            PARAM_KEYS,
            PARAMS.iter().map(|x| x.0).collect::<Vec<_>>().as_slice()
        );
        assert_eq!(
            TOKEN_KEYS,
            TOKENS.iter().map(|x| x.0).collect::<Vec<_>>().as_slice()
        );
        assert_eq!(GPU_KEYS.len(), GPUS.len());
        for (key, gpu) in GPU_KEYS.iter().zip(GPUS) {
            assert!(
                gpu.name.to_lowercase().starts_with(key),
                "{key} is not {}",
                gpu.name
            );
        }
    }
    use serde_json::{json, Map, Value};

    /// GPT-3 on A100s at 40%, $2/h (python3): 3.15e23 FLOPs, 701,122 GPU-hours, $1.40M,
    /// 701,122/1024/24 = 28.5 days, 701,122 × 0.4 × 1.2 / 1000 = 336.5 → 337 MWh;
    /// years to $1B at ×2.4: ln(1e9/1,402,243.6)/ln 2.4 = 7.50419.
    #[test]
    fn gpt3_on_a100s() {
        let map: Map<String, Value> = json!({"params": "175B", "tokens": "300B"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let lab = CostProjector::new(Params::new(&map, &KIND)).unwrap();
        let parts = lab.parts();
        let Part::Text(t) = &parts[0] else { panic!() };
        assert!(t[0].contains("3.15e23 FLOPs"), "{}", t[0]);
        assert!(t[1].ends_with("701,122"), "{}", t[1]);
        assert!(
            t[2].contains("$1.40M") && t[2].contains("28.5 days"),
            "{}",
            t[2]
        );
        assert!(t[3].contains("337 MWh"), "{}", t[3]);
        let Part::Bars(b) = &parts[1] else { panic!() };
        assert!((b.values[1] - 7.50419).abs() < 1e-5, "{:?}", b.values);
    }
}
