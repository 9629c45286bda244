"""Speed of `scaling-plan fit` on Chinchilla's 245 runs, as whole processes, and the scipy loop it replaces.

    python benchmarks/fit.py [--repeats 3]

Prints the median wall time of (1) the full-grid fit (4,500 starts) and (2) the same with a 1,000-resample bootstrap
(targets: at most 1 s and 15 s), each a fresh `python -m scaling_plan` process. If scipy is installed it also times
scipy.optimize.minimize (L-BFGS-B, same objective and gradient) over a tenth of the grid, and scales it to 4,500.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = Path(__file__).resolve().parent.parent / "tests" / "data" / "chinchilla_approach3_points.csv"


def process_seconds(args: list[str], repeats: int) -> float:
    times = []
    with tempfile.TemporaryDirectory() as folder:  # a neutral directory: the installed package, not the source tree
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "scaling_plan", *args], check=True, stdout=subprocess.DEVNULL, cwd=folder
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def scipy_loop_seconds(share: int) -> float | None:
    try:
        from scipy.optimize import minimize
    except ImportError:
        return None
    import numpy as np

    from scaling_plan.fitting import INITIAL_GRID, _Objective
    from scaling_plan.inputs.runs import read_runs, select_runs

    runs = select_runs(read_runs(str(RUNS)), drop_top_loss=5).runs
    objective = _Objective(runs, 1e-3)
    one = np.zeros(1, dtype=np.intp)

    def value_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective(theta[None, :], one)
        return float(f[0]), g[0]

    starts = INITIAL_GRID[::share]
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for theta in starts:
            minimize(value_and_gradient, theta, jac=True, method="L-BFGS-B")
    return (time.perf_counter() - start) * share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    fit = process_seconds(["fit", str(RUNS), "--format", "json"], repeats)
    print(f"fit, 245 runs, 4,500 starts (whole process, median of {repeats}):  {fit:6.2f} s  (target <= 1 s)")
    boot = process_seconds(
        ["fit", str(RUNS), "--drop-top-loss", "5", "--bootstrap", "1000", "--format", "json"], repeats
    )
    print(f"fit + 1,000-resample bootstrap (whole process, median of {repeats}): {boot:6.2f} s  (target <= 15 s)")
    loop = scipy_loop_seconds(share=10)
    if loop is None:
        print("scipy loop: scipy not installed (pip install scipy to compare)")
    else:
        print(f"scipy L-BFGS-B loop over 4,500 starts (timed on 450, x10):       {loop:6.2f} s")


if __name__ == "__main__":
    main()
