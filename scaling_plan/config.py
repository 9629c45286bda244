"""Flags and YAML -> one validated PlanRequest. The only module that reads YAML.

Every value travels with the place it came from (a flag, or file:line and field), so each error names its culprit.
Flags override config values; a budget or target given by flag replaces the config's.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .allocate import TOKENS_PER_PARAM_DEFAULT, Allocator, LawOptimum, TokensPerParamRule
from .budget import DEFAULT_MFU, GPUS, Hardware, find_gpu
from .data_constrained import repetition_constants, unconstrained, with_unique_tokens
from .errors import UsageError, shown
from .files import file_label, read_text
from .laws import DEFAULT_LAW, PRESETS, PUBLISHED_COMPUTE_RANGE_FLOPS, Law, ParametricLaw
from .plan import BUDGET_KINDS, GIVEN_KINDS, IntendedRun, PlanRequest
from .policy import RULES, Limit
from .units import parse_quantity

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from pydantic import BaseModel, ValidationError

    from .blueprint import BlueprintRequest
    from .inference import InferenceRequest

#: A blueprint's fields: the shape (counted as given when n_layers and d_model are), and how it is trained.
BLUEPRINT_FIELDS = (
    "n_layers", "d_model", "n_heads", "d_ff", "n_kv_heads", "vocab_size", "seq_len", "ffn", "tied_embeddings", "style",
    "experts", "active_experts", "shared_experts", "causal_attention", "sharding", "recompute", "micro_batch",
)  # fmt: skip
_SHAPE_INTEGERS = ("n_layers", "d_model", "n_heads", "d_ff", "n_kv_heads", "vocab_size", "seq_len", "micro_batch")
_EXPERT_INTEGERS = ("experts", "active_experts", "shared_experts")

#: Plan fields, their flags and their place in a config file.
FLAGS = {
    "flops": "--flops",
    "dollars": "--dollars",
    "gpu_hours": "--gpu-hours",
    "days": "--days",
    "params": "--params",
    "tokens": "--tokens",
    "loss": "--loss",
    "gpu": "--gpu",
    "mfu": "--mfu",
    "gpus": "--gpus",
    "price_per_gpu_hour": "--price-per-gpu-hour",
    "method": "--method",
    "tokens_per_param": "--tokens-per-param",
    "law": "--law",
    "unique_tokens": "--unique-tokens",
    "inference_tokens": "--inference-tokens",
    "inference_objective": "--inference-objective",
    "inference_mfu": "--inference-mfu",
    "inference_price_per_gpu_hour": "--inference-price-per-gpu-hour",
    "max_loss_gap": "--max-loss-gap",
    "max_compute_overhead": "--max-compute-overhead",
    "min_tokens_per_param": "--min-tokens-per-param",
    "max_tokens_per_param": "--max-tokens-per-param",
    "max_cost_usd": "--max-cost-usd",
    "max_wall_clock_days": "--max-wall-clock-days",
    "max_epochs": "--max-epochs",
    "blueprint": "--blueprint",
    "n_layers": "--layers",
    "d_model": "--d-model",
    "n_heads": "--heads",
    "d_ff": "--d-ff",
    "n_kv_heads": "--kv-heads",
    "vocab_size": "--vocab-size",
    "seq_len": "--seq-len",
    "ffn": "--ffn",
    "tied_embeddings": "--tied-embeddings",
    "style": "--style",
    "experts": "--experts",
    "active_experts": "--active-experts",
    "shared_experts": "--shared-experts",
    "causal_attention": "--causal-attention",
    "sharding": "--sharding",
    "recompute": "--recompute",
    "micro_batch": "--micro-batch",
}
SECTIONS = {
    "budget": ("flops", "dollars", "gpu_hours", "days"),
    "target": ("params", "tokens", "loss"),
    "hardware": ("gpu", "mfu", "gpus", "price_per_gpu_hour"),
    "allocation": ("method", "tokens_per_param", "law"),
    "data": ("unique_tokens",),
    "inference": ("tokens", "objective", "mfu", "price_per_gpu_hour"),
    "run": ("n_params", "n_tokens"),
    "blueprint": BLUEPRINT_FIELDS,
    "policy": tuple(RULES),
}
METHODS = ("tokens-per-param", "law")
#: Sections whose keys are prefixed to make their plan field (inference.tokens is the field inference_tokens).
FIELD_PREFIXES = {"inference": "inference_"}

#: Largest config or law file read, in bytes: these are hand-written files, never data sets.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of YAML collections read: a config is at most three levels deep (a law's bootstrap samples).
MAX_YAML_DEPTH = 32
#: Most YAML values (scalars and collections) in one file once aliases are expanded: a law file's bootstrap of
#: 100,000 resamples is 600,000; an alias bomb ("billion laughs") is refused before anything is built.
MAX_YAML_VALUES = 1_000_000
#: Largest exponent a law file may give alpha or beta (Hoffmann et al. 2022 and Besiroglu et al. 2024 fit 0.28-0.37).
MAX_LAW_EXPONENT = 2.0
#: Largest law file read, in bytes: fit writes one with up to 100,000 bootstrap samples, about 10 MB.
MAX_LAW_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class Sourced:
    value: object
    where: str  # "--mfu" or "configs/a.yaml:7: hardware.mfu"


def merge(config_values: Mapping[str, Sourced], flag_values: Mapping[str, Sourced]) -> dict[str, Sourced]:
    """Flags override the config; a given (budget or target) by flag replaces the config's given."""
    merged = dict(config_values)
    if any(kind in flag_values for kind in GIVEN_KINDS):
        for kind in GIVEN_KINDS:
            merged.pop(kind, None)
    merged.update(flag_values)
    return merged


def _quantity(value: object, where: str) -> float:
    try:
        return parse_quantity(value)
    except ValueError as error:
        raise UsageError(where, str(error)) from None


def positive_number(value: object, where: str) -> float:
    """A positive finite quantity (1e24, 70B, $2M), or a UsageError naming `where`."""
    number = _quantity(value, where)
    if number <= 0:
        raise UsageError(where, f"must be positive, got {number:g}")
    return number


def non_negative_number(value: object, where: str) -> float:
    """A finite quantity >= 0 (a limit, inference tokens), or a UsageError naming `where`."""
    number = _quantity(value, where)
    if number < 0:
        raise UsageError(where, f"must not be negative, got {number:g}")
    return number


def _number(values: Mapping[str, Sourced], field: str) -> float | None:
    item = values.get(field)
    return None if item is None else positive_number(item.value, item.where)


def _hardware(values: Mapping[str, Sourced], given: str, warnings: list[str]) -> Hardware | None:
    mfu = _number(values, "mfu")
    if mfu is not None and mfu > 1:
        raise UsageError(values["mfu"].where, f"MFU must be in (0, 1], got {mfu:g}")
    n_gpus = _number(values, "gpus")
    if n_gpus is not None and n_gpus != int(n_gpus):
        raise UsageError(values["gpus"].where, f"must be a whole number of GPUs, got {n_gpus:g}")
    price = _number(values, "price_per_gpu_hour")
    gpu_item = values.get("gpu")
    if gpu_item is None:
        if given in BUDGET_KINDS and given != "flops":
            raise UsageError(
                values[given].where, f"a {FLAGS[given]} budget needs --gpu to convert it to FLOPs ({gpu_names()})"
            )
        unused = [values[f].where for f in ("mfu", "gpus", "price_per_gpu_hour") if f in values]
        if unused:
            warnings.append(f"{', '.join(unused)} unused without --gpu (hardware.gpu)")
        return None
    gpu = find_gpu(str(gpu_item.value))
    if gpu is None:
        raise UsageError(gpu_item.where, f"unknown GPU {gpu_item.value!r}; choose one of {gpu_names()}")
    if given == "dollars" and price is None:
        raise UsageError(
            values["dollars"].where,
            "a dollar budget needs --price-per-gpu-hour (hardware.price_per_gpu_hour): there is no honest default price",
        )
    if given == "days" and n_gpus is None:
        raise UsageError(values["days"].where, "a --days budget needs --gpus (hardware.gpus), the size of the cluster")
    return Hardware(gpu, DEFAULT_MFU if mfu is None else mfu, None if n_gpus is None else int(n_gpus), price)


def gpu_names() -> str:
    return ", ".join(GPUS)


def law_names() -> str:
    return ", ".join(PRESETS)


def resolve_law(item: Sourced | None) -> Law:
    """A preset by name, or a law file by path."""
    if item is None:
        return PRESETS[DEFAULT_LAW]
    name = str(item.value)
    if name in PRESETS:
        return PRESETS[name]
    if os.path.isfile(name):
        return load_law_file(name)
    if name.endswith((".yaml", ".yml")) or os.sep in name:
        raise UsageError(item.where, f"law file {name!r} not found")
    raise UsageError(item.where, f"unknown law {name!r}; choose one of {law_names()}, or give a law file path")


def _intended_run(values: Mapping[str, Sourced]) -> IntendedRun | None:
    if "run" not in values:
        return None
    n_params, n_tokens = _number(values, "n_params"), _number(values, "n_tokens")
    assert n_params is not None and n_tokens is not None  # the config model requires both
    for field, value in (("n_params", n_params), ("n_tokens", n_tokens)):
        if value < 1:
            raise UsageError(values[field].where, f"must be at least 1, got {value:g}")
    return IntendedRun(n_params, n_tokens, values["run"].where)


def build_request(values: Mapping[str, Sourced]) -> tuple[PlanRequest, list[str]]:
    """Validate merged values once, whichever source they came from. Returns the request and warnings.

    Without a budget, a config's intended run gives one: its own compute, 6·N·D.
    """
    run = _intended_run(values)
    givens = [kind for kind in GIVEN_KINDS if kind in values]
    if len(givens) > 1:
        places = " and ".join(values[kind].where for kind in givens)
        raise UsageError(values[givens[1]].where, f"give exactly one budget or target, got {places}")
    if givens:
        given, given_where = givens[0], values[givens[0]].where
        given_value = _number(values, given)
        assert given_value is not None
    elif run is not None:
        given, given_value, given_where = "flops", run.compute_flops, run.where
    else:
        raise UsageError(
            "",
            "no budget given: use one of --flops, --dollars, --gpu-hours, --days (with --gpus),"
            " or ask an inverse question with --params, --tokens or --loss",
        )
    warnings: list[str] = []
    hardware = _hardware(values, given, warnings)
    law = _capped_law(values, resolve_law(values.get("law")), warnings)

    method_item = values.get("method")
    method = "tokens-per-param" if method_item is None else str(method_item.value)
    if method not in METHODS:
        raise UsageError(
            method_item.where if method_item else "", f"unknown method {method!r}; choose one of {', '.join(METHODS)}"
        )
    tokens_per_param = _number(values, "tokens_per_param")
    allocator: Allocator
    if method == "law":
        if tokens_per_param is not None:
            warnings.append(f"{values['tokens_per_param'].where} is unused with --method law")
        allocator = LawOptimum(law)
    else:
        allocator = TokensPerParamRule(TOKENS_PER_PARAM_DEFAULT if tokens_per_param is None else tokens_per_param)
    inference = _inference(values, hardware, law, warnings)
    blueprint = blueprint_request(values, warnings)
    request = PlanRequest(given, given_value, given_where, allocator, law, hardware, run, inference, blueprint)
    return request, warnings


def shape_request(
    values: Mapping[str, Sourced],
) -> tuple[BlueprintRequest, float | None, float | None, Hardware | None, list[str]]:
    """`shape`'s inputs: the blueprint request, the target size (None for an explicit shape), the training tokens
    (None: 20 per parameter of the shape), the hardware and warnings."""
    from .blueprint import MAX_SHAPE_PARAMS

    warnings: list[str] = []
    hardware = _hardware(values, "flops", warnings)
    request = blueprint_request(values, warnings, required=True)
    assert request is not None
    target = _number(values, "params")
    if request.explicit and target is not None:
        raise UsageError(values["params"].where, "give --params or an explicit shape (--layers, --d-model), not both")
    if not request.explicit and target is None:
        raise UsageError("", "give --params (a size to shape) or an explicit shape (--layers and --d-model)")
    if target is not None and target < 1:
        raise UsageError(values["params"].where, f"must be at least 1 parameter, got {target:g}")
    if target is not None and target > MAX_SHAPE_PARAMS:
        raise UsageError(
            values["params"].where, f"a shape is sized for at most {MAX_SHAPE_PARAMS:.0e} parameters, got {target:g}"
        )
    return request, target, _number(values, "tokens"), hardware, warnings


def _whole(values: Mapping[str, Sourced], field: str, least: int) -> int | None:
    item = values.get(field)
    if item is None:
        return None
    number = _quantity(item.value, item.where)
    if number != int(number) or number < least:
        raise UsageError(item.where, f"must be a whole number of at least {least}, got {number:g}")
    return int(number)


def _choice(values: Mapping[str, Sourced], field: str, choices: Sequence[str], default: str) -> str:
    item = values.get(field)
    if item is None:
        return default
    from .blueprint import SHARDING_ALIASES

    value = str(item.value).strip().lower()
    value = SHARDING_ALIASES.get(value, value) if field == "sharding" else value
    if value not in choices:
        raise UsageError(
            item.where, f"unknown {field.replace('_', ' ')} {item.value!r}; choose one of {', '.join(choices)}"
        )
    return value


def blueprint_request(
    values: Mapping[str, Sourced], warnings: list[str], required: bool = False
) -> BlueprintRequest | None:
    """The blueprint asked for (by --blueprint, a blueprint: section, or `required`), with its shape validated."""
    given = [field for field in BLUEPRINT_FIELDS if field in values]
    if not required and "blueprint" not in values:
        if given:
            warnings.append(f"{', '.join(values[f].where for f in given)} unused without --blueprint")
        return None
    from .blueprint import (
        DEFAULT_SEQ_LEN,
        DEFAULT_VOCAB_SIZE,
        FFN_KINDS,
        RECOMPUTE,
        SHARDINGS,
        STYLES,
        BlueprintRequest,
        Shape,
        default_d_ff,
        default_heads,
        shape_problems,
    )

    numbers = {field: _whole(values, field, 1) for field in _SHAPE_INTEGERS}
    numbers |= {field: _whole(values, field, 0) for field in _EXPERT_INTEGERS}
    explicit = numbers["n_layers"] is not None or numbers["d_model"] is not None
    if explicit and (numbers["n_layers"] is None or numbers["d_model"] is None):
        missing = "n_layers" if numbers["n_layers"] is None else "d_model"
        present = "d_model" if missing == "n_layers" else "n_layers"
        raise UsageError(values[present].where, f"an explicit shape needs {FLAGS[missing]} too")
    if not explicit:
        for field in ("n_heads", "d_ff"):
            if field in values:
                raise UsageError(values[field].where, "is part of an explicit shape: give --layers and --d-model too")
    ffn = _choice(values, "ffn", FFN_KINDS, "swiglu")
    d_model = numbers["d_model"] or 128
    experts = numbers["experts"] or 0
    shape = Shape(
        n_layers=numbers["n_layers"] or 1,
        d_model=d_model,
        n_heads=numbers["n_heads"] or default_heads(d_model),
        d_ff=numbers["d_ff"] or default_d_ff(d_model, ffn),
        vocab_size=numbers["vocab_size"] or DEFAULT_VOCAB_SIZE,
        seq_len=numbers["seq_len"] or DEFAULT_SEQ_LEN,
        ffn=ffn,
        tied_embeddings=bool(values["tied_embeddings"].value) if "tied_embeddings" in values else False,
        n_kv_heads=numbers["n_kv_heads"],
        style=_choice(values, "style", STYLES, "llama"),
        experts=experts,
        active_experts=numbers["active_experts"] if numbers["active_experts"] is not None else min(experts, 1),
        shared_experts=numbers["shared_experts"] or 0,
    )
    for field, message in shape_problems(shape, sized=explicit):
        # A derived head count or FFN width is wrong because of the width it came from.
        item = values.get(field) or values.get({"n_heads": "d_model", "d_ff": "d_model"}.get(field, "experts"))
        raise UsageError(item.where if item else FLAGS[field], message)
    return BlueprintRequest(
        template=shape,
        explicit=explicit,
        causal_attention=bool(values["causal_attention"].value) if "causal_attention" in values else False,
        sharding=_choice(values, "sharding", SHARDINGS, BlueprintRequest.sharding),
        recompute=_choice(values, "recompute", RECOMPUTE, BlueprintRequest.recompute),
        micro_batch=numbers["micro_batch"] or 1,
        sharding_where=values["sharding"].where if "sharding" in values else "--sharding",
        recompute_where=values["recompute"].where if "recompute" in values else "--recompute",
    )


def _capped_law(values: Mapping[str, Sourced], law: Law, warnings: list[str]) -> Law:
    """The law under the unique-token cap, when one is given."""
    unique_tokens = _number(values, "unique_tokens")
    if unique_tokens is None:
        return law
    where = values["unique_tokens"].where
    if unique_tokens < 1:
        raise UsageError(where, f"must be at least 1 token, got {unique_tokens:g}")
    capped = with_unique_tokens(law, unique_tokens)
    if capped is None:
        raise UsageError(
            where, f"a unique-token cap needs a law of the form E + A/N^alpha + B/D^beta; {law.name} is not"
        )
    if not repetition_constants(capped.base)[2]:
        warnings.append(
            f"{law.name} carries no repetition constants: using Muennighoff et al. 2023's R_D* = {capped.rd_star:g},"
            f" R_N* = {capped.rn_star:g} (fitted with their own law; --law datablations-2023 is that law)"
        )
    return capped


def _inference(
    values: Mapping[str, Sourced], hardware: Hardware | None, law: Law, warnings: list[str]
) -> InferenceRequest | None:
    """Inference demand and how lifetime is counted: FLOPs, or dollars when inference hardware or a price is given."""
    extra = [
        field for field in ("inference_objective", "inference_mfu", "inference_price_per_gpu_hour") if field in values
    ]
    if "inference_tokens" not in values:
        if extra:
            warnings.append(f"{', '.join(values[f].where for f in extra)} unused without --inference-tokens")
        return None
    from .inference import OBJECTIVES, InferenceRequest

    item = values["inference_tokens"]
    tokens = non_negative_number(item.value, item.where)
    if not isinstance(unconstrained(law), ParametricLaw):
        raise UsageError(
            item.where,
            f"inference-aware allocation needs a law whose optimum is the minimum of its own L(N, D); {law.name}'s"
            " frontier is a separate fit (Kaplan et al. 2020, Table 6), so use a parametric law",
        )
    mfu = _number(values, "inference_mfu")
    if mfu is not None and mfu > 1:
        raise UsageError(values["inference_mfu"].where, f"MFU must be in (0, 1], got {mfu:g}")
    price = _number(values, "inference_price_per_gpu_hour")
    objective_item = values.get("inference_objective")
    objective = str(objective_item.value) if objective_item else ("cost" if mfu or price else "flops")
    if objective not in OBJECTIVES:
        where = objective_item.where if objective_item else ""
        raise UsageError(where, f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    serving = None
    if hardware is not None:
        serving = replace(
            hardware,
            mfu=hardware.mfu if mfu is None else mfu,
            price_usd_per_gpu_hour=hardware.price_usd_per_gpu_hour if price is None else price,
        )
    if objective == "cost":
        where = (
            objective_item or values.get("inference_mfu") or values.get("inference_price_per_gpu_hour") or item
        ).where
        if hardware is None:
            raise UsageError(
                where, "the lifetime-cost objective needs --gpu (hardware.gpu) to turn FLOPs into GPU-hours"
            )
        if hardware.price_usd_per_gpu_hour is None:
            raise UsageError(
                where, "the lifetime-cost objective needs --price-per-gpu-hour (hardware.price_per_gpu_hour)"
            )
    elif mfu is not None or price is not None:
        warnings.append("--inference-mfu and --inference-price-per-gpu-hour only weigh the lifetime-cost objective")
    return InferenceRequest(tokens, item.where, objective, serving)


def policy_limits(values: Mapping[str, Sourced]) -> list[Limit]:
    """The policy's limits, from flags and the config's policy section (flags win), in RULES order."""
    limits = []
    for name, rule in RULES.items():
        item = values.get(name)
        if item is None:
            continue
        limits.append(Limit(rule, non_negative_number(item.value, item.where), item.where))
    return limits


# --- sweeps -------------------------------------------------------------------------------------------------------

#: Most budgets one sweep plans (csv, json, jsonl): a few seconds, and an absurd range is refused at once.
MAX_SWEEP_POINTS = 100_000
#: Most rows of a sweep drawn as a table (more is for a spreadsheet), or given blueprints (about 20 ms each).
MAX_SWEEP_TABLE_ROWS = 1_000
MAX_SWEEP_BLUEPRINTS = 1_000


def check_sweep_size(n_budgets: int, where: str, table: bool, blueprints: bool) -> None:
    """Refuse, before planning, a sweep too long to draw as a table or to give every row a blueprint."""
    flag = "--budgets" if where == "--budgets" else "--per-decade"
    if table and n_budgets > MAX_SWEEP_TABLE_ROWS:
        raise UsageError(
            flag,
            f"{n_budgets:,} budgets is too many rows for a table (at most {MAX_SWEEP_TABLE_ROWS:,}); use --format csv or jsonl",
        )
    if blueprints and n_budgets > MAX_SWEEP_BLUEPRINTS:
        raise UsageError(flag, f"{n_budgets:,} budgets; a sweep with blueprints sizes at most {MAX_SWEEP_BLUEPRINTS:,}")


def _budget_number(value: str, flag: str, unit: str) -> float:
    if value.strip().startswith("$") and unit != "dollars":
        raise UsageError(flag, f"{value!r} is an amount of money: add --unit dollars (with --gpu and a price)")
    return positive_number(value, flag)


def sweep_budgets(
    start: str | None, stop: str | None, per_decade: str | None, budgets: str | None, unit: str
) -> tuple[NDArray[np.float64], str]:
    """The budgets (in `unit`) of a sweep and the flag they came from: --budgets a,b,c, or --from/--to with
    --per-decade points spaced evenly in log scale (both ends included)."""
    import numpy as np

    if budgets is not None:
        if start is not None or stop is not None or per_decade is not None:
            raise UsageError("--budgets", "give either --budgets or --from/--to/--per-decade, not both")
        items = [item.strip() for item in budgets.split(",") if item.strip()]
        if not items:
            raise UsageError("--budgets", "expected a comma-separated list of budgets, e.g. 1e20,1e21,1e22")
        if len(items) > MAX_SWEEP_POINTS:
            raise UsageError("--budgets", f"{len(items):,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,}")
        return np.array([_budget_number(item, "--budgets", unit) for item in items]), "--budgets"
    if start is None or stop is None:
        raise UsageError("--from" if start is None else "--to", "a sweep needs --from and --to, or --budgets")
    low, high = _budget_number(start, "--from", unit), _budget_number(stop, "--to", unit)
    if high < low:
        raise UsageError("--to", f"must not be below --from ({stop} < {start})")
    steps_per_decade = 4.0 if per_decade is None else positive_number(per_decade, "--per-decade")
    if steps_per_decade != int(steps_per_decade):
        raise UsageError("--per-decade", f"must be a whole number of points, got {steps_per_decade:g}")
    decades = math.log10(high / low)
    n_steps = math.floor(decades * steps_per_decade + 1e-9)
    if n_steps + 2 > MAX_SWEEP_POINTS:
        raise UsageError(
            "--per-decade", f"{n_steps + 1:,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,} (narrow the range)"
        )
    # Points evenly spaced in log10 from the start, each the decimal a user would type: rounded to 15 significant
    # digits, so 1e23 is 1e+23 however the power of ten lands in its last bit (1.0000000000000001e+23).
    exponents = math.log10(low) + np.arange(n_steps + 1) / steps_per_decade
    values = np.array([float(f"{value:.15g}") for value in np.power(10.0, exponents)])
    values[0] = low
    if abs(values[-1] - high) <= 1e-9 * high:
        values[-1] = high
    else:
        values = np.append(values, high)
    return values, "--from"


# --- configs from git -------------------------------------------------------------------------------------------


def read_from_git(ref: str, path: str) -> str:
    """The text of `path` as it was at git `ref` (`git show ref:./path`, from the file's own directory)."""
    import subprocess

    directory = os.path.dirname(os.path.abspath(path))
    where = f"--base-ref {ref}"
    if ref.startswith("-") or not ref.strip():
        raise UsageError(where, "not a git ref (a ref is not empty and cannot start with '-')")  # never a git option

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", *args], cwd=directory, capture_output=True, timeout=60, check=False)
        except FileNotFoundError:
            raise UsageError(where, "git is not installed or not on PATH") from None
        except (OSError, subprocess.TimeoutExpired) as error:
            raise UsageError(where, f"cannot run git: {error}") from None

    if not os.path.isdir(directory) or git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UsageError(where, f"{path} is not in a git repository")
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(where, f"unknown git ref {ref!r}")
    shown = git("show", f"{ref}:./{os.path.basename(path)}")
    if shown.returncode != 0:
        raise UsageError(where, f"{path} does not exist at {ref}")
    try:
        return shown.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{ref}:{path}", f"not UTF-8 text ({error.reason} at byte {error.start})") from None


# --- YAML files -------------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _read_yaml(
    path: str,
    text: str | None = None,
    label: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    what: str = "a config is a small hand-written file",
) -> tuple[Any, dict[Path, int], str]:
    """Parse one YAML document (read from path, or given as text) with a safe loader: plain data, never objects or
    code. Returns the data, the 1-based line of every key, and the label for messages."""
    import yaml

    label = label or file_label(path)
    if text is None:
        text = read_text(path, max_bytes, what)
    elif len(text.encode("utf-8")) > max_bytes:
        raise UsageError(label, f"larger than {max_bytes:,} bytes; {what}")
    text = text.removeprefix("\ufeff")
    lines: dict[Path, int] = {(): 1}
    try:
        _check_yaml_size(text, label, what)
        loader = _safe_loader()(text)
        node = loader.get_single_node()
        if node is None:
            raise UsageError(f"{label}:1", "the file is empty")
        _index_lines(node, (), lines, label)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise UsageError(f"{label}:{line}", f"malformed YAML: {error.problem or error.context}") from None
    except yaml.reader.ReaderError:
        control = yaml.reader.Reader.NON_PRINTABLE.search(text)
        line = text.count("\n", 0, control.start()) + 1 if control else 1
        character = f"{control.group()!r} " if control else ""
        raise UsageError(f"{label}:{line}", f"malformed YAML: control character {character}is not allowed") from None
    except yaml.YAMLError as error:
        raise UsageError(label, f"malformed YAML: {error}") from None
    loader.dispose()
    return data, lines, label


def _safe_loader() -> Any:
    """libyaml's safe loader when PyYAML was built with it (ten times faster on a law file's samples), else
    PyYAML's own; both build only plain data."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_yaml_size(text: str, label: str, what: str) -> None:
    """Refuse YAML nested deeper than MAX_YAML_DEPTH, or holding more than MAX_YAML_VALUES values once aliases are
    expanded. One pass over the parser's events (iterative, nothing built): the composer recurses once per level, and
    walking or validating an alias bomb's shared nodes takes exponential time.

    Newer libyaml releases stop deep nesting themselves, while scanning ahead and in words of their own, before the
    first events reach this check. So when libyaml gives up, PyYAML's own parser (which has no such limit) walks the
    text again: the tool's limits answer first, whichever PyYAML is installed, and a real syntax error still raises.
    """
    import yaml

    try:
        _walk_yaml_events(yaml.parse(text, Loader=_safe_loader()), label, what)
    except yaml.YAMLError:
        if _safe_loader() is yaml.SafeLoader:
            raise
        _walk_yaml_events(yaml.parse(text, Loader=yaml.SafeLoader), label, what)
        raise


def _walk_yaml_events(events: Iterable[Any], label: str, what: str) -> None:
    import yaml

    depth, n_values = 0, 0
    anchor_values: dict[str, int] = {}  # values under each anchor, expanded
    open_collections: list[tuple[str | None, int]] = []  # (anchor, n_values before it) per open collection
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            n_values += anchor_values.get(event.anchor or "", 1)  # an unknown anchor is the composer's to report
        elif isinstance(event, yaml.ScalarEvent):
            n_values += 1
            if event.anchor is not None:
                anchor_values[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise UsageError(f"{label}:{line}", f"nested more than {MAX_YAML_DEPTH} levels deep")
            open_collections.append((event.anchor, n_values))
            n_values += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, before = open_collections.pop()
            if anchor is not None:
                anchor_values[anchor] = n_values - before
        if n_values > MAX_YAML_VALUES:
            raise UsageError(
                f"{label}:{line}",
                f"more than {MAX_YAML_VALUES:,} values once aliases are expanded; {what}",
            )


def _index_lines(node: Any, path: Path, lines: dict[Path, int], label: str) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            key_path = (*path, key)
            if key in seen:
                raise UsageError(f"{label}:{line}", f"duplicate key {'.'.join(map(str, key_path))!r}")
            seen.add(key)
            lines[key_path] = line
            _index_lines(value_node, key_path, lines, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            item_path = (*path, index)
            lines[item_path] = item.start_mark.line + 1
            _index_lines(item, item_path, lines, label)


def _validate(model: type[BaseModel], data: Any, lines: dict[Path, int], label: str) -> Any:
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise UsageError(f"{label}:1", f"expected a mapping of keys to values, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _usage_error(model, error, lines, label) from None


def _usage_error(model: type[BaseModel], error: ValidationError, lines: dict[Path, int], label: str) -> UsageError:
    """The first validation problem as one line: file:line, the field's dotted path, what is wrong."""
    problem = error.errors(include_url=False)[0]
    loc: Path = tuple(problem["loc"])
    line = next(lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines)
    field = ".".join(map(str, loc)) or "(top level)"
    kind, message = problem["type"], str(problem["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(known)}"
        return UsageError(f"{label}:{line}", f"unknown key {field!r}{hint}")
    if kind == "model_type":
        return UsageError(
            f"{label}:{line}", f"{field}: expected a mapping of keys to values, got {shown(problem['input'])}"
        )
    if kind == "missing":
        return UsageError(f"{label}:{line}", f"{field}: required field is missing")
    if kind != "value_error" and "input" in problem:
        message = f"{message[:1].lower()}{message[1:]}, got {shown(problem['input'])}"
    return UsageError(f"{label}:{line}", f"{field}: {message}")


def _known_keys(model: type[BaseModel], loc: Path) -> list[str]:
    """Field names of the model found at loc, for did-you-mean hints."""
    from typing import get_args

    from pydantic import BaseModel

    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        candidates = (annotation, *get_args(annotation))
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return list(current.model_fields) if current is not None else []


def load_config(path: str, text: str | None = None, label: str | None = None) -> dict[str, Sourced]:
    """A plan config file -> plan fields, each with its file:line and dotted key.

    `text` and `label` give the file's content from elsewhere (an older version from git); law paths stay relative
    to `path`.
    """
    from .config_models import PlanConfig

    data, lines, label = _read_yaml(path, text, label)
    config = _validate(PlanConfig, data, lines, label)
    values: dict[str, Sourced] = {}
    if config.name is not None:
        values["name"] = Sourced(config.name, f"{label}:{lines.get(('name',), 1)}: name")
    for section, fields in SECTIONS.items():
        block = getattr(config, section)
        for field in fields:
            value = None if block is None else getattr(block, field)
            if value is None:
                continue
            where = f"{label}:{lines.get((section, field), 1)}: {section}.{field}"
            if field == "law" and value not in PRESETS and path != "-":
                value = os.path.join(os.path.dirname(path), value)  # law files are relative to their config
            values[FIELD_PREFIXES.get(section, "") + field] = Sourced(value, where)
        if section in ("run", "blueprint") and block is not None:
            values[section] = Sourced(None, f"{label}:{lines.get((section,), 1)}: {section}")
    return values


def load_law_file(path: str) -> ParametricLaw:
    """A law file (E, A, B, alpha, beta; optional name, source, dataset, fitted_range, rd_star and rn_star, bootstrap)
    -> ParametricLaw."""
    from .config_models import LawFile

    data, lines, label = _read_yaml(
        path, max_bytes=MAX_LAW_FILE_BYTES, what="a law file holds five constants and at most 100,000 bootstrap samples"
    )
    law_file = _validate(LawFile, data, lines, label)
    for field in ("E", "A", "B", "alpha", "beta", "rd_star", "rn_star"):
        value = getattr(law_file, field)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{label}:{lines.get((field,), 1)}", f"{field}: must be positive, got {value:g}")
    for field in ("alpha", "beta"):
        value = getattr(law_file, field)
        if value > MAX_LAW_EXPONENT:  # published laws fit 0.07 to 0.5; past this, powers overflow in the optimum
            raise UsageError(
                f"{label}:{lines.get((field,), 1)}", f"{field}: must be at most {MAX_LAW_EXPONENT:g}, got {value:g}"
            )
    if (law_file.rd_star is None) != (law_file.rn_star is None):
        given = "rd_star" if law_file.rd_star is not None else "rn_star"
        raise UsageError(f"{label}:{lines.get((given,), 1)}", f"{given}: give both rd_star and rn_star, or neither")
    compute_range = law_file.fitted_range.compute_flops if law_file.fitted_range else None
    if compute_range is not None and not 0 < compute_range[0] < compute_range[1]:
        line = lines.get(("fitted_range", "compute_flops"), 1)
        raise UsageError(
            f"{label}:{line}",
            f"fitted_range.compute_flops: expected [min, max] with 0 < min < max, got {list(compute_range)}",
        )
    return ParametricLaw(
        name=law_file.name or os.path.basename(path),
        E=law_file.E,
        A=law_file.A,
        B=law_file.B,
        alpha=law_file.alpha,
        beta=law_file.beta,
        source=law_file.source or f"law file {path}",
        dataset=law_file.dataset or "the data the law was fitted on",
        compute_range_flops=tuple(compute_range) if compute_range else PUBLISHED_COMPUTE_RANGE_FLOPS,
        samples=_usable_samples(law_file.bootstrap.samples) if law_file.bootstrap else (),
        interval_level=law_file.bootstrap.level if law_file.bootstrap else 0.9,
        rd_star=law_file.rd_star,
        rn_star=law_file.rn_star,
    )


def _usable_samples(
    samples: list[tuple[float, float, float, float, float]],
) -> tuple[tuple[float, float, float, float, float], ...]:
    """Bootstrap rows that make a valid law (a degenerate refit, e.g. an exponent at 0, is left out)."""
    return tuple(row for row in samples if all(math.isfinite(v) and v > 0 for v in row))


def write_yaml(path: str, data: Mapping[str, Any]) -> None:
    """Write YAML whole or not at all (files.write_atomically)."""
    import yaml

    from .files import write_atomically

    text = yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)

    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(text)

    write_atomically(path, write)
