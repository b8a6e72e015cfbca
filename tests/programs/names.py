"""A makemore-style name generator: a 3-character context, an embedding table and an MLP written as bare
tensors, Generator-seeded sampling, and manual SGD with ``p.data += -lr * p.grad``. Prints each step's loss."""

import numpy as np
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
block_size = 3
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + ".":
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
X, Y = torch.tensor(X), torch.tensor(Y)

rng = np.random.default_rng(2147483647)  # the same start on any library


def param(*shape, scale=1.0):
    return torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32))


vocab = len(itos)
C = param(vocab, 10)
W1 = param(30, 64, scale=(5 / 3) / 30 ** 0.5)
b1 = param(64, scale=0.01)
W2 = param(64, vocab, scale=0.01)
b2 = param(vocab, scale=0.0)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True

for i in range(8):
    emb = C[X]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Y)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 5 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    print(f"step {i} loss {loss.item():.6f}")

g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(3):
    out, context = [], [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        probs = F.softmax(h @ W2 + b2, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        if ix == 0 or len(out) > 12:
            break
        out.append(itos[ix])
    print("name:", "".join(out))
