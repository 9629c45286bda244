"""Downstream metrics from loss (Gadre et al. 2024's exponential, Llama 3's sigmoid), called directly."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_plan.downstream import MetricRuns, fit_downstream
from scaling_plan.errors import UsageError


def exponential(loss: np.ndarray, epsilon: float, k: float, gamma: float) -> np.ndarray:
    """Gadre et al. 2024: Err = epsilon - k·exp(-gamma·L), so the metric is 1 - Err."""
    return 1.0 - (epsilon - k * np.exp(-gamma * loss))


def sigmoid(loss: np.ndarray, l0: float, scale: float, floor: float, ceiling: float = 1.0) -> np.ndarray:
    return floor + (ceiling - floor) / (1.0 + np.exp((loss - l0) / scale))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_exponential_form_is_recovered_within_its_intervals(seed: int) -> None:
    truth = {"epsilon": 0.95, "k": 400.0, "gamma": 2.5}
    loss = np.linspace(2.2, 3.6, 40)
    metric = exponential(loss, **truth) + np.random.default_rng(seed).normal(0, 0.005, len(loss))
    fit = fit_downstream(MetricRuns(loss, metric), "exponential", 0.0, "metric", resamples=400, seed=seed)
    intervals = fit.intervals(0.9)
    for (name, value), fitted in zip(truth.items(), fit.constants, strict=True):
        low, high = intervals[name]
        assert low <= value <= high, (name, value, low, high)
        assert low <= fitted <= high
    assert fit.residual_rmse == pytest.approx(0.005, rel=0.3)  # the noise drawn, not a curve through it


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sigmoid_form_is_recovered_within_its_intervals(seed: int) -> None:
    truth = {"l0": 2.6, "scale": 0.15}
    loss = np.linspace(2.2, 3.6, 40)
    metric = sigmoid(loss, **truth, floor=0.25) + np.random.default_rng(seed).normal(0, 0.005, len(loss))
    fit = fit_downstream(MetricRuns(loss, metric), "sigmoid", 0.25, "metric", resamples=400, seed=seed)
    intervals = fit.intervals(0.9)
    for (name, value), fitted in zip(truth.items(), fit.constants, strict=True):
        assert intervals[name][0] <= value <= intervals[name][1], (name, value, intervals[name])
        assert fitted == pytest.approx(value, rel=0.05)


# The Sardana runs: both forms on the core average; MMLU refused.


def test_the_domain_refuses_too_few_runs_and_a_flat_loss() -> None:
    with pytest.raises(UsageError, match="needs at least 6"):
        fit_downstream(MetricRuns(np.linspace(2, 3, 5), np.linspace(0.5, 0.3, 5)), "exponential", 0.0, "m")
    with pytest.raises(UsageError, match="the same loss"):
        fit_downstream(MetricRuns(np.full(8, 2.5), np.linspace(0.5, 0.3, 8)), "exponential", 0.0, "m")


# Carried into plans: budget, sweep and compare; the API.


def test_a_sigmoid_saturated_to_a_float_is_at_its_bound_and_one_inside_is_not() -> None:
    from scaling_plan.downstream import DownstreamMapping, predict_metric

    mapping = DownstreamMapping("m", "m", "sigmoid", (2.5, 0.01), 0.25, 0.25, 1.0, (2.2, 3.0), "d", "s")
    assert predict_metric(mapping, 1.0).clamped == "ceiling"  # 1/(1 + exp(-150)) is 1.0 in a float
    assert predict_metric(mapping, 4.0).clamped == "floor"  # exp(150) swamps the span
    inside = predict_metric(mapping, 2.55)
    assert inside.clamped is None and 0.25 < inside.value < 1.0
