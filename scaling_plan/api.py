"""The Python API, for notebooks and scripts: the command line's questions as functions with typed results.

    >>> import scaling_plan as sp
    >>> result = sp.plan(flops=1e24, gpu="H100-SXM", price_per_gpu_hour=2.5)
    >>> f"{result.n_params:.3g} parameters on {result.n_tokens:.3g} tokens"
    '9.13e+10 parameters on 1.83e+12 tokens'

Every function takes the CLI's fields by their names (`flops`, `gpu`, `tokens_per_param`, `unique_tokens`, ...; the
config file's keys, listed in inputs/fields.py), as numbers or as the CLI writes them ("70B", "$2M"). Each result's
`to_dict()` is exactly the JSON record the matching command prints with `--format json`, and its `warnings` are the
lines the command would print on stderr. Bad input raises ScalingPlanError, which names the field.

The API sits beside the command line as a second front door: it reads its arguments through the inputs wing, asks the
domain, and builds its records with the output wing, as the CLI does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .api_fields import Fields as Fields
from .api_fields import LawLike as LawLike
from .api_fields import Options as Options
from .api_fields import Quantity as Quantity
from .choices import APPROACHES
from .downstream import DownstreamMapping
from .laws import FrontierLaw, ParametricLaw

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .answers import Entry
    from .design import Suggestion
    from .fitting import Bootstrap, Fit
    from .inputs.runs import Selection
    from .inputs.values import Sourced
    from .laws import Law
    from .output.records import Record
    from .plans import Plan
    from .sweeps import Sweep

# The results are NamedTuples (cheap to define: `budget` and `sweep` import this module at every start); FittedLaw
# is a dataclass, as the law it extends.


def _said(warnings: Sequence[str]) -> tuple[str, ...]:
    """Warnings as the API says them: an input named by its keyword (the command line says its flag)."""
    from .errors import in_words

    return tuple(in_words(warning) for warning in warnings)


def _interval_level(interval: float) -> float:
    """An interval given in percent (90: the 5th to 95th percentile) as a level, checked as the flag --interval is."""
    from .errors import UsageError

    if not 1 <= interval <= 99.9:
        raise UsageError("interval", f"must be a percentage from 1 to 99.9, got {interval:g}")
    return interval / 100


def _as_json(payload: Any) -> dict[str, Any]:
    """`payload` as the CLI's JSON gives it, copied from the records (not written and read back): tuples as lists,
    every number finite (the JSON writer refuses NaN and inf too)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
        return value

    result: dict[str, Any] = plain(payload)
    return result


class Config(NamedTuple):
    """A plan config file, read and checked: give it to plan(config=...), sweep(config=...) or compare()."""

    path: str
    values: Mapping[str, Sourced]

    def __repr__(self) -> str:
        return f"Config(path={self.path!r})"


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and check a config file (the same checks as the CLI; errors name file:line and the field)."""
    from .inputs.yaml_files import load_config as load

    return Config(os.fspath(path), load(os.fspath(path)))


def _values(fields: Mapping[str, Any], config: Config | str | os.PathLike[str] | None) -> dict[str, Sourced]:
    """The config's values, then the keyword fields over them, each sourced by its name (for messages)."""
    from .inputs.values import Sourced, merge

    known = Fields.__optional_keys__
    unknown = [name for name in fields if name not in known]
    if unknown:
        from .errors import UsageError, unknown_name

        raise UsageError(unknown[0], unknown_name("field", unknown[0], sorted(known)))
    given = {name: Sourced(value, name) for name, value in fields.items() if value is not None and value is not False}
    if config is None:
        return given
    loaded = config if isinstance(config, Config) else load_config(config)
    return merge(loaded.values, given)


class PlanResult(NamedTuple):
    """A plan: the allocation, its loss, and what it takes (`budget`'s answer). `plan` holds every detail: intervals,
    data use, the inference-aware model, the blueprint, the intended run's gap."""

    plan: Plan
    compared: tuple[Plan, ...] | None  # with compare_laws: the same question under each law's own optimum
    warnings: tuple[str, ...]

    @property
    def n_params(self) -> float:
        return self.plan.n_params

    @property
    def n_tokens(self) -> float:
        return self.plan.n_tokens

    @property
    def tokens_per_param(self) -> float:
        return self.plan.tokens_per_param

    @property
    def compute_flops(self) -> float:
        return self.plan.compute_flops

    @property
    def loss_nats(self) -> float:
        return self.plan.loss_nats

    @property
    def gpu_hours(self) -> float | None:
        return self.plan.gpu_hours

    @property
    def wall_clock_days(self) -> float | None:
        return self.plan.wall_clock_days

    @property
    def cost_usd(self) -> float | None:
        return self.plan.cost_usd

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan budget --format json` for the same question."""
        from .output.plans import budget_document

        return _as_json(budget_document(self.plan, self.compared))


def plan(
    *, config: Config | str | os.PathLike[str] | None = None, compare_laws: bool = False, **fields: Unpack[Fields]
) -> PlanResult:
    """Compute-optimal N, D and loss for a budget (or an inverse target), as `scaling-plan budget` answers it.

    >>> plan(flops=1e24).loss_nats > plan(flops=1e25).loss_nats
    True
    """
    from .answers import plan_of

    made, compared, warnings = plan_of(_values(fields, config), compare_laws)
    return PlanResult(made, compared, _said(warnings))


class SweepResult(NamedTuple):
    """Plans across budgets (`sweep`'s answer): a record per budget, and the domain sweep with its arrays."""

    sweep: Sweep
    compared: tuple[Sweep, ...]
    warnings: tuple[str, ...]

    def records(self) -> list[dict[str, Any]]:
        """A record per budget, as each line of `scaling-plan sweep --format jsonl`."""
        return list(self.to_dict()["plans"])

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan sweep --format json` for the same budgets."""
        from .output.records import SCHEMA_VERSION, sweep_records

        return _as_json({"schema_version": SCHEMA_VERSION, "plans": list(sweep_records(self.sweep, self.compared))})


def sweep(
    budgets: Sequence[Quantity] | None = None,
    *,
    start: Quantity | None = None,
    stop: Quantity | None = None,
    per_decade: Quantity | None = None,
    unit: str = "flops",
    config: Config | str | os.PathLike[str] | None = None,
    compare_laws: bool = False,
    **options: Unpack[Options],
) -> SweepResult:
    """Plans for many budgets in one vectorised pass, as `scaling-plan sweep`: explicit `budgets`, or `start` to
    `stop` with `per_decade` points (default 4) evenly spaced in log scale. `unit` is flops, dollars, gpu-hours or
    days."""
    from .choices import BUDGET_UNITS
    from .inputs.budgets import sweep_budgets
    from .inputs.values import choice

    kind = choice(unit, BUDGET_UNITS, "unit", "unit").replace("-", "_")
    text = None if budgets is None else ",".join(str(budget) for budget in budgets)
    given = [None if value is None else str(value) for value in (start, stop, per_decade)]
    values, where = sweep_budgets(given[0], given[1], given[2], text, kind)
    from .answers import sweep_of

    made, compared, warnings = sweep_of(_values(dict(options), config), values, where, kind, compare_laws)
    return SweepResult(made, compared, _said(warnings))


@dataclass(frozen=True)
class _Fitted:
    """What every fit returns besides its law or mapping: the command's record and the warnings it would print."""

    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    fit_warnings: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return _said(self.fit_warnings)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the JSON of the command that makes the same fit (`fit`, `fit --approach isoflop`,
        `fit-downstream`) for the same runs and options."""
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


def fit(
    runs: str | os.PathLike[str],
    *,
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
    huber_delta: Quantity | None = None,
    bootstrap: int = 0,
    seed: int = 42,
    interval: float = 90.0,
    name: str | None = None,
) -> FittedLaw | FittedFrontier:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to a runs file, as `scaling-plan fit` (Hoffmann et al. 2022,
    appendix D.2), with `bootstrap` refits for intervals. A fit that did not converge is returned with its `problem`
    said (the CLI exits 1 for it); one that runs away to infinite constants, or is degenerate (an exponent at or below
    0), raises ScalingPlanError, naming the runs behind it where they can say.

    approach="isoflop" fits Approach 2 instead (a parabola per compute budget, power laws through the minima, and
    L_opt(C)), as `fit --approach isoflop`, and returns a FittedFrontier: runs are grouped by a budget column when
    the file has one, else by compute within `budget_rtol`; `bootstrap` resamples runs within budgets. A frontier
    whose constants a frontier file may not hold (as fit -o refuses to write) raises ScalingPlanError."""
    from .answers import law_fit_of
    from .errors import UsageError
    from .fitting import CONSTANTS, HUBER_DELTA_DEFAULT
    from .inputs.runs import read_runs, select_runs
    from .inputs.values import choice, positive_number, seed_number
    from .output.fit_records import fit_record

    approach = choice(approach, APPROACHES, "approach", "approach")
    path = os.fspath(runs)
    delta = HUBER_DELTA_DEFAULT if huber_delta is None else positive_number(huber_delta, "huber_delta")
    low = None if min_flops is None else positive_number(min_flops, "min_flops")
    high = None if max_flops is None else positive_number(max_flops, "max_flops")
    level = _interval_level(interval)
    if bootstrap < 0 or drop_top_loss < 0:
        raise UsageError("bootstrap" if bootstrap < 0 else "drop_top_loss", "must not be negative")
    seed = seed_number(seed, "seed")
    table = read_runs(path, params_col, tokens_col, flops_col, loss_col, require_complete, budget_col)
    selection = select_runs(table, drop_top_loss, low, high)
    if approach == "isoflop":
        return _fitted_frontier(
            selection, budget_rtol, bootstrap, seed, level, name or os.path.splitext(os.path.basename(path))[0]
        )
    result, samples, said, problem = law_fit_of(selection, delta, bootstrap, seed)
    zero = next((name for name, value in zip(CONSTANTS, result.constants, strict=True) if not value > 0), None)
    if zero is not None:  # no ParametricLaw has it: `fit` prints it and exits 1, fit() raises
        raise UsageError(path, problem or f"no law fits: the best fit has {zero} = {getattr(result, zero):g}")
    warnings = [*table.warnings(), *said]
    return _fitted_law(selection, result, samples, level, name or os.path.splitext(os.path.basename(path))[0],
                       fit_record(selection, result, samples, level), tuple(warnings), problem)  # fmt: skip


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
    bootstrap: int = 0,
    seed: int = 42,
    interval: float = 90.0,
    dataset: str | None = None,
    name: str | None = None,
) -> FittedMapping:
    """Fit a downstream metric against loss, as `scaling-plan fit-downstream` (exponential, Gadre et al. 2024; or
    sigmoid), with `bootstrap` refits for intervals. A metric at chance in nearly every run raises
    ScalingPlanError, as the command exits 2 for it."""
    from .answers import downstream_fit_of
    from .output.fit_records import downstream_fit_record
    from .output.lawfile import downstream_file_data

    level = _interval_level(interval)
    options = {
        "chance": chance, "chance_margin": chance_margin, "floor": floor, "ceiling": ceiling,
        "params_col": params_col, "tokens_col": tokens_col, "flops_col": flops_col, "loss_col": loss_col,
        "require_complete": require_complete, "bootstrap": bootstrap, "seed": seed, "name": name, "dataset": dataset,
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


class SuggestResult(NamedTuple):
    """The next runs to train (`suggest`'s answer): the domain's suggestion and the JSON document `to_dict()` gives."""

    suggestion: Suggestion
    document: Mapping[str, Any]
    warnings: tuple[str, ...]

    @property
    def relative_width(self) -> float:
        """The interval's width over the value at the target, now."""
        return self.suggestion.relative_width

    @property
    def expected_relative_width(self) -> float:
        return self.suggestion.expected_relative_width

    @property
    def narrow_enough(self) -> bool | None:
        """With max_relative_width: whether the interval is already that narrow (the command's exit 0)."""
        value = self.document["narrow_enough"]
        return None if value is None else bool(value)

    def records(self) -> list[dict[str, Any]]:
        """A record per suggested run, as `suggest --format csv` rows."""
        return list(self.to_dict()["runs"])

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan suggest --format json` for the same runs and options."""
        return _as_json(self.document)


def suggest(
    runs: str | os.PathLike[str],
    *,
    law: LawLike,
    target: Quantity,
    count: int = 5,
    max_run_flops: Quantity | None = None,
    budget_flops: Quantity | None = None,
    objective: str = "n-opt",
    max_relative_width: Quantity | None = None,
    gpu: str | None = None,
    mfu: Quantity | None = None,
    params_col: str | None = None,
    tokens_col: str | None = None,
    flops_col: str | None = None,
    loss_col: str | None = None,
) -> SuggestResult:
    """The next runs that most narrow N_opt (or the loss) at `target`, as `scaling-plan suggest`: `law` fitted to
    `runs` with bootstrap refits (fit(..., bootstrap=200), or a law file). `narrow_enough` is the stopping rule."""
    from .answers import suggestion_of
    from .choices import SUGGEST_OBJECTIVES
    from .errors import UsageError
    from .inputs.request import hardware_of
    from .inputs.values import Sourced, choice, positive_number
    from .output.fit_records import suggestion_document

    if not (isinstance(count, int) and 1 <= count <= 100):
        raise UsageError("count", f"must be a whole number from 1 to 100, got {count!r}")
    objective = choice(objective, SUGGEST_OBJECTIVES, "objective", "objective")
    target_flops = positive_number(target, "target")
    cap = None if max_run_flops is None else positive_number(max_run_flops, "max_run_flops")
    total = None if budget_flops is None else positive_number(budget_flops, "budget_flops")
    width = None if max_relative_width is None else positive_number(max_relative_width, "max_relative_width")
    warnings: list[str] = []
    given = {name: Sourced(value, name) for name, value in (("gpu", gpu), ("mfu", mfu)) if value is not None}
    hardware = hardware_of(given, warnings)
    made, chosen, table, said = suggestion_of(
        os.fspath(runs), law, target_flops, count, cap, total, objective, (params_col, tokens_col, flops_col, loss_col),
        lambda option: option,
    )  # fmt: skip
    document = suggestion_document(made, table.label, chosen.name, hardware, width)
    return SuggestResult(made, document, _said(table.warnings() + said + warnings))


class CompareResult(NamedTuple):
    """Configs side by side (`compare`'s answer): a record per config with deltas against its baseline."""

    entries: tuple[Entry, ...]
    baselines: tuple[int, ...]
    warnings: tuple[str, ...]

    def records(self) -> list[dict[str, Any]]:
        return list(self.to_dict()["configs"])

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan compare CONFIG... --format json` for the same configs."""
        from .output.records import SCHEMA_VERSION, compare_records

        return _as_json({"schema_version": SCHEMA_VERSION, "configs": compare_records(self.entries, self.baselines)})


def compare(
    configs: Sequence[str | os.PathLike[str] | Config],
    *,
    base_ref: str | None = None,
    downstream: Sequence[str | os.PathLike[str] | DownstreamMapping] = (),
) -> CompareResult:
    """Configs side by side, deltas against the first (or, with base_ref, each against its version at that git ref),
    as `scaling-plan compare`; with `downstream` mappings, each metric predicted at each config's loss."""
    from .answers import compare_entries, require_configs
    from .inputs.values import Sourced

    paths = [config.path if isinstance(config, Config) else os.fspath(config) for config in configs]
    loaded = {config.path: config.values for config in configs if isinstance(config, Config)}
    extra = {"downstream": Sourced(tuple(downstream), "downstream")} if downstream else None
    entries, baselines, warnings, errors = compare_entries(paths, base_ref, loaded, extra)
    if errors:
        raise errors[0]
    require_configs(paths, len(entries), 2, "configs", "to compare, or one with base_ref")
    return CompareResult(tuple(entries), tuple(baselines), _said(warnings))


def law(name: str) -> Law:
    """A law preset by name (any case), or a law file by path: what plan(law=...) resolves."""
    from .inputs.request import resolve_law
    from .inputs.values import Sourced

    return resolve_law(Sourced(name, "law"))
