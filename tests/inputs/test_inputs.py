"""Bad input is answered the same way everywhere: by every command and option, in flags, configs and the Python API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

import scaling_plan as sp
from scaling_plan.cli import app
from scaling_plan.inputs.fields import MIN_SIZES

from ..conftest import CONFIGS, ROOT, Cli

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


@pytest.mark.slow
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


# --- a size typed without its suffix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag", "typed", "meant"),
    [
        (("budget",), "--params", "70", "70B"),
        (("budget",), "--params", "7", "7B"),
        (("budget",), "--params", "500", "500M"),
        (("budget",), "--tokens", "15", "15T"),
        (("shape",), "--params", "7", "7B"),
        (("shape", "--params", "7B"), "--tokens", "2", "2T"),
        (("predict", "--tokens", "1.4T"), "--params", "70", "70B"),
        (("predict", "--params", "70B"), "--tokens", "1.4", "1.4T"),
        (("budget", "--flops", "1e22"), "--unique-tokens", "25", "25T"),
    ],
)
def test_a_size_without_its_suffix_is_refused_with_the_likely_meaning(
    cli: Cli, args: tuple[str, ...], flag: str, typed: str, meant: str
) -> None:
    """Was: `budget --params 70` planned a 70-parameter model with a loss of 259 nats/token."""
    line = cli.error(*args, flag, typed)
    assert f"error: {flag}: {typed} " in line and line.endswith(f"; did you mean {meant}?")


def test_a_size_below_the_least_is_refused_whatever_its_form(cli: Cli) -> None:
    line = cli.error("budget", "--params", "70K")
    assert line.endswith("--params: 70000 parameters is too small a model to plan (at least 1e5)")
    assert "1 parameter is too small" in cli.error("budget", "--params", "1")  # one parameter, not "1 parameters"
    assert "--tokens: 500000 tokens is too few to plan (at least 1e6)" in cli.error("budget", "--tokens", "5e5")


def test_the_least_sizes_are_far_below_any_plan(cli: Cli) -> None:
    """The smallest model and token count taken plan without a refusal (as extrapolations)."""
    assert cli.json("budget", "--params", str(MIN_SIZES["params"]))["n_params"] == MIN_SIZES["params"]
    assert cli.json("budget", "--tokens", str(MIN_SIZES["tokens"]))["n_tokens"] == pytest.approx(MIN_SIZES["tokens"])


@pytest.mark.parametrize(
    ("text", "line", "field", "meant"),
    [
        ("target:\n  params: 70\n", 2, "target.params", "70B"),
        ("run:\n  n_params: 70B\n  n_tokens: 1.4\n", 3, "run.n_tokens", "1.4T"),
        ("budget:\n  flops: 1e22\ndata:\n  unique_tokens: 300\n", 4, "data.unique_tokens", "300B"),
    ],
)
def test_a_config_size_without_its_suffix_names_file_line_and_field(
    cli: Cli, tmp_path: Path, text: str, line: int, field: str, meant: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    message = cli.error("budget", "-c", str(path))
    assert f"error: {path}:{line}: {field}: " in message and message.endswith(f"did you mean {meant}?")


def test_the_api_refuses_a_size_without_its_suffix() -> None:
    with pytest.raises(sp.ScalingPlanError, match=r"^params: 70 parameters .*; did you mean 70B\?$"):
        sp.plan(params=70)


# --- choices in any case, and the closest name for a wrong one -------------------------------------------------------

CHOICES = [
    (command, long_name(param), [str(member) for member in param.type_descriptor.choices])
    for command in COMMANDS
    for param in options(command)
    if param.type_descriptor.choices
]


def test_every_kind_of_choice_is_walked() -> None:
    flags = {flag for _, flag, _ in CHOICES}
    assert flags >= {"--method", "--format", "--ffn", "--style", "--sharding", "--recompute", "--precision",
                     "--family", "--inference-objective", "--approach", "--form", "--unit", "--objective"}  # fmt: skip


@pytest.mark.parametrize(("command", "flag", "members"), CHOICES, ids=[f"{c} {f}" for c, f, _ in CHOICES])
def test_every_choice_option_reads_any_case_and_names_the_closest_member(
    cli: Cli, command: str, flag: str, members: list[str]
) -> None:
    """Was: `--method Law` refused while --gpu and --law names were read in any case."""
    wrong = cli.error(command, flag, members[-1] + "x")  # read before what the command lacks besides
    assert f"error: {flag}: unknown " in wrong and f"did you mean {members[-1]!r}?" in wrong
    for member in members:
        result = cli.run(command, flag, f" {member.upper()} ")
        assert flag not in result.stderr, (member, result.stderr)  # whatever else the command lacks, not this


def test_a_choice_in_capitals_plans_as_the_member_does(cli: Cli) -> None:
    lower = cli.json("budget", "--flops", "1e22", "--method", "law", "--gpu", "H100", "--precision", "fp8")
    assert cli.json("budget", "--flops", "1e22", "--method", "LAW", "--gpu", "H100", "--precision", "FP8") == lower
    assert (
        cli.run("budget", "--flops", "1e22", "--format", "CSV").stdout
        == cli.run("budget", "--flops", "1e22", "--format", "csv").stdout
    )


def test_configs_and_the_api_read_choices_in_any_case(cli: Cli) -> None:
    text = "budget:\n  flops: 1e22\nallocation:\n  method: Law\nblueprint:\n  family: LLAMA3\n  ffn: SwiGLU\n"
    from_config = cli.json("budget", "-c", "-", input=text)
    assert (from_config["method"], from_config["family"], from_config["ffn"]) == ("law", "llama3", "swiglu")
    assert sp.plan(flops=1e22, method="LAW").to_dict() == sp.plan(flops=1e22, method="law").to_dict()
    assert sp.sweep([1e22], unit="FLOPS").to_dict() == sp.sweep([1e22]).to_dict()
    with pytest.raises(sp.ScalingPlanError, match=r"^method: unknown method 'lwa'; did you mean 'law'\?"):
        sp.plan(flops=1e22, method="lwa")


@pytest.mark.parametrize(
    ("section", "key", "typed", "meant"),
    [
        ("allocation", "method", "lwa", "law"),
        ("allocation", "law", "epoch2024", "epoch-2024"),
        ("hardware", "gpu", "H10", "H100"),
        ("hardware", "precision", "fp9", "fp8"),
        ("blueprint", "family", "lama3", "llama3"),
        ("blueprint", "ffn", "swiglo", "swiglu"),
        ("blueprint", "style", "gtp", "gpt"),
        ("blueprint", "sharding", "zero3", "zero-3"),
        ("blueprint", "recompute", "ful", "full"),
        ("inference", "objective", "cots", "cost"),
    ],
)
def test_every_named_choice_in_a_config_gets_the_closest_name(
    cli: Cli, tmp_path: Path, section: str, key: str, typed: str, meant: str
) -> None:
    """Was: 'input should be 'tokens-per-param', 'law', ...' for a method, family, precision, FFN, style, sharding,
    recompute or objective; and a law name in a config in a folder was taken for a missing file beside it."""
    folder = tmp_path / "configs"
    folder.mkdir()
    path = folder / "plan.yaml"
    tokens = "  tokens: 1T\n" if section == "inference" else ""
    path.write_text(f"budget:\n  flops: 1e22\n{section}:\n{tokens}  {key}: {typed}\n")
    line = cli.error("budget", "-c", str(path))
    assert f"{path}:{4 + bool(tokens)}: {section}.{key}: unknown " in line and f"did you mean {meant!r}?" in line


# --- a path that is a directory or a device --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "where", "kind"),
    [
        (("budget", "--flops", "1e24", "--law"), "--law", "law file"),
        (("budget", "--flops", "1e24", "--gpu"), "--gpu", "hardware file"),
        (("budget", "--flops", "1e24", "--downstream"), "--downstream", "downstream file"),
        (("budget", "-c"), "--config", "config file"),
        (("plot", "-o", "{tmp}/figure.png"), "LAW", "law file"),
        (("experiments", "--budgets", "1e18", "--law"), "--law", "law file"),
        (("backtest", RUNS, "--holdout-top", "5", "--downstream"), "--downstream", "downstream file"),
    ],
)
@pytest.mark.parametrize("what", ["directory", "device"])
def test_a_directory_or_a_device_is_named_as_such(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], where: str, kind: str, what: str
) -> None:
    """Was: `--law /tmp: law file '/tmp' not found`, and `--downstream /dev/zero` read 20 MB of zeros."""
    path = str(tmp_path) if what == "directory" else os.devnull
    line = cli.error(*(arg.format(tmp=tmp_path) for arg in args), path)
    assert line.endswith(f"error: {where}: {path} is a {what}, not a {kind}")


@pytest.mark.parametrize("what", ["directory", "device"])
def test_a_runs_file_or_config_argument_that_is_a_directory_or_device_is_named_as_such(
    cli: Cli, tmp_path: Path, what: str
) -> None:
    path = str(tmp_path) if what == "directory" else os.devnull
    assert cli.error("fit", path).endswith(f"error: {path}: is a {what}, not a runs file")
    if what == "device":  # a folder of configs is read as its configs
        result = cli.run("check", path)
        assert result.exit_code == 2 and f"error: {path}: is a device, not a config file" in result.stderr


def test_a_law_in_a_config_that_is_a_directory_names_file_line_and_field(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "laws").mkdir()
    path = tmp_path / "plan.yaml"
    path.write_text("budget:\n  flops: 1e22\nallocation:\n  law: laws/\n")
    line = cli.error("budget", "-c", str(path))
    assert line.endswith(f"error: {path}:4: allocation.law: {tmp_path / 'laws'}/ is a directory, not a law file")


def test_the_api_names_a_directory_given_as_a_law(tmp_path: Path) -> None:
    with pytest.raises(sp.ScalingPlanError, match=f"^law: {tmp_path} is a directory, not a law file$"):
        sp.plan(flops=1e22, law=str(tmp_path))


# --- money with thousands separators ---------------------------------------------------------------------------------

H100 = ("--gpu", "H100", "--price-per-gpu-hour", "2")


def test_money_reads_thousands_separators_as_runs_files_do(cli: Cli) -> None:
    """Was: `--dollars '$2,000,000'` refused while a runs file reads 22,821,773."""
    assert cli.json("budget", "--dollars", "$2,000,000", *H100) == cli.json("budget", "--dollars", "2e6", *H100)
    assert (
        cli.json("budget", "--dollars", "2e6", "--gpu", "H100", "--price-per-gpu-hour", "$1,000.00")[
            "price_usd_per_gpu_hour"
        ]
        == 1000.0
    )
    check = cli.run("check", str(CONFIGS / "chinchilla-70b.yaml"), "--max-cost-usd", "$500,000", "-f", "json")
    limits = {result["rule"]: result["limit"] for result in json.loads(check.stdout)["results"]}
    assert check.exit_code == 1 and limits["max_cost_usd"] == 500_000
    config = "budget:\n  dollars: '$2,000,000'\nhardware:\n  gpu: H100\n  price_per_gpu_hour: 2\n"
    assert cli.json("budget", "-c", "-", input=config)["given_value"] == 2e6
    assert sp.plan(dollars="$2,000,000", gpu="H100", price_per_gpu_hour=2).n_params == pytest.approx(
        sp.plan(dollars=2e6, gpu="H100", price_per_gpu_hour=2).n_params, rel=1e-15
    )


def test_only_money_takes_thousands_separators(cli: Cli) -> None:
    line = cli.error("budget", "--flops", "1,000")
    assert line.endswith("--flops: thousands separators are read in money only, got '1,000': write 1.00e3")
    assert "cannot read '$2,00'" in cli.error("budget", "--dollars", "$2,00", *H100)  # not groups of three


def test_money_with_thousands_separators_in_a_list_of_budgets_is_said(cli: Cli) -> None:
    line = cli.error(
        "sweep", "--budgets", "$1,250,000,$2M", "--unit", "dollars", "--gpu", "H100", "--price-per-gpu-hour", "2"
    )
    assert "--budgets: '$1,250,000' has thousands separators, but commas separate the budgets: write $1.25M" in line


# --- every command takes -q ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_takes_quiet(command: str) -> None:
    names = [name for param in options(command) for name in param.opts]
    assert "-q" in names and "--quiet" in names


@pytest.mark.parametrize(
    "args", [("laws",), ("gpus",), ("check", str(CONFIGS / "chinchilla-70b.yaml")), ("schema",)], ids=lambda a: a[0]
)
def test_quiet_never_leaves_out_a_result(cli: Cli, args: tuple[str, ...]) -> None:
    """Was: check, laws and gpus refused -q. They print no notes, so -q changes nothing they print."""
    quiet, loud = cli.run(*args, "-q"), cli.run(*args)
    assert quiet.exit_code == loud.exit_code == 0, quiet.stderr
    assert quiet.stdout == loud.stdout and quiet.stdout.strip()


def test_quiet_leaves_out_only_the_notes_under_a_table(cli: Cli) -> None:
    quiet = cli.run("budget", "--flops", "1e22", "-q").stdout
    loud = cli.run("budget", "--flops", "1e22").stdout
    assert loud.startswith(quiet) and "Allocation:" in loud[len(quiet) :] and "Allocation:" not in quiet
