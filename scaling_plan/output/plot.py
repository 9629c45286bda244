"""Pictures of a fitted law (matplotlib, the optional `plot` extra; imported only by `scaling-plan plot`).

(a) the runs' loss against compute, coloured by model size, with the law's loss curve for each size and its
    compute-optimal frontier; (b) the frontier N_opt(C) and D_opt(C) with the bootstrap band and chosen presets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np

from ..fitting import Runs
from ..laws import Law, ParametricLaw
from .files import write_atomically

FORMATS = (".png", ".svg")


def _band(law: ParametricLaw, compute: Any, level: float) -> tuple[Any, Any, Any, Any] | None:
    if not law.samples:
        return None
    optima = [refit.optimum(compute) for refit in law.refits()]
    n = np.array([o[0] for o in optima])
    d = np.array([o[1] for o in optima])
    tail = 100 * (1 - level) / 2
    return (*np.percentile(n, [tail, 100 - tail], axis=0), *np.percentile(d, [tail, 100 - tail], axis=0))


def plot_law(law: ParametricLaw, runs: Runs | None, presets: Sequence[Law], output: str) -> None:
    """Draw the figure and write it to `output` (.png or .svg) whole: to a temporary file, then renamed."""
    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    panels = 2 if runs is not None else 1
    figure, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 5), squeeze=False, constrained_layout=True)
    low, high = law.compute_range_flops
    if runs is not None:
        low, high = float(runs.compute_flops.min()), float(runs.compute_flops.max())
    compute = np.logspace(np.log10(low) - 0.5, np.log10(high) + 1.5, 200)

    if runs is not None:
        ax = axes[0, 0]
        norm = LogNorm(float(runs.n_params.min()), float(runs.n_params.max()))
        points = ax.scatter(runs.compute_flops, runs.loss_nats, c=runs.n_params, norm=norm, cmap="viridis", s=14)
        figure.colorbar(points, ax=ax, label="parameters N")
        for size in np.quantile(runs.n_params, np.linspace(0, 1, 7)):
            ax.plot(compute, law.loss(size, compute / (6 * size)), color=plt.get_cmap("viridis")(norm(size)), lw=1)
        n_opt, d_opt = law.optimum(compute)
        ax.plot(compute, law.loss(n_opt, d_opt), color="black", ls="--", lw=1.5, label=f"{law.name} frontier")
        ax.set(xscale="log", yscale="log", xlabel="training compute C (FLOPs)", ylabel="loss (nats/token)")
        ax.set_ylim(float(runs.loss_nats.min()) * 0.95, float(runs.loss_nats.max()) * 1.05)
        ax.set_title("(a) runs and fitted loss for each model size")
        ax.legend(loc="upper right")

    ax = axes[0, panels - 1]
    n_opt, d_opt = law.optimum(compute)
    ax.plot(compute, n_opt, color="tab:blue", label=f"N_opt, {law.name}")
    ax.plot(compute, d_opt, color="tab:orange", label=f"D_opt, {law.name}")
    band = _band(law, compute, law.interval_level)
    if band is not None:
        ax.fill_between(
            compute, band[0], band[1], color="tab:blue", alpha=0.2, label=f"{law.interval_level:.0%} bootstrap"
        )
        ax.fill_between(compute, band[2], band[3], color="tab:orange", alpha=0.2)
    for preset, style in zip(presets, (":", "-.", (0, (5, 2)), (0, (1, 3))), strict=False):
        n, d = preset.optimum(compute)
        ax.plot(compute, n, color="tab:blue", ls=style, lw=1, label=f"N_opt, {preset.name}")
        ax.plot(compute, d, color="tab:orange", ls=style, lw=1)
    ax.set(xscale="log", yscale="log", xlabel="training compute C (FLOPs)", ylabel="parameters / tokens")
    ax.set_title("(b) compute-optimal frontier")
    ax.legend(loc="upper left", fontsize="small")

    try:
        write_atomically(output, lambda temporary: figure.savefig(temporary, dpi=120))
    finally:
        plt.close(figure)
