"""The 35 Moré–Garbow–Hillstrom problems as residual vectors r(x), f = Σ rᵢ².

Written from the definitions in J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing
unconstrained optimization software", ACM TOMS 7(1), 1981, pp. 17–41 (§3: functions, standard
starting points x0, and the published values f* of f at the minima). Data vectors (Bard,
Gaussian, Meyer, Kowalik–Osborne, Osborne 1 and 2) are the paper's tables. Every function is
written with numpy operations that accept complex arguments, so that mgh_lm_ref.py forms the
exact Jacobian by complex-step differentiation. test/optim/mgh35.ts holds the same problems
written with matcalc ops (same names, same order).

ENTRIES lists (name, n, m, x0, fstar): fstar the published minima of f (the global one first;
local minima the paper lists after it).
"""
import numpy as np


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def freudenstein_roth(x):
    return np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]])


def powell_badly_scaled(x):
    return np.array([1e4 * x[0] * x[1] - 1, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def brown_badly_scaled(x):
    return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])


BEALE_Y = np.array([1.5, 2.25, 2.625])


def beale(x):
    i = np.arange(1, 4)
    return BEALE_Y - x[0] * (1 - x[1] ** i)


def jennrich_sampson(x):
    i = np.arange(1, 11)
    return 2 + 2 * i - (np.exp(i * x[0]) + np.exp(i * x[1]))


def helical_valley(x):
    theta = np.arctan(x[1] / x[0]) / (2 * np.pi) + (0.5 if np.real(x[0]) < 0 else 0)
    return np.array([10 * (x[2] - 10 * theta), 10 * (np.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]])


BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])


def bard(x):
    u = np.arange(1, 16)
    v = 16 - u
    w = np.minimum(u, v)
    return BARD_Y - (x[0] + u / (v * x[1] + w * x[2]))


GAUSSIAN_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


def gaussian(x):
    t = (8 - np.arange(1, 16)) / 2
    return x[0] * np.exp(-x[1] * (t - x[2]) ** 2 / 2) - GAUSSIAN_Y


MEYER_Y = np.array([34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872], dtype=float)


def meyer(x):
    t = 45 + 5 * np.arange(1, 17)
    return x[0] * np.exp(x[1] / (t + x[2])) - MEYER_Y


GULF_M = 99


def gulf(x):
    t = np.arange(1, GULF_M + 1) / 100
    y = 25 + (-50 * np.log(t)) ** (2 / 3)
    # |y − x2| written as √((y − x2)²), which complex steps pass through.
    return np.exp(-(np.sqrt((y - x[1]) ** 2) ** x[2]) / x[0]) - t


def box3d(x):
    t = 0.1 * np.arange(1, 11)
    return np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10 * t))


def powell_singular(x):
    return np.array([x[0] + 10 * x[1], np.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2, np.sqrt(10) * (x[0] - x[3]) ** 2])


def wood(x):
    return np.array([
        10 * (x[1] - x[0] ** 2), 1 - x[0], np.sqrt(90) * (x[3] - x[2] ** 2), 1 - x[2],
        np.sqrt(10) * (x[1] + x[3] - 2), (x[1] - x[3]) / np.sqrt(10),
    ])


KO_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246])
KO_U = np.array([4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def kowalik_osborne(x):
    u = KO_U
    return KO_Y - x[0] * (u ** 2 + u * x[1]) / (u ** 2 + u * x[2] + x[3])


def brown_dennis(x):
    t = np.arange(1, 21) / 5
    return (x[0] + t * x[1] - np.exp(t)) ** 2 + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2


OSB1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580,
                   0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406])


def osborne1(x):
    t = 10 * np.arange(33)
    return OSB1_Y - (x[0] + x[1] * np.exp(-t * x[3]) + x[2] * np.exp(-t * x[4]))


def biggs(x):
    t = 0.1 * np.arange(1, 14)
    y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y


OSB2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724,
    0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429,
    0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
    0.428, 0.292, 0.162, 0.098, 0.054])


def osborne2(x):
    t = np.arange(65) / 10
    return OSB2_Y - (x[0] * np.exp(-t * x[4]) + x[1] * np.exp(-(t - x[8]) ** 2 * x[5])
                     + x[2] * np.exp(-(t - x[9]) ** 2 * x[6]) + x[3] * np.exp(-(t - x[10]) ** 2 * x[7]))


def watson(x):
    n = len(x)
    t = np.arange(1, 30) / 29
    r = []
    for ti in t:
        s1 = sum((j - 1) * x[j - 1] * ti ** (j - 2) for j in range(2, n + 1))
        s2 = sum(x[j - 1] * ti ** (j - 1) for j in range(1, n + 1))
        r.append(s1 - s2 ** 2 - 1)
    r.append(x[0])
    r.append(x[1] - x[0] ** 2 - 1)
    return np.array(r)


def extended_rosenbrock(x):
    a, b = x[0::2], x[1::2]
    r = np.empty(len(x), dtype=x.dtype)
    r[0::2] = 10 * (b - a ** 2)
    r[1::2] = 1 - a
    return r


def extended_powell(x):
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    r = np.empty(len(x), dtype=x.dtype)
    r[0::4] = a + 10 * b
    r[1::4] = np.sqrt(5) * (c - d)
    r[2::4] = (b - 2 * c) ** 2
    r[3::4] = np.sqrt(10) * (a - d) ** 2
    return r


def penalty1(x):
    a = 1e-5
    return np.concatenate([np.sqrt(a) * (x - 1), [np.sum(x ** 2) - 0.25]])


def penalty2(x):
    n = len(x)
    a = 1e-5
    i = np.arange(2, n + 1)
    y = np.exp(i / 10) + np.exp((i - 1) / 10)
    r2 = np.sqrt(a) * (np.exp(x[1:] / 10) + np.exp(x[:-1] / 10) - y)
    r3 = np.sqrt(a) * (np.exp(x[1:] / 10) - np.exp(-1 / 10))
    last = np.sum((n - np.arange(n)) * x ** 2) - 1
    return np.concatenate([[x[0] - 0.2], r2, r3, [last]])


def variably_dimensioned(x):
    n = len(x)
    s = np.sum(np.arange(1, n + 1) * (x - 1))
    return np.concatenate([x - 1, [s, s ** 2]])


def trigonometric(x):
    n = len(x)
    i = np.arange(1, n + 1)
    return n - np.sum(np.cos(x)) + i * (1 - np.cos(x)) - np.sin(x)


def brown_almost_linear(x):
    n = len(x)
    return np.concatenate([x[:-1] + np.sum(x) - (n + 1), [np.prod(x) - 1]])


def discrete_bv(x):
    n = len(x)
    h = 1 / (n + 1)
    t = np.arange(1, n + 1) * h
    xp = np.concatenate([[0], x, [0]])
    return 2 * x - xp[:-2] - xp[2:] + h ** 2 * (x + t + 1) ** 3 / 2


def discrete_integral(x):
    n = len(x)
    h = 1 / (n + 1)
    t = np.arange(1, n + 1) * h
    c = (x + t + 1) ** 3
    r = []
    for i in range(n):
        s1 = np.sum(t[: i + 1] * c[: i + 1])
        s2 = np.sum((1 - t[i + 1:]) * c[i + 1:])
        r.append(x[i] + h * ((1 - t[i]) * s1 + t[i] * s2) / 2)
    return np.array(r)


def broyden_tridiagonal(x):
    xp = np.concatenate([[0], x, [0]])
    return (3 - 2 * x) * x - xp[:-2] - 2 * xp[2:] + 1


def broyden_banded(x):
    n = len(x)
    ml, mu = 5, 1
    r = []
    for i in range(n):
        s = sum(x[j] * (1 + x[j]) for j in range(max(0, i - ml), min(n, i + mu + 1)) if j != i)
        r.append(x[i] * (2 + 5 * x[i] ** 2) + 1 - s)
    return np.array(r)


LIN_M = 20


def linear_full_rank(x):
    s = np.sum(x)
    r = np.full(LIN_M, -2 * s / LIN_M - 1, dtype=x.dtype)
    r[: len(x)] += x
    return r


def linear_rank1(x):
    n = len(x)
    s = np.sum(np.arange(1, n + 1) * x)
    return np.arange(1, LIN_M + 1) * s - 1


def linear_rank1_zero(x):
    n = len(x)
    s = np.sum(np.arange(2, n) * x[1:-1])
    r = np.arange(LIN_M) * s - 1
    r[-1] = -1 + 0 * s
    return r


def chebyquad(x):
    n = len(x)
    y = 2 * x - 1
    r = []
    t_prev, t_cur = np.ones_like(x), y
    for i in range(1, n + 1):
        integral = 0.0 if i % 2 else -1 / (i * i - 1)
        r.append(np.mean(t_cur) - integral)
        t_prev, t_cur = t_cur, 2 * y * t_cur - t_prev
    return np.array(r)


def _lin(n):
    return [float(i) for i in range(1, n + 1)]


def _bv0(n):
    h = 1 / (n + 1)
    return [(i * h) * (i * h - 1) for i in range(1, n + 1)]


# (name, function, x0, published f* values: global first, then local minima the paper lists)
ENTRIES = [
    ("Rosenbrock", rosenbrock, [-1.2, 1], [0]),
    ("Freudenstein-Roth", freudenstein_roth, [0.5, -2], [0, 48.9842]),
    ("Powell badly scaled", powell_badly_scaled, [0, 1], [0]),
    ("Brown badly scaled", brown_badly_scaled, [1, 1], [0]),
    ("Beale", beale, [1, 1], [0]),
    ("Jennrich-Sampson m=10", jennrich_sampson, [0.3, 0.4], [124.362]),
    ("Helical valley", helical_valley, [-1, 0, 0], [0]),
    ("Bard", bard, [1, 1, 1], [8.21487e-3, 17.4286]),
    ("Gaussian", gaussian, [0.4, 1, 0], [1.12793e-8]),
    ("Meyer", meyer, [0.02, 4000, 250], [87.9458]),
    ("Gulf research m=99", gulf, [5, 2.5, 0.15], [0]),
    ("Box 3-D m=10", box3d, [0, 10, 20], [0]),
    ("Powell singular", powell_singular, [3, -1, 0, 1], [0]),
    ("Wood", wood, [-3, -1, -3, -1], [0]),
    ("Kowalik-Osborne", kowalik_osborne, [0.25, 0.39, 0.415, 0.39], [3.07505e-4, 1.02734e-3]),
    ("Brown-Dennis m=20", brown_dennis, [25, 5, -5, -1], [85822.2]),
    ("Osborne 1", osborne1, [0.5, 1.5, -1, 0.01, 0.02], [5.46489e-5]),
    ("Biggs EXP6 m=13", biggs, [1, 2, 1, 1, 1, 1], [0, 5.65565e-3]),
    ("Osborne 2", osborne2, [1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5], [4.01377e-2]),
    ("Watson n=6", watson, [0] * 6, [2.28767e-3]),
    ("Watson n=9", watson, [0] * 9, [1.39976e-6]),
    ("Watson n=12", watson, [0] * 12, [4.72238e-10]),
    ("Extended Rosenbrock n=10", extended_rosenbrock, [-1.2, 1] * 5, [0]),
    ("Extended Powell n=12", extended_powell, [3, -1, 0, 1] * 3, [0]),
    ("Penalty I n=4", penalty1, _lin(4), [2.24997e-5]),
    ("Penalty I n=10", penalty1, _lin(10), [7.08765e-5]),
    ("Penalty II n=4", penalty2, [0.5] * 4, [9.37629e-6]),
    ("Penalty II n=10", penalty2, [0.5] * 10, [2.93660e-4]),
    ("Variably dimensioned n=10", variably_dimensioned, [1 - j / 10 for j in range(1, 11)], [0]),
    ("Trigonometric n=10", trigonometric, [0.1] * 10, [0, 2.79506e-5]),
    ("Brown almost-linear n=10", brown_almost_linear, [0.5] * 10, [0, 1]),
    ("Discrete boundary value n=10", discrete_bv, _bv0(10), [0]),
    ("Discrete integral equation n=10", discrete_integral, _bv0(10), [0]),
    ("Broyden tridiagonal n=10", broyden_tridiagonal, [-1.0] * 10, [0]),
    ("Broyden banded n=10", broyden_banded, [-1.0] * 10, [0]),
    ("Linear full rank n=10 m=20", linear_full_rank, [1.0] * 10, [10]),
    ("Linear rank 1 n=10 m=20", linear_rank1, [1.0] * 10, [LIN_M * (LIN_M - 1) / (2 * (2 * LIN_M + 1))]),
    ("Linear rank 1 zero columns n=10 m=20", linear_rank1_zero, [1.0] * 10, [(LIN_M ** 2 + 3 * LIN_M - 6) / (2 * (2 * LIN_M - 3))]),
    ("Chebyquad n=8", chebyquad, [j / 9 for j in range(1, 9)], [3.51687e-3]),
]
