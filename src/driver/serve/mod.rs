//! `llmf serve`: the course for a whole class over SSH, with nothing to install and no
//! accounts.
//!
//! Each connection gets its own course session on a thread of its own ([`driver`]), drawn
//! into the SSH channel through a fixed-size ratatui terminal ([`screen`]), with input bytes
//! parsed into the key events the local app uses ([`input`]). Students are known by key or
//! by name and class code ([`identity`]); each one's progress lives in the class folder in
//! the ordinary progress format. The network side runs on a small tokio pool; a signal saves
//! every session and says goodbye before the process ends.

pub mod class_report;
pub mod driver;
mod handler;
pub mod hostkey;
pub mod identity;
pub mod input;
pub mod limits;
mod quickack;
pub mod roster;
pub mod screen;

use crate::course::Course;
use handler::{log, Connection, Shared, Watch};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The options of `llmf serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on. The default takes only this machine's own connections;
    /// give a LAN address (or 0.0.0.0) to let a lab in.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2222")]
    pub listen: SocketAddr,
    /// The class folder: host key, and one folder of progress per student (default: `class`
    /// in llmf's data folder).
    #[arg(long, value_name = "DIR")]
    pub class: Option<PathBuf>,
    /// The class code every student types when they sign in, key or not (default: a new
    /// random one, printed at start).
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// Most students connected at once; the next one sees a message saying the class is full.
    #[arg(long, value_name = "N", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_sessions: u32,
    /// Minutes without a key before a session closes (progress is saved).
    #[arg(long, value_name = "MIN", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub idle: u32,
}

/// How the screens look, from the global options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Looks {
    pub no_color: bool,
    /// `--ascii`: every session draws in 7-bit ASCII.
    pub ascii: bool,
    /// `--unicode`: every session draws with Unicode, whatever locale its client sends.
    pub unicode: bool,
}

impl Looks {
    /// Whether a session draws in ASCII, given the locale variables its client sent (LANG,
    /// LC_ALL, LC_CTYPE): the server's `--ascii` or `--unicode` decides first; then a client
    /// that sent a locale gets ASCII unless it is UTF-8, and one that sent none gets Unicode
    /// (most terminals are UTF-8 today, and OpenSSH sends no locale unless configured to).
    pub fn ascii_for(&self, locale: &[(String, String)]) -> bool {
        if self.ascii || self.unicode {
            return self.ascii;
        }
        !locale.is_empty()
            && !crate::driver::tty::locale_is_utf8(|k| {
                locale
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v.clone())
            })
    }
}

/// How long a client has to sign in before the connection is dropped.
const LOGIN_GRACE: Duration = Duration::from_secs(60);
/// How long a new connection may take to get through the SSH key exchange to its first
/// sign-in request (a real client takes well under a second): a socket that stays silent,
/// or sends only its greeting, is closed after this.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(10);
/// How long the shutdown waits for sessions to say goodbye.
const GOODBYE_WAIT: Duration = Duration::from_secs(5);

/// The class folder when none is given: `class` in llmf's data folder.
pub fn default_class_dir() -> Option<PathBuf> {
    crate::progress::default_dir().map(|d| d.join("class"))
}

/// A class code that is easy to read aloud and to type: no 0/o, 1/l/i.
fn random_code() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = hostkey::random_bytes::<8>()?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

/// The line students type.
fn ssh_line(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "THIS-MACHINE".into())
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    match listen.port() {
        22 => format!("ssh YOURNAME@{host}"),
        port => format!("ssh -p {port} YOURNAME@{host}"),
    }
}

/// Runs the server until a signal stops it.
pub fn run(args: ServeArgs, course: Course, looks: Looks) -> Result<(), String> {
    let class = args
        .class
        .clone()
        .or_else(default_class_dir)
        .ok_or("no home folder found: give the class folder with --class DIR")?;
    let (key, made) = hostkey::load_or_create(&class)?;
    let code = match &args.code {
        Some(c) if c.trim().is_empty() => return Err("--code must not be empty".into()),
        Some(c) => c.clone(),
        None => random_code()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("llmf-net")
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the network threads: {e}"))?;
    let std_listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let bound = std_listener.local_addr().map_err(|e| e.to_string())?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(std_listener).map_err(|e| e.to_string())?
    };

    let config = russh::server::Config {
        keys: vec![key.clone()],
        methods: Shared::methods(),
        // OpenSSH first asks with "none" to learn the methods: answered at once, so the
        // first frame is not held up; real failures wait a second each.
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 6,
        // Idle students are the app's business (--idle, with a message); dead connections
        // are found by keepalives: four unanswered, 30 s apart.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 4,
        nodelay: true,
        ..Default::default()
    };
    let shared = Arc::new(Shared {
        course: Arc::new(course),
        class: class.clone(),
        code: code.clone(),
        max_sessions: args.max_sessions as usize,
        idle: Duration::from_secs(u64::from(args.idle) * 60),
        looks,
        ssh_line: ssh_line(bound),
        sessions: Mutex::new(Default::default()),
        roster: Mutex::new(roster::Roster::load(&class)),
        connections: AtomicUsize::new(0),
        sending: AtomicUsize::new(0),
        limiter: Mutex::new(limits::LoginLimiter::for_class()),
        next_id: AtomicU64::new(1),
        stopping: AtomicBool::new(false),
        signing_in: Arc::default(),
    });

    let made = if made { " (new)" } else { "" };
    println!("llmf serve: class folder {}", class.display());
    println!(
        "Host key {}{made}: students' ssh shows it the first time.",
        hostkey::fingerprint(&key)
    );
    println!(
        "Listening on {bound}: up to {} students, {} min idle timeout. Students type:",
        args.max_sessions, args.idle
    );
    println!("    {}", shared.ssh_line);
    if args.code.is_none() {
        println!("with any name they like, then the class code (asked once for a key): {code}");
    } else {
        println!("with any name they like, then the class code you chose (asked once for a key).");
    }
    println!("Progress: `llmf class report`. Stop with Ctrl-C: every student's work is saved.");

    let signals = signal_hook::iterator::Signals::new([
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
    ]);
    let mut signals = signals.map_err(|e| format!("cannot catch signals: {e}"))?;
    runtime.spawn(accept_loop(listener, Arc::new(config), shared.clone()));
    // The main thread waits for a signal; the pool and the session threads do the work.
    let first = signals.forever().next();
    stop(&shared, first);
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}

/// Tells every session the server stops (each saves and says goodbye), waits for their
/// goodbyes to go out, at most [`GOODBYE_WAIT`].
fn stop(shared: &Shared, signal: Option<i32>) {
    shared.stopping.store(true, Ordering::SeqCst);
    let sessions: Vec<_> = shared
        .sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .cloned()
        .collect();
    log(&format!(
        "stopping   (signal {}): saving {} session(s)",
        signal.unwrap_or(0),
        sessions.len()
    ));
    for live in &sessions {
        let _ = live.input.send(driver::Input::Shutdown);
    }
    let deadline = Instant::now() + GOODBYE_WAIT;
    while (shared.live_sessions() > 0 || shared.sending.load(Ordering::SeqCst) > 0)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The goodbye has been handed to each connection; give the packets a moment to leave.
    std::thread::sleep(Duration::from_millis(100));
    log(&shutdown_report(&sessions));
}

/// The last log line: how many of the sessions live at the signal saved, naming any that did
/// not (still busy after the wait, or their save failed).
fn shutdown_report(sessions: &[handler::Live]) -> String {
    let unsaved: Vec<&str> = sessions
        .iter()
        .filter(|live| !live.link.saved())
        .map(|live| live.label.as_str())
        .collect();
    let saved = sessions.len() - unsaved.len();
    if unsaved.is_empty() {
        format!("stopped: {saved} of {} session(s) saved", sessions.len())
    } else {
        format!(
            "stopped: {saved} of {} session(s) saved; NOT saved: {} (their last save before \
             stays)",
            sessions.len(),
            unsaved.join(", ")
        )
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
) {
    // Connections still signing in are bounded too: past the session cap plus some room,
    // a new connection is closed at once.
    let most = shared.max_sessions + 32;
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if shared.stopping.load(Ordering::Relaxed) {
            continue;
        }
        if shared.connections.load(Ordering::SeqCst) >= most {
            log(&format!("refused    {peer}: too many connections at once"));
            continue;
        }
        let _ = socket.set_nodelay(true);
        // A second handle on the socket, to end a connection that never signs in whatever
        // state its SSH session is in (shutting the socket down wakes every read and write).
        let Ok(cutter) = socket_cutter(&socket) else {
            continue;
        };
        let cutter = Arc::new(cutter);
        let watch = Watch::default();
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = {
            let cutter = Arc::clone(&cutter);
            limits::SigningIn::take(
                &shared.signing_in,
                peer.ip(),
                id,
                Arc::clone(&watch.asked),
                move || {
                    log(&format!(
                        "closed     {peer}: silent, pushed out by a new connection"
                    ));
                    let _ = rustix::net::shutdown(&*cutter, rustix::net::Shutdown::Both);
                },
            )
        };
        let Some(slot) = slot else {
            log(&format!(
                "refused    {peer}: {} connections from this address are signing in already",
                limits::SIGNING_IN_PER_ADDRESS
            ));
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        log(&format!("connect    {peer}"));
        let quick = quickack::QuickAck::default();
        let handler = Connection::new(
            shared.clone(),
            id,
            peer,
            watch.clone(),
            slot,
            quick.clone(),
            Arc::clone(&cutter),
        );
        let stream = quickack::Stream::new(socket, quick);
        let config = config.clone();
        tokio::spawn(async move {
            let opened = Instant::now();
            let timer = tokio::spawn(async move {
                tokio::time::sleep(HANDSHAKE_WAIT).await;
                if !watch.asked.load(Ordering::Relaxed) {
                    log(&format!("closed     {peer}: no sign-in began within 10 s"));
                    let _ = rustix::net::shutdown(&*cutter, rustix::net::Shutdown::Both);
                    return;
                }
                tokio::time::sleep(LOGIN_GRACE.saturating_sub(opened.elapsed())).await;
                if !watch.signed_in.load(Ordering::Relaxed) {
                    log(&format!("closed     {peer}: not signed in within a minute"));
                    let _ = rustix::net::shutdown(&*cutter, rustix::net::Shutdown::Both);
                }
            });
            let started = tokio::time::timeout(
                HANDSHAKE_WAIT,
                russh::server::run_stream(config, stream, handler),
            )
            .await;
            if let Ok(Ok(running)) = started {
                let _ = running.await;
            }
            timer.abort();
        });
    }
}

/// A duplicate of the socket's descriptor: shutting it down ends the connection's reads and
/// writes, wherever its SSH session is waiting.
fn socket_cutter(socket: &tokio::net::TcpStream) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsFd;
    socket.as_fd().try_clone_to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_client_locale_decides_unless_the_server_was_told() {
        let latin1 = locale(&[("LANG", "de_DE.ISO-8859-1")]);
        let utf8 = locale(&[("LANG", "C"), ("LC_ALL", "en_US.UTF-8")]);
        let plain = Looks::default();
        assert!(plain.ascii_for(&latin1));
        assert!(!plain.ascii_for(&utf8));
        assert!(!plain.ascii_for(&[]), "no locale sent: Unicode");

        let unicode = Looks {
            unicode: true,
            ..Looks::default()
        };
        assert!(
            !unicode.ascii_for(&latin1),
            "--unicode wins over the locale"
        );
        let ascii = Looks {
            ascii: true,
            ..Looks::default()
        };
        assert!(ascii.ascii_for(&utf8), "--ascii wins over the locale");
        assert!(ascii.ascii_for(&[]));
    }
}
