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
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Written into every file's metadata; a different value means a different format.
pub const FORMAT: &str = "llmf-char-gpt/1";

/// The longest context a model file may declare (the presets use 16 to 64).
pub const MAX_CONTEXT: usize = 1024;
/// The widest model (the presets use 16 to 96).
pub const MAX_D_MODEL: usize = 1024;
/// The most layers (the presets use 1 or 2).
pub const MAX_LAYERS: usize = 32;
/// The most attention heads (the presets use 2 or 4).
pub const MAX_HEADS: usize = 32;
/// The largest alphabet (the course's corpus gives 119 symbols).
pub const MAX_VOCAB: usize = 65_536;
/// The most parameters (16 Mi, 64 MiB of f32 weights; the shipped model has 241,440).
pub const MAX_PARAMS: usize = 16 << 20;
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

/// Checks, before anything is written, that `path` can take a model or recipe: not a
/// symbolic link, not a folder or device, in a folder that exists. `llmf train` asks this
/// before a run, so a bad `--out` is refused at once, not after minutes of training.
pub fn check_target(path: &Path) -> Result<(), String> {
    let name = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(format!(
                "{name} is a symbolic link: llmf does not write through links (it would replace \
                 the file the link points to); remove the link or give another file name"
            ))
        }
        Ok(meta) if !meta.is_file() => {
            return Err(format!(
                "{name} exists and is not a regular file (a folder, FIFO or device): give the \
                 name of a file to write"
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{name}: {e}")),
    }
    let folder = folder_of(path);
    match std::fs::metadata(&folder) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!("{name}: {} is not a folder", folder.display())),
        Err(e) => Err(format!(
            "{name}: its folder {} cannot be used ({e}); create it first",
            folder.display()
        )),
    }
}

/// The folder a file goes in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The prefix of the temporary files [`write`] makes beside `path`.
fn temp_prefix(path: &Path) -> String {
    let base = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{base}.llmf-tmp-")
}

/// Writes bytes atomically (see the module doc), naming the file if it fails. On any error
/// the file that was there is left as it was and the temporary file is removed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_with(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write`] with the writing of the bytes given, so a test can make it fail midway (a full
/// disk) and check what is left.
pub fn write_with(
    path: &Path,
    bytes: &[u8],
    put: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), String> {
    write_as(path, bytes, 0o644, put)
}

/// [`write`] for a file only its owner may read (mode 0600): a learner's saved run, kept
/// beside their progress, which is private on a shared server too.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_as(path, bytes, 0o600, |file, bytes| file.write_all(bytes))
}

/// [`write_with`] creating the file with permission bits `mode` (less the umask).
fn write_as(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    put: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display();
    check_target(path)?;
    let folder = folder_of(path);
    remove_stale_temps(path, &folder);
    let prefix = temp_prefix(path);
    let (temp, mut file) = (0..100)
        .find_map(|i| {
            let temp = folder.join(format!("{prefix}{}-{i}", std::process::id()));
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temp)
                .ok()
                .map(|f| (temp, f))
        })
        .ok_or_else(|| {
            format!(
                "{name}: cannot create a temporary file in {} (is the folder writable?)",
                folder.display()
            )
        })?;
    let written = put(&mut file, bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(format!(
            "{name}: cannot write: {e}; the file that was there (if any) is unchanged"
        ));
    }
    // The rename is durable once the folder's entry is on disk.
    if let Ok(dir) = File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Removes temporary files a killed `llmf` left beside `path` (their process is gone).
fn remove_stale_temps(path: &Path, folder: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() as i32
                || rustix::process::Pid::from_raw(pid).is_some_and(|p| {
                    // Another user's live process answers EPERM: only "no such process" is gone.
                    rustix::process::test_kill_process(p) != Err(rustix::io::Errno::SRCH)
                })
        });
        if !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
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

/// Checks a model's shape against the limits, dimension by dimension first (so the
/// parameter count cannot overflow), then the total.
pub fn check_shape(c: &Config) -> Result<(), String> {
    let dims = [
        ("context", c.context, MAX_CONTEXT),
        ("d_model", c.d_model, MAX_D_MODEL),
        ("layers", c.layers, MAX_LAYERS),
        ("heads", c.heads, MAX_HEADS),
        ("vocab", c.vocab, MAX_VOCAB),
    ];
    for (what, value, limit) in dims {
        if value > limit {
            return Err(format!(
                "{what} {value} is over llmf's limit of {limit} for a model file (the shipped \
                 model has context 64, d_model 96, 2 layers, 4 heads, 119 symbols)"
            ));
        }
    }
    c.check()?;
    let params = c.param_count();
    if params > MAX_PARAMS {
        return Err(format!(
            "{params} parameters is over llmf's limit of {MAX_PARAMS} for a model file (the \
             shipped model has 241,440)"
        ));
    }
    Ok(())
}

/// The largest batch a checkpoint's recipe may ask for (the presets use 4 to 16).
pub const MAX_BATCH: usize = 1024;
/// The most steps a checkpoint's recipe may ask for (the presets use 20 to 2,500).
pub const MAX_STEPS: usize = 10_000_000;

/// Checks a checkpoint's recipe, which sizes what resuming allocates (a batch of 10¹²
/// windows would abort) and steers the optimizer (a NaN learning rate ruins every weight).
pub fn check_recipe(r: &TrainConfig) -> Result<(), String> {
    let counts = [
        ("batch", r.batch, MAX_BATCH),
        ("steps", r.steps, MAX_STEPS),
        ("warmup", r.warmup, MAX_STEPS),
        ("eval_chars", r.eval_chars, 1 << 24),
        ("sample_chars", r.sample_chars, 20_000),
    ];
    for (what, value, limit) in counts {
        if value > limit {
            return Err(format!("{what} {value} is over llmf's limit of {limit}"));
        }
    }
    if r.batch == 0 {
        return Err("batch 0: a step needs at least one window".into());
    }
    let rates = [
        ("lr", r.lr),
        ("min_lr_frac", r.min_lr_frac),
        ("weight_decay", r.weight_decay),
        ("beta1", r.beta1),
        ("beta2", r.beta2),
        ("eps", r.eps),
    ];
    for (what, value) in rates {
        if !value.is_finite() || !(0.0..=10.0).contains(&value) {
            return Err(format!("{what} {value} is outside 0 to 10"));
        }
    }
    Ok(())
}

/// Checks an alphabet: no control character but the newline (text's line break), which a
/// model would print straight to the terminal.
pub fn check_alphabet(alphabet: &str) -> Result<(), String> {
    match alphabet
        .chars()
        .find(|&c| c != '\n' && crate::text::sanitize::is_control(c))
    {
        Some(c) => Err(format!(
            "holds the control character U+{:04X}, which would act on the terminal when \
             generated; only the newline is allowed",
            u32::from(c)
        )),
        None => Ok(()),
    }
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
mod file_tests {
    use super::*;

    fn shape(vocab: usize, d_model: usize, layers: usize, heads: usize, context: usize) -> Config {
        Config {
            vocab,
            d_model,
            layers,
            heads,
            context,
        }
    }

    #[test]
    fn shapes_within_every_limit_pass_and_each_limit_is_named() {
        assert!(check_shape(&shape(119, 96, 2, 4, 64)).is_ok());
        let over = [
            (shape(119, 96, 2, 4, MAX_CONTEXT + 1), "context"),
            (shape(119, 1 << 62, 2, 4, 64), "d_model"),
            (shape(119, 96, MAX_LAYERS + 1, 4, 64), "layers"),
            (shape(119, 96, 2, MAX_HEADS + 1, 64), "heads"),
            (shape(MAX_VOCAB + 1, 96, 2, 4, 64), "vocab"),
            (shape(119, 1024, 32, 32, 1024), "parameters"),
        ];
        for (config, what) in over {
            let e = check_shape(&config).unwrap_err();
            assert!(e.contains(what) && e.contains("limit"), "{e}");
        }
    }

    #[test]
    fn a_checkpoints_recipe_is_bounded() {
        let good = super::super::preset("base").unwrap().train;
        assert!(check_recipe(&good).is_ok());
        let bad = [
            TrainConfig {
                batch: 1 << 40,
                ..good.clone()
            },
            TrainConfig {
                batch: 0,
                ..good.clone()
            },
            TrainConfig {
                lr: f64::NAN,
                ..good.clone()
            },
            TrainConfig {
                sample_chars: usize::MAX,
                ..good.clone()
            },
        ];
        for r in bad {
            assert!(check_recipe(&r).is_err(), "{r:?}");
        }
    }

    #[test]
    fn the_alphabet_may_hold_a_newline_but_no_other_control() {
        assert!(check_alphabet("\nab\u{FFFD}").is_ok());
        for c in ['\u{1b}', '\t', '\u{7f}', '\u{85}', '\u{9b}'] {
            let e = check_alphabet(&format!("a{c}\u{FFFD}")).unwrap_err();
            assert!(e.contains(&format!("U+{:04X}", u32::from(c))), "{e}");
        }
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        write(&path, b"old model").unwrap();
        // A disk that fills halfway through the new file.
        let e = write_with(&path, b"a new and longer model", |file, bytes| {
            file.write_all(&bytes[..8])?;
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        })
        .unwrap_err();
        assert!(
            e.contains("No space left") && e.contains("unchanged"),
            "{e}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"old model");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn a_link_at_the_target_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("m.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = write(&link, b"{}").unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn temporary_files_of_dead_processes_are_cleared_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let prefix = temp_prefix(&path);
        // PID 0x7fff_fff0 is above any kernel's pid_max: no such process.
        let dead = dir.path().join(format!("{prefix}2147483632-0"));
        let live = dir.path().join(format!("{prefix}{}-7", std::process::id()));
        std::fs::write(&dead, "partial").unwrap();
        std::fs::write(&live, "in progress").unwrap();
        write(&path, b"model").unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
    }

    #[test]
    fn read_checks_the_header_before_the_weights() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let vocab = super::super::Data::corpus().vocab;
        let model = Model::new(shape(vocab.len(), 16, 1, 2, 16), vocab, 1).unwrap();
        let bytes = model_bytes(&model).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), bytes);
        std::fs::write(&path, &bytes[..6]).unwrap();
        assert!(read(&path).unwrap_err().contains("shorter than 8 bytes"));
        let e = read(dir.path()).unwrap_err();
        assert!(e.contains("a folder"), "{e}");
    }
}
