"""Which runs to train next: the small runs that most narrow the interval on what matters at the target budget.

A scaling study is a loop: train a few runs, fit, add runs, refit, until the prediction for the big run is sharp
enough. Given a law fitted with bootstrap refits and the runs it was fitted on, this proposes the next runs by a
linearised optimal design (the c-optimal criterion of experimental design: the variance of one quantity):

- a run at (N, D) measures ln L(N, D) with the runs' own residual variance σ² (of log loss about the fit), so it
  carries the information J·Jᵀ/σ² about θ = (ln A, α, ln B, β, ln E), J = ∂ ln L/∂θ at the fit; the runs so far
  give the covariance Σ = (Σ_runs J·Jᵀ/σ²)⁻¹ (not the refits' own covariance, which the few refits that ran to a
  vanishing term, E -> 0, dominate: in six simulated studies of three rounds, designs from it narrowed the interval
  every round in four, these in all six);
- the quantity q is ln N_opt(C) at the target compute (objective n-opt) or the frontier's ln L_opt(C) (loss), with
  gradient g = ∂q/∂θ at the fit, so that Var(q) ≈ gᵀΣg; a new run makes Σ' = Σ − Σ·J·Jᵀ·Σ / (σ² + Jᵀ·Σ·J);
- candidates span sizes from N*/4 to 4·N* around the law's optimum at budgets from the smallest run's compute to the
  per-run cap; each step takes the candidate that lowers gᵀΣg most while the remaining total budget still affords
  the rest of the runs (greedy, one run at a time, each run once).

The interval widths it reports are the current bootstrap interval's, scaled by sqrt(gᵀΣ'g / gᵀΣg): what the
linearisation expects; refitting on the new runs (with their real losses) measures what they did.

A frontier law (Approach 2: `fit --approach isoflop`) learns from whole isoFLOP profiles, each budget's minimum one
point of a line: ln N_opt = ln k_n + a·ln C (and of L_opt = E + A·C^-gamma for the loss). There each suggestion is a
budget with its profile of PROFILE_SIZES sizes, and the design is the same over the profiles' minima: the points so
far give Σ = σ²·(XᵀX)⁻¹, σ² their residual variance about the frontier, and a new budget C adds the row x(C).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .choices import SUGGEST_OBJECTIVES as OBJECTIVES
from .errors import UsageError, named
from .laws import FLOPS_PER_PARAM_TOKEN, FrontierLaw, Law, ParametricLaw
from .units import counted, format_scientific

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from .fitting import Runs

    Array = NDArray[np.float64]

#: Runs proposed unless told otherwise.
COUNT_DEFAULT = 5
#: Without --max-run-flops, a next run may spend up to this many times the largest run so far.
MAX_RUN_FACTOR_DEFAULT = 10.0
#: The candidate grid: budgets per factor of ten, and sizes per budget from N*/SPREAD to N*·SPREAD (as experiments).
BUDGETS_PER_DECADE = 8
SIZES_PER_BUDGET = 9
SPREAD = 4.0
#: Step of the central differences that give g = ∂q/∂θ.
GRADIENT_STEP = 1e-6
#: Sizes of each isoFLOP profile suggested for a frontier law (as experiments' grids; a parabola needs 4).
PROFILE_SIZES = 5


@dataclass(frozen=True)
class SuggestedRun:
    run: int
    budget_flops: float
    n_params: float
    n_tokens: float
    expected_optimal_n_params: float  # the law's N_opt at this budget
    expected_relative_width: float  # of the interval at the target, once this run and those before it are added

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params


@dataclass(frozen=True)
class Suggestion:
    objective: str
    target_flops: float
    value: float  # N_opt (parameters) or L_opt (nats/token) at the target, under the fitted law
    interval: tuple[float, float]  # the current bootstrap interval on it
    level: float
    runs: tuple[SuggestedRun, ...]
    design: str  # "runs" (a parametric law), or "isoflop profiles" (a frontier law: a budget each)
    noise: float  # σ: the RMS residual, about the fit, of what each new measurement measures
    noise_of: str  # what that is: each run's log loss, or each isoFLOP minimum's ln N_opt or loss
    n_candidates: int  # runs (a parametric law) or budgets (a frontier) to choose from
    max_run_flops: float
    budget_flops: float | None

    @property
    def relative_width(self) -> float:
        """The current interval's width over the value."""
        return (self.interval[1] - self.interval[0]) / self.value

    @property
    def expected_relative_width(self) -> float:
        return self.runs[-1].expected_relative_width if self.runs else self.relative_width

    @property
    def total_flops(self) -> float:
        return float(sum(run.budget_flops for run in self.runs))


def _theta(law: ParametricLaw) -> Array:
    return np.array([math.log(law.A), law.alpha, math.log(law.B), law.beta, math.log(law.E)])


def _quantity(objective: str, theta: Array, target_flops: float) -> Array:
    """ln N_opt(C) or ln L_opt(C) for rows of θ (closed form: Hoffmann et al. 2022, eq. 4)."""
    log_a, alpha, log_b, beta, log_e = (theta[..., i] for i in range(5))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_g = (np.log(alpha) + log_a - np.log(beta) - log_b) / (alpha + beta)
        log_n = log_g + beta / (alpha + beta) * math.log(target_flops / FLOPS_PER_PARAM_TOKEN)
        if objective == "n-opt":
            result: Array = log_n
            return result
        log_d = math.log(target_flops / FLOPS_PER_PARAM_TOKEN) - log_n
        loss: Array = np.log(np.exp(log_e) + np.exp(log_a - alpha * log_n) + np.exp(log_b - beta * log_d))
        return loss


def _jacobian(theta: Array, log_n: Array, log_d: Array) -> Array:
    """∂ ln L(N, D)/∂θ for each (N, D): rows of (u, -u·ln N, v, -v·ln D, w), the terms' shares of the loss."""
    log_a, alpha, log_b, beta, log_e = theta
    n_term, d_term = np.exp(log_a - alpha * log_n), np.exp(log_b - beta * log_d)
    total = n_term + d_term + math.exp(log_e)
    u, v, w = n_term / total, d_term / total, math.exp(log_e) / total
    jacobian: Array = np.column_stack([u, -u * log_n, v, -v * log_d, w])
    return jacobian


def _sizes_at(law: Law, budget: float, count: int) -> list[tuple[float, float, float, float]]:
    """Rows of (C, N, D, N_opt(C)): `count` sizes from N*/SPREAD to N*·SPREAD around the law's optimum at C, with
    whole parameters and tokens (as a trainer counts them)."""
    optimal, _ = law.optimum(budget)
    rows = []
    for position in np.linspace(-1.0, 1.0, count):
        n_params = float(round(float(optimal) * SPREAD**position))
        n_tokens = float(round(budget / (FLOPS_PER_PARAM_TOKEN * n_params))) if n_params >= 1 else 0.0
        if n_params >= 1 and n_tokens >= 1:
            rows.append((budget, n_params, n_tokens, float(optimal)))
    return rows


def _candidates(law: Law, low_flops: float, high_flops: float) -> Array:
    """Rows of (C, N, D, N_opt(C)) on the grid of budgets and sizes."""
    # Budgets on a grid of BUDGETS_PER_DECADE steps per decade (1e19, 1.33e19, 1.78e19, ...), to 3 figures, within
    # the range; and the range's ends themselves.
    steps = np.arange(math.ceil(math.log10(low_flops) * BUDGETS_PER_DECADE),
                      math.floor(math.log10(high_flops) * BUDGETS_PER_DECADE) + 1)  # fmt: skip
    inside = [float(f"{10.0 ** (step / BUDGETS_PER_DECADE):.3g}") for step in steps]
    budgets = sorted({low_flops, high_flops, *(b for b in inside if low_flops <= b <= high_flops)})
    return np.array([row for budget in budgets for row in _sizes_at(law, budget, SIZES_PER_BUDGET)]).reshape(-1, 4)


def _run(number: int, row: Sequence[float], width: float) -> SuggestedRun:
    budget, n_params, n_tokens, optimal = (float(x) for x in row)
    return SuggestedRun(number, budget, n_params, n_tokens, optimal, width)


def _per_run_cap(law: Law, runs: Runs, target_flops: float, max_run_flops: float | None, objective: str) -> float:
    """The most one next run may spend (default 10x the largest so far, never past the target), once the question
    is checked: an objective known, a law with refits, a target above the runs."""
    if objective not in OBJECTIVES:
        raise UsageError("objective", f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if not getattr(law, "samples", ()):
        raise UsageError(
            "law", f"{law.name} has no bootstrap refits: fit it with {named('bootstrap')} (e.g. 200) first"
        )
    largest = float(runs.compute_flops.max())
    if target_flops <= largest:
        raise UsageError(
            "target",
            f"{format_scientific(target_flops)} FLOPs is not above the largest run so far ({format_scientific(largest)}"
            " FLOPs): nothing to extrapolate to",
        )
    cap = MAX_RUN_FACTOR_DEFAULT * largest if max_run_flops is None else max_run_flops
    return min(cap, target_flops)  # a next run is a small run: never past the target itself


def suggest_runs(
    law: ParametricLaw,
    runs: Runs,
    target_flops: float,
    count: int = COUNT_DEFAULT,
    max_run_flops: float | None = None,
    budget_flops: float | None = None,
    objective: str = "n-opt",
) -> Suggestion:
    """The next `count` runs for `law` (with bootstrap refits) fitted to `runs`, to narrow `objective` at
    `target_flops`; each run at most `max_run_flops` (default 10x the largest run), all of them at most
    `budget_flops` together. Refuses, naming the flag, what cannot be planned."""
    cap = _per_run_cap(law, runs, target_flops, max_run_flops, objective)
    smallest = float(runs.compute_flops.min())
    if cap < smallest:
        raise UsageError(
            "max_run_flops",
            f"{format_scientific(cap)} FLOPs is below the smallest run so far ({format_scientific(smallest)} FLOPs):"
            " no run fits under it",
        )
    candidates = _candidates(law, smallest, cap)
    if budget_flops is not None and budget_flops < candidates[:, 0].min():
        raise UsageError(
            "budget_flops",
            f"{format_scientific(budget_flops)} FLOPs affords no run: the smallest candidate spends"
            f" {format_scientific(float(candidates[:, 0].min()))} FLOPs",
        )

    theta = _theta(law)
    rows = np.array(law.samples, dtype=float)  # (E, A, B, alpha, beta) per refit
    rows = rows[np.all(np.isfinite(rows) & (rows > 0), axis=1)]  # a refit that ran to a vanishing term says nothing
    samples = np.column_stack([np.log(rows[:, 1]), rows[:, 3], np.log(rows[:, 2]), rows[:, 4], np.log(rows[:, 0])])
    values = np.exp(_quantity(objective, samples, target_flops))
    values = values[np.isfinite(values)]
    tail = 100 * (1 - law.interval_level) / 2
    low, high = (float(v) for v in np.percentile(values, [tail, 100 - tail]))
    value = float(np.exp(_quantity(objective, theta, target_flops)))
    predicted = np.log(law.loss(runs.n_params, runs.n_tokens))
    noise = float(np.sqrt(np.mean((predicted - np.log(runs.loss_nats)) ** 2)))
    # The runs' own information about θ at the fit (Gauss-Newton), not the refits' covariance: a few refits that ran
    # to a vanishing term (E -> 0) would dominate that, and their directions say nothing about a run's effect here.
    measured = _jacobian(theta, np.log(runs.n_params), np.log(runs.n_tokens))
    covariance = np.linalg.pinv(measured.T @ measured / noise**2, rcond=1e-12, hermitian=True)
    step = GRADIENT_STEP * np.maximum(np.abs(theta), 1.0)
    gradient = np.array([
        (_quantity(objective, theta + np.eye(5)[i] * step[i], target_flops)
         - _quantity(objective, theta - np.eye(5)[i] * step[i], target_flops)) / (2 * step[i])
        for i in range(5)
    ])  # fmt: skip
    variance_now = float(gradient @ covariance @ gradient)
    if not (variance_now > 0 and noise > 0):
        raise UsageError("law", f"{law.name}'s refits leave no spread at the target: nothing to narrow")

    jacobians = _jacobian(theta, np.log(candidates[:, 1]), np.log(candidates[:, 2]))
    width_now = (high - low) / value
    picks = _greedy(covariance, gradient, jacobians, noise, candidates[:, 0], count, budget_flops)
    chosen = [
        _run(index + 1, candidates[pick], width_now * math.sqrt(variance / variance_now))
        for index, (pick, variance) in enumerate(picks)
    ]
    return Suggestion(
        objective, target_flops, value, (low, high), law.interval_level, tuple(chosen), "runs", noise,
        "the runs' log loss",
        len(candidates), cap, budget_flops,
    )  # fmt: skip


def _greedy(
    covariance: Array,
    gradient: Array,
    jacobians: Array,
    noise: float,
    costs: Array,
    count: int,
    budget_flops: float | None,
) -> list[tuple[int, float]]:
    """Up to `count` candidates, one at a time, each lowering gᵀΣg most among those the remaining total budget
    affords (keeping enough for the rest at the cheapest cost); each with the variance it leaves."""
    available = np.ones(len(costs), dtype=bool)
    remaining = math.inf if budget_flops is None else budget_flops
    cheapest = float(costs.min())
    picks: list[tuple[int, float]] = []
    for index in range(count):
        reserve = (count - index - 1) * cheapest  # what the picks after this one need at the least
        affordable = available & (costs <= remaining - reserve + 1e-9 * remaining)
        if not affordable.any():
            break
        sigma_j = jacobians @ covariance  # (K, P): Σ·J for each candidate (Σ is symmetric)
        reduction = (sigma_j @ gradient) ** 2 / (noise**2 + np.einsum("kp,kp->k", sigma_j, jacobians))
        best = int(np.argmax(np.where(affordable, reduction, -np.inf)))
        spread = sigma_j[best]
        covariance = covariance - np.outer(spread, spread) / (noise**2 + float(spread @ jacobians[best]))
        available[best] = False
        remaining -= float(costs[best])
        picks.append((best, max(float(gradient @ covariance @ gradient), 0.0)))
    return picks


def suggest_budgets(
    law: FrontierLaw,
    runs: Runs,
    budgets: Array,
    target_flops: float,
    count: int = 1,
    max_run_flops: float | None = None,
    budget_flops: float | None = None,
    objective: str = "n-opt",
) -> Suggestion:
    """For a frontier law fitted to `runs` (each run's isoFLOP budget in `budgets`): the next `count` budgets, each
    an isoFLOP profile of PROFILE_SIZES sizes, that most narrow `objective` at `target_flops`."""
    from .isoflop import isoflop_profile

    cap = _per_run_cap(law, runs, target_flops, max_run_flops, objective)
    minima = []
    for budget in np.unique(budgets):
        members = budgets == budget
        profile = isoflop_profile(float(budget), runs.n_params[members], runs.loss_nats[members])
        if profile.optimal_n_params is not None and profile.optimal_loss_nats is not None:
            minima.append((float(budget), profile.optimal_n_params, profile.optimal_loss_nats))
    if len(minima) < 3:
        raise UsageError(
            "runs",
            f"{counted(len(minima), 'budget')} {'has' if len(minima) == 1 else 'have'} an isoFLOP minimum; the"
            " frontier needs 3 to design on",
        )
    smallest = min(budget for budget, _, _ in minima)
    if cap < smallest:
        raise UsageError(
            "max_run_flops",
            f"{format_scientific(cap)} FLOPs is below the smallest budget so far ({format_scientific(smallest)} FLOPs):"
            " no profile fits under it",
        )
    candidates = _candidates(law, smallest, cap)
    offered = np.unique(candidates[:, 0])  # each candidate budget once: its whole profile is the run set
    costs = PROFILE_SIZES * offered
    if budget_flops is not None and budget_flops < costs.min():
        raise UsageError(
            "budget_flops",
            f"{format_scientific(budget_flops)} FLOPs affords no profile: the smallest, {PROFILE_SIZES} runs at"
            f" {format_scientific(float(offered.min()))} FLOPs, spends {format_scientific(float(costs.min()))}",
        )
    log_c = np.log([budget for budget, _, _ in minima])
    if objective == "n-opt":
        # ln N_opt = ln k_n + a·ln C: linear, so J = (1, ln C) and g = (1, ln C_target).
        observed = np.log([n for _, n, _ in minima])
        rows_now = np.column_stack([np.ones_like(log_c), log_c])
        residual = observed - (math.log(law.k_n) + law.a * log_c)
        gradient = np.array([1.0, math.log(target_flops)])
        jacobians = np.column_stack([np.ones_like(offered), np.log(offered)])
        dof = len(minima) - 2
        refit_values = np.array([k * target_flops**a for k, a, _, _, _ in law.samples])
        value = law.k_n * target_flops**law.a
    else:
        # L_opt = E + A·C^-gamma, in (E, ln A, gamma): J = (1, A·C^-gamma, -A·C^-gamma·ln C); q = ln L_opt.
        def rows_at(log_budgets: Array) -> Array:
            term = law.A * np.exp(-law.gamma * log_budgets)
            rows: Array = np.column_stack([np.ones_like(log_budgets), term, -term * log_budgets])
            return rows

        observed = np.array([loss for _, _, loss in minima])
        rows_now = rows_at(log_c)
        residual = observed - (law.E + law.A * np.exp(-law.gamma * log_c))
        value = float(law.E + law.A * target_flops**-law.gamma)
        gradient = rows_at(np.array([math.log(target_flops)]))[0] / value
        jacobians = rows_at(np.log(offered))
        dof = len(minima) - 3
        refit_values = np.array([e + big_a * target_flops**-g for _, _, e, big_a, g in law.samples])
    noise = float(np.sqrt(np.sum(residual**2) / max(dof, 1)))
    if not noise > 0:
        raise UsageError("law", f"{law.name} meets its budgets' minima exactly: nothing to narrow")
    covariance = np.linalg.pinv(rows_now.T @ rows_now / noise**2, rcond=1e-12, hermitian=True)
    variance_now = float(gradient @ covariance @ gradient)
    finite = refit_values[np.isfinite(refit_values)]
    tail = 100 * (1 - law.interval_level) / 2
    low, high = (float(v) for v in np.percentile(finite, [tail, 100 - tail]))
    width_now = (high - low) / value
    picks = _greedy(covariance, gradient, jacobians, noise, costs, count, budget_flops)
    chosen: list[SuggestedRun] = []
    for pick, variance in picks:
        budget = float(offered[pick])
        width = width_now * math.sqrt(variance / variance_now)
        for row in _sizes_at(law, budget, PROFILE_SIZES):
            chosen.append(_run(len(chosen) + 1, row, width))
    measured = "ln N_opt" if objective == "n-opt" else "minimum loss"
    return Suggestion(
        objective, target_flops, float(value), (low, high), law.interval_level, tuple(chosen), "isoflop profiles",
        noise, f"the isoFLOP profiles' {measured}", len(offered), cap, budget_flops,
    )  # fmt: skip
