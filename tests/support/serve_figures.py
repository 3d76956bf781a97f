#!/usr/bin/env python3
"""Figures for `llmf serve` with the real OpenSSH client on 127.0.0.1.

usage: python3 tests/support/serve_figures.py target/release/llmf   (N=20 connections by default)
A manual measurement, not part of the test suite: it reports times and never asserts on them.
Prints: connect-to-first-frame (median of N), RSS per idle session with 30 sessions, CPU while
all idle, keypress round trip with 30 connected, RSS after all disconnect and after each of
ROUNDS (default 5) rounds of 30 reconnecting and disconnecting.
"""
import os, pty, re, select, signal, statistics, subprocess, sys, tempfile, time

BIN = sys.argv[1]
work = tempfile.mkdtemp()
key = os.path.join(work, "id")
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
class_dir = os.path.join(work, "class")
srv = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--class", class_dir,
                        "--code", "x", "--max-sessions", "100"],
                       stdout=subprocess.PIPE, text=True, env=dict(os.environ, LLMF_HOME=work))
port = None
while port is None:
    line = srv.stdout.readline()
    m = re.match(r"Listening on 127\.0\.0\.1:(\d+):", line)
    if m:
        port = int(m.group(1))
# Drain the server's log in the background so it never blocks on a full pipe.
import threading
threading.Thread(target=lambda: [None for _ in srv.stdout], daemon=True).start()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class Ssh:
    def __init__(self, user="ada", cols=80, rows=24):
        self.master, slave = pty.openpty()
        import fcntl, struct, termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen(
            ["ssh", "-tt", "-i", key, "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
             "-o", "IdentitiesOnly=yes", "-p", str(port), f"{user}@127.0.0.1"],
            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.buf = b""

    def read_until(self, pattern, timeout=20):
        end = time.perf_counter() + timeout
        while pattern not in self.buf:
            left = end - time.perf_counter()
            if left <= 0:
                raise TimeoutError(pattern)
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                self.buf += os.read(self.master, 65536)
        return time.perf_counter()

    def drain(self):
        while select.select([self.master], [], [], 0.05)[0]:
            self.buf += os.read(self.master, 65536)

    def close(self):
        self.p.kill()
        self.p.wait()
        os.close(self.master)


# 1. Connect to first frame, one connection at a time.
times = []
for _ in range(int(os.environ.get("N", "20"))):
    s = Ssh()
    t = s.read_until(b"step 1/")
    times.append((t - s.t0) * 1000)
    s.close()
    time.sleep(0.05)
print(f"connect to first frame: median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f}, max {max(times):.1f} (n={len(times)})")

time.sleep(0.5)
base = rss_kb(srv.pid)
sessions = []
for i in range(30):
    s = Ssh(user=f"s{i}")
    s.read_until(b"step 1/")
    sessions.append(s)
time.sleep(1.0)
for s in sessions:
    s.drain()
with30 = rss_kb(srv.pid)
print(f"RSS: {base} kB before, {with30} kB with 30 idle sessions: "
      f"{(with30 - base) / 30:.0f} kB per session")
c0 = cpu_ticks(srv.pid)
time.sleep(10)
c1 = cpu_ticks(srv.pid)
hz = os.sysconf("SC_CLK_TCK")
print(f"CPU while 30 sessions idle for 10 s: {(c1 - c0) / hz * 1000:.0f} ms")

# 3. Keypress round trip in one session with 30 connected: n / p alternately, timing until
# the status bar's step number is redrawn.
s = sessions[0]
os.write(s.master, b" ")
s.drain()
rts = []
for i in range(40):
    key_ = b"n" if i % 2 == 0 else b"p"
    t0 = time.perf_counter()
    os.write(s.master, key_)
    # The frame's last byte: read until 50 ms pass with nothing more.
    last = None
    while True:
        r, _, _ = select.select([s.master], [], [], 5 if last is None else 0.05)
        if not r:
            break
        os.read(s.master, 65536)
        last = time.perf_counter()
    rts.append((last - t0) * 1000)
print(f"keypress round trip with 30 connected: median {statistics.median(rts):.2f} ms, "
      f"max {max(rts):.2f} (n={len(rts)})")

for s in sessions:
    s.close()
time.sleep(1.0)
after = rss_kb(srv.pid)
# 4. Reconnect and disconnect all 30, ROUNDS times (default 5): RSS after each round shows
# whether memory comes back or keeps growing.
rounds = []
for round_ in range(int(os.environ.get("ROUNDS", "5"))):
    again = []
    for i in range(30):
        s2 = Ssh(user=f"s{i}")
        s2.read_until(b"step")
        again.append(s2)
    for s2 in again:
        s2.close()
    time.sleep(1.0)
    rounds.append(rss_kb(srv.pid))
print(f"RSS after all disconnect: {after} kB; after each further round of 30: "
      + ", ".join(f"{r}" for r in rounds) + " kB")
srv.send_signal(signal.SIGTERM)
srv.wait(timeout=10)
