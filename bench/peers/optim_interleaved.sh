#!/bin/sh
# The optim cells interleaved cell by cell, scipy then matcalc, for ROUNDS rounds (default 3):
# on a shared machine, a load that changes over minutes then weighs on both sides alike.
# Prints each side's p50 and minimum wall time and p50 CPU time per solve (ms). BFGS at
# n = 1000 is left out (scipy takes minutes; bench/peers/optim_scipy.py times it once).
# Needs `npm run build` (matcalc's side runs dist/). Run: sh bench/peers/optim_interleaved.sh [ROUNDS]
cd "$(dirname "$0")/../.." || exit 1
ROUNDS=${1:-3}
r=1
while [ "$r" -le "$ROUNDS" ]; do
  echo "round $r: $(uptime)"
  for g in "ext. Rosenbrock n=100" "ext. Rosenbrock n=1000" "logistic 10000×100"; do
    for m in newton-cg trust-ncg bfgs lbfgs; do
      [ "$g $m" = "ext. Rosenbrock n=1000 bfgs" ] && continue
      /usr/bin/python3 bench/peers/optim_scipy.py --only "$g $m" | sed 's/^/scipy   /'
      node bench/peers/optim_cpu.mjs "$g $m"
    done
  done
  r=$((r + 1))
done
