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

/// Model files: written whole or not at all, read with bounds, checked before use.
mod models {
    use super::{llmf, llmf_within, raw_control, Run};
    use llmf::labs::lm::{io, Config, Data, Model};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// A small model made in-process (the tiny preset's shape), as a model file's bytes.
    fn model_bytes(seed: u64) -> Vec<u8> {
        let vocab = Data::corpus().vocab;
        let config = Config {
            vocab: vocab.len(),
            d_model: 16,
            layers: 1,
            heads: 2,
            context: 16,
        };
        io::model_bytes(&Model::new(config, vocab, seed).unwrap()).unwrap()
    }

    fn header(bytes: &[u8]) -> (usize, serde_json::Value) {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        (n, serde_json::from_slice(&bytes[8..8 + n]).unwrap())
    }

    /// The same file with its header's metadata `key` set to `value`.
    fn with_meta(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
        let (n, mut h) = header(bytes);
        h["__metadata__"][key] = value.into();
        let mut text = serde_json::to_string(&h).unwrap();
        while !text.len().is_multiple_of(8) {
            text.push(' ');
        }
        let mut out = (text.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&bytes[8 + n..]);
        out
    }

    fn path_str(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// How long a training run may take before the test calls it hung.
    const TRAINING: Duration = Duration::from_secs(120);

    /// `llmf train --preset tiny` writing `out` with `seed`.
    fn train_tiny(out: &Path, seed: &str, home: &Path) -> Run {
        llmf_within(
            &[
                "train",
                "--preset",
                "tiny",
                "--seed",
                seed,
                "--out",
                path_str(out),
            ],
            home,
            b"",
            TRAINING,
        )
    }

    fn temps_beside(out: &Path) -> Vec<String> {
        std::fs::read_dir(out.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".llmf-tmp-"))
            .collect()
    }

    #[test]
    fn links_and_odd_targets_are_refused_before_training() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        // A link at --out, and a link at the recipe's FILE.json.
        let link = dir.path().join("link.safetensors");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let recipe_link = dir.path().join("m.json");
        std::os::unix::fs::symlink(&victim, &recipe_link).unwrap();
        for out in [link.clone(), dir.path().join("m.safetensors")] {
            let started = Instant::now();
            let run = train_tiny(&out, "1", home.path());
            assert_eq!(run.code, 1, "{}", run.err);
            assert!(run.err.contains("is a symbolic link"), "{}", run.err);
            // Refused before a step is trained.
            assert!(!run.err.contains("about"), "{}", run.err);
            assert!(started.elapsed() < Duration::from_secs(5));
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(!dir.path().join("m.safetensors").exists());
        // A folder, a missing folder.
        let run = train_tiny(dir.path(), "1", home.path());
        assert!(
            run.code == 1 && run.err.contains("not a regular file"),
            "{}",
            run.err
        );
        let run = train_tiny(&dir.path().join("no/such/m.safetensors"), "1", home.path());
        assert!(
            run.code == 1 && run.err.contains("create it first"),
            "{}",
            run.err
        );
    }

    #[test]
    fn a_run_killed_midway_through_its_write_leaves_the_previous_model() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.safetensors");
        let before = model_bytes(1);
        std::fs::write(&out, &before).unwrap();
        let recipe_before = b"{\"the\": \"previous recipe\"}";
        std::fs::write(dir.path().join("m.json"), recipe_before).unwrap();
        // A file-size limit of 2 KB kills the process (SIGXFSZ) in the middle of writing
        // the ~24 KB model: the same as kill -9 at that moment, but every time.
        let status = Command::new("sh")
            .arg("-c")
            .arg("ulimit -f 4 && exec \"$0\" train --preset tiny --seed 2 --out \"$1\"")
            .arg(env!("CARGO_BIN_EXE_llmf"))
            .arg(&out)
            .env("LLMF_HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.code().is_none(), "killed by a signal: {status:?}");
        assert_eq!(std::fs::read(&out).unwrap(), before, "the previous model");
        assert_eq!(
            std::fs::read(dir.path().join("m.json")).unwrap(),
            recipe_before
        );
        assert_eq!(
            temps_beside(&out).len(),
            1,
            "the killed run's temporary file"
        );
        // The next run replaces the model whole and clears what the killed one left.
        let run = train_tiny(&out, "2", home.path());
        assert_eq!(run.code, 0, "{}", run.err);
        let after = std::fs::read(&out).unwrap();
        assert_ne!(after, before);
        io::load_model(&after, "m").expect("a whole model");
        assert!(temps_beside(&out).is_empty(), "{:?}", temps_beside(&out));
    }

    #[test]
    fn kill_9_at_any_moment_leaves_a_whole_model() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.safetensors");
        let started = Instant::now();
        assert_eq!(train_tiny(&out, "1", home.path()).code, 0);
        let whole_run = started.elapsed();
        // Kills near the end of the run, where the writes are.
        for trial in 1..=2u32 {
            let mut child = Command::new(env!("CARGO_BIN_EXE_llmf"))
                .args(["train", "--preset", "tiny", "--seed"])
                .arg((trial + 1).to_string())
                .arg("--out")
                .arg(&out)
                .env("LLMF_HOME", home.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(whole_run.mul_f64(0.8 + 0.15 * f64::from(trial)));
            let _ = child.kill();
            let _ = child.wait();
            let now = std::fs::read(&out).unwrap();
            io::load_model(&now, "m").expect("after kill -9, a whole model");
        }
    }

    #[test]
    fn a_full_disk_leaves_the_previous_model_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.safetensors");
        std::fs::write(&old, model_bytes(1)).unwrap();
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).unwrap();
        // A 40 KB tmpfs in a private mount namespace holds the old model (24 KB) but not a
        // second one beside it.
        let script = "mount -t tmpfs -o size=40k tmpfs \"$1\" || exit 77
            cp \"$2\" \"$1/m.safetensors\"
            LLMF_HOME=\"$1\" \"$0\" train --preset tiny --seed 2 --out \"$1/m.safetensors\" 2>\"$1/err\"
            echo \"rc=$?\"
            cmp -s \"$2\" \"$1/m.safetensors\" && echo intact
            ls -a \"$1\"
            cat \"$1/err\"";
        let out = Command::new("unshare")
            .args(["-Urm", "sh", "-c", script])
            .arg(env!("CARGO_BIN_EXE_llmf"))
            .arg(&mnt)
            .arg(&old)
            .output();
        let Some(out) = out.ok().filter(|o| o.status.success()) else {
            eprintln!(
                "skipped: no private tmpfs here (unshare -Urm); io.rs's unit test injects ENOSPC"
            );
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("rc=1"), "{text}");
        assert!(text.contains("intact"), "{text}");
        assert!(!text.contains("llmf-tmp"), "{text}");
        assert!(
            text.contains("cannot write") && text.contains("unchanged"),
            "{text}"
        );
    }

    /// Runs `llmf generate --model FILE hi` on `bytes`.
    fn generate_with(bytes: &[u8], home: &Path) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.safetensors");
        std::fs::write(&file, bytes).unwrap();
        llmf(
            &[
                "generate",
                "--model",
                path_str(&file),
                "--tokens",
                "5",
                "hi",
            ],
            home,
        )
    }

    #[test]
    fn hostile_headers_are_refused_before_anything_is_allocated() {
        let home = tempfile::tempdir().unwrap();
        let good = model_bytes(1);
        let vocab = Data::corpus().vocab.len();
        let shape = |d: u64, layers: u64, heads: u64, context: u64| {
            format!(
                "{{\"vocab\":{vocab},\"d_model\":{d},\"layers\":{layers},\"heads\":{heads},\"context\":{context}}}"
            )
        };
        let cases = [
            (
                shape(16, 1, 2, 1_000_000_000_000),
                "context 1000000000000 is over",
            ),
            (shape(1 << 32, 1, 2, 16), "d_model 4294967296 is over"),
            (
                shape(1 << 62, 1, 2, 16),
                "d_model 4611686018427387904 is over",
            ),
            (shape(65_536, 1000, 2, 16), "d_model 65536 is over"),
            (shape(16, 1000, 2, 16), "layers 1000 is over"),
            (shape(16, 1, 1000, 16), "heads 1000 is over"),
            // Every dimension within its limit, the total not.
            (shape(1024, 32, 32, 1024), "parameters is over"),
        ];
        for (config, expected) in cases {
            let started = Instant::now();
            let run = generate_with(&with_meta(&good, "config", &config), home.path());
            assert_eq!(run.code, 1, "{config}: {}", run.err);
            assert!(run.err.contains(expected), "{config}: {}", run.err);
            assert!(run.err.contains("limit"), "{}", run.err);
            assert!(!run.err.contains("panicked"), "{}", run.err);
            assert!(started.elapsed() < Duration::from_secs(5), "{config}");
        }
        // A header that claims more than the file holds, or a file far longer than its shape.
        let mut lying = good.clone();
        lying[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let run = generate_with(&lying, home.path());
        assert!(
            run.code == 1 && run.err.contains("not a model file"),
            "{}",
            run.err
        );
        let dir = tempfile::tempdir().unwrap();
        let padded = dir.path().join("padded.safetensors");
        std::fs::write(&padded, &good).unwrap();
        // Sparse: a gigabyte on paper, nothing on disk.
        std::fs::File::options()
            .write(true)
            .open(&padded)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let run = llmf(
            &[
                "generate",
                "--model",
                path_str(&padded),
                "--tokens",
                "5",
                "hi",
            ],
            home.path(),
        );
        assert!(
            run.code == 1 && run.err.contains("its header's shape needs"),
            "{}",
            run.err
        );
    }

    #[test]
    fn control_characters_in_the_alphabet_and_non_finite_weights_are_refused() {
        let home = tempfile::tempdir().unwrap();
        let good = model_bytes(1);
        let (n, h) = header(&good);
        let alphabet = h["__metadata__"]["alphabet"].as_str().unwrap().to_string();
        for bad in ['\u{1b}', '\u{7}', '\u{7f}', '\u{9b}'] {
            let hostile = alphabet.replacen('A', &bad.to_string(), 1);
            let run = generate_with(&with_meta(&good, "alphabet", &hostile), home.path());
            assert_eq!(run.code, 1, "{bad:?}");
            assert!(run.err.contains("control character"), "{}", run.err);
            assert_eq!(raw_control(&run.err), None, "{:?}", run.err);
        }
        for value in [f32::NAN, f32::INFINITY] {
            let mut broken = good.clone();
            broken[8 + n..8 + n + 4].copy_from_slice(&value.to_le_bytes());
            let run = generate_with(&broken, home.path());
            assert_eq!(run.code, 1, "{value}");
            assert!(run.err.contains(&format!("holds {value}")), "{}", run.err);
        }
        // The same file untouched generates.
        assert_eq!(generate_with(&good, home.path()).code, 0);
    }

    #[test]
    fn fifos_and_devices_are_refused_at_once_wherever_a_model_or_text_is_read() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let text = dir.path().join("text.txt");
        std::fs::write(&text, "some text to learn from. ".repeat(40)).unwrap();
        let out = dir.path().join("o.safetensors");
        for special in [path_str(&fifo), "/dev/zero"] {
            let runs: [&[&str]; 4] = [
                &["generate", "--model", special, "hi"],
                &[
                    "train",
                    "--from",
                    special,
                    "--data",
                    path_str(&text),
                    "--out",
                    path_str(&out),
                ],
                &[
                    "train",
                    "--resume",
                    special,
                    "--preset",
                    "tiny",
                    "--out",
                    path_str(&out),
                ],
                &[
                    "train",
                    "--from",
                    "base",
                    "--data",
                    special,
                    "--out",
                    path_str(&out),
                ],
            ];
            for args in runs {
                let started = Instant::now();
                let run = llmf(args, home.path());
                assert_eq!(run.code, 1, "{args:?}: {}", run.err);
                assert!(
                    run.err.contains("not a regular file"),
                    "{args:?}: {}",
                    run.err
                );
                assert!(started.elapsed() < Duration::from_secs(5), "{args:?}");
            }
        }
        assert!(!out.exists());
    }

    #[test]
    fn prompts_and_text_reach_the_terminal_escaped_in_text_and_json() {
        let home = tempfile::tempdir().unwrap();
        let prompt = format!("The {}", super::HOSTILE);
        let run = llmf(&["generate", "--tokens", "20", &prompt], home.path());
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(raw_control(&run.out), None, "{:?}", run.out);
        assert_eq!(raw_control(&run.err), None, "{:?}", run.err);
        assert!(run.out.contains("\\u{9b}"), "{}", run.out);
        let run = llmf(
            &["generate", "--json", "--tokens", "5", &prompt],
            home.path(),
        );
        assert_eq!(run.code, 0, "{}", run.err);
        assert_eq!(raw_control(&run.out), None, "{:?}", run.out);
        assert!(run.out.contains("\\u009b"), "{}", run.out);
        let v: serde_json::Value = serde_json::from_str(&run.out).unwrap();
        assert_eq!(v["prompt"].as_str(), Some(prompt.as_str()));
        // A file name with controls, in an error.
        let name = format!("/nonexistent/{}", super::HOSTILE);
        let run = llmf(&["generate", "--model", &name, "hi"], home.path());
        assert_eq!(run.code, 1);
        assert_eq!(raw_control(&run.err), None, "{:?}", run.err);
    }

    #[test]
    fn tiny_temperatures_sample_greedily_and_say_so() {
        let home = tempfile::tempdir().unwrap();
        let greedy = llmf(
            &["generate", "--temperature", "0", "--tokens", "40", "The "],
            home.path(),
        );
        for t in ["1e-30", "1e-320", "0.0009"] {
            let run = llmf(
                &["generate", "--temperature", t, "--tokens", "40", "The "],
                home.path(),
            );
            assert_eq!(run.code, 0, "{t}: {}", run.err);
            assert!(run.err.contains("sampling greedily"), "{t}: {}", run.err);
            assert_eq!(run.out, greedy.out, "{t}");
        }
    }

    #[test]
    fn a_full_output_is_reported_not_a_panic() {
        let home = tempfile::tempdir().unwrap();
        let Ok(full) = std::fs::File::options().write(true).open("/dev/full") else {
            eprintln!("skipped: no /dev/full");
            return;
        };
        let commands: [&[&str]; 8] = [
            &["generate", "--tokens", "20", "The"],
            &["generate", "--json", "--tokens", "5", "The"],
            &["render", "06"],
            &["keys"],
            &["progress"],
            &["attention", "one two three"],
            &["tokenize", "some text"],
            &["class", "report", "--class", "/nonexistent-class"],
        ];
        for args in commands {
            let out = Command::new(env!("CARGO_BIN_EXE_llmf"))
                .args(args)
                .env("LLMF_HOME", home.path())
                .stdout(full.try_clone().unwrap())
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("cannot write"), "{args:?}: {err}");
        }
    }

    #[test]
    fn fine_tuning_writes_its_recipe_beside_the_model() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("text.txt");
        std::fs::write(&text, "The cat sat on the mat. ".repeat(40)).unwrap();
        let out = dir.path().join("x");
        let run = llmf_within(
            &[
                "train",
                "--from",
                "base",
                "--data",
                path_str(&text),
                "--steps",
                "1",
                "--out",
                path_str(&out),
            ],
            home.path(),
            b"",
            TRAINING,
        );
        assert_eq!(run.code, 0, "{}", run.err);
        let recipe: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("x.json")).unwrap()).unwrap();
        assert_eq!(recipe["from"], "base");
        assert_eq!(recipe["steps"], 1);
        assert_eq!(recipe["data_chars"], 960);
        assert!(recipe["held_out_loss_after"].as_f64().unwrap() > 0.0);
        io::load_model(&std::fs::read(&out).unwrap(), "x").unwrap();
    }
}

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
