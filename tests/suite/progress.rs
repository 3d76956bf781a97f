//! The progress file: missing, corrupt, read-only, and two writers at once.

use llmf::progress::{AnswerRecord, Progress, Store, FILE_NAME};
use std::fs;

fn sample(slug: &str, step: usize, quiz: &str) -> Progress {
    let mut p = Progress {
        current: Some(slug.to_string()),
        ..Progress::default()
    };
    let l = p.lesson_mut(slug);
    l.step = step;
    l.visited.insert(step);
    l.answers.insert(
        quiz.to_string(),
        AnswerRecord {
            correct: true,
            attempts: 1,
            first_try: true,
        },
    );
    p
}

#[test]
fn missing_file_starts_fresh_and_save_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("nested/llmf");
    let (mut store, progress, messages) = Store::open(Some(home.clone()));
    assert_eq!(progress, Progress::default());
    assert!(messages.is_empty(), "{messages:?}");
    let mut p = sample("matmul", 3, "q1");
    store.save(&mut p);
    assert!(store.warning.is_none(), "{:?}", store.warning);
    let (_, reread, _) = Store::open(Some(home));
    assert_eq!(reread.lesson("matmul").map(|l| l.step), Some(3));
    assert_eq!(reread.current.as_deref(), Some("matmul"));
}

#[test]
fn corrupt_file_is_moved_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(FILE_NAME), "{ this is not json").unwrap();
    let (mut store, progress, messages) = Store::open(Some(dir.path().to_path_buf()));
    assert_eq!(progress, Progress::default());
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("unreadable"), "{}", messages[0]);
    let aside: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "the broken file is kept beside");
    assert_eq!(
        fs::read_to_string(aside[0].path()).unwrap(),
        "{ this is not json"
    );
    let mut p = sample("softmax", 1, "a");
    store.save(&mut p);
    assert!(store.warning.is_none());
}

#[test]
fn read_only_home_keeps_working_with_a_warning() {
    // Running as root ignores permission bits, so use a path under a regular file instead:
    // no folder can ever be created there.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let (mut store, progress, messages) = Store::open(Some(blocker.join("llmf")));
    assert_eq!(progress, Progress::default());
    assert!(messages.is_empty());
    let mut p = sample("matmul", 2, "q");
    store.save(&mut p);
    let warning = store.warning.clone().unwrap_or_default();
    assert!(warning.starts_with("progress not saved"), "{warning}");
    // The learner's in-memory progress is intact.
    assert_eq!(p.lesson("matmul").map(|l| l.step), Some(2));
}

#[test]
fn two_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let (mut a, _, _) = Store::open(Some(home.clone()));
    let (mut b, _, _) = Store::open(Some(home.clone()));
    let mut pa = sample("matmul", 4, "flops");
    let mut pb = sample("attention-math", 2, "softmax-shift");
    a.save(&mut pa);
    b.save(&mut pb);
    let (_, merged, _) = Store::open(Some(home.clone()));
    assert!(merged
        .lesson("matmul")
        .is_some_and(|l| l.answers.contains_key("flops")));
    assert!(merged
        .lesson("attention-math")
        .is_some_and(|l| l.answers.contains_key("softmax-shift")));

    // Many threads writing at once: every lesson survives.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let home = home.clone();
            std::thread::spawn(move || {
                let (mut s, _, _) = Store::open(Some(home));
                for round in 0..5 {
                    let mut p = sample(&format!("lesson-{i}"), round, &format!("q{round}"));
                    s.save(&mut p);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let (_, all, _) = Store::open(Some(home));
    for i in 0..8 {
        let l = all
            .lesson(&format!("lesson-{i}"))
            .expect("every writer's lesson is kept");
        assert_eq!(l.answers.len(), 5, "lesson-{i}: {:?}", l.answers.keys());
    }
}

#[test]
fn reset_clears_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, _) = Store::open(Some(dir.path().to_path_buf()));
    store.save(&mut sample("matmul", 1, "q"));
    store.reset().unwrap();
    let (_, p, _) = Store::open(Some(dir.path().to_path_buf()));
    assert_eq!(p, Progress::default());
}

#[test]
fn the_progress_command_summarises_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, _) = Store::open(Some(dir.path().to_path_buf()));
    store.save(&mut sample("attention-math", 2, "softmax-invariance"));
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write as _;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_llmf"))
            .args(args)
            .env("LLMF_HOME", dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, out) = run(&["progress"], "");
    assert!(ok);
    let row = out
        .lines()
        .find(|l| l.contains("attention-math"))
        .unwrap_or_default()
        .to_string();
    assert!(
        row.contains("steps seen  1/11")
            && row.contains("questions right 1/4")
            && row.contains("you are here (step 3)"),
        "{out}"
    );
    let (_, out) = run(&["progress", "--reset"], "no\n");
    assert!(out.contains("Nothing cleared"), "{out}");
    assert!(dir.path().join(FILE_NAME).exists());
    let (_, out) = run(&["progress", "--reset"], "yes\n");
    assert!(out.contains("Progress cleared"), "{out}");
    assert!(!dir.path().join(FILE_NAME).exists());
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_link_planted_at_a_temporary_name_is_removed_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious").unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    // The name the old code used, and a few more an attacker might try.
    for name in [
        format!("{FILE_NAME}.tmp-{}", std::process::id()),
        format!("{FILE_NAME}.tmp-0000000000000000"),
    ] {
        std::os::unix::fs::symlink(&victim, home.join(name)).unwrap();
    }
    let (mut store, _, _) = Store::open(Some(home.clone()));
    store.save(&mut sample("matmul", 1, "q"));
    assert!(store.warning.is_none(), "{:?}", store.warning);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(
        names(&home),
        ["progress.json", "progress.lock"],
        "stale names cleaned"
    );
}

#[test]
fn a_link_planted_at_the_lock_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("created-by-llmf");
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    std::os::unix::fs::symlink(&target, home.join("progress.lock")).unwrap();
    let (mut store, _, _) = Store::open(Some(home.clone()));
    store.save(&mut sample("matmul", 1, "q"));
    assert!(!target.exists(), "the link's target must not be created");
    let warning = store.warning.unwrap_or_default();
    assert!(warning.contains("progress.lock"), "{warning}");
}

#[test]
fn two_corrupt_files_in_the_same_second_keep_both_backups() {
    let dir = tempfile::tempdir().unwrap();
    for text in ["{ first", "{ second"] {
        fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let (_, _, messages) = Store::open(Some(dir.path().to_path_buf()));
        assert_eq!(messages.len(), 1, "{messages:?}");
    }
    let kept: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.contains(".corrupt-"))
        .map(|n| fs::read_to_string(dir.path().join(n)).unwrap())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.contains(&"{ first".to_string()) && kept.contains(&"{ second".to_string()));
}

#[test]
fn values_out_of_range_are_refused_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        r#"{"version":1,"current":"matmul","lessons":{"matmul":{"step":18446744073709551615}}}"#;
    fs::write(dir.path().join(FILE_NAME), text).unwrap();
    let (_, progress, messages) = Store::open(Some(dir.path().to_path_buf()));
    assert_eq!(progress, Progress::default());
    assert!(
        messages[0].contains("step number is over 1000"),
        "{messages:?}"
    );
    // Kept aside for the learner, not lost.
    assert!(names(dir.path()).iter().any(|n| n.contains(".corrupt-")));
}

#[test]
fn a_progress_file_past_its_limit_is_set_aside_and_saving_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let padding = " ".repeat(2 << 20);
    fs::write(dir.path().join(FILE_NAME), format!("{{{padding}}}")).unwrap();
    let (mut store, progress, messages) = Store::open(Some(dir.path().to_path_buf()));
    assert_eq!(progress, Progress::default());
    assert!(messages[0].contains("larger than 1 MiB"), "{messages:?}");
    store.save(&mut sample("matmul", 1, "q"));
    assert!(store.warning.is_none());
}

#[test]
fn the_file_is_written_compactly_and_a_bom_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, _) = Store::open(Some(dir.path().to_path_buf()));
    store.save(&mut sample("matmul", 2, "q"));
    let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    assert!(!text.contains('\n') && !text.contains("  "), "{text}");
    fs::write(dir.path().join(FILE_NAME), format!("\u{feff}{text}")).unwrap();
    let (_, progress, messages) = Store::open(Some(dir.path().to_path_buf()));
    assert!(messages.is_empty(), "{messages:?}");
    assert_eq!(progress.lesson("matmul").map(|l| l.step), Some(2));
}
