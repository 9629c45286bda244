"""A config as it was at a git ref (`compare --base-ref`)."""

from __future__ import annotations

import os

from ..errors import UsageError


def read_from_git(ref: str, path: str) -> str:
    """The text of `path` as it was at git `ref` (`git show ref:./path`, from the file's own directory)."""
    import subprocess

    directory = os.path.dirname(os.path.abspath(path))
    where = f"--base-ref {ref}"
    if ref.startswith("-") or not ref.strip():
        raise UsageError(where, "not a git ref (a ref is not empty and cannot start with '-')")  # never a git option

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", *args], cwd=directory, capture_output=True, timeout=60, check=False)
        except FileNotFoundError:
            raise UsageError(where, "git is not installed or not on PATH") from None
        except (OSError, subprocess.TimeoutExpired) as error:
            raise UsageError(where, f"cannot run git: {error}") from None

    if not os.path.isdir(directory) or git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UsageError(where, f"{path} is not in a git repository")
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(where, f"unknown git ref {ref!r}")
    shown = git("show", f"{ref}:./{os.path.basename(path)}")
    if shown.returncode != 0:
        raise UsageError(where, f"{path} does not exist at {ref}")
    try:
        return shown.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{ref}:{path}", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
