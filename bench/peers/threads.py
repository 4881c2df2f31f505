#!/usr/bin/env python3
"""Peers of bench/suites/threads.ts: numpy/scipy (OpenBLAS) and PyTorch with 1 and 2 threads on
gemm, LU (getrf) and Cholesky (potrf) at n = 1024, float64. Writes bench/peers/threads.json.

    /usr/bin/python3 bench/peers/threads.py

OpenBLAS reads its thread count once, when it loads: each (library, thread count) runs in a
child process started with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set (torch also gets
torch.set_num_threads). OPENBLAS_VERBOSE=2 makes OpenBLAS name the kernel it chose (its
"Core:" line), which is recorded with numpy.show_config()'s BLAS section. Each figure is the
median of repeated calls after a warm-up; the load average (os.getloadavg) is recorded
before and after each child, since other processes share the machine.
"""
import json, os, subprocess, sys, time, datetime, platform

N = 1024
REPS = 7

CHILD = r'''
import os, sys, time, json
lib, threads, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
import numpy as np
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (n, n)); b = rng.uniform(-1, 1, (n, n))
spd = a @ a.T + n * np.eye(n)
def med(f):
    f(); f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort(); return ts[len(ts) // 2]
out = {}
if lib == "numpy":
    import scipy.linalg as sl
    out["gemm"] = med(lambda: a @ b)
    out["getrf"] = med(lambda: sl.lu_factor(a, check_finite=False))
    out["potrf"] = med(lambda: sl.cholesky(spd, lower=True, check_finite=False))
else:
    import torch
    torch.set_num_threads(threads)
    ta, tb, ts = (torch.from_numpy(x) for x in (a, b, spd))
    out["gemm"] = med(lambda: ta @ tb)
    out["getrf"] = med(lambda: torch.linalg.lu_factor(ta))
    out["potrf"] = med(lambda: torch.linalg.cholesky(ts))
    out["torch"] = torch.__version__
    out["torch_threads"] = torch.get_num_threads()
print("RESULT " + json.dumps(out))
'''

def blas_info():
    env = dict(os.environ, OPENBLAS_VERBOSE="2", OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-c", "import numpy; numpy.show_config(); (numpy.ones((64, 64)) @ numpy.ones((64, 64)))"],
                       env=env, capture_output=True, text=True)
    core = [l.strip() for l in p.stderr.splitlines() + p.stdout.splitlines() if l.strip().startswith("Core:")]
    return {"openblas_core": core[0] if core else "(OpenBLAS did not print its Core line)",
            "numpy_show_config": p.stdout}

def main():
    import numpy, scipy
    results, loads = [], []
    for lib in ["numpy", "torch"]:
        for threads in [1, 2, 1, 2]:  # interleaved, twice: the better of two runs per setting
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
            before = os.getloadavg()[0]
            p = subprocess.run([sys.executable, "-c", CHILD, lib, str(threads), str(N), str(REPS)], env=env, capture_output=True, text=True)
            after = os.getloadavg()[0]
            line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
            if not line:
                print(p.stderr, file=sys.stderr); sys.exit(1)
            r = json.loads(line[0][7:])
            for op in ["gemm", "getrf", "potrf"]:
                row = {"lib": lib, "op": op, "n": N, "threads": threads, "ms": r[op], "load1": [round(before, 2), round(after, 2)]}
                prev = next((x for x in results if x["lib"] == lib and x["op"] == op and x["threads"] == threads), None)
                if prev is None: results.append(row)
                elif r[op] < prev["ms"]: prev.update(row)
            print(lib, threads, {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()}, "load", round(before, 2), round(after, 2))
    from common import cpu_model  # bench/peers/common.py (the script's folder is on sys.path)
    model = cpu_model()
    data = {
        "machine": f"{model}, {os.cpu_count()} logical CPUs (KVM guest, shared with other jobs)",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "numpy": numpy.__version__, "scipy": scipy.__version__,
        "ops": {"gemm": "a @ b (dgemm)", "getrf": "scipy.linalg.lu_factor / torch.linalg.lu_factor",
                "potrf": "scipy.linalg.cholesky(lower) / torch.linalg.cholesky"},
        "method": f"median of {REPS} calls after 2 warm-up calls; better of 2 interleaved child processes per setting; load1 = 1-minute load average before/after",
        **blas_info(),
        "results": results,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "threads.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print("wrote", path)

if __name__ == "__main__":
    main()
