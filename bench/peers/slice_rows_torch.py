#!/usr/bin/env python3
# PyTorch's side of bench/suites/slice-rows.ts: a recurrence that takes one row per step of a
# precomputed input projection P = X·W (h_t = tanh(P[t] + 0.5 h_{t-1}), loss Σ h_T), its
# gradient with respect to W by eager autograd, float64, one thread. Same numbers as the suite
# (harness.ts's fillRandom LCG, row-major). Writes bench/peers/slice_rows_torch.json. Run from
# the repository root in the same session as the suite:
#   /usr/bin/python3 bench/peers/slice_rows_torch.py [seconds per task, default 1.5]
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

import torch

from common import cpu_model, fill, p50 as p50_within  # bench/peers/common.py (the script's folder is on sys.path)

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
BUDGET_MS = 1000 * float(sys.argv[1]) if len(sys.argv) > 1 else 1500.0


def p50(fn):
    return p50_within(fn, BUDGET_MS)
D, H = 16, 256






def loss(X, W, T):
    P = X @ W
    h = torch.zeros(H)
    for t in range(T):
        h = torch.tanh(P[t] + 0.5 * h)
    return h.sum()


rows, meta = [], {}
for T in (256, 512, 1024):
    X = torch.tensor(fill(T * D, 21)).reshape(T, D)
    W = torch.tensor(fill(D * H, 22)).reshape(D, H).mul(0.25).requires_grad_()
    group = f"row loop T={T}, P = X·W {T}×{H}"
    meta[f"loss{T}"] = loss(X, W, T).item()
    ms = p50(lambda: torch.autograd.grad(loss(X, W, T), [W]))
    rows.append({"group": group, "task": "grad", "p50Ms": ms})
    print(f"torch | {group}: loss {meta[f'loss{T}']!r}, grad p50 {ms:.2f} ms", flush=True)




meta.update({
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "machine": f"{cpu_model()}, {os.cpu_count()} cores",
    "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "slice_rows_torch.json"), "w") as fh:
    json.dump({"meta": meta, "rows": rows}, fh, indent=2)
print("torch: wrote bench/peers/slice_rows_torch.json", flush=True)
