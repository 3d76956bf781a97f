//! Course folders, files and inputs written by someone else: no terminal injection, no hang
//! on a FIFO or a device, bounded reads, paths that stay inside the course, quiet pipes.
//! Each run is bounded by a 10 s timeout that turns a hang into a failure.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// OSC 52 (write the clipboard), ESC [2J (clear the screen) and the one-character C1 CSI.
const HOSTILE: &str = "\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{9b}2J";

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// Runs llmf with `stdin` fed in, killing it (and failing) after 10 s.
fn llmf_in(args: &[&str], home: &Path, stdin: &[u8]) -> Run {
    llmf_within(args, home, stdin, Duration::from_secs(10))
}

/// [`llmf_in`] with another bound: training runs, even the tiny preset's, measure their final
/// losses over the whole corpus, a few seconds in a debug build and more on a busy machine.
fn llmf_within(args: &[&str], home: &Path, stdin: &[u8], limit: Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmf"))
        .args(args)
        .env("LLMF_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run llmf");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    // Read both outputs as they come, so a full pipe never stalls the child.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let stderr = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("llmf {:?} hung for {limit:?}", &args[..1]);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = feeder.join();
    let out = std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn llmf(args: &[&str], home: &Path) -> Run {
    llmf_in(args, home, b"")
}

/// The first character a terminal would act on, if any (newlines and tabs are layout).
fn raw_control(text: &str) -> Option<char> {
    text.chars()
        .find(|c| llmf::text::sanitize::is_control(*c) && !matches!(c, '\n' | '\t'))
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn manifest(lessons: &[&str]) -> String {
    serde_json::json!({"title": "T", "parts": [{"title": "P", "lessons": lessons}]}).to_string()
}

const GOOD_LESSON: &str = "# Good\n\n## One\nProse.\n";

/// A course with the hostile text in every field a teacher writes.
fn hostile_course(dir: &Path) {
    let file = format!("01-{HOSTILE}.md");
    write(
        dir,
        "course.json",
        &serde_json::json!({
            "title": HOSTILE,
            "parts": [{"title": HOSTILE, "lessons": [file, "02-x.md", HOSTILE]}]
        })
        .to_string(),
    );
    write(
        dir,
        &file,
        &format!("# {HOSTILE}\n\n## {HOSTILE}\n{HOSTILE}\n"),
    );
    let quoted = serde_json::to_string(HOSTILE).unwrap();
    write(
        dir,
        "02-x.md",
        &format!(
            "# {HOSTILE}\n\n## {HOSTILE}\n{HOSTILE}\n\n```viz\n{{\"kind\": {quoted}}}\n```\n\n\
             ## Two\n```viz\n{{\"kind\": \"softmax\", {quoted}: {quoted}}}\n```\n\n\
             ## Three\n```quiz\n{{\"id\": {quoted}, \"question\": {quoted}, \"choices\": [{quoted}], \
             \"answer\": {quoted}, \"explain\": {quoted}}}\n```\n\n\
             ## {HOSTILE}\n```quiz\n{{\"id\": {quoted}, \"question\": \"q\", \"choices\": [\"a\", \"b\"], \
             \"answer\": 1, \"explain\": \"e\"}}\n```\n\n\
             ```{HOSTILE}\n{HOSTILE}\n```\n"
        ),
    );
}

#[test]
fn check_of_a_hostile_course_prints_no_control_character() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    hostile_course(dir.path());
    let run = llmf(&["check", dir.path().to_str().unwrap()], home.path());
    assert_eq!(run.code, 1);
    let all = format!("{}{}", run.out, run.err);
    assert!(
        all.contains("\\x1b]52"),
        "the problems are reported, escaped:\n{all}"
    );
    assert!(all.contains("\\u{9b}"), "{all}");
    assert!(run.out.lines().count() >= 4, "{all}");
    assert_eq!(raw_control(&all), None, "{all:?}");
    let stats = llmf(
        &["check", "--stats", dir.path().to_str().unwrap()],
        home.path(),
    );
    assert_eq!(raw_control(&format!("{}{}", stats.out, stats.err)), None);
}

#[test]
fn attention_and_tokenize_escape_what_they_are_given() {
    let home = tempfile::tempdir().unwrap();
    let text = format!("a {HOSTILE} b \u{9b}x \u{7f}");
    let table = llmf_in(&["attention", "-"], home.path(), text.as_bytes());
    assert_eq!(table.code, 0, "{}", table.err);
    assert!(table.out.contains("\\x1b[2J"), "{}", table.out);
    assert_eq!(raw_control(&table.out), None, "{:?}", table.out);
    let json = llmf_in(&["attention", "-", "--json"], home.path(), text.as_bytes());
    assert_eq!(raw_control(&json.out), None, "{:?}", json.out);
    let v: serde_json::Value = serde_json::from_str(&json.out).unwrap();
    assert_eq!(
        v["tokens"][3], "\u{9b}x",
        "escaped in JSON, the same string decoded"
    );
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["tokenize", "-"];
        args.extend_from_slice(extra);
        let run = llmf_in(&args, home.path(), text.as_bytes());
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(
            raw_control(&format!("{}{}", run.out, run.err)),
            None,
            "{args:?}: {:?}",
            run.out
        );
    }
    // A tokenizer named by a hostile path is named escaped.
    let run = llmf(&["tokenize", "--tokenizer", HOSTILE, "x"], home.path());
    assert_eq!(run.code, 1);
    assert_eq!(raw_control(&run.err), None, "{:?}", run.err);
}

#[test]
fn fifos_and_devices_in_every_file_position_are_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for special in [fifo.as_path(), Path::new("/dev/zero")] {
        let name = special.display().to_string();
        // tokenizer.json, both ways it can be named.
        let run = llmf(&["--tokenizer", &name, "render", "01"], home.path());
        assert_eq!(run.code, 1, "{name}");
        assert!(run.err.contains("not a regular file"), "{}", run.err);
        let run = llmf(&["tokenize", "--tokenizer", &name, "hi"], home.path());
        assert_eq!(run.code, 1, "{name}");
        assert!(run.err.contains(&name), "{}", run.err);
        // course.json and a lesson file.
        for position in ["course.json", "01-a.md"] {
            let course = tempfile::tempdir().unwrap();
            write(course.path(), "course.json", &manifest(&["01-a.md"]));
            write(course.path(), "01-a.md", GOOD_LESSON);
            let target = course.path().join(position);
            std::fs::remove_file(&target).unwrap();
            std::os::unix::fs::symlink(special, &target).unwrap();
            let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
            assert_eq!(run.code, 1, "{name} as {position}");
            assert!(
                run.out.contains(position),
                "{name} as {position}: {}",
                run.out
            );
        }
        // progress.json: shown as unreadable, never waited on, never replaced.
        let progress_home = tempfile::tempdir().unwrap();
        let progress = progress_home.path().join("progress.json");
        std::os::unix::fs::symlink(special, &progress).unwrap();
        let run = llmf(&["progress"], progress_home.path());
        assert_eq!(run.code, 0, "{name}: {}", run.err);
        assert!(run.err.contains("not a regular file"), "{}", run.err);
        assert!(progress
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn files_past_their_limit_are_refused_with_the_limit_named() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    write(course.path(), "course.json", &manifest(&["01-a.md"]));
    let huge = format!("{GOOD_LESSON}{}", "word ".repeat(300_000));
    write(course.path(), "01-a.md", &huge);
    let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
    assert_eq!(run.code, 1);
    assert!(
        run.out.contains("01-a.md is larger than 1 MiB"),
        "{}",
        run.out
    );
}

#[test]
fn course_entries_stay_inside_the_course_folder() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    let text = "{\n  \"title\": \"T\",\n  \"parts\": [{\"title\": \"P\", \"lessons\": [\n    \"01-a.md\",\n    \"../02-b.md\",\n    \"/etc/passwd\"\n  ]}]\n}\n";
    write(course.path(), "course.json", text);
    write(course.path(), "01-a.md", GOOD_LESSON);
    let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
    assert_eq!(run.code, 1);
    let prefix = course.path().display().to_string();
    assert!(
        run.out.contains(&format!(
            "{prefix}/course.json:5: \"../02-b.md\" leaves the course folder"
        )),
        "{}",
        run.out
    );
    assert!(
        run.out.contains(&format!(
            "{prefix}/course.json:6: \"/etc/passwd\" is an absolute path"
        )),
        "{}",
        run.out
    );
    assert!(
        !run.out.contains("lines"),
        "nothing about the file's content leaks"
    );
    // A link inside the folder to a file outside is refused too.
    std::os::unix::fs::symlink("/etc/passwd", course.path().join("02-b.md")).unwrap();
    write(
        course.path(),
        "course.json",
        &manifest(&["01-a.md", "02-b.md"]),
    );
    let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
    assert!(run.out.contains("outside the course folder"), "{}", run.out);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    write(
        course.path(),
        "course.json",
        &format!("\u{feff}{}", manifest(&["01-a.md"])),
    );
    write(course.path(), "01-a.md", &format!("\u{feff}{GOOD_LESSON}"));
    let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
    assert_eq!(run.code, 0, "{}{}", run.out, run.err);
}

#[test]
fn check_reports_every_problem_and_render_names_the_broken_lesson() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    write(
        course.path(),
        "course.json",
        &manifest(&["01-a.md", "06-b.md"]),
    );
    write(course.path(), "01-a.md", GOOD_LESSON);
    write(
        course.path(),
        "06-b.md",
        "# B\n\n## Quiz\n```quiz\n{\"id\": \"q\", \"question\": \"?\", \"choices\": [\"a\", \"b\"], \"answer\": 7, \"explain\": \"e\"}\n```\n\n## Viz\n```viz\n{\"kind\": \"matmul\", \"m\": 99}\n```\n",
    );
    let run = llmf(&["check", course.path().to_str().unwrap()], home.path());
    assert_eq!(run.code, 1);
    assert!(run.out.contains("06-b.md:5:"), "the question: {}", run.out);
    assert!(
        run.out.contains("06-b.md:10: matmul"),
        "the visualizer too: {}",
        run.out
    );
    let dir = course.path().to_str().unwrap();
    let run = llmf(&["--lessons", dir, "render", "06"], home.path());
    assert_eq!(run.code, 1);
    assert!(
        run.err.contains("lesson 06 (06-b.md) has problems"),
        "{}",
        run.err
    );
    assert!(
        run.err.contains("06-b.md:5: "),
        "and says where: {}",
        run.err
    );
    let run = llmf(&["--lessons", dir, "render", "01"], home.path());
    assert_eq!(run.code, 0, "the good lesson still renders: {}", run.err);
}

#[test]
fn every_text_command_is_quiet_when_its_reader_goes_away() {
    let home = tempfile::tempdir().unwrap();
    let course = tempfile::tempdir().unwrap();
    write(course.path(), "course.json", &manifest(&["01-a.md"]));
    write(course.path(), "01-a.md", GOOD_LESSON);
    let course = course.path().to_str().unwrap();
    // 100 KB: more than a pipe holds, less than one argument may be.
    let big = "word ".repeat(20_000);
    let commands: [&[&str]; 11] = [
        &["render", "06"],
        &["tokenize", &big],
        &["tokenize", &big, "--json"],
        &["attention", "one two three four five six"],
        &["progress"],
        &["check", "--stats", course],
        &["generate", "--tokens", "300", "The"],
        &["generate", "--json", "--tokens", "50", "The"],
        &["keys"],
        &["keys", "--markdown"],
        &["class", "report", "--json", "--class", course],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_llmf"))
            .args(args)
            .env("LLMF_HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before llmf writes a byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{:?}: {err}", &args[..1]);
        assert_eq!(out.status.code(), Some(0), "{:?}: {err}", &args[..1]);
    }
}

#[test]
fn tokenize_streams_large_input_and_refuses_past_its_limit() {
    let home = tempfile::tempdir().unwrap();
    // 240 KB through the embedded encoding, as JSON: valid, complete, counted.
    let text = "The cat sat on the mat. ".repeat(10_000);
    let run = llmf_in(&["tokenize", "-", "--json"], home.path(), text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.err);
    let v: serde_json::Value = serde_json::from_str(&run.out).expect("valid JSON");
    let tokens = v["tokens"].as_array().unwrap();
    assert_eq!(v["count"].as_u64(), Some(tokens.len() as u64));
    assert_eq!(
        tokens.last().unwrap()["end"].as_u64(),
        Some(text.len() as u64)
    );
    // Past 4 MiB the library tokenizers refuse, naming the limit.
    let big = "a ".repeat(2_200_000);
    let run = llmf_in(
        &["tokenize", "-", "--tokenizer", "bpe"],
        home.path(),
        big.as_bytes(),
    );
    assert_eq!(run.code, 1);
    assert!(run.err.contains("larger than 4 MiB"), "{}", run.err);
}

mod parse_never_panics {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn on_arbitrary_text(text in "(?s).{0,400}") {
            let _ = llmf::course::parse_lesson("01-x.md", &text, 0);
        }

        #[test]
        fn on_lesson_shaped_text(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("# T".to_string()),
                    Just("## S".to_string()),
                    Just("```viz".to_string()),
                    Just("```quiz".to_string()),
                    Just("```".to_string()),
                    Just("{\"kind\": \"softmax\"}".to_string()),
                    Just("    code".to_string()),
                    "[ -~\u{1b}\u{9b}\u{feff}]{0,30}",
                ],
                0..40,
            )
        ) {
            let _ = llmf::course::parse_lesson("01-x.md", &lines.join("\n"), 0);
        }
    }
}

mod models;

/// `llmf class report` reads folders students' sessions write: bounded, never blocked by a
/// FIFO, names shown so none can hide or pose as another.
#[test]
fn the_class_report_reads_student_files_with_limits_and_shows_names_safely() {
    let home = tempfile::tempdir().unwrap();
    let class = tempfile::tempdir().unwrap();
    let students = class.path().join("students");
    let folder = |name: &str| {
        let dir = students.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    // Look-alikes: a zero-width space, a right-to-left override.
    folder("name-bob");
    folder("name-b%E2%80%8Bob");
    folder("name-%E2%80%AEevil");
    // A key student whose typed name holds a C1 CSI.
    let key = folder("key-abcdefghijklmnopqrstuvwxyz");
    std::fs::write(
        key.join("student.json"),
        serde_json::json!({"name": "x\u{9b}31m", "key": "SHA256:abcdefghijklmnopqrstuvwxyz"})
            .to_string(),
    )
    .unwrap();
    // A FIFO and a device where the files should be.
    let fifo_student = folder("name-fifo");
    for file in ["student.json", "progress.json"] {
        assert!(Command::new("mkfifo")
            .arg(fifo_student.join(file))
            .status()
            .unwrap()
            .success());
    }
    let zero = folder("name-zero");
    std::os::unix::fs::symlink("/dev/zero", zero.join("student.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", zero.join("progress.json")).unwrap();
    // A student.json far past its limit (sparse: nothing on disk).
    let big = folder("name-big");
    std::fs::File::create(big.join("student.json"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let class_dir = class.path().to_str().unwrap();
    let started = Instant::now();
    let run = llmf(&["class", "report", "--class", class_dir], home.path());
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(raw_control(&run.out), None, "{:?}", run.out);
    assert!(run.out.contains("b\\u{200b}ob"), "{}", run.out);
    assert!(run.out.contains("\\u{202e}evil"), "{}", run.out);
    assert!(!run.out.contains('\u{202e}') && !run.out.contains('\u{200b}'));
    assert!(run.out.contains("not a regular file"), "{}", run.out);
    let run = llmf(
        &["class", "report", "--json", "--class", class_dir],
        home.path(),
    );
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(raw_control(&run.out), None, "{:?}", run.out);
    assert!(run.out.contains("x\\u009b31m"), "{}", run.out);
    assert!(run.out.contains("\\u202eevil"), "{}", run.out);
    let v: serde_json::Value = serde_json::from_str(&run.out).expect("still valid JSON");
    assert_eq!(v["students"].as_array().unwrap().len(), 7);
}
