"""Reference runs of scipy.optimize.minimize on the 39 Moré–Garbow–Hillstrom entries
(mgh_problems.py), f = Σ rᵢ², from the standard starts with scipy's default options: the
analogs of matcalc's minimize methods (bfgs: 'BFGS', lbfgs: 'L-BFGS-B', newton-cg: 'Newton-CG',
trust-ncg: 'trust-ncg', newton: 'trust-exact', the dense-Hessian method).

The gradient 2Jᵀr is exact (J by complex-step differentiation); Hessian products and the dense
Hessian are central differences of that exact gradient (scipy's own default for Newton-CG
without a Hessian is a forward difference of it). Writes mgh_minimize_ref.json beside this
script. Run once:  python3 mgh_minimize_ref.py
"""
import json
import os
import warnings

import numpy as np
import scipy
from scipy.optimize import minimize

from mgh_lm_ref import jac_of, reached
from mgh_problems import ENTRIES

METHODS = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "newton-cg": "Newton-CG", "trust-ncg": "trust-ncg", "newton": "trust-exact"}


def objective(f):
    J = jac_of(f)

    def fun(x):
        r = f(x)
        return float(np.sum(r ** 2))

    def grad(x):
        return 2 * J(x).T @ f(x)

    def hessp(x, p):
        pn = np.linalg.norm(p)
        if pn == 0:
            return np.zeros_like(x)
        h = 1e-6 * max(1.0, np.linalg.norm(x)) / pn
        return (grad(x + h * p) - grad(x - h * p)) / (2 * h)

    def hess(x):
        n = len(x)
        H = np.column_stack([hessp(x, np.eye(n)[j]) for j in range(n)])
        return (H + H.T) / 2

    return fun, grad, hessp, hess


out = {"scipy": scipy.__version__, "numpy": np.__version__, "methods": METHODS, "entries": []}
counts = {k: 0 for k in METHODS}
warnings.simplefilter("ignore")
for name, f, x0, fstar in ENTRIES:
    fun, grad, hessp, hess = objective(f)
    row = {"name": name, "fstar": fstar, "runs": {}}
    for ours, theirs in METHODS.items():
        kw = {}
        if theirs in ("Newton-CG", "trust-ncg"):
            kw["hessp"] = hessp
        if theirs == "trust-exact":
            kw["hess"] = hess
        try:
            r = minimize(fun, np.array(x0, dtype=float), jac=grad, method=theirs, **kw)
            fv = float(r.fun)
            run = {"f": fv, "nit": int(r.get("nit", -1)), "success": bool(r.success), "reached": reached(fv, fstar)}
        except Exception as exc:  # a method that fails outright does not reach f*
            run = {"f": None, "error": str(exc)[:200], "reached": False}
        counts[ours] += run["reached"]
        row["runs"][ours] = run
    out["entries"].append(row)
    print(f"{name:38s} " + " ".join(f"{k}:{'ok' if v['reached'] else '--'}" for k, v in row["runs"].items()))
out["counts"] = counts
print(counts)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mgh_minimize_ref.json"), "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
