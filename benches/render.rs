//! Frame rendering for every step of every lesson at 80x24 and 200x60, through a ratatui
//! `Terminal` (draw, diff and flush into a test backend), plus the whole `llmf render` process.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use llmf::app::{Action, App};
use llmf::course::embedded::Embedded;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::time::Duration;

/// The allocator the app uses (src/main.rs), so timings match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn frames(c: &mut Criterion) {
    let course = llmf::course::load(&Embedded).0.expect("built-in course");
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
                    llmf::ui::options(false),
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

/// A full frame at 80x24 of every step whose visualizer has a text field, with 2 KB of the
/// course's own prose typed into it and applied: the token strip is at its longest. Its layout
/// is kept between frames, so a frame redraws from the kept layout.
fn token_strip_frames(c: &mut Criterion) {
    let course = llmf::course::load(&Embedded).0.expect("built-in course");
    let theme = Theme::default_color();
    let text: String = llmf::labs::part1_text::shared::course_text()
        .join(" ")
        .chars()
        .take(2000)
        .collect();
    let mut group = c.benchmark_group("token_strip_2kb_frame_80x24");
    group
        .sample_size(30)
        .measurement_time(Duration::from_millis(800))
        .warm_up_time(Duration::from_millis(200));
    for (li, lesson) in course.lessons.iter().enumerate() {
        for si in 0..lesson.steps.len() {
            if !matches!(lesson.steps[si].panel, Some(llmf::course::Panel::Viz(_))) {
                continue;
            }
            let mut app = App::new(
                course.clone(),
                Progress::default(),
                Store::memory(),
                llmf::ui::options(false),
                (80, 24),
            );
            app.open_at(li, si);
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while app.busy() && std::time::Instant::now() < deadline {
                app.update(Action::Tick);
                std::thread::sleep(Duration::from_millis(10));
            }
            app.update(Action::FocusNext);
            app.update(Action::Enter);
            if !app.text_entry() {
                continue;
            }
            // Replace the field's text with the 2 KB paragraph.
            for _ in 0..4000 {
                app.update(Action::Backspace);
            }
            for ch in text.chars() {
                app.update(Action::Char(ch));
            }
            app.update(Action::Enter);
            let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
            let id = BenchmarkId::from_parameter(format!("{}-step{:02}", lesson.number, si + 1));
            group.bench_function(id, |b| {
                b.iter(|| {
                    term.clear().expect("clear");
                    term.draw(|f| ui::render(black_box(&app), f.area(), f.buffer_mut(), &theme))
                        .expect("draw");
                });
            });
        }
    }
    group.finish();
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

/// One head of attention at n = 512, d = 64 (Q·Kᵀ, softmax, ·V), and the recompute plus
/// redraw after a toggle on the attention map for a short sentence.
fn attention(c: &mut Criterion) {
    use llmf::labs::part2_math::attention::{attention_output, Options as AttnOptions};
    use llmf::labs::rng::Rng;
    use ndarray::Array2;
    let mut rng = Rng::new(1);
    let mut m = |r: usize, c: usize| Array2::from_shape_fn((r, c), |_| rng.normal());
    let (q, k, v) = (m(512, 64), m(512, 64), m(512, 64));
    let mut group = c.benchmark_group("attention");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("one_head_n512_d64", |b| {
        b.iter(|| {
            attention_output(
                black_box(&q),
                black_box(&k),
                black_box(&v),
                AttnOptions::default(),
            )
        });
    });

    // The path lesson 13's timing panel measures: f32, ndarray's GEMM, one workspace reused.
    // Compare with `python3 benches/numpy_attention.py` (numpy + OpenBLAS, one thread).
    {
        use llmf::labs::part3_transformer::fast_attention::{attention_f32, to_f32, Workspace};
        let (q, k, v) = (to_f32(&q), to_f32(&k), to_f32(&v));
        let mut ws = Workspace::default();
        group.bench_function("one_head_n512_d64_f32_timed_path", |b| {
            b.iter(|| {
                attention_f32(q.view(), k.view(), v.view(), false, &mut ws);
                black_box(ws.output());
            });
        });
    }

    let course = llmf::course::load(&Embedded).0.expect("built-in course");
    let index = course.find("masking").expect("lesson 10");
    let step = course.lessons[index]
        .steps
        .iter()
        .position(
            |s| matches!(&s.panel, Some(llmf::course::Panel::Viz(v)) if v.kind == "attention-map"),
        )
        .expect("an attention-map step");
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    app.open_at(index, step);
    app.update(Action::FocusNext);
    // Select the causal toggle (fifth control).
    for _ in 0..4 {
        app.update(Action::Down);
    }
    let theme = Theme::default_color();
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    group.bench_function("toggle_causal_recompute_and_redraw_n6", |b| {
        b.iter(|| {
            app.update(Action::Right);
            term.draw(|f| ui::render(&app, f.area(), f.buffer_mut(), &theme))
                .expect("draw");
        });
    });
    group.finish();
}

/// Training each tokenizer on the bundled corpus (the course's own lessons).
fn tokenizers(c: &mut Criterion) {
    use llmf::labs::part1_text::tokenize::{corpus, train, Algorithm};
    let text = corpus();
    let mut group = c.benchmark_group("tokenizers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for alg in Algorithm::ALL {
        group.bench_function(format!("train_{}_vocab1000", alg.name()), |b| {
            b.iter(|| train(alg, 1000, black_box(&text)).expect("training"));
        });
    }
    group.finish();
    let mut group = c.benchmark_group("embeddings");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("ppmi_svd_vocab1500_dims50", |b| {
        b.iter(|| llmf::labs::part1_text::embeddings::build(black_box(&text), 1500, 4, 50, 1));
    });
    group.finish();
}

/// One keystroke in a 2 KB text field of the token-split panel: re-tokenize with the three
/// trained tokenizers and redraw the screen.
fn keystroke(c: &mut Criterion) {
    use llmf::course::VizSpec;
    use llmf::viz::Visualizer;
    llmf::labs::part1_text::shared::train_trio(1000).expect("training");
    let spec = VizSpec {
        kind: "token-split".into(),
        params: serde_json::Map::new(),
        line: 1,
        key_lines: vec![],
        expect: vec![],
    };
    let mut viz = Visualizer::build(&spec).expect("token-split");
    viz.poll();
    viz.begin_edit();
    let paragraph: String = llmf::labs::part1_text::shared::course_text()
        .join(" ")
        .chars()
        .take(2000)
        .collect();
    let typed = format!("{paragraph}x");
    let (n, m) = (paragraph.chars().count(), typed.chars().count());
    viz.set_edit(&paragraph, n);
    let theme = Theme::default_color();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let mut group = c.benchmark_group("typing");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("token_split_2kb_keystroke_and_redraw", |b| {
        b.iter(|| {
            viz.set_edit(&typed, m);
            viz.set_edit(&paragraph, n);
            term.draw(|f| {
                llmf::ui::widgets::render_view(viz.view(), f.area(), f.buffer_mut(), &theme, true)
            })
            .expect("draw");
        });
    });
    group.finish();
}

/// The lm-train panel at 80x24 after four short runs at four learning rates: the current run
/// drawn over the three kept ones (faint) with their figures in a table, against the same
/// panel with its history cleared. Prints the memory the kept runs hold.
fn run_history(c: &mut Criterion) {
    use llmf::course::VizSpec;
    use llmf::viz::lab::Lab;
    use llmf::viz::Visualizer;
    let spec = VizSpec {
        kind: "lm-train".into(),
        params: serde_json::from_value(
            serde_json::json!({"d_model": "16", "steps": 60, "lr": "0.0003"}),
        )
        .expect("params"),
        line: 1,
        key_lines: vec![],
        expect: vec![],
    };
    let lab = Lab::new();
    let mut viz = Visualizer::build_in(&spec, &lab).expect("lm-train");
    let finish = |viz: &mut Visualizer| {
        viz.select(-10);
        viz.adjust(1);
        while viz.busy() {
            if !viz.poll() {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    };
    for _ in 0..3 {
        finish(&mut viz);
        // The learning rate is the fourth control: a new one keeps the finished run.
        viz.select(3);
        viz.adjust(1);
    }
    finish(&mut viz);
    let kept = lab.kept_runs("lm-train");
    assert_eq!(kept.len(), 3, "three kept runs");
    eprintln!(
        "run history: {} bytes for {} kept lm-train runs ({} bytes a run, {} points each)",
        lab.kept_bytes(),
        kept.len(),
        lab.kept_bytes() / kept.len(),
        kept[0].series[0].points.len()
    );
    let theme = Theme::default_color();
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let mut group = c.benchmark_group("run_history");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    let mut draw = |name: &str, viz: &Visualizer, group: &mut criterion::BenchmarkGroup<_>| {
        group.bench_function(name, |b| {
            b.iter(|| {
                term.clear().expect("clear");
                term.draw(|f| {
                    ui::widgets::render_view(viz.view(), f.area(), f.buffer_mut(), &theme, true)
                })
                .expect("draw");
            });
        });
    };
    draw("lm_train_80x24_three_ghosts", &viz, &mut group);
    viz.clear_history();
    draw("lm_train_80x24_no_ghosts", &viz, &mut group);
    group.finish();
}

criterion_group!(
    benches,
    frames,
    token_strip_frames,
    render_process,
    attention,
    tokenizers,
    keystroke,
    run_history
);
criterion_main!(benches);
