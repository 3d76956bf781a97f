//! Bytes written to the terminal: a key that changes nothing writes nothing, and scrolling the
//! prose by one line writes less than a full redraw. Uses the real crossterm backend over
//! a byte-counting writer. Runs on the small fixture course: loading and checking the whole
//! built-in course (which trains its tokenizers) is what once made this test take 20 s.

use crate::common;

use llmf::app::{Action, App};
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> usize {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Draws like the event loop does: only when `update` said something changed.
fn step(
    app: &mut App,
    term: &mut Terminal<CrosstermBackend<Counter>>,
    action: Action,
    theme: &Theme,
) {
    if app.update(action) {
        term.draw(|f| ui::render(app, f.area(), f.buffer_mut(), theme))
            .unwrap();
    }
}

#[test]
fn no_op_keys_write_nothing_and_scrolling_writes_little() {
    let (w, h) = (80, 24);
    let course = common::fixture();
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (w, h),
    );
    app.open_at(0, 0); // prose longer than the screen: Down scrolls it
    let counter = Counter::default();
    let backend = CrosstermBackend::new(counter.clone());
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    let theme = Theme::default_color();
    term.draw(|f| ui::render(&app, f.area(), f.buffer_mut(), &theme))
        .unwrap();
    let full = counter.take();
    assert!(full > 1000, "a full frame is a few kilobytes, got {full}");

    step(&mut app, &mut term, Action::Up, &theme); // already at the top
    step(&mut app, &mut term, Action::Backspace, &theme);
    assert_eq!(
        counter.take(),
        0,
        "a key that changes nothing writes nothing"
    );

    step(&mut app, &mut term, Action::Down, &theme);
    let scroll = counter.take();
    assert!(scroll > 0);
    // Every prose row shifts, so most of the prose is written again; the header, the status
    // bar, the borders and the blank cells are not.
    assert!(
        scroll * 4 < full * 3,
        "one-line scroll wrote {scroll} bytes, a full redraw {full}"
    );
    println!("full redraw {full} bytes, one-line scroll {scroll} bytes");
}
