# Generates mgh_bounds_ref.json: scipy.optimize.least_squares (method='trf', tolerances 1e-15)
# on Moré–Garbow–Hillstrom problems with box bounds that cut off their unconstrained minima.
# test/optim/bounds.test.ts compares leastSquares(…, { bounds }) against it. Run once:
#   /usr/bin/python3 test/optim/data/scipy/mgh_bounds_ref.py > test/optim/data/scipy/mgh_bounds_ref.json
import json
import numpy as np
import scipy
from scipy.optimize import least_squares

inf = np.inf

def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])

def freudenstein_roth(x):
    x1, x2 = x
    return np.array([-13 + x1 + ((5 - x2) * x2 - 2) * x2, -29 + x1 + ((x2 + 1) * x2 - 14) * x2])

def beale(x):
    return np.array([yi - x[0] * (1 - x[1] ** (i + 1)) for i, yi in enumerate([1.5, 2.25, 2.625])])

def powell_singular(x):
    x1, x2, x3, x4 = x
    return np.array([x1 + 10 * x2, np.sqrt(5) * (x3 - x4), (x2 - 2 * x3) ** 2, np.sqrt(10) * (x1 - x4) ** 2])

def wood(x):
    x1, x2, x3, x4 = x
    return np.array([10 * (x2 - x1 ** 2), 1 - x1, np.sqrt(90) * (x4 - x3 ** 2), 1 - x3,
                     np.sqrt(10) * (x2 + x4 - 2), (x2 - x4) / np.sqrt(10)])

bt = 0.1 * np.arange(1, 11)
def box3d(x):
    return np.exp(-bt * x[0]) - np.exp(-bt * x[1]) - x[2] * (np.exp(-bt) - np.exp(-10 * bt))

problems = [
    # name (as in test/optim/problems.ts), function, x0, lower, upper
    ("Rosenbrock (MGH 1)", rosenbrock, [2, 2], [-inf, 1.5], [inf, inf]),
    ("Rosenbrock (MGH 1)", rosenbrock, [-1.2, 1], [-inf, -inf], [0.5, inf]),
    ("Freudenstein–Roth (MGH 2)", freudenstein_roth, [0.5, -2], [-inf, -inf], [4, inf]),
    ("Beale (MGH 5)", beale, [1, 1], [-inf, -inf], [2.5, inf]),
    ("Powell singular (MGH 13)", powell_singular, [3, -1, 0, 1], [0.1, -inf, -inf, -inf], [inf, inf, inf, inf]),
    ("Wood (MGH 14)", wood, [-3, -1, -3, -1], [-inf] * 4, [0.8, inf, 0.8, inf]),
    ("Box 3-D, m = 10 (MGH 12)", box3d, [0, 9, 20], [0, 0, 0], [5, 9.5, 25]),
]
out = {"scipy": scipy.__version__, "method": "trf", "problems": []}
for name, f, x0, lo, hi in problems:
    r = least_squares(f, x0, bounds=(lo, hi), method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=100000)
    out["problems"].append({"name": name, "x0": x0, "lower": [None if v == -inf else v for v in lo],
                            "upper": [None if v == inf else v for v in hi], "x": r.x.tolist(),
                            "cost": r.cost, "active_mask": r.active_mask.tolist(), "status": int(r.status)})
print(json.dumps(out, indent=1))
