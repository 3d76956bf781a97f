#!/usr/bin/env python3
"""Runs llmf on a pseudo-terminal for the terminal tests (tests/suite/terminal.rs) and prints one
JSON object describing what happened. Standard library only.

usage: pty_session.py SCENARIO BINARY [ARGS...]

Scenarios:
  run       start, read everything until the process ends (it should refuse to start)
  hangup    start without a controlling terminal (so no SIGHUP can come), wait for the
            first screen, close the terminal, wait for the process to end
  signal:N  start with a controlling terminal, wait for the first screen, send signal N,
            wait for the process to end
  suspend   start, press Ctrl-Z, see the process stop, continue it as `fg` does, press q
  tstp      the same with SIGTSTP sent instead of the key
  quit      start, wait for the first screen, press q

Every wait is bounded (TIMEOUT seconds) so a hang is reported, never waited out.
The terminal modes (cooked or raw) are read from the terminal after each stage.
"""
import fcntl
import json
import os
import select
import signal
import sys
import termios
import time

TIMEOUT = 10.0


def modes(fd):
    """Whether the terminal is in cooked mode (canonical input and echo both on)."""
    try:
        lflag = termios.tcgetattr(fd)[3]
    except termios.error as e:
        return "error: %s" % e
    return "cooked" if (lflag & termios.ICANON and lflag & termios.ECHO) else "raw"


def read_some(master, out, seconds):
    """Reads what arrives for up to `seconds`; returns False once the terminal is closed."""
    end = time.time() + seconds
    while True:
        left = end - time.time()
        if left <= 0:
            return True
        r, _, _ = select.select([master], [], [], left)
        if not r:
            return True
        try:
            data = os.read(master, 65536)
        except OSError:
            return False
        if not data:
            return False
        out.extend(data)
        if b"\x1b[6n" in data:
            # Answer a cursor position query as a terminal does.
            os.write(master, b"\x1b[1;1R")


def wait_for_screen(master, out):
    """Waits until the alternate screen is entered and output has been quiet for 0.4 s."""
    end = time.time() + TIMEOUT
    while b"\x1b[?1049h" not in out and time.time() < end:
        if not read_some(master, out, 0.2):
            return False
    while time.time() < end:
        before = len(out)
        if not read_some(master, out, 0.4):
            return False
        if len(out) == before:
            return True
    return False


def wait_exit(pid, master, out):
    """Waits for the process to end, draining its output; returns its status or None."""
    end = time.time() + TIMEOUT
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if master is not None:
                read_some(master, out, 0.1)
            return status
        if master is not None:
            read_some(master, out, 0.05)
        else:
            time.sleep(0.05)
    return None


def describe(status):
    if status is None:
        return "hung"
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    return "exit %d" % os.WEXITSTATUS(status)


def spawn(argv, controlling):
    master, slave = os.openpty()
    # A known size and cooked modes to start from.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x18\x00\x50\x00\x00\x00\x00\x00")
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            if controlling:
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid, master, slave


def main():
    scenario, argv = sys.argv[1], sys.argv[2:]
    result = {"scenario": scenario}
    out = bytearray()
    controlling = scenario != "hangup"
    pid, master, slave = spawn(argv, controlling)
    if scenario == "run":
        status = wait_exit(pid, master, out)
    elif scenario == "hangup":
        result["screen"] = wait_for_screen(master, out)
        # The terminal goes away; the process has no controlling terminal, so no SIGHUP.
        os.close(slave)
        os.close(master)
        master = None
        status = wait_exit(pid, None, out)
    elif scenario.startswith("signal:"):
        result["screen"] = wait_for_screen(master, out)
        result["during"] = modes(slave)
        os.kill(pid, int(scenario.split(":")[1]))
        status = wait_exit(pid, master, out)
    elif scenario in ("suspend", "tstp"):
        result["screen"] = wait_for_screen(master, out)
        result["during"] = modes(slave)
        if scenario == "suspend":
            os.write(master, b"\x1a")  # Ctrl-Z
        else:
            os.kill(pid, signal.SIGTSTP)  # kill -TSTP from another shell
        end = time.time() + TIMEOUT
        stopped = False
        while time.time() < end and not stopped:
            done, st = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
            stopped = bool(done) and os.WIFSTOPPED(st)
            read_some(master, out, 0.05)
        result["stopped"] = stopped
        result["while_stopped"] = modes(slave)
        mark = len(out)
        os.kill(pid, signal.SIGCONT)  # what `fg` sends
        read_some(master, out, 1.0)
        result["resumed"] = modes(slave)
        result["redrawn"] = len(out) - mark > 200
        os.write(master, b"q")
        status = wait_exit(pid, master, out)
    elif scenario == "quit":
        result["screen"] = wait_for_screen(master, out)
        os.write(master, b"q")
        status = wait_exit(pid, master, out)
    else:
        raise SystemExit("unknown scenario " + scenario)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    result["status"] = describe(status)
    result["after"] = modes(slave) if master is not None else "closed"
    result["output"] = out.decode("utf-8", "replace")
    print(json.dumps(result))


main()
