#!/usr/bin/env python3
"""Fault trials against a built binary (not part of `cargo test`: a few minutes).

usage: python3 tests/support/fault_trials.py target/release/llmf tests/support/pty_session.py

Prints one JSON object: for each kind of input or fault, how many were tried and how many
ended in a raw control character on the terminal (inj), a hang past the timeout, a panic,
lost progress (a planted link's target changed, progress.json unparsable) or another
wrong answer (fail).
"""
import json, os, random, signal, socket, subprocess, sys, tempfile, time
BIN = os.path.abspath(sys.argv[1])
DRIVER = sys.argv[2]
rows = {}
def rec(cat, ok, problem=None):
    r = rows.setdefault(cat, {"n": 0, "inj": 0, "hang": 0, "panic": 0, "lost": 0, "fail": 0})
    r["n"] += 1
    if problem:
        r[problem] += 1
    elif not ok:
        r["fail"] += 1
def raw_ctl(b):
    t = b.decode("utf-8", "replace")
    return any((ord(c) < 32 and c not in "\n\t\r") or 0x7f <= ord(c) <= 0x9f for c in t)
def run(args, env=None, stdin=b"", timeout=10):
    e = dict(os.environ); e.update(env or {})
    try:
        p = subprocess.run([BIN] + args, input=stdin, capture_output=True, timeout=timeout, env=e)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, b"", b""
def judge(cat, res, check_inj=True):
    code, out, err = res
    if code is None: rec(cat, False, "hang"); return
    if b"panicked" in err or code == 101 or code < 0 and code != -13: rec(cat, False, "panic"); return
    if check_inj and raw_ctl(out + err): rec(cat, False, "inj"); return
    rec(cat, True)
def drive(scn, env=None, extra=()):
    e = dict(os.environ, TERM="xterm-256color", PYTHONCOERCECLOCALE="0"); e.update(env or {})
    p = subprocess.run(["python3", DRIVER, scn, BIN] + list(extra), capture_output=True, timeout=60, env=e)
    return json.loads(p.stdout)
home = tempfile.mkdtemp()
os.environ["LLMF_HOME"] = home
PAY = ["\x1b]52;c;aGk=\x07", "\x1b[2J", "\u009b2J", "\x1b]0;pwned\x07", "\x7f", "\x07", "\r\x1b[K",
       "\u0090qq\u009c", "\u009d0;t\u009c", "\x1bP+q\x1b\\", "\x00", "\x08\x08"]
# A. injection through check, attention, tokenize
for p in PAY:
    q = json.dumps(p)
    for pos in range(6):
        d = tempfile.mkdtemp()
        f = "01-a.md" if pos != 0 else "01-a%s.md" % p
        man = {"title": p if pos == 1 else "T", "parts": [{"title": p if pos == 2 else "P", "lessons": [f, p]}]}
        open(os.path.join(d, "course.json"), "w").write(json.dumps(man))
        body = "# %s\n\n## %s\nx\n\n```viz\n{\"kind\": %s, %s: %s}\n```\n\n## Q\n```quiz\n{\"id\": %s, \"question\": %s, \"choices\": [%s], \"answer\": %s, \"explain\": %s}\n```\n" % (
            p if pos == 3 else "T", p if pos == 4 else "S", q if pos == 5 else '"softmax"', q, q, q, q, q, q, q)
        try:
            open(os.path.join(d, f), "w").write(body)
        except (OSError, ValueError):
            continue
        judge("injection: check (12 payloads x 6 fields, +--stats)", run(["check", d]))
        judge("injection: check (12 payloads x 6 fields, +--stats)", run(["check", "--stats", d]))
        judge("injection: render with broken course", run(["--lessons", d, "render", "01"]))
        if pos == 0:
            r = drive("run", {"LLMF_HOME": home}, ["--lessons", d])
            rec("injection: course refused at start, in a pty", not raw_ctl(r["output"].replace("\r", "").encode()), None if not raw_ctl(r["output"].replace("\r", "").encode()) else "inj")
    for args in (["attention", "-"], ["attention", "-", "--json"], ["tokenize", "-"], ["tokenize", "-", "--json"],
                 ["tokenize", "-", "--tokenizer", "cl100k", "--json"], ["tokenize", "x", "--tokenizer", p]):
        if any("\x00" in a for a in args):
            continue
        judge("injection: attention/tokenize (12 x 6)", run(args, stdin=("a %s b" % p).encode()))
    # progress file holding the payload
    open(os.path.join(home, "progress.json"), "w").write(json.dumps({"current": p, "lessons": {p: {"step": 1, "answers": {p: {"correct": True, "attempts": 1}}}}}))
    judge("injection: progress file", run(["progress"]))
# B. FIFOs and devices in every position
fifo = os.path.join(tempfile.mkdtemp(), "fifo"); os.mkfifo(fifo)
sockp = os.path.join(tempfile.mkdtemp(), "sock"); s = socket.socket(socket.AF_UNIX); s.bind(sockp)
for special in [fifo, "/dev/zero", "/dev/urandom", "/dev/null", tempfile.mkdtemp(), sockp]:
    judge("special files: tokenizer (6 kinds x 2)", run(["--tokenizer", special, "render", "01"]))
    judge("special files: tokenizer (6 kinds x 2)", run(["tokenize", "--tokenizer", special, "hi"]))
    for pos in ["course.json", "01-a.md"]:
        d = tempfile.mkdtemp()
        open(os.path.join(d, "course.json"), "w").write(json.dumps({"title": "T", "parts": [{"title": "P", "lessons": ["01-a.md"]}]}))
        open(os.path.join(d, "01-a.md"), "w").write("# A\n\n## S\nx\n")
        os.remove(os.path.join(d, pos)); os.symlink(special, os.path.join(d, pos))
        judge("special files: course.json/lesson (6 x 2 x 2)", run(["check", d]))
        judge("special files: course.json/lesson (6 x 2 x 2)", run(["--lessons", d, "render", "01"]))
    h = tempfile.mkdtemp(); os.symlink(special, os.path.join(h, "progress.json"))
    judge("special files: progress.json (6)", run(["progress"], env={"LLMF_HOME": h}))
# C. sizes
d = tempfile.mkdtemp()
open(os.path.join(d, "course.json"), "w").write(json.dumps({"title": "T", "parts": [{"title": "P", "lessons": ["01-a.md"]}]}))
open(os.path.join(d, "01-a.md"), "w").write("# A\n\n## S\n" + "word " * 10_000_000)
judge("size: 48 MB lesson", run(["check", d]))
h = tempfile.mkdtemp()
open(os.path.join(h, "progress.json"), "w").write('{"lessons":{}' + " " * 50_000_000 + "}")
judge("size: 50 MB progress", run(["progress"], env={"LLMF_HOME": h}))
judge("size: 100 MB tokenize input", run(["tokenize", "-", "--json"], stdin=b"the cat " * 12_500_000, timeout=60), check_inj=False)
big = os.path.join(tempfile.mkdtemp(), "big.json")
open(big, "w").write(json.dumps({"model": {"type": "BPE", "vocab": {}, "merges": []}, "pad": "x" * 70_000_000}))
code, out, err = run(["tokenize", "--tokenizer", big, "x"])
rec("size: 70 MB tokenizer.json", code == 1 and b"64 MiB" in err, None if code is not None else "hang")
# D. paths
for entry in ["../x.md", "/etc/shadow", "/etc/passwd", "a/../../x.md", "", "./../x.md", "//etc/passwd"]:
    d = tempfile.mkdtemp()
    open(os.path.join(d, "course.json"), "w").write(json.dumps({"title": "T", "parts": [{"title": "P", "lessons": [entry]}]}))
    code, out, err = run(["check", d])
    ok = code == 1 and b"course.json:" in out
    rec("paths: .. and absolute in course.json (7)", ok, None if ok else "inj")
# E. pipes
for args in (["render", "06"], ["tokenize", "word " * 20000], ["tokenize", "word " * 20000, "--json"],
             ["attention", "a b c d e f"], ["progress"], ["check", "--stats"], ["tokenize", "--list"]):
    for reader in ("true", "head -c 1"):
        p = subprocess.run("%s %s | %s" % (BIN, " ".join("'%s'" % a for a in args), reader), shell=True,
                           capture_output=True, timeout=60, executable="/bin/bash")
        judge("pipes: 7 commands x (| true, | head -c1)", (p.returncode, b"", p.stderr), check_inj=False)
# F. progress file attacks
for i in range(20):
    h = tempfile.mkdtemp(); victim = os.path.join(h, "victim"); open(victim, "w").write("keep")
    for n in ["progress.json.tmp-%d" % i, "progress.lock" if i % 2 else "progress.json.tmp-x"]:
        try: os.symlink(victim if "tmp" in n else os.path.join(h, "created"), os.path.join(h, n))
        except FileExistsError: pass
    open(os.path.join(h, "progress.json"), "w").write(["{bad", '{"lessons":{"a":{"step":18446744073709551615}}}', '{"lessons":{"a":{"visited":[99999999]}}}', "\ufeff{}"][i % 4])
    code, out, err = run(["progress"], env={"LLMF_HOME": h})
    lost = open(victim).read() != "keep" or os.path.exists(os.path.join(h, "created"))
    rec("progress: planted links, corrupt, overflow, BOM (20)", not lost, "lost" if lost else None)
s.close()

# G. signals and closed terminals (pty driver)
for sig in [1, 2, 3, 10, 12, 14, 15]:
    for _ in range(3):
        h = tempfile.mkdtemp()
        r = drive("signal:%d" % sig, {"LLMF_HOME": h})
        bad = "hang" if r["status"] == "hung" else None
        if not bad and (r["after"] != "cooked" or r["status"] != "signal %d" % sig): bad = "other"
        if not bad and not os.path.exists(os.path.join(h, "progress.json")): bad = "lost"
        rec("signals: HUP INT QUIT USR1 USR2 ALRM TERM (x3)", bad is None, bad if bad != "other" else "panic")
for _ in range(5):
    h = tempfile.mkdtemp(); r = drive("hangup", {"LLMF_HOME": h})
    bad = "hang" if r["status"] != "exit 0" else (None if os.path.exists(os.path.join(h, "progress.json")) else "lost")
    rec("closed terminal without SIGHUP (5)", bad is None, bad)
for _ in range(5):
    r = drive("suspend", {"LLMF_HOME": home})
    ok = r["stopped"] and r["while_stopped"] == "cooked" and r["resumed"] == "raw" and r["redrawn"] and r["after"] == "cooked"
    rec("Ctrl-Z, fg, q (5)", ok, None if ok else ("hang" if r["status"] == "hung" else "panic"))
for env in [{"TERM": "dumb"}]:
    r = drive("run", dict(env, LLMF_HOME=home))
    ok = "llmf render" in r["output"] and r["status"] == "exit 2"
    rec("TERM=dumb (1)", ok, None if ok else "panic")
# planted links with a real save (quit in the TUI)
for i in range(10):
    h = tempfile.mkdtemp(); victim = os.path.join(h, "victim"); open(victim, "w").write("keep")
    os.symlink(victim, os.path.join(h, "progress.json.tmp-%d" % i))
    if i % 2: os.symlink(os.path.join(h, "created"), os.path.join(h, "progress.lock"))
    r = drive("quit", {"LLMF_HOME": h})
    lost = open(victim).read() != "keep" or os.path.exists(os.path.join(h, "created"))
    rec("planted links with a save in the course (10)", not lost, "lost" if lost else None)
# H. kill -9 while stepping and saving
import pty
h = tempfile.mkdtemp()
for i in range(30):
    m, s2 = os.openpty()
    e = dict(os.environ, LLMF_HOME=h, TERM="xterm-256color")
    p = subprocess.Popen([BIN], stdin=s2, stdout=s2, stderr=s2, env=e, start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < 0.3 + random.random():
        try:
            os.write(m, b"\x1b[C"); time.sleep(0.02)
            import select
            while select.select([m], [], [], 0)[0]: os.read(m, 65536)
        except OSError: break
    p.kill(); p.wait(); os.close(m); os.close(s2)
    try:
        json.load(open(os.path.join(h, "progress.json"))); ok = True
    except Exception: ok = False
    rec("kill -9 while stepping (30)", ok, None if ok else "lost")
left = [n for n in os.listdir(h) if ".tmp-" in n]

print(json.dumps(rows))
print("temporary files left after the kill -9 loop:", left)
