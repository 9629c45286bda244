"""Bad input is answered the same way everywhere: by every command and option, in flags, configs and the Python API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

import scaling_plan as sp
from scaling_plan.cli import app

from .conftest import CONFIGS, ROOT, Cli

COMMANDS: dict[str, Any] = get_command(app).commands  # type: ignore[attr-defined]
RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")


def options(command: str) -> list[Any]:
    return [param for param in COMMANDS[command].params if param.param_type_name == "option"]


def long_name(param: Any) -> str:
    return next(name for name in param.opts if name.startswith("--"))


# --- a single-value option given twice -------------------------------------------------------------------------------

SINGLE_VALUE = [
    (command, long_name(param))
    for command in COMMANDS
    for param in options(command)
    if not param.is_flag and not param.multiple and not param.count
]


def test_every_command_has_single_value_options_to_check() -> None:
    assert len(SINGLE_VALUE) > 100 and {command for command, _ in SINGLE_VALUE} >= {"budget", "fit", "laws", "check"}


@pytest.mark.parametrize(("command", "flag"), SINGLE_VALUE, ids=[f"{c} {f}" for c, f in SINGLE_VALUE])
def test_a_single_value_option_given_twice_is_refused(cli: Cli, command: str, flag: str) -> None:
    """Was: the last value won silently (`budget --flops 1e24 --flops 1e25` planned 1e25)."""
    line = cli.error(command, flag, "1e24", flag, "1e25")
    assert line.endswith(f"error: {flag}: given twice (1e24 and 1e25); give it once")


def test_a_short_name_and_its_long_name_are_the_same_option(cli: Cli) -> None:
    assert "--format: given twice (json and csv)" in cli.error(
        "budget", "--flops", "1e24", "-f", "json", "--format", "csv"
    )


def test_repeatable_options_stay_repeatable(cli: Cli) -> None:
    line = cli.error("budget", "--flops", "1e24", "--downstream", "first.yaml", "--downstream", "second.yaml")
    assert "first.yaml" in line and "given twice" not in line  # read in turn, not refused as a repeat
    law = str(CONFIGS / "laws" / "sardana-2024.yaml")
    result = cli.run("backtest", RUNS, "--holdout-top", "20", "--law", "epoch-2024", "--law", law, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert {"epoch-2024", "sardana-2024"} <= {score["method"] for score in json.loads(result.stdout)["scores"]}


# --- an empty item in a comma-separated list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("sweep",), "--budgets"),
        (("experiments",), "--budgets"),
        (("plot", "epoch-2024", "-o", "{tmp}/figure.png"), "--presets"),
    ],
)
@pytest.mark.parametrize(("listed", "position"), [("{a},,{b}", "2 of 3"), ("{a},{b},", "3 of 3"), (",{a}", "1 of 2")])
def test_an_empty_list_item_is_refused_by_its_position(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], flag: str, listed: str, position: str
) -> None:
    """Was: `sweep --budgets 1e20,,1e21` swept two budgets, the empty item dropped."""
    a, b = ("kaplan-2020", "epoch-2024") if flag == "--presets" else ("1e20", "1e21")
    given = listed.format(a=a, b=b)
    line = cli.error(*(arg.format(tmp=tmp_path) for arg in args), flag, given)
    assert line.endswith(f"error: {flag}: item {position} is empty in '{given}'")


def test_the_api_refuses_an_empty_budget_too() -> None:
    with pytest.raises(sp.ScalingPlanError, match="item 2 of 3 is empty"):
        sp.sweep([1e20, "", 1e21])
