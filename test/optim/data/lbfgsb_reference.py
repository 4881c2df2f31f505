#!/usr/bin/env python3
# Writes lbfgsb-scipy.json: scipy's L-BFGS-B (exact gradients, default options) on the extended
# Rosenbrock function (Moré, Garbow & Hillstrom, problem 21), n = 1000, from the standard start
# x0 = (−1.2, 1, −1.2, 1, …) under three sets of bounds, for test/optim/lbfgsb.test.ts.
# Run once: /usr/bin/python3 test/optim/data/lbfgsb_reference.py   (Debian python3-scipy)
import json, os
import numpy as np
import scipy
from scipy.optimize import minimize, Bounds

n = 1000


def f(x):
    a, b = x[0::2], x[1::2]
    return float(np.sum(100 * (b - a**2) ** 2 + (1 - a) ** 2))


def g(x):
    a, b = x[0::2], x[1::2]
    out = np.empty_like(x)
    out[0::2] = -400 * a * (b - a**2) - 2 * (1 - a)
    out[1::2] = 200 * (b - a**2)
    return out


x0 = np.tile([-1.2, 1.0], n // 2)
cases = {
    "upper 0.8": (np.full(n, -np.inf), np.full(n, 0.8)),
    "odd entries >= 1.5": (np.where(np.arange(n) % 2 == 0, 1.5, -np.inf), np.full(n, np.inf)),
    "box [-2, 2]": (np.full(n, -2.0), np.full(n, 2.0)),
}
out = dict(scipy=scipy.__version__, numpy=np.__version__, script="test/optim/data/lbfgsb_reference.py", n=n, results={})
for name, (lo, hi) in cases.items():
    r = minimize(f, x0, jac=g, method="L-BFGS-B", bounds=Bounds(lo, hi))
    out["results"][name] = dict(f=float(r.fun), nit=int(r.nit), nfev=int(r.nfev), status=str(r.message), x=[float(v) for v in r.x])
with open(os.path.join(os.path.dirname(__file__), "lbfgsb-scipy.json"), "w") as fh:
    json.dump(out, fh)
print({k: (v["f"], v["nit"], v["nfev"]) for k, v in out["results"].items()})
