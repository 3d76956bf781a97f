//! `llmf train` and `llmf generate`: the model lab on the command line.

use indicatif::{ProgressBar, ProgressStyle};
use llmf::labs::lm::{
    self, io, recipe::Recipe, sample, Data, Filters, Model, TrainEvent, TrainState, Trainer,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Arc};

pub struct TrainArgs {
    pub preset: String,
    pub steps: Option<usize>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    pub checkpoint: Option<PathBuf>,
    pub resume: Option<PathBuf>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("llmf: {msg}");
    ExitCode::from(1)
}

/// The recipe's path: the model's with `.json` in place of its extension.
pub fn recipe_path(model: &Path) -> PathBuf {
    model.with_extension("json")
}

pub fn train(args: TrainArgs) -> ExitCode {
    let Some(preset) = lm::preset(&args.preset) else {
        let names: Vec<&str> = lm::presets().iter().map(|p| p.name).collect();
        return fail(format!(
            "no preset \"{}\"; choose one of {}",
            args.preset,
            names.join(", ")
        ));
    };
    let data = Arc::new(Data::corpus());
    let mut state = match &args.resume {
        Some(path) => match io::read(path)
            .and_then(|b| io::load_checkpoint(&b, &path.display().to_string()))
        {
            Ok(s) => s,
            Err(e) => return fail(e),
        },
        None => {
            let mut recipe = preset.train.clone();
            if let Some(seed) = args.seed {
                recipe.seed = seed;
            }
            match TrainState::fresh(preset.config(data.vocab.len()), data.vocab.clone(), recipe) {
                Ok(s) => s,
                Err(e) => return fail(e),
            }
        }
    };
    if let Some(steps) = args.steps {
        state.recipe.steps = steps;
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.safetensors", preset.name)));
    let total = state.recipe.steps;
    eprintln!(
        "llmf: training {} ({} parameters) for {total} steps of {}×{} characters, seed {}, one thread",
        preset.name,
        state.model.param_count(),
        state.recipe.batch,
        state.model.config.context,
        state.recipe.seed
    );
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} steps  {elapsed_precise} ETA {eta_precise}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(state.step as u64);
    let (tx, rx) = mpsc::channel();
    let from_scratch = state.step == 0;
    let handle = Trainer::spawn(state, data.clone(), tx);
    let mut val = String::new();
    let mut first_losses = Vec::new();
    // Losses and samples go above the bar, or straight to stderr when it is hidden (no tty).
    let note = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    for event in rx {
        match event {
            TrainEvent::Step {
                step,
                loss,
                ms_per_step,
                ..
            } => {
                bar.set_position(step as u64);
                if from_scratch && first_losses.len() < lm::recipe::FIRST_LOSSES {
                    first_losses.push(loss);
                }
                bar.set_message(format!("loss {loss:.3}{val}  {ms_per_step:.1} ms/step"));
            }
            TrainEvent::Eval { step, val_loss, .. } => {
                val = format!("  val {val_loss:.3}");
                note(format!(
                    "step {step:>5}: validation loss {val_loss:.4} nats/char"
                ));
            }
            TrainEvent::Sample { step, text } => {
                note(format!(
                    "step {step:>5} sample: The {}",
                    text.replace('\n', " ")
                ));
            }
            TrainEvent::Failed(e) => {
                bar.abandon();
                return fail(format!("training failed: {e}"));
            }
            TrainEvent::Finished { .. } => break,
            TrainEvent::Paused { .. } | TrainEvent::Resumed { .. } => {}
        }
    }
    bar.finish();
    let Some(state) = handle.join() else {
        return fail("the training thread panicked");
    };
    if let Some(path) = &args.checkpoint {
        if let Err(e) = io::checkpoint_bytes(&state).and_then(|b| io::write(path, &b)) {
            return fail(e);
        }
        eprintln!(
            "llmf: checkpoint (resume with --resume) in {}",
            path.display()
        );
    }
    let losses =
        match lm::threads::single_threaded(|| lm::recipe::final_losses(&state.model, &data)) {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
    let mut recipe = Recipe::new(
        preset.name,
        &state.model,
        &state.recipe,
        state.step,
        state.tokens_seen,
        &data,
        losses,
    );
    recipe.first_losses = first_losses;
    let json = match serde_json::to_string_pretty(&recipe) {
        Ok(j) => j + "\n",
        Err(e) => return fail(e),
    };
    let bytes = match io::model_bytes(&state.model) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let written =
        io::write(&out, &bytes).and_then(|()| io::write(&recipe_path(&out), json.as_bytes()));
    if let Err(e) = written {
        return fail(e);
    }
    println!(
        "{}: train loss {:.4}, validation loss {:.4} nats/char (uniform ln {} = {:.4}); recipe in {}",
        out.display(),
        losses.0,
        losses.1,
        state.model.config.vocab,
        (state.model.config.vocab as f64).ln(),
        recipe_path(&out).display()
    );
    if preset.name == "base" {
        // Say whether this run reproduced the shipped model: same seed, same corpus, same
        // code gives the same bytes (the CPU's float kernels are part of "same code").
        if bytes == lm::BASE_MODEL {
            eprintln!("llmf: identical, byte for byte, to the base model this binary ships");
        } else {
            let shipped = lm::base_recipe()
                .map(|r| r.matmul_kernel)
                .unwrap_or_default();
            let here = lm::threads::matmul_kernel();
            if !shipped.is_empty() && shipped != here {
                eprintln!(
                    "llmf: differs in its last bits from the base model this binary ships: \
                     this CPU's matrix products use {here} kernels, the shipped model's used \
                     {shipped}, and they group a product's sums differently (a test checks \
                     the first losses agree within 1e-5)"
                );
            } else {
                eprintln!(
                    "llmf: differs from the base model this binary ships (other settings, or \
                     changed training code; `make model` then a rebuild ships the new one)"
                );
            }
        }
    }
    ExitCode::SUCCESS
}

pub struct GenerateArgs {
    pub model: Option<PathBuf>,
    pub temperature: f64,
    pub top_k: usize,
    pub top_p: f64,
    pub seed: u64,
    pub tokens: usize,
    pub json: bool,
    pub prompt: String,
}

pub fn generate(args: GenerateArgs) -> ExitCode {
    if !(0.0..=100.0).contains(&args.temperature) {
        return fail(format!(
            "--temperature {} is out of range (0 to 100; 0 is greedy)",
            args.temperature
        ));
    }
    if !(args.top_p > 0.0 && args.top_p <= 1.0) {
        return fail(format!(
            "--top-p {} is out of range (above 0, at most 1)",
            args.top_p
        ));
    }
    let loaded;
    let (model, name): (&Model, String) = match &args.model {
        Some(path) => {
            let origin = path.display().to_string();
            match io::read(path).and_then(|b| io::load_model(&b, &origin)) {
                Ok(m) => {
                    loaded = m;
                    (&loaded, origin)
                }
                Err(e) => return fail(e),
            }
        }
        None => match lm::base_model() {
            Ok(m) => (m, "built-in base model".into()),
            Err(e) => return fail(e),
        },
    };
    let unknown = model.vocab.unknown_chars(&args.prompt);
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|c| format!("{c:?}")).collect();
        eprintln!(
            "llmf: the model's alphabet has no {}; read as the unknown symbol \u{FFFD}",
            list.join(", ")
        );
    }
    let filters = Filters {
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
    };
    let mut rng = lm::Rng::new(args.seed);
    let out = match lm::threads::single_threaded(|| {
        sample::generate(model, &args.prompt, args.tokens, &filters, &mut rng)
    }) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if args.json {
        let tokens: Vec<serde_json::Value> = out
            .tokens
            .iter()
            .map(|t| {
                let top: Vec<serde_json::Value> = t
                    .top
                    .iter()
                    .map(|(c, p)| serde_json::json!({"char": c.to_string(), "prob": p}))
                    .collect();
                serde_json::json!({"char": t.ch.to_string(), "id": t.id, "prob": t.prob, "top": top})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "model": name,
                "prompt": args.prompt,
                "temperature": args.temperature,
                "top_k": args.top_k,
                "top_p": args.top_p,
                "seed": args.seed,
                "text": out.text(),
                "tokens": tokens,
            })
        );
    } else {
        println!("{}{}", args.prompt, out.text());
    }
    ExitCode::SUCCESS
}
