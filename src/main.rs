//! `llmf`: the command line. Without a command it opens the course in the terminal; the
//! commands check a course, render a step as text, and show or reset progress.

use clap::{Parser, Subcommand};
use llmf::app::{App, Options};
use llmf::course::{self, embedded::Embedded, Course, DirSource, Source};
use llmf::progress::{default_dir, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::io::{BufRead, IsTerminal, Write};
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
    /// Use only ASCII characters (no box drawing, blocks or arrows).
    #[arg(long, global = true)]
    ascii: bool,
    /// Draw without colours (also set by the NO_COLOR environment variable).
    #[arg(long, global = true)]
    no_color: bool,
    /// A tokenizer.json to show beside the course's own tokenizers (lesson 01's panel).
    #[arg(long = "tokenizer", value_name = "FILE")]
    tokenizer_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a course folder (default: the built-in course); problems print as file:line.
    Check {
        dir: Option<PathBuf>,
        /// Print steps, words, visualizers and questions per lesson.
        #[arg(long)]
        stats: bool,
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
        /// Vocabulary size for the tokenizers trained here.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(100..=20000))]
        vocab: u32,
        /// List the tokenizer names.
        #[arg(long)]
        list: bool,
        /// Print JSON instead of lines.
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

/// Loads and fully checks a course; problems come back as printable lines.
fn load_checked(source: &dyn Source, prefix: &str) -> (Option<Course>, Vec<String>) {
    match llmf::check::load_checked(source) {
        Ok(c) => (Some(c), Vec::new()),
        Err(problems) => (
            None,
            problems.iter().map(|p| format!("{prefix}{p}")).collect(),
        ),
    }
}

fn source_for(dir: Option<&Path>) -> (Box<dyn Source + '_>, String) {
    match dir {
        Some(d) => (Box::new(DirSource(d)), format!("{}/", d.display())),
        None => (Box::new(Embedded), "lessons/".to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::new(no_color, cli.ascii);
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
                eprintln!("llmf: {e}");
                return ExitCode::from(1);
            }
        }
    }
    match cli.command {
        Some(Command::Check { dir, stats }) => {
            let dir = dir.or(cli.lessons);
            let (source, prefix) = source_for(dir.as_deref());
            let (course, problems) = load_checked(source.as_ref(), &prefix);
            for p in &problems {
                println!("{p}");
            }
            if stats {
                let (course, _) = course::load(source.as_ref());
                if let Some(c) = course {
                    print!("{}", llmf::check::stats_table(&c));
                }
            }
            if problems.is_empty() && course.is_some() {
                eprintln!("{}: course OK", source.describe());
                ExitCode::SUCCESS
            } else {
                eprintln!("{}: {} problem(s)", source.describe(), problems.len());
                ExitCode::from(1)
            }
        }
        Some(Command::Render {
            lesson,
            step,
            size,
            panel,
            settle,
        }) => {
            let (source, prefix) = source_for(cli.lessons.as_deref());
            let (course, _) = course::load(source.as_ref());
            let Some(course) = course.filter(|c| !c.lessons.is_empty()) else {
                eprintln!("llmf: the course at {prefix} does not load: run `llmf check`");
                return ExitCode::from(1);
            };
            let Some(index) = course.find(&lesson) else {
                let known: Vec<String> = course
                    .lessons
                    .iter()
                    .map(|l| format!("{} {}", l.number, l.slug))
                    .collect();
                eprintln!(
                    "llmf: no lesson \"{lesson}\"; the course has: {}",
                    known.join(", ")
                );
                return ExitCode::from(1);
            };
            let opts = Options { ascii: cli.ascii };
            let mut app = App::new(course, Default::default(), Store::memory(), opts, size);
            app.open_at(index, step.saturating_sub(1));
            if panel {
                app.update(llmf::app::Action::FocusNext);
            }
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while settle && app.busy() && std::time::Instant::now() < deadline {
                app.update(llmf::app::Action::Tick);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let area = Rect::new(0, 0, size.0, size.1);
            let mut buf = Buffer::empty(area);
            ui::render(&app, area, &mut buf, &theme);
            print!("{}", ui::buffer_text(&buf));
            ExitCode::SUCCESS
        }
        Some(Command::Keys { markdown }) => {
            if markdown {
                print!("{}", llmf::keymap::markdown_table());
            } else {
                for b in llmf::keymap::BINDINGS {
                    println!("{:<12} {:<20} {}", b.context.name(), b.label, b.help);
                }
            }
            ExitCode::SUCCESS
        }
        Some(Command::Attention {
            text,
            heads,
            causal,
            seed,
            d_k,
            json,
        }) => attention_command(&text, heads.into(), causal, seed, d_k.into(), json),
        Some(Command::Tokenize {
            text,
            tokenizer,
            vocab,
            list,
            json,
        }) => tokenize_command(text.as_deref(), &tokenizer, vocab as usize, list, json),
        Some(Command::Progress { reset, yes }) => {
            progress_command(cli.lessons.as_deref(), reset, yes)
        }
        None => run_tui(cli.lessons.as_deref(), cli.ascii, theme),
    }
}

fn progress_command(dir: Option<&Path>, reset: bool, yes: bool) -> ExitCode {
    let (mut store, progress, messages) = Store::open(default_dir());
    for m in &messages {
        eprintln!("llmf: {m}");
    }
    let where_ = store
        .path()
        .map_or("(nowhere: no home folder)".to_string(), |p| {
            p.display().to_string()
        });
    if reset {
        if !yes {
            print!("Clear all progress in {where_}? Type yes to confirm: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if answer.trim() != "yes" {
                println!("Nothing cleared.");
                return ExitCode::SUCCESS;
            }
        }
        return match store.reset() {
            Ok(()) => {
                println!("Progress cleared.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("llmf: cannot clear progress: {e}");
                ExitCode::from(1)
            }
        };
    }
    let (source, _) = source_for(dir);
    let (course, _) = course::load(source.as_ref());
    println!("Progress in {where_}");
    let Some(course) = course else {
        return ExitCode::SUCCESS;
    };
    for lesson in &course.lessons {
        let p = progress.lesson(&lesson.slug);
        let seen = p.map_or(0, |p| {
            p.visited
                .iter()
                .filter(|s| **s < lesson.steps.len())
                .count()
        });
        let quiz_ids: Vec<&str> = lesson
            .steps
            .iter()
            .filter_map(|s| match &s.panel {
                Some(course::Panel::Quiz(q)) => Some(q.id.as_str()),
                _ => None,
            })
            .collect();
        let right = quiz_ids
            .iter()
            .filter(|id| {
                p.and_then(|p| p.answers.get(**id))
                    .is_some_and(|a| a.correct)
            })
            .count();
        let here = if progress.current.as_deref() == Some(lesson.slug.as_str()) {
            format!("  <- you are here (step {})", p.map_or(1, |p| p.step + 1))
        } else {
            String::new()
        };
        let done = if p.is_some_and(|p| p.done) {
            "done"
        } else {
            "    "
        };
        println!(
            "  {} {:<22} {done}  steps seen {seen:>2}/{:<2}  questions right {right}/{}{here}",
            lesson.number,
            lesson.slug,
            lesson.steps.len(),
            quiz_ids.len()
        );
    }
    ExitCode::SUCCESS
}

fn run_tui(dir: Option<&Path>, ascii: bool, theme: Theme) -> ExitCode {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "llmf: the course needs a terminal. To print a step as text, try `llmf render 05`."
        );
        return ExitCode::from(2);
    }
    let (source, prefix) = source_for(dir);
    // A teacher's folder gets the full check; the built-in course passed it at build time
    // (`make test` runs `llmf check lessons`), so start-up only parses it.
    let (course, problems) = if dir.is_some() {
        load_checked(source.as_ref(), &prefix)
    } else {
        let (course, problems) = course::load(source.as_ref());
        let shown: Vec<String> = problems.iter().map(|p| format!("{prefix}{p}")).collect();
        (course.filter(|_| problems.is_empty()), shown)
    };
    let Some(course) = course.filter(|c| !c.lessons.is_empty()) else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!(
            "llmf: the course at {} has problems; fix them (see `llmf check`) and start again",
            source.describe()
        );
        return ExitCode::from(1);
    };
    let (store, progress, messages) = Store::open(default_dir());
    let size = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let mut app = App::new(course, progress, store, Options { ascii }, size);
    app.add_notices(messages);
    match llmf::term::run(app, theme) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("llmf: {e}");
            ExitCode::from(1)
        }
    }
}

fn attention_command(
    text: &str,
    heads: usize,
    causal: bool,
    seed: u64,
    d_k: usize,
    json: bool,
) -> ExitCode {
    use llmf::viz::kinds::attention_map::{random_head_weights, words};
    let input = if text == "-" {
        let mut buf = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf) {
            eprintln!("llmf: cannot read standard input: {e}");
            return ExitCode::from(1);
        }
        buf
    } else {
        text.to_string()
    };
    let tokens = words(&input, 64);
    if tokens.is_empty() {
        eprintln!(
            "llmf: no words to attend over: give a sentence, e.g. llmf attention \"the cat sat\""
        );
        return ExitCode::from(1);
    }
    let weights = random_head_weights(&tokens, heads, d_k, seed, causal);
    if json {
        let heads_json: Vec<Vec<Vec<f64>>> = weights
            .iter()
            .map(|w| w.rows().into_iter().map(|r| r.to_vec()).collect())
            .collect();
        let out = serde_json::json!({
            "tokens": tokens,
            "seed": seed,
            "d_k": d_k,
            "causal": causal,
            "weights_are": "seeded random projections, not a trained model",
            "heads": heads_json,
        });
        println!("{out}");
        return ExitCode::SUCCESS;
    }
    let width = tokens
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(1)
        .max(6);
    for (h, w) in weights.iter().enumerate() {
        println!(
            "head {} of {heads} (seeded random projections, seed {seed}, d_k {d_k}{}): rows are queries",
            h + 1,
            if causal { ", causal" } else { "" }
        );
        print!("{:width$}", "");
        for t in &tokens {
            print!(" {t:>width$}");
        }
        println!();
        for (i, row) in w.rows().into_iter().enumerate() {
            print!("{:width$}", tokens[i]);
            for v in row {
                print!(" {v:>width$.3}");
            }
            println!();
        }
        println!();
    }
    ExitCode::SUCCESS
}

fn tokenize_command(
    text: Option<&str>,
    name: &str,
    vocab: usize,
    list: bool,
    json: bool,
) -> ExitCode {
    use llmf::labs::tokenize::{corpus, encode, load_file, train, Algorithm, Pretrained};
    if list {
        for a in Algorithm::ALL {
            println!(
                "{:<10} trained here on the course's own text (--vocab sets its size)",
                a.name()
            );
        }
        for p in Pretrained::ALL {
            println!("{:<10} {}", p.name(), p.describe());
        }
        println!("{:<10} any tokenizer.json, by path", "FILE");
        return ExitCode::SUCCESS;
    }
    let input = match text {
        None => {
            eprintln!("llmf: give the text to split, or - to read standard input (see --help)");
            return ExitCode::from(2);
        }
        Some("-") => {
            let mut buf = String::new();
            if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf) {
                eprintln!("llmf: cannot read standard input: {e}");
                return ExitCode::from(1);
            }
            buf
        }
        Some(t) => t.to_string(),
    };
    let tokens = if let Some(p) = Pretrained::ALL.into_iter().find(|p| p.name() == name) {
        Ok(p.encode(&input))
    } else if let Some(a) = Algorithm::ALL.into_iter().find(|a| a.name() == name) {
        train(a, vocab, &corpus()).and_then(|tok| encode(&tok, &input))
    } else {
        let path = Path::new(name);
        if !path.exists() {
            eprintln!("llmf: no tokenizer \"{name}\": use one of `llmf tokenize --list` or the path of a tokenizer.json");
            return ExitCode::from(1);
        }
        load_file(path).and_then(|tok| encode(&tok, &input))
    };
    let tokens = match tokens {
        Ok(t) => t,
        Err(e) => {
            eprintln!("llmf: {e}");
            return ExitCode::from(1);
        }
    };
    if json {
        let list: Vec<serde_json::Value> = tokens
            .iter()
            .map(
                |t| serde_json::json!({"text": t.text, "id": t.id, "start": t.start, "end": t.end}),
            )
            .collect();
        println!(
            "{}",
            serde_json::json!({"tokenizer": name, "count": tokens.len(), "tokens": list})
        );
    } else {
        for t in &tokens {
            println!("{:?}\t{}\t{}..{}", t.text, t.id, t.start, t.end);
        }
        eprintln!(
            "{} token{} ({name})",
            tokens.len(),
            if tokens.len() == 1 { "" } else { "s" }
        );
    }
    ExitCode::SUCCESS
}
