//! Model files: written whole or not at all, read with bounds, checked before use.

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
