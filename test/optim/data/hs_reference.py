#!/usr/bin/env python3
# Writes hs.json: the Hock–Schittkowski problems of hs_problems.py (definitions and published
# solutions) and, once, scipy's results on them from the standard starting points with default
# options, for test/optim/hs.test.ts to compare against:
#   - SLSQP with finite-difference derivatives (scipy's default when no jac is given),
#   - SLSQP with exact gradients (from sympy),
#   - L-BFGS-B with exact gradients on the bound-constrained problems.
# Run: /usr/bin/python3 test/optim/data/hs_reference.py   (Debian python3-scipy, python3-sympy)
import json, math, os, sys, warnings
import numpy as np
import scipy, sympy
from scipy.optimize import minimize, Bounds

sys.path.insert(0, os.path.dirname(__file__))
from hs_problems import PROBLEMS

warnings.filterwarnings("ignore")
FNS = {k: getattr(np, k) for k in ["exp", "log", "sin", "cos", "sqrt"]}


def compile_expr(expr, n):
    xs = sympy.symbols(" ".join(f"x{i+1}" for i in range(n)))
    xs = xs if isinstance(xs, tuple) else (xs,)
    e = sympy.sympify(expr, locals={f"x{i+1}": xs[i] for i in range(n)})
    f = sympy.lambdify([xs], e, "numpy")
    g = sympy.lambdify([xs], [sympy.diff(e, v) for v in xs], "numpy")
    return (lambda x: float(f(x))), (lambda x: np.array(g(x), dtype=float))


def outcome(p, x, fval, status, nit, nfev, njev):
    e = dict(FNS)
    e.update({f"x{i+1}": float(v) for i, v in enumerate(x)})
    viol = 0.0
    for g in p["ineq"]:
        viol = max(viol, -float(eval(g, e)))
    for g in p["eq"]:
        viol = max(viol, abs(float(eval(g, e))))
    for i in range(p["n"]):
        if p["lower"][i] is not None:
            viol = max(viol, p["lower"][i] - x[i])
        if p["upper"][i] is not None:
            viol = max(viol, x[i] - p["upper"][i])
    return dict(x=[float(v) for v in x], f=float(fval), violation=float(viol), status=str(status), nit=int(nit), nfev=int(nfev), njev=int(njev))


def bounds_of(p):
    lo = [-np.inf if v is None else v for v in p["lower"]]
    hi = [np.inf if v is None else v for v in p["upper"]]
    return Bounds(lo, hi) if any(np.isfinite(lo)) or any(np.isfinite(hi)) else None


results = {}
for p in PROBLEMS:
    n = p["n"]
    f, gf = compile_expr(p["f"], n)
    cons_exact, cons_fd = [], []
    for kind in ("ineq", "eq"):
        for g in p[kind]:
            c, gc = compile_expr(g, n)
            cons_fd.append(dict(type=kind, fun=c))
            cons_exact.append(dict(type=kind, fun=c, jac=gc))
    b = bounds_of(p)
    x0 = np.array(p["x0"], dtype=float)
    r = {}
    for label, jac, cons in (("slsqpFD", None, cons_fd), ("slsqpExact", gf, cons_exact)):
        try:
            res = minimize(f, x0, jac=jac, method="SLSQP", bounds=b, constraints=cons)
            r[label] = outcome(p, res.x, res.fun, res.message, res.nit, res.nfev, getattr(res, "njev", 0))
        except Exception as ex:  # a failure is a result too
            r[label] = dict(error=str(ex))
    if not p["ineq"] and not p["eq"]:
        res = minimize(f, x0, jac=gf, method="L-BFGS-B", bounds=b)
        r["lbfgsb"] = outcome(p, res.x, res.fun, res.message, res.nit, res.nfev, res.njev)
    results[p["name"]] = r

out = dict(
    source=("Problems and published solutions: K. Schittkowski, PROB.FOR (An Updated Set of 306 Test Problems for Nonlinear "
            "Programming with Validated Optimal Solutions, Univ. Bayreuth, 2010), problems of Hock & Schittkowski, Test Examples "
            "for Nonlinear Programming Codes, LNEMS 187, Springer 1981; transcribed in hs_problems.py."),
    scipy=dict(version=scipy.__version__, numpy=np.__version__, script="test/optim/data/hs_reference.py"),
    problems=PROBLEMS,
    results=results,
)
with open(os.path.join(os.path.dirname(__file__), "hs.json"), "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", len(PROBLEMS), "problems")
