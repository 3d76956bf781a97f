//! Facts about the build that documents state and nothing else would notice changing: the
//! Rust version the lock file needs, the matrix-product kernels candle runs, and the thread
//! limits every process cargo starts runs with.

use serde_json::Value;
use std::process::Command;

/// `cargo metadata` for this package, from the lock file and the local registry only.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
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
