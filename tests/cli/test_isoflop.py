"""fit --approach isoflop (Hoffmann et al. 2022, Approach 2) and the frontier law files it writes."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from scaling_plan.isoflop import MIN_SIZES_PER_BUDGET
from scaling_plan.presets import PRESETS

from ..conftest import Cli

TRUE = PRESETS["epoch-2024"]  # the law the synthetic grid is drawn from


def filled_grid(cli: Cli, path: Path, noise: float = 0.005, seed: int = 1, budgets: str = "1e18,3e18,1e19,3e19,1e20",
                spread: str = "4", sizes: str = "7") -> Path:  # fmt: skip
    """An experiments grid (7 sizes per budget) with each loss from TRUE, times (1 + noise·a standard normal)."""
    rows = cli.csv("experiments", "--budgets", budgets, "--sizes-per-budget", sizes, "--spread", spread)
    rng = np.random.default_rng(seed)
    for row in rows:
        n, d = int(row["n_params"]), int(row["n_tokens"])
        row["loss_nats"] = repr(float(TRUE.loss(n, d)) * (1 + noise * rng.standard_normal()))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_frontier_follows_the_budgets_minima(cli: Cli, tmp_path: Path) -> None:
    """An independent recomputation: a line through (ln C, ln N_opt) of the reported minima gives the same a."""
    fit = cli.json("fit", str(filled_grid(cli, tmp_path / "grid.csv")), "--approach", "isoflop")
    used = [b for b in fit["budgets"] if b["used"]]
    slope, intercept = np.polyfit(np.log([b["budget_flops"] for b in used]),
                                  np.log([b["optimal_n_params"] for b in used]), 1)  # fmt: skip
    assert fit["a"] == pytest.approx(slope, rel=1e-9) and fit["k_n"] == pytest.approx(math.exp(intercept), rel=1e-9)
    losses = [b["optimal_loss_nats"] for b in used]
    frontier = [fit["E"] + fit["A"] * b["budget_flops"] ** -fit["gamma"] for b in used]
    assert np.sqrt(np.mean((np.array(frontier) - losses) ** 2)) == pytest.approx(fit["residual_rmse_loss"], rel=1e-9)


def test_without_a_budget_column_runs_are_bucketed_by_compute(cli: Cli, tmp_path: Path) -> None:
    grid = filled_grid(cli, tmp_path / "grid.csv")
    rows = list(csv.DictReader(grid.open()))
    with (tmp_path / "bare.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["n_params", "n_tokens", "loss_nats"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with_column = cli.json("fit", str(grid), "--approach", "isoflop")
    bucketed = cli.json("fit", str(tmp_path / "bare.csv"), "--approach", "isoflop")
    assert bucketed["budgets_from"] == "compute" and bucketed["budget_rtol"] == 0.1 and bucketed["n_budgets"] == 5
    assert bucketed["a"] == pytest.approx(
        with_column["a"], rel=1e-6
    )  # whole tokens: compute equals the budget to ~1e-9


def test_a_budget_whose_minimum_is_outside_its_sizes_is_left_out_and_named(cli: Cli, tmp_path: Path) -> None:
    grid = filled_grid(cli, tmp_path / "grid.csv", spread="8", sizes="9")
    rows = list(csv.DictReader(grid.open()))
    # At 1e20, keep only sizes below the optimum: the valley's floor is past the largest size trained.
    true_n, _ = TRUE.optimum(1e20)
    kept = [r for r in rows if float(r["budget_flops"]) != 1e20 or int(r["n_params"]) < true_n * 0.7]
    assert sum(float(r["budget_flops"]) == 1e20 for r in kept) >= MIN_SIZES_PER_BUDGET
    with (tmp_path / "cut.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    result = cli.run("fit", str(tmp_path / "cut.csv"), "--approach", "isoflop", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "budget 1.00e20 FLOPs left out: its minimum (N = " in result.stderr
    assert "lies outside the sizes trained" in result.stderr
    budget = next(b for b in json.loads(result.stdout)["budgets"] if b["budget_flops"] == 1e20)
    assert budget["used"] is False and budget["optimal_n_params"] is None


def test_too_few_budgets_are_refused_naming_the_approach(cli: Cli, tmp_path: Path) -> None:
    grid = filled_grid(cli, tmp_path / "grid.csv", budgets="1e18,1e19")
    line = cli.error("fit", str(grid), "--approach", "isoflop")
    assert "--approach isoflop: 2 of 2 budgets have a usable isoFLOP profile; the frontier needs 3" in line


@pytest.mark.slow
def test_the_frontier_file_plans_along_the_frontier_and_only_there(cli: Cli, tmp_path: Path) -> None:
    frontier = tmp_path / "frontier.yaml"
    result = cli.run("fit", str(filled_grid(cli, tmp_path / "grid.csv")), "--approach", "isoflop", "--bootstrap",
                     "50", "-o", str(frontier))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"wrote: {frontier} (frontier 'frontier'" in result.stderr
    data = yaml.safe_load(frontier.read_text())
    assert data["kind"] == "frontier" and len(data["bootstrap"]["samples"]) >= 40
    import jsonschema

    jsonschema.validate(data, json.loads(cli.run("schema", "--law-file").stdout))
    plan = cli.json("budget", "--flops", "1e21", "--law", str(frontier), "--method", "law")
    assert plan["n_params"] == pytest.approx(data["k_n"] * 1e21 ** data["a"], rel=1e-12)
    assert plan["n_tokens"] == pytest.approx(1e21 / (6 * plan["n_params"]), rel=1e-12)
    assert plan["loss_nats"] == pytest.approx(data["E"] + data["A"] * 1e21 ** -data["gamma"], rel=1e-12)
    assert plan["n_params_low"] < plan["n_params"] < plan["n_params_high"]
    line = cli.error("budget", "--flops", "1e21", "--law", str(frontier))  # the 20 tokens/param rule: off the frontier
    assert "is a frontier law: it predicts the loss of compute-optimal runs only" in line
    target = cli.json("budget", "--loss", "2.4", "--law", str(frontier), "--method", "law")
    assert target["loss_nats"] == pytest.approx(2.4, rel=1e-6)
    sweep = cli.json("sweep", "--budgets", "1e19,1e20", "--law", str(frontier), "--method", "law")["plans"]
    assert [row["n_params"] for row in sweep] == pytest.approx([data["k_n"] * c ** data["a"] for c in (1e19, 1e20)])


def test_a_bad_frontier_file_names_the_field(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: frontier\nk_n: 0.05\na: 1.2\nE: 1.8\nA: 4000\ngamma: 0.19\n")
    assert "bad.yaml:3: a: must be at most 0.9, got 1.2" in cli.error("budget", "--flops", "1e21", "--law", str(bad))
    bad.write_text("kind: frontier\nk_n: 0.05\na: 0.5\nE: 1.8\nA: 4000\n")
    assert "gamma" in cli.error("budget", "--flops", "1e21", "--law", str(bad))


def test_the_help_states_the_default_budget_tolerance(cli: Cli) -> None:
    from scaling_plan.experiments import BUDGET_RTOL_DEFAULT

    text = " ".join(cli.run("fit", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert f"(default {BUDGET_RTOL_DEFAULT:g})" in text


def test_a_grid_with_too_few_sizes_for_a_profile_is_warned_of(cli: Cli) -> None:
    """Was: experiments --sizes-per-budget 3 said nothing, and fit --approach isoflop then left every budget out."""
    from scaling_plan.isoflop import MIN_SIZES_PER_BUDGET

    few = cli.run("experiments", "--budgets", "1e18,1e19,1e20", "--sizes-per-budget", str(MIN_SIZES_PER_BUDGET - 1),
                  "-f", "csv")  # fmt: skip
    assert few.exit_code == 0 and len(few.stdout.splitlines()) == 1 + 3 * (MIN_SIZES_PER_BUDGET - 1)
    assert few.stderr == (
        f"scaling-plan: warning: --sizes-per-budget {MIN_SIZES_PER_BUDGET - 1}: an isoFLOP profile needs"
        f" {MIN_SIZES_PER_BUDGET} or more sizes (a parabola's three coefficients and a residual), so fit --approach"
        " isoflop would leave every budget out; fit (Approach 3) can still use these runs\n"
    )
    enough = cli.run("experiments", "--budgets", "1e18", "--sizes-per-budget", str(MIN_SIZES_PER_BUDGET), "-f", "csv")
    assert enough.exit_code == 0 and enough.stderr == ""
    text = " ".join(cli.run("experiments", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert f"(an isoFLOP fit needs {MIN_SIZES_PER_BUDGET} or more)" in text
