"""Configs as they were at a git ref (`compare --base-ref`), and which configs differ from it."""

from __future__ import annotations

import os
import subprocess

from ..errors import UsageError


def _existing_directory(path: str) -> str:
    """The nearest directory of `path` that exists (a deleted config's own folder may be gone too)."""
    directory = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    return directory


def _git(directory: str, ref: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    where = f"--base-ref {ref}"
    try:
        return subprocess.run(["git", *args], cwd=directory, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise UsageError(where, "git is not installed or not on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(where, f"cannot run git: {error}") from None


def _check_ref(directory: str, ref: str, path: str) -> None:
    where = f"--base-ref {ref}"
    if ref.startswith("-") or not ref.strip():
        raise UsageError(where, "not a git ref (a ref is not empty and cannot start with '-')")  # never a git option
    if _git(directory, ref, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UsageError(where, f"{path} is not in a git repository")
    if _git(directory, ref, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(where, f"unknown git ref {ref!r}")


def read_from_git(ref: str, path: str) -> str | None:
    """The text of `path` as it was at git `ref`, or None when it did not exist there (a new config)."""
    directory = _existing_directory(path)
    _check_ref(directory, ref, path)
    relative = os.path.relpath(os.path.abspath(path), directory)
    shown = _git(directory, ref, "show", f"{ref}:./{relative}")
    if shown.returncode != 0:
        return None
    try:
        return shown.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{ref}:{path}", f"not UTF-8 text ({error.reason} at byte {error.start})") from None


#: The config files of a folder: its own YAML files (not those of folders inside it, such as configs/laws/).
CONFIG_PATTERNS = (":(glob)*.yaml", ":(glob)*.yml")


def changed_configs(ref: str, directory: str) -> list[str]:
    """The configs in `directory` that differ from `ref`: changed, added (committed or not) and deleted, sorted."""
    _check_ref(directory, ref, directory)
    lines: list[str] = []
    for args in (
        ("diff", "--relative", "--name-only", "--no-renames", ref, "--", *CONFIG_PATTERNS),
        ("ls-files", "--others", "--exclude-standard", "--", *CONFIG_PATTERNS),
    ):
        done = _git(directory, ref, *args)
        if done.returncode != 0:
            raise UsageError(
                f"--base-ref {ref}", f"git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}"
            )
        lines += done.stdout.decode("utf-8", errors="replace").splitlines()
    return sorted({os.path.join(directory, line) for line in lines if line.strip()})
