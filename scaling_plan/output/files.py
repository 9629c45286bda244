"""Files the tool writes: checked before any work, written whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import OutputError, UsageError


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
