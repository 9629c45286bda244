"""Runs that repeat their data, simulated from Muennighoff et al. 2023's fitted law (the datablations-2023 preset),
for the data-constrained fit's tests: each size trained once at 1, 2, 4 and 8 times the tokens it is compute-optimal
for (seeing its data once, at or below the size its data can use, where the law is its base E + A/N^α + B/D^β), and
on 1e9 and 4e9 unique tokens repeated 2 to 64 times."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from scaling_plan.data_constrained import DataConstrainedLaw
from scaling_plan.fitting import Runs
from scaling_plan.laws import ParametricLaw
from scaling_plan.presets import PRESETS

LAW = PRESETS["datablations-2023"]
assert isinstance(LAW, ParametricLaw) and LAW.rd_star is not None and LAW.rn_star is not None
SIZES = (3e7, 1e8, 3e8, 1e9, 3e9)


def repeated_runs(noise: float = 0.002, seed: int = 0) -> Runs:
    assert isinstance(LAW, ParametricLaw) and LAW.rd_star is not None and LAW.rn_star is not None
    rows = []
    for n_params in SIZES:
        g = LAW.frontier_coefficient  # N_opt(D) = G·(D·G)^(β/α), turned round: the D it is optimal for
        optimal_tokens = (n_params / g) ** (LAW.alpha / LAW.beta) / g
        rows += [(n_params, k * optimal_tokens, k * optimal_tokens) for k in (1.0, 2.0, 4.0, 8.0)]
    repeats = itertools.product(SIZES, (1e9, 4e9), (2, 4, 8, 16, 32, 64))
    rows += [(n_params, unique * epochs, unique) for n_params, unique, epochs in repeats]
    n, d, u = (np.array(column) for column in zip(*rows, strict=True))
    loss = np.array([DataConstrainedLaw(LAW, ui, LAW.rd_star, LAW.rn_star).loss(ni, di) for ni, di, ui in rows])
    loss = loss * np.exp(noise * np.random.default_rng(seed).standard_normal(len(loss)))
    return Runs(n, d, loss, None, u)


def write_runs(runs: Runs, path: Path) -> str:
    """The runs as a CSV file a fit reads (n_params, n_tokens, unique_tokens, loss_nats)."""
    assert runs.unique_tokens is not None
    lines = ["n_params,n_tokens,unique_tokens,loss_nats"] + [
        f"{float(n)!r},{float(d)!r},{float(u)!r},{float(loss)!r}"
        for n, d, u, loss in zip(runs.n_params, runs.n_tokens, runs.unique_tokens, runs.loss_nats, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)
