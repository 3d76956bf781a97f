//! Which signals llmf catches and what each means for the terminal session.
//!
//! Every signal whose default action ends the process is caught, so the session can save
//! progress and give the terminal back (cooked mode, main screen, no mouse tracking) before
//! the process ends the way the signal asked: the parent still sees "killed by SIGINT".
//! SIGTSTP suspends like Ctrl-Z; SIGCONT resumes. SIGKILL and SIGSTOP cannot be caught, and
//! the synchronous faults (SIGSEGV, SIGBUS, ...) are left to the panic hook's world.

use libc::c_int;

/// Signals that end the process by default (and can be caught safely).
pub const FATAL: &[c_int] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGXCPU,
    libc::SIGXFSZ,
];

/// What a caught signal asks of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Save, restore the terminal, then end as the signal's default would.
    End(c_int),
    /// Restore the terminal and stop (Ctrl-Z from a shell's `kill -TSTP`).
    Suspend,
    /// Continued after a stop: raw mode and the full screen again.
    Resume,
}

/// Every signal the session listens for.
pub fn caught() -> Vec<c_int> {
    let mut all = FATAL.to_vec();
    all.extend([libc::SIGTSTP, libc::SIGCONT]);
    all
}

pub fn meaning(sig: c_int) -> Meaning {
    match sig {
        libc::SIGTSTP => Meaning::Suspend,
        libc::SIGCONT => Meaning::Resume,
        other => Meaning::End(other),
    }
}

/// Stops the whole process until a SIGCONT (`fg`).
pub fn stop_self() {
    let _ = signal_hook::low_level::raise(libc::SIGSTOP);
}

/// Ends the process as `sig`'s default action would (so a shell reports the signal), once
/// the terminal is restored. Falls back to the shell convention 128 + signal.
pub fn end_by(sig: c_int) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(sig);
    std::process::exit(128 + sig);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tstp_suspends_cont_resumes_and_the_rest_end() {
        assert_eq!(meaning(libc::SIGTSTP), Meaning::Suspend);
        assert_eq!(meaning(libc::SIGCONT), Meaning::Resume);
        assert_eq!(meaning(libc::SIGUSR1), Meaning::End(libc::SIGUSR1));
        let all = caught();
        for sig in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGUSR1] {
            assert!(all.contains(&sig));
        }
        // These two cannot be caught: registering them would fail the whole set.
        assert!(!all.contains(&libc::SIGKILL) && !all.contains(&libc::SIGSTOP));
    }
}
