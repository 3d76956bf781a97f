//! `llmf serve` and `llmf class …`: the command-line side of teaching a class.

use clap::Subcommand;
use llmf::course::{self, embedded::Embedded, DirSource, Source};
use llmf::serve::{self, Looks, ServeArgs};
use llmf::{errln, out, outln, sanitize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClassCommand {
    /// One row per student (where they are, lessons done, first-try score), then every
    /// question by the share of students who got it right at the first try, lowest first.
    Report {
        /// The class folder (default: the one `llmf serve` uses).
        #[arg(long, value_name = "DIR")]
        class: Option<PathBuf>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// The report, printed again every few seconds on a cleared screen (Ctrl-C stops it).
    Watch {
        /// The class folder (default: the one `llmf serve` uses).
        #[arg(long, value_name = "DIR")]
        class: Option<PathBuf>,
        /// Seconds between refreshes.
        #[arg(long, value_name = "SECS", default_value_t = 5,
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        every: u64,
    },
}

pub fn serve(args: ServeArgs, course: course::Course, looks: Looks) -> ExitCode {
    match serve::run(args, course, looks) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("llmf serve: {}", sanitize::field(&e));
            ExitCode::from(1)
        }
    }
}

pub fn class(command: ClassCommand, lessons: Option<&Path>) -> ExitCode {
    match command {
        ClassCommand::Report { class, json } => report(class, lessons, json),
        ClassCommand::Watch { class, every } => loop {
            // Clear the screen and go home, then the same report as `class report`.
            out!("\x1b[2J\x1b[H");
            let code = report(class.clone(), lessons, false);
            if code != ExitCode::SUCCESS {
                return code;
            }
            outln!("(every {every} s; Ctrl-C stops)");
            llmf::output::flush();
            std::thread::sleep(std::time::Duration::from_secs(every));
        },
    }
}

fn report(class: Option<PathBuf>, lessons: Option<&Path>, json: bool) -> ExitCode {
    let Some(class) = class.or_else(serve::default_class_dir) else {
        errln!("llmf: no home folder found: give the class folder with --class DIR");
        return ExitCode::from(2);
    };
    let source: Box<dyn Source> = match lessons {
        Some(d) => Box::new(DirSource(d)),
        None => Box::new(Embedded),
    };
    let (course, _) = course::load(source.as_ref());
    let Some(course) = course else {
        errln!("llmf: the course does not load: run `llmf check`");
        return ExitCode::from(1);
    };
    match llmf::class_report::build(&class, &course) {
        Ok(report) if json => match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                // serde_json leaves DEL, C1 (U+009B is a CSI) and bidi controls raw.
                outln!("{}", sanitize::json(&text));
                llmf::output::flush();
                ExitCode::SUCCESS
            }
            Err(e) => {
                errln!("llmf: {e}");
                ExitCode::from(1)
            }
        },
        Ok(report) => {
            outln!(
                "Class folder {}",
                sanitize::field(&class.display().to_string())
            );
            out!("{}", llmf::class_report::table(&report));
            llmf::output::flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("llmf: {}", sanitize::field(&e));
            ExitCode::from(1)
        }
    }
}
