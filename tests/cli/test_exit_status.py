"""One ExitStatus for the command line, each member reached by what it means; errors that name fields, worded as
flags by the command line and as keywords by the API; Typer's and Click's private parts fenced in one module."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

import scaling_plan as sp
from scaling_plan.errors import OutputError, ScalingPlanError, UsageError
from scaling_plan.status import ExitStatus

from ..conftest import ROOT, Cli

RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")


def _raising(error: BaseException) -> Any:
    def raise_it(*args: object, **kwargs: object) -> None:
        raise error

    return raise_it


#: Each status, and how a command line comes to it: arguments, and a domain function made to raise (None: none).
CASES: dict[ExitStatus, tuple[tuple[str, ...], tuple[str, BaseException] | None]] = {
    ExitStatus.OK: (("budget", "--flops", "1e24"), None),
    ExitStatus.FAILED: (("check", str(ROOT / "configs" / "chinchilla-70b.yaml"), "--max-cost-usd", "1"), None),
    ExitStatus.USAGE: (("budget", "--flops", "-1"), None),
    ExitStatus.INTERNAL: (("budget", "--flops", "1e24"), ("scaling_plan.plans.make_plan", RuntimeError("a bug"))),
    ExitStatus.OUTPUT: (
        ("budget", "--flops", "1e24", "-f", "json"),
        ("scaling_plan.output.plans.write_report", OutputError("stdout", "cannot write the output: full")),
    ),
    ExitStatus.INTERRUPTED: (("budget", "--flops", "1e24"), ("scaling_plan.plans.make_plan", KeyboardInterrupt())),
    ExitStatus.BROKEN_PIPE: (
        ("budget", "--flops", "1e24"),
        ("scaling_plan.output.plans.write_report", BrokenPipeError()),
    ),
}


@pytest.mark.parametrize("status", list(ExitStatus))
def test_every_exit_status_is_reached_by_what_it_means(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, status: ExitStatus
) -> None:
    args, broken = CASES[status]
    if broken is not None:
        monkeypatch.setattr(broken[0], _raising(broken[1]))
    result = cli.run(*args)
    assert result.exit_code == status, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    if status in (ExitStatus.USAGE, ExitStatus.INTERNAL, ExitStatus.OUTPUT, ExitStatus.INTERRUPTED):
        assert len(lines) == 1 and lines[0].startswith("scaling-plan: error: ")
    if status == ExitStatus.BROKEN_PIPE:
        assert result.stderr == ""  # a reader gone is said by the status alone


def test_an_output_error_is_not_bad_input() -> None:
    """A caller catching bad input (UsageError) does not also catch a full disk."""
    assert issubclass(OutputError, ScalingPlanError) and not issubclass(OutputError, UsageError)


@pytest.mark.slow
def test_the_domain_names_fields_the_cli_words_them_as_flags_the_api_as_keywords(cli: Cli, tmp_path: Any) -> None:
    law = tmp_path / "law.yaml"
    assert cli.run("fit", RUNS, "--bootstrap", "20", "-o", str(law)).exit_code == 0
    with pytest.raises(ScalingPlanError) as refused:
        sp.suggest(RUNS, law=str(law), target=1e24, objective="bad")
    assert refused.value.field == "objective"
    assert "--objective: unknown objective 'bad'" in cli.error("suggest", RUNS, "--law", str(law), "--target", "1e24",
                                                                 "--objective", "bad")  # fmt: skip
    with pytest.raises(ScalingPlanError) as refused:
        sp.suggest(RUNS, law=str(law), target=1e24, max_run_flops=1e10)
    assert refused.value.field == "max_run_flops"
    with pytest.raises(ScalingPlanError) as refused:
        sp.sweep(start=1e22, stop=1e20)
    assert refused.value.field == "stop" and refused.value.message == "must not be below start (1e+20 < 1e+22)"
    assert cli.error("sweep", "--from", "1e22", "--to", "1e20").endswith("--to: must not be below --from (1e20 < 1e22)")
    with pytest.raises(ScalingPlanError) as refused:
        sp.fit(RUNS, seed=-1)
    assert refused.value.field == "seed"


def test_a_message_names_other_inputs_in_each_doors_words() -> None:
    from scaling_plan.cli.app import flag_of
    from scaling_plan.errors import named

    error = UsageError(f"{named('holdout_top')} and {named('rolling')}", f"give only one of {named('holdout_above')}")
    assert str(error) == "holdout_top and rolling: give only one of holdout_above"
    assert error.worded(flag_of) == "--holdout-top and --rolling: give only one of --holdout-above"
    assert UsageError("stdout", "closed").worded(flag_of) == "stdout: closed"  # no option: left as it is
    assert UsageError("start", "x").worded(flag_of) == "--from: x"  # an option named otherwise than its field


def test_the_private_parts_the_cli_relies_on_are_where_it_expects_them(cli: Cli) -> None:
    """Fails when an upgrade of Typer (or its vendored Click) moves what cli/click_adapter.py uses."""
    import typer.main

    from scaling_plan.cli import click_adapter
    from scaling_plan.cli.app import app

    for module, name in click_adapter.PRIVATE_MODULE_NAMES:
        assert hasattr(importlib.import_module(module), name), (module, name)
    command = typer.main.get_command(app).commands["budget"]  # type: ignore[attr-defined]
    context = command.make_context("budget", ["--flops", "1e24"], resilient_parsing=True)
    parser = command.make_parser(context)
    for name in click_adapter.PRIVATE_PARSER_NAMES:
        assert hasattr(parser, name), name
    option = click_adapter.parsed_options(parser)[0]
    for name in click_adapter.PRIVATE_OPTION_NAMES:
        assert hasattr(option, name), name
    for name in click_adapter.PRIVATE_PARAM_NAMES:
        assert all(hasattr(param, name) for param in command.params), name
    # And they still do what the CLI needs of them: a second value refused, a choice read in any case.
    assert "--flops: given twice" in cli.error("budget", "--flops", "1e24", "--flops", "1e25")
    assert cli.run("budget", "--flops", "1e24", "--method", "LAW").exit_code == 0


def test_an_option_not_given_is_what_typers_own_coercion_makes_of_it() -> None:
    """cli/click_adapter.coerce_given_only passes an absent single value as None without Typer's pydantic adapter:
    for every option of every command, Typer's own processing of it gives the same, so an upgrade that changes what
    Typer makes of an absent value fails here."""
    import typer.main

    from scaling_plan.cli.app import app

    group = typer.main.get_command(app)
    checked = 0
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        context = command.make_context(name, [], resilient_parsing=True)
        for param in command.params:
            if param.multiple or param.nargs != 1 or param.required:
                continue
            typer_own = type(param).process_value(param, context, None)
            assert param.process_value(context, None) == typer_own, (name, param.name)
            checked += 1
    assert checked > 300
