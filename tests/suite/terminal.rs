//! The real binary on a real pseudo-terminal (driven by tests/support/pty_session.py, which
//! needs only python3's standard library): a closed terminal, every signal, Ctrl-Z and `fg`,
//! TERM=dumb and a non-UTF-8 locale. Every wait in the driver is bounded at 10 s, which
//! turns a hang into a failure; none of these tests measures speed.

use std::process::Command;

struct Session {
    status: String,
    /// Terminal modes after the process ended: "cooked" or "raw".
    after: String,
    output: String,
    json: serde_json::Value,
}

fn session(scenario: &str, home: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Session {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_session.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .arg(scenario)
        .arg(env!("CARGO_BIN_EXE_llmf"))
        .args(args)
        .env("LLMF_HOME", home)
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env_remove("NO_COLOR")
        // Python would otherwise "coerce" a C locale to C.UTF-8 for its children (PEP 538).
        .env("PYTHONCOERCECLOCALE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("python3 runs the pty driver (the machine has CPython 3)");
    assert!(
        out.status.success(),
        "driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the driver prints one JSON object");
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    Session {
        status: text("status"),
        after: text("after"),
        output: text("output"),
        json,
    }
}

#[test]
fn a_closed_terminal_without_sighup_ends_the_process_and_keeps_progress() {
    let home = tempfile::tempdir().unwrap();
    let s = session("hangup", home.path(), &[], &[]);
    assert_eq!(s.json["screen"], true, "the course started: {}", s.output);
    assert_eq!(
        s.status, "exit 0",
        "the process must notice the terminal is gone"
    );
    assert!(
        home.path().join("progress.json").exists(),
        "progress was saved on the way out"
    );
}

#[test]
fn every_ending_signal_gives_the_terminal_back() {
    let home = tempfile::tempdir().unwrap();
    for (name, sig) in [
        ("SIGHUP", 1),
        ("SIGINT", 2),
        ("SIGQUIT", 3),
        ("SIGUSR1", 10),
        ("SIGTERM", 15),
    ] {
        let s = session(&format!("signal:{sig}"), home.path(), &[], &[]);
        assert_eq!(s.json["screen"], true, "{name}: started");
        assert_eq!(s.json["during"], "raw", "{name}: raw while running");
        assert_eq!(
            s.status,
            format!("signal {sig}"),
            "{name}: ends by the signal"
        );
        assert_eq!(s.after, "cooked", "{name}: cooked mode after");
        let tail = &s.output[s.output.rfind("\u{1b}[?1049h").unwrap_or(0)..];
        assert!(
            tail.contains("\u{1b}[?1049l"),
            "{name}: left the alternate screen"
        );
        assert!(tail.contains("\u{1b}[?1003l"), "{name}: mouse tracking off");
    }
    assert!(home.path().join("progress.json").exists());
}

#[test]
fn ctrl_z_suspends_with_the_terminal_restored_and_fg_resumes_raw_and_redrawn() {
    let home = tempfile::tempdir().unwrap();
    for scenario in ["suspend", "tstp"] {
        suspends_and_resumes(scenario, home.path());
    }
}

fn suspends_and_resumes(scenario: &str, home: &std::path::Path) {
    let s = session(scenario, home, &[], &[]);
    assert_eq!(s.json["during"], "raw");
    assert_eq!(s.json["stopped"], true, "{scenario}: the process stops");
    assert_eq!(
        s.json["while_stopped"], "cooked",
        "the shell gets a cooked terminal"
    );
    assert_eq!(
        s.json["resumed"], "raw",
        "fg brings raw mode back (no echo)"
    );
    assert_eq!(s.json["redrawn"], true, "fg redraws the whole screen");
    assert_eq!(s.status, "exit 0");
    assert_eq!(s.after, "cooked");
}

#[test]
fn a_dumb_terminal_is_told_to_use_render() {
    let home = tempfile::tempdir().unwrap();
    let s = session("run", home.path(), &[("TERM", "dumb")], &[]);
    assert_eq!(s.status, "exit 2");
    assert!(s.output.contains("llmf render"), "{}", s.output);
    assert!(
        !s.output.contains('\u{1b}'),
        "no escape sequences: {:?}",
        s.output
    );
}

#[test]
fn a_c_locale_gets_ascii_and_a_utf8_one_gets_box_drawing() {
    let box_drawing = |s: &str| s.chars().any(|c| ('\u{2500}'..='\u{257f}').contains(&c));
    let home = tempfile::tempdir().unwrap();
    let utf8 = session("quit", home.path(), &[], &[]);
    assert_eq!(utf8.status, "exit 0");
    assert!(box_drawing(&utf8.output), "UTF-8 locale draws boxes");
    for env in [
        [("LANG", "C"), ("LC_ALL", "")],
        [("LANG", "en_US.UTF-8"), ("LC_ALL", "C")],
        [("LANG", "en_US.UTF-8"), ("LC_CTYPE", "POSIX")],
    ] {
        let c = session("quit", home.path(), &env, &[]);
        assert_eq!(c.status, "exit 0");
        assert!(!box_drawing(&c.output), "{env:?} draws ASCII");
    }
    let asked = session("quit", home.path(), &[("LANG", "C")], &["--unicode"]);
    assert!(box_drawing(&asked.output), "--unicode overrides the locale");
}

/// A course is refused at start for its own problems (here a lesson listed outside the
/// folder); a lesson's problems show when it is opened (see the next test).
#[test]
fn a_hostile_course_refused_at_start_prints_no_control_bytes() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    let esc = "\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{9b}2J";
    let outside = format!("../{esc}.md");
    std::fs::write(
        course.path().join("course.json"),
        serde_json::json!({"title": esc, "parts": [{"title": esc, "lessons": ["01-x.md", outside]}]})
            .to_string(),
    )
    .unwrap();
    std::fs::write(
        course.path().join("01-x.md"),
        format!(
            "# {esc}\n\n## {esc}\n{esc}\n\n```viz\n{{\"kind\": {}}}\n```\n",
            serde_json::to_string(esc).unwrap()
        ),
    )
    .unwrap();
    let s = session(
        "run",
        home.path(),
        &[],
        &["--lessons", course.path().to_str().unwrap()],
    );
    assert_eq!(s.status, "exit 1");
    assert!(
        s.output.contains("\\x1b]52"),
        "the problem is shown, escaped: {}",
        s.output
    );
    let raw = s
        .output
        .chars()
        .find(|c| llmf::text::sanitize::is_control(*c) && !matches!(c, '\n' | '\r'));
    assert_eq!(raw, None, "{:?}", s.output);
}

#[test]
fn a_course_with_a_broken_lesson_opens_at_the_good_one() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    std::fs::write(
        course.path().join("course.json"),
        r#"{"title": "t", "parts": [{"title": "P", "lessons": ["01-good.md", "02-bad.md"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        course.path().join("01-good.md"),
        "# Good\n\n## One\nThe good lesson opens.\n",
    )
    .unwrap();
    std::fs::write(
        course.path().join("02-bad.md"),
        "# Bad\n\n```quiz\n{\n```\n",
    )
    .unwrap();
    let s = session(
        "quit",
        home.path(),
        &[],
        &["--lessons", course.path().to_str().unwrap()],
    );
    assert_eq!(s.status, "exit 0", "{}", s.output);
    assert!(s.output.contains("opens."), "{}", s.output);
}

#[test]
fn opening_a_lesson_at_a_step_records_only_that_step() {
    let home = tempfile::tempdir().unwrap();
    // Also: --ascii after the command, now that the drawing flags are the commands' own.
    let s = session(
        "quit",
        home.path(),
        &[],
        &["open", "15", "--step", "3", "--ascii"],
    );
    assert_eq!(s.status, "exit 0", "{}", s.output);
    let progress = llmf::progress::read_only(&home.path().join("progress.json"))
        .unwrap()
        .expect("progress written");
    let course = llmf::course::load(&llmf::course::embedded::Embedded)
        .0
        .unwrap();
    let first = &course.lessons[0].slug;
    let (at, _) = course.locate("15", 1).unwrap();
    let fifteenth = &course.lessons[at].slug;
    assert!(
        progress.lesson(first).is_none_or(|l| l.visited.is_empty()),
        "lesson 01 was never opened"
    );
    assert_eq!(progress.current.as_deref(), Some(fifteenth.as_str()));
    let seen = &progress.lesson(fifteenth).unwrap().visited;
    assert_eq!(seen.iter().copied().collect::<Vec<_>>(), vec![2]);
}
