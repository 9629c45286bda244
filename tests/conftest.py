from __future__ import annotations

import csv
import functools
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

from scaling_plan.cli.app import app, load_commands

load_commands()  # every command, as a bare `scaling-plan` registers them

# Typer's test runner builds the Click command from the app on every invoke (about 15 ms of a 20 ms run); the
# console script builds it once per process, and so do the tests. A Typer upgrade that renames this fails here.
typer.testing._get_command = functools.cache(typer.testing._get_command)

# Property tests draw the same examples on every run (a green CI stays green until the code changes);
# SCALING_PLAN_FUZZ=long draws fresh ones, as the fuzz suite's long profile does.
settings.register_profile("fixed", derandomize=True)
settings.load_profile("default" if os.environ.get("SCALING_PLAN_FUZZ") == "long" else "fixed")


def pytest_configure(config: pytest.Config) -> None:
    """The loops (--no-cov) draw fewer examples per property test; the full suite (coverage on) draws them all."""
    from . import strength

    strength.FULL = not config.getoption("no_cov", default=False)


ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


class Cli:
    """Runs the real CLI in-process and hands back parsed output."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return self.runner.invoke(app, list(args), input=input, env=env)

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self.run(*args, "--format", "json", input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def csv(self, *args: str) -> list[dict[str, str]]:
        result = self.run(*args, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        return list(csv.DictReader(io.StringIO(result.stdout)))

    def error(self, *args: str, input: str | None = None) -> str:
        """Runs a command that must fail with exit 2 and one line on stderr; returns that line."""
        result = self.run(*args, input=input)
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("scaling-plan: error: ")
        assert "Traceback" not in result.stderr
        return lines[0]


@pytest.fixture
def cli() -> Cli:
    return Cli()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from .fuzz.fuzzing import EXTREME_INPUTS, EXTREMES, TALLY

    if TALLY:
        codes = ", ".join(f"{count:,} exit {code}" for code, count in sorted(TALLY.items()))
        terminalreporter.write_line(f"fuzz: {sum(TALLY.values()):,} CLI runs checked ({codes})")
    if EXTREMES:
        codes = ", ".join(f"{count:,} exit {code}" for code, count in sorted(EXTREMES.items()))
        terminalreporter.write_line(
            f"finite: {len(EXTREME_INPUTS):,} numeric inputs x their extreme values, {sum(EXTREMES.values()):,} runs"
            f" checked ({codes})"
        )


def assert_alike(first: Any, second: Any, rel: float = 1e-9, where: str = "") -> None:
    """Two JSON documents equal but for floats, which agree to `rel`: two runs of one computation may differ in the
    last bits a threaded BLAS leaves free."""
    if isinstance(first, dict):
        assert isinstance(second, dict) and set(first) == set(second), where
        for key in first:
            assert_alike(first[key], second[key], rel, f"{where}.{key}")
    elif isinstance(first, list):
        assert isinstance(second, list) and len(first) == len(second), where
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_alike(a, b, rel, f"{where}[{index}]")
    elif isinstance(first, float) and not isinstance(second, bool):
        assert first == pytest.approx(second, rel=rel, abs=1e-15), where
    else:
        assert first == second, where
