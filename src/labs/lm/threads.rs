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
//! So the lab sets `CANDLE_NUM_THREADS=1` before its first candle operation (the barrier pool
//! then has no workers and runs inline), and [`single_threaded`] runs work inside a rayon pool
//! of one thread, so gemm's tasks all run on that thread.
//!
//! It also sets `RAYON_NUM_THREADS=1`, after building rayon's global pool at its default size
//! (so the tokenizer labs, which train on that pool, keep every core). Without it, candle works
//! out the number of physical cores on every matrix product, and on Linux that reads
//! `/proc/cpuinfo`: measured, about a tenth of the demo model's training step went there, and
//! gemm split each small product into tasks only to run them on the same thread.

use std::sync::Once;

static LIMIT: Once = Once::new();

/// Tells candle's element-wise pool and matrix products to use no extra threads. Called by every entry point of
/// the lab before candle runs anything; a no-op after the first call.
pub fn limit_candle_threads() {
    LIMIT.call_once(|| {
        // Set once, before candle reads them; candle reads them through std::env, which locks.
        std::env::set_var("CANDLE_NUM_THREADS", "1");
        // The global pool reads RAYON_NUM_THREADS once, when built: build it first (an error
        // only means it already exists, at whatever size it was given).
        let _ = rayon::ThreadPoolBuilder::new().build_global();
        std::env::set_var("RAYON_NUM_THREADS", "1");
    });
}

/// Runs `work` with candle limited to the calling thread's pool of one.
pub fn single_threaded<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    limit_candle_threads();
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(work),
        // Building a pool only fails if the OS refuses a thread; run here instead.
        Err(_) => work(),
    }
}

/// Which of gemm's matrix-product kernels this CPU runs: "AVX-512", "AVX2+FMA" or "baseline"
/// on x86-64 (gemm picks at run time; the project builds gemm with its `x86-v4` kernels), the
/// architecture's name elsewhere. A recipe records it because kernels of different widths
/// add a product's terms in different groupings: the same training gives weights that differ
/// in their last bits on a CPU of another kind, so "byte for byte" holds between CPUs of the
/// same kind only.
pub fn matmul_kernel() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
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
