"""The console script (`scaling-plan`, `python -m scaling_plan`): what the process does first, before any heavy import.

Importing Typer, Rich and a command's modules takes a few tenths of a second, and a Ctrl-C there used to end in a
Python traceback. From main()'s first line until the command runs, Ctrl-C ends the process at once with one line and
exit 130 (nothing has been written yet, so nothing is left to clean up). While the command runs (`Unwinding`), it
raises KeyboardInterrupt as Python's own handler does, so that the command unwinds (a file half written is removed)
and the CLI's error mapping (cli/app.py) says the same line. This module is outside cli/ because importing that
package imports Typer; it imports nothing it need not.
"""

from __future__ import annotations

import gc
import os
import signal
from types import FrameType

from .status import ExitStatus

#: The program's name, as every line on stderr begins.
PROG = "scaling-plan"


#: Whether a Ctrl-C now raises KeyboardInterrupt (a command runs) rather than ends the process at once.
_unwinding = False


def _interrupted(signum: int, frame: FrameType | None) -> None:
    if _unwinding:
        raise KeyboardInterrupt
    # os.write, not sys.stderr: the signal may have come in the middle of a write to sys.stderr. Not
    # contextlib.suppress: contextlib is not imported this early.
    try:  # noqa: SIM105
        os.write(2, f"{PROG}: error: interrupted\n".encode())
    except OSError:  # stderr closed (2>&-): the exit code says it
        pass
    os._exit(ExitStatus.INTERRUPTED)


def main() -> None:
    """Answer Ctrl-C (SIGINT) from now on with one line and exit 130, then run the command line. Only the console
    script does this: in-process callers (tests, a notebook) keep their own handling."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # started in the background with Ctrl-C ignored: stay so
        signal.signal(signal.SIGINT, _interrupted)
    # Imports and building the command line make many objects and free few: the cyclic collector would walk them
    # all again and again (about a twentieth of the start) and find nothing. It is switched on when the command runs.
    gc.disable()
    from .cli.app import main as run

    try:
        run()
    finally:  # done, its output written out (or said to be cut short): a Ctrl-C now would only cut the interpreter's
        # exit short, once it has reset its handlers, by the kernel's default action (no line, killed by SIGINT)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class Unwinding:
    """While the command runs (`with Unwinding():`): a Ctrl-C raises KeyboardInterrupt, for the CLI to say once the
    command has unwound. (A class, not contextlib: this module is imported before anything it need not import.)"""

    def __enter__(self) -> None:
        global _unwinding
        _unwinding = True

    def __exit__(self, *raised: object) -> None:
        global _unwinding
        _unwinding = False
