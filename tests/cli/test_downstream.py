"""fit-downstream and --downstream: a metric fitted against loss, carried into plans, sweeps, compare and backtests."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import scaling_plan as sp

from ..conftest import CONFIGS, ROOT, Cli, assert_alike

SARDANA = str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv")
CORE, MMLU = "eval_gauntlet/core_average", "mmlu_5_shot_avg"


def sardana(column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss, the metric and the parameters of the 47 runs, read here with the csv module."""
    with open(SARDANA) as handle:
        rows = list(csv.DictReader(handle))
    return tuple(np.array([float(r[key]) for r in rows]) for key in ("Smoothed Loss", column, "Parameters"))  # type: ignore[return-value]


def exponential(loss: np.ndarray, epsilon: float, k: float, gamma: float) -> np.ndarray:
    """Gadre et al. 2024: Err = epsilon - k·exp(-gamma·L), so the metric is 1 - Err."""
    return 1.0 - (epsilon - k * np.exp(-gamma * loss))


def sigmoid(loss: np.ndarray, l0: float, scale: float, floor: float, ceiling: float = 1.0) -> np.ndarray:
    return floor + (ceiling - floor) / (1.0 + np.exp((loss - l0) / scale))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A law fitted to the Sardana runs, and the core average mapped from their loss (both with bootstrap); the same
    law without bootstrap ("plain"), so an interval spans the mapping's refits alone."""
    folder = tmp_path_factory.mktemp("downstream")
    cli = Cli()
    law, plain, core = folder / "law.yaml", folder / "plain.yaml", folder / "core.yaml"
    assert cli.run("fit", SARDANA, "--bootstrap", "100", "-o", str(law)).exit_code == 0
    assert cli.run("fit", SARDANA, "-o", str(plain)).exit_code == 0
    made = cli.run("fit-downstream", SARDANA, "--metric", CORE, "--bootstrap", "400", "--name", "core", "-o", str(core))
    assert made.exit_code == 0, made.stderr
    return {"law": law, "plain": plain, "core": core}


# Synthetic recovery: runs drawn from a known mapping with noise; the fit's 90% intervals hold the truth.


@pytest.mark.parametrize("form", ["exponential", "sigmoid"])
def test_the_core_average_of_the_sardana_runs_fits_both_forms_at_a_least_squares_minimum(cli: Cli, form: str) -> None:
    fit = cli.json("fit-downstream", SARDANA, "--metric", CORE, "--form", form, "--bootstrap", "200")
    assert (fit["n_runs"], fit["chance"], fit["n_at_chance"]) == (47, 0.0, 0)
    loss, metric, _ = sardana(CORE)
    assert (fit["min_loss_nats"], fit["max_loss_nats"]) == (loss.min(), loss.max())
    names = ("epsilon", "k", "gamma") if form == "exponential" else ("l0", "scale")
    constants = np.array([fit[name] for name in names])

    def sse(values: np.ndarray) -> float:
        predicted = exponential(loss, *values) if form == "exponential" else sigmoid(loss, *values, floor=0.0)
        return float(np.sum((predicted - metric) ** 2))

    best = sse(constants)
    assert math.sqrt(best / 47) == pytest.approx(fit["residual_rmse"], rel=1e-9)
    assert fit["residual_rmse"] < 0.01  # within a point of accuracy: the core average follows the loss closely
    for i in range(len(names)):  # no nearby point does better: a minimum, recomputed here
        for step in (1e-3, -1e-3):
            moved = constants.copy()
            moved[i] *= 1 + step
            assert sse(moved) >= best * (1 - 1e-9)
    for name, value in zip(names, constants, strict=True):
        assert fit[f"{name}_low"] <= value <= fit[f"{name}_high"]


def test_mmlu_sits_at_chance_in_the_sardana_runs_and_is_refused(cli: Cli) -> None:
    _, metric, _ = sardana(MMLU)
    near = int(np.sum(np.abs(metric - 0.25) <= 0.02))
    above = int(np.sum(metric > 0.27))
    assert (near, above) == (46, 1)  # recounted here: one run of 47 is more than 2 points above chance
    for form in ("exponential", "sigmoid"):
        line = cli.error("fit-downstream", SARDANA, "--metric", MMLU, "--form", form)
        assert f"--metric {MMLU}: {near} of 47 runs score within 0.02 of chance (0.25) and {above} above it" in line
        assert "has not emerged" in line


def test_chance_levels_come_from_the_benchmark_name_or_the_flag(cli: Cli) -> None:
    assert cli.json("fit-downstream", SARDANA, "--metric", CORE)["chance"] == 0.0  # the gauntlet is centred
    # The core average against a chance of 0.25 (as if it were raw accuracy): most runs are below or near it.
    assert "has not emerged" in cli.error("fit-downstream", SARDANA, "--metric", CORE, "--chance", "0.25")
    line = cli.error("fit-downstream", SARDANA, "--metric", "Tokens/Params")
    assert "Tokens/Params: 10 is above 1; give scores as fractions (0.253), not percentages" in line


def test_bad_input_is_one_line_naming_the_flag_or_file_line_and_column(cli: Cli, tmp_path: Path) -> None:
    assert "--metric: no column 'core' in" in cli.error("fit-downstream", SARDANA, "--metric", "core")
    runs = tmp_path / "runs.csv"
    rows = "".join(
        f"{n},{20 * n},{3 - i / 10},{0.3 + i / 50}\n" for i, n in enumerate([1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9])
    )
    runs.write_text("n_params,n_tokens,loss,acc\n" + rows.replace("0.3,", "abc,", 1) + "9e9,1.8e11,2.4,good\n")
    assert f"{runs.name}:8: acc: cannot read 'good' as a number" in cli.error(
        "fit-downstream", str(runs), "--metric", "acc", "--chance", "0.25"
    )
    runs.write_text("n_params,n_tokens,loss,acc\n" + rows + "9e9,1.8e11,2.4,45.5\n")
    assert "acc: 45.5 is above 1; give scores as fractions" in cli.error(
        "fit-downstream", str(runs), "--metric", "acc", "--chance", "0.25"
    )
    runs.write_text("n_params,n_tokens,loss,acc\n" + rows + "9e9,1.8e11,2.4,-0.1\n")
    line = cli.error("fit-downstream", str(runs), "--metric", "acc", "--chance", "0.25")
    assert f"{runs.name}:8: acc: -0.1 is below 0 (a score centred on chance" in line and "--chance 0" in line
    assert "--chance: the chance level of 'acc' is not known" in cli.error(
        "fit-downstream", str(runs), "--metric", "acc"
    )
    assert "--floor: applies to the sigmoid form only" in cli.error(
        "fit-downstream", SARDANA, "--metric", CORE, "--floor", "0.1"
    )
    assert "--output: a downstream file is YAML" in cli.error(
        "fit-downstream", SARDANA, "--metric", CORE, "-o", str(tmp_path / "core.json")
    )
    assert "--name: use lower-case letters" in cli.error("fit-downstream", SARDANA, "--metric", CORE, "--name", "Core!")


def test_a_metric_that_rises_with_the_loss_is_refused_by_either_form(cli: Cli, tmp_path: Path) -> None:
    """Was: the exponential refused it (k <= 0) and the sigmoid fitted a flat curve (L0 = -60459, s = 69407)."""
    runs = tmp_path / "runs.csv"
    losses = np.linspace(2.2, 3.6, 8)
    runs.write_text("n_params,n_tokens,loss,acc\n" + "".join(
        f"{1e8 * 2**i},{2e9 * 2**i},{loss:.4f},{0.3 + 0.2 * (loss - 2.2):.4f}\n" for i, loss in enumerate(losses)
    ))  # fmt: skip
    slope = np.polyfit(losses.round(4), (0.3 + 0.2 * (losses - 2.2)).round(4), 1)[0]  # recomputed here: +0.2
    for form in ("exponential", "sigmoid"):
        line = cli.error("fit-downstream", str(runs), "--metric", "acc", "--chance", "0.25", "--form", form)
        assert line.endswith(
            f"--metric acc: the metric does not rise as the loss falls in these runs (its least-squares slope against"
            f" the loss is {slope:+.3g} per nat): nothing to predict"
        )


@pytest.mark.slow
def test_budget_prints_the_predicted_metric_with_its_interval(cli: Cli, files: dict[str, Path]) -> None:
    args = ("budget", "--flops", "1e22", "--law", str(files["law"]), "--downstream", str(files["core"]))
    plan = cli.json(*args)
    value, low, high = plan["downstream_core"], plan["downstream_core_low"], plan["downstream_core_high"]
    assert low < value < high and plan["downstream_core_extrapolated"] is False
    mapping = yaml.safe_load(files["core"].read_text())
    assert value == pytest.approx(exponential(np.array(plan["loss_nats"]), **mapping["constants"]), rel=1e-12)
    table = cli.run(*args)
    assert table.exit_code == 0 and "core (predicted)" in table.stdout and f"{low:.4f} - {high:.4f}" in table.stdout
    assert "the law's 100 refits" in " ".join(table.stdout.split())
    row = cli.csv(*args)[0]
    assert float(row["downstream_core"]) == value and float(row["downstream_core_high"]) == high
    # The interval spans the law's refits too: the mapping's refits alone, at the plan's loss, give a narrower one.
    alone = cli.json("budget", "--flops", "1e22", "--law", str(files["law"]), "--downstream", str(files["core"]),
                     "--method", "law")  # fmt: skip
    samples = np.array(mapping["bootstrap"]["samples"])
    spread = exponential(np.array(alone["loss_nats"]), samples[:, 0:1], samples[:, 1:2], samples[:, 2:3])
    assert alone["downstream_core_high"] - alone["downstream_core_low"] > np.ptp(np.percentile(spread, [5, 95]))


def test_a_loss_outside_the_fitted_losses_and_a_law_of_other_data_are_said(cli: Cli, files: dict[str, Path]) -> None:
    result = cli.run("budget", "--flops", "1e24", "--law", str(files["law"]), "--downstream", str(files["core"]),
                     "-f", "json")  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["downstream_core_extrapolated"] is True
    assert "core: the loss 2.043 is below the lowest loss it was fitted on (2.37): the metric is an extrapolation" in (
        result.stderr
    )
    other = cli.run("budget", "--flops", "1e22", "--downstream", str(files["core"]), "-f", "json")
    assert other.exit_code == 0
    assert "core: fitted on the loss of the data the runs in" in other.stderr
    assert "used with a law of MassiveText" in other.stderr


# At the mapping's bounds: the exponential passes the ceiling of 1 at a low enough loss (and its floor at a high one
# when epsilon > 1 - chance); a metric held there says so, and never has a zero-width interval.


def refits_at(mapping: dict, loss: float) -> np.ndarray:
    """Each bootstrap refit's exponential at this loss, not held within the bounds."""
    samples = np.array(mapping["bootstrap"]["samples"])
    return exponential(np.array(loss), samples[:, 0], samples[:, 1], samples[:, 2])


def test_a_metric_past_the_ceiling_is_marked_and_has_no_zero_width_interval(cli: Cli, files: dict[str, Path]) -> None:
    mapping = yaml.safe_load(files["core"].read_text())
    args = ("budget", "--loss", "1.47", "--law", str(files["plain"]), "--downstream", str(files["core"]))
    result = cli.run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    # At this loss the fitted form and every one of its refits pass the ceiling (recomputed here).
    assert exponential(np.array(plan["loss_nats"]), **mapping["constants"]) > mapping["ceiling"] == 1.0
    assert np.all(refits_at(mapping, plan["loss_nats"]) > 1.0)
    assert plan["downstream_core"] == 1.0 and plan["downstream_core_clamped"] == "ceiling"
    assert plan["downstream_core_low"] is None and plan["downstream_core_high"] is None  # not 1.0 - 1.0
    said = " ".join(result.stderr.split())
    assert (
        "core: at the loss 1.47 the exponential form reaches the mapping's ceiling (1): the metric is held there"
        in said
    )
    assert "no interval: every refit is held there too" in said
    row = cli.csv(*args)[0]
    assert (row["downstream_core_clamped"], row["downstream_core_low"], row["downstream_core_high"]) == (
        "ceiling",
        "",
        "",
    )
    table = cli.run(*args)
    assert "1.0000 (ceiling)" in table.stdout and "1.0000 - 1.0000" not in table.stdout
    notes = " ".join(table.stdout.split())
    assert "At the ceiling (1): the form reaches it at this loss and the metric is held there" in notes
    jsonschema_validate(cli, plan, "BudgetOutput")


def test_a_metric_at_the_ceiling_keeps_the_refits_spread_below_it(cli: Cli, files: dict[str, Path]) -> None:
    mapping = yaml.safe_load(files["core"].read_text())
    epsilon, k, gamma = (mapping["constants"][name] for name in ("epsilon", "k", "gamma"))
    # Each refit reaches 1 where k·exp(-gamma·L) = epsilon; a loss between its 20th percentile and the fitted
    # form's own has the fitted form held at 1, about a fifth of the refits below it.
    samples = np.array(mapping["bootstrap"]["samples"])
    reach = np.log(samples[:, 1] / samples[:, 0]) / samples[:, 2]
    loss = float(np.percentile(reach, 20))
    assert loss < math.log(k / epsilon) / gamma
    plan = cli.json("budget", "--loss", repr(loss), "--law", str(files["plain"]), "--downstream", str(files["core"]))
    assert plan["downstream_core"] == 1.0 and plan["downstream_core_clamped"] == "ceiling"
    held = np.clip(refits_at(mapping, plan["loss_nats"]), 0.0, 1.0)
    low, high = np.percentile(held, [5, 95])
    assert (plan["downstream_core_low"], plan["downstream_core_high"]) == pytest.approx((low, high), rel=1e-12)
    assert plan["downstream_core_low"] < 0.999 and plan["downstream_core_high"] == 1.0


def test_a_metric_below_the_floor_is_held_at_chance(cli: Cli, files: dict[str, Path], tmp_path: Path) -> None:
    data = yaml.safe_load(files["core"].read_text())
    del data["bootstrap"]
    constants = {"epsilon": 1.05, "k": 16.0, "gamma": 1.7}  # 1 - epsilon < 0: below chance (0) at a high loss
    path = tmp_path / "below.yaml"
    path.write_text(yaml.safe_dump({**data, "constants": constants}, sort_keys=False))
    result = cli.run("budget", "--loss", "3.6", "--law", str(files["plain"]), "--downstream", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert exponential(np.array(plan["loss_nats"]), **constants) < data["floor"] == data["chance"] == 0.0
    assert plan["downstream_core"] == 0.0 and plan["downstream_core_clamped"] == "floor"
    assert plan["downstream_core_low"] is None
    assert "reaches the mapping's floor (0): the metric is held there" in result.stderr
    assert "no interval (no refits)" in result.stderr


def test_sweep_and_the_api_mark_the_rows_at_the_ceiling(cli: Cli, files: dict[str, Path]) -> None:
    args = ("sweep", "--from", "1e22", "--to", "1e30", "--per-decade", "1", "--law", str(files["plain"]),
            "--downstream", str(files["core"]))  # fmt: skip
    rows = cli.json(*args)["plans"]
    mapping = yaml.safe_load(files["core"].read_text())
    past = [bool(exponential(np.array(row["loss_nats"]), **mapping["constants"]) >= 1.0) for row in rows]
    assert any(past) and not all(past)  # both kinds of row, recomputed here
    assert [row["downstream_core_clamped"] for row in rows] == ["ceiling" if p else None for p in past]
    assert all(row["downstream_core"] == 1.0 for row, p in zip(rows, past, strict=True) if p)
    jsonschema_validate(cli, {"schema_version": 1, "plans": rows}, "SweepOutput")
    table = cli.run(*args)
    assert table.stdout.count("1.0000 (ceiling)") == sum(past)
    assert "A metric marked (ceiling) is held at its mapping's ceiling" in " ".join(table.stdout.split())
    assert "budget 1.00e30 FLOPs: core: at the loss" in table.stderr
    result = sp.plan(loss=1.5, law=str(files["plain"]), downstream=[str(files["core"])])
    assert result.to_dict()["downstream_core_clamped"] == "ceiling"
    assert any("reaches the mapping's ceiling" in warning for warning in result.warnings)


def jsonschema_validate(cli: Cli, document: dict, definition: str) -> None:
    import jsonschema

    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}", "anyOf": [{}]}).validate(document)


def test_sweep_and_compare_carry_the_metric(cli: Cli, files: dict[str, Path]) -> None:
    rows = cli.csv("sweep", "--from", "1e20", "--to", "1e22", "--per-decade", "1", "--law", str(files["law"]),
                   "--downstream", str(files["core"]))  # fmt: skip
    values = [float(row["downstream_core"]) for row in rows]
    assert len(values) == 3 and values == sorted(values)  # more compute, lower loss, a higher score
    configs = [str(CONFIGS / "chinchilla-70b.yaml"), str(CONFIGS / "gopher-280b.yaml")]
    compared = cli.json("compare", *configs, "--downstream", str(files["core"]))["configs"]
    first, second = (record["downstream_core"] for record in compared)
    assert compared[1]["delta_downstream_core"] == pytest.approx(second - first)


@pytest.mark.slow
def test_the_api_fits_a_mapping_and_plans_with_it_as_the_command_does(cli: Cli, files: dict[str, Path]) -> None:
    mapping = sp.fit_downstream(SARDANA, metric=CORE, bootstrap=400, name="core")
    assert_alike(mapping.to_dict(), cli.json("fit-downstream", SARDANA, "--metric", CORE, "--bootstrap", "400",
                                             "--name", "core"))  # fmt: skip
    law = sp.fit(SARDANA, bootstrap=100)
    from_api = sp.plan(flops=1e22, law=law, downstream=[mapping]).to_dict()
    from_file = sp.plan(flops=1e22, law=str(files["law"]), downstream=[str(files["core"])]).to_dict()
    for key in ("downstream_core", "downstream_core_low", "downstream_core_high"):
        # Two fits of the law: the value alike to the optimiser's precision, the intervals to their refits'
        # (test_api's fitted-law test says why those are looser).
        assert from_api[key] == pytest.approx(from_file[key], rel=1e-6 if key == "downstream_core" else 1e-2), key
    with pytest.raises(sp.ScalingPlanError, match="has not emerged"):
        sp.fit_downstream(SARDANA, metric=MMLU)


def test_downstream_files_are_checked_where_they_are_read(cli: Cli, files: dict[str, Path], tmp_path: Path) -> None:
    import jsonschema

    data = yaml.safe_load(files["core"].read_text())
    jsonschema.validate(data, json.loads(cli.run("schema", "--downstream-file").stdout))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**data, "constants": {"l0": 2.0, "scale": 0.5}}, sort_keys=False))
    line = cli.error("budget", "--flops", "1e22", "--downstream", str(bad))
    assert "bad.yaml:" in line and "constants: a exponential mapping has epsilon, k, gamma, got l0, scale" in line
    bad.write_text(yaml.safe_dump({**data, "constants": {**data["constants"], "gamma": -1.0}}, sort_keys=False))
    assert "constants.gamma: must be positive, got -1" in cli.error(
        "budget", "--flops", "1e22", "--downstream", str(bad)
    )
    assert "not a downstream file" in cli.error("budget", "--flops", "1e22", "--downstream", str(files["law"]))
    line = cli.error(
        "budget", "--flops", "1e22", "--downstream", str(files["core"]), "--downstream", str(files["core"])
    )
    assert "--downstream: two downstream files name their metric 'core'" in line


# Backtest: the mapping refitted on the smaller runs, scored on the held-out 6B run.


@pytest.mark.slow
def test_a_backtest_holding_out_the_6b_run_scores_its_metric(cli: Cli, files: dict[str, Path]) -> None:
    result = cli.json("backtest", SARDANA, "--holdout-params-above", "3e9", "--downstream", str(files["core"]))
    scores = {score["loss_from"]: score for score in result["downstream_scores"]}
    assert set(scores) == {"observed", "parametric"}
    loss, metric, n_params = sardana(CORE)
    held = n_params > 3e9
    assert held.sum() == 1 and scores["observed"]["n_train"] == 46
    for score in scores.values():
        (row,) = score["predictions"]
        c = score["constants"]
        recomputed = exponential(np.array(row["from_loss_nats"]), c["epsilon"], c["k"], c["gamma"])
        assert row["predicted_metric"] == pytest.approx(float(recomputed), rel=1e-12)
        assert row["observed_metric"] == metric[held][0]
        assert score["mean_abs_error"] == pytest.approx(abs(recomputed - metric[held][0]), rel=1e-9)
    assert scores["observed"]["predictions"][0]["from_loss_nats"] == loss[held][0]
    (parametric,) = result["scores"]
    assert (
        scores["parametric"]["predictions"][0]["from_loss_nats"] == parametric["predictions"][0]["predicted_loss_nats"]
    )
