"""Backtests: fit on the small runs, predict the large ones, and measure the error (how far to trust an extrapolation).

A split holds out the runs above a compute cutoff (or above a size, or the K largest); each way of predicting is
fitted on the rest and scored on the held-out runs:
- parametric: Approach 3, L(N, D) fitted to the training runs (fitting.py), predicting each held-out run's loss;
- isoflop: Approach 2 (isoflop.py), whose frontier predicts each held-out budget's minimum loss, compared with the
  minimum of that budget's own isoFLOP profile (a frontier has no loss for a run off it);
- a published law (a preset), which is not fitted: it predicts every held-out run as it stands.
The rolling backtest takes each power of ten of compute as the cutoff in turn, trains on every run below it (an
expanding window) and holds out the decade above it. Runs are grouped by budget first (the runs file's budget column,
else the isoFLOP fit's grouping by compute), so that no budget's profile is cut in two.

A downstream mapping (downstream.py) is backtested the same way: its form is refitted to the training runs' loss and
metric, then predicts each held-out run's metric twice, from the run's observed loss (the second step alone) and from
the loss each fitted way of predicting gave it (both steps, as a plan would).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError, named
from .experiments import BUDGET_RTOL_DEFAULT
from .fitting import HUBER, MIN_RUNS, Criterion, Runs, fit_law
from .isoflop import fit_isoflop, group_budgets, isoflop_profile
from .laws import FrontierLaw, Law, ParametricLaw
from .moe import MoELaw
from .units import format_count, format_scientific

if TYPE_CHECKING:
    from .downstream import DownstreamMapping


#: What a score's predictions are of: every held-out run; the best (lowest-loss) run of each held-out budget, which
#: a law of compute alone predicts, and on which every family is scored when one is among those compared; or each
#: held-out budget's isoFLOP minimum (its own parabola's), which Approach 2 predicts.
RUNS, BEST_RUNS, ISOFLOP_MINIMA = "held-out runs", "each held-out budget's best run", "held-out isoFLOP minima"


@dataclass(frozen=True)
class Prediction:
    """One held-out run (or, for isoflop, one held-out budget's minimum) and what the fit predicted for it."""

    n_params: float
    n_tokens: float
    compute_flops: float
    loss_nats: float
    predicted_loss_nats: float

    @property
    def relative_error_pct(self) -> float:
        return 100.0 * (self.predicted_loss_nats - self.loss_nats) / self.loss_nats


@dataclass(frozen=True)
class Score:
    """How one way of predicting did on one split."""

    split: str  # e.g. "compute > 1e21 FLOPs"
    method: str  # parametric, isoflop, or a preset's name
    n_train: int
    n_held_out: int
    max_train_flops: float
    max_held_out_flops: float
    predictions: tuple[Prediction, ...]
    constants: dict[str, float]  # what was fitted (empty for a preset)
    note: str | None = None  # why there are no predictions, when there are none
    scored_on: str = RUNS  # what the predictions are of (RUNS, BEST_RUNS or ISOFLOP_MINIMA)
    rank: int | None = None  # by mean |error| among the split's scores of the same targets (1: the least)

    def _errors(self) -> list[float]:
        return [p.relative_error_pct for p in self.predictions]

    @property
    def mean_abs_error_pct(self) -> float | None:
        errors = self._errors()
        return float(np.mean(np.abs(errors))) if errors else None

    @property
    def mean_signed_error_pct(self) -> float | None:
        errors = self._errors()
        return float(np.mean(errors)) if errors else None

    @property
    def max_abs_error_pct(self) -> float | None:
        errors = self._errors()
        return float(np.max(np.abs(errors))) if errors else None

    @property
    def compute_ratio(self) -> float:
        """How far the held-out runs reach beyond the training runs: largest held-out over largest training compute."""
        return self.max_held_out_flops / self.max_train_flops


@dataclass(frozen=True)
class Split:
    name: str
    train: np.ndarray
    held_out: np.ndarray
    option: str  # the option that asked for it, by its field name (errors.named words it for each door)


def splits(
    runs: Runs,
    above_flops: float | None = None,
    params_above: float | None = None,
    top: int | None = None,
    rolling: bool = False,
    budgets: Sequence[float] | None = None,
    rtol: float = BUDGET_RTOL_DEFAULT,
) -> list[Split]:
    """The train/held-out splits asked for (exactly one way).

    A compute cutoff never cuts a budget's runs apart: with `budgets` (each run's isoFLOP budget, from the runs
    file's budget column) a cutoff compares budgets, not each run's 6·N·D, which rounding to whole parameters and
    tokens puts a hair either side of the budget. The rolling backtest without them groups runs into budgets as the
    isoFLOP fit does (within `rtol` of a bucket's smallest compute)."""
    compute, n_params = runs.compute_flops, runs.n_params
    given_budgets = None if budgets is None else np.asarray(budgets, dtype=float)
    given = {"holdout_above": above_flops is not None, "holdout_params_above": params_above is not None,
             "holdout_top": top is not None, "rolling": rolling}  # fmt: skip
    asked = [named(option) for option, is_given in given.items() if is_given]
    if len(asked) != 1:
        where, what = (
            (" and ".join(asked), "give only one of") if asked else ("", "say which runs to hold out: give one of")
        )
        every = [named(option) for option in given]
        raise UsageError(where, f"{what} {', '.join(every[:-1])} or {every[-1]}")
    if above_flops is not None:
        by, what = (compute, "compute") if given_budgets is None else (given_budgets, "budget")
        name = f"{what} > {format_scientific(above_flops)} FLOPs"
        return [Split(name, by <= above_flops, by > above_flops, "holdout_above")]
    if params_above is not None:
        name = f"N > {format_count(params_above)}"
        return [Split(name, n_params <= params_above, n_params > params_above, "holdout_params_above")]
    if top is not None:
        if not 0 < top < len(compute):
            raise UsageError("holdout_top", f"must be from 1 to {len(compute) - 1} (the runs number {len(compute)})")
        held = np.zeros(len(compute), bool)
        held[np.argsort(compute)[-top:]] = True
        return [Split(f"the {top} largest by compute", ~held, held, "holdout_top")]
    budget = group_budgets(compute, given_budgets, rtol)
    what = "compute" if given_budgets is None else "budget"
    found = []
    for exponent in range(math.floor(math.log10(budget.min())) + 1, math.ceil(math.log10(budget.max()))):
        cutoff = 10.0**exponent
        train, held = budget <= cutoff, (budget > cutoff) & (budget <= cutoff * 10)
        if train.sum() >= MIN_RUNS and held.any():
            found.append(Split(f"1e{exponent} < {what} <= 1e{exponent + 1} FLOPs", train, held, "rolling"))
    if not found:
        raise UsageError(
            "rolling", f"no power of ten of compute leaves {MIN_RUNS} training runs below it and runs above"
        )
    return found


def _subset(runs: Runs, mask: np.ndarray) -> Runs:
    weights, unique, granularity, experts = (
        None if values is None else values[mask]
        for values in (runs.weights, runs.unique_tokens, runs.granularity, runs.experts)
    )
    return Runs(runs.n_params[mask], runs.n_tokens[mask], runs.loss_nats[mask], weights, unique, granularity, experts)


def _predictions(law: Law, runs: Runs) -> tuple[Prediction, ...]:
    """The law's loss for each run: of its N and D, or of its compute alone for a frontier law; a mixture's law at
    each run's granularity, a law with R_D* and R_N* under each run's unique tokens."""
    from .data_constrained import with_unique_tokens

    if isinstance(law, FrontierLaw):
        predicted = law.loss_at(runs.compute_flops)
    elif isinstance(law, MoELaw) and runs.granularity is not None:
        predicted = law.loss_at(runs.n_params, runs.n_tokens, runs.granularity)
    elif isinstance(law, ParametricLaw) and law.rd_star is not None and runs.unique_tokens is not None:
        capped = [with_unique_tokens(law, float(u)) for u in runs.unique_tokens]
        predicted = np.array([float(each.loss(n, d)) for each, n, d in  # type: ignore[union-attr]
                              zip(capped, runs.n_params, runs.n_tokens, strict=True)])  # fmt: skip
    else:
        predicted = law.loss(runs.n_params, runs.n_tokens)
    return tuple(
        Prediction(float(n), float(d), float(6.0 * n * d), float(loss), float(p))
        for n, d, loss, p in zip(runs.n_params, runs.n_tokens, runs.loss_nats, predicted, strict=True)
    )


def _named(name: str, criterion: Criterion) -> str:
    return name if criterion.kind == "huber" else f"{name} {criterion.kind}"


def score_parametric(
    split: Split, runs: Runs, criterion: Criterion = HUBER, targets: np.ndarray | None = None
) -> Score:
    """Chinchilla's law fitted on the split's training runs, scored on `targets` (default: every held-out run)."""

    train, held = _subset(runs, split.train), _subset(runs, split.held_out if targets is None else targets)
    base = (split.name, _named("parametric", criterion), len(train), int(split.held_out.sum()),
            float(train.compute_flops.max()), float(runs.compute_flops[split.held_out].max()))  # fmt: skip
    scored_on = RUNS if targets is None else BEST_RUNS
    if len(train) < MIN_RUNS:
        return Score(*base, (), {}, f"{len(train)} training runs; a fit needs {MIN_RUNS}", scored_on)
    fit, _ = fit_law(train, criterion)
    if not fit.finite:
        return Score(*base, (), {}, "no law fits the training runs (the fit runs away to infinite constants)",
                     scored_on)  # fmt: skip
    if not all(value > 0 for value in fit.constants):
        return Score(*base, (), {}, fit.problem or "the best fit is degenerate (a constant is not positive)",
                     scored_on)  # fmt: skip
    law = ParametricLaw("backtest", fit.E, fit.A, fit.B, fit.alpha, fit.beta, source="backtest fit")
    constants = dict(zip(("E", "A", "B", "alpha", "beta"), fit.constants, strict=True))
    return Score(*base, _predictions(law, held), constants, fit.problem, scored_on)


def score_form(
    split: Split,
    runs: Runs,
    form: str,
    criterion: Criterion,
    targets: np.ndarray | None,
    budgets: np.ndarray | None,
    rtol: float,
) -> Score:
    """Another law family (families.py) fitted on the split's training runs, scored on `targets` (default: every
    held-out run)."""
    from .families import FAMILIES, fit_family, frontier_runs
    from .laws import KaplanLaw

    family = FAMILIES[form]
    train, held = _subset(runs, split.train), _subset(runs, split.held_out if targets is None else targets)
    base = (split.name, _named(form, criterion), len(train), int(split.held_out.sum()),
            float(train.compute_flops.max()), float(runs.compute_flops[split.held_out].max()))  # fmt: skip
    scored_on = RUNS if targets is None else BEST_RUNS
    train_budgets = None if budgets is None else budgets[split.train]
    needed = len(family.constants) + 1
    have = len(frontier_runs(train, train_budgets, rtol)) if family.on_frontier else len(train)
    if have < needed:
        what = "training budgets" if family.on_frontier else "training runs"
        return Score(*base, (), {}, f"{have} {what}; {form}'s {len(family.constants)} constants need {needed}",
                     scored_on)  # fmt: skip
    unfit = _undetermined(form, train)
    if unfit is not None:
        return Score(*base, (), {}, unfit, scored_on)
    fit, _ = fit_family(family, train, criterion, train_budgets, rtol)
    if not fit.finite or fit.problem is not None:
        return Score(*base, (), {}, fit.problem or "no law fits the training runs", scored_on)
    c = fit.constants
    law: Law
    if form == "moe":
        assert train.experts is not None
        law = MoELaw("backtest", c["E"], c["A"], c["B"], c["alpha"], c["beta"], "backtest fit", "", g=c["g"],
                     gamma=c["gamma"], expansion=float(train.experts[0]))  # fmt: skip
    elif form == "data-constrained":
        law = ParametricLaw("backtest", c["E"], c["A"], c["B"], c["alpha"], c["beta"], "backtest fit", "",
                            rd_star=c["rd_star"], rn_star=c["rn_star"])  # fmt: skip
    elif fit.allocation is None:
        law = KaplanLaw("backtest", c["alpha_n"], c["alpha_d"], c["n_c"], c["d_c"], frontier_n_coefficient=None)
    else:
        k_n, a = fit.allocation
        law = FrontierLaw("backtest", k_n, a, c["E"], c["A"], c["gamma"], source="backtest fit",
                          gamma_change=c.get("gamma_change", 0.0), break_flops=c.get("break_flops"),
                          sharpness=c.get("sharpness", 1.0))  # fmt: skip
    allocation = {} if fit.allocation is None else dict(zip(("k_n", "a"), fit.allocation, strict=True))
    return Score(*base, _predictions(law, held), allocation | c, None, scored_on)


def _undetermined(form: str, train: Runs) -> str | None:
    """Why the training runs cannot determine a data-constrained or mixture-of-experts law (answers_fit checks the
    same of a whole runs file), or None."""
    if form == "data-constrained":
        if train.unique_tokens is None:
            return "no unique tokens in the runs"
        repeating = int((train.n_tokens > train.unique_tokens * (1 + 1e-9)).sum())
        if repeating == 0 or len(train) - repeating < MIN_RUNS:
            return f"{repeating} training runs repeat their data and {len(train) - repeating} see it once"
    if form == "moe":
        if train.granularity is None or train.experts is None:
            return "no granularity or expansion in the runs"
        if len(set(train.experts.tolist())) > 1 or len(set(train.granularity.tolist())) < 2:
            return "the training runs have more than one expansion or a single granularity"
    return None


def score_isoflop(split: Split, runs: Runs, budgets: np.ndarray | None, rtol: float) -> Score:
    """The frontier fitted on the training runs, against each held-out budget's own isoFLOP minimum."""
    compute = runs.compute_flops
    all_budgets = group_budgets(compute, budgets, rtol)
    base = (split.name, "isoflop", int(split.train.sum()), int(split.held_out.sum()),
            float(compute[split.train].max()), float(compute[split.held_out].max()))  # fmt: skip
    try:
        fit = fit_isoflop(runs.n_params[split.train], compute[split.train], runs.loss_nats[split.train],
                          all_budgets[split.train], rtol)  # fmt: skip
    except UsageError as error:
        return Score(*base, (), {}, error.message, ISOFLOP_MINIMA)
    frontier = fit.frontier
    predictions = []
    for budget in np.unique(all_budgets[split.held_out]):
        members = split.held_out & (all_budgets == budget)
        profile = isoflop_profile(float(budget), runs.n_params[members], runs.loss_nats[members])
        if profile.optimal_n_params is None or profile.optimal_loss_nats is None:
            continue
        n_opt = profile.optimal_n_params
        predictions.append(Prediction(n_opt, float(budget) / (6.0 * n_opt), float(budget), profile.optimal_loss_nats,
                                      frontier.loss(float(budget))))  # fmt: skip
    constants = {"k_n": frontier.k_n, "a": frontier.a, "E": frontier.E, "A": frontier.A, "gamma": frontier.gamma}
    note = None if predictions else "no held-out budget has a usable isoFLOP profile to compare its minimum with"
    return Score(*base, tuple(predictions), constants, note, ISOFLOP_MINIMA)


def score_law(split: Split, runs: Runs, law: Law, targets: np.ndarray | None = None) -> Score:
    train, held = _subset(runs, split.train), _subset(runs, split.held_out if targets is None else targets)
    return Score(split.name, law.name, len(train), int(split.held_out.sum()), float(train.compute_flops.max()),
                 float(runs.compute_flops[split.held_out].max()), _predictions(law, held), {}, None,
                 RUNS if targets is None else BEST_RUNS)  # fmt: skip


def backtest(
    runs: Runs,
    chosen: Sequence[Split],
    approaches: Sequence[str],
    laws: Sequence[Law] = (),
    budgets: Sequence[float] | None = None,
    rtol: float = 0.1,
    criteria: Sequence[Criterion] = (HUBER,),
    forms: Sequence[str] = ("chinchilla",),
) -> list[Score]:
    """Every split scored by every approach asked for (the parametric approach in each law family, fitted by each
    criterion), then by every law, each ranked among the split's scores of the same targets. With a family of
    compute alone among `forms`, every family and law is scored on each held-out budget's best run (BEST_RUNS)."""
    from .families import FAMILIES, frontier_runs

    budget_array = None if budgets is None else np.asarray(budgets, dtype=float)
    on_frontier = any(FAMILIES[form].on_frontier for form in forms if form != "chinchilla")
    scores = []
    for split in chosen:
        if not split.train.any() or not split.held_out.any():
            raise UsageError(
                split.option,
                f"{split.name}: leaves {'no runs to fit' if not split.train.any() else 'no runs to hold out'}",
            )
        targets = None
        if on_frontier:
            held = np.flatnonzero(split.held_out)
            best = frontier_runs(_subset(runs, split.held_out),
                                 None if budget_array is None else budget_array[split.held_out], rtol)  # fmt: skip
            targets = np.zeros(len(runs), bool)
            targets[held[best]] = True
        for approach in approaches:
            if approach != "parametric":
                scores.append(score_isoflop(split, runs, budget_array, rtol))
                continue
            for criterion in criteria:
                scores += [
                    score_parametric(split, runs, criterion, targets) if form == "chinchilla"
                    else score_form(split, runs, form, criterion, targets, budget_array, rtol)
                    for form in forms
                ]  # fmt: skip
        scores += [score_law(split, runs, law, targets) for law in laws]
    return ranked(scores)


#: `fit --form auto` holds out the largest budgets until at least this share of the runs is held out.
AUTO_HELD_OUT_SHARE = 0.2


def largest_budgets_split(runs: Runs, budgets: Sequence[float] | None, rtol: float) -> Split:
    """The split `fit --form auto` chooses by: the largest budgets held out (at least AUTO_HELD_OUT_SHARE of the
    runs, and at least one budget), the rest to fit on."""
    groups = group_budgets(runs.compute_flops, None if budgets is None else np.asarray(budgets, dtype=float), rtol)
    held = np.zeros(len(runs), bool)
    for budget in sorted(set(groups.tolist()), reverse=True):
        held |= groups == budget
        if held.sum() >= AUTO_HELD_OUT_SHARE * len(runs):
            break
    count = len(set(groups[held].tolist()))
    return Split(f"the {count} largest budgets ({int(held.sum())} runs)", ~held, held, "form")


def choose_form(
    runs: Runs, criterion: Criterion, budgets: Sequence[float] | None, rtol: float
) -> tuple[list[str], list[Score]]:
    """How well each law family predicts the runs of the largest budgets from the others (`fit --form auto`): every
    family fitted on the same training runs and scored on each held-out budget's best run. Returns the families that
    could be scored, the least mean |error| first, and every score. Raises a UsageError when none could be."""
    from .families import families_for

    split = largest_budgets_split(runs, budgets, rtol)
    if not split.train.any():
        raise UsageError("form", "auto needs runs of more than one budget: the largest are held out to choose by")
    scores = backtest(runs, [split], ["parametric"], (), budgets, rtol, (criterion,), families_for(runs))
    ranked = sorted((score for score in scores if score.rank is not None), key=lambda score: score.rank or 0)
    if not ranked:
        raise UsageError("form", f"auto: no family could be fitted on the runs below {split.name}")
    # the method names a family as _named does: "parametric" for Chinchilla's, then the criterion
    return ["chinchilla" if s.method.startswith("parametric") else s.method.split()[0] for s in ranked], scores


def ranked(scores: Sequence[Score]) -> list[Score]:
    """Each score with its rank by mean |error| among the scores of its split that predict the same things (1: the
    least); None for a score without predictions."""
    ranks: dict[int, int] = {}
    for key in dict.fromkeys((score.split, score.scored_on) for score in scores):
        peers = [i for i, score in enumerate(scores) if (score.split, score.scored_on) == key and score.predictions]
        for rank, i in enumerate(sorted(peers, key=lambda i: scores[i].mean_abs_error_pct or 0.0), 1):
            ranks[i] = rank
    return [replace(score, rank=ranks.get(i)) for i, score in enumerate(scores)]


@dataclass(frozen=True)
class MetricPredictionRow:
    """One held-out run's metric and what the refitted mapping predicted for it, from `from_loss_nats`."""

    n_params: float
    n_tokens: float
    compute_flops: float
    loss_nats: float  # the run's observed loss
    from_loss_nats: float  # the loss the metric was predicted from: the observed one, or a fit's prediction of it
    metric: float
    predicted_metric: float

    @property
    def error(self) -> float:
        """Predicted minus observed, in the metric's own units (points of accuracy, not percent of it)."""
        return self.predicted_metric - self.metric


@dataclass(frozen=True)
class DownstreamScore:
    """How a downstream mapping, refitted on one split's training runs, predicted the held-out runs' metric."""

    split: str
    name: str  # the mapping's short name
    metric: str  # its column
    loss_from: str  # "observed" (the run's loss), or the method whose predicted loss it started from
    n_train: int
    n_held_out: int
    predictions: tuple[MetricPredictionRow, ...]
    constants: dict[str, float]
    note: str | None = None

    def _errors(self) -> list[float]:
        return [p.error for p in self.predictions]

    @property
    def mean_abs_error(self) -> float | None:
        return float(np.mean(np.abs(self._errors()))) if self.predictions else None

    @property
    def mean_signed_error(self) -> float | None:
        return float(np.mean(self._errors())) if self.predictions else None

    @property
    def max_abs_error(self) -> float | None:
        return float(np.max(np.abs(self._errors()))) if self.predictions else None


def score_downstream(
    split: Split, runs: Runs, metric: np.ndarray, mapping: DownstreamMapping, scores: Sequence[Score]
) -> list[DownstreamScore]:
    """The mapping's form refitted on the split's training runs, scored on its held-out runs from their observed
    loss and from each run-by-run loss prediction among `scores` (the isoflop frontier predicts budgets' minima,
    not runs, and is left out)."""
    from .downstream import CONSTANT_NAMES, MetricRuns, fit_downstream

    held = _subset(runs, split.held_out)
    held_metric = metric[split.held_out]
    base = (split.name, mapping.name, mapping.metric)
    counts = (int(split.train.sum()), int(split.held_out.sum()))
    try:
        fitted = fit_downstream(
            MetricRuns(runs.loss_nats[split.train], metric[split.train]), mapping.form, mapping.chance,
            mapping.name, mapping.floor, mapping.ceiling,
        )  # fmt: skip
    except UsageError as error:
        return [DownstreamScore(*base, "observed", *counts, (), {}, error.message)]
    refitted = replace(mapping, constants=fitted.constants, samples=(), loss_range_nats=fitted.loss_range_nats)
    constants = dict(zip(CONSTANT_NAMES[mapping.form], fitted.constants, strict=True))

    def rows(losses: Sequence[float]) -> tuple[MetricPredictionRow, ...]:
        predicted = refitted.metric_at(np.asarray(losses, dtype=float))
        columns = (held.n_params, held.n_tokens, held.loss_nats, losses, held_metric, predicted)
        return tuple(
            MetricPredictionRow(float(n), float(d), float(6.0 * n * d), float(loss), float(start), float(m), float(p))
            for n, d, loss, start, m, p in zip(*columns, strict=True)
        )

    found = [DownstreamScore(*base, "observed", *counts, rows(list(held.loss_nats)), constants)]
    for score in scores:
        if score.split == split.name and score.method != "isoflop" and len(score.predictions) == len(held):
            losses = [p.predicted_loss_nats for p in score.predictions]
            found.append(DownstreamScore(*base, score.method, *counts, rows(losses), constants))
    return found
