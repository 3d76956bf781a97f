//! The tiny model stored in 4 bits, as QLoRA stores its frozen base: every linear matrix of
//! every block (W_qkv, W_o, W_in, W_out) is quantized blockwise with [`crate::labs::part5_adapting::quantize`]
//! and read back; embeddings, biases and layer norms stay in full precision, as they do in
//! QLoRA. The read-back model is an ordinary [`Model`], so its validation loss shows what the
//! rounding costs.

use super::model::Model;
use crate::labs::part5_adapting::quantize::{
    block_errors, dequantize, dequantize_with, double_quantize, quantize, BlockError, Code,
    DOUBLE_QUANT_BLOCK,
};
use candle_core::{Result, Tensor};

/// One quantized matrix: its name, size, error and bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixReport {
    pub name: String,
    pub weights: usize,
    /// Mean squared error over the matrix's weights.
    pub mse: f64,
    /// Errors block by block.
    pub blocks: Vec<BlockError>,
}

/// What quantizing a model did.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantReport {
    pub code: Code,
    pub block: usize,
    pub double_quant: bool,
    pub matrices: Vec<MatrixReport>,
    /// Weights quantized (the linear matrices).
    pub quantized_weights: usize,
    /// Bytes of those weights in fp32 before.
    pub fp32_bytes: usize,
    /// Bytes after: half a byte per weight plus the scale constants.
    pub bytes: usize,
    /// Bytes of the scale constants alone.
    pub constant_bytes: usize,
}

/// Quantizes every linear matrix of `model` and returns the read-back model with a report.
/// With `double_quant` the absmax constants are themselves stored in 8 bits (blocks of 256)
/// and the read-back uses those restored constants.
pub fn quantize_model(
    model: &Model,
    block: usize,
    code: Code,
    double_quant: bool,
) -> Result<(Model, QuantReport)> {
    let out = model.deep_copy()?;
    let mut matrices = Vec::new();
    let (mut n, mut constant_bytes) = (0usize, 0usize);
    for (i, blk) in out.blocks.iter().enumerate() {
        for (name, var) in [
            ("attn.w_qkv", &blk.attn.qkv.w),
            ("attn.w_o", &blk.attn.o.w),
            ("mlp.w_in", &blk.mlp.up.w),
            ("mlp.w_out", &blk.mlp.down.w),
        ] {
            let original: Vec<f32> = var.as_tensor().flatten_all()?.to_vec1()?;
            let q = quantize(&original, block, code);
            let restored = if double_quant {
                let dq = double_quantize(&q.absmax, DOUBLE_QUANT_BLOCK);
                // One byte per absmax plus one fp32 scale per 256 of them (and the mean).
                constant_bytes += dq.codes.len() + 4 * dq.scales.len() + 4;
                dequantize_with(&q, &dq.restore())
            } else {
                constant_bytes += 4 * q.absmax.len();
                dequantize(&q)
            };
            matrices.push(MatrixReport {
                name: format!("h{i}.{name}"),
                weights: original.len(),
                mse: crate::labs::part5_adapting::quantize::mse(&original, &restored),
                blocks: block_errors(&original, &restored, block),
            });
            n += original.len();
            var.set(&Tensor::from_vec(restored, var.shape(), var.device())?)?;
        }
    }
    Ok((
        out,
        QuantReport {
            code,
            block,
            double_quant,
            matrices,
            quantized_weights: n,
            fp32_bytes: 4 * n,
            bytes: n.div_ceil(2) + constant_bytes,
            constant_bytes,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::lm::{Config, Vocab};

    fn small() -> Model {
        let vocab = Vocab::for_corpus("");
        let cfg = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 2,
            heads: 2,
            context: 8,
        };
        Model::new(cfg, vocab, 6).unwrap()
    }

    #[test]
    fn every_linear_matrix_is_rounded_within_half_a_gap_and_counted() {
        let model = small();
        let (q, report) = quantize_model(&model, 64, Code::Nf4, false).unwrap();
        // Per layer: W_qkv 16·48 = 768, W_o 256, W_in 16·64 = 1,024, W_out 1,024: 3,072;
        // two layers 6,144 weights, 96 blocks of 64: bytes 3,072 + 4·96 = 3,456.
        assert_eq!(report.quantized_weights, 6_144);
        assert_eq!(report.matrices.len(), 8);
        assert_eq!(report.constant_bytes, 384);
        assert_eq!(report.bytes, 3_456);
        assert_eq!(report.fp32_bytes, 24_576);
        // Every weight is within half NF4's widest gap times its block's absmax.
        let half_gap = f64::from(Code::Nf4.largest_gap()) / 2.0;
        for m in &report.matrices {
            for b in &m.blocks {
                assert!(b.max_abs <= half_gap * f64::from(b.absmax) + 1e-7);
            }
        }
        // The embeddings are untouched, the original model too.
        let wte =
            |m: &Model| -> Vec<f32> { m.wte.as_tensor().flatten_all().unwrap().to_vec1().unwrap() };
        assert_eq!(wte(&q), wte(&model));
        let w = |m: &Model| -> Vec<f32> {
            m.blocks[0]
                .attn
                .o
                .w
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        assert_ne!(w(&q), w(&model));
        assert!(report.matrices.iter().all(|m| m.mse > 0.0));
    }

    #[test]
    fn double_quantization_shrinks_the_constants() {
        let model = small();
        let (_, plain) = quantize_model(&model, 64, Code::Int4, false).unwrap();
        let (_, dq) = quantize_model(&model, 64, Code::Int4, true).unwrap();
        // Per matrix: 768/64 = 12, 4, 16, 16 blocks; each matrix's constants become one
        // byte per block + one fp32 scale (a single block of ≤ 256) + the fp32 mean:
        // (12 + 8) + (4 + 8) + (16 + 8) + (16 + 8) = 80 per layer, 160 for two, against
        // 4 · 96 = 384 bytes in fp32.
        assert_eq!(dq.constant_bytes, 160);
        assert_eq!(plain.constant_bytes, 384);
    }
}
