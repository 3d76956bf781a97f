//! The session driver without the network: input messages in, output bytes out.

use super::*;
use crate::progress::Progress;

/// The integration tests' small terminal emulator, to read the screen as a student sees it
/// (raw output skips cells that did not change, spaces included).
#[path = "../../../../tests/suite/serve/vt.rs"]
mod vt;
use std::sync::mpsc;
use tokio::sync::mpsc::UnboundedReceiver;

fn course() -> std::sync::Arc<Course> {
    let (course, problems) = crate::course::load(&crate::course::embedded::Embedded);
    assert!(problems.is_empty(), "{problems:?}");
    std::sync::Arc::new(course.unwrap())
}

struct Running {
    input: mpsc::Sender<Input>,
    output: UnboundedReceiver<Output>,
    thread: std::thread::JoinHandle<Ending>,
    link: Arc<Link>,
    vt: vt::Vt,
}

fn start(class: &std::path::Path, idle: Duration) -> Running {
    let (input, rx) = mpsc::channel();
    let (tx, output) = tokio::sync::mpsc::unbounded_channel();
    let link = Arc::new(Link::default());
    let start = Start {
        link: Arc::clone(&link),
        waker: crate::jobs::Waker::none(),
        student: Student::by_name("ada").unwrap(),
        course: course(),
        class: class.to_path_buf(),
        size: (80, 24),
        ascii: false,
        no_color: true,
        idle,
    };
    let thread = std::thread::spawn(move || run(start, rx, tx));
    Running {
        input,
        output,
        thread,
        link,
        vt: vt::Vt::new(80, 24),
    }
}

/// The next output, waiting at most 10 s (a hang becomes a failure, not a stuck suite).
fn next(output: &mut UnboundedReceiver<Output>) -> Option<Output> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match output.try_recv() {
            Ok(out) => return Some(out),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return None,
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                assert!(Instant::now() < deadline, "no output for 10 s");
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

impl Running {
    /// The next output, as the connection's forwarding task takes it: a frame, once taken,
    /// is acknowledged as sent, so the session may draw the next.
    fn next(&mut self) -> Option<Output> {
        let out = next(&mut self.output);
        if matches!(out, Some(Output::Data(_))) {
            self.link.sent(&self.input);
        }
        out
    }

    /// Reads output until the screen shows `want` (the session ending first fails the test).
    fn read_until(&mut self, want: &str) {
        while !self.vt.text().contains(want) {
            match self.next() {
                Some(Output::Data(b)) => self.vt.feed(&b),
                Some(Output::End(status)) => {
                    panic!("ended ({status}) before {want:?}:\n{}", self.vt.text())
                }
                None => panic!("output closed before {want:?}:\n{}", self.vt.text()),
            }
        }
    }

    /// Everything up to the end, and the exit status.
    fn read_to_end(mut self) -> (String, u32, Ending) {
        let mut text = String::new();
        let mut status = None;
        while let Some(out) = self.next() {
            match out {
                Output::Data(b) => text.push_str(&String::from_utf8_lossy(&b)),
                Output::End(s) => status = Some(s),
            }
        }
        let ending = self.thread.join().unwrap();
        (text, status.expect("End is always sent"), ending)
    }

    /// Typed bytes, admitted against the input budget as the connection admits them.
    fn keys(&self, bytes: &[u8]) {
        let room = self.link.input_room.try_acquire_many(bytes.len() as u32);
        room.expect("room for the keys").forget();
        self.input.send(Input::Bytes(bytes.to_vec())).unwrap();
    }
}

fn saved(class: &std::path::Path) -> Progress {
    let dir = Student::by_name("ada").unwrap().dir(class);
    let bytes = std::fs::read(dir.join(crate::progress::FILE_NAME)).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn first_frame_then_a_key_moves_a_step_and_quit_saves() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    assert_eq!(
        next(&mut s.output),
        Some(Output::Data(screen::START.to_vec())),
        "the alternate screen first"
    );
    s.read_until("step 1/");
    s.read_until("Signed in as ada");
    // Any key closes the welcome notice; then n is the next step.
    s.keys(b" ");
    s.keys(b"n");
    s.read_until("2/");
    s.keys(b"q");
    let (text, status, ending) = s.read_to_end();
    assert_eq!((status, ending), (0, Ending::Quit));
    assert!(text.contains("\x1b[?1049l"), "the terminal is given back");
    assert!(text.contains("Your progress is saved"));
    let p = saved(class.path());
    let current = p.current.clone().unwrap();
    assert_eq!(p.lessons[&current].step, 1);
}

#[test]
fn a_resize_draws_the_whole_screen_at_the_new_size() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    s.link.resize((100, 30), &s.input);
    s.vt.resize(100, 30);
    // The status bar is drawn again on the new last row.
    while !s.vt.row_text(29).contains("step 1/") {
        match s.next() {
            Some(Output::Data(b)) => s.vt.feed(&b),
            other => panic!("{other:?}:\n{}", s.vt.text()),
        }
    }
    s.input.send(Input::Closed).unwrap();
    let (_, _, ending) = s.read_to_end();
    assert_eq!(ending, Ending::Closed);
}

#[test]
fn idle_time_ends_the_session_with_a_message_and_saves() {
    let class = tempfile::tempdir().unwrap();
    let s = start(class.path(), Duration::from_millis(50));
    let (text, status, ending) = s.read_to_end();
    assert_eq!((status, ending), (0, Ending::Idle));
    assert!(text.contains("No key for 1 minute(s)"), "{text}");
    assert!(saved(class.path()).current.is_some());
}

#[test]
fn shutdown_says_goodbye_and_a_closed_connection_gets_no_text() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    s.input.send(Input::Shutdown).unwrap();
    let (text, _, ending) = s.read_to_end();
    assert_eq!(ending, Ending::Shutdown);
    assert!(text.contains("stopped the class server"));

    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    let Running {
        input,
        mut output,
        thread,
        ..
    } = s;
    drop(input);
    let mut text = String::new();
    while let Some(out) = next(&mut output) {
        if let Output::Data(b) = out {
            text.push_str(&String::from_utf8_lossy(&b));
        }
    }
    assert_eq!(thread.join().unwrap(), Ending::Closed);
    assert!(text.is_empty(), "{text}");
}

#[test]
fn a_lone_esc_is_the_esc_key_once_no_more_bytes_come() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    s.keys(b" ");
    // ? opens the help; a lone Esc closes it, after the short wait for a sequence's rest.
    s.keys(b"?");
    s.read_until("Everywhere");
    s.keys(b"\x1b");
    // The next frame is the help closing (nothing else changes).
    assert!(matches!(s.next(), Some(Output::Data(_))));
    s.keys(b"n");
    s.read_until("2/");
    s.input.send(Input::Closed).unwrap();
    s.read_to_end();
}

#[test]
fn a_panic_inside_the_app_marks_the_session_broken_and_is_caught() {
    let class = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = Start {
        link: Arc::default(),
        waker: crate::jobs::Waker::none(),
        student: Student::by_name("ada").unwrap(),
        course: course(),
        class: class.path().to_path_buf(),
        size: (80, 24),
        ascii: true,
        no_color: true,
        idle: HOUR,
    };
    let mut driver = Driver::new(start, &tx);
    let got = driver.guarded(|_| -> bool { panic!("a bug in a visualizer") });
    assert_eq!(got, None);
    assert!(driver.broken);
    driver.finish(Ending::Panic, HOUR);
    let mut text = String::new();
    while let Ok(Output::Data(b)) = rx.try_recv() {
        text.push_str(&String::from_utf8_lossy(&b));
    }
    assert!(text.contains("internal error"), "{text}");
    assert!(text.contains("\x1b[?1049l"));
}

/// Frames waiting for the client's window: one at a time, the last one showing every change.
#[test]
fn one_frame_is_in_flight_and_the_next_shows_everything_since() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    // Five keys, each taken and handled, while the client reads nothing.
    for _ in 0..5 {
        s.keys(b"n");
        std::thread::sleep(Duration::from_millis(2));
    }
    let first = next(&mut s.output);
    let Some(Output::Data(bytes)) = first else {
        panic!("{first:?}")
    };
    s.vt.feed(&bytes);
    // Nothing more is drawn until that frame has left.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        s.output.try_recv().is_err(),
        "a second frame while one is in flight"
    );
    s.link.sent(&s.input);
    s.read_until("step 6/");
    s.link.close(&s.input);
    s.read_to_end();
}

/// A client that changes its window size thousands of times gets one resize per frame.
#[test]
fn window_changes_coalesce_and_the_last_size_wins() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    for i in 0..5000u16 {
        s.link.resize((60 + i % 100, 20 + i % 30), &s.input);
    }
    s.link.resize((100, 30), &s.input);
    s.vt.resize(100, 30);
    let mut frames = 0;
    while !s.vt.row_text(29).contains("step 1/") {
        match s.next() {
            Some(Output::Data(b)) => {
                frames += 1;
                s.vt.feed(&b);
            }
            other => panic!("{other:?}:\n{}", s.vt.text()),
        }
    }
    assert!(
        frames <= 3,
        "{frames} frames for one burst of window changes"
    );
    s.link.close(&s.input);
    s.read_to_end();
}

/// Once the client is gone, the session ends before handling what is still queued.
#[test]
fn a_gone_client_ends_the_session_and_its_queued_input_is_dropped() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    let queued = 2000;
    for _ in 0..queued {
        s.input.send(Input::Bytes(b"n".to_vec())).unwrap();
    }
    s.link.close(&s.input);
    let (_, _, ending) = s.read_to_end();
    assert_eq!(ending, Ending::Closed);
    let p = saved(class.path());
    let current = p.current.clone().unwrap();
    assert!(
        p.lessons[&current].step < queued,
        "the queued keys were not all handled"
    );
}

/// The input budget: taken by the connection, given back as the session handles the bytes,
/// and closed when the session ends so a connection waiting for room stops waiting.
#[test]
fn the_input_budget_comes_back_and_closes_at_the_end() {
    let class = tempfile::tempdir().unwrap();
    let mut s = start(class.path(), HOUR);
    s.read_until("step 1/");
    s.keys(&[b' '; 1000]);
    s.keys(b"?");
    s.read_until("Everywhere");
    assert_eq!(s.link.input_room.available_permits(), INPUT_ROOM);
    let link = Arc::clone(&s.link);
    s.link.close(&s.input);
    s.read_to_end();
    assert!(link.input_room.is_closed());
}
