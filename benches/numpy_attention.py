"""One head of attention at n = 512, d = 64 in numpy (f32, one BLAS thread), for comparison
with `cargo bench --bench render -- attention/one_head_n512_d64_f32_timed_path`.

Same computation as llmf's timed path: S = Q·Kᵀ/√d, row-wise softmax (max subtracted), S·V.
Run: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python3 benches/numpy_attention.py
Prints the median and the best of 300 runs in ms.
"""
import os, statistics, time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np

n, d = 512, 64
rng = np.random.default_rng(1)
q, k, v = (rng.standard_normal((n, d)).astype(np.float32) for _ in range(3))
scale = np.float32(1.0 / np.sqrt(d))


def head():
    s = (q @ k.T) * scale
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ v


for _ in range(20):
    head()
times = []
for _ in range(300):
    t = time.perf_counter()
    head()
    times.append((time.perf_counter() - t) * 1e3)
print(f"numpy {np.__version__} n={n} d={d} f32: median {statistics.median(times):.3f} ms, best {min(times):.3f} ms")
