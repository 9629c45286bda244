"""backtest: fit on the smaller runs, score the held-out larger ones; every error recomputed here independently."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from scaling_plan.presets import PRESETS

from ..conftest import ROOT, Cli

RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")


def _observed() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with open(RUNS) as handle:
        rows = list(csv.DictReader(handle))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    return n, c / (6 * n), np.array([float(r["loss"]) for r in rows])


def _scores(cli: Cli, *args: str) -> dict[tuple[str, str], dict]:
    result = cli.run("backtest", RUNS, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {(s["split"], s["method"]): s for s in json.loads(result.stdout)["scores"]}


@pytest.mark.slow
def test_holding_out_above_1e21_scores_each_held_out_run(cli: Cli) -> None:
    scores = _scores(cli, "--holdout-above", "1e21", "--approach", "both", "--budget-rtol", "0.2",
                     "--law", "chinchilla-2022")  # fmt: skip
    n, d, loss = _observed()
    held = 6 * n * d > 1e21
    parametric = scores[("compute > 1.00e21 FLOPs", "parametric")]
    assert parametric["n_train"] == int((~held).sum()) and parametric["n_held_out"] == int(held.sum())
    assert parametric["compute_ratio"] == pytest.approx((6 * n * d)[held].max() / (6 * n * d)[~held].max())
    # The errors, recomputed from the fitted constants the record reports and the observed losses in the file.
    k = parametric["constants"]
    predicted = k["E"] + k["A"] / n[held] ** k["alpha"] + k["B"] / d[held] ** k["beta"]
    errors = 100 * (predicted - loss[held]) / loss[held]
    rows = sorted(parametric["predictions"], key=lambda row: row["compute_flops"])
    order = np.argsort((6 * n * d)[held])
    assert [row["relative_error_pct"] for row in rows] == pytest.approx(errors[order], rel=1e-9)
    assert parametric["mean_abs_error_pct"] == pytest.approx(np.mean(np.abs(errors)), rel=1e-9)
    assert parametric["mean_signed_error_pct"] == pytest.approx(np.mean(errors), rel=1e-9)
    assert parametric["max_abs_error_pct"] == pytest.approx(np.max(np.abs(errors)), rel=1e-9)
    assert parametric["mean_abs_error_pct"] < 5  # Approach 3 extrapolates 13x in compute to within a few percent
    # A preset is scored as it stands: its own constants, not fitted.
    preset = scores[("compute > 1.00e21 FLOPs", "chinchilla-2022")]
    law = PRESETS["chinchilla-2022"]
    errors = 100 * (law.loss(n[held], d[held]) - loss[held]) / loss[held]
    assert preset["constants"] == {} and preset["mean_abs_error_pct"] == pytest.approx(np.mean(np.abs(errors)))
    # isoflop: the frontier's L_opt at each held-out budget against that budget's own minimum.
    isoflop = scores[("compute > 1.00e21 FLOPs", "isoflop")]
    for row in isoflop["predictions"]:
        k = isoflop["constants"]
        assert row["predicted_loss_nats"] == pytest.approx(k["E"] + k["A"] * row["compute_flops"] ** -k["gamma"])


@pytest.mark.slow  # six full-grid fits
def test_the_other_splits(cli: Cli) -> None:
    n, d, _ = _observed()
    by_size = _scores(cli, "--holdout-params-above", "10B")
    (score,) = by_size.values()
    assert score["split"] == "N > 10.0B" and score["n_held_out"] == int((n > 1e10).sum())
    (top,) = _scores(cli, "--holdout-top", "20").values()
    assert top["n_held_out"] == 20 and top["max_held_out_flops"] == pytest.approx((6 * n * d).max())
    rolling = _scores(cli, "--rolling")
    assert [split for split, _ in rolling] == [f"1e{k} < compute <= 1e{k + 1} FLOPs" for k in (19, 20, 21, 22)]
    budgets = _buckets(6 * n * d, 0.1)  # without a budget column, runs are grouped as the isoFLOP fit groups them
    for (split, _), score in rolling.items():
        low = float(split.split(" < ")[0])
        assert score["n_train"] == int((budgets <= low).sum())
        assert score["n_held_out"] == int(((budgets > low) & (budgets <= 10 * low)).sum())
        assert score["max_train_flops"] <= 1.1 * low and low < score["max_held_out_flops"] <= 11 * low


def _buckets(compute: np.ndarray, rtol: float) -> np.ndarray:
    """Each run's budget: the geometric mean compute of its bucket, runs within rtol of the bucket's smallest."""
    budgets = np.empty_like(compute)
    order = list(np.argsort(compute))
    while order:
        members = [i for i in order if compute[i] <= compute[order[0]] * (1 + rtol)]
        budgets[members] = np.exp(np.mean(np.log(compute[members])))
        order = order[len(members) :]
    return budgets


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: say which runs to hold out: give one of --holdout-above, --holdout-params-above, --holdout-top"),
        (("--holdout-above", "1e21", "--rolling"), "error: --holdout-above and --rolling: give only one of"),
        (("--holdout-top", "7", "--rolling"), "error: --holdout-top and --rolling: give only one of --holdout-above"),
        (("--holdout-top", "0"), "--holdout-top: must be from 1 to 244"),
        (("--holdout-above", "1e30"), "--holdout-above: compute > 1.00e30 FLOPs: leaves no runs to hold out"),
        (("--holdout-params-above", "1e15"), "--holdout-params-above: N > 1.00e15: leaves no runs to hold out"),
        (("--holdout-params-above", "1"), "--holdout-params-above: N > 1.00: leaves no runs to fit"),
        (("--holdout-above", "-1"), "--holdout-above: must be positive"),
        (("--holdout-above", "1e21", "--law", "epoch-2025"), "did you mean 'epoch-2024'"),
    ],
)
def test_bad_backtests_are_refused_in_one_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli.error("backtest", RUNS, *args)


@pytest.mark.slow
def test_a_degenerate_fit_is_said_and_scores_nothing(cli: Cli, tmp_path: Path) -> None:
    """Tokens read from the parameters column: the best fit has a negative exponent, so it predicts nothing."""
    from ..fuzz.fuzzing import chinchilla_runs

    runs = tmp_path / "runs.csv"
    runs.write_text(chinchilla_runs(12, 1))
    result = cli.run("backtest", str(runs), "--holdout-top", "2", "--tokens-col", "n_params", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (score,) = json.loads(result.stdout)["scores"]
    assert score["predictions"] == [] and score["mean_abs_error_pct"] is None and "degenerate" in score["note"]
    assert "the 2 largest by compute, parametric: the best fit is degenerate" in result.stderr


@pytest.mark.slow  # a plot (matplotlib)
def test_plot_draws_the_backtest_and_a_bad_path_is_refused_before_any_fit(cli: Cli, tmp_path: Path) -> None:
    from .test_fit import png_size

    png = tmp_path / "backtest.png"
    result = cli.run("backtest", RUNS, "--holdout-above", "1e21", "--approach", "both", "--plot", str(png))
    assert result.exit_code == 0, result.stderr
    assert png_size(png) == (1560, 600)  # two 6.5 x 5 inch panels at 120 dpi
    assert f"wrote: {png} (PNG figure of the backtest)" in result.stderr
    svg = tmp_path / "backtest.svg"
    assert cli.run("backtest", RUNS, "--rolling", "--plot", str(svg), "-f", "json").exit_code == 0
    assert svg.read_text().lstrip().startswith("<?xml") and "relative error (%)" in svg.read_text()
    for path, message in (
        (tmp_path / "backtest.pdf", "--plot: write a .png or .svg file, not '.pdf'"),
        (tmp_path / "missing" / "b.png", "--plot: cannot write in"),
    ):
        refused = cli.run("backtest", RUNS, "--holdout-above", "1e21", "--plot", str(path))
        assert refused.exit_code == 2 and message in refused.stderr and refused.stdout == ""
        assert not path.exists()


@pytest.mark.slow
def test_rolling_on_an_experiments_grid_never_cuts_a_budget_apart(cli: Cli, tmp_path: Path) -> None:
    """Was: whole N and D put 6·N·D a hair either side of 1e19, so the rolling backtest trained on 3 of the 1e19
    budget's 7 runs, held out the other 4, and found only 2 budgets with a usable isoFLOP profile."""
    import scaling_plan

    rows = cli.csv("experiments", "--budgets", "1e17,1e18,1e19,1e20", "--sizes-per-budget", "7")
    compute = [6 * float(row["n_params"]) * float(row["n_tokens"]) for row in rows]
    assert any(c > 1e19 for c, row in zip(compute, rows, strict=True) if row["budget_flops"] == "1e+19")  # the trap
    law = scaling_plan.law("epoch-2024")
    for row in rows:
        row["loss_nats"] = repr(float(law.loss(float(row["n_params"]), float(row["n_tokens"]))))
    grid = tmp_path / "grid.csv"
    with grid.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = cli.run("backtest", str(grid), "--rolling", "--approach", "both", "-f", "json")
    assert result.exit_code == 0, result.stderr
    scores = {(s["split"], s["method"]): s for s in json.loads(result.stdout)["scores"]}
    assert sorted({split for split, _ in scores}) == ["1e18 < budget <= 1e19 FLOPs", "1e19 < budget <= 1e20 FLOPs"]
    for (split, _), score in scores.items():
        assert score["n_held_out"] == 7 and score["n_train"] == (14 if split.startswith("1e18") else 21)
    isoflop = scores[("1e19 < budget <= 1e20 FLOPs", "isoflop")]
    (minimum,) = isoflop["predictions"]  # the held-out budget's whole profile, fitted on three whole profiles
    assert minimum["compute_flops"] == 1e20 and abs(minimum["relative_error_pct"]) < 0.1
    # The first split trains on two budgets: too few for a frontier, and said so; nothing else is.
    assert result.stderr.splitlines() == [
        "scaling-plan: warning: 1e18 < budget <= 1e19 FLOPs, isoflop: 2 of 2 budgets have a usable isoFLOP profile;"
        " the frontier needs 3 (each with 4 or more sizes and its minimum inside them)"
    ]
    above = cli.json("backtest", str(grid), "--holdout-above", "1e19")["scores"][0]
    assert above["split"] == "budget > 1.00e19 FLOPs" and (above["n_train"], above["n_held_out"]) == (21, 7)
