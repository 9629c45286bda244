"""How fast hostile inputs are refused, as whole `scaling-plan` processes (target: each within 2 s).

    python benchmarks/limits.py [--repeats 5]

Prints, per input, the median wall time, the exit code, the peak memory of the process and its error line: a
billion-laughs alias bomb, YAML nested 50,000 deep, a 50 MB config, a 50 MB runs file, a 10^9-point sweep, and (for
scale) a plain `budget --flops 1e24`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bomb() -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\nbudget:\n  flops: *a9\n").encode()


def write_repeated(path: Path, head: bytes, line: bytes, count: int) -> None:
    """head, then line `count` times, a megabyte at a time: the parent stays small, because a child process starts
    with its parent's peak memory (ru_maxrss survives fork and exec)."""
    per_block = max(1_000_000 // len(line), 1)
    with open(path, "wb") as out:
        out.write(head)
        for first in range(0, count, per_block):
            out.write(line * min(per_block, count - first))


def cases(folder: Path) -> dict[str, list[str]]:
    (folder / "bomb.yaml").write_bytes(bomb())
    write_repeated(folder / "deep.yaml", b"budget: " + b"[" * 50_000, b"]", 50_000)
    write_repeated(folder / "huge.yaml", b"", b"# padding\n", 5_000_000)
    write_repeated(folder / "huge.csv", b"n_params,n_tokens,loss\n", b"1e9,2e10,2.5\n", 4_000_000)
    return {
        "alias bomb (9^10 values)": ["budget", "--config", str(folder / "bomb.yaml")],
        "YAML nested 50,000 deep": ["budget", "--config", str(folder / "deep.yaml")],
        "50 MB config": ["budget", "--config", str(folder / "huge.yaml")],
        "50 MB law file": ["budget", "--flops", "1e22", "--law", str(folder / "huge.yaml")],
        "52 MB runs file": ["fit", str(folder / "huge.csv")],
        "sweep of 10^9 budgets": ["sweep", "--from", "1e18", "--to", "1e27", "--per-decade", "111111111", "-f", "csv"],
        "budget --flops 1e24 (for scale)": ["budget", "--flops", "1e24", "--format", "json"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"{'input':34} {'median s':>9} {'exit':>5} {'peak MB':>8}  error line")
        for label, args in cases(folder).items():
            times, code, peak, line = [], 0, 0.0, ""
            for _ in range(repeats):
                with tempfile.TemporaryFile() as out, tempfile.TemporaryFile("w+") as err:
                    start = time.perf_counter()
                    process = subprocess.Popen(
                        [sys.executable, "-m", "scaling_plan", *args], stdout=out, stderr=err, cwd=folder
                    )
                    _, status, usage = os.wait4(process.pid, 0)  # this process's own peak memory
                    times.append(time.perf_counter() - start)
                    code = os.waitstatus_to_exitcode(status)
                    peak = max(peak, usage.ru_maxrss / 1024)  # kilobytes on Linux
                    err.seek(0)
                    line = (err.read().splitlines() or [""])[-1]
            shown = line.replace(str(folder) + os.sep, "")[:90]
            print(f"{label:34} {statistics.median(times):9.2f} {code:5d} {peak:8.0f}  {shown}")


if __name__ == "__main__":
    main()
