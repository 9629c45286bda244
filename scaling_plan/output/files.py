"""Files the tool writes (every -o and --plot): checked before any work, written whole or not at all, and never
written over anything but a regular file.

A regular file (or nothing yet) is written to a hidden temporary beside it, then renamed over it: a failed or
interrupted write leaves the old file as it was. A symbolic link is written through: the file it points to is
replaced, and the link stays a link. A character device or a FIFO (`-o /dev/stdout`, a named pipe) is written in
place, as a shell's `>` writes it: a rename would put a regular file where the device was. A directory, a block device
(a disk) and a socket are refused, and so is a file the command reads (its runs file, its law file): through a
symbolic or a hard link too, since writing it would destroy what the command is reading.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import OutputError, UsageError

#: What a path that cannot be written over is, by its file type.
_REFUSED = {stat.S_IFDIR: "a directory", stat.S_IFBLK: "a block device (a disk)", stat.S_IFSOCK: "a socket"}

#: File types written in place: a rename would replace them with a regular file.
_IN_PLACE = (stat.S_IFCHR, stat.S_IFIFO)


@dataclass(frozen=True)
class OutputFile:
    """A file a command writes, made by output_file() before any work: `path` as the user gave it (messages name
    it), `where` the flag that named it, and `target` the file a rename replaces (the one a symbolic link points
    to)."""

    path: str
    where: str
    target: str

    @property
    def extension(self) -> str:
        """The format its name gives: 'png' for figure.png (what a writer handed a file, not a name, needs told)."""
        return os.path.splitext(self.path)[1].lstrip(".").lower()

    def write(self, write: Callable[[BinaryIO], object]) -> None:
        """Call write(handle) to write the file whole: a regular file to a temporary beside `target`, renamed over
        it (on any failure the old file is left as it was); a device or FIFO in place, once the whole of it is made
        (it cannot seek back, as some writers do). An OSError is an OutputError."""
        kind = _file_type(self.path, self.where)  # again: the path may have changed while the command worked
        if kind in _IN_PLACE:
            made = io.BytesIO()
            write(made)
            sys.stdout.flush()  # what the command printed comes first, should the device be stdout itself
            try:
                with open(self.path, "wb") as out:
                    out.write(made.getvalue())
            except OSError as error:
                raise OutputError(self.where, f"cannot write {self.path}: {error.strerror or error}") from None
            return
        if kind is not None and kind != stat.S_IFREG:
            raise OutputError(self.where, f"{self.path} is now {_what(kind)}: not replaced")
        _replace(self.target, self.path, self.where, write)


def output_file(path: str, where: str, reading: Iterable[tuple[str | None, str]] = ()) -> OutputFile:
    """Check, before any work, a file the command will write (`where` names the flag): refuse what cannot or must
    not be written, and each of `reading` (a path the command reads, and what it is: "the runs file"; None when not
    given, '-' for stdin) that is the same file."""
    kind = _file_type(path, where)
    for source, what in reading:
        if source is not None and kind is not None and _same_file(path, source):
            raise UsageError(where, f"{path} is {what} being read; write to another file")
    if kind in _IN_PLACE:
        if not os.access(path, os.W_OK):
            raise UsageError(where, f"cannot write {path}: permission denied")
        return OutputFile(path, where, path)
    if kind is not None and kind != stat.S_IFREG:
        ending = "give a file name" if kind == stat.S_IFDIR else "give a file"
        raise UsageError(where, f"{path} is {_what(kind)}; {ending}")
    target = os.path.realpath(path) if os.path.islink(path) else path
    if target != path and kind is not None:  # a link whose path is not the file's (/proc/self/fd/1 to a deleted one)
        followed = _stat(target, where)
        if followed is None or not os.path.samestat(followed, os.stat(path)):
            raise UsageError(where, f"{path} cannot be followed to the file it names")
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise UsageError(where, f"cannot write in {directory}: no such directory")
    if not os.access(directory, os.W_OK):
        raise UsageError(where, f"cannot write in {directory}: permission denied")
    return OutputFile(path, where, target)


def _stat(path: str, where: str) -> os.stat_result | None:
    """The file `path` names, through any symbolic link; None when there is none (a dangling link is written
    through: the file it points to is made)."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:  # a loop of links, a file where a folder should be, a folder that cannot be searched
        raise UsageError(where, f"cannot write {path}: {error.strerror}") from None


def _file_type(path: str, where: str) -> int | None:
    status = _stat(path, where)
    return None if status is None else stat.S_IFMT(status.st_mode)


def _what(kind: int) -> str:
    return _REFUSED.get(kind, "not a regular file")


def _same_file(path: str, source: str) -> bool:
    """Whether `path` is the file `source` names ('-': stdin), by device and inode: through links of either kind."""
    try:
        read = os.fstat(0) if source == "-" else os.stat(source)
    except OSError:  # stdin closed, or no such file: nothing read there to destroy
        return False
    return os.path.samestat(os.stat(path), read)


def _replace(target: str, path: str, where: str, write: Callable[[BinaryIO], object]) -> None:
    """write() a temporary beside `target`, then rename it over `target`; on any failure `target` is left as it
    was."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(target))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".scaling-plan-", suffix=os.path.splitext(path)[1], dir=directory)
    except OSError as error:
        raise OutputError(where, f"cannot write in {directory}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        try:  # the file it replaces keeps its permissions; a new one gets those open() would give it
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes 0600
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(where, f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
