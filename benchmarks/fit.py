"""Speed of `scaling-plan fit` on Chinchilla's 245 runs, as whole processes, beside other tools on the same runs.

    python benchmarks/fit.py [--repeats 3] [--other-python PATH]

Prints the median wall time of (1) the full-grid fit (4,500 starts) and (2) the same with a 1,000-resample bootstrap,
each a fresh `python -m scaling_plan` process. Run it with the interpreter of an environment that has the package
installed as users install it (`pip install .`): an editable install adds its import hook to every start. If scipy
is installed it also times scipy.optimize.minimize (L-BFGS-B, same objective and gradient) over a tenth of the grid,
and scales it to 4,500.

With --other-python, an interpreter that has the PyPI packages `chinchilla` and `simple-scaling-laws` (the latter
needs Python 3.12 or later; keep them out of this project's environment), it also times, in the same run:
- the chinchilla toolkit's `Chinchilla.fit` on the same 4,500-start grid with its log-Huber loss at δ = 1e-3
  (whole process, once: it takes about a minute);
- simple-scaling-laws' `scaling-laws fit` with its default 1,000 bootstrap draws (whole process).
Each beside ours in the same stretch of time: our fit is timed `repeats` times before the toolkit's run and as many
after, and our bootstrap and simple-scaling-laws' fit take turns.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = Path(__file__).resolve().parent.parent / "tests" / "data" / "chinchilla_approach3_points.csv"


def process_times(args: list[str], repeats: int) -> list[float]:
    """Wall seconds of `repeats` fresh `python -m scaling_plan ARGS` processes."""
    times = []
    with tempfile.TemporaryDirectory() as folder:  # a neutral directory: the installed package, not the source tree
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "scaling_plan", *args], check=True, stdout=subprocess.DEVNULL, cwd=folder
            )
            times.append(time.perf_counter() - start)
    return times


def scipy_loop_seconds(share: int) -> float | None:
    try:
        from scipy.optimize import minimize
    except ImportError:
        return None
    import numpy as np

    from scaling_plan.fitting import HUBER, INITIAL_GRID, _Objective
    from scaling_plan.inputs.runs import read_runs, select_runs

    runs = select_runs(read_runs(str(RUNS)), drop_top_loss=5).runs
    objective = _Objective(runs, HUBER)
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


CHINCHILLA_FIT = """
import functools, sys
from chinchilla import Chinchilla
from chinchilla._metrics import log_huber
steps = {"e": (-1, 1, 0.5), "a": (0, 25, 5), "b": (0, 25, 5), "alpha": (0, 2, 0.5), "beta": (0, 2, 0.5)}
grid = {k: tuple(lo + i * step for i in range(round((hi - lo) / step) + 1)) for k, (lo, hi, step) in steps.items()}
cc = Chinchilla(sys.argv[1], param_grid=grid, loss_fn=functools.partial(log_huber, delta=1e-3), log_level=40)
cc.fit(parallel=True)
print(cc.E, cc.A, cc.B, cc.alpha, cc.beta)
"""


def runs_rows() -> list[tuple[float, float, float]]:
    """(N, D, loss) of the 245 runs, D from C = 6·N·D as scaling-plan reads them."""
    with RUNS.open() as file:
        rows = list(csv.DictReader(file))
    return [
        (float(r["Model Size"]), float(r["Training FLOP"]) / (6 * float(r["Model Size"])), float(r["loss"]))
        for r in rows
    ]


def peer_inputs(folder: str) -> tuple[Path, Path]:
    """The 245 runs as each peer reads them: the chinchilla toolkit's project folder and simple-scaling-laws' table."""
    project = Path(folder, "chinchilla")
    project.mkdir()
    with (project / "df.csv").open("w") as file:
        file.write("C,N,D,loss\n" + "".join(f"{6 * n * d!r},{n!r},{d!r},{loss!r}\n" for n, d, loss in runs_rows()))
    table = Path(folder, "runs.csv")
    table.write_text(
        "training_run_id,model_size__n_params,dataset_size__n_tokens,test_loss__cross_entropy\n"
        + "".join(f"run{i},{n!r},{d!r},{loss!r}\n" for i, (n, d, loss) in enumerate(runs_rows()))
    )
    return project, table


def peer_seconds(command: list[str], folder: str) -> float:
    """Wall seconds of one peer's process."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=folder)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--other-python", help="an interpreter with chinchilla and simple-scaling-laws installed")
    args = parser.parse_args()
    repeats, other = args.repeats, args.other_python
    fit_args = ["fit", str(RUNS), "--format", "json"]
    boot_args = ["fit", str(RUNS), "--drop-top-loss", "5", "--bootstrap", "1000", "--format", "json"]
    if other is None:
        fits, boots = process_times(fit_args, repeats), process_times(boot_args, repeats)
    else:
        # Each peer beside ours in the same stretch of time, as a shared machine's speed drifts by a fifth: ours
        # before and after the chinchilla toolkit's minute, and ours and simple-scaling-laws' turn about.
        with tempfile.TemporaryDirectory() as folder:
            project, table = peer_inputs(folder)
            fits = process_times(fit_args, repeats)
            chinchilla = peer_seconds([other, "-c", CHINCHILLA_FIT, str(project)], folder)
            fits += process_times(fit_args, repeats)
            boots, simples = [], []
            for i in range(repeats):
                boots += process_times(boot_args, 1)
                simples.append(peer_seconds([other, "-m", "simple_scaling_laws.cli", "fit", str(table), "-o",
                                             str(Path(folder, f"fit{i}")), "--quiet"], folder))  # fmt: skip
    fit, boot = statistics.median(fits), statistics.median(boots)
    print(f"fit, 245 runs, 4,500 starts (whole process, median of {len(fits)}):  {fit:6.2f} s")
    print(f"fit + 1,000-resample bootstrap (whole process, median of {repeats}): {boot:6.2f} s")
    if other is not None:
        simple = statistics.median(simples)
        print(f"chinchilla toolkit fit, same grid (whole process, once):         {chinchilla:6.2f} s"
              f"  ({chinchilla / fit:.0f}x ours; target >= 100x)")  # fmt: skip
        print(f"simple-scaling-laws fit, 1,000 draws (whole process, median):    {simple:6.2f} s"
              f"  (our bootstrap is {simple / boot:.2f}x its speed; target >= 3x)")  # fmt: skip
    loop = scipy_loop_seconds(share=10)
    if loop is None:
        print("scipy loop: scipy not installed (pip install scipy to compare)")
    else:
        print(f"scipy L-BFGS-B loop over 4,500 starts (timed on 450, x10):       {loop:6.2f} s")


if __name__ == "__main__":
    main()
