//! The command line: one file per command, each with its clap `Args` and a `run` that returns
//! an [`Outcome`]. Without a command, `llmf` opens the course in the terminal.

mod attention;
mod check;
mod class;
mod course_source;
mod finetune;
mod generate;
mod keys;
mod open;
mod progress;
mod render;
mod serve;
pub use serve::serve_with_memory_given_back;
mod tokenize;
mod train;

use clap::{Parser, Subcommand};
use llmf::errln;
use llmf::text::sanitize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "llmf",
    version,
    about = "LLM Foundations: how large language models work, in your terminal"
)]
pub struct Cli {
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

#[derive(Subcommand)]
enum Command {
    /// Check a course folder (default: the built-in course); problems print as file:line.
    Check(check::Args),
    /// Open the course at a lesson (and step) instead of where you left off.
    Open(open::Args),
    /// Print one step exactly as the screen shows it, as plain text.
    Render(render::Args),
    /// Print attention weights for a sentence (seeded random projections), for scripts.
    Attention(attention::Args),
    /// Split text into tokens with a trained, embedded or file tokenizer, for scripts.
    Tokenize(tokenize::Args),
    /// Train the course's character-level GPT on its bundled corpus (one CPU thread); writes a
    /// safetensors model and a JSON recipe beside it. It says what it will do and, after
    /// its first steps, how long the rest will take.
    Train(train::Args),
    /// Continue a prompt with the character-level GPT (default: the built-in base model).
    Generate(generate::Args),
    /// Show the learner's progress.
    Progress(progress::Args),
    /// Serve the course to a class over SSH: students type one `ssh` command, nothing to
    /// install, no accounts; each student's progress is kept in the class folder.
    Serve(serve::Args),
    /// The teacher's side of a class folder.
    Class(class::Args),
    /// List every key binding (from the one key table the app uses).
    Keys(keys::Args),
}

/// How the screen is drawn: only on the commands that draw one (the course itself, `open`,
/// `render`, `serve`), so the other commands' help lists only what they use.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct Draw {
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
        self.ascii
            || (!self.unicode && !llmf::driver::tty::locale_is_utf8(|k| std::env::var(k).ok()))
    }
}

/// What the options before any command give every command.
#[derive(Clone, Copy)]
struct Global<'a> {
    /// `--lessons DIR`: the course folder, else the built-in course.
    lessons: Option<&'a std::path::Path>,
    /// The drawing flags given before the command.
    draw: Draw,
}

/// Why a command failed: the one error type of every command. The message is printed as
/// `llmf: MESSAGE` on stderr (sanitized: it may hold a file name or a lesson's text), and the
/// process exits with `status`.
#[derive(Debug)]
pub struct Failure {
    /// 1: what the command was given or found is wrong; 2: it cannot run here (no terminal,
    /// no home folder, a bad lesson name).
    status: u8,
    /// Empty when the command has already said what went wrong (a list of problems).
    message: String,
}

impl Failure {
    /// Exit status 1 with `message`.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self {
            status: 1,
            message: message.to_string(),
        }
    }

    /// Exit status 2 (the command cannot run here) with `message`.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self {
            status: 2,
            message: message.to_string(),
        }
    }

    /// Exit status 1, with everything already said.
    pub fn said() -> Self {
        Self {
            status: 1,
            message: String::new(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

/// What a command comes to.
pub type Outcome = Result<(), Failure>;

impl Cli {
    /// Whether the command is `serve` (which restarts itself before any thread starts).
    pub fn serves(&self) -> bool {
        matches!(self.command, Some(Command::Serve(_)))
    }
}

/// Runs the command line's command and says how it went.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { status, message }) => {
            if !message.is_empty() {
                errln!("llmf: {}", sanitize::field(&message));
            }
            ExitCode::from(status)
        }
    }
}

fn dispatch(cli: Cli) -> Outcome {
    if let Some(path) = &cli.tokenizer_file {
        let tok = llmf::labs::part1_text::tokenize::load_file(path)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        llmf::labs::part1_text::shared::set_user_tokenizer(name, tok);
    }
    let global = Global {
        lessons: cli.lessons.as_deref(),
        draw: cli.draw,
    };
    match cli.command {
        Some(Command::Check(args)) => check::run(args, global),
        Some(Command::Open(args)) => open::run(args, global),
        Some(Command::Render(args)) => render::run(args, global),
        Some(Command::Attention(args)) => attention::run(args),
        Some(Command::Tokenize(args)) => tokenize::run(args),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Generate(args)) => generate::run(args),
        Some(Command::Progress(args)) => progress::run(args, global),
        Some(Command::Serve(args)) => serve::run(args, global),
        Some(Command::Class(args)) => class::run(args, global),
        Some(Command::Keys(args)) => keys::run(args),
        None => open::course(cli.lesson.map(|l| (l, 1)), global.draw, global),
    }
}
