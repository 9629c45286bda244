"""The questions both front doors ask, the command line (cli/) and the Python API (api.py): values from any source
(flags, keywords, config files), checked by the inputs wing, answered by the domain. Each answer is the domain's
objects and the warnings to show; each door shows them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .inputs.values import Sourced
    from .output.records import Entry
    from .plans import Plan
    from .sweeps import Sweep


def plan_of(
    values: Mapping[str, Sourced], compare_laws: bool = False
) -> tuple[Plan, tuple[Plan, ...] | None, tuple[str, ...]]:
    """The plan for values from any source (keywords, flags, a config), for plan() and `budget`."""
    from .inputs.request import build_request
    from .plans import compare_laws as compare
    from .plans import make_plan, warnings_for

    request, warnings = build_request(values)
    made = make_plan(request)
    warnings += warnings_for(made)
    compared = None
    if compare_laws:
        others, notes = compare(request)
        compared, warnings = tuple(others), warnings + notes
    return made, compared, tuple(warnings)


def sweep_of(
    values: Mapping[str, Sourced],
    budgets: NDArray[np.float64],
    where: str,
    kind: str,
    compare_laws: bool = False,
    table: bool = False,
) -> tuple[Sweep, tuple[Sweep, ...], tuple[str, ...]]:
    """The sweep over `budgets` (of budget `kind`, given by `where`) with values from any source, for sweep() and
    `sweep`: the sweep's budgets replace a config's own; `table` sweeps are held to fewer rows."""
    from .inputs.budgets import check_sweep_size
    from .inputs.request import build_request
    from .inputs.values import Sourced, merge
    from .plans import laws_to_compare
    from .sweeps import make_sweep, sweep_under, sweep_warnings

    request, warnings = build_request(merge(values, {kind: Sourced(float(budgets[0]), where)}))
    check_sweep_size(len(budgets), where, table, request.blueprint is not None)
    plans = make_sweep(request, budgets)
    compared = tuple(sweep_under(plans, other) for other in laws_to_compare(request)) if compare_laws else ()
    return plans, compared, tuple(warnings + sweep_warnings(plans))


def config_paths(paths: Sequence[str], base_ref: str | None) -> list[str]:
    """The config files `paths` name: a file as itself; a folder as its YAML configs (not those of folders inside it,
    such as configs/laws/), or with base_ref only those that differ from that ref (changed, new or deleted)."""
    import glob
    import os

    from .inputs.git import changed_configs

    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
        elif base_ref is not None:
            files += changed_configs(base_ref, path)
        else:
            pattern = os.path.join(glob.escape(path), "*.y*ml")
            files += sorted(name for name in glob.glob(pattern) if name.endswith((".yaml", ".yml")))
    return files


def compare_entries(
    paths: Sequence[str], base_ref: str | None = None, loaded: Mapping[str, Mapping[str, Sourced]] | None = None
) -> tuple[list[Entry], list[int], list[str], list[UsageError]]:
    """Each config's plan (and, with base_ref, its version at that git ref before it), the index of each one's
    baseline, warnings, and errors: what compare() and `compare` compare. `loaded` holds configs already read, by
    path. A config that cannot be read or planned is left out with its error, and the others are still compared.

    With base_ref each entry says how the config changed: a config with a base version is "changed" or "unchanged"
    against it (the base version itself is "base"); one missing at the ref is "new", its own baseline; one missing
    here but present at the ref is "deleted", shown by its base version.
    """
    import os

    from .inputs.git import read_from_git
    from .inputs.request import build_request
    from .inputs.yaml_files import load_config as load
    from .output.records import Entry
    from .plans import assessed, make_plan, warnings_for

    entries: list[Entry] = []
    baselines: list[int] = []
    warnings: list[str] = []
    errors: list[UsageError] = []

    def entry(values: Mapping[str, Sourced], shown: str, change: str | None) -> tuple[Entry, list[str]]:
        request, notes = build_request(values)
        made = make_plan(request)
        name = values["name"].value if "name" in values else None
        said = [note if note.startswith(shown) else f"{shown}: {note}" for note in notes + warnings_for(made)]
        return Entry(shown, None if name is None else str(name), made, assessed(made), change), said

    def versions(path: str) -> list[tuple[Entry, list[str]]]:
        """The config's entries: its base version (with base_ref) and itself, as far as each exists."""
        here = loaded[path] if loaded and path in loaded else None
        if base_ref is None:
            return [entry(here or load(path), path, None)]
        base_text = read_from_git(base_ref, path)
        exists = here is not None or os.path.isfile(path)
        if base_text is None and not exists:
            raise UsageError(path, f"no such file, here or at {base_ref}")
        if base_text is None:
            return [entry(here or load(path), path, "new")]
        label = f"{base_ref}:{path}"
        base = entry(load(path, base_text, label), label, "base" if exists else "deleted")
        if not exists:
            return [base]
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            same = handle.read() == base_text
        return [base, entry(here or load(path), path, "unchanged" if same else "changed")]

    for path in config_paths(paths, base_ref):
        try:
            found = versions(path)
        except UsageError as error:
            if error.where.startswith("--base-ref"):
                raise  # the ref itself (unknown, or not a repository): one error for every config
            errors.append(error)
            continue
        first = len(entries) if base_ref is not None else 0  # with base_ref each is against its own base version
        for made, said in found:
            baselines.append(first)
            entries.append(made)
            warnings += said
    return entries, baselines, warnings, errors
