"""Bounded reads of the files the tool reads (configs, law files, runs files)."""

from __future__ import annotations

import sys

from ..errors import UsageError


def file_label(path: str) -> str:
    """How messages name a file: <stdin> for '-', the path itself, or quoted when it is empty or has odd characters."""
    if path == "-":
        return "<stdin>"
    return path if path and path.isprintable() and path == path.strip() else repr(path)


def read_text(
    path: str, max_bytes: int, what: str, utf16: bool = False, kind: str = "file", where: str | None = None
) -> str:
    """The text of `path` ('-' for stdin): UTF-8, or UTF-16 with a byte-order mark, without the mark; refused past
    max_bytes (`what` says what the file should be, for the message). UTF-16 is read only where `utf16` says so
    (runs files, which spreadsheets export so; configs and law files are UTF-8, as YAML files in repositories are).

    `kind` names the file it should be ("law file") and `where` what named it (--law, or file:line: field): a path
    that is missing, a directory or a device is refused in those words (`--law: /tmp is a directory, not a law
    file`). Without `where`, the path itself leads the message."""
    import os
    import stat

    label = file_label(path)

    def refuse(problem: str) -> UsageError:
        if where is None or where == label:
            return UsageError(label, problem)
        return UsageError(where, f"{label} {problem}")

    try:
        if path == "-":
            if sys.stdin is None:
                raise UsageError(label, "stdin is closed")
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):  # /dev/zero, a disk, a socket
                    raise refuse(f"is a device, not a {kind}")
                data = handle.read(max_bytes + 1)  # never more: a huge file or endless pipe is refused, not read
    except FileNotFoundError:
        if where is None or where == label:
            raise UsageError(label, "no such file") from None
        raise UsageError(where, f"{kind} {path!r} not found") from None
    except IsADirectoryError:
        raise refuse(f"is a directory, not a {kind}") from None
    except OSError as error:
        raise refuse(f"cannot be read: {error.strerror}") from None
    if len(data) > max_bytes:
        raise UsageError(label, f"larger than {max_bytes:,} bytes; {what}")
    # UTF-16 with a byte-order mark is what Excel's "Unicode Text" (tab-separated) export writes.
    encoding = "utf-16" if utf16 and data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise UsageError(label, f"not {name} text ({error.reason} at byte {error.start})") from None
    return text
