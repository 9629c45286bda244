"""Resource bounds, atomic outputs, and a regression test for each bug the fuzz suite (test_fuzz.py) found."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.errors import UsageError
from scaling_plan.inputs import yaml_files
from scaling_plan.inputs.budgets import MAX_SWEEP_TABLE_ROWS, SWEEP_SEARCH_LIMITS
from scaling_plan.inputs.runs_text import MAX_RUNS
from scaling_plan.inputs.yaml_files import MAX_YAML_DEPTH, MAX_YAML_VALUES
from scaling_plan.output.writers import write_json, write_json_records

from ..conftest import CONFIGS, ROOT, Cli
from ..fuzz.fuzzing import chinchilla_runs
from ..strength import examples

CHINCHILLA_RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")


def runs_file(path: Path, count: int, seed: int = 1) -> str:
    path.write_text(chinchilla_runs(count, seed))
    return str(path)


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs" file: 9 strings, each level nine aliases of the one before (9^10 values expanded); line 7
    (level 6, 9^7 values) is the first past MAX_YAML_VALUES."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nbudget:\n  flops: *a{levels}\n"


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each YAML test runs with libyaml's loader and with PyYAML's own (used where PyYAML lacks libyaml)."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_files, "_safe_loader", lambda: yaml.SafeLoader)
    yield request.param


# --- resource bounds ----------------------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_is_expanded(cli: Cli, tmp_path: Path, loader: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    line = cli.error("budget", "--config", str(bomb))
    assert f"{bomb}:7: more than {MAX_YAML_VALUES:,} values once aliases are expanded" in line
    assert "more than" in cli.error("budget", "--flops", "1e22", "--law", str(bomb))


def test_a_few_aliases_are_ordinary_yaml(cli: Cli, tmp_path: Path, loader: str) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_text(
        "budget:\n  dollars: &c 2e6\nhardware:\n  gpu: H100\n  price_per_gpu_hour: 2\npolicy:\n  max_cost_usd: *c\n"
    )
    assert cli.json("budget", "--config", str(shared))["n_params"] > 0


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_refused_not_a_recursion_error(cli: Cli, tmp_path: Path, opening: str, loader: str) -> None:
    closing = "]" if opening == "[" else "}"
    deep = tmp_path / "deep.yaml"
    deep.write_text("budget: " + opening * 5_000 + "1" + closing * 5_000 + "\n")  # was: exit 3, RecursionError
    assert f"{deep}:1: nested more than {MAX_YAML_DEPTH} levels deep" in cli.error("budget", "-c", str(deep))


def test_an_oversized_config_is_refused_unread(cli: Cli, tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as out:
        out.truncate(50_000_000)  # 50 MB of NUL bytes, sparse on disk
    assert "larger than 1,000,000 bytes; a config is a small hand-written file" in cli.error("budget", "-c", str(huge))
    assert "larger than 20,000,000 bytes; a law file" in cli.error("budget", "--flops", "1e22", "--law", str(huge))
    assert "larger than 20,000,000 bytes; a runs file" in cli.error("fit", str(huge))


def test_the_byte_limit_counts_bytes_not_characters(cli: Cli, tmp_path: Path) -> None:
    wide = tmp_path / "wide.yaml"
    wide.write_text("# " + "é" * 600_000 + "\nbudget:\n  flops: 1e22\n")  # 600,000 characters, 1.2 MB
    assert "larger than 1,000,000 bytes" in cli.error("budget", "-c", str(wide))


def test_an_oversized_config_on_stdin_is_refused(cli: Cli) -> None:
    line = cli.error("budget", "-c", "-", input="#" * 1_000_001)
    assert line.endswith("<stdin>: larger than 1,000,000 bytes; a config is a small hand-written file")


@pytest.mark.slow  # real processes
def test_a_law_file_with_ten_thousand_bootstrap_samples_is_read(cli: Cli, tmp_path: Path, fitted_law: str) -> None:
    """fit writes up to 100,000 samples (about 11 MB); 10,000 (1.1 MB) were once refused as over a config's limit."""
    law = yaml.safe_load(Path(fitted_law).read_text())
    rng = random.Random(5)
    rows = law["bootstrap"]["samples"]
    law["bootstrap"]["samples"] = [[v * (1 + rng.gauss(0, 0.01)) for v in rows[i % len(rows)]] for i in range(10_000)]
    law["bootstrap"]["resamples"] = law["bootstrap"]["converged"] = 10_000
    path = tmp_path / "law.yaml"
    path.write_text(yaml.safe_dump(law, sort_keys=False, default_flow_style=None, width=120))
    assert path.stat().st_size > 1_000_000
    plan = cli.json("budget", "--flops", "1e22", "--law", str(path))
    assert plan["loss_nats_low"] < plan["loss_nats"] < plan["loss_nats_high"]


def test_too_many_runs_are_refused_before_fitting(cli: Cli, tmp_path: Path) -> None:
    path = runs_file(tmp_path / "runs.csv", MAX_RUNS + 1)
    line = cli.error("fit", path)
    assert line.endswith(f"runs.csv:{MAX_RUNS + 2}: more than {MAX_RUNS:,} runs; fit takes at most {MAX_RUNS:,}"
                         " (real sweeps hold hundreds): the file is read no further")  # fmt: skip


def _past_the_cap(form: str) -> tuple[str, int]:
    """A runs file of MAX_RUNS good rows, then one more, then rows that cannot be read (a row of the wrong cells, a
    line that is not JSON): a reader that stops at the first row past the cap never meets them. Also the line of
    that first row."""
    good = [(1e8 * (1 + i % 97), 2e9 * (1 + i % 89), 3.0 - i % 83 / 100) for i in range(MAX_RUNS + 1)]
    if form in ("csv", "tsv"):
        separator = "," if form == "csv" else "\t"
        rows = [separator.join(["n_params", "n_tokens", "loss"])]
        rows += [separator.join(str(value) for value in row) for row in good]
        rows += [separator.join(["1e9", "2e10", "3", "a fourth cell"]), '"an unclosed quote']
        return "\n".join(rows) + "\n", MAX_RUNS + 2
    records = [json.dumps({"n_params": n, "n_tokens": d, "loss": loss}) for n, d, loss in good]
    if form == "jsonl":
        return "\n".join([*records, "[1, 2]", "{not json"]) + "\n", MAX_RUNS + 1
    return "[\n" + ",\n".join([*records, "[1, 2]", "{not json"]) + "\n]\n", MAX_RUNS + 2  # a JSON array


@pytest.mark.parametrize("form", ["csv", "tsv", "jsonl", "json"])
def test_a_runs_file_is_read_no_further_than_the_first_row_past_the_cap(cli: Cli, tmp_path: Path, form: str) -> None:
    text, line = _past_the_cap(form)
    path = tmp_path / f"runs.{form}"
    path.write_text(text)
    assert f"runs.{form}:{line}: more than {MAX_RUNS:,} runs; fit takes at most {MAX_RUNS:,}" in cli.error(
        "fit", str(path)
    )


def test_absurd_sweeps_are_refused_at_once(cli: Cli) -> None:
    line = cli.error("sweep", "--from", "1e18", "--to", "1e27", "--per-decade", "111111111", "-f", "csv")
    assert "--per-decade: 1,000,000,000 budgets; a sweep plans at most 100,000" in line
    line = cli.error("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "200")
    assert f"1,601 budgets is too many rows for a table (at most {MAX_SWEEP_TABLE_ROWS:,})" in line
    line = cli.error("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "200", "-f", "csv", "--blueprint")
    assert f"1,601 budgets; a sweep with blueprints sizes at most {SWEEP_SEARCH_LIMITS['blueprint'][0]:,}" in line
    assert len(cli.csv("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "200")) == 1601


def test_a_config_that_asks_for_blueprints_counts_against_the_blueprint_limit(cli: Cli) -> None:
    config = str(ROOT / "configs" / "blueprint-1e24.yaml")
    line = cli.error("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "200", "-f", "csv", "-c", config)
    assert "a sweep with blueprints sizes at most" in line


def test_an_absurd_experiment_grid_is_refused(cli: Cli) -> None:
    budgets = ",".join(f"{1 + k / 100:g}e18" for k in range(101))
    line = cli.error("experiments", "--budgets", budgets, "--sizes-per-budget", "100")
    assert f"101 budgets × 100 sizes; a grid holds at most {MAX_RUNS:,} runs" in line


# --- atomic outputs -----------------------------------------------------------------------------------------------


#: The CLI in a child process; with "kill", SIGXFSZ gets back the kernel's default action (Python ignores it), so a
#: write past the file-size limit kills the process where it stands.
CHILD = "import signal, sys; {restore}from scaling_plan.cli import main; sys.argv[0] = 'scaling-plan'; main()"


#: The environment of a child process: without pytest-cov's variables, which (before pytest-cov 7) start coverage in
#: the child, whose data file then fails under a file-size limit and speaks on stderr.
CHILD_ENV = {name: value for name, value in os.environ.items() if not name.startswith("COV_CORE_")}


def _run_limited(args: list[str], size_bytes: int, kill: bool) -> subprocess.CompletedProcess[str]:
    """The CLI with files limited to size_bytes (RLIMIT_FSIZE): past it the process is killed (kill) or the write
    fails with EFBIG."""
    restore = "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); " if kill else ""
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(restore=restore), *args],
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size_bytes, size_bytes)),
        env=CHILD_ENV,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def fitted_law(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("law")
    law = folder / "law.yaml"
    args = ["fit", runs_file(folder / "runs.csv", 20), "--bootstrap", "100", "-o", str(law)]
    assert (
        subprocess.run([sys.executable, "-m", "scaling_plan", *args], capture_output=True, check=False).returncode == 0
    )
    return str(law)


OUTPUTS = {
    "fit --output": lambda runs, law, out: ["fit", runs, "--bootstrap", "100", "--output", out],
    "plot --output png": lambda runs, law, out: ["plot", law, "--output", out],
    "plot --output svg": lambda runs, law, out: ["plot", law, "--output", out],
}
SUFFIXES = {"fit --output": ".yaml", "plot --output png": ".png", "plot --output svg": ".svg"}


@pytest.mark.slow  # real processes
@pytest.mark.parametrize("writer", sorted(OUTPUTS))
def test_a_process_killed_midway_through_a_write_leaves_the_old_file(
    writer: str, tmp_path: Path, fitted_law: str
) -> None:
    """The kernel kills the process when the file it writes passes 4 KB: the old file is intact, and the half-written
    one is only ever the hidden temporary beside it."""
    import matplotlib.font_manager  # noqa: F401  (builds matplotlib's font cache before the limit is set)

    runs = runs_file(tmp_path / "runs.csv", 20)
    out = tmp_path / f"out{SUFFIXES[writer]}"
    out.write_text("the old file\n")
    done = _run_limited(OUTPUTS[writer](runs, fitted_law, str(out)), 4096, kill=True)
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    assert out.read_text() == "the old file\n"
    partial = [p for p in tmp_path.iterdir() if p.name.startswith(".scaling-plan-")]
    assert len(partial) == 1 and partial[0].stat().st_size == 4096  # killed midway through the temporary


@pytest.mark.slow  # real processes
@pytest.mark.parametrize("writer", sorted(OUTPUTS))
def test_a_write_that_fails_midway_leaves_the_old_file_and_says_so(
    writer: str, tmp_path: Path, fitted_law: str
) -> None:
    """The same limit, not fatal: the write fails (EFBIG); one error line, exit 74, the old file, no temporary."""
    runs = runs_file(tmp_path / "runs.csv", 20)
    out = tmp_path / f"out{SUFFIXES[writer]}"
    out.write_text("the old file\n")
    done = _run_limited(OUTPUTS[writer](runs, fitted_law, str(out)), 4096, kill=False)
    assert done.returncode == 74, done.stderr
    assert done.stderr.splitlines() == [f"scaling-plan: error: --output: cannot write {out}: File too large"]
    assert out.read_text() == "the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out" + SUFFIXES[writer], "runs.csv"]


def test_outputs_that_cannot_be_written_are_refused_before_any_work(cli: Cli, tmp_path: Path) -> None:
    """Once found by the fuzz suite: fit ran, printed its result, and only then failed on the output path."""
    missing = str(tmp_path / "no" / "law.yaml")
    assert f"--output: cannot write in {tmp_path / 'no'}: no such directory" in cli.error(
        "fit", CHINCHILLA_RUNS, "-o", missing
    )
    assert "--output: cannot write in" in cli.error("plot", "epoch-2024", "-o", str(tmp_path / "no" / "x.png"))
    (tmp_path / "figure.png").mkdir()
    assert "figure.png is a directory" in cli.error("plot", "epoch-2024", "-o", str(tmp_path / "figure.png"))


def test_fit_writes_only_yaml_law_files(cli: Cli, tmp_path: Path) -> None:
    """Once found by the fuzz suite: `fit -o plot.png` wrote YAML into a .png."""
    line = cli.error("fit", CHINCHILLA_RUNS, "-o", str(tmp_path / "plot.png"))
    assert "--output: a law file is YAML: give a name ending in .yaml or .yml" in line
    assert list(tmp_path.iterdir()) == []


# --- regressions the fuzz suite found ------------------------------------------------------------------------------


def test_no_command_names_the_missing_command(cli: Cli) -> None:
    """Was: the help, then an empty 'scaling-plan: error: ' line."""
    result = cli.run()
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "scaling-plan: error: missing a command: choose one of budget, shape, predict, sweep, serve, compare, check, fit,"
        " backtest, plot, experiments, simulate, fit-downstream, suggest, schema, laws, gpus"
    ]


def test_an_empty_path_is_named_in_quotes(cli: Cli) -> None:
    """Was: 'scaling-plan: error: no such file', naming nothing."""
    assert cli.error("budget", "--config", "").endswith("error: --config: config file '' not found")
    assert cli.error("fit", " ").endswith("error: ' ': no such file")


def test_a_fit_of_nonsense_losses_ends_cleanly_whichever_way_the_optimiser_goes(cli: Cli, tmp_path: Path) -> None:
    """Was: a RuntimeWarning on stderr, 'inf' in the table, and an internal error (exit 3) with --format json.

    Token counts as losses have no honest law; which way the optimiser went depended on the numpy release (numpy 2
    ran away to infinite constants, numpy 1.24 landed on beta = -1, L = D). They are now refused where they are read:
    no loss in nats per token is above ln(2^20).
    """
    runs = runs_file(tmp_path / "runs.csv", 12)
    for output_format in ("json", "table", "csv"):
        line = cli.error("fit", runs, "--loss-col", "n_tokens", "--allow-unconverged", "-f", output_format)
        assert f"{runs}:2: n_tokens: " in line and "is not a loss in nats per token" in line


@pytest.mark.slow
def test_a_fit_that_runs_away_to_infinite_constants_fails_cleanly(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runaway guard on its own: whatever data leads there, infinite constants are one line and exit 2, the runs
    giving no law (it was exit 1, as a fit that did not converge; the API refused it as bad input: now both doors
    treat it alike)."""
    from scaling_plan import fitting as fit

    real_fit_law = fit.fit_law

    def runaway(*args: Any, **kwargs: Any) -> Any:
        result, optima = real_fit_law(*args, **kwargs)
        return replace(result, A=math.inf, objective=math.inf), optima

    monkeypatch.setattr(fit, "fit_law", runaway)
    runs = runs_file(tmp_path / "runs.csv", 12)
    for output_format in ("json", "table", "csv"):
        result = cli.run("fit", runs, "--allow-unconverged", "-f", output_format)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.splitlines() == [
            f"scaling-plan: error: {runs}: no law fits: the best fit runs away to infinite constants"
            " (columns used: params='n_params', loss='loss', tokens='n_tokens')"
        ]


def test_a_control_character_in_yaml_names_its_line(cli: Cli, tmp_path: Path, loader: str) -> None:
    """Was, with PyYAML's own loader: an internal error (exit 3) over two lines."""
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"budget:\n  flops: 1e22\x00\n")
    assert cli.error("budget", "-c", str(path)).endswith(
        f"{path}:2: malformed YAML: control character '\\x00' is not allowed"
    )


def test_a_failed_check_ends_with_one_line_naming_configs_and_rules(cli: Cli) -> None:
    """Was: exit 1 with nothing on stderr, so a CI log showed no reason next to the failure."""
    gopher, flops = str(ROOT / "configs" / "gopher-280b.yaml"), str(ROOT / "configs" / "flops-1e24.yaml")
    result = cli.run("check", gopher, flops, "--min-tokens-per-param", "15", "--max-loss-gap", "0.01", "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"] == {"pass": 2, "fail": 2, "error": 0, "skipped": 0}
    assert result.stderr.splitlines() == [
        f"scaling-plan: error: policy failed: {gopher}: max_loss_gap, min_tokens_per_param"
    ]


def test_a_runaway_start_overflows_quietly() -> None:
    """Was: numpy's 'overflow encountered in exp' RuntimeWarning printed on stderr, outside the one-line format."""
    import warnings

    import numpy as np

    from scaling_plan.fitting import _constants

    theta = np.array([[800.0, 0.3, 5.0, 0.3, 0.5], [6.0, 0.34, 6.0, 0.28, 0.5]])  # log A = 800 overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        constants = _constants(theta)
    assert not np.isfinite(constants[0]).all() and np.isfinite(constants[1]).all()


def test_a_huge_value_is_echoed_cut_short(cli: Cli, tmp_path: Path) -> None:
    """Was: a wrong-typed value from a file echoed whole, e.g. a 700,000-value list (aliases) on one error line."""
    path = tmp_path / "big.yaml"
    path.write_text("budget:\n  flops: 1e22\nname: &n [" + ", ".join(["1.5"] * 5000) + "]\ndescription: *n\n")
    line = cli.error("budget", "-c", str(path))
    # The file, line and field, then the value cut short (the words between come from pydantic and may change).
    assert line.startswith(f"scaling-plan: error: {path}:3: name: ") and ", got [1.5, 1.5" in line
    assert line.endswith("…") and len(line) < 200
    line = cli.error("budget", "--flops", "9" * 5000 + "x")
    assert line.startswith("scaling-plan: error: --flops: cannot read '9999") and len(line) < 200


@pytest.mark.parametrize("ref", ["--output=/tmp/scaling-plan-pwned", "-p", ""])
def test_a_base_ref_is_never_passed_to_git_as_an_option(cli: Cli, ref: str) -> None:
    line = cli.error("compare", str(ROOT / "configs" / "flops-1e24.yaml"), "--base-ref", ref)
    assert "not a git ref (a ref is not empty and cannot start with '-')" in line


def _process(args: list[str], env: dict[str, str] = CHILD_ENV, **redirects: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaling_plan", *args],
        text=True,
        env=env,
        timeout=60,
        check=False,
        **redirects,  # type: ignore[call-overload]
    )


@pytest.mark.slow  # real processes
def test_a_full_disk_or_a_closed_stdout_is_exit_74_with_one_line(tmp_path: Path) -> None:
    """Were internal errors (exit 3): OSError ENOSPC writing to a full disk, AttributeError with stdout closed.

    The full disk is the test's own: stdout is a file in tmp_path that a file-size limit of 0 bytes (RLIMIT_FSIZE,
    set in the child) keeps from growing, so the kernel refuses the first write with EFBIG as a full disk refuses it
    with ENOSPC; the CLI takes the two alike (the test after this one gives it ENOSPC itself). Not /dev/full: that
    device is shared by everything on the machine, and once a run as root had renamed a regular file over it, so
    writes to it succeeded and this test saw exit 0. A private device node (os.mknod) or a small tmpfs needs root
    (or user namespaces, which containers often forbid), and a pipe whose reader has gone is EPIPE, the closed
    reader's exit 141, not a full disk. The limit needs neither root nor a device, and binds root too."""
    for output_format in ("table", "json", "csv"):
        refusing = tmp_path / f"stdout-{output_format}"
        with open(refusing, "w") as full:
            done = _process(["budget", "--flops", "1e24", "-f", output_format], stdout=full, stderr=subprocess.PIPE,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)))  # fmt: skip
        assert refusing.stat().st_size == 0  # the precondition: not a byte got through
        assert (done.returncode, done.stderr) == (
            74,
            f"scaling-plan: error: stdout: cannot write the output: {os.strerror(errno.EFBIG)}\n",
        )
    closed = _process(["budget", "--flops", "1e24"], stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert (closed.returncode, closed.stderr) == (
        74,
        "scaling-plan: error: stdout is closed: nowhere to write the output\n",
    )


@pytest.mark.slow  # real processes
@pytest.mark.parametrize("unbuffered", [True, False], ids=["PYTHONUNBUFFERED=1", "buffered"])
@pytest.mark.parametrize(
    "args",
    [
        ["budget", "--flops", "1e24", "-f", "json"],  # written in one piece
        ["budget", "--flops", "1e24", "-f", "table"],
        ["budget", "--flops", "1e24", "-f", "csv"],
        ["sweep", "--budgets", "1e20,1e21,1e22,1e23", "-f", "json"],  # streamed, record by record
        ["check", str(CONFIGS / "gopher-280b.yaml"), "--min-tokens-per-param", "15", "-f", "json"],  # a failed rule
    ],
    ids=lambda args: " ".join(arg for arg in args if "/" not in arg),
)
def test_a_write_cut_short_midway_is_exit_74_with_one_line(tmp_path: Path, args: list[str], unbuffered: bool) -> None:
    """Was exit 0 with 64 of 898 bytes (`budget -f json` under a 64-byte file-size limit, PYTHONUNBUFFERED=1, as
    containers and CI often set it): write(2) wrote part of the bytes, and Python's text layer over an unbuffered
    stdout dropped the rest without a word. Buffered, the same cut was one error line, then "Exception ignored" from
    Python's second try at exit and exit 120. The limit lets the first 64 bytes through, then refuses (EFBIG), as a
    disk filling up midway would (ENOSPC)."""
    env = {name: value for name, value in CHILD_ENV.items() if name != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    cut = tmp_path / "stdout"
    with open(cut, "w") as stdout:
        done = _process(args, stdout=stdout, stderr=subprocess.PIPE, env=env,
                        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64)))  # fmt: skip
    assert cut.stat().st_size == 64  # the precondition: cut midway, not refused from the first byte
    assert (done.returncode, done.stderr) == (
        74,
        f"scaling-plan: error: stdout: cannot write the output: {os.strerror(errno.EFBIG)}\n",
    )


def test_a_full_disk_is_exit_74_naming_stdout(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC itself, raised where the output is written, as a full disk raises it: exit 74 and one line, with the
    system's wording (strerror), not an internal error (exit 3)."""
    from scaling_plan.output import writers

    def full_disk(payload: object, out: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writers, "write_json", full_disk)
    result = cli.run("budget", "--flops", "1e24", "-f", "json")
    assert (result.exit_code, result.stdout) == (74, "")
    assert result.stderr == f"scaling-plan: error: stdout: cannot write the output: {os.strerror(errno.ENOSPC)}\n"


@pytest.mark.slow  # real processes
def test_a_closed_stdin_is_named() -> None:
    """Was an internal error (exit 3): `--config -` with stdin closed."""
    done = _process(["budget", "--config", "-"], capture_output=True, preexec_fn=lambda: os.close(0))
    assert (done.returncode, done.stderr) == (2, "scaling-plan: error: <stdin>: stdin is closed\n")


@pytest.mark.slow  # real processes
def test_a_closed_stderr_leaves_the_exit_code_to_speak() -> None:
    """A warning (1e30 FLOPs extrapolates) or an error with stderr closed: no crash, the documented exit code."""
    warned = _process(["budget", "--flops", "1e30"], stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
    assert warned.returncode == 0 and "Parameters N" in warned.stdout
    failed = _process(["budget", "--flops", "-1"], stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
    assert (failed.returncode, failed.stdout) == (2, "")


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)
)


@examples(200)
@given(
    records=st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(JSON_VALUES, st.lists(JSON_VALUES, max_size=3)), max_size=4),
        max_size=4,
    )
)
def test_a_streamed_json_sweep_is_the_same_text_as_one_written_whole(records: list[dict[str, object]]) -> None:
    """Was: `sweep --format json --compare-laws` at 100,000 budgets held them all as objects: 1.1 GB and 6.9 s; now
    61 MB and 4.0 s (measured), and the same bytes."""
    streamed, whole = io.StringIO(), io.StringIO()
    write_json_records({"schema_version": 1}, "plans", iter(records), streamed)
    write_json({"schema_version": 1, "plans": records}, whole)
    assert streamed.getvalue() == whole.getvalue()


@pytest.mark.slow  # shape searches at the limit
def test_absurd_sizes_are_refused_before_a_shape_search(cli: Cli) -> None:
    """Found by the long fuzz profile: `shape --params 1e24` (or `budget --flops 1e40 --blueprint`) searched for
    minutes; the search spans layers ∝ N^(1/3)."""
    assert "--params: must be at most 1e15, got 1e+24" in cli.error("shape", "--params", "1e24")
    line = cli.error("budget", "--flops", "1e40", "--blueprint")
    assert "--flops: N = 9.13e+18 parameters: a blueprint shapes models of at most 1e+15" in line
    assert "at most 1e+15" in cli.error("sweep", "--from", "1e30", "--to", "1e40", "-f", "csv", "--blueprint")
    explicit = cli.json("budget", "--flops", "1e40", "--blueprint", "--layers", "2", "--d-model", "128")
    assert explicit["n_layers"] == 2  # an explicit shape is counted, not searched for


def test_a_law_file_with_runaway_exponents_is_refused(cli: Cli, tmp_path: Path) -> None:
    """Found by the long fuzz profile: alpha = beta = 100 overflowed in the optimum (exit 3, OverflowError)."""
    path = tmp_path / "law.yaml"
    path.write_text("E: 1.0\nA: 1.0\nB: 1.0\nalpha: 100.0\nbeta: 100.0\nrd_star: 1.0\nrn_star: 1.0\n")
    line = cli.error("budget", "--flops", "1e23", "--law", str(path), "--method", "law")
    assert line.endswith(f"{path}:4: alpha: must be at most 2, got 100")


def test_a_sweep_whose_gpu_hours_overflow_is_refused_in_one_line(cli: Cli) -> None:
    """Was: numpy's overflow warning on stderr before the error line (made an error here, so that it cannot hide in
    pytest's own record of warnings)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        line = cli.error("sweep", "--from", "1e28", "--to", "1e30", "--gpu", "H100", "--mfu", "1e-300")
    assert line.endswith("--mfu: must be in [0.001, 1], got 1e-300")


@pytest.mark.slow  # a sweep at its full limit
def test_the_sweep_limit_counts_the_budgets_exactly(cli: Cli) -> None:
    """Was: 11,111 a decade over 9 decades (100,000 budgets, the end on the grid) refused as '100,000 budgets'."""
    rows = cli.run("sweep", "--from", "1e15", "--to", "1e24", "--per-decade", "11111", "-f", "csv", "-q")
    assert rows.exit_code == 0 and rows.stdout.count("\n") == 100_000 + 1  # the header and every budget
    line = cli.error("sweep", "--from", "1e15", "--to", "2e24", "--per-decade", "11111", "-f", "csv")
    assert "--per-decade: 103,345 budgets; a sweep plans at most 100,000" in line  # 99,999 steps, 3,345 more, the end


@pytest.mark.parametrize(
    ("args", "searches"),
    [
        (("--method", "deepseek-llm-2024"), "searched"),
        (("--unit", "days", "--gpu", "H100", "--gpus", "512", "--blueprint"), "filled"),
        (("--unit", "days", "--gpu", "H100", "--gpus", "512", "--blueprint", "--method", "deepseek-llm-2024"),
         "searched+filled"),
    ],
)  # fmt: skip
def test_a_sweep_whose_rows_each_search_is_held_to_about_a_minute(
    cli: Cli, args: tuple[str, ...], searches: str
) -> None:
    """Was: a 100,000-budget sweep along DeepSeek's frontier was allowed (30 ms a budget: about 50 minutes)."""
    most, said = SWEEP_SEARCH_LIMITS[searches]
    budgets = ",".join(["1"] * (most + 1))  # one more than the limit: refused before any row is planned
    line = cli.error("sweep", "--budgets", budgets, *args, "-f", "csv")
    assert f"--budgets: {most + 1:,} budgets; {said} {most:,}" in line


def _no_work(*args: object, **kwargs: object) -> Any:
    raise AssertionError("the fit started")


@pytest.mark.parametrize(
    ("command", "started", "expected"),
    [
        (
            ["fit", CHINCHILLA_RUNS, "--bootstrap", "100000"],
            "scaling_plan.fitting.fit_law",
            "--bootstrap: 100,000 refits × (245 runs + 650 for a refit's own cost) = 89,500,000 run-refits; at most"
            " 6,000,000, about a minute on 2 cores: give 6,703 or fewer",
        ),
        (
            ["fit", CHINCHILLA_RUNS, "--approach", "isoflop", "--bootstrap", "1700"],
            "scaling_plan.isoflop._fit",
            "--bootstrap: 1,700 refits × (57 budgets + 300 for a refit's own cost) = 606,900 budget-refits; at most"
            " 600,000, about a minute on 2 cores: give 1,680 or fewer",
        ),
        (
            ["fit-downstream", str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv"), "--metric",
             "eval_gauntlet/core_average", "--bootstrap", "30000"],
            "scaling_plan.downstream._fit",
            "--bootstrap: 30,000 refits × (47 runs + 50 for a refit's own cost) = 2,910,000 run-refits; at most"
            " 1,000,000, about a minute on 2 cores: give 10,309 or fewer",
        ),
    ],
)  # fmt: skip
def test_refits_past_a_minute_of_work_are_refused_before_any_work(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: list[str], started: str, expected: str
) -> None:
    """Was: fit --bootstrap 100000 on 10,000 runs was accepted (about 1.4 hours); an isoflop bootstrap of 100,000
    refits took about 50 minutes on any runs; fit-downstream held every refit's arrays at once."""
    monkeypatch.setattr(started, _no_work)
    assert cli.error(*command).endswith(expected)


def test_the_api_refuses_the_same_refits_naming_its_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    import scaling_plan

    monkeypatch.setattr("scaling_plan.fitting.fit_law", _no_work)
    monkeypatch.setattr("scaling_plan.isoflop._fit", _no_work)
    monkeypatch.setattr("scaling_plan.downstream._fit", _no_work)
    with pytest.raises(scaling_plan.ScalingPlanError, match="at most 6,000,000") as refused:
        scaling_plan.fit(CHINCHILLA_RUNS, bootstrap=100_000)
    assert refused.value.where == "bootstrap"
    with pytest.raises(scaling_plan.ScalingPlanError, match="give 1,680 or fewer") as refused:
        scaling_plan.fit(CHINCHILLA_RUNS, approach="isoflop", bootstrap=1_700)
    assert refused.value.where == "bootstrap"
    sardana = ROOT / "tests" / "data" / "sardana2024_training_runs.csv"
    with pytest.raises(scaling_plan.ScalingPlanError, match="give 10,309 or fewer") as refused:
        scaling_plan.fit_downstream(sardana, metric="eval_gauntlet/core_average", bootstrap=30_000)
    assert refused.value.where == "bootstrap"


def test_the_refit_caps_allow_what_they_say() -> None:
    from scaling_plan import downstream, fitting, isoflop

    for work, units in ((fitting.BOOTSTRAP_WORK, 10_000), (isoflop.BOOTSTRAP_WORK, 57), (downstream.BOOTSTRAP_WORK, 6)):
        most = work.most // (units + work.fixed)
        work.check(most, units, "--bootstrap")  # allowed
        with pytest.raises(UsageError, match=f"give {most:,} or fewer"):
            work.check(most + 1, units, "--bootstrap")


@pytest.mark.slow
def test_bootstrap_refits_are_solved_in_batches_of_bounded_size_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: a batch held a weight per start, resample and run for 1,000 resamples whatever the runs (the fit of
    10,000 runs with 582 refits peaked at 384 MB)."""
    from scaling_plan import fitting
    from scaling_plan.inputs.runs import read_runs, select_runs

    runs = select_runs(read_runs(CHINCHILLA_RUNS), drop_top_loss=5).runs
    _, optima = fitting.fit_law(runs)
    whole = fitting.bootstrap_fit(runs, optima, 30, seed=3)
    held = []
    objective = fitting._Objective

    def recording(runs: Any, delta: float, weights: Any = None, centred: bool = False) -> Any:
        held.append(0 if weights is None else weights.size)
        return objective(runs, delta, weights, centred)

    monkeypatch.setattr(fitting, "BOOTSTRAP_BATCH_RUNS", 10 * len(runs))
    monkeypatch.setattr(fitting, "_Objective", recording)
    batched = fitting.bootstrap_fit(runs, optima, 30, seed=3)
    # three batches of 10 resamples, each from one start (the next optima are 7.5 and more deviations behind), after
    # the unweighted objective that measured how far behind and the curvature there
    assert held == [0] + [10 * len(runs)] * 3
    assert np.array_equal(batched.samples, whole.samples)


def test_the_sigmoids_grid_start_is_evaluated_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: the grid start evaluated its 1,271 points on every run at once, 850 MB on 10,000 runs."""
    from scaling_plan import downstream

    loss = np.linspace(2.2, 3.6, 2_000)
    metric = 0.25 + 0.75 / (1 + np.exp((loss - 2.8) / 0.2))  # floor 0.25, ceiling 1
    shapes = []
    model = downstream._model

    def recording(form: str, theta: Any, x: Any, floor: float, ceiling: float) -> Any:
        shapes.append(len(theta) * len(x))
        return model(form, theta, x, floor, ceiling)

    monkeypatch.setattr(downstream, "_model", recording)
    fitted = downstream.fit_downstream(downstream.MetricRuns(loss, metric), "sigmoid", 0.25, "m", resamples=20)
    assert max(shapes) <= downstream.REFIT_BATCH_RUN_REFITS
    assert fitted.constants == pytest.approx((2.8, 0.2), rel=1e-6)
