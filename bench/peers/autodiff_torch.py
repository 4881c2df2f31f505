"""PyTorch's side of bench/suites/eager-vs-torch.ts: the logistic objective of
bench/suites/autodiff.ts, f(x) = sum(softplus(-(y * (A @ x)))), at 1000x10, 1000x100 and
1000x1000 (A ~ N(0, 1), y = sign(N(0, 1)), x = 0.1 N(0, 1), v ~ N(0, 1)), eager (no
torch.compile/jit), float64, one thread. f, grad (autograd), HVP (double backward) and the
dense Hessian (torch.autograd.functional.hessian, vectorized) are timed as tinybench does:
calls batched to >= 0.5 ms a sample, median over samples. Every cell is timed ROUNDS times
(env PEER_ROUNDS, default 3), the rounds interleaved over all cells, and the best round's
median is the figure (the machine's load varies; each round is kept in `rounds`). Writes
bench/peers/autodiff_torch.json (or the path given as the first argument) with the machine,
the date and the load average.

Run: /usr/bin/python3 bench/peers/autodiff_torch.py
"""
import datetime
import json
import os

# One thread for every pool torch may use: torch.set_num_threads covers its intra-op pool, but
# Debian's torch calls the system BLAS (OpenBLAS, pthreads build), which starts a thread per core
# of its own unless told otherwise (A @ x would run on both cores).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import platform
import subprocess
import sys

import torch
import torch.nn.functional as F

from common import cpu_model, median_batched_ms  # bench/peers/common.py (the script's folder is on sys.path)

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

SIZES = [(1000, 10), (1000, 100), (1000, 1000)]
TIME_S = float(os.environ.get("PEER_TIME", "0.4"))
ROUNDS = int(os.environ.get("PEER_ROUNDS", "3"))
MIN_SAMPLE_S = 5e-4


def median_ms(fn):
    return median_batched_ms(fn, TIME_S, MIN_SAMPLE_S)


def tasks(m, n):
    g = torch.Generator().manual_seed(m * 7919 + n)
    A = torch.randn(m, n, generator=g)
    y = torch.sign(torch.randn(m, generator=g))
    x = 0.1 * torch.randn(n, generator=g)
    v = torch.randn(n, generator=g)

    def f(x):
        return F.softplus(-(y * (A @ x))).sum()

    def fx():
        with torch.no_grad():
            return f(x)

    def grad():
        xr = x.detach().requires_grad_(True)
        (gx,) = torch.autograd.grad(f(xr), xr)
        return gx

    def hvp():
        xr = x.detach().requires_grad_(True)
        (gx,) = torch.autograd.grad(f(xr), xr, create_graph=True)
        (hv,) = torch.autograd.grad(gx, xr, grad_outputs=v)
        return hv

    def hessian():
        return torch.autograd.functional.hessian(f, x, vectorize=True)

    out = {"f": fx, "grad": grad, "hvp": hvp}
    if n <= 1000:
        out["hessian"] = hessian
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "autodiff_torch.json")
    cpu = cpu_model()
    load0 = os.getloadavg()
    cells = [(f"logistic {m}×{n}", name, fn) for m, n in SIZES for name, fn in tasks(m, n).items()]
    times = {(g, name): [] for g, name, _ in cells}
    for r in range(ROUNDS):
        for g, name, fn in cells:
            ms = median_ms(fn)
            times[(g, name)].append(ms)
            print(f"{g} {name} #{r + 1}: {ms:.4g} ms", flush=True)
    rows = [{"group": g, "task": name, "p50Ms": min(times[(g, name)]), "rounds": times[(g, name)]} for g, name, _ in cells]
    data = {
        "meta": {
            "peer": f"PyTorch {torch.__version__} (Debian python3-torch), float64, 1 thread (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), eager autograd",
            "python": platform.python_version(),
            "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load": {"start": load0, "end": os.getloadavg()},
            "rounds": ROUNDS,
        },
        "rows": rows,
    }
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
