//! One student's session, on a thread of its own: bytes from the SSH channel in, frames out.
//!
//! The thread owns the course [`Session`] (so nothing in the app needs to be `Send`) and
//! blocks on its input channel: a student who reads uses no CPU. It wakes only for input, for
//! the rest of a cut escape sequence, when a panel's background work posts (its waker sends
//! [`Input::Wake`]), and once when the idle time is up. Every call into the app runs under `catch_unwind`: a
//! bug that panics ends this student's session with their terminal restored, never the
//! server.

use super::identity::Student;
use super::input::InputParser;
use super::screen::{self, Screen};
use crate::app::{App, Options};
use crate::course::Course;
use crate::progress::Store;
use crate::session::Session;
use crate::ui::theme::Theme;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the connection sends the session.
#[derive(Debug)]
pub enum Input {
    Bytes(Vec<u8>),
    /// A new size from window-change, already clamped.
    Resize(u16, u16),
    /// The client went away.
    Closed,
    /// The server is stopping: save and say goodbye.
    Shutdown,
    /// A panel's background work posted something.
    Wake,
}

/// What the session sends the connection.
#[derive(Debug, PartialEq)]
pub enum Output {
    Data(Vec<u8>),
    /// The session is over: send this exit status and close the channel.
    End(u32),
}

/// Where output goes: the connection's task forwards it to the channel.
pub type OutputTx = tokio::sync::mpsc::UnboundedSender<Output>;

/// Everything a session starts from.
pub struct Start {
    pub student: Student,
    /// The one parsed course every session reads.
    pub course: Arc<Course>,
    pub class: PathBuf,
    pub size: (u16, u16),
    pub ascii: bool,
    pub no_color: bool,
    pub idle: Duration,
    /// Wakes this session's thread when its panels' background work posts.
    pub waker: crate::jobs::Waker,
}

/// Why a session ended, for the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Quit,
    Closed,
    Idle,
    Shutdown,
    Panic,
}

impl Ending {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Closed => "connection closed",
            Self::Idle => "idle timeout",
            Self::Shutdown => "server stopping",
            Self::Panic => "internal error (session closed, server unaffected)",
        }
    }
}

/// How long the rest of a cut escape sequence may take before what came is taken as typed
/// (a lone Esc is then the Esc key).
const SEQUENCE_WAIT: Duration = Duration::from_millis(30);

/// Runs a session until it ends; always sends [`Output::End`] last.
pub fn run(start: Start, input: Receiver<Input>, out: OutputTx) -> Ending {
    let idle = start.idle;
    let ending = match catch_unwind(AssertUnwindSafe(|| Driver::new(start, &out))) {
        Ok(mut driver) => {
            let ending = driver.run(&input, idle);
            driver.finish(ending, idle);
            ending
        }
        Err(_) => {
            let _ = out.send(Output::Data(screen::lines(PANIC_MESSAGE)));
            Ending::Panic
        }
    };
    let status = u32::from(ending == Ending::Panic);
    let _ = out.send(Output::End(status));
    ending
}

const PANIC_MESSAGE: &str = "llmf hit an internal error and closed your session (the server and \
everyone else's sessions go on).\nYour progress up to your last step is saved: connect again to \
continue.";

struct Driver<'a> {
    session: Session,
    screen: Screen,
    sink: screen::Sink,
    parser: InputParser,
    out: &'a OutputTx,
    /// Set once a call into the app panicked: the session is no longer trusted.
    broken: bool,
}

impl<'a> Driver<'a> {
    fn new(start: Start, out: &'a OutputTx) -> Self {
        let dir = start.student.dir(&start.class);
        let (store, progress, mut notices) = Store::open(Some(dir));
        notices.insert(0, welcome(&start.student));
        let options = Options { ascii: start.ascii };
        let mut app = App::new(start.course, progress, store, options, start.size);
        app.add_notices(notices);
        let theme = Theme::new(start.no_color, start.ascii);
        let _ = out.send(Output::Data(screen::START.to_vec()));
        let (screen, sink) = screen::new_screen(start.size);
        Self {
            session: Session::new(app, theme, start.waker),
            screen,
            sink,
            parser: InputParser::new(),
            out,
            broken: false,
        }
    }

    /// Calls into the app; a panic marks the session broken instead of unwinding further.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(v) => Some(v),
            Err(_) => {
                self.broken = true;
                None
            }
        }
    }

    fn draw(&mut self) {
        let drawn = self.guarded(|d| {
            let session = &d.session;
            d.screen.draw(|f| session.draw(f)).is_ok()
        });
        if drawn == Some(true) {
            let bytes = self.sink.take();
            if !bytes.is_empty() {
                let _ = self.out.send(Output::Data(bytes));
            }
        }
    }

    /// Applies terminal events; whether the screen needs drawing again.
    fn apply(&mut self, events: Vec<Event>) -> bool {
        let mut dirty = false;
        for ev in events {
            // A paste reaches the app as one event of text (a text field takes it whole;
            // anywhere else it is dropped rather than read as a burst of commands).
            let changed = self.guarded(|d| d.session.handle(&ev));
            dirty |= changed.unwrap_or(false);
            if self.broken || self.session.quit_requested() {
                break;
            }
        }
        dirty
    }

    fn resize(&mut self, cols: u16, rows: u16) -> bool {
        let _ = self.screen.resize(Rect::new(0, 0, cols, rows));
        self.guarded(|d| d.session.handle(&Event::Resize(cols, rows)));
        // The screen was cleared: everything is drawn again.
        true
    }

    fn run(&mut self, input: &Receiver<Input>, idle: Duration) -> Ending {
        let mut dirty = true;
        let mut last_input = Instant::now();
        loop {
            if dirty {
                self.draw();
                dirty = false;
            }
            if self.broken {
                return Ending::Panic;
            }
            if self.session.quit_requested() {
                return Ending::Quit;
            }
            let idle_left = idle.saturating_sub(last_input.elapsed());
            let wait = if self.parser.has_pending() {
                SEQUENCE_WAIT.min(idle_left)
            } else {
                idle_left
            };
            let first = match input.recv_timeout(wait) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Disconnected) => return Ending::Closed,
                Err(RecvTimeoutError::Timeout) => {
                    if self.parser.has_pending() {
                        let mut events = Vec::new();
                        self.parser.flush(&mut events);
                        dirty |= self.apply(events);
                    } else if last_input.elapsed() >= idle {
                        return Ending::Idle;
                    }
                    continue;
                }
            };
            // The first message and everything queued behind it, then one frame.
            let mut next = Some(first);
            while let Some(msg) = next {
                match msg {
                    Input::Bytes(bytes) => {
                        last_input = Instant::now();
                        let mut events = Vec::new();
                        self.parser.feed(&bytes, &mut events);
                        dirty |= self.apply(events);
                    }
                    Input::Resize(cols, rows) => dirty |= self.resize(cols, rows),
                    Input::Closed => return Ending::Closed,
                    Input::Shutdown => return Ending::Shutdown,
                    Input::Wake => dirty |= self.guarded(|d| d.session.tick()).unwrap_or(false),
                }
                if self.broken || self.session.quit_requested() {
                    break;
                }
                next = input.try_recv().ok();
            }
        }
    }

    /// Saves, gives the terminal back and says why the session ended.
    fn finish(&mut self, ending: Ending, idle: Duration) {
        let saved = catch_unwind(AssertUnwindSafe(|| {
            let app = self.session.app_mut();
            app.save();
            app.store_warning().map(str::to_string)
        }));
        if ending == Ending::Closed {
            return;
        }
        let mut bytes = screen::END.to_vec();
        let minutes = idle.as_secs().div_ceil(60).max(1);
        let text = match ending {
            Ending::Quit => "Your progress is saved. See you next time!".to_string(),
            Ending::Idle => format!(
                "No key for {minutes} minute(s), so your session closed. Your progress is saved: \
                 connect again to continue."
            ),
            Ending::Shutdown => {
                "The teacher stopped the class server. Your progress is saved: goodbye!".into()
            }
            Ending::Panic => PANIC_MESSAGE.into(),
            Ending::Closed => String::new(),
        };
        bytes.extend(screen::lines(&text));
        match saved {
            Ok(Some(warning)) => bytes.extend(screen::lines(&crate::sanitize::field(&warning))),
            Ok(None) => {}
            Err(_) => bytes.extend(screen::lines("(saving failed: tell your teacher)")),
        }
        let _ = self.out.send(Output::Data(bytes));
    }
}

/// The notice a student sees on signing in: short, so that at 80x24 it sits in two rows
/// above the status line without hiding the lesson.
pub fn welcome(student: &Student) -> String {
    match &student.about.key {
        Some(fp) => format!(
            "Your key {fp} signs you in: use it next time, from any machine, to continue \
             here."
        ),
        None => format!(
            "Signed in as {}. Use the same name and the class code next time to continue here.",
            student.label
        ),
    }
}

#[cfg(test)]
mod tests;
