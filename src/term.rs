//! The local driver: raw mode and the alternate screen in, always restored out (on quit,
//! panic, SIGTERM and SIGHUP), and an event loop that sleeps until something happens and runs
//! a [`Session`].
//!
//! Key input and signals arrive over one channel, so the loop blocks on `recv` and uses no CPU
//! while the learner reads. Everything already queued is handled before drawing, so a paste or
//! a held key costs one frame, and a key that changes nothing draws nothing.

use crate::app::{Action, App};
use crate::session::Session;
use crate::ui::theme::Theme;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::execute;
use signal_hook::consts::{SIGHUP, SIGTERM};
use std::io::stdout;
use std::sync::mpsc;
use std::time::Duration;

enum Msg {
    Term(Event),
    /// The terminal went away (read failed): save and leave.
    Closed,
    Signal(i32),
}

/// What one message asks of the loop.
enum Step {
    Continue {
        redraw: bool,
    },
    Stop,
    /// SIGHUP: the terminal is gone (an ssh drop), so there is nothing left to restore.
    Exit,
}

pub fn run(mut app: App, theme: Theme) -> Result<(), String> {
    let mut terminal =
        ratatui::try_init().map_err(|e| format!("cannot start the terminal UI: {e}"))?;
    let _ = execute!(stdout(), EnableMouseCapture);
    // ratatui's hook restores the screen on a panic; mouse capture is ours to undo first.
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
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
    match signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]) {
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
    drop(tx);

    if let Ok(size) = terminal.size() {
        app.update(Action::Resize(size.width, size.height));
    }
    let mut session = Session::new(app, theme);
    let mut result = Ok(());
    let mut dirty = true;
    'outer: loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| session.draw(f)) {
                result = Err(format!("drawing failed: {e}"));
                break;
            }
            dirty = false;
        }
        // Idle, the loop sleeps until an event arrives; while a visualizer works in the
        // background it wakes ten times a second to show progress.
        let first = if session.busy() {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    dirty |= session.tick();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(msg) => msg,
                Err(_) => break,
            }
        };
        // The first message and everything queued behind it, then one frame.
        let mut next = Some(first);
        while let Some(msg) = next {
            match handle(&mut session, msg) {
                Step::Continue { redraw } => dirty |= redraw,
                Step::Stop => break 'outer,
                Step::Exit => {
                    session.app_mut().save();
                    std::process::exit(0);
                }
            }
            if session.quit_requested() {
                break 'outer;
            }
            next = rx.try_recv().ok();
        }
    }
    let mut app = session.into_app();
    app.save();
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    if let Some(w) = app.store_warning() {
        eprintln!("llmf: {w}");
    }
    result
}

fn handle(session: &mut Session, msg: Msg) -> Step {
    match msg {
        Msg::Term(ev) => Step::Continue {
            redraw: session.handle(&ev),
        },
        Msg::Signal(SIGHUP) => Step::Exit,
        Msg::Signal(_) | Msg::Closed => Step::Stop,
    }
}
