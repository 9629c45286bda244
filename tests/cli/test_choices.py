"""Each choice list is defined once (scaling_plan/choices.py): every member works as a flag and in a config, and the
printed schema offers exactly those members."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from scaling_plan import choices

from ..conftest import Cli

BLUEPRINT = ("shape", "--params", "1B", "--gpu", "H100-SXM")


@pytest.mark.parametrize(
    ("choice", "args", "flag"),
    [
        (choices.Method, ("budget", "--flops", "1e22"), "--method"),
        (choices.FfnKind, BLUEPRINT, "--ffn"),
        (choices.Style, BLUEPRINT, "--style"),
        (choices.Sharding, BLUEPRINT, "--sharding"),
        (choices.Recompute, BLUEPRINT, "--recompute"),
        (choices.Objective, ("budget", "--flops", "1e22", "--inference-tokens", "1T", "--gpu", "H100-SXM",
                             "--price-per-gpu-hour", "2"), "--inference-objective"),
        (choices.BudgetUnit, ("sweep", "--from", "1e3", "--to", "1e4", "--gpu", "H100-SXM", "--gpus", "8",
                              "--price-per-gpu-hour", "2"), "--unit"),
    ],
)  # fmt: skip
def test_every_member_of_a_choice_is_a_working_flag(cli: Cli, choice: Any, args: tuple[str, ...], flag: str) -> None:
    for member in get_args(choice):
        for typed in (member, member.upper()):  # in any case, as --gpu and --law names are read
            result = cli.run(*args, flag, typed, "--format", "json")
            assert result.exit_code == 0, (typed, result.stderr)
    assert f"{flag}: unknown " in cli.error(*args, flag, "no-such-choice")


@pytest.mark.parametrize(
    ("command", "choice"),
    [
        (("budget", "--flops", "1e22"), choices.OutputFormat),
        (("sweep", "--budgets", "1e20,1e21"), choices.SweepFormat),
        (("check", "configs/chinchilla-70b.yaml"), choices.ReportFormat),
    ],
)
def test_every_output_format_writes(cli: Cli, command: tuple[str, ...], choice: Any, monkeypatch: Any) -> None:
    from ..conftest import ROOT

    monkeypatch.chdir(ROOT)
    for member in get_args(choice):
        result = cli.run(*command, "--format", member)
        assert result.exit_code == 0 and result.stdout.strip(), (member, result.stderr)


@pytest.mark.parametrize(
    ("section", "key", "choice"),
    [
        ("allocation", "method", choices.Method),
        ("inference", "objective", choices.Objective),
        ("blueprint", "ffn", choices.FfnKind),
        ("blueprint", "style", choices.Style),
        ("blueprint", "sharding", choices.Sharding),
        ("blueprint", "recompute", choices.Recompute),
    ],
)
def test_configs_and_the_schema_take_exactly_the_same_members(cli: Cli, section: str, key: str, choice: Any) -> None:
    schema = json.loads(cli.run("schema").stdout)
    reference = schema["properties"][section]["$ref"].rsplit("/", 1)[-1]
    options = schema["$defs"][reference]["properties"][key]  # no null: an editor offers only the members
    assert options["anyOf"][0]["enum"] == list(get_args(choice))  # and takes them in any case, as the tool does
    budget = "budget:\n  flops: 1e20\nhardware:\n  gpu: H100-SXM\n  price_per_gpu_hour: 2\n"
    needs = "  tokens: 1T\n" if section == "inference" else ""  # an objective needs inference tokens to act on
    for member in get_args(choice):
        for typed in (member, member.upper()):
            result = cli.run(
                "budget", "-c", "-", "--format", "json", input=f"{budget}{section}:\n{needs}  {key}: {typed}\n"
            )
            assert result.exit_code == 0, (typed, result.stderr)
    assert f"{section}.{key}" in cli.error("budget", "-c", "-", input=f"{budget}{section}:\n  {key}: nope\n")
