//! `llmf serve` end to end: the real binary on 127.0.0.1 with a port the system picks, and
//! russh's client over a pty, read through a small terminal emulator (serve/vt.rs). Every
//! wait is bounded at 10 s, which turns a hang into a failure; nothing here measures speed.

mod class_report;
mod floods;
mod vt;

use llmf::driver::serve::identity::Student;
use russh::client;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg};
use russh::ChannelMsg;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vt::Vt;

const CODE: &str = "blue-fox-7";
const WAIT: Duration = Duration::from_secs(10);

struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(class: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_llmf"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--code",
                CODE,
                "--class",
            ])
            .arg(class)
            .args(extra)
            .env("LLMF_HOME", class.join("home"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the llmf binary starts");
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("Listening on ") {
                    let addr = rest.split(": ").next().unwrap_or_default();
                    let port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                    let _ = tx.send(port);
                }
                let mut log = lines.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let port = rx
            .recv_timeout(WAIT)
            .expect("the server prints where it listens")
            .expect("a port number");
        Self { child, port, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, then the exit status (waits at most 10 s).
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop in 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Trusts any host key (the test made the server a moment ago).
struct Trust;

impl client::Handler for Trust {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

enum Login<'a> {
    /// A key alone: enough once the key has been admitted with the class code.
    Key(&'a PrivateKey, &'a str),
    /// A key, then the class code at the keyboard-interactive prompt (a key's first time).
    KeyCode(&'a PrivateKey, &'a str, &'a str),
    Password(&'a str, &'a str),
    /// A name and the class code at the keyboard-interactive prompt, as OpenSSH asks.
    Prompt(&'a str, &'a str),
}

/// Answers the server's keyboard-interactive prompt with `code`.
async fn answer_prompt(
    handle: &mut client::Handle<Trust>,
    user: &str,
    code: &str,
) -> Result<bool, russh::Error> {
    use client::KeyboardInteractiveAuthResponse as R;
    let mut reply = handle
        .authenticate_keyboard_interactive_start(user, None)
        .await?;
    loop {
        match reply {
            R::Success => return Ok(true),
            R::Failure { .. } => return Ok(false),
            R::InfoRequest { prompts, .. } => {
                assert!(
                    prompts.iter().all(|p| p.prompt.contains("code")),
                    "{prompts:?}"
                );
                let answers = prompts.iter().map(|_| code.to_string()).collect();
                reply = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await?;
            }
        }
    }
}

async fn connect(port: u16, login: Login<'_>) -> Result<client::Handle<Trust>, String> {
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect(config, ("127.0.0.1", port), Trust)
        .await
        .map_err(|e| e.to_string())?;
    let signed_in = match login {
        Login::Key(k, user) => {
            let k = PrivateKeyWithHashAlg::new(Arc::new(k.clone()), None);
            handle
                .authenticate_publickey(user, k)
                .await
                .map(|r| r.success())
        }
        Login::KeyCode(k, user, code) => {
            let k = PrivateKeyWithHashAlg::new(Arc::new(k.clone()), None);
            // A new key is refused with keyboard-interactive offered next: the class code.
            match handle.authenticate_publickey(user, k).await {
                Ok(client::AuthResult::Failure {
                    remaining_methods, ..
                }) if remaining_methods.contains(&russh::MethodKind::KeyboardInteractive) => {
                    answer_prompt(&mut handle, user, code).await
                }
                other => other.map(|r| r.success()),
            }
        }
        Login::Password(user, code) => handle
            .authenticate_password(user, code)
            .await
            .map(|r| r.success()),
        Login::Prompt(user, code) => answer_prompt(&mut handle, user, code).await,
    };
    match signed_in {
        Ok(true) => Ok(handle),
        Ok(false) => Err("refused".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A shell channel and the screen it draws on.
struct Term {
    _handle: client::Handle<Trust>,
    channel: russh::Channel<client::Msg>,
    vt: Vt,
    exit: Option<u32>,
}

async fn open(handle: client::Handle<Trust>, pty: Option<(u32, u32)>) -> Term {
    let channel = handle.channel_open_session().await.unwrap();
    let mut vt = Vt::new(80, 24);
    if let Some((cols, rows)) = pty {
        channel
            .request_pty(true, "xterm-256color", cols, rows, 0, 0, &[])
            .await
            .unwrap();
        // What the server clamps a size to (src/driver/serve/limits.rs).
        vt = Vt::new(cols.min(400) as u16, rows.min(200) as u16);
    }
    channel.request_shell(true).await.unwrap();
    Term {
        _handle: handle,
        channel,
        vt,
        exit: None,
    }
}

impl Term {
    /// Reads until the screen passes `check`; fails after 10 s or if the channel closes.
    async fn until(&mut self, what: &str, check: impl Fn(&Vt) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !check(&self.vt) {
            let msg = tokio::time::timeout_at(deadline, self.channel.wait()).await;
            match msg {
                Ok(Some(ChannelMsg::Data { data })) => self.vt.feed(&data),
                Ok(Some(ChannelMsg::ExitStatus { exit_status })) => self.exit = Some(exit_status),
                Ok(Some(_)) => {}
                Ok(None) => panic!("closed before {what}:\n{}", self.vt.text()),
                Err(_) => panic!("no {what} in 10 s:\n{}", self.vt.text()),
            }
        }
    }

    async fn shows(&mut self, text: &str) {
        let owned = text.to_string();
        self.until(text, move |vt| vt.text().contains(&owned)).await;
    }

    /// Reads to the end of the channel; the exit status.
    async fn end(&mut self) -> Option<u32> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => self.vt.feed(&data),
                Ok(Some(ChannelMsg::ExitStatus { exit_status })) => self.exit = Some(exit_status),
                Ok(Some(_)) => {}
                Ok(None) => return self.exit,
                Err(_) => panic!("the channel did not close in 10 s:\n{}", self.vt.text()),
            }
        }
    }

    async fn keys(&self, bytes: &[u8]) {
        self.channel.data_bytes(bytes.to_vec()).await.unwrap();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn progress_of(class: &Path, student: &Student) -> Option<llmf::progress::Progress> {
    let file = student.dir(class).join(llmf::progress::FILE_NAME);
    llmf::progress::read_only(&file).ok().flatten()
}

/// The step (0-based) of the lesson open last, once saved.
fn saved_step(class: &Path, student: &Student) -> Option<usize> {
    let p = progress_of(class, student)?;
    let current = p.current.clone()?;
    p.lessons.get(&current).map(|l| l.step)
}

fn wait_for(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "no {what} in 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn class_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("class");
    (dir, class)
}

#[test]
fn a_student_steps_resizes_leaves_and_resumes_where_they_were() {
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &[]);
    assert!(class.join("host_ed25519_key").exists());
    let k = key(7);
    let fingerprint = k.public_key().fingerprint(HashAlg::Sha256).to_string();
    let student = Student::by_key(&fingerprint, "ada");
    runtime().block_on(async {
        // A new key alone is not enough: the class code is asked for once.
        let alone = connect(server.port, Login::Key(&k, "ada")).await;
        assert_eq!(alone.err().as_deref(), Some("refused"));
        let handle = connect(server.port, Login::KeyCode(&k, "ada", CODE))
            .await
            .unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 1/").await;
        t.shows("Your key SHA256:").await;
        // The fingerprint shown is the key's.
        t.shows(&fingerprint[..24]).await;
        // A key closes the welcome; n is the next step.
        t.keys(b" ").await;
        t.keys(b"n").await;
        t.shows("step 2/").await;
        // A bigger window: the status bar is drawn on the new last row.
        t.channel.window_change(100, 30, 0, 0).await.unwrap();
        t.vt.resize(100, 30);
        t.until("the status bar on row 30", |vt| {
            vt.row_text(29).contains("step 2/")
        })
        .await;
        // Leaving without quitting (the connection just goes) still saves.
        drop(t);
    });
    wait_for("saved progress", || saved_step(&class, &student) == Some(1));
    runtime().block_on(async {
        let handle = connect(server.port, Login::Key(&k, "ada")).await.unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 2/").await;
        t.keys(b" q").await;
        assert_eq!(t.end().await, Some(0));
        assert!(t.vt.text().contains("Your progress is saved"));
    });
    // Name and class code: the same student whatever the case of the name.
    runtime().block_on(async {
        let handle = connect(server.port, Login::Password("Grace", CODE))
            .await
            .unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("Signed in as grace").await;
        t.keys(b" nn").await;
        t.shows("step 3/").await;
        t.keys(b"q").await;
        t.end().await;
        let handle = connect(server.port, Login::Password("grace", CODE))
            .await
            .unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 3/").await;
        // Stopping the server says goodbye to everyone connected and saves.
        let status = server.stop();
        assert!(status.success(), "{status:?}");
        t.shows("stopped the class server").await;
    });
}

#[test]
fn exec_no_pty_forwarding_wrong_codes_and_a_full_class_are_refused() {
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &["--max-sessions", "2"]);
    let k = key(9);
    runtime().block_on(async {
        let wrong = connect(server.port, Login::Password("amy", "red-cat-1")).await;
        assert_eq!(wrong.err().as_deref(), Some("refused"));

        // A command instead of the course: refused, nothing runs.
        let handle = connect(server.port, Login::KeyCode(&k, "eve", CODE))
            .await
            .unwrap();
        let mut channel = handle.channel_open_session().await.unwrap();
        channel.exec(true, "cat /etc/passwd").await.unwrap();
        let mut failed = false;
        while let Ok(Some(msg)) = tokio::time::timeout(WAIT, channel.wait()).await {
            match msg {
                ChannelMsg::Failure => failed = true,
                ChannelMsg::Data { data } => panic!("exec ran: {data:?}"),
                _ => {}
            }
        }
        assert!(failed, "exec is answered with a failure");
        // Forwarding either way is refused.
        assert!(handle.tcpip_forward("127.0.0.1", 0).await.is_err());
        let direct = handle
            .channel_open_direct_tcpip("127.0.0.1", u32::from(server.port), "127.0.0.1", 1)
            .await;
        assert!(direct.is_err());

        // A shell without a pty gets told how to connect, and no session.
        let handle = connect(server.port, Login::Key(&k, "eve")).await.unwrap();
        let mut t = open(handle, None).await;
        t.shows("llmf needs a terminal").await;
        assert_eq!(t.end().await, Some(1));

        // A client claiming 65535x65535 gets a clamped screen (status bar on row 200).
        let handle = connect(server.port, Login::Key(&k, "eve")).await.unwrap();
        let mut huge = open(handle, Some((65535, 65535))).await;
        huge.until("the status bar on row 200", |vt| {
            vt.row_text(199).contains("step 1/")
        })
        .await;
        // A second student is unaffected.
        let handle = connect(server.port, Login::Password("finn", CODE))
            .await
            .unwrap();
        let mut other = open(handle, Some((80, 24))).await;
        other.shows("step 1/").await;
        other.keys(b" n").await;
        other.shows("step 2/").await;
        // Two sessions is the cap: the third sees why on screen.
        let handle = connect(server.port, Login::Password("gus", CODE))
            .await
            .unwrap();
        let mut third = open(handle, Some((80, 24))).await;
        third.shows("The class is full").await;
        assert_eq!(third.end().await, Some(1));
        // And the huge session still answers.
        huge.keys(b" n").await;
        huge.until("step 2 on row 200", |vt| {
            vt.row_text(199).contains("step 2/")
        })
        .await;
    });
    let log = server.log();
    for line in [
        "wrong class code",
        "a command (exec)",
        "no terminal",
        "class is full",
    ] {
        assert!(log.contains(line), "log lacks {line:?}:\n{log}");
    }
    assert!(!log.contains(CODE), "the class code is never logged");
}

/// Strangers with keys stay out; a student's key needs the code once; wrong codes from one
/// client, or many, never refuse a right code from the same address.
#[test]
fn the_class_code_guards_keys_and_wrong_codes_never_lock_out_a_right_one() {
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &[]);
    let students = class.join("students");
    let folders = || std::fs::read_dir(&students).map(|d| d.count()).unwrap_or(0);
    runtime().block_on(async {
        // Twenty random keys without the code: all refused, no folder made.
        for seed in 100..120 {
            let k = key(seed);
            let got = connect(server.port, Login::Key(&k, "stranger")).await;
            assert_eq!(got.err().as_deref(), Some("refused"));
        }
        // A key with a wrong code: refused too.
        let k = key(50);
        let got = connect(server.port, Login::KeyCode(&k, "kim", "nope")).await;
        assert!(got.is_err());
        assert_eq!(folders(), 0, "no folder before the code is right");

        // Twelve wrong codes for one name spend that name's budget...
        for _ in 0..4 {
            let mut handle = client::connect(
                Arc::new(client::Config::default()),
                ("127.0.0.1", server.port),
                Trust,
            )
            .await
            .unwrap();
            for _ in 0..3 {
                let _ = answer_prompt(&mut handle, "mallory", "guess").await;
            }
        }
        // ...and the right code for that name, from the same address, still goes in at once,
        // as do other students' (keyboard-interactive and password alike).
        for login in [
            Login::Prompt("mallory", CODE),
            Login::Prompt("nina", CODE),
            Login::Password("omar", CODE),
            Login::KeyCode(&k, "kim", CODE),
        ] {
            let t0 = Instant::now();
            connect(server.port, login)
                .await
                .expect("a right code goes in");
            assert!(t0.elapsed() < WAIT);
        }
        // The key is admitted now: it signs in alone.
        connect(server.port, Login::Key(&k, "kim")).await.unwrap();
    });
    let log = server.log();
    assert!(log.contains("3 wrong class codes"), "{log}");
    assert!(!log.contains(CODE), "the class code is never logged");
}

/// A name that only looks like another student's is refused on screen, and makes no folder.
#[test]
fn a_look_alike_name_is_refused_with_a_message() {
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &[]);
    runtime().block_on(async {
        let handle = connect(server.port, Login::Password("anna", CODE))
            .await
            .unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 1/").await;
        // Cyrillic а (U+0430) in place of the Latin a.
        let handle = connect(server.port, Login::Prompt("\u{430}nna", CODE))
            .await
            .unwrap();
        let mut fake = open(handle, Some((80, 24))).await;
        fake.shows("looks like the name of another student").await;
        assert_eq!(fake.end().await, Some(1));
        // A name turned around by a direction override: refused, with its code point shown.
        let handle = connect(server.port, Login::Password("bob\u{202e}kcip", CODE))
            .await
            .unwrap();
        let mut turned = open(handle, Some((80, 24))).await;
        turned.shows("U+202E").await;
        assert_eq!(turned.end().await, Some(1));
        t.keys(b" q").await;
        t.end().await;
    });
    let names: Vec<String> = std::fs::read_dir(class.join("students"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["name-anna"]);
}
