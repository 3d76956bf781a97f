"""Shares of a training step's time by part, from a perf profile with call graphs.

Record with symbols kept (the release profile strips them; `cargo rustc` relinks one target
without stripping, the libraries unchanged):

    cargo rustc --profile bench --bench demo_step -- -C strip=none
    perf record -F 499 --call-graph dwarf,16384 -o base.data -- target/release/deps/demo_step-HASH base
    perf script -i base.data > base.txt
    python3 benches/perf_shares.py base.txt

(`cargo rustc --release --example finetune_timing -- -C strip=none` does the same for the
fine-tuning step.) Each sample's call chain is read leaf first and the first frame that names a
part decides it ("self"); memcpy/memset frames pass the sample up to whoever called them.
"Inclusive" counts every sample with the part anywhere in its chain (a product inside the
attention op counts for both).
"""

import re, sys, collections

PARTS = [
    ("allocation", re.compile(r"\bmi_|_mi_|mimalloc|__rust_alloc|__rust_dealloc|__rdl_|\bmalloc\b|\bfree\b|asm_exc_page_fault|clear_page|do_anonymous_page|mmap|munmap|madvise")),
    ("matrix products (gemm)", re.compile(r"gemm")),
    ("attention (fused op)", re.compile(r"attention|CausalAttention")),
    ("layer norm", re.compile(r"layer_norm|LayerNorm")),
    ("cross-entropy", re.compile(r"cross_entropy|Nll")),
    ("optimizer (AdamW)", re.compile(r"lm::optim::")),
    ("bias and ReLU (fused; in the linear layers' ops too)", re.compile(r"AddRows|add_rows|Relu|relu|fused::linear::|fused::low_rank::")),
    ("frozen matmul (LoRA)", re.compile(r"frozen::|FrozenMatmul")),
]
PASS = re.compile(r"memcpy|memmove|memset")

counts = collections.Counter()
inclusive = collections.Counter()
total = 0
chain = []

def flush():
    global total
    if not chain:
        return
    total += 1
    for name, pat in PARTS:
        if any(pat.search(sym) for sym in chain):
            inclusive[name] += 1
    for sym in chain:
        if PASS.search(sym):
            continue
        for name, pat in PARTS:
            if pat.search(sym):
                counts[name] += 1
                return
    leaf = chain[0]
    counts["copies (memcpy/memset)" if PASS.search(leaf) else "other (candle element-wise ops, autograd bookkeeping, …)"] += 1

for line in open(sys.argv[1], errors="replace"):
    if not line.strip():
        flush(); chain = []
        continue
    if line.startswith((" ", "\t")):
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            chain.append(parts[1])
    else:
        flush(); chain = []
flush()
print(f"{total} samples")
print("self (the innermost part named in the chain):")
for name, n in counts.most_common():
    print(f"{100 * n / total:5.1f}%  {name}")
print("inclusive (any frame of the chain):")
for name, n in inclusive.most_common():
    print(f"{100 * n / total:5.1f}%  {name}")
