#!/usr/bin/env python3
"""Generate ``fixtures/examples/``: checkpoints, inputs and torch's goldens for
the two example executables (``speaker-embed`` and ``g2p-decode``).

speaker/
  model.pt           a training checkpoint ``{"model_state": state_dict, "step": ...,
                     "optimizer_state": ...}``; the state_dict holds ``lstm.*`` and
                     ``linear.*`` (LSTM(40, 256, 3, batch_first) + Linear(256, 256), torch's
                     default random init) stored as float16 to stay small, plus the
                     training-only ``similarity_weight`` / ``similarity_bias`` of a GE2E
                     speaker encoder (unused by the model: listed and ignored)
  frames.safetensors ``frames`` (B, T, 40) float32
  golden.safetensors ``embeddings`` (B, 256): relu(linear(h_n[-1])) / ||·||₂, computed
                     by torch in float32 from the same float16-rounded weights

g2p/
  model.pt           state_dict of Embedding -> GRU encoder -> (Embedding -> GRUCell ->
                     Linear) greedy decoder, small random weights
  words.safetensors  ``words`` (B, T) int64 grapheme indices (padded with 0), ``lengths`` (B)
  golden.safetensors ``tokens`` (B, S) int64 phoneme indices decoded greedily by torch,
                     padded with -1; decoding starts from token 1 and stops at token 2
                     (not included) or after 12 steps

The g2p seed is chosen so that every argmax torch takes leads its runner-up by at
least 1e-3: a decoded sequence is then the same under any float32 rounding.

Run (deterministic): /tmp/torchenv/bin/python tools/make_example_fixtures.py
"""

from __future__ import annotations

import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "examples")

G2P_START, G2P_END, G2P_MAX_STEPS = 1, 2, 12


class SpeakerEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(40, 256, num_layers=3, batch_first=True)
        self.linear = nn.Linear(256, 256)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.lstm(frames)
        raw = F.relu(self.linear(h_n[-1]))
        return raw / torch.norm(raw, dim=1, keepdim=True)


class G2P(nn.Module):
    def __init__(self, graphemes: int = 30, phonemes: int = 24, dim: int = 12, hidden: int = 24) -> None:
        super().__init__()
        self.graphemes = nn.Embedding(graphemes, dim)
        self.encoder = nn.GRU(dim, hidden, batch_first=True)
        self.phonemes = nn.Embedding(phonemes, dim)
        self.decoder = nn.GRUCell(dim, hidden)
        self.classifier = nn.Linear(hidden, phonemes)

    def decode(self, words: torch.Tensor, lengths: torch.Tensor) -> tuple[list[list[int]], float]:
        """Greedy decoding; also returns the smallest top-1 / top-2 logit gap seen."""
        packed = nn.utils.rnn.pack_padded_sequence(self.graphemes(words), lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.encoder(packed)
        h = h_n[-1]
        tokens = torch.full((words.shape[0],), G2P_START, dtype=torch.int64)
        result: list[list[int]] = [[] for _ in range(words.shape[0])]
        done = [False] * words.shape[0]
        margin = float("inf")
        for _ in range(G2P_MAX_STEPS):
            if all(done):
                break
            h = self.decoder(self.phonemes(tokens), h)
            logits = self.classifier(h)
            top2 = logits.topk(2, dim=1).values
            for b in range(words.shape[0]):
                if not done[b]:
                    margin = min(margin, float(top2[b, 0] - top2[b, 1]))
            tokens = logits.argmax(dim=1)
            for b, token in enumerate(tokens.tolist()):
                if done[b]:
                    continue
                if token == G2P_END:
                    done[b] = True
                else:
                    result[b].append(token)
        return result, margin


def speaker() -> None:
    torch.manual_seed(2024)
    model = SpeakerEncoder().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())  # the goldens use exactly the stored (float16) weights
    state = {k: v.half() for k, v in model.state_dict().items()}
    state["similarity_weight"] = torch.tensor([10.0])
    state["similarity_bias"] = torch.tensor([-5.0])
    checkpoint = {"step": 1000, "model_state": state, "optimizer_state": {"state": {}, "param_groups": [{"lr": 1e-4}]}}
    frames = torch.rand(3, 24, 40)
    with torch.no_grad():
        embeddings = model(frames)
    out = os.path.join(ROOT, "speaker")
    os.makedirs(out, exist_ok=True)
    torch.save(checkpoint, os.path.join(out, "model.pt"))
    save_file({"frames": frames.contiguous()}, os.path.join(out, "frames.safetensors"))
    save_file({"embeddings": embeddings.contiguous()}, os.path.join(out, "golden.safetensors"))


def g2p() -> None:
    words = torch.tensor([[5, 9, 11, 3, 7, 20], [14, 6, 8, 0, 0, 0], [22, 4, 17, 25, 12, 0], [10, 0, 0, 0, 0, 0]])
    lengths = torch.tensor([6, 3, 5, 1])
    for seed in range(1000):
        torch.manual_seed(seed)
        model = G2P().eval()
        with torch.no_grad():
            # Larger logits than the default init and a nudge towards the end token, so
            # that decoding is decisive and words end at different steps.
            model.classifier.weight.mul_(4)
            model.classifier.bias[G2P_END] += 0.3
            decoded, margin = model.decode(words, lengths)
        ended = sum(len(d) < G2P_MAX_STEPS for d in decoded)
        if margin > 1e-3 and ended >= 1 and len({tuple(d) for d in decoded}) == len(decoded):
            break
    else:
        raise SystemExit("no seed gives clear argmax margins")
    width = max(len(d) for d in decoded)
    tokens = torch.full((len(decoded), width), -1, dtype=torch.int64)
    for b, d in enumerate(decoded):
        tokens[b, : len(d)] = torch.tensor(d, dtype=torch.int64)
    out = os.path.join(ROOT, "g2p")
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    save_file({"words": words, "lengths": lengths}, os.path.join(out, "words.safetensors"))
    save_file({"tokens": tokens}, os.path.join(out, "golden.safetensors"))
    print(f"g2p seed {seed}, smallest argmax margin {margin:.4g}, decoded {decoded}")


if __name__ == "__main__":
    speaker()
    g2p()
