"""Approach 2 of Hoffmann et al. 2022 (section 3.2, Table 2): isoFLOP profiles and the frontier through their minima.

Runs are grouped by compute budget. Per budget, a parabola of loss in ln N (their Figure 3) gives the loss-minimising
size N_opt(C) and its loss; power laws through the minima give

    N_opt = k_N·C^a,   D_opt = k_D·C^b   (with D = C/(6N) at each minimum, b = 1 − a and k_D = 1/(6·k_N) exactly),

and the minimum losses give the frontier loss L_opt(C) = E + A·C^(−γ): an irreducible loss plus a power law in
compute, the form of the Approach 3 frontier (Hoffmann et al. 2022 eq. 4 makes L_opt − E a sum of powers of C with
one exponent). A budget is used only when its parabola opens upward with its vertex inside the sizes sampled: a
minimum outside them would be an extrapolation of the parabola, so that budget is left out and named.

Bootstrap intervals resample runs with replacement within each budget and refit everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError, named
from .experiments import BUDGET_RTOL_DEFAULT
from .fitting import RefitWork
from .laws import FLOPS_PER_PARAM_TOKEN
from .units import counted

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    Array = NDArray[np.float64]

#: Distinct model sizes a budget needs: a parabola has three coefficients, and a fourth size leaves a residual to
#: judge it by (Hoffmann et al. 2022's profiles, Figure 3, have 7 to 12 sizes per budget).
MIN_SIZES_PER_BUDGET = 4

#: Budgets needed for the power laws (two points fix a line; a third leaves a residual).
MIN_BUDGETS = 3


#: The bootstrap's work in budgets (each refit fits every budget's parabola, then the frontier by a golden section):
#: measured on 2 shared cores, a refit took 29 ms on Hoffmann et al. 2022's 245 runs in 57 budgets, 32 ms on 40
#: synthetic runs in 5, 28 ms on 10,000 in 10, 43 ms on 10,000 in 100 and 180 ms on 10,000 in 2,000: about 0.1 ms a
#: budget and 30 ms a refit whatever its budgets (300 budgets' worth). 600,000 budget-refits is then about a minute:
#: 1,680 refits of 57 budgets.
BOOTSTRAP_WORK = RefitWork("budget", 300, 600_000)

#: Frontier exponents γ tried for L_opt = E + A·C^(−γ), before a golden-section refinement; published frontiers
#: have γ near 0.05-0.2 (Hoffmann et al. 2022 eq. 4 with their constants gives γ = αβ/(α+β) ≈ 0.155).
_GAMMA_GRID = np.linspace(0.005, 1.0, 200)


@dataclass(frozen=True)
class Profile:
    """One budget's isoFLOP profile: the parabola's minimum, or why the budget is left out."""

    budget_flops: float
    n_runs: int
    n_sizes: int
    min_n_params: float
    max_n_params: float
    optimal_n_params: float | None
    optimal_loss_nats: float | None
    curvature: float | None  # the parabola's coefficient of (ln N)^2: how sharp the valley is
    left_out: str | None  # why the budget is not used, or None

    @property
    def optimal_n_tokens(self) -> float | None:
        if self.optimal_n_params is None:
            return None
        return self.budget_flops / (FLOPS_PER_PARAM_TOKEN * self.optimal_n_params)


@dataclass(frozen=True)
class Frontier:
    """The power laws through the kept profiles' minima, and the frontier loss."""

    k_n: float
    a: float
    E: float
    A: float
    gamma: float

    @property
    def k_d(self) -> float:
        return 1.0 / (FLOPS_PER_PARAM_TOKEN * self.k_n)

    @property
    def b(self) -> float:
        return 1.0 - self.a

    def n_params(self, compute_flops: float) -> float:
        return float(self.k_n * compute_flops**self.a)

    def n_tokens(self, compute_flops: float) -> float:
        return float(self.k_d * compute_flops**self.b)

    def loss(self, compute_flops: float) -> float:
        return float(self.E + self.A * compute_flops ** (-self.gamma))


@dataclass(frozen=True)
class IsoflopFit:
    profiles: tuple[Profile, ...]
    frontier: Frontier
    budget_rtol: float | None  # how budgets were found when the runs had no budget column; None when they had one
    residual_rmse_log_n: float  # of ln N_opt about the power law
    residual_rmse_loss: float  # of the minimum losses about L_opt
    samples: tuple[tuple[float, float, float, float, float], ...] = field(default=(), repr=False)
    n_resamples: int = 0  # bootstrap resamples drawn (some may leave too few budgets: len(samples) kept a frontier)
    seed: int = 0

    @property
    def kept(self) -> list[Profile]:
        return [profile for profile in self.profiles if profile.left_out is None]

    @property
    def compute_range_flops(self) -> tuple[float, float]:
        budgets = [profile.budget_flops for profile in self.kept]
        return min(budgets), max(budgets)


def group_budgets(compute_flops: Array, budget_flops: Array | None, rtol: float) -> Array:
    """Each run's budget: its budget column where there is one, else the geometric mean compute of its bucket (runs
    within rtol of the bucket's smallest compute, in order of compute)."""
    if budget_flops is not None:
        return budget_flops
    order = np.argsort(compute_flops)
    budgets = np.empty_like(compute_flops)
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and compute_flops[order[end]] <= compute_flops[order[start]] * (1 + rtol):
            end += 1
        members = order[start:end]
        budgets[members] = math.exp(float(np.mean(np.log(compute_flops[members]))))
        start = end
    return budgets


def isoflop_profile(budget: float, n_params: Array, loss: Array) -> Profile:
    sizes = np.unique(n_params)

    def made(n_opt: float | None, loss_opt: float | None, curvature: float | None, why: str | None) -> Profile:
        return Profile(budget, len(n_params), len(sizes), float(sizes.min()), float(sizes.max()), n_opt, loss_opt,
                       curvature, why)  # fmt: skip

    if len(sizes) < MIN_SIZES_PER_BUDGET:
        return made(None, None, None, f"{counted(len(sizes), 'model size')}; a parabola needs {MIN_SIZES_PER_BUDGET}")
    x = np.log(n_params)
    centre = float(np.mean(x))
    c2, c1, c0 = (float(c) for c in np.polyfit(x - centre, loss, 2))
    if not c2 > 0:
        return made(None, None, c2, "the profile has no minimum (the parabola opens downward)")
    n_opt = math.exp(centre - c1 / (2 * c2))
    if not sizes.min() <= n_opt <= sizes.max():
        why = f"its minimum (N = {n_opt:.3g}) lies outside the sizes trained ({sizes.min():.3g} to {sizes.max():.3g})"
        return made(None, None, c2, why)
    return made(n_opt, c0 - c1 * c1 / (4 * c2), c2, None)


def _frontier_loss(compute: Array, loss: Array) -> tuple[float, float, float]:
    """E, A, γ of L = E + A·C^(−γ) by least squares: for each γ, E and A are linear; γ by grid, then golden section.
    E is kept at or above 0 (a loss floor below zero means nothing): where the free fit puts it below, E = 0."""
    scale = math.exp(float(np.mean(np.log(compute))))  # C / scale near 1 keeps C^(−γ) well conditioned
    c = compute / scale

    def solve(gamma: float) -> tuple[float, float, float]:
        design = np.column_stack([np.ones_like(c), c ** (-gamma)])
        (e, a), *_ = np.linalg.lstsq(design, loss, rcond=None)
        if e < 0:
            a = float(np.dot(c ** (-gamma), loss) / np.dot(c ** (-gamma), c ** (-gamma)))
            e = 0.0
        residual = float(np.sum((e + a * c ** (-gamma) - loss) ** 2))
        return residual, float(e), float(a)

    errors = [solve(float(g))[0] for g in _GAMMA_GRID]
    best = int(np.argmin(errors))
    low, high = _GAMMA_GRID[max(best - 1, 0)], _GAMMA_GRID[min(best + 1, len(_GAMMA_GRID) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):  # golden section to ~1e-13 of the grid step
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if solve(left)[0] < solve(right)[0]:
            high = right
        else:
            low = left
    gamma = float(low + high) / 2
    _, e, a = solve(gamma)
    return e, float(a * scale**gamma), gamma  # A for C in FLOPs: A·(C/scale)^(−γ) = (A·scale^γ)·C^(−γ)


def _fit(budgets: Array, n_params: Array, loss: Array) -> tuple[tuple[Profile, ...], Frontier | None, float, float]:
    profiles = tuple(
        isoflop_profile(float(budget), n_params[budgets == budget], loss[budgets == budget])
        for budget in np.unique(budgets)
    )
    kept = [profile for profile in profiles if profile.left_out is None]
    if len(kept) < MIN_BUDGETS:
        return profiles, None, math.nan, math.nan
    log_c = np.log([profile.budget_flops for profile in kept])
    log_n = np.log([profile.optimal_n_params for profile in kept])  # type: ignore[arg-type]
    a, log_k = np.polyfit(log_c, log_n, 1)
    minima = np.array([profile.optimal_loss_nats for profile in kept], dtype=float)
    compute = np.exp(log_c)
    e, big_a, gamma = _frontier_loss(compute, minima)
    frontier = Frontier(math.exp(float(log_k)), float(a), e, big_a, gamma)
    rmse_n = float(np.sqrt(np.mean((log_k + a * log_c - log_n) ** 2)))
    rmse_loss = float(np.sqrt(np.mean((e + big_a * compute ** (-gamma) - minima) ** 2)))
    return profiles, frontier, rmse_n, rmse_loss


def fit_isoflop(
    n_params: ArrayLike,
    compute_flops: ArrayLike,
    loss_nats: ArrayLike,
    budget_flops: ArrayLike | None = None,
    budget_rtol: float = BUDGET_RTOL_DEFAULT,
    resamples: int = 0,
    seed: int = 42,
    bootstrap_where: str = "resamples",
) -> IsoflopFit:
    """Approach 2 on runs (N, C, L), each with its budget where known; `resamples` bootstrap refits (refused, at
    `bootstrap_where`, past BOOTSTRAP_WORK)."""
    n = np.asarray(n_params, dtype=float)
    loss = np.asarray(loss_nats, dtype=float)
    given = None if budget_flops is None else np.asarray(budget_flops, dtype=float)
    budgets = group_budgets(np.asarray(compute_flops, dtype=float), given, budget_rtol)
    BOOTSTRAP_WORK.check(resamples, len(np.unique(budgets)), bootstrap_where)
    profiles, frontier, rmse_n, rmse_loss = _fit(budgets, n, loss)
    if frontier is None:
        kept = sum(profile.left_out is None for profile in profiles)
        raise UsageError(
            f"{named('approach')} isoflop",
            f"{kept} of {counted(len(profiles), 'budget')} {'has' if kept == 1 else 'have'} a usable isoFLOP profile;"
            f" the frontier needs {MIN_BUDGETS}"
            f" (each with {MIN_SIZES_PER_BUDGET} or more sizes and its minimum inside them)",
        )
    samples = []
    if resamples:
        rng = np.random.default_rng(seed)
        groups = [np.flatnonzero(budgets == budget) for budget in np.unique(budgets)]
        for _ in range(resamples):
            drawn = np.concatenate([rng.choice(members, size=len(members), replace=True) for members in groups])
            _, refit, _, _ = _fit(budgets[drawn], n[drawn], loss[drawn])
            if refit is not None:
                samples.append((refit.k_n, refit.a, refit.E, refit.A, refit.gamma))
    return IsoflopFit(profiles, frontier, None if given is not None else budget_rtol, rmse_n, rmse_loss,
                      tuple(samples), resamples, seed)  # fmt: skip
