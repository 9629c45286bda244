"""One row model feeds every output format: a record is a flat dict of plain values with units in the names.

json and csv print records as they are; table humanises them with rich (imported only for tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from .allocate import TokensPerParamRule
from .budget import Gpu, Hardware
from .laws import Law
from .units import format_count, format_number, format_scientific, format_usd

if TYPE_CHECKING:
    from .blueprint import Blueprint
    from .data_constrained import DataUse
    from .experiments import Experiment
    from .fit import Bootstrap, Fit
    from .inference import InferencePlan
    from .plan import Gap, Plan
    from .policy import Verdict
    from .runs import Selection
    from .sweep import Sweep

#: Bumped when a field is renamed or removed (adding fields keeps the version).
SCHEMA_VERSION = 1

Record = dict[str, Any]


def plan_record(plan: Plan, role: str = "plan") -> Record:
    """The fields of one plan, in output order. Unknown values are None (null in JSON, empty in CSV)."""
    request, hardware = plan.request, plan.request.hardware
    rule = request.allocator if isinstance(request.allocator, TokensPerParamRule) else None
    return (
        {
            "schema_version": SCHEMA_VERSION,
            "role": role,
            "given": request.given,
            "given_value": request.given_value,
            "compute_flops": plan.compute_flops,
            "n_params": plan.n_params,
            "n_tokens": plan.n_tokens,
            "tokens_per_param": plan.tokens_per_param,
            "loss_nats": plan.loss_nats,
            "method": request.allocator.method,
            "tokens_per_param_rule": rule.tokens_per_param if rule else None,
            "law": request.law.name,
            "law_source": request.law.source,
            "n_params_kind": request.law.n_params_kind,
            "loss_dataset": request.law.dataset,
            "extrapolated": plan.extrapolated,
            "gpu": hardware.gpu.name if hardware else None,
            "gpu_peak_flops": hardware.gpu.peak_flops_per_second if hardware else None,
            "mfu": hardware.mfu if hardware else None,
            "gpus": hardware.n_gpus if hardware else None,
            "price_usd_per_gpu_hour": hardware.price_usd_per_gpu_hour if hardware else None,
            "gpu_hours": plan.gpu_hours,
            "wall_clock_days": plan.wall_clock_days,
            "cost_usd": plan.cost_usd,
        }
        | _interval_fields(plan)
        | _data_fields(plan.data)
        | _inference_fields(plan.inference)
        | blueprint_fields(plan.blueprint)
        | ({} if plan.run is None else {f"run_{key}": v for key, v in gap_record(plan.run).items()})
    )


def _data_fields(data: DataUse | None) -> Record:
    """Under a unique-token cap: passes over the data, what the run is worth, and the cap's cost in loss."""
    if data is None:
        return {}
    return {
        "unique_tokens": data.unique_tokens,
        "epochs": data.epochs,
        "effective_tokens": data.effective_tokens,
        "effective_params": data.effective_params,
        "unlimited_data_loss_nats": data.unlimited_loss_nats,
        "data_penalty_nats": data.loss_penalty_nats,
    }


def _inference_fields(inference: InferencePlan | None) -> Record:
    """The plan's model over its life, beside the model with the least lifetime compute (or cost)."""
    if inference is None:
        return {}
    reference, chosen = inference.reference, inference.chosen
    return {
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
        "flops_saved": inference.flops_saved,
        "flops_saved_pct": inference.flops_saved_pct,
        "cost_saved_usd": inference.cost_saved_usd,
        "cost_saved_pct": inference.cost_saved_pct,
    }


#: A blueprint's fields, by kind: text, whole numbers, flags, and the rest numbers (schemas.py types them).
BLUEPRINT_TEXT_KEYS = ("ffn", "style", "sharding", "recompute", "memory_dominant", "hyperparameters_source")
BLUEPRINT_INT_KEYS = (
    "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "vocab_size", "seq_len",
    "experts", "active_experts", "shared_experts",
    "params_total", "params_active", "params_embedding", "params_non_embedding",
    "micro_batch_sequences", "memory_gpus", "min_gpus", "batch_sequences", "batch_tokens", "train_steps",
)  # fmt: skip
BLUEPRINT_BOOL_KEYS = ("tied_embeddings", "causal_attention", "hyperparameters_extrapolated")
BLUEPRINT_FLOPS_KEYS = (
    "flops_per_token_6n", "flops_per_token_kaplan", "flops_per_token_deepseek", "flops_per_token_full",
    "training_flops_full", "hyperparameters_compute_flops",
)  # fmt: skip
BLUEPRINT_GIB_KEYS = (
    "weights_gib_per_gpu", "gradients_gib_per_gpu", "optimizer_gib_per_gpu", "activations_gib_per_gpu",
    "activations_gib_no_recompute", "activations_gib_full_recompute", "memory_gib_per_gpu", "gpu_memory_gib",
)  # fmt: skip
BLUEPRINT_FLOAT_KEYS = (
    *BLUEPRINT_FLOPS_KEYS, *BLUEPRINT_GIB_KEYS, "params_vs_target_pct", "full_to_6n_ratio", "gpu_hours_full",
    "wall_clock_days_full", "cost_usd_full", "lr_peak", "batch_tokens_optimal",
)  # fmt: skip


def blueprint_fields(blueprint: Blueprint | None) -> Record:
    """A blueprint: the shape, exact counts, FLOPs per token by convention, memory per GPU, GPUs, LR and batch."""
    if blueprint is None:
        return {}
    from .blueprint import HYPER_SOURCE

    shape, counts, memory, hyper = blueprint.shape, blueprint.counts, blueprint.memory, blueprint.hyper

    def gib(value: float | None) -> float | None:
        return None if value is None else value / 2**30

    return {
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
        "sharding": blueprint.request.sharding,
        "recompute": blueprint.request.recompute,
        "micro_batch_sequences": blueprint.request.micro_batch,
        "memory_gpus": memory.n_gpus if memory else None,
        "weights_gib_per_gpu": gib(memory.weights_bytes) if memory else None,
        "gradients_gib_per_gpu": gib(memory.gradients_bytes) if memory else None,
        "optimizer_gib_per_gpu": gib(memory.optimizer_bytes) if memory else None,
        "activations_gib_per_gpu": gib(memory.activations_bytes) if memory else None,
        "activations_gib_no_recompute": gib(memory.activations_no_recompute_bytes) if memory else None,
        "activations_gib_full_recompute": gib(memory.activations_full_recompute_bytes) if memory else None,
        "memory_gib_per_gpu": gib(memory.total_bytes) if memory else None,
        "gpu_memory_gib": gib(memory.capacity_bytes) if memory else None,
        "memory_dominant": memory.dominant if memory else None,
        "min_gpus": memory.min_gpus if memory else None,
        "lr_peak": hyper.lr_peak,
        "batch_tokens_optimal": hyper.batch_tokens_optimal,
        "batch_sequences": hyper.batch_sequences,
        "batch_tokens": hyper.batch_tokens,
        "train_steps": hyper.train_steps,
        "hyperparameters_compute_flops": hyper.compute_flops,
        "hyperparameters_extrapolated": hyper.extrapolated,
        "hyperparameters_source": HYPER_SOURCE,
    }


def _interval_fields(plan: Plan) -> Record:
    intervals = plan.intervals
    if intervals is None:
        return {}
    return {
        "interval_level": intervals.level,
        "n_params_low": float(intervals.n_params[0]),
        "n_params_high": float(intervals.n_params[1]),
        "n_tokens_low": float(intervals.n_tokens[0]),
        "n_tokens_high": float(intervals.n_tokens[1]),
        "loss_nats_low": float(intervals.loss_nats[0]),
        "loss_nats_high": float(intervals.loss_nats[1]),
    }


def gap_record(gap: Gap) -> Record:
    """A run (N, D) beside the law's compute-optimal run at the same compute."""
    return {
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
    } | _data_fields(gap.data)


def _check_finite(value: Any) -> Any:
    """Machine formats never carry NaN or inf: a non-finite number here is a bug, not an answer."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number in output: {value}")
    return value


def write_json(payload: Any, out: IO[str]) -> None:
    import json

    out.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def write_json_records(head: Mapping[str, Any], key: str, records: Iterable[Record], out: IO[str]) -> None:
    """The same text as write_json({**head, key: list(records)}), written one record at a time: a sweep of 100,000
    budgets never holds them all as objects."""
    import json

    before, _, after = json.dumps({**head, key: []}, indent=2).rpartition("[]")
    out.write(before + "[")
    written = False
    for record in records:
        out.write(
            ("," if written else "") + "\n    " + json.dumps(record, indent=2, allow_nan=False).replace("\n", "\n    ")
        )
        written = True
    out.write(("\n  ]" if written else "]") + after + "\n")


def write_jsonl(records: Iterable[Record], out: IO[str]) -> None:
    """JSON Lines: one record per line, written as each is made."""
    import json

    for record in records:
        out.write(json.dumps(record, allow_nan=False) + "\n")


def write_csv(records: Iterable[Record], out: IO[str]) -> None:
    """A header from the first record's fields, then one row per record (all records share those fields)."""
    import csv
    import itertools

    rows = iter(records)
    first = next(rows, None)
    if first is None:
        return
    writer = csv.DictWriter(out, fieldnames=list(first), lineterminator="\n")
    writer.writeheader()
    for record in itertools.chain([first], rows):
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})


def write_markdown(
    headers: Sequence[str], rows: Sequence[Sequence[str]], out: IO[str], text_columns: frozenset[int] = frozenset({0})
) -> None:
    """A GitHub-flavoured markdown table: text columns left-aligned, the others (numbers) right-aligned."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |\n"

    out.write(line(headers))
    out.write("|" + "|".join(":---" if i in text_columns else "---:" for i in range(len(headers))) + "|\n")
    for row in rows:
        out.write(line(row))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON
    return _check_finite(value)


# --- tables -------------------------------------------------------------------------------------------------------

LABELS: dict[str, str] = {
    "compute_flops": "Compute (FLOPs)",
    "n_params": "Parameters N",
    "n_tokens": "Training tokens D",
    "tokens_per_param": "Tokens / parameter",
    "loss_nats": "Predicted loss (nats/token)",
    "method": "Allocation",
    "law": "Loss law",
    "gpu": "GPU",
    "mfu": "MFU",
    "gpus": "GPUs",
    "gpu_hours": "GPU-hours",
    "wall_clock_days": "Wall-clock days",
    "cost_usd": "Cost (USD)",
    "price_usd_per_gpu_hour": "Price (USD/GPU-hour)",
    "name": "Name",
    "formula": "Formula",
    "source": "Source",
    "optimal_tokens_per_param_at_1e24_flops": "Optimal tokens/param at 1e24",
    "peak_flops_per_second": "Peak dense BF16 FLOP/s",
    "optimal_n_params": "Optimal N at the same compute",
    "optimal_n_tokens": "Optimal D at the same compute",
    "optimal_loss_nats": "Optimal loss (nats/token)",
    "loss_gap_nats": "Loss gap (nats/token)",
    "loss_gap_pct": "Loss gap (%)",
    "same_loss_compute_flops": "Optimal compute for the same loss",
    "compute_overhead_pct": "Compute overhead (%)",
    "budget_flops": "Budget (FLOPs)",
    "frontier_exponent": "Frontier exponent a = beta/(alpha+beta)",
    "objective": "Objective (sum of Huber losses)",
    "n_starts_at_best": "Starts reaching the best optimum",
    "converged": "Converged",
    "residual_rmse_log": "RMSE of log loss",
    "residual_max_log": "Largest |log residual|",
    "n_runs": "Runs fitted",
    "min_compute_flops": "Smallest run (FLOPs)",
    "run": "Run",
    "expected_optimal_n_params": "Expected optimal N",
    "max_compute_flops": "Largest run (FLOPs)",
    "n_layers": "Layers",
    "d_model": "d_model",
    "n_heads": "Attention heads",
    "n_kv_heads": "Key/value heads",
    "head_dim": "Head dimension",
    "d_ff": "d_ff (FFN width)",
    "ffn": "FFN kind",
    "vocab_size": "Vocabulary",
    "seq_len": "Sequence length",
    "tied_embeddings": "Tied embeddings",
    "experts": "Routed experts",
    "active_experts": "Active experts per token",
    "shared_experts": "Shared experts",
    "params_total": "Parameters (total, exact)",
    "params_active": "Parameters active per token",
    "params_embedding": "Embedding parameters",
    "params_non_embedding": "Non-embedding parameters",
    "params_vs_target_pct": "Shape vs planned N",
    "flops_per_token_6n": "FLOPs/token: 6N",
    "flops_per_token_kaplan": "FLOPs/token: Kaplan 6N + 6·L·ctx·d",
    "flops_per_token_deepseek": "FLOPs/token: DeepSeek M",
    "flops_per_token_full": "FLOPs/token: full count",
    "full_to_6n_ratio": "Full count / 6N",
    "training_flops_full": "Training FLOPs (full count)",
    "gpu_hours_full": "GPU-hours (full count)",
    "wall_clock_days_full": "Training days (full count)",
    "cost_usd_full": "Cost (full count)",
    "sharding": "Sharding",
    "recompute": "Activation recomputation",
    "micro_batch_sequences": "Micro-batch (sequences)",
    "memory_gpus": "Memory on GPUs",
    "weights_gib_per_gpu": "Weights (GiB/GPU)",
    "gradients_gib_per_gpu": "Gradients (GiB/GPU)",
    "optimizer_gib_per_gpu": "Adam states (GiB/GPU)",
    "activations_gib_per_gpu": "Activations (GiB/GPU)",
    "activations_gib_no_recompute": "  without recomputation",
    "activations_gib_full_recompute": "  with full recomputation",
    "memory_gib_per_gpu": "Memory per GPU (GiB)",
    "gpu_memory_gib": "GPU memory (GiB)",
    "memory_dominant": "Largest part",
    "min_gpus": "Minimum GPUs",
    "lr_peak": "Peak learning rate",
    "batch_sequences": "Batch (sequences)",
    "batch_tokens": "Batch (tokens)",
    "train_steps": "Training steps",
    "memory_gib": "Memory (GiB)",
    **{
        f"{key}_interval": "  interval"
        for key in ("n_params", "n_tokens", "loss_nats", "E", "A", "B", "alpha", "beta", "frontier_exponent")
    },
    "unique_tokens": "Unique tokens U",
    "epochs": "Epochs over the unique data",
    "effective_tokens": "Effective tokens D'",
    "effective_params": "Effective parameters N'",
    "unlimited_data_loss_nats": "Loss of this N, D with unlimited data",
    "data_penalty_nats": "Loss penalty of the cap (nats/token)",
    "model": "Model",
    "training_flops": "Training FLOPs",
    "inference_flops": "Inference FLOPs",
    "lifetime_flops": "Lifetime FLOPs",
    "lifetime_cost_usd": "Lifetime cost (USD)",
    "flops_saved_pct": "Lifetime FLOPs saved (%)",
    "inference_aware_n_params": "Inference-aware N",
    "config": "Config",
    "rule": "Rule",
    "status": "Result",
    "measured": "Measured",
    "limit": "Limit",
    "message": "Why",
}

FORMATS: dict[str, Callable[[Any], str]] = {
    "compute_flops": format_scientific,
    "n_params": format_count,
    "n_tokens": format_count,
    "tokens_per_param": format_number,
    "loss_nats": lambda x: f"{x:.4f}",
    "mfu": lambda x: f"{x:.2f}",
    "gpus": lambda x: f"{x:,}",
    "gpu_hours": format_count,
    "wall_clock_days": format_number,
    "cost_usd": format_usd,
    "price_usd_per_gpu_hour": lambda x: f"${x:,.2f}",
    "optimal_tokens_per_param_at_1e24_flops": format_number,
    "peak_flops_per_second": format_scientific,
    "optimal_n_params": format_count,
    "optimal_n_tokens": format_count,
    "optimal_loss_nats": lambda x: f"{x:.4f}",
    "loss_gap_nats": lambda x: f"{x:+.3g}",
    "loss_gap_pct": lambda x: f"{x:+.2f}%",
    "same_loss_compute_flops": format_scientific,
    "compute_overhead_pct": lambda x: f"{x:+.1f}%",
    "budget_flops": format_scientific,
    "min_compute_flops": format_scientific,
    "expected_optimal_n_params": format_count,
    "max_compute_flops": format_scientific,
    **{key: lambda x: f"{x:,}" for key in BLUEPRINT_INT_KEYS},
    **{key: lambda x: "yes" if x else "no" for key in BLUEPRINT_BOOL_KEYS},
    "params_vs_target_pct": lambda x: f"{x:+.2f}%",
    **{key: format_scientific for key in BLUEPRINT_FLOPS_KEYS},
    **{key: lambda x: f"{x:,.2f}" for key in BLUEPRINT_GIB_KEYS},
    "full_to_6n_ratio": lambda x: f"{x:.3f}",
    "gpu_hours_full": format_count,
    "wall_clock_days_full": format_number,
    "cost_usd_full": format_usd,
    "lr_peak": lambda x: f"{x:.3g}",
    "memory_gib": lambda x: f"{x:.1f}",
    "batch_tokens_optimal": format_count,
    "E": lambda x: f"{x:.4f}",
    "A": lambda x: f"{x:.5g}",
    "B": lambda x: f"{x:.5g}",
    "alpha": lambda x: f"{x:.4f}",
    "beta": lambda x: f"{x:.4f}",
    "frontier_exponent": lambda x: f"{x:.4f}",
    "objective": lambda x: f"{x:.6g}",
    "residual_rmse_log": lambda x: f"{x:.4g}",
    "residual_max_log": lambda x: f"{x:.4g}",
    "measured": format_number,
    "limit": format_number,
    "unique_tokens": format_count,
    "epochs": format_number,
    "effective_tokens": format_count,
    "effective_params": format_count,
    "unlimited_data_loss_nats": lambda x: f"{x:.4f}",
    "data_penalty_nats": lambda x: f"{x:+.4f}",
    "training_flops": format_scientific,
    "inference_flops": format_scientific,
    "lifetime_flops": format_scientific,
    "lifetime_cost_usd": format_usd,
    "flops_saved_pct": lambda x: f"{x:+.1f}%",
    "inference_aware_n_params": format_count,
}


#: Columns of names never wrap; columns of text are left-aligned, numbers right-aligned.
NAME_KEYS = frozenset({"method", "law", "gpu", "name", "config", "rule", "status", "model"})
TEXT_KEYS = NAME_KEYS | {"formula", "source", "message"}


def _field(key: str) -> str:
    """The quantity a key holds: 'epoch-2024.n_params' (a column group's field) holds n_params."""
    return key.rsplit(".", 1)[-1]


def label(key: str) -> str:
    group, _, field = key.rpartition(".")
    text = LABELS.get(field, field)
    return f"{group}: {text}" if group else text


def humanise(key: str, value: Any) -> str:
    if value is None:
        return "-"
    return FORMATS.get(_field(key), str)(value)


def _console(out: IO[str]) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1 itself; the CLI gives a closed pipe its own exit code

    console = _Console(file=out)
    if not console.is_terminal:
        # A pipe or file gets plain text (rich drops colour itself, and NO_COLOR is honoured) and room for wide tables:
        # a table takes only the width it needs, so wide sweeps are never squeezed into a terminal's width.
        console.width = 400
    return console


def _print_table(title: str, table: Any, notes: Sequence[str], out: IO[str]) -> None:
    """A bold title, the table, and its notes (formulas, sources) as plain unwrapped lines."""
    console = _console(out)
    console.print(title, style="bold", highlight=False, markup=False)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, markup=False, soft_wrap=True)


def print_key_values(title: str, record: Record, keys: Sequence[str], notes: Sequence[str], out: IO[str]) -> None:
    """One record as a two-column table, with notes (formulas, sources) beneath."""
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key in keys:
        if record.get(key) is not None:
            table.add_row(label(key), humanise(key, record[key]))
    _print_table(title, table, notes, out)


def print_rows(
    title: str,
    records: Sequence[Record],
    keys: Sequence[str],
    notes: Sequence[str],
    out: IO[str],
    labels: dict[str, str] | None = None,
) -> None:
    """Records as rows of one table, with notes beneath; `labels` names columns LABELS does not."""
    from rich.table import Table

    table = Table()
    shown = [key for key in keys if any(record.get(key) is not None for record in records)]
    for key in shown:
        text = key in TEXT_KEYS
        heading = (labels or {}).get(key) or label(key)
        table.add_column(heading, justify="left" if text else "right", no_wrap=key in NAME_KEYS)
    for record in records:
        table.add_row(*(humanise(key, record.get(key)) for key in shown))
    _print_table(title, table, notes, out)


# --- the budget command -------------------------------------------------------------------------------------------

PLAN_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "gpu", "mfu", "gpus", "gpu_hours", "wall_clock_days", "price_usd_per_gpu_hour", "cost_usd",
)  # fmt: skip
COMPARE_KEYS = (
    "method", "law", "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip


def _title(plan: Plan) -> str:
    kind, value = plan.request.given, plan.request.given_value
    return {
        "flops": f"Plan for {format_scientific(value)} FLOPs",
        "dollars": f"Plan for {format_usd(value)}",
        "gpu_hours": f"Plan for {format_count(value)} GPU-hours",
        "days": f"Plan for {format_number(value)} days",
        "params": f"Compute that makes a {format_count(value)}-parameter model optimal",
        "tokens": f"Compute that makes {format_count(value)} training tokens optimal",
        "loss": f"Least compute that reaches loss {value:g} nats/token",
    }[kind]


def plan_notes(plan: Plan) -> list[str]:
    """The formulas and sources behind a plan's numbers, printed under its table."""
    request = plan.request
    law, hardware = request.law, request.hardware
    notes = [
        f"Allocation: {request.allocator.description}.",
        f"Loss: {law.name}, {law.formula} ({law.source}); nats/token on {law.dataset}.",
        "Compute: C = 6·N·D training FLOPs (forward 2·N·D + backward 4·N·D).",
    ]
    if law.n_params_kind != "total":
        notes.append(f"N counts {law.n_params_kind} parameters under {law.name}.")
    if plan.intervals is not None:
        samples = len(getattr(law, "samples", ()))
        tail = 100 * (1 - plan.intervals.level) / 2
        notes.append(
            f"Intervals: {plan.intervals.level:.0%} of {law.name}'s {samples} bootstrap refits"
            f" ({tail:g}th to {100 - tail:g}th percentile)."
        )
    if hardware is not None:
        notes.append(hardware.formula + ".")
        if hardware.n_gpus is not None:
            notes.append(f"Wall-clock days = GPU-hours / ({hardware.n_gpus:,} GPUs x 24 h).")
        if hardware.price_usd_per_gpu_hour is not None:
            notes.append(f"Cost = GPU-hours x ${hardware.price_usd_per_gpu_hour:,.2f} per GPU-hour.")
    return notes


#: Under a unique-token cap, shown after the loss.
DATA_KEYS = (
    "unique_tokens",
    "epochs",
    "effective_tokens",
    "effective_params",
    "unlimited_data_loss_nats",
    "data_penalty_nats",
)
INFERENCE_KEYS = (
    "model", "n_params", "n_tokens", "tokens_per_param", "loss_nats",
    "training_flops", "inference_flops", "lifetime_flops", "lifetime_cost_usd",
)  # fmt: skip


def print_inference(inference: InferencePlan, out: IO[str]) -> None:
    """The plan's model and the inference-aware model side by side, with the saving."""
    rows = []
    for name, model, cost in (
        ("compute-optimal (the plan)", inference.reference, inference.reference_cost_usd),
        ("inference-aware", inference.chosen, inference.chosen_cost_usd),
    ):
        rows.append(
            {
                "model": name, "n_params": model.n_params, "n_tokens": model.n_tokens,
                "tokens_per_param": model.tokens_per_param, "loss_nats": model.loss_nats,
                "training_flops": model.training_flops, "inference_flops": model.inference_flops,
                "lifetime_flops": model.lifetime_flops, "lifetime_cost_usd": cost,
            }
        )  # fmt: skip
    objective = "lifetime cost" if inference.request.objective == "cost" else "lifetime FLOPs"
    notes = [
        f"Saved: {format_scientific(inference.flops_saved)} FLOPs ({inference.flops_saved_pct:.1f}% of lifetime FLOPs)"
        + (
            ""
            if inference.cost_saved_usd is None
            else f", {_signed('cost_usd', inference.cost_saved_usd).lstrip('+')} ({inference.cost_saved_pct:.1f}% of lifetime cost)"
        )
        + ".",
        f"Objective: least {objective} at the plan's loss; training 6·N·D, inference 2·N·D_inf FLOPs"
        " (Sardana et al. 2024, sec. 2).",
    ]
    title = (
        f"Serving {format_count(inference.request.tokens)} inference tokens: the same loss for the least {objective}"
    )
    print_rows(title, rows, INFERENCE_KEYS, notes, out)


#: The intended run beside the optimal run at the same compute.
GAP_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "optimal_n_params", "optimal_n_tokens", "optimal_loss_nats", "loss_gap_nats", "loss_gap_pct",
    "same_loss_compute_flops", "compute_overhead_pct", "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip


def gap_notes(law: Law) -> list[str]:
    return [
        f"Gap: against {law.name}'s own compute-optimal run at the run's compute C = 6·N·D.",
        "Compute overhead = run compute / least compute at which that optimum reaches the same loss - 1.",
    ]


PREDICTION_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats", *DATA_KEYS,
    "optimal_n_params", "optimal_n_tokens", "optimal_loss_nats", "loss_gap_nats", "loss_gap_pct",
    "same_loss_compute_flops", "compute_overhead_pct", "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip


def emit_prediction(gap: Gap, law: Law, output_format: str, out: IO[str]) -> None:
    """`predict`: one run's loss under a named law, and its gap to the law's optimum at the same compute."""
    record: Record = {
        "schema_version": SCHEMA_VERSION,
        "law": law.name,
        "law_source": law.source,
        "n_params_kind": law.n_params_kind,
        "loss_dataset": law.dataset,
    } | gap_record(gap)
    if output_format == "json":
        write_json(record, out)
    elif output_format == "csv":
        write_csv([record], out)
    else:
        title = f"Predicted loss of {format_count(gap.n_params)} parameters on {format_count(gap.n_tokens)} tokens"
        notes = [f"Loss: {law.name}, {law.formula} ({law.source}); nats/token on {law.dataset}.", *gap_notes(law)]
        print_key_values(title, record, PREDICTION_KEYS, notes, out)


#: A blueprint's table, in reading order: shape, counts, FLOPs per token, the run, memory, hyperparameters.
BLUEPRINT_KEYS = (
    "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "ffn", "vocab_size", "seq_len",
    "tied_embeddings", "experts", "active_experts", "shared_experts",
    "params_total", "params_active", "params_embedding", "params_non_embedding", "params_vs_target_pct",
    "flops_per_token_6n", "flops_per_token_kaplan", "flops_per_token_deepseek", "flops_per_token_full",
    "full_to_6n_ratio", "training_flops_full", "gpu_hours_full", "wall_clock_days_full", "cost_usd_full",
    "sharding", "recompute", "micro_batch_sequences", "memory_gpus", "weights_gib_per_gpu", "gradients_gib_per_gpu",
    "optimizer_gib_per_gpu", "activations_gib_per_gpu", "activations_gib_no_recompute",
    "activations_gib_full_recompute", "memory_gib_per_gpu", "gpu_memory_gib", "memory_dominant", "min_gpus",
    "lr_peak", "batch_sequences", "batch_tokens", "train_steps",
)  # fmt: skip
_MOE_KEYS = ("experts", "active_experts", "shared_experts", "params_active")
#: How memory is counted: shown only when there is a GPU to count it on.
_MEMORY_SETTINGS = ("sharding", "recompute", "micro_batch_sequences")


def blueprint_notes(blueprint: Blueprint) -> list[str]:
    """How each number of a blueprint is counted, with sources."""
    shape = blueprint.shape
    attention = "halved for causal masking" if blueprint.counts.causal_attention else "not halved for causal masking"
    notes = [
        f"Shape: {shape.style} blocks ("
        + ("RMSNorm, no biases, rotary positions" if shape.style == "llama" else "LayerNorm, biases, learned positions")
        + ("" if blueprint.request.explicit else "; d_model/layers near 128, widths multiples of 128")
        + ").",
        "FLOPs/token (training): 6N on all parameters used per token; Kaplan et al. 2020 6N + 6·L·ctx·d_attn"
        " (N non-embedding); DeepSeek LLM 2024 M = 6 x block matmul weights + 12·L·d_attn·seq (their"
        " 72·L·d² + 12·L·d·seq); full = Hoffmann et al. 2022 appendix F, every matmul, softmax, embeddings and"
        f" logits, backward 2 x forward, attention scores {attention}.",
    ]
    if blueprint.gpu_hours_full is not None:
        notes.append("Training time and cost use the full count x training tokens.")
    if blueprint.memory is not None:
        notes.append(
            "Memory: mixed-precision Adam, 2 + 2 + 12 bytes/parameter (BF16 weights and gradients; FP32 master"
            " weights, momentum and variance; Rajbhandari et al. 2020), sharded over the GPUs by ZeRO stage;"
            " activations per Korthikanti et al. 2022 for one micro-batch; data parallelism only."
        )
    notes.append(
        "Learning rate and batch: DeepSeek LLM 2024 eq. 1, eta = 0.3118·C^-0.125, B = 0.2920·C^0.3271 tokens,"
        " at C = M·D, batch rounded to whole sequences."
    )
    return notes


def print_blueprint(record: Record, blueprint: Blueprint, out: IO[str], context: str = "sized to the plan") -> None:
    shown = dict(record)
    hidden = (_MOE_KEYS if not blueprint.shape.experts else ()) + (_MEMORY_SETTINGS if blueprint.memory is None else ())
    for key in hidden:
        shown[key] = None
    shape = blueprint.shape
    kind = "your shape" if blueprint.request.explicit else context
    title = f"Blueprint: {shape.n_layers} layers x d_model {shape.d_model:,} ({kind})"
    print_key_values(title, shown, BLUEPRINT_KEYS, blueprint_notes(blueprint), out)


def shape_record(blueprint: Blueprint, hardware: Hardware | None) -> Record:
    """`shape`'s record: the size asked for, the training tokens and hardware, then the blueprint's fields."""
    return {
        "schema_version": SCHEMA_VERSION,
        "target_n_params": blueprint.target_params,
        "n_tokens": blueprint.n_tokens,
        "gpu": hardware.gpu.name if hardware else None,
        "mfu": hardware.mfu if hardware else None,
        "gpus": hardware.n_gpus if hardware else None,
        "price_usd_per_gpu_hour": hardware.price_usd_per_gpu_hour if hardware else None,
    } | blueprint_fields(blueprint)


def emit_shape(blueprint: Blueprint, hardware: Hardware | None, output_format: str, out: IO[str]) -> None:
    record = shape_record(blueprint, hardware)
    if output_format == "json":
        write_json(record, out)
    elif output_format == "csv":
        write_csv([record], out)
    else:
        print_blueprint(record, blueprint, out, f"on {format_count(blueprint.n_tokens)} tokens")


def emit_budget(plan: Plan, compared: Sequence[Plan] | None, output_format: str, out: IO[str]) -> None:
    record = plan_record(plan)
    compare_records = [plan_record(other, "compare") for other in compared or ()]
    if output_format == "json":
        payload: Record = dict(record)
        if compared is not None:
            payload["compare_laws"] = compare_records
        write_json(payload, out)
    elif output_format == "csv":
        write_csv([record, *compare_records], out)
    else:
        shown = dict(record)
        keys = list(PLAN_KEYS)
        if plan.intervals is not None:
            for key in ("n_params", "n_tokens", "loss_nats"):
                interval_key = f"{key}_interval"
                shown[interval_key] = f"{humanise(key, record[key + '_low'])} - {humanise(key, record[key + '_high'])}"
                keys.insert(keys.index(key) + 1, interval_key)
        if plan.data is not None:
            keys[keys.index("loss_nats") + 1 : keys.index("loss_nats") + 1] = DATA_KEYS
        print_key_values(_title(plan), shown, keys, plan_notes(plan), out)
        if plan.inference is not None:
            print_inference(plan.inference, out)
        if plan.blueprint is not None:
            print_blueprint(record, plan.blueprint, out)
        if plan.run is not None:
            title = "Intended run against compute-optimal at the same compute"
            print_key_values(title, gap_record(plan.run), GAP_KEYS, gap_notes(plan.request.law), out)
        if compared is not None:
            notes = ["Each optimum row predicts loss with its own law; the rule row with the plan's law."]
            print_rows("The same question under each allocation", compare_records, COMPARE_KEYS, notes, out)


# --- sweeps -------------------------------------------------------------------------------------------------------

#: Per law compared in a sweep, this group of columns, named "<law>.<field>".
SWEEP_GROUP_KEYS = ("n_params", "n_tokens", "tokens_per_param", "loss_nats")
SWEEP_KEYS = (
    "given_value", "compute_flops", "n_params", "n_tokens", "tokens_per_param", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip
#: With --blueprint, each row's shape and what it needs.
SWEEP_BLUEPRINT_KEYS = (
    "n_layers", "d_model", "full_to_6n_ratio", "wall_clock_days_full", "memory_gib_per_gpu", "min_gpus", "lr_peak",
    "batch_tokens",
)  # fmt: skip
#: Sweep tables are wide: short headings keep them readable in a terminal.
_SWEEP_LABELS = {
    "compute_flops": "FLOPs", "n_params": "N", "n_tokens": "D", "tokens_per_param": "D/N", "loss_nats": "Loss",
    "gpu_hours": "GPU-hours", "wall_clock_days": "Days", "cost_usd": "Cost", "n_layers": "Layers",
    "d_model": "d_model", "full_to_6n_ratio": "Full/6N", "wall_clock_days_full": "Days (full)",
    "memory_gib_per_gpu": "GiB/GPU", "min_gpus": "Min GPUs", "lr_peak": "LR", "batch_tokens": "Batch",
}  # fmt: skip
_BUDGET_COLUMNS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "dollars": ("Budget", format_usd),
    "gpu_hours": ("Budget GPU-hours", format_count),
    "days": ("Budget days", format_number),
}


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


def emit_sweep(sweep: Sweep, compared: Sequence[Sweep], output_format: str, out: IO[str]) -> None:
    records = sweep_records(sweep, compared)
    if output_format == "json":
        write_json_records({"schema_version": SCHEMA_VERSION}, "plans", records, out)
    elif output_format == "jsonl":
        write_jsonl(records, out)
    elif output_format == "csv":
        write_csv(records, out)
    else:
        kind = sweep.request.given
        keys = [key for key in SWEEP_KEYS if key != "given_value" or kind in _BUDGET_COLUMNS]
        keys += [f"{other.request.law.name}.{field}" for other in compared for field in SWEEP_GROUP_KEYS]
        if sweep.request.blueprint is not None:
            keys += SWEEP_BLUEPRINT_KEYS
        rows = list(records)
        labels = dict(_SWEEP_LABELS)
        labels.update({key: f"{key.rpartition('.')[0]} {_SWEEP_LABELS[_field(key)]}" for key in keys if "." in key})
        if kind in _BUDGET_COLUMNS:
            labels["given_value"], formatter = _BUDGET_COLUMNS[kind]
            for row in rows:
                row["given_value"] = formatter(row["given_value"])
        notes = plan_notes(sweep.plan(0))
        if compared:
            notes.append(
                "Each '<law> ...' column group is that law's own optimum, with its loss predicted by that law."
            )
        first = sweep.plan(0).blueprint
        if first is not None:
            notes += blueprint_notes(first)
        title = f"Sweep of {len(sweep)} budgets, {_title(sweep.plan(0)).removeprefix('Plan for ')} to " + _title(
            sweep.plan(len(sweep) - 1)
        ).removeprefix("Plan for ")
        print_rows(title, rows, keys, notes, out, labels)


# --- compare: configs side by side ----------------------------------------------------------------------------------

#: The rows of `compare`, each with its delta against the baseline column.
COMPARED_KEYS = (
    "budget_flops", "compute_flops", "n_params", "n_tokens", "tokens_per_param", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd", "loss_gap_nats", "loss_gap_pct", "compute_overhead_pct",
    "unique_tokens", "epochs", "data_penalty_nats", "lifetime_flops", "inference_aware_n_params", "flops_saved_pct",
    "n_layers", "d_model", "params_total", "flops_per_token_full", "wall_clock_days_full", "memory_gib_per_gpu",
    "min_gpus", "lr_peak", "batch_tokens",
)  # fmt: skip
#: Compared from the plan, not the run: what serving the planned model costs over its life, and its blueprint.
_PLAN_COMPARED_KEYS = frozenset(
    {
        "lifetime_flops", "inference_aware_n_params", "flops_saved_pct", "n_layers", "d_model", "params_total",
        "flops_per_token_full", "wall_clock_days_full", "memory_gib_per_gpu", "min_gpus", "lr_peak", "batch_tokens",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One config in `compare` or `check`: where it came from and its plan."""

    label: str  # the file, or ref:file for a version from git
    name: str | None
    plan: Plan


def _compared_values(entry: Entry) -> Record:
    from .plan import assessed

    run = gap_record(assessed(entry.plan))
    planned = _inference_fields(entry.plan.inference) | blueprint_fields(entry.plan.blueprint)
    values = {key: (planned if key in _PLAN_COMPARED_KEYS else run).get(key) for key in COMPARED_KEYS}
    return values | {"budget_flops": entry.plan.compute_flops}


def compare_records(entries: Sequence[Entry], baselines: Sequence[int]) -> list[Record]:
    """A record per config: what it stands for (its intended run, else its plan) and deltas against its baseline."""
    values = [_compared_values(entry) for entry in entries]
    records = []
    for entry, own, base_index in zip(entries, values, baselines, strict=True):
        base = values[base_index]
        plan = entry.plan
        record: Record = {
            "schema_version": SCHEMA_VERSION,
            "config": entry.label,
            "name": entry.name,
            "baseline": entries[base_index].label,
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
        records.append(record)
    return records


#: Quantities that are already differences from optimal: their deltas are given absolute only (a % of a gap near
#: zero says nothing).
_GAP_KEYS = frozenset({"loss_gap_nats", "loss_gap_pct", "compute_overhead_pct", "data_penalty_nats", "flops_saved_pct"})


def _signed(key: str, value: float) -> str:
    """A delta with its sign in front of any unit: +210B, -$147K, +1.08%."""
    return ("-" if value < 0 else "+") + humanise(key, abs(value)).lstrip("+")


def _compare_grid(records: Sequence[Record]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for the people-facing compare: a row per quantity, a column per config."""
    headers = ["", *(record["config"] for record in records)]
    rows = [
        ["Compared", *(record["subject"] for record in records)],
        ["Allocation / law", *(f"{record['method']} / {record['law']}" for record in records)],
    ]
    for key in COMPARED_KEYS:
        if all(record[key] is None for record in records):
            continue
        cells = [label(key)]
        for record in records:
            cell = humanise(key, record[key])
            delta, pct = record[f"delta_{key}"], record[f"delta_{key}_pct"]
            if record["baseline"] != record["config"] and delta is not None:
                change = "same" if delta == 0 else _signed(key, delta) + ("" if pct is None else f", {pct:+.1f}%")
                cell += f" ({change})"
            cells.append(cell)
        rows.append(cells)
    return headers, rows


def emit_compare(records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    if output_format == "json":
        write_json({"schema_version": SCHEMA_VERSION, "configs": list(records)}, out)
    elif output_format == "csv":
        write_csv(records, out)
    else:
        headers, rows = _compare_grid(records)
        bases = sorted({record["baseline"] for record in records}, key=[r["config"] for r in records].index)
        title = "Configs compared; deltas (absolute, %) against " + ", ".join(bases)
        if output_format == "markdown":
            out.write(f"### scaling-plan compare\n\n{title}.\n\n")
            write_markdown(headers, rows, out)
            out.write("\n" + "".join(f"- {note}\n" for note in notes))
            return
        from rich.table import Table

        table = Table()
        for index, header in enumerate(headers):
            table.add_column(header, justify="left" if index == 0 else "right")
        for row in rows:
            table.add_row(*row)
        _print_table(title, table, notes, out)


# --- check: policy verdicts -----------------------------------------------------------------------------------------

CHECK_KEYS = ("config", "rule", "status", "measured", "limit", "message")


def verdict_record(entry: Entry, verdict: Verdict) -> Record:
    rule, limit, measured = verdict.limit.rule, verdict.limit.value, verdict.measured
    quantity = label(rule.quantity).lower()
    if verdict.passed:
        relation = "is within the maximum" if rule.is_max else "meets the minimum"
        message = f"{quantity} {humanise(rule.quantity, measured)} {relation} {format_number(limit)}"
    else:
        relation = "above the maximum" if rule.is_max else "below the minimum"
        message = f"{quantity} {humanise(rule.quantity, measured)} is {relation} {format_number(limit)} ({verdict.limit.where})"
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


def error_record(config: str, message: str) -> Record:
    """A config that could not be checked (bad input): it stays in the report, so every config is accounted for."""
    return {
        "schema_version": SCHEMA_VERSION,
        "config": config,
        "name": None,
        "rule": None,
        "quantity": None,
        "unit": None,
        "status": "error",
        "measured": None,
        "limit": None,
        "message": message,
    }


def emit_check(records: Sequence[Record], output_format: str, out: IO[str]) -> None:
    counts = {status: sum(record["status"] == status for record in records) for status in ("pass", "fail", "error")}
    summary = f"{counts['fail']} failed, {counts['pass']} passed" + (
        f", {counts['error']} could not be checked" if counts["error"] else ""
    )
    if output_format == "json":
        write_json({"schema_version": SCHEMA_VERSION, "summary": counts, "results": list(records)}, out)
    elif output_format == "csv":
        write_csv(records, out)
    elif output_format == "markdown":
        out.write(f"### scaling-plan check: {summary}\n\n")
        marks = {"pass": "pass", "fail": "**FAIL**", "error": "**ERROR**"}
        rows = [
            [record["config"], record["rule"] or "-", marks[record["status"]], humanise("measured", record["measured"]),
             humanise("limit", record["limit"]), record["message"]]
            for record in records
        ]  # fmt: skip
        text = frozenset(i for i, key in enumerate(CHECK_KEYS) if key in TEXT_KEYS)
        write_markdown([label(key) for key in CHECK_KEYS], rows, out, text)
    else:
        shown = [record | {"status": record["status"].upper()} for record in records]
        print_rows(f"Policy check: {summary}", shown, CHECK_KEYS, [], out)


# --- listings of presets ----------------------------------------------------------------------------------------

#: Constants a law may carry; a law without one has None there, so every row has the same fields.
LAW_CONSTANTS = (
    "E", "A", "B", "alpha", "beta",
    "alpha_n", "alpha_d", "n_c", "d_c", "frontier_n_coefficient", "frontier_n_exponent", "rd_star", "rn_star",
)  # fmt: skip


def law_record(law: Law) -> Record:
    n_params, n_tokens = law.optimum(1e24)
    record: Record = {"schema_version": SCHEMA_VERSION, "name": law.name}
    record.update({constant: getattr(law, constant, None) for constant in LAW_CONSTANTS})
    record.update(
        {
            "irreducible_loss_nats": law.irreducible_loss,
            "optimal_tokens_per_param_at_1e24_flops": n_tokens / n_params,
            "n_params_kind": law.n_params_kind,
            "loss_dataset": law.dataset,
            "formula": law.formula,
            "source": law.source,
        }
    )
    return record


def gpu_record(gpu: Gpu) -> Record:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": gpu.name,
        "peak_flops_per_second": gpu.peak_flops_per_second,
        "memory_gib": gpu.memory_bytes / 2**30,
        "source": gpu.source,
    }


def emit_listing(
    title: str, key: str, records: Sequence[Record], table_keys: Sequence[str], output_format: str, out: IO[str]
) -> None:
    """A list of presets: JSON nests the records under `key`; CSV gives a row each; the table shows table_keys."""
    if output_format == "json":
        write_json({"schema_version": SCHEMA_VERSION, key: list(records)}, out)
    elif output_format == "csv":
        write_csv(records, out)
    else:
        print_rows(title, records, table_keys, [], out)


# --- fit ----------------------------------------------------------------------------------------------------------

FIT_CONSTANTS = ("E", "A", "B", "alpha", "beta", "frontier_exponent")


def _range(values: Any) -> list[float]:
    return [float(values.min()), float(values.max())]


def fit_record(selection: Selection, fit: Fit, bootstrap: Bootstrap | None, level: float) -> Record:
    """A fit's constants, objective and diagnostics, and bootstrap intervals when there are any."""
    runs, table = selection.runs, selection.table
    record: Record = {
        "schema_version": SCHEMA_VERSION,
        "runs_file": table.label,
        "n_runs": len(runs),
        "n_runs_dropped": selection.n_dropped,
        "tokens_from_compute": table.tokens_from_compute,
        "E": fit.E,
        "A": fit.A,
        "B": fit.B,
        "alpha": fit.alpha,
        "beta": fit.beta,
        "frontier_exponent": fit.frontier_exponent,
        "objective": fit.objective,
        "huber_delta": fit.huber_delta,
        "n_starts": fit.n_starts,
        "n_starts_at_best": fit.n_starts_at_best,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "residual_rmse_log": fit.residual_rmse,
        "residual_max_log": fit.residual_max,
    }
    for name, values in (
        ("n_params", runs.n_params),
        ("n_tokens", runs.n_tokens),
        ("compute_flops", runs.compute_flops),
    ):
        record[f"min_{name}"], record[f"max_{name}"] = _range(values)
    if bootstrap is not None:
        intervals, errors = bootstrap.intervals(level), bootstrap.standard_errors()
        record.update(
            {"bootstrap_resamples": bootstrap.resamples, "bootstrap_seed": bootstrap.seed,
             "bootstrap_converged": bootstrap.n_converged, "interval_level": level}
        )  # fmt: skip
        for name in FIT_CONSTANTS:
            record[f"{name}_low"], record[f"{name}_high"] = intervals[name]
            record[f"{name}_se"] = errors[name]
    return record


def law_file_data(
    selection: Selection, fit: Fit, bootstrap: Bootstrap | None, level: float, name: str, date: str
) -> Record:
    """The law file `fit --output` writes; `budget --law`, `sweep` and `compare` read it back (config.load_law_file)."""
    runs, table = selection.runs, selection.table
    data: Record = {
        "name": name,
        "source": f"scaling-plan fit of {table.label} (Hoffmann et al. 2022 appendix D.2 procedure)",
        "dataset": f"the data the runs in {table.label} were trained and evaluated on",
        "date": date,
        "E": fit.E,
        "A": fit.A,
        "B": fit.B,
        "alpha": fit.alpha,
        "beta": fit.beta,
        "fitted_range": {
            "compute_flops": _range(runs.compute_flops),
            "n_params": _range(runs.n_params),
            "n_tokens": _range(runs.n_tokens),
        },
        "procedure": {
            "method": "sum of Huber losses on log loss, log-sum-exp form, L-BFGS from the paper's grid",
            "runs_file": table.label,
            "runs": len(runs),
            "runs_dropped": selection.n_dropped,
            "tokens_from_compute": table.tokens_from_compute,
            "huber_delta": fit.huber_delta,
            "starts": fit.n_starts,
            "starts_at_best": fit.n_starts_at_best,
            "objective": fit.objective,
            "residual_rmse_log": fit.residual_rmse,
            "converged": fit.converged,
        },
    }
    if bootstrap is not None:
        data["bootstrap"] = {
            "resamples": bootstrap.resamples,
            "seed": bootstrap.seed,
            "converged": bootstrap.n_converged,
            "level": level,
            "intervals": {k: list(v) for k, v in bootstrap.intervals(level).items()},
            "standard_errors": bootstrap.standard_errors(),
            "samples": [[float(v) for v in row] for row in bootstrap.samples],
        }
    return data


def fit_notes(selection: Selection, fit: Fit) -> list[str]:
    table = selection.table
    notes = [
        f"Runs: {len(selection.runs)} from {table.label} ({selection.n_dropped} left out by the filters);"
        f" columns {', '.join(f'{role}={column!r}' for role, column in table.columns.items())}.",
        f"Fit: minimum of the sum of Huber losses (delta {fit.huber_delta:g}) on log loss over {fit.n_starts:,}"
        f" starts (Hoffmann et al. 2022, appendix D.2); {fit.n_starts_at_best:,} reached the best optimum.",
    ]
    if table.tokens_from_compute:
        notes.append("Tokens were not given: D = C / (6·N) from the compute column.")
    return notes


def emit_fit(record: Record, notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    if output_format == "json":
        write_json(record, out)
    elif output_format == "csv":
        write_csv([record], out)
    else:
        shown = dict(record)
        if "interval_level" in record:
            for name in FIT_CONSTANTS:
                shown[f"{name}_interval"] = f"{record[name + '_low']:.4g} - {record[name + '_high']:.4g}"
        keys = [key for name in FIT_CONSTANTS for key in (name, f"{name}_interval")]
        keys += ["objective", "n_starts_at_best", "converged", "residual_rmse_log", "residual_max_log", "n_runs"]
        keys += ["min_compute_flops", "max_compute_flops"]
        title = "Fitted law: L = E + A/N^alpha + B/D^beta"
        if "interval_level" in record:
            title += (
                f" ({record['interval_level']:.0%} intervals from {record['bootstrap_resamples']} bootstrap refits)"
            )
        print_key_values(title, shown, keys, notes, out)


# --- experiments --------------------------------------------------------------------------------------------------

EXPERIMENT_KEYS = ("run", "budget_flops", "n_params", "n_tokens", "tokens_per_param", "expected_optimal_n_params")


def experiment_records(experiments: Sequence[Experiment]) -> list[Record]:
    """One row per run to train; `loss_nats` is left empty for the trainer to fill in, and `fit` reads it back."""
    return [
        {
            "schema_version": SCHEMA_VERSION,
            "run": e.run,
            "budget_flops": e.budget_flops,
            "n_params": e.n_params,
            "n_tokens": e.n_tokens,
            "tokens_per_param": e.tokens_per_param,
            "expected_optimal_n_params": e.expected_optimal_n_params,
            "loss_nats": None,
        }
        for e in experiments
    ]


def emit_experiments(records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    if output_format == "json":
        write_json({"schema_version": SCHEMA_VERSION, "runs": list(records)}, out)
    elif output_format == "csv":
        write_csv(records, out)
    else:
        print_rows(f"IsoFLOP grid: {len(records)} runs to train", records, EXPERIMENT_KEYS, notes, out)
