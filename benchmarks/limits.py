"""How fast each limit refuses its worst input, as whole `scaling-plan` processes (target: each within 2 s).

    python benchmarks/limits.py [--repeats 5]

Prints, per limit (the table of limits in docs/limits.md), the input that tests it hardest (the largest, deepest or most
numerous that the byte caps let through, or far past the limit), the median wall time, the peak memory of the
process, its exit code and its error line; and, for scale, a plain `budget --flops 1e24`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    limit: str  # as docs/limits.md's table names it
    input: str  # what is given
    args: list[str]
    stdin: str | None = None  # a file to give on stdin


def bomb() -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\nbudget:\n  flops: *a9\n").encode()


def write_repeated(path: Path, head: bytes, line: bytes, count: int, tail: bytes = b"") -> None:
    """head, then line `count` times, a megabyte at a time, then tail: the parent stays small, because a child
    process starts with its parent's peak memory (ru_maxrss survives fork and exec)."""
    per_block = max(1_000_000 // len(line), 1)
    with open(path, "wb") as out:
        out.write(head)
        for first in range(0, count, per_block):
            out.write(line * min(per_block, count - first))
        out.write(tail)


def runs(path: Path, count: int, metric: bool = False) -> str:
    """`count` runs around Hoffmann et al. 2022's fitted law (eq. 10), N and D spread over three decades, in 100
    compute budgets; with `metric`, a score that rises as the loss falls."""
    rows = ["n_params,n_tokens,loss" + (",acc" if metric else "")]
    for i in range(count):
        n, d = 10 ** (7 + 3 * (i % 97) / 97), 10 ** (9 + 2.5 * (i % 89) / 89)
        loss = 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
        rows.append(f"{n:.6g},{d:.6g},{loss:.5f}" + (f",{1.5 - loss / 3:.4f}" if metric else ""))
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def cases(folder: Path) -> list[Case]:
    (folder / "bomb.yaml").write_bytes(bomb())
    write_repeated(folder / "deep.yaml", b"budget: " + b"[" * 50_000, b"]", 50_000)
    write_repeated(folder / "huge.yaml", b"", b"# padding\n", 5_000_000)
    write_repeated(folder / "huge.csv", b"n_params,n_tokens,loss\n", b"1e9,2e10,2.5\n", 4_000_000)
    # Just under the 20,000,000-byte cap, as many rows as fit: the most a runs file can make a reader parse.
    write_repeated(folder / "rows.csv", b"N,D,loss\n", b"1,2,3\n", 3_300_000)
    write_repeated(folder / "rows.jsonl", b"", b'{"N":1,"D":2,"loss":3}\n', 782_608)
    write_repeated(folder / "rows.json", b"[\n", b'{"N":1,"D":2,"loss":3},\n', 782_607, b'{"N":1,"D":2,"loss":3}\n]\n')
    ten_thousand, scored = runs(folder / "10k.csv", 10_000), runs(folder / "10k-acc.csv", 10_000, metric=True)
    budgets = ",".join(f"{10 ** (17 + i / 20):.4g}" for i in range(101))
    return [
        Case("config file", "50 MB config", ["budget", "--config", str(folder / "huge.yaml")]),
        Case("law file", "50 MB law file", ["budget", "--flops", "1e22", "--law", str(folder / "huge.yaml")]),
        Case("downstream file", "50 MB downstream file",
             ["budget", "--flops", "1e22", "--downstream", str(folder / "huge.yaml")]),
        Case("hardware file", "50 MB hardware file", ["budget", "--flops", "1e22", "--gpu", str(folder / "huge.yaml")]),
        Case("YAML nesting", "YAML nested 50,000 deep", ["budget", "--config", str(folder / "deep.yaml")]),
        Case("YAML values", "alias bomb (9^10 values)", ["budget", "--config", str(folder / "bomb.yaml")]),
        Case("runs file bytes", "52 MB runs file", ["fit", str(folder / "huge.csv")]),
        Case("runs file bytes", "52 MB runs file on stdin", ["fit", "-"], str(folder / "huge.csv")),
        Case("runs", "19.8 MB CSV, 3.3M rows", ["fit", str(folder / "rows.csv")]),
        Case("runs", "18 MB JSON Lines, 783K rows", ["fit", str(folder / "rows.jsonl")]),
        Case("runs", "18 MB JSON array, 783K items", ["fit", str(folder / "rows.json")]),
        Case("fit --bootstrap", "10,000 runs, 100,000 refits", ["fit", ten_thousand, "--bootstrap", "100000"]),
        Case("fit --approach isoflop --bootstrap", "10,000 runs, 100,000 refits",
             ["fit", ten_thousand, "--approach", "isoflop", "--bootstrap", "100000"]),
        Case("fit-downstream --bootstrap", "10,000 runs, 100,000 refits",
             ["fit-downstream", scored, "--metric", "acc", "--chance", "0", "--bootstrap", "100000"]),
        Case("sweep", "10^9 budgets", ["sweep", "--from", "1e18", "--to", "1e27", "--per-decade", "111111111",
                                       "-f", "csv"]),
        Case("sweep table", "1,009 budgets as a table", ["sweep", "--from", "1e18", "--to", "1e27", "--per-decade",
                                                         "112"]),
        Case("experiments", "101 budgets × 100 sizes", ["experiments", "--budgets", budgets, "--sizes-per-budget",
                                                        "100"]),
        Case("(for scale)", "budget --flops 1e24", ["budget", "--flops", "1e24", "--format", "json"]),
    ]  # fmt: skip


def measure(case: Case, folder: Path, repeats: int) -> tuple[float, float, int, str]:
    """Median seconds, the largest peak memory in MB, the exit code and the last line on stderr."""
    times, code, peak, line = [], 0, 0.0, ""
    for _ in range(repeats):
        with (
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile("w+") as err,
            open(case.stdin or os.devnull, "rb") as given,
        ):
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "scaling_plan", *case.args], stdin=given, stdout=out, stderr=err, cwd=folder
            )
            _, status, usage = os.wait4(process.pid, 0)  # this process's own peak memory
            times.append(time.perf_counter() - start)
            code = os.waitstatus_to_exitcode(status)
            peak = max(peak, usage.ru_maxrss / 1024)  # kilobytes on Linux
            err.seek(0)
            line = (err.read().splitlines() or [""])[-1]
    return statistics.median(times), peak, code, line.replace(str(folder) + os.sep, "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"{'limit':36} {'input':30} {'median s':>8} {'peak MB':>8} {'exit':>4}  error line")
        for case in cases(folder):
            seconds, peak, code, line = measure(case, folder, repeats)
            print(f"{case.limit:36} {case.input:30} {seconds:8.2f} {peak:8.0f} {code:4d}  {line[:100]}")


if __name__ == "__main__":
    main()
