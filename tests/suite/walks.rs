//! Walks over the whole built-in course: rules that must hold for every question and panel,
//! not only for the fixture course's few.

use crate::common;

use llmf::app::quiz::{Feedback, QuizInput, QuizState};
use llmf::app::{Action, App};
use llmf::course::{Panel, QuizKind};
use llmf::progress::{Progress, Store};

/// Every numeric question of the course: the key rounded to the precision the panel asks for
/// is accepted, an answer 10% above or below is refused, and the panel says the precision.
#[test]
fn every_numeric_answer_follows_the_one_rule() {
    let course = std::sync::Arc::new(common::built_in());
    let mut seen = 0;
    for (li, lesson) in course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            let Some(Panel::Quiz(quiz)) = &step.panel else {
                continue;
            };
            let QuizKind::Numeric { answer, precision } = quiz.kind else {
                continue;
            };
            seen += 1;
            let at = format!("{}:{} ({})", lesson.file, quiz.line, quiz.id);
            let typed = |text: &str| {
                let mut q = QuizState::new(quiz.clone());
                for c in text.chars() {
                    q.handle(Action::Char(c));
                }
                q.handle(Action::Enter)
            };
            let rounded = precision.show(answer);
            assert_eq!(
                typed(&rounded),
                QuizInput::Answered { correct: true },
                "{at}: the key {answer} typed {precision} as {rounded} must count"
            );
            for off in [answer * 1.1, answer * 0.9] {
                let text = format!("{off}");
                assert_eq!(
                    typed(&text),
                    QuizInput::Answered { correct: false },
                    "{at}: {text}, 10% off the key {answer}, must not count"
                );
            }
            // The panel says how precise to be.
            let mut app = App::new(
                std::sync::Arc::clone(&course),
                Progress::default(),
                Store::memory(),
                llmf::ui::options(false),
                (80, 24),
            );
            app.open_at(li, si);
            app.update(Action::FocusNext);
            let screen = common::draw(&app);
            assert!(
                screen.contains(&format!("(answer {precision})"))
                    || screen.contains("(answer as a whole number)"),
                "{at}: no precision hint\n{screen}"
            );
            let llmf::app::PanelState::Quiz(q) = app.panel() else {
                panic!("{at}: not a question")
            };
            assert_ne!(q.feedback, Some(Feedback::Correct));
        }
    }
    assert!(seen >= 40, "only {seen} numeric questions found");
}

/// The kinds whose views hold a chart (a test below fails if another kind shows one, so this
/// list cannot silently fall behind).
const CHART_KINDS: &[&str] = &[
    "attention-timing",
    "chinchilla",
    "concentration",
    "diminishing",
    "dk-variance",
    "dpo",
    "forgetting",
    "sft",
    "kl-optimum",
    "lm-train",
    "loss-at-position",
    "overoptimization",
    "policy-kl",
    "positional",
    "rnn-gradient",
    "rnn-vs-attention",
    "scaling-sweep",
    "streaming",
    "lora",
];

/// Runic letters: one column wide, and never in the course, so a cell holding one was drawn
/// by the series it stands for.
const PROBES: [char; 8] = ['ᚠ', 'ᚢ', 'ᚦ', 'ᚨ', 'ᚱ', 'ᚲ', 'ᚷ', 'ᚹ'];

fn charts_mut(parts: &mut [llmf::viz::view::Part]) -> Vec<&mut llmf::viz::view::ChartView> {
    use llmf::viz::view::Part;
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Chart(c) => out.push(c),
            Part::Columns(inner) => out.extend(charts_mut(inner)),
            _ => {}
        }
    }
    out
}

/// Every chart of the course at 80x24, unzoomed, at its defaults: each series in its legend
/// that has a point to draw shows at least one plot cell of its own (not wholly drawn over by
/// another series), read back by giving each series a probe glyph of its own.
#[test]
fn every_series_of_every_chart_shows_at_80x24() {
    let course = std::sync::Arc::new(common::built_in());
    let mut charts_seen = 0;
    for (li, lesson) in course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            let Some(Panel::Viz(spec)) = &step.panel else {
                continue;
            };
            if !CHART_KINDS.contains(&spec.kind.as_str()) {
                continue;
            }
            let mut app = App::new(
                std::sync::Arc::clone(&course),
                Progress::default(),
                Store::memory(),
                llmf::ui::options(false),
                (80, 24),
            );
            app.open_at(li, si);
            let llmf::app::PanelState::Viz(v) = app.panel() else {
                continue;
            };
            let Some(inner) = app.areas().panel_inner else {
                continue;
            };
            let at = format!("{} step {} ({})", lesson.file, si + 1, spec.kind);
            charts_seen += assert_every_series_shows(v.view(), inner, &at);
        }
    }
    assert!(charts_seen >= 20, "only {charts_seen} charts found");
}

/// Checks every chart of `base` drawn in `inner` (see the test above); returns how many.
fn assert_every_series_shows(
    base: &llmf::viz::view::View,
    inner: ratatui::layout::Rect,
    at: &str,
) -> usize {
    use llmf::ui::{theme::Theme, widgets};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    let theme = Theme::default_color();
    let n_charts = charts_mut(&mut base.clone().parts).len();
    for c in 0..n_charts {
        let mut view = base.clone();
        let mut charts = charts_mut(&mut view.parts);
        // Other charts keep their markers; this one's series get the probes.
        let chart = &mut charts[c];
        let at = format!("{at}, chart {:?}", chart.title);
        let drawable: Vec<bool> = chart
            .series
            .iter()
            .map(|s| s.points.iter().any(|p| p.0.is_finite() && p.1.is_finite()))
            .collect();
        for (k, s) in chart.series.iter_mut().enumerate() {
            s.marker = PROBES[k % PROBES.len()];
        }
        let names: Vec<String> = chart.series.iter().map(|s| s.name.clone()).collect();
        // The panel as the learner sees it, scrolled to wherever the chart is.
        let rows = widgets::view_height(&view, inner.width).max(inner.height);
        let area = Rect::new(0, 0, inner.width, rows);
        let mut buf = Buffer::empty(area);
        widgets::render_view(&view, area, &mut buf, &theme, false);
        let text = llmf::ui::buffer_text(&buf);
        for (k, name) in names.iter().enumerate() {
            if !drawable[k] || k >= PROBES.len() {
                continue;
            }
            let probe = PROBES[k];
            let cells = text.matches(probe).count();
            let in_legend = usize::from(text.contains(&format!("{probe} {name}")));
            assert!(
                cells > in_legend,
                "{at}: series {name:?} has no cell of its own at 80x24\n{text}"
            );
        }
    }
    n_charts
}

/// Runs `viz`'s work to its end: started by the run key unless it starts by itself.
fn run_to_end(viz: &mut llmf::viz::Visualizer, at: &str) {
    let shown = |viz: &llmf::viz::Visualizer| format!("{:?}", viz.view().parts);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    viz.poll();
    if shown(viz).contains("Not started") {
        viz.select(-100);
        assert!(viz.adjust(1), "{at}: the run key starts it");
    }
    while viz.busy() {
        assert!(std::time::Instant::now() < deadline, "{at}: {}", shown(viz));
        viz.poll();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    viz.poll();
    assert!(shown(viz).contains("done"), "{at}: {}", shown(viz));
}

/// Each training kind's chart after a short fixed-seed run, with the run before it (another
/// setting) kept as a faint ghost, at 80x24 unzoomed: every series of its legend shows at least
/// one cell of its own, the live ones over the ghosts.
#[test]
fn every_series_shows_after_live_runs_with_ghosts_at_80x24() {
    use serde_json::json;
    // How a kind shows the run kept before the current one: drawn faint on its chart, or
    // (kinds whose chart already holds several runs) as a row of its history table.
    #[derive(PartialEq)]
    enum Kept {
        Ghost,
        Row,
    }
    // (kind, short settings, the control changed between the two runs and which way, how
    // the first run is kept). grpo keeps no earlier runs: its two methods are the comparison.
    let cases = [
        (
            "lm-train",
            json!({"d_model": "16", "steps": 60, "seed": 3}),
            "seed",
            1,
            Some(Kept::Ghost),
        ),
        (
            "scaling-sweep",
            json!({"steps": 50}),
            "seed",
            1,
            Some(Kept::Ghost),
        ),
        (
            "sft",
            json!({"epochs": 1}),
            "mask the prompt",
            1,
            Some(Kept::Ghost),
        ),
        ("lora", json!({"steps": 40}), "steps", -1, Some(Kept::Row)),
        (
            "forgetting",
            json!({"steps": 20}),
            "replay share",
            1,
            Some(Kept::Ghost),
        ),
        (
            "policy-kl",
            json!({"steps": 20}),
            "seed",
            1,
            Some(Kept::Row),
        ),
        ("dpo", json!({"steps": 50}), "β", 1, Some(Kept::Ghost)),
        ("grpo", json!({"steps": 20, "group": 2}), "seed", 1, None),
    ];
    // The panel's inner area at 80x24, as the course lays a visualizer out.
    let course = std::sync::Arc::new(common::built_in());
    let mut app = App::new(
        std::sync::Arc::clone(&course),
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    let (li, si) = course
        .lessons
        .iter()
        .enumerate()
        .find_map(|(li, l)| {
            l.steps
                .iter()
                .position(|s| matches!(&s.panel, Some(Panel::Viz(v)) if v.kind == "lm-train"))
                .map(|si| (li, si))
        })
        .expect("a lm-train step");
    app.open_at(li, si);
    let inner = app.areas().panel_inner.expect("a panel");
    // The kinds train side by side (as many at once as the machine has cores: runs take
    // turns at the CPU), each in its own visualizer and lab.
    let two_runs =
        |(kind, params, control, delta, _): &(&str, serde_json::Value, &str, i32, Option<Kept>)| {
            let spec = llmf::course::VizSpec {
                kind: kind.to_string(),
                params: serde_json::from_value(params.clone()).unwrap(),
                line: 1,
                key_lines: Vec::new(),
                expect: Vec::new(),
            };
            let mut viz = llmf::viz::Visualizer::build(&spec).expect("builds");
            run_to_end(&mut viz, kind);
            let index = viz
                .view()
                .controls
                .iter()
                .position(|c| c.label == *control)
                .unwrap_or_else(|| panic!("{kind}: no control {control:?}"));
            viz.select(-100);
            viz.select(i32::try_from(index).unwrap());
            assert!(viz.adjust(*delta), "{kind}: {control} changes");
            run_to_end(&mut viz, kind);
            viz.view().clone()
        };
    let views: Vec<llmf::viz::view::View> = std::thread::scope(|scope| {
        let jobs: Vec<_> = cases
            .iter()
            .map(|case| scope.spawn(move || two_runs(case)))
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("a kind's runs"))
            .collect()
    });
    for ((kind, _, _, _, kept), view) in cases.iter().zip(views) {
        let ghosts = charts_mut(&mut view.clone().parts)
            .iter()
            .flat_map(|c| c.series.iter())
            .filter(|s| s.faint)
            .count();
        let rows = view.parts.iter().any(|p| {
            matches!(p, llmf::viz::view::Part::Table(t)
                if t.rows.len() >= 2 && t.rows.iter().any(|r| r.first().is_some_and(|c| c == "this run")))
        });
        match kept {
            Some(Kept::Ghost) => assert!(ghosts > 0, "{kind}: the first run is drawn faint"),
            Some(Kept::Row) => assert!(rows, "{kind}: the first run is a row of its table"),
            None => {}
        }
        assert_every_series_shows(&view, inner, &format!("{kind} after two runs"));
    }
}

/// The number a control shows: a slider's value, or the number a choice's option starts with.
fn shown_number(c: &llmf::viz::view::Control) -> Option<f64> {
    use llmf::viz::view::ControlKind;
    match &c.kind {
        ControlKind::Slider { value, .. } => Some(*value),
        ControlKind::Choice { options, index } => llmf::viz::leading_number(options.get(*index)?),
        _ => None,
    }
}

/// Every numeric control of every kind moves the same way: → (and PgUp) never lowers the
/// number it shows, ← (and PgDn) never raises it.
#[test]
fn every_numeric_control_rises_with_right_and_page_up() {
    for def in llmf::viz::kinds::ALL {
        let spec = llmf::course::VizSpec {
            kind: def.name.to_string(),
            params: serde_json::Map::new(),
            line: 1,
            key_lines: Vec::new(),
            expect: Vec::new(),
        };
        let mut viz = llmf::viz::Visualizer::build(&spec).expect("builds with defaults");
        for i in 0..viz.view().controls.len() {
            viz.select(-100);
            viz.select(i32::try_from(i).unwrap_or(0));
            // Only controls that are numbers in every option (a choice of words has no "up").
            let all_numbers = match &viz.view().controls[i].kind {
                llmf::viz::view::ControlKind::Choice { options, .. } => options
                    .iter()
                    .all(|o| o.trim().starts_with(|c: char| c.is_ascii_digit())),
                llmf::viz::view::ControlKind::Slider { .. } => true,
                _ => false,
            };
            if !all_numbers {
                continue;
            }
            for (delta, rises) in [(1, true), (10, true), (-1, false), (-10, false)] {
                let Some(before) = shown_number(&viz.view().controls[i]) else {
                    continue;
                };
                viz.adjust(delta);
                let Some(after) = shown_number(&viz.view().controls[i]) else {
                    continue;
                };
                let ok = if rises {
                    after >= before
                } else {
                    after <= before
                };
                assert!(
                    ok,
                    "{} control {:?}: {before} -> {after} on a move of {delta}",
                    def.name,
                    viz.view().controls[i].label
                );
            }
        }
    }
}
