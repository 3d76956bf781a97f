//! `llmf class …`: the teacher's side of a class folder.

use super::course_source::source_for;
use super::{Failure, Global, Outcome};
use clap::Subcommand;
use llmf::course;
use llmf::driver::serve;
use llmf::text::sanitize;
use llmf::{out, outln};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ClassCommand,
}

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

pub fn run(args: Args, global: Global) -> Outcome {
    let lessons = global.lessons;
    match args.command {
        ClassCommand::Report { class, json } => report(class, lessons, json),
        ClassCommand::Watch { class, every } => loop {
            // Clear the screen and go home, then the same report as `class report`.
            out!("\x1b[2J\x1b[H");
            report(class.clone(), lessons, false)?;
            outln!("(every {every} s; Ctrl-C stops)");
            llmf::text::output::flush();
            std::thread::sleep(std::time::Duration::from_secs(every));
        },
    }
}

fn report(class: Option<PathBuf>, lessons: Option<&Path>, json: bool) -> Outcome {
    let Some(class) = class.or_else(serve::default_class_dir) else {
        return Err(Failure::usage(
            "no home folder found: give the class folder with --class DIR",
        ));
    };
    let (source, _) = source_for(lessons);
    let (course, _) = course::load(source.as_ref());
    let Some(course) = course else {
        return Err(Failure::new("the course does not load: run `llmf check`"));
    };
    match serve::class_report::build(&class, &course) {
        Ok(report) if json => match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                // serde_json leaves DEL, C1 (U+009B is a CSI) and bidi controls raw.
                outln!("{}", sanitize::json(&text));
                llmf::text::output::flush();
                Ok(())
            }
            Err(e) => Err(Failure::new(e)),
        },
        Ok(report) => {
            outln!(
                "Class folder {}",
                sanitize::field(&class.display().to_string())
            );
            out!("{}", serve::class_report::table(&report));
            llmf::text::output::flush();
            Ok(())
        }
        Err(e) => Err(Failure::new(e)),
    }
}
