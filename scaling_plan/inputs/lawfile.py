"""A law file (E, A, B, alpha, beta and optional provenance, range and bootstrap samples) -> ParametricLaw; the other
kinds fit writes: a frontier (kind: frontier) or broken frontier (kind: broken) -> FrontierLaw, and Kaplan's joint
law (kind: kaplan) -> KaplanLaw, and a mixture of experts' (kind: moe) -> MoELaw."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..laws import (
    MAX_LOG10_MAGNITUDE,
    PUBLISHED_COMPUTE_RANGE_FLOPS,
    FrontierLaw,
    KaplanLaw,
    ParametricLaw,
    optimum_magnitude,
)
from .fields import FILE_NUMBER, REPETITION_SAMPLE_CONSTANTS, SAMPLE_CONSTANTS, range_problem
from .yaml_files import read_yaml, validate_model

if TYPE_CHECKING:
    from ..moe import MoELaw

#: Largest law file read, in bytes: fit writes one with up to 100,000 bootstrap samples, about 10 MB.
MAX_LAW_FILE_BYTES = 20_000_000


def load_law_file(path: str, where: str | None = None) -> ParametricLaw | FrontierLaw | KaplanLaw:
    """A law file (E, A, B, alpha, beta; optional name, source, dataset, fitted_range, rd_star and rn_star, bootstrap)
    -> ParametricLaw; a frontier file (kind: frontier or broken) -> FrontierLaw; kind: kaplan -> KaplanLaw. `where` is
    what named the file (--law)."""
    data, lines, label = read_yaml(
        path, max_bytes=MAX_LAW_FILE_BYTES, what="a law file holds five constants and at most 100,000 bootstrap samples",
        kind="law file", where=where,
    )  # fmt: skip
    return law_of_data(path, data, lines, label)


def law_of_data(
    path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str
) -> ParametricLaw | FrontierLaw | KaplanLaw:
    """A law file's data, by its kind, -> its law, checked as a file is."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind in ("frontier", "broken"):
        return frontier_law(path, data, lines, label)
    if kind == "kaplan":
        return kaplan_law(path, data, lines, label)
    if kind == "moe":
        return moe_law(path, data, lines, label)
    return parametric_law(path, data, lines, label)


def parametric_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> ParametricLaw:
    """A law file's data (read from `path`, or made by a fit) -> ParametricLaw, checked as a file is."""
    from .models import LawFile

    _check_row_widths(data, lines, label)
    law_file = validate_model(LawFile, data, lines, label)  # each constant in its range (fields.FILE_NUMBERS)
    magnitude = optimum_magnitude(law_file.A, law_file.B, law_file.alpha, law_file.beta)
    if magnitude > MAX_LOG10_MAGNITUDE:
        raise UsageError(
            f"{label}:{lines.get(('alpha',), 1)}",
            f"alpha = {law_file.alpha:g}, beta = {law_file.beta:g}, A = {law_file.A:g} and B = {law_file.B:g} together"
            f" {_past_floating_point(magnitude)}",
        )
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
    # a law fitted with repetition keeps each refit's R_D* and R_N* (older files keep the five, refits its own two)
    repeated = bool(rows) and len(rows[0]) == len(REPETITION_SAMPLE_CONSTANTS)
    if repeated and law_file.rd_star is None:
        raise UsageError(
            f"{label}:{lines.get(('bootstrap', 'samples'), 1)}",
            "bootstrap.samples: rows of seven (E, A, B, alpha, beta, rd_star, rn_star) are a law fitted with"
            " repetition's, and the law gives no rd_star and rn_star of its own",
        )
    names = REPETITION_SAMPLE_CONSTANTS if repeated else None
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
        samples=checked_samples("law", rows, lines, label, names) if rows else (),
        interval_level=law_file.bootstrap.level if law_file.bootstrap else 0.9,
        rd_star=law_file.rd_star,
        rn_star=law_file.rn_star,
        runs_fingerprint=_fingerprint(law_file.runs_fingerprint),
    )


def _check_row_widths(data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> None:
    """A law file's bootstrap rows are all of five (E, A, B, alpha, beta) or all of seven (with rd_star and rn_star):
    said in those words, before the model's own check names the tuples it tried."""
    bootstrap = data.get("bootstrap") if isinstance(data, dict) else None
    rows = bootstrap.get("samples") if isinstance(bootstrap, dict) else None
    if not isinstance(rows, list):
        return
    widths = [len(row) for row in rows if isinstance(row, list)]
    for index, width in enumerate(widths):
        if width not in (5, len(REPETITION_SAMPLE_CONSTANTS)) or width != widths[0]:
            raise UsageError(
                f"{label}:{lines.get(('bootstrap', 'samples', index), 1)}",
                f"bootstrap.samples[{index}]: a row of {width}; the rows are all of five (E, A, B, alpha, beta), or"
                " all of seven (E, A, B, alpha, beta, rd_star, rn_star) for a law fitted with repetition",
            )


def law_file_problem(data: Mapping[str, Any]) -> str | None:
    """Why a law or frontier file holding `data` (as fit writes it) would be refused when read back with --law, or
    None: the file's own checks decide, so a fit never writes a file that --law then refuses."""
    try:
        law_of_data("", data, {(): 1}, "")
    except UsageError as error:
        return error.message
    return None


def _past_floating_point(magnitude: float) -> str:
    """What a law's constants do when its optimum leaves floating point (laws.optimum_magnitude)."""
    return (
        f"put the compute-optimal N or D, or a loss term there, near 1e{magnitude:.0f} between 1 and 1e60 FLOPs, past"
        " floating point: no fit of real runs gives these"
    )


def sample_faults(kind: str, samples: Any, names: tuple[str, ...] | None = None) -> Any:
    """Which bootstrap rows (E, A, B, alpha, beta for kind "law"; k_n, a, E, A, gamma for "frontier"; or the
    `names` given, such as a data-constrained law's with its R_D* and R_N*) a law file may not hold: a constant
    outside its range (fields.FILE_NUMBERS; NaN and inf too) or, for a law, constants whose optimum leaves floating
    point (laws.optimum_magnitude). A boolean per row."""
    import numpy as np

    names = SAMPLE_CONSTANTS[kind] if names is None else names
    rows = np.asarray(samples, dtype=float).reshape(-1, len(names))
    faults = np.zeros(len(rows), dtype=bool)
    for column, name in enumerate(names):
        number = FILE_NUMBER[(kind, name)]
        values = rows[:, column]
        low_ok = values >= number.low if number.low_inclusive else values > number.low
        high_ok = values <= number.high if number.high_inclusive else values < number.high
        faults |= ~(low_ok & high_ok)  # NaN fails both
    if kind == "law":
        with np.errstate(invalid="ignore"):
            faults |= ~(np.asarray(optimum_magnitude(*rows[:, 1:5].T)) <= MAX_LOG10_MAGNITUDE)
    return faults


def checked_samples(
    kind: str,
    samples: Any,
    lines: dict[tuple[str | int, ...], int],
    label: str,
    names: tuple[str, ...] | None = None,
) -> tuple[tuple[float, ...], ...]:
    """A file's bootstrap rows (of the kind's constants, or `names` of it), each one a law of the file's kind could
    be (sample_faults); the first that is not is refused, by its line and index: a row left out silently would narrow
    the intervals it gives."""
    faults = sample_faults(kind, samples, names) if samples else ()
    for index, fault in enumerate(faults):
        if not fault:
            continue
        where = f"{label}:{lines.get(('bootstrap', 'samples', index), 1)}"
        row = samples[index]
        for name, value in zip(names or SAMPLE_CONSTANTS[kind], row, strict=True):
            problem = range_problem(FILE_NUMBER[(kind, name)], value)
            if problem is not None:
                raise UsageError(where, f"bootstrap.samples[{index}]: {name}: {problem}")
        magnitude = optimum_magnitude(*row[1:])
        raise UsageError(where, f"bootstrap.samples[{index}]: A, B, alpha and beta {_past_floating_point(magnitude)}")
    return tuple(tuple(row) for row in samples)


def frontier_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> FrontierLaw:
    """A frontier file's data (read from `path`, or made by a fit; kind frontier or broken) -> FrontierLaw, checked
    as a file is."""
    from .models import BrokenLawFile, FrontierLawFile

    kind = data.get("kind") if isinstance(data, dict) else None
    model = BrokenLawFile if kind == "broken" else FrontierLawFile
    law_file = validate_model(model, data, lines, label)  # each constant in its range (FILE_NUMBERS)
    compute_range = law_file.fitted_range.compute_flops if law_file.fitted_range else None
    broken = isinstance(law_file, BrokenLawFile)
    if broken and not law_file.gamma + law_file.gamma_change > 0:
        raise UsageError(
            f"{label}:{lines.get(('gamma_change',), 1)}",
            f"gamma_change: gamma + gamma_change = {law_file.gamma + law_file.gamma_change:g}: the loss would rise"
            " with compute past the break",
        )
    sampled = "broken" if broken else "frontier"
    rows = checked_samples(sampled, law_file.bootstrap.samples, lines, label) if law_file.bootstrap else ()
    extra: dict[str, Any] = {}
    if isinstance(law_file, BrokenLawFile):
        extra = {"gamma_change": law_file.gamma_change, "break_flops": law_file.break_flops,
                 "sharpness": law_file.sharpness}  # fmt: skip
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
        samples=rows,
        interval_level=law_file.bootstrap.level if law_file.bootstrap else 0.9,
        runs_fingerprint=_fingerprint(law_file.runs_fingerprint),
        **extra,
    )


def kaplan_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> KaplanLaw:
    """A Kaplan law file's data (kind: kaplan, as `fit --form kaplan` writes it) -> KaplanLaw, allocating by its own
    optimum, checked as a file is."""
    from .models import KaplanLawFile

    law_file = validate_model(KaplanLawFile, data, lines, label)
    return KaplanLaw(
        alpha_n=law_file.alpha_n,
        alpha_d=law_file.alpha_d,
        n_c=law_file.n_c,
        d_c=law_file.d_c,
        frontier_n_coefficient=None,
        n_params_kind="total",  # as a fitted law of E + A/N^alpha + B/D^beta counts them: the runs' own count
        **_fitted_file("kaplan", law_file, path, lines, label),
    )


def moe_law(path: str, data: Any, lines: dict[tuple[str | int, ...], int], label: str) -> MoELaw:
    """A mixture-of-experts law file's data (kind: moe, as `fit --form moe` writes it) -> MoELaw, allocating N_act,
    D and the granularity by its own optimum under Krajewski et al. 2024's eq. 10 FLOPs, checked as a file is."""
    from ..moe import MoELaw
    from .models import MoELawFile

    law_file = validate_model(MoELawFile, data, lines, label)
    return MoELaw(
        E=law_file.E,
        A=law_file.A,
        B=law_file.B,
        alpha=law_file.alpha,
        beta=law_file.beta,
        g=law_file.g,
        gamma=law_file.gamma,
        expansion=law_file.expansion,
        n_params_kind="active non-embedding",
        **_fitted_file("moe", law_file, path, lines, label),  # bootstrap rows of seven: MoELaw.refits reads them
    )


def _fitted_file(kind: str, law_file: Any, path: str, lines: dict[tuple[str | int, ...], int], label: str) -> Any:
    """What a law of a file `fit --form` writes keeps of the file besides its constants: its name, source and
    dataset, the compute it was fitted on, its checked bootstrap rows and interval level, and its runs."""
    compute_range = law_file.fitted_range.compute_flops if law_file.fitted_range else None
    return {
        "name": law_file.name or os.path.basename(path),
        "source": law_file.source or f"law file {path}",
        "dataset": law_file.dataset or "the data the law was fitted on",
        "compute_range_flops": tuple(compute_range) if compute_range else PUBLISHED_COMPUTE_RANGE_FLOPS,
        "samples": checked_samples(kind, law_file.bootstrap.samples, lines, label) if law_file.bootstrap else (),
        "interval_level": law_file.bootstrap.level if law_file.bootstrap else 0.9,
        "runs_fingerprint": _fingerprint(law_file.runs_fingerprint),
    }


def _fingerprint(fingerprint: Any) -> tuple[int, str] | None:
    """A file's runs_fingerprint (models.RunsFingerprint) as laws keep it: (runs, sha256)."""
    return None if fingerprint is None else (fingerprint.runs, fingerprint.sha256)
