"""Pictures (matplotlib, the optional `plot` extra; imported only by the commands that draw).

A fitted law (`scaling-plan plot`): (a) the runs' loss against compute, coloured by model size, with the law's
loss curve for each size and its compute-optimal frontier; (b) the frontier N_opt(C) and D_opt(C) with the
bootstrap band and chosen presets.

A backtest (`scaling-plan backtest --plot`): (a) predicted against observed loss for every held-out run, one marker
per split and method, with the line where they agree; (b) the relative error against the held-out run's compute,
with each split's largest training run marked, so that the error can be read against the reach of the
extrapolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np

from ..backtest import Score
from ..fitting import Runs
from ..laws import Law, ParametricLaw
from .files import OutputFile

FORMATS = (".png", ".svg")


def _band(law: ParametricLaw, compute: Any, level: float) -> tuple[Any, Any, Any, Any] | None:
    if not law.samples:
        return None
    optima = [refit.optimum(compute) for refit in law.refits()]
    n = np.array([o[0] for o in optima])
    d = np.array([o[1] for o in optima])
    tail = 100 * (1 - level) / 2
    return (*np.percentile(n, [tail, 100 - tail], axis=0), *np.percentile(d, [tail, 100 - tail], axis=0))


def plot_law(law: ParametricLaw, runs: Runs | None, presets: Sequence[Law], output: OutputFile) -> None:
    """Draw the figure and write it to `output` (.png or .svg) whole (files.OutputFile.write)."""
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
        output.write(lambda handle: figure.savefig(handle, format=output.extension, dpi=120))
    finally:
        plt.close(figure)


def plot_backtest(scores: Sequence[Score], output: OutputFile) -> None:
    """Draw the backtest's predictions (scores without predictions are left out) and write `output` whole."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (agree, reach) = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    markers = ("o", "s", "^", "D", "v", "P", "X", "*")
    drawn = [score for score in scores if score.predictions]
    observed_all = [p.loss_nats for score in drawn for p in score.predictions]
    predicted_all = [p.predicted_loss_nats for score in drawn for p in score.predictions]
    cutoffs = sorted({score.max_train_flops for score in drawn})
    for i, score in enumerate(drawn):
        style = {"marker": markers[i % len(markers)], "color": f"C{i % 10}", "label": f"{score.method}, {score.split}"}
        observed = [p.loss_nats for p in score.predictions]
        agree.scatter(observed, [p.predicted_loss_nats for p in score.predictions], s=18, **style)
        reach.scatter(
            [p.compute_flops for p in score.predictions],
            [p.relative_error_pct for p in score.predictions],
            s=18,
            **style,
        )
    if observed_all:
        low, high = min(observed_all + predicted_all), max(observed_all + predicted_all)
        agree.plot([low, high], [low, high], color="black", lw=1, ls="--", label="predicted = observed")
    for cutoff in cutoffs:
        reach.axvline(cutoff, color="grey", lw=0.8, ls=":")
    reach.axhline(0.0, color="black", lw=1)
    agree.set(xlabel="observed loss (nats/token)", ylabel="predicted loss (nats/token)")
    agree.set_title("(a) held-out runs: predicted against observed")
    reach.set(xscale="log", xlabel="held-out run's compute C (FLOPs)", ylabel="relative error (%)")
    reach.set_title("(b) error against compute (dotted: largest training run)")
    agree.legend(loc="upper left", fontsize="small")
    try:
        output.write(lambda handle: figure.savefig(handle, format=output.extension, dpi=120))
    finally:
        plt.close(figure)


def plot_residuals(runs: Runs, residual_log: Any, noise_log: float | None, title: str, output: OutputFile) -> None:
    """A fit's residuals (`fit --plot`): (a) against compute, coloured by model size, with the band of the runs'
    seed-to-seed noise when repeated runs give one; (b) against tokens per parameter, where a form that misses the
    runs' allocation shows a trend. Residual % = 100·(L̂/L − 1)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    percent = 100.0 * np.expm1(np.asarray(residual_log, dtype=float))
    figure, (by_compute, by_ratio) = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    colour = np.log10(runs.n_params)
    drawn = by_compute.scatter(runs.compute_flops, percent, c=colour, cmap="viridis", s=18)
    by_ratio.scatter(runs.n_tokens / runs.n_params, percent, c=colour, cmap="viridis", s=18)
    for axes in (by_compute, by_ratio):
        axes.axhline(0.0, color="black", lw=1)
        if noise_log:
            band = 100.0 * np.expm1(2 * noise_log)
            axes.axhspan(-band, band, color="grey", alpha=0.2, label="±2 seed-to-seed standard deviations")
            axes.legend(loc="upper left", fontsize="small")
    by_compute.set(xscale="log", xlabel="compute C = 6·N·D (FLOPs)", ylabel="residual: predicted / observed - 1 (%)")
    by_compute.set_title(f"(a) {title}: residuals against compute")
    by_ratio.set(xscale="log", xlabel="tokens per parameter D/N", ylabel="residual (%)")
    by_ratio.set_title("(b) residuals against tokens per parameter")
    figure.colorbar(drawn, ax=by_ratio, label="log10 parameters N")
    try:
        output.write(lambda handle: figure.savefig(handle, format=output.extension, dpi=120))
    finally:
        plt.close(figure)
