# Generates curve_fit_ref.json: scipy.optimize.curve_fit results that test/optim/curve-fit.test.ts
# compares curveFit against. Run once with Debian's python3-scipy:
#   /usr/bin/python3 test/optim/data/scipy/curve_fit_ref.py > test/optim/data/scipy/curve_fit_ref.json
import json
import numpy as np
import scipy
from scipy.optimize import curve_fit

t = np.linspace(0.0, 4.0, 25)
# Deterministic "noise": a fixed pattern, so both sides fit the same data.
pattern = np.sin(7.3 * t) * 0.04 + np.cos(3.1 * t) * 0.02
y = 2.5 * np.exp(-1.3 * t) + 0.5 + pattern
sig = 0.02 + 0.01 * t
# A covariance with neighbour correlations 0.3·σᵢσⱼ.
cov = np.diag(sig**2)
for i in range(len(t) - 1):
    cov[i, i + 1] = cov[i + 1, i] = 0.3 * sig[i] * sig[i + 1]

def model(x, a, k, c):
    return a * np.exp(-k * x) + c

out = {"scipy": scipy.__version__, "t": t.tolist(), "y": y.tolist(), "sigma": sig.tolist(), "cov": cov.tolist(), "p0": [1.0, 1.0, 0.0], "cases": {}}
for name, kw in {
    "plain": {},
    "sigma": {"sigma": sig},
    "sigma_absolute": {"sigma": sig, "absolute_sigma": True},
    "cov_absolute": {"sigma": cov, "absolute_sigma": True},
    "soft_l1": {"method": "trf", "loss": "soft_l1", "f_scale": 0.05},
}.items():
    popt, pcov = curve_fit(model, t, y, p0=[1.0, 1.0, 0.0], xtol=1e-15, ftol=1e-15, gtol=1e-15, **kw)
    out["cases"][name] = {"popt": popt.tolist(), "pcov": pcov.tolist()}
print(json.dumps(out, indent=1))
