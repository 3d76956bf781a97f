//! Model and checkpoint files: safetensors (f32, little-endian) with the model's shape and
//! alphabet in the header's metadata, so one file is a complete model.
//!
//! A *model file* holds the weights. A *checkpoint* adds what resuming needs: the optimizer's
//! moments (`adam.m.<name>`, `adam.v.<name>`), its step, the batch generator's state, the
//! step count and the recipe. Errors name the file and what is wrong with it.
//!
//! A model file is input from anyone: [`read`] refuses anything but a regular file, checks
//! the header's shape against named limits ([`MAX_CONTEXT`], [`MAX_D_MODEL`], [`MAX_LAYERS`],
//! [`MAX_HEADS`], [`MAX_VOCAB`], [`MAX_PARAMS`]) before it reads the weights, and reads no
//! more than that shape needs; loading refuses an alphabet with control characters and
//! weights that are not finite. The limits sit far above every preset (the shipped model:
//! d 96, 2 layers, 4 heads, context 64, 119 symbols, 241,440 parameters) and far below what
//! would exhaust a laptop.
//!
//! [`write`] never leaves a half-written file under the final name: it writes a temporary
//! file beside the target, syncs it, renames it over the target and syncs the folder. A
//! target that is a symbolic link (or not a regular file) is refused: writing through it
//! would replace a file the learner did not name.

use super::config::{Config, TrainConfig};
use super::model::Model;
use super::optim::AdamW;
use super::rng::Rng;
use super::train::TrainState;
use super::vocab::Vocab;
use candle_core::{Device, Tensor, Var};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

use std::io::Read;
use std::path::Path;

mod files;
mod limits;
pub use files::{check_target, write, write_private, write_with};
pub use limits::{
    check_alphabet, check_recipe, check_shape, MAX_BATCH, MAX_CONTEXT, MAX_D_MODEL, MAX_HEADS,
    MAX_LAYERS, MAX_PARAMS, MAX_STEPS, MAX_VOCAB,
};

/// Written into every file's metadata; a different value means a different format.
pub const FORMAT: &str = "llmf-char-gpt/1";

/// The longest JSON header (names, shapes, the alphabet and the recipe take a few KB).
pub const MAX_HEADER: usize = 1 << 20;

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

/// Reads a model file or checkpoint: a regular file only (a FIFO or device is refused at
/// once), its header's shape checked against the limits before the weights are read, and
/// no more bytes read than that shape needs (a checkpoint holds three copies of the weights).
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    use crate::text::safe_read;
    let origin = path.display().to_string();
    let (file, len) = safe_read::open_regular(path)?;
    let mut file = file;
    let mut head = [0u8; 8];
    file.read_exact(&mut head).map_err(|_| {
        format!(
            "{origin}: not a safetensors file (shorter than 8 bytes); make one with `llmf train`"
        )
    })?;
    let n = u64::from_le_bytes(head);
    if n > MAX_HEADER as u64 || n + 8 > len {
        return Err(format!(
            "{origin}: not a model file: its header claims {n} bytes (the file has {len}, llmf \
             reads at most {}); make one with `llmf train`",
            safe_read::human(MAX_HEADER as u64)
        ));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header)
        .map_err(|e| format!("{origin}: cannot read its header: {e}"))?;
    let meta = header_metadata(&header, &origin)?;
    let (config, _) = shape(&meta, &origin)?;
    // Weights, and for a checkpoint two optimizer moments per weight, as f32.
    let most = 8 + n + 3 * 4 * config.param_count() as u64;
    if len > most {
        return Err(format!(
            "{origin}: {len} bytes, more than the {most} its header's shape needs: not a model \
             file written by `llmf train`"
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&header);
    file.take(most - 8 - n)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{origin}: cannot read: {e}"))?;
    Ok(bytes)
}

/// The `__metadata__` of a safetensors JSON header (string values only).
fn header_metadata(header: &[u8], origin: &str) -> Result<HashMap<String, String>, String> {
    let value: serde_json::Value = serde_json::from_slice(header).map_err(|e| {
        format!("{origin}: not a safetensors file (header: {e}); make one with `llmf train`")
    })?;
    let meta = value
        .get("__metadata__")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(meta)
}

/// The format, shape and alphabet a file's metadata declares, all checked.
fn shape(meta: &HashMap<String, String>, origin: &str) -> Result<(Config, Vocab), String> {
    match meta.get("format") {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(format!(
                "{origin}: format \"{}\" is not {FORMAT}; make a new file with `llmf train`",
                crate::text::sanitize::field(f)
            ))
        }
        None => {
            return Err(format!(
                "{origin}: no \"format\" in the metadata: not an llmf model (make one with `llmf train`)"
            ))
        }
    }
    let get = |key: &str| {
        meta.get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("{origin}: metadata \"{key}\" is missing"))
    };
    let config: Config = serde_json::from_str(get("config")?)
        .map_err(|e| format!("{origin}: metadata \"config\": {e}"))?;
    check_shape(&config).map_err(|e| format!("{origin}: {e}"))?;
    let alphabet = get("alphabet")?;
    check_alphabet(alphabet).map_err(|e| format!("{origin}: metadata \"alphabet\" {e}"))?;
    let vocab = Vocab::from_chars(alphabet.to_string())
        .map_err(|e| format!("{origin}: metadata \"alphabet\": {e}"))?;
    if vocab.len() != config.vocab {
        return Err(format!(
            "{origin}: the alphabet has {} symbols but the config says {}",
            vocab.len(),
            config.vocab
        ));
    }
    Ok((config, vocab))
}

struct Parsed<'a> {
    st: SafeTensors<'a>,
    meta: HashMap<String, String>,
    origin: &'a str,
    config: Config,
    vocab: Vocab,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8], origin: &'a str) -> Result<Self, String> {
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| {
            format!("{origin}: not a safetensors file ({e}); make one with `llmf train`")
        })?;
        let meta = header.metadata().clone().unwrap_or_default();
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| format!("{origin}: damaged safetensors file: {e}"))?;
        let (config, vocab) = shape(&meta, origin)?;
        Ok(Self {
            st,
            meta,
            origin,
            config,
            vocab,
        })
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
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "{}: tensor \"{name}\" holds {} at index {i}: a damaged file or a run that \
                 diverged; such weights would generate nothing readable (retrain it, perhaps \
                 with a lower learning rate)",
                self.origin, values[i]
            ));
        }
        Ok(values)
    }

    fn model(&self) -> Result<Model, String> {
        let model = Model::new(self.config, self.vocab.clone(), 0)
            .map_err(|e| format!("{}: {e}", self.origin))?;
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
    check_recipe(&recipe).map_err(|e| format!("{origin}: metadata \"recipe\": {e}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_checks_the_header_before_the_weights() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let vocab = super::super::Data::corpus().vocab;
        let config = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 16,
        };
        let model = Model::new(config, vocab, 1).unwrap();
        let bytes = model_bytes(&model).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), bytes);
        std::fs::write(&path, &bytes[..6]).unwrap();
        assert!(read(&path).unwrap_err().contains("shorter than 8 bytes"));
        let e = read(dir.path()).unwrap_err();
        assert!(e.contains("a folder"), "{e}");
    }
}
