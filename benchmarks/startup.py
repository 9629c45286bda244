"""Start-up cost of `scaling-plan budget --flops 1e24 --format json` against a bare Typer app with one float option.

Both run as fresh processes of the same Python with the same typer, alternating, so machine noise hits both alike.
Prints the median wall time of each and their ratio (target: at most 1.25x).

    python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_APP = """
import typer

app = typer.Typer()


@app.command()
def main(flops: float = 1.0) -> None:
    print(flops)


app()
"""


def time_once(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    # A neutral working directory: from the repository root, `-m scaling_plan` would import the source tree
    # (the current directory comes first on sys.path) instead of the installed package, and scan the repository.
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each command (at least 20)")
    runs = max(parser.parse_args().runs, 20)
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare_typer_app.py"
        bare.write_text(BARE_APP)
        commands = {
            "scaling-plan": [sys.executable, "-m", "scaling_plan", "budget", "--flops", "1e24", "--format", "json"],
            "bare typer": [sys.executable, str(bare), "--flops", "1e24"],
        }
        # An installed package has its bytecode compiled at install time; an editable one run with
        # PYTHONDONTWRITEBYTECODE set would compile every module at every start. Compile it once, as pip does.
        import scaling_plan

        compileall.compile_dir(str(Path(scaling_plan.__file__).parent), quiet=1)
        for command in commands.values():  # warm the OS file cache and bytecode caches
            time_once(command, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(time_once(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:>13}: median {median * 1000:6.1f} ms over {runs} runs")
    print(f"        ratio: {medians['scaling-plan'] / medians['bare typer']:.3f}x (target <= 1.25x)")


if __name__ == "__main__":
    main()
