//! `llmf`: the command line. Without a command it opens the course in the terminal; the
//! commands check a course, render a step as text, and show or reset progress.

mod cli_attention;
mod cli_class;
mod cli_finetune;
mod cli_lm;
mod cli_progress;

use clap::{Args, Parser, Subcommand};
use llmf::app::{App, Options};
use llmf::course::{self, embedded::Embedded, Course, DirSource, Source};
use llmf::progress::{default_dir, Store};
use llmf::sanitize;
use llmf::ui::{self, theme::Theme};
use llmf::{errln, out, outln};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "llmf",
    version,
    about = "LLM Foundations: how large language models work, in your terminal"
)]
struct Cli {
    /// Load the course from this folder instead of the built-in copy.
    #[arg(long, value_name = "DIR", global = true)]
    lessons: Option<PathBuf>,
    #[command(flatten)]
    draw: Draw,
    /// A tokenizer.json to show beside the course's own tokenizers (lesson 01's panel).
    #[arg(long = "tokenizer", value_name = "FILE")]
    tokenizer_file: Option<PathBuf>,
    /// Open the course at this lesson (number like 06, or slug), as `llmf open` does.
    #[arg(value_name = "LESSON")]
    lesson: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// How the screen is drawn: only on the commands that draw one (the course itself, `open`,
/// `render`, `serve`), so the other commands' help lists only what they use.
#[derive(Args, Clone, Copy, Default)]
struct Draw {
    /// Use only ASCII characters (no box drawing, blocks or arrows).
    #[arg(long)]
    ascii: bool,
    /// Draw with Unicode even when the locale (LC_ALL, LC_CTYPE, LANG) is not UTF-8, which
    /// otherwise switches the course's screen to ASCII.
    #[arg(long, conflicts_with = "ascii")]
    unicode: bool,
    /// Draw without colours (also set by the NO_COLOR environment variable).
    #[arg(long)]
    no_color: bool,
}

impl Draw {
    /// The flags given before the command or after it.
    fn or(self, other: Draw) -> Draw {
        Draw {
            ascii: self.ascii || other.ascii,
            unicode: self.unicode || other.unicode,
            no_color: self.no_color || other.no_color,
        }
    }

    fn no_color(self) -> bool {
        self.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// ASCII when asked, or when the locale is not UTF-8 and Unicode was not asked for.
    fn ascii_for_terminal(self) -> bool {
        self.ascii || (!self.unicode && !llmf::tty::locale_is_utf8(|k| std::env::var(k).ok()))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check a course folder (default: the built-in course); problems print as file:line.
    Check {
        /// The course folder to check (a course.json and its lessons); without it, the
        /// built-in course (or --lessons DIR).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Check only this lesson (number or slug; repeat for more): what a teacher runs
        /// after editing one. The checks across lessons (repeated questions) run too.
        #[arg(long, value_name = "LESSON")]
        lesson: Vec<String>,
        /// Print steps, words, visualizers and questions per lesson.
        #[arg(long)]
        stats: bool,
        /// Rewrite the visualizer tables of this lessons README from the kinds' definitions
        /// (what `make docs` runs), then stop.
        #[arg(long, value_name = "FILE")]
        kinds_doc: Option<PathBuf>,
    },
    /// Open the course at a lesson (and step) instead of where you left off.
    Open {
        /// Lesson number (06) or slug (attention-math).
        lesson: String,
        /// Step number, from 1.
        #[arg(long, default_value_t = 1)]
        step: usize,
        #[command(flatten)]
        draw: Draw,
    },
    /// Print one step exactly as the screen shows it, as plain text.
    Render {
        /// Lesson number (06) or slug (attention-math).
        lesson: String,
        /// Step number, from 1.
        #[arg(long, default_value_t = 1)]
        step: usize,
        /// Screen size as WIDTHxHEIGHT.
        #[arg(long, default_value = "80x24", value_parser = parse_size)]
        size: (u16, u16),
        /// Give the panel the focus (as after pressing Tab).
        #[arg(long)]
        panel: bool,
        /// Wait (up to 10 s) for background work such as training or timing, and print the
        /// screen it leads to.
        #[arg(long)]
        settle: bool,
        /// Show the step's panel zoomed onto the whole screen (the `z` key).
        #[arg(long)]
        zoom: bool,
        #[command(flatten)]
        draw: Draw,
    },
    /// Print attention weights for a sentence (seeded random projections), for scripts.
    Attention {
        /// The text, or - to read standard input. Words are split at spaces (at most 64).
        text: String,
        /// Number of heads.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        heads: u16,
        /// Hide future tokens (causal mask).
        #[arg(long)]
        causal: bool,
        /// Seed of the random projections.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Width of each head's queries and keys.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
        d_k: u16,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Split text into tokens with a trained, embedded or file tokenizer, for scripts.
    Tokenize {
        /// The text, or - to read standard input.
        text: Option<String>,
        /// bpe, wordpiece or unigram (trained on the course's text), r50k, cl100k, o200k, or
        /// the path of a tokenizer.json.
        #[arg(long, default_value = "r50k")]
        tokenizer: String,
        /// Vocabulary size for the tokenizers trained here, 300 to 8000 (the range the
        /// lessons' panels offer and the course's text can train).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(300..=8000))]
        vocab: u32,
        /// List the tokenizer names.
        #[arg(long)]
        list: bool,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Train the course's character-level GPT on its bundled corpus (one CPU thread); writes a
    /// safetensors model and a JSON recipe beside it. It says what it will do and, after
    /// its first steps, how long the rest will take.
    Train {
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
    },
    /// Continue a prompt with the character-level GPT (default: the built-in base model).
    Generate {
        /// The text to continue.
        prompt: String,
        /// A model file written by `llmf train`.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Softmax temperature, 0 to 100; 0 picks the most likely character every time, and
        /// so does any temperature below 0.001.
        #[arg(long, default_value_t = 0.8)]
        temperature: f64,
        /// Keep only the K most likely characters (0: all).
        #[arg(long = "top-k", default_value_t = 0)]
        top_k: usize,
        /// Keep the fewest most likely characters whose probability reaches P (1: all).
        #[arg(long = "top-p", default_value_t = 1.0)]
        top_p: f64,
        /// Seed of the draws.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Characters to generate (at most 20000).
        #[arg(long, default_value_t = 200)]
        tokens: usize,
        /// Print JSON: every character with its probability and the top alternatives.
        #[arg(long)]
        json: bool,
    },
    /// Show the learner's progress.
    Progress {
        /// Clear all progress (asks first).
        #[arg(long)]
        reset: bool,
        /// With --reset: do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Serve the course to a class over SSH: students type one `ssh` command, nothing to
    /// install, no accounts; each student's progress is kept in the class folder.
    Serve {
        #[command(flatten)]
        args: llmf::serve::ServeArgs,
        #[command(flatten)]
        draw: Draw,
    },
    /// The teacher's side of a class folder.
    Class {
        #[command(subcommand)]
        command: cli_class::ClassCommand,
    },
    /// List every key binding (from the one key table the app uses).
    Keys {
        /// Print the Markdown table README.md carries.
        #[arg(long)]
        markdown: bool,
    },
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("size must look like 80x24, not {s}"))?;
    let w: u16 = w.trim().parse().map_err(|_| format!("bad width in {s}"))?;
    let h: u16 = h.trim().parse().map_err(|_| format!("bad height in {s}"))?;
    if w == 0 || h == 0 || w > 1000 || h > 500 {
        return Err(format!("size {s} is out of range (1x1 to 1000x500)"));
    }
    Ok((w, h))
}

/// `llmf check`: the course loads, then its lessons (all, or the `only` ones) are checked side
/// by side, one line each on a terminal as they finish; problems go to stdout, the verdict to
/// stderr.
fn check_course_folder(
    source: &dyn Source,
    prefix: &str,
    only: &[String],
    stats: bool,
) -> ExitCode {
    // mimalloc asks the kernel for transparent huge pages, which rounds what each training
    // thread touches up to 2 MiB pages. Without them the check's peak was 8% lower on lesson 22
    // (191 against 208 MB, twice each) and 14% on the whole course (335 against 390 MB), for
    // the same CPU time. Only `llmf check` trains so many models at once; the app keeps them.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let (course, mut problems) = course::load_all(source);
    let mut chosen = Vec::new();
    if let Some(c) = &course {
        for key in only {
            match c.find(key) {
                Some(index) => chosen.push(index),
                None => {
                    errln!(
                        "llmf: {}",
                        sanitize::field(&c.locate(key, 1).err().unwrap_or_default())
                    );
                    return ExitCode::from(2);
                }
            }
        }
        let total = if chosen.is_empty() {
            c.lessons.len()
        } else {
            chosen.len()
        };
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let show = std::io::stderr().is_terminal();
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        problems.extend(llmf::check::check_lessons(
            c,
            &chosen,
            true,
            workers,
            &|done| {
                let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if show {
                    let verdict = match done.problems {
                        0 => "ok".to_string(),
                        k => format!("{k} problem(s)"),
                    };
                    errln!(
                        "[{n:>2}/{total}] {:<32} {verdict:<12} {:>5.1} s",
                        sanitize::field(&done.lesson.file),
                        done.took.as_secs_f64()
                    );
                }
            },
        ));
    }
    for p in &problems {
        outln!("{}", sanitize::field(&format!("{prefix}{p}")));
    }
    let ok = problems.is_empty() && course.as_ref().is_some_and(|c| !c.lessons.is_empty());
    if ok {
        for w in course.iter().flat_map(llmf::check::warnings) {
            errln!("{prefix}{}", sanitize::field(&w.to_string()));
        }
    }
    if stats {
        if let Some(c) = &course {
            out!("{}", sanitize::lines(&llmf::check::stats_table(c)));
        }
    }
    if ok {
        errln!("{}: course OK", sanitize::field(&source.describe()));
        ExitCode::SUCCESS
    } else {
        errln!(
            "{}: {} problem(s)",
            sanitize::field(&source.describe()),
            problems.len()
        );
        ExitCode::from(1)
    }
}

/// The file of the lesson `key` (number or slug) if it is among those with problems.
fn broken_lesson<'a>(problems: &'a [course::Problem], key: &str) -> Option<&'a str> {
    let key = key.trim();
    problems.iter().map(|p| p.file.as_str()).find(|file| {
        course::parse::split_file_name(file).is_some_and(|(number, slug)| {
            slug == key || (key.parse::<u32>().ok()).is_some_and(|k| number.parse() == Ok(k))
        })
    })
}

fn source_for(dir: Option<&Path>) -> (Box<dyn Source + '_>, String) {
    match dir {
        Some(d) => (Box::new(DirSource(d)), format!("{}/", d.display())),
        None => (Box::new(Embedded), "lessons/".to_string()),
    }
}

/// mimalloc's knob for giving freed memory back to the system, and the value the server runs
/// with.
const PURGE_DELAY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "0");

/// `llmf serve` gives memory back as soon as it is freed: sessions come and go all class long,
/// and with mimalloc's default delay the pages a departed session freed stayed with the
/// process for a long while (`tests/support/serve_floods.py` prints the server's memory before,
/// at the peak and after a class leaves). The allocator reads the setting from the environment as the process starts,
/// so the server starts itself once more with it set: no environment is edited while threads
/// run. If that fails, it goes on as it is.
fn serve_with_memory_given_back() {
    use std::os::unix::process::CommandExt;
    let (name, value) = PURGE_DELAY;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(me)
        .args(std::env::args_os().skip(1))
        .env(name, value)
        .exec();
    errln!("llmf: could not restart with memory given back early ({err}); going on");
}

/// The app allocates with mimalloc. Why: a training step allocates a few hundred tensors of
/// 100–500 KB and frees them again; glibc's malloc hands such blocks back to the kernel and
/// takes them again on the next step (page faults, time in the kernel), while mimalloc keeps
/// freed pages for reuse. It changes where memory comes from, never a number. Chosen here, in
/// the binary, so a program that uses the library picks its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Serve { .. })) {
        serve_with_memory_given_back();
    }
    // Before any thread exists: the only time the environment may be set.
    llmf::labs::lm::threads::set_at_start();
    if let Some(path) = &cli.tokenizer_file {
        match llmf::labs::tokenize::load_file(path) {
            Ok(tok) => {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                llmf::labs::shared::set_user_tokenizer(name, tok);
            }
            Err(e) => {
                errln!("llmf: {}", sanitize::field(&e));
                return ExitCode::from(1);
            }
        }
    }
    match cli.command {
        Some(Command::Check {
            kinds_doc: Some(file),
            ..
        }) => write_kinds_doc(&file),
        Some(Command::Check {
            dir, stats, lesson, ..
        }) => {
            let dir = dir.or(cli.lessons);
            let (source, prefix) = source_for(dir.as_deref());
            check_course_folder(source.as_ref(), &prefix, &lesson, stats)
        }
        Some(Command::Render {
            lesson,
            step,
            size,
            panel,
            settle,
            zoom,
            draw,
        }) => {
            let draw = cli.draw.or(draw);
            let theme = Theme::new(draw.no_color(), draw.ascii);
            let (source, prefix) = source_for(cli.lessons.as_deref());
            let (course, problems) = course::load(source.as_ref());
            if let Some(file) = broken_lesson(&problems, &lesson) {
                errln!(
                    "llmf: lesson {} ({}) has problems: run `llmf check` to see them",
                    sanitize::field(&lesson),
                    sanitize::field(file)
                );
                return ExitCode::from(1);
            }
            let Some(course) = course.filter(|c| !c.lessons.is_empty()) else {
                errln!(
                    "llmf: the course at {} does not load: run `llmf check`",
                    sanitize::field(&prefix)
                );
                return ExitCode::from(1);
            };
            let (index, step) = match course.locate(&lesson, step) {
                Ok(at) => at,
                Err(e) => {
                    errln!("llmf: {}", sanitize::field(&e));
                    return ExitCode::from(1);
                }
            };
            let opts = Options { ascii: draw.ascii };
            let progress = starting_at(&course, index, step, Default::default());
            let mut app = App::new(course, progress, Store::memory(), opts, size);
            app.open_at(index, step);
            if panel {
                app.update(llmf::app::Action::FocusNext);
            }
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while settle && app.busy() && std::time::Instant::now() < deadline {
                app.update(llmf::app::Action::Tick);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if zoom {
                app.update(llmf::app::Action::ToggleZoom);
            }
            let area = Rect::new(0, 0, size.0, size.1);
            let mut buf = Buffer::empty(area);
            ui::render(&app, area, &mut buf, &theme);
            out!("{}", sanitize::lines(&ui::buffer_text(&buf)));
            ExitCode::SUCCESS
        }
        Some(Command::Keys { markdown }) => {
            if markdown {
                out!("{}", llmf::keymap::markdown_table());
            } else {
                for b in llmf::keymap::BINDINGS {
                    outln!("{:<12} {:<20} {}", b.context.name(), b.label, b.help);
                }
            }
            llmf::output::flush();
            ExitCode::SUCCESS
        }
        Some(Command::Attention {
            text,
            heads,
            causal,
            seed,
            d_k,
            json,
        }) => cli_attention::attention_command(&text, heads.into(), causal, seed, d_k.into(), json),
        Some(Command::Tokenize {
            text,
            tokenizer,
            vocab,
            list,
            json,
        }) => llmf::tokenize_cmd::run(text.as_deref(), &tokenizer, vocab as usize, list, json),
        Some(Command::Train {
            steps,
            seed,
            out,
            from: Some(from),
            data: Some(data),
            lora,
            ..
        }) => cli_finetune::finetune(cli_finetune::FinetuneArgs {
            from,
            data,
            lora,
            steps,
            seed,
            out,
        }),
        Some(Command::Train {
            preset,
            steps,
            seed,
            out,
            checkpoint,
            resume,
            ..
        }) => cli_lm::train(cli_lm::TrainArgs {
            preset,
            steps,
            seed,
            out,
            checkpoint,
            resume,
        }),
        Some(Command::Generate {
            prompt,
            model,
            temperature,
            top_k,
            top_p,
            seed,
            tokens,
            json,
        }) => cli_lm::generate(cli_lm::GenerateArgs {
            model,
            temperature,
            top_k,
            top_p,
            seed,
            tokens,
            json,
            prompt,
        }),
        Some(Command::Serve { args, draw }) => {
            let draw = cli.draw.or(draw);
            let looks = llmf::serve::Looks {
                no_color: draw.no_color(),
                ascii: draw.ascii,
                unicode: draw.unicode,
            };
            match load_for_session(cli.lessons.as_deref()) {
                Some(course) => cli_class::serve(args, course, looks),
                None => ExitCode::from(1),
            }
        }
        Some(Command::Class { command }) => cli_class::class(command, cli.lessons.as_deref()),
        Some(Command::Progress { reset, yes }) => {
            cli_progress::progress_command(cli.lessons.as_deref(), reset, yes)
        }
        Some(Command::Open { lesson, step, draw }) => {
            let draw = cli.draw.or(draw);
            let ascii = draw.ascii_for_terminal();
            let start = Some((lesson, step));
            run_tui(
                cli.lessons.as_deref(),
                start,
                ascii,
                Theme::new(draw.no_color(), ascii),
            )
        }
        None => {
            let ascii = cli.draw.ascii_for_terminal();
            let start = cli.lesson.map(|l| (l, 1));
            run_tui(
                cli.lessons.as_deref(),
                start,
                ascii,
                Theme::new(cli.draw.no_color(), ascii),
            )
        }
    }
}

fn run_tui(
    dir: Option<&Path>,
    start: Option<(String, usize)>,
    ascii: bool,
    theme: Theme,
) -> ExitCode {
    let Some(course) = load_for_session(dir) else {
        return ExitCode::from(1);
    };
    let at = match start.map(|(lesson, step)| course.locate(&lesson, step)) {
        Some(Err(e)) => {
            errln!("llmf: {}", sanitize::field(&e));
            return ExitCode::from(1);
        }
        Some(Ok(at)) => Some(at),
        None => None,
    };
    // A wrong lesson or step is reported even without a terminal; then the terminal is needed.
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        errln!("llmf: the course needs a terminal. To print a step as text, try `llmf render 05`.");
        return ExitCode::from(2);
    }
    if let Some(why) = llmf::tty::unusable_reason(std::env::var("TERM").ok().as_deref()) {
        errln!("llmf: {why}");
        return ExitCode::from(2);
    }
    let (store, progress, messages) = Store::open(default_dir());
    let size = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let progress = match at {
        Some((lesson, step)) => starting_at(&course, lesson, step, progress),
        None => progress,
    };
    let mut app = App::new(course, progress, store, Options { ascii }, size);
    if let Some((lesson, step)) = at {
        app.open_at(lesson, step);
    }
    app.add_notices(messages);
    match llmf::term::run(app, theme) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("llmf: {}", sanitize::field(&e));
            ExitCode::from(1)
        }
    }
}

/// `progress` with the course opened at `lesson`, `step` (0-based), as the app opens it:
/// otherwise the app would first open where the learner left off (lesson 01 on a fresh
/// home), record that step as seen, and only then move (`llmf open 15 --step 3` marked
/// lesson 01 as seen).
fn starting_at(
    course: &Course,
    lesson: usize,
    step: usize,
    mut progress: llmf::progress::Progress,
) -> llmf::progress::Progress {
    if let Some(l) = course.lessons.get(lesson) {
        progress.current = Some(l.slug.clone());
        progress.lesson_mut(&l.slug).step = step.min(l.steps.len().saturating_sub(1));
    }
    progress
}

/// The course a session opens (the local one or the server's); problems are printed.
fn load_for_session(dir: Option<&Path>) -> Option<Course> {
    let (source, prefix) = source_for(dir);
    // A teacher's folder is parsed and its panels' parameters checked (no view is computed:
    // `llmf check` measures every panel); the built-in course passed the full check at build
    // time (`make test` runs `llmf check lessons`), so start-up only parses it.
    let (course, problems) = if dir.is_some() {
        match llmf::check::load_for_start(source.as_ref()) {
            Ok(c) => (Some(c), Vec::new()),
            Err(problems) => (
                None,
                problems.iter().map(|p| format!("{prefix}{p}")).collect(),
            ),
        }
    } else {
        let (course, problems) = course::load(source.as_ref());
        let shown: Vec<String> = problems.iter().map(|p| format!("{prefix}{p}")).collect();
        (course.filter(|_| problems.is_empty()), shown)
    };
    let course = course.filter(|c| !c.lessons.is_empty());
    if course.is_none() {
        for p in &problems {
            errln!("{}", sanitize::field(p));
        }
        errln!(
            "llmf: the course at {} has problems; fix them (see `llmf check`) and start again",
            sanitize::field(&source.describe())
        );
    }
    course
}

/// Rewrites the generated kinds section of a lessons README (`make docs`).
fn write_kinds_doc(file: &Path) -> ExitCode {
    let result = std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|old| llmf::viz::registry::splice_kinds_doc(&old).map(|new| (old, new)))
        .and_then(|(old, new)| {
            if old == new {
                return Ok(false);
            }
            llmf::labs::lm::io::write(file, new.as_bytes()).map(|()| true)
        });
    match result {
        Ok(changed) => {
            let what = if changed {
                "rewrote"
            } else {
                "already up to date:"
            };
            outln!(
                "llmf: {what} {}",
                sanitize::field(&file.display().to_string())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!(
                "llmf: {}",
                sanitize::field(&format!("{}: {e}", file.display()))
            );
            ExitCode::from(1)
        }
    }
}
