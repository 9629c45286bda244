"""Hoffmann et al. 2022's Approach 2 (isoFLOP profiles and the power laws through their minima), called directly."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from scaling_plan.errors import UsageError
from scaling_plan.experiments import isoflop_grid
from scaling_plan.isoflop import IsoflopFit, fit_isoflop
from scaling_plan.presets import PRESETS

from ..conftest import ROOT
from ..strength import count

CHINCHILLA = ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"
TRUE = PRESETS["epoch-2024"]  # the law the synthetic grid is drawn from
#: Its frontier exponent, a = β/(α+β) (Hoffmann et al. 2022, eq. 4).
TRUE_A = TRUE.beta / (TRUE.alpha + TRUE.beta)


def interval_of_a(fit: IsoflopFit, level: float = 0.9) -> tuple[float, float]:
    """The percentile interval of the refits' exponent a (each sample is k_n, a, E, A, gamma)."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile([sample[1] for sample in fit.samples], [tail, 100 - tail])
    return float(low), float(high)


@pytest.mark.slow
def test_a_noisy_grid_recovers_the_true_exponent_within_its_interval() -> None:
    grid = isoflop_grid([1e18, 3e18, 1e19, 3e19, 1e20], 7, TRUE, 4.0)  # as `experiments` writes it
    rng = np.random.default_rng(1)
    n = np.array([run.n_params for run in grid])
    d = np.array([run.n_tokens for run in grid])
    budgets = np.array([run.budget_flops for run in grid])
    loss = TRUE.loss(n, d) * (1 + 0.005 * rng.standard_normal(len(grid)))
    fit = fit_isoflop(n, 6 * n * d, loss, budgets, resamples=count(300, 100))
    assert fit.budget_rtol is None and len(fit.kept) == 5  # budgets from the column, all five used
    low, high = interval_of_a(fit)
    assert low <= TRUE_A <= high
    assert fit.frontier.a == pytest.approx(TRUE_A, abs=0.03) and fit.frontier.a + fit.frontier.b == 1.0
    assert fit.frontier.k_d == pytest.approx(1 / (6 * fit.frontier.k_n), rel=1e-12)
    # Each budget's minimum is near the true law's optimum at that budget (the parabola approximates the valley).
    for profile in fit.profiles:
        true_n, _ = TRUE.optimum(profile.budget_flops)
        assert profile.optimal_n_params == pytest.approx(true_n, rel=0.15)


@pytest.mark.slow
def test_on_chinchilla_s_runs_approach_2_gives_a_near_their_table_2() -> None:
    """Hoffmann et al. 2022 Table 2, Approach 2: a = 0.49 [0.462, 0.534], b = 0.51 [0.483, 0.529]. The shared runs
    are Figure 4's (Approach 3) points, not an isoFLOP grid, bucketed here by compute; the fit still lands near."""
    with CHINCHILLA.open() as handle:
        rows = list(csv.DictReader(handle))
    n = np.array([float(row["Model Size"]) for row in rows])
    compute = np.array([float(row["Training FLOP"]) for row in rows])
    loss = np.array([float(row["loss"]) for row in rows])
    fit = fit_isoflop(n, compute, loss, budget_rtol=0.2, resamples=count(200, 100))
    assert 0.462 <= fit.frontier.a <= 0.534 and 0.483 <= fit.frontier.b <= 0.529
    low, high = interval_of_a(fit)
    assert low < 0.49 < high


def test_too_few_sizes_leave_no_frontier() -> None:
    n = np.array([1e8, 2e8, 4e8] * 3)  # three sizes per budget: a parabola through them leaves no residual
    budgets = np.repeat([1e18, 1e19, 1e20], 3)
    with pytest.raises(UsageError, match="0 of 3 budgets have a usable isoFLOP profile"):
        fit_isoflop(n, budgets, np.full(9, 3.0), budgets)


def test_a_downward_profile_has_no_minimum() -> None:
    n = np.tile([1e8, 2e8, 4e8, 8e8], 3)
    budgets = np.repeat([1e18, 1e19, 1e20], 4)
    x = np.log(n)
    loss = 3.0 - 0.1 * (x - x.mean()) ** 2  # a hill, not a valley
    with pytest.raises(UsageError, match="0 of 3 budgets"):
        fit_isoflop(n, budgets, loss, budgets)
