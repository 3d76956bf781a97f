//! Where the time before the first frame goes: each phase of `llmf` opening the built-in
//! course at 80x24, timed over 30 runs (mean, ms). Run it on a quiet machine:
//! `cargo run --release --example startup`.
//!
//! `llmf` opens the course with `course::open` (the manifest and each lesson's title; a
//! lesson's steps are parsed when first read, so `App::new` parses the one it opens at); the
//! eager `course::load`, which parses every lesson, is timed beside it for comparison.

use llmf::course::{self, embedded::Embedded};
use llmf::progress::Store;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::Instant;

const RUNS: u32 = 30;

fn ms(a: Instant, b: Instant) -> f64 {
    (b - a).as_secs_f64() * 1e3 / f64::from(RUNS)
}

fn main() {
    let lessons: Vec<(&str, &str)> = course::embedded::FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".md") && name.as_bytes()[0].is_ascii_digit())
        .copied()
        .collect();
    let (mut outline, mut parse, mut eager) = (0.0, 0.0, 0.0);
    let mut phases = [0.0; 4];
    for _ in 0..RUNS {
        let a = Instant::now();
        for (_, text) in &lessons {
            std::hint::black_box(course::blocks::outline(text));
        }
        let b = Instant::now();
        for (name, text) in &lessons {
            std::hint::black_box(course::parse::parse_lesson_all(name, text, 0));
        }
        let c = Instant::now();
        outline += ms(a, b);
        parse += ms(b, c);

        let e0 = Instant::now();
        std::hint::black_box(course::load(&Embedded));
        let e1 = Instant::now();
        eager += ms(e0, e1);

        let t0 = Instant::now();
        let (loaded, _) = course::open(&Embedded);
        let loaded = loaded.expect("the built-in course opens");
        let t1 = Instant::now();
        let options = llmf::ui::options(false);
        let mut app = llmf::app::App::new(
            loaded,
            Default::default(),
            Store::memory(),
            options,
            (80, 24),
        );
        let t2 = Instant::now();
        app.open_at(0, 0);
        let t3 = Instant::now();
        let theme = llmf::ui::theme::Theme::new(false, false);
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        llmf::ui::render(&app, area, &mut buf, &theme);
        let t4 = Instant::now();
        for (i, (x, y)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4)]
            .into_iter()
            .enumerate()
        {
            phases[i] += ms(x, y);
        }
    }
    let [load, new, open, draw] = phases;
    println!(
        "course open {load:.2} ms · App::new (parses the lesson it opens) {new:.2} ms · opening \
         the step {open:.2} ms · drawing {draw:.2} ms · total {:.2} ms",
        load + new + open + draw
    );
    println!(
        "for comparison: eager course::load {eager:.2} ms (CommonMark outline of every lesson \
         {outline:.2} ms, whole parse of every lesson {parse:.2} ms)"
    );
}
