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

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .api_fields import Fields as Fields
from .api_fields import LawLike as LawLike
from .api_fields import Options as Options
from .api_fields import Quantity as Quantity
from .api_fits import FittedFrontier as FittedFrontier
from .api_fits import FittedKaplan as FittedKaplan
from .api_fits import FittedLaw as FittedLaw
from .api_fits import FittedMapping as FittedMapping
from .api_fits import FittedMoE as FittedMoE
from .api_fits import fit as fit
from .api_fits import fit_downstream as fit_downstream
from .api_support import _as_json, _said
from .downstream import DownstreamMapping

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .answers import Entry
    from .design import Suggestion
    from .inputs.values import Sourced
    from .laws import Law
    from .plans import Plan
    from .sweeps import Sweep

# The results are NamedTuples (cheap to define: `budget` and `sweep` import this module at every start); FittedLaw
# is a dataclass, as the law it extends.


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
    *,
    config: Config | str | os.PathLike[str] | None = None,
    compare_laws: bool = False,
    hf_config: str | os.PathLike[str] | None = None,
    **fields: Unpack[Fields],
) -> PlanResult:
    """Compute-optimal N, D and loss for a budget (or an inverse target), as `scaling-plan budget` answers it;
    `hf_config` (a config.json, or a folder holding one) makes that released model the plan's blueprint, as
    `budget --hf-config` does.

    >>> plan(flops=1e24).loss_nats > plan(flops=1e25).loss_nats
    True
    """
    from .answers import plan_of
    from .inputs.values import Sourced

    released = Sourced(os.fspath(hf_config), "hf_config") if hf_config is not None else None
    made, compared, warnings = plan_of(_values(fields, config), compare_laws, released)
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
    unique_col: str | None = None,
    granularity_col: str | None = None,
    experts_col: str | None = None,
    unique_tokens: Quantity | None = None,
    where: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
) -> SuggestResult:
    """The next runs that most narrow N_opt (or the loss) at `target`, as `scaling-plan suggest`: `law` fitted to
    `runs` with bootstrap refits (fit(..., bootstrap=200), or a law file; a mixture of experts' law reads each run's
    granularity and expansion, from `granularity_col` and `experts_col` or the columns fit finds; a law fitted with
    repetition each run's unique tokens, from `unique_col`, and asks the target under a cap of `unique_tokens` when
    given); `where` and `skip_invalid` select rows as fit()'s do. `narrow_enough` is the stopping rule."""
    from .answers import suggestion_of
    from .choices import SUGGEST_OBJECTIVES
    from .errors import UsageError
    from .inputs.request import hardware_of
    from .inputs.values import Sourced, checked_number, choice, positive_number
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
    limit = {} if unique_tokens is None else {"unique_tokens": Sourced(unique_tokens, "unique_tokens")}
    hardware = hardware_of(given, warnings)
    made, chosen, table, said = suggestion_of(
        os.fspath(runs), law, target_flops, count, cap, total, objective, (params_col, tokens_col, flops_col, loss_col),
        lambda option: option, list((where or {}).items()), skip_invalid, (unique_col, granularity_col, experts_col),
        checked_number(limit, "unique_tokens"),
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
