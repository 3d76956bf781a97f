//! What the terminal session needs from the terminal itself: whether it is still there,
//! whether it can show the UI at all, and how to hand it back and take it again around a
//! suspend (Ctrl-Z), as less and vim do.

use ratatui::crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyModifiers,
};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use std::io::stdout;
use std::time::Duration;

/// Whether the terminal on standard input is still there. A closed terminal (the window
/// shut, the ssh link dropped) is hung up: reads return end of file and terminal requests
/// fail, with or without a SIGHUP.
pub fn alive() -> bool {
    rustix::termios::tcgetattr(std::io::stdin()).is_ok()
}

/// Calls `gone` once the terminal is hung up, checking twice a second on a thread of its
/// own. The input reader cannot tell: at end of file it waits for more without end.
pub fn watch_hangup(gone: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        while alive() {
            std::thread::sleep(Duration::from_millis(500));
        }
        gone();
    });
}

/// Ctrl-Z: raw mode keeps the terminal from turning it into SIGTSTP, so the key arrives here.
pub fn is_suspend_key(ev: &Event) -> bool {
    matches!(ev, Event::Key(k) if k.code == KeyCode::Char('z')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && k.kind == ratatui::crossterm::event::KeyEventKind::Press)
}

/// Gives the terminal back as it was: no mouse tracking, the main screen, a cursor, cooked
/// mode. Errors are ignored: a terminal that is gone needs nothing restored.
pub fn release() {
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Takes the terminal again after a stop. The shell may have reset the modes while the job
/// was stopped, so raw mode is set afresh rather than trusted.
pub fn reclaim() {
    let _ = disable_raw_mode();
    let _ = enable_raw_mode();
    let _ = execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        cursor::Hide,
        Clear(ClearType::All)
    );
}

/// Suspends like Ctrl-Z in a shell: the terminal goes back, the process stops until `fg`,
/// then the terminal is taken again. The caller redraws everything.
pub fn suspend() {
    release();
    crate::driver::signals::stop_self();
    reclaim();
}

/// Why the full-screen UI cannot run on this terminal, if it cannot.
pub fn unusable_reason(term: Option<&str>) -> Option<String> {
    match term {
        Some("dumb") => Some(
            "this terminal (TERM=dumb) cannot show the course's screen: print a step as text with `llmf render 05` (see `llmf render --help`)".into(),
        ),
        _ => None,
    }
}

/// Whether the locale's character set is UTF-8, from the first of LC_ALL, LC_CTYPE and LANG
/// that is set and not empty (the order C's setlocale uses). None set means the C locale.
pub fn locale_is_utf8(lookup: impl Fn(&str) -> Option<String>) -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .into_iter()
        .find_map(|k| lookup(k).filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "C".into());
    let lower = value.to_ascii_lowercase();
    lower.contains("utf-8") || lower.contains("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_first_set_locale_variable_decides() {
        assert!(locale_is_utf8(env(&[("LANG", "en_US.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LANG", "C.utf8")])));
        assert!(!locale_is_utf8(env(&[("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(locale_is_utf8(env(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.UTF-8"),
            ("LANG", "C")
        ])));
        assert!(!locale_is_utf8(env(&[("LC_CTYPE", "POSIX")])));
        // Nothing set is the C locale.
        assert!(!locale_is_utf8(env(&[])));
    }

    #[test]
    fn only_dumb_terminals_are_refused() {
        assert!(unusable_reason(Some("dumb")).is_some_and(|m| m.contains("llmf render")));
        assert!(unusable_reason(Some("xterm-256color")).is_none());
        assert!(unusable_reason(None).is_none());
    }
}
