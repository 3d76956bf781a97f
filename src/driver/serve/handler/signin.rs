//! Signing in with the class code: a key waiting for it, or a name. What the code admits is
//! decided here (the roster, the name rules, the wrong-code budgets); the SSH side of each
//! method stays in the handler.

use super::{log, Connection, Shared};
use crate::driver::serve::identity::{self, Student};
use crate::driver::serve::limits;
use crate::driver::serve::roster::Roster;
use russh::server::Auth;
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::Instant;

impl Connection {
    pub(super) fn roster(&self) -> std::sync::MutexGuard<'_, Roster> {
        self.shared
            .roster
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A class code typed for `user` (as a password or at the keyboard-interactive prompt):
    /// the student signs in with it, by their key if one is waiting for it, else by name.
    pub(super) async fn code(&mut self, user: &str, code: &str) -> Result<Auth, russh::Error> {
        self.asked.store(true, Ordering::Relaxed);
        if self.shared.stopping.load(Ordering::Relaxed) {
            return Ok(Auth::reject());
        }
        if limits::same_secret(code.as_bytes(), self.shared.code.as_bytes()) {
            return Ok(self.admit(user));
        }
        self.wrong_codes += 1;
        let now = Instant::now();
        let name = identity::clean_name(user).unwrap_or_default();
        let wait = {
            let mut limiter = self
                .shared
                .limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let wait = limiter.slow_down(self.peer.ip(), &name, now);
            limiter.failed(self.peer.ip(), &name, now);
            wait
        };
        log(&format!(
            "refused    {}: wrong class code ({} on this connection)",
            self.peer, self.wrong_codes
        ));
        if self.wrong_codes >= limits::WRONG_CODES_PER_CONNECTION {
            log(&format!(
                "closed     {}: {} wrong class codes",
                self.peer, self.wrong_codes
            ));
            return Err(russh::Error::Disconnect);
        }
        // Held back only once this address or name has spent its budget of failures; a
        // right code is never held back.
        tokio::time::sleep(wait).await;
        Ok(Auth::Reject {
            proceed_with_methods: Some(Shared::code_methods()),
            partial_success: false,
        })
    }

    /// The right code came: the waiting key becomes the student's, or the name does.
    fn admit(&mut self, user: &str) -> Auth {
        if let Some(fingerprint) = self.pending_key.take() {
            self.roster().add_key(&fingerprint);
            return self.accept(Student::by_key(&fingerprint, user), "key, class code");
        }
        let name = match identity::check_name(user) {
            Ok(name) => name,
            Err(why) => {
                log(&format!("refused    {}: {why}", self.peer));
                self.refusal = Some(format!(
                    "The name you signed in with cannot be used: {why}.\nConnect again with \
                     another name: {}",
                    self.shared.ssh_line
                ));
                return self.accept_refused();
            }
        };
        let clash = self.roster().admit_name(&name);
        match clash {
            Ok(()) => match Student::by_name(&name) {
                Some(student) => self.accept(student, "name and class code"),
                None => Auth::reject(),
            },
            Err(known) => {
                log(&format!(
                    "refused    {}: the name {} looks like the student {}",
                    self.peer,
                    identity::shown(&name),
                    identity::shown(&known)
                ));
                self.refusal = Some(format!(
                    "The name \"{}\" looks like the name of another student in this class \
                     (\"{}\"), so it could be mistaken for theirs.\nIf that is you, type \
                     your name exactly as before; otherwise connect with another name: {}",
                    identity::shown(&name),
                    identity::shown(&known),
                    self.shared.ssh_line
                ));
                self.accept_refused()
            }
        }
    }

    /// Lets a client that knew the code in only to read why it has no session: its channel
    /// gets the refusal and closes, and no folder is made.
    fn accept_refused(&mut self) -> Auth {
        self.signed_in.store(true, Ordering::Relaxed);
        self.signing_in = None;
        Auth::Accept
    }
}
