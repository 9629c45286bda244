"""The console script's start (scaling_plan/console.py): the cyclic garbage collector is off while the process
imports and builds its command line, and on, with what the start made frozen, once the command runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..inputs.test_hardening import CHILD_ENV

# The console script's own entry point, with a hook that reports the collector's state when the command has run.
CHILD = """
import atexit, gc, sys
atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr))
sys.argv = ["scaling-plan", *sys.argv[1:]]
from scaling_plan.console import main
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=CHILD_ENV, timeout=60, check=False
    )


@pytest.mark.slow  # a real process
def test_a_command_runs_with_the_collector_on_and_the_start_frozen() -> None:
    done = _run("budget", "--flops", "1e24", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_params"] > 0
    assert done.stderr.split() == ["True", "True"]  # a long fit's cycles are collected; the start's never walked


@pytest.mark.slow  # a real process
def test_help_needs_no_collector() -> None:
    """--help runs no command: the collector stays off to the end, and the help is whole."""
    done = _run("budget", "--help")
    assert done.returncode == 0 and "--flops" in done.stdout
    assert done.stderr.split() == ["False", "False"]
