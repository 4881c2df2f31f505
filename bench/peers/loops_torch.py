#!/usr/bin/env python3
# PyTorch's side of bench/suites/loops.ts: the same three loop-heavy problems built from the
# same numbers (bench/harness.ts's fillRandom LCG, reproduced here bit for bit), float64, one
# thread. Writes bench/peers/loops_torch.json ({ meta, rows }, p50 ms), which the suite prints
# beside its own figures (test/bench-problems/loops.test.ts checks our losses and the saddle's
# iteration counts against the meta fields). Run from the repository root, in the same session
# as the suite:
#   /usr/bin/python3 bench/peers/loops_torch.py [seconds per task, default 1.5]
# Variants:
#   - plain: eager autograd; "f" runs under torch.no_grad() (records nothing, as our plain f);
#   - jit: torch.jit.script of the whole loss (loops included), differentiated by autograd
#     (the profiling executor specializes the graph after its first runs; warm-up covers it);
#     for the saddle, the two gradients are scripted functions calling torch.autograd.grad;
#   - LSTM only: torch.nn.LSTM (its C++ loop over the sequence, the same weights), a
#     reference for what a fused recurrence costs.
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from typing import List

import torch

from common import cpu_model, fill, p50 as p50_within  # bench/peers/common.py (the script's folder is on sys.path)

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
BUDGET_MS = 1000 * float(sys.argv[1]) if len(sys.argv) > 1 else 1500.0


def p50(fn):
    return p50_within(fn, BUDGET_MS)




def uniform(shape, seed, scale):
    n = math.prod(shape)
    return (torch.tensor(fill(n, seed)) * scale).reshape(shape)  # row-major, as the suite reads it




rows = []
meta = {}


def row(group, task, fn, note=None):
    ms = p50(fn)
    r = {"group": group, "task": task, "p50Ms": ms}
    if note:
        r["note"] = note
    rows.append(r)
    print(f"torch | {group} | {task}: p50 {ms:.4f} ms" + (f" ({note})" if note else ""), flush=True)


def first_call(fn):
    t = time.perf_counter()
    fn()
    return f"first call {(time.perf_counter() - t) * 1e3:.0f} ms"


# ---------------------------------------------------------------- LSTM

T, V, H = 1024, 64, 64
chars = [math.floor((v + 1) * V / 2) for v in fill(T + 1, 101)]
X = torch.zeros(T, V)
X[torch.arange(T), torch.tensor(chars[:T])] = 1
targets = torch.tensor(chars[1:])
s = 1 / math.sqrt(H)
names = ["W1", "U1", "b1", "W2", "U2", "b2", "Wy", "by"]
shapes = [[V, 4 * H], [H, 4 * H], [4 * H], [H, 4 * H], [H, 4 * H], [4 * H], [H, V], [V]]
scales = [s, s, 0.1, s, s, 0.1, s, 0.1]
lstm_params = [uniform(sh, 111 + i, sc).requires_grad_() for i, (sh, sc) in enumerate(zip(shapes, scales))]


def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W: torch.Tensor, U: torch.Tensor, b: torch.Tensor):
    gi, gf, gg, go = (x @ W + h @ U + b).chunk(4, 1)
    c2 = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)
    return torch.sigmoid(go) * torch.tanh(c2), c2


def lstm_loss(X: torch.Tensor, targets: torch.Tensor, W1: torch.Tensor, U1: torch.Tensor, b1: torch.Tensor,
              W2: torch.Tensor, U2: torch.Tensor, b2: torch.Tensor, Wy: torch.Tensor, by: torch.Tensor) -> torch.Tensor:
    # Step by step as the suite's loop (see bench/problems/loops.ts for why not one GEMM and a
    # slice per step: a slice's backward is the whole tensor's size, in torch as in matcalc).
    H = U1.shape[0]
    h1 = torch.zeros(1, H)
    c1 = torch.zeros(1, H)
    h2 = torch.zeros(1, H)
    c2 = torch.zeros(1, H)
    hs: List[torch.Tensor] = []
    for x in X.split(1, 0):
        h1, c1 = lstm_cell(x, h1, c1, W1, U1, b1)
        h2, c2 = lstm_cell(h1, h2, c2, W2, U2, b2)
        hs.append(h2)
    return torch.nn.functional.cross_entropy(torch.cat(hs, 0) @ Wy + by, targets)


group = f"LSTM 2×{H}, V={V}, T={T}"
meta["lstmLoss"] = lstm_loss(X, targets, *lstm_params).item()
print(f"torch | {group}: loss {meta['lstmLoss']!r}", flush=True)


def lstm_f():
    with torch.no_grad():
        return lstm_loss(X, targets, *lstm_params)


row(group, "f", lstm_f)
row(group, "grad", lambda: torch.autograd.grad(lstm_loss(X, targets, *lstm_params), lstm_params))
lstm_script = torch.jit.script(lstm_loss)
note = first_call(lambda: lstm_script(X, targets, *lstm_params))


def lstm_jf():
    with torch.no_grad():
        return lstm_script(X, targets, *lstm_params)


row(group, "jit f", lstm_jf, f"torch.jit.script, {note}")
note = first_call(lambda: torch.autograd.grad(lstm_script(X, targets, *lstm_params), lstm_params))
row(group, "jit grad", lambda: torch.autograd.grad(lstm_script(X, targets, *lstm_params), lstm_params), f"torch.jit.script + autograd, {note}")

# torch.nn.LSTM computes x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh per layer: the same weights, transposed.
nn_lstm = torch.nn.LSTM(V, H, num_layers=2)
with torch.no_grad():
    W1, U1, b1, W2, U2, b2, Wy, by = lstm_params
    for layer, (W, U, b) in enumerate([(W1, U1, b1), (W2, U2, b2)]):
        getattr(nn_lstm, f"weight_ih_l{layer}").copy_(W.T)
        getattr(nn_lstm, f"weight_hh_l{layer}").copy_(U.T)
        getattr(nn_lstm, f"bias_ih_l{layer}").copy_(b)
        getattr(nn_lstm, f"bias_hh_l{layer}").zero_()
nn_params = list(nn_lstm.parameters()) + [lstm_params[6], lstm_params[7]]


def nn_loss():
    out, _ = nn_lstm(X.unsqueeze(1))
    return torch.nn.functional.cross_entropy(out.squeeze(1) @ lstm_params[6] + lstm_params[7], targets)


assert abs(nn_loss().item() - meta["lstmLoss"]) < 1e-12 * abs(meta["lstmLoss"]) + 1e-13, "nn.LSTM disagrees with the loop"


def nn_f():
    with torch.no_grad():
        return nn_loss()


row(group, "nn.LSTM f", nn_f, "torch.nn.LSTM, C++ loop")
row(group, "nn.LSTM grad", lambda: torch.autograd.grad(nn_loss(), nn_params), "torch.nn.LSTM, C++ loop")

# ---------------------------------------------------------------- RK4

steps, h = 10_000, 1e-3
r0 = torch.tensor([2 / 3, -1.0])
A0 = torch.tensor([[0, -4 / 3], [1.0, 0]])
z00 = torch.tensor([1.0, 1.0])
target = torch.tensor([1.0, 0.5])


def ode_loss(r: torch.Tensor, A: torch.Tensor, z0: torch.Tensor, target: torch.Tensor, steps: int, h: float) -> torch.Tensor:
    z = z0
    for _ in range(steps):
        k1 = z * (r + A @ z)
        z2 = z + k1 * (h / 2)
        k2 = z2 * (r + A @ z2)
        z3 = z + k2 * (h / 2)
        k3 = z3 * (r + A @ z3)
        z4 = z + k3 * h
        k4 = z4 * (r + A @ z4)
        z = z + (k1 + (k2 + k3) * 2 + k4) * (h / 6)
    return ((z - target) ** 2).sum() * 0.5


ode_params = [r0.clone().requires_grad_(), A0.clone().requires_grad_(), z00.clone().requires_grad_()]
group = "RK4 Lotka–Volterra, 10 000 steps"
meta["odeLoss"] = ode_loss(*ode_params, target, steps, h).item()
print(f"torch | {group}: loss {meta['odeLoss']!r}", flush=True)


def ode_f():
    with torch.no_grad():
        return ode_loss(*ode_params, target, steps, h)


row(group, "f", ode_f)
row(group, "grad", lambda: torch.autograd.grad(ode_loss(*ode_params, target, steps, h), ode_params))
ode_script = torch.jit.script(ode_loss)
note = first_call(lambda: ode_script(*ode_params, target, steps, h))


def ode_jf():
    with torch.no_grad():
        return ode_script(*ode_params, target, steps, h)


row(group, "jit f", ode_jf, f"torch.jit.script, {note}")
note = first_call(lambda: torch.autograd.grad(ode_script(*ode_params, target, steps, h), ode_params))
row(group, "jit grad", lambda: torch.autograd.grad(ode_script(*ode_params, target, steps, h), ode_params), f"torch.jit.script + autograd, {note}")

# ---------------------------------------------------------------- saddle

n = 10
G, K = uniform([n, n], 121, 1), uniform([n, n], 122, 1)
SA = torch.eye(n) + G.T @ G / (2 * n)
SC = torch.eye(n) + K.T @ K / (2 * n)
SB = uniform([n, n], 123, 1 / math.sqrt(n))
sa, sb = uniform([n], 124, 1), uniform([n], 125, 1)
S = SA + SB @ torch.linalg.solve(SC, SB.T)
eta_y = 1 / torch.linalg.eigvalsh(SC).max().item()
eta_x = 1 / torch.linalg.eigvalsh(S).max().item()
tol_y, tol_x = 1e-10, 1e-8


def saddle_f(x: torch.Tensor, y: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return 0.5 * (x @ (A @ x)) + x @ (B @ y) - 0.5 * (y @ (C @ y)) + a @ x - b @ y


def gy_eager(x, y):
    y = y.detach().requires_grad_()
    return torch.autograd.grad(saddle_f(x, y, SA, SB, SC, sa, sb), y)[0]


def gx_eager(x, y):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(saddle_f(x, y, SA, SB, SC, sa, sb), x)[0]


@torch.jit.script
def gy_script(x: torch.Tensor, y: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    y = y.detach().requires_grad_()
    f = 0.5 * (x @ (A @ x)) + x @ (B @ y) - 0.5 * (y @ (C @ y)) + a @ x - b @ y
    g = torch.autograd.grad([f], [y])[0]
    assert g is not None
    return g


@torch.jit.script
def gx_script(x: torch.Tensor, y: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    f = 0.5 * (x @ (A @ x)) + x @ (B @ y) - 0.5 * (y @ (C @ y)) + a @ x - b @ y
    g = torch.autograd.grad([f], [x])[0]
    assert g is not None
    return g


def saddle_solve(gy, gx):
    x = torch.zeros(n)
    y = torch.zeros(n)
    inner = 0
    for outer in range(10_000):
        while True:
            dy = gy(x, y)
            if dy.norm().item() <= tol_y:
                break
            y = y + dy * eta_y
            inner += 1
        dx = gx(x, y)
        if dx.norm().item() <= tol_x:
            return x, y, outer, inner
        x = x - dx * eta_x
    raise RuntimeError("saddle: outer descent did not converge")


group = "saddle n=10, nested gradient loops"
x, y, outer, inner = saddle_solve(gy_eager, gx_eager)
x_exact = torch.linalg.solve(S, SB @ torch.linalg.solve(SC, sb) - sa)
assert (x - x_exact).abs().max().item() < 1e-7 * x_exact.abs().max().item(), "saddle: not the closed form"
meta["saddleCounts"] = f"{outer} outer, {inner} inner steps"
print(f"torch | {group}: {meta['saddleCounts']}", flush=True)
row(group, "solve", lambda: saddle_solve(gy_eager, gx_eager))
gys = lambda x, y: gy_script(x, y, SA, SB, SC, sa, sb)  # noqa: E731
gxs = lambda x, y: gx_script(x, y, SA, SB, SC, sa, sb)  # noqa: E731
row(group, "solve, jit gradients", lambda: saddle_solve(gys, gxs), "torch.jit.script gradients (autograd.grad inside)")




meta.update({
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "torch": torch.__version__,
    "python": platform.python_version(),
    "threads": torch.get_num_threads(),
    "machine": f"{cpu_model()}, {os.cpu_count()} cores",
    "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "loops_torch.json"), "w") as fh:
    json.dump({"meta": meta, "rows": rows}, fh, indent=2)
print("torch: wrote bench/peers/loops_torch.json", flush=True)
