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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_api_takes_where_and_skip_invalid_and_says_both(export: tuple[str, dict[str, int]]) -> None:
    path, counts = export
    fitted = sp.fit(path, where={"status": "FINISHED"}, skip_invalid=True)
    said = " ".join(fitted.warnings)
    assert "rows left out by where status=FINISHED" in said and "skipped by skip_invalid" in said
    assert fitted.record["n_runs"] == 245 - counts["failed"] - counts["running"] - counts["infinite"]
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.fit(path)
    assert error.value.field.endswith("mlflow.csv:5")


def with_a_score(path: str, folder: Path) -> Path:
    """The export with a score that follows the loss, as MMLU would; a failed run's is NaN too."""
    rows = list(csv.reader(Path(path).read_text().splitlines()))
    scored = folder / "scored.csv"
    with scored.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*rows[0], "metrics.mmlu"])
        for row in rows[1:]:
            loss = float(row[4]) if row[4] not in ("", "NaN", "inf") else 3.0
            writer.writerow([*row, "nan" if row[1] == "FAILED" else f"{0.25 + 0.7 * 2.7 ** (-2 * (loss - 1.8)):.4f}"])
    return scored


@pytest.mark.slow
def test_fit_downstream_suggest_and_plot_read_an_export_as_fit_does(
    cli: Cli, export: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    """--where and --skip-invalid select the same rows wherever a runs file is read: fit-downstream (a metric column
    beside the loss), suggest (the runs its law was fitted on: no warning that they differ) and plot."""
    path, counts = export
    kept = 245 - counts["failed"] - counts["running"] - counts["infinite"]
    scored = with_a_score(path, tmp_path)
    selection = ("--where", "status=FINISHED", "--skip-invalid")
    fitted = cli.json("fit-downstream", str(scored), "--metric", "metrics.mmlu", *selection)
    assert fitted["n_runs"] == kept
    assert (
        f"{counts['failed'] + counts['running']} rows left out by --where status=FINISHED"
        in cli.run("fit-downstream", str(scored), "--metric", "metrics.mmlu", *selection).stderr
    )
    law = str(tmp_path / "law.yaml")
    assert cli.run("fit", path, *selection, "--bootstrap", "50", "-o", law).exit_code == 0
    suggested = cli.run("suggest", path, "--law", law, "--target", "1e24", "-n", "2", *selection, "--format", "json")
    assert suggested.exit_code == 0, suggested.stderr
    assert "fitted on other runs" not in suggested.stderr and "left out by --where" in suggested.stderr
    assert f"{path}:5: metrics.loss: must be a finite number" in cli.error("suggest", path, "--law", law, "--target",
                                                                           "1e24")  # fmt: skip
    drawn = cli.run("plot", law, "--runs", path, *selection, "-o", str(tmp_path / "fit.svg"))
    assert drawn.exit_code == 0 and "left out by --where" in drawn.stderr
    alone = cli.run("plot", law, "--where", "status=FINISHED", "-o", str(tmp_path / "law.svg"))
    assert "--where unused without --runs" in alone.stderr


@pytest.mark.slow
def test_the_api_selects_rows_for_a_downstream_fit_and_a_suggestion(
    export: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    path, counts = export
    selection = {"where": {"status": "FINISHED"}, "skip_invalid": True}
    mapping = sp.fit_downstream(with_a_score(path, tmp_path), metric="metrics.mmlu", **selection)  # type: ignore[arg-type]
    assert mapping.record["n_runs"] == 245 - counts["failed"] - counts["running"] - counts["infinite"]
    law = sp.fit(path, bootstrap=50, **selection)  # type: ignore[arg-type]
    made = sp.suggest(path, law=law, target=1e24, count=2, **selection)  # type: ignore[arg-type]
    assert any("left out by where status=FINISHED" in line for line in made.warnings)
