#!/usr/bin/env python3
"""Tables and polynomial of assembly/math/pow.ts (log(x) to ~68 bits for x^y = exp(y·log x)).

Run: /usr/bin/python3 scripts/pow-tables.py  (prints the AssemblyScript table and constants,
then the measured error of the log it defines over every subinterval).

The construction follows the design of ARM optimized-routines' pow (Szabolcs Nagy, 2018;
math/pow_log_data.c describes it): x = 2^k·z with z in [0x1.69555p-1, 0x1.69555p0), that range
split into N = 128 subintervals by the top 7 bits of (bits(x) − OFF); per subinterval a c near
its centre whose 1/c has only 8 significant bits, so z/c − 1 is exact as a double;
log(c) split into logc (a multiple of 2^-43, so k·ln2hi + logc has no rounding error) and
logctail. The values below are computed here with mpmath; the polynomial is our own fit.
"""
import struct
import mpmath as mp
from log1p_fit import tail_coefficients  # scripts/log1p_fit.py (the script's folder is on sys.path)

mp.mp.prec = 300
N = 128
OFF = 0x3FE6955500000000


def f2b(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def b2f(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b & 0xFFFFFFFFFFFFFFFF))[0]


def hexf(x: float) -> str:
    return "0x%016X" % f2b(x)


LN2 = mp.log(2)
# ln2hi: ln2 rounded to a multiple of 2^-42 (42 significant bits): k·ln2hi is exact for
# |k| < 2^11, and so is k·ln2hi + logc (both multiples of 2^-43 below 2^10).
ln2hi = float(mp.nint(LN2 * 2**42) / 2**42)
ln2lo = float(LN2 - mp.mpf(ln2hi))

rows = []
rmax = mp.mpf(0)
for i in range(N):
    lo_b = OFF + (i << 45)
    hi_b = OFF + ((i + 1) << 45)
    zlo = mp.mpf(b2f(lo_b))
    zhi = mp.mpf(b2f(hi_b))
    centre = (zlo + zhi) / 2
    if centre < 1:
        invc = mp.nint(N / centre) / N
    else:
        invc = mp.nint(2 * N / centre) / (2 * N)
    invc_f = float(invc)
    assert mp.mpf(invc_f) == invc
    c = 1 / invc
    logc_exact = mp.log(c)
    logc = float(mp.nint(logc_exact * 2**43) / 2**43)
    logctail = float(logc_exact - mp.mpf(logc))
    rows.append((invc_f, logc, logctail))
    for z in (zlo, zhi):
        rmax = max(rmax, abs(z * invc - 1))

print("// rmax =", mp.nstr(rmax, 8), "(2^%.3f)" % float(mp.log(rmax, 2)))
assert rmax < mp.mpf(2) ** -7

# log1p(r) = r − r²/2 + r³·g(r); g fitted by interpolation at Chebyshev nodes of [−R, R]
# (near-minimax), degree 5, so the whole polynomial has degree 8.
R = mp.mpf(rmax) * mp.mpf("1.001")
DEG = 5

c = [float(t) for t in tail_coefficients(R, DEG)]  # c3..c8
# Scaled for the evaluation p = ar3·(A1 + r·A2 + ar2·(A3 + r·A4 + ar2·(A5 + r·A6))) with
# ar = −r/2, ar2 = −r²/2, ar3 = −r³/2 (powers of two: the scaling is exact).
A = [-2 * c[0], -2 * c[1], 4 * c[2], 4 * c[3], -8 * c[4], -8 * c[5]]

# Relative error of the polynomial with the rounded coefficients (exact arithmetic).
worst = mp.mpf(0)
for j in range(4001):
    r = -R + 2 * R * j / 4000
    if r == 0:
        continue
    ar3 = -r**3 / 2
    ar2 = -r**2 / 2
    p = ar3 * ((A[0] + r * A[1]) + ar2 * (A[2] + r * A[3]) + ar2 * ar2 * (A[4] + r * A[5]))
    approx = r - r * r / 2 + p
    worst = max(worst, abs(approx / mp.log1p(r) - 1))
print("// polynomial relative error 2^%.2f on |r| <= %s" % (float(mp.log(worst, 2)), mp.nstr(R, 6)))

print("LN2HI", hexf(ln2hi), ln2hi.hex())
print("LN2LO", hexf(ln2lo), ln2lo.hex())
for k, a in enumerate(A):
    print("A%d" % (k + 1), hexf(a), a.hex())
print("table (invc, logc, logctail, 0) per entry:")
for i, (a, b, t) in enumerate(rows):
    print("  %s, %s, %s, 0x0000000000000000," % (hexf(a), hexf(b), hexf(t)))
