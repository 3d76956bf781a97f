//! Keeping candle's CPU work on one thread.
//!
//! Candle 0.11 can use more threads in two places, found by reading its source:
//! - matrix products call `gemm` with `Parallelism::Rayon(n)`, n from
//!   `candle_core::utils::get_num_threads()` (the `RAYON_NUM_THREADS` variable, else the number
//!   of physical cores); gemm then splits the product over the *current* rayon pool;
//! - element-wise operations on 64K elements or more go to candle's own "barrier pool", whose
//!   size is read once, from `CANDLE_NUM_THREADS` (else `RAYON_NUM_THREADS`, else the cores),
//!   when it is first used.
//!
//! So the process sets `CANDLE_NUM_THREADS=1` (the barrier pool then has no workers and runs
//! inline) and `RAYON_NUM_THREADS=1` once, in [`set_at_start`], which `main` calls before any
//! thread exists; [`single_threaded`] then runs work inside a rayon pool of one thread, so
//! gemm's tasks all run on that thread. Without `RAYON_NUM_THREADS`, candle works out the
//! number of physical cores on every matrix product, and on Linux that reads `/proc/cpuinfo`
//! (a noticeable share of a small model's training step), and gemm splits each small product
//! into tasks only to run them on the same thread.
//!
//! Nothing here edits the environment later: `std::env::set_var` while other threads run is
//! unsound (they may be reading it), which is why the library leaves it to `main`. A program
//! that skips [`set_at_start`] (the tests, which get the same two variables from
//! `.cargo/config.toml`) computes the same numbers, only more slowly.

/// The two variables candle reads for its thread counts, with the values the lab runs with.
pub const CANDLE_THREAD_ENV: [(&str, &str); 2] =
    [("CANDLE_NUM_THREADS", "1"), ("RAYON_NUM_THREADS", "1")];

/// Sets candle's thread limits. Call it first thing in `main`, while the process has only its
/// main thread: setting the environment is sound only then. It starts no thread: opening the
/// course should not wait for a pool it may never use ([`spread`] builds one on first use).
pub fn set_at_start() {
    for (name, value) in CANDLE_THREAD_ENV {
        std::env::set_var(name, value);
    }
}

/// Runs `work` in a pool of one thread per core, built the first time it is asked for: the
/// tokenizer labs train there (the `tokenizers` crate spreads its counting over the current
/// rayon pool, and rayon's global pool would read `RAYON_NUM_THREADS=1`).
pub fn spread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("llmf-spread-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(work),
        // Building a pool only fails if the OS refuses a thread; run here instead.
        None => work(),
    }
}

/// Runs `work` with candle limited to the calling thread's pool of one.
pub fn single_threaded<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(work),
        // Building a pool only fails if the OS refuses a thread; run here instead.
        Err(_) => work(),
    }
}

/// Which of gemm's matrix-product kernels this CPU runs: "AVX-512", "AVX2+FMA" or "baseline"
/// on x86-64 (gemm picks at run time; the project builds gemm with its `x86-v4` kernels unless
/// built without its default `avx512` feature), the architecture's name elsewhere. A recipe records it because kernels of different widths
/// add a product's terms in different groupings: the same training gives weights that differ
/// in their last bits on a CPU of another kind, so "byte for byte" holds between CPUs of the
/// same kind only.
pub fn matmul_kernel() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if cfg!(feature = "avx512") && std::arch::is_x86_feature_detected!("avx512f") {
            "AVX-512"
        } else if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            "AVX2+FMA"
        } else {
            "baseline"
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}
