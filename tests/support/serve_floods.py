#!/usr/bin/env python3
"""Floods and a class's load against `llmf serve`, with the real OpenSSH client on 127.0.0.1.

usage: python3 tests/support/serve_floods.py target/release/llmf [SCENARIO ...]
SCENARIOS: resize keys silent codes train (default: all). Each is bounded in count and time.
A manual measurement, not part of the test suite: it prints figures and never asserts.

  resize  FLOODERS clients (default 60) change their window size as fast as they can while
          reading nothing, for SECONDS (default 20); a bystander types meanwhile.
  keys    FLOODERS clients send keys as fast as they can while reading nothing.
  silent  SILENT raw TCP sockets (default 95) that say nothing (half of them send only the
          SSH greeting); a real student signs in meanwhile; how long until they are closed.
  codes   one client sends wrong class codes in a loop from 127.0.0.1 while a student signs
          in with the right code from the same address.
  train   TRAINERS students (default 30) start lesson 15's training run; a reading student
          presses keys; key-to-frame latency, and how the runs queue.

Figures: server RSS before, peak and after (after the clients leave), the bystander's
key-to-frame latency (p50, p99, max: from writing a key to the last byte of the frame it
causes), and times to refuse.
"""
import fcntl, os, pty, re, select, signal, socket, statistics, struct, subprocess, sys
import tempfile, termios, threading, time

BIN = sys.argv[1]
SCENARIOS = sys.argv[2:] or ["resize", "keys", "silent", "codes", "train"]
CODE = "blue-fox-7"
FLOODERS = int(os.environ.get("FLOODERS", "60"))
SECONDS = float(os.environ.get("SECONDS", "20"))
SILENT = int(os.environ.get("SILENT", "95"))
TRAINERS = int(os.environ.get("TRAINERS", "30"))

work = tempfile.mkdtemp()


class Server:
    def __init__(self, extra=()):
        class_dir = tempfile.mkdtemp(dir=work)
        self.p = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--class", class_dir, "--code", CODE,
             "--max-sessions", "200", *extra],
            stdout=subprocess.PIPE, text=True, env=dict(os.environ, LLMF_HOME=work))
        self.port = None
        self.log = []
        while self.port is None:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("the server ended before it listened")
            m = re.match(r"Listening on 127\.0\.0\.1:(\d+):", line)
            if m:
                self.port = int(m.group(1))
        threading.Thread(target=self._drain, daemon=True).start()
        self.peak = 0
        self.sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _drain(self):
        for line in self.p.stdout:
            self.log.append(line)

    def _sample(self):
        while self.sampling and self.p.poll() is None:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.1)

    def rss(self):
        try:
            with open(f"/proc/{self.p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024
        except FileNotFoundError:
            return 0
        return 0

    def stop(self):
        self.sampling = False
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
        return self.p.returncode


def _own_terminal():
    """In the child: a session of its own with the pty as its controlling terminal, so ssh
    can ask for the class code on /dev/tty."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Ssh:
    """One student: OpenSSH on a pty, signing in with a name and the class code typed at the
    keyboard-interactive prompt."""

    def __init__(self, server, user, cols=80, rows=24, code=CODE):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen(
            ["ssh", "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", "-o", "PubkeyAuthentication=no",
             "-o", "PreferredAuthentications=keyboard-interactive",
             "-p", str(server.port), f"{user}@127.0.0.1"],
            stdin=slave, stdout=slave, stderr=slave, close_fds=True, preexec_fn=_own_terminal)
        os.close(slave)
        self.buf = b""
        self.code = code

    def sign_in(self, timeout=30):
        self.read_until(b"code:", timeout)
        os.write(self.master, self.code.encode() + b"\r")
        return self.read_until(b"step", timeout)

    def read_until(self, pattern, timeout=20):
        end = time.perf_counter() + timeout
        while pattern not in self.buf:
            left = end - time.perf_counter()
            if left <= 0:
                raise TimeoutError(pattern)
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.master, 65536)
                except OSError:
                    raise TimeoutError(pattern)
        self.buf = self.buf[self.buf.index(pattern) + len(pattern):]
        return time.perf_counter()

    def drain(self, quiet=0.05):
        while select.select([self.master], [], [], quiet)[0]:
            try:
                os.read(self.master, 65536)
            except OSError:
                return

    def resize(self, cols, rows):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            os.kill(self.p.pid, signal.SIGWINCH)
        except ProcessLookupError:
            pass

    def close(self):
        try:
            self.p.kill()
        except ProcessLookupError:
            pass
        self.p.wait()
        os.close(self.master)


def key_to_frame(s, keys=(b"n", b"p"), n=60, gap=0.05):
    """Milliseconds from writing a key to the last byte of its frame (the frame ends when
    30 ms pass with nothing more)."""
    s.drain()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        os.write(s.master, keys[i % len(keys)])
        last = None
        while True:
            r, _, _ = select.select([s.master], [], [], 5 if last is None else 0.03)
            if not r:
                break
            os.read(s.master, 65536)
            last = time.perf_counter()
        if last is not None:
            times.append((last - t0) * 1000)
        time.sleep(gap)
    return times


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def latency(label, times):
    print(f"  {label}: key to frame p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms, "
          f"max {max(times):.1f} ms (n={len(times)})")


def flood(kind):
    srv = Server()
    base = srv.rss()
    reader = Ssh(srv, "reader")
    reader.sign_in()
    flooders = []
    for i in range(FLOODERS):
        s = Ssh(srv, f"{kind}{i}")
        s.sign_in()
        flooders.append(s)
    stop = time.perf_counter() + SECONDS

    def resize_forever(s):
        i = 0
        while time.perf_counter() < stop:
            s.resize(60 + i % 100, 20 + i % 40)
            i += 1
            if i % 50 == 0:
                time.sleep(0.001)

    def keys_forever(s):
        chunk = b"nnpp" * 1024
        os.set_blocking(s.master, False)
        while time.perf_counter() < stop:
            try:
                os.write(s.master, chunk)
            except (BlockingIOError, OSError):
                time.sleep(0.01)

    work_fn = resize_forever if kind == "resize" else keys_forever
    threads = [threading.Thread(target=work_fn, args=(s,), daemon=True) for s in flooders]
    for t in threads:
        t.start()
    times = key_to_frame(reader, n=int(SECONDS / 0.1))
    for t in threads:
        t.join()
    during = srv.peak
    for s in flooders:
        s.close()
    time.sleep(3)
    after = srv.rss()
    time.sleep(12)
    later = srv.rss()
    live = sum(1 for line in srv.log if " started at " in line) - sum(
        1 for line in srv.log if " ended: " in line)
    reader.close()
    time.sleep(1)
    print(f"{kind} flood: {FLOODERS} clients reading nothing for {SECONDS:.0f} s")
    if os.environ.get("LOG"):
        print("".join(srv.log[-40:]))
    print(f"  server RSS: {base} MB before, peak {during} MB, {after} MB 3 s and {later} MB 15 s "
          f"after they left ({live} session(s) still live: the bystander)")
    latency("bystander", times)
    srv.stop()


def silent():
    srv = Server()
    base = srv.rss()
    socks = []
    t0 = time.perf_counter()
    for i in range(SILENT):
        s = socket.create_connection(("127.0.0.1", srv.port))
        if i % 2:
            s.sendall(b"SSH-2.0-silent\r\n")
        socks.append(s)
    time.sleep(0.5)
    student = Ssh(srv, "ada")
    try:
        signed = student.sign_in(timeout=30)
        print(f"silent sockets: {SILENT} open; a student signed in after "
              f"{(signed - student.t0) * 1000:.0f} ms")
    except TimeoutError:
        print(f"silent sockets: {SILENT} open; a student could NOT sign in within 30 s")
    student.close()
    closed = []
    for s in socks:
        s.settimeout(max(0.1, t0 + 30 - time.perf_counter()))
        try:
            while s.recv(4096):
                pass
            closed.append(time.perf_counter() - t0)
        except (socket.timeout, ConnectionResetError):
            if not isinstance(sys.exc_info()[1], socket.timeout):
                closed.append(time.perf_counter() - t0)
        s.close()
    print(f"  closed by the server: {len(closed)} of {SILENT}, the last after "
          f"{max(closed) if closed else float('nan'):.1f} s; RSS {base} MB before, "
          f"peak {srv.peak} MB")
    srv.stop()


def codes():
    srv = Server()
    stop = time.perf_counter() + SECONDS
    tries = [0]

    def guess_forever():
        while time.perf_counter() < stop:
            s = Ssh(srv, "mallory", code="wrong-code")
            try:
                for _ in range(3):
                    s.read_until(b"code:", 10)
                    os.write(s.master, b"wrong-code\r")
                    tries[0] += 1
            except TimeoutError:
                pass
            s.close()

    guessers = [threading.Thread(target=guess_forever, daemon=True) for _ in range(4)]
    for g in guessers:
        g.start()
    time.sleep(2)
    waits = []
    while time.perf_counter() < stop - 5:
        s = Ssh(srv, f"student{len(waits)}")
        try:
            t = s.sign_in(timeout=30)
            waits.append((t - s.t0) * 1000)
        except TimeoutError:
            waits.append(float("inf"))
        s.close()
    for g in guessers:
        g.join()
    refused = sum(1 for w in waits if w == float("inf"))
    print(f"wrong codes: {tries[0]} wrong codes from 127.0.0.1 in {SECONDS:.0f} s; students with "
          f"the right code from the same address: {len(waits) - refused} of {len(waits)} in, "
          f"sign-in median {statistics.median([w for w in waits if w != float('inf')] or [0]):.0f} ms")
    srv.stop()


def train():
    srv = Server()
    base = srv.rss()
    reader = Ssh(srv, "reader")
    reader.sign_in()
    times_idle = key_to_frame(reader, n=40)
    trainers = []
    for i in range(TRAINERS):
        s = Ssh(srv, f"t{i}")
        s.sign_in()
        # Lesson 15, step 6 ("Watch a model learn"): o opens the lessons, 14 downs reach 15.
        os.write(s.master, b"o" + b"\x1b[B" * 14 + b"\r")
        s.drain(0.2)
        os.write(s.master, b"n" * 5)
        s.drain(0.2)
        # Tab to the panel, Enter on its first control: the run.
        os.write(s.master, b"\t\r")
        trainers.append(s)
    time.sleep(2)
    screen = b""
    while select.select([trainers[-1].master], [], [], 0.3)[0]:
        screen += os.read(trainers[-1].master, 65536)
    shown = re.findall(rb"queued: \d+ ahead|running step \d+/\d+", screen)
    print(f"  the last student's panel says: {shown[-1].decode() if shown else '(nothing read)'}")
    t_started = time.perf_counter()
    readers = []
    for s in trainers:
        t = threading.Thread(target=lambda s=s: [s.drain(1.0) for _ in range(int(SECONDS))],
                             daemon=True)
        t.start()
        readers.append(t)
    times = key_to_frame(reader, n=int(SECONDS / 0.1))
    peak = srv.peak
    print(f"train: {TRAINERS} students started lesson 15's run; a reading student meanwhile")
    latency("reader before the runs", times_idle)
    latency("reader during the runs", times)
    print(f"  server RSS: {base} MB before, peak {peak} MB; runs {time.perf_counter() - t_started:.0f} s "
          f"into the load")
    for s in trainers:
        s.close()
    reader.close()
    time.sleep(2)
    print(f"  server RSS {srv.rss()} MB after all left")
    srv.stop()


print(f"llmf serve floods, {time.strftime('%Y-%m-%d %H:%M')}, "
      f"{open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}, "
      f"{os.cpu_count()} cores")
for name in SCENARIOS:
    {"resize": lambda: flood("resize"), "keys": lambda: flood("keys"), "silent": silent,
     "codes": codes, "train": train}[name]()
