#!/usr/bin/env python3
"""Hostile model files, outputs and class folders against a built binary (not part of
`cargo test`). Compare two builds:

    python3 tests/support/model_trials.py OLD/llmf NEW/llmf

For each case and binary it prints one line: exit status (or "hang", "signal N"), seconds,
peak RSS in MB, and what happened (a raw control character on the terminal, a panic, the
previous model lost, a link's target overwritten). Every run is capped at 20 s and 4 GiB of
address space, so a build that reads /dev/zero or allocates 384 TB fails fast instead of
taking the machine down; "alloc" means it died of that cap.
"""
import json, os, resource, shutil, signal, struct, subprocess, sys, tempfile, time

TIMEOUT = 20
MEMORY = 4 << 30


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(argv, stdin=b"", stdout=subprocess.PIPE, env=None, timeout=TIMEOUT):
    """(status, seconds, peak RSS MB, stdout, stderr) of one run."""
    import threading
    e = dict(os.environ)
    e.update(env or {})
    start = time.time()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                         preexec_fn=limits, env=e)
    got = {}

    def drain(name, f):
        got[name] = f.read() if f else b""

    readers = [threading.Thread(target=drain, args=("out", p.stdout)),
               threading.Thread(target=drain, args=("err", p.stderr))]
    for t in readers:
        t.start()
    hung = []
    timer = threading.Timer(timeout, lambda: (hung.append(1), p.kill()))
    timer.start()
    _, st, usage = os.wait4(p.pid, 0)
    timer.cancel()
    p.returncode = 0  # reaped here; keep Popen from waiting again
    for t in readers:
        t.join()
    secs = time.time() - start
    if hung:
        status = "hang"
    elif os.WIFSIGNALED(st):
        status = "signal %d" % os.WTERMSIG(st)
    else:
        status = os.WEXITSTATUS(st)
    return status, secs, usage.ru_maxrss / 1024, got.get("out", b""), got.get("err", b"")


def raw_control(b):
    t = b.decode("utf-8", "replace")
    return any((ord(c) < 32 and c not in "\n\t\r") or 0x7F <= ord(c) <= 0x9F for c in t)


def header(b):
    n = struct.unpack("<Q", b[:8])[0]
    return n, json.loads(b[8:8 + n])


def with_meta(b, key, value):
    n, h = header(b)
    h["__metadata__"][key] = value
    text = json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b[8 + n:]


def verdict(status, out, err, expect_refusal=True):
    notes = []
    if status == "hang":
        notes.append("HANG")
    if b"panicked" in err:
        notes.append("PANIC")
    if b"memory allocation" in err or status == "signal 6":
        notes.append("alloc-abort")
    if raw_control(out + err):
        notes.append("RAW-CONTROL")
    if expect_refusal and status == 1 and not notes:
        line = err.decode("utf-8", "replace").strip().splitlines()
        notes.append("refused: " + (line[-1][:90] if line else ""))
    return "; ".join(notes) or "ok"


def main():
    bins = [os.path.abspath(b) for b in sys.argv[1:]]
    work = tempfile.mkdtemp(prefix="llmf-model-trials-")
    home = os.path.join(work, "home")
    os.mkdir(home)
    env = {"LLMF_HOME": home}
    good = os.path.join(work, "good.safetensors")
    # The newest binary writes the reference model (the tiny preset, seconds).
    subprocess.run([bins[-1], "train", "--preset", "tiny", "--out", good], env=dict(os.environ, **env),
                   capture_output=True, check=True)
    gb = open(good, "rb").read()
    n, h = header(gb)
    alphabet = h["__metadata__"]["alphabet"]
    vocab = len(alphabet)

    def model(name, data):
        p = os.path.join(work, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def shape(d, layers, heads, ctx):
        return json.dumps({"vocab": vocab, "d_model": d, "layers": layers, "heads": heads, "context": ctx})

    fifo = os.path.join(work, "fifo")
    os.mkfifo(fifo)
    nan = bytearray(gb)
    nan[8 + n:8 + n + 4] = struct.pack("<f", float("nan"))
    models = {
        "FIFO as --model": fifo,
        "/dev/zero as --model": "/dev/zero",
        "context 10^12": model("ctx.st", with_meta(gb, "config", shape(16, 1, 2, 10 ** 12))),
        "d 2^32": model("d32.st", with_meta(gb, "config", shape(2 ** 32, 1, 2, 16))),
        "d 2^62": model("d62.st", with_meta(gb, "config", shape(2 ** 62, 1, 2, 16))),
        "d 65536, 1000 layers": model("big.st", with_meta(gb, "config", shape(65536, 1000, 2, 16))),
        "d 4096, 100 layers": model("wide.st", with_meta(gb, "config", shape(4096, 100, 4, 16))),
        "alphabet with ESC": model("esc.st", with_meta(gb, "alphabet", alphabet.replace("A", "\x1b", 1))),
        "alphabet with U+009B": model("csi.st", with_meta(gb, "alphabet", alphabet.replace("A", "\x9b", 1))),
        "NaN weight": model("nan.st", bytes(nan)),
    }
    rows = []

    def row(case, b, res, note):
        status, secs, rss, _, _ = res
        rows.append((case, label[b], status, "%.2f" % secs, "%.0f" % rss, note))

    label = {b: ("before" if i == 0 and len(bins) > 1 else "after") for i, b in enumerate(bins)}
    for b in bins:
        for case, path in models.items():
            res = run([b, "generate", "--model", path, "--tokens", "20", "hi"], env=env)
            row(case, b, res, verdict(res[0], res[3], res[4]))
        for flag in (["train", "--from", fifo, "--data", good, "--out", os.path.join(work, "o")],
                     ["train", "--resume", fifo, "--preset", "tiny", "--out", os.path.join(work, "o")],
                     ["train", "--from", "base", "--data", fifo, "--out", os.path.join(work, "o")]):
            res = run([b] + flag, env=env)
            row("FIFO as " + flag[1] + (" --data" if flag[1] == "--from" and flag[2] == "base" else ""),
                b, res, verdict(res[0], res[3], res[4]))
        res = run([b, "generate", "--tokens", "1000000000", "The"], env=env)
        row("--tokens 10^9", b, res, verdict(res[0], b"", res[4], False) + " (status %s)" % res[0])
        res = run([b, "generate", "--temperature", "1e-39", "--tokens", "40", "The "], env=env)
        text = res[3].decode("utf-8", "replace")
        row("--temperature 1e-39", b, res, verdict(res[0], b"", res[4], False) + " text %r" % text[:30])
        res = run([b, "generate", "--tokens", "20", "The \x1b]52;c;aGk=\x07\x9b2J"], env=env)
        row("prompt with ESC/C1 (text)", b, res, verdict(res[0], res[3], res[4], False))
        res = run([b, "generate", "--json", "--tokens", "5", "The \x9b2J"], env=env)
        row("prompt with C1 (--json)", b, res, verdict(res[0], res[3], res[4], False))
        with open("/dev/full", "wb") as full:
            for args in (["generate", "--tokens", "20", "The"], ["train", "--preset", "tiny", "--out",
                                                                 os.path.join(work, "full.st")]):
                res = run([b] + args, stdout=full, env=env, timeout=120)
                row(args[0] + " > /dev/full", b, res, verdict(res[0], b"", res[4], False) +
                    " (status %s)" % res[0])
        for extra in ([], ["--json"]):
            p1 = subprocess.Popen([b, "generate", "--tokens", "2000", "The"] + extra, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=dict(os.environ, **env))
            p2 = subprocess.Popen(["head", "-c", "100"], stdin=p1.stdout, stdout=subprocess.DEVNULL)
            p1.stdout.close()
            err = p1.stderr.read()
            p1.wait()
            p2.wait()
            rows.append(("generate %s| head -c 100" % (" ".join(extra) + " " if extra else ""),
                         label[b], p1.returncode, "", "",
                         "PANIC" if b"panicked" in err else "quiet"))
        # --out a symbolic link.
        victim = os.path.join(work, "victim.txt")
        with open(victim, "w") as f:
            f.write("keep me")
        link = os.path.join(work, "link.safetensors")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(victim, link)
        res = run([b, "train", "--preset", "tiny", "--out", link], env=env, timeout=120)
        kept = open(victim, "rb").read() == b"keep me"
        row("--out a symlink", b, res, ("target kept" if kept else "TARGET OVERWRITTEN") +
            " (status %s)" % res[0])
        # kill -9 across the run, the previous model checked after each.
        out = os.path.join(work, "k.safetensors")
        shutil.copy(good, out)
        t0 = time.time()
        subprocess.run([b, "train", "--preset", "tiny", "--seed", "9", "--out", os.path.join(work, "t.st")],
                       env=dict(os.environ, **env), capture_output=True)
        whole = time.time() - t0
        lost = 0
        for i in range(20):
            p = subprocess.Popen([b, "train", "--preset", "tiny", "--seed", str(i + 2), "--out", out],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, **env))
            time.sleep(whole * (0.6 + 0.025 * i))
            p.send_signal(signal.SIGKILL)
            p.wait()
            size = os.path.getsize(out)
            if size == 0 or size != len(gb):
                lost += 1
                shutil.copy(good, out)
        rows.append(("kill -9 during train (20 trials)", label[b],
                     "", "", "", "%d left a broken model" % lost))
        # A write that dies midway (file-size limit): the same as a kill in the write.
        shutil.copy(good, out)
        p = subprocess.run(["sh", "-c", 'ulimit -f 4; exec "$0" train --preset tiny --seed 3 --out "$1"', b, out],
                           env=dict(os.environ, **env), capture_output=True)
        rows.append(("killed mid-write (SIGXFSZ)", label[b],
                     p.returncode, "", "", "previous model %s, %d bytes" %
                     ("intact" if open(out, "rb").read() == gb else "LOST", os.path.getsize(out))))
        # A full disk: a 40 KB tmpfs in a private mount namespace.
        script = ('mount -t tmpfs -o size=40k tmpfs "$1" || exit 77; cp "$2" "$1/m.st"; '
                  'LLMF_HOME="$1" "$0" train --preset tiny --seed 2 --out "$1/m.st" >/dev/null 2>&1; '
                  'echo "rc=$?"; cmp -s "$2" "$1/m.st" && echo intact || echo LOST; ls -a "$1" | tr "\\n" " "')
        mnt = os.path.join(work, "mnt")
        os.makedirs(mnt, exist_ok=True)
        p = subprocess.run(["unshare", "-Urm", "sh", "-c", script, b, mnt, good], capture_output=True)
        rows.append(("full disk (40 KB tmpfs)", label[b],
                     "", "", "", p.stdout.decode().replace("\n", " ").strip()[:90]))
        # The class report.
        cls = os.path.join(work, "class")
        shutil.rmtree(cls, ignore_errors=True)
        st = os.path.join(cls, "students")
        for name in ("name-%E2%80%AEevil", "name-fifo", "name-big", "key-abc"):
            os.makedirs(os.path.join(st, name))
        os.mkfifo(os.path.join(st, "name-fifo", "student.json"))
        with open(os.path.join(st, "name-big", "student.json"), "wb") as f:
            f.truncate(1500 << 20)
        with open(os.path.join(st, "key-abc", "student.json"), "w") as f:
            json.dump({"name": "x\x9b31m\x9d", "key": "SHA256:abc"}, f)
        for extra in ([], ["--json"]):
            res = run([b, "class", "report", "--class", cls] + extra, env=env)
            note = verdict(res[0], res[3], res[4], False)
            if "\u202e".encode() in res[3]:
                note += "; raw U+202E"
            row("class report " + " ".join(extra), b, res, note)
    print("%-34s %-8s %-10s %6s %7s  %s" % ("case", "build", "status", "secs", "RSS MB", "what happened"))
    for r in sorted(rows, key=lambda r: r[0]):
        print("%-34s %-8s %-10s %6s %7s  %s" % tuple(str(x) for x in r))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
