//! `llmf train --from base --data FILE [--lora R] [--steps N] --out FILE`: fine-tunes the
//! character-level GPT on any text the learner brings, with the progress bar `llmf train`
//! shows, and writes an ordinary model file (LoRA adapters merged in) that `llmf generate
//! --model FILE` reads.

use indicatif::{ProgressBar, ProgressStyle};
use llmf::labs::lm::finetune::{evaluate, Finetuner, FtConfig, FtData, Method};
use llmf::labs::lm::lora::QV;
use llmf::labs::lm::sft::SftSet;
use llmf::labs::lm::{self, io, Data, Model};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("llmf: {msg}");
    ExitCode::from(1)
}

fn load_base(from: &str) -> Result<Model, String> {
    if from == "base" {
        return lm::base_model()?.deep_copy().map_err(|e| e.to_string());
    }
    let path = PathBuf::from(from);
    io::read(&path).and_then(|b| io::load_model(&b, &path.display().to_string()))
}

pub fn finetune(args: FinetuneArgs) -> ExitCode {
    let base = match load_base(&args.from) {
        Ok(m) => m,
        Err(e) => return fail(format!("--from {}: {e}", args.from)),
    };
    let name = args.data.display().to_string();
    let text = match llmf::safe_read::read_text(&args.data, DATA_LIMIT) {
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
        eprintln!(
            "llmf: {name}: {} kinds of character are outside the model's alphabet and read as U+FFFD (e.g. {:?})",
            unknown.len(),
            unknown[0]
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
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("finetuned.safetensors"));
    lm::threads::single_threaded(|| run(&base, cfg, &data, &name, &out))
}

fn run(base: &Model, cfg: FtConfig, data: &FtData, name: &str, out: &Path) -> ExitCode {
    let mut ft = match Finetuner::new(base, cfg.clone()) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    eprintln!(
        "llmf: fine-tuning ({}, {} of {} parameters trainable) on {name} ({} characters, 10% held out) for {} steps of {}×{} characters, lr {}, one thread",
        cfg.method.name(),
        ft.trainable(),
        base.param_count(),
        data.train.len() + data.held_out.len(),
        cfg.steps,
        cfg.batch,
        base.config.context,
        cfg.lr
    );
    let before = match evaluate(base, data, &cfg, 0) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let bar = ProgressBar::new(cfg.steps as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} steps  {elapsed_precise} ETA {eta_precise}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
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
    if let Err(e) = io::model_bytes(&model).and_then(|b| io::write(out, &b)) {
        return fail(e);
    }
    println!(
        "{}: held-out loss on {name} {:.4} -> {:.4} nats/char; on the original corpus {:.4} -> {:.4}; {ms:.1} ms/step. Try: llmf generate --model {} \"...\"",
        out.display(),
        before.held_out,
        after.held_out,
        before.original,
        after.original,
        out.display()
    );
    ExitCode::SUCCESS
}
