//! One SSH connection: who the student is, what they may ask for (a shell on a pty, nothing
//! else), and the bridge between the channel and their session thread.

use super::driver::{self, Input, Output, Start};
use super::identity::Student;
use super::limits::{self, LoginLimiter};
use super::quickack::QuickAck;
use super::screen;
use crate::course::Course;
use russh::keys::{HashAlg, PublicKey};
use russh::server::{Auth, Handle, Msg, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    /// Live sessions by id: how to tell each that the server stops.
    pub sessions: Mutex<HashMap<u64, mpsc::Sender<Input>>>,
    /// Connections open now (signed in or not).
    pub connections: AtomicUsize,
    /// Sessions whose output is still being sent (the shutdown waits for these).
    pub sending: AtomicUsize,
    pub limiter: Mutex<LoginLimiter>,
    pub next_id: AtomicU64,
    pub stopping: AtomicBool,
}

impl Shared {
    /// The methods offered to clients: a key, or a name with the class code as password.
    pub fn methods() -> MethodSet {
        MethodSet::from(&[MethodKind::PublicKey, MethodKind::Password][..])
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
    /// Ends the stream's quick acknowledgements once the session's first output is out.
    quick: QuickAck,
    student: Option<Student>,
    channel: Option<ChannelId>,
    pty: Option<(u16, u16)>,
    term: String,
    /// LANG, LC_ALL and LC_CTYPE as the client sent them: they decide Unicode or ASCII.
    locale: Vec<(String, String)>,
    input: Option<mpsc::Sender<Input>>,
}

impl Connection {
    pub fn new(
        shared: Arc<Shared>,
        peer: SocketAddr,
        signed_in: Arc<AtomicBool>,
        quick: QuickAck,
    ) -> Self {
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        Self {
            shared,
            id,
            peer,
            signed_in,
            quick,
            student: None,
            channel: None,
            pty: None,
            term: String::new(),
            locale: Vec::new(),
            input: None,
        }
    }

    fn accept(&mut self, student: Student, how: &str) -> Auth {
        log(&format!(
            "signed in  {} as {} ({how})",
            self.peer,
            crate::sanitize::field(&student.label)
        ));
        self.student = Some(student);
        self.signed_in.store(true, Ordering::Relaxed);
        Auth::Accept
    }

    fn ascii(&self) -> bool {
        self.shared.looks.ascii_for(&self.locale)
    }

    /// Shows a message on the student's terminal and ends the channel.
    fn refuse(&self, channel: ChannelId, session: &mut Session, text: &str, status: u32) {
        let _ = session.data(channel, screen::message_only(text));
        let _ = session.exit_status_request(channel, status);
        let _ = session.eof(channel);
        let _ = session.close(channel);
    }

    /// Starts the student's session thread and the task that carries its output.
    fn start_session(&mut self, channel: ChannelId, handle: Handle, size: (u16, u16)) -> bool {
        let Some(student) = self.student.clone() else {
            return false;
        };
        let (input_tx, input_rx) = mpsc::channel();
        {
            let mut sessions = self
                .shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if sessions.len() >= self.shared.max_sessions {
                return false;
            }
            sessions.insert(self.id, input_tx.clone());
        }
        self.input = Some(input_tx);
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.sending.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(forward(
            handle,
            channel,
            out_rx,
            self.shared.clone(),
            self.quick.clone(),
        ));
        let start = Start {
            student: student.clone(),
            course: self.shared.course.clone(),
            class: self.shared.class.clone(),
            size,
            ascii: self.ascii(),
            no_color: self.shared.looks.no_color,
            idle: self.shared.idle,
            waker: {
                // The session's background work wakes its thread through its own input
                // channel, so a student's training run redraws only that student's screen.
                let wake = self.input.clone();
                crate::jobs::Waker::new(move || {
                    if let Some(tx) = &wake {
                        let _ = tx.send(Input::Wake);
                    }
                })
            },
        };
        if let Err(e) = student.record(&self.shared.class) {
            log(&format!("cannot record the student: {e}"));
        }
        let shared = self.shared.clone();
        let id = self.id;
        let label = crate::sanitize::field(&student.label).into_owned();
        log(&format!(
            "session    {label} started at {}x{} ({} live)",
            size.0,
            size.1,
            shared.live_sessions()
        ));
        let spawned = std::thread::Builder::new()
            .name(format!("llmf-session-{id}"))
            .spawn(move || {
                let began = Instant::now();
                let ending = driver::run(start, input_rx, out_tx);
                shared
                    .sessions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                log(&format!(
                    "session    {label} ended: {} after {} s, progress saved",
                    ending.describe(),
                    began.elapsed().as_secs()
                ));
            });
        if let Err(e) = spawned {
            log(&format!("cannot start a session thread: {e}"));
            self.shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.id);
            return false;
        }
        true
    }

    fn send(&self, input: Input) {
        if let Some(tx) = &self.input {
            let _ = tx.send(input);
        }
    }
}

/// Carries a session's output to its channel; at the end, the exit status and the close.
/// Once the session's first output (its start and first frame follow at once) is handed over,
/// the stream stops asking for quick acknowledgements.
async fn forward(
    handle: Handle,
    channel: ChannelId,
    mut output: tokio::sync::mpsc::UnboundedReceiver<Output>,
    shared: Arc<Shared>,
    quick: QuickAck,
) {
    while let Some(out) = output.recv().await {
        match out {
            Output::Data(bytes) => {
                if handle.data(channel, bytes).await.is_err() {
                    break;
                }
                quick.stop();
            }
            Output::End(status) => {
                let _ = handle.exit_status_request(channel, status).await;
                let _ = handle.eof(channel).await;
                let _ = handle.close(channel).await;
                break;
            }
        }
    }
    shared.sending.fetch_sub(1, Ordering::SeqCst);
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.send(Input::Closed);
        self.shared.connections.fetch_sub(1, Ordering::SeqCst);
        log(&format!("disconnect {}", self.peer));
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        Ok(Some(
            "llmf class: sign in with your key, or with your name as the user and the class \
             code as the password.\r\n"
                .into(),
        ))
    }

    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        if self.shared.stopping.load(Ordering::Relaxed) {
            return Ok(Auth::reject());
        }
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        Ok(self.accept(Student::by_key(&fingerprint, user), "key"))
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ip = self.peer.ip();
        let now = Instant::now();
        let allowed = self
            .shared
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .allows(ip, now);
        if !allowed {
            log(&format!(
                "refused    {}: too many wrong class codes from this address, wait a little",
                self.peer
            ));
            return Ok(Auth::reject());
        }
        let right = limits::same_secret(password.as_bytes(), self.shared.code.as_bytes());
        match Student::by_name(user) {
            Some(student) if right && !self.shared.stopping.load(Ordering::Relaxed) => {
                Ok(self.accept(student, "name and class code"))
            }
            Some(_) if right => Ok(Auth::reject()),
            _ => {
                self.shared
                    .limiter
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .failed(ip, now);
                let why = if right {
                    "a name must be 1 to 32 characters"
                } else {
                    "wrong class code"
                };
                log(&format!("refused    {}: {why}", self.peer));
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One session channel per connection; dropping `reply` refuses any other. The
        // channel's own message stream is not needed (the handler gets every request) and
        // is dropped so it never fills up.
        if self.channel.is_none() && self.student.is_some() {
            self.channel = Some(channel.id());
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
        if let Some(why) = crate::tty::unusable_reason(Some(&self.term)) {
            self.refuse(channel, session, &why, 1);
            return Ok(());
        }
        if self.shared.stopping.load(Ordering::Relaxed) {
            self.refuse(channel, session, "The class server is stopping.", 1);
            return Ok(());
        }
        if !self.start_session(channel, session.handle(), size) {
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
        let (cols, rows) = limits::clamp_size(cols, rows);
        self.pty = Some((cols, rows));
        self.send(Input::Resize(cols, rows));
        Ok(())
    }

    async fn data(
        &mut self,
        _: ChannelId,
        data: &[u8],
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        self.send(Input::Bytes(data.to_vec()));
        Ok(())
    }

    async fn channel_eof(&mut self, _: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        self.send(Input::Closed);
        Ok(())
    }

    async fn channel_close(&mut self, _: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        self.send(Input::Closed);
        Ok(())
    }
}
