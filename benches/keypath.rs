//! The key path as the learner meets it, through the app's `update` and a full draw into a
//! ratatui `TestBackend` at 80x24, with a waker that stands in for the event loop's (so panels
//! build the way the running app builds them: a first view not ready within the panel's short
//! wait is shown as "preparing" and arrives later, off the key path).
//!
//! - `first_visit_80x24/NN-stepSS`: the key (`n`) that opens step SS for the first time in the
//!   session, to the frame that shows it. Target: at most 16 ms for every step.
//! - `paste_100kb_then_key_80x24`: a 100 KB bracketed paste into a text field, and the next key
//!   with its frame. Target: the next key answered within 100 ms of the paste ending.
//! - `step_change_80x24`: `n` then `p` between two steps, progress saved to a file by the
//!   writer thread. Target: at most 2 ms a step change on the key path.
//! - `startup_lessons_dir`: what start-up with `--lessons lessons/` does before the first
//!   frame, against the full layout check that start-up used to run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use llmf::app::{Action, App};
use llmf::course::{embedded::Embedded, Course, Panel};
use llmf::jobs::Waker;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn app_at(course: &Course, lesson: usize, step: usize) -> App {
    let mut app = App::new(
        course.clone(),
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    // Any waker that is not `Waker::none()` builds panels as the event loop does.
    app.set_waker(Waker::new(|| {}));
    app.open_at(lesson, step);
    app
}

fn frame(term: &mut Terminal<TestBackend>, app: &App, theme: &Theme) {
    term.draw(|f| ui::render(black_box(app), f.area(), f.buffer_mut(), theme))
        .expect("draw");
}

fn first_visits(c: &mut Criterion) {
    let course = llmf::course::load(&Embedded).0.expect("built-in course");
    let theme = Theme::default_color();
    let mut group = c.benchmark_group("first_visit_80x24");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(20));
    for (li, lesson) in course.lessons.iter().enumerate() {
        for si in 0..lesson.steps.len() {
            // Opened from the step before (the last step of the previous lesson for a first
            // step), so the step is entered as `n` enters it.
            let from = if si > 0 {
                (li, si - 1)
            } else if li > 0 {
                (li - 1, course.lessons[li - 1].steps.len() - 1)
            } else {
                continue;
            };
            let id = BenchmarkId::from_parameter(format!("{}-step{:02}", lesson.number, si + 1));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let mut app = app_at(&course, from.0, from.1);
                        let mut term = Terminal::new(TestBackend::new(80, 24)).expect("term");
                        frame(&mut term, &app, &theme);
                        let start = Instant::now();
                        app.update(Action::NextStep);
                        frame(&mut term, &app, &theme);
                        total += start.elapsed();
                        assert_eq!(app.position(), (li, si));
                    }
                    total
                });
            });
        }
    }
    group.finish();
}

/// The token-split step of lesson 01: a text field re-tokenized as it changes.
fn text_field_step(course: &Course) -> (usize, usize) {
    for (li, lesson) in course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            if matches!(&step.panel, Some(Panel::Viz(v)) if v.kind == "token-split") {
                return (li, si);
            }
        }
    }
    panic!("no token-split step in the course");
}

fn paste(c: &mut Criterion) {
    let course = llmf::course::load(&Embedded).0.expect("built-in course");
    let theme = Theme::default_color();
    let (li, si) = text_field_step(&course);
    let text: String = llmf::labs::part1_text::shared::course_text()
        .join(" ")
        .chars()
        .cycle()
        .take(100_000)
        .collect();
    let mut group = c.benchmark_group("paste");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(200));
    group.bench_function("paste_100kb_then_key_80x24", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut app = app_at(&course, li, si);
                // The tokenizers train in the background on a first visit: let them finish, as
                // a learner reading the step would.
                let deadline = Instant::now() + Duration::from_secs(120);
                while app.busy() && Instant::now() < deadline {
                    app.update(Action::Tick);
                    std::thread::sleep(Duration::from_millis(5));
                }
                app.update(Action::FocusNext);
                app.update(Action::Enter);
                assert!(app.text_entry(), "the first control is the text field");
                let mut term = Terminal::new(TestBackend::new(80, 24)).expect("term");
                frame(&mut term, &app, &theme);
                let start = Instant::now();
                app.paste(&text);
                frame(&mut term, &app, &theme);
                app.update(Action::Char('x'));
                frame(&mut term, &app, &theme);
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn step_change(c: &mut Criterion) {
    let course = llmf::course::load(&Embedded).0.expect("built-in course");
    let theme = Theme::default_color();
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, progress, _) = Store::open(Some(dir.path().to_path_buf()));
    let mut app = App::new(course, progress, store, llmf::ui::options(false), (80, 24));
    app.set_waker(Waker::new(|| {}));
    app.open_at(0, 0);
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("term");
    // Both steps visited once, so what is measured is the step change itself.
    app.update(Action::NextStep);
    app.update(Action::PrevStep);
    let mut group = c.benchmark_group("step_change");
    group
        .sample_size(30)
        .measurement_time(Duration::from_millis(500))
        .warm_up_time(Duration::from_millis(100));
    group.bench_function("step_change_80x24_update_only", |b| {
        b.iter(|| {
            app.update(Action::NextStep);
            app.update(Action::PrevStep);
        });
    });
    group.bench_function("step_change_80x24_with_frame", |b| {
        b.iter(|| {
            app.update(Action::NextStep);
            frame(&mut term, &app, &theme);
            app.update(Action::PrevStep);
            frame(&mut term, &app, &theme);
        });
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let source = llmf::course::DirSource(&dir);
    let mut group = c.benchmark_group("startup_lessons_dir");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(100));
    group.bench_function("load_for_start", |b| {
        b.iter(|| llmf::check::load_for_start(black_box(&source)).expect("course"));
    });
    group.bench_function("load_checked_full_layout_check", |b| {
        b.iter(|| llmf::check::load_checked(black_box(&source)).expect("course"));
    });
    group.finish();
}

criterion_group!(benches, step_change, paste, startup, first_visits);
criterion_main!(benches);
