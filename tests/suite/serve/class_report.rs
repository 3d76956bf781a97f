//! The teacher's side over a real server: `llmf class report` and `class watch` on the class
//! folder students' sessions write.

use super::*;

#[test]
fn the_report_gives_each_questions_first_try_rate_lowest_first() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/class");
    let broken = Path::new(fixture).join("students/name-dan/progress.json");
    let before = std::fs::read(&broken).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llmf"))
        .args(["class", "report", "--json", "--class", fixture])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Answers in the fixture (lesson 01):
    //   why-subwords:   anna first try, bob first try, carol wrong  -> 2/3
    //   bpe-lowers:     anna 2 attempts, bob 3 attempts             -> 0/2
    //   byte-level-unk: bob first try                                -> 1/1
    let q = json["questions"].as_array().unwrap();
    let row = |i: usize| {
        (
            q[i]["id"].as_str().unwrap().to_string(),
            q[i]["first_try"].as_u64().unwrap(),
            q[i]["answered"].as_u64().unwrap(),
        )
    };
    assert_eq!(row(0), ("bpe-lowers".into(), 0, 2));
    assert_eq!(row(1), ("why-subwords".into(), 2, 3));
    assert_eq!(row(2), ("byte-level-unk".into(), 1, 1));
    assert!((q[1]["rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Unanswered questions follow, with no rate.
    assert_eq!(q[3]["answered"].as_u64(), Some(0));
    assert!(q[3]["rate"].is_null());

    let s = json["students"].as_array().unwrap();
    let by = |name: &str| {
        s.iter()
            .find(|r| r["student"] == name)
            .unwrap_or_else(|| panic!("no row for {name}: {json}"))
    };
    let anna = by("anna");
    assert_eq!(
        (anna["answered"].as_u64(), anna["first_try"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (anna["lesson"].as_str(), anna["step"].as_u64()),
        (Some("01"), Some(4))
    );
    let bob = by("bob");
    assert_eq!(
        (bob["lessons_done"].as_u64(), bob["lesson"].as_str()),
        (Some(1), Some("02"))
    );
    let carol = by("SHA256:AbC/d+9");
    assert_eq!(carol["name"].as_str(), Some("carol"));
    assert_eq!(
        (carol["answered"].as_u64(), carol["first_try"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(by("dan")["problem"].is_string());
    // The report only reads: the broken file is left exactly as it was.
    assert_eq!(std::fs::read(&broken).unwrap(), before);

    let table = Command::new(env!("CARGO_BIN_EXE_llmf"))
        .args(["class", "report", "--class", fixture])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("4 student(s)"), "{text}");
    let hardest = text.lines().position(|l| l.contains("bpe-lowers")).unwrap();
    let easiest = text
        .lines()
        .position(|l| l.contains("byte-level-unk"))
        .unwrap();
    assert!(hardest < easiest, "{text}");
}

#[test]
fn class_watch_prints_the_report_on_a_cleared_screen_until_stopped() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/class");
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmf"))
        .args(["class", "watch", "--every", "1", "--class", fixture])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&line);
            seen.push('\n');
            // Two refreshes: the screen is cleared before each.
            if seen.matches("\x1b[2J").count() >= 2 && line.contains("Ctrl-C stops") {
                let _ = tx.send(seen);
                break;
            }
        }
    });
    let seen = rx.recv_timeout(WAIT).expect("two refreshes in 10 s");
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("4 student(s)"), "{seen}");
    assert!(seen.contains("bpe-lowers"), "{seen}");
}
