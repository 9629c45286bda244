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


class GpuFields(TypedDict, total=False):
    """The GPU, how many, how well they are used and what they cost (serve() takes these of the hardware)."""

    gpu: str | os.PathLike[str]
    peak_flops: Quantity
    gpu_memory_gib: Quantity
    mfu: Quantity
    gpus: Quantity
    price_per_gpu_hour: Quantity
    pue: Quantity


class ShapeFields(TypedDict, total=False):
    """A transformer's shape, by its dimensions or a family's conventions."""

    family: str
    n_layers: Quantity
    d_model: Quantity
    n_heads: Quantity
    d_ff: Quantity
    n_kv_heads: Quantity
    vocab_size: Quantity
    ffn: str
    tied_embeddings: bool
    style: str
    experts: Quantity
    active_experts: Quantity
    shared_experts: Quantity
    expert_d_ff: Quantity


class ServeFields(TypedDict, total=False):
    """How a model is served: precisions, requests, batch, load and memory bandwidth utilisation."""

    weights_precision: str
    kv_precision: str
    prompt_tokens: Quantity
    output_tokens: Quantity
    context: Quantity
    batch: Quantity
    tokens_per_second: Quantity
    mbu: Quantity


class Options(GpuFields, ShapeFields, ServeFields, total=False):
    """What every plan may add to its budget: hardware, allocation and law, data and inference, a blueprint and its
    serving (the config file's sections; see `scaling-plan schema`)."""

    precision: str
    grid_gco2_per_kwh: Quantity
    goodput: Quantity
    method: str
    tokens_per_param: Quantity
    law: LawLike
    granularity: Quantity
    unique_tokens: Quantity
    inference_tokens: Quantity
    inference_objective: str
    inference_mfu: Quantity
    inference_price_per_gpu_hour: Quantity
    blueprint: bool
    seq_len: Quantity
    causal_attention: bool
    sharding: str
    recompute: str
    grad_precision: str
    optimizer_states: str
    micro_batch: Quantity
    global_batch: Quantity
    interleave: Quantity
    step_seconds: Quantity
    calibrate: bool
    tp: Quantity
    pp: Quantity
    cp: Quantity
    ep: Quantity
    flash_attention: bool
    dropout: bool
    gpus_per_node: Quantity
    serve: bool
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
