//! Clients that misbehave at the socket: silent ones pushed out within the handshake wait,
//! and one that floods input and reads nothing, bounded while it stays and ended when it goes.

use super::*;

/// Silent sockets are closed within the handshake wait, and cannot shut a student out
/// meanwhile: each new connection pushes the oldest silent one out.
#[test]
fn silent_sockets_are_pushed_out_and_closed() {
    use std::io::Read;
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &[]);
    let opened = Instant::now();
    let mut silent: Vec<std::net::TcpStream> = (0..40)
        .map(|i| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            if i % 2 == 1 {
                use std::io::Write;
                s.write_all(b"SSH-2.0-silent\r\n").unwrap();
            }
            s
        })
        .collect();
    runtime().block_on(async {
        let handle = connect(server.port, Login::Password("ada", CODE))
            .await
            .expect("a student gets in past 40 silent sockets");
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 1/").await;
    });
    // Every silent socket is closed by the server: pushed out, or at the handshake wait.
    for s in &mut silent {
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    let took = opened.elapsed();
    assert!(took < Duration::from_secs(14), "closed after {took:?}");
    // The log is read on a thread of its own: its last lines may come a moment later.
    wait_for("both reasons in the log", || {
        let log = server.log();
        log.contains("pushed out by a new connection")
            && log.contains("no sign-in began within 10 s")
    });
}

/// The server's resident memory, in MB.
fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

/// A client that floods window changes and keys and reads nothing holds one frame on the
/// server, not a growing queue; once it leaves, its session ends at once.
#[test]
fn a_flooding_client_that_reads_nothing_is_bounded_and_ends_when_it_leaves() {
    let (_dir, class) = class_dir();
    let server = Server::start(&class, &[]);
    let pid = server.child.id();
    runtime().block_on(async {
        let handle = connect(server.port, Login::Password("flood", CODE))
            .await
            .unwrap();
        let mut t = open(handle, Some((80, 24))).await;
        t.shows("step 1/").await;
        let before = rss_mb(pid);
        // From here on the client reads nothing.
        for i in 0..20_000u32 {
            let _ = t
                .channel
                .window_change(60 + i % 200, 20 + i % 100, 0, 0)
                .await;
        }
        // 256 KB of keys: four times what a session may queue, then the typing rate.
        let keys = b"np".repeat(128 * 1024);
        let _ = tokio::time::timeout(Duration::from_secs(3), t.channel.data_bytes(keys)).await;
        let during = rss_mb(pid);
        assert!(
            during < before + 200,
            "RSS grew from {before} MB to {during} MB"
        );
        drop(t);
    });
    wait_for("the flooding session to end", || {
        server.log().contains("flood ended: connection closed")
    });
}
