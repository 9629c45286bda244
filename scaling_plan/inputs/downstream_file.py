"""A downstream file (`fit-downstream --output`) -> downstream.Mapping, checked where it is read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..downstream import CONSTANT_NAMES, DownstreamMapping, constants_problem
from ..errors import UsageError
from .yaml_files import read_yaml, validate_model

#: Largest downstream file read, in bytes: 100,000 bootstrap rows of three constants are about 6 MB.
MAX_DOWNSTREAM_FILE_BYTES = 20_000_000


def load_downstream_file(path: str, where: str | None = None) -> DownstreamMapping:
    """The mapping a downstream file holds; every problem is one line naming file:line and the field, or `where`
    (what named the file: --downstream) when it cannot be read."""
    data, lines, label = read_yaml(
        path, max_bytes=MAX_DOWNSTREAM_FILE_BYTES, what="a downstream file holds a few constants and bootstrap rows",
        kind="downstream file", where=where,
    )  # fmt: skip
    return downstream_mapping(path, data, lines, label)


def downstream_file_problem(data: Mapping[str, Any]) -> str | None:
    """Why a downstream file holding `data` (as fit-downstream writes it) would be refused when read back with
    --downstream, or None: the file's own checks decide."""
    try:
        downstream_mapping("", data, {(): 1}, "")
    except UsageError as error:
        return error.message
    return None


def downstream_mapping(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> DownstreamMapping:
    """A downstream file's data (read from `path`, or made by a fit) -> DownstreamMapping, checked as a file is."""
    from .models import DownstreamFile

    if not (isinstance(data, dict) and data.get("kind") == "downstream"):
        raise UsageError(label, "not a downstream file (kind: downstream), as fit-downstream --output writes")
    model = validate_model(DownstreamFile, data, lines, label)
    names = CONSTANT_NAMES[model.form]
    if set(model.constants) != set(names):
        raise UsageError(
            f"{label}:{lines.get(('constants',), 1)}",
            f"constants: a {model.form} mapping has {', '.join(names)}, got {', '.join(model.constants) or 'none'}",
        )
    problem = constants_problem(model.form, [model.constants[name] for name in names])
    if problem is not None:
        name, why = problem
        raise UsageError(f"{label}:{lines.get(('constants', name), 1)}", f"constants.{name}: {why}")
    if model.form == "sigmoid" and not model.floor < model.ceiling:
        raise UsageError(f"{label}:{lines.get(('ceiling',), 1)}", "ceiling: must be above the floor")
    low, high = model.fitted_range.loss_nats
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= high):
        raise UsageError(
            f"{label}:{lines.get(('fitted_range', 'loss_nats'), 1)}",
            f"fitted_range.loss_nats: expected [lowest, highest] with 0 < lowest <= highest, got {[low, high]}",
        )
    rows = model.bootstrap.samples if model.bootstrap else []
    for index, row in enumerate(rows):
        where = f"{label}:{lines.get(('bootstrap', 'samples', index), 1)}"
        if len(row) != len(names):
            raise UsageError(
                where, f"bootstrap.samples[{index}]: expected {len(names)} values ({', '.join(names)}), got {len(row)}"
            )
        problem = constants_problem(model.form, row)
        if problem is not None:  # a refit that is no mapping, which fit-downstream never writes
            raise UsageError(
                where, f"bootstrap.samples[{index}]: {problem[0]} {problem[1]} (a row holds {', '.join(names)})"
            )
    return DownstreamMapping(
        name=model.name,
        metric=model.metric,
        form=model.form,
        constants=tuple(model.constants[name] for name in names),
        chance=model.chance,
        floor=model.floor,
        ceiling=model.ceiling,
        loss_range_nats=(low, high),
        dataset=model.dataset or "the data the mapping was fitted on",
        source=model.source or f"downstream file {path}",
        samples=tuple(tuple(row) for row in rows),
        interval_level=model.bootstrap.level if model.bootstrap else 0.9,
    )
