#!/usr/bin/env python3
# scipy's side of bench/suites/constrained.ts, with the derivatives scipy needs written by hand:
#   - L-BFGS-B on the extended Rosenbrock function (MGH 21), n = 1000, x <= 0.8, standard start;
#   - trust-constr (exact gradient and Hessian) on the Euclidean projection onto the simplex,
#     min ½‖x − c‖² s.t. Σx = 1, x >= 0, n = 200, c = the seeded vector of the suite.
# Prints p50 wall ms of full solves and the counts. Run: /usr/bin/python3 bench/scipy/constrained.py
import time
import numpy as np
import scipy
from scipy.optimize import minimize, Bounds, LinearConstraint

n = 1000
x0 = np.tile([-1.2, 1.0], n // 2)


def f(x):
    a, b = x[0::2], x[1::2]
    return float(np.sum(100 * (b - a**2) ** 2 + (1 - a) ** 2))


def g(x):
    a, b = x[0::2], x[1::2]
    out = np.empty_like(x)
    out[0::2] = -400 * a * (b - a**2) - 2 * (1 - a)
    out[1::2] = 200 * (b - a**2)
    return out


def p50(fn, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        r = fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return float(np.median(ts)), r


ms, r = p50(lambda: minimize(f, x0, jac=g, method="L-BFGS-B", bounds=Bounds(-np.inf, 0.8)), 30)
print(f"scipy {scipy.__version__} L-BFGS-B ext. Rosenbrock n=1000 x<=0.8: p50 {ms:.2f} ms, f = {r.fun:.6g}, {r.nit} it, {r.nfev} f/g")

m = 200
c = np.sin(np.arange(m) * 1.3) + 0.5 * np.cos(np.arange(m) * 0.7)  # the suite's c
fq = lambda x: 0.5 * float(np.dot(x - c, x - c))
gq = lambda x: x - c
hq = lambda x: np.eye(m)
lin = LinearConstraint(np.ones((1, m)), 1, 1)
ms, r = p50(lambda: minimize(fq, np.full(m, 1.0 / m), jac=gq, hess=hq, method="trust-constr", bounds=Bounds(0, np.inf), constraints=[lin]), 5)
print(f"scipy {scipy.__version__} trust-constr simplex projection n=200: p50 {ms:.1f} ms, f = {r.fun:.10g}, {r.nit} it, {r.nfev} f, status {r.status}")
