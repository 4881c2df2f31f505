#!/usr/bin/env python3
"""Peers of bench/suites/autodiff-threads.ts: PyTorch (eager autograd, float64) and numpy's closed
forms with 1 and 2 threads on bench/suites/autodiff.ts's problems, built from the same numbers as
the suite (bench/harness.ts's fillRandom LCG, reproduced by common.fill):

  logistic m×n, m = 1000, n = 10, 100, 1000: f(x) = sum(softplus(-(y * (A @ x)))),
      A = fill(m·n, 101) row-major, y = sign(fill(m, 102)), x = 0.1 fill(n, 103), v = fill(n, 104);
      torch: f, grad, hvp (double backward), hessian (functional.hessian, vectorized);
      numpy: the closed forms A^T(-y∘σ(z)), A^T(w∘Av), (A^T∘w)A with z = -y∘Ax, w = σ(z)(1-σ(z)).
  MLP 20-20-1 tanh on 256 samples, mean squared error, 441 parameters:
      X = fill(256·20, 105), Y = fill(256, 106), W1 = 0.3 fill(400, 107), b1 = 0.1 fill(20, 108),
      W2 = 0.3 fill(20, 109), b2 = 0.1 fill(1, 110); the direction v: fill(·, 111…114);
      torch: f, grad, hvp, hessian over the flat 441-vector (W1, b1, W2, b2); numpy: f.
  jacobian of tanh(W x), W m×n in 100×100, 1000×100, 100×1000: W = fill(m·n, 115)/sqrt(n),
      x = fill(n, 116); torch: functional.jacobian vectorized, forward-mode and reverse-mode;
      numpy: f and the closed form (1 - t²)∘W.

Each thread count runs in a child process of its own, started with OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS set to it (Debian's torch and numpy call the system
OpenBLAS, which reads its thread count once, when it loads, and ignores torch.set_num_threads),
and torch.set_num_threads(the same). The child names the OpenBLAS it loaded (corename, config
and thread count, through ctypes; OPENBLAS_VERBOSE=2's "Core:" line too).

Timing as bench/peers/autodiff_torch.py: calls batched to >= 0.5 ms a sample, median over
samples for PEER_TIME s (default 0.4). ROUNDS (env PEER_ROUNDS, default 3) rounds, each running
the 1-thread child and the 2-thread child (order flipping every round); a figure is the best
round's, every round kept in `rounds`. The load average is recorded around each child (the
machine is shared). `checks` holds values at the point (f, sums of grad, hvp, Hessian,
Jacobian) that test/bench-problems/autodiff-threads.test.ts compares with the suite's.

Run: /usr/bin/python3 bench/peers/autodiff_threads.py [out.json]
(writes bench/peers/autodiff_threads.json by default)
"""
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = [1, 2]
LOGISTIC = [(1000, 10), (1000, 100), (1000, 1000)]
JACOBIAN = [(100, 100), (1000, 100), (100, 1000)]
MLP_GROUP = "MLP 20-20-1 tanh, 256 samples, 441 params"


def child(threads):
    """One round of every cell with `threads` threads; prints one JSON line."""
    import ctypes
    import time
    import numpy as np
    import torch
    import torch.nn.functional as F
    from common import fill, median_batched_ms

    torch.set_num_threads(threads)
    time_s = float(os.environ.get("PEER_TIME", "0.4"))

    def arr(n, seed, scale=1.0, shape=None):
        a = np.array(fill(n, seed)) * scale
        return a.reshape(shape) if shape else a

    cells = []  # (group, task, lib, fn)
    checks = {}

    for m, n in LOGISTIC:
        group = f"logistic {m}×{n}"
        A = arr(m * n, 101, shape=(m, n))
        y = np.sign(arr(m, 102))
        x = arr(n, 103, 0.1)
        v = arr(n, 104)
        tA, ty, tx, tv = (torch.from_numpy(a) for a in (A, y, x, v))

        def f(x, tA=tA, ty=ty):
            return F.softplus(-(ty * (tA @ x))).sum()

        def t_f(f=f, tx=tx):
            with torch.no_grad():
                return f(tx)

        def t_grad(f=f, tx=tx):
            xr = tx.detach().requires_grad_(True)
            return torch.autograd.grad(f(xr), xr)[0]

        def t_hvp(f=f, tx=tx, tv=tv):
            xr = tx.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(f(xr), xr, create_graph=True)
            return torch.autograd.grad(g, xr, grad_outputs=tv)[0]

        def t_hess(f=f, tx=tx):
            return torch.autograd.functional.hessian(f, tx, vectorize=True)

        def sig(z):
            return 1.0 / (1.0 + np.exp(-z))

        def n_f(A=A, y=y, x=x):
            return np.logaddexp(0.0, -y * (A @ x)).sum()

        def n_grad(A=A, y=y, x=x):
            return A.T @ (-y * sig(-y * (A @ x)))

        def n_hvp(A=A, y=y, x=x, v=v):
            s = sig(-y * (A @ x))
            return A.T @ (s * (1 - s) * (A @ v))

        def n_hess(A=A, y=y, x=x):
            s = sig(-y * (A @ x))
            return (A.T * (s * (1 - s))) @ A

        cells += [(group, "f", "torch", t_f), (group, "grad", "torch", t_grad), (group, "hvp", "torch", t_hvp),
                  (group, "hessian", "torch", t_hess), (group, "f", "numpy", n_f), (group, "grad", "numpy", n_grad),
                  (group, "hvp", "numpy", n_hvp), (group, "hessian", "numpy", n_hess)]
        H = t_hess()
        assert np.allclose(H.numpy(), n_hess(), rtol=1e-10, atol=1e-12), group
        checks[group] = {"f": float(t_f()), "grad_sum": float(t_grad().sum()), "hvp_sum": float(t_hvp().sum()),
                         "hessian_sum": float(H.sum()), "hessian_trace": float(H.trace())}

    X = arr(256 * 20, 105, shape=(256, 20))
    Y = arr(256, 106, shape=(256, 1))
    theta = np.concatenate([arr(400, 107, 0.3), arr(20, 108, 0.1), arr(20, 109, 0.3), arr(1, 110, 0.1)])
    vtheta = np.concatenate([arr(400, 111), arr(20, 112), arr(20, 113), arr(1, 114)])
    tX, tY, tth, tvt = (torch.from_numpy(a) for a in (X, Y, theta, vtheta))

    def mlp(th):
        W1, b1, W2, b2 = th[:400].view(20, 20), th[400:420], th[420:440].view(20, 1), th[440:441]
        return ((torch.tanh(tX @ W1 + b1) @ W2 + b2 - tY) ** 2).mean()

    def m_f():
        with torch.no_grad():
            return mlp(tth)

    def m_grad():
        th = tth.detach().requires_grad_(True)
        return torch.autograd.grad(mlp(th), th)[0]

    def m_hvp():
        th = tth.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(mlp(th), th, create_graph=True)
        return torch.autograd.grad(g, th, grad_outputs=tvt)[0]

    def m_hess():
        return torch.autograd.functional.hessian(mlp, tth, vectorize=True)

    def mn_f():
        W1, b1, W2, b2 = theta[:400].reshape(20, 20), theta[400:420], theta[420:440].reshape(20, 1), theta[440:441]
        return ((np.tanh(X @ W1 + b1) @ W2 + b2 - Y) ** 2).mean()

    cells += [(MLP_GROUP, "f", "torch", m_f), (MLP_GROUP, "grad", "torch", m_grad), (MLP_GROUP, "hvp", "torch", m_hvp),
              (MLP_GROUP, "hessian", "torch", m_hess), (MLP_GROUP, "f", "numpy", mn_f)]
    H = m_hess()
    checks[MLP_GROUP] = {"f": float(m_f()), "grad_sum": float(m_grad().sum()), "hvp_sum": float(m_hvp().sum()),
                         "hessian_sum": float(H.sum()), "hessian_trace": float(H.trace())}

    for m, n in JACOBIAN:
        group = f"jacobian tanh(Wx), W {m}×{n}"
        W = arr(m * n, 115, 1 / np.sqrt(n), shape=(m, n))
        x = arr(n, 116)
        tW, tx = torch.from_numpy(W), torch.from_numpy(x)

        def jf(x, tW=tW):
            return torch.tanh(tW @ x)

        def j_f(jf=jf, tx=tx):
            with torch.no_grad():
                return jf(tx)

        def j_fwd(jf=jf, tx=tx):
            return torch.autograd.functional.jacobian(jf, tx, vectorize=True, strategy="forward-mode")

        def j_rev(jf=jf, tx=tx):
            return torch.autograd.functional.jacobian(jf, tx, vectorize=True)

        def jn_f(W=W, x=x):
            return np.tanh(W @ x)

        def jn_jac(W=W, x=x):
            t = np.tanh(W @ x)
            return (1 - t * t)[:, None] * W

        cells += [(group, "f", "torch", j_f), (group, "jacobian fwd", "torch", j_fwd), (group, "jacobian rev", "torch", j_rev),
                  (group, "f", "numpy", jn_f), (group, "jacobian fwd", "numpy", jn_jac), (group, "jacobian rev", "numpy", jn_jac)]
        J = j_rev()
        assert np.allclose(J.numpy(), j_fwd().numpy(), rtol=1e-12, atol=1e-14) and np.allclose(J.numpy(), jn_jac(), rtol=1e-12, atol=1e-14), group
        checks[group] = {"f_sum": float(j_f().sum()), "jacobian_sum": float(J.sum()), "jacobian_00": float(J[0, 0])}

    load0 = os.getloadavg()
    rows = []
    for group, task, lib, fn in cells:
        ms = median_batched_ms(fn, time_s)
        rows.append({"group": group, "task": task, "lib": lib, "ms": ms})
        print(f"{threads}T {lib} {group} {task}: {ms:.4g} ms", file=sys.stderr, flush=True)

    blas = {}
    maps = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line and ".so" in line}
    lib = next((p for p in sorted(maps) if "libopenblas" in p), None) or next(iter(sorted(maps)), None)
    if lib:
        L = ctypes.CDLL(lib)
        L.openblas_get_corename.restype = ctypes.c_char_p
        L.openblas_get_config.restype = ctypes.c_char_p
        blas = {"library": lib, "corename": L.openblas_get_corename().decode(), "config": L.openblas_get_config().decode(),
                "openblas_threads": L.openblas_get_num_threads()}
    print("RESULT " + json.dumps({
        "threads": threads, "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "numpy": np.__version__,
        "blas": blas, "rows": rows, "checks": checks, "load": [load0, os.getloadavg()],
    }), flush=True)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "autodiff_threads.json")
    rounds = int(os.environ.get("PEER_ROUNDS", "3"))
    figures = {}  # (group, task, lib, threads) -> [ms per round]
    info = {}
    load_start = os.getloadavg()
    for r in range(rounds):
        for threads in THREADS if r % 2 == 0 else THREADS[::-1]:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                       MKL_NUM_THREADS=str(threads), OPENBLAS_VERBOSE="2", PYTHONPATH=HERE)
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(threads)], env=env,
                               capture_output=True, text=True)
            line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
            if p.returncode != 0 or not line:
                sys.stderr.write(p.stderr)
                sys.exit(1)
            res = json.loads(line[0][7:])
            core = [l.strip() for l in p.stdout.splitlines() + p.stderr.splitlines() if l.strip().startswith("Core:")]
            if res["torch_threads"] != threads or res["blas"].get("openblas_threads") != threads:
                sys.exit(f"child asked for {threads} threads but torch runs {res['torch_threads']}, OpenBLAS {res['blas'].get('openblas_threads')}")
            info[threads] = {k: res[k] for k in ("torch", "numpy", "blas", "checks")}
            info[threads]["openblas_verbose"] = core[0] if core else "(no Core: line)"
            for row in res["rows"]:
                figures.setdefault((row["group"], row["task"], row["lib"], threads), []).append(row["ms"])
            l0, l1 = res["load"]
            print(f"round {r + 1}, {threads} thread(s): load {l0[0]:.2f} → {l1[0]:.2f}", flush=True)
    from common import cpu_model
    one = info[1]
    data = {
        "meta": {
            "peers": f"PyTorch {one['torch']} (Debian python3-torch; eager autograd) and numpy {one['numpy']} closed forms, float64",
            "openblas": one["blas"],
            "openblas_verbose": one["openblas_verbose"],
            "python": platform.python_version(),
            "machine": f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()} (KVM guest, shared with other jobs)",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load": {"start": load_start, "end": os.getloadavg()},
            "method": f"median per call (batched to >= 0.5 ms a sample, {os.environ.get('PEER_TIME', '0.4')} s a cell); "
                      f"{rounds} rounds, each the 1- and 2-thread children (order flipping); ms = best round",
        },
        "checks": one["checks"],
        "rows": [{"group": g, "task": t, "lib": lib, "threads": th, "ms": min(v), "rounds": v}
                 for (g, t, lib, th), v in figures.items()],
    }
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        sys.path.insert(0, HERE)
        main()
