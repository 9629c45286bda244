"""The answers of `fit --form` and `--criterion`, and of backtest's families and criteria, for the CLI and the API
alike (answers.py's, split for length): the criterion and families asked for, checked, and a family's fit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .answers import bootstrap_skipped, kept_refits
from .errors import UsageError, named

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .diagnostics import Diagnostics
    from .families import FamilyFit
    from .fitting import Bootstrap, Criterion, Fit, Runs
    from .inputs.runs import Selection
    from .laws import ParametricLaw

    Array = NDArray[np.float64]


def criterion_of(kind: str, huber_delta: object, asymmetry: object) -> Criterion:
    """The fit criterion asked for, for `fit`, `backtest` and their API functions: a Huber delta only with huber, an
    asymmetry only with asymmetric, each a positive number (errors name the fields; each door words them)."""
    from .choices import FIT_CRITERIA
    from .fitting import ASYMMETRY_DEFAULT, HUBER_DELTA_DEFAULT, Criterion
    from .inputs.values import choice, positive_number

    kind = choice(kind, FIT_CRITERIA, "criterion", "criterion")
    for field, value, needs in (("huber_delta", huber_delta, "huber"), ("asymmetry", asymmetry, "asymmetric")):
        if value is not None and kind != needs:
            raise UsageError(field, f"applies to {named('criterion')} {needs} only, not {kind}")
    return Criterion(
        kind,
        HUBER_DELTA_DEFAULT if huber_delta is None else positive_number(huber_delta, "huber_delta"),
        ASYMMETRY_DEFAULT if asymmetry is None else positive_number(asymmetry, "asymmetry"),
    )


def only_parametric(criterion: str, huber_delta: object, asymmetry: object, weights: object) -> None:
    """The isoFLOP approach fits parabolas by least squares: a parametric fit's criterion and weights are refused."""
    given = {"criterion": criterion != "huber", "huber_delta": huber_delta is not None,
             "asymmetry": asymmetry is not None, "weights": weights is not None}  # fmt: skip
    field = next((field for field, said in given.items() if said), None)
    if field is not None:
        raise UsageError(field, f"applies to {named('approach')} parametric only (isoflop fits parabolas by least"
                                " squares)")  # fmt: skip


def criteria_of(names: str) -> tuple[Criterion, ...]:
    """Criteria named in a comma list (or "all"), each at its defaults, for `backtest --criterion` and backtest()."""
    from .choices import FIT_CRITERIA
    from .inputs.values import comma_items

    if names.strip().lower() == "all":
        return tuple(criterion_of(kind, None, None) for kind in FIT_CRITERIA)
    kinds = comma_items(names, "criterion", "huber,mse")
    return tuple(dict.fromkeys(criterion_of(kind, None, None) for kind in kinds))


def chosen_form(selection: Selection, form: str, criterion: Criterion, rtol: float) -> tuple[str, str | None]:
    """The law family to fit, for `fit --form` and fit(): the one asked for, or for "auto" the one with the least mean
    |error| on the largest budgets' best runs when fitted on the rest (backtest.choose_form), and what was chosen
    and why, in words."""
    if form != "auto":
        return form, None
    import numpy as np

    from .backtest import choose_form
    from .families import FAMILIES, fit_family

    ranked, scores = choose_form(selection.runs, criterion, selection.budget_flops, rtol)
    budgets = None if selection.budget_flops is None else np.array(selection.budget_flops)
    passed = []
    for name in ranked:
        # a family that extrapolated best may still be no law on all the runs (a broken law's break at their edge)
        problem = None if name == "chinchilla" else fit_family(FAMILIES[name], selection.runs, criterion, budgets,
                                                                rtol)[0].problem  # fmt: skip
        if problem is None:
            chosen = name
            break
        passed.append(f"{name} extrapolated better but on all the runs {problem}")
    else:
        raise UsageError("form", f"auto: no family fitted to all the runs is a law to plan with ({'; '.join(passed)})")
    errors = ", ".join(
        f"{score.method.replace('parametric', 'chinchilla')} "
        + ("-" if score.mean_abs_error_pct is None else f"{score.mean_abs_error_pct:.2f}%")
        for score in scores
    )
    said = (
        f"auto chose {chosen}: fitted on the runs below {scores[0].split} and scored on each of those"
        f" budgets' best run, its mean |error| was the least ({errors})"
    )
    if passed:
        said = f"{said}; {'; '.join(passed)}"
    return chosen, said


def forms_of(names: str, approach: str, runs: Runs | None = None) -> tuple[str, ...]:
    """Law families named in a comma list (or "all"), for `backtest --form`: each a family fit --form fits, and only
    where the parametric approach is asked for (isoflop fits Chinchilla's frontier). "all" is every family the
    runs can determine: the data-constrained law too when they give unique tokens, the mixture's when they give a
    granularity and an expansion."""
    from .choices import FIT_FORMS, LAW_FORMS
    from .inputs.values import choice, comma_items

    if names.strip().lower() == "all":
        from .families import families_for

        forms: tuple[str, ...] = LAW_FORMS if runs is None else families_for(runs)
    else:
        known = tuple(form for form in FIT_FORMS if form != "auto")
        forms = tuple(dict.fromkeys(choice(name, known, "form", "law family")
                                    for name in comma_items(names, "form", "chinchilla,kaplan")))  # fmt: skip
    if approach == "isoflop" and forms != ("chinchilla",):
        raise UsageError("form", f"applies to {named('approach')} parametric or both (isoflop fits Chinchilla's"
                                 " frontier)")  # fmt: skip
    return forms


def form_fit_of(
    selection: Selection,
    form: str,
    criterion: Criterion,
    resamples: int,
    seed: int,
    rtol: float,
    progress: Callable[[int, int], None] | None = None,
    base: ParametricLaw | None = None,
) -> tuple[FamilyFit, Bootstrap | None, tuple[str, ...], str | None]:
    """A law family other than Chinchilla's (families.py) fitted to the selected runs, for `fit --form` and fit():
    the fit, its kept bootstrap refits, the warnings and the fit's problem, as law_fit_of. Refused before any work:
    too few budgets for a compute family's constants, runs that cannot determine the data-constrained law's, and
    refits past their cap. `base`: the law whose E, A, B, α, β the data-constrained fit holds."""
    import numpy as np

    from .families import FAMILIES, FILE_KINDS, DataConstrained, bootstrap_family, fit_family, frontier_runs
    from .fitting import BOOTSTRAP_WORK
    from .units import counted

    family, runs, table = FAMILIES[form], selection.runs, selection.table
    if form == "moe":
        _check_mixture(selection)
    if form == "data-constrained":
        _check_repeats(selection, base is not None)
        if base is not None:
            family = DataConstrained((base.E, base.A, base.B, base.alpha, base.beta))
    budgets = None if selection.budget_flops is None else np.array(selection.budget_flops)
    needed = len(family.constants) + 1  # a residual beyond the constants
    found = len(frontier_runs(runs, budgets, rtol)) if family.on_frontier else needed
    if found < needed:
        raise UsageError(
            table.label,
            f"{counted(found, 'budget')} (runs within {rtol:g} of each other's compute share one); {form} is fitted to"
            f" each budget's best run and its {len(family.constants)} constants need {needed}",
        )
    BOOTSTRAP_WORK.check(resamples, len(runs), "bootstrap")
    result, optima = fit_family(family, runs, criterion, budgets, rtol)
    if not result.finite:
        raise UsageError(table.label, f"no {form} law fits: the best fit runs away to infinite constants")
    said = []
    if family.on_frontier and len(result.used) > len(runs) / 2:
        said.append(
            f"{table.label}: {len(result.used)} budgets for {counted(len(runs), 'run')}: most budgets have one run, and"
            f" one run is no budget's best size; {form} then describes these runs, not compute-optimal ones (an"
            " isoFLOP grid has several sizes per budget: `scaling-plan experiments`)"
        )
    problem = result.problem or (_unused_params(selection, result) if form == "data-constrained" else None)
    if not resamples or problem is not None:
        return result, None, (*said, *bootstrap_skipped(resamples, problem)), problem
    refits = bootstrap_family(family, runs, result, optima, resamples, seed)
    if progress is not None:
        progress(resamples, resamples)
    samples, warnings = kept_refits(refits, FILE_KINDS[form])
    return result, samples, (*said, *warnings), problem


def base_law_of(form: str, value: object) -> ParametricLaw | None:
    """The law whose E, A, B, α, β the data-constrained fit holds (`fit --base-law`): a preset or law file of the
    form E + A/N^α + B/D^β, or (from the API) such a law itself; refused beside another form."""
    if value is None:
        return None
    if form != "data-constrained":
        raise UsageError(
            "base_law", f"holds the data-constrained form's base law: give {named('form')} data-constrained"
        )
    where = "base_law"
    from .inputs.request import resolve_law
    from .inputs.values import Sourced
    from .laws import ParametricLaw
    from .moe import MoELaw

    law = resolve_law(Sourced(value, where))
    if not isinstance(law, ParametricLaw) or isinstance(law, MoELaw):
        raise UsageError(
            where, f"{law.name} is not of the form E + A/N^alpha + B/D^beta, whose constants the data-constrained"
            " form holds (a preset such as datablations-2023, or a fit's law file)",
        )  # fmt: skip
    return law


def _check_repeats(selection: Selection, base_held: bool) -> None:
    """Runs that can determine the data-constrained law: each with its unique tokens, some repeating them, and
    (unless the base law is held) enough that see them once to fit the base law to."""
    from .fitting import MIN_RUNS
    from .inputs.runs import DEFAULT_COLUMNS
    from .units import counted

    runs, label = selection.runs, selection.table.label
    if runs.unique_tokens is None:
        raise UsageError(
            label,
            f"the data-constrained form reads each run's unique tokens: no such column (tried"
            f" {', '.join(DEFAULT_COLUMNS['unique'])}; name it with {named('unique_col')})",
        )
    repeating = int((runs.n_tokens > runs.unique_tokens * (1 + 1e-9)).sum())
    if repeating == 0:
        raise UsageError(label, "no run repeats its data (every run has D <= U): R_D* and R_N* need runs that do")
    once = len(runs) - repeating
    if not base_held and once < MIN_RUNS:
        raise UsageError(
            label,
            f"{counted(once, 'run')} see each unique token at most once; the base law's five constants are fitted to"
            f" those and need {MIN_RUNS} (or hold them at a law: {named('base_law')})",
        )


def _check_mixture(selection: Selection) -> None:
    """Runs that can determine the mixture-of-experts law: each with its granularity and expansion, one expansion
    (Krajewski et al. 2024 fitted their law at each E apart), and two granularities at least, or g and A are one."""
    import numpy as np

    from .inputs.runs import DEFAULT_COLUMNS

    runs, label = selection.runs, selection.table.label
    for role, values, flag in (("granularity", runs.granularity, "granularity_col"),
                               ("experts", runs.experts, "experts_col")):  # fmt: skip
        if values is None:
            raise UsageError(
                label,
                f"the moe form reads each run's {'expansion E' if role == 'experts' else role}: no such column (tried"
                f" {', '.join(DEFAULT_COLUMNS[role])}; name it with {named(flag)})",
            )
    assert runs.granularity is not None and runs.experts is not None
    if not np.all(runs.experts == runs.experts[0]):
        other = int(np.argmax(runs.experts != runs.experts[0]))
        raise UsageError(
            f"{label}:{selection.lines[other]}" if selection.lines else label,
            f"expansion {runs.experts[other]:.12g}, where the first run has {runs.experts[0]:.12g}: the moe law is fitted at"
            f" one expansion E (select one with {named('where')})",
        )
    if len(set(runs.granularity.tolist())) < 2:
        raise UsageError(
            label, f"every run has granularity {runs.granularity[0]:g}: the moe law's g and gamma need two or more"
        )


def _unused_params(selection: Selection, fit: FamilyFit) -> str | None:
    """The data-constrained fit's problem when no run has more parameters than its unique tokens can use (the base
    law's compute-optimal N for them): R_N* is then whatever its start was."""
    import numpy as np

    from .laws import ParametricLaw

    runs, c = selection.runs, fit.constants
    assert runs.unique_tokens is not None
    base = ParametricLaw("base", c["E"], c["A"], c["B"], c["alpha"], c["beta"], "", "")
    usable = np.asarray(base.optimal_params_for_tokens(np.minimum(runs.unique_tokens, runs.n_tokens)))
    if (runs.n_params > usable * (1 + 1e-9)).any():
        return None
    return (
        "no run has more parameters than its unique tokens can use (the base law's compute-optimal N for them), so"
        " the runs do not determine R_N*"
    )


def residuals_of(selection: Selection, fit: Fit | FamilyFit) -> tuple[Runs, Array]:
    """The runs a fit was fitted to (a compute family's: each budget's best) and its ln L̂ − ln L on each."""
    import numpy as np

    from .fitting import Fit, Runs

    runs = selection.runs
    if isinstance(fit, Fit):
        with np.errstate(all="ignore"):  # a degenerate fit's constants may not make a loss: NaN, never shown as one
            predicted = fit.E + fit.A / runs.n_params**fit.alpha + fit.B / runs.n_tokens**fit.beta
            residual: Array = np.log(predicted) - np.log(runs.loss_nats)
        return runs, residual
    index = np.array(fit.used, dtype=np.intp)
    unique, granularity, experts = (None if values is None else values[index]
                                    for values in (runs.unique_tokens, runs.granularity, runs.experts))  # fmt: skip
    subset = Runs(runs.n_params[index], runs.n_tokens[index], runs.loss_nats[index], None, unique, granularity, experts)
    return subset, np.array(fit.residual_log)


def diagnostics_of(selection: Selection, fit: Fit | FamilyFit, rtol: float) -> Diagnostics:
    """What the runs behind a fit can tell (diagnostics.py), for every fit of `fit` and fit(): its residuals on the
    runs it was fitted to, its constants against the ranges a law file holds."""
    import numpy as np

    from .diagnostics import bound_findings, diagnose
    from .families import FAMILIES, FILE_KINDS
    from .fitting import CONSTANTS, Fit
    from .inputs.fields import FILE_NUMBER
    from .isoflop import group_budgets

    budgets = group_budgets(selection.runs.compute_flops, None if selection.budget_flops is None
                            else np.array(selection.budget_flops), rtol)  # fmt: skip
    runs, residual = residuals_of(selection, fit)
    if isinstance(fit, Fit):
        kind, constants, n_constants, on_frontier = "law", dict(zip(CONSTANTS, fit.constants, strict=True)), 5, False
    else:
        family = FAMILIES[fit.form]
        kind, constants, n_constants = FILE_KINDS[fit.form], fit.constants, len(family.constants)
        on_frontier, budgets = family.on_frontier, budgets[np.array(fit.used, dtype=np.intp)]
    ranges = {key: (number.low, number.high) for (file_kind, key), number in FILE_NUMBER.items() if file_kind == kind}
    return diagnose(runs, residual, n_constants, on_frontier, budgets, bound_findings(constants, ranges))
