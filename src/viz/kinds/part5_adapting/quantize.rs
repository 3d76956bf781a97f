//! Lesson 21: the shipped model's weights stored in 4 bits, NF4 against uniform int4
//! ([`crate::labs::part5_adapting::quantize`]): reconstruction error per block, validation loss before and after,
//! bytes, and what double quantization saves on the scale constants. The quantizing and the
//! three validation losses run in the background from the first poll.

use crate::jobs::{Job, Waker};
use crate::labs::fmt_num;
use crate::labs::lm::quantized::{quantize_model, QuantReport};
use crate::labs::lm::{self, loss::mean_loss};
use crate::labs::part5_adapting::quantize::{scale_bits_per_weight, Code, DOUBLE_QUANT_BLOCK};
use crate::viz::kinds::part4_pretraining::lm_common;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Visual};

const BLOCKS: [usize; 4] = [32, 64, 128, 256];
/// The matrices a learner can look into (layer 0's four, then layer 1's).
const MATRICES: usize = 8;
/// Blocks shown in the per-block chart.
const SHOWN_BLOCKS: usize = 12;
/// Validation characters scored for each model.
const EVAL_CHARS: usize = 8192;

pub const KIND: KindDef = KindDef {
    name: "quantize",
    title: "4-bit weights: NF4 against int4",
    about: "quantizes every linear matrix of the shipped model blockwise to 4 bits with NF4 and with uniform int4: mean squared error, validation loss before and after, bytes; the error of each block of a chosen matrix; the scale constants with and without double quantization; block size and matrix",
    params: &[
        ParamDef { name: "block", ty: ParamType::IntAmong { allowed: &BLOCKS, default: 64 }, doc: "weights per block (one absmax scale each)" },
        ParamDef { name: "double_quant", ty: ParamType::Bool { default: false }, doc: "store the absmax scales in 8 bits (blocks of 256)" },
        ParamDef { name: "matrix", ty: ParamType::Int { min: 0, max: 7, default: 2 }, doc: "which matrix's blocks to chart (0-3: layer 0's W_qkv, W_o, W_in, W_out; 4-7: layer 1's)" },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Quantize::new(p)?))
}

/// What the background work computes.
struct Results {
    base_loss: f32,
    /// Int4 then NF4: the report and the quantized model's validation loss.
    codes: Vec<(QuantReport, f32)>,
    /// Bytes of the NF4 scale constants without and with double quantization.
    constants: (usize, usize),
}

pub struct Quantize {
    block: usize,
    double_quant: bool,
    matrix: usize,
    work: Option<Job<Result<Results, String>>>,
    results: Option<Result<Results, String>>,
}

/// Quantizes and scores; between stages asks `stopped` whether anyone still wants the result
/// (a panel left mid-way must not keep a core busy for seconds).
fn compute(
    block: usize,
    double_quant: bool,
    stopped: &dyn Fn() -> bool,
) -> Result<Results, String> {
    let check = || {
        if stopped() {
            Err("stopped: the panel was closed".to_string())
        } else {
            Ok(())
        }
    };
    let base = lm::base_model()?;
    let val = lm_common::corpus();
    let ids = &val.val[..EVAL_CHARS.min(val.val.len())];
    let e = |e: candle_core::Error| e.to_string();
    check()?;
    let base_loss = mean_loss(base, ids).map_err(e)?;
    let mut codes = Vec::new();
    for code in Code::ALL {
        check()?;
        let (model, report) = quantize_model(base, block, code, double_quant).map_err(e)?;
        check()?;
        codes.push((report, mean_loss(&model, ids).map_err(e)?));
    }
    let constants = |dq: bool| -> Result<usize, String> {
        check()?;
        Ok(quantize_model(base, block, Code::Nf4, dq)
            .map_err(e)?
            .1
            .constant_bytes)
    };
    Ok(Results {
        base_loss,
        codes,
        constants: (constants(false)?, constants(true)?),
    })
}

impl Quantize {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let block = p.index("block")?;
        let double_quant = p.boolean("double_quant")?;
        let matrix = p.int("matrix")? as usize;
        p.finish()?;
        Ok(Self {
            block,
            double_quant,
            matrix,
            work: None,
            results: None,
        })
    }

    fn table(&self, r: &Results) -> Part {
        let mut rows = vec![vec![
            "fp32 (as trained)".into(),
            "0".into(),
            format!("{:.4}", r.base_loss),
            fmt_kib(r.codes.first().map_or(0, |c| c.0.fp32_bytes)),
            "32".into(),
        ]];
        for (report, loss) in &r.codes {
            let mse = report
                .matrices
                .iter()
                .map(|m| m.mse * m.weights as f64)
                .sum::<f64>()
                / report.quantized_weights.max(1) as f64;
            rows.push(vec![
                report.code.name().into(),
                fmt_num(mse),
                format!("{loss:.4}"),
                fmt_kib(report.bytes),
                format!(
                    "{:.3}",
                    8.0 * report.bytes as f64 / report.quantized_weights.max(1) as f64
                ),
            ]);
        }
        Part::Table(TableView {
            title: format!(
                "linear weights, blocks of {}: val loss on {EVAL_CHARS} chars",
                BLOCKS[self.block]
            ),
            headers: ["code", "MSE", "val loss", "bytes", "bits/weight"]
                .map(String::from)
                .to_vec(),
            rows,
            highlight: None,
        })
    }

    fn bars(&self, r: &Results) -> Part {
        let nf4 = r.codes.iter().find(|c| c.0.code == Code::Nf4);
        let int4 = r.codes.iter().find(|c| c.0.code == Code::Int4);
        let (Some(nf4), Some(int4)) = (nf4, int4) else {
            return Part::Text(vec![]);
        };
        let i = self.matrix.min(nf4.0.matrices.len().saturating_sub(1));
        let (a, b) = (&int4.0.matrices[i], &nf4.0.matrices[i]);
        let mut labels = Vec::new();
        let mut values = Vec::new();
        for (k, (x, y)) in a
            .blocks
            .iter()
            .zip(&b.blocks)
            .take(SHOWN_BLOCKS / 2)
            .enumerate()
        {
            labels.push(format!("b{k} int4"));
            values.push(x.mse * 1e6);
            labels.push(format!("b{k} NF4"));
            values.push(y.mse * 1e6);
        }
        Part::Bars(BarsView {
            title: format!("{}: MSE per block (×10⁻⁶), first blocks", a.name),
            labels,
            values,
            decimals: 2,
            highlight: None,
            max: None,
        })
    }

    fn constants_line(&self, r: &Results) -> String {
        let b = BLOCKS[self.block];
        format!(
            "scales: {} B in fp32 ({} bits/weight) -> {} B double-quantized ({} bits/weight)",
            r.constants.0,
            fmt_num(scale_bits_per_weight(b, None)),
            r.constants.1,
            fmt_num(scale_bits_per_weight(b, Some(DOUBLE_QUANT_BLOCK))),
        )
    }
}

fn fmt_kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

impl Controls for Quantize {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = ["W_qkv", "W_o", "W_in", "W_out"];
        let matrices = (0..MATRICES)
            .map(|i| format!("layer {} {}", i / 4, names[i % 4]))
            .collect();
        // The block and double quantization change what is measured: the work starts again.
        let blocks = BLOCKS.iter().map(ToString::to_string).collect();
        k.choice("block", blocks, self.block, |q, i| {
            q.block = i;
            q.work = None;
            q.results = None;
        });
        k.toggle("double quant", self.double_quant, |q, on| {
            q.double_quant = on;
            q.work = None;
            q.results = None;
        });
        k.choice("matrix", matrices, self.matrix, |q, i| q.matrix = i);
    }
}

impl Visual for Quantize {
    fn busy(&self) -> bool {
        self.results.is_none()
    }

    fn poll(&mut self, waker: &Waker) -> bool {
        if self.results.is_some() {
            return false;
        }
        let Some(work) = &mut self.work else {
            let (block, dq) = (BLOCKS[self.block], self.double_quant);
            self.work = Some(Job::spawn("quantize", waker, move |tx| {
                let result = compute(block, dq, &|| tx.closed());
                let _ = tx.send(result);
            }));
            return true;
        };
        let got = work.drain().pop();
        match got {
            Some(r) => {
                self.results = Some(r);
                true
            }
            None if !work.live() => {
                self.results = Some(Err("the quantizing thread stopped".into()));
                true
            }
            None => false,
        }
    }

    fn parts(&self) -> Vec<Part> {
        match &self.results {
            None => vec![Part::Text(vec![format!(
                "quantizing the shipped model's weights and scoring {EVAL_CHARS} characters three times…"
            )])],
            Some(Err(e)) => vec![Part::Text(vec![format!("failed: {e}")])],
            Some(Ok(r)) => vec![
                self.table(r),
                Part::Text(vec![self.constants_line(r)]),
                self.bars(r),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    #[test]
    fn work_nobody_wants_stops_before_its_first_stage() {
        let asked = std::cell::Cell::new(0);
        let r = compute(64, false, &|| {
            asked.set(asked.get() + 1);
            true
        });
        assert!(matches!(r, Err(e) if e.starts_with("stopped")));
        assert_eq!(asked.get(), 1, "asked once, before scoring anything");
    }

    #[test]
    fn nf4_beats_int4_on_the_trained_weights_and_double_quant_saves() {
        let map: Map<String, Value> = serde_json::from_value(json!({})).unwrap();
        let mut q = Quantize::new(Params::new(&map, &KIND)).unwrap();
        assert!(q.busy());
        while q.busy() {
            if !q.poll(&crate::jobs::Waker::none()) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        let r = q.results.as_ref().unwrap().as_ref().unwrap();
        let (int4, nf4) = (&r.codes[0], &r.codes[1]);
        assert_eq!(int4.0.code, Code::Int4);
        let total = |rep: &QuantReport| rep.matrices.iter().map(|m| m.mse).sum::<f64>();
        assert!(total(&nf4.0) < total(&int4.0));
        // Both lose a little against fp32; NF4 less.
        assert!(
            nf4.1 >= r.base_loss - 1e-3 && nf4.1 <= int4.1 + 1e-3,
            "{} {} {}",
            r.base_loss,
            nf4.1,
            int4.1
        );
        // Same bytes for both codes: 4 bits a weight plus the same scales.
        assert_eq!(int4.0.bytes, nf4.0.bytes);
        // The shipped model's linear weights: per layer 96·288 + 96·96 + 96·384 + 384·96 =
        // 110,592; two layers 221,184, /64 = 3,456 blocks · 4 B = 13,824 B of scales.
        assert_eq!(nf4.0.quantized_weights, 221_184);
        assert_eq!(r.constants.0, 13_824);
        assert!(r.constants.1 < r.constants.0 / 3);
    }
}
