//! `llmf train`: the model lab on the command line (a model trained from scratch, or, with
//! `--from`, fine-tuned: `finetune.rs`), and what the model lab's commands share: the
//! progress bar, the files they write, the way they fail.

use super::{Failure, Outcome};
use indicatif::{ProgressBar, ProgressStyle};
use llmf::labs::lm::{self, io, recipe::Recipe, Data, TrainEvent, TrainState, Trainer};
use llmf::text::{output, sanitize};
use llmf::{errln, outln};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

/// `llmf train`'s options: a run from scratch, or with `--from` and `--data` a fine-tune.
#[derive(clap::Args)]
pub struct Args {
    /// Model shape and recipe: tiny (seconds), demo (the live demo of lesson 15, the
    /// default: a minute or two) or base (the shipped model, several times longer).
    #[arg(long, value_name = "PRESET")]
    preset: Option<String>,
    /// Number of steps (default: the preset's).
    #[arg(long)]
    steps: Option<usize>,
    /// Seed of the weights and batches (default: the preset's).
    #[arg(long)]
    seed: Option<u64>,
    /// Model file to write (default PRESET.safetensors, or finetuned.safetensors with
    /// --from); the recipe goes to FILE.json. Written whole or not at all; a symbolic link
    /// there is refused.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write a resumable checkpoint (optimizer state included) here.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Continue the run saved in this checkpoint (--steps sets the new total).
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Fine-tune instead of training from scratch, starting from "base" (the built-in
    /// model) or a model FILE; needs --data.
    #[arg(long, value_name = "base|FILE", requires = "data", conflicts_with_all = ["preset", "resume", "checkpoint"])]
    from: Option<String>,
    /// The text file to fine-tune on (its last 10% is held out to measure the loss).
    #[arg(long, value_name = "FILE", requires = "from")]
    data: Option<PathBuf>,
    /// Train LoRA adapters of this rank on W_q and W_v (the base frozen), merged into the
    /// model written; without it every weight is fine-tuned.
    #[arg(long, value_name = "R", requires = "from")]
    lora: Option<usize>,
}

pub fn run(args: Args) -> Outcome {
    if let (Some(from), Some(data)) = (args.from, args.data.clone()) {
        return super::finetune::finetune(super::finetune::FinetuneArgs {
            from,
            data,
            lora: args.lora,
            steps: args.steps,
            seed: args.seed,
            out: args.out,
        });
    }
    train(TrainArgs {
        preset: args.preset,
        steps: args.steps,
        seed: args.seed,
        out: args.out,
        checkpoint: args.checkpoint,
        resume: args.resume,
    })
}

pub struct TrainArgs {
    /// `None`: the default preset, said as such.
    pub preset: Option<String>,
    pub steps: Option<usize>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    pub checkpoint: Option<PathBuf>,
    pub resume: Option<PathBuf>,
}

/// The preset `llmf train` uses without `--preset`: the live demo of lesson 15 (a minute or
/// two), not the shipped model (`base`, several times longer), since a learner who types
/// `llmf train` wants to watch a model learn, and `make model` names `base` itself.
pub const DEFAULT_PRESET: &str = "demo";

/// The command fails with `msg` (printed as `llmf: MESSAGE`, sanitized) and exit status 1.
pub fn fail(msg: impl std::fmt::Display) -> Outcome {
    Err(Failure::new(msg))
}

/// A note on stderr, sanitized.
pub fn say(msg: impl std::fmt::Display) {
    errln!("llmf: {}", sanitize::field(&msg.to_string()));
}

/// The recipe's path: the model's with `.json` in place of its extension.
pub fn recipe_path(model: &Path) -> PathBuf {
    model.with_extension("json")
}

/// Checks every file a run will write before the run starts, so a symbolic link, a folder or
/// a missing folder is refused at once, not after minutes of training; and no two are one.
pub fn check_targets(targets: &[&Path]) -> Result<(), String> {
    for (i, t) in targets.iter().enumerate() {
        io::check_target(t)?;
        if targets[..i].contains(t) {
            return Err(format!(
                "{} is named twice (the model's recipe is FILE.json, beside the model): give \
                 each file its own name",
                t.display()
            ));
        }
    }
    Ok(())
}

/// The width of the terminal stderr is on (where the bar draws), if it is one.
fn stderr_width() -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(std::io::stderr()).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// The progress bar's layout for a run of `total` steps on a terminal `width` columns wide:
/// counts and times first, then a bar as wide as fits (up to 30), then the message cut to
/// the rest of the line, so the line never wraps (it wrapped at 80 and 100 columns).
pub fn bar_template(width: usize, total: u64) -> String {
    let digits = total.max(1).to_string().len();
    // "1500/1500 00:00:12 ETA 00:01:40 " before the bar.
    let fixed = 2 * digits + 1 + 1 + 8 + 5 + 8 + 1;
    let room = width.saturating_sub(fixed + 1);
    // Leave the message at least 20 columns; the bar takes what is left, 10 to 30.
    let bar = room.saturating_sub(20).min(30);
    if bar >= 10 {
        format!(
            "{{pos}}/{{len}} {{elapsed_precise}} ETA {{eta_precise}} {{bar:{bar}}} {{wide_msg}}"
        )
    } else if width >= fixed + 12 {
        "{pos}/{len} {elapsed_precise} ETA {eta_precise} {wide_msg}".into()
    } else {
        "{pos}/{len} {wide_msg}".into()
    }
}

/// A progress bar for `total` steps, laid out for the terminal it draws on.
pub fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let width = stderr_width().unwrap_or(80);
    bar.set_style(
        ProgressStyle::with_template(&bar_template(width, total))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A duration as people say it: `45 s`, `3 min 20 s`, `1 h 5 min`.
pub fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

pub fn train(args: TrainArgs) -> Outcome {
    let chosen = args.preset.as_deref().unwrap_or(DEFAULT_PRESET);
    let Some(preset) = lm::preset(chosen) else {
        let names: Vec<&str> = lm::presets().iter().map(|p| p.name).collect();
        return fail(format!(
            "no preset \"{chosen}\"; choose one of {}",
            names.join(", ")
        ));
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.safetensors", preset.name)));
    let recipe_file = recipe_path(&out);
    let mut targets = vec![out.as_path(), recipe_file.as_path()];
    targets.extend(args.checkpoint.as_deref());
    if let Err(e) = check_targets(&targets) {
        return fail(e);
    }
    let data = Arc::new(Data::corpus());
    let mut state = match &args.resume {
        Some(path) => match io::read(path)
            .and_then(|b| io::load_checkpoint(&b, &path.display().to_string()))
        {
            Ok(s) => s,
            Err(e) => return fail(format!("--resume {e}")),
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
    let total = state.recipe.steps;
    say(format!(
        "training {}{} ({}; {} parameters): {total} steps of {}×{} characters, seed {}, one \
         thread",
        preset.name,
        if args.preset.is_none() {
            ", the default preset"
        } else {
            ""
        },
        preset.about,
        state.model.param_count(),
        state.recipe.batch,
        state.model.config.context,
        state.recipe.seed,
    ));
    say(format!(
        "writes {} and {} at the end; Ctrl-C stops without writing{}",
        out.display(),
        recipe_file.display(),
        if args.preset.is_none() {
            " (--preset base trains the shipped model, several times longer)"
        } else {
            ""
        }
    ));
    // The validation loss during the run and at its end can cover different text: say which.
    let (eval_scope, final_note) = match state.recipe.eval_chars {
        0 => ("whole validation split".to_string(), String::new()),
        n => (
            format!("first {n} characters of the validation split"),
            format!("; the step lines measured its first {n} characters"),
        ),
    };
    let bar = progress_bar(total as u64);
    bar.set_position(state.step as u64);
    let (tx, rx) = mpsc::channel();
    let from_scratch = state.step == 0;
    let handle = Trainer::spawn(state, data.clone(), tx);
    let mut val = String::new();
    let mut last = String::new();
    let mut first_losses = Vec::new();
    // Timed from the first step (not the start-up and step-0 evaluation before it).
    let mut timing: Option<(std::time::Instant, usize)> = None;
    let mut estimated = false;
    // Losses and samples go above the bar, or straight to stderr when it is hidden (no tty).
    let note = |line: String| {
        let line = sanitize::field(&line).into_owned();
        if bar.is_hidden() {
            errln!("{line}");
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
                // How long, said once the first steps have shown this machine's pace.
                let (since, from) = *timing.get_or_insert((std::time::Instant::now(), step));
                let done = step - from;
                let elapsed = since.elapsed().as_secs_f64();
                if !estimated && (done >= 50 || elapsed >= 3.0) && step < total {
                    estimated = true;
                    let per = elapsed / done.max(1) as f64;
                    note(format!(
                        "llmf: about {} to go at {:.0} ms a step on this machine",
                        human_duration(per * (total - step) as f64),
                        per * 1e3
                    ));
                }
                last = format!("loss {loss:.3}");
                bar.set_message(format!("{last}{val}  {ms_per_step:.1} ms/step"));
            }
            TrainEvent::Eval { step, val_loss, .. } => {
                val = format!("  val {val_loss:.3} @{step}");
                bar.set_message(format!("{last}{val}"));
                note(format!(
                    "step {step:>5}: validation loss {val_loss:.4} nats/char ({eval_scope})"
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
        say(format!(
            "checkpoint (resume with --resume) in {}",
            path.display()
        ));
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
    let written = io::write(&out, &bytes).and_then(|()| io::write(&recipe_file, json.as_bytes()));
    if let Err(e) = written {
        return fail(e);
    }
    outln!(
        "{}: train loss {:.4}, validation loss {:.4} nats/char over the whole of each split \
         ({} and {} characters{final_note}), uniform ln {} = {:.4}; recipe in {}",
        sanitize::field(&out.display().to_string()),
        losses.0,
        losses.1,
        data.train.len(),
        data.val.len(),
        state.model.config.vocab,
        (state.model.config.vocab as f64).ln(),
        sanitize::field(&recipe_file.display().to_string())
    );
    if preset.name == "base" {
        // Say whether this run reproduced the shipped model: same seed, same corpus, same
        // code gives the same bytes (the CPU's float kernels are part of "same code").
        if bytes == lm::BASE_MODEL {
            say("identical, byte for byte, to the base model this binary ships");
        } else {
            let shipped = lm::base_recipe()
                .map(|r| r.matmul_kernel)
                .unwrap_or_default();
            let here = lm::threads::matmul_kernel();
            if !shipped.is_empty() && shipped != here {
                say(format!(
                    "differs in its last bits from the base model this binary ships: \
                     this CPU's matrix products use {here} kernels, the shipped model's used \
                     {shipped}, and they group a product's sums differently (a test checks \
                     the first losses agree within 1e-5)"
                ));
            } else {
                say(
                    "differs from the base model this binary ships (other settings, or \
                     changed training code; `make model` then a rebuild ships the new one)",
                );
            }
        }
    }
    output::flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{ProgressDrawTarget, TermLike};
    use std::sync::Mutex;

    /// A terminal of a given width that keeps what is drawn on it.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        drawn: Arc<Mutex<Vec<String>>>,
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.drawn.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.drawn.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_progress_line_fits_the_terminal_and_never_wraps() {
        for width in [40u16, 60, 80, 100, 200] {
            for total in [20u64, 1500, 2500, 100_000] {
                let screen = Screen {
                    width,
                    drawn: Arc::default(),
                };
                let bar = ProgressBar::with_draw_target(
                    Some(total),
                    ProgressDrawTarget::term_like(Box::new(screen.clone())),
                );
                bar.set_style(
                    ProgressStyle::with_template(&bar_template(usize::from(width), total)).unwrap(),
                );
                bar.set_position(total - 1);
                bar.set_message("loss 2.345  val 2.114 @1400  12.3 ms/step and a long tail");
                bar.finish();
                let drawn = screen.drawn.lock().unwrap();
                assert!(!drawn.is_empty());
                for line in drawn.iter().flat_map(|s| s.lines()) {
                    assert!(
                        line.chars().count() <= usize::from(width),
                        "{width} columns, {total} steps: {line:?}"
                    );
                }
                // At 80 columns and up there is room for the loss and a bar.
                if width >= 80 {
                    assert!(drawn.iter().any(|l| l.contains("loss 2.345")), "{drawn:?}");
                }
            }
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_duration(44.6), "45 s");
        assert_eq!(human_duration(200.0), "3 min 20 s");
        assert_eq!(human_duration(3900.0), "1 h 5 min");
    }
}
