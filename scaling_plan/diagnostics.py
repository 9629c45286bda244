"""What a fit's runs can and cannot tell: how many distinct sizes, token counts and budgets they hold against the
constants fitted, the seed-to-seed noise of repeated runs against the fit's residuals, constants at the edge of
what a law file holds, and the runs behind a fit that is no law (runs_behind).

Pure domain: `diagnose` takes the runs, the fit's log residuals and the family's needs, and says each finding in a
sentence; the answers layer adds the constants' ranges (inputs.fields) for `at_bounds`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .fitting import Fit, Runs

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

#: Runs with N and D equal to this many significant digits are repeats of one run (seeds, or restarts).
REPEAT_DIGITS = 4
#: Residuals this many times the seed-to-seed noise (both as RMS of log loss) are more than noise: a lack of fit.
LACK_OF_FIT_RATIO = 2.0
#: A constant this close to an end of its range (relative, or in log10 for a range over decades) sits at its bound.
BOUND_MARGIN = 0.01


@dataclass(frozen=True)
class Diagnostics:
    n_distinct_params: int
    n_distinct_tokens: int
    n_budgets: int  # distinct compute budgets (runs within 10% of each other's compute share one)
    n_repeat_groups: int  # (N, D) points run more than once
    seed_noise_log: float | None  # pooled standard deviation of log loss within those groups
    findings: tuple[str, ...]


def _distinct(values: Array) -> int:
    return len(np.unique(np.round(np.log(values), 6)))


def seed_noise(runs: Runs) -> tuple[int, float | None]:
    """The (N, D) points run more than once (with the unique tokens U, and a mixture's granularity and expansion,
    when the runs give them: the same N and D on less data, or with finer experts, is another run), and the pooled
    within-point standard deviation of their log loss."""
    extra = (runs.unique_tokens, runs.granularity, runs.experts)
    columns = [runs.n_params, runs.n_tokens, *(column for column in extra if column is not None)]
    keys = np.column_stack([np.round(np.log10(column), REPEAT_DIGITS) for column in columns])
    _, group, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    repeated = np.flatnonzero(counts > 1)
    if len(repeated) == 0:
        return 0, None
    log_loss = np.log(runs.loss_nats)
    squares, freedom = 0.0, 0
    for g in repeated:
        members = log_loss[group == g]
        squares += float(np.sum((members - members.mean()) ** 2))
        freedom += len(members) - 1
    return len(repeated), math.sqrt(squares / freedom)


def diagnose(
    runs: Runs,
    residual_log: Array,
    n_constants: int,
    on_frontier: bool,
    budgets: Array,
    at_bounds: tuple[str, ...] = (),
) -> Diagnostics:
    """The findings about a fit of `n_constants` constants to `runs` (the compute families' to one best run per
    budget): too few distinct N, D or budgets, a lack of fit beyond the seed-to-seed noise, constants at a bound."""
    n_params, n_tokens = _distinct(runs.n_params), _distinct(runs.n_tokens)
    n_budgets = len(np.unique(budgets))
    groups, noise = seed_noise(runs)
    findings = list(at_bounds)
    if on_frontier and n_budgets < n_constants + 2:
        findings.append(f"{n_budgets} budgets for {n_constants} constants: little is left to judge the fit by")
    if not on_frontier:
        for count, what, constants in ((n_params, "model sizes", "alpha and A"), (n_tokens, "token counts",
                                                                                 "beta and B")):  # fmt: skip
            if count < 3:
                findings.append(f"only {count} distinct {what}: {constants} rest on a line through {count} points")
        if runs.granularity is not None and _distinct(runs.granularity) < 3:
            count = _distinct(runs.granularity)
            findings.append(f"only {count} distinct granularities: g and gamma rest on a line through {count} points")
    rmse = float(np.sqrt(np.mean(residual_log**2)))
    if noise is not None and noise > 0 and rmse > LACK_OF_FIT_RATIO * noise:
        findings.append(
            f"residuals (RMSE {rmse:.3g} of log loss) are {rmse / noise:.1f} times the seed-to-seed noise ({noise:.3g},"
            f" from {groups} points run more than once): more than noise, the form misses these runs"
        )
    return Diagnostics(n_params, n_tokens, n_budgets, groups, noise, tuple(findings))


def bound_findings(constants: Mapping[str, float], ranges: Mapping[str, tuple[float, float]]) -> tuple[str, ...]:
    """Constants at (within BOUND_MARGIN of) an end of their range: the data pushed the fit to what a law may hold."""
    said = []
    for name, value in constants.items():
        if name not in ranges or not math.isfinite(value):
            continue
        low, high = ranges[name]
        decades = low > 0 and value > 0 and high / low > 100  # a range over decades is judged in log10
        for end, which in ((low, "lowest"), (high, "highest")):
            if decades:
                near = abs(math.log10(value / end)) <= BOUND_MARGIN * math.log10(high / low)
            else:
                near = abs(value - end) <= BOUND_MARGIN * (high - low)
            if near:
                said.append(f"{name} = {value:.4g} is at the {which} value a law file holds ({end:g})")
    return tuple(said)


#: A run of high leverage, far from the others in N or D, has a leverage above both of these. Above 1/2 it decides its
#: own fitted value more than all the other runs together (the hat matrix H is symmetric and idempotent, so
#: h_ii = Σ_j h_ij², and h_ii > 1/2 is h_ii² > Σ_{j≠i} h_ij²; Huber 1981, Robust Statistics, ch. 7, counts such a
#: point one to avoid). Above twice the mean leverage (rank/runs) it stands out from these runs (Hoaglin & Welsch
#: 1978, "The hat matrix in regression and ANOVA"): of 6 runs, every one has up to 1/2 on average, and none is far.
HIGH_LEVERAGE = 0.5
HIGH_LEVERAGE_TIMES_MEAN = 2.0


def leverage(runs: Runs) -> tuple[Array, float]:
    """Each run's leverage in a least-squares fit on (1, ln N, ln D), the coordinates the law is a function of: the
    weight of its own loss in its fitted value (the hat matrix's diagonal, from 0 to 1), and their mean. A run far
    from the others in N or D has a leverage near 1: the fit there is its alone."""
    design = np.column_stack([np.ones(len(runs)), np.log(runs.n_params), np.log(runs.n_tokens)])
    u, s, _ = np.linalg.svd(design, full_matrices=False)
    rank = s > s[0] * len(runs) * np.finfo(np.float64).eps  # D = r·N for every run leaves two directions, not three
    values: Array = np.sum(u[:, rank] ** 2, axis=1)
    return values, int(rank.sum()) / len(runs)


def runs_behind(runs: Runs, fit: Fit) -> tuple[list[int], bool]:
    """The runs behind a fit that is no law, where the runs can say: those of high leverage (HIGH_LEVERAGE), far from
    the others in N or D, and True; else the run the fit misses most (the largest |log predicted − log observed|)
    and False; else none (a fit that ran away has no residuals)."""
    values, mean = leverage(runs)
    high = [int(i) for i in np.flatnonzero(values > max(HIGH_LEVERAGE, HIGH_LEVERAGE_TIMES_MEAN * mean))]
    if high:
        return high, True
    if not fit.finite:
        return [], False
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant at 0 is a term of ln 0 = -inf, which adds none
        a, b, e = np.log([fit.A, fit.B, fit.E])
        terms = [a - fit.alpha * np.log(runs.n_params), b - fit.beta * np.log(runs.n_tokens), np.full(len(runs), e)]
        residual = np.abs(np.logaddexp.reduce(terms, axis=0) - np.log(runs.loss_nats))  # in log-sum-exp form, as fitted
    if not np.isfinite(residual).any():
        return [], False
    return [int(np.argmax(np.where(np.isfinite(residual), residual, -1.0)))], False
