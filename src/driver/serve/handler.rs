//! One SSH connection: who the student is, what they may ask for (a shell on a pty, nothing
//! else), and the bridge between the channel and their session thread.

use super::driver::{self, Input, Link};
use super::identity::Student;
use super::limits::{self, LoginLimiter, SigningInSlot, TypingRate};
use super::quickack::QuickAck;
use super::roster::Roster;
use super::screen;
use crate::course::Course;
use russh::keys::{HashAlg, PublicKey};
use russh::server::{Auth, Msg, Response, Session};
use russh::{Channel, ChannelId, ChannelWriteHalf, MethodKind, MethodSet, Pty};
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Bytes handed to a session in one message: small enough that a session whose client has
/// gone notices within a fraction of a second, even while it works through a flood.
const INPUT_CHUNK: usize = 4096;

/// What every connection shares: settings, the live sessions and the login budget.
pub struct Shared {
    /// Parsed once; every session shares it.
    pub course: Arc<Course>,
    pub class: PathBuf,
    pub code: String,
    pub max_sessions: usize,
    pub idle: Duration,
    /// `--ascii`, `--unicode` and `--no-color` as the server was started.
    pub looks: super::Looks,
    /// The `ssh …` line for students, repeated in refusals.
    pub ssh_line: String,
    /// Live sessions by id: how to tell each that the server stops, and whether it saved.
    pub sessions: Mutex<HashMap<u64, Live>>,
    /// Keys admitted before and what each name looks like: sign-in asks this, not the disk.
    pub roster: Mutex<Roster>,
    /// Connections open now (signed in or not).
    pub connections: AtomicUsize,
    /// Sessions whose output is still being sent (the shutdown waits for these).
    pub sending: AtomicUsize,
    pub limiter: Mutex<LoginLimiter>,
    pub next_id: AtomicU64,
    pub stopping: AtomicBool,
    /// Connections signing in, per address.
    pub signing_in: Arc<limits::SigningIn>,
}

/// A live session, as the server's shutdown sees it.
#[derive(Clone)]
pub struct Live {
    pub input: mpsc::Sender<Input>,
    pub link: Arc<Link>,
    /// The student's name or key, sanitized for the log.
    pub label: String,
}

impl Shared {
    /// The methods offered to clients: a key (the class code asked once, the first time),
    /// or a name with the class code, typed at a prompt (keyboard-interactive: OpenSSH asks
    /// again after a typo) or as a password.
    pub fn methods() -> MethodSet {
        MethodSet::from(
            &[
                MethodKind::PublicKey,
                MethodKind::KeyboardInteractive,
                MethodKind::Password,
            ][..],
        )
    }

    /// Where the class code is asked for.
    fn code_methods() -> MethodSet {
        MethodSet::from(&[MethodKind::KeyboardInteractive, MethodKind::Password][..])
    }

    pub fn live_sessions(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A server log line: UTC time, then the message. Never a key, a password or a code.
pub fn log(msg: &str) {
    use std::io::Write;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    // A closed stdout must not stop the server: the line is dropped.
    let _ = writeln!(std::io::stdout().lock(), "{h:02}:{m:02}:{s:02} {msg}");
}

pub struct Connection {
    shared: Arc<Shared>,
    id: u64,
    peer: SocketAddr,
    /// Set once signed in, so the login timer knows to leave the connection alone.
    signed_in: Arc<AtomicBool>,
    /// Set at the client's first sign-in request: it got through the key exchange.
    asked: Arc<AtomicBool>,
    /// This connection's place among those signing in from its address; given back once
    /// signed in (or when the connection ends).
    signing_in: Option<SigningInSlot>,
    /// A key whose signature was good but that has not been admitted with the class code
    /// yet: the code is asked for next, and the key is the student's from then on.
    pending_key: Option<String>,
    /// Wrong class codes sent on this connection.
    wrong_codes: u32,
    /// Why this student, who knew the code, cannot have a session (a name that looks like
    /// another student's): shown on their screen instead of the course.
    refusal: Option<String>,
    typing: TypingRate,
    /// Input beyond the typing rate has been dropped (logged once).
    flooding: bool,
    /// The session fell behind its input: new input is dropped until it catches up.
    behind: bool,
    /// Ends the stream's quick acknowledgements once the session's first output is out.
    quick: QuickAck,
    student: Option<Student>,
    channel: Option<ChannelId>,
    /// The channel's writing half: it sends only as much as the client's window takes, and
    /// waits for the client to make room (its reading half is dropped: the handler gets every
    /// request, and an unread half would fill and stall the connection).
    writer: Option<ChannelWriteHalf<Msg>>,
    pty: Option<(u16, u16)>,
    term: String,
    /// LANG, LC_ALL and LC_CTYPE as the client sent them: they decide Unicode or ASCII.
    locale: Vec<(String, String)>,
    input: Option<mpsc::Sender<Input>>,
    link: Option<Arc<Link>>,
    /// A second handle on the client's socket, to see whether the client has hung up while
    /// this connection is not reading (it waits on a slow session or the typing rate).
    socket: Arc<std::os::fd::OwnedFd>,
}

mod signin;
mod start;

/// How often a connection that waits before reading on checks whether its client hung up.
const HANGUP_CHECK: Duration = Duration::from_millis(100);
/// Checks without room before a session counts as behind its input (one second).
const BEHIND_AFTER: u32 = 10;

/// Whether the client has closed its end (or the connection broke), without reading from
/// the socket: asks the kernel for hang-up events only.
fn hung_up(socket: &std::os::fd::OwnedFd) -> bool {
    use rustix::event::{poll, PollFd, PollFlags};
    let mut fds = [PollFd::new(socket, PollFlags::RDHUP)];
    match poll(&mut fds, Some(&rustix::event::Timespec::default())) {
        Ok(0) => false,
        Ok(_) => fds[0]
            .revents()
            .intersects(PollFlags::RDHUP | PollFlags::HUP | PollFlags::ERR),
        Err(_) => false,
    }
}

/// What a connection's timers watch, shared with its handler.
#[derive(Clone, Default)]
pub struct Watch {
    pub signed_in: Arc<AtomicBool>,
    pub asked: Arc<AtomicBool>,
}

impl Connection {
    pub fn new(
        shared: Arc<Shared>,
        id: u64,
        peer: SocketAddr,
        watch: Watch,
        slot: SigningInSlot,
        quick: QuickAck,
        socket: Arc<std::os::fd::OwnedFd>,
    ) -> Self {
        Self {
            socket,
            shared,
            id,
            peer,
            signed_in: watch.signed_in,
            asked: watch.asked,
            signing_in: Some(slot),
            pending_key: None,
            wrong_codes: 0,
            refusal: None,
            typing: TypingRate::new(Instant::now()),
            flooding: false,
            behind: false,
            quick,
            student: None,
            channel: None,
            writer: None,
            pty: None,
            term: String::new(),
            locale: Vec::new(),
            input: None,
            link: None,
        }
    }

    fn accept(&mut self, student: Student, how: &str) -> Auth {
        log(&format!(
            "signed in  {} as {} ({how})",
            self.peer,
            crate::text::sanitize::field(&student.label)
        ));
        self.student = Some(student);
        self.signed_in.store(true, Ordering::Relaxed);
        self.signing_in = None;
        Auth::Accept
    }

    fn ascii(&self) -> bool {
        self.shared.looks.ascii_for(&self.locale)
    }

    /// Shows a message on the student's terminal, wrapped to its width, and ends the channel.
    fn refuse(&self, channel: ChannelId, session: &mut Session, text: &str, status: u32) {
        let width = usize::from(self.pty.map_or(80, |(cols, _)| cols)).saturating_sub(1);
        let wrapped: Vec<String> = text
            .lines()
            .flat_map(|line| textwrap::wrap(line, width.max(20)))
            .map(std::borrow::Cow::into_owned)
            .collect();
        let _ = session.data(channel, screen::message_only(&wrapped.join("\n")));
        let _ = session.exit_status_request(channel, status);
        let _ = session.eof(channel);
        let _ = session.close(channel);
    }

    /// The client is gone: its session stops at its next message, whatever is queued.
    fn gone(&self) {
        if let (Some(tx), Some(link)) = (&self.input, &self.link) {
            link.close(tx);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.gone();
        self.shared.connections.fetch_sub(1, Ordering::SeqCst);
        log(&format!("disconnect {}", self.peer));
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        Ok(Some(
            "llmf class: connect with any name you like, then type the class code your \
             teacher gave you. With an SSH key, the code is asked for once; the key signs \
             you in from then on.\r\n"
                .into(),
        ))
    }

    async fn auth_none(&mut self, _: &str) -> Result<Auth, Self::Error> {
        self.asked.store(true, Ordering::Relaxed);
        Ok(Auth::reject())
    }

    /// A key whose signature checked out: a key admitted before signs in at once; a new one
    /// is asked for the class code next (keyboard-interactive), and is admitted with it.
    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        self.asked.store(true, Ordering::Relaxed);
        if self.shared.stopping.load(Ordering::Relaxed) {
            return Ok(Auth::reject());
        }
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        if self.roster().knows_key(&fingerprint) {
            return Ok(self.accept(Student::by_key(&fingerprint, user), "key"));
        }
        self.pending_key = Some(fingerprint);
        Ok(Auth::Reject {
            proceed_with_methods: Some(Shared::code_methods()),
            partial_success: true,
        })
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        self.asked.store(true, Ordering::Relaxed);
        let answer = response.and_then(|mut r| r.next()).map(|a| {
            String::from_utf8_lossy(a.get(..a.len().min(256)).unwrap_or_default()).into_owned()
        });
        match answer {
            Some(code) => self.code(user, &code).await,
            None => Ok(Auth::Partial {
                name: Cow::Borrowed("llmf class"),
                instructions: Cow::Borrowed(if self.pending_key.is_some() {
                    "First time with this key: type the class code your teacher gave you. \
                     Your key signs you in from then on."
                } else {
                    "Type the class code your teacher gave you."
                }),
                prompts: Cow::Owned(vec![(Cow::Borrowed("Class code: "), false)]),
            }),
        }
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        self.code(user, password).await
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One session channel per connection; dropping `reply` refuses any other. The
        // channel's reading half is not needed (the handler gets every request) and is
        // dropped so it never fills up; its writing half carries the session's output.
        if self.channel.is_none() && (self.student.is_some() || self.refusal.is_some()) {
            self.channel = Some(channel.id());
            self.writer = Some(channel.split().1);
            reply.accept().await;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _: u32,
        _: u32,
        _: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.pty = Some(limits::clamp_size(cols, rows));
        self.term = term.chars().take(64).collect();
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let wanted = matches!(name, "LANG" | "LC_ALL" | "LC_CTYPE");
        if wanted && value.len() <= 64 && self.locale.len() < 3 {
            self.locale.push((name.to_string(), value.to_string()));
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.input.is_some() {
            session.channel_failure(channel)?;
            return Ok(());
        }
        session.channel_success(channel)?;
        if let Some(text) = self.refusal.clone() {
            self.refuse(channel, session, &text, 1);
            return Ok(());
        }
        let Some(size) = self.pty else {
            log(&format!(
                "refused    {}: no terminal (pty) asked for",
                self.peer
            ));
            let text = format!(
                "llmf needs a terminal. Connect from a terminal with: {} (add -t if ssh \
                 was told not to ask for one).",
                self.shared.ssh_line
            );
            self.refuse(channel, session, &text, 1);
            return Ok(());
        };
        if let Some(why) = crate::driver::tty::unusable_reason(Some(&self.term)) {
            self.refuse(channel, session, &why, 1);
            return Ok(());
        }
        if self.shared.stopping.load(Ordering::Relaxed) {
            self.refuse(channel, session, "The class server is stopping.", 1);
            return Ok(());
        }
        if !self.start_session(size) {
            log(&format!(
                "refused    {}: the class is full ({} sessions)",
                self.peer, self.shared.max_sessions
            ));
            let text = format!(
                "The class is full: {} students are connected, the most this server takes.\n\
                 Try again in a few minutes, or ask your teacher to start it with a higher \
                 --max-sessions.",
                self.shared.max_sessions
            );
            self.refuse(channel, session, &text, 1);
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        log(&format!("refused    {}: a command (exec)", self.peer));
        session.channel_failure(channel)?;
        session.close(channel)?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        log(&format!("refused    {}: a subsystem", self.peer));
        session.channel_failure(channel)?;
        session.close(channel)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _: bool,
        _: &str,
        _: &str,
        _: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _: ChannelId,
        cols: u32,
        rows: u32,
        _: u32,
        _: u32,
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        let size = limits::clamp_size(cols, rows);
        self.pty = Some(size);
        // The last size wins: a flood of window changes is one resize, one frame.
        if let (Some(tx), Some(link)) = (&self.input, &self.link) {
            link.resize(size, tx);
        }
        Ok(())
    }

    /// Typed bytes go to the session only as fast as it handles them: this waits for room
    /// in its input budget, and while it waits russh reads nothing more from this client, so
    /// TCP slows it down. Bytes beyond the typing rate (no person types them) are dropped.
    async fn data(
        &mut self,
        _: ChannelId,
        data: &[u8],
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        let (Some(tx), Some(link)) = (self.input.clone(), self.link.clone()) else {
            return Ok(());
        };
        for chunk in data.chunks(INPUT_CHUNK) {
            if !self.typing.admit(chunk.len(), Instant::now()) {
                if !self.flooding {
                    self.flooding = true;
                    log(&format!(
                        "dropping   {}: input faster than anyone types (over {} KiB/s)",
                        self.peer,
                        limits::TYPING_RATE as u32 / 1024
                    ));
                }
                continue;
            }
            // A session that fell behind (it made no room for a second) gets nothing more
            // until it has caught up: what comes meanwhile is read and dropped, so a client
            // that leaves is seen at once instead of after its queued keys.
            if self.behind {
                if link.input_room.available_permits() < driver::INPUT_ROOM {
                    continue;
                }
                self.behind = false;
            }
            // Waits for the session in short slices, so a client that hangs up meanwhile is
            // seen at once and its session ends with what it had queued dropped.
            let mut waited = 0;
            loop {
                let admitted = tokio::select! {
                    room = link.input_room.acquire_many(chunk.len() as u32) => Some(room),
                    () = tokio::time::sleep(HANGUP_CHECK) => None,
                };
                waited += 1;
                if admitted.is_none() && waited >= BEHIND_AFTER {
                    self.behind = true;
                    break;
                }
                match admitted {
                    // Closed when the session has ended: the bytes have nowhere to go.
                    Some(Err(_)) => return Ok(()),
                    Some(Ok(room)) => {
                        room.forget();
                        break;
                    }
                    None if hung_up(&self.socket) => {
                        self.gone();
                        return Err(russh::Error::Disconnect);
                    }
                    None => {}
                }
            }
            if self.behind {
                continue;
            }
            if link.is_gone() || tx.send(Input::Bytes(chunk.to_vec())).is_err() {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn channel_eof(&mut self, _: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        self.gone();
        Ok(())
    }

    async fn channel_close(&mut self, _: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        self.gone();
        Ok(())
    }
}
