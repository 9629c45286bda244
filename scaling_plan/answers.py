"""The questions both front doors ask, the command line (cli/) and the Python API (api.py): values from any source
(flags, keywords, config files), checked by the inputs wing, answered by the domain. Each answer is the domain's
objects and the warnings to show; each door shows them its own way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .design import Suggestion
    from .downstream import DownstreamFit, MetricPrediction
    from .fitting import Bootstrap, Criterion, Fit
    from .gap import Gap
    from .inputs.runs import RunsTable, Selection
    from .inputs.values import Sourced
    from .isoflop import IsoflopFit
    from .laws import Law
    from .plans import Plan
    from .serving import Serving
    from .sweeps import Sweep


def isoflop_fit_of(
    selection: Selection, budget_rtol: float, resamples: int, seed: int, bootstrap_flag: str
) -> tuple[IsoflopFit, tuple[str, ...]]:
    """Approach 2 on the selected runs, for `fit --approach isoflop` and fit(approach="isoflop"): the fit, and a
    warning for each budget left out and for resamples too thin to refit. More refits than the cap allows
    (isoflop.BOOTSTRAP_WORK) are refused first, naming `bootstrap_flag`."""
    from .isoflop import fit_isoflop
    from .units import format_scientific

    runs = selection.runs
    result = fit_isoflop(
        runs.n_params, runs.compute_flops, runs.loss_nats, selection.budget_flops, budget_rtol, resamples, seed,
        bootstrap_flag,
    )  # fmt: skip
    warnings = [
        f"budget {format_scientific(profile.budget_flops)} FLOPs left out: {profile.left_out}"
        for profile in result.profiles
        if profile.left_out is not None
    ]
    too_few = resamples - len(result.samples)
    if resamples and too_few:
        warnings.append(f"{too_few:,} of {resamples:,} bootstrap resamples left too few budgets to refit")
    if result.samples:
        from dataclasses import replace

        from .inputs.lawfile import sample_faults

        faults = sample_faults("frontier", result.samples)
        if faults.any():
            warnings.append(
                f"{int(faults.sum())} of the {resamples} bootstrap refits ran outside what a frontier file holds"
                " (`scaling-plan schema --law-file` gives the ranges): left out"
            )
            kept = tuple(row for row, fault in zip(result.samples, faults, strict=True) if not fault)
            result = replace(result, samples=kept)
    return result, tuple(warnings)


def fit_problem(selection: Selection, fit: Fit) -> str | None:
    """Why a fit is no law to plan with (fitting.Fit.problem), for `fit` and fit(): a degenerate fit names the runs
    behind it where the runs can say (runs_named); one that did not converge says only that."""
    problem = fit.problem
    if problem is None or not fit.converged:
        return problem
    return f"{problem}{runs_named(selection, fit)}"


def runs_named(selection: Selection, fit: Fit) -> str:
    """The runs behind a degenerate fit (diagnostics.runs_behind: those far from the others in N or D, else the run it
    misses most), as a clause naming each file:line (the first three), or "" when the runs cannot say."""
    from .diagnostics import runs_behind

    indices, far = runs_behind(selection.runs, fit)
    if not indices:
        return ""
    runs, label = selection.runs, selection.table.label
    named = ", ".join(
        f"{label}:{selection.lines[i]} (N = {runs.n_params[i]:.3g}, D = {runs.n_tokens[i]:.3g})" for i in indices[:3]
    )
    more = f" and {len(indices) - 3:,} more" if len(indices) > 3 else ""
    if far:
        return (
            f"; driven by {'the run' if len(indices) == 1 else 'the runs'} far from the others in N or D: {named}{more}"
        )
    return f"; the run it misses most: {named}"


def law_fit_of(
    selection: Selection,
    criterion: Criterion,
    resamples: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Fit, Bootstrap | None, tuple[str, ...], str | None]:
    """Approach 3 on the selected runs, for `fit` and fit(): the fit, its bootstrap refits (kept_refits; none for a
    fit with a problem), the warnings to show, and the fit's problem (fit_problem), which each door reports its way.
    Refused before any work: refits past their cap (fitting.BOOTSTRAP_WORK); after the fit: one whose constants run
    away to infinity (no law to show)."""
    from .fitting import BOOTSTRAP_WORK, bootstrap_fit, fit_law

    BOOTSTRAP_WORK.check(resamples, len(selection.runs), "bootstrap")
    result, optima = fit_law(selection.runs, criterion)
    table = selection.table
    if not result.finite:
        columns = ", ".join(f"{role}={name!r}" for role, name in table.columns.items())
        raise UsageError(
            table.label,
            f"no law fits: the best fit runs away to infinite constants (columns used: {columns})"
            f"{runs_named(selection, result)}",
        )
    problem = fit_problem(selection, result)
    if not resamples or problem is not None:
        return result, None, tuple(bootstrap_skipped(resamples, problem)), problem
    samples, warnings = kept_refits(bootstrap_fit(selection.runs, optima, resamples, seed, criterion, progress))
    return result, samples, tuple(warnings), problem


def bootstrap_skipped(resamples: int, problem: str | None) -> list[str]:
    """The warning that a fit with a problem was not bootstrapped (its file, kept anyway, has no refits)."""
    if not resamples or problem is None:
        return []
    return [f"the {resamples:,} bootstrap refits were not run: the fit itself has a problem (below); a law kept"
            " anyway has no intervals, and suggest refuses it"]  # fmt: skip


def kept_refits(samples: Bootstrap, kind: str = "law") -> tuple[Bootstrap | None, list[str]]:
    """A fit's bootstrap refits, for `fit` and fit(): those a law file holds (lawfile.sample_faults: constants in their
    ranges, an optimum within floating point), the rest left out with a warning; kept when enough remain for an
    interval and a standard error (fitting.MIN_BOOTSTRAP_SAMPLES); else none, and a warning that says why. Refits
    that did not converge are said too."""
    from dataclasses import replace

    from .fitting import MIN_BOOTSTRAP_SAMPLES
    from .inputs.lawfile import sample_faults

    warnings = []
    finite = len(samples.samples)
    if samples.n_converged < finite:  # counted before any is left out: the refits fit ran
        warnings.append(f"{finite - samples.n_converged:,} of {finite:,} bootstrap refits did not converge")
    faults = sample_faults(kind, samples.samples, samples.names)
    runaway = samples.resamples - finite  # refits whose constants ran to infinity: no sample, said with the rest
    if faults.any() or runaway:
        warnings.append(
            f"{int(sum(faults)) + runaway} of the {samples.resamples} bootstrap refits ran outside what a law file"
            " holds (`scaling-plan schema --law-file` gives the ranges): left out"
        )
        samples = replace(samples, samples=samples.samples[~faults])
    kept = len(samples.samples)
    if kept >= MIN_BOOTSTRAP_SAMPLES:
        return samples, warnings
    said = "none" if kept == 0 else f"{kept}"
    return None, [
        *warnings,
        f"{said} of the {samples.resamples} bootstrap refits gave finite constants; intervals need"
        f" {MIN_BOOTSTRAP_SAMPLES}: no intervals",
    ]


def law_file_refusal(data: Mapping[str, Any]) -> str | None:
    """Why a fit's law (or frontier) file, `data` as fit writes it, could not be read back by --law, or None. The law
    file's own checks decide: `fit -o` refuses to write such a file, and without -o both doors warn."""
    from .inputs.lawfile import law_file_problem

    problem = law_file_problem(data)
    return None if problem is None else f"the fitted constants are outside what a law file holds ({problem})"


def law_file_warning(label: str, refusal: str) -> str:
    """The warning both doors give for a fit made without -o whose law file --law would refuse (law_file_refusal)."""
    return f"{label}: {refusal}: fit -o would not write it, and --law could not use it"


def plan_of(
    values: Mapping[str, Sourced], compare_laws: bool = False, hf_config: Sourced | None = None
) -> tuple[Plan, tuple[Plan, ...] | None, tuple[str, ...]]:
    """The plan for values from any source (keywords, flags, a config), for plan() and `budget`; with a released
    model's config.json (`hf_config`, its path and where it was given), that model is the plan's blueprint."""
    from .comparison import compare_laws as compare
    from .inputs.request import build_request
    from .inputs.values import Sourced
    from .plan_warnings import warnings_for
    from .plans import make_plan

    if hf_config is not None:
        values = {**values, "hf_config": hf_config, "blueprint": Sourced(True, hf_config.where)}
    if compare_laws and "step_seconds" in values:
        raise UsageError(
            values["step_seconds"].where,
            "a measured step is one model's, and each law compared plans another: leave out --compare-laws",
        )
    request, warnings = build_request(values)
    made = make_plan(request)
    warnings += warnings_for(made)
    compared = None
    if compare_laws:
        others, notes = compare(request)
        compared, warnings = tuple(others), warnings + notes
    return made, compared, tuple(warnings)


def sweep_of(
    values: Mapping[str, Sourced],
    budgets: NDArray[np.float64],
    where: str,
    kind: str,
    compare_laws: bool = False,
    table: bool = False,
) -> tuple[Sweep, tuple[Sweep, ...], tuple[str, ...]]:
    """The sweep over `budgets` (of budget `kind`, given by `where`) with values from any source, for sweep() and
    `sweep`: the sweep's budgets replace a config's own; `table` sweeps are held to fewer rows."""
    from .comparison import laws_to_compare
    from .inputs.budgets import check_sweep_size
    from .inputs.request import build_request
    from .inputs.serve_request import SERVE_FIELDS
    from .inputs.values import Sourced, merge
    from .plans import sweep_searches
    from .sweeps import make_sweep, sweep_under, sweep_warnings

    served = [name for name in ("serve", *SERVE_FIELDS) if name in values]
    if served:  # a config's serve: section; a sweep's rows are not served
        values = {name: item for name, item in values.items() if name not in served}
    request, warnings = build_request(merge(values, {kind: Sourced(float(budgets[0]), where)}))
    if served:
        warnings.insert(0, "the config's serve: section is unused by a sweep (serve one budget with budget --serve)")
    if request.hardware is not None and request.hardware.mfu_by_default:  # a sweep's rows take the MFU assumed
        request = replace(request, hardware=request.hardware.assumed())
    if request.hardware is not None and request.hardware.mfu_predicted:
        from .errors import UsageError

        raise UsageError(
            request.hardware.mfu_where,
            "a sweep takes a number: predict is one plan's (budget --blueprint --mfu predict)",
        )
    check_sweep_size(len(budgets), where, table, sweep_searches(request))
    plans = make_sweep(request, budgets)
    compared = tuple(sweep_under(plans, other) for other in laws_to_compare(request)) if compare_laws else ()
    return plans, compared, tuple(warnings + sweep_warnings(plans))


def config_paths(paths: Sequence[str], base_ref: str | None) -> list[str]:
    """The config files `paths` name: a file as itself; a folder as its YAML configs (not those of folders inside it,
    such as configs/laws/), or with base_ref only those that differ from that ref (changed, new or deleted)."""
    import glob
    import os

    from .inputs.git import changed_configs

    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
        elif base_ref is not None:
            files += changed_configs(base_ref, path)
        else:
            pattern = os.path.join(glob.escape(path), "*.y*ml")
            files += sorted(name for name in glob.glob(pattern) if name.endswith((".yaml", ".yml")))
    return files


def require_configs(paths: Sequence[str], found: int, needed: int, where: str, task: str) -> None:
    """Refuse a command line (or call) whose configs, once folders are read, are fewer than `task` needs (compare
    two, check one), naming each folder that holds none: an empty folder is a mistake to say, not a silent pass."""
    import os

    if found >= needed:
        return
    empty = [path for path in paths if os.path.isdir(path) and not config_paths([path], None)]
    holds = f" ({', '.join(empty)} {'holds' if len(empty) == 1 else 'hold'} no .yaml or .yml config)" if empty else ""
    count = "one config" if needed == 1 else "two configs"
    raise UsageError(where, f"give at least {count} {task}{holds}")


@dataclass(frozen=True)
class Entry:
    """One config in `compare` or `check`: where it came from and its plan."""

    label: str  # the file, or ref:file for a version from git
    name: str | None
    plan: Plan
    assessed: Gap | None = None  # for compare: what the config stands for (plan.assessed), measured before output
    change: str | None = None  # for compare --base-ref: new, deleted, changed, unchanged, or base (the base version)
    downstream: tuple[MetricPrediction, ...] = ()  # each downstream metric at the compared run's loss


def compare_entries(
    paths: Sequence[str],
    base_ref: str | None = None,
    loaded: Mapping[str, Mapping[str, Sourced]] | None = None,
    extra: Mapping[str, Sourced] | None = None,
) -> tuple[list[Entry], list[int], list[str], list[UsageError]]:
    """Each config's plan (and, with base_ref, its version at that git ref before it), the index of each one's
    baseline, warnings, and errors: what compare() and `compare` compare. `loaded` holds configs already read, by
    path; `extra` values apply to every config (the downstream files to predict with). A config that cannot be read
    or planned is left out with its error, and the others are still compared.

    With base_ref each entry says how the config changed: a config with a base version is "changed" or "unchanged"
    against it (the base version itself is "base"); one missing at the ref is "new", its own baseline; one missing
    here but present at the ref is "deleted", shown by its base version.
    """
    import os

    from .inputs.git import read_from_git
    from .inputs.request import build_request
    from .inputs.yaml_files import load_config as load
    from .plan_warnings import warnings_for
    from .plans import assessed, make_plan, predict_downstream

    entries: list[Entry] = []
    baselines: list[int] = []
    warnings: list[str] = []
    errors: list[UsageError] = []

    def entry(values: Mapping[str, Sourced], shown: str, change: str | None) -> tuple[Entry, list[str]]:
        request, notes = build_request({**values, **(extra or {})})
        made = make_plan(request)
        name = values["name"].value if "name" in values else None
        subject = assessed(made)
        metrics = predict_downstream(request, subject.loss_nats)  # at the compared run's loss
        said = [note if note.startswith(shown) else f"{shown}: {note}" for note in notes + warnings_for(made)]
        return Entry(shown, None if name is None else str(name), made, subject, change, metrics), said

    def versions(path: str) -> list[tuple[Entry, list[str]]]:
        """The config's entries: its base version (with base_ref) and itself, as far as each exists."""
        here = loaded[path] if loaded and path in loaded else None
        if base_ref is None:
            return [entry(here or load(path), path, None)]
        base_text = read_from_git(base_ref, path)
        exists = here is not None or os.path.isfile(path)
        if base_text is None and not exists:
            raise UsageError(path, f"no such file, here or at {base_ref}")
        if base_text is None:
            return [entry(here or load(path), path, "new")]
        label = f"{base_ref}:{path}"
        base = entry(load(path, base_text, label), label, "base" if exists else "deleted")
        if not exists:
            return [base]
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            same = handle.read() == base_text
        return [base, entry(here or load(path), path, "unchanged" if same else "changed")]

    for path in config_paths(paths, base_ref):
        try:
            found = versions(path)
        except UsageError as error:
            if error.where.startswith("--base-ref"):
                raise  # the ref itself (unknown, or not a repository): one error for every config
            errors.append(error)
            continue
        first = len(entries) if base_ref is not None else 0  # with base_ref each is against its own base version
        for made, said in found:
            baselines.append(first)
            entries.append(made)
            warnings += said
    return entries, baselines, warnings, errors


def downstream_fit_of(
    runs: str,
    metric: str,
    form: str,
    options: Mapping[str, object],
    flag: Callable[[str], str],
) -> tuple[RunsTable, DownstreamFit, str, str, tuple[str, ...]]:
    """A metric fitted against loss, for fit_downstream() and `fit-downstream`: the runs read, the fit, its short
    name, the dataset its loss is on and warnings (refits a downstream file cannot hold, left out). `options` hold chance,
    chance_margin, floor, ceiling, the runs' columns, require_complete, where ((column, value) pairs), skip_invalid,
    bootstrap, seed, name and dataset as either door takes them; `flag` names an option in
    messages as that door spells it."""
    import re

    import numpy as np

    from .choices import DOWNSTREAM_FORMS
    from .downstream import BOOTSTRAP_WORK, CHANCE_MARGIN_DEFAULT, MetricRuns, fit_downstream, known_chance
    from .inputs.runs import read_runs
    from .inputs.values import choice, finite_number, positive_number, seed_number

    def number(name: str, read: Callable[[object, str], float], default: float | None) -> float | None:
        value = options.get(name)
        return default if value is None else read(value, flag(name))

    def column(name: str) -> str | None:
        value = options.get(name)
        return None if value is None else str(value)

    form = choice(form, DOWNSTREAM_FORMS, flag("form"), "form")
    margin = number("chance_margin", positive_number, CHANCE_MARGIN_DEFAULT)
    floor, ceiling = number("floor", finite_number, None), number("ceiling", finite_number, 1.0)
    if form == "exponential" and (options.get("floor") is not None or options.get("ceiling") is not None):
        raise UsageError(
            flag("floor" if options.get("floor") is not None else "ceiling"), "applies to the sigmoid form only"
        )
    name = str(options.get("name") or re.sub(r"[^a-z0-9]+", "_", metric.lower()).strip("_") or "metric")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise UsageError(
            flag("name"), f"use lower-case letters, digits and _ (it names the output fields), not {name!r}"
        )
    bootstrap, seed = options.get("bootstrap", 0), options.get("seed", 42)
    if not (isinstance(bootstrap, int) and 0 <= bootstrap <= 100_000):
        raise UsageError(flag("bootstrap"), f"must be a whole number from 0 to 100,000, got {bootstrap!r}")
    seed = seed_number(seed, flag("seed"))
    where = options.get("where") or []
    assert isinstance(where, list)  # (column, value) pairs, as each door reads them
    table = read_runs(
        runs, column("params_col"), column("tokens_col"), column("flops_col"), column("loss_col"),
        bool(options.get("require_complete")), None, (metric,), where=where,
        skip_invalid=bool(options.get("skip_invalid")),
    )  # fmt: skip
    assert table.metrics is not None and margin is not None and ceiling is not None
    scores = table.metrics[table.columns["metric"]]
    BOOTSTRAP_WORK.check(bootstrap, len(scores), flag("bootstrap"))
    chance = number("chance", finite_number, known_chance(metric))
    if chance is None:
        raise UsageError(
            flag("chance"), f"the chance level of {metric!r} is not known: give it (0.25 for four choices, 0.5 for two)"
        )
    if not -1 <= chance < 1:
        raise UsageError(flag("chance"), f"must be from -1 to below 1, got {chance:g}")
    below = [i for i, score in enumerate(scores) if score < 0]
    if chance != 0 and below:  # only a score centred on chance goes below 0
        score = scores[below[0]]
        raise UsageError(
            f"{table.label}:{table.lines[below[0]]}",
            f"{table.columns['metric']}: {score:g} is below 0 (a score centred on chance, where 0 is chance, may go"
            f" down to -1: give {flag('chance')} 0)",
        )
    fitted = fit_downstream(
        MetricRuns(np.array(table.loss_nats), np.array(scores)), form, chance,  # type: ignore[arg-type]
        f"{flag('metric')} {metric}", floor, ceiling, margin, bootstrap, seed,
    )  # fmt: skip
    dataset = str(options.get("dataset") or f"the data the runs in {table.label} were trained and evaluated on")
    warnings = []
    if fitted.samples is not None and len(fitted.samples):
        from dataclasses import replace

        from .inputs.downstream_file import sample_fault

        faults = np.array([sample_fault(form, row) is not None for row in fitted.samples])
        if faults.any():  # a downstream file holds none of them: left out, and said
            warnings.append(
                f"{int(faults.sum())} of the {bootstrap} bootstrap refits ran outside what a downstream file holds"
                " (`scaling-plan schema --downstream-file` gives the ranges): left out"
            )
            fitted = replace(fitted, samples=fitted.samples[~faults])
    return table, fitted, name, dataset, tuple(warnings)


def suggestion_of(
    runs: str,
    law: object,
    target_flops: float,
    count: int,
    max_run_flops: float | None,
    budget_flops: float | None,
    objective: str,
    columns: Sequence[str | None],
    flag: Callable[[str], str],
    where: Sequence[tuple[str, str]] = (),
    skip_invalid: bool = False,
    other_columns: tuple[str | None, str | None, str | None] = (None, None, None),
    unique_tokens: float | None = None,
) -> tuple[Suggestion, Law, RunsTable, list[str]]:
    """The next runs for suggest() and `suggest`: `law` (a name, path or law) fitted to `runs` (the rows `where` and
    `skip_invalid` keep, as fit reads them) with refits, and a warning when the law's file says it was fitted on
    other runs (a law that does not say, a preset or an older file, is taken at its word)."""
    import os

    from .design import suggest_budgets, suggest_runs
    from .inputs.request import resolve_law
    from .inputs.runs import read_runs, select_runs
    from .inputs.values import Sourced
    from .laws import FrontierLaw, KaplanLaw, ParametricLaw
    from .units import counted

    chosen = resolve_law(Sourced(law, flag("law")))
    if not isinstance(chosen, (ParametricLaw, KaplanLaw, FrontierLaw)):
        raise UsageError(
            flag("law"), f"{chosen.name} is not a law suggest designs runs for: a law fitted by fit (--form"
            " chinchilla, kaplan, moe or data-constrained) or a frontier (--approach isoflop, --form compute or"
            " broken)",
        )  # fmt: skip
    params_col, tokens_col, flops_col, loss_col = columns
    unique_col, granularity_col, experts_col = other_columns
    table = read_runs(runs, params_col, tokens_col, flops_col, loss_col, where=where, skip_invalid=skip_invalid,
                      unique_col=unique_col, granularity_col=granularity_col, experts_col=experts_col)  # fmt: skip
    selection = select_runs(table)
    warnings = []
    if chosen.runs_fingerprint is not None and chosen.runs_fingerprint != table.fingerprint:
        (fitted_runs, fitted_hash), (here_runs, here_hash) = chosen.runs_fingerprint, table.fingerprint
        named = os.fspath(law) if isinstance(law, (str, os.PathLike)) else chosen.name
        warnings.append(
            f"{flag('law')} {named} was fitted on other runs than {table.label} holds"
            f" ({counted(fitted_runs, 'run')}, sha256 {fitted_hash}; here {counted(here_runs, 'run')}, sha256"
            f" {here_hash}): its refits measure those runs' uncertainty, not these; refit it on {table.label} first"
        )
    if isinstance(chosen, FrontierLaw):
        import numpy as np

        if unique_tokens is not None:
            raise UsageError(
                "unique_tokens",
                f"a unique-token cap asks a law fitted with repetition (fit --form data-constrained); {chosen.name} is"
                " a frontier",
            )

        from .experiments import BUDGET_RTOL_DEFAULT
        from .isoflop import group_budgets

        given = None if selection.budget_flops is None else np.array(selection.budget_flops)
        budgets = group_budgets(selection.runs.compute_flops, given, BUDGET_RTOL_DEFAULT)
        made = suggest_budgets(chosen, selection.runs, budgets, target_flops, count, max_run_flops, budget_flops,
                               objective)  # fmt: skip
    else:
        made = suggest_runs(chosen, selection.runs, target_flops, count, max_run_flops, budget_flops, objective,
                            unique_tokens)  # fmt: skip
    return made, chosen, table, warnings


def serving_of(values: Mapping[str, Sourced]) -> tuple[str, Serving, tuple[str, ...]]:
    """A model served (`serve` and serve()): what the output calls it, the serving and warnings."""
    from .inputs.serve_request import serve_question
    from .serving import GPUS_PER_NODE, serve

    question, warnings = serve_question(values)
    served = serve(question.architecture, question.gpu, question.request)
    if served.gpus > GPUS_PER_NODE:
        warnings.append(
            f"{served.gpus} GPUs per replica span nodes: the GPU link's bandwidth holds within a node of"
            f" {GPUS_PER_NODE}, so the tensor-parallel time is understated"
        )
    return question.model, served, tuple(warnings)
