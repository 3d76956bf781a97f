//! `llmf progress`: where the learner is in each lesson, and resetting it on request.

use super::course_source::source_for;
use super::{Failure, Global, Outcome};
use llmf::course;
use llmf::progress::{default_dir, Store};
use llmf::text::sanitize;
use llmf::{errln, out, outln};
use std::io::{BufRead, Write};

#[derive(clap::Args)]
pub struct Args {
    /// Clear all progress (asks first).
    #[arg(long)]
    reset: bool,
    /// With --reset: do not ask.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: Args, global: Global) -> Outcome {
    let (dir, reset, yes) = (global.lessons, args.reset, args.yes);
    let (mut store, progress, messages) = Store::open(default_dir());
    for m in &messages {
        errln!("llmf: {}", sanitize::field(m));
    }
    let where_ = store
        .path()
        .map_or("(nowhere: no home folder)".to_string(), |p| {
            sanitize::field(&p.display().to_string()).into_owned()
        });
    if reset {
        if !yes {
            out!("Clear all progress in {where_}? Type yes to confirm: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if answer.trim() != "yes" {
                outln!("Nothing cleared.");
                return Ok(());
            }
        }
        store
            .reset()
            .map_err(|e| Failure::new(format!("cannot clear progress: {e}")))?;
        outln!("Progress cleared.");
        return Ok(());
    }
    let (source, prefix) = source_for(dir);
    let (course, problems) = course::load(source.as_ref());
    let Some(course) = course else {
        for p in &problems {
            errln!("{prefix}{}", sanitize::field(&p.to_string()));
        }
        return Err(Failure::new(format!(
            "the course at {} does not load, so progress cannot be shown against it: \
             check the --lessons folder (`llmf check`)",
            source.describe()
        )));
    };
    outln!("Progress in {where_}");
    for lesson in &course.lessons {
        let p = progress.lesson(&lesson.slug);
        let record = llmf::progress::record::Record::of(lesson, p);
        let here = if progress.current.as_deref() == Some(lesson.slug.as_str()) {
            format!("  <- you are here (step {})", p.map_or(1, |p| p.step + 1))
        } else {
            String::new()
        };
        let done = if record.done() { "done" } else { "    " };
        outln!(
            "  {} {:<22} {done}  steps seen {:>2}/{:<2}  questions right {}/{} \
             (first try {}){here}",
            lesson.number,
            lesson.slug,
            record.steps_seen,
            record.steps,
            record.right,
            record.questions,
            record.first_try
        );
    }
    Ok(())
}
