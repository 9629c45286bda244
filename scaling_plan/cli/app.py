"""The Typer app and the single place where errors become exit statuses (status.ExitStatus says what each means)."""

from __future__ import annotations

import errno
import functools
import gc
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer import Abort
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from ..console import PROG, Unwinding
from ..errors import OutputError, UsageError, in_words
from ..status import ExitStatus
from .click_adapter import (
    ClickException,
    NoArgsIsHelpError,
    click_message,
    coerce_given_only,
    completion_for_named_shells,
    draw_help,
    parsed_options,
    read_choice_with,
    refuse_repeats,
)

#: Errors writing stdout that are the machine's, not the tool's: a full disk or quota, a file-size limit, I/O.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


#: Longest message shown: the culprit comes first, so a message that echoes a huge value loses only its tail.
MAX_MESSAGE_CHARS = 1000


def _stderr_line(kind: str, message: str) -> None:
    """One line on stderr, whatever the message holds (a value echoed from a file may carry line breaks)."""
    if sys.stderr is None:  # started with stderr closed (2>&-): the exit code is all there is
        return
    line = " ".join(in_words(message, flag_of).splitlines())  # an input the domain names: its flag
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    sys.stderr.write(f"{PROG}: {kind}: {line}\n")


def error_line(message: str) -> None:
    _stderr_line("error", message)


def flag_of(field: str) -> str:
    """How the command line names an input the domain and the API name by its field: its option's long name
    (`holdout_top` is --holdout-top, `start` is --from); a name that is no option (stdout) is left as it is."""
    return _flags().get(field, field)


@functools.cache
def _flags() -> dict[str, str]:
    """Every option of every registered command: its parameter name, and its long name on the command line."""
    import typer.main

    group = typer.main.get_command(app)
    commands = group.commands.values()  # type: ignore[attr-defined]
    return {param.name: _long_name(param.opts) for command in commands for param in command.params if param.name}


def warn(message: str) -> None:
    _stderr_line("warning", message)


def wrote(path: str, what: str) -> None:
    """Say on stderr what a command wrote to a file (stdout stays the output's)."""
    _stderr_line("wrote", f"{path} ({what})")


def fail(message: str, code: int) -> NoReturn:
    error_line(message)
    sys.exit(code)


class _ClosedPipe(Exception):
    """stdout's reader went away; raised past typer, which would otherwise exit 1 for it."""


class _WholeWrites(io.RawIOBase):
    """stdout's file descriptor, for an unbuffered stdout (PYTHONUNBUFFERED=1 or `python -u`, as containers and CI
    often set): each write() writes every byte or raises. write(2) may write only part of its bytes (a file-size
    limit or a disk filling up midway), and Python's text layer over an unbuffered stream drops the rest without a
    word: `-f json`, written in one piece, ended cut short with exit 0. (A buffered stdout retries, and raises.)"""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += os.write(self._fd, view[done:])  # the next write after a short one raises (EFBIG, ENOSPC)
        return done


def _stdout_written_whole() -> None:
    """Give an unbuffered stdout a binary layer that writes every byte or raises (_WholeWrites)."""
    stdout = sys.stdout
    if stdout is None or not isinstance(getattr(stdout, "buffer", None), io.RawIOBase):
        return  # closed, or buffered (io.BufferedWriter writes the rest, and raises when it cannot)
    sys.stdout = io.TextIOWrapper(
        _WholeWrites(stdout.fileno()),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=bool(stdout.line_buffering),
        write_through=True,
    )


def _discard_stdout() -> None:
    """Send what stdout still holds nowhere once it cannot be written (a closed pipe, a full disk): else Python
    tries again at exit and says "Exception ignored" (and exits 120)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no file descriptor (an in-process test's stream)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _exit(code: int) -> NoReturn:
    """Exit with `code` once stdout is written out: a write that fails here (what a command printed last, still
    buffered) is exit 74 in one line, a reader gone is 141, never Python's own complaint at exit."""
    if code == ExitStatus.INTERRUPTED:
        _discard_stdout()  # the output is cut short anyway; a blocked pipe must not hold the exit up
        sys.exit(code)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        code = ExitStatus.BROKEN_PIPE
    except OSError as error:
        _discard_stdout()
        error_line(f"stdout: cannot write the output: {error.strerror}")
        code = ExitStatus.OUTPUT
    sys.exit(code)


def _draw_help(command: Any, ctx: Any, draw: Callable[[], None]) -> None:
    """Typer's help, with option names and metavars never wrapped or cut (`--inference-price-per-gpu-hour` whole at
    80 columns): the help text beside them takes what width is left."""
    from rich.table import Table

    class WholeNamesTable(Table):
        def add_row(self, *renderables: Any, **options: Any) -> None:
            super().add_row(*renderables, **options)
            for column in self.columns[:-1]:  # every column but the help text
                column.no_wrap = True

    draw_help(command, ctx, draw, WholeNamesTable)


def _long_name(names: Sequence[str]) -> str:
    """How messages name an option: its long name (--format, not -f)."""
    return next((name for name in names if name.startswith("--")), names[0])


def _as_typed(value: object) -> str:
    """A value as the user typed it, for a message (quoted only when it would not read plainly)."""
    from ..errors import shown

    text = str(value)
    return text if text and text.isprintable() and text == text.strip() and len(text) <= 60 else shown(value)


def _given_twice(option: Any, earlier: Any, value: Any) -> None:
    """`--flops 1e24 --flops 1e25` is a mistake to say, not an override to take silently."""
    given = f"{_as_typed(earlier)} and {_as_typed(value)}"
    raise UsageError(_long_name(option.obj.opts), f"given twice ({given}); give it once")


def _choice_in_any_case(param: Any) -> None:
    """Make a choice option read its value in any case (--method Law, --format JSON, as --gpu and --law names are
    read) and answer an unknown one with the closest choice, as a config's keys are answered."""
    from ..inputs.values import choice

    flag = _long_name(param.opts)
    kind = flag.lstrip("-").replace("-", " ")
    members: list[str] = []
    members += read_choice_with(param, lambda value: choice(value, members, flag, kind)) or []


class _Command(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _choice_in_any_case(param)
            coerce_given_only(param)

    def invoke(self, ctx: Any) -> Any:
        if not gc.isenabled():  # off while the process started (console.main); a command may make and drop cycles
            gc.freeze()  # what the start made (modules, classes, the command line) lives on: never walked again
            gc.enable()
        return super().invoke(ctx)

    def make_parser(self, ctx: Any) -> Any:
        parser = super().make_parser(ctx)
        if not ctx.resilient_parsing:  # shell completion parses half-typed lines: nothing to refuse there
            for option in parsed_options(parser):
                refuse_repeats(option, _given_twice)
        return parser

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _draw_help(self, ctx, lambda: super(_Command, self).format_help(ctx, formatter))


class _Group(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _draw_help(self, ctx, lambda: super(_Group, self).format_help(ctx, formatter))

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
            return result
        except BrokenPipeError as error:
            raise _ClosedPipe from error
        except OSError as error:
            if error.errno not in _OUTPUT_ERRNOS:
                raise
            _discard_stdout()  # what is left of the output is not tried again at exit
            raise OutputError("stdout", f"cannot write the output: {error.strerror}") from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        if sys.stdout is None:  # started with stdout closed (>&-)
            fail("stdout is closed: nowhere to write the output", ExitStatus.OUTPUT)
        _exit(self._run(*args, **kwargs))

    def _run(self, *args: Any, **kwargs: Any) -> int:
        """Run the command line; its exit code, each error said in one line on stderr."""
        try:
            with Unwinding():  # a Ctrl-C while the command runs unwinds it (the console script's handler)
                code = super().main(*args, **kwargs)
        except SystemExit as exit:  # a command's fail(): its line is said, stdout is still to be written out
            return 0 if exit.code is None else exit.code if isinstance(exit.code, int) else ExitStatus.INTERNAL
        except OutputError as error:
            error_line(error.worded(flag_of))
            return ExitStatus.OUTPUT
        except UsageError as error:
            error_line(error.worded(flag_of))
            return ExitStatus.USAGE
        except NoArgsIsHelpError as error:
            # The help is already on the screen; the error line says what was missing.
            error_line(f"missing a command: choose one of {', '.join(self.list_commands(error.ctx))}")
            return ExitStatus.USAGE
        except ClickException as error:
            # Click's own usage errors (unknown option, bad choice): one line, not a usage banner.
            error_line(click_message(error))
            return error.exit_code
        except (Abort, KeyboardInterrupt):
            error_line("interrupted")
            return ExitStatus.INTERRUPTED
        except _ClosedPipe:
            # The reader went away (`| head`): say nothing more, and exit as a process killed by SIGPIPE would.
            _discard_stdout()
            return ExitStatus.BROKEN_PIPE
        except Exception as error:
            if os.environ.get("SCALING_PLAN_DEBUG"):
                raise
            error_line(f"internal error: {type(error).__name__}: {error} (set SCALING_PLAN_DEBUG=1 for a traceback)")
            return ExitStatus.INTERNAL
        if (
            code == ExitStatus.INTERRUPTED
        ):  # Typer's answer to a KeyboardInterrupt in a command: exit 130, and not a word
            error_line("interrupted")
        return code if isinstance(code, int) else 0


completion_for_named_shells()
app = typer.Typer(
    cls=_Group,
    add_completion=True,  # --install-completion SHELL and --show-completion SHELL: bash, zsh, fish, PowerShell
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",  # paragraphs flow to the terminal's width; brackets such as [plot] stay text
    pretty_exceptions_enable=False,
    help="Plan compute-optimal language-model training: parameters, tokens, loss, time and cost from a budget.",
)


def _show_version(value: bool) -> None:
    if value:
        print(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Plan compute-optimal language-model training: parameters, tokens, loss, time and cost from a budget."""


#: A command's worked examples: what each does, and the command line.
Examples = Sequence[tuple[str, str]]


def examples_text(examples: Examples) -> str:
    """The examples as the end of a command's help: one block of command lines, each under a comment saying what it
    does."""
    lines = "\n".join(f"# {what}\n{line}" for what, line in examples)
    return f"**Examples**\n\n```\n{lines}\n```"


#: Each command its module defines: its function and its worked examples, by the name the command line gives it.
_DEFINED: dict[str, tuple[Callable[..., Any], Examples]] = {}


def command(examples: Examples, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Define a command, with its worked examples at the end of its help; load_commands() registers it on the app
    when a command line needs it."""

    def define(function: Callable[..., Any]) -> Callable[..., Any]:
        _DEFINED[name or function.__name__.lower().replace("_", "-")] = (function, examples)
        return function

    return define


def warn_all(messages: Sequence[str], prefix: str = "") -> None:
    for message in messages:
        warn(prefix + message)


#: Each command and the module of cli/ that defines it, in the order --help lists them.
COMMAND_MODULES: dict[str, str] = {
    "budget": "plans", "shape": "plans", "predict": "plans", "sweep": "plans", "serve": "serving",
    "compare": "configs", "check": "configs",
    "fit": "fitting", "backtest": "fitting", "plot": "plot", "experiments": "simulate", "simulate": "simulate",
    "fit-downstream": "downstream", "suggest": "suggest",
    "schema": "listings", "laws": "listings", "gpus": "listings",
}  # fmt: skip


def load_commands(name: str | None = None) -> None:
    """Register the command `name` on the app (importing the module that defines it), or, for any other name, every
    command, in --help's order. A run of one command pays for building that command's options only: Typer builds
    every registered command's at each start (a module may define several), and start-up is felt in every CI run."""
    import importlib

    registered = {info.name for info in app.registered_commands}
    for each in [name] if name in COMMAND_MODULES else COMMAND_MODULES:
        if each not in registered:
            importlib.import_module(f"{__package__}.{COMMAND_MODULES[each]}")
            function, examples = _DEFINED[each]
            app.command(name=each, cls=_Command, epilog=examples_text(examples))(function)


def _command_asked(argv: Sequence[str]) -> str | None:
    """The command a command line runs: its first word that is not an option; None for help, completion, a bare
    `scaling-plan` or `--version` (they need every command)."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None
    return next((word for word in argv if not word.startswith("-")), None)


def main() -> None:
    """Run the command line (the console script, console.main, answers Ctrl-C first)."""
    _stdout_written_whole()
    load_commands(_command_asked(sys.argv[1:]))
    app(prog_name=PROG)
