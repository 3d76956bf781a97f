//! Frame rendering for every step of every lesson at 80x24 and 200x60, through a ratatui
//! `Terminal` (draw, diff and flush into a test backend), plus the whole `llmf render` process.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use llmf::app::{App, Options};
use llmf::course::embedded::Embedded;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::time::Duration;

fn frames(c: &mut Criterion) {
    let course = llmf::check::load_checked(&Embedded).expect("built-in course");
    let theme = Theme::default_color();
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut group = c.benchmark_group(format!("frame_{w}x{h}"));
        group
            .sample_size(30)
            .measurement_time(Duration::from_millis(600))
            .warm_up_time(Duration::from_millis(200));
        for (li, lesson) in course.lessons.iter().enumerate() {
            for si in 0..lesson.steps.len() {
                let mut app = App::new(
                    course.clone(),
                    Progress::default(),
                    Store::memory(),
                    Options::default(),
                    (w, h),
                );
                app.open_at(li, si);
                let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
                let id =
                    BenchmarkId::from_parameter(format!("{}-step{:02}", lesson.number, si + 1));
                group.bench_function(id, |b| {
                    b.iter(|| {
                        // A full frame each time: clear the previous one so nothing is skipped by the diff.
                        term.clear().expect("clear");
                        term.draw(|f| {
                            ui::render(black_box(&app), f.area(), f.buffer_mut(), &theme)
                        })
                        .expect("draw");
                    });
                });
            }
        }
        group.finish();
    }
}

fn render_process(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_llmf");
    let mut group = c.benchmark_group("process");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("llmf_render_06_step9_80x24", |b| {
        b.iter(|| {
            let out = std::process::Command::new(exe)
                .args(["render", "06", "--step", "9"])
                .output()
                .expect("run llmf render");
            assert!(out.status.success());
        });
    });
    group.finish();
}

criterion_group!(benches, frames, render_process);
criterion_main!(benches);
