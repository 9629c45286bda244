"""The keywords of the Python API (api.py): a plan's fields under the config file's names, typed so that mypy and
editors check calls; inputs/fields.py is the table they follow, and a test holds them to it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypedDict

from .downstream import DownstreamMapping
from .laws import FrontierLaw, KaplanLaw, ParametricLaw

#: A number as the CLI takes it: 1e24, or text such as "70B", "1.4T" or, for money, "$2M".
Quantity = float | int | str
#: A law: a preset's name, a law file's path, or a law object (a preset from PRESETS, or what fit returns).
LawLike = str | os.PathLike[str] | ParametricLaw | KaplanLaw | FrontierLaw


class Options(TypedDict, total=False):
    """What every plan may add to its budget: hardware, allocation and law, data and inference, and a blueprint
    (the config file's sections; see `scaling-plan schema`)."""

    gpu: str | os.PathLike[str]
    precision: str
    peak_flops: Quantity
    gpu_memory_gib: Quantity
    mfu: Quantity
    gpus: Quantity
    price_per_gpu_hour: Quantity
    pue: Quantity
    grid_gco2_per_kwh: Quantity
    goodput: Quantity
    method: str
    tokens_per_param: Quantity
    law: LawLike
    unique_tokens: Quantity
    inference_tokens: Quantity
    inference_objective: str
    inference_mfu: Quantity
    inference_price_per_gpu_hour: Quantity
    blueprint: bool
    family: str
    n_layers: Quantity
    d_model: Quantity
    n_heads: Quantity
    d_ff: Quantity
    n_kv_heads: Quantity
    vocab_size: Quantity
    seq_len: Quantity
    ffn: str
    tied_embeddings: bool
    style: str
    experts: Quantity
    active_experts: Quantity
    shared_experts: Quantity
    expert_d_ff: Quantity
    causal_attention: bool
    sharding: str
    recompute: str
    micro_batch: Quantity
    tp: Quantity
    pp: Quantity
    cp: Quantity
    flash_attention: bool
    dropout: bool
    gpus_per_node: Quantity
    downstream: Sequence[str | os.PathLike[str] | DownstreamMapping]


class Fields(Options, total=False):
    """A plan's fields: one budget (flops, dollars, gpu_hours or days) or one inverse target (params, tokens or
    loss), and any Options."""

    flops: Quantity
    dollars: Quantity
    gpu_hours: Quantity
    days: Quantity
    params: Quantity
    tokens: Quantity
    loss: Quantity
