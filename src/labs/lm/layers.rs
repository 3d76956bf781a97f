//! The model's layers, each a type with its own `forward`, in the order a token meets them:
//! [`LayerNorm`], [`Attention`] and [`Mlp`], joined by [`Block`] around the residual stream:
//! x = x + attn(ln1(x)), then x = x + mlp(ln2(x)).
//!
//! Rows throughout: a layer reads and writes (B·T, width), B sequences of T positions one
//! after another; only attention needs the split, which [`Ctx`] carries.
//!
//! Every weight is read through the pass's adapter ([`Adapt`]): the base model reads them as
//! they are and trains them all; LoRA reads them frozen and adds its low-rank corrections at
//! the four projections ([`Site`]).
//!
//! Attention has two paths. The readable one ([`Attention::plain`]) is made of candle's basic
//! operations, q·kᵀ, the causal mask, softmax and ·v, and is the one that keeps a KV cache
//! when generating. The fast one is [`super::fused::causal_attention`], the same arithmetic
//! as one operation with a hand-written backward, which training uses. The lab's tests check
//! that the two agree, values and gradients.

use super::adapter::Adapt;
use super::fused::causal_attention;
use super::ops::{layer_norm, softmax};
use candle_core::{Device, Result, Tensor, Var};

/// One layer's keys and values so far, (B, heads, t, d_head) each: empty before the first token.
pub(crate) type KvSlot = Option<(Tensor, Tensor)>;

/// How attention runs in a pass.
pub(crate) enum Attend<'a> {
    /// Whole windows through the fused operation (training, scoring).
    Fused,
    /// Whole windows through the basic operations (the readable path).
    Plain,
    /// New tokens at positions `pos`.., attending also to the keys and values every layer
    /// left in `cache` (generation).
    Cached { cache: &'a mut [KvSlot], pos: usize },
}

/// What a layer needs besides its weights: how to read them, where it sits, and the shape of
/// its rows.
pub(crate) struct Ctx<'a> {
    pub adapter: &'a dyn Adapt,
    pub attend: Attend<'a>,
    /// Which block is running (adapters are per block).
    pub layer: usize,
    /// The rows are `seqs` sequences of `t` positions.
    pub seqs: usize,
    pub t: usize,
}

/// The four linear maps of a block, by which adapters find their place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    /// Queries, keys and values side by side: x · W_qkv.
    Qkv,
    /// The attention output's projection.
    O,
    /// The MLP's widening layer (d → 4d).
    MlpIn,
    /// The MLP's narrowing layer (4d → d).
    MlpOut,
}

impl Site {
    /// The suffix of its weight and bias names in model files (`w_qkv`, `b_qkv`, …).
    fn suffix(self) -> &'static str {
        match self {
            Site::Qkv => "qkv",
            Site::O => "o",
            Site::MlpIn => "in",
            Site::MlpOut => "out",
        }
    }
}

/// A copy of a weight (for [`super::Model::deep_copy`]) or a fresh one (for `Model::new`).
pub(crate) type MakeVar<'f> = &'f mut dyn FnMut(&Var) -> Result<Var>;

/// Parameters as the model files name them, in file order.
pub(crate) type Named<'m> = Vec<(String, &'m Var)>;

pub(crate) fn var(values: Vec<f32>, shape: &[usize]) -> Result<Var> {
    Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu)?)
}

/// x · W + b, with W stored (in, out).
pub(crate) struct Linear {
    pub w: Var,
    pub b: Var,
    pub site: Site,
}

impl Linear {
    /// x · W + b, plus the adapter's correction if it has one here.
    pub fn forward(&self, x: &Tensor, ctx: &Ctx) -> Result<Tensor> {
        self.apply(x, ctx, false)
    }

    /// max(0, x · W + b), the adapter's correction added before the ReLU. The additions and
    /// the ReLU are one operation.
    pub fn forward_relu(&self, x: &Tensor, ctx: &Ctx) -> Result<Tensor> {
        self.apply(x, ctx, true)
    }

    fn apply(&self, x: &Tensor, ctx: &Ctx, relu: bool) -> Result<Tensor> {
        (ctx.adapter).linear(ctx.layer, self.site, x, (&self.w, &self.b), relu)
    }

    fn params<'m>(&'m self, prefix: &str, out: &mut Named<'m>) {
        let s = self.site.suffix();
        out.push((format!("{prefix}w_{s}"), &self.w));
        out.push((format!("{prefix}b_{s}"), &self.b));
    }

    fn map(&self, f: MakeVar) -> Result<Self> {
        Ok(Self {
            w: f(&self.w)?,
            b: f(&self.b)?,
            site: self.site,
        })
    }
}

/// (x − mean) / √(var + ε) · g + b over each row (the fused operation of
/// [`super::ops::layer_norm`]).
pub(crate) struct LayerNorm {
    pub g: Var,
    pub b: Var,
}

impl LayerNorm {
    pub fn new(d: usize) -> Result<Self> {
        Ok(Self {
            g: var(vec![1.0; d], &[d])?,
            b: var(vec![0.0; d], &[d])?,
        })
    }

    pub fn forward(&self, x: &Tensor, ctx: &Ctx) -> Result<Tensor> {
        layer_norm(x, &ctx.adapter.read(&self.g), &ctx.adapter.read(&self.b))
    }

    pub(crate) fn params<'m>(&'m self, prefix: &str, out: &mut Named<'m>) {
        out.push((format!("{prefix}g"), &self.g));
        out.push((format!("{prefix}b"), &self.b));
    }

    pub(crate) fn map(&self, f: MakeVar) -> Result<Self> {
        Ok(Self {
            g: f(&self.g)?,
            b: f(&self.b)?,
        })
    }
}

/// Causal multi-head self-attention: queries, keys and values from one projection, each
/// position mixing the values of itself and the positions before it, heads merged back and
/// projected.
pub(crate) struct Attention {
    pub qkv: Linear,
    pub o: Linear,
    pub heads: usize,
}

impl Attention {
    pub fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Result<Tensor> {
        let qkv = self.qkv.forward(x, ctx)?;
        let (seqs, t) = (ctx.seqs, ctx.t);
        let merged = match &mut ctx.attend {
            Attend::Fused => causal_attention(&qkv, t, self.heads)?,
            Attend::Plain => self.plain(&qkv, seqs, t, 0, None)?,
            Attend::Cached { cache, pos } => {
                self.plain(&qkv, seqs, t, *pos, Some(&mut cache[ctx.layer]))?
            }
        };
        self.o.forward(&merged, ctx)
    }

    /// The readable path: qkv rows (seqs·t, 3d) of positions `pos`.. → merged heads
    /// (seqs·t, d). With a cache slot, the new keys and values join the ones kept there, and
    /// the queries attend to all of them.
    pub fn plain(
        &self,
        qkv: &Tensor,
        seqs: usize,
        t: usize,
        pos: usize,
        slot: Option<&mut KvSlot>,
    ) -> Result<Tensor> {
        let d = qkv.dim(1)? / 3;
        let (h, dh) = (self.heads, d / self.heads);
        // Each row is [q | k | v], head h at columns h·dₕ.. of its part: (seqs, heads, t, dₕ).
        let qkv = qkv.reshape((seqs, t, 3, h, dh))?;
        let part = |i: usize| {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, mut k, mut v) = (part(0)?, part(1)?, part(2)?);
        if let Some(slot) = slot {
            if let Some((k0, v0)) = slot.take() {
                k = Tensor::cat(&[&k0, &k], 2)?;
                v = Tensor::cat(&[&v0, &v], 2)?;
            }
            *slot = Some((k.clone(), v.clone()));
        }
        let scale = 1.0 / (dh as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?; // (seqs, heads, t, pos + t)
        let scores = if t > 1 {
            scores.broadcast_add(&causal_mask(t, pos)?)?
        } else {
            scores // one new position sees every key: nothing to hide
        };
        let weights = softmax(&scores)?;
        weights.matmul(&v)?.transpose(1, 2)?.reshape((seqs * t, d))
    }

    fn params<'m>(&'m self, prefix: &str, out: &mut Named<'m>) {
        self.qkv.params(prefix, out);
        self.o.params(prefix, out);
    }

    fn map(&self, f: MakeVar) -> Result<Self> {
        Ok(Self {
            qkv: self.qkv.map(f)?,
            o: self.o.map(f)?,
            heads: self.heads,
        })
    }
}

/// (t, pos + t): 0 where query i (at position pos + i) may look, −∞ at the keys after it.
fn causal_mask(t: usize, pos: usize) -> Result<Tensor> {
    let keys = pos + t;
    let mask: Vec<f32> = (0..t * keys)
        .map(|n| {
            if n % keys > pos + n / keys {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    Tensor::from_vec(mask, (t, keys), &Device::Cpu)
}

/// The position-wise MLP: widen to 4d, ReLU, narrow back to d.
pub(crate) struct Mlp {
    pub up: Linear,
    pub down: Linear,
}

impl Mlp {
    pub fn forward(&self, x: &Tensor, ctx: &Ctx) -> Result<Tensor> {
        self.down.forward(&self.up.forward_relu(x, ctx)?, ctx)
    }

    fn params<'m>(&'m self, prefix: &str, out: &mut Named<'m>) {
        self.up.params(prefix, out);
        self.down.params(prefix, out);
    }

    fn map(&self, f: MakeVar) -> Result<Self> {
        Ok(Self {
            up: self.up.map(f)?,
            down: self.down.map(f)?,
        })
    }
}

/// A pre-LN transformer block.
pub(crate) struct Block {
    pub ln1: LayerNorm,
    pub attn: Attention,
    pub ln2: LayerNorm,
    pub mlp: Mlp,
}

impl Block {
    pub fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Result<Tensor> {
        let x = (x + self.attn.forward(&self.ln1.forward(x, ctx)?, ctx)?)?;
        &x + self.mlp.forward(&self.ln2.forward(&x, ctx)?, ctx)?
    }

    /// A block of width `d` with `heads` heads; `matrix(inputs, outputs, std)` draws each
    /// projection (in the order W_qkv, W_o, W_in, W_out), biases start at 0, gains at 1.
    pub fn new(
        d: usize,
        heads: usize,
        std: f64,
        resid_std: f64,
        matrix: &mut dyn FnMut(usize, usize, f64) -> Result<Var>,
    ) -> Result<Self> {
        let mut linear = |i: usize, o: usize, std: f64, site: Site| -> Result<Linear> {
            Ok(Linear {
                w: matrix(i, o, std)?,
                b: var(vec![0.0; o], &[o])?,
                site,
            })
        };
        let qkv = linear(d, 3 * d, std, Site::Qkv)?;
        let o = linear(d, d, resid_std, Site::O)?;
        let up = linear(d, 4 * d, std, Site::MlpIn)?;
        let down = linear(4 * d, d, resid_std, Site::MlpOut)?;
        Ok(Self {
            ln1: LayerNorm::new(d)?,
            attn: Attention { qkv, o, heads },
            ln2: LayerNorm::new(d)?,
            mlp: Mlp { up, down },
        })
    }

    /// Its parameters as model files name them (`h0.ln1.g`, `h0.attn.w_qkv`, …), in file
    /// order.
    pub fn params<'m>(&'m self, layer: usize, out: &mut Named<'m>) {
        self.ln1.params(&format!("h{layer}.ln1."), out);
        self.attn.params(&format!("h{layer}.attn."), out);
        self.ln2.params(&format!("h{layer}.ln2."), out);
        self.mlp.params(&format!("h{layer}.mlp."), out);
    }

    pub fn map(&self, f: MakeVar) -> Result<Self> {
        Ok(Self {
            ln1: self.ln1.map(f)?,
            attn: self.attn.map(f)?,
            ln2: self.ln2.map(f)?,
            mlp: self.mlp.map(f)?,
        })
    }
}

#[cfg(test)]
mod tests;
