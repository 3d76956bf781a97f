//! Keys while a panel works in the background: the promise that "the UI answers keys within 16 ms
//! throughout" training. For each kind that trains (lm-train, scaling-sweep, sft, lora,
//! forgetting, dpo) the bench opens its step at 80x24, starts the work as a learner would
//! (Tab to the panel and Enter on its first control, unless it started by itself), and then times
//! what the event loop does on every key and every wake while the work runs: `update` of the
//! key (↓ or ↑ between controls, alternately) or of a `Tick`, and a full draw into a
//! `TestBackend`. Between events it sleeps 2 ms, so the background thread trains as it would.
//!
//! Criterion reports the mean per event; the slowest event and the 99th percentile are printed
//! too (`busy/<kind>: n events, p50 …, p99 …, max …, work running for all: yes`), since "within
//! 16 ms throughout" is about the slowest one.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use llmf::app::{Action, App};
use llmf::course::{embedded::Embedded, Course, Panel};
use llmf::jobs::Waker;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each kind that trains, with which of its steps (0 = the first) runs training; lesson 20's
/// first sft step only shows the loss mask.
const KINDS: &[(&str, usize)] = &[
    ("lm-train", 0),
    ("scaling-sweep", 0),
    ("sft", 1),
    ("lora", 0),
    ("forgetting", 0),
    ("dpo", 0),
];

fn nth_step_of(course: &Course, kind: &str, nth: usize) -> Option<(usize, usize)> {
    course
        .lessons
        .iter()
        .enumerate()
        .flat_map(|(li, lesson)| {
            lesson
                .steps
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(&s.panel, Some(Panel::Viz(v)) if v.kind == kind))
                .map(move |(si, _)| (li, si))
        })
        .nth(nth)
}

/// An app on the kind's step with its background work started.
fn working_app(course: &Arc<Course>, at: (usize, usize)) -> App {
    let mut app = App::new(
        Arc::clone(course),
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    app.set_waker(Waker::new(|| {}));
    app.open_at(at.0, at.1);
    // The first view is built in the background; some kinds then start training by
    // themselves (busy from the start), the others on Enter on their "train"/"run" switch.
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        app.update(Action::Tick);
        std::thread::sleep(Duration::from_millis(5));
    }
    if !app.busy() {
        app.update(Action::FocusNext);
        app.update(Action::Enter);
        app.update(Action::Tick);
    }
    app
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn keys_while_working(c: &mut Criterion) {
    let course: Arc<Course> = Arc::new(llmf::course::load(&Embedded).0.expect("built-in course"));
    let theme = Theme::default_color();
    let mut group = c.benchmark_group("busy");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(2));
    for &(kind, nth) in KINDS {
        let Some(at) = nth_step_of(&course, kind, nth) else {
            eprintln!("busy/{kind}: not in the course");
            continue;
        };
        let mut app = working_app(&course, at);
        let mut term = Terminal::new(TestBackend::new(80, 24)).expect("term");
        let mut times: Vec<Duration> = Vec::new();
        let mut always_busy = true;
        let mut n = 0u64;
        group.bench_function(kind, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    std::thread::sleep(Duration::from_millis(2));
                    always_busy &= app.busy();
                    let action = match n % 3 {
                        0 => Action::Down,
                        1 => Action::Tick,
                        _ => Action::Up,
                    };
                    n += 1;
                    let start = Instant::now();
                    app.update(action);
                    term.draw(|f| ui::render(&app, f.area(), f.buffer_mut(), &theme))
                        .expect("draw");
                    let took = start.elapsed();
                    times.push(took);
                    total += took;
                }
                total
            });
        });
        times.sort();
        if let Some(max) = times.last() {
            eprintln!(
                "busy/{kind}: {} events, p50 {:.2?}, p99 {:.2?}, max {:.2?}, work running for all: {}",
                times.len(),
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                max,
                if always_busy { "yes" } else { "no" }
            );
        }
    }
    group.finish();
}

criterion_group!(benches, keys_while_working);
criterion_main!(benches);
