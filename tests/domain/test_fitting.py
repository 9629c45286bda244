"""Fitting L(N, D) (Hoffmann et al. 2022, appendix D.2), called directly: real and synthetic runs, the optimiser's
starts, the bootstrap."""

import csv

import numpy as np
import pytest

from scaling_plan.fitting import (
    HUBER,
    INITIAL_GRID,
    Criterion,
    Fit,
    Runs,
    _Objective,
    bootstrap_fit,
    fit_law,
    inverse_hessians,
    run_penalties,
    warm_starts,
)
from scaling_plan.lbfgs import first_of_same_row, minimise

from ..conftest import ROOT

CHINCHILLA_RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
SARDANA_RUNS = str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv")

# Besiroglu et al. 2024 (Epoch AI), their refit of Approach 3 on these runs (five highest-loss runs dropped, Huber
# delta 1e-3, log-sum-exp form): E = 1.8172, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658.
EPOCH = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}


@pytest.fixture(scope="module")
def chinchilla_fit() -> tuple[Fit, Runs]:
    """The runs as `fit --drop-top-loss 5` reads them: N and C from the file, D = C / (6·N), the five highest losses
    left out."""
    with open(CHINCHILLA_RUNS) as handle:
        rows = list(csv.DictReader(handle))
    n = np.array([float(row["Model Size"]) for row in rows])
    compute = np.array([float(row["Training FLOP"]) for row in rows])
    loss = np.array([float(row["loss"]) for row in rows])
    kept = np.sort(np.argsort(-loss, kind="stable")[5:])
    runs = Runs(n[kept], compute[kept] / (6 * n[kept]), loss[kept])
    return fit_law(runs)[0], runs


@pytest.mark.slow
def test_fit_of_chinchillas_runs_reproduces_the_epoch_refit(chinchilla_fit: tuple[Fit, Runs]) -> None:
    fit, runs = chinchilla_fit
    assert len(runs) == 240  # of the file's 245
    # E and the exponents are well determined; A and B lie along a flat valley of the objective (their bootstrap
    # standard errors are ~25% and ~60%), so the published rounding and optimiser land a few percent apart there.
    assert pytest.approx(EPOCH["E"], rel=0.002) == fit.E
    assert fit.alpha == pytest.approx(EPOCH["alpha"], abs=0.002)
    assert fit.beta == pytest.approx(EPOCH["beta"], abs=0.002)
    assert pytest.approx(EPOCH["A"], rel=0.05) == fit.A
    assert pytest.approx(EPOCH["B"], rel=0.05) == fit.B
    assert fit.converged and fit.n_starts == 4500 and fit.n_starts_at_best > 100
    assert fit.residual_rmse < 0.02 and fit.objective > 0
    assert fit.frontier_exponent == pytest.approx(fit.beta / (fit.alpha + fit.beta))
    assert float(np.min(runs.compute_flops)) == pytest.approx(1.397e18, rel=1e-3)


TRUE = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}


def synthetic_runs(noise: float, seed: int = 0) -> Runs:
    """An isoFLOP grid (9 budgets 1e18-1e22, 9 sizes each around the optimum) with log-normal loss noise."""
    budgets = np.logspace(18, 22, 9)
    n = np.concatenate([0.1 * (c / 6) ** 0.5 * np.logspace(-0.8, 0.8, 9) for c in budgets])
    d = np.repeat(budgets, 9) / (6 * n)
    loss = TRUE["E"] + TRUE["A"] / n ** TRUE["alpha"] + TRUE["B"] / d ** TRUE["beta"]
    return Runs(n, d, loss * np.exp(noise * np.random.default_rng(seed).standard_normal(len(n))))


@pytest.mark.slow
def test_noise_free_runs_give_back_the_constants() -> None:
    fit, _ = fit_law(synthetic_runs(0.0))
    for name, value in TRUE.items():
        assert getattr(fit, name) == pytest.approx(value, rel=2e-3), name
    assert fit.converged


@pytest.mark.slow
def test_runs_with_one_percent_noise_give_the_constants_within_stated_tolerances_and_intervals_cover_them() -> None:
    runs = synthetic_runs(0.01)
    fit, optima = fit_law(runs)
    # Tolerances from the spread of refits of this design: E and the exponents are tight, A and B loose.
    assert pytest.approx(TRUE["E"], rel=0.02) == fit.E
    assert fit.alpha == pytest.approx(TRUE["alpha"], rel=0.06)
    assert fit.beta == pytest.approx(TRUE["beta"], rel=0.06)
    assert pytest.approx(TRUE["A"], rel=0.4) == fit.A
    assert pytest.approx(TRUE["B"], rel=0.4) == fit.B
    boot = bootstrap_fit(runs, optima, 300, seed=1)
    intervals = boot.intervals(0.9)
    for name, value in TRUE.items():
        low, high = intervals[name]
        assert low <= value <= high, (name, low, value, high)
    true_exponent = TRUE["beta"] / (TRUE["alpha"] + TRUE["beta"])
    assert intervals["frontier_exponent"][0] <= true_exponent <= intervals["frontier_exponent"][1]
    assert boot.n_converged == 300 and boot.samples.shape == (300, 5)


@pytest.mark.parametrize("noise", [0.005, 0.01])
@pytest.mark.slow
def test_starts_that_meet_and_go_on_as_one_find_the_optimum_each_start_finds_alone(noise: float) -> None:
    runs = synthetic_runs(noise)
    merged, _ = fit_law(runs)
    _, alone, _, _ = minimise(_Objective(runs, HUBER), INITIAL_GRID)  # no merging
    best = float(np.min(alone[np.isfinite(alone)]))
    assert merged.objective == pytest.approx(best, rel=1e-9, abs=1e-15)
    reached_alone = int(np.sum(alone <= best * (1 + 1e-5)))  # as the fit counts them
    assert merged.n_starts_at_best == pytest.approx(reached_alone, rel=0.15)


def test_the_first_of_equal_rows_is_the_first_numpy_unique_finds() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        rows = rng.integers(-2, 2, size=(int(rng.integers(1, 80)), 6)).astype(float)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        assert np.array_equal(first_of_same_row(rows), first[inverse.reshape(-1)])


@pytest.mark.slow
def test_bootstrap_is_reproducible_with_a_seed() -> None:
    runs = synthetic_runs(0.01)
    _, optima = fit_law(runs)
    first, second = bootstrap_fit(runs, optima, 20, seed=7), bootstrap_fit(runs, optima, 20, seed=7)
    # The same resamples give the same refits to the optimiser's precision: a threaded BLAS may sum in another order
    # from one run to the next (numpy 1.24's did, by 1e-7 relative; A and B lie in a flat valley, so allow 1e-3),
    # which no seed controls.
    np.testing.assert_allclose(first.samples, second.samples, rtol=1e-3)
    other = bootstrap_fit(runs, optima, 20, seed=8).samples
    assert np.max(np.abs(other / first.samples - 1)) > 1e-2  # another seed, other resamples


def test_a_start_far_behind_the_best_on_the_full_runs_warm_starts_no_resample() -> None:
    """Each optimum's gap to the best, over resamples: mean the full runs' gap, deviation sqrt(n)·std of the
    per-run gaps. Four runs; optimum 1 is behind by 0.4 with per-run gaps all 0.1 (deviation 0): never first;
    optimum 2 behind by 0.4 with per-run gaps 0.5, -0.5, 0.5, -0.1 (deviation 2·0.41): kept."""
    optima = np.arange(9.0).reshape(3, 3)
    best = np.array([1.0, 1.0, 1.0, 1.0])
    penalties = np.vstack([best, best + 0.1, best + np.array([0.5, -0.5, 0.5, -0.1])])
    assert np.array_equal(warm_starts(optima, penalties), optima[[0, 2]])
    assert np.array_equal(warm_starts(optima[:1], penalties[:1]), optima[:1])  # the best is always kept


def _screened_and_all(runs: Runs, resamples: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The bootstrap's refits as it runs them and from all four best optima, and how many starts it kept."""
    from scaling_plan import fitting

    _, optima = fit_law(runs)
    penalties = run_penalties(HUBER, _Objective(runs, HUBER).residuals(optima[:4]), None)
    kept = len(warm_starts(optima, penalties))
    screened = bootstrap_fit(runs, optima, resamples, seed=11).samples
    saved = fitting.SCREEN_DEVIATIONS
    fitting.SCREEN_DEVIATIONS = 1e9  # every one of the four
    try:
        every = bootstrap_fit(runs, optima, resamples, seed=11).samples
    finally:
        fitting.SCREEN_DEVIATIONS = saved
    return screened, every, kept


@pytest.mark.slow
def test_the_bootstrap_skips_starts_no_resample_ranks_first_and_keeps_the_same_refits(
    chinchilla_fit: tuple[Fit, Runs],
) -> None:
    """On Hoffmann et al. 2022's 240 runs the next optima are 7.5 and 16 deviations behind the best: one start, and
    each refit the one all four starts give (to 1e-3 relative, the optimiser's stopping precision)."""
    screened, every, kept = _screened_and_all(chinchilla_fit[1], 300)
    assert kept == 1
    same = np.all(np.isclose(screened, every, rtol=1e-3, atol=0), axis=1)
    assert same.mean() >= 0.99
    for level in (5, 95):
        np.testing.assert_allclose(np.percentile(screened, level, axis=0), np.percentile(every, level, axis=0),
                                   rtol=1e-3)  # fmt: skip


@pytest.mark.slow
def test_optima_within_a_resamples_reach_all_warm_start_it() -> None:
    """Sardana et al. 2024's 47 runs: E's valley holds optima 0.55 deviations behind the best, so all four start."""
    from scaling_plan.inputs.runs import read_runs, select_runs

    runs = select_runs(read_runs(SARDANA_RUNS, "Parameters", "Tokens", loss_col="Smoothed Loss")).runs
    screened, every, kept = _screened_and_all(runs, 100)
    assert kept == 4
    assert np.array_equal(screened, every)


def _second_differences(objective: _Objective, point: np.ndarray, step: float) -> np.ndarray:
    """The objective's Hessian at `point` from its values alone: (f(x+h) − f(x+h') − f(x−h') + f(x−h−h'))/(4hh')."""
    n_params = len(point)
    one = np.zeros(1, dtype=np.intp)
    hessian = np.empty((n_params, n_params))
    for i in range(n_params):
        for j in range(n_params):
            e_i, e_j = np.eye(n_params)[i] * step, np.eye(n_params)[j] * step
            values = [objective((point + sign_i * e_i + sign_j * e_j)[None, :], one)[0][0]
                      for sign_i, sign_j in ((1, 1), (1, -1), (-1, 1), (-1, -1))]  # fmt: skip
            hessian[i, j] = (values[0] - values[1] - values[2] + values[3]) / (4 * step**2)
    return hessian


@pytest.mark.slow
def test_the_curvature_a_refit_starts_from_is_the_objectives_hessian(chinchilla_fit: tuple[Fit, Runs]) -> None:
    """inverse_hessians differences the gradient; the same Hessian from the objective's values alone (the squared
    errors' sum, smooth) agrees to 1e-3. The absolute errors' sum has no positive curvature at its optimum: None."""
    runs = chinchilla_fit[1]
    mse = Criterion(kind="mse")
    _, optima = fit_law(runs, mse)
    objective = _Objective(runs, mse, centred=True)
    start = objective.to_inner(optima[:1])
    inverse = inverse_hessians(objective, start)
    assert inverse is not None and inverse.shape == (1, 5, 5)
    from_values = _second_differences(objective, start[0], 1e-4)
    np.testing.assert_allclose(np.linalg.inv(inverse[0]), from_values, rtol=1e-3, atol=1e-6 * np.abs(from_values).max())
    mae = Criterion(kind="mae")
    _, optima = fit_law(runs, mae)
    objective = _Objective(runs, mae, centred=True)
    assert inverse_hessians(objective, objective.to_inner(optima[:1])) is None


@pytest.mark.slow
def test_refits_that_start_from_the_curvature_reach_the_refits_from_the_identity(
    chinchilla_fit: tuple[Fit, Runs], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Hoffmann et al. 2022's 240 runs each refit starts from the inverse Hessian at the full runs' optimum: the
    same refits as from a multiple of the identity (the objective no higher than 1e-8 relative, the constants'
    5th, 50th and 95th percentiles within 1e-3 relative, as A and B lie in a flat valley), in under half the L-BFGS
    steps."""
    from scaling_plan import fitting

    _, runs = chinchilla_fit
    _, optima = fit_law(runs)
    steps: dict[str, list[int]] = {}
    solve = fitting.minimise

    def counted(*args: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        result = solve(*args)  # type: ignore[arg-type]
        steps.setdefault(label, []).extend(result[3].tolist())
        return result

    monkeypatch.setattr(fitting, "minimise", counted)
    label = "curvature"
    curved = bootstrap_fit(runs, optima, 300, seed=5).samples
    monkeypatch.setattr(fitting, "CURVATURE_CONDITION", np.inf)  # no start passes: each starts from the identity
    label = "identity"
    plain = bootstrap_fit(runs, optima, 300, seed=5).samples
    assert np.median(steps["curvature"]) < 0.5 * np.median(steps["identity"])
    objective = _Objective(runs, HUBER, fitting.resample_weights(np.random.default_rng(5), len(runs), 300))
    problems = np.arange(300)

    def inner(constants: np.ndarray) -> np.ndarray:
        E, A, B, alpha, beta = constants.T
        return np.column_stack([np.log(A), alpha, np.log(B), beta, np.log(E)])

    f_curved, _ = objective(inner(curved), problems)
    f_plain, _ = objective(inner(plain), problems)
    assert np.all(f_curved <= f_plain * (1 + 1e-8))
    for level in (5, 50, 95):
        np.testing.assert_allclose(np.percentile(curved, level, axis=0), np.percentile(plain, level, axis=0),
                                   rtol=1e-3)  # fmt: skip
