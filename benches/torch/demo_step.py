"""llmf's training step in PyTorch, one thread, for comparison with benches/demo_step.rs.

The same model as the lab's, for a named shape: vocabulary V (given), L pre-LN blocks of
width D with H heads (causal attention, then a ReLU MLP 4x), a final layer norm, output tied
to the token embedding, context T, batch B, AdamW. Warm-up 50 steps, then 300 single steps
timed one by one; prints the median, mean and fastest in the words the Rust bench uses.

Run: OMP_NUM_THREADS=1 python3 benches/torch/demo_step.py [SHAPE] [V]
SHAPE is tiny, demo (the default), base or wide, as in `cargo bench --bench demo_step -- SHAPE`;
V is the alphabet's size (119 for the corpus, so both sides count the same parameters).

SHAPE `sample` times generation instead: 200 characters from a base-shaped model, one token at
a time through a KV cache (keys and values kept in preallocated buffers, no gradients), each
drawn from the softmax; when the 64-position window is full it restarts from its last 32
tokens (fed in one pass), as the lab's cache does. 5 runs to warm up, then 50 timed.
"""
import sys, time, statistics
import torch, torch.nn as nn, torch.nn.functional as F

# name: (layers, d_model, heads, context, batch), as in src/labs/lm/config.rs and, for wide,
# benches/demo_step.rs.
SHAPES = {
    "tiny": (1, 16, 2, 16, 4),
    "demo": (1, 64, 4, 32, 16),
    "base": (2, 96, 4, 64, 16),
    "wide": (4, 128, 4, 64, 16),
}

args = [a for a in sys.argv[1:] if not a.isdigit()]
numbers = [a for a in sys.argv[1:] if a.isdigit()]
NAME = args[0] if args else "demo"
SAMPLE = NAME == "sample"
if SAMPLE:
    NAME = "base"
if NAME not in SHAPES:
    sys.exit(f"benches/torch/demo_step.py: no shape named {NAME!r}; name one of {', '.join(SHAPES)} or sample")
V = int(numbers[0]) if numbers else 120
L, D, H, T, B = SHAPES[NAME]

torch.set_num_threads(1)
torch.manual_seed(1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def cached(self, x, kv, pos):
        """x (1, t, D) at positions pos..; kv (2, H, T, dh) holds the keys and values so far."""
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, H, D // H).permute(2, 0, 3, 1, 4)
        kv[0, :, pos : pos + t] = k[0]
        kv[1, :, pos : pos + t] = v[0]
        keys, values = kv[0, :, : pos + t], kv[1, :, : pos + t]
        att = (q[0] @ keys.transpose(-1, -2)) / (D // H) ** 0.5
        if t > 1:
            mask = torch.triu(torch.ones(t, pos + t, dtype=torch.bool), pos + 1)
            att = att.masked_fill(mask, float("-inf"))
        out = (att.softmax(-1) @ values).transpose(0, 1).reshape(1, t, D)
        x = x + self.o(out)
        return x + self.fc2(F.relu(self.fc1(self.ln2(x))))

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, H, D // H).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / (D // H) ** 0.5
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, D))
        return x + self.fc2(F.relu(self.fc1(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf = nn.LayerNorm(D)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.lnf(x) @ self.wte.weight.t()


    def cached(self, idx, cache, pos):
        """Logits for the last of tokens idx (1, t) at positions pos.., through the cache."""
        x = self.wte(idx) + self.wpe(torch.arange(pos, pos + idx.shape[1]))
        for block, kv in zip(self.blocks, cache):
            x = block.cached(x, kv, pos)
        return self.lnf(x[:, -1]) @ self.wte.weight.t()


model = GPT()
if SAMPLE:
    CHARS = 200

    @torch.no_grad()
    def generate():
        cache = torch.zeros(L, 2, H, T, D // H)
        window = [0]
        logits = model.cached(torch.tensor([window]), cache, 0)
        out = []
        for i in range(CHARS):
            nxt = torch.multinomial(logits.softmax(-1)[0], 1).item()
            out.append(nxt)
            if i + 1 == CHARS:
                break
            if len(window) == T:
                window = window[T - T // 2 :] + [nxt]
                logits = model.cached(torch.tensor([window]), cache, 0)
            else:
                window.append(nxt)
                logits = model.cached(torch.tensor([[nxt]]), cache, len(window) - 1)
        return out

    for _ in range(5):
        generate()
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        generate()
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"sample: {CHARS} characters from a {NAME}-shaped model with a KV cache")
    print(f"median {statistics.median(times):.3f} ms/run, mean {statistics.mean(times):.3f}, "
          f"min {min(times):.3f} (torch {torch.__version__}, 1 thread)")
    sys.exit(0)
print(f"{NAME}: parameters {sum(p.numel() for p in model.parameters())}, batch {B}")
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01)
data = torch.randint(0, V, (100_000,))


def step():
    ix = torch.randint(0, len(data) - T - 1, (B,))
    x = torch.stack([data[i : i + T] for i in ix])
    y = torch.stack([data[i + 1 : i + T + 1] for i in ix])
    loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for _ in range(50):
    step()
times = []
for _ in range(300):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1e3)
print(f"median {statistics.median(times):.3f} ms/step, mean {statistics.mean(times):.3f}, "
      f"min {min(times):.3f} (torch {torch.__version__}, 1 thread)")
