"""Whole-process time of fitting and ranking the law families on Hoffmann et al. 2022's 245 runs.

Runs `backtest --rolling --form all` (four splits, each family fitted on each: 16 fits) and `fit --form F` for each
family, as fresh processes of this interpreter, and prints the median wall time of each (target for the backtest:
under 10 s on an idle 2-core machine). No peer fits these families side by side with a backtest.

    python benchmarks/families.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = Path(__file__).resolve().parent.parent / "tests" / "data" / "chinchilla_approach3_points.csv"

COMMANDS = {
    "backtest --rolling --form all": ["backtest", str(RUNS), "--rolling", "--form", "all", "-f", "json"],
    "fit --form chinchilla": ["fit", str(RUNS), "-f", "json"],
    "fit --form kaplan": ["fit", str(RUNS), "--form", "kaplan", "-f", "json"],
    "fit --form compute": ["fit", str(RUNS), "--form", "compute", "-f", "json"],
    "fit --form broken --allow-unconverged": [
        "fit",
        str(RUNS),
        "--form",
        "broken",
        "--allow-unconverged",
        "-f",
        "json",
    ],
    "fit --form auto": ["fit", str(RUNS), "--form", "auto", "-f", "json"],
    "fit --form kaplan --bootstrap 1000": ["fit", str(RUNS), "--form", "kaplan", "--bootstrap", "1000", "-f", "json"],
}


def seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scaling_plan", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    for name, args in COMMANDS.items():
        times = [seconds(args) for _ in range(runs)]
        print(
            f"{name:42s} median {statistics.median(times):6.2f} s  (of {runs}: {', '.join(f'{t:.2f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
