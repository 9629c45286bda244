"""Errors the CLI turns into exit codes (see cli.main)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from a flag or a config file; the CLI exits with code 2.

    `where` names the culprit: a flag such as ``--mfu`` or ``file.yaml:7: hardware.mfu``.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


class OutputError(UsageError):
    """An output could not be written while writing it (a full disk, a file-size limit, a closed stdout); the CLI
    exits with code 74. A path known to be unwritable before any work is a UsageError."""


def shown(value: object, limit: int = 60) -> str:
    """repr(value) for a message, cut to `limit` characters: a value echoed from a file may be a huge list."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
