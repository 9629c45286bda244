"""Finite in, finite out. Every numeric flag (walked from the table of fields, so a new flag is covered as it is
added) and every number of every file the tool reads (configs, law, frontier, downstream, hardware and runs files) is
driven through 0, ±1e-308, ±1e308, NaN and inf. Each run either exits 0 with finite output (its JSON parses with no
NaN or Infinity, and its table shows no nan or inf) or exits 2 with one error line naming the input: the flag, or the
file:line and the key. `check` may also exit 1 (a policy rule failed) with finite output.

A numpy RuntimeWarning is an error here, as it would be a stray line on a user's stderr. The count of inputs and
values tried is added to the session's closing summary (conftest.py). The sweeps take over a minute, so they are marked
slow; the cases that once escaped (exit 3, inf in a table, the wrong flag blamed) are tested one by one at the end, in
the everyday loop."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scaling_plan.inputs.fields import BY_NAME, FIELDS, SECTIONS, Field

from ..conftest import ROOT, Cli
from .fuzzing import EXTREME_INPUTS, EXTREMES, NON_FINITE

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: What each number is set to, as a flag's text and as YAML (where .nan and .inf are floats, and nan is text).
FLAG_VALUES = ("0", "1e-308", "-1e-308", "1e308", "-1e308", "nan", "inf", "-inf")
YAML_VALUES = ("0", "1e-308", "-1e-308", "1e308", "-1e308", ".nan", ".inf", "-.inf", "nan", "inf")

#: A flag's context, by its config section: what the command needs besides it for the number to be used.
SECTION_FLAGS: dict[str, list[str]] = {
    "budget": ["--gpu", "H100", "--gpus", "1024", "--price-per-gpu-hour", "2"],
    "target": [],
    "hardware": ["--flops", "1e24", "--gpu", "H100", "--gpus", "1024", "--price-per-gpu-hour", "2",
                 "--grid-gco2-per-kwh", "400"],
    "allocation": ["--flops", "1e24"],
    "data": ["--flops", "1e24"],
    "inference": ["--flops", "1e24", "--inference-tokens", "2T", "--gpu", "H100", "--price-per-gpu-hour", "2"],
    "blueprint": ["--flops", "1e22", "--gpu", "H100", "--gpus", "64", "--blueprint", "--layers", "24",
                  "--d-model", "2048", "--experts", "8"],
    "serve": ["--flops", "1e22", "--gpu", "H100", "--serve", "--price-per-gpu-hour", "2", "--tokens-per-second",
              "1000"],
    "policy": [],
}  # fmt: skip
#: A config's sections, as YAML mappings, for a field of each section (the field's own key is set by the test).
SECTION_CONFIGS: dict[str, dict[str, dict[str, str]]] = {
    "budget": {"hardware": {"gpu": "H100", "gpus": "1024", "price_per_gpu_hour": "2"}},
    "target": {},
    "hardware": {"budget": {"flops": "1e24"},
                 "hardware": {"gpu": "H100", "gpus": "1024", "price_per_gpu_hour": "2", "grid_gco2_per_kwh": "400"}},
    "allocation": {"budget": {"flops": "1e24"}},
    "data": {"budget": {"flops": "1e24"}},
    "inference": {"budget": {"flops": "1e24"}, "hardware": {"gpu": "H100", "price_per_gpu_hour": "2"},
                  "inference": {"tokens": "2T"}},
    "run": {"run": {"n_params": "70B", "n_tokens": "1.4T"}},
    "blueprint": {"budget": {"flops": "1e22"}, "hardware": {"gpu": "H100", "gpus": "64"},
                  "blueprint": {"n_layers": "24", "d_model": "2048", "experts": "8"}},
    "serve": {"budget": {"flops": "1e22"}, "hardware": {"gpu": "H100", "price_per_gpu_hour": "2"},
              "serve": {"tokens_per_second": "1000"}},
    "policy": {"budget": {"flops": "5.76e23"}, "run": {"n_params": "70B", "n_tokens": "1.4T"},
               "hardware": {"gpu": "H100", "gpus": "1024", "price_per_gpu_hour": "2.5"},
               "data": {"unique_tokens": "2T"}, "serve": {"output_tokens": "256"}},
}  # fmt: skip

QUANTITIES = [field for field in FIELDS if field.kind == "quantity"]


def _flag_args(field: Field, value: str, policy_config: Path) -> list[str]:
    """The command line that uses `field`'s flag with `value` (its section's context without the flag itself); a
    policy limit's checks `policy_config`."""
    assert field.flag is not None
    context, args = SECTION_FLAGS[field.section], []
    for index in range(0, len(context)):
        is_value = index > 0 and context[index - 1].startswith("--") and not context[index].startswith("--")
        if context[index] == field.flag or (is_value and context[index - 1] == field.flag):
            continue
        args.append(context[index])
    if field.section == "policy":
        return ["check", str(policy_config), field.flag, value]
    return ["budget", *args, field.flag, value]


def _config_text(field: Field, value: str) -> str:
    """A config whose `field` is `value` (raw YAML), in its section's context."""
    sections = {name: dict(keys) for name, keys in SECTION_CONFIGS[field.section].items()}
    sections.setdefault(field.section, {})[field.key] = value
    return "".join(f"{name}:\n" + "".join(f"  {key}: {text}\n" for key, text in keys.items())
                   for name, keys in sections.items())  # fmt: skip


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"{name} in JSON output")


#: Commands that exit 1 for an outcome that is not an error: a policy rule failed, a fit did not converge.
EXIT_ONE = ("check", "fit")


def _check(cli: Cli, args: list[str], names: str | re.Pattern[str], what: str) -> int:
    """Run args in JSON (and, when it succeeds, as a table); check the promise; return the exit code. An error must
    name the input (`names`: text it holds, or a pattern it matches); `what` is the input and its value, 'key = value'."""
    command = args[0]
    result = cli.run(*args, "--format", "json")
    context = f"{what}: {args!r}\nexit {result.exit_code}\nstderr {result.stderr!r}\nstdout {result.stdout[-500:]!r}"
    EXTREMES[result.exit_code] += 1
    EXTREME_INPUTS.add(f"{command} {what.rsplit(' = ', 1)[0]}")
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("scaling-plan: error: ")]
    if result.exit_code == 2:
        assert len(errors) == 1 and lines[-1] == errors[0], context
        assert names in errors[0] if isinstance(names, str) else names.search(errors[0]), context
        assert "internal error" not in errors[0], context
        if command != "check":
            assert result.stdout == "", context
        elif result.stdout:  # check reports every config it was given, one it could not read as an error
            json.loads(result.stdout, parse_constant=_reject_constant)
        return 2
    else:
        assert result.exit_code == 0 or (command in EXIT_ONE and result.exit_code == 1), context
    assert all(line.startswith("scaling-plan: ") for line in lines), context  # no traceback, no Python warning
    json.loads(result.stdout, parse_constant=_reject_constant)
    table = cli.run(*args)
    assert table.exit_code == result.exit_code, context
    assert NON_FINITE.search(table.stdout) is None, f"{context}\ntable {table.stdout!r}"
    return result.exit_code


@pytest.mark.slow
@pytest.mark.parametrize("field", [field for field in QUANTITIES if field.flag], ids=lambda field: field.flag)
def test_every_numeric_flag_takes_extremes_finitely_or_names_itself(cli: Cli, tmp_path: Path, field: Field) -> None:
    assert field.flag is not None
    policy_config = tmp_path / "policy.yaml"  # a run with a unique-token cap, so every policy limit measures it
    policy_config.write_text(_config_text(BY_NAME["max_epochs"], "16"))
    named = re.compile(rf"(?<![\w-]){re.escape(field.flag)}(?![\w-])")
    for value in FLAG_VALUES:
        _check(cli, _flag_args(field, value, policy_config), named, f"{field.flag} = {value}")


@pytest.mark.slow
@pytest.mark.parametrize("field", QUANTITIES, ids=lambda field: f"{field.section}.{field.key}")
def test_every_number_of_a_config_takes_extremes_finitely_or_names_its_line(
    cli: Cli, tmp_path: Path, field: Field
) -> None:
    path = tmp_path / "plan.yaml"
    for value in YAML_VALUES:
        text = _config_text(field, value)
        path.write_text(text)
        line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(f"  {field.key}: {value}"))
        command = ["check", str(path)] if field.section == "policy" else ["budget", "-c", str(path)]
        named = f"{path}:{line}: {field.section}.{field.key}:"
        _check(cli, command, named, f"{field.section}.{field.key} = {value}")


# --- the other files ------------------------------------------------------------------------------------------------

LAW = """E: 1.8172
A: 482.01
B: 2085.43
alpha: 0.3478
beta: 0.3658
rd_star: 15.4
rn_star: 5.3
fitted_range:
  compute_flops: [1.0e+18, 1.0e+22]
bootstrap:
  resamples: 3
  seed: 42
  converged: 3
  level: 0.9
  intervals: {}
  standard_errors: {}
  samples:
  - [1.80, 470.0, 2000.0, 0.345, 0.36]
  - [1.82, 490.0, 2100.0, 0.35, 0.37]
  - [1.83, 500.0, 2200.0, 0.351, 0.368]
"""
FRONTIER = """kind: frontier
k_n: 0.14
a: 0.49
E: 1.52
A: 287.6
gamma: 0.122
bootstrap:
  resamples: 3
  seed: 42
  kept: 3
  level: 0.9
  intervals: {}
  samples:
  - [0.13, 0.48, 1.5, 280.0, 0.12]
  - [0.14, 0.49, 1.52, 290.0, 0.122]
  - [0.15, 0.50, 1.55, 300.0, 0.125]
"""
DOWNSTREAM = """kind: downstream
name: core
metric: eval_gauntlet/core_average
form: {form}
constants: {constants}
chance: 0.0
floor: 0.0
ceiling: 1.0
fitted_range:
  loss_nats: [2.37, 3.68]
bootstrap:
  resamples: 3
  seed: 42
  kept: 3
  level: 0.9
  intervals: {{}}
  samples:
  - {row}
  - {row}
"""
EXPONENTIAL = ("{epsilon: 0.99, k: 16.7, gamma: 1.7}", "[0.98, 15.0, 1.6]")
SIGMOID = ("{l0: 1.9, scale: 0.52}", "[1.85, 0.5]")
HARDWARE = """kind: hardware
name: custom
peak_flops_per_second: 1.0e+15
peak_fp8_flops_per_second: 2.0e+15
memory_gib: 80
power_watts: 700
memory_bandwidth_gb_per_second: 3350
link_bandwidth_gb_per_second: 900
"""
KAPLAN = """kind: kaplan
alpha_n: 0.076
alpha_d: 0.103
n_c: 6.4e+13
d_c: 1.8e+13
bootstrap:
  resamples: 3
  seed: 42
  converged: 3
  level: 0.9
  intervals: {}
  standard_errors: {}
  samples:
  - [0.075, 0.1, 6.0e+13, 1.7e+13]
  - [0.076, 0.103, 6.4e+13, 1.8e+13]
  - [0.077, 0.105, 6.8e+13, 1.9e+13]
"""
MOE = """kind: moe
E: 0.472
A: 18.07
B: 30.81
alpha: 0.1146
beta: 0.1465
g: 2.076
gamma: 0.5843
expansion: 64
bootstrap:
  resamples: 3
  seed: 42
  converged: 3
  level: 0.9
  intervals: {}
  standard_errors: {}
  samples:
  - [0.47, 18.0, 30.8, 0.114, 0.146, 2.07, 0.58]
  - [0.472, 18.07, 30.81, 0.1146, 0.1465, 2.076, 0.5843]
  - [0.474, 18.1, 30.9, 0.115, 0.147, 2.08, 0.59]
"""
BROKEN = """kind: broken
k_n: 0.1
a: 0.5
E: 1.8
A: 200.0
gamma: 0.12
gamma_change: 0.15
break_flops: 1.0e+20
sharpness: 0.5
bootstrap:
  resamples: 3
  seed: 42
  kept: 3
  level: 0.9
  intervals: {}
  samples:
  - [0.09, 0.49, 1.7, 190.0, 0.11, 0.14, 9.0e+19, 0.45]
  - [0.1, 0.5, 1.8, 200.0, 0.12, 0.15, 1.0e+20, 0.5]
  - [0.11, 0.51, 1.9, 210.0, 0.13, 0.16, 1.1e+20, 0.6]
"""
#: An isoFLOP grid (3 budgets x 5 sizes) with Besiroglu et al. 2024's loss (Table 1) and a score that rises as the
#: loss falls: every command that reads a runs file fits it.
RUNS = "n_params,n_tokens,loss,budget,acc\n" + "".join(
    f"{n:.6g},{c / (6 * n):.6g},{loss:.5f},{c:g},{(4 - loss) / 2:.4f}\n"
    for c, optimum in ((1e18, 6e7), (1e19, 1.8e8), (1e20, 5.5e8))
    for n in (optimum * factor for factor in (0.25, 0.5, 1, 2, 4))
    for loss in [1.8172 + 482.01 / n**0.3478 + 2085.43 / (c / (6 * n)) ** 0.3658]
)


def _replaced(text: str, line: int, old: str, new: str) -> str:
    """`text` with the first `old` on line `line` (1-based) replaced by `new`."""
    rows = text.splitlines(keepends=True)
    assert old in rows[line - 1], (rows[line - 1], old)
    rows[line - 1] = rows[line - 1].replace(old, new, 1)
    return "".join(rows)


def _file_cases() -> list[tuple[str, str, int, str, str, list[str]]]:
    """(id, text, line, old, key as the error names it, command) for every number of every file kind: the file's
    text, where the number is and what it reads, what the error names, and the command that reads it."""
    cases: list[tuple[str, str, int, str, str, list[str]]] = []
    plan = ["budget", "--flops", "1e22", "--method", "law", "--unique-tokens", "100B", "--law", "{file}"]
    for number, key in enumerate(("E", "A", "B", "alpha", "beta", "rd_star", "rn_star"), 1):
        old = LAW.splitlines()[number - 1].split(": ")[1]
        cases.append((f"law-{key}", LAW, number, old, f"{key}:", plan))
    for index, old in enumerate(("1.0e+18", "1.0e+22")):
        cases.append((f"law-fitted_range-{index}", LAW, 9, old, "fitted_range.compute_flops", plan))
    for key, old in zip(("E", "A", "B", "alpha", "beta"), ("1.80", "470.0", "2000.0", "0.345", "0.36"), strict=True):
        cases.append((f"law-sample-{key}", LAW, 18, old, "bootstrap.samples[0]:", plan))
    frontier_plan = ["budget", "--flops", "1e22", "--method", "law", "--law", "{file}"]
    for number, key in enumerate(("k_n", "a", "E", "A", "gamma"), 2):
        old = FRONTIER.splitlines()[number - 1].split(": ")[1]
        cases.append((f"frontier-{key}", FRONTIER, number, old, f"{key}:", frontier_plan))
    for key, old in zip(("k_n", "a", "E", "A", "gamma"), ("0.13", "0.48", "1.5", "280.0", "0.12"), strict=True):
        cases.append((f"frontier-sample-{key}", FRONTIER, 14, old, "bootstrap.samples[0]:", frontier_plan))
    for number, key in enumerate(("alpha_n", "alpha_d", "n_c", "d_c"), 2):
        old = KAPLAN.splitlines()[number - 1].split(": ")[1]
        cases.append((f"kaplan-{key}", KAPLAN, number, old, f"{key}:", frontier_plan))
    for key, old in zip(("alpha_n", "alpha_d", "n_c", "d_c"), ("0.075", "0.1", "6.0e+13", "1.7e+13"), strict=True):
        cases.append((f"kaplan-sample-{key}", KAPLAN, 14, old, "bootstrap.samples[0]:", frontier_plan))
    moe_keys = ("E", "A", "B", "alpha", "beta", "g", "gamma", "expansion")
    for number, key in enumerate(moe_keys, 2):
        old = MOE.splitlines()[number - 1].split(": ")[1]
        cases.append((f"moe-{key}", MOE, number, old, f"{key}:", frontier_plan))
    for key, old in zip(moe_keys[:7], ("0.47", "18.0", "30.8", "0.114", "0.146", "2.07", "0.58"), strict=True):
        cases.append((f"moe-sample-{key}", MOE, 18, old, "bootstrap.samples[0]:", frontier_plan))
    broken_keys = ("k_n", "a", "E", "A", "gamma", "gamma_change", "break_flops", "sharpness")
    for number, key in enumerate(broken_keys, 2):
        old = BROKEN.splitlines()[number - 1].split(": ")[1]
        cases.append((f"broken-{key}", BROKEN, number, old, f"{key}:", frontier_plan))
    for key, old in zip(broken_keys, ("0.09", "0.49", "1.7", "190.0", "0.11", "0.14", "9.0e+19", "0.45"), strict=True):
        cases.append((f"broken-sample-{key}", BROKEN, 17, old, "bootstrap.samples[0]:", frontier_plan))
    predict = ["budget", "--flops", "1e22", "--downstream", "{file}"]
    for form, (constants, row) in (("exponential", EXPONENTIAL), ("sigmoid", SIGMOID)):
        text = DOWNSTREAM.format(form=form, constants=constants, row=row)
        for key, old in [item.split(": ") for item in constants.strip("{}").split(", ")]:
            cases.append((f"downstream-{form}-{key}", text, 5, f"{key}: {old}", f"constants.{key}:", predict))
        for old in row.strip("[]").split(", "):
            cases.append((f"downstream-{form}-sample-{old}", text, 18, old, "bootstrap.samples[0]:", predict))
        for key, line, old in (("chance", 6, "0.0"), ("floor", 7, "0.0"), ("ceiling", 8, "1.0")):
            cases.append((f"downstream-{form}-{key}", text, line, old, f"{key}:", predict))
        for old in ("2.37", "3.68"):
            cases.append((f"downstream-{form}-loss-{old}", text, 10, old, "fitted_range.loss_nats", predict))
    hardware_plan = ["budget", "--flops", "1e22", "--gpu", "{file}", "--gpus", "64", "--precision", "fp8",
                     "--blueprint", "--price-per-gpu-hour", "2", "--grid-gco2-per-kwh", "400", "--serve"]  # fmt: skip
    for number in range(3, 9):
        key, old = HARDWARE.splitlines()[number - 1].split(": ")
        cases.append((f"hardware-{key}", HARDWARE, number, old, f"{key}:", hardware_plan))
    return cases


def _yaml_value(old: str, value: str) -> str:
    """`value` in place of `old`, keeping a key that `old` carries (`k: 16.7` -> `k: .nan`)."""
    return f"{old.split(': ')[0]}: {value}" if ": " in old else value


@pytest.mark.slow
@pytest.mark.parametrize(("name", "text", "line", "old", "key", "command"), _file_cases(),
                         ids=[case[0] for case in _file_cases()])  # fmt: skip
def test_every_number_of_a_law_downstream_or_hardware_file_takes_extremes_or_names_its_line(
    cli: Cli, tmp_path: Path, name: str, text: str, line: int, old: str, key: str, command: list[str]
) -> None:
    path = tmp_path / "file.yaml"
    for value in YAML_VALUES:
        path.write_text(_replaced(text, line, old, _yaml_value(old, value)))
        args = [str(path) if arg == "{file}" else arg for arg in command]
        _check(cli, args, f"{path}:{line}: {key}", f"{name} = {value}")


@pytest.mark.slow
@pytest.mark.parametrize(("column", "command"), [
    ("n_params", ["fit", "{file}"]), ("n_tokens", ["fit", "{file}"]), ("loss", ["fit", "{file}"]),
    ("budget", ["fit", "{file}", "--approach", "isoflop"]),
    ("acc", ["fit-downstream", "{file}", "--metric", "acc", "--chance", "0"]),
])  # fmt: skip
def test_every_number_of_a_runs_file_takes_extremes_or_names_its_line(
    cli: Cli, tmp_path: Path, column: str, command: list[str]
) -> None:
    path = tmp_path / "runs.csv"
    rows = [row.split(",") for row in RUNS.splitlines()]
    index = rows[0].index(column)
    for value in YAML_VALUES:
        changed = [row[:] for row in rows]
        changed[3][index] = value  # the file's line 4
        path.write_text("".join(",".join(row) + "\n" for row in changed))
        args = [str(path) if arg == "{file}" else arg for arg in command]
        _check(cli, args, f"{path}:4: {column}:", f"{column} = {value}")


def test_the_fields_and_files_walked_are_every_number_the_tool_reads() -> None:
    """Every quantity of the table of fields has a documented range (both ends), so the walk above tests the range
    each one enforces; every file number has one too."""
    from scaling_plan.inputs.fields import FILE_NUMBERS

    assert all(field.high is not None for field in QUANTITIES)
    assert {field.section for field in QUANTITIES} <= set(SECTION_CONFIGS) and set(SECTIONS) >= set(SECTION_CONFIGS)
    kinds = {number.kind for number in FILE_NUMBERS}
    assert kinds == {"law", "frontier", "broken", "kaplan", "moe", "downstream", "hardware", "runs"}
    walked = {case[0].split("-")[0] for case in _file_cases()} | {"runs"}
    assert walked == kinds
    assert ROOT.exists()


# --- the cases that escaped, one by one ----------------------------------------------------------------------------

EPOCH = {"E": "1.8172", "A": "482.01", "B": "2085.43", "alpha": "0.3478", "beta": "0.3658"}


def _law(tmp_path: Path, **constants: str) -> str:
    path = tmp_path / "law.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in (EPOCH | constants).items()))
    return str(path)


@pytest.mark.parametrize(("key", "value", "line", "message"), [
    ("A", "1e308", 2, "A: must be at most 1e20, got 1e+308"),
    ("beta", "1e-308", 5, "beta: must be at least 0.01, got 1e-308"),
])  # fmt: skip
def test_a_law_file_with_an_extreme_constant_is_refused_by_every_command(
    cli: Cli, tmp_path: Path, key: str, value: str, line: int, message: str
) -> None:
    """Were: OverflowError (exit 3) in budget, sweep, plot and downstream plans; backtest --rolling --law printed inf
    and numpy's RuntimeWarning, and exited 3 with -f json."""
    law = _law(tmp_path, **{key: value})
    runs = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
    for args in (
        ["budget", "--flops", "1e24", "--law", law],
        ["budget", "--flops", "1e24", "--law", law, "--method", "law"],
        ["sweep", "--from", "1e20", "--to", "1e22", "--law", law, "-f", "json"],
        ["plot", law, "-o", str(tmp_path / "law.png")],
        ["backtest", runs, "--rolling", "--law", law],
        ["backtest", runs, "--rolling", "--law", law, "-f", "json"],
    ):
        assert cli.error(*args).endswith(f"{law}:{line}: {message}"), args


def test_law_constants_in_range_that_overflow_together_are_named_together(cli: Cli, tmp_path: Path) -> None:
    """Each in its range, together past floating point: G = (alpha·A/(beta·B))^(1/(alpha+beta)) is 10^1300. Was:
    OverflowError (exit 3)."""
    law = _law(tmp_path, A="1e20", B="1e-6", alpha="0.01", beta="0.01")
    line = cli.error("budget", "--flops", "1e24", "--law", law, "--method", "law")
    assert line.startswith(f"scaling-plan: error: {law}:4: alpha = 0.01, beta = 0.01, A = 1e+20 and B = 1e-06 together")
    assert "past floating point" in line


def test_a_law_object_past_floating_point_is_blamed_on_the_law_not_the_budget() -> None:
    """The API takes a law object as it is (no file to refuse): its optimum overflows, and the error names the law.
    Was: OverflowError from the optimum; a plan that overflowed was blamed on the budget."""
    import scaling_plan
    from scaling_plan.laws import ParametricLaw

    law = ParametricLaw("runaway", E=1.7, A=1e300, B=1e-300, alpha=0.01, beta=0.01, source="a test")
    with pytest.raises(
        scaling_plan.ScalingPlanError, match=r"^flops: flops = 1e\+24 with law: runaway's optimum is N = inf"
    ):
        scaling_plan.plan(flops=1e24, law=law, method="law")


@pytest.mark.parametrize(("args", "message"), [
    (("--peak-flops", "1e308"), "--peak-flops: must be at most 1e18, got 1e+308"),
    (("--gpu", "H100", "--price-per-gpu-hour", "1e308"), "--price-per-gpu-hour: must be at most 1000, got 1e+308"),
    (("--gpu", "H100", "--gpus", "1e308"), "--gpus: must be a whole number of at most 1e7, got 1e+308"),
    (("--gpu", "H100", "--mfu", "1e-308"), "--mfu: must be in [0.001, 1], got 1e-308"),
    (("--tokens-per-param", "1e-308",), "--tokens-per-param: must be at least 0.01, got 1e-308"),
    (("--tokens-per-param", "1e308",), "--tokens-per-param: must be at most 1e6, got 1e+308"),
    (("--gpu", "H100", "--gpu-memory-gib", "1e-308", "--blueprint"), "--gpu-memory-gib: must be at least 1, got 1e-308"),
    (("--inference-tokens", "1e308",), "--inference-tokens: must be at most 1e19, got 1e+308"),
])  # fmt: skip
def test_an_extreme_flag_is_named_itself_not_the_budget(cli: Cli, args: tuple[str, ...], message: str) -> None:
    """Were: '--flops: flops = 1e+24 is beyond what floating point can plan' for the first five, whatever caused it;
    ZeroDivisionError and 'cannot convert float infinity to integer' (exit 3); inf in JSON and CSV (exit 3)."""
    for output in ("table", "json", "csv"):
        assert cli.error("budget", "--flops", "1e24", *args, "-f", output).endswith(message)


def test_an_extreme_hardware_file_names_its_line(cli: Cli, tmp_path: Path) -> None:
    """Was: '--flops: flops = 1e+24 is beyond what floating point can plan'."""
    path = tmp_path / "gpu.yaml"
    for key, value, message in (("peak_flops_per_second", "1e308", "must be at most 1e18, got 1e+308"),
                                ("memory_gib", "1e-308", "must be at least 1, got 1e-308")):  # fmt: skip
        figures = {"peak_flops_per_second": "1e15", "memory_gib": "80"} | {key: value}
        path.write_text("kind: hardware\nname: x\n" + "".join(f"{k}: {v}\n" for k, v in figures.items()))
        line = 3 if key == "peak_flops_per_second" else 4
        args = ("budget", "--flops", "1e24", "--gpu", str(path), "--gpus", "64", "--blueprint")
        assert cli.error(*args).endswith(f"{path}:{line}: {key}: {message}")


@pytest.mark.slow
def test_runs_of_a_size_no_run_has_are_refused_by_their_line(cli: Cli, tmp_path: Path) -> None:
    """N = D = 1e-308 was a math domain error in suggest and backtest (exit 3), and numpy's overflow warnings in
    plot --runs."""
    runs = tmp_path / "runs.csv"
    runs.write_text(RUNS.replace(RUNS.splitlines()[3].split(",")[0], "1e-308", 1))
    law = tmp_path / "fitted.yaml"
    assert cli.run("fit", str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"), "--bootstrap", "20",
                   "-o", str(law)).exit_code == 0  # fmt: skip
    for args in (
        ["suggest", str(runs), "--law", str(law), "--target", "1e22"],
        ["backtest", str(runs), "--rolling"],
        ["plot", "chinchilla-2022", "--runs", str(runs), "-o", str(tmp_path / "runs.png")],
        ["fit", str(runs)],
    ):
        assert cli.error(*args).endswith(f"{runs}:4: n_params: must be at least 1, got 1e-308"), args


@pytest.mark.parametrize(("row", "message"), [
    ("[.nan, 470.0, 2000.0, 0.345, 0.36]", "bootstrap.samples[1]: E: must be a finite number, got nan"),
    ("[1.8, 470.0, 2000.0, -0.3, 0.36]", "bootstrap.samples[1]: alpha: must be at least 0.01, got -0.3"),
    ("[1.8, 1e20, 1e-6, 0.01, 0.01]", "bootstrap.samples[1]: A, B, alpha and beta put the compute-optimal N"),
])  # fmt: skip
def test_a_law_file_s_bad_bootstrap_row_is_refused_by_its_line(
    cli: Cli, tmp_path: Path, row: str, message: str
) -> None:
    """Was: used as is (a NaN row), or left out silently (a negative exponent), narrowing the intervals."""
    law = tmp_path / "law.yaml"
    rows = ["[1.80, 470.0, 2000.0, 0.345, 0.36]", row, "[1.83, 500.0, 2200.0, 0.351, 0.368]"]
    law.write_text(
        "".join(f"{key}: {value}\n" for key, value in EPOCH.items())
        + "bootstrap:\n  resamples: 3\n  seed: 1\n  converged: 3\n  level: 0.9\n  intervals: {}\n"
        + "  standard_errors: {}\n  samples:\n"
        + "".join(f"  - {each}\n" for each in rows)
    )
    assert message in cli.error("budget", "--flops", "1e22", "--law", str(law))
    assert f"{law}:15: {message}" in cli.error("budget", "--flops", "1e22", "--law", str(law))


def test_the_docs_give_every_range_the_tool_enforces() -> None:
    """Each quantity of the table of fields, and each number of a file, has a row of "Ranges of inputs" in
    docs/limits.md holding its flag (or config key, or file kind and key) and its range as the tool states it."""
    from scaling_plan.inputs.fields import FILE_NUMBERS, range_text

    text = (ROOT / "docs" / "limits.md").read_text()
    section = text[text.index("\n## Ranges of inputs") :]
    section = section.split("\n## ")[1]  # to the next section, or the page's end
    rows = [row for row in section.splitlines() if row.startswith("| ")]
    for field in QUANTITIES:
        name = f"`{field.flag}`" if field.flag else f"`{field.section}.{field.key}`"
        assert any(name in row and f"| {range_text(field)}" in row for row in rows), (name, range_text(field))
    for number in FILE_NUMBERS:
        held = [row for row in rows if row.startswith(f"| {number.kind}: ") and f"| {range_text(number)}" in row]
        assert any(number.key in row for row in held), (number.kind, number.key, range_text(number))
