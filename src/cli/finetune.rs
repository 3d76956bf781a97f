//! `llmf train --from base --data FILE [--lora R] [--steps N] --out FILE`: fine-tunes the
//! character-level GPT on any text the learner brings, with the progress bar `llmf train`
//! shows, and writes an ordinary model file (LoRA adapters merged in) that `llmf generate
//! --model FILE` reads, with its recipe beside it as FILE.json (what it started from, the
//! text's hash, the settings, the losses before and after).

use super::train::{check_targets, fail, progress_bar, recipe_path};
use super::Outcome;
use llmf::labs::lm::finetune::{evaluate, Finetuner, FtConfig, FtData, Method};
use llmf::labs::lm::lora::QV;
use llmf::labs::lm::recipe::{sha256_hex, FinetuneRecipe};
use llmf::labs::lm::sft::SftSet;
use llmf::labs::lm::{self, io, Data, Model};
use llmf::text::{output, sanitize};
use llmf::{errln, outln};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct FinetuneArgs {
    pub from: String,
    pub data: PathBuf,
    pub lora: Option<usize>,
    pub steps: Option<usize>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
}

/// Largest text file read (a few megabytes is already many epochs at this model's speed).
const DATA_LIMIT: u64 = 64 << 20;
/// Default steps: about a minute on one thread.
const DEFAULT_STEPS: usize = 300;
/// Learning rates: full fine-tuning moves every pre-trained weight, so it takes smaller steps
/// than adapters that start from zero.
const FULL_LR: f64 = 3e-4;
const LORA_LR: f64 = 3e-3;
const MAX_RANK: usize = 64;

fn load_base(from: &str) -> Result<Model, String> {
    if from == "base" {
        return lm::base_model()?.deep_copy().map_err(|e| e.to_string());
    }
    let path = PathBuf::from(from);
    io::read(&path).and_then(|b| io::load_model(&b, &path.display().to_string()))
}

/// What a fine-tuning run was given, for its recipe.
struct Source<'a> {
    from: &'a str,
    name: &'a str,
    sha256: String,
}

pub fn finetune(args: FinetuneArgs) -> Outcome {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("finetuned.safetensors"));
    let recipe_file = recipe_path(&out);
    if let Err(e) = check_targets(&[&out, &recipe_file]) {
        return fail(e);
    }
    let base = match load_base(&args.from) {
        Ok(m) => m,
        Err(e) if args.from == "base" => return fail(format!("--from base: {e}")),
        Err(e) => return fail(format!("--from {e}")),
    };
    let name = args.data.display().to_string();
    let text = match llmf::text::safe_read::read_text(&args.data, DATA_LIMIT) {
        Ok(t) => t,
        Err(e) => return fail(format!("--data {e}")),
    };
    let chars = text.chars().count();
    let context = base.config.context;
    // Training windows need context + 1 characters after the 10% held out.
    let need = (context + 2) * 10 / 9 + 1;
    if chars < need {
        return fail(format!(
            "{name}: has {chars} characters; fine-tuning this model needs at least {need} (its context of {context} plus 2, after holding out 10%)"
        ));
    }
    let unknown = base.vocab.unknown_chars(&text);
    if !unknown.is_empty() {
        errln!(
            "llmf: {}",
            sanitize::field(&format!(
                "{name}: {} kinds of character are outside the model's alphabet and read as \
                 U+FFFD (e.g. {:?})",
                unknown.len(),
                unknown[0]
            ))
        );
    }
    let method = match args.lora {
        None => Method::Full,
        Some(r) if (1..=MAX_RANK).contains(&r) => Method::lora(r, &QV),
        Some(r) => return fail(format!("--lora {r} is out of range (1 to {MAX_RANK})")),
    };
    let lr = if args.lora.is_some() {
        LORA_LR
    } else {
        FULL_LR
    };
    let steps = args.steps.unwrap_or(DEFAULT_STEPS);
    if steps == 0 {
        return fail("--steps must be at least 1");
    }
    let mut cfg = FtConfig::new(method, steps, lr);
    cfg.seed = args.seed.unwrap_or(1);
    cfg.eval_chars = 8192;
    let cut = text
        .char_indices()
        .nth(chars - chars / 10)
        .map_or(text.len(), |(i, _)| i);
    let data = FtData {
        train: SftSet::plain(&text[..cut], &base.vocab),
        held_out: SftSet::plain(&text[cut..], &base.vocab),
        original: Data::corpus(),
    };
    let source = Source {
        from: &args.from,
        name: &name,
        sha256: sha256_hex(&text),
    };
    lm::threads::single_threaded(|| run(&base, cfg, &data, &source, &out))
}

fn run(base: &Model, cfg: FtConfig, data: &FtData, source: &Source, out: &Path) -> Outcome {
    let name = source.name;
    let mut ft = match Finetuner::new(base, cfg.clone()) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    errln!(
        "llmf: {}",
        sanitize::field(&format!(
            "fine-tuning ({}, {} of {} parameters trainable) on {name} ({} characters, 10% \
             held out) for {} steps of {}×{} characters, lr {}, one thread; writes {} and {}",
            cfg.method.name(),
            ft.trainable(),
            base.param_count(),
            data.train.len() + data.held_out.len(),
            cfg.steps,
            cfg.batch,
            base.config.context,
            cfg.lr,
            out.display(),
            recipe_path(out).display()
        ))
    );
    let before = match evaluate(base, data, &cfg, 0) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let bar = progress_bar(cfg.steps as u64);
    let started = Instant::now();
    while ft.step < cfg.steps {
        let loss = match ft.step(data) {
            Ok(l) => l,
            Err(e) => {
                bar.abandon();
                return fail(format!("fine-tuning failed: {e}"));
            }
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0 / ft.step as f64;
        bar.set_position(ft.step as u64);
        bar.set_message(format!("loss {loss:.3}  {ms:.1} ms/step"));
    }
    bar.finish();
    let ms = started.elapsed().as_secs_f64() * 1000.0 / cfg.steps as f64;
    let model = match ft.current() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let after = match evaluate(&model, data, &cfg, cfg.steps) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let recipe = FinetuneRecipe {
        format: io::FORMAT.into(),
        from: source.from.to_string(),
        method: cfg.method.name(),
        data: name.to_string(),
        data_sha256: source.sha256.clone(),
        data_chars: data.train.len() + data.held_out.len(),
        held_out_chars: data.held_out.len(),
        config: model.config,
        steps: cfg.steps,
        batch: cfg.batch,
        lr: cfg.lr,
        seed: cfg.seed,
        params: model.param_count(),
        trainable: ft.trainable(),
        held_out_loss_before: f64::from(before.held_out),
        held_out_loss_after: f64::from(after.held_out),
        original_loss_before: f64::from(before.original),
        original_loss_after: f64::from(after.original),
        eval_chars: cfg.eval_chars,
        matmul_kernel: lm::threads::matmul_kernel().into(),
    };
    let json = match serde_json::to_string_pretty(&recipe) {
        Ok(j) => j + "\n",
        Err(e) => return fail(e),
    };
    let recipe_file = recipe_path(out);
    let written = io::model_bytes(&model)
        .and_then(|b| io::write(out, &b))
        .and_then(|()| io::write(&recipe_file, json.as_bytes()));
    if let Err(e) = written {
        return fail(e);
    }
    let shown = sanitize::field(&out.display().to_string()).into_owned();
    outln!(
        "{shown}: held-out loss on {} {:.4} -> {:.4} nats/char; on the original corpus {:.4} -> \
         {:.4}; {ms:.1} ms/step; recipe in {}. Try: llmf generate --model {shown} \"...\"",
        sanitize::field(name),
        before.held_out,
        after.held_out,
        before.original,
        after.original,
        sanitize::field(&recipe_file.display().to_string())
    );
    output::flush();
    Ok(())
}
