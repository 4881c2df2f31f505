"""What the peer scripts share: the machine's name, harness.ts's random fill, the p50 timer."""
import platform
import subprocess
import time


def cpu_model() -> str:
    """lscpu's "Model name" (e.g. "AMD EPYC"), else whatever the platform module knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def fill(n, seed):
    """harness.ts's fillRandom: s <- 1664525*s + 1013904223 mod 2^32, value s/2^31 - 1."""
    s = seed & 0xFFFFFFFF
    out = [0.0] * n
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = s / 2147483648 - 1
    return out


def p50(fn, budget_ms):
    """Median ms: two warm-up calls, then samples until budget_ms has passed (3 to 64 of them)."""
    for _ in range(2):
        fn()
    ts = []
    t_end = time.perf_counter() + budget_ms / 1000
    while len(ts) < 3 or (time.perf_counter() < t_end and len(ts) < 64):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    n = len(ts)
    return ts[n // 2] if n % 2 else 0.5 * (ts[n // 2 - 1] + ts[n // 2])


def median_batched_ms(fn, time_s, min_sample_s=5e-4):
    """Median ms per call as tinybench times it (bench/harness.ts): three warm-up calls, calls
    batched until a batch takes min_sample_s, then batches for time_s (at least 5)."""
    for _ in range(3):
        fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 >= min_sample_s:
            break
        reps *= 2
    samples = []
    end = time.perf_counter() + time_s
    while time.perf_counter() < end or len(samples) < 5:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) / reps)
    samples.sort()
    return 1e3 * samples[len(samples) // 2]
