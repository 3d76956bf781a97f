//! `llmf check`: a course folder's lessons checked side by side, one line each on a terminal
//! as they finish; problems go to stdout as `file:line: …`, the verdict to stderr.

use super::course_source::source_for;
use super::{Failure, Global, Outcome};
use llmf::course::{self, Source};
use llmf::text::sanitize;
use llmf::{errln, out, outln};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(clap::Args)]
pub struct Args {
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
    /// Check one part at a time and print what each part of each lesson cost, in the order
    /// they ran: wall and CPU seconds, peak memory and memory kept after it (Linux).
    #[arg(long)]
    times: bool,
    /// Rewrite the visualizer tables of this lessons README from the kinds' definitions
    /// (what `make docs` runs), then stop.
    #[arg(long, value_name = "FILE")]
    kinds_doc: Option<PathBuf>,
}

pub fn run(args: Args, global: Global) -> Outcome {
    if let Some(file) = &args.kinds_doc {
        return write_kinds_doc(file);
    }
    let dir = args.dir.as_deref().or(global.lessons);
    let (source, prefix) = source_for(dir);
    check_course_folder(
        source.as_ref(),
        &prefix,
        &args.lesson,
        args.stats,
        args.times,
    )
}

fn check_course_folder(
    source: &dyn Source,
    prefix: &str,
    only: &[String],
    stats: bool,
    times: bool,
) -> Outcome {
    // mimalloc asks the kernel for transparent huge pages, which rounds what each training
    // thread touches up to 2 MiB pages. Without them the check's peak was 8% lower on lesson 22
    // (191 against 208 MB, twice each) for the same CPU time. Only `llmf check` trains so many
    // models at once; the app keeps them.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let (course, mut problems) = course::load_all(source);
    if let Some(c) = &course {
        let mut chosen = Vec::new();
        for key in only {
            match c.find(key) {
                Some(index) => chosen.push(index),
                None => return Err(Failure::usage(c.locate(key, 1).err().unwrap_or_default())),
            }
        }
        let total = if chosen.is_empty() {
            c.lessons.len()
        } else {
            chosen.len()
        };
        let finished = AtomicUsize::new(0);
        let show = std::io::stderr().is_terminal();
        // One part at a time when timing, so the process's CPU time over a part is its own.
        let workers = if times {
            1
        } else {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        };
        let costs: std::sync::Mutex<Vec<(String, llmf::check::PartCost)>> = Default::default();
        problems.extend(llmf::check::check_lessons(
            c,
            &chosen,
            true,
            workers,
            &|done| {
                let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
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
                if times {
                    let mut costs = costs
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    for part in &done.parts {
                        costs.push((done.lesson.file.clone(), part.clone()));
                    }
                }
            },
        ));
        if times {
            let mut costs = costs
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            costs.sort_by_key(|(_, part)| part.began);
            let cpu: f64 = costs.iter().map(|(_, p)| p.cpu.as_secs_f64()).sum();
            errln!(
                "{:>7} {:>6} {:>6} {:>7} {:>7}  part",
                "start s",
                "cpu s",
                "wall s",
                "peak MB",
                "then MB"
            );
            let mb = |b: u64| b as f64 / 1e6;
            for (file, part) in &costs {
                errln!(
                    "{:>7.2} {:>6.2} {:>6.2} {:>7.0} {:>7.0}  {} {}",
                    part.began.as_secs_f64(),
                    part.cpu.as_secs_f64(),
                    part.wall.as_secs_f64(),
                    mb(part.peak),
                    mb(part.after),
                    sanitize::field(file),
                    sanitize::field(&part.what)
                );
            }
            errln!("{:>7} {cpu:>6.2}  all parts", "");
        }
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
    let described = sanitize::field(&source.describe()).into_owned();
    if ok {
        errln!("{described}: course OK");
        Ok(())
    } else {
        errln!("{described}: {} problem(s)", problems.len());
        Err(Failure::said())
    }
}

/// Rewrites the generated kinds section of a lessons README (`make docs`).
fn write_kinds_doc(file: &Path) -> Outcome {
    // Read like any file llmf did not write: a regular file, bounded (a FIFO or a huge file is
    // refused, not waited on); a lessons README is far smaller than a lesson's limit.
    let old = llmf::text::safe_read::read_text(file, llmf::text::safe_read::LESSON_LIMIT)
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let new = llmf::viz::registry::splice_kinds_doc(&old)
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let what = if old == new {
        "already up to date:"
    } else {
        llmf::labs::lm::io::write(file, new.as_bytes())
            .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
        "rewrote"
    };
    outln!(
        "llmf: {what} {}",
        sanitize::field(&file.display().to_string())
    );
    Ok(())
}
