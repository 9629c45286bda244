"""Runs as experiment trackers export them: MLflow's params./metrics. columns found without flags, crashed runs
skipped by reason with --skip-invalid (never silently), and rows chosen with --where."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import scaling_plan as sp

from ..conftest import ROOT, Cli

CHINCHILLA_RUNS = ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"


@pytest.fixture
def export(tmp_path: Path) -> tuple[str, dict[str, int]]:
    """Chinchilla's 245 runs as an MLflow search export: every 20th run FAILED with a NaN loss, every 41st (not
    failed) with an infinite one, every 37th still RUNNING without a loss. Returns the path and the counts."""
    rows = list(csv.DictReader(CHINCHILLA_RUNS.open()))
    path = tmp_path / "mlflow.csv"
    counts = {"failed": 0, "infinite": 0, "running": 0}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run_id", "status", "params.n_params", "params.compute_flops", "metrics.loss"])
        for index, row in enumerate(rows):
            status, loss = "FINISHED", row["loss"]
            if index % 20 == 3:
                status, loss = "FAILED", "NaN"
                counts["failed"] += 1
            elif index % 41 == 7:
                loss = "inf"
                counts["infinite"] += 1
            elif index % 37 == 5:
                status, loss = "RUNNING", ""
                counts["running"] += 1
            writer.writerow([f"run-{index}", status, row["Model Size"], row["Training FLOP"], loss])
    return str(path), counts


def test_mlflow_columns_are_found_and_a_crashed_run_refuses_the_file_naming_its_line(
    cli: Cli, export: tuple[str, dict[str, int]]
) -> None:
    path, _ = export
    assert f"{path}:5: metrics.loss: must be a finite number, got 'NaN'" in cli.error("fit", path)


def test_skip_invalid_skips_the_crashed_runs_and_counts_them_by_reason(
    cli: Cli, export: tuple[str, dict[str, int]]
) -> None:
    path, counts = export
    result = cli.run("fit", path, "--skip-invalid", "--format", "json")
    assert result.exit_code == 0, result.stderr
    skipped = counts["failed"] + counts["infinite"]
    assert f"{skipped} rows skipped by --skip-invalid: {skipped} with metrics.loss not a number" in result.stderr
    assert f"{counts['running']} runs without a loss skipped" in result.stderr
    fitted = cli.json("fit", path, "--skip-invalid")
    assert fitted["n_runs"] == 245 - skipped - counts["running"]
    columns = ("params.n_params", "params.compute_flops", "metrics.loss")
    notes = " ".join(cli.run("fit", path, "--skip-invalid").stdout.split())
    assert all(f"'{column}'" in notes for column in columns)


def test_where_keeps_the_finished_runs_and_says_how_many_it_left_out(
    cli: Cli, export: tuple[str, dict[str, int]]
) -> None:
    path, counts = export
    result = cli.run("fit", path, "--where", "status=FINISHED", "--skip-invalid", "--format", "json")
    assert result.exit_code == 0, result.stderr
    left_out = counts["failed"] + counts["running"]
    assert f"{left_out} rows left out by --where status=FINISHED" in result.stderr
    assert f"{counts['infinite']} rows skipped by --skip-invalid" in result.stderr
    scores = cli.json("backtest", path, "--where", "status=FINISHED", "--skip-invalid", "--holdout-top", "20")
    assert scores["scores"][0]["n_train"] + scores["scores"][0]["n_held_out"] == 245 - left_out - counts["infinite"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("status", "--where: expected COLUMN=VALUE (State=finished), got 'status'"),
        ("state=FINISHED", "--where: no column 'state'"),
        ("status=DONE", "--where: no row of"),
    ],
)
def test_bad_where_is_one_line(cli: Cli, export: tuple[str, dict[str, int]], where: str, expected: str) -> None:
    assert expected in cli.error("fit", export[0], "--where", where)


def test_the_api_takes_where_and_skip_invalid_and_says_both(export: tuple[str, dict[str, int]]) -> None:
    path, counts = export
    fitted = sp.fit(path, where={"status": "FINISHED"}, skip_invalid=True)
    said = " ".join(fitted.warnings)
    assert "rows left out by where status=FINISHED" in said and "skipped by skip_invalid" in said
    assert fitted.record["n_runs"] == 245 - counts["failed"] - counts["running"] - counts["infinite"]
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.fit(path)
    assert error.value.field.endswith("mlflow.csv:5")
