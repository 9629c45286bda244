"""JSON Schemas: of the config file (from its pydantic models) and of every command's JSON output.

The output models describe the records output/records.py makes; tests validate real output against this schema, so the
two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..inputs.config_model import PlanConfig
from ..inputs.models import LawFile
from .catalog import FIELDS, GAP_KEYS, names
from .fit_schemas import (
    BacktestOutput,
    DownstreamFitOutput,
    FitOutput,
    FormFitOutput,
    IsoflopFitOutput,
    RecordModel,
)
from .records import ARCHITECTURE_KEYS, COMPARED_KEYS, PLAN_SERVING_KEYS, SERVE_KEYS
from .sweeps import SWEEP_GROUP_KEYS

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    """The config's schema. An optional key is simply left out, so the schema offers no `null` (pydantic writes every
    optional field as `X or null`): an editor then completes `gpu:` with the GPU names, not with null."""
    schema = _without_null(PlanConfig.model_json_schema())
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": "scaling-plan config"}


def _without_null(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_without_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: _without_null(value) for key, value in schema.items()}
    options = cleaned.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        kept = [option for option in options if option != {"type": "null"}]
        del cleaned["anyOf"]
        cleaned.pop("default", None)
        cleaned = kept[0] | cleaned if len(kept) == 1 else {"anyOf": kept, **cleaned}
    return cleaned


def downstream_file_schema() -> dict[str, Any]:
    from ..inputs.models import DownstreamFile

    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **DownstreamFile.model_json_schema(),
        "title": "scaling-plan downstream file",
    }


def hardware_file_schema() -> dict[str, Any]:
    from ..inputs.models import HardwareFile

    return {"$schema": JSON_SCHEMA_DIALECT, **HardwareFile.model_json_schema(), "title": "scaling-plan hardware file"}


def law_file_schema() -> dict[str, Any]:
    """A law file is one of its kinds: a parametric law (the default kind), a compute-optimal frontier (plain or
    broken), or Kaplan's joint law."""
    from pydantic import TypeAdapter

    from ..inputs.models import BrokenLawFile, FrontierLawFile, KaplanLawFile, MoELawFile

    both = TypeAdapter(LawFile | FrontierLawFile | BrokenLawFile | KaplanLawFile | MoELawFile).json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, **both, "title": "scaling-plan law file"}


_Record = RecordModel


#: A downstream metric predicted beside the loss (`--downstream`): downstream_<name> and its _low and _high (numbers,
#: null without refits or where every refit is held at a bound), _extrapolated (whether the loss lies outside the
#: mapping's) and _clamped (the bound the metric is held at, "floor" or "ceiling", or null).
_DOWNSTREAM_PATTERNS: dict[str, Any] = {
    r"^downstream_(?![a-z0-9_]*_clamped$)[a-z0-9_]+$": {"type": ["number", "boolean", "null"]},
    r"^downstream_[a-z0-9_]+_clamped$": {"enum": ["floor", "ceiling", None]},
}


def _typed(key: str, present: bool = True) -> tuple[Any, Any]:
    """A record field's type and default for pydantic, from the table of output fields: a field of a group every
    record of its kind has is required (null where it may be unknown); a field of a group only some have may be left
    out, or null."""
    field = FIELDS[key]
    kind: Any = {"text": str, "flag": bool, "count": int}.get(field.unit, float)
    if not present:
        return kind | None, Field(None, description=field.description or None)
    return (kind | None if field.null else kind), Field(description=field.description or None)


def _fields(keys: Sequence[str], present: bool = True) -> dict[str, Any]:
    return {key: _typed(key, present) for key in keys if key != "schema_version"}


class _PlanFields(_Record):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"patternProperties": _DOWNSTREAM_PATTERNS, "additionalProperties": False}
    )


#: A plan; under a unique-token cap (`--unique-tokens`) also its data use, with inference tokens its lifetime, with
#: --blueprint its shape, counts, memory and hyperparameters, with --serve its serving.
PlanRecord = create_model(
    "PlanRecord",
    __base__=_PlanFields,
    **_fields(names("head", "plan", "hardware", "energy")),
    **_fields((*names("moe", "data", "inference", "blueprint"), *PLAN_SERVING_KEYS), present=False),
)


#: `shape --format json`.
ShapeOutput = create_model(
    "ShapeOutput",
    __base__=_Record,
    target_n_params=(float | None, Field(description="the size asked for (null for an explicit shape)")),
    n_tokens=(float, Field(description="training tokens the run's batch, LR and time assume")),
    gpu=(str | None, ...),
    mfu=(float | None, ...),
    mfu_from=(
        str | None,
        Field(description="predicted (by default, or --mfu predict), measured (--calibrate) or assumed (a number)"),
    ),
    gpus=(int | None, ...),
    price_usd_per_gpu_hour=(float | None, ...),
    **_fields(names("blueprint"), present=False),
)


#: `shape --hf-config --format json`: a released model's architecture and its exact counts (null: no experts).
_MAY_BE_NULL = ("experts", "active_experts", "shared_experts", "expert_d_ff", "not_counted")
ArchitectureOutput = create_model(
    "ArchitectureOutput",
    __base__=_Record,
    **_fields([key for key in ARCHITECTURE_KEYS if key not in _MAY_BE_NULL]),
    **_fields(_MAY_BE_NULL, present=False),
)


#: `serve --format json`: a model served on a replica of GPUs (null: no price, rated power or load given).
_SERVE_MAY_BE_NULL = tuple(key for key in SERVE_KEYS if FIELDS[key].null)
ServeOutput = create_model(
    "ServeOutput",
    __base__=_Record,
    **_fields([key for key in SERVE_KEYS if key not in _SERVE_MAY_BE_NULL]),
    **_fields(_SERVE_MAY_BE_NULL, present=False),
)


#: A plan record with the intended run's fields (run_*, when the config has a run: section) and intervals (when the
#: law carries bootstrap refits).
PlanWithRun = create_model(  # type: ignore[call-overload]
    "PlanWithRun",
    __base__=PlanRecord,
    **{f"run_{key}": (float | None, None) for key in (*GAP_KEYS, *names("data"))},
    **_fields(names("intervals"), present=False),
)


class BudgetOutput(PlanWithRun):
    """`budget --format json`."""

    compare_laws: list[PlanRecord] | None = Field(None, description="with --compare-laws")


_GROUP_PATTERN = r"^.+\.(" + "|".join(SWEEP_GROUP_KEYS) + r")$"


class SweepRecord(PlanRecord):
    """One budget of `sweep`; `sweep --format jsonl` writes one per line. --compare-laws adds '<law>.<field>'."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "patternProperties": {_GROUP_PATTERN: {"type": "number"}, **_DOWNSTREAM_PATTERNS},
            "additionalProperties": False,
        },
    )


class SweepOutput(_Record):
    """`sweep --format json`."""

    plans: list[SweepRecord]


class _CompareFields(_Record):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "patternProperties": {
                **_DOWNSTREAM_PATTERNS,
                r"^delta_downstream_[a-z0-9_]+$": {"type": ["number", "null"]},
            },
            "additionalProperties": False,
        },
    )


CompareRecord = create_model(  # type: ignore[call-overload]
    "CompareRecord",
    __base__=_CompareFields,
    config=(str, ...),
    name=(str | None, ...),
    baseline=(str, Field(description="the config the deltas are against")),
    change=(
        str | None,
        Field(description="with --base-ref: new, deleted, changed, unchanged, or base (the base version); else null"),
    ),
    subject=(str, Field(description="'intended run' (run: section) or 'planned run'")),
    given=(str, ...),
    given_value=(float, ...),
    method=(str, ...),
    law=(str, ...),
    gpu=(str | None, ...),
    **{key: (float | None, ...) for key in COMPARED_KEYS},
    **{f"delta_{key}": (float | None, ...) for key in COMPARED_KEYS},
    **{f"delta_{key}_pct": (float | None, ...) for key in COMPARED_KEYS},
)


class CompareOutput(_Record):
    """`compare --format json`."""

    configs: list[CompareRecord]


class CheckRecord(_Record):
    config: str
    name: str | None
    rule: str | None = Field(description="the policy rule; null when the config could not be checked")
    quantity: str | None
    unit: str | None
    status: str = Field(description="pass, fail, error, or skipped (a config without a policy)")
    measured: float | None
    limit: float | None
    message: str


class CheckSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass_: int = Field(alias="pass")
    fail: int
    error: int
    skipped: int = Field(description="configs without a policy, not checked (an error with --require-policy)")


class CheckOutput(_Record):
    """`check --format json`."""

    summary: CheckSummary
    results: list[CheckRecord]


class LawRecord(_Record):
    name: str
    E: float | None
    A: float | None
    B: float | None
    alpha: float | None
    beta: float | None
    alpha_n: float | None
    alpha_d: float | None
    n_c: float | None
    d_c: float | None
    frontier_n_coefficient: float | None
    frontier_n_exponent: float | None
    rd_star: float | None = Field(description="R_D* of a law fitted with repeated data (Muennighoff et al. 2023)")
    rn_star: float | None = Field(description="R_N* of a law fitted with repeated data (Muennighoff et al. 2023)")
    irreducible_loss_nats: float | None = Field(description="null for a published frontier: it has no loss law")
    optimal_tokens_per_param_at_1e24_flops: float
    n_params_kind: str
    loss_dataset: str | None
    formula: str
    source: str
    predicts: str = Field(description="what it can be used for: a loss law (--law), or an allocation only (--method)")


class LawsOutput(_Record):
    """`laws --format json`."""

    laws: list[LawRecord]


class GpuRecord(_Record):
    name: str
    peak_flops_per_second: float
    peak_fp8_flops_per_second: float | None = Field(description="dense FP8 peak; null without FP8 tensor cores")
    memory_gib: float = Field(description="memory per GPU as the device reports it, in GiB")
    memory_bandwidth_gb_per_second: float | None = Field(description="HBM bandwidth per GPU, GB/s (1e9 bytes)")
    link_bandwidth_gb_per_second: float | None = Field(
        description="GPU-to-GPU bandwidth within a node (NVLink and peers) per GPU, GB/s; null where none is known"
    )
    network_bandwidth_gb_per_second: float | None = Field(
        description="bandwidth between nodes per GPU and direction (its NIC), GB/s; null where none is known"
    )
    power_watts: float | None = Field(description="rated board power (TDP); null where none is published")
    source: str


class GpusOutput(_Record):
    """`gpus --format json`."""

    gpus: list[GpuRecord]


class ExperimentRecord(_Record):
    run: int
    budget_flops: float
    n_params: float
    n_tokens: float
    tokens_per_param: float
    expected_optimal_n_params: float
    loss_nats: float | None = Field(description="empty: fill in each run's final loss, then `fit` reads the file")


class ExperimentsOutput(_Record):
    """`experiments --format json`."""

    runs: list[ExperimentRecord]


class SimulatedRecord(ExperimentRecord):
    loss_nats: float = Field(description="the law's loss at N and D, times exp(noise·z)")
    repeat: int = Field(description="which copy of the run, each with its own noise")


class SimulateOutput(_Record):
    """`simulate --format json`."""

    runs: list[SimulatedRecord]


class SuggestedRecord(ExperimentRecord):
    granularity: float | None = Field(
        None, description="a mixture of experts' run: its granularity G (n_params are then its active parameters)"
    )
    expansion: float | None = Field(None, description="a mixture of experts' run: its expansion E, the law's")
    unique_tokens: int | None = Field(
        None, description="a run of a law fitted with repetition: the unique tokens its n_tokens repeat"
    )
    epochs: float | None = Field(None, description="a run of a law fitted with repetition: n_tokens / unique_tokens")
    gpu_hours: float | None = Field(description="with --gpu: the run's GPU-hours")
    expected_relative_width: float = Field(
        description="the width expected at the target once this run and those before it are added"
    )


class SuggestOutput(_Record):
    """`suggest --format json`: the quantity at the target (N_opt in parameters, or L_opt in nats/token), its
    bootstrap interval now, and the runs that most narrow it."""

    runs_file: str
    law: str
    objective: str = Field(description="n-opt or loss")
    target_flops: float
    value: float
    value_low: float
    value_high: float
    interval_level: float
    relative_width: float = Field(description="(value_high - value_low) / value, now")
    expected_relative_width: float = Field(description="what the suggested runs are expected to leave")
    max_relative_width: float | None = Field(description="--max-relative-width, or null")
    narrow_enough: bool | None = Field(description="relative_width <= max_relative_width; null without it")
    n_runs: int
    total_flops: float
    total_gpu_hours: float | None
    max_run_flops: float
    budget_flops: float | None
    design: str = Field(description="runs (a parametric law) or isoflop profiles (a frontier law: a budget each)")
    noise: float = Field(description="sigma: the RMS residual about the fit of what a new run (or profile) measures")
    noise_of: str = Field(description="what that is: the runs' log loss, or the profiles' ln N_opt or minimum loss")
    n_candidates: int
    gpu: str | None
    runs: list[SuggestedRecord]


PredictOutput = create_model(  # type: ignore[call-overload]
    "PredictOutput",
    __base__=_Record,
    __doc__="`predict --format json`: one run's loss, its gap to the optimum at its compute, its data use, and with"
    " --gpu what it takes: GPU-hours, days, cost, energy and emissions.",
    law=(str, ...),
    law_source=(str, ...),
    n_params_kind=(str, ...),
    loss_dataset=(str, ...),
    **{key: (float | None, ...) for key in GAP_KEYS},
    **_fields(names("data"), present=False),
    **_fields(names("energy")),
)


PredictCandidate = create_model(
    "PredictCandidate",
    __base__=PredictOutput,
    __doc__="One of several runs `predict` was given, with its ranks among them.",
    **_fields(("rank_by_loss", "rank_by_compute")),
)


class PredictCandidatesOutput(_Record):
    """`predict --format json` of several runs (--params 7B,13B --tokens 2T,1T)."""

    law: str
    candidates: list[PredictCandidate]


OUTPUTS: dict[str, type[BaseModel]] = {
    "backtest": BacktestOutput,
    "predict": PredictOutput,
    "predict (several runs)": PredictCandidatesOutput,
    "fit": FitOutput,
    "fit-isoflop": IsoflopFitOutput,
    "fit --form": FormFitOutput,
    "fit-downstream": DownstreamFitOutput,
    "experiments": ExperimentsOutput,
    "simulate": SimulateOutput,
    "suggest": SuggestOutput,
    "budget": BudgetOutput,
    "shape": ShapeOutput,
    "shape --hf-config": ArchitectureOutput,
    "serve": ServeOutput,
    "sweep": SweepOutput,
    "sweep-jsonl-line": SweepRecord,
    "compare": CompareOutput,
    "check": CheckOutput,
    "laws": LawsOutput,
    "gpus": GpusOutput,
}


def output_json_schema() -> dict[str, Any]:
    """One schema whose $defs hold each command's JSON document; a document is any one of them."""
    from pydantic.json_schema import models_json_schema

    refs, top = models_json_schema([(model, "validation") for model in OUTPUTS.values()], by_alias=True)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "scaling-plan JSON output",
        "description": "by command: "
        + ", ".join(f"{command} -> {model.__name__}" for command, model in OUTPUTS.items()),
        "anyOf": [refs[(model, "validation")] for model in OUTPUTS.values()],
        **top,
    }
