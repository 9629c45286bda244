"""A law file (E, A, B, alpha, beta and optional provenance, range and bootstrap samples) -> ParametricLaw."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import UsageError
from ..laws import (
    FRONTIER_CONSTANTS,
    PARAMETRIC_CONSTANTS,
    PUBLISHED_COMPUTE_RANGE_FLOPS,
    FrontierLaw,
    ParametricLaw,
    frontier_constants_problem,
    parametric_constants_problem,
)
from .yaml_files import read_yaml, validate_model

#: Largest law file read, in bytes: fit writes one with up to 100,000 bootstrap samples, about 10 MB.
MAX_LAW_FILE_BYTES = 20_000_000


def load_law_file(path: str, where: str | None = None) -> ParametricLaw | FrontierLaw:
    """A law file (E, A, B, alpha, beta; optional name, source, dataset, fitted_range, rd_star and rn_star, bootstrap)
    -> ParametricLaw; a frontier file (kind: frontier) -> FrontierLaw. `where` is what named the file (--law)."""
    data, lines, label = read_yaml(
        path, max_bytes=MAX_LAW_FILE_BYTES, what="a law file holds five constants and at most 100,000 bootstrap samples",
        kind="law file", where=where,
    )  # fmt: skip
    if isinstance(data, dict) and data.get("kind") == "frontier":
        return frontier_law(path, data, lines, label)
    return parametric_law(path, data, lines, label)


def parametric_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> ParametricLaw:
    """A law file's data (read from `path`, or made by a fit) -> ParametricLaw, checked as a file is."""
    from .models import LawFile

    law_file = validate_model(LawFile, data, lines, label)
    problem = parametric_constants_problem([getattr(law_file, field) for field in PARAMETRIC_CONSTANTS])
    if problem is not None:
        field, why = problem
        raise UsageError(f"{label}:{lines.get((field,), 1)}", f"{field}: {why}")
    for field in ("rd_star", "rn_star"):
        value = getattr(law_file, field)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{label}:{lines.get((field,), 1)}", f"{field}: must be positive, got {value:g}")
    if (law_file.rd_star is None) != (law_file.rn_star is None):
        given = "rd_star" if law_file.rd_star is not None else "rn_star"
        raise UsageError(f"{label}:{lines.get((given,), 1)}", f"{given}: give both rd_star and rn_star, or neither")
    compute_range = law_file.fitted_range.compute_flops if law_file.fitted_range else None
    if compute_range is not None and not 0 < compute_range[0] < compute_range[1]:
        line = lines.get(("fitted_range", "compute_flops"), 1)
        raise UsageError(
            f"{label}:{line}",
            f"fitted_range.compute_flops: expected [min, max] with 0 < min < max, got {list(compute_range)}",
        )
    rows = law_file.bootstrap.samples if law_file.bootstrap else []
    return ParametricLaw(
        name=law_file.name or os.path.basename(path),
        E=law_file.E,
        A=law_file.A,
        B=law_file.B,
        alpha=law_file.alpha,
        beta=law_file.beta,
        source=law_file.source or f"law file {path}",
        dataset=law_file.dataset or "the data the law was fitted on",
        compute_range_flops=tuple(compute_range) if compute_range else PUBLISHED_COMPUTE_RANGE_FLOPS,
        samples=_samples(rows, PARAMETRIC_CONSTANTS, parametric_constants_problem, lines, label),
        interval_level=law_file.bootstrap.level if law_file.bootstrap else 0.9,
        rd_star=law_file.rd_star,
        rn_star=law_file.rn_star,
        runs_fingerprint=_fingerprint(law_file.runs_fingerprint),
    )


def law_file_problem(data: Mapping[str, Any]) -> str | None:
    """Why a law or frontier file holding `data` (as fit writes it) would be refused when read back with --law, or
    None: the file's own checks decide, so a fit never writes a file that --law then refuses."""
    try:
        if data.get("kind") == "frontier":
            frontier_law("", data, {(): 1}, "")
        else:
            parametric_law("", data, {(): 1}, "")
    except UsageError as error:
        return error.message
    return None


Row = tuple[float, float, float, float, float]


def _samples(
    rows: list[Row],
    names: tuple[str, ...],
    problem_of: Callable[[Sequence[float]], tuple[str, str] | None],
    lines: dict[tuple[str | int, ...], int],
    label: str,
) -> tuple[Row, ...]:
    """A law file's bootstrap rows, each held to what the law's own constants must be: a row that is not a law (a
    degenerate refit, which fit never writes) is refused at its line, not left out unsaid."""
    for index, row in enumerate(rows):
        problem = problem_of(row)
        if problem is not None:
            name, why = problem
            raise UsageError(
                f"{label}:{lines.get(('bootstrap', 'samples', index), 1)}",
                f"bootstrap.samples[{index}]: {name} {why} (a row holds {', '.join(names)})",
            )
    return tuple(rows)


def frontier_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> FrontierLaw:
    """A frontier file's data (read from `path`, or made by a fit) -> FrontierLaw, checked as a file is."""
    from .models import FrontierLawFile

    law_file = validate_model(FrontierLawFile, data, lines, label)
    problem = frontier_constants_problem([getattr(law_file, field) for field in FRONTIER_CONSTANTS])
    if problem is not None:
        field, why = problem
        raise UsageError(f"{label}:{lines.get((field,), 1)}", f"{field}: {why}")
    compute_range = law_file.fitted_range.compute_flops if law_file.fitted_range else None
    rows = law_file.bootstrap.samples if law_file.bootstrap else []
    return FrontierLaw(
        name=law_file.name or os.path.basename(path),
        k_n=law_file.k_n,
        a=law_file.a,
        E=law_file.E,
        A=law_file.A,
        gamma=law_file.gamma,
        source=law_file.source or f"frontier file {path}",
        dataset=law_file.dataset or "the data the law was fitted on",
        compute_range_flops=tuple(compute_range) if compute_range else PUBLISHED_COMPUTE_RANGE_FLOPS,
        samples=_samples(rows, FRONTIER_CONSTANTS, frontier_constants_problem, lines, label),
        interval_level=law_file.bootstrap.level if law_file.bootstrap else 0.9,
        runs_fingerprint=_fingerprint(law_file.runs_fingerprint),
    )


def _fingerprint(fingerprint: Any) -> tuple[int, str] | None:
    """A file's runs_fingerprint (models.RunsFingerprint) as laws keep it: (runs, sha256)."""
    return None if fingerprint is None else (fingerprint.runs, fingerprint.sha256)
