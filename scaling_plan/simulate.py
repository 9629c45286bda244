"""Runs simulated from a known law, to test a fitting procedure before spending compute on real runs.

Each run of an isoFLOP grid (experiments.py) gets the law's loss at its N and D with multiplicative log-normal noise,

    loss = L(N, D) x exp(noise x z),    z ~ N(0, 1) from a seeded generator,

so `noise` is the relative spread of a run's final loss, and `repeats` copies of each run differ only by their
noise, as seeds do. `fit` and `backtest` read the runs back: a procedure that cannot recover the law it was given
here will not recover one from real runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .experiments import Experiment
from .laws import Law


@dataclass(frozen=True)
class SimulatedRun:
    experiment: Experiment
    repeat: int  # 1 .. repeats
    loss_nats: float


def simulate_runs(
    grid: Sequence[Experiment], law: Law, noise: float, seed: int, repeats: int = 1
) -> list[SimulatedRun]:
    """Every run of `grid`, `repeats` times, its loss from `law` with relative log-normal `noise` (seeded)."""
    import numpy as np

    generator = np.random.default_rng(seed)
    draws = generator.standard_normal((repeats, len(grid)))
    return [
        SimulatedRun(experiment, repeat + 1, float(law.loss(experiment.n_params, experiment.n_tokens))
                     * float(np.exp(noise * draws[repeat, index])))
        for repeat in range(repeats)
        for index, experiment in enumerate(grid)
    ]  # fmt: skip
