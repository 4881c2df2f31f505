#!/usr/bin/env python3
# scipy's side of bench/suites/optim.ts: the same 12 cells (extended Rosenbrock n = 100 and
# 1000 from the standard start, L2-regularised logistic regression 10000 × 100 with λ = 1e-3;
# Newton-CG, trust-ncg, BFGS, L-BFGS-B), each objective with the gradient and Hessian-vector
# product a scipy user writes by hand in numpy. Writes bench/peers/optim_scipy.json (p50 wall
# ms of whole minimize() calls, and their p50 process CPU time, the counts, the final ‖∇f‖∞, machine, date, versions), which
# the suite prints beside matcalc's figures.
#
# Stopping: gtol = 1e-5 where scipy has it. BFGS and L-BFGS-B test ‖∇f‖∞ ≤ gtol as matcalc
# does; L-BFGS-B also stops on its relative decrease of f (ftol), set to 0 here so that the
# gradient test decides, as in matcalc. trust-ncg tests the 2-norm ‖∇f‖₂ < gtol (no norm
# option), a slightly stricter test. Newton-CG (scipy 1.10) has no gradient test, only
# xtol = 1e-5 on the mean |step|: its default. The final ‖∇f‖∞ of each run is recorded.
#
# The logistic data are generated bit for bit as the suite generates them: mulberry32 uniforms
# (integer arithmetic), Irwin–Hall normals (a sum of 12 uniforms minus 6, exact in float64),
# labels from logits summed in the same order. A checksum of X, w_true and y goes into the
# JSON and the suite refuses to compare if its own differs.
#
# Run: /usr/bin/python3 bench/peers/optim_scipy.py [--quick] [--only SUBSTRING]
import os

# One BLAS thread (Debian's OpenBLAS is multithreaded), as matcalc runs on one: set before
# numpy loads. OPENBLAS_NUM_THREADS=2 in the environment measures scipy on both cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import datetime
import json
import platform
import subprocess
import sys
import time

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import expit

from common import cpu_model  # bench/peers/common.py (the script's folder is on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
QUICK = "--quick" in sys.argv
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None  # a development aid: prints, writes nothing


# ---- data, as bench/suites/optim.ts makes it ----

def mulberry32(seed, count):
    """The first `count` outputs of mulberry32(seed) in [0, 1), vectorized (its state is a counter)."""
    M = np.uint64(0xFFFFFFFF)
    k = np.arange(1, count + 1, dtype=np.uint64)
    a = (np.uint64(seed) + k * np.uint64(0x6D2B79F5)) & M

    def imul(x, y):
        return (x * y) & M  # both < 2^32: the product fits in 64 bits

    t = imul(a ^ (a >> np.uint64(15)), a | np.uint64(1))
    t = t ^ ((t + imul(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & M)
    return ((t ^ (t >> np.uint64(14))) & M).astype(np.float64) / 4294967296.0


def irwin_hall(seed, count):
    u = mulberry32(seed, 12 * count).reshape(count, 12)
    s = np.zeros(count)
    for j in range(12):  # summed left to right, as the suite does (every partial sum is exact)
        s = s + u[:, j]
    return s - 6.0


def logistic_data(m, n):
    X = irwin_hall(7, m * n).reshape(m, n)  # row-major: X[i, j] is entry i*n + j
    w_true = irwin_hall(8, n) * 0.2  # 2/√n at n = 100
    noise = irwin_hall(9, m)
    logit = np.zeros(m)
    for j in range(n):  # left to right in j, as the suite's loop
        logit = logit + X[:, j] * w_true[j]
    y = np.where(logit + 0.8 * noise > 0, 1.0, -1.0)
    return X, w_true, y


def checksum(*arrays):
    """Sum of every entry in order, and the number of positive labels: equal iff the data match (in practice)."""
    return [float(np.sum(a, dtype=np.float64)) for a in arrays]


# ---- objectives with hand-written derivatives ----

def rosen(x):
    a, b = x[0::2], x[1::2]
    return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))


def rosen_grad(x):
    a, b = x[0::2], x[1::2]
    t = b - a * a
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * t - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * t
    return g


def rosen_hessp(x, p):
    a, b = x[0::2], x[1::2]
    pa, pb = p[0::2], p[1::2]
    out = np.empty_like(x)
    out[0::2] = (1200.0 * a * a - 400.0 * b + 2.0) * pa - 400.0 * a * pb
    out[1::2] = -400.0 * a * pa + 200.0 * pb
    return out


def logistic(X, y, lam):
    m = X.shape[0]

    def f(w):
        z = -y * (X @ w)
        return float(np.mean(np.logaddexp(0.0, z)) + 0.5 * lam * (w @ w))

    def g(w):
        z = -y * (X @ w)
        return X.T @ (-y * expit(z)) / m + lam * w

    def hessp(w, p):
        s = expit(X @ w)
        return X.T @ (s * (1.0 - s) * (X @ p)) / m + lam * p

    return f, g, hessp


# ---- the cells ----

METHODS = {
    "newton-cg": dict(method="Newton-CG", hess=True, options={"xtol": 1e-5}),
    "trust-ncg": dict(method="trust-ncg", hess=True, options={"gtol": 1e-5}),
    "bfgs": dict(method="BFGS", hess=False, options={"gtol": 1e-5, "norm": np.inf, "maxiter": 100000}),
    "lbfgs": dict(method="L-BFGS-B", hess=False, options={"gtol": 1e-5, "ftol": 0.0, "maxiter": 100000}),
}


def solve(prob, spec):
    kw = dict(jac=prob["g"], method=spec["method"], options=spec["options"])
    if spec["hess"]:
        kw["hessp"] = prob["hessp"]
    return minimize(prob["f"], prob["x0"], **kw)


def time_cell(prob, spec, budget_s):
    c = time.process_time()
    t = time.perf_counter()
    r = solve(prob, spec)  # warm-up, and the counts
    first = time.perf_counter() - t
    if first > 5.0:  # minutes-long cells (BFGS at n = 1000) are timed once
        return first * 1e3, (time.process_time() - c) * 1e3, 1, r, first * 1e3
    reps = 1 if first > budget_s else max(3, min(51, int(budget_s / max(first, 1e-6))))
    ts, cs = [], []
    for _ in range(reps):
        c = time.process_time()
        t = time.perf_counter()
        solve(prob, spec)
        ts.append((time.perf_counter() - t) * 1e3)
        cs.append((time.process_time() - c) * 1e3)
    return float(np.median(ts)), float(np.median(cs)), reps, r, float(np.min(ts))




def main():
    X, w_true, y = logistic_data(10000, 100)
    lf, lg, lh = logistic(X, y, 1e-3)
    problems = []
    for n in (100, 1000):
        problems.append({"group": f"ext. Rosenbrock n={n}", "f": rosen, "g": rosen_grad, "hessp": rosen_hessp, "x0": np.tile([-1.2, 1.0], n // 2)})
    problems.append({"group": "logistic 10000×100", "f": lf, "g": lg, "hessp": lh, "x0": np.zeros(100)})
    # The minutes-long cell (BFGS at n = 1000) first, so that the others are measured right
    # before the suite runs; the JSON keeps the suite's order.
    order = [(prob, name) for prob in problems for name in METHODS]
    slow = [c for c in order if c[0]["group"].endswith("n=1000") and c[1] == "bfgs"]
    cells = []
    for prob, name in slow + [c for c in order if c not in slow]:
        spec = METHODS[name]
        if ONLY is not None and ONLY not in f"{prob['group']} {name}":
            continue
        budget = 0.3 if QUICK else 2.0
        ms, cpu_ms, reps, r, min_ms = time_cell(prob, spec, budget)
        gnorm = float(np.max(np.abs(prob["g"](r.x))))
        cell = {
            "group": prob["group"], "method": name, "scipyMethod": spec["method"], "ms": ms, "minMs": min_ms, "cpuMs": cpu_ms, "runs": reps,
            "nit": int(r.nit), "nfev": int(r.nfev), "njev": int(getattr(r, "njev", 0) or 0), "nhev": int(getattr(r, "nhev", 0) or 0),
            "f": float(r.fun), "gradNormInf": gnorm, "success": bool(r.success), "message": str(r.message),
        }
        cells.append(cell)
        print(f"{prob['group']:22s} {name:10s} p50 {ms:10.2f} ms  min {min_ms:8.2f} ms  cpu p50 {cpu_ms:8.2f} ms  ({reps} runs)  {cell['nit']} it, {cell['nfev']} f, {cell['njev']} g, {cell['nhev']} hvp; f = {cell['f']:.6e}, |g|inf = {gnorm:.2e}", flush=True)
    out = {
        "machine": cpu_model(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(), "scipy": scipy.__version__, "numpy": np.__version__,
        "quick": QUICK, "blasThreads": os.environ["OPENBLAS_NUM_THREADS"],
        "logisticChecksum": checksum(X, w_true, y),
        "cells": sorted(cells, key=lambda c: [(p["group"], m) for p, m in order].index((c["group"], c["method"]))),
    }
    if ONLY is not None:
        return
    with open(os.path.join(HERE, "optim_scipy.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
