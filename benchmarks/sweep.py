"""Speed of a sweep: 10^6 budgets through allocator + law (+ hardware) in the domain, and a whole `sweep` process.

    python benchmarks/sweep.py [--repeats 5]

Prints the best of --repeats for the domain call (target: at most 1 s for 10^6 budgets) and the median wall time
of `scaling-plan sweep --from 1e18 --to 1e26 --per-decade 10` (81 budgets) in each output format, as fresh processes,
also with a unique-token cap and inference tokens (numerical searches rather than closed forms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

from scaling_plan.allocate import LawOptimum, TokensPerParamRule
from scaling_plan.budget import GPUS, Hardware
from scaling_plan.data_constrained import with_unique_tokens
from scaling_plan.plans import PlanRequest
from scaling_plan.presets import PRESETS
from scaling_plan.sweeps import make_sweep

N_BUDGETS = 1_000_000


def domain_seconds(request: PlanRequest, budgets: np.ndarray, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        make_sweep(request, budgets)
        best = min(best, time.perf_counter() - start)
    return best


def process_seconds(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scaling_plan", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    budgets = np.geomspace(1e18, 1e26, N_BUDGETS)
    law = PRESETS["epoch-2024"]
    hardware = Hardware(GPUS["H100-SXM"], n_gpus=1024, price_usd_per_gpu_hour=2.5)
    cases = {
        "tokens-per-param rule + epoch-2024 loss": PlanRequest("flops", 1e18, "--from", TokensPerParamRule(), law),
        "epoch-2024 optimum + loss + H100 hours/days/cost": PlanRequest(
            "flops", 1e18, "--from", LawOptimum(law), law, hardware
        ),
    }
    print(f"domain: {N_BUDGETS:,} budgets in one make_sweep call (best of {repeats}; target <= 1 s)")
    for name, request in cases.items():
        print(f"  {name:<50} {domain_seconds(request, budgets, repeats) * 1000:8.1f} ms")

    sweep = ["sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "10"]
    print(f"process: scaling-plan {' '.join(sweep)} (81 budgets; median of {repeats})")
    for output_format in ("table", "json", "csv", "jsonl"):
        seconds = process_seconds([*sweep, "--format", output_format], repeats)
        print(f"  --format {output_format:<6} {seconds * 1000:8.1f} ms")
    seconds = process_seconds([*sweep, "--compare-laws", "--format", "csv"], repeats)
    print(f"  --compare-laws --format csv {seconds * 1000:8.1f} ms")
    constrained = ["--method", "law", "--law", "datablations-2023", "--unique-tokens", "25B"]
    blueprint = ["--blueprint", "--gpu", "H100-SXM"]  # a shape search and memory per row
    for extra in (constrained, ["--inference-tokens", "1T"], [*constrained, "--inference-tokens", "1T"], blueprint):
        seconds = process_seconds([*sweep, *extra, "--format", "csv"], repeats)
        print(f"  {' '.join(extra)} --format csv {seconds * 1000:8.1f} ms")

    domain_cases = {
        "datablations-2023 optimum, 25B unique tokens": PlanRequest(
            "flops",
            1e18,
            "--from",
            LawOptimum(capped := with_unique_tokens(PRESETS["datablations-2023"], 25e9)),
            capped,
        ),
    }
    small = np.geomspace(1e18, 1e26, 10_000)
    print(f"domain: {len(small):,} budgets through the numerical data-constrained optimum (best of {repeats})")
    for name, request in domain_cases.items():
        print(f"  {name:<50} {domain_seconds(request, small, repeats) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
