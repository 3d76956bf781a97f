//! Shared by the integration tests: the small fixture course (so tests do not break when the
//! built-in course grows), apps built on it, drawing to text, and real key events.
#![allow(dead_code)] // each test binary uses its own part of this module

use llmf::app::App;
use llmf::course::{Course, DirSource};
use llmf::driver::session::Session;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::path::PathBuf;

/// `tests/fixtures/course`: two lessons with prose, two questions and two visualizers.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course")
}

/// The fixture course, loaded and fully checked once per test binary.
pub fn fixture() -> Course {
    static COURSE: std::sync::OnceLock<Course> = std::sync::OnceLock::new();
    COURSE
        .get_or_init(|| {
            let dir = fixture_dir();
            llmf::check::load_checked(&DirSource(&dir)).expect("the fixture course checks")
        })
        .clone()
}

/// The built-in course, for the tests that are about it: parsed and its panels' parameters
/// checked, as start-up does. The full check (every panel computed and laid out at two sizes,
/// about 90 s in a debug build) is tests/check.rs's and `llmf check lessons`'s job; paying it
/// again in every test binary only slowed CI.
pub fn built_in() -> Course {
    static COURSE: std::sync::OnceLock<Course> = std::sync::OnceLock::new();
    COURSE
        .get_or_init(|| {
            llmf::check::load_for_start(&llmf::course::embedded::Embedded).expect("built-in course")
        })
        .clone()
}

/// The fixture course at a size, with fresh progress that is not saved anywhere.
pub fn app_at(w: u16, h: u16) -> App {
    App::new(
        fixture(),
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (w, h),
    )
}

/// The screen as text, drawn with the default colour theme.
pub fn draw(app: &App) -> String {
    ui::buffer_text(&draw_buffer(app, &Theme::default_color()))
}

pub fn draw_buffer(app: &App, theme: &Theme) -> Buffer {
    let (w, h) = app.size();
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    ui::render(app, area, &mut buf, theme);
    buf
}

/// A key press as the terminal sends it.
pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Typed text, one key event per character.
pub fn typed(text: &str) -> Vec<Event> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// A session driven like the terminal drives it: events in, a frame when one asked for it.
pub struct Driven {
    pub session: Session,
    pub terminal: Terminal<TestBackend>,
    /// Frames drawn so far.
    pub frames: usize,
}

impl Driven {
    pub fn new(app: App) -> Self {
        let (w, h) = app.size();
        let mut d = Self {
            // No waker: panels wait for their first view, as `llmf render` does.
            session: Session::new(app, Theme::default_color(), llmf::jobs::Waker::none()),
            terminal: Terminal::new(TestBackend::new(w, h)).expect("test terminal"),
            frames: 0,
        };
        d.draw();
        d
    }

    /// Handles a batch of events and draws once if any of them asked for it; whether it drew.
    pub fn send(&mut self, events: &[Event]) -> bool {
        let mut redraw = false;
        for e in events {
            redraw |= self.session.handle(e);
        }
        if redraw {
            self.draw();
        }
        redraw
    }

    pub fn press(&mut self, code: KeyCode) -> bool {
        self.send(&[key(code)])
    }

    fn draw(&mut self) {
        let session = &self.session;
        self.terminal
            .draw(|f| session.draw(f))
            .expect("draw into the test backend");
        self.frames += 1;
    }

    pub fn screen(&self) -> String {
        ui::buffer_text(self.terminal.backend().buffer())
    }

    pub fn app(&self) -> &App {
        self.session.app()
    }
}

/// The step of the fixture course that holds a question of the given shape.
pub fn find_quiz(app: &App, numeric: bool) -> (usize, usize) {
    for (li, lesson) in app.course().lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            if let Some(llmf::course::Panel::Quiz(q)) = &step.panel {
                if matches!(q.kind, llmf::course::QuizKind::Numeric { .. }) == numeric {
                    return (li, si);
                }
            }
        }
    }
    panic!("no such question in the fixture course");
}

pub fn quiz(app: &App) -> &llmf::app::QuizState {
    match app.panel() {
        llmf::app::PanelState::Quiz(q) => q,
        other => panic!("expected a question, got {other:?}"),
    }
}

/// A one-lesson course in a temporary folder: a step holding `viz` (a visualizer's JSON),
/// then a plain step; the app opens on the first at 80x24. Keep the folder while the app lives.
pub fn panel_then_prose(viz: &str) -> (tempfile::TempDir, App) {
    let (dir, course) = panel_then_prose_course(viz);
    let app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(false),
        (80, 24),
    );
    (dir, app)
}

/// The course of [`panel_then_prose`] (lesson slug `t`), for apps a test opens itself.
pub fn panel_then_prose_course(viz: &str) -> (tempfile::TempDir, llmf::course::Course) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-t.md"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("01-t.md"),
        format!("# T\n\n## Panel\nProse.\n\n```viz\n{viz}\n```\n\n## After\nMore prose.\n"),
    )
    .unwrap();
    let course = llmf::check::load_checked(&DirSource(dir.path())).expect("test course");
    (dir, course)
}
