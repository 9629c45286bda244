"""The questions both front doors ask, the command line (cli/) and the Python API (api.py): values from any source
(flags, keywords, config files), checked by the inputs wing, answered by the domain. Each answer is the domain's
objects and the warnings to show; each door shows them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

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


def compare_entries(
    paths: Sequence[str], base_ref: str | None = None, loaded: Mapping[str, Mapping[str, Sourced]] | None = None
) -> tuple[list[Entry], list[int], list[str]]:
    """Each config's plan (and, with base_ref, its version at that git ref before it), the index of each one's
    baseline, and warnings: what compare() and `compare` compare. `loaded` holds configs already read, by path."""
    from .inputs.git import read_from_git
    from .inputs.request import build_request
    from .inputs.yaml_files import load_config as load
    from .output.records import Entry
    from .plans import assessed, make_plan, warnings_for

    entries: list[Entry] = []
    baselines: list[int] = []
    warnings: list[str] = []

    def add(values: Mapping[str, Sourced], shown: str) -> None:
        request, notes = build_request(values)
        made = make_plan(request)
        name = values["name"].value if "name" in values else None
        warnings.extend(note if note.startswith(shown) else f"{shown}: {note}" for note in notes + warnings_for(made))
        entries.append(Entry(shown, None if name is None else str(name), made, assessed(made)))

    for path in paths:
        if base_ref is not None:
            baselines += [len(entries), len(entries)]
            label = f"{base_ref}:{path}"
            add(load(path, read_from_git(base_ref, path), label), label)
        else:
            baselines.append(0)
        add(loaded[path] if loaded and path in loaded else load(path), path)
    return entries, baselines, warnings
