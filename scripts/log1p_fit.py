"""The near-minimax tail polynomial both log tables use (scripts/pow-tables.py,
scripts/softplus-tables.py): log1p(r) = r − r²/2 + r³·g(r) on |r| ≤ R, g of degree `deg`
interpolating log1p's tail at the Chebyshev nodes of [−R, R]. Returns g's coefficients (those
of r³ … r^(deg+3)) as mpmath numbers; each script rounds and scales them for its kernel."""
import mpmath as mp


def g(r):
    if abs(r) < mp.mpf(10) ** -30:
        return mp.mpf(1) / 3 - r / 4
    return (mp.log1p(r) - r + r * r / 2) / r**3


def tail_coefficients(R, deg):
    nodes = [R * mp.cos(mp.pi * (2 * j + 1) / (2 * (deg + 1))) for j in range(deg + 1)]
    M = mp.matrix([[t**p for p in range(deg + 1)] for t in nodes])
    v = mp.matrix([g(t) for t in nodes])
    coef = mp.lu_solve(M, v)
    return [coef[p] for p in range(deg + 1)]
