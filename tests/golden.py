"""A golden corpus for refactors: the JSON and CSV output of every command on every example config and on a set of
flag-only invocations, one file per invocation (stdout, then stderr and the exit code).

Record it before a change that must not change behaviour, again after, and compare:

    python -m tests.golden /tmp/before      # at the old commit
    python -m tests.golden /tmp/after       # at the new one
    diff -r /tmp/before /tmp/after && echo identical

Not a test: it freezes today's output, which tests must not be checked against.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").glob("*.yaml"))
LAW_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs" / "laws").glob("*.yaml"))
RUNS = "tests/data/chinchilla_approach3_points.csv"
#: A fitted law with bootstrap refits, written by `fit -o` before the corpus runs (suggest and intervals need one);
#: at a fixed path, so that the invocations that name it are the same in every run.
LAW = str(Path(tempfile.gettempdir()) / "scaling-plan-golden-law.yaml")
SARDANA = "tests/data/sardana2024_training_runs.csv"
SARDANA_COLUMNS = ("--params-col", "Parameters", "--tokens-col", "Tokens", "--loss-col", "Smoothed Loss")
H100 = ("--gpu", "H100-SXM", "--gpus", "512", "--price-per-gpu-hour", "2.5")

FLAG_ONLY: list[tuple[str, ...]] = [
    ("budget", "--flops", "1e24"),
    ("budget", "--flops", "1e24", "--compare-laws"),
    ("budget", "--flops", "1e22", "--method", "law", "--law", "chinchilla-2022"),
    ("budget", "--flops", "1e21", "--law", "kaplan-2020", "--method", "law"),
    ("budget", "--dollars", "$2M", *H100),
    ("budget", "--gpu-hours", "5e5", "--gpu", "A100-SXM", "--mfu", "0.35"),
    ("budget", "--days", "30", *H100),
    ("budget", "--params", "70B"),
    ("budget", "--tokens", "15T", "--method", "law"),
    ("budget", "--loss", "2.1"),
    ("budget", "--flops", "1e22", "--unique-tokens", "25B", "--law", "datablations-2023", "--method", "law"),
    ("budget", "--flops", "1e24", "--inference-tokens", "2T", *H100, "--inference-mfu", "0.1"),
    (
        "budget",
        "--params",
        "13B",
        "--method",
        "law",
        "--law",
        "configs/laws/sardana-2024.yaml",
        "--inference-tokens",
        "2T",
    ),
    ("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024"),
    (
        "budget",
        "--flops",
        "1e23",
        "--blueprint",
        "--layers",
        "32",
        "--d-model",
        "4096",
        "--kv-heads",
        "8",
        "--ffn",
        "gelu",
        "--style",
        "gpt",
        "--tied-embeddings",
        "--sharding",
        "zero-1",
        "--recompute",
        "selective",
        "--gpu",
        "A100-SXM",
        "--micro-batch",
        "2",
        "--causal-attention",
    ),
    ("budget", "--flops", "1e24", "--blueprint", "--experts", "64", "--active-experts", "6", "--shared-experts", "2"),
    ("predict", "--params", "70B", "--tokens", "1.4T"),
    (
        "predict",
        "--params",
        "6.34B",
        "--tokens",
        "242B",
        "--unique-tokens",
        "25B",
        "--law",
        "datablations-2023",
        "--gpu",
        "A100-SXM",
        "--price-per-gpu-hour",
        "1.5",
        "--gpus",
        "64",
    ),
    ("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "1"),
    ("sweep", "--from", "1e20", "--to", "1e24", "--compare-laws", *H100),
    ("sweep", "--unit", "dollars", "--from", "$1M", "--to", "$100M", "--per-decade", "2", *H100, "--method", "law"),
    ("sweep", "--budgets", "1e20,1e22", "--unique-tokens", "25B", "--inference-tokens", "1T", "--compare-laws"),
    ("sweep", "--from", "1e20", "--to", "1e24", "--blueprint", "--gpu", "A100-SXM"),
    ("shape", "--params", "7B", "--kv-heads", "8", "--gpu", "H100-SXM", "--price-per-gpu-hour", "2"),
    ("shape", "--layers", "24", "--d-model", "2048", "--experts", "64", "--active-experts", "6"),
    ("shape", "--params", "1.3B", "--ffn", "gelu", "--style", "gpt", "--vocab-size", "50257", "--seq-len", "2048"),
    ("compare", "configs/chinchilla-70b.yaml", "configs/gopher-280b.yaml"),
    ("compare", *CONFIGS),
    ("check", *CONFIGS, "--min-tokens-per-param", "15", "--max-loss-gap", "0.01"),
    ("check", "configs/data-limited-served.yaml", "--max-epochs", "2", "--max-cost-usd", "1e9"),
    ("fit", RUNS, "--drop-top-loss", "5"),
    ("fit", RUNS, "--bootstrap", "20", "--min-flops", "1e19"),
    ("fit", RUNS, "--approach", "isoflop"),
    ("fit-downstream", SARDANA, "--metric", "eval_gauntlet/core_average", *SARDANA_COLUMNS, "--bootstrap", "20"),
    (
        "fit-downstream",
        SARDANA,
        "--metric",
        "eval_gauntlet/commonsense_reasoning",
        "--form",
        "sigmoid",
        *SARDANA_COLUMNS,
    ),
    ("backtest", RUNS, "--holdout-top", "20"),
    ("backtest", RUNS, "--rolling", "--law", "chinchilla-2022"),
    ("suggest", RUNS, "--law", LAW, "--target", "1e24", "--max-run-flops", "1e21"),
    ("suggest", RUNS, "--law", LAW, "--target", "1e23", "--objective", "loss", "--budget-flops", "1e22"),
    ("budget", "--flops", "1e24", "--law", LAW, "--method", "law"),
    ("experiments", "--budgets", "1e17,3e17,1e18", "--sizes-per-budget", "5"),
    ("experiments", "--budgets", "1e18,1e19", "--law", "chinchilla-2022", "--spread", "2"),
    ("laws",),
    ("gpus",),
    ("schema",),
    ("schema", "--law-file"),
    ("schema", "--output-schema"),
    # refusals: the one error line and the exit code are behaviour too
    ("budget", "--flops", "-1"),
    ("budget", "--loss", "1.8"),
    ("budget", "--dollars", "2e6", "--gpu", "H100-SXM"),
    ("budget", "--flops", "1e24", "--flops-typo", "1"),
    ("budget", "--flops", "1e24", "--mfu", "1.5", "--gpu", "H100-SXM"),
    ("budget", "--flops", "1e24", "--blueprint", "--heads", "30", "--layers", "32", "--d-model", "4096"),
    ("sweep", "--from", "1e24", "--to", "1e20"),
    ("shape",),
    ("check", "configs/flops-1e24.yaml"),
]


def invocations() -> list[tuple[str, ...]]:
    cases = list(FLAG_ONLY)
    for config in CONFIGS:
        cases += [
            ("budget", "-c", config),
            ("budget", "-c", config, "--compare-laws"),
            ("sweep", "-c", config, "--budgets", "1e21,1e23"),
            ("check", config, "--min-tokens-per-param", "1"),
        ]
    cases += [("budget", "--flops", "1e22", "--law", law) for law in LAW_FILES]
    return cases


def formats(args: tuple[str, ...]) -> list[str]:
    if args[0] == "schema":
        return [""]
    chosen = ["json", "csv", "table"]
    if args[0] == "sweep":
        chosen.append("jsonl")
    if args[0] in ("compare", "check"):
        chosen.append("markdown")
    return chosen


def main(folder: str) -> None:
    from scaling_plan.cli.app import app, load_commands

    load_commands()  # every command, as a bare `scaling-plan` registers them
    os.chdir(ROOT)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    runner = CliRunner()
    made = runner.invoke(app, ["fit", RUNS, "--bootstrap", "40", "--seed", "7", "-o", LAW, "--format", "json"])
    assert made.exit_code == 0, made.stderr
    for args in invocations():
        for output_format in formats(args):
            full = [*args, "--format", output_format] if output_format else list(args)
            # tables at a fixed width, so their labels and formats are compared too
            result = runner.invoke(app, full, env={"COLUMNS": "120", "NO_COLOR": "1"})
            name = "_".join(full)[:80].replace("/", "~") + "-" + hashlib.sha1(" ".join(full).encode()).hexdigest()[:8]
            text = f"$ scaling-plan {' '.join(full)}\n{result.stdout}\n--- stderr, exit {result.exit_code}\n"
            (out / f"{name}.txt").write_text(text + result.stderr)
    print(f"{len(list(out.iterdir()))} outputs in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
