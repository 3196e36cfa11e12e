#!/usr/bin/env python3
"""Train the bundled character-level language model and write fixtures/charlm/.

    apt-get install dict-devil          # the text (public domain, see below)
    /tmp/torchenv/bin/python tools/train_charlm.py [--steps N]

The text is Ambrose Bierce's "The Devil's Dictionary" (1911; public domain,
its copyright has expired) as Debian's package ``dict-devil`` ships it:
/usr/share/dictd/devil.dict.dz, a gzip file in dictd's format.

The model is torch.nn all the way: Embedding(V, 64) -> LSTM(64, 256,
num_layers=2) -> Linear(256, V), trained with Adam on 128-character windows on
one CPU thread, seeded, for a fixed number of steps (deterministic: the same
torch build on the same machine writes the same bytes).

Written to fixtures/charlm/:

  model.pt          the trained state_dict (torch.save), float16 storage
                    (keys embed.weight, rnn.weight_ih_l0 ..., head.weight, head.bias)
  vocab.json        {"characters": [...]}: the character of each index
  generations.json  per prompt: torch's greedy continuation of 300 characters
                    and the logits of the first 20 generation steps (float32,
                    computed from the float16-rounded weights, feeding one
                    character at a time exactly as the Swift example does),
                    plus the smallest top-1/top-2 logit margin of the run and
                    whether a float64 run picks the same 300 characters
  golden.pt, case.json
                    a golden fixture of the same model (golden.py's
                    save_golden_steps: embed -> rnn -> head over a batch of
                    text windows with lengths), so `ptconvert verify
                    fixtures/charlm/` checks it like any other fixture

No golden number is typed by hand: all come from torch.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from golden import save_golden_steps  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "fixtures", "charlm")
SOURCE = "/usr/share/dictd/devil.dict.dz"

SEED = 1911
EMBED, HIDDEN, LAYERS = 64, 256, 2
WINDOW, BATCH, LR = 128, 32, 3e-3
GENERATE, LOGIT_STEPS = 300, 20
STEPS = 1500
PROMPTS = ["LAWYER, n.  ", "HAPPINESS, n.  ", "The ", "Whoso "]

torch.set_num_threads(1)  # deterministic, and the machine is shared


def load_text() -> str:
    if not os.path.exists(SOURCE):
        sys.exit(f"train_charlm.py: {SOURCE} is missing: apt-get install dict-devil")
    raw = gzip.open(SOURCE, "rt", encoding="utf-8").read()
    # dictd's header lines come first; the book starts at its preface.
    start = raw.index("                              PREFACE")
    text = raw[start:]
    # dictfmt's last line lists the index alphabet; not Bierce.
    text = text[: text.rindex("\n abcdefghijklmnopqrstuvwxyz")]
    # Right-aligned attributions are mostly spaces: keep the layout, not the run length.
    text = re.sub(r" {5,}", "    ", text)
    return text.strip() + "\n"


class CharLM(nn.Module):
    def __init__(self, vocab: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, vocab)

    def forward(self, x, state=None):  # x: (T, B) int64
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def train(model: CharLM, data: torch.Tensor, steps: int) -> None:
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    began = time.time()
    for step in range(1, steps + 1):
        starts = torch.randint(0, len(data) - WINDOW - 1, (BATCH,), generator=generator)
        window = torch.stack([data[s: s + WINDOW + 1] for s in starts.tolist()], dim=1)  # (T+1, B)
        logits, _ = model(window[:-1])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), window[1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == steps:
            print(f"step {step}/{steps}  loss {loss.item():.3f}  {time.time() - began:.0f}s", flush=True)


@torch.no_grad()
def generate(model: CharLM, prompt: list[int], steps: int, dtype=torch.float32):
    """Greedy, one character per call, state carried: what the Swift example does."""
    state = None
    logits = None
    for index in prompt:
        x = torch.tensor([[index]], dtype=torch.int64)
        out, state = model.rnn(model.embed(x).to(dtype), state)
        logits = model.head(out[0, 0])
    chosen, recorded, margins = [], [], []
    for _ in range(steps):
        if len(recorded) < LOGIT_STEPS:
            recorded.append(logits.clone())
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]))
        index = int(torch.argmax(logits))
        chosen.append(index)
        x = torch.tensor([[index]], dtype=torch.int64)
        out, state = model.rnn(model.embed(x).to(dtype), state)
        logits = model.head(out[0, 0])
    return chosen, recorded, margins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS}, what fixtures/charlm/ holds)")
    parser.add_argument("--out", default=OUT, help="output folder (default fixtures/charlm/)")
    args = parser.parse_args()
    out = args.out

    torch.manual_seed(SEED)
    text = load_text()
    characters = sorted(set(text))
    index_of = {c: i for i, c in enumerate(characters)}
    data = torch.tensor([index_of[c] for c in text], dtype=torch.int64)
    print(f"text: {len(text)} characters, vocabulary {len(characters)}")

    model = CharLM(len(characters))
    train(model, data, args.steps)
    model.eval()

    # Ship float16 and compute every golden from exactly those weights, in float32.
    state16 = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in state16.items()})

    os.makedirs(out, exist_ok=True)
    torch.save(state16, os.path.join(out, "model.pt"))
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump({"characters": characters}, f, ensure_ascii=False, indent=0)
        f.write("\n")

    model64 = CharLM(len(characters)).double()
    model64.load_state_dict({k: v.double() for k, v in state16.items()})
    model64.eval()
    generations = []
    for prompt in PROMPTS:
        ids = [index_of[c] for c in prompt]
        chosen, logits, margins = generate(model, ids, GENERATE)
        chosen64, _, _ = generate(model64, ids, GENERATE, torch.float64)
        continuation = "".join(characters[i] for i in chosen)
        agree = next((i for i, (a, b) in enumerate(zip(chosen, chosen64)) if a != b), None)
        generations.append({
            "prompt": prompt,
            "continuation": continuation,
            "logits": [[float(v) for v in row] for row in logits],
            "min_margin": min(margins),
            "float64_first_difference": agree,
        })
        print(f"{prompt!r} -> {continuation[:100]!r}...  min top-2 margin {min(margins):.4f}; "
              f"float64 run {'agrees' if agree is None else f'differs from character {agree}'}")
    with open(os.path.join(out, "generations.json"), "w") as f:
        json.dump({"generate": GENERATE, "logit_steps": LOGIT_STEPS, "prompts": generations}, f)
        f.write("\n")

    # The same model as a golden fixture: three text windows of different lengths.
    generator = torch.Generator().manual_seed(SEED + 1)
    lengths = torch.tensor([64, 40, 17])
    starts = torch.randint(0, len(data) - 64, (3,), generator=generator).tolist()
    batch = torch.stack([data[s: s + 64] for s in starts], dim=1)  # (T, B)
    save_golden_steps([model.embed, model.rnn, model.head], out, batch, lengths=lengths, model=model,
                      checkpoint=state16)
    sizes = {name: os.path.getsize(os.path.join(out, name)) for name in sorted(os.listdir(out))}
    print("wrote", ", ".join(f"{k} ({v} bytes)" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
