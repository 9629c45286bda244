"""`sweep` at the command line: rows equal to single plans, ranges, formats, configs and bad sweeps."""

import itertools
import json
import math

import pytest

from scaling_plan.presets import PRESETS

from ..conftest import Cli

ALLOCATION = ("--method", "law", "--law", "chinchilla-2022")
HARDWARE = ("--gpu", "H100-SXM", "--gpus", "256", "--price-per-gpu-hour", "2.5")


def test_csv_is_a_clean_table_with_one_row_per_budget(cli: Cli) -> None:
    rows = cli.csv("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "1")
    # Written exactly as typed, whatever the last bit of numpy's power of ten (it made 1.0000000000000001e+23).
    assert [row["given_value"] for row in rows] == [f"1e+{e}" for e in range(18, 27)]
    assert [row["compute_flops"] for row in rows] == [f"1e+{e}" for e in range(18, 27)]
    for row in rows:
        assert float(row["n_params"]) > 0 and float(row["loss_nats"]) > 0  # plain numbers, no units or suffixes
        assert 6 * float(row["n_params"]) * float(row["n_tokens"]) == pytest.approx(float(row["compute_flops"]))
    plans = cli.json("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "1")["plans"]
    assert [list(plan) for plan in plans] == [list(row) for row in rows]  # the same fields, in the same order


def test_each_row_is_the_single_plan_for_its_budget(cli: Cli) -> None:
    args = ("--unit", "dollars", "--from", "$1M", "--to", "$100M", "--per-decade", "2", *HARDWARE, *ALLOCATION)
    rows = cli.json("sweep", *args)["plans"]
    assert len(rows) == 5
    for row in rows:
        single = cli.json("budget", "--dollars", str(row["given_value"]), *HARDWARE, *ALLOCATION)
        assert row.keys() == single.keys()
        for key, value in row.items():
            assert value == (pytest.approx(single[key], rel=1e-12) if isinstance(value, float) else single[key]), key


def test_range_includes_both_ends_and_spaces_points_evenly_in_log(cli: Cli) -> None:
    values = [row["given_value"] for row in cli.json("sweep", "--from", "1e20", "--to", "1e22")["plans"]]
    assert len(values) == 9  # the default is 4 per decade
    assert values[0] == 1e20 and values[-1] == 1e22
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert ratios == pytest.approx([10**0.25] * 8, rel=1e-12)
    uneven = [
        row["given_value"] for row in cli.json("sweep", "--from", "1e20", "--to", "5e21", "--per-decade", "1")["plans"]
    ]
    assert uneven == pytest.approx([1e20, 1e21, 5e21])
    assert [row["given_value"] for row in cli.json("sweep", "--from", "3e21", "--to", "3e21")["plans"]] == [3e21]


def test_explicit_budgets_and_json_lines(cli: Cli) -> None:
    result = cli.run("sweep", "--budgets", "1e20, 1e21,5.76e23", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["compute_flops"] for line in lines] == [1e20, 1e21, 5.76e23]
    assert all(line["schema_version"] == 1 for line in lines)


@pytest.mark.slow
def test_compare_laws_adds_a_column_group_per_preset_equal_to_each_law_optimum(cli: Cli) -> None:
    rows = cli.csv("sweep", "--budgets", "1e21,1e24", "--compare-laws")
    for law in PRESETS:
        for row in rows:
            optimum = cli.json("budget", "--flops", row["given_value"], "--method", "law", "--law", law)
            assert float(row[f"{law}.n_params"]) == pytest.approx(optimum["n_params"], rel=1e-12)
            assert float(row[f"{law}.n_tokens"]) == pytest.approx(optimum["n_tokens"], rel=1e-12)
            assert float(row[f"{law}.loss_nats"]) == pytest.approx(optimum["loss_nats"], rel=1e-12)
    table = cli.run("sweep", "--budgets", "1e21,1e24", "--compare-laws", env={"COLUMNS": "1000"})
    assert "chinchilla-2022 D/N" in table.stdout and "Sweep of 2 budgets" in table.stdout


def test_sweep_takes_hardware_and_allocation_from_a_config(cli: Cli) -> None:
    from ..conftest import CONFIGS

    rows = cli.json("sweep", "-c", str(CONFIGS / "h100-cluster-30d.yaml"), "--unit", "days", "--budgets", "10,30")[
        "plans"
    ]
    assert [row["wall_clock_days"] for row in rows] == pytest.approx([10, 30])
    assert {row["method"] for row in rows} == {"law"}


def test_table_shows_money_budgets_as_money(cli: Cli) -> None:
    result = cli.run("sweep", "--unit", "dollars", "--budgets", "1e6,1e7", *HARDWARE)
    assert result.exit_code == 0
    assert "$1.00M" in result.stdout and "$10.0M" in result.stdout


def test_extrapolation_is_counted_once_for_the_sweep(cli: Cli) -> None:
    result = cli.run("sweep", "--from", "1e16", "--to", "1e28", "--per-decade", "1", "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr.count("extrapolation") == 1
    assert "4 of the budgets" in result.stderr  # 1e16, 1e17, 1e27, 1e28


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("--from", "1e20"), "--to"),
        (("--to", "1e20"), "--from"),
        (("--from", "1e22", "--to", "1e20"), "--to"),
        (("--from", "1e20", "--to", "1e22", "--budgets", "1e21"), "--budgets"),
        (("--budgets", "1e20,abc"), "--budgets"),
        (("--budgets", " , "), "--budgets"),
        (("--budgets", "1e20,-5"), "--budgets"),
        (("--from", "1e20", "--to", "1e22", "--per-decade", "2.5"), "--per-decade"),
        (("--from", "1", "--to", "1e300", "--per-decade", "1000"), "--per-decade"),
        (("--from", "$1M", "--to", "$2M"), "--from"),
        (("--unit", "dollars", "--budgets", "1e6", "--gpu", "H100-SXM"), "--budgets"),
        (("--unit", "days", "--budgets", "30"), "--budgets"),
        (("--from", "nan", "--to", "1e20"), "--from"),
        (("--budgets", "1e-3"), "--budgets"),
    ],
)
def test_bad_sweeps_name_the_flag(cli: Cli, args: tuple[str, ...], culprit: str) -> None:
    assert culprit in cli.error("sweep", *args)


def test_no_nan_or_inf_reaches_the_output(cli: Cli) -> None:
    result = cli.run("sweep", "--from", "1e18", "--to", "1e30", "--per-decade", "10", "--format", "csv")
    assert result.exit_code == 0
    assert not any(cell in ("nan", "inf") for line in result.stdout.splitlines() for cell in line.split(","))
    assert all(math.isfinite(float(row["loss_nats"])) for row in cli.csv("sweep", "--from", "1e18", "--to", "1e30"))


@pytest.mark.parametrize(
    ("start", "stop", "per_decade"), [("3e17", "3e25", "1"), ("1e18", "1e22", "4"), ("2e20", "2e23", "3")]
)
def test_sweep_points_are_the_decimals_a_user_would_type(cli: Cli, start: str, stop: str, per_decade: str) -> None:
    budgets = [
        row["given_value"] for row in cli.csv("sweep", "--from", start, "--to", stop, "--per-decade", per_decade)
    ]
    mantissa = start.split("e")[0]
    for k, text in enumerate(budgets[:: int(per_decade)]):  # every decade from the start: 3e+17, 3e+18, ...
        assert text == f"{mantissa}e+{int(start.split('e')[1]) + k}"
    assert all(len(text.split("e")[0].replace(".", "")) <= 15 for text in budgets)  # at most 15 significant digits
