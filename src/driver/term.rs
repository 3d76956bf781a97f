//! The local driver: raw mode and the alternate screen in, always restored out (on quit,
//! panic and every signal that ends the process), suspended on Ctrl-Z, left when the terminal
//! is closed, and an event loop that sleeps until something happens and runs a [`Session`].
//!
//! Key input, signals and background work's wake-ups arrive over one channel, so the loop
//! blocks on `recv` and uses no CPU while the learner reads. Everything already queued is handled before drawing, so a paste or
//! a held key costs one frame, and a key that changes nothing draws nothing.

use crate::app::{Action, App};
use crate::driver::session::Session;
use crate::driver::signals::{self, Meaning};
use crate::jobs::Waker;
use crate::ui::theme::Theme;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event,
};
use ratatui::crossterm::execute;
use std::io::stdout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

enum Msg {
    Term(Event),
    /// A panel's background work posted something.
    Wake,
    /// The terminal went away (read failed, or the watcher saw it close): save and leave.
    Closed,
    Signal(i32),
}

/// What one message asks of the loop.
enum Step {
    Continue {
        redraw: bool,
    },
    /// Leave the loop; `Some(signal)` when a signal ends the session, so the process can end
    /// by that signal once the terminal is back.
    Stop(Option<i32>),
}

pub fn run(mut app: App, theme: Theme) -> Result<(), String> {
    let mut terminal =
        ratatui::try_init().map_err(|e| format!("cannot start the terminal UI: {e}"))?;
    // Bracketed paste: a pasted text arrives as one event, so its newlines are not Enter.
    let _ = execute!(stdout(), EnableMouseCapture, EnableBracketedPaste);
    // ratatui's hook restores the screen on a panic; mouse capture is ours to undo first.
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        ratatui_hook(info);
    }));
    let (tx, rx) = mpsc::channel::<Msg>();

    let keys = tx.clone();
    std::thread::spawn(move || loop {
        let msg = match event::read() {
            Ok(ev) => Msg::Term(ev),
            Err(_) => Msg::Closed,
        };
        let closed = matches!(msg, Msg::Closed);
        if keys.send(msg).is_err() || closed {
            break;
        }
    });
    let gone = tx.clone();
    crate::driver::tty::watch_hangup(move || {
        let _ = gone.send(Msg::Closed);
    });
    match signal_hook::iterator::Signals::new(signals::caught()) {
        Ok(mut signals) => {
            let sig_tx = tx.clone();
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    if sig_tx.send(Msg::Signal(sig)).is_err() {
                        break;
                    }
                }
            });
        }
        Err(e) => app.add_notices([format!(
            "signals will not be caught ({e}): quit with q to be safe"
        )]),
    }
    // Background work wakes the loop through the same channel. A busy trainer posts many
    // events a second: one wake-up waits in the channel at a time, and handling it collects
    // everything posted so far.
    let wake_pending = Arc::new(AtomicBool::new(false));
    let waker = {
        let (tx, pending) = (tx.clone(), Arc::clone(&wake_pending));
        Waker::new(move || {
            if !pending.swap(true, Ordering::AcqRel) {
                let _ = tx.send(Msg::Wake);
            }
        })
    };
    drop(tx);

    if let Ok(size) = terminal.size() {
        app.update(Action::Resize(size.width, size.height));
    }
    let mut session = Session::new(app, theme, waker);
    let mut result = Ok(());
    let mut dirty = true;
    let mut ended_by = None;
    // Lessons are parsed when first opened; once the first frame is out, a thread parses
    // the rest, so neither a later lesson nor the picker waits for a parse. It waits a
    // moment first, leaving the CPU to the terminal while it shows that frame.
    let mut first_frame = true;
    'outer: loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| session.draw(f)) {
                result = Err(format!("drawing failed: {e}"));
                break;
            }
            dirty = false;
            if std::mem::take(&mut first_frame) {
                let course = session.app().shared_course();
                let _ = std::thread::Builder::new()
                    .name("parse lessons".into())
                    .spawn(move || {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        course.parse_all();
                    });
            }
        }
        // The loop sleeps until a key, a signal or background work has something.
        let Ok(first) = rx.recv() else {
            break;
        };
        // The first message and everything queued behind it, then one frame.
        let mut next = Some(first);
        while let Some(msg) = next {
            if matches!(msg, Msg::Wake) {
                // Cleared before collecting, so work posting meanwhile wakes us again.
                wake_pending.store(false, Ordering::Release);
            }
            match handle(&mut session, &mut terminal, msg) {
                Step::Continue { redraw } => dirty |= redraw,
                Step::Stop(signal) => {
                    ended_by = signal;
                    break 'outer;
                }
            }
            if session.quit_requested() {
                break 'outer;
            }
            next = rx.try_recv().ok();
        }
    }
    let mut app = session.into_app();
    app.end();
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    // try_restore: restore() prints a failure with eprintln!, which panics on a closed terminal.
    let _ = ratatui::try_restore();
    // Not dropped: its Drop shows the cursor and, if the terminal is gone, panics printing
    // that it could not. release() shows the cursor, ignoring a terminal that is gone.
    std::mem::forget(terminal);
    crate::driver::tty::release();
    if let Some(w) = app.store_warning() {
        crate::errln!("llmf: {}", crate::text::sanitize::field(w));
    }
    if let Some(sig) = ended_by {
        signals::end_by(sig);
    }
    result
}

fn handle(session: &mut Session, terminal: &mut ratatui::DefaultTerminal, msg: Msg) -> Step {
    match msg {
        Msg::Term(ev) if crate::driver::tty::is_suspend_key(&ev) => Step::Continue {
            redraw: suspend_and_resume(session, terminal),
        },
        Msg::Term(ev) => Step::Continue {
            redraw: session.handle(&ev),
        },
        Msg::Signal(sig) => match signals::meaning(sig) {
            Meaning::End(sig) => Step::Stop(Some(sig)),
            Meaning::Suspend => Step::Continue {
                redraw: suspend_and_resume(session, terminal),
            },
            Meaning::Resume => Step::Continue {
                redraw: resume(terminal),
            },
        },
        Msg::Wake => Step::Continue {
            redraw: session.tick(),
        },
        Msg::Closed => Step::Stop(None),
    }
}

/// Ctrl-Z or SIGTSTP: save (the shell may never bring us back), hand the terminal back,
/// stop; after `fg`, take it again and redraw everything.
fn suspend_and_resume(session: &mut Session, terminal: &mut ratatui::DefaultTerminal) -> bool {
    session.app_mut().save();
    crate::driver::tty::suspend();
    resume(terminal)
}

/// After a stop, whoever stopped us: raw mode again and a full redraw.
fn resume(terminal: &mut ratatui::DefaultTerminal) -> bool {
    crate::driver::tty::reclaim();
    // Terminal::clear would ask the terminal where the cursor is, and the reply would go to
    // the input thread: so the screen is cleared by reclaim() and one blank frame makes
    // ratatui's diff repaint every cell on the next draw.
    let _ = terminal.draw(|_| {});
    true
}
