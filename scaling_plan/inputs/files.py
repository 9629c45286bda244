"""Bounded reads of the files the tool reads (configs, law files, runs files)."""

from __future__ import annotations

import sys

from ..errors import UsageError


def file_label(path: str) -> str:
    """How messages name a file: <stdin> for '-', the path itself, or quoted when it is empty or has odd characters."""
    if path == "-":
        return "<stdin>"
    return path if path and path.isprintable() and path == path.strip() else repr(path)


def read_text(path: str, max_bytes: int, what: str) -> str:
    """The UTF-8 text of `path` ('-' for stdin) without a byte-order mark; refused past max_bytes (`what` says
    what the file should be, for the message)."""
    label = file_label(path)
    try:
        if path == "-":
            if sys.stdin is None:
                raise UsageError(label, "stdin is closed")
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)  # never more: a huge file or device is refused, not read
    except FileNotFoundError:
        raise UsageError(label, "no such file") from None
    except IsADirectoryError:
        raise UsageError(label, "is a directory, not a file") from None
    except OSError as error:
        raise UsageError(label, f"cannot read: {error.strerror}") from None
    if len(data) > max_bytes:
        raise UsageError(label, f"larger than {max_bytes:,} bytes; {what}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(label, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    return text
