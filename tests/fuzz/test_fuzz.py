"""The whole CLI under inputs nobody thought of: random flags for every command, random and hostile YAML, random runs
files, and a few real processes. Every run must keep the properties in fuzzing.check_outcome.

The CI profile runs a few hundred cases in about half a minute; `SCALING_PLAN_FUZZ=long pytest tests/test_fuzz.py`
runs 50 times as many from fresh seeds. Every test here is marked slow: the everyday loop (-m "not slow") skips them.
"""

from __future__ import annotations

import glob
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, event, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from scaling_plan.cli.app import app
from scaling_plan.inputs.fields import SECTIONS
from scaling_plan.inputs.lawfile import load_law_file

from .fuzzing import (
    BAD_NUMBERS,
    COMMANDS,
    ROOT,
    Case,
    Files,
    check_outcome,
    chinchilla_runs,
    command_case,
    fuzz_settings,
    number,
)

pytestmark = pytest.mark.slow

#: Cases per command in the CI profile: fewer where each run fits a law (fit) or draws a figure (plot). With fixed
#: seeds a CI run replays the same cases, so these guard against regressions; new cases come from the long profile.
EXAMPLES = {"fit": 20, "plot": 10, "check": 30, "compare": 30, "experiments": 30}
SENTINEL = "the file as it was before the run\n"


def _hostile_files(folder: Path) -> list[str]:
    """Files built to hurt a reader: an alias bomb, deep nesting, 50 MB, binary, other encodings, code tags, ..."""
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    good = (ROOT / "configs" / "flops-1e24.yaml").read_text()
    contents: dict[str, bytes] = {
        "bomb.yaml": ("\n".join(bomb) + "\nbudget:\n  flops: *a9\n").encode(),
        "deep.yaml": ("budget: " + "[" * 50_000 + "]" * 50_000 + "\n").encode(),
        "deep-map.yaml": ("budget: " + "{a: " * 2_000 + "1" + "}" * 2_000 + "\n").encode(),
        "binary.bin": random.Random(7).randbytes(4096),
        "bom.yaml": b"\xef\xbb\xbf" + good.encode(),
        "utf16.yaml": good.encode("utf-16"),
        "latin1.yaml": "name: caf\u00e9\nbudget:\n  flops: 1e22\n".encode("latin-1"),
        "nul.yaml": b"budget:\n  flops: 1e22\x00\n",
        "python-tag.yaml": b'budget: !!python/object/apply:os.system ["echo pwned"]\n',
        "duplicate.yaml": b"budget:\n  flops: 1e22\nbudget:\n  flops: 1e23\n",
        "unknown.yaml": b"budget:\n  flopz: 1e22\n",
        "tabs.yaml": b"budget:\n\tflops: 1e22\n",
        "empty.yaml": b"",
        "comment.yaml": b"# nothing here\n",
        "list.yaml": b"- 1\n- 2\n",
        "scalar.yaml": b"1e22\n",
        "two-docs.yaml": b"budget:\n  flops: 1e22\n---\nbudget:\n  flops: 1e23\n",
        "crlf.yaml": good.replace("\n", "\r\n").encode(),
        "wrong-types.yaml": b"budget:\n  flops: [1, 2]\nhardware: 7\n",
        "anchors.yaml": b"budget: &b\n  flops: 1e22\nhardware: *b\n",
        "huge.yaml": b"# padding\n" * 5_000_000,  # 50 MB
        "huge.csv": b"n_params,n_tokens,loss\n" + b"1e9,2e10,2.5\n" * 4_000_000,  # 52 MB
        "many-runs.csv": chinchilla_runs(10_001, 3).encode(),
    }
    paths = []
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("fuzz")
    hostile = _hostile_files(folder)
    runs = folder / "runs.csv"
    runs.write_text(chinchilla_runs(12, 1))
    (folder / "runs.jsonl").write_text(
        "".join(json.dumps({"n_params": n, "n_tokens": d, "loss": loss}) + "\n" for n, d, loss in _rows(runs))
    )
    law = folder / "fitted.yaml"
    result = CliRunner().invoke(app, ["fit", str(runs), "--bootstrap", "20", "--output", str(law)])
    assert result.exit_code == 0, result.stderr
    scratch = folder / "scratch"
    scratch.mkdir()
    scored = str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv")
    core = folder / "core.yaml"
    made = CliRunner().invoke(
        app, ["fit-downstream", scored, "--metric", "eval_gauntlet/core_average", "--bootstrap", "20", "-o", str(core)]
    )
    assert made.exit_code == 0, made.stderr
    return Files(
        configs=sorted(glob.glob(str(ROOT / "configs" / "*.yaml"))),
        laws=[str(law), *sorted(glob.glob(str(ROOT / "configs" / "laws" / "*.yaml")))],
        runs=[str(runs), str(folder / "runs.jsonl")],
        hostile=hostile,
        scratch=str(scratch),
        scored=scored,
        downstream=(str(core),),
    )


def _rows(path: Path) -> list[tuple[float, float, float]]:
    lines = path.read_text().splitlines()[1:]
    return [tuple(float(v) for v in line.split(",")) for line in lines]  # type: ignore[misc]


def run_case(case: Case, files: Files, extra_inputs: str = "") -> tuple[int, str, str]:
    """Run one case in-process; check the properties, and that files it may write are whole or untouched."""
    outputs = [value for flag, value in zip(case.args, case.args[1:], strict=False) if flag in ("--output", "-o")]
    outputs = [path for path in outputs if path.startswith(files.scratch) and not os.path.isdir(path)]
    for path in outputs:
        Path(path).write_text(SENTINEL)
    result = CliRunner().invoke(app, case.args, input=case.input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.args!r} raised {result.exception!r}") from result.exception
    check_outcome(case, result.exit_code, result.stdout, result.stderr, extra_inputs)
    written = outputs[-1:] if result.exit_code == 0 or (case.command == "fit" and result.exit_code == 1) else []
    for path in outputs:
        content = Path(path).read_bytes()
        if path in written and content != SENTINEL.encode():
            _check_written(path, content)
        else:
            assert content == SENTINEL.encode(), f"{case.args!r} changed {path} but failed ({result.stderr!r})"
    leftovers = [name for name in os.listdir(files.scratch) if name.startswith(".scaling-plan-")]
    assert not leftovers, f"{case.args!r} left {leftovers}"
    return result.exit_code, result.stdout, result.stderr


def _check_written(path: str, content: bytes) -> None:
    """A written file is whole: a law file loads back as a law; an image has its format's signature."""
    if path.endswith(".png"):
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and content.endswith(b"IEND\xaeB`\x82")
    elif path.endswith(".svg"):
        assert content.rstrip().endswith(b"</svg>")
    else:
        law = load_law_file(path)
        assert all(math.isfinite(v) and v > 0 for v in (law.E, law.A, law.B, law.alpha, law.beta))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_keeps_its_promises_under_random_flags(name: str, files: Files) -> None:
    codes: set[int] = set()

    @fuzz_settings(EXAMPLES.get(name, 50))
    @given(case=command_case(name, files))
    def run(case: Case) -> None:
        code, _, _ = run_case(case, files)
        event(f"exit {code}")
        codes.add(code)

    run()
    assert 0 in codes, f"no random {name} case succeeded: the strategies reach only the refusals"


@fuzz_settings(15)
@given(args=st.lists(st.sampled_from(["--version", "--help", "--bogus", "nope", "", "-", "BUDGET"]), max_size=2))
def test_the_bare_command_keeps_its_promises(args: list[str], files: Files) -> None:
    run_case(Case(args), files)


# --- random YAML ----------------------------------------------------------------------------------------------------


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), st.sampled_from(BAD_NUMBERS)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def yaml_document(draw: Any) -> dict[str, Any]:
    """A config: known sections with known fields (good values more often than not), wrong types, unknown keys."""
    document: dict[str, Any] = {}
    for section, fields in SECTIONS.items():
        if draw(st.integers(min_value=0, max_value=3)) != 0:
            continue
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            document[section] = draw(VALUES)
            continue
        block: dict[str, Any] = {}
        for field in fields:
            if draw(st.booleans()):
                good = number(1e-2, 1e26).map(lambda text: _native(text))
                block[field.key] = draw(st.one_of(good, good, VALUES))
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            block[draw(st.text(max_size=8))] = draw(VALUES)
        document[section] = block
    if draw(st.booleans()):
        document["name"] = draw(st.one_of(st.text(max_size=20), VALUES))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        document[draw(st.text(max_size=8))] = draw(VALUES)
    return document


def _native(text: str) -> Any:
    """A number as YAML would hold it natively when it can, else the text (1e24 without a dot is text in YAML 1.1)."""
    try:
        return float(text)
    except ValueError:
        return text


MUTATIONS = ("none", "none", "none", "bom", "utf-16", "latin-1", "truncate", "duplicate", "tab", "crlf", "junk")


def _serialise(document: dict[str, Any], mutation: str, cut: float) -> bytes:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if mutation == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if mutation in ("utf-16", "latin-1"):
        return text.encode(mutation, errors="replace")
    if mutation == "truncate":
        return text.encode()[: int(len(text) * cut)]
    if mutation == "duplicate":
        first = text.splitlines(keepends=True)[:1]
        return (text + "".join(first)).encode()
    if mutation == "tab":
        return text.replace("  ", "\t", 1).encode()
    if mutation == "crlf":
        return text.replace("\n", "\r\n").encode()
    if mutation == "junk":
        return text.encode() + b"\xc3\x28 ]]}{ &x *y"
    return text.encode()


_counter = iter(range(10**9))


@fuzz_settings(75)
@given(
    document=yaml_document(),
    mutation=st.sampled_from(MUTATIONS),
    cut=st.floats(0, 1),
    reader=st.sampled_from(
        [
            ("budget", "--config", "{}", "--format", "json"),
            ("budget", "--flops", "1e22", "--law", "{}", "--format", "csv"),
            ("sweep", "--from", "1e20", "--to", "1e22", "--config", "{}", "--format", "jsonl"),
            ("check", "{}", "--min-tokens-per-param", "1", "--format", "json"),
            ("compare", "{}", "{}", "--format", "csv"),
            ("plot", "{}", "--output", "PLOT"),
        ]
    ),
)
def test_random_yaml_never_breaks_a_reader(
    document: dict[str, Any], mutation: str, cut: float, reader: tuple[str, ...], files: Files
) -> None:
    path = os.path.join(files.scratch, f"random-{next(_counter)}.yaml")
    data = _serialise(document, mutation, cut)
    Path(path).write_bytes(data)
    args = [path if arg == "{}" else os.path.join(files.scratch, "p.svg") if arg == "PLOT" else arg for arg in reader]
    if reader[0] == "plot" and document:  # drawing is slow; a law file needs E, A, B, alpha and beta at the top
        return
    try:
        run_case(Case(args, files=[path]), files, extra_inputs=data.decode("utf-8", "replace"))
    finally:
        os.unlink(path)


@fuzz_settings(20)
@given(document=st.fixed_dictionaries({}, optional={k: number(1e-3, 1e4).map(_native) for k in ("E", "A", "B", "alpha", "beta", "rd_star", "rn_star")}))  # fmt: skip
def test_random_law_files_plan_or_fail_cleanly(document: dict[str, Any], files: Files) -> None:
    path = os.path.join(files.scratch, f"law-{next(_counter)}.yaml")
    text = yaml.safe_dump(document)
    Path(path).write_text(text)
    try:
        args = ["budget", "--flops", "1e23", "--law", path, "--method", "law", "--format", "json"]
        run_case(Case(args, files=[path]), files, extra_inputs=text)
    finally:
        os.unlink(path)


# --- random runs files ----------------------------------------------------------------------------------------------

COLUMNS = ["n_params", "n_tokens", "loss", "loss_nats", "compute_flops", "Model Size", "Training FLOP", "N", "D", "x"]


@st.composite
def runs_text(draw: Any) -> tuple[str, str]:
    """A runs file (extension, text): random columns, rows near a real law with now and then a bad cell, as CSV,
    TSV or JSON Lines, sometimes with stray lines."""
    columns = draw(st.lists(st.sampled_from(COLUMNS), max_size=5, unique=True))
    if draw(st.booleans()):
        columns = ["n_params", "n_tokens", "loss"] + [c for c in columns if c not in ("n_params", "n_tokens", "loss")]
    rng = random.Random(draw(st.integers(0, 2**32)))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        n, d = 10 ** rng.uniform(6, 10), 10 ** rng.uniform(8, 12)
        good = {"loss": 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28, "N": n, "D": d}
        good |= {"n_params": n, "Model Size": n, "n_tokens": d, "compute_flops": 6 * n * d, "Training FLOP": 6 * n * d}
        good["loss_nats"] = good["loss"]
        row: dict[str, Any] = {}
        for column in columns:
            if draw(st.integers(min_value=0, max_value=24)) == 0:
                row[column] = draw(st.sampled_from(BAD_NUMBERS))
            else:
                row[column] = good.get(column, rng.random())
        rows.append(row)
    kind = draw(st.sampled_from(["csv", "tsv", "jsonl", "txt"]))
    if kind == "jsonl":
        lines = [json.dumps(row) for row in rows]
    else:
        sep = "\t" if kind == "tsv" else ","
        lines = [sep.join(columns)] + [sep.join(str(row[c]) for c in columns) for row in rows]
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "{", "a,b", "\x00", "# note"])))
    return kind, "\n".join(lines) + "\n"


@fuzz_settings(30)
@given(runs=runs_text(), output_format=st.sampled_from(["json", "csv", "table"]), via_stdin=st.booleans())
def test_random_runs_files_fit_or_fail_cleanly(
    runs: tuple[str, str], output_format: str, via_stdin: bool, files: Files
) -> None:
    kind, text = runs
    path = os.path.join(files.scratch, f"runs-{next(_counter)}.{kind}")
    Path(path).write_text(text)
    output = os.path.join(files.scratch, "law.yaml")
    source = "-" if via_stdin else path
    args = ["fit", source, "--format", output_format, "--output", output]
    try:
        run_case(Case(args, text.encode() if via_stdin else None, [path]), files, extra_inputs=text)
    finally:
        os.unlink(path)


# --- hostile files through every reader ------------------------------------------------------------------------------

READERS = {
    "budget --config": ["budget", "--config", "{}", "--format", "json"],
    "sweep --config": ["sweep", "--from", "1e20", "--to", "1e21", "--config", "{}", "--format", "csv"],
    "compare": ["compare", "{}", "{}", "--format", "json"],
    "check": ["check", "{}", "--min-tokens-per-param", "10", "--format", "json"],
    "--law": ["budget", "--flops", "1e22", "--law", "{}"],
    "experiments --law": ["experiments", "--budgets", "1e18", "--law", "{}", "--format", "csv"],
    "fit": ["fit", "{}", "--format", "json"],
    "plot": ["plot", "{}", "--output", "OUT"],
    "plot --runs": ["plot", "chinchilla-2022", "--runs", "{}", "--output", "OUT"],
}
#: Files that are fine: a BOM, CRLF line ends or anchors are ordinary YAML.
READABLE = {"bom.yaml", "crlf.yaml", "anchors.yaml"}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_hostile_files_are_refused_by_every_reader_with_one_line(reader: str, files: Files) -> None:
    for path in files.hostile:
        args = [
            path if a == "{}" else os.path.join(files.scratch, "out.svg") if a == "OUT" else a for a in READERS[reader]
        ]
        code, _, stderr = run_case(Case(args, files=[path]), files)
        name = os.path.basename(path)
        if code == 0:
            readable = name in READABLE and reader not in ("fit", "plot --runs", "plot", "--law", "experiments --law")
            assert readable, f"{reader} accepted {name}"
        else:
            assert code == 2 and path in stderr, (reader, name, stderr)


@pytest.mark.parametrize("name", ["bomb.yaml", "huge.yaml", "binary.bin", "utf16.yaml", "deep.yaml"])
def test_hostile_config_on_stdin_is_refused(name: str, files: Files) -> None:
    data = Path(next(path for path in files.hostile if path.endswith(name))).read_bytes()
    code, _, stderr = run_case(Case(["budget", "--config", "-", "--format", "json"], data), files)
    assert code == 2 and "<stdin>" in stderr


# --- real processes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["budget", "sweep", "check"])
def test_real_processes_keep_the_promises(name: str, files: Files) -> None:
    """A few whole processes: exit codes and stderr as a shell sees them, under other locales too."""

    @fuzz_settings(4)
    @given(case=command_case(name, files), locale=st.sampled_from(["C", "C.UTF-8", "en_US.ISO-8859-1"]))
    def run(case: Case, locale: str) -> None:
        assume(all("\x00" not in arg for arg in case.args))  # an OS argument cannot hold a NUL byte
        run_process(case, locale)

    run()


def run_process(case: Case, locale: str) -> None:
    env = {**os.environ, "LC_ALL": locale, "LANG": locale}
    env.pop("SCALING_PLAN_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "scaling_plan", *case.args],
        input=case.input,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    check_outcome(case, done.returncode, stdout, stderr)
