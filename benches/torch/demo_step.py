"""The demo model's training step in PyTorch, one thread, for comparison with benches/lm.rs.

Same shape as llmf's `demo` preset: vocabulary V (given), d 64, 4 heads, 1 pre-LN block,
ReLU MLP 4x, tied output, context 32, batch 16, AdamW. Prints the median ms per step.
Run: python3 benches/torch/demo_step.py [V]
"""
import sys, time, statistics
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
V = int(sys.argv[1]) if len(sys.argv) > 1 else 120
D, H, T, B = 64, 4, 32, 16


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

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
        self.block, self.lnf = Block(), nn.LayerNorm(D)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        return self.lnf(self.block(x)) @ self.wte.weight.t()


model = GPT()
print("parameters", sum(p.numel() for p in model.parameters()))
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
