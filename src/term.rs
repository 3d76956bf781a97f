//! The terminal session: raw mode and the alternate screen in, always restored out (on quit,
//! panic, SIGTERM and SIGHUP), and an event loop that sleeps until something happens.
//!
//! Key input, signals and (later) background work all arrive over one channel, so the loop
//! blocks on `recv` and uses no CPU while the learner reads.

use crate::app::App;
use crate::keymap::action_for;
use crate::ui::{self, theme::Theme};
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use signal_hook::consts::{SIGHUP, SIGTERM};
use std::io::stdout;
use std::sync::mpsc;

enum Msg {
    Term(Event),
    /// The terminal went away (read failed): save and leave.
    Closed,
    Signal(i32),
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
        Err(e) => app.notices.push(format!(
            "signals will not be caught ({e}): quit with q to be safe"
        )),
    }
    drop(tx);

    if let Ok(size) = terminal.size() {
        app.update(crate::app::Action::Resize(size.width, size.height));
    }
    let mut result = Ok(());
    let mut dirty = true;
    loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| ui::render(&app, f.area(), f.buffer_mut(), &theme)) {
                result = Err(format!("drawing failed: {e}"));
                break;
            }
            dirty = false;
        }
        // Idle, the loop sleeps until an event arrives; while a visualizer works in the
        // background it wakes ten times a second to show progress.
        let msg = if app.busy() {
            match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    dirty |= app.update(crate::app::Action::Tick);
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
        match msg {
            Msg::Term(ev) => {
                if let Some(action) = action_for(&ev, app.text_entry()) {
                    dirty |= app.update(action);
                }
            }
            Msg::Signal(sig) => {
                app.save();
                if sig == SIGHUP {
                    // The terminal is gone (an ssh drop): there is nothing left to restore.
                    std::process::exit(0);
                }
                break;
            }
            Msg::Closed => {
                app.save();
                break;
            }
        }
        if app.quit {
            break;
        }
    }
    app.save();
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    if let Some(w) = &app.store.warning {
        eprintln!("llmf: {w}");
    }
    result
}
