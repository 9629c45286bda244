"""What a fit's runs can tell (diagnostics.py): seed-to-seed noise from repeated runs, a lack of fit beyond it, too
few distinct sizes, and constants at the edge of their range."""

import numpy as np
import pytest

from scaling_plan.diagnostics import bound_findings, diagnose, seed_noise
from scaling_plan.families import FAMILIES, fit_family
from scaling_plan.fitting import Runs, fit_law
from scaling_plan.presets import PRESETS

from .test_families import isoflop_runs


def repeated(law: object, noise: float, repeats: int, seed: int) -> Runs:
    """An isoFLOP grid of 4 budgets, each run `repeats` times with its own log-normal noise."""
    base = isoflop_runs(law, np.logspace(18, 21, 4), noise=0.0, seed=0, sizes=7)
    n, d = np.tile(base.n_params, repeats), np.tile(base.n_tokens, repeats)
    loss = np.tile(base.loss_nats, repeats) * np.exp(noise * np.random.default_rng(seed).standard_normal(len(n)))
    return Runs(n, d, loss)


def test_the_seed_noise_of_repeated_runs_is_the_noise_they_were_given() -> None:
    runs = repeated(PRESETS["epoch-2024"], noise=0.01, repeats=4, seed=1)
    groups, noise = seed_noise(runs)
    assert groups == 28
    assert noise == pytest.approx(0.01, rel=0.2)  # 84 degrees of freedom: the estimate's spread is about 8%
    assert seed_noise(isoflop_runs(PRESETS["epoch-2024"], np.logspace(18, 21, 4), 0.01, 0)) == (0, None)


@pytest.mark.slow
def test_a_form_that_misses_the_runs_is_told_from_one_that_fits_them() -> None:
    """Runs of Kaplan's law, repeated with 0.3% noise: Chinchilla's form misses them by more than the noise, Kaplan's
    does not."""
    runs = repeated(PRESETS["kaplan-2020"], noise=0.003, repeats=3, seed=2)
    budgets = np.round(np.log10(runs.compute_flops))
    chinchilla, _ = fit_law(runs)
    residual = np.log(chinchilla.E + chinchilla.A / runs.n_params**chinchilla.alpha
                      + chinchilla.B / runs.n_tokens**chinchilla.beta) - np.log(runs.loss_nats)  # fmt: skip
    missed = diagnose(runs, residual, 5, False, budgets)
    assert any("times the seed-to-seed noise" in finding for finding in missed.findings), missed.findings
    kaplan, _ = fit_family(FAMILIES["kaplan"], runs)
    fitted = diagnose(runs, np.array(kaplan.residual_log), 4, False, budgets)
    assert not any("seed-to-seed" in finding for finding in fitted.findings), fitted.findings
    assert (fitted.n_budgets, fitted.n_repeat_groups) == (4, 28)


def test_too_few_sizes_or_budgets_are_said() -> None:
    runs = isoflop_runs(PRESETS["epoch-2024"], np.logspace(18, 21, 4), noise=0.0, seed=0, sizes=2)
    found = diagnose(runs, np.zeros(len(runs)), 5, False, np.log10(runs.compute_flops).round())
    assert found.n_distinct_params == 8  # 2 sizes per budget, each budget's own
    few = Runs(np.repeat([1e8, 2e8], 6), np.tile(np.logspace(9, 10, 6), 2), np.full(12, 3.0))
    said = diagnose(few, np.zeros(12), 5, False, np.arange(12.0)).findings
    assert said == ("only 2 distinct model sizes: alpha and A rest on a line through 2 points",)
    frontier = diagnose(few, np.zeros(12), 6, True, np.arange(6.0)).findings
    assert frontier == ("6 budgets for 6 constants: little is left to judge the fit by",)


@pytest.mark.parametrize(
    ("constants", "expected"),
    [
        ({"E": 0.05, "alpha": 0.3}, ["E = 0.05 is at the lowest value a law file holds (0)"]),
        ({"alpha": 1.99}, ["alpha = 1.99 is at the highest value a law file holds (2)"]),
        ({"A": 9e19, "B": 400.0}, ["A = 9e+19 is at the highest value a law file holds (1e+20)"]),
        ({"E": 1.8, "A": 482.0, "alpha": 0.35}, []),
    ],
)
def test_a_constant_at_the_edge_of_its_range_is_said(constants: dict[str, float], expected: list[str]) -> None:
    ranges = {"E": (0.0, 13.8629), "A": (1e-6, 1e20), "B": (1e-6, 1e20), "alpha": (0.01, 2.0)}
    assert list(bound_findings(constants, ranges)) == expected
