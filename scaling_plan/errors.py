"""Errors the CLI turns into exit codes (see cli/app.py)."""

from __future__ import annotations

from collections.abc import Iterable


class ScalingPlanError(Exception):
    """The one error the tool raises for what it was given (the Python API's callers catch this).

    `where` names the culprit: a flag such as ``--mfu``, a field such as ``mfu`` (the API), or
    ``file.yaml:7: hardware.mfu``; `message` says what is wrong with it.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message

    @property
    def field(self) -> str:
        """The flag, field or file:line at fault."""
        return self.where


class UsageError(ScalingPlanError):
    """Bad input from a flag, a field or a config file; the CLI exits with code 2."""


class OutputError(UsageError):
    """An output could not be written while writing it (a full disk, a file-size limit, a closed stdout); the CLI
    exits with code 74. A path known to be unwritable before any work is a UsageError."""


def shown(value: object, limit: int = 60) -> str:
    """repr(value) for a message, cut to `limit` characters: a value echoed from a file may be a huge list."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_name(kind: str, name: str, choices: Iterable[str], extra: str = "", aliases: Iterable[str] = ()) -> str:
    """An unknown name, the closest choice or alias ("did you mean 'H100'?"), then every choice."""
    import difflib

    options = list(choices)
    by_case = {option.lower(): option for option in [*options, *aliases]}
    close = difflib.get_close_matches(name.strip().lower(), list(by_case), n=1, cutoff=0.6)
    hint = f"; did you mean {by_case[close[0]]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (choose one of {', '.join(options)}{extra})"
