"""Errors the CLI turns into exit codes (see cli/app.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: How a message names another input, in the domain's words (an option or keyword by its field name): each door
#: words it its own way (the command line as a flag, the API as the keyword).
_NAMED = re.compile(r"«([a-z][a-z0-9_]*)»")
_FIELD = re.compile(r"[a-z][a-z0-9_]*")


def in_words(text: str, name_of: Callable[[str], str] = str) -> str:
    """A message or warning with each input it names (`named`) worded by `name_of`: the field itself by default (the
    API's words), its flag for the command line."""
    return _NAMED.sub(lambda match: name_of(match.group(1)), text)


def named(field: str) -> str:
    """An input named in a message by its field (`named("holdout_top")`): the CLI says --holdout-top, the API
    holdout_top."""
    return f"«{field}»"


class ScalingPlanError(Exception):
    """The one family of errors the tool raises for what it was given (the Python API's callers catch this).

    `where` names the culprit: a field such as ``mfu`` (the domain and the API; the CLI words it as ``--mfu``), a
    flag given on the command line, or ``file.yaml:7: hardware.mfu``; `message` says what is wrong with it, naming
    any other input with `named`.
    """

    def __init__(self, where: str, message: str) -> None:
        self.raw_where, self.raw_message = where, message
        self.where, self.message = in_words(where), in_words(message)
        super().__init__(f"{self.where}: {self.message}" if self.where else self.message)

    @property
    def field(self) -> str:
        """The field, flag or file:line at fault."""
        return self.where

    def worded(self, name_of: Callable[[str], str]) -> str:
        """The error in one line with every input named as `name_of` words a field (the CLI: its flag). A `where`
        that is a bare field name is worded too; a flag or file:line is left as it is."""
        where = name_of(self.raw_where) if _FIELD.fullmatch(self.raw_where) else in_words(self.raw_where, name_of)
        message = in_words(self.raw_message, name_of)
        return f"{where}: {message}" if where else message


class UsageError(ScalingPlanError):
    """Bad input from a flag, a field or a file; the CLI exits with status 2."""


class OutputError(ScalingPlanError):
    """An output could not be written while writing it (a full disk, a file-size limit, a closed stdout); the CLI
    exits with status 74. A path known to be unwritable before any work is bad input: a UsageError. Not a kind of
    UsageError: a caller catching bad input does not catch a full disk."""


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
