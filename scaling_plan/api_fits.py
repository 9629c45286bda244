"""The Python API's fits (api.py re-exports them): fit, in every family and approach, and fit_downstream. Each returns
the law (or mapping) it fitted, so plan(law=fitted) uses it directly, with the command's record and warnings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api_fields import Quantity
from .choices import APPROACHES, FIT_FORMS
from .downstream import DownstreamMapping
from .laws import FrontierLaw, KaplanLaw, ParametricLaw
from .moe import MoELaw

if TYPE_CHECKING:
    from .fitting import Bootstrap, Criterion, Fit
    from .inputs.runs import Selection
    from .output.records import Record


@dataclass(frozen=True)
class _Fitted:
    """What every fit returns besides its law or mapping: the command's record and the warnings it would print."""

    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    fit_warnings: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        from .api_support import _said

        return _said(self.fit_warnings)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the JSON of the command that makes the same fit (`fit`, `fit --approach isoflop`,
        `fit-downstream`) for the same runs and options."""
        from .api_support import _as_json

        return _as_json(self.record)


@dataclass(frozen=True)
class FittedLaw(_Fitted, ParametricLaw):
    """A law fitted to your runs (`fit`'s answer): a ParametricLaw, so plan(law=fitted) and sweep(law=fitted) use it
    directly, with its bootstrap refits for intervals."""

    problem: str | None = None  # why the fit is not to be trusted (it did not converge), or None

    @property
    def converged(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class FittedFrontier(_Fitted, FrontierLaw):
    """A frontier fitted to your runs' isoFLOP profiles (`fit(approach="isoflop")`, Approach 2 of Hoffmann et al.
    2022): a FrontierLaw, so plan(law=fitted, method="law") allocates along it and predicts L_opt, with its
    bootstrap refits for intervals."""


@dataclass(frozen=True)
class FittedKaplan(_Fitted, KaplanLaw):
    """Kaplan et al. 2020's joint law fitted to your runs (`fit(form="kaplan")`): a KaplanLaw allocating by its own
    optimum under C = 6·N·D, so plan(law=fitted, method="law") uses it, with its bootstrap refits for intervals."""

    problem: str | None = None


@dataclass(frozen=True)
class FittedMoE(_Fitted, MoELaw):
    """Krajewski et al. 2024's mixture-of-experts law fitted to your runs (`fit(form="moe")`): a MoELaw allocating
    the active parameters, tokens and granularity by its own optimum under their eq. 10 FLOPs, so plan(law=fitted,
    method="law") uses it, with its bootstrap refits for intervals."""

    problem: str | None = None


def fit(
    runs: str | os.PathLike[str],
    *,
    form: str = "chinchilla",
    approach: str = "parametric",
    budget_col: str | None = None,
    budget_rtol: Quantity | None = None,
    params_col: str | None = None,
    tokens_col: str | None = None,
    flops_col: str | None = None,
    loss_col: str | None = None,
    require_complete: bool = False,
    drop_top_loss: int = 0,
    min_flops: Quantity | None = None,
    max_flops: Quantity | None = None,
    criterion: str = "huber",
    huber_delta: Quantity | None = None,
    asymmetry: Quantity | None = None,
    weights: str | None = None,
    where: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    unique_col: str | None = None,
    granularity_col: str | None = None,
    experts_col: str | None = None,
    base_law: str | os.PathLike[str] | ParametricLaw | None = None,
    bootstrap: int = 0,
    seed: int = 42,
    interval: float = 90.0,
    name: str | None = None,
) -> FittedLaw | FittedKaplan | FittedFrontier | FittedMoE:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to a runs file, as `scaling-plan fit` (Hoffmann et al. 2022,
    appendix D.2), with `bootstrap` refits for intervals. `form` fits another law family as `fit --form` does:
    "kaplan" (Kaplan et al. 2020 eq. 1.5; returns a FittedKaplan), "compute" or "broken" (the loss along the frontier
    as a function of compute, fitted to each budget's best run; a FittedFrontier) or "data-constrained" (Muennighoff
    et al. 2023, for runs with a `unique_col` of unique tokens; a FittedLaw with its rd_star and rn_star, its E, A,
    B, alpha and beta fitted first to the runs that see their data once, or held at `base_law`) or "moe" (Krajewski
    et al. 2024's mixture-of-experts law, for runs of active parameters N with a `granularity_col` and an
    `experts_col` of their expansion E; a FittedMoE). `criterion` is what the fit minimises over the runs' misses
    on log loss (huber, mse, mae or asymmetric, with `huber_delta` or `asymmetry`), `weights` a column of each run's
    weight; `where` keeps the rows whose columns hold those values ({"State": "finished"}) and `skip_invalid`
    skips rows that cannot be read, as `--where` and `--skip-invalid` do (both said in `warnings`). A fit that did not converge is returned with its `problem`
    said (the CLI exits 1 for it); one that runs away to infinite constants, or is degenerate (an exponent at or below
    0), raises ScalingPlanError, naming the runs behind it where they can say.

    approach="isoflop" fits Approach 2 instead (a parabola per compute budget, power laws through the minima, and
    L_opt(C)), as `fit --approach isoflop`, and returns a FittedFrontier: runs are grouped by a budget column when
    the file has one, else by compute within `budget_rtol`; `bootstrap` resamples runs within budgets. A frontier
    whose constants a frontier file may not hold (as fit -o refuses to write) raises ScalingPlanError."""
    from .answers import law_fit_of
    from .answers_fit import base_law_of, chosen_form, criterion_of, diagnostics_of, only_parametric
    from .errors import UsageError, named
    from .fitting import CONSTANTS
    from .inputs.runs import read_runs, select_runs
    from .inputs.values import choice, positive_number, seed_number
    from .output.fit_records import fit_record

    approach = choice(approach, APPROACHES, "approach", "approach")
    form = choice(form, FIT_FORMS, "form", "law family")
    path = os.fspath(runs)
    chosen = criterion_of(criterion, huber_delta, asymmetry)
    if approach == "isoflop":
        only_parametric(criterion, huber_delta, asymmetry, weights)
        if form != "chinchilla":
            raise UsageError("form", f"applies to {named('approach')} parametric (isoflop fits Chinchilla's frontier)")
    low = None if min_flops is None else positive_number(min_flops, "min_flops")
    high = None if max_flops is None else positive_number(max_flops, "max_flops")
    from .api_support import _interval_level

    level = _interval_level(interval)
    if bootstrap < 0 or drop_top_loss < 0:
        raise UsageError("bootstrap" if bootstrap < 0 else "drop_top_loss", "must not be negative")
    seed = seed_number(seed, "seed")
    table = read_runs(path, params_col, tokens_col, flops_col, loss_col, require_complete, budget_col,
                      weights_col=weights, where=list((where or {}).items()), skip_invalid=skip_invalid,
                      unique_col=unique_col, granularity_col=granularity_col, experts_col=experts_col)  # fmt: skip
    selection = select_runs(table, drop_top_loss, low, high)
    law_name = name or os.path.splitext(os.path.basename(path))[0]
    if approach == "isoflop":
        return _fitted_frontier(selection, budget_rtol, bootstrap, seed, level, law_name)
    from .experiments import BUDGET_RTOL_DEFAULT

    rtol = BUDGET_RTOL_DEFAULT if budget_rtol is None else positive_number(budget_rtol, "budget_rtol")
    base = base_law_of(form, base_law)
    family, told = chosen_form(selection, form, chosen, rtol)
    if family != "chinchilla":
        return _fitted_form(selection, family, chosen, rtol, bootstrap, seed, level, law_name, told, base)
    result, samples, said, problem = law_fit_of(selection, chosen, bootstrap, seed)
    zero = next((name for name, value in zip(CONSTANTS, result.constants, strict=True) if not value > 0), None)
    if zero is not None:  # no ParametricLaw has it: `fit` prints it and exits 1, fit() raises
        raise UsageError(path, problem or f"no law fits: the best fit has {zero} = {getattr(result, zero):g}")
    warnings = [*table.warnings(), *said]
    record = fit_record(selection, result, samples, level, told, diagnostics_of(selection, result, rtol))
    return _fitted_law(selection, result, samples, level, law_name, record, tuple(warnings), problem)


def _fitted_form(
    selection: Selection,
    form: str,
    criterion: Criterion,
    rtol: float,
    resamples: int,
    seed: int,
    level: float,
    name: str,
    told: str | None,
    base: ParametricLaw | None = None,
) -> FittedLaw | FittedKaplan | FittedFrontier | FittedMoE:
    """Another law family, as its law file would be read back (inputs.lawfile.law_of_data), with the fit's record.
    A fit a law file may not hold raises ScalingPlanError, as fit -o refuses to write it."""
    import dataclasses

    from .answers import law_file_refusal
    from .answers_fit import diagnostics_of, form_fit_of
    from .errors import UsageError
    from .inputs.lawfile import law_of_data
    from .output.fit_records import form_fit_record
    from .output.lawfile import form_file_data

    result, samples, said, problem = form_fit_of(selection, form, criterion, resamples, seed, rtol, base=base)
    data = form_file_data(selection, result, samples, level, name, "")
    refusal = law_file_refusal(data)
    if refusal is not None:
        raise UsageError(selection.table.label, problem or refusal)
    law = law_of_data(name, data, {(): 1}, name)
    record = form_fit_record(selection, result, samples, level, told, diagnostics_of(selection, result, rtol))
    warnings = (*selection.table.warnings(), *said)
    if isinstance(law, KaplanLaw):
        fields = {f.name: getattr(law, f.name) for f in dataclasses.fields(KaplanLaw)}
        return FittedKaplan(**fields, record=record, fit_warnings=warnings, problem=problem)
    if isinstance(law, MoELaw):
        fields = {f.name: getattr(law, f.name) for f in dataclasses.fields(MoELaw)}
        return FittedMoE(**fields, record=record, fit_warnings=warnings, problem=problem)
    if isinstance(law, ParametricLaw):  # the data-constrained law, with its R_D* and R_N*
        fields = {f.name: getattr(law, f.name) for f in dataclasses.fields(ParametricLaw)}
        return FittedLaw(**fields, record=record, fit_warnings=warnings, problem=problem)
    assert isinstance(law, FrontierLaw)
    fields = {f.name: getattr(law, f.name) for f in dataclasses.fields(FrontierLaw)}
    return FittedFrontier(**fields, record=record, fit_warnings=warnings)


def _fitted_frontier(
    selection: Selection, budget_rtol: Quantity | None, resamples: int, seed: int, level: float, name: str
) -> FittedFrontier:
    """The isoFLOP frontier as its frontier file would be read back (inputs.lawfile), with the fit's record."""
    import dataclasses

    from .answers import isoflop_fit_of, law_file_refusal
    from .errors import UsageError
    from .experiments import BUDGET_RTOL_DEFAULT
    from .inputs.lawfile import frontier_law
    from .inputs.values import positive_number
    from .output.fit_records import isoflop_record
    from .output.lawfile import frontier_file_data

    rtol = BUDGET_RTOL_DEFAULT if budget_rtol is None else positive_number(budget_rtol, "budget_rtol")
    result, warnings = isoflop_fit_of(selection, rtol, resamples, seed, "bootstrap")
    data = frontier_file_data(selection, result, level, name, "")
    refusal = law_file_refusal(data)
    if refusal is not None:  # a frontier out of these ranges plans nothing (a loss that rises with compute)
        raise UsageError(selection.table.label, refusal)
    law = frontier_law(name, data, {(): 1}, name)
    fields = {f.name: getattr(law, f.name) for f in dataclasses.fields(FrontierLaw)}
    return FittedFrontier(
        **fields, record=isoflop_record(selection, result, level), fit_warnings=(*selection.table.warnings(), *warnings)
    )


def _fitted_law(
    selection: Selection,
    result: Fit,
    samples: Bootstrap | None,
    level: float,
    name: str,
    record: Record,
    warnings: tuple[str, ...],
    problem: str | None,
) -> FittedLaw:
    """The fitted constants as a law, with the range of the runs and the bootstrap refits, as its law file would
    be read back (inputs.lawfile.load_law_file)."""
    from .answers import law_file_refusal, law_file_warning
    from .output.lawfile import law_file_data

    data = law_file_data(selection, result, samples, level, name, "")
    refusal = law_file_refusal(data)
    warnings += () if refusal is None else (law_file_warning(selection.table.label, refusal),)
    low, high = data["fitted_range"]["compute_flops"]
    return FittedLaw(
        name=name,
        E=result.E,
        A=result.A,
        B=result.B,
        alpha=result.alpha,
        beta=result.beta,
        source=str(data["source"]),
        dataset=str(data["dataset"]),
        compute_range_flops=(low, high),
        samples=() if samples is None else tuple(tuple(row) for row in data["bootstrap"]["samples"]),
        interval_level=level,
        runs_fingerprint=selection.table.fingerprint,
        record=record,
        problem=problem,
        fit_warnings=warnings,
    )


@dataclass(frozen=True)
class FittedMapping(_Fitted, DownstreamMapping):
    """A downstream metric fitted against loss (`fit-downstream`'s answer): a DownstreamMapping, so
    plan(downstream=[fitted]) predicts the metric from a plan's loss, with the refits for its interval."""


def fit_downstream(
    runs: str | os.PathLike[str],
    *,
    metric: str,
    form: str = "exponential",
    chance: Quantity | None = None,
    chance_margin: Quantity | None = None,
    floor: Quantity | None = None,
    ceiling: Quantity | None = None,
    params_col: str | None = None,
    tokens_col: str | None = None,
    flops_col: str | None = None,
    loss_col: str | None = None,
    require_complete: bool = False,
    where: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    bootstrap: int = 0,
    seed: int = 42,
    interval: float = 90.0,
    dataset: str | None = None,
    name: str | None = None,
) -> FittedMapping:
    """Fit a downstream metric against loss, as `scaling-plan fit-downstream` (exponential, Gadre et al. 2024; or
    sigmoid), with `bootstrap` refits for intervals; `where` and `skip_invalid` select rows as fit()'s do. A metric
    at chance in nearly every run raises ScalingPlanError, as the command exits 2 for it."""
    from .answers import downstream_fit_of
    from .api_support import _interval_level
    from .output.fit_records import downstream_fit_record
    from .output.lawfile import downstream_file_data

    level = _interval_level(interval)
    options = {
        "chance": chance, "chance_margin": chance_margin, "floor": floor, "ceiling": ceiling,
        "params_col": params_col, "tokens_col": tokens_col, "flops_col": flops_col, "loss_col": loss_col,
        "require_complete": require_complete, "bootstrap": bootstrap, "seed": seed, "name": name, "dataset": dataset,
        "where": list((where or {}).items()), "skip_invalid": skip_invalid,
    }  # fmt: skip
    table, fitted, short, measured_on, warnings = downstream_fit_of(
        os.fspath(runs), metric, form, options, lambda option: option
    )
    data = downstream_file_data(table, short, fitted, level, measured_on, "")
    return FittedMapping(
        name=short,
        metric=str(data["metric"]),
        form=fitted.form,
        constants=fitted.constants,
        chance=fitted.chance,
        floor=fitted.floor,
        ceiling=fitted.ceiling,
        loss_range_nats=fitted.loss_range_nats,
        dataset=measured_on,
        source=str(data["source"]),
        samples=() if fitted.samples is None else tuple(tuple(float(v) for v in row) for row in fitted.samples),
        interval_level=level,
        record=downstream_fit_record(table, short, fitted, level, measured_on),
        fit_warnings=(*table.warnings(), *warnings),
    )
