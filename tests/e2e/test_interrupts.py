"""Ctrl-C at any moment: exit 130 with one line, never a traceback (scaling_plan/console.py, cli/app.py).

Each test runs the installed console script in a child process and sends it SIGINT, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import signal
import site
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..inputs.test_hardening import CHILD_ENV

SCRIPT = Path(sys.executable).parent / "scaling-plan"  # the console script pip installed beside this Python
INTERRUPTED = "scaling-plan: error: interrupted\n"


def _ctrl_c_as_at_a_terminal() -> None:
    """The child takes SIGINT as a terminal's Ctrl-C even where the suite runs with it ignored (a shell's background
    job ignores SIGINT, and children inherit that): without this the signal never arrives and the tests fail."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module", autouse=True)
def _console_script() -> None:
    assert SCRIPT.exists(), f"{SCRIPT}: install the project (pip install -e '.[test]') for its console script"


@pytest.mark.slow  # real processes, timed
@pytest.mark.parametrize("delay_s", [0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6])
def test_ctrl_c_at_any_moment_is_exit_130_with_one_line(delay_s: float) -> None:
    """Was a Python traceback in 15 of 18 tries when Ctrl-C came in the first 0.3-0.7 s (the imports), and a silent
    exit 130 while the command ran.

    The child starts with `python -S` and the same path: the interpreter's own start (site and its .pth files, 20-80
    ms for an editable install on a busy machine) comes before any line of the tool runs, and a Ctrl-C there is
    Python's to answer. So is one in the first 10-20 ms even with -S (the script's `import re`, finding the package),
    which is why the first delay after 0 is 0.1 s; the test after this one interrupts the tool's first import on cue.
    Sent at 0, before Python has set its own handler, SIGINT ends the process by the kernel's default action: no
    output, returncode -SIGINT (what a shell reports as 130)."""
    env = {**CHILD_ENV, "PYTHONPATH": os.pathsep.join([str(ROOT), *site.getsitepackages()])}
    child = subprocess.Popen(
        [sys.executable, "-S", str(SCRIPT), "budget", "--flops", "1e24", "-f", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )
    time.sleep(delay_s)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    assert "Traceback" not in stderr
    if child.returncode == 0:  # done before the signal came
        assert json.loads(stdout)["compute_flops"] == 1e24
    elif child.returncode == -signal.SIGINT:
        assert (stdout, stderr) == ("", "")
    else:
        assert (child.returncode, stderr) == (130, INTERRUPTED)


#: The console script in a child that interrupts itself at a chosen moment: at the first import of a module (after
#: "import:"), or ("write") as an output's temporary is made ready to be renamed into place. signal.raise_signal
#: runs the handler there and then, as a Ctrl-C at that moment would.
CHILD = """
import os, runpy, signal, sys
moment, script = sys.argv[1], sys.argv[2]
if moment.startswith("import:"):
    class Interrupt:
        def find_spec(self, name, path=None, target=None):
            if name == moment.removeprefix("import:"):
                sys.meta_path.remove(self)
                signal.raise_signal(signal.SIGINT)
            return None
    sys.meta_path.insert(0, Interrupt())
else:
    chmod = os.chmod
    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        return chmod(*args, **kwargs)
    os.chmod = interrupted
sys.argv = ["scaling-plan", *sys.argv[3:]]
runpy.run_path(script, run_name="__main__")
"""


def _interrupted_at(moment: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, moment, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=CHILD_ENV,
        timeout=120,
        check=False,
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )


@pytest.mark.slow  # real processes
def test_ctrl_c_while_the_cli_imports_is_one_line() -> None:
    """Typer's import is the bulk of the start: a Ctrl-C there was a KeyboardInterrupt traceback."""
    done = _interrupted_at("import:typer", "budget", "--flops", "1e24")
    assert (done.returncode, done.stdout, done.stderr) == (130, "", INTERRUPTED)


@pytest.mark.slow  # real processes
def test_ctrl_c_while_a_command_runs_is_one_line(tmp_path: Path) -> None:
    """The runs file is read inside the command: Typer turned that KeyboardInterrupt into exit 130 without a word."""
    runs = ROOT / "tests" / "data" / "sardana2024_training_runs.csv"
    done = _interrupted_at("import:scaling_plan.inputs.runs", "fit", str(runs), "-o", str(tmp_path / "law.yaml"))
    assert (done.returncode, done.stdout, done.stderr) == (130, "", INTERRUPTED)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # real processes
def test_ctrl_c_while_an_output_is_written_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    runs = ROOT / "tests" / "data" / "sardana2024_training_runs.csv"
    law = tmp_path / "law.yaml"
    law.write_text("the old file\n")
    done = _interrupted_at("write", "fit", str(runs), "-o", str(law), "-f", "json")
    assert (done.returncode, done.stderr) == (130, INTERRUPTED)
    assert law.read_text() == "the old file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["law.yaml"]
