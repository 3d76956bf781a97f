#!/usr/bin/env python3
"""How fast llmf answers keys while a panel trains in the background (issue figure: every key
answered within 16 ms). Standard library only; not part of the test suite.

usage: key_latency.py BINARY [LESSON STEP [KEYS]]
       (default: lesson 21, step 4, the LoRA panel, which starts four fine-tuning runs as
        soon as it opens)

Runs the binary on a pseudo-terminal at 80x24 with a private HOME, waits for the first
screen, gives the panel the focus (Tab), then presses ↓ and ↑ in turn (moving the selection
between the panel's controls, which redraws it) every 100 ms while the training runs. For
each key it measures the time from writing the key to the first byte of the redrawn screen.
Prints the median, 95th percentile and worst, in milliseconds, and how many keys got no
answer within a second.
"""
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time


def drain(fd, seconds):
    end = time.time() + seconds
    got = b""
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        got += data
    return got


def main():
    binary = sys.argv[1]
    lesson = sys.argv[2] if len(sys.argv) > 2 else "21"
    step = sys.argv[3] if len(sys.argv) > 3 else "4"
    keys = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    home = tempfile.mkdtemp(prefix="llmf-latency-")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"HOME": home, "TERM": "xterm-256color", "LANG": "C.UTF-8"})
        os.execv(binary, [binary, "open", lesson, "--step", step])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    drain(fd, 3.0)
    os.write(fd, b"\t")
    drain(fd, 0.5)
    times, missed = [], 0
    for i in range(keys):
        key = b"\x1b[B" if i % 2 == 0 else b"\x1b[A"
        start = time.perf_counter()
        os.write(fd, key)
        r, _, _ = select.select([fd], [], [], 1.0)
        if r:
            times.append((time.perf_counter() - start) * 1e3)
        else:
            missed += 1
        # Let the frame finish and the training post a few updates before the next key.
        drain(fd, 0.1)
    os.write(fd, b"q")
    drain(fd, 1.0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
    print(
        f"{len(times)} keys while training: median {statistics.median(times):.2f} ms, "
        f"p95 {p95:.2f} ms, worst {times[-1]:.2f} ms; {missed} unanswered within 1 s"
    )


if __name__ == "__main__":
    main()
