#!/usr/bin/env python3
"""How long a program takes to put its first screen on an 80x24 pseudo-terminal, beside the
floor: `cat` of a file holding the very bytes of that screen. Standard library only; not part
of the test suite.

usage: first_frame.py [--runs N] NAME=COMMAND [NAME=COMMAND ...]

  COMMAND is split on spaces; the first word is the program (a path, or a name on PATH).
  The first NAME is the screen `cat` replays: its output is captured once and written to a
  file, and `cat` of that file is timed as the floor, under the name "cat".

  benches/first_frame.py --runs 60 llmf=target/release/llmf
  benches/first_frame.py llmf=target/release/llmf before=/tmp/llmf-old \\
      presenterm=presenterm\\ deck.md

Each program first runs once to learn its screen: everything it writes until it has been
quiet for half a second; the last bytes of that are its end mark. Then the programs run in
turn (llmf, cat, the next, llmf, cat, ...) so a change in the machine's load falls on all
alike; each run starts in a new empty HOME on a new terminal already 80x24, and is timed from
just before the fork to the moment its end mark has arrived. Prints the median, the quartiles
and the best of each, the median CPU time the process had used by then (user and system, read
when it is ended just after its screen: steadier than the wall time on a busy machine), and
the median over the floor; with the load (`uptime`) before and after, since every figure
depends on it.
"""
import fcntl
import os
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

QUIET = 0.5
TIMEOUT = 10.0
MARK = 32


def spawn(argv, home):
    """Starts argv on a new pseudo-terminal of 80x24 as its controlling terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, HOME=home, TERM="xterm-256color", LANG="C.UTF-8")
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    return pid, master


def read_into(master, out, seconds):
    """Reads for up to `seconds`; False once the terminal has closed."""
    r, _, _ = select.select([master], [], [], max(0.0, seconds))
    if not r:
        return True
    try:
        data = os.read(master, 65536)
    except OSError:
        return False
    if not data:
        return False
    if b"\x1b[6n" in data:
        os.write(master, b"\x1b[1;1R")  # a cursor position query, answered as a terminal does
    out.extend(data)
    return True


def finish(pid, master):
    """Ends the process; returns the CPU time it used (user and system, ms)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, _, usage = os.wait4(pid, 0)
    os.close(master)
    return (usage.ru_utime + usage.ru_stime) * 1e3


def capture(argv):
    """Everything argv writes until it has been quiet for QUIET seconds."""
    home = tempfile.mkdtemp(prefix="first-frame-")
    pid, master = spawn(argv, home)
    out = bytearray()
    end = time.time() + TIMEOUT
    last = time.time()
    while time.time() < end and time.time() - last < QUIET:
        before = len(out)
        if not read_into(master, out, 0.05):
            break
        if len(out) > before:
            last = time.time()
    finish(pid, master)
    shutil.rmtree(home, ignore_errors=True)
    return bytes(out)


def timed(argv, mark):
    """Milliseconds from before the fork until `mark` has arrived (None if it never does), and
    the CPU time the process had used when it was ended just after."""
    home = tempfile.mkdtemp(prefix="first-frame-")
    out = bytearray()
    start = time.perf_counter()
    pid, master = spawn(argv, home)
    took = None
    end = start + TIMEOUT
    while time.perf_counter() < end:
        if not read_into(master, out, end - time.perf_counter()):
            break
        if mark in out[-(len(mark) + 65536):]:
            took = (time.perf_counter() - start) * 1e3
            break
    cpu = finish(pid, master)
    shutil.rmtree(home, ignore_errors=True)
    return took, cpu


def program(word):
    path = word if os.sep in word else shutil.which(word)
    if not path or not os.access(path, os.X_OK):
        raise SystemExit(f"no program {word}")
    return os.path.abspath(path)


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    args = sys.argv[1:]
    runs = 40
    if args[:1] == ["--runs"]:
        runs, args = int(args[1]), args[2:]
    if not args:
        raise SystemExit(__doc__)
    programs = []
    for spec in args:
        name, _, command = spec.partition("=")
        words = command.replace("\\ ", "\0").split(" ")
        words = [w.replace("\0", " ") for w in words if w]
        programs.append((name, [program(words[0])] + words[1:]))
    screens = {name: capture(argv) for name, argv in programs}
    first = programs[0][0]
    if not screens[first]:
        raise SystemExit(f"{first} wrote nothing")
    replay = tempfile.NamedTemporaryFile(prefix="first-frame-screen-", delete=False)
    replay.write(screens[first])
    replay.close()
    programs.insert(1, ("cat", [program("cat"), replay.name]))
    screens["cat"] = screens[first]
    marks = {name: screens[name][-MARK:] for name, _ in programs}
    times = {name: [] for name, _ in programs}
    cpus = {name: [] for name, _ in programs}
    missed = {name: 0 for name, _ in programs}
    load_before = load()
    for _ in range(runs):
        for name, argv in programs:
            took, cpu = timed(argv, marks[name])
            if took is None:
                missed[name] += 1
            else:
                times[name].append(took)
                cpus[name].append(cpu)
    load_after = load()
    os.unlink(replay.name)
    print(f"first screen at 80x24, {runs} runs each, alternated; load {load_before} before, "
          f"{load_after} after")
    floor = statistics.median(times["cat"]) if times["cat"] else float("nan")
    for name, _ in programs:
        t = sorted(times[name])
        if not t:
            print(f"  {name:<12} never finished its screen")
            continue
        q1, med, q3 = statistics.quantiles(t, n=4) if len(t) > 1 else (t[0],) * 3
        over = "" if name == "cat" else f"  ({med - floor:+.2f} ms over cat)"
        print(f"  {name:<12} median {med:6.2f} ms  quartiles {q1:6.2f}-{q3:6.2f}  best "
              f"{t[0]:6.2f}  CPU {statistics.median(cpus[name]):5.2f} ms  "
              f"({len(screens[name])} bytes){over}"
              + (f"  {missed[name]} runs never finished" if missed[name] else ""))


if __name__ == "__main__":
    main()
