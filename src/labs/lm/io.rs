//! Model and checkpoint files: safetensors (f32, little-endian) with the model's shape and
//! alphabet in the header's metadata, so one file is a complete model.
//!
//! A *model file* holds the weights. A *checkpoint* adds what resuming needs: the optimizer's
//! moments (`adam.m.<name>`, `adam.v.<name>`), its step, the batch generator's state, the
//! step count and the recipe. Errors name the file and what is wrong with it.

use super::config::{Config, TrainConfig};
use super::model::Model;
use super::optim::AdamW;
use super::rng::Rng;
use super::train::TrainState;
use super::vocab::Vocab;
use candle_core::{Device, Tensor, Var};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

/// Written into every file's metadata; a different value means a different format.
pub const FORMAT: &str = "llmf-char-gpt/1";

type Named = Vec<(String, Vec<usize>, Vec<u8>)>;

fn le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn model_tensors(model: &Model) -> Result<Named, String> {
    model
        .params()
        .into_iter()
        .map(|(name, v)| {
            let values: Vec<f32> = v
                .as_tensor()
                .flatten_all()
                .and_then(|t| t.to_vec1())
                .map_err(|e| e.to_string())?;
            Ok((name, v.dims().to_vec(), le_bytes(&values)))
        })
        .collect()
}

fn serialize(tensors: &Named, meta: HashMap<String, String>) -> Result<Vec<u8>, String> {
    let views = tensors
        .iter()
        .map(|(n, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|v| (n.clone(), v))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())?;
    canonical_header(bytes)
}

/// The same file with its JSON header's keys in sorted order. `safetensors` writes the
/// metadata from a `HashMap`, whose order changes from run to run; sorting makes the same
/// weights give the same bytes, so `llmf train` can show that it reproduced the shipped model.
fn canonical_header(mut bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let ordered: std::collections::BTreeMap<String, serde_json::Value> =
                    map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
                serde_json::Value::Object(ordered.into_iter().collect())
            }
            other => other,
        }
    }
    let len_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or("safetensors output shorter than its header length")?;
    let n = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|e| e.to_string())?;
    let header = bytes
        .get(8..8 + n)
        .ok_or("safetensors header longer than the output")?;
    let value: serde_json::Value = serde_json::from_slice(header).map_err(|e| e.to_string())?;
    let mut text = serde_json::to_string(&sorted(value)).map_err(|e| e.to_string())?;
    if text.len() > n {
        return Err("sorted safetensors header does not fit its space".into());
    }
    // The writer pads the header with spaces to a multiple of 8 bytes; keep its length.
    text.extend(std::iter::repeat_n(' ', n - text.len()));
    bytes[8..8 + n].copy_from_slice(text.as_bytes());
    Ok(bytes)
}

fn base_meta(model: &Model) -> Result<HashMap<String, String>, String> {
    let mut meta = HashMap::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert(
        "config".into(),
        serde_json::to_string(&model.config).map_err(|e| e.to_string())?,
    );
    meta.insert("alphabet".into(), model.vocab.as_string());
    Ok(meta)
}

/// A model as the bytes of a safetensors file.
pub fn model_bytes(model: &Model) -> Result<Vec<u8>, String> {
    serialize(&model_tensors(model)?, base_meta(model)?)
}

/// A checkpoint as the bytes of a safetensors file.
pub fn checkpoint_bytes(state: &TrainState) -> Result<Vec<u8>, String> {
    let mut tensors = model_tensors(&state.model)?;
    for (i, (name, v)) in state.model.params().into_iter().enumerate() {
        let shape = v.dims().to_vec();
        tensors.push((
            format!("adam.m.{name}"),
            shape.clone(),
            le_bytes(&state.opt.m[i]),
        ));
        tensors.push((format!("adam.v.{name}"), shape, le_bytes(&state.opt.v[i])));
    }
    let mut meta = base_meta(&state.model)?;
    meta.insert("step".into(), state.step.to_string());
    meta.insert("adam_step".into(), state.opt.step.to_string());
    meta.insert("rng".into(), state.rng.state().to_string());
    meta.insert("tokens_seen".into(), state.tokens_seen.to_string());
    meta.insert(
        "recipe".into(),
        serde_json::to_string(&state.recipe).map_err(|e| e.to_string())?,
    );
    serialize(&tensors, meta)
}

/// Writes bytes, naming the file if it fails.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Reads a file, naming it if it fails.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

struct Parsed<'a> {
    st: SafeTensors<'a>,
    meta: HashMap<String, String>,
    origin: &'a str,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8], origin: &'a str) -> Result<Self, String> {
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| {
            format!("{origin}: not a safetensors file ({e}); make one with `llmf train`")
        })?;
        let meta = header.metadata().clone().unwrap_or_default();
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| format!("{origin}: damaged safetensors file: {e}"))?;
        match meta.get("format") {
            Some(f) if f == FORMAT => {}
            Some(f) => {
                return Err(format!(
                    "{origin}: format \"{f}\" is not {FORMAT}; make a new file with `llmf train`"
                ))
            }
            None => {
                return Err(format!(
                    "{origin}: no \"format\" in the metadata: not an llmf model (make one with `llmf train`)"
                ))
            }
        }
        Ok(Self { st, meta, origin })
    }

    fn meta(&self, key: &str) -> Result<&str, String> {
        self.meta
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("{}: metadata \"{key}\" is missing", self.origin))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T, String> {
        let s = self.meta(key)?;
        s.parse().map_err(|_| {
            format!(
                "{}: metadata \"{key}\" = {s:?} is not a number",
                self.origin
            )
        })
    }

    fn floats(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let view = self
            .st
            .tensor(name)
            .map_err(|_| format!("{}: tensor \"{name}\" is missing", self.origin))?;
        if view.dtype() != Dtype::F32 || view.shape() != shape {
            return Err(format!(
                "{}: tensor \"{name}\" is {:?} {:?}, expected F32 {shape:?}",
                self.origin,
                view.dtype(),
                view.shape()
            ));
        }
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn model(&self) -> Result<Model, String> {
        let config: Config = serde_json::from_str(self.meta("config")?)
            .map_err(|e| format!("{}: metadata \"config\": {e}", self.origin))?;
        config
            .check()
            .map_err(|e| format!("{}: {e}", self.origin))?;
        let vocab = Vocab::from_chars(self.meta("alphabet")?.to_string())
            .map_err(|e| format!("{}: metadata \"alphabet\": {e}", self.origin))?;
        let model = Model::new(config, vocab, 0).map_err(|e| format!("{}: {e}", self.origin))?;
        for (name, var) in model.params() {
            let values = self.floats(&name, var.dims())?;
            set(var, values, self.origin, &name)?;
        }
        Ok(model)
    }
}

fn set(var: &Var, values: Vec<f32>, origin: &str, name: &str) -> Result<(), String> {
    Tensor::from_vec(values, var.shape(), &Device::Cpu)
        .and_then(|t| var.set(&t))
        .map_err(|e| format!("{origin}: tensor \"{name}\": {e}"))
}

/// Loads a model from a model file's or a checkpoint's bytes; `origin` names it in errors.
pub fn load_model(bytes: &[u8], origin: &str) -> Result<Model, String> {
    Parsed::new(bytes, origin)?.model()
}

/// Loads a checkpoint to resume training from.
pub fn load_checkpoint(bytes: &[u8], origin: &str) -> Result<TrainState, String> {
    let p = Parsed::new(bytes, origin)?;
    let model = p.model()?;
    let recipe: TrainConfig = serde_json::from_str(p.meta("recipe").map_err(|_| {
        format!("{origin}: a model file, not a checkpoint (no training state to resume)")
    })?)
    .map_err(|e| format!("{origin}: metadata \"recipe\": {e}"))?;
    let mut opt = AdamW::new(
        &model,
        recipe.beta1,
        recipe.beta2,
        recipe.eps,
        recipe.weight_decay,
    );
    for (i, (name, var)) in model.params().into_iter().enumerate() {
        opt.m[i] = p.floats(&format!("adam.m.{name}"), var.dims())?;
        opt.v[i] = p.floats(&format!("adam.v.{name}"), var.dims())?;
    }
    opt.step = p.number("adam_step")?;
    Ok(TrainState {
        rng: Rng::from_state(p.number("rng")?),
        step: p.number("step")?,
        tokens_seen: p.number("tokens_seen")?,
        model,
        opt,
        recipe,
    })
}
