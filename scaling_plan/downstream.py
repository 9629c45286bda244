"""From the loss to what people measure: a downstream metric fitted against loss, and predicted from a plan's loss.

Labs predict a benchmark in two steps, the loss from compute (a scaling law) and then the metric from the loss
(Dubey et al. 2024, Llama 3, §3.2.1 and Figure 4; Gadre et al. 2024, "Language models scale reliably with
over-training and on downstream tasks", §2). Two forms of the second step, both fitted by least squares on the
metric:

- exponential (Gadre et al. 2024, §2, their law for downstream error): the error Err(L) = ε − k·exp(−γ·L), so the
  metric 1 − Err is 1 − ε + k·exp(−γ·L). As the loss grows the metric falls to 1 − ε (near chance); as it falls the
  metric rises.
- sigmoid (the shape of Dubey et al. 2024's Figure 4): metric = floor + (ceiling − floor)·σ(−(L − L0)/s), with the
  floor at the metric's chance level and the ceiling at 1 unless given; L0 is the loss at the midpoint and s how
  sharply the metric rises around it. Llama 3 fits accuracy against the normalised NLL of the correct answers; here
  the loss is the training loss a scaling law predicts, the quantity a plan has.

A metric that sits at chance across the runs carries no signal about the loss: it is refused, not fitted (a curve
through noise would predict an emergence that nothing measured). Bootstrap refits on resampled runs give intervals;
a prediction whose loss lies outside the losses fitted on is an extrapolation, and says so.

Every prediction is held between the mapping's floor and ceiling. The exponential passes its ceiling at a low enough
loss (and, with ε > 1 − chance, its floor at a high one); the sigmoid reaches either only where it saturates to the
precision of a float. A prediction held there is a bound, not an estimate: it says so (`clamped`), and its interval
is the spread of the refits, each held within the same bounds; where every refit is held at the bound as well,
there is no interval, since a zero-width one would claim a certainty that nothing measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from .choices import DownstreamForm as Form
from .errors import UsageError
from .fitting import RefitWork, resample_weights
from .units import counted

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

#: The constants of each form, in the order they are stored.
CONSTANT_NAMES: dict[str, tuple[str, ...]] = {"exponential": ("epsilon", "k", "gamma"), "sigmoid": ("l0", "scale")}

#: The constants each form must keep positive (the others need only be finite): the exponential's k and gamma (Gadre
#: et al. 2024's law rises as the loss falls only so), the sigmoid's scale.
POSITIVE_CONSTANTS = ("k", "gamma", "scale")


def constants_problem(form: str, constants: Sequence[float]) -> tuple[str, str] | None:
    """The first of a form's constants (CONSTANT_NAMES) a mapping cannot have, and why ("k", "must be positive, got
    -2"), or None: a fit whose constants fail it is no mapping, and is refused."""
    for name, value in zip(CONSTANT_NAMES[form], constants, strict=True):
        positive = name in POSITIVE_CONSTANTS
        if not math.isfinite(value) or (positive and value <= 0):
            return name, f"must be {'positive' if positive else 'finite'}, got {value:g}"
    return None


#: Which of the mapping's bounds a prediction is held at.
Bound = Literal["floor", "ceiling"]

#: Runs within this distance of chance count as "at chance" (2 points of accuracy, a few standard errors of a
#: benchmark of a thousand questions).
CHANCE_MARGIN_DEFAULT = 0.02
#: The fewest runs that must score beyond chance + margin for a curve to mean anything.
MIN_RUNS_ABOVE_CHANCE = 5
#: The fewest runs fitted: three constants and some to spare.
MIN_METRIC_RUNS = 6

#: The bootstrap's work in runs, at worst: measured on 2 shared cores, a refit that runs to MAX_ITERATIONS (the
#: exponential on a metric linear in the loss: k grows and gamma shrinks without end) took 0.74 ms on 8 runs, 2.8 ms
#: on 47, 52 ms on 1,000 and 490 ms on 10,000, about 50 µs a run; a sigmoid refit 0.1 to 5.6 ms, and either form 0.4
#: ms on Sardana et al. 2024's 47 runs. So a refit counts 50 runs' worth on top of its own, and 1,000,000
#: run-refits is about a minute at worst: 99 refits of 10,000 runs, 10,309 of 47.
BOOTSTRAP_WORK = RefitWork("run", 50, 1_000_000)
#: Refits solved together hold arrays of refits × runs: batches of at most this many run-refits, and 2,000 refits,
#: keep them to tens of megabytes. So does the sigmoid's grid start, in chunks of grid points × runs.
REFIT_BATCH_RUN_REFITS = 250_000
REFIT_BATCH = 2_000

#: Chance levels of common benchmarks, matched in the metric's column name (ignoring case), most specific first.
#: The MosaicML eval gauntlet reports centred accuracies, rescaled so that chance is 0 (LLM Foundry's eval gauntlet,
#: "subtract_random_baseline"); MMLU (Hendrycks et al. 2021), ARC (Clark et al. 2018) and HellaSwag (Zellers et al.
#: 2019) have four choices; PIQA (Bisk et al. 2020), WinoGrande (Sakaguchi et al. 2020) and BoolQ (Clark et al. 2019)
#: two.
KNOWN_CHANCE: tuple[tuple[str, float], ...] = (
    ("eval_gauntlet", 0.0), ("mmlu", 0.25), ("arc", 0.25), ("hellaswag", 0.25), ("piqa", 0.5),
    ("winogrande", 0.5), ("boolq", 0.5),
)  # fmt: skip


def known_chance(metric: str) -> float | None:
    """The chance level of a benchmark known by its column name, or None."""
    lowered = metric.lower()
    return next((level for key, level in KNOWN_CHANCE if key in lowered), None)


@dataclass(frozen=True)
class MetricRuns:
    """Runs' loss (nats/token) and their score on one metric (1 is perfect)."""

    loss_nats: Array
    metric: Array

    def __len__(self) -> int:
        return len(self.loss_nats)


@dataclass(frozen=True)
class DownstreamMapping:
    """A fitted mapping from loss to a metric: predicts the metric for a loss, with intervals from its refits."""

    name: str  # short, for field names: downstream_<name>
    metric: str  # the column it was fitted to
    form: Form
    constants: tuple[float, ...]  # CONSTANT_NAMES[form]
    chance: float
    floor: float  # the sigmoid's lower asymptote (chance unless given); the exponential's own is 1 − ε, held at chance
    ceiling: float  # the sigmoid's upper asymptote; every prediction is held between the floor and the ceiling
    loss_range_nats: tuple[float, float]  # the losses of the runs it was fitted on
    dataset: str  # the data the loss was measured on
    source: str
    samples: tuple[tuple[float, ...], ...] = ()  # bootstrap refits' constants
    interval_level: float = 0.9

    def metric_at(self, loss_nats: Array | float, constants: Sequence[float] | None = None) -> Array:
        """The metric at each loss, with these constants (default the fitted ones), held between the floor and the
        ceiling."""
        held: Array = np.clip(self._form_at(loss_nats, constants), self.floor, self.ceiling)
        return held

    def bound_at(self, loss_nats: float) -> Bound | None:
        """The bound the fitted form reaches at this loss (and the prediction is held at), or None inside them."""
        value = float(self._form_at(loss_nats)[0])
        return "ceiling" if value >= self.ceiling else "floor" if value <= self.floor else None

    def _form_at(self, loss_nats: Array | float, constants: Sequence[float] | None = None) -> Array:
        """The form's own value, not held."""
        rows = np.asarray(constants if constants is not None else self.constants)[None, :]
        losses = np.atleast_1d(np.asarray(loss_nats, dtype=np.float64))
        values: Array = _metric(self.form, rows, losses, self.floor, self.ceiling)[0]
        return values

    def extrapolated(self, loss_nats: float) -> bool:
        low, high = self.loss_range_nats
        return not low <= loss_nats <= high


@dataclass(frozen=True)
class MetricPrediction:
    """A metric predicted from a loss; the interval spans the mapping's refits and, when given, the law's."""

    mapping: DownstreamMapping
    loss_nats: float
    value: float  # held between the mapping's floor and ceiling
    interval: tuple[float, float] | None  # holding the mapping's interval level (the law's without mapping refits);
    # None without refits, or where every refit is held at the same bound (a zero-width interval claims certainty)
    extrapolated: bool  # the loss lies outside the losses the mapping was fitted on
    n_loss_samples: int = 0  # the law's refits whose losses the interval spans too
    clamped: Bound | None = None  # the form reaches this bound at the loss: the value is the bound, not an estimate


def predict_metric(
    mapping: DownstreamMapping, loss_nats: float, loss_samples: Sequence[float] = (), loss_level: float | None = None
) -> MetricPrediction:
    """The metric at `loss_nats`, with an interval over the mapping's refits paired with the law's refits' losses
    (`loss_samples`, one per law refit, whose intervals hold `loss_level`) when either has any: refit i of each,
    cycling the shorter. The interval holds the mapping's level, or the law's when only the law has refits; an
    interval of zero width (every refit held at a bound) is none."""
    value = float(mapping.metric_at(loss_nats)[0])
    interval = None
    refits = mapping.samples or (mapping.constants,)
    losses = tuple(loss_samples) or (loss_nats,)
    if mapping.samples or loss_samples:
        count = max(len(refits), len(losses))
        constants = np.array([refits[i % len(refits)] for i in range(count)])
        at = np.array([losses[i % len(losses)] for i in range(count)])
        values = _metric(mapping.form, constants, at[:, None], mapping.floor, mapping.ceiling)[:, 0]
        values = np.clip(values[np.isfinite(values)], mapping.floor, mapping.ceiling)
        level = mapping.interval_level if mapping.samples or loss_level is None else loss_level
        tail = 100 * (1 - level) / 2
        if len(values):
            low, high = np.percentile(values, [tail, 100 - tail])
            interval = (float(low), float(high)) if high > low else None
    return MetricPrediction(mapping, loss_nats, value, interval, mapping.extrapolated(loss_nats), len(loss_samples),
                            mapping.bound_at(loss_nats))  # fmt: skip


def extrapolation_warning(prediction: MetricPrediction) -> str | None:
    """Said when the loss lies outside the losses the mapping was fitted on."""
    if not prediction.extrapolated:
        return None
    mapping, (low, high) = prediction.mapping, prediction.mapping.loss_range_nats
    side = (
        f"below the lowest loss it was fitted on ({low:.4g})"
        if prediction.loss_nats < low
        else f"above the highest loss it was fitted on ({high:.4g})"
    )
    return f"{mapping.name}: the loss {prediction.loss_nats:.4g} is {side}: the metric is an extrapolation"


def clamp_warning(prediction: MetricPrediction) -> str | None:
    """Said when the form reaches the mapping's floor or ceiling at the loss, and the metric is held there."""
    if prediction.clamped is None:
        return None
    mapping = prediction.mapping
    return (
        f"{mapping.name}: at the loss {prediction.loss_nats:.4g} the {mapping.form} form reaches the mapping's"
        f" {prediction.clamped} ({bound_value(prediction):g}): the metric is held there, a bound rather than a"
        f" prediction; {clamped_interval(prediction)}"
    )


def bound_value(prediction: MetricPrediction) -> float:
    """The floor or ceiling a clamped prediction is held at."""
    return prediction.mapping.ceiling if prediction.clamped == "ceiling" else prediction.mapping.floor


def clamped_interval(prediction: MetricPrediction) -> str:
    """What the interval of a prediction held at a bound is, or why it has none."""
    if prediction.interval is not None:
        return "its interval is the refits' spread, each held within the bounds"
    if prediction.mapping.samples or prediction.n_loss_samples:
        return "no interval: every refit is held there too (a zero-width one would claim certainty)"
    return "no interval (no refits)"


def dataset_warning(mapping: DownstreamMapping, law_dataset: str) -> str | None:
    """Said when the law's loss is measured on other data than the mapping's."""
    if mapping.dataset == law_dataset:
        return None
    return (
        f"{mapping.name}: fitted on the loss of {mapping.dataset}, used with a law of {law_dataset}: losses on"
        " different data do not match, so the metric may be far off"
    )


def prediction_warnings(prediction: MetricPrediction, law_dataset: str) -> list[str]:
    said = (
        extrapolation_warning(prediction),
        clamp_warning(prediction),
        dataset_warning(prediction.mapping, law_dataset),
    )
    return [warning for warning in said if warning is not None]


@dataclass(frozen=True)
class DownstreamFit:
    form: Form
    constants: tuple[float, ...]
    chance: float
    floor: float
    ceiling: float
    margin: float
    n_runs: int
    n_at_chance: int  # runs within `margin` of chance
    loss_range_nats: tuple[float, float]
    residual_rmse: float  # of the metric
    samples: Array | None  # rows of constants, one per bootstrap refit with finite constants
    resamples: int
    seed: int

    def intervals(self, level: float) -> dict[str, tuple[float, float]]:
        if self.samples is None or len(self.samples) == 0:
            return {}
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(self.samples, [tail, 100 - tail], axis=0)
        return {name: (float(low[i]), float(high[i])) for i, name in enumerate(CONSTANT_NAMES[self.form])}


def fit_downstream(
    runs: MetricRuns,
    form: Form,
    chance: float,
    where: str,
    floor: float | None = None,
    ceiling: float = 1.0,
    margin: float = CHANCE_MARGIN_DEFAULT,
    resamples: int = 0,
    seed: int = 42,
) -> DownstreamFit:
    """Fit `form` to the runs by least squares on the metric (and refit `resamples` resamples drawn with
    replacement). Refuses (UsageError at `where`) runs that are too few, all at one loss, or at chance."""
    n_runs = len(runs)
    if n_runs < MIN_METRIC_RUNS:
        raise UsageError(
            where, f"{counted(n_runs, 'run')}; fitting a metric against loss needs at least {MIN_METRIC_RUNS}"
        )
    if np.ptp(runs.loss_nats) == 0:
        raise UsageError(where, "every run has the same loss: nothing to fit the metric against")
    floor = chance if floor is None else floor
    if form == "sigmoid" and not floor < ceiling:
        raise UsageError(where, f"the floor ({floor:g}) must be below the ceiling ({ceiling:g})")
    at_chance = int(np.sum(np.abs(runs.metric - chance) <= margin))
    above = int(np.sum(runs.metric > chance + margin))
    if above < MIN_RUNS_ABOVE_CHANCE:
        raise UsageError(
            where,
            f"{at_chance} of {n_runs} runs score within {margin:g} of chance ({chance:g}) and {above} above it;"
            f" a curve needs at least {MIN_RUNS_ABOVE_CHANCE} above: the metric has not emerged in these runs, so"
            " it cannot be predicted from their loss",
        )
    _check_falls_with_loss(runs, where)
    theta, _ = _fit(form, runs, np.ones((1, n_runs)), floor, ceiling)
    constants = _constants(form, theta, runs)[0]
    if not np.all(np.isfinite(constants)):
        raise UsageError(where, f"the {form} fit runs away to infinite constants: the form does not fit these runs")
    problem = constants_problem(form, constants.tolist())
    if problem is not None:  # e.g. the exponential's k and gamma both below 0: a curve of another shape
        raise UsageError(where, f"the {form} fit is no mapping ({problem[0]} {problem[1]}): the form does not fit"
                                " these runs")  # fmt: skip
    predicted = _metric(form, constants[None, :], runs.loss_nats, floor, ceiling)[0]
    samples = None
    if resamples:
        rng, batch = np.random.default_rng(seed), max(1, min(REFIT_BATCH, REFIT_BATCH_RUN_REFITS // n_runs))
        batches = []
        for first in range(0, resamples, batch):  # the same draws, in the same order, as one batch of them all
            weights = resample_weights(rng, n_runs, min(batch, resamples - first))
            refit, _ = _fit(form, runs, weights, floor, ceiling)
            batches.append(_constants(form, refit, runs))
        rows = np.concatenate(batches)
        samples = rows[np.all(np.isfinite(rows), axis=1)]  # which of them a downstream file holds: the inputs' question
    return DownstreamFit(
        form, tuple(float(v) for v in constants), chance, floor, ceiling, margin, n_runs, at_chance,
        (float(runs.loss_nats.min()), float(runs.loss_nats.max())),
        float(np.sqrt(np.mean((predicted - runs.metric) ** 2))), samples, resamples, seed,
    )  # fmt: skip


def _check_falls_with_loss(runs: MetricRuns, where: str) -> None:
    """Refuse runs whose metric does not fall as the loss rises (a least-squares slope against loss of 0 or more),
    whichever form would fit them: both rise only as the loss falls, so fitted to such runs the exponential turns k
    negative and the sigmoid flattens (its midpoint and scale run off to thousands of nats), and neither predicts
    anything."""
    loss = runs.loss_nats - runs.loss_nats.mean()
    slope = float(np.dot(loss, runs.metric - runs.metric.mean()) / np.dot(loss, loss))
    if not slope < 0:
        raise UsageError(
            where,
            f"the metric does not rise as the loss falls in these runs (its least-squares slope against the loss is"
            f" {slope:+.3g} per nat): nothing to predict",
        )


def _metric(form: str, constants: Array, loss: Array, floor: float, ceiling: float) -> Array:
    """The metric for rows of constants (S, P) at losses (R,) or (S, R): (S, R)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if form == "exponential":
            epsilon, k, gamma = (constants[:, i : i + 1] for i in range(3))
            values: Array = 1.0 - epsilon + k * np.exp(-gamma * loss)
        else:
            l0, scale = constants[:, 0:1], constants[:, 1:2]
            values = floor + (ceiling - floor) / (1.0 + np.exp((loss - l0) / scale))
    return values


# The fit works in coordinates that keep the problem well scaled: the exponential as c + u·exp(−γ·(L − L̄)) with L̄
# the runs' mean loss (so ε = 1 − c and k = u·exp(γ·L̄)), the sigmoid as (L0, ln s).


def _constants(form: str, theta: Array, runs: MetricRuns) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        if form == "exponential":
            mean = float(runs.loss_nats.mean())
            c, u, gamma = theta.T
            constants: Array = np.column_stack([1.0 - c, u * np.exp(gamma * mean), gamma])
        else:
            constants = np.column_stack([theta[:, 0], np.exp(theta[:, 1])])
    return constants


def _model(form: str, theta: Array, x: Array, floor: float, ceiling: float) -> tuple[Array, Array]:
    """Predictions (S, R) and their Jacobian (S, R, P) in the fit's coordinates; x is the loss (centred for the
    exponential)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if form == "exponential":
            c, u, gamma = (theta[:, i : i + 1] for i in range(3))
            decay = np.exp(-gamma * x)
            prediction = c + u * decay
            jacobian = np.stack([np.ones_like(decay), decay, -u * x * decay], axis=2)
        else:
            l0, log_scale = theta[:, 0:1], theta[:, 1:2]
            scale = np.exp(log_scale)
            z = (x - l0) / scale
            p = 1.0 / (1.0 + np.exp(z))
            span = ceiling - floor
            prediction = floor + span * p
            slope = span * p * (1.0 - p)
            jacobian = np.stack([slope / scale, slope * z], axis=2)
    return prediction, jacobian


def _start(form: str, x: Array, metric: Array, weights: Array, floor: float, ceiling: float) -> Array:
    """A start for each problem (row of weights) from a grid: for the exponential each γ with the best (c, u) by
    weighted linear least squares; for the sigmoid every (L0, s) pair."""
    total = weights.sum(axis=1, keepdims=True)
    if form == "exponential":
        gammas = np.geomspace(0.01, 30.0, 60)
        decay = np.exp(-gammas[:, None] * x[None, :])  # (G, R)
        s_e, s_ee = weights @ decay.T, weights @ (decay**2).T
        s_m = weights @ metric
        s_em = weights @ (decay * metric).T
        s_mm = weights @ metric**2
        det = total * s_ee - s_e**2
        with np.errstate(divide="ignore", invalid="ignore"):
            c = (s_ee * s_m[:, None] - s_e * s_em) / det
            u = (total * s_em - s_e * s_m[:, None]) / det
        sse = s_mm[:, None] - 2 * c * s_m[:, None] - 2 * u * s_em + c**2 * total + 2 * c * u * s_e + u**2 * s_ee
        sse = np.where(np.isfinite(sse), sse, np.inf)
        best = np.argmin(sse, axis=1)
        rows = np.arange(len(weights))
        start: Array = np.column_stack([c[rows, best], u[rows, best], gammas[best]])
        return start
    span = float(np.ptp(x)) or 1.0
    centres = np.linspace(x.min() - span, x.max() + span, 41)
    scales = np.geomspace(span / 100, span * 10, 31)
    grid = np.array([(l0, math.log(s)) for l0 in centres for s in scales])
    sse = np.empty((len(grid), len(weights)))  # (G, S)
    chunk = max(1, REFIT_BATCH_RUN_REFITS // len(x))
    for first in range(0, len(grid), chunk):  # (G, R) at once held 850 MB on 10,000 runs
        predicted, _ = _model(form, grid[first : first + chunk], x, floor, ceiling)
        sse[first : first + chunk] = ((metric[None, :] - predicted) ** 2) @ weights.T
    grid_start: Array = grid[np.argmin(sse, axis=0)]
    return grid_start


#: Levenberg–Marquardt settings: stop when an accepted step lowers the sum of squares by less than FTOL relative.
FTOL = 1e-12
MAX_ITERATIONS = 500


def _fit(form: str, runs: MetricRuns, weights: Array, floor: float, ceiling: float) -> tuple[Array, Array]:
    """Least squares for every row of `weights` (a problem: the runs, weighted by how often each was drawn),
    batched Levenberg–Marquardt from a grid start. Returns each problem's coordinates and sum of squares."""
    x = runs.loss_nats - runs.loss_nats.mean() if form == "exponential" else runs.loss_nats
    metric = runs.metric
    theta = _start(form, x, metric, weights, floor, ceiling)
    n_params = theta.shape[1]

    def sse_of(values: Array) -> Array:
        prediction, _ = _model(form, values, x, floor, ceiling)
        total: Array = np.sum(weights * (prediction - metric) ** 2, axis=1)
        return np.where(np.isfinite(total), total, np.inf)

    sse = sse_of(theta)
    damping = np.full(len(theta), 1e-3)
    active = np.ones(len(theta), dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(MAX_ITERATIONS):
            if not active.any():
                break
            prediction, jacobian = _model(form, theta, x, floor, ceiling)
            weighted = jacobian * weights[:, :, None]
            normal = np.einsum("srp,srq->spq", weighted, jacobian)
            gradient = np.einsum("srp,sr->sp", weighted, prediction - metric)
            diagonal = np.einsum("spp->sp", normal)
            system = normal + (damping[:, None] * np.maximum(diagonal, 1e-12))[:, :, None] * np.eye(n_params)
            ok = np.all(np.isfinite(system), axis=(1, 2)) & np.all(np.isfinite(gradient), axis=1)
            step = np.zeros_like(theta)
            if ok.any():
                step[ok] = -np.linalg.solve(system[ok], gradient[ok][:, :, None])[:, :, 0]
            trial = theta + step
            trial_sse = sse_of(trial)
            better = active & ok & (trial_sse < sse)
            gain = np.where(better, sse - trial_sse, 0.0)
            theta = np.where(better[:, None], trial, theta)
            done = better & (gain <= FTOL * np.maximum(sse, 1e-300))
            sse = np.where(better, trial_sse, sse)
            damping = np.where(better, damping / 3, damping * 4)
            done |= damping > 1e12  # no step lowers it: a minimum to the precision the problem allows
            active &= ~done
    return theta, sse
