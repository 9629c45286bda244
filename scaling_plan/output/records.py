"""Results -> records: a record is a flat dict of plain values with units in the names, the same for every
format (json and csv print records as they are; tables humanise them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..budget import Hardware
from ..moe import MoELaw
from .catalog import GAP_KEYS, names
from .fields import in_unit

if TYPE_CHECKING:
    from ..answers import Entry
    from ..architectures import Architecture, ArchitectureCount
    from ..blueprint import Blueprint
    from ..data_constrained import DataUse
    from ..downstream import MetricPrediction
    from ..gap import Gap
    from ..inference import InferencePlan
    from ..plans import Plan
    from ..policy import Verdict
    from ..serving import Serving
    from ..sweeps import Sweep


#: Bumped when a field is renamed or removed (adding fields keeps the version).
SCHEMA_VERSION = 1


Record = dict[str, Any]


def fill(keys: Sequence[str], values: Mapping[str, Any]) -> Record:
    """The record of fields `keys` (catalog.py), in their order, each from `values`: a value without a field or a field
    without a value fails here, not in a user's spreadsheet."""
    if len(values) != len(keys):
        raise ValueError(f"fields without values or values without fields: {sorted(set(values) ^ set(keys))}")
    return {key: values[key] for key in keys}


#: A plan's own fields: what was asked, the allocation and the law, and the hardware.
PLAN_KEYS = names("head", "plan", "hardware")


def plan_record(plan: Plan, role: str = "plan", moe: bool = False) -> Record:
    """The fields of one plan, in output order. Unknown values are None (null in JSON, empty in CSV). `moe`: the
    mixture-of-experts fields even for a dense plan (null), as rows beside a mixture's share its columns."""
    request, hardware = plan.request, plan.request.hardware
    from ..allocate import TokensPerParamRule  # here: fit's records do not need the allocators

    rule = request.allocator if isinstance(request.allocator, TokensPerParamRule) else None
    own = {
        "schema_version": SCHEMA_VERSION,
        "role": role,
        "given": request.given,
        "given_value": request.given_value,
        "compute_flops": plan.compute_flops,
        "training_flops": plan.training_flops,
        "tokens_trimmed_pct": plan.tokens_trimmed_pct,
        "n_params": plan.n_params,
        "n_tokens": plan.n_tokens,
        "tokens_per_param": plan.tokens_per_param,
        "loss_nats": plan.loss_nats,
        "loss_bits": plan.loss_nats / math.log(2),
        "loss_drop_per_10x_nats": plan.returns.loss_drop_per_10x_nats if plan.returns else None,
        "flops_for_next_0_01_nats": plan.returns.flops_for_next_step if plan.returns else None,
        "method": request.allocator.method,
        "tokens_per_param_rule": rule.tokens_per_param if rule else None,
        "law": request.law.name,
        "law_source": request.law.source,
        "n_params_kind": request.law.n_params_kind,
        "loss_dataset": request.law.dataset,
        "extrapolated": plan.extrapolated,
        "gpu": hardware.gpu.name if hardware else None,
        "gpu_peak_flops": hardware.peak_flops_per_second if hardware else None,
        "precision": hardware.precision if hardware else None,
        "mfu": hardware.mfu if hardware else None,
        "mfu_from": mfu_from(hardware),
        "gpus": hardware.n_gpus if hardware else None,
        "price_usd_per_gpu_hour": hardware.price_usd_per_gpu_hour if hardware else None,
        "gpu_hours": plan.gpu_hours,
        "wall_clock_days": plan.wall_clock_days,
        "cost_usd": plan.cost_usd,
        "gpu_hours_for_next_0_01_nats": plan.next_step_time_and_cost[0],
        "cost_usd_for_next_0_01_nats": plan.next_step_time_and_cost[1],
    }
    return (
        fill(PLAN_KEYS, own)
        | energy_fields(hardware, plan.gpu_hours)
        | _interval_fields(plan)
        | downstream_fields(plan.downstream)
        | _moe_fields(plan, moe)
        | _data_fields(plan.data)
        | _inference_fields(plan.inference)
        | blueprint_fields(plan.blueprint)
        | serving_fields(plan.serving)
        | ({} if plan.run is None else {f"run_{key}": v for key, v in gap_record(plan.run).items()})
    )


def energy_fields(hardware: Hardware | None, gpu_hours: float | None) -> Record:
    """What the run draws and emits: the facility's PUE, the goodput, the GPU's rated power, MWh and tCO2e (None
    where unknown: no hardware, no published power, no grid intensity)."""
    known = hardware is not None and gpu_hours is not None
    return fill(
        names("energy"),
        {
            "goodput": hardware.goodput if hardware else None,
            "pue": hardware.pue if hardware else None,
            "gpu_power_watts": hardware.gpu.power_watts if hardware else None,
            "grid_gco2_per_kwh": hardware.grid_gco2_per_kwh if hardware else None,
            "energy_mwh": hardware.energy_mwh(gpu_hours) if known else None,  # type: ignore[union-attr]
            "emissions_tco2e": hardware.emissions_tco2e(gpu_hours) if known else None,  # type: ignore[union-attr]
        },
    )


def _moe_fields(plan: Plan, always: bool = False) -> Record:
    """Under a mixture-of-experts law: the plan's granularity, total parameters and expansion (all None for a dense
    plan `always` asked for, else none)."""
    if plan.granularity is None:
        return fill(names("moe"), dict.fromkeys(names("moe"))) if always else {}
    law = plan.request.law
    assert isinstance(law, MoELaw)
    values = {
        "granularity": plan.granularity,
        "n_params_total": law.total_params(plan.n_params),
        "expansion": law.expansion,
    }
    return fill(names("moe"), values)


def _data_fields(data: DataUse | None) -> Record:
    """Under a unique-token cap: passes over the data, what the run is worth, and the cap's cost in loss."""
    if data is None:
        return {}
    return fill(
        names("data"),
        {
            "unique_tokens": data.unique_tokens,
            "epochs": data.epochs,
            "effective_tokens": data.effective_tokens,
            "effective_params": data.effective_params,
            "unlimited_data_loss_nats": data.unlimited_loss_nats,
            "data_penalty_nats": data.loss_penalty_nats,
        },
    )


#: The inference-aware model's training time and cost, counted as the plan's own are.
INFERENCE_TRAINING_KEYS = (
    "inference_aware_training_gpu_hours", "inference_aware_training_days", "inference_aware_training_cost_usd",
)  # fmt: skip


def _inference_fields(inference: InferencePlan | None) -> Record:
    """The plan's model over its life, beside the model with the least lifetime compute (or cost)."""
    if inference is None:
        return {}
    reference, chosen, flop_priced = inference.reference, inference.chosen, inference.flop_priced
    cost = inference.request.objective if inference.request.objective == "cost" else None
    return fill(
        names("inference"),
        {
            "inference_tokens": inference.request.tokens,
            "inference_objective": "lifetime_cost_usd" if inference.request.objective == "cost" else "lifetime_flops",
            "inference_flops": reference.inference_flops,
            "lifetime_flops": reference.lifetime_flops,
            "lifetime_cost_usd": inference.reference_cost_usd,
            "inference_aware_n_params": chosen.n_params,
            "inference_aware_n_tokens": chosen.n_tokens,
            "inference_aware_tokens_per_param": chosen.tokens_per_param,
            "inference_aware_loss_nats": chosen.loss_nats,
            "inference_aware_training_flops": chosen.training_flops,
            "inference_aware_inference_flops": chosen.inference_flops,
            "inference_aware_lifetime_flops": chosen.lifetime_flops,
            "inference_aware_lifetime_cost_usd": inference.chosen_cost_usd,
            **dict(zip(INFERENCE_TRAINING_KEYS, inference.time_and_cost(chosen), strict=True)),
            "inference_aware_over_budget_pct": inference.over_budget_pct,
            "flops_saved": inference.flops_saved,
            "flops_saved_pct": inference.flops_saved_pct,
            "cost_saved_usd": inference.cost_saved_usd,
            "cost_saved_pct": inference.cost_saved_pct,
            "inference_priced_by": None if cost is None else "serving" if inference.request.served else "flops",
            "flop_priced_n_params": flop_priced.n_params if flop_priced else None,
            "flop_priced_n_tokens": flop_priced.n_tokens if flop_priced else None,
            "flop_priced_lifetime_cost_usd": inference.flop_priced_cost_usd,
        },
    )


def blueprint_fields(blueprint: Blueprint | None) -> Record:
    """A blueprint: the shape, exact counts, FLOPs per token by convention, memory per GPU, GPUs, LR and batch."""
    if blueprint is None:
        return {}
    from ..blueprint import HYPER_SOURCE

    shape, counts, hyper, step = blueprint.shape, blueprint.counts, blueprint.hyper, blueprint.step
    predicted = blueprint.predicted
    counted = step or predicted  # a step's FLOPs, measured or predicted (the same count)
    choice, fixed = blueprint.layout, blueprint.request.layout
    memory = choice.layout if choice else None

    def gib(value: float | None) -> float | None:
        return None if value is None else value / 2**30

    return fill(
        names("blueprint"),
        {
            "family": blueprint.request.family,
            "n_layers": shape.n_layers,
            "d_model": shape.d_model,
            "n_heads": shape.n_heads,
            "n_kv_heads": shape.kv_heads,
            "head_dim": shape.head_dim,
            "d_ff": shape.d_ff,
            "ffn": shape.ffn,
            "vocab_size": shape.vocab_size,
            "seq_len": shape.seq_len,
            "tied_embeddings": shape.tied_embeddings,
            "style": shape.style,
            "experts": shape.experts,
            "active_experts": shape.active_experts,
            "shared_experts": shape.shared_experts,
            "expert_d_ff": shape.ffn_width if shape.experts else None,
            "params_total": counts.params_total,
            "params_active": counts.params_active,
            "params_embedding": counts.params_embedding,
            "params_non_embedding": counts.params_non_embedding,
            "params_vs_target_pct": blueprint.params_vs_target_pct,
            "flops_per_token_6n": counts.flops_per_token_6n,
            "flops_per_token_kaplan": counts.flops_per_token_kaplan,
            "flops_per_token_deepseek": counts.flops_per_token_deepseek,
            "flops_per_token_full": counts.flops_per_token_full,
            "full_to_6n_ratio": counts.full_to_6n_ratio,
            "causal_attention": counts.causal_attention,
            "training_flops_full": blueprint.training_flops_full,
            "gpu_hours_full": blueprint.gpu_hours_full,
            "wall_clock_days_full": blueprint.wall_clock_days_full,
            "cost_usd_full": blueprint.cost_usd_full,
            "tp": memory.tp if memory else fixed.tp,
            "pp": memory.pp if memory else fixed.pp,
            "cp": memory.cp if memory else fixed.cp,
            "dp": memory.dp if memory else None,
            "ep": (memory.ep if memory else fixed.ep) if shape.experts else None,
            "all_to_all_gib_per_step": gib(memory.all_to_all_bytes) if memory and memory.ep > 1 else None,
            "sharding": memory.sharding if memory else fixed.sharding,
            "recompute": memory.recompute if memory else fixed.recompute,
            "flash_attention": fixed.flash_attention,
            "dropout": blueprint.dropout,
            "micro_batch_sequences": fixed.micro_batch,
            "gradient_accumulation_steps": memory.accumulation if memory else None,
            "interleaved_stages": memory.interleave if memory else fixed.interleave,
            "pipeline_bubble_pct": 100 * memory.bubble_fraction if memory else None,
            "gpus_per_node": fixed.gpus_per_node,
            "layouts_searched": choice.n_searched if choice else None,
            "layouts_fitting": choice.n_fitting if choice else None,
            "layout_reason": choice.reason if choice else None,
            "memory_gpus": memory.n_gpus if memory else None,
            "weights_gib_per_gpu": gib(memory.weights_bytes) if memory else None,
            "gradients_gib_per_gpu": gib(memory.gradients_bytes) if memory else None,
            "optimizer_gib_per_gpu": gib(memory.optimizer_bytes) if memory else None,
            "activations_gib_per_gpu": gib(memory.activations_bytes) if memory else None,
            "activations_gib_no_recompute": gib(memory.activations_no_recompute_bytes) if memory else None,
            "activations_gib_full_recompute": gib(memory.activations_full_recompute_bytes) if memory else None,
            "gather_gib_per_gpu": gib(memory.gather_bytes) if memory and memory.gather_bytes else None,
            "memory_gib_per_gpu": gib(memory.total_bytes) if memory else None,
            "gpu_memory_gib": gib(memory.capacity_bytes) if memory else None,
            "memory_dominant": memory.dominant if memory else None,
            "grad_precision": fixed.grad_precision,
            "optimizer_states": fixed.optimizer_states,
            "micro_batch_max": memory.micro_batch_max if memory else None,
            "min_gpus": choice.min_gpus if choice else None,
            "lr_peak": hyper.lr_peak,
            "batch_tokens_optimal": hyper.batch_tokens_optimal,
            "batch_sequences_optimal": hyper.batch_sequences_optimal,
            "batch_sequences": hyper.batch_sequences,
            "batch_tokens": hyper.batch_tokens,
            "train_steps": hyper.train_steps,
            "step_seconds_measured": step.step_seconds if step else None,
            "model_flops_per_step": counted.model_flops if counted else None,
            "hardware_flops_per_step": counted.hardware_flops if counted else None,
            "mfu_measured_pct": 100 * step.mfu if step else None,
            "hfu_measured_pct": 100 * step.hfu if step else None,
            "gpu_hours_measured": blueprint.measured_time_and_cost[0],
            "wall_clock_days_measured": blueprint.measured_time_and_cost[1],
            "cost_usd_measured": blueprint.measured_time_and_cost[2],
            "gpu_hours_predicted": blueprint.predicted_time_and_cost[0],
            "wall_clock_days_predicted": blueprint.predicted_time_and_cost[1],
            "cost_usd_predicted": blueprint.predicted_time_and_cost[2],
            "mfu_predicted_full_count": blueprint.mfu_predicted_full_count,
            "step_seconds_predicted": predicted.step_seconds if predicted else None,
            "step_measured_over_predicted": blueprint.step_measured_over_predicted,
            "mfu_predicted_pct": 100 * predicted.mfu if predicted else None,
            "hfu_predicted_pct": 100 * predicted.hfu if predicted else None,
            "matmul_efficiency_pct": 100 * predicted.matmul_efficiency if predicted else None,
            "step_compute_seconds": predicted.compute_seconds if predicted else None,
            "step_recompute_seconds": predicted.recompute_seconds if predicted else None,
            "step_memory_bound_seconds": predicted.memory_bound_seconds if predicted else None,
            "step_communication_seconds": predicted.communication_seconds if predicted else None,
            "step_bubble_seconds": predicted.bubble_seconds if predicted else None,
            "hyperparameters_compute_flops": hyper.compute_flops,
            "hyperparameters_extrapolated": hyper.extrapolated,
            "hyperparameters_source": HYPER_SOURCE,
        },
    )


def _interval_fields(plan: Plan) -> Record:
    intervals = plan.intervals
    if intervals is None:
        return {}
    return fill(
        names("intervals"),
        {
            "interval_level": intervals.level,
            "n_params_low": float(intervals.n_params[0]),
            "n_params_high": float(intervals.n_params[1]),
            "n_tokens_low": float(intervals.n_tokens[0]),
            "n_tokens_high": float(intervals.n_tokens[1]),
            "loss_nats_low": float(intervals.loss_nats[0]),
            "loss_nats_high": float(intervals.loss_nats[1]),
        },
    )


def gap_record(gap: Gap) -> Record:
    """A run (N, D) beside the law's compute-optimal run at the same compute."""
    return fill(
        GAP_KEYS,
        {
            "n_params": gap.n_params,
            "n_tokens": gap.n_tokens,
            "tokens_per_param": gap.tokens_per_param,
            "compute_flops": gap.compute_flops,
            "loss_nats": gap.loss_nats,
            "optimal_n_params": gap.optimal_n_params,
            "optimal_n_tokens": gap.optimal_n_tokens,
            "optimal_loss_nats": gap.optimal_loss_nats,
            "loss_gap_nats": gap.loss_gap_nats,
            "loss_gap_pct": gap.loss_gap_pct,
            "same_loss_compute_flops": gap.same_loss_compute_flops,
            "compute_overhead_pct": gap.compute_overhead_pct,
            "gpu_hours": gap.gpu_hours,
            "wall_clock_days": gap.wall_clock_days,
            "cost_usd": gap.cost_usd,
        },
    ) | _data_fields(gap.data)


def shape_record(blueprint: Blueprint, hardware: Hardware | None) -> Record:
    """`shape`'s record: the size asked for, the training tokens and hardware, then the blueprint's fields."""
    return {
        "schema_version": SCHEMA_VERSION,
        "target_n_params": blueprint.target_params,
        "n_tokens": blueprint.n_tokens,
        "gpu": hardware.gpu.name if hardware else None,
        "mfu": hardware.mfu if hardware else None,
        "mfu_from": mfu_from(hardware),
        "gpus": hardware.n_gpus if hardware else None,
        "price_usd_per_gpu_hour": hardware.price_usd_per_gpu_hour if hardware else None,
    } | blueprint_fields(blueprint)


def mfu_from(hardware: Hardware | None) -> str | None:
    """Where the MFU that times a run comes from: predicted (by default with a blueprint, or --mfu predict),
    measured (--calibrate) or assumed (a number, or 0.40 where no step is predicted)."""
    if hardware is None:
        return None
    return "measured" if hardware.mfu_calibrated else "predicted" if hardware.mfu_predicted else "assumed"


#: `shape --hf-config`: a released model's architecture and its exact counts.
ARCHITECTURE_KEYS = (
    "schema_version", "hf_config", "model_type", "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff",
    "vocab_size", "tied_embeddings", "attention", "experts", "active_experts", "shared_experts", "expert_d_ff",
    "params_total", "params_active", "params_embedding", "params_non_embedding", "flops_per_token_6n",
    "kv_cache_bytes_per_token", "not_counted",
)  # fmt: skip


def architecture_record(hf_config: str, arch: Architecture, counted: ArchitectureCount) -> Record:
    moe, latent = arch.experts, arch.latent
    if latent is not None:
        attention = f"latent, rank {latent.kv_rank} + {latent.rope_dim} rotary"
    elif arch.n_kv_heads == arch.n_heads:
        attention = "multi-head"
    else:
        attention = f"grouped-query, {arch.n_kv_heads} KV heads"
    return fill(
        ARCHITECTURE_KEYS,
        {
            "schema_version": SCHEMA_VERSION, "hf_config": hf_config, "model_type": arch.model_type,
            "n_layers": arch.n_layers, "d_model": arch.d_model, "n_heads": arch.n_heads,
            "n_kv_heads": arch.n_kv_heads, "head_dim": arch.head_dim, "d_ff": arch.d_ff,
            "vocab_size": arch.vocab_size, "tied_embeddings": arch.tied_embeddings, "attention": attention,
            "experts": moe.routed if moe else None, "active_experts": moe.active if moe else None,
            "shared_experts": moe.shared if moe else None,
            "expert_d_ff": moe.d_ff if moe else None,
            "params_total": counted.params_total, "params_active": counted.params_active,
            "params_embedding": counted.params_embedding, "params_non_embedding": counted.params_non_embedding,
            "flops_per_token_6n": counted.flops_per_token_6n,
            "kv_cache_bytes_per_token": counted.kv_cache_bytes_per_token,
            "not_counted": "; ".join(arch.left_out) or None,
        },
    )  # fmt: skip


#: `serve`: a model served on a replica of GPUs, its memory, times, throughput and costs.
SERVE_KEYS = (
    "schema_version", "model", "params_total", "params_active", "gpu", "gpus_per_replica", "weights_precision",
    "kv_precision", "prompt_tokens", "output_tokens", "batch", "batch_max", "mfu", "mbu", "price_usd_per_gpu_hour",
    "kv_cache_bytes_per_token", *(name for name in names("serving") if name not in ("weights_precision",
    "kv_precision", "prompt_tokens", "output_tokens", "batch", "batch_max", "mbu", "gpus_per_replica")),
)  # fmt: skip


#: A plan's model served (budget --serve): the serving fields, and the KV cache a token adds.
PLAN_SERVING_KEYS = ("kv_cache_bytes_per_token", *names("serving"))
#: The serving fields that are the request's settings.
SERVING_ASKED = ("weights_precision", "kv_precision", "prompt_tokens", "output_tokens", "mbu")


def serving_fields(served: Serving | None) -> Record:
    """The serving of a model: its GPUs, request, memory, times, throughput and costs; nothing without one."""
    if served is None:
        return {}
    request = served.request
    # Every other serving field is the Serving's own attribute of that name.
    renamed = {"gpus_per_replica": served.gpus, "replicas": served.replicas_for_load,
               "tokens_per_second": request.load_tokens_per_second}  # fmt: skip
    asked = {name: getattr(request, name) for name in SERVING_ASKED}
    measured = {name: getattr(served, name) for name in PLAN_SERVING_KEYS if name not in renamed and name not in asked}
    return fill(PLAN_SERVING_KEYS, renamed | asked | measured)


def serving_record(model: str, served: Serving) -> Record:
    """`serve`: the model, its counts, the GPU and the serving."""
    request = served.request
    head = {
        "schema_version": SCHEMA_VERSION, "model": model, "params_total": served.counts.params_total,
        "params_active": served.counts.params_active, "gpu": served.gpu.name, "mfu": request.mfu,
        "price_usd_per_gpu_hour": request.price_usd_per_gpu_hour,
    }  # fmt: skip
    return fill(SERVE_KEYS, head | serving_fields(served))


def sweep_records(sweep: Sweep, compared: Sequence[Sweep]) -> Iterable[Record]:
    """One plan record per budget, each followed by a column group per compared law; made as they are written."""
    for row, plan in enumerate(sweep.plans()):
        record = plan_record(plan)
        for other in compared:
            group = other.request.law.name
            record[f"{group}.n_params"] = float(other.n_params[row])
            record[f"{group}.n_tokens"] = float(other.n_tokens[row])
            record[f"{group}.tokens_per_param"] = float(other.n_tokens[row] / other.n_params[row])
            record[f"{group}.loss_nats"] = float(other.loss_nats[row])
        yield record


#: The rows of `compare`, each with its delta against the baseline column.
COMPARED_KEYS = (
    "budget_flops", "compute_flops", "n_params", "n_params_total", "granularity", "n_tokens", "tokens_per_param", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd", "energy_mwh", "emissions_tco2e", "loss_gap_nats", "loss_gap_pct", "compute_overhead_pct",
    "unique_tokens", "epochs", "data_penalty_nats", "lifetime_flops", "inference_aware_n_params", "flops_saved_pct",
    "n_layers", "d_model", "params_total", "flops_per_token_full", "wall_clock_days_full", "memory_gib_per_gpu",
    "min_gpus", "lr_peak", "batch_tokens", "decode_tokens_per_second", "usd_per_million_output_tokens",
)  # fmt: skip


#: Compared from the plan, not the run: what serving the planned model costs over its life, and its blueprint.
_PLAN_COMPARED_KEYS = frozenset(
    {
        "lifetime_flops", "inference_aware_n_params", "flops_saved_pct", "n_layers", "d_model", "params_total",
        "flops_per_token_full", "wall_clock_days_full", "memory_gib_per_gpu", "min_gpus", "lr_peak", "batch_tokens",
        "decode_tokens_per_second", "usd_per_million_output_tokens",
    }
)  # fmt: skip


def _compared_values(entry: Entry) -> Record:
    assert entry.assessed is not None, "compare's entries come assessed"
    run = gap_record(entry.assessed)
    run |= energy_fields(entry.plan.request.hardware, run["gpu_hours"])  # of the run compared, like its GPU-hours
    planned = (
        _inference_fields(entry.plan.inference)
        | blueprint_fields(entry.plan.blueprint)
        | serving_fields(entry.plan.serving)
    )
    law = entry.plan.request.law
    if isinstance(law, MoELaw):  # the mixture the run compared has: its size sets its granularity (moe.py)
        run |= {
            "n_params_total": law.total_params(run["n_params"]),
            "granularity": law.granularity_for(run["n_params"]),
        }
    values = {key: (planned if key in _PLAN_COMPARED_KEYS else run).get(key) for key in COMPARED_KEYS}
    return values | {"budget_flops": entry.plan.compute_flops}


def downstream_compared_keys(entries: Sequence[Entry]) -> list[str]:
    """The downstream metrics compare shows, in the order the configs first predict them."""
    return list(dict.fromkeys(f"downstream_{p.mapping.name}" for entry in entries for p in entry.downstream))


def compare_records(entries: Sequence[Entry], baselines: Sequence[int]) -> list[Record]:
    """A record per config: what it stands for (its intended run, else its plan) and deltas against its baseline."""
    values = [_compared_values(entry) for entry in entries]
    metrics = downstream_compared_keys(entries)
    predicted = [{key: None for key in metrics} | downstream_fields(entry.downstream) for entry in entries]
    records = []
    for entry, own, base_index, metric_values in zip(entries, values, baselines, predicted, strict=True):
        base = values[base_index]
        plan = entry.plan
        record: Record = {
            "schema_version": SCHEMA_VERSION,
            "config": entry.label,
            "name": entry.name,
            "baseline": entries[base_index].label,
            "change": entry.change,
            "subject": "intended run" if plan.run is not None else "planned run",
            "given": plan.request.given,
            "given_value": plan.request.given_value,
            "method": plan.request.allocator.method,
            "law": plan.request.law.name,
            "gpu": plan.request.hardware.gpu.name if plan.request.hardware else None,
        }
        record.update(own)
        for key in COMPARED_KEYS:
            delta: float | None = None if own[key] is None or base[key] is None else own[key] - base[key]
            relative = delta is not None and base[key] and key not in _GAP_KEYS
            record[f"delta_{key}"] = delta
            record[f"delta_{key}_pct"] = 100.0 * delta / abs(base[key]) if relative and delta is not None else None
        record.update(metric_values)
        for key in metrics:  # a score's change in points; its % of a score near 0 would say little
            own_metric, base_metric = metric_values[key], predicted[base_index][key]
            record[f"delta_{key}"] = None if own_metric is None or base_metric is None else own_metric - base_metric
        records.append(record)
    return records


#: Quantities that are already differences from optimal: their deltas are given absolute only (a % of a gap near
#: zero says nothing).
_GAP_KEYS = frozenset({"loss_gap_nats", "loss_gap_pct", "compute_overhead_pct", "data_penalty_nats", "flops_saved_pct"})


def verdict_record(entry: Entry, verdict: Verdict) -> Record:
    rule, limit, measured = verdict.limit.rule, verdict.limit.value, verdict.measured
    shown, bound = in_unit(measured, rule.unit), in_unit(limit, rule.unit)  # the rule names the quantity
    if verdict.passed:
        relation = "is within the maximum" if rule.is_max else "meets the minimum"
        message = f"{shown} {relation} {bound}"
    else:
        relation = "above the maximum" if rule.is_max else "below the minimum"
        message = f"{shown} is {relation} {bound} ({verdict.limit.where})"
    return {
        "schema_version": SCHEMA_VERSION,
        "config": entry.label,
        "name": entry.name,
        "rule": rule.name,
        "quantity": rule.quantity,
        "unit": rule.unit,
        "status": "pass" if verdict.passed else "fail",
        "measured": measured,
        "limit": limit,
        "message": message,
    }


def error_record(config: str, message: str, status: str = "error", name: str | None = None) -> Record:
    """A config that could not be checked (bad input), or that was not (status "skipped": it has no policy): it stays
    in the report, so every config is accounted for."""
    return {
        "schema_version": SCHEMA_VERSION,
        "config": config,
        "name": name,
        "rule": None,
        "quantity": None,
        "unit": None,
        "status": status,
        "measured": None,
        "limit": None,
        "message": message,
    }


def downstream_fields(predictions: Sequence[MetricPrediction]) -> Record:
    """Each predicted metric beside the plan's loss: downstream_<name>, its interval, whether it extrapolates, and
    the bound ("floor" or "ceiling") it is held at, if any."""
    fields: Record = {}
    for prediction in predictions:
        key = f"downstream_{prediction.mapping.name}"
        low, high = prediction.interval if prediction.interval is not None else (None, None)
        fields |= {key: prediction.value, f"{key}_low": low, f"{key}_high": high,
                   f"{key}_extrapolated": prediction.extrapolated, f"{key}_clamped": prediction.clamped}  # fmt: skip
    return fields
