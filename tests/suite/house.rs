//! Facts about the build that documents state and nothing else would notice changing: the
//! Rust version the lock file needs, the matrix-product kernels candle runs, the thread
//! limits every process cargo starts runs with, and that every visualizer kind declares its
//! controls once instead of matching them by position.

use serde_json::Value;
use std::process::Command;

/// The platform the tests run on, as rustc names it (`x86_64-unknown-linux-gnu`).
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

/// `cargo metadata` for this package, from the lock file and the local registry only, for
/// this platform (a fresh machine holds only the crates its own build needs, not the
/// Android or Windows ones the lock file also lists).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let host = host_triple();
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn version_parts(v: &str) -> (u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn rust_version_is_the_newest_any_locked_dependency_needs() {
    let meta = metadata();
    let packages = meta["packages"].as_array().expect("packages");
    let ours = packages
        .iter()
        .find(|p| p["name"] == env!("CARGO_PKG_NAME"))
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml declares rust-version");
    let (needed, by) = packages
        .iter()
        .filter(|p| p["name"] != env!("CARGO_PKG_NAME"))
        .filter_map(|p| {
            Some((
                version_parts(p["rust_version"].as_str()?),
                p["name"].as_str()?,
            ))
        })
        .max()
        .expect("some dependency declares a rust-version");
    assert_eq!(
        version_parts(ours),
        needed,
        "Cargo.toml: rust-version = \"{ours}\", but the lock file needs {}.{} (for {by}); \
         set rust-version to what the dependencies need",
        needed.0,
        needed.1
    );
}

#[test]
fn candles_matrix_products_run_on_the_gemm_built_with_avx512_kernels() {
    let meta = metadata();
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve nodes");
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id);
    let candle = nodes
        .iter()
        .find(|n| {
            n["id"]
                .as_str()
                .is_some_and(|id| id.contains("candle-core"))
        })
        .expect("candle-core is in the build");
    let gemm_id = candle["deps"]
        .as_array()
        .expect("candle's deps")
        .iter()
        .find(|d| d["name"] == "gemm")
        .and_then(|d| d["pkg"].as_str())
        .expect("candle-core multiplies with gemm: if it no longer does, Cargo.toml's gemm line has no reason left");
    let features = node(gemm_id).expect("gemm's node")["features"].clone();
    assert!(
        features
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "x86-v4")),
        "the gemm candle uses ({gemm_id}) is built without `x86-v4`: Cargo.toml's gemm line must \
         name the version candle uses and its default `avx512` feature turn on gemm/x86-v4, or \
         the AVX-512 kernels are off; features: {features}"
    );
}

#[test]
fn cargo_starts_every_process_with_the_apps_thread_limits() {
    for (name, value) in llmf::labs::lm::threads::CANDLE_THREAD_ENV {
        assert_eq!(
            std::env::var(name).as_deref(),
            Ok(value),
            ".cargo/config.toml [env] must set {name} = \"{value}\", as the app's main does"
        );
    }
}

/// The library's top-level modules from the bottom up: each may import only those before it
/// (`src/lib.rs` says the same in words). `check` sits on top because it draws panels to
/// measure them.
const LAYERS: &[&str] = &[
    "text", "jobs", "course", "labs", "viz", "progress", "app", "keymap", "ui", "driver", "check",
];

/// Every `crate::MODULE` a source file names, with its line, outside comments.
fn crate_paths(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let starts_word = at == 0
                || !rest[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
            if starts_word && !name.is_empty() {
                found.push((i + 1, name));
            }
            rest = after;
        }
    }
    found
}

/// The source up to its unit-test module (`#[cfg(test)]` on the line before a `mod … {`).
fn shipped_part(source: &str) -> &str {
    let mut at = 0;
    let mut lines = source.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let next = lines.peek().copied().unwrap_or("");
        if line.trim() == "#[cfg(test)]" && next.contains("mod ") && next.trim_end().ends_with('{')
        {
            return &source[..at];
        }
        at += line.len();
    }
    source
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The layers hold: no module of the library imports one above it (the app never reaches
/// for the drawing code, the labs never for the visualizers), and every top-level module has
/// a place in [`LAYERS`]. An arrow pointing up fails here with its file and line. Unit tests
/// (a `#[cfg(test)] mod` at the end of a file, or a `tests` module file) are not held to it.
#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let rank = |name: &str| LAYERS.iter().position(|l| *l == name);
    let mut wrong = Vec::new();
    let mut seen_tops = std::collections::BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.iter().next().unwrap().to_string_lossy().into_owned();
        let top = top.trim_end_matches(".rs").to_string();
        if ["lib", "main", "cli"].contains(&top.as_str()) {
            continue;
        }
        seen_tops.insert(top.clone());
        let Some(own) = rank(&top) else {
            wrong.push(format!(
                "src/{}: module `{top}` has no layer in LAYERS",
                rel.display()
            ));
            continue;
        };
        // Unit tests may draw what they check (a panel's height at 80 columns): only the code
        // that ships is held to the layers.
        if rel.iter().any(|part| part == "tests" || part == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in crate_paths(shipped_part(&text)) {
            if let Some(theirs) = rank(&used) {
                if theirs > own {
                    wrong.push(format!(
                        "src/{}:{line}: `{top}` imports `crate::{used}`, a layer above it",
                        rel.display()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(seen_tops.len() >= LAYERS.len(), "{seen_tops:?}");
}

#[test]
fn the_import_scanner_stops_at_the_unit_tests() {
    let source =
        "use crate::viz::a;\n#[cfg(test)]\npub(crate) mod tests {\n    use crate::ui::b;\n}\n";
    assert_eq!(shipped_part(source), "use crate::viz::a;\n");
    let helper = "#[cfg(test)]\nfn helper() {}\nuse crate::ui::c;\n";
    assert_eq!(
        shipped_part(helper),
        helper,
        "a test-only function is not the test module"
    );
}

#[test]
fn the_import_scanner_sees_paths_and_skips_comments() {
    let found =
        crate_paths("use crate::ui::x; // crate::app\nlet a = $crate::text::y; foo(crate::viz::z)");
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["ui", "viz"]);
}

/// A kind declares each control once (`viz::Controls::declare`); the panel's list, stepping
/// and typing derive from it. None writes a list of controls and a move matched to it by
/// position, which drift apart unnoticed.
#[test]
fn no_kind_matches_its_controls_by_position() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/viz/kinds");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(files.len() > 40, "the kinds are in {}", dir.display());
    let by_hand = [
        "fn adjust(&mut self, index",
        "fn controls(&self) -> Vec<",
        "fn set_text(&mut self, index",
        "impl Panel for",
    ];
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("the file reads");
        for pattern in by_hand {
            if text.contains(pattern) {
                found.push(format!("{}: {pattern}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "declare controls with viz::Controls (see src/viz/knob.rs): {found:#?}"
    );
}
