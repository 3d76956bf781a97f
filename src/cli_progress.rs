//! `llmf progress`: where the learner is in each lesson, and resetting it on request.

use crate::source_for;
use llmf::course;
use llmf::progress::{default_dir, Store};
use llmf::sanitize;
use llmf::{errln, out, outln};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn progress_command(dir: Option<&Path>, reset: bool, yes: bool) -> ExitCode {
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
                return ExitCode::SUCCESS;
            }
        }
        return match store.reset() {
            Ok(()) => {
                outln!("Progress cleared.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                errln!("llmf: cannot clear progress: {e}");
                ExitCode::from(1)
            }
        };
    }
    let (source, prefix) = source_for(dir);
    let (course, problems) = course::load(source.as_ref());
    let Some(course) = course else {
        for p in &problems {
            errln!("{prefix}{}", sanitize::field(&p.to_string()));
        }
        errln!(
            "llmf: the course at {} does not load, so progress cannot be shown against it: \
             check the --lessons folder (`llmf check`)",
            sanitize::field(&source.describe())
        );
        return ExitCode::from(1);
    };
    outln!("Progress in {where_}");
    for lesson in &course.lessons {
        let p = progress.lesson(&lesson.slug);
        let record = llmf::record::Record::of(lesson, p);
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
    ExitCode::SUCCESS
}
