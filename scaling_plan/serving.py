"""Serving a model: memory per GPU, prefill and decode times, throughput and the cost of a million tokens.

Pure domain. A replica is `gpus` GPUs holding one copy of the model split by tensor parallelism. Requests of
`prompt_tokens` in and `output_tokens` out are served with continuous batching: `batch` sequences decode together,
one token each per step, and each new request's prompt is prefilled on its own as it arrives.

    prefill (one prompt of P tokens) = max(FLOPs / (gpus x peak x MFU), weights read / (gpus x HBM x MBU)) + TP comm
    decode step (B sequences)        = max(bytes read / (HBM x MBU), FLOPs / (peak x MFU)) per GPU + TP comm
    bytes read per step per GPU      = the weights the step touches + B x the KV cache of a sequence at its mean length

Decoding reads every weight (for a mixture of experts, the experts B tokens are routed to) and every sequence's KV
cache once a step: at the batch sizes people serve it is bound by memory bandwidth, not FLOPs (Pope et al. 2022,
"Efficiently Scaling Transformer Inference", sec. 2). Prefill is compute-bound. No rate may exceed the roofline:
a step can never take less than its bytes over the GPU's full HBM bandwidth.

In steady state a replica spends, per request, its prefill and 1/B of O decode steps, so
    request_seconds (end to end) = B x prefill + O x step      (Little's law: B requests in flight)
    requests per second per replica = B / request_seconds
and a GPU-hour's price is split between input tokens (the prefill's time) and output tokens (the decode's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .architectures import Architecture, ArchitectureCount, count_architecture
from .budget import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_PROMPT_TOKENS,
    DEFAULT_PUE,
    GIB,
    SECONDS_PER_HOUR,
    Gpu,
)
from .errors import UsageError, named
from .parallel import ACTIVATION_BYTES  # serving computes in bf16 whatever its weights' format

#: Bytes a weight or cache element takes in each format. Quantised weights carry scales too (int4 with a bf16 scale
#: per group of 128 weights adds 1/64 of a byte per weight, under 3%), which these leave out.
PRECISION_BYTES = {"bf16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
#: The share of a GPU's memory a server takes for weights, cache and activations: vLLM's default
#: `gpu_memory_utilization` of 0.9 (vLLM engine arguments); the rest is the CUDA context, the kernels' workspace and
#: fragmentation.
MEMORY_UTILISATION = 0.9
#: Tensor parallelism within a node: the link bandwidths of budget.GPUS hold for up to 8 GPUs (HGX and DGX boards).
GPUS_PER_NODE = 8
#: The most sequences a replica batches: past this the search stops (a step then takes seconds for any real model).
MAX_BATCH = 100_000


@dataclass(frozen=True)
class ServeRequest:
    weights_precision: str = "bf16"
    kv_precision: str = "bf16"
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS
    output_tokens: int = DEFAULT_OUTPUT_TOKENS
    batch: int | None = None  # None: the largest batch that fits
    gpus: int | None = None  # per replica, tensor parallel; None: the fewest that hold the model
    mfu: float = DEFAULT_MFU  # of the matrix multiplies' peak, for prefill and compute-bound decode
    mbu: float = DEFAULT_MBU
    price_usd_per_gpu_hour: float | None = None
    pue: float = DEFAULT_PUE
    load_tokens_per_second: float | None = None  # output tokens per second to serve, for the GPUs it takes


@dataclass(frozen=True)
class Serving:
    """What serving a model takes and gives, per GPU unless named otherwise."""

    request: ServeRequest
    gpu: Gpu
    counts: ArchitectureCount
    gpus: int  # per replica: the request's, or the fewest that hold the model
    gpus_chosen: bool  # the fewest that hold the model, none having been asked for
    batch: int
    batch_max: int
    peak_flops_per_second: float  # the peak prefill and decode compute at (FP8 for fp8 weights where the GPU has it)
    weights_bytes_per_gpu: float
    kv_cache_bytes_per_token: float  # whole model, at the KV precision
    kv_cache_bytes_per_sequence: float  # at the full length, prompt + output
    kv_cache_bytes_per_gpu: float  # the batch's, at the full length
    activation_bytes_per_gpu: float
    usable_bytes_per_gpu: float
    prefill_seconds: float
    prefill_flops: float
    decode_seconds_per_step: float
    decode_memory_seconds: float
    decode_compute_seconds: float
    decode_comm_seconds: float
    decode_bytes_per_step_per_gpu: float
    decode_flops_per_step: float
    roofline_seconds_per_step: float  # the bytes over the full HBM bandwidth: no step is faster

    @property
    def memory_bytes_per_gpu(self) -> float:
        return self.weights_bytes_per_gpu + self.kv_cache_bytes_per_gpu + self.activation_bytes_per_gpu

    @property
    def decode_bound(self) -> str:
        return "memory" if self.decode_memory_seconds >= self.decode_compute_seconds else "compute"

    @property
    def decode_tokens_per_second(self) -> float:
        """Tokens a second each sequence receives while it decodes."""
        return 1.0 / self.decode_seconds_per_step

    @property
    def roofline_tokens_per_second(self) -> float:
        """The most tokens a second a sequence could receive at this batch: HBM bandwidth over bytes read a step."""
        return 1.0 / self.roofline_seconds_per_step

    @property
    def request_seconds(self) -> float:
        """A request from arrival to its last token, with B requests in flight (Little's law)."""
        return self.batch * self.prefill_seconds + self.request.output_tokens * self.decode_seconds_per_step

    @property
    def requests_per_second(self) -> float:
        """Per replica."""
        return self.batch / self.request_seconds

    @property
    def output_tokens_per_second(self) -> float:
        """Per replica, prefills included."""
        return self.requests_per_second * self.request.output_tokens

    @property
    def output_tokens_per_second_per_gpu(self) -> float:
        return self.output_tokens_per_second / self.gpus

    @property
    def input_tokens_per_second(self) -> float:
        return self.requests_per_second * self.request.prompt_tokens

    def usd_per_million(self, seconds_per_token: float) -> float | None:
        price = self.request.price_usd_per_gpu_hour
        return None if price is None else price * self.gpus * seconds_per_token * 1e6 / SECONDS_PER_HOUR

    @property
    def usd_per_million_input_tokens(self) -> float | None:
        """The replica's price over the time its prefills take."""
        return self.usd_per_million(self.prefill_seconds / self.request.prompt_tokens)

    @property
    def usd_per_million_output_tokens(self) -> float | None:
        """The replica's price over the time its decode steps take, shared by the batch."""
        return self.usd_per_million(self.decode_seconds_per_step / self.batch)

    @property
    def kwh_per_million_output_tokens(self) -> float | None:
        """At the GPUs' rated power (an upper bound) with the facility's overhead (PUE), as budget.py counts energy."""
        watts = self.gpu.power_watts
        if watts is None:
            return None
        seconds = self.decode_seconds_per_step / self.batch * 1e6
        return watts * self.gpus * seconds * self.request.pue / 3.6e6

    @property
    def replicas_for_load(self) -> int | None:
        load = self.request.load_tokens_per_second
        return None if load is None else max(1, math.ceil(load / self.output_tokens_per_second))

    @property
    def gpus_for_load(self) -> int | None:
        replicas = self.replicas_for_load
        return None if replicas is None else replicas * self.gpus


def _kv_bytes_per_token_per_gpu(arch: Architecture, gpus: int, element_bytes: float) -> float:
    """A token's keys and values on one GPU: the key/value heads split over the GPUs (a head never splits, so with
    more GPUs than heads each keeps one); a latent attention's compressed latent is shared by every head, so each GPU
    keeps all of it."""
    if arch.latent is not None:
        return arch.n_layers * (arch.latent.kv_rank + arch.latent.rope_dim) * element_bytes
    heads_per_gpu = math.ceil(arch.n_kv_heads / gpus)
    return arch.n_layers * 2 * heads_per_gpu * arch.head_dim * element_bytes


def _attention_flops_per_position(arch: Architecture) -> float:
    """Forward FLOPs one token spends on one earlier position over all layers: scores and the weighted values, 2 per
    multiply-add (a latent attention reads its latent and rotary key with absorbed projections: DeepSeek-V2,
    sec. 2.1.3)."""
    if arch.latent is not None:
        qk, v = arch.latent.kv_rank + arch.latent.rope_dim, arch.latent.kv_rank
    else:
        qk = v = arch.head_dim
    return 2.0 * arch.n_layers * arch.n_heads * (qk + v)


def _experts_touched(routed: int, active: int, tokens: float) -> float:
    """Expected distinct experts `tokens` tokens are routed to, each choosing `active` of `routed` uniformly."""
    idle_share: float = (1.0 - active / routed) ** tokens
    return routed * (1.0 - idle_share)


def _weights_read(arch: Architecture, counts: ArchitectureCount, tokens: float) -> float:
    """Parameters a forward pass over `tokens` tokens reads: all of them for a dense model; for a mixture of experts,
    every weight but the routed experts no token is sent to."""
    moe = arch.experts
    if moe is None or moe.routed == moe.active:
        return float(counts.params_total)
    expert = counts.params_total - counts.params_active  # the routed experts' weights no token uses, all layers
    per_expert = expert / (moe.routed - moe.active)
    idle = moe.routed - _experts_touched(moe.routed, moe.active, tokens)
    return counts.params_total - idle * per_expert


def _tp_comm_seconds(arch: Architecture, gpu: Gpu, gpus: int, tokens: float) -> float:
    """Two all-reduces of the hidden state per layer (after attention and after the FFN; Shoeybi et al. 2019,
    Megatron-LM, sec. 3), each a ring moving 2(g-1)/g of its bytes per GPU over the GPU-to-GPU link; latency is not
    counted. Zero on one GPU or without a link bandwidth."""
    link = gpu.link_bandwidth_bytes_per_second
    if gpus == 1 or link is None:
        return 0.0
    volume = 2 * arch.n_layers * tokens * arch.d_model * ACTIVATION_BYTES * 2 * (gpus - 1) / gpus
    return volume / link


def _activation_bytes(arch: Architecture, gpus: int, prompt_tokens: int) -> float:
    """One layer's live tensors while one prompt is prefilled (layers run one after another): the hidden state and
    the attention's queries, keys and values, and the FFN's inner activations, split over the GPUs."""
    d_q = arch.n_heads * arch.head_dim
    d_kv = 2 * arch.n_kv_heads * arch.head_dim
    d_ff = arch.experts.d_ff * arch.experts.active if arch.experts is not None else arch.d_ff
    inner = (2 if arch.gated_ffn else 1) * d_ff
    return prompt_tokens * (arch.d_model + (d_q + d_kv + inner) / gpus) * ACTIVATION_BYTES


def least_gpus(arch: Architecture, gpu: Gpu, request: ServeRequest) -> int | None:
    """The fewest GPUs per replica (a divisor of the heads, up to a node) whose memory holds the weights, one
    sequence's cache and the activations; None when no node does."""
    for gpus in range(1, GPUS_PER_NODE + 1):
        if arch.n_heads % gpus:
            continue
        trial = _sized(arch, gpu, request, gpus)
        if trial is not None and trial[1] >= 1:
            return gpus
    return None


def _sized(
    arch: Architecture, gpu: Gpu, request: ServeRequest, gpus: int
) -> tuple[ArchitectureCount, int, float] | None:
    """The counts, the largest batch that fits on `gpus` GPUs, and the bytes per GPU left for the cache; None when
    the weights and activations alone do not fit."""
    assert gpu.memory_bytes is not None
    counts = count_architecture(arch)
    weights = counts.params_total * PRECISION_BYTES[request.weights_precision] / gpus
    activations = _activation_bytes(arch, gpus, request.prompt_tokens)
    free = gpu.memory_bytes * MEMORY_UTILISATION - weights - activations
    if free <= 0:
        return None
    per_sequence = _kv_bytes_per_token_per_gpu(arch, gpus, PRECISION_BYTES[request.kv_precision]) * (
        request.prompt_tokens + request.output_tokens
    )
    return counts, min(MAX_BATCH, int(free // per_sequence)), free


def serve(arch: Architecture, gpu: Gpu, request: ServeRequest) -> Serving:
    """Memory, times, throughput and cost of serving `arch` on `request.gpus` GPUs of `gpu`; without a GPU count, on
    the count within a node (dividing the heads) whose replica gives the most output tokens a second per GPU: more
    GPUs free memory for a larger batch, which shares each step's weight reads."""
    if request.gpus is not None:
        return _serve_on(arch, gpu, request)
    best: Serving | None = None
    too_big: UsageError | None = None  # the batch asked for, refused on the most GPUs tried
    for gpus in range(1, GPUS_PER_NODE + 1):
        if arch.n_heads % gpus:
            continue
        try:
            served = _serve_on(arch, gpu, replace(request, gpus=gpus))
        except UsageError as error:
            too_big = error if error.field == "batch" else too_big
            continue
        if best is None or served.output_tokens_per_second_per_gpu > best.output_tokens_per_second_per_gpu:
            best = served
    if best is None:
        if too_big is not None:
            raise too_big
        raise UsageError(
            "gpus", f"no node of up to {GPUS_PER_NODE} x {gpu.name} holds the model and one sequence's KV cache at"
            f" {request.weights_precision}: shorten the request, or a smaller {named('weights_precision')}",
        )  # fmt: skip
    return replace(best, request=request, gpus_chosen=True)


def _serve_on(arch: Architecture, gpu: Gpu, request: ServeRequest) -> Serving:
    """Memory, times, throughput and cost of serving `arch` on `request.gpus` GPUs of `gpu`."""
    bandwidth = gpu.memory_bandwidth_bytes_per_second
    if bandwidth is None:
        raise UsageError("gpu", f"{gpu.name} has no memory bandwidth: serving needs one (a hardware file's"
                                  " memory_bandwidth_gb_per_second)")  # fmt: skip
    if gpu.memory_bytes is None:
        raise UsageError("gpu", f"{gpu.name} has no memory size: serving needs one ({named('gpu_memory_gib')})")
    gpus = request.gpus
    assert gpus is not None
    if arch.n_heads % gpus:
        divisors = ", ".join(str(g) for g in range(1, GPUS_PER_NODE + 1) if arch.n_heads % g == 0)
        raise UsageError("gpus", f"{gpus} GPUs do not split {arch.n_heads} attention heads evenly; try {divisors}")
    sized = _sized(arch, gpu, request, gpus)
    if sized is None or sized[1] < 1:
        fewest = least_gpus(arch, gpu, request)
        what = "its weights and activations" if sized is None else "its weights and one sequence's KV cache"
        hint = (
            f"give {named('gpus')} {fewest}"
            if fewest is not None
            else "no node of up to 8 holds it: shorten the request"
        )
        raise UsageError(
            "gpus",
            f"{what} do not fit in {gpus} x {gpu.name} ({MEMORY_UTILISATION:.0%} of"
            f" {gpu.memory_bytes / GIB:,.1f} GiB each at {request.weights_precision}); {hint}"
            + ("" if request.weights_precision != "bf16" else f" or a smaller {named('weights_precision')}"),
        )
    counts, batch_max, _ = sized
    if request.batch is not None and request.batch > batch_max:
        raise UsageError(
            "batch",
            f"{request.batch} sequences of {request.prompt_tokens + request.output_tokens:,} tokens do not fit in"
            f" {gpus} x {gpu.name}: at most {batch_max} do",
        )
    batch = batch_max if request.batch is None else request.batch
    peak = (gpu.peak("fp8") if request.weights_precision == "fp8" else None) or gpu.peak_flops_per_second
    weight_bytes = PRECISION_BYTES[request.weights_precision]
    kv_token_gpu = _kv_bytes_per_token_per_gpu(arch, gpus, PRECISION_BYTES[request.kv_precision])
    kv_token = _kv_bytes_per_token_per_gpu(arch, 1, PRECISION_BYTES[request.kv_precision])
    length = request.prompt_tokens + request.output_tokens
    attention = _attention_flops_per_position(arch)

    prompt = request.prompt_tokens
    prefill_flops = 2.0 * counts.params_active * prompt + attention * prompt * (prompt + 1) / 2  # causal
    prefill = max(
        prefill_flops / (gpus * peak * request.mfu),
        _weights_read(arch, counts, prompt) * weight_bytes / gpus / (bandwidth * request.mbu),
    ) + _tp_comm_seconds(arch, gpu, gpus, prompt)

    mean_context = prompt + (request.output_tokens + 1) / 2  # positions each decoded token attends to, on average
    step_bytes = _weights_read(arch, counts, batch) * weight_bytes / gpus + batch * mean_context * kv_token_gpu
    step_flops = batch * (2.0 * counts.params_active + attention * mean_context)
    memory_seconds = step_bytes / (bandwidth * request.mbu)
    compute_seconds = step_flops / (gpus * peak * request.mfu)
    comm = _tp_comm_seconds(arch, gpu, gpus, batch)
    return Serving(
        request=request, gpu=gpu, counts=counts, gpus=gpus, gpus_chosen=False, batch=batch, batch_max=batch_max, peak_flops_per_second=peak,
        weights_bytes_per_gpu=counts.params_total * weight_bytes / gpus,
        kv_cache_bytes_per_token=kv_token, kv_cache_bytes_per_sequence=kv_token * length,
        kv_cache_bytes_per_gpu=batch * length * kv_token_gpu,
        activation_bytes_per_gpu=_activation_bytes(arch, gpus, prompt),
        usable_bytes_per_gpu=gpu.memory_bytes * MEMORY_UTILISATION,
        prefill_seconds=prefill, prefill_flops=prefill_flops,
        decode_seconds_per_step=max(memory_seconds, compute_seconds) + comm,
        decode_memory_seconds=memory_seconds, decode_compute_seconds=compute_seconds, decode_comm_seconds=comm,
        decode_bytes_per_step_per_gpu=step_bytes, decode_flops_per_step=step_flops,
        roofline_seconds_per_step=step_bytes / bandwidth,
    )  # fmt: skip
