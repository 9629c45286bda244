"""Plan fields: their flags and their place in a config file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..policy import RULES

if TYPE_CHECKING:
    pass


#: A blueprint's fields: the shape (counted as given when n_layers and d_model are), and how it is trained.
BLUEPRINT_FIELDS = (
    "n_layers", "d_model", "n_heads", "d_ff", "n_kv_heads", "vocab_size", "seq_len", "ffn", "tied_embeddings", "style",
    "experts", "active_experts", "shared_experts", "causal_attention", "sharding", "recompute", "micro_batch",
)  # fmt: skip


SHAPE_INTEGERS = ("n_layers", "d_model", "n_heads", "d_ff", "n_kv_heads", "vocab_size", "seq_len", "micro_batch")


EXPERT_INTEGERS = ("experts", "active_experts", "shared_experts")


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


#: Sections whose keys are prefixed to make their plan field (inference.tokens is the field inference_tokens).
FIELD_PREFIXES = {"inference": "inference_"}
