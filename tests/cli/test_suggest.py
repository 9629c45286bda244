"""suggest: the next runs to train, chosen to narrow the interval at the target; the loop, simulated end to end."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scaling_plan as sp
from scaling_plan.laws import ParametricLaw

from ..conftest import Cli, assert_alike

#: The law the simulated lab's runs follow: Hoffmann et al. 2022's fitted Approach 3 (eq. 10), with 1% noise.
TRUE = ParametricLaw("true", 1.69, 406.4, 410.7, 0.34, 0.28, source="Hoffmann et al. 2022, eq. 10")
TARGET = 1e24
NOISE = 0.01


def observed(n_params: np.ndarray, n_tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return TRUE.loss(n_params, n_tokens) * np.exp(rng.normal(0.0, NOISE, len(n_params)))


def write_runs(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["n_params", "n_tokens", "loss_nats"])
        writer.writeheader()
        writer.writerows({key: row[key] for key in ("n_params", "n_tokens", "loss_nats")} for row in rows)


def filled(grid_csv: str, rng: np.random.Generator) -> list[dict[str, str]]:
    """A grid (experiments' or suggest's runs file) with each run's loss, as the lab's trainer would fill it in."""
    rows = list(csv.DictReader(io.StringIO(grid_csv)))
    n = np.array([float(r["n_params"]) for r in rows])
    d = np.array([float(r["n_tokens"]) for r in rows])
    for row, loss in zip(rows, observed(n, d, rng), strict=True):
        row["loss_nats"] = repr(float(loss))
    return rows


def n_opt_width(law_file: Path) -> float:
    """The 90% bootstrap interval on N_opt at the target over its value, recomputed here from the refits."""
    import yaml

    data = yaml.safe_load(law_file.read_text())
    rows = np.array(data["bootstrap"]["samples"])
    rows = rows[np.all(rows > 0, axis=1)]

    def n_opt(E: float, A: float, B: float, alpha: float, beta: float) -> float:  # Hoffmann et al. 2022, eq. 4
        g = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
        return g * (TARGET / 6) ** (beta / (alpha + beta))

    values = np.array([n_opt(*row) for row in rows])
    low, high = np.percentile(values, [5, 95])
    return float((high - low) / n_opt(data["E"], data["A"], data["B"], data["alpha"], data["beta"]))


def fit(cli: Cli, runs: Path, law: Path, seed: int) -> float:
    result = cli.run("fit", str(runs), "--bootstrap", "200", "--seed", str(seed), "-o", str(law), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return n_opt_width(law)


@pytest.mark.slow
def test_three_rounds_of_suggested_runs_narrow_n_opt_more_than_a_plain_grid_at_the_same_compute(
    cli: Cli, tmp_path: Path
) -> None:
    """From a sparse grid (two budgets, five sizes each), three rounds of suggest -> train (simulated) -> refit,
    beside three rounds of a plain experiments grid (five sizes at one budget) that spends the same compute."""
    rng = np.random.default_rng(0)
    start = filled(cli.run("experiments", "--budgets", "1e17,1e18", "--sizes-per-budget", "5", "--law",
                           "chinchilla-2022", "-f", "csv").stdout, rng)  # fmt: skip
    runs, plain_runs = tmp_path / "runs.csv", tmp_path / "plain.csv"
    write_runs(runs, start)
    write_runs(plain_runs, start)
    law, plain_law = tmp_path / "law.yaml", tmp_path / "plain.yaml"
    widths = [fit(cli, runs, law, 0)]
    plain = [fit(cli, plain_runs, plain_law, 0)]
    rows, plain_rows = list(start), list(start)
    for round_ in (1, 2, 3):
        suggested = cli.run("suggest", str(runs), "--law", str(law), "--target", "1e24", "-n", "5",
                            "--max-run-flops", "1e20", "-o", str(tmp_path / "next.csv"), "-f", "json")  # fmt: skip
        assert suggested.exit_code == 0, suggested.stderr
        document = json.loads(suggested.stdout)
        assert document["relative_width"] == pytest.approx(widths[-1], rel=1e-9)  # the same interval, recomputed
        assert all(run["budget_flops"] <= 1e20 for run in document["runs"]) and len(document["runs"]) == 5
        rows += filled((tmp_path / "next.csv").read_text(), rng)
        write_runs(runs, rows)
        widths.append(fit(cli, runs, law, round_))
        # The plain grid: an isoFLOP profile of five sizes around the current law's optimum, same compute.
        budget = document["total_flops"] / 5
        grid = cli.run("experiments", "--budgets", repr(budget), "--sizes-per-budget", "5", "--law", str(plain_law),
                       "-f", "csv")  # fmt: skip
        assert grid.exit_code == 0, grid.stderr
        plain_rows += filled(grid.stdout, rng)
        write_runs(plain_runs, plain_rows)
        plain.append(fit(cli, plain_runs, plain_law, round_))
    print(f"suggested: {[f'{w:.3g}' for w in widths]}; plain grid: {[f'{w:.3g}' for w in plain]}")
    assert all(later < earlier for earlier, later in itertools.pairwise(widths)), widths
    assert widths[-1] < plain[-1], (widths, plain)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A sparse grid's runs and the law fitted to them with refits."""
    folder = tmp_path_factory.mktemp("suggest")
    cli = Cli()
    grid = cli.run("experiments", "--budgets", "1e17,1e18", "--sizes-per-budget", "5", "--law", "chinchilla-2022",
                   "-f", "csv").stdout  # fmt: skip
    runs, law = folder / "runs.csv", folder / "law.yaml"
    write_runs(runs, filled(grid, np.random.default_rng(1)))
    assert cli.run("fit", str(runs), "--bootstrap", "100", "-o", str(law)).exit_code == 0
    return runs, law


@pytest.mark.slow
def test_suggested_runs_respect_the_caps_and_read_back_as_a_grid(cli: Cli, study: tuple[Path, Path]) -> None:
    runs, law = study
    args = ("suggest", str(runs), "--law", str(law), "--target", "1e24")
    document = cli.json(*args, "-n", "4", "--max-run-flops", "1e19", "--budget-flops", "2e19", "--gpu", "H100")
    assert len(document["runs"]) == 4 and document["total_flops"] <= 2e19
    for run in document["runs"]:
        assert run["budget_flops"] <= 1e19
        assert run["n_params"] * run["n_tokens"] * 6 == pytest.approx(run["budget_flops"], rel=1e-6)
        assert run["gpu_hours"] == pytest.approx(run["budget_flops"] / (989e12 * 0.40) / 3600, rel=1e-9)
    widths = [run["expected_relative_width"] for run in document["runs"]]
    assert widths == sorted(widths, reverse=True) and widths[0] <= document["relative_width"]
    assert document["expected_relative_width"] == widths[-1]
    default = cli.json(*args)
    assert default["max_run_flops"] == pytest.approx(10 * 1e18, rel=0.01)  # 10x the largest run so far
    loss = cli.json(*args, "--objective", "loss")
    assert 1.69 < loss["value"] < 2.5 and loss["objective"] == "loss"
    written = runs.parent / "next.csv"
    result = cli.run(*args, "-o", str(written))
    assert result.exit_code == 0 and f"wrote: {written}" in result.stderr
    header = written.read_text().splitlines()[0]
    assert header == runs.read_text().splitlines()[0] == "n_params,n_tokens,loss_nats"  # the runs file's own columns
    refused = cli.run("fit", str(written), "--require-complete")
    assert refused.exit_code == 2 and "loss_nats: empty" in refused.stderr  # a grid still to train


def test_the_stopping_rule_exits_1_while_the_interval_is_too_wide(cli: Cli, study: tuple[Path, Path]) -> None:
    runs, law = study
    args = ("suggest", str(runs), "--law", str(law), "--target", "1e24", "-f", "json", "--max-relative-width")
    wide = cli.run(*args, "0.01")
    document = json.loads(wide.stdout)
    assert wide.exit_code == 1 and document["narrow_enough"] is False
    assert "wider than --max-relative-width 0.01: train the runs above and refit" in wide.stderr
    narrow = cli.run(*args, repr(document["relative_width"] * 1.01))
    assert narrow.exit_code == 0 and json.loads(narrow.stdout)["narrow_enough"] is True


def test_bad_input_is_one_line_and_exit_2(cli: Cli, study: tuple[Path, Path]) -> None:
    runs, law = study
    base = ("suggest", str(runs), "--law", str(law))
    assert (
        "--law: chinchilla-2022 has no bootstrap refits: fit the runs with refits first (scaling-plan fit"
        in cli.error("suggest", str(runs), "--law", "chinchilla-2022", "--target", "1e24")
    )
    assert "--target: 1.00e17 FLOPs is not above the largest run so far (1.00e18 FLOPs)" in cli.error(
        *base, "--target", "1e17"
    )
    assert "--max-run-flops: 1.00e15 FLOPs is below the smallest run so far" in cli.error(
        *base, "--target", "1e24", "--max-run-flops", "1e15"
    )
    assert "--budget-flops: 1.00e10 FLOPs affords no run" in cli.error(
        *base, "--target", "1e24", "--budget-flops", "1e10"
    )
    assert "--law: " in cli.error("suggest", str(runs), "--law", "llama3-2024", "--target", "1e24")
    assert "--objective" in cli.error(*base, "--target", "1e24", "--objective", "width")


def _analytic_log_n_opt(theta: np.ndarray) -> float:
    """ln N_opt(C) at TARGET for θ = (ln A, α, ln B, β, ln E), by Hoffmann et al. 2022's eq. 4."""
    log_a, alpha, log_b, beta, _ = theta
    log_g = (math.log(alpha) + log_a - math.log(beta) - log_b) / (alpha + beta)
    return float(log_g + beta / (alpha + beta) * math.log(TARGET / 6))


def _analytic_jacobian(theta: np.ndarray, n_params: np.ndarray, n_tokens: np.ndarray) -> np.ndarray:
    """∂ ln L/∂θ: rows of (u, -u·ln N, v, -v·ln D, w), the terms' shares of the loss."""
    log_a, alpha, log_b, beta, log_e = theta
    n_term, d_term = np.exp(log_a - alpha * np.log(n_params)), np.exp(log_b - beta * np.log(n_tokens))
    total = n_term + d_term + math.exp(log_e)
    u, v, w = n_term / total, d_term / total, math.exp(log_e) / total
    return np.column_stack([u, -u * np.log(n_params), v, -v * np.log(n_tokens), w])


def test_the_design_picks_the_run_that_lowers_the_linearised_variance_most(study: tuple[Path, Path]) -> None:
    """Recomputed here by brute force, with the derivatives in closed form (the design takes them numerically, for
    any family): the first suggested run is the candidate whose added information lowers gᵀ(Σ⁻¹ + J·Jᵀ/σ²)⁻¹g most."""
    from scaling_plan.design import _candidates, suggest_runs
    from scaling_plan.inputs.lawfile import load_law_file
    from scaling_plan.inputs.runs import read_runs, select_runs

    runs_path, law_path = study
    law = load_law_file(str(law_path))
    assert isinstance(law, ParametricLaw)
    runs = select_runs(read_runs(str(runs_path))).runs
    chosen = suggest_runs(law, runs, TARGET, 1, 1e20).runs[0]
    theta = np.array([math.log(law.A), law.alpha, math.log(law.B), law.beta, math.log(law.E)])
    sigma = math.sqrt(np.mean((np.log(law.loss(runs.n_params, runs.n_tokens)) - np.log(runs.loss_nats)) ** 2))
    measured = _analytic_jacobian(theta, runs.n_params, runs.n_tokens)
    information = measured.T @ measured / sigma**2
    log_g = (math.log(law.alpha) + theta[0] - math.log(law.beta) - theta[2]) / (law.alpha + law.beta)
    share_n, share_d = law.beta / (law.alpha + law.beta), law.alpha / (law.alpha + law.beta)
    # ∂ ln N_opt/∂θ in closed form; checked against a central difference of eq. 4 itself.
    sum_ab = law.alpha + law.beta
    log_c = math.log(TARGET / 6)
    gradient = np.array([1 / sum_ab, (1 / law.alpha - log_g) / sum_ab - log_c * share_n / sum_ab,
                         -1 / sum_ab, (-1 / law.beta - log_g) / sum_ab + log_c * share_d / sum_ab, 0.0])  # fmt: skip
    step = 1e-6
    numeric = [(_analytic_log_n_opt(theta + step * np.eye(5)[i]) - _analytic_log_n_opt(theta - step * np.eye(5)[i]))
               / (2 * step) for i in range(5)]  # fmt: skip
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-9)
    candidates = _candidates(law, float(runs.compute_flops.min()), 1e20)
    variances = []
    for _, n_params, n_tokens, _, _ in candidates:
        j = _analytic_jacobian(theta, np.array([n_params]), np.array([n_tokens]))[0]
        variances.append(gradient @ np.linalg.pinv(information + np.outer(j, j) / sigma**2) @ gradient)
    best = candidates[int(np.argmin(variances))]
    assert (chosen.budget_flops, chosen.n_params, chosen.n_tokens) == (best[0], best[1], best[2])


@pytest.mark.slow
def test_a_frontier_law_gets_whole_isoflop_profiles_nearest_the_target_first(cli: Cli, tmp_path: Path) -> None:
    """Approach 2 learns N_opt from each budget's minimum, a point on the line ln N_opt = ln k_n + a·ln C: the point
    that narrows its extrapolation to the target most is the budget nearest it, so the cap comes first. One round of
    the profiles it suggests, trained (simulated) and refitted, narrows the interval."""
    rng = np.random.default_rng(3)
    grid = cli.run("experiments", "--budgets", "1e17,3e17,1e18,3e18", "--sizes-per-budget", "5", "--law",
                   "chinchilla-2022", "-f", "csv").stdout  # fmt: skip
    rows = filled(grid, rng)
    runs, law = tmp_path / "runs.csv", tmp_path / "frontier.yaml"
    with runs.open("w", newline="") as handle:  # with the budget column, as experiments writes it
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    made = cli.run("fit", str(runs), "--approach", "isoflop", "--bootstrap", "300", "-o", str(law))
    assert made.exit_code == 0, made.stderr
    document = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e24", "-n", "2",
                        "--max-run-flops", "1e20", "-o", str(tmp_path / "next.csv"))  # fmt: skip
    assert document["design"] == "isoflop profiles" and len(document["runs"]) == 10
    budgets = [run["budget_flops"] for run in document["runs"]]
    assert budgets[:5] == [1e20] * 5 and len(set(budgets[5:])) == 1 and budgets[5] < 1e20
    for run in document["runs"]:
        assert 6 * run["n_params"] * run["n_tokens"] == pytest.approx(run["budget_flops"], rel=1e-6)
    more = filled((tmp_path / "next.csv").read_text(), rng)
    with runs.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerows(more)
    refit = cli.run("fit", str(runs), "--approach", "isoflop", "--bootstrap", "300", "-o", str(law))
    assert refit.exit_code == 0, refit.stderr
    after = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e24", "-n", "1")
    print(f"frontier: width {document['relative_width']:.3g} -> {after['relative_width']:.3g}"
          f" (expected {document['expected_relative_width']:.3g})")  # fmt: skip
    assert after["relative_width"] < document["relative_width"]


def test_the_api_suggests_as_the_command_does(cli: Cli, study: tuple[Path, Path]) -> None:
    import scaling_plan as sp

    runs, law = study
    result = sp.suggest(runs, law=law, target=1e24, count=3, max_run_flops="1e19", gpu="H100", max_relative_width=0.5)
    command = cli.run("suggest", str(runs), "--law", str(law), "--target", "1e24", "-n", "3", "--max-run-flops",
                      "1e19", "--gpu", "H100", "--max-relative-width", "0.5", "-f", "json")  # fmt: skip
    assert command.exit_code == 1  # the stopping rule: still too wide
    document = json.loads(command.stdout)
    assert_alike(result.to_dict(), document)
    assert result.narrow_enough is False and result.relative_width == document["relative_width"]
    assert len(result.records()) == 3
    with pytest.raises(sp.ScalingPlanError, match="not above the largest run"):
        sp.suggest(runs, law=law, target=1e17)


#: A W&B-style export of runs: the tracker's own columns around the ones fit reads (Model Size, Training FLOP, loss).
EXPORT_COLUMNS = ["Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep", "Model Size",
                  "Training FLOP", "loss", "lr", "batch_size", "seed"]  # fmt: skip


@pytest.mark.slow
def test_suggested_runs_append_to_a_tracker_export_in_its_own_columns(cli: Cli, tmp_path: Path) -> None:
    """Was: suggest -o wrote experiments' 8 columns under a 14-column export and said to append them; appended and
    filled in, fit read the short rows as runs without a loss and skipped every one."""
    from ..conftest import ROOT

    with (ROOT / "tests" / "data" / "chinchilla_approach3_points.csv").open() as handle:
        chinchilla = list(csv.DictReader(handle))
    export = tmp_path / "wandb_export.csv"
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for i, run in enumerate(chinchilla):
            writer.writerow([f"run-{i}", "finished", "", "lab", "isoflop", "2024-01-01T00:00:00", "3600", "sweep-1",
                             run["Model Size"], run["Training FLOP"], run["loss"], "3e-4", "256", "1"])  # fmt: skip
    law, written = tmp_path / "law.yaml", tmp_path / "next.csv"
    assert cli.run("fit", str(export), "--bootstrap", "20", "-o", str(law)).exit_code == 0
    result = cli.run("suggest", str(export), "--law", str(law), "--target", "1e24", "-n", "3", "--max-run-flops",
                     "1e21", "-o", str(written), "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    suggested = json.loads(result.stdout)["runs"]
    assert f"3 runs to train, in the columns of {export}; fill in loss and append the rows to {export}" in result.stderr
    rows = list(csv.reader(written.open()))
    assert rows[0] == EXPORT_COLUMNS and len(rows) == 4 and all(len(row) == len(EXPORT_COLUMNS) for row in rows)
    for row, run in zip(rows[1:], suggested, strict=True):
        cells = dict(zip(EXPORT_COLUMNS, row, strict=True))
        assert int(cells["Model Size"]) == run["n_params"]
        assert float(cells["Training FLOP"]) == pytest.approx(6 * run["n_params"] * run["n_tokens"], rel=1e-12)
        assert {cells[column] for column in EXPORT_COLUMNS if column not in ("Model Size", "Training FLOP")} == {""}
    # Appended, the runs not trained yet are skipped and counted; filled in, every one is fitted.
    export.write_text(export.read_text() + "".join(line + "\n" for line in written.read_text().splitlines()[1:]))
    pending = cli.run("fit", str(export), "-f", "json")
    assert pending.exit_code == 0 and json.loads(pending.stdout)["n_runs"] == 245
    assert f"{export}: 3 runs without a loss skipped (the first at line 247)" in pending.stderr
    lines = export.read_text().splitlines()
    for k, run in enumerate(suggested):
        loss = float(TRUE.loss(run["n_params"], run["n_tokens"]))
        lines[246 + k] = _filled(lines[246 + k], loss)  # the appended rows, after the header and 245 runs
    export.write_text("\n".join(lines) + "\n")
    trained = cli.run("fit", str(export), "-f", "json")
    assert trained.exit_code == 0 and json.loads(trained.stdout)["n_runs"] == 248 and trained.stderr == ""


def _filled(line: str, loss: float) -> str:
    """A row of the export with its loss cell filled in."""
    cells = next(csv.reader([line]))
    cells[EXPORT_COLUMNS.index("loss")] = repr(loss)
    return ",".join(cells)


def test_a_short_row_is_refused_not_read_as_a_run_without_a_loss(cli: Cli, tmp_path: Path) -> None:
    """Rows of other columns appended to a runs file (experiments' 8 under an export's 14) are an error at their line,
    where a row whose loss is empty (a run to train) is skipped."""
    export = tmp_path / "export.csv"
    rows = ["run-1,finished,,lab,,2024-01-01,3600,s,7e7,1.4e18,3.2,3e-4,256,1"] * 6
    grid = cli.run("experiments", "--budgets", "1e18", "--sizes-per-budget", "4", "-f", "csv").stdout.splitlines()
    export.write_text("\n".join([",".join(EXPORT_COLUMNS), *rows, *grid[1:]]) + "\n")
    line = cli.error("fit", str(export))
    assert line == (
        f"scaling-plan: error: {export}:8: 8 cells under 14 columns (none from 'Model Size' on): a row shorter than"
        " the header; write every cell, empty ones too (a run not trained yet has an empty loss)"
    )


def test_a_json_runs_file_gets_experiments_columns_and_no_advice_to_append(cli: Cli, study: tuple[Path, Path]) -> None:
    runs, law = study
    as_json = runs.parent / "runs.jsonl"
    with runs.open() as handle:
        as_json.write_text("".join(json.dumps(row) + "\n" for row in csv.DictReader(handle)))
    written = runs.parent / "from-json.csv"
    result = cli.run("suggest", str(as_json), "--law", str(law), "--target", "1e24", "-o", str(written), "-q")
    assert result.exit_code == 0, result.stderr
    assert written.read_text().splitlines()[0].startswith("schema_version,run,budget_flops,n_params,n_tokens")
    assert f"fill in loss_nats, then add them to {as_json} as JSON records of its own" in result.stderr
    assert "append" not in result.stderr


@pytest.mark.slow
def test_suggested_runs_keep_a_semicolon_files_separator_and_decimal_comma(cli: Cli, study: tuple[Path, Path]) -> None:
    runs, law = study
    with runs.open() as handle:
        rows = list(csv.DictReader(handle))
    semicolons = runs.parent / "runs-semicolons.csv"
    semicolons.write_text("Model Size;Training FLOP;Loss\n" + "".join(
        f"{row['n_params']};{6 * float(row['n_params']) * float(row['n_tokens'])!r};{row['loss_nats']}\n".replace(".", ",")
        for row in rows
    ))  # fmt: skip
    written = runs.parent / "next-semicolons.csv"
    result = cli.run("suggest", str(semicolons), "--law", str(law), "--target", "1e24", "-n", "2", "-o", str(written),
                     "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = written.read_text().splitlines()
    assert lines[0] == "Model Size;Training FLOP;Loss" and all(line.count(";") == 2 for line in lines)
    for line, run in zip(lines[1:], json.loads(result.stdout)["runs"], strict=True):
        size, compute, loss = line.split(";")
        assert int(size) == run["n_params"] and loss == "" and "," in compute and "." not in compute
        assert float(compute.replace(",", ".")) == pytest.approx(6 * run["n_params"] * run["n_tokens"], rel=1e-12)
    semicolons.write_text(semicolons.read_text() + "\n".join(lines[1:]) + "\n")
    appended = cli.run("fit", str(semicolons), "-f", "json")
    assert appended.exit_code == 0 and "2 runs without a loss skipped" in appended.stderr


def test_suggest_warns_when_the_law_was_fitted_on_other_runs(cli: Cli, study: tuple[Path, Path]) -> None:
    """Was: a law fitted on other runs was taken without a word."""
    import yaml

    import scaling_plan

    runs, law = study
    written = yaml.safe_load(law.read_text())["runs_fingerprint"]
    assert written["runs"] == 10 and len(written["sha256"]) == 16
    args = ("--law", str(law), "--target", "1e24", "-n", "1", "-q")
    assert cli.run("suggest", str(runs), *args).stderr == ""
    # The same runs saved again in another order, as TSV, with tokens as compute: the same runs.
    with runs.open() as handle:
        rows = list(csv.DictReader(handle))
    again = runs.parent / "again.tsv"
    again.write_text("loss\tTraining FLOP\tModel Size\n" + "".join(
        f"{r['loss_nats']}\t{6 * float(r['n_params']) * float(r['n_tokens'])!r}\t{r['n_params']}\n"
        for r in reversed(rows)
    ))  # fmt: skip
    assert cli.run("suggest", str(again), *args).stderr == ""
    other = runs.parent / "other.csv"
    write_runs(other, rows[:-1])
    warned = cli.run("suggest", str(other), *args)
    assert warned.exit_code == 0
    [line] = warned.stderr.splitlines()
    assert line.startswith(
        f"scaling-plan: warning: --law {law} was fitted on other runs than {other} holds (10 runs, sha256"
        f" {written['sha256']}; here 9 runs, sha256 "
    ) and line.endswith(f"): its refits measure those runs' uncertainty, not these; refit it on {other} first")
    api = scaling_plan.suggest(other, law=law, target=1e24, count=1)
    said = line.removeprefix("scaling-plan: warning: --law ")
    assert [warning for warning in api.warnings if "fitted on other runs" in warning] == [f"law {said}"]
    # A law file without one (a preset, or a file written before fit kept it) loads and is taken at its word.
    data = yaml.safe_load(law.read_text())
    del data["runs_fingerprint"]
    older = runs.parent / "older.yaml"
    older.write_text(yaml.safe_dump(data))
    assert cli.run("suggest", str(other), "--law", str(older), "--target", "1e24", "-n", "1", "-q").stderr == ""
    assert cli.run("budget", "--law", str(older), "--flops", "1e22").exit_code == 0


@pytest.mark.slow
def test_fit_keeps_the_runs_fingerprint_in_law_and_frontier_files_and_the_schema_says_so(
    cli: Cli, tmp_path: Path
) -> None:
    import yaml

    import scaling_plan

    grid = cli.csv("experiments", "--budgets", "1e17,1e18,1e19", "--sizes-per-budget", "5", "--law", "chinchilla-2022")
    runs = tmp_path / "grid.csv"
    write_runs(runs, filled(_as_csv(grid), np.random.default_rng(3)))
    law, frontier = tmp_path / "law.yaml", tmp_path / "frontier.yaml"
    assert cli.run("fit", str(runs), "-o", str(law)).exit_code == 0
    assert cli.run("fit", str(runs), "--approach", "isoflop", "-o", str(frontier), "-q").exit_code == 0
    fingerprints = [yaml.safe_load(path.read_text())["runs_fingerprint"] for path in (law, frontier)]
    assert fingerprints[0] == fingerprints[1] and fingerprints[0]["runs"] == 15
    assert scaling_plan.law(str(law)).runs_fingerprint == (15, fingerprints[0]["sha256"])  # type: ignore[union-attr]
    assert scaling_plan.fit(runs).runs_fingerprint == (15, fingerprints[0]["sha256"])
    schema = json.loads(cli.run("schema", "--law-file").stdout)
    definition = schema["$defs"]["RunsFingerprint"]
    assert set(definition["properties"]) == {"runs", "sha256"} and "SHA-256" in definition["properties"]["sha256"][
        "description"]  # fmt: skip
    for kind in ("LawFile", "FrontierLawFile"):
        assert "runs_fingerprint" in schema["$defs"][kind]["properties"]
        assert "runs_fingerprint" not in schema["$defs"][kind].get("required", [])


def _as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _simulated(cli: Cli, path: Path, law: str, budgets: str, sizes: int, noise: str, seed: int) -> Path:
    made = cli.run("simulate", "--law", law, "--budgets", budgets, "--sizes-per-budget", str(sizes), "--noise", noise,
                   "--seed", str(seed), "-f", "csv")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    path.write_text(made.stdout)
    return path


def _refitted_narrower(cli: Cli, runs: Path, trained: list[dict[str, str]], law: Path, form: str,
                       before: dict[str, Any], *asked: str) -> None:  # fmt: skip
    """Append the suggested runs, trained, to the runs; refit the law by its form: the interval at the target (1e23
    FLOPs, and what else is `asked`) is narrower than before them."""
    with runs.open("a", newline="") as handle:
        header = next(csv.reader(io.StringIO(runs.read_text())))
        csv.DictWriter(handle, fieldnames=header, extrasaction="ignore").writerows(trained)
    assert cli.run("fit", str(runs), "--form", form, "--bootstrap", "100", "-o", str(law)).exit_code == 0
    after = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e23", "-n", "1", *asked)
    print(f"{form}: width {before['relative_width']:.3g} -> {after['relative_width']:.3g}"
          f" (expected {before['expected_relative_width']:.3g})")  # fmt: skip
    assert after["relative_width"] < before["relative_width"]


@pytest.mark.slow
def test_a_kaplan_laws_suggested_runs_narrow_its_interval_once_trained(cli: Cli, tmp_path: Path) -> None:
    """Kaplan et al. 2020's eq. 1.5 fitted to runs simulated from the kaplan-2020 preset: suggest designs over its
    four constants as over Chinchilla's five; the runs it suggests, trained (simulated from the preset with the same
    noise) and refitted, narrow the interval on N_opt at the target, and each spends C = 6·N·D."""
    from scaling_plan.presets import PRESETS

    truth = PRESETS["kaplan-2020"]
    runs = _simulated(cli, tmp_path / "runs.csv", "kaplan-2020", "1e17,1e18,1e19", 7, "0.01", 5)
    law = tmp_path / "kaplan.yaml"
    assert cli.run("fit", str(runs), "--form", "kaplan", "--bootstrap", "100", "-o", str(law)).exit_code == 0
    document = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e23", "-n", "4",
                        "-o", str(tmp_path / "next.csv"))  # fmt: skip
    assert document["design"] == "runs" and len(document["runs"]) == 4
    widths = [run["expected_relative_width"] for run in document["runs"]]
    assert widths == sorted(widths, reverse=True) and widths[-1] < document["relative_width"]
    for run in document["runs"]:
        assert 6 * run["n_params"] * run["n_tokens"] == pytest.approx(run["budget_flops"], rel=1e-6)
        assert run["budget_flops"] <= 1e20 * (1 + 1e-9)  # 10x the largest run so far (its N·D rounded to whole)
    rng = np.random.default_rng(8)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "next.csv").read_text())))
    for row in rows:
        row["loss_nats"] = repr(float(truth.loss(float(row["n_params"]), float(row["n_tokens"])))
                                * math.exp(rng.normal(0.0, 0.01)))  # fmt: skip
    _refitted_narrower(cli, runs, rows, law, "kaplan", document)


@pytest.mark.slow
def test_a_mixture_of_experts_laws_suggested_runs_take_a_granularity_and_narrow_its_interval_once_trained(
    cli: Cli, tmp_path: Path
) -> None:
    """Krajewski et al. 2024's eq. 9 fitted (fit --form moe) to runs of their law at their sizes and granularities:
    suggest designs over its seven constants with candidates at granularities 1 to 64, each run's D what eq. 10's
    FLOPs leave of its budget; the runs file it writes carries each run's granularity and expansion, fit reads it
    back, and the runs, trained (simulated from the law with the same noise) and refitted, narrow the interval on
    N_opt at the target. The API gives the command's answer."""
    from scaling_plan.design import CANDIDATE_GRANULARITIES
    from scaling_plan.presets import PRESETS

    from .test_families import mixture_runs_file

    truth = PRESETS["krajewski-2024-moe"]
    runs = Path(mixture_runs_file(tmp_path, noise=0.005))
    law = tmp_path / "moe.yaml"
    assert cli.run("fit", str(runs), "--form", "moe", "--bootstrap", "100", "-o", str(law)).exit_code == 0
    document = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e23", "-n", "4",
                        "-o", str(tmp_path / "next.csv"))  # fmt: skip
    assert sp.suggest(runs, law=law, target=1e23, count=4).to_dict() == document
    assert document["design"] == "runs" and len(document["runs"]) == 4
    widths = [run["expected_relative_width"] for run in document["runs"]]
    assert widths == sorted(widths, reverse=True) and widths[-1] < document["relative_width"]
    trained = [line.split(",") for line in runs.read_text().splitlines()[1:]]
    largest = max(float(d) * truth.flops_per_token(float(n), float(g)) for n, d, g, *_ in trained)  # type: ignore[attr-defined]
    assert document["max_run_flops"] == pytest.approx(10 * largest)  # the runs' compute by eq. 10, as the candidates'
    for run in document["runs"]:
        assert run["granularity"] in CANDIDATE_GRANULARITIES and run["expansion"] == truth.expansion  # type: ignore[attr-defined]
        spent = run["n_tokens"] * truth.flops_per_token(run["n_params"], run["granularity"])  # type: ignore[attr-defined]
        assert spent == pytest.approx(run["budget_flops"], rel=1e-6)
        assert run["n_params"] >= 1 and run["budget_flops"] <= document["max_run_flops"] * (1 + 1e-9)
    rng = np.random.default_rng(8)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "next.csv").read_text())))
    assert [int(row["granularity"]) for row in rows] == [run["granularity"] for run in document["runs"]]
    for row in rows:
        exact = truth.loss_at(float(row["n_params"]), float(row["n_tokens"]), float(row["granularity"]))  # type: ignore[attr-defined]
        row["loss_nats"] = repr(float(exact) * math.exp(rng.normal(0.0, 0.005)))
    _refitted_narrower(cli, runs, rows, law, "moe", document)


@pytest.mark.slow
def test_a_law_fitted_with_repetition_gets_runs_on_repeated_data_that_narrow_n_opt_under_a_cap(
    cli: Cli, tmp_path: Path
) -> None:
    """Muennighoff et al. 2023's law fitted (fit --form data-constrained) to runs of it that repeat their data:
    suggest asks N_opt at the target under a cap of unique tokens (--unique-tokens), designs over the seven constants
    (the base law's and ln R_D*, ln R_N*: the file keeps each refit's), each candidate on D / epochs unique tokens;
    the runs file it writes carries each run's unique tokens, fit reads it back, and the runs, trained (simulated from
    the law on their own unique tokens) and refitted, narrow the interval. The API gives the command's answer."""
    from scaling_plan.data_constrained import DataConstrainedLaw
    from scaling_plan.design import CANDIDATE_EPOCHS
    from tests.repeats import LAW, repeated_runs, write_runs

    assert isinstance(LAW, ParametricLaw) and LAW.rd_star is not None and LAW.rn_star is not None
    runs = Path(write_runs(repeated_runs(), tmp_path / "repeats.csv"))
    law = tmp_path / "repeats.yaml"
    assert cli.run("fit", str(runs), "--form", "data-constrained", "--bootstrap", "100", "-o", str(law)).exit_code == 0
    cap = ("--unique-tokens", "20B")
    document = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e23", "-n", "4", *cap,
                        "-o", str(tmp_path / "next.csv"))  # fmt: skip
    assert sp.suggest(runs, law=law, target=1e23, count=4, unique_tokens="20B").to_dict() == document
    assert document["design"] == "runs" and len(document["runs"]) == 4
    widths = [run["expected_relative_width"] for run in document["runs"]]
    assert widths == sorted(widths, reverse=True) and widths[-1] < document["relative_width"]
    for run in document["runs"]:
        assert 6 * run["n_params"] * run["n_tokens"] == pytest.approx(run["budget_flops"], rel=1e-6)
        assert run["epochs"] == pytest.approx(run["n_tokens"] / run["unique_tokens"])
        assert min(abs(run["epochs"] / epochs - 1) for epochs in CANDIDATE_EPOCHS) < 1e-6  # U rounded to whole
    rng = np.random.default_rng(8)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "next.csv").read_text())))
    assert [int(row["unique_tokens"]) for row in rows] == [run["unique_tokens"] for run in document["runs"]]
    for row in rows:
        capped = DataConstrainedLaw(LAW, float(row["unique_tokens"]), LAW.rd_star, LAW.rn_star)
        exact = capped.loss(float(row["n_params"]), float(row["n_tokens"]))
        row["loss_nats"] = repr(float(exact) * math.exp(rng.normal(0.0, 0.002)))
    _refitted_narrower(cli, runs, rows, law, "data-constrained", document, *cap)


@pytest.mark.slow
def test_a_broken_frontier_gets_isoflop_profiles_over_its_six_constants(cli: Cli, tmp_path: Path) -> None:
    """Caballero et al. 2023's broken power law fitted (fit --form broken) to isoFLOP profiles whose minima follow a
    frontier that bends at 1e20 FLOPs: suggest designs whole profiles for its loss as for a straight frontier's."""
    from scaling_plan.laws import FrontierLaw

    bent = FrontierLaw("bent", k_n=0.1, a=0.5, E=1.8, A=200.0, gamma=0.12, source="a test", gamma_change=0.15,
                       break_flops=1e20, sharpness=0.5)  # fmt: skip
    rng = np.random.default_rng(11)
    runs = tmp_path / "runs.csv"
    with runs.open("w", newline="") as handle:  # each budget a profile of 5 sizes, its minimum on the frontier
        writer = csv.writer(handle)
        writer.writerow(["n_params", "n_tokens", "loss_nats"])
        for budget in (10 ** (17 + i / 4) for i in range(17)):  # 1e17 to 1e21, a quarter decade apart
            optimal = float(bent.optimum(budget)[0])
            for position in np.linspace(-1, 1, 5):
                n_params = round(optimal * 4.0**position)
                loss = float(bent.loss_at(budget)) * (1 + 0.02 * (position * math.log(4.0)) ** 2)
                writer.writerow([n_params, budget / (6 * n_params), loss * math.exp(rng.normal(0.0, 0.002))])
    law = tmp_path / "fitted.yaml"
    made = cli.run("fit", str(runs), "--form", "broken", "--bootstrap", "100", "-o", str(law))
    assert made.exit_code == 0, made.stderr
    document = cli.json("suggest", str(runs), "--law", str(law), "--target", "1e23", "--objective", "loss", "-n", "2")
    assert document["design"] == "isoflop profiles" and len(document["runs"]) == 10
    assert document["value_low"] < document["value"] < document["value_high"]
    widths = [run["expected_relative_width"] for run in document["runs"]]
    assert widths[4] <= document["relative_width"] and widths[-1] <= widths[4]
