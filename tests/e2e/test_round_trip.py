"""Every file a command writes is read back by the command that reads it: `fit -o` and `fit --approach isoflop -o` by
`budget --law` (and `suggest --law`), `fit-downstream -o` by `budget --downstream` and `backtest --downstream`,
`suggest -o` and `experiments` by `fit` and `backtest`. From ordinary runs and from degenerate ones (3 runs, one
budget, a metric at chance, losses all equal, a metric that falls with the loss), each command either writes a file
that reads back, or refuses in one line and writes nothing: never a file that is written and then refused."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import scaling_plan

from ..conftest import ROOT, Cli

#: A numpy overflow or invalid value is a bug here, as it would be a stray line on a user's stderr.
# Journeys through several commands, each fitting: the full suite runs them, the everyday loop leaves them out.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("error::RuntimeWarning")]

CHINCHILLA = ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"
SARDANA = ROOT / "tests" / "data" / "sardana2024_training_runs.csv"
CORE, MMLU = "eval_gauntlet/core_average", "mmlu_5_shot_avg"
#: The law the synthetic runs follow (Besiroglu et al. 2024's refit of Hoffmann et al. 2022's Approach 3).
TRUE = scaling_plan.law("epoch-2024")
#: Stands for the written file in a reader's command line.
FILE = "{file}"


def written_or_refused(cli: Cli, path: Path, writer: list[str], *readers: list[str]) -> bool:
    """Run `writer`, which may write `path`. Written: it exits 0 and every reader reads the file (exit 0). Not
    written: it exits non-zero with one error line, the last on stderr. Either way stderr holds only the tool's own
    lines (no traceback, no Python warning). Returns whether it wrote."""
    path.unlink(missing_ok=True)
    result = cli.run(*writer)
    assert "internal error" not in result.stderr, result.stderr
    assert all(line.startswith("scaling-plan: ") for line in result.stderr.splitlines()), result.stderr  # no Python
    if path.exists():
        assert result.exit_code == 0, result.stderr
        for reader in readers:
            read = cli.run(*[str(path) if arg == FILE else arg for arg in reader])
            assert read.exit_code == 0, (writer, reader, read.stderr)
        return True
    assert result.exit_code != 0, result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("scaling-plan: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return False


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def filled(rows: list[dict[str, str]], seed: int = 0, noise: float = 0.005) -> list[dict[str, str]]:
    """Rows of a runs file to train, each loss filled in from TRUE with `noise` (relative, normal)."""
    rng = np.random.default_rng(seed)
    for row in rows:
        loss = float(TRUE.loss(float(row["n_params"]), float(row["n_tokens"])))
        row["loss_nats"] = repr(loss * (1 + noise * rng.standard_normal()))
    return rows


def grid(cli: Cli, budgets: str, sizes: int = 7) -> list[dict[str, str]]:
    result = cli.run("experiments", "--budgets", budgets, "--sizes-per-budget", str(sizes), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def law_readers(runs: Path) -> list[list[str]]:
    """What reads a law or frontier file: a plan with it, and (with refits) the next runs to train."""
    return [
        ["budget", "--law", FILE, "--flops", "1e22", "--method", "law"],
        ["suggest", str(runs), "--law", FILE, "--target", "1e24", "-n", "2"],
    ]


@pytest.fixture(scope="module")
def runs_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Runs files, ordinary and degenerate."""
    folder = tmp_path_factory.mktemp("round_trip")
    cli = Cli()
    three_budgets = filled(grid(cli, "1e17,1e18,1e19"))
    equal = [dict(row, loss_nats="3.0") for row in grid(cli, "1e17,1e18,1e19")]
    return {
        "chinchilla": CHINCHILLA,
        "a grid of three budgets": write_csv(folder / "grid.csv", three_budgets),
        "3 runs": write_csv(folder / "three.csv", three_budgets[2:5]),
        "one budget": write_csv(folder / "one_budget.csv", filled(grid(cli, "1e18"))),
        "losses all equal": write_csv(folder / "equal.csv", equal),
    }


@pytest.mark.parametrize("runs", ["chinchilla", "a grid of three budgets", "3 runs", "one budget", "losses all equal"])
@pytest.mark.parametrize("options", [[], ["--allow-unconverged"]])
def test_fit_writes_a_law_file_that_reads_back_or_nothing(
    cli: Cli, tmp_path: Path, runs_files: dict[str, Path], runs: str, options: list[str]
) -> None:
    path = tmp_path / "law.yaml"
    source = runs_files[runs]
    wrote = written_or_refused(
        cli, path, ["fit", str(source), "--bootstrap", "10", "-o", str(path), *options], *law_readers(source)
    )
    assert wrote == (runs in ("chinchilla", "a grid of three budgets", "one budget"))


@pytest.mark.parametrize("runs", ["a grid of three budgets", "3 runs", "one budget", "losses all equal"])
def test_fit_isoflop_writes_a_frontier_file_that_reads_back_or_nothing(
    cli: Cli, tmp_path: Path, runs_files: dict[str, Path], runs: str
) -> None:
    path = tmp_path / "frontier.yaml"
    source = runs_files[runs]
    wrote = written_or_refused(
        cli, path, ["fit", str(source), "--approach", "isoflop", "--bootstrap", "10", "-o", str(path)],
        *law_readers(source),
    )  # fmt: skip
    assert wrote == (runs == "a grid of three budgets")


def test_a_frontier_from_chinchillas_runs_reads_back(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "frontier.yaml"
    args = [
        "fit",
        str(CHINCHILLA),
        "--approach",
        "isoflop",
        "--budget-rtol",
        "0.2",
        "--bootstrap",
        "10",
        "-o",
        str(path),
    ]
    assert written_or_refused(cli, path, args, *law_readers(CHINCHILLA))


def scored(path: Path, losses: list[float], scores: list[float]) -> Path:
    """A runs file of eight runs with a loss and an accuracy (chance 0.25)."""
    rows = [
        {"n_params": repr(float(n)), "n_tokens": repr(float(20 * n)), "loss_nats": repr(loss), "acc": repr(score)}
        for n, loss, score in zip(np.geomspace(1e8, 1.28e10, len(losses)), losses, scores, strict=True)
    ]
    return write_csv(path, rows)


@pytest.mark.parametrize(
    "case",
    ["sardana core average", "sardana mmlu (at chance)", "3 runs", "losses all equal", "a metric that falls with loss"],
)
@pytest.mark.parametrize("form", ["exponential", "sigmoid"])
def test_fit_downstream_writes_a_mapping_that_reads_back_or_nothing(
    cli: Cli, tmp_path: Path, case: str, form: str
) -> None:
    falling = [3.5 - 0.2 * i for i in range(8)]
    runs, metric = {
        "sardana core average": (SARDANA, CORE),
        "sardana mmlu (at chance)": (SARDANA, MMLU),
        "3 runs": (scored(tmp_path / "three.csv", falling[:3], [0.3, 0.4, 0.5]), "acc"),
        "losses all equal": (scored(tmp_path / "equal.csv", [2.5] * 8, [0.3 + 0.05 * i for i in range(8)]), "acc"),
        "a metric that falls with loss": (scored(tmp_path / "anti.csv", falling, [0.3 + 0.1 * (loss - 2.1)
                                                                                    for loss in falling]), "acc"),
    }[case]  # fmt: skip
    path = tmp_path / "mapping.yaml"
    chance = [] if metric in (CORE, MMLU) else ["--chance", "0.25"]
    readers = [
        ["budget", "--flops", "1e22", "--downstream", FILE],
        ["backtest", str(runs), "--holdout-top", "2", "--downstream", FILE],
    ]
    writer = ["fit-downstream", str(runs), "--metric", metric, *chance, "--form", form, "--bootstrap", "10",
              "-o", str(path)]  # fmt: skip
    wrote = written_or_refused(cli, path, writer, *readers)
    assert wrote == (case == "sardana core average")  # a metric that falls with the loss is refused by either form


def test_a_mapping_a_downstream_file_cannot_hold_is_not_written(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The downstream file's own checks decide what fit-downstream -o writes (here, a k that is not positive)."""
    import scaling_plan.output.lawfile as lawfile

    made = lawfile.downstream_file_data
    monkeypatch.setattr(lawfile, "downstream_file_data", lambda *args: made(*args) | {"constants": {
        "epsilon": 1.0, "k": -1.0, "gamma": 1.0}})  # fmt: skip
    path = tmp_path / "core.yaml"
    assert not written_or_refused(cli, path, ["fit-downstream", str(SARDANA), "--metric", CORE, "-o", str(path)])
    line = cli.run("fit-downstream", str(SARDANA), "--metric", CORE, "-o", str(path)).stderr.splitlines()[-1]
    assert line == (
        f"scaling-plan: error: --output: {path} not written: the fitted mapping is outside what a downstream file"
        " holds (constants.k: must be positive, got -1)"
    )


@pytest.mark.parametrize("sizes", [4, 7])
def test_an_experiments_grid_filled_in_reads_back_into_fit_and_backtest(cli: Cli, tmp_path: Path, sizes: int) -> None:
    runs = write_csv(tmp_path / "grid.csv", filled(grid(cli, "1e17,1e18,1e19,1e20", sizes)))
    fit = cli.json("fit", str(runs))
    assert fit["n_runs"] == 4 * sizes and fit["converged"] is True
    isoflop = cli.json("fit", str(runs), "--approach", "isoflop")
    assert isoflop["n_budgets_used"] == 4
    backtest = cli.json("backtest", str(runs), "--rolling", "--approach", "both")
    assert {score["n_held_out"] for score in backtest["scores"]} == {sizes}


def test_suggested_runs_filled_in_and_appended_read_back_into_fit(cli: Cli, tmp_path: Path) -> None:
    """suggest -o after a parametric law and after a frontier: the rows append to the grid, and fit reads them."""
    runs = write_csv(tmp_path / "grid.csv", filled(grid(cli, "1e17,1e18,1e19", 5), seed=1))
    original = runs.read_text()
    for approach, more in (("parametric", 3), ("isoflop", 2 * 5)):
        law, written = tmp_path / f"{approach}.yaml", tmp_path / f"next-{approach}.csv"
        made = cli.run("fit", str(runs), "--approach", approach, "--bootstrap", "50", "-o", str(law))
        assert made.exit_code == 0, made.stderr
        result = cli.run("suggest", str(runs), "--law", str(law), "--target", "1e23", "-n", str(more // 5 or more),
                         "--max-run-flops", "1e20", "-o", str(written))  # fmt: skip
        assert result.exit_code == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(written.read_text())))
        assert len(rows) == more and list(rows[0]) == list(csv.DictReader(io.StringIO(original)).fieldnames or [])
        appended = original + "".join(written.read_text().splitlines(keepends=True)[1:])
        runs.write_text(appended)
        pending = cli.run("fit", str(runs), "--approach", approach, "-f", "json")
        assert pending.exit_code == 0 and f"{more} runs without a loss skipped" in pending.stderr
        write_csv(runs, filled(list(csv.DictReader(io.StringIO(appended))), seed=2))
        refit = cli.json("fit", str(runs), "--approach", approach)
        if approach == "parametric":
            assert refit["n_runs"] == 15 + more
        else:
            assert refit["n_budgets"] == 3 + more // 5  # each suggested profile is a budget of its own
        runs.write_text(original)


def test_degenerate_losses_that_fit_once_wrote_and_budget_refused(cli: Cli, tmp_path: Path) -> None:
    """Was: equal losses fitted alpha = 60 and fit -o wrote a law that budget --law refused (alpha at most 2)."""
    runs = tmp_path / "equal.csv"
    runs.write_text(
        "n_params,n_tokens,loss_nats\n" + "".join(f"{n},{20 * n},3.0\n" for n in np.geomspace(1e6, 6.4e7, 7))
    )
    path = tmp_path / "law.yaml"
    assert not written_or_refused(cli, path, ["fit", str(runs), "-o", str(path)])
    line = cli.run("fit", str(runs), "-o", str(path)).stderr.splitlines()[-1]
    assert "not written: the fitted constants are outside what a law file holds (alpha: must be at most 2" in line
    assert math.isfinite(float(line.split("got ")[1].split(")")[0]))


# Bootstrap refits that are no law: fit leaves them out and says so; a file's rows are held to the law's ranges.


def _left_out(stderr: str, resamples: int, kind: str) -> int:
    """How many refits the one warning says were left out as outside what a `kind` file holds."""
    said = [line for line in stderr.splitlines() if "bootstrap refits ran outside" in line]
    assert len(said) == 1, stderr
    count, rest = said[0].removeprefix("scaling-plan: warning: ").split(" of the ", 1)
    assert rest.startswith(f"{resamples} bootstrap refits ran outside what a {kind} file holds"), said[0]
    assert rest.endswith("gives the ranges): left out"), said[0]
    return int(count.replace(",", ""))


def test_fit_leaves_out_refits_that_are_no_law_and_its_file_reads_back(cli: Cli, tmp_path: Path) -> None:
    """Was: refits with an exponent of 28 or E at 0 (eight of Sardana et al.'s runs) were written to the law file;
    --law dropped some unsaid (E at 0) and planned with others (alpha = 28)."""
    lines = SARDANA.read_text().splitlines()
    runs = tmp_path / "eight.csv"
    runs.write_text("\n".join([lines[0], *lines[1::5][:8]]) + "\n")  # every fifth run: 8 sizes and token counts
    path = tmp_path / "law.yaml"
    result = cli.run("fit", str(runs), "--bootstrap", "100", "-o", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    left_out = _left_out(result.stderr, 100, "law")
    rows = yaml.safe_load(path.read_text())["bootstrap"]["samples"]
    assert left_out > 0 and len(rows) == 100 - left_out
    assert all(all(math.isfinite(v) and v > 0 for v in row) and max(row[3], row[4]) <= 2 for row in rows)
    assert cli.json("budget", "--law", str(path), "--flops", "1e22")["loss_nats_low"] > 0  # read back, with intervals
    fitted = scaling_plan.fit(runs, bootstrap=100)
    assert len(fitted.samples) == len(rows) and _left_out("\n".join(fitted.warnings), 100, "law")


def test_fit_isoflop_leaves_out_frontiers_that_are_none(cli: Cli, tmp_path: Path) -> None:
    """Was: refits whose frontier had A below 0 (minima that barely fall with compute) were written, and --law
    dropped them unsaid."""
    rng = np.random.default_rng(1)
    rows = []
    for index, budget in enumerate((1e17, 1e18, 1e19, 1e20)):
        centre = 0.1 * budget**0.5
        for n in centre * np.geomspace(0.25, 4, 6):
            loss = 3.0 - 0.001 * index + 0.05 * math.log(n / centre) ** 2 + float(rng.normal(0, 0.003))
            rows.append({"n_params": repr(float(n)), "compute_flops": repr(budget), "loss_nats": repr(loss)})
    runs = write_csv(tmp_path / "grid.csv", rows)
    path = tmp_path / "frontier.yaml"
    result = cli.run("fit", str(runs), "--approach", "isoflop", "--bootstrap", "200", "-o", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    left_out = _left_out(result.stderr, 200, "frontier")
    samples = yaml.safe_load(path.read_text())["bootstrap"]["samples"]
    assert left_out > 0 and all(k > 0 and 0 < a < 1 and e >= 0 and big_a > 0 and g > 0 for k, a, e, big_a, g in samples)
    assert cli.json("budget", "--law", str(path), "--flops", "1e21", "--method", "law")["n_params"] > 0


def test_fit_downstream_leaves_out_mappings_that_are_none(cli: Cli, tmp_path: Path) -> None:
    """Was: refits with k below 0 (a metric that barely falls with the loss) were written, and --downstream used
    them."""
    rng = np.random.default_rng(1)
    loss = np.linspace(2.5, 3.5, 10)
    metric = 0.5 - 0.01 * (loss - 2.5) + rng.normal(0, 0.01, 10)
    runs = tmp_path / "runs.csv"
    rows = [f"{1e8 * (i + 1)},{2e9 * (i + 1)},{float(loss[i])!r},{float(metric[i])!r}\n" for i in range(10)]
    runs.write_text("n_params,n_tokens,loss,acc\n" + "".join(rows))
    path = tmp_path / "acc.yaml"
    result = cli.run("fit-downstream", str(runs), "--metric", "acc", "--chance", "0", "--bootstrap", "300", "-o",
                     str(path), "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    left_out = _left_out(result.stderr, 300, "downstream")
    samples = yaml.safe_load(path.read_text())["bootstrap"]["samples"]
    assert left_out > 0 and len(samples) == 300 - left_out and all(k > 0 and gamma > 0 for _, k, gamma in samples)
    plan = cli.json("budget", "--flops", "1e22", "--downstream", str(path))
    assert plan["downstream_acc_low"] <= plan["downstream_acc"] <= plan["downstream_acc_high"]


def _with_row(path: Path, index: int, column: int, value: str) -> tuple[Path, int]:
    """The file at `path` with one value of bootstrap row `index` replaced as YAML text (.nan, -0.1); also the line
    of that row."""
    lines = path.read_text().splitlines()
    first = lines.index("  samples:") + 1
    assert all(line.startswith("  - [") for line in lines[first : first + index + 1])
    values = lines[first + index].removeprefix("  - [").removesuffix("]").split(", ")
    values[column] = value
    lines[first + index] = f"  - [{', '.join(values)}]"
    bad = path.with_name(f"bad-{path.name}")
    bad.write_text("\n".join(lines) + "\n")
    return bad, first + index + 1


@pytest.fixture(scope="module")
def files_with_refits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("refits")
    cli = Cli()
    made = {"law": folder / "law.yaml", "frontier": folder / "frontier.yaml", "downstream": folder / "core.yaml"}
    for args in (
        ["fit", str(CHINCHILLA), "--drop-top-loss", "5", "--bootstrap", "20", "-o", str(made["law"])],
        ["fit", str(CHINCHILLA), "--approach", "isoflop", "--budget-rtol", "0.2", "--bootstrap", "20", "-o",
         str(made["frontier"])],
        ["fit-downstream", str(SARDANA), "--metric", CORE, "--bootstrap", "20", "-o", str(made["downstream"])],
    ):  # fmt: skip
        assert cli.run(*args).exit_code == 0
    return made


@pytest.mark.parametrize(
    ("kind", "column", "value", "said"),
    [
        ("law", 3, "-0.1", "alpha: must be at least 0.01, got -0.1"),  # was left out
        ("law", 4, "27.7", "beta: must be at most 2, got 27.7"),  # was planned with
        ("law", 0, ".nan", "E: must be a finite number, got nan"),  # was left out
        ("frontier", 1, "1.2", "a: must be at most"),
        ("frontier", 3, "-0.2", "A: must be at least"),  # was left out
        ("frontier", 2, "-1", "E: must not be negative, got -1"),
        ("downstream", 1, "-2", "k: must be"),  # was used
        ("downstream", 0, ".inf", "epsilon: must be"),  # was left out
    ],
)
def test_a_bootstrap_row_that_is_no_law_is_refused_at_its_line(
    cli: Cli, files_with_refits: dict[str, Path], kind: str, column: int, value: str, said: str
) -> None:
    def reader(path: Path) -> list[str]:
        option = "--downstream" if kind == "downstream" else "--law"
        return ["budget", "--flops", "1e22", option, str(path), *(["--method", "law"] if kind == "frontier" else [])]

    assert cli.run(*reader(files_with_refits[kind])).exit_code == 0  # the file as fit wrote it
    bad, line = _with_row(files_with_refits[kind], 7, column, value)
    assert f"{bad}:{line}: bootstrap.samples[7]: {said}" in cli.error(*reader(bad))
