"""Which runs to train next: the small runs that most narrow the interval on what matters at the target budget.

A scaling study is a loop: train a few runs, fit, add runs, refit, until the prediction for the big run is sharp
enough. Given a law fitted with bootstrap refits and the runs it was fitted on, this proposes the next runs by a
linearised optimal design (the c-optimal criterion of experimental design: the variance of one quantity):

- a run at (N, D) measures ln L(N, D) with the runs' own residual variance σ² (of log loss about the fit), so it
  carries the information J·Jᵀ/σ² about the law's constants θ (Chinchilla's (ln A, α, ln B, β, ln E), Kaplan's
  (α_N, α_D, ln N_c, ln D_c), a mixture of experts' (ln a, α, ln b, β, ln c, ln g, γ), its runs at (N_act, D, G),
  a law fitted with repetition Chinchilla's and (ln R_D*, ln R_N*), its runs at (N, D, U)), J = ∂ ln L/∂θ at the fit
  by central differences; the runs so far give the covariance Σ = (Σ_runs J·Jᵀ/σ²)⁻¹ (not the refits' own
  covariance, which the few refits that ran to a vanishing term, E -> 0, dominate: in six simulated studies of three
  rounds, designs from it narrowed the interval every round in four, these in all six);
- the quantity q is ln N_opt(C) at the target compute (objective n-opt) or the frontier's ln L_opt(C) (loss), under a
  cap of unique tokens when one is given (data_constrained.py), with gradient g = ∂q/∂θ at the fit, so that
  Var(q) ≈ gᵀΣg; a new run makes Σ' = Σ − Σ·J·Jᵀ·Σ / (σ² + Jᵀ·Σ·J);
- candidates span sizes from N*/4 to 4·N* around the law's optimum at budgets from the smallest run's compute to the
  per-run cap (for a mixture of experts, at each granularity G of CANDIDATE_GRANULARITIES, D from eq. 10's FLOPs;
  for a law fitted with repetition, on U = D / epochs unique tokens for each of CANDIDATE_EPOCHS); each step takes
  the candidate that lowers gᵀΣg most while the remaining total budget still affords the rest of the runs (greedy,
  one run at a time, each run once).

The interval widths it reports are the current bootstrap interval's, scaled by sqrt(gᵀΣ'g / gᵀΣg): what the
linearisation expects; refitting on the new runs (with their real losses) measures what they did.

A frontier law (Approach 2: `fit --approach isoflop`) learns from whole isoFLOP profiles, each budget's minimum one
point of a line: ln N_opt = ln k_n + a·ln C (and of L_opt(C), straight or broken, for the loss). There each suggestion is a
budget with its profile of PROFILE_SIZES sizes, and the design is the same over the profiles' minima: the points so
far give Σ = σ²·(XᵀX)⁻¹, σ² their residual variance about the frontier, and a new budget C adds the row x(C).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .choices import SUGGEST_OBJECTIVES as OBJECTIVES
from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN, FrontierLaw, KaplanLaw, Law, ParametricLaw
from .moe import MoELaw
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
#: Granularities a next run of a mixture of experts may take: those of Krajewski et al. 2024's own runs (sec. 5,
#: G from 1 to 16) and one step either side of the 32 their compute-optimal plans reach at 1e24 FLOPs (Table 2).
CANDIDATE_GRANULARITIES = (1, 2, 4, 8, 16, 32, 64)
#: Epochs over its unique data a next run of a law fitted with repetition may take: from none repeated to twice
#: R_D* = 15.4, past which Muennighoff et al. 2023 find repeated tokens worth almost nothing (sec. 5; their own runs
#: reach 44 epochs).
CANDIDATE_EPOCHS = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class SuggestedRun:
    run: int
    budget_flops: float
    n_params: float
    n_tokens: float
    expected_optimal_n_params: float  # the law's N_opt at this budget
    expected_relative_width: float  # of the interval at the target, once this run and those before it are added
    granularity: float | None = None  # a mixture of experts' G (its N is then the active parameters)
    unique_tokens: float | None = None  # a law fitted with repetition: the unique tokens the run's D repeats

    @property
    def epochs(self) -> float | None:
        return None if self.unique_tokens is None else self.n_tokens / self.unique_tokens

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
    expansion: float | None = None  # a mixture of experts' E, which its runs share
    unique_tokens: float | None = None  # the target's cap of unique tokens, when the question has one

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


#: The constants a design moves, in its coordinates θ: the scales (E, A, B, N_c, D_c, k_N, C_b, f) by their logarithm,
#: the exponents as they are. The linearised design does not depend on the coordinates; central differences are best
#: conditioned in these.
SCALES = frozenset({"E", "A", "B", "n_c", "d_c", "k_n", "break_flops", "sharpness", "g", "rd_star", "rn_star"})


def _constants(law: Law, objective: str) -> tuple[str, ...]:
    """The constants that move what a design measures and what it narrows, in the order of the law's samples."""
    if isinstance(law, MoELaw):
        return ("E", "A", "B", "alpha", "beta", "g", "gamma")
    if isinstance(law, ParametricLaw):
        return ("E", "A", "B", "alpha", "beta") + (("rd_star", "rn_star") if _repeating(law) else ())
    if isinstance(law, KaplanLaw):
        return ("alpha_n", "alpha_d", "n_c", "d_c")
    assert isinstance(law, FrontierLaw)
    if objective == "n-opt":  # ln N_opt = ln k_N + a·ln C: the loss constants do not move it
        return ("k_n", "a")
    return ("E", "A", "gamma") + (("gamma_change", "break_flops", "sharpness") if law.break_flops else ())


def _theta(law: Law, names: Sequence[str]) -> Array:
    return np.array([math.log(getattr(law, name)) if name in SCALES else getattr(law, name) for name in names])


def _law_at(law: Law, names: Sequence[str], theta: Array) -> Law:
    values = {
        name: math.exp(value) if name in SCALES else float(value) for name, value in zip(names, theta, strict=True)
    }
    moved: Law = replace(law, **values, samples=())  # type: ignore[type-var]
    return moved


def _derivatives(measure: Callable[[Law], Array], law: Law, names: Sequence[str]) -> Array:
    """∂ measure/∂θ at the law by central differences: (points, θ)."""
    theta = _theta(law, names)
    step = GRADIENT_STEP * np.maximum(np.abs(theta), 1.0)
    columns = [
        (np.asarray(measure(_law_at(law, names, theta + np.eye(len(theta))[i] * step[i]))) -
         np.asarray(measure(_law_at(law, names, theta - np.eye(len(theta))[i] * step[i])))) / (2 * step[i])
        for i in range(len(theta))
    ]  # fmt: skip
    return np.column_stack([np.atleast_1d(column) for column in columns])


def _quantity(objective: str, law: Law, target_flops: float) -> float:
    """ln N_opt(C) or ln L_opt(C) at the target under the law."""
    n_params, n_tokens = law.optimum(target_flops)
    if objective == "n-opt":
        return math.log(float(n_params))
    if isinstance(law, FrontierLaw):
        return math.log(float(law.loss_at(target_flops)))
    return math.log(float(law.loss(n_params, n_tokens)))


def _interval(objective: str, law: Law, target_flops: float, asked: Callable[[Law], Law]) -> tuple[float, float]:
    """The refits' interval on the quantity at the target, each refit asked as the law is (`asked`: under a cap of
    unique tokens, or as it is); a refit that runs to a vanishing or infinite term says nothing and is left out."""
    values = []
    for refit in _refits(law):
        with np.errstate(all="ignore"):
            try:
                values.append(math.exp(_quantity(objective, asked(refit), target_flops)))
            except (ValueError, OverflowError, ZeroDivisionError):
                continue
    finite = np.array([value for value in values if math.isfinite(value)])
    tail = 100 * (1 - law.interval_level) / 2  # type: ignore[attr-defined]
    low, high = (float(v) for v in np.percentile(finite, [tail, 100 - tail]))
    return low, high


def _refits(law: Law) -> list[Law]:
    refits: list[Law] = []
    for sample in law.samples:  # type: ignore[attr-defined]
        if all(math.isfinite(value) for value in sample):
            try:
                refits.extend(replace(law, samples=(sample,)).refits())  # type: ignore[type-var, attr-defined]
            except ValueError:  # a constant the law refuses (a vanishing term)
                continue
    return refits


def _sizes_at(law: Law, budget: float, count: int) -> list[tuple[float, float, float, float, float]]:
    """Rows of (C, N, D, N_opt(C), X): `count` sizes from N*/SPREAD to N*·SPREAD around the law's optimum at C, with
    whole parameters and tokens (as a trainer counts them). X is what else a run of the law is: a mixture of experts'
    granularity G, at each of CANDIDATE_GRANULARITIES (N its active parameters, D what eq. 10's FLOPs leave); a law
    fitted with repetition's unique tokens U = D / epochs, at each of CANDIDATE_EPOCHS; else NaN."""
    optimal, _ = law.optimum(budget)
    rows = []
    for position in np.linspace(-1.0, 1.0, count):
        n_params = float(round(float(optimal) * SPREAD**position))
        if n_params < 1:
            continue
        if isinstance(law, MoELaw):
            for granularity in CANDIDATE_GRANULARITIES:
                n_tokens = float(round(budget / law.flops_per_token(n_params, granularity)))
                rows += [(budget, n_params, n_tokens, float(optimal), float(granularity))] if n_tokens >= 1 else []
            continue
        n_tokens = float(round(budget / (FLOPS_PER_PARAM_TOKEN * n_params)))
        if n_tokens < 1:
            continue
        if _repeating(law):
            rows += [(budget, n_params, n_tokens, float(optimal), float(max(round(n_tokens / times), 1)))
                     for times in CANDIDATE_EPOCHS]  # fmt: skip
        else:
            rows.append((budget, n_params, n_tokens, float(optimal), math.nan))
    return rows


def _candidates(law: Law, low_flops: float, high_flops: float) -> Array:
    """Rows of (C, N, D, N_opt(C), X) on the grid of budgets and sizes (and granularities, or epochs)."""
    # Budgets on a grid of BUDGETS_PER_DECADE steps per decade (1e19, 1.33e19, 1.78e19, ...), to 3 figures, within
    # the range; and the range's ends themselves.
    steps = np.arange(math.ceil(math.log10(low_flops) * BUDGETS_PER_DECADE),
                      math.floor(math.log10(high_flops) * BUDGETS_PER_DECADE) + 1)  # fmt: skip
    inside = [float(f"{10.0 ** (step / BUDGETS_PER_DECADE):.3g}") for step in steps]
    budgets = sorted({low_flops, high_flops, *(b for b in inside if low_flops <= b <= high_flops)})
    return np.array([row for budget in budgets for row in _sizes_at(law, budget, SIZES_PER_BUDGET)]).reshape(-1, 5)


def _run(number: int, row: Sequence[float], width: float, law: Law) -> SuggestedRun:
    budget, n_params, n_tokens, optimal, extra = (float(x) for x in row)
    granularity = extra if isinstance(law, MoELaw) else None
    unique_tokens = extra if _repeating(law) else None
    return SuggestedRun(number, budget, n_params, n_tokens, optimal, width, granularity, unique_tokens)


def _repeating(law: Law) -> bool:
    """A law fitted with repetition (fit --form data-constrained): its runs' losses depend on their unique tokens."""
    return isinstance(law, ParametricLaw) and not isinstance(law, MoELaw) and law.rd_star is not None


def _log_loss_at(n_params: Array, n_tokens: Array, extra: Array | None) -> Callable[[Law], Array]:
    """ln L of runs under a law: a mixture of experts' at each run's granularity (N its active parameters), a law
    fitted with repetition's on each run's unique tokens (`extra`)."""
    from .data_constrained import DataConstrainedLaw

    def log_loss(moved: Law) -> Array:
        if isinstance(moved, MoELaw):
            return np.log(moved.loss_at(n_params, n_tokens, extra))
        if _repeating(moved):  # each run under its own cap: the law's effective N' and D' are elementwise
            assert isinstance(moved, ParametricLaw) and moved.rd_star is not None and moved.rn_star is not None
            capped = DataConstrainedLaw(moved, extra, moved.rd_star, moved.rn_star)  # type: ignore[arg-type]
            return np.log(capped.loss(n_params, n_tokens))
        return np.log(moved.loss(n_params, n_tokens))

    return log_loss


def _per_run_cap(law: Law, runs: Runs, target_flops: float, max_run_flops: float | None, objective: str) -> float:
    """The most one next run may spend (default 10x the largest so far, never past the target), once the question
    is checked: an objective known, a law with refits, a target above the runs."""
    if objective not in OBJECTIVES:
        raise UsageError("objective", f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if not getattr(law, "samples", ()):
        raise UsageError(  # fit's option, not this command's: named() knows only the command being run
            "law",
            f"{law.name} has no bootstrap refits: fit the runs with refits first (scaling-plan fit --bootstrap 200,"
            " or fit(..., bootstrap=200))",
        )
    largest = float(_run_flops(law, runs).max())
    if target_flops <= largest:
        raise UsageError(
            "target",
            f"{format_scientific(target_flops)} FLOPs is not above the largest run so far ({format_scientific(largest)}"
            " FLOPs): nothing to extrapolate to",
        )
    cap = MAX_RUN_FACTOR_DEFAULT * largest if max_run_flops is None else max_run_flops
    return min(cap, target_flops)  # a next run is a small run: never past the target itself


def suggest_runs(
    law: ParametricLaw | KaplanLaw,
    runs: Runs,
    target_flops: float,
    count: int = COUNT_DEFAULT,
    max_run_flops: float | None = None,
    budget_flops: float | None = None,
    objective: str = "n-opt",
    unique_tokens: float | None = None,
) -> Suggestion:
    """The next `count` runs for `law` (with bootstrap refits) fitted to `runs`, to narrow `objective` at
    `target_flops` (under a cap of `unique_tokens`, for a law fitted with repetition); each run at most
    `max_run_flops` (default 10x the largest run), all of them at most `budget_flops` together. Refuses, naming the
    flag, what cannot be planned."""
    cap = _per_run_cap(law, runs, target_flops, max_run_flops, objective)
    asked = _asked(law, unique_tokens)
    smallest = float(_run_flops(law, runs).min())
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

    names = _constants(law, objective)
    low, high = _interval(objective, law, target_flops, asked)
    value = math.exp(_quantity(objective, asked(law), target_flops))
    run_extra = _run_extra(law, runs)
    predicted = _log_loss_at(runs.n_params, runs.n_tokens, run_extra)(law)
    noise = float(np.sqrt(np.mean((predicted - np.log(runs.loss_nats)) ** 2)))

    # The runs' own information about θ at the fit (Gauss-Newton), not the refits' covariance: a few refits that ran
    # to a vanishing term (E -> 0) would dominate that, and their directions say nothing about a run's effect here.
    measured = _derivatives(_log_loss_at(runs.n_params, runs.n_tokens, run_extra), law, names)
    covariance = np.linalg.pinv(measured.T @ measured / noise**2, rcond=1e-12, hermitian=True)
    gradient = _derivatives(lambda moved: np.array(_quantity(objective, asked(moved), target_flops)), law, names)[0]
    variance_now = float(gradient @ covariance @ gradient)
    if not (variance_now > 0 and noise > 0):
        raise UsageError("law", f"{law.name}'s refits leave no spread at the target: nothing to narrow")

    jacobians = _derivatives(_log_loss_at(candidates[:, 1], candidates[:, 2], candidates[:, 4]), law, names)
    width_now = (high - low) / value
    picks = _greedy(covariance, gradient, jacobians, noise, candidates[:, 0], count, budget_flops)
    chosen = [
        _run(index + 1, candidates[pick], width_now * math.sqrt(variance / variance_now), law)
        for index, (pick, variance) in enumerate(picks)
    ]
    return Suggestion(
        objective, target_flops, value, (low, high), law.interval_level, tuple(chosen), "runs", noise,
        "the runs' log loss",
        len(candidates), cap, budget_flops, law.expansion if isinstance(law, MoELaw) else None, unique_tokens,
    )  # fmt: skip


def _run_flops(law: Law, runs: Runs) -> Array:
    """The runs' compute as the law counts it, and as its candidates spend their budgets: a mixture of experts' by
    eq. 10 at each run's granularity (the router's FLOPs too), where the runs give one; else 6·N·D."""
    if isinstance(law, MoELaw) and runs.granularity is not None:
        flops: Array = runs.n_tokens * law.flops_per_token(runs.n_params, runs.granularity)
        return flops
    return runs.compute_flops


def _asked(law: Law, unique_tokens: float | None) -> Callable[[Law], Law]:
    """How the question asks the law (or a refit, or the law moved along θ): under the cap of unique tokens, which
    only a law fitted with repetition answers, or as it is."""
    from .data_constrained import with_unique_tokens

    if unique_tokens is None:
        return lambda law: law
    if not _repeating(law):
        raise UsageError(
            "unique_tokens",
            f"a unique-token cap asks a law fitted with repetition (fit --form data-constrained); {law.name} is not",
        )
    return lambda moved: with_unique_tokens(moved, unique_tokens) or moved


def _run_extra(law: Law, runs: Runs) -> Array | None:
    """What else each run is that the law's loss reads: a mixture of experts' granularity (refused where the runs
    give none, or another expansion than the law's: the law counts N_act at its own), or a law fitted with
    repetition's unique tokens (refused where the runs give none)."""
    if _repeating(law):
        if runs.unique_tokens is None:
            raise UsageError(
                "unique_col",
                f"{law.name} was fitted with repetition: its runs' losses depend on their unique tokens, and the runs"
                " give none: name the column with the unique tokens",
            )
        return runs.unique_tokens
    if not isinstance(law, MoELaw):
        return None
    if runs.granularity is None:
        raise UsageError(
            "granularity_col",
            f"{law.name} is a mixture of experts' law: its runs' losses depend on their granularity G, and the runs"
            " give none: name the column with the granularity",
        )
    if runs.experts is not None and not np.allclose(runs.experts, law.expansion):
        raise UsageError(
            "experts_col",
            f"the runs' expansion ({', '.join(f'{e:g}' for e in sorted(set(runs.experts)))}) is not {law.name}'s"
            f" ({law.expansion:g}): the law was fitted on other runs",
        )
    return runs.granularity


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
    names = _constants(law, objective)
    at_minima = np.array([budget for budget, _, _ in minima])

    def measure(budgets: Array) -> Callable[[Law], Array]:  # what a profile's minimum measures: ln N_opt, or L_opt
        if objective == "n-opt":
            return lambda moved: np.log(moved.optimum(budgets)[0])
        return lambda moved: np.asarray(moved.loss_at(budgets))  # type: ignore[attr-defined]

    observed = np.log([n for _, n, _ in minima]) if objective == "n-opt" else np.array([loss for *_, loss in minima])
    residual = observed - measure(at_minima)(law)
    noise = float(np.sqrt(np.sum(residual**2) / max(len(minima) - len(names), 1)))
    if not noise > 0:
        raise UsageError("law", f"{law.name} meets its budgets' minima exactly: nothing to narrow")
    rows_now = _derivatives(measure(at_minima), law, names)
    covariance = np.linalg.pinv(rows_now.T @ rows_now / noise**2, rcond=1e-12, hermitian=True)
    gradient = _derivatives(lambda moved: np.array(_quantity(objective, moved, target_flops)), law, names)[0]
    jacobians = _derivatives(measure(offered), law, names)
    variance_now = float(gradient @ covariance @ gradient)
    value = math.exp(_quantity(objective, law, target_flops))
    low, high = _interval(objective, law, target_flops, lambda law: law)
    width_now = (high - low) / value
    picks = _greedy(covariance, gradient, jacobians, noise, costs, count, budget_flops)
    chosen: list[SuggestedRun] = []
    for pick, variance in picks:
        budget = float(offered[pick])
        width = width_now * math.sqrt(variance / variance_now)
        for row in _sizes_at(law, budget, PROFILE_SIZES):
            chosen.append(_run(len(chosen) + 1, row, width, law))
    measured = "ln N_opt" if objective == "n-opt" else "minimum loss"
    return Suggestion(
        objective, target_flops, float(value), (low, high), law.interval_level, tuple(chosen), "isoflop profiles",
        noise, f"the isoFLOP profiles' {measured}", len(offered), cap, budget_flops,
    )  # fmt: skip
