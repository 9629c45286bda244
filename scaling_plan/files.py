"""Reading the files the tool is given (bounded, UTF-8) and writing its outputs whole or not at all."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from .errors import OutputError, UsageError


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


def check_writable(path: str, where: str) -> None:
    """Refuse, before any work is done, an output path that cannot be written: a directory, or a file in a folder
    that is missing or read-only."""
    if os.path.isdir(path):
        raise UsageError(where, f"{path} is a directory; give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(where, f"cannot write in {directory}: no such directory")
    if not os.access(directory, os.W_OK):
        raise UsageError(where, f"cannot write in {directory}: permission denied")


def write_atomically(path: str, write: Callable[[str], None], where: str = "--output") -> None:
    """Call write(temporary_path), then rename the result over `path`; on any failure `path` is left as it was."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".scaling-plan-", suffix=os.path.splitext(path)[1], dir=directory)
    except OSError as error:
        raise OutputError(where, f"cannot write in {directory}: {error.strerror}") from None
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give the file the permissions open() would
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(where, f"cannot write {path}: {error.strerror}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
