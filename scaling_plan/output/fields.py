"""The one table of output fields: each field's label and how a table humanises it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..units import format_count, format_number, format_scientific, format_usd

#: A blueprint's fields, by kind: text, whole numbers, flags, and the rest numbers (schemas.py types them).
BLUEPRINT_TEXT_KEYS = (
    "family", "ffn", "style", "sharding", "recompute", "layout_reason", "memory_dominant", "hyperparameters_source",
)  # fmt: skip


BLUEPRINT_INT_KEYS = (
    "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "vocab_size", "seq_len",
    "experts", "active_experts", "shared_experts", "expert_d_ff",
    "params_total", "params_active", "params_embedding", "params_non_embedding",
    "tp", "pp", "cp", "dp", "micro_batch_sequences", "gradient_accumulation_steps", "gpus_per_node",
    "layouts_searched", "layouts_fitting", "memory_gpus", "min_gpus", "batch_sequences_optimal", "batch_sequences",
    "batch_tokens", "train_steps",
)  # fmt: skip


BLUEPRINT_BOOL_KEYS = (
    "tied_embeddings", "causal_attention", "flash_attention", "dropout", "hyperparameters_extrapolated",
)  # fmt: skip


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
    "wall_clock_days_full", "cost_usd_full", "pipeline_bubble_pct", "lr_peak", "batch_tokens_optimal",
)  # fmt: skip


LABELS: dict[str, str] = {
    "compute_flops": "Compute (FLOPs)",
    "n_params": "Parameters N",
    "n_tokens": "Training tokens D",
    "tokens_per_param": "Tokens / parameter",
    "loss_nats": "Predicted loss (nats/token)",
    "loss_dataset": "Loss measured on",
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
    "predicts": "Predicts",
    "source": "Source",
    "optimal_tokens_per_param_at_1e24_flops": "Optimal tokens/param at 1e24",
    "peak_flops_per_second": "Peak dense BF16 FLOP/s",
    "peak_fp8_flops_per_second": "Peak dense FP8 FLOP/s",
    "precision": "Precision",
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
    "family": "Family",
    "expert_d_ff": "Expert FFN width",
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
    "gpus_per_node": "GPUs per node",
    "tp": "Tensor parallel (tp)",
    "pp": "Pipeline stages (pp)",
    "cp": "Context parallel (cp)",
    "dp": "Data parallel (dp)",
    "sharding": "ZeRO sharding (over dp x cp)",
    "recompute": "Activation recomputation",
    "flash_attention": "FlashAttention-style kernels",
    "dropout": "Dropout (masks kept)",
    "micro_batch_sequences": "Micro-batch (sequences)",
    "gradient_accumulation_steps": "Accumulation steps",
    "pipeline_bubble_pct": "Pipeline bubble (%)",
    "layouts_searched": "Layouts searched",
    "layouts_fitting": "Layouts that fit",
    "layout_reason": "Why this layout",
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
    "batch_sequences_optimal": "Batch from the law (sequences)",
    "batch_sequences": "Batch, launchable (sequences)",
    "batch_tokens": "Batch (tokens)",
    "train_steps": "Training steps",
    "memory_gib": "Memory (GiB)",
    **{
        f"{key}_interval": "  interval"
        for key in (
            "n_params",
            "n_tokens",
            "loss_nats",
            "E",
            "A",
            "B",
            "alpha",
            "beta",
            "frontier_exponent",
            "k_n",
            "a",
            "k_d",
            "b",
            "gamma",
        )
    },
    "k_n": "k_n in N_opt = k_n·C^a",
    "a": "a",
    "k_d": "k_d in D_opt = k_d·C^b",
    "b": "b",
    "gamma": "gamma in L_opt = E + A·C^-gamma",
    "n_sizes": "Sizes",
    "curvature": "Curvature",
    "left_out": "Left out because",
    "n_budgets": "Budgets found",
    "min_budget_flops": "Smallest budget used (FLOPs)",
    "max_budget_flops": "Largest budget used (FLOPs)",
    "n_budgets_used": "Budgets used",
    "residual_rmse_log_n": "RMSE of ln N_opt",
    "residual_rmse_loss": "RMSE of minimum loss",
    "unique_tokens": "Unique tokens U",
    "epochs": "Epochs over the unique data",
    "effective_tokens": "Effective tokens D'",
    "effective_params": "Effective parameters N'",
    "unlimited_data_loss_nats": "Loss of this N, D with unlimited data",
    "data_penalty_nats": "Loss penalty of the cap (nats/token)",
    "model": "Model",
    "training_flops": "Training FLOPs, full count",  # the count a plan's time and cost use (shown with a blueprint)
    "inference_flops": "Inference FLOPs",
    "lifetime_flops": "Lifetime FLOPs",
    "lifetime_cost_usd": "Lifetime cost (USD)",
    "flops_saved_pct": "Lifetime FLOPs saved (%)",
    "over_budget_pct": "Over the budget (%)",
    "inference_aware_n_params": "Inference-aware N",
    "inference_aware_n_tokens": "Inference-aware D",
    "cost_saved_pct": "Lifetime cost saved (%)",
    "energy_mwh": "Energy (MWh)",
    "power_watts": "Power (W)",
    "emissions_tco2e": "Emissions (tCO2e)",
    "goodput": "Goodput",
    "pue": "PUE",
    "metric": "Metric",
    "form": "Form",
    "epsilon": "epsilon in Err = epsilon - k·exp(-gamma·L)",
    "k": "k",
    "metric_gamma": "gamma",
    "l0": "L0, the loss at the midpoint",
    "scale": "s, the loss over which it rises",
    **{f"{key}_interval": "  interval" for key in ("epsilon", "k", "metric_gamma", "l0", "scale")},
    "chance": "Chance level",
    "floor": "Floor",
    "ceiling": "Ceiling",
    "n_at_chance": "Runs within the margin of chance",
    "residual_rmse": "RMSE of the metric",
    "min_loss_nats": "Lowest loss fitted (nats/token)",
    "max_loss_nats": "Highest loss fitted (nats/token)",
    "config": "Config",
    "rule": "Rule",
    "status": "Result",
    "measured": "Measured",
    "limit": "Limit",
    "message": "Why",
}


#: Durations the records hold in days. A table shows them in days, or in hours when every one of them in it is under
#: a day, and says which in the heading: one unit per column, and per table (in_hours).
DAY_KEYS = frozenset({"wall_clock_days", "wall_clock_days_full"})


def in_hours(values: Iterable[Any]) -> bool:
    """Whether a table's durations (in days) read best in hours: every one of them is under a day."""
    days = [value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return bool(days) and all(value < 1 for value in days)


def as_hours(heading: str) -> str:
    """A duration's heading for the same column in hours: 'Wall-clock days' -> 'Wall-clock hours', 'Days' -> 'Hours'."""
    return heading.replace("days", "hours").replace("Days", "Hours")


def in_unit(value: float, unit: str) -> str:
    """A quantity with its unit, for a column whose rows measure different things (check's Measured and Limit):
    $1.03M, 0.0635%, 16.8 days, 1.77e-5 nats/token."""
    if unit == "USD":
        return format_usd(value)
    if unit == "%":
        return f"{format_number(value)}%"
    return f"{format_number(value)} {unit}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "compute_flops": format_scientific,
    "n_params": format_count,
    "n_tokens": format_count,
    "tokens_per_param": format_number,
    "loss_nats": lambda x: f"{x:.4f}",
    "mfu": lambda x: f"{x:.2f}" if x >= 0.01 else f"{x:.2g}",  # 0.40, and 0.001 rather than 0.00
    "gpus": lambda x: f"{x:,}",
    "gpu_hours": format_count,
    "wall_clock_days": format_number,
    "cost_usd": format_usd,
    "price_usd_per_gpu_hour": lambda x: f"${x:,.2f}",
    "optimal_tokens_per_param_at_1e24_flops": format_number,
    "peak_flops_per_second": format_scientific,
    "peak_fp8_flops_per_second": format_scientific,
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
    "pipeline_bubble_pct": lambda x: f"{x:.1f}",
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
    "k_n": lambda x: f"{x:.4g}",
    "k_d": lambda x: f"{x:.4g}",
    "a": lambda x: f"{x:.4f}",
    "b": lambda x: f"{x:.4f}",
    "gamma": lambda x: f"{x:.4f}",
    "curvature": lambda x: f"{x:.4g}",
    "predicted_loss_nats": lambda x: f"{x:.4f}",
    "relative_error_pct": lambda x: f"{x:+.2f}",
    "mean_signed_error_pct": lambda x: f"{x:+.2f}",
    "mean_abs_error_pct": lambda x: f"{x:.2f}",
    "max_abs_error_pct": lambda x: f"{x:.2f}",
    "compute_ratio": format_number,
    "min_budget_flops": format_scientific,
    "max_budget_flops": format_scientific,
    "residual_rmse_log_n": lambda x: f"{x:.4g}",
    "residual_rmse_loss": lambda x: f"{x:.4g}",
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
    "over_budget_pct": lambda x: f"{x:+.1f}%",
    "inference_aware_n_params": format_count,
    "inference_aware_n_tokens": format_count,
    "cost_saved_pct": lambda x: f"{x:+.1f}%",
    "epsilon": lambda x: f"{x:.4f}",
    "k": lambda x: f"{x:.4g}",
    "metric_gamma": lambda x: f"{x:.4f}",
    "l0": lambda x: f"{x:.4f}",
    "scale": lambda x: f"{x:.4f}",
    "chance": lambda x: f"{x:.4g}",
    "floor": lambda x: f"{x:.4g}",
    "ceiling": lambda x: f"{x:.4g}",
    "residual_rmse": lambda x: f"{x:.4f}",
    "min_loss_nats": lambda x: f"{x:.4f}",
    "max_loss_nats": lambda x: f"{x:.4f}",
    "expected_relative_width": lambda x: f"{x:.3g}",
    "energy_mwh": format_count,
    "power_watts": lambda x: f"{x:,.0f}",
    "emissions_tco2e": format_count,
    "goodput": lambda x: f"{x:.2f}",
    "pue": lambda x: f"{x:.2f}",
    "mean_abs_error": lambda x: f"{x:.4f}",
    "mean_signed_error": lambda x: f"{x:+.4f}",
    "max_abs_error": lambda x: f"{x:.4f}",
}


#: Columns of names never wrap; columns of text are left-aligned, numbers right-aligned.
NAME_KEYS = frozenset({"method", "law", "gpu", "name", "config", "rule", "status", "model", "split"})


TEXT_KEYS = NAME_KEYS | {"formula", "source", "message", "loss_dataset", "left_out", "predicts", "metric", "form"}


def field_of(key: str) -> str:
    """The quantity a key holds: 'epoch-2024.n_params' (a column group's field) holds n_params."""
    return key.rsplit(".", 1)[-1]


#: A downstream metric's fields are named for it: downstream_<name>, and its _low, _high, _extrapolated and _clamped.
DOWNSTREAM_PREFIX = "downstream_"


def downstream_cell(record: Mapping[str, Any], key: str) -> str:
    """A predicted metric as a table shows it: marked (ceiling) or (floor) where it is held at the mapping's bound."""
    clamped = record.get(f"{key}_clamped")
    return humanise(key, record[key]) + ("" if clamped is None else f" ({clamped})")


def _downstream_label(field: str) -> str:
    name = field.removeprefix(DOWNSTREAM_PREFIX)
    for suffix, text in (("_interval", "  interval"), ("_extrapolated", "  extrapolated")):
        if name.endswith(suffix):
            return text
    return f"{name} (predicted)"


def label(key: str, hours: bool = False) -> str:
    """A field's heading; `hours`: a duration's, for a table that shows durations in hours (in_hours)."""
    group, _, field = key.rpartition(".")
    text = _downstream_label(field) if field.startswith(DOWNSTREAM_PREFIX) else LABELS.get(field, field)
    text = as_hours(text) if hours and field in DAY_KEYS else text
    return f"{group}: {text}" if group else text


def humanise(key: str, value: Any, hours: bool = False) -> str:
    """A value as a table shows it (text already made for a table stays as it is); `hours`: a duration in hours."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    field = field_of(key)
    if field.startswith(DOWNSTREAM_PREFIX):
        return ("yes" if value else "no") if isinstance(value, bool) else f"{value:.4f}"
    if hours and field in DAY_KEYS:
        return format_number(value * 24)
    return FORMATS.get(field, str)(value)


def signed(key: str, value: float, hours: bool = False) -> str:
    """A delta with its sign in front of any unit: +210B, -$147K, +1.08%."""
    return ("-" if value < 0 else "+") + humanise(key, abs(value), hours).lstrip("+")
