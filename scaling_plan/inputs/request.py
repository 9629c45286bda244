"""Sourced values -> one validated PlanRequest (or a shape request), whichever source each value came from.

Flags override config values; a budget or target given by flag replaces the config's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..allocate import FRONTIERS, TOKENS_PER_PARAM_DEFAULT, Allocator, LawOptimum, TokensPerParamRule
from ..budget import DEFAULT_MFU, DEFAULT_PUE, GIB, GPUS, Gpu, Hardware, find_gpu, gpu_problem
from ..choices import (
    FAMILY_NAMES,
    FFN_KINDS,
    GIVEN_KINDS,
    GRAD_PRECISIONS,
    METHODS,
    OBJECTIVES,
    OPTIMIZER_STATES,
    PRECISIONS,
    RECOMPUTE,
    STYLES,
    Given,
)
from ..data_constrained import repetition_constants, unconstrained, with_unique_tokens
from ..errors import UsageError, named, shown, unknown_name
from ..laws import FrontierLaw, KaplanLaw, Law, ParametricLaw
from ..moe import MoELaw
from ..plans import BUDGET_KINDS, HARD_BUDGET_KINDS, IntendedRun, PlanRequest
from ..policy import RULES, Limit
from ..presets import DEFAULT_LAW, PRESETS, find_law
from ..units import parse_quantity
from .fields import BLUEPRINT_FIELDS, EXPERT_INTEGERS, FLAGS, SHAPE_INTEGERS, fields_of
from .values import Sourced, checked_number, checked_whole, sourced_choice

if TYPE_CHECKING:
    from ..blueprint import BlueprintRequest
    from ..downstream import DownstreamMapping
    from ..inference import InferenceRequest
    from ..serving import ServeRequest
    from ..shapes import Shape


def _predicts_mfu(values: Mapping[str, Sourced]) -> bool:
    """Whether the MFU is the word 'predict' (--mfu predict, hardware.mfu: predict), in any case."""
    item = values.get("mfu")
    return item is not None and isinstance(item.value, str) and item.value.strip().casefold() == "predict"


def _hardware(values: Mapping[str, Sourced], given: str, warnings: list[str]) -> Hardware | None:
    predict, item = _predicts_mfu(values), values.get("mfu")
    if item is not None and not predict and isinstance(item.value, str):
        try:  # text that is no number: the word it could have been is said too
            parse_quantity(item.value)
        except ValueError as error:
            raise UsageError(item.where, f"{error}, or predict") from None
    mfu, n_gpus = None if predict else checked_number(values, "mfu"), checked_number(values, "gpus")
    price = checked_number(values, "price_per_gpu_hour")
    pue, grid = checked_number(values, "pue"), checked_number(values, "grid_gco2_per_kwh")
    goodput = checked_number(values, "goodput")
    gpu = _gpu(values)
    if gpu is None:
        if given in BUDGET_KINDS and given != "flops":
            raise UsageError(
                values[given].where, f"a {FLAGS[given]} budget needs --gpu to convert it to FLOPs ({gpu_names()})"
            )
        hardware_fields = (
            "mfu", "gpus", "price_per_gpu_hour", "pue", "grid_gco2_per_kwh", "goodput", "precision", "gpu_memory_gib",
        )  # fmt: skip
        unused = [values[f].where for f in hardware_fields if f in values]
        if unused:
            warnings.append(f"{', '.join(unused)} unused without --gpu (hardware.gpu)")
        return None
    precision = sourced_choice(values, "precision", PRECISIONS, "bf16")
    if gpu.peak(precision) is None:
        raise UsageError(
            values["precision"].where,
            f"{gpu.name} has no published {precision.upper()} peak (no {precision.upper()} tensor cores): give its"
            " dense peak with --peak-flops, or use bf16",
        )
    if given == "dollars" and price is None:
        raise UsageError(
            values["dollars"].where,
            "a dollar budget needs --price-per-gpu-hour (hardware.price_per_gpu_hour): there is no honest default price",
        )
    if given == "days" and n_gpus is None:
        raise UsageError(values["days"].where, "a --days budget needs --gpus (hardware.gpus), the size of the cluster")
    if gpu.power_watts is None and (pue is not None or grid is not None):
        where = values["pue" if pue is not None else "grid_gco2_per_kwh"].where
        warnings.append(f"{where} unused: {gpu.name} has no published power, so the run's energy is not estimated")
    return Hardware(
        gpu, DEFAULT_MFU if mfu is None else mfu, None if n_gpus is None else int(n_gpus), price,
        DEFAULT_PUE if pue is None else pue, grid, 1.0 if goodput is None else goodput, precision, predict,
        "mfu" if item is None else item.where,
    )  # fmt: skip


def _gpu(values: Mapping[str, Sourced]) -> Gpu | None:
    """The GPU the values name: a preset or a hardware file (--gpu), with --peak-flops (at --precision) and
    --gpu-memory-gib over it; a custom GPU from --peak-flops alone; None when neither is given."""
    gpu_item, peak = values.get("gpu"), checked_number(values, "peak_flops")
    memory_gib = checked_number(values, "gpu_memory_gib")
    precision = sourced_choice(values, "precision", PRECISIONS, "bf16")
    if gpu_item is None:
        if peak is None:
            return None
        # Its one peak is the precision's: a custom GPU planned in FP8 is given no BF16 peak of its own.
        gpu = Gpu(
            "custom", peak, None, f"--peak-flops {peak:g} ({precision})", None, peak if precision == "fp8" else None
        )
    else:
        name = os.fspath(gpu_item.value) if isinstance(gpu_item.value, os.PathLike) else str(gpu_item.value)
        from .hardware_file import load_hardware_file, looks_like_file

        preset = find_gpu(name)
        if preset is not None:
            gpu = preset
        elif looks_like_file(name) or os.path.exists(name):
            gpu = load_hardware_file(name, gpu_item.where)
        else:
            raise UsageError(gpu_item.where, (gpu_problem(name) or "") + ", or a hardware file path")
        if peak is not None:
            if precision == "fp8":
                gpu = replace(gpu, peak_fp8_flops_per_second=peak)
            else:
                gpu = replace(gpu, peak_flops_per_second=peak)
    if memory_gib is not None:
        gpu = replace(gpu, memory_bytes=memory_gib * GIB)
    return gpu


def _calibrated(
    hardware: Hardware | None, values: Mapping[str, Sourced], blueprint: BlueprintRequest, given: str
) -> Hardware | None:
    """--calibrate: the plan timed at its measured step's MFU (blueprint.predicted_pace), refused where the step is
    not measured, an MFU is given beside it, or the model would depend on the pace the step sets."""
    if not blueprint.calibrate:
        return hardware
    where = values["calibrate"].where
    if blueprint.step_seconds is None or hardware is None:
        raise UsageError(where, f"times the plan at a measured step: give {named('step_seconds')} (with the GPU, its"
                                f" count and {named('global_batch')})")  # fmt: skip
    if "mfu" in values:
        raise UsageError(where, f"the measured step sets the MFU: give {named('mfu')} or this, not both")
    if given in HARD_BUDGET_KINDS and not blueprint.explicit:
        raise UsageError(
            where,
            "a measured step is one model's, and a budget of time or money sizes the model by the pace: give an"
            f" explicit shape ({named('n_layers')} and {named('d_model')}, or {named('hf_config')}) or a budget in"
            " FLOPs",
        )
    return replace(hardware, mfu_predicted=True, mfu_calibrated=True, mfu_where=where)


def _predicted_by_default(hardware: Hardware | None, values: Mapping[str, Sourced]) -> Hardware | None:
    """A blueprint lays the model out: its predicted step sets the MFU unless one is given (pace.py; where no step
    is predicted, DEFAULT_MFU)."""
    if hardware is None or "mfu" in values or hardware.mfu_calibrated:
        return hardware
    return replace(hardware, mfu_predicted=True, mfu_by_default=True)


def hardware_of(values: Mapping[str, Sourced], warnings: list[str]) -> Hardware | None:
    """The hardware the values name (--gpu, --mfu, --gpus, --price-per-gpu-hour), for commands without a budget."""
    return _hardware(values, "flops", warnings)


def gpu_names() -> str:
    return ", ".join(GPUS)


def resolve_law(item: Sourced | None) -> Law:
    """A preset by name, a law file by path, or (from the Python API) a law object itself."""
    if item is None:
        return PRESETS[DEFAULT_LAW]
    if isinstance(item.value, (ParametricLaw, KaplanLaw, FrontierLaw)):
        return item.value
    name = os.fspath(item.value) if isinstance(item.value, os.PathLike) else str(item.value)
    preset = find_law(name)
    if preset is not None:
        return preset
    from .hardware_file import looks_like_file

    if looks_like_file(name) or os.path.exists(name):
        from .lawfile import load_law_file  # YAML and pydantic only when a law file is given

        return load_law_file(name, item.where)
    raise UsageError(item.where, unknown_name("law", name, PRESETS, ", or a law file path"))


def _intended_run(values: Mapping[str, Sourced]) -> IntendedRun | None:
    if "run" not in values:
        return None
    n_params, n_tokens = checked_number(values, "n_params"), checked_number(values, "n_tokens")
    assert n_params is not None and n_tokens is not None  # the config model requires both
    return IntendedRun(n_params, n_tokens, values["run"].where)


def build_request(values: Mapping[str, Sourced]) -> tuple[PlanRequest, list[str]]:
    """Validate merged values once, whichever source they came from. Returns the request and warnings.

    Without a budget, a config's intended run gives one: its own compute, 6·N·D.
    """
    run = _intended_run(values)
    givens = [kind for kind in GIVEN_KINDS if kind in values]
    given: Given
    if len(givens) > 1:
        places = " and ".join(values[kind].where for kind in givens)
        raise UsageError(values[givens[1]].where, f"give exactly one budget or target, got {places}")
    if givens:
        given, given_where = givens[0], values[givens[0]].where
        given_value = checked_number(values, given)
        assert given_value is not None
    elif run is not None:
        given, given_value, given_where = "flops", run.compute_flops, run.where
    else:
        config = values.get("config")
        raise UsageError(
            "" if config is None else config.where,
            "no budget given: use one of --flops, --dollars, --gpu-hours, --days (with --gpus),"
            " or ask an inverse question with --params, --tokens or --loss"
            + ("" if config is None else " (or give the config a budget:, target: or run: section)"),
        )
    warnings: list[str] = []
    hardware = _hardware(values, given, warnings)
    law = resolve_law(values.get("law"))  # a law file is read once
    values, law = _mixture(values, law)
    law = _capped_law(values, law, warnings)

    method = sourced_choice(values, "method", METHODS, "tokens-per-param")
    tokens_per_param = checked_number(values, "tokens_per_param")
    allocator: Allocator
    if method != "tokens-per-param" and tokens_per_param is not None:
        warnings.append(f"{values['tokens_per_param'].where} is unused with --method {method}")
    if method == "law":
        allocator = LawOptimum(law)
    elif method in FRONTIERS:
        allocator = FRONTIERS[method]
        if given == "loss" and allocator.k_m is not None:
            # Each step of the search along this frontier converts M to parameters through a blueprint shape search.
            raise UsageError(
                given_where,
                f"a loss target along {method}'s frontier is not supported (its N comes from a shape search for each"
                " budget tried); give --flops, --params or --tokens",
            )
    else:
        ratio = TOKENS_PER_PARAM_DEFAULT if tokens_per_param is None else tokens_per_param
        allocator = TokensPerParamRule(ratio, mixture=law if isinstance(law, MoELaw) else None)
    serve = _serve(values, hardware, warnings)
    blueprint = blueprint_request(values, warnings, required=serve is not None)
    if blueprint is not None:
        hardware = _predicted_by_default(_calibrated(hardware, values, blueprint, given), values)
    inference = _inference(values, hardware, law, warnings, serve, blueprint)
    downstream = _downstream(values.get("downstream"))
    wheres = {name: item.where for name, item in values.items()}
    request = PlanRequest(
        given, given_value, given_where, allocator, law, hardware, run, inference, blueprint, downstream, serve, wheres
    )
    return request, warnings


#: What a mixture-of-experts law's plan does not model yet, and why: a unique-token cap (Muennighoff et al.'s
#: repetition form was fitted on dense models), serving (it serves a dense model of the plan's N) and
#: inference-aware allocation (2·N FLOPs a token of a dense model).
_NOT_FOR_MOE = {
    "unique_tokens": "a unique-token cap (Muennighoff et al. 2023 fitted repetition on dense models)",
    "serve": "serving (it serves a dense model)",
    "inference_tokens": "inference-aware allocation (it prices a token at 2·N FLOPs of a dense model)",
}


def _mixture(values: Mapping[str, Sourced], law: Law) -> tuple[Mapping[str, Sourced], Law]:
    """Under a mixture-of-experts law: its granularity fixed by --granularity, --experts checked against the law's
    expansion E (and then taken out of the blueprint's shape, which the plan's granularity sets), and what the plan
    does not model refused, each naming the input."""
    if not isinstance(law, MoELaw):
        if "granularity" in values:
            raise UsageError(
                values["granularity"].where,
                f"a granularity needs a mixture-of-experts law (krajewski-2024-moe), not {law.name}",
            )
        return values, law
    for name, what in _NOT_FOR_MOE.items():
        if name in values and values[name].value not in (None, False):
            raise UsageError(
                values[name].where, f"{law.name} plans a mixture of experts, which {what} does not take yet"
            )
    experts = checked_whole(values, "experts")
    if experts is not None and experts != law.expansion:
        raise UsageError(
            values["experts"].where,
            f"{law.name} was fitted at E = {law.expansion:g} experts (its expansion: {law.expansion:g} dense FFNs of"
            f" parameters, routed to G of {law.expansion:g}·G experts of width d_ff/G), not {experts:,}",
        )
    granularity = checked_whole(values, "granularity")
    if granularity is not None:
        law = replace(law, granularity=granularity)
    return {name: item for name, item in values.items() if name != "experts"}, law


def _serve(values: Mapping[str, Sourced], hardware: Hardware | None, warnings: list[str]) -> ServeRequest | None:
    """Serving the plan's model, when asked for (--serve, a serve: section): on the hardware's GPU, the fewest that
    hold it per replica, priced and run at the inference price and MFU where given, else the training ones."""
    if "serve" not in values:
        given = [values[field].where for field in fields_of("serve") if field in values]
        if given:
            warnings.append(f"{', '.join(given)} unused without --serve")
        return None
    from .serve_request import serve_settings, serving_gpu

    gpu = serving_gpu(values, hardware, values["serve"].where)
    assert hardware is not None
    mfu = checked_number(values, "inference_mfu")
    price = checked_number(values, "inference_price_per_gpu_hour")
    return serve_settings(
        values, gpu, None, hardware.mfu if mfu is None else mfu,
        hardware.price_usd_per_gpu_hour if price is None else price, hardware.pue, warnings,
    )  # fmt: skip


def _downstream(item: Sourced | None) -> tuple[DownstreamMapping, ...]:
    """The downstream mappings a request names (--downstream, several allowed): files, read and checked, or mappings
    already made (the API's fit_downstream); each name once."""
    if item is None or not item.value:
        return ()
    from ..downstream import DownstreamMapping
    from .downstream_file import load_downstream_file

    value = item.value
    given: list[object] = list(value) if isinstance(value, (list, tuple)) else [value]
    mappings: list[DownstreamMapping] = []
    for each in given:
        if isinstance(each, DownstreamMapping):
            mapping = each
        elif isinstance(each, (str, os.PathLike)):
            mapping = load_downstream_file(os.fspath(each), item.where)
        else:
            raise UsageError(item.where, f"expected the path of a downstream file, got {shown(each)}")
        if any(other.name == mapping.name for other in mappings):
            raise UsageError(
                item.where, f"two downstream files name their metric {mapping.name!r}: its output fields would clash"
            )
        mappings.append(mapping)
    return tuple(mappings)


@dataclass(frozen=True)
class ShapeQuestion:
    """What `shape` is asked: a blueprint, for a size or of an explicit shape, trained on some tokens."""

    blueprint: BlueprintRequest
    target_n_params: float | None  # None for an explicit shape
    n_tokens: float | None  # None: 20 per parameter of the shape
    hardware: Hardware | None


def shape_request(values: Mapping[str, Sourced]) -> tuple[ShapeQuestion, list[str]]:
    """`shape`'s question, validated, and warnings."""
    from ..shapes import MAX_SHAPE_PARAMS

    warnings: list[str] = []
    request = blueprint_request(values, warnings, required=True)
    assert request is not None
    hardware = _predicted_by_default(
        _calibrated(_hardware(values, "flops", warnings), values, request, "flops"), values
    )
    target = checked_number(values, "params")
    if request.explicit and target is not None:
        raise UsageError(values["params"].where, "give --params or an explicit shape (--layers, --d-model), not both")
    if not request.explicit and target is None:
        raise UsageError("", "give --params (a size to shape) or an explicit shape (--layers and --d-model)")
    if target is not None and target > MAX_SHAPE_PARAMS:
        raise UsageError(
            values["params"].where, f"a shape is sized for at most {MAX_SHAPE_PARAMS:.0e} parameters, got {target:g}"
        )
    return ShapeQuestion(request, target, checked_number(values, "tokens"), hardware), warnings


def _released_shape(values: Mapping[str, Sourced]) -> tuple[Shape, tuple[str, ...]]:
    """A released model's shape for a blueprint (--hf-config, with the shape flags over it), counted exactly, and
    what its checkpoint holds that the count leaves out."""
    from ..architectures import shape_of_architecture
    from ..shapes import DEFAULT_SEQ_LEN
    from .hf_config import OVERRIDES, read_hf_config, with_overrides

    item = values["hf_config"]
    refused = [values[name].where for name in ("family", "ffn", "style", "shared_experts") if name in values]
    if refused:
        raise UsageError(
            item.where, f"the file's model is the blueprint's; {', '.join(refused)} cannot be given beside it"
        )
    given = {name: values[name] for name in OVERRIDES if name in values}
    architecture = with_overrides(read_hf_config(str(item.value), item.where), given, str(item.value))
    seq_len = checked_whole(values, "seq_len") or DEFAULT_SEQ_LEN
    return shape_of_architecture(architecture, seq_len), architecture.left_out


def blueprint_request(
    values: Mapping[str, Sourced], warnings: list[str], required: bool = False
) -> BlueprintRequest | None:
    """The blueprint asked for (by --blueprint, a blueprint: section, or `required`), with its shape validated."""
    given = [field for field in BLUEPRINT_FIELDS if field in values]
    if not required and "blueprint" not in values:
        if given:
            warnings.append(f"{', '.join(values[f].where for f in given)} unused without --blueprint")
        return None
    from ..blueprint import BlueprintRequest
    from ..parallel import SHARDINGS
    from ..shapes import (
        DEFAULT_SEQ_LEN,
        DEFAULT_VOCAB_SIZE,
        FAMILIES,
        Shape,
        default_d_ff,
        default_heads,
        shape_problems,
    )

    numbers = {field: checked_whole(values, field) for field in (*SHAPE_INTEGERS, *EXPERT_INTEGERS)}
    explicit = numbers["n_layers"] is not None or numbers["d_model"] is not None
    released, left_out = _released_shape(values) if "hf_config" in values else (None, ())
    if released is not None:
        explicit = False  # the file's shape, checked where it was read; the flags over it are applied there
    elif explicit and (numbers["n_layers"] is None or numbers["d_model"] is None):
        missing = "n_layers" if numbers["n_layers"] is None else "d_model"
        present = "d_model" if missing == "n_layers" else "n_layers"
        raise UsageError(values[present].where, f"an explicit shape needs {FLAGS[missing]} too")
    if not explicit and released is None:
        for field in ("n_heads", "d_ff", "expert_d_ff"):
            if field in values:
                raise UsageError(values[field].where, "is part of an explicit shape: give --layers and --d-model too")
    family_name = sourced_choice(values, "family", FAMILY_NAMES, "")
    family = FAMILIES[family_name] if family_name else None
    ffn = sourced_choice(values, "ffn", FFN_KINDS, family.ffn if family else "swiglu")
    # A family's d_ff rule holds for its own FFN kind; a different --ffn takes that kind's default.
    d_ff_rule = family.d_ff_rule if family and ffn == family.ffn else None
    d_model = numbers["d_model"] or 128
    experts = numbers["experts"] or 0
    tied_default = family.tied_embeddings if family else False
    shape = Shape(
        n_layers=numbers["n_layers"] or 1,
        d_model=d_model,
        n_heads=numbers["n_heads"] or default_heads(d_model),
        d_ff=numbers["d_ff"] or default_d_ff(d_model, ffn, d_ff_rule),
        vocab_size=numbers["vocab_size"] or (family.vocab_size if family else DEFAULT_VOCAB_SIZE),
        seq_len=numbers["seq_len"] or (family.seq_len if family else DEFAULT_SEQ_LEN),
        ffn=ffn,
        tied_embeddings=bool(values["tied_embeddings"].value) if "tied_embeddings" in values else tied_default,
        n_kv_heads=numbers["n_kv_heads"] if "n_kv_heads" in values else (family.n_kv_heads if family else None),
        style=sourced_choice(values, "style", STYLES, family.style if family else "llama"),
        experts=experts,
        active_experts=numbers["active_experts"] if numbers["active_experts"] is not None else min(experts, 1),
        shared_experts=numbers["shared_experts"] or 0,
        expert_d_ff=numbers["expert_d_ff"],
        d_ff_rule=d_ff_rule,
    )
    for field, message in shape_problems(shape, sized=explicit):
        # A derived head count or FFN width is wrong because of the width it came from.
        item = values.get(field) or values.get({"n_heads": "d_model", "d_ff": "d_model"}.get(field, "experts"))
        raise UsageError(item.where if item else FLAGS[field], message)
    if released is not None:
        shape, explicit = released, True
    from ..parallel import DEFAULT_GPUS_PER_NODE, LayoutRequest

    layout_fields = (
        "sharding", "recompute", "micro_batch", "tp", "pp", "cp", "ep", "gpus_per_node", "flash_attention", "dropout", "gpus",
        "gpu", "gpu_memory_gib", "grad_precision", "optimizer_states", "global_batch", "step_seconds", "interleave",
        "calibrate",
    )  # fmt: skip
    layout = LayoutRequest(
        tp=numbers["tp"],
        pp=numbers["pp"],
        cp=numbers["cp"],
        ep=numbers["ep"],
        sharding=sourced_choice(values, "sharding", SHARDINGS, "") or None,
        recompute=sourced_choice(values, "recompute", RECOMPUTE, "") or None,
        micro_batch=numbers["micro_batch"] or 1,
        flash_attention=bool(values["flash_attention"].value) if "flash_attention" in values else True,
        gpus_per_node=numbers["gpus_per_node"] or DEFAULT_GPUS_PER_NODE,
        grad_precision=sourced_choice(values, "grad_precision", GRAD_PRECISIONS, "bf16"),
        optimizer_states=sourced_choice(values, "optimizer_states", OPTIMIZER_STATES, "fp32"),
        global_batch=numbers["global_batch"],
        interleave=numbers["interleave"] or 1,
        where={field: values[field].where for field in layout_fields if field in values},
    )
    return BlueprintRequest(
        template=shape,
        explicit=explicit,
        causal_attention=bool(values["causal_attention"].value) if "causal_attention" in values else False,
        family=family_name or None,
        dropout=bool(values["dropout"].value) if "dropout" in values else None,
        layout=layout,
        source=str(values["hf_config"].value) if released is not None else None,
        left_out=left_out,
        step_seconds=checked_number(values, "step_seconds"),
        calibrate=bool(values["calibrate"].value) if "calibrate" in values else False,
    )


def _capped_law(values: Mapping[str, Sourced], law: Law, warnings: list[str]) -> Law:
    """The law under the unique-token cap, when one is given."""
    unique_tokens = checked_number(values, "unique_tokens")
    if unique_tokens is None:
        return law
    where = values["unique_tokens"].where
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
    values: Mapping[str, Sourced],
    hardware: Hardware | None,
    law: Law,
    warnings: list[str],
    serve: ServeRequest | None = None,
    blueprint: BlueprintRequest | None = None,
) -> InferenceRequest | None:
    """Inference demand and how lifetime is counted: FLOPs, or dollars when inference hardware or a price is given
    (with --serve and a price, dollars as serving the model costs them)."""
    for_serving = ("inference_mfu", "inference_price_per_gpu_hour") if "serve" in values else ()  # --serve uses them
    extra = [
        field
        for field in ("inference_objective", "inference_mfu", "inference_price_per_gpu_hour")
        if field in values and field not in for_serving
    ]
    if "inference_tokens" not in values:
        if extra:
            warnings.append(f"{', '.join(values[f].where for f in extra)} unused without --inference-tokens")
        return None
    from ..inference import InferenceRequest

    item = values["inference_tokens"]
    tokens = checked_number(values, "inference_tokens")
    assert tokens is not None
    if not isinstance(unconstrained(law), ParametricLaw):
        raise UsageError(
            item.where,
            f"inference-aware allocation needs a law whose optimum is the minimum of its own L(N, D); {law.name}'s"
            " frontier is a separate fit (Kaplan et al. 2020, Table 6), so use a parametric law",
        )
    mfu = checked_number(values, "inference_mfu")
    price = checked_number(values, "inference_price_per_gpu_hour")
    objective_item = values.get("inference_objective")
    priced_serving = serve is not None and serve.price_usd_per_gpu_hour is not None
    objective = sourced_choice(
        values, "inference_objective", OBJECTIVES, "cost" if mfu or price or priced_serving else "flops"
    )
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
    served = None
    if objective == "cost" and serve is not None and hardware is not None and blueprint is not None:
        from ..inference import ServingPrice

        served = ServingPrice(hardware.gpu, serve, blueprint.template)
    return InferenceRequest(tokens, item.where, objective, serving, served)


def policy_limits(values: Mapping[str, Sourced]) -> list[Limit]:
    """The policy's limits, from flags and the config's policy section (flags win), in RULES order."""
    limits = []
    for name, rule in RULES.items():
        item = values.get(name)
        if item is None:
            continue
        limit = checked_number(values, name)
        assert limit is not None
        limits.append(Limit(rule, limit, item.where))
    return limits
