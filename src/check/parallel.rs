//! The chosen lessons of a course checked side by side, one progress callback per lesson.

use super::quotes::{check_reading, readings, Reading};
use super::{check_across_lessons, check_lesson};
use crate::course::{Course, Problem};
use crate::viz::lab::Shared;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One lesson checked by [`check_lessons`]: its problems and the time its checks took (summed
/// over its parts, which may run on several threads).
#[derive(Debug)]
pub struct LessonChecked<'a> {
    pub lesson: &'a crate::course::Lesson,
    pub problems: usize,
    pub took: Duration,
    /// Each part of the lesson's check (its layout checks, each panel its quotes read) and
    /// what it cost, in the order they finished: what `llmf check --times` prints.
    pub parts: Vec<PartCost>,
}

/// What one part of a lesson's check cost: wall time, and the process's CPU time meanwhile
/// (the part's own only when one part runs at a time, as `llmf check --times` arranges; on
/// Linux, else zero).
#[derive(Debug, Clone)]
pub struct PartCost {
    pub what: String,
    /// When it started, from the start of the check.
    pub began: Duration,
    pub wall: Duration,
    pub cpu: Duration,
    /// The process's peak resident memory during the part and its resident memory after it,
    /// in bytes (Linux; the peak is the part's own only when parts run one at a time, which
    /// resets the kernel's peak before each).
    pub peak: u64,
    pub after: u64,
}

/// The process's resident memory now and at its peak since the last [`reset_peak`], in bytes,
/// from `/proc/self/status`; zeros where that file is not there.
pub fn resident() -> (u64, u64) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (0, 0);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the kernel's record of the process's peak resident memory to what it holds now (by
/// writing 5 to `/proc/self/clear_refs`), so [`resident`] reports the peak from here on;
/// nothing happens where that file is not there.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The CPU time this process has used (every thread's, user and system), from
/// `/proc/self/stat` in clock ticks; zero where that file is not there.
pub fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name (which may hold spaces) closed by the last ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // The kernel reports in USER_HZ, 100 on every Linux llmf runs on.
    Duration::from_millis(ticks * 10)
}

/// A piece of [`check_lessons`]' work: a lesson's layout checks, or one panel its `expect`
/// entries read at one setting (which may train a model, so each is its own piece).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Quote { lesson: usize, reading: usize },
    Layout { lesson: usize },
}

impl Piece {
    fn lesson(self) -> usize {
        match self {
            Piece::Quote { lesson, .. } | Piece::Layout { lesson } => lesson,
        }
    }
}

/// A lesson's check so far: parts left, problems found, time taken, what each part cost.
#[derive(Default)]
struct Tally {
    left: usize,
    problems: usize,
    took: Duration,
    parts: Vec<PartCost>,
}

/// Where problems go in the report: a lesson's layout problems, then its quotes' by step and
/// entry (as if each entry had been read alone).
type ReportOrder = (usize, usize, usize, usize);

/// Checks the `chosen` lessons of `course` (all when empty) on `workers` threads, calling
/// `done` as each lesson finishes (for a progress line), and returns the problems of the
/// checks across lessons, then each lesson's in course order. The slow parts are the quotes
/// of panels that train a model (each on one core), so every panel the quotes read is a piece
/// of work of its own and those go first: two workers on two cores take about half the time
/// of one. Entries that read the same panel at the same settings share one reading.
pub fn check_lessons<'a>(
    course: &'a Course,
    chosen: &[usize],
    quotes: bool,
    workers: usize,
    done: &(dyn Fn(&LessonChecked<'a>) + Sync),
) -> Vec<Problem> {
    let lessons: Vec<usize> = if chosen.is_empty() {
        (0..course.lessons.len()).collect()
    } else {
        chosen.to_vec()
    };
    // Per lesson: the panels its quotes read.
    let reads: Vec<Vec<Reading>> = course
        .lessons
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if quotes && lessons.contains(&i) {
                readings(l)
            } else {
                Vec::new()
            }
        })
        .collect();
    // The layout checks first: they take little CPU but build every panel (tokenizers, word
    // vectors, the shipped model's samples), whose memory is let go before the training runs
    // of the quotes start, instead of coming on top of two of them.
    let mut pieces: Vec<Piece> = lessons
        .iter()
        .map(|&lesson| Piece::Layout { lesson })
        .collect();
    for &lesson in &lessons {
        pieces.extend((0..reads[lesson].len()).map(|reading| Piece::Quote { lesson, reading }));
    }
    let tally: Vec<Mutex<Tally>> = (0..course.lessons.len())
        .map(|_| Mutex::new(Tally::default()))
        .collect();
    for piece in &pieces {
        tally[piece.lesson()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .left += 1;
    }
    let shared = Shared::new();
    let one_at_a_time = workers <= 1;
    let begun = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(ReportOrder, Vec<Problem>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, pieces.len().max(1)) {
            scope.spawn(|| {
                while let Some(&piece) = pieces.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let started = Instant::now();
                    let cpu = process_cpu();
                    if one_at_a_time {
                        reset_peak();
                    }
                    let index = piece.lesson();
                    let lesson = &course.lessons[index];
                    // A piece builds its panels many times (once per control setting to
                    // measure them): the large tables they load stay until it ends.
                    let keep = crate::labs::shelf::keep();
                    let found: Vec<(ReportOrder, Vec<Problem>)> = match piece {
                        Piece::Layout { .. } => {
                            vec![((index, 0, 0, 0), check_lesson(lesson, false))]
                        }
                        Piece::Quote { reading, .. } => {
                            check_reading(lesson, &reads[index][reading], &shared)
                                .into_iter()
                                .map(|((step, entry), p)| ((index, 1, step, entry), p))
                                .collect()
                        }
                    };
                    drop(keep);
                    let count: usize = found.iter().map(|(_, p)| p.len()).sum();
                    let part = PartCost {
                        what: match piece {
                            Piece::Layout { .. } => "layout".to_string(),
                            Piece::Quote { reading, .. } => reads[index][reading].describe(),
                        },
                        began: started.duration_since(begun),
                        wall: started.elapsed(),
                        cpu: process_cpu().saturating_sub(cpu),
                        peak: 0,
                        after: 0,
                    };
                    let part = if one_at_a_time {
                        let (after, peak) = resident();
                        PartCost {
                            peak,
                            after,
                            ..part
                        }
                    } else {
                        part
                    };
                    let mut t = tally[index].lock().unwrap_or_else(PoisonError::into_inner);
                    t.left -= 1;
                    t.problems += count;
                    t.took += part.wall;
                    t.parts.push(part);
                    let finished = (t.left == 0).then(|| LessonChecked {
                        lesson,
                        problems: t.problems,
                        took: t.took,
                        parts: std::mem::take(&mut t.parts),
                    });
                    drop(t);
                    if let Some(checked) = finished {
                        done(&checked);
                    }
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend(found);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(order, _)| *order);
    let mut problems = check_across_lessons(course);
    problems.extend(results.into_iter().flat_map(|(_, p)| p));
    problems
}
