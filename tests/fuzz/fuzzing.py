"""What every run of the CLI must satisfy, whatever it is given; and the strategies that give it things.

Used by test_fuzz.py. SCALING_PLAN_FUZZ=long runs 50 times the examples, from fresh random seeds; the default (CI)
profile is derandomised, so a green run stays green until the code changes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.main import get_command

from scaling_plan.budget import GPUS
from scaling_plan.cli.app import app
from scaling_plan.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent.parent
LONG = os.environ.get("SCALING_PLAN_FUZZ") == "long"
#: Exit codes of every CLI run the fuzz made, for the summary line at the end of the session (conftest.py).
TALLY: Counter[int] = Counter()
#: Exit codes of the runs test_finite.py made, each one input set to one extreme value, and the inputs it set: the
#: count of inputs x values tried, for the same summary.
EXTREMES: Counter[int] = Counter()
EXTREME_INPUTS: set[str] = set()


def fuzz_settings(examples: int) -> Any:
    """`examples` runs in CI (fixed seed), 50 times as many from random seeds with SCALING_PLAN_FUZZ=long."""
    return settings(
        max_examples=examples * (50 if LONG else 1),
        derandomize=not LONG,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- the properties -----------------------------------------------------------------------------------------------

#: A non-finite number as the tool would print it (json.dumps writes NaN and Infinity; Python's format, nan and inf).
NON_FINITE = re.compile(r"(?<![\w.])[-+]?(nan|inf|infinity)(?![\w])", re.IGNORECASE)
#: Input that may legitimately be echoed back in an error message as a non-finite number.
WILD = re.compile(r"nan|inf|e\+?\d{3}", re.IGNORECASE)
#: Exit codes each command may return (cli/app.py's docstring): 1 only for a failed check or an unconverged fit.
EXIT_CODES = {"check": {0, 1, 2}, "fit": {0, 1, 2}, "suggest": {0, 1, 2}}
FORMATS = ("json", "jsonl", "csv", "table", "markdown")
#: Commands that report every config they can read and exit 2 for the ones they cannot (a pull request's report
#: must still show the good configs when one is broken).
REPORTS_EVERY_CONFIG = ("check", "compare")


@dataclass
class Case:
    """One invocation: its arguments, stdin, and what the output should be."""

    args: list[str]
    input: bytes | None = None
    files: list[str] = field(default_factory=list)  # paths given (for naming the culprit)

    @property
    def command(self) -> str:
        return next((a for a in self.args if not a.startswith("-")), "")

    @property
    def output_format(self) -> str:
        """The last --format/-f value given (the one that wins), or table."""
        chosen = "table"
        for index, arg in enumerate(self.args):
            following = self.args[index + 1] if index + 1 < len(self.args) else ""
            if arg in ("--format", "-f") and following in FORMATS:
                chosen = following
            elif arg.startswith("--format=") and arg[9:] in FORMATS:
                chosen = arg[9:]
        return chosen


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"{name} in JSON output")


def check_outcome(case: Case, code: int, stdout: str, stderr: str, extra_inputs: str = "") -> None:
    """The properties of issue 7, for one run: documented exit code; no traceback; one error line naming the culprit
    on failure and none on success; json/jsonl/csv stdout parses (or is empty); no NaN or inf anywhere."""
    TALLY[code] += 1
    context = f"args={case.args!r}\nexit={code}\nstderr={stderr[-2000:]!r}\nstdout={stdout[-1000:]!r}"
    allowed = EXIT_CODES.get(case.command, {0, 2})
    assert code in allowed, context
    assert "Traceback" not in stderr and "Traceback" not in stdout, context
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("scaling-plan: error: ")]
    helping = "--help" in case.args or not case.command
    for line in lines:
        # Bootstrap progress is drawn only on a terminal; anything else on stderr is an error or a warning line.
        assert line.startswith(("scaling-plan: error: ", "scaling-plan: warning: ", "scaling-plan: wrote: ")), context
    if code == 0:
        assert not errors, context
    elif case.command in REPORTS_EVERY_CONFIG and code == 2:
        assert errors, context  # one line per config that could not be checked or compared
    else:
        assert len(errors) == 1, context
    if code != 0:
        assert _names_culprit(errors[0], case), context
    if not helping:
        _check_format(case, code, stdout, context)
    wild = WILD.search(" ".join(case.args) + extra_inputs) is not None
    assert NON_FINITE.search(_without_inputs(stdout, case) if wild else stdout) is None, context
    if not wild:
        assert NON_FINITE.search(_unquoted(stderr)) is None, context


def _without_inputs(text: str, case: Case) -> str:
    """Output without the arguments it echoes (a config named '$nan' is listed by that name) or quoted values."""
    for arg in sorted(case.args, key=len, reverse=True):
        if arg.strip():
            text = text.replace(arg, "")
    return _unquoted(text)


def _unquoted(text: str) -> str:
    """Text without quoted parts: a value the user gave, echoed in quotes, is not output the tool computed."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)


def _names_culprit(line: str, case: Case) -> bool:
    """An error line names a flag, an argument, a file (file:line) or stdin, or the command."""
    message = line.removeprefix("scaling-plan: error: ")
    if re.search(r"(^|[\s'\"(])--?\w", message):
        return True
    if any(path in message for path in case.files) or "<stdin>" in message:
        return True
    if any(repr(arg) in message or (arg.strip() != "" and arg.strip() in message) for arg in case.args[1:]):
        return True  # the value itself, e.g. a path that could not be read
    named = r"\b(CONFIGS|LAW|RUNS|runs|configs|law|command|plot|policy failed|unexpected extra argument)"
    return re.search(named, message, re.IGNORECASE) is not None


def _check_format(case: Case, code: int, stdout: str, context: str) -> None:
    chosen = case.output_format
    if not stdout.strip() or code not in (0, 1, 2):
        return
    if code == 2 and case.command not in REPORTS_EVERY_CONFIG:
        assert stdout == "", context  # bad input writes nothing on stdout (check and compare report the configs they
        return  # could read, then exit 2)
    if chosen == "json":
        json.loads(stdout, parse_constant=_reject_constant)
    elif chosen == "jsonl" and case.command == "sweep":
        for line in stdout.splitlines():
            json.loads(line, parse_constant=_reject_constant)
    elif chosen == "csv":
        rows = list(csv.reader(io.StringIO(stdout)))
        assert rows and all(len(row) == len(rows[0]) for row in rows), context


def chinchilla_runs(count: int, seed: int) -> str:
    """Runs around Hoffmann et al. 2022's fitted law (eq. 10), 1% noise: a fit converges on them in a fraction of a
    second."""
    import random

    rng = random.Random(seed)
    rows = ["n_params,n_tokens,loss"]
    for _ in range(count):
        n, d = 10 ** rng.uniform(7, 10), 10 ** rng.uniform(9, 11.5)
        loss = 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
        rows.append(f"{n:.6g},{d:.6g},{loss * math.exp(rng.gauss(0, 0.01)):.5f}")
    return "\n".join(rows) + "\n"


# --- the command line ---------------------------------------------------------------------------------------------

COMMANDS = get_command(app).commands  # type: ignore[attr-defined]

#: Text that is not a good number, in every way we could think of.
BAD_NUMBERS = [
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e-400", "0", "-0", "-1", "-1e24",
    "1e", "e5", "1..2", "--", "-", "٣", "１e20", "∞", "½", "1,000", "1_000", "0x10", "1e24 FLOPs", "70 B", "70b",
    "70Bn", "$", "$-1", "$nan", "5%", "null", "~", "true", "[1]", "{a: 1}", "\x00", "é", "😀", "1e999999999",
    "9" * 400, "1e-320", "2.5", "1/3", "7B\n", "  12  ", "+5", "1e+24", "$2M", "3K",
]  # fmt: skip
SUFFIXES = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


@st.composite
def quantity(draw: Any, low: float, high: float, integer: bool = False) -> str:
    """A number between low and high, written as a user might: 1e24, 70B, 1400000000, 0.4."""
    value = 10 ** draw(st.floats(min_value=math.log10(low), max_value=math.log10(high)))
    if integer:
        return str(max(round(value), 0))
    suffix = draw(st.sampled_from(list(SUFFIXES)))
    scaled = value / SUFFIXES[suffix]
    text = draw(st.sampled_from([f"{scaled:g}", f"{scaled:.3e}", repr(scaled), f"{scaled:.6g}"]))
    return text + suffix


def number(low: float, high: float, integer: bool = False) -> Any:
    """Mostly good numbers in range, sometimes out of range, sometimes not numbers at all."""
    good = quantity(low, high, integer)
    return st.one_of(good, good, good, quantity(1e-30, 1e40), st.sampled_from(BAD_NUMBERS), st.text(max_size=8))


def _enum_values(annotation: Any) -> list[str] | None:
    """The members of a choice option (a Literal from choices.py, or an Enum)."""
    if get_origin(annotation) is Literal:
        return [str(member) for member in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [member.value for member in annotation]
    return None


@dataclass(frozen=True)
class Files:
    """Paths the fuzz cases choose from: good files, adversarial files, and a scratch directory."""

    configs: list[str]  # good configs
    laws: list[str]  # good law files
    runs: list[str]  # good runs files
    hostile: list[str]  # adversarial files (bomb, deep, huge, binary, BOM, UTF-16, ...)
    scratch: str  # a directory for outputs and generated files
    scored: str = ""  # a runs file with downstream scores (the Sardana runs)
    downstream: tuple[str, ...] = ()  # good downstream files


def option_values(files: Files) -> dict[str, Any]:
    """A value strategy for each option name that needs more than a generic number."""
    gpu = st.sampled_from([*GPUS, "h100", "H100", "", "H100-SXM ", "A100-SXM,H100-SXM"])
    law = st.sampled_from([*PRESETS, *files.laws, *files.hostile, "no-such-law", files.scratch, ""])
    config = st.sampled_from([*files.configs, *files.hostile, "-", "missing.yaml", files.scratch])
    tokens = number(1e6, 1e15)
    count = number(1, 1e6, integer=True)
    column = st.sampled_from(["n_params", "n_tokens", "loss", "loss_nats", "Model Size", "flops", "", "nope", "N"])
    output = st.sampled_from(
        [os.path.join(files.scratch, name) for name in ("out.yaml", "law.yml", "plot.png", "plot.svg", "x.txt", "")]
        + [files.scratch, "/no/such/dir/law.yaml"]
    )
    budgets = st.lists(number(1e15, 1e28), min_size=1, max_size=4).map(",".join)
    return {
        "--flops": number(1e15, 1e30),
        "--dollars": number(1e3, 1e10),
        "--gpu-hours": number(1, 1e9),
        "--days": number(0.01, 1e4),
        "--params": number(1e5, 1e13),
        "--tokens": tokens,
        "--loss": number(1.5, 5),
        "--gpu": gpu,
        "--mfu": number(0.01, 1),
        "--inference-mfu": number(0.01, 1),
        "--gpus": count,
        "--price-per-gpu-hour": number(0.1, 20),
        "--inference-price-per-gpu-hour": number(0.1, 20),
        "--tokens-per-param": number(0.1, 1e4),
        "--law": law,
        "--unique-tokens": tokens,
        "--inference-tokens": tokens,
        "--config": config,
        "-c": config,
        "--layers": number(1, 300, integer=True),
        "--d-model": st.one_of(number(64, 32768, integer=True), st.sampled_from(["4096", "1024", "512", "768"])),
        "--heads": number(1, 256, integer=True),
        "--kv-heads": number(1, 64, integer=True),
        "--d-ff": number(64, 1e5, integer=True),
        "--vocab-size": number(2, 1e6, integer=True),
        "--seq-len": number(1, 1e6, integer=True),
        "--experts": number(1, 256, integer=True),
        "--active-experts": number(1, 16, integer=True),
        "--shared-experts": number(0.5, 4, integer=True),
        "--micro-batch": number(1, 64, integer=True),
        "--from": number(1e15, 1e28),
        "--to": number(1e15, 1e28),
        "--per-decade": number(1, 20, integer=True),
        "--budgets": st.one_of(budgets, budgets, st.sampled_from(BAD_NUMBERS)),
        "--params-col": column,
        "--tokens-col": column,
        "--flops-col": column,
        "--loss-col": column,
        "--unique-col": column,
        "--granularity-col": column,
        "--experts-col": column,
        "--drop-top-loss": st.sampled_from(["0", "1", "3", "-1", "1000", "x"]),
        "--min-flops": number(1e15, 1e23),
        "--max-flops": number(1e15, 1e23),
        "--huber-delta": number(1e-5, 1),
        "--bootstrap": st.sampled_from(["0", "2", "3", "-1", "100001", "x", "1.5", ""]),  # refits are slow: few
        "--seed": st.sampled_from(["0", "42", "-1", "99999999999999999999", "x", ""]),
        "--interval": st.sampled_from(["90", "1", "99.9", "0", "100", "nan", "x"]),
        "--output": output,
        "-o": output,
        "--name": st.text(max_size=12),
        "--base-ref": st.sampled_from(["HEAD", "HEAD~1", "no-such-ref", "", "--", "-x"]),
        "--presets": st.sampled_from([",".join(PRESETS), "chinchilla-2022", "nope", "", ",,"]),
        "--spread": number(1, 20),
        "--sizes-per-budget": st.sampled_from(["1", "3", "7", "0", "101", "x"]),
        "--runs": st.sampled_from([*files.runs, *files.hostile, "missing.csv"]),
        "--metric": st.sampled_from(
            ["eval_gauntlet/core_average", "EVAL_GAUNTLET/CORE_AVERAGE", "mmlu_5_shot_avg", "Parameters", "nope", ""]
        ),
        "--chance": st.one_of(number(1e-3, 0.9), st.sampled_from(["0", "-0.5", "1", "-2"])),
        "--chance-margin": number(1e-4, 0.5),
        "--floor": st.one_of(number(1e-3, 0.9), st.sampled_from(["0", "-0.5", "1"])),
        "--ceiling": st.one_of(number(0.1, 1), st.sampled_from(["0", "-0.5", "1", "2"])),
        "--dataset": st.text(max_size=12),
        "--downstream": st.sampled_from([*files.downstream, *files.laws[:1], *files.hostile, "missing.yaml"]),
        "--target": number(1e15, 1e30),
        "--max-run-flops": number(1e15, 1e25),
        "--budget-flops": number(1e15, 1e25),
        "--max-relative-width": number(1e-3, 100),
        "-n": st.sampled_from(["1", "5", "0", "101", "x"]),
    }


def seeds(name: str, files: Files) -> list[list[str]]:
    """Good invocations of each command, which the cases then perturb: random flags alone are nearly always refused
    before they reach the planning code."""
    config, other = files.configs[0], files.configs[-1]
    out = os.path.join(files.scratch, "plot.png")
    return {
        "budget": [
            ["--flops", "1e24"],
            ["--dollars", "$2M", "--gpu", "H100-SXM", "--price-per-gpu-hour", "2"],
            ["--gpu-hours", "5e5", "--gpu", "A100-SXM"],
            ["--days", "30", "--gpu", "H100-SXM", "--gpus", "1024"],
            ["--params", "70B"],
            ["--loss", "2.1"],
            ["--flops", "1e23", "--unique-tokens", "50B", "--inference-tokens", "2T"],
            *(["--config", path] for path in files.configs),
        ],
        "shape": [["--params", "7B"], ["--layers", "32", "--d-model", "4096"], ["--params", "1T", "--experts", "64"]],
        "predict": [["--params", "70B", "--tokens", "1.4T"], ["--params", "1B", "--tokens", "20B", "--law", files.laws[0]]],
        "sweep": [["--from", "1e18", "--to", "1e24"], ["--budgets", "1e20,1e21"], ["--from", "1e20", "--to", "1e22", "--config", config]],
        "compare": [[config, other], [*files.configs[:3]]],
        "check": [[config, "--min-tokens-per-param", "10"], [other, "--max-loss-gap", "0.05"]],
        "fit": [[path] for path in files.runs],
        "backtest": [[path, "--holdout-top", "2"] for path in files.runs],
        "experiments": [["--budgets", "1e18,1e19"], ["--budgets", "3e17", "--law", files.laws[0]]],
        "plot": [[files.laws[0], "--output", out], ["chinchilla-2022", "--output", out.replace(".png", ".svg")]],
        "suggest": [[files.runs[0], "--law", files.laws[0], "--target", "1e24"],
                    [files.runs[0], "--law", files.laws[0], "--target", "1e23", "--max-relative-width", "0.5"]],
        "fit-downstream": [[files.scored, "--metric", "eval_gauntlet/core_average"],
                           [files.scored, "--metric", "eval_gauntlet/core_average", "--form", "sigmoid"]],
    }.get(name, [[]])  # fmt: skip


@st.composite
def command_case(draw: Any, name: str, files: Files) -> Case:
    """A good invocation of one command, perturbed: a few random options with random values, sometimes one of its
    values swapped for junk or a hostile file, sometimes an unknown or repeated flag."""
    command = COMMANDS[name]
    values = option_values(files)
    args = [name, *draw(st.sampled_from(seeds(name, files)))]
    options = [param for param in command.params if param.param_type_name == "option"]
    for _ in range(draw(st.integers(min_value=0, max_value=4)) if options else 0):
        param = draw(st.sampled_from(options))
        flag = draw(st.sampled_from(param.opts + param.secondary_opts))
        if param.is_flag:
            args.append(flag)
            continue
        choices = _enum_values(param.type_descriptor.annotation)
        if choices is not None:
            args += [flag, draw(st.one_of(st.sampled_from(choices), st.sampled_from(choices), st.text(max_size=6)))]
        else:
            args += [flag, draw(values.get(param.opts[0], number(1e-3, 1e30)))]
    if len(args) > 1 and draw(st.integers(min_value=0, max_value=7)) == 0:
        index = draw(st.integers(min_value=1, max_value=len(args) - 1))
        args[index] = draw(st.one_of(st.sampled_from(BAD_NUMBERS), st.sampled_from(files.hostile)))
    if draw(st.integers(min_value=0, max_value=15)) == 0:
        args.append(draw(st.sampled_from(["--bogus", "--flops", "-z", "--help", "--format=json", "extra"])))
    stdin = draw(st.sampled_from([None, b"", b"\xff\xfe\x00garbage", b"budget:\n  flops: 1e22\n"]))
    return Case(args, stdin, [arg for arg in args if os.sep in arg or arg == "-"])
