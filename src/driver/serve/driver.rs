//! One student's session, on a thread of its own: bytes from the SSH channel in, frames out.
//!
//! The thread owns the course [`Session`] (so nothing in the app needs to be `Send`) and
//! blocks on its input channel: a student who reads uses no CPU. It wakes only for input, for
//! the rest of a cut escape sequence, when a panel's background work posts (its waker sends
//! [`Input::Wake`]), when a frame has left for the client, and once when the idle time is up.
//! Every call into the app runs under `catch_unwind`: a bug that panics ends this student's
//! session with their terminal restored, never the server.
//!
//! # Bounded work, whatever the client does
//! A session shares a [`Link`] with its connection, and nothing between them can pile up:
//! - **input** is admitted against a byte budget ([`Link::input_room`]): the connection waits
//!   for room before it reads more from the network, so a client that types faster than its
//!   session handles keys is slowed down by TCP instead of filling the server's memory;
//! - **window changes** land in one slot (the last one wins) and are applied once, before
//!   the next frame;
//! - **output** is one frame in flight: the next frame is drawn only once the last has left
//!   (ratatui's diff then covers every change in between), so a client that stops reading
//!   holds one frame, not a queue of them;
//! - **a client that is gone** ([`Link::gone`]) ends the session before its next message,
//!   dropping what was queued.

use super::identity::Student;
use super::input::InputParser;
use super::screen::{self, Screen};
use crate::app::App;
use crate::course::Course;
use crate::driver::session::Session;
use crate::progress::Store;
use crate::ui::theme::Theme;
use ratatui::crossterm::event::Event;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the connection sends the session.
#[derive(Debug)]
pub enum Input {
    /// Bytes the client typed; their length was taken from [`Link::input_room`] and is given
    /// back once they are handled.
    Bytes(Vec<u8>),
    /// The client sent a new size: it waits in [`Link`]'s slot.
    Resized,
    /// The client went away.
    Closed,
    /// The server is stopping: save and say goodbye.
    Shutdown,
    /// A panel's background work posted something.
    Wake,
    /// The frame in flight has been handed to the client: the next may be drawn.
    Sent,
}

/// Bytes of input a session may have queued and not yet handled: a long paste (a bracketed
/// paste is taken whole once its end arrives) fits many times over.
pub const INPUT_ROOM: usize = 64 * 1024;

/// What a connection and its session share, so that neither side queues without bound.
#[derive(Debug)]
pub struct Link {
    /// The client's newest window size not yet applied: the last one wins.
    size: Mutex<Option<(u16, u16)>>,
    /// The client is gone: the session ends before handling anything more.
    gone: AtomicBool,
    /// A frame is on its way to the client.
    in_flight: AtomicBool,
    /// A wake-up from background work is queued: more posts add nothing.
    wake_queued: AtomicBool,
    /// Bytes of input that may still be queued (see [`INPUT_ROOM`]). Closed when the session
    /// ends, so a connection waiting for room stops waiting.
    pub input_room: tokio::sync::Semaphore,
    /// Set once the session has saved the student's progress at its end.
    saved: AtomicBool,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            size: Mutex::new(None),
            gone: AtomicBool::new(false),
            in_flight: AtomicBool::new(false),
            wake_queued: AtomicBool::new(false),
            input_room: tokio::sync::Semaphore::new(INPUT_ROOM),
            saved: AtomicBool::new(false),
        }
    }
}

impl Link {
    /// Keeps the client's newest size; tells the session only if it was not told already.
    pub fn resize(&self, size: (u16, u16), input: &Sender<Input>) {
        let was = self
            .size
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(size);
        if was.is_none() {
            let _ = input.send(Input::Resized);
        }
    }

    fn take_size(&self) -> Option<(u16, u16)> {
        self.size
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Background work posted: one queued wake-up covers any number of posts.
    pub fn wake(&self, input: &Sender<Input>) {
        if !self.wake_queued.swap(true, Ordering::AcqRel) {
            let _ = input.send(Input::Wake);
        }
    }

    /// The frame in flight has left: the session may draw the next.
    pub fn sent(&self, input: &Sender<Input>) {
        self.in_flight.store(false, Ordering::Release);
        let _ = input.send(Input::Sent);
    }

    /// The client went away: the session stops at its next message.
    pub fn close(&self, input: &Sender<Input>) {
        self.gone.store(true, Ordering::Release);
        let _ = input.send(Input::Closed);
    }

    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

    /// Whether the session has ended with the student's progress saved.
    pub fn saved(&self) -> bool {
        self.saved.load(Ordering::Acquire)
    }
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
    /// Shared with the connection: the size slot, the frame in flight, the input budget.
    pub link: Arc<Link>,
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

/// Runs a session until it ends; always sends [`Output::End`] last. Before it returns, the
/// link's input budget is closed, so a connection waiting to queue more input gives up.
pub fn run(start: Start, input: Receiver<Input>, out: OutputTx) -> Ending {
    let idle = start.idle;
    let link = Arc::clone(&start.link);
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
    link.input_room.close();
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
    link: Arc<Link>,
    /// Set once a call into the app panicked: the session is no longer trusted.
    broken: bool,
}

impl<'a> Driver<'a> {
    fn new(start: Start, out: &'a OutputTx) -> Self {
        // The student's folder is made here, on the session's own thread, never on a network
        // thread: a slow disk or a hostile file there holds up this student only.
        let mut early = Vec::new();
        if let Err(e) = start.student.record(&start.class) {
            early.push(format!(
                "Your sign-in could not be recorded for your teacher: {e}"
            ));
        }
        let dir = start.student.dir(&start.class);
        let (store, progress, mut notices) = Store::open(Some(dir));
        notices.extend(early);
        notices.insert(0, welcome(&start.student));
        let options = crate::ui::options(start.ascii);
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
            link: start.link,
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

    /// Draws a frame and sends it, unless one is still on its way: then nothing is drawn
    /// and the caller keeps the screen marked dirty (the frame after [`Input::Sent`] shows
    /// every change since). Whether the screen is now up to date.
    fn draw(&mut self) -> bool {
        if self.link.in_flight.load(Ordering::Acquire) {
            return false;
        }
        let drawn = self.guarded(|d| {
            let session = &d.session;
            d.screen.draw(|f| session.draw(f)).is_ok()
        });
        if drawn == Some(true) {
            let bytes = self.sink.take();
            if !bytes.is_empty() {
                self.link.in_flight.store(true, Ordering::Release);
                let _ = self.out.send(Output::Data(bytes));
            }
        }
        true
    }

    /// Applies terminal events; whether the screen needs drawing again.
    fn apply(&mut self, events: Vec<Event>) -> bool {
        let mut dirty = false;
        for ev in events {
            // A paste reaches the app as one event of text (a text field takes it whole;
            // anywhere else it is dropped rather than read as a burst of commands).
            let changed = self.guarded(|d| d.session.handle(&ev));
            dirty |= changed.unwrap_or(false);
            if self.broken || self.session.quit_requested() || self.link.is_gone() {
                break;
            }
        }
        dirty
    }

    /// Applies the newest size the client sent, if it differs from the screen's.
    fn resize(&mut self) -> bool {
        let Some((cols, rows)) = self.link.take_size() else {
            return false;
        };
        if self
            .screen
            .size()
            .is_ok_and(|s| (s.width, s.height) == (cols, rows))
        {
            return false;
        }
        let _ = screen::resize(&mut self.screen, (cols, rows));
        self.guarded(|d| d.session.handle(&Event::Resize(cols, rows)));
        // The screen was cleared: everything is drawn again.
        true
    }

    fn run(&mut self, input: &Receiver<Input>, idle: Duration) -> Ending {
        let mut dirty = true;
        let mut last_input = Instant::now();
        loop {
            if dirty {
                dirty = !self.draw();
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
                if self.link.is_gone() {
                    return Ending::Closed;
                }
                match msg {
                    Input::Bytes(bytes) => {
                        last_input = Instant::now();
                        let mut events = Vec::new();
                        self.parser.feed(&bytes, &mut events);
                        dirty |= self.apply(events);
                        self.link.input_room.add_permits(bytes.len());
                    }
                    Input::Resized => dirty |= self.resize(),
                    Input::Closed => return Ending::Closed,
                    Input::Shutdown => return Ending::Shutdown,
                    Input::Wake => {
                        self.link.wake_queued.store(false, Ordering::Release);
                        dirty |= self.guarded(|d| d.session.tick()).unwrap_or(false);
                    }
                    Input::Sent => {}
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
            app.end();
            app.store_warning().map(str::to_string)
        }));
        if matches!(saved, Ok(None)) {
            self.link.saved.store(true, Ordering::Release);
        }
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
            Ok(Some(warning)) => {
                bytes.extend(screen::lines(&crate::text::sanitize::field(&warning)))
            }
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
