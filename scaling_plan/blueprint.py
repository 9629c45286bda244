"""A plan made concrete: a transformer shape, its exact parameter and FLOP counts, memory per GPU and the GPU count,
and a batch size and learning rate.

Pure domain, integers where counts are exact. Shapes are validated by `shape_problems`, which names fields, so the
caller can say which flag or config key is wrong.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from .allocate import TOKENS_PER_PARAM_DEFAULT
from .budget import Hardware
from .choices import FFN_KINDS, STYLES
from .errors import UsageError
from .units import format_count, format_scientific

#: FSDP's full sharding keeps the same per-GPU state as ZeRO-3.
SHARDING_ALIASES = {"fsdp": "zero-3"}
#: The training states each sharding divides over the GPUs (Rajbhandari et al. 2020, Fig. 1: P_os, P_os+g, P_os+g+p).
SHARDED_STATES: dict[str, tuple[str, ...]] = {
    "none": (),
    "zero-1": ("optimizer",),
    "zero-2": ("optimizer", "gradients"),
    "zero-3": ("optimizer", "gradients", "weights"),
}
SHARDINGS = tuple(SHARDED_STATES)

#: Vocabulary and context when none is given: Llama 3's 128,000-token vocabulary (Dubey et al. 2024, Table 3) and
#: the 4,096-token sequences DeepSeek LLM's scaling study used (DeepSeek-AI 2024, Table 3).
DEFAULT_VOCAB_SIZE = 128_000
DEFAULT_SEQ_LEN = 4096

#: Hardware-friendly sizes: d_model and d_ff multiples of 128 (tensor-core tiles), heads of 64 or 128 channels.
SIZE_MULTIPLE = 128
#: Depth/width rule: d_model / n_layers near 128, as in GPT-3 175B (12288/96; Brown et al. 2020, Table 2.1) and
#: Llama 3 8B and 405B (4096/32, 16384/126; Dubey et al. 2024, Table 3). Loss varies only a few percent over a wide
#: range of aspect ratios at fixed N (Kaplan et al. 2020, Fig. 5), so the rule picks a sensible shape, not an optimum.
ASPECT_RATIO = 128.0
#: Shapes are searched with d_model / n_layers within this factor of ASPECT_RATIO (64 to 256; Llama 3 70B has 102,
#: Gopher 205; Rae et al. 2021, Table 1).
ASPECT_SPAN = 2.0
#: Among shapes this close to the target size (relative), the one nearest the aspect ratio wins.
PARAMS_TOLERANCE = 0.02
#: A sized shape further than this from its target is no shape of that size: refused (the nearest one is named). Between
#: PARAMS_TOLERANCE and this, it is used with a warning.
PARAMS_REFUSAL = 0.10
#: Embeddings above this share of the parameters leave blocks too small to stand for the model planned: said.
EMBEDDING_SHARE_WARNING = 0.5
#: Heads of 128 channels from this width up (Llama 3, DeepSeek LLM), 64 below it (GPT-3's small models).
WIDE_HEAD_FROM_D_MODEL = 1024

#: Mixed-precision Adam: bytes per parameter (Rajbhandari et al. 2020, ZeRO, sec. 3.1: 2Ψ + 2Ψ + KΨ with K = 12).
WEIGHT_BYTES = 2  # BF16/FP16 weights used in forward and backward
GRADIENT_BYTES = 2  # BF16/FP16 gradients
OPTIMIZER_BYTES = 12  # FP32 master weights 4 + Adam momentum 4 + variance 4
GIB = 2**30

#: DeepSeek LLM's near-optimal hyperparameters (DeepSeek-AI 2024, eq. 1), with C = M·D in their convention:
#: eta_opt = 0.3118 · C^-0.1250, B_opt = 0.2920 · C^0.3271 tokens; fitted on budgets of about 1e17 to 2e19 FLOPs.
LR_COEFFICIENT, LR_EXPONENT = 0.3118, -0.1250
BATCH_COEFFICIENT, BATCH_EXPONENT = 0.2920, 0.3271
HYPER_FITTED_RANGE_FLOPS = (1e17, 2e19)
HYPER_SOURCE = "DeepSeek-AI 2024, DeepSeek LLM, eq. 1 (fitted on 1e17 to 2e19 FLOPs; C = M·D)"


@dataclass(frozen=True)
class Shape:
    """A decoder-only transformer. Mixture-of-experts when `experts` > 0: every FFN is an expert, and each token
    uses `active_experts` of the routed experts plus every shared expert, each an FFN of width `expert_d_ff` (d_ff
    unless given: narrower experts make a fine-grained MoE, as DeepSeekMoE and Qwen-MoE; a wider shared expert is
    that many shared experts of the routed width). The router is one d_model x experts matrix per layer, without
    bias; norms and biases follow the style."""

    n_layers: int
    d_model: int
    n_heads: int
    d_ff: int
    vocab_size: int = DEFAULT_VOCAB_SIZE
    seq_len: int = DEFAULT_SEQ_LEN
    ffn: str = "swiglu"
    tied_embeddings: bool = False
    n_kv_heads: int | None = None  # grouped-query attention; None is multi-head (as many as n_heads)
    style: str = "llama"
    experts: int = 0
    active_experts: int = 0
    shared_experts: int = 0
    expert_d_ff: int | None = None

    @property
    def ffn_width(self) -> int:
        """The width of each FFN: an expert's in a mixture of experts, else d_ff."""
        return self.expert_d_ff if self.experts and self.expert_d_ff is not None else self.d_ff

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def kv_heads(self) -> int:
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    @property
    def d_attn(self) -> int:
        return self.n_heads * self.head_dim

    @property
    def ffn_matrices(self) -> int:
        return 3 if self.ffn == "swiglu" else 2


def shape_problems(shape: Shape, sized: bool = True) -> list[tuple[str, str]]:
    """(field, message) for each way the shape cannot exist; empty when it can. An unsized shape (a template for
    `shape_for_params`) is checked for everything but its layers, width and heads."""
    problems = []
    for field in ("n_layers", "d_model", "n_heads", "d_ff", "vocab_size", "seq_len"):
        if getattr(shape, field) < 1:
            problems.append((field, f"must be at least 1, got {getattr(shape, field)}"))
    if shape.n_kv_heads is not None and shape.n_kv_heads < 1:
        problems.append(("n_kv_heads", f"must be at least 1, got {shape.n_kv_heads}"))
    if problems:
        return problems
    if sized and shape.d_model % shape.n_heads:
        problems.append(("n_heads", f"{shape.n_heads} heads do not divide d_model {shape.d_model}"))
    if sized and shape.n_kv_heads is not None and shape.n_heads % shape.n_kv_heads:
        problems.append(("n_kv_heads", f"{shape.n_kv_heads} key/value heads must divide {shape.n_heads} heads"))
    if shape.ffn not in FFN_KINDS:
        problems.append(("ffn", f"unknown FFN kind {shape.ffn!r}; choose one of {', '.join(FFN_KINDS)}"))
    if shape.style not in STYLES:
        problems.append(("style", f"unknown style {shape.style!r}; choose one of {', '.join(STYLES)}"))
    if shape.experts < 0 or shape.shared_experts < 0 or shape.active_experts < 0:
        problems.append(("experts", "expert counts must not be negative"))
    elif shape.experts and not 1 <= shape.active_experts <= shape.experts:
        problems.append(
            ("active_experts", f"must be between 1 and {shape.experts} experts, got {shape.active_experts}")
        )
    elif not shape.experts and (shape.active_experts or shape.shared_experts or shape.expert_d_ff is not None):
        field = (
            "active_experts" if shape.active_experts else "shared_experts" if shape.shared_experts else "expert_d_ff"
        )
        problems.append((field, "active or shared experts, and an expert width, need routed experts (experts)"))
    elif shape.expert_d_ff is not None and shape.expert_d_ff < 1:
        problems.append(("expert_d_ff", f"must be at least 1, got {shape.expert_d_ff}"))
    return problems


@dataclass(frozen=True)
class Counts:
    """Exact parameters, and training FLOPs per token under four conventions (forward + backward)."""

    params_total: int
    params_active: int  # used per token: routed experts counted k of E times
    params_embedding: int  # token embedding, the output matrix when untied, learned positions
    block_matmul_params_active: int  # weights of the matrix multiplies in the blocks, per token (no norms, biases)
    flops_per_token_6n: float
    flops_per_token_kaplan: float
    flops_per_token_deepseek: float
    flops_per_token_full: float
    full_terms: dict[str, float]  # Chinchilla appendix F, forward FLOPs per sequence, whole model
    causal_attention: bool

    @property
    def params_non_embedding(self) -> int:
        return self.params_total - self.params_embedding

    @property
    def full_to_6n_ratio(self) -> float:
        return self.flops_per_token_full / self.flops_per_token_6n


def _ffn_params(shape: Shape) -> tuple[int, int]:
    """Weights and biases of one FFN (one expert)."""
    weights = shape.ffn_matrices * shape.d_model * shape.ffn_width
    biases = (shape.ffn_matrices - 1) * shape.ffn_width + shape.d_model if shape.style == "gpt" else 0
    return weights, biases


def count(shape: Shape, causal_attention: bool = False) -> Counts:
    """Parameters and FLOPs per token of a valid shape.

    Conventions (training = forward + backward, per token):
      6N         6 x all parameters used per token (the planner's C = 6·N·D).
      kaplan     6·N + 6·n_layer·n_ctx·d_attn with N non-embedding (Kaplan et al. 2020, Table 1 and eq. 2.2).
      deepseek   M = 6 x block matmul weights + 12·n_layer·d_attn·l_seq (DeepSeek-AI 2024, sec. 3.2); for multi-head
                 attention and a 2-matrix FFN of 4·d_model this is their 72·n_layer·d_model² + 12·n_layer·d_model·l_seq.
      full       Hoffmann et al. 2022, appendix F: every matrix multiply, attention and softmax, embeddings and
                 logits; backward = 2 x forward. Causal attention optionally halves the attention-score terms.
    """
    d, L, V, S = shape.d_model, shape.n_layers, shape.vocab_size, shape.seq_len
    gpt = shape.style == "gpt"
    d_attn, d_kv = shape.d_attn, shape.kv_heads * shape.head_dim
    attn_weights = d * d_attn + 2 * d * d_kv + d_attn * d
    attn_biases = d_attn + 2 * d_kv + d if gpt else 0
    norm = 2 * d if gpt else d  # LayerNorm has a gain and a bias, RMSNorm a gain
    ffn_weights, ffn_biases = _ffn_params(shape)
    routed, active, shared = shape.experts, shape.active_experts, shape.shared_experts
    ffns_total = routed + shared if routed else 1
    ffns_active = active + shared if routed else 1
    router = d * routed
    block_fixed = attn_weights + attn_biases + 2 * norm + router
    ffn_each = ffn_weights + ffn_biases
    embedding = V * d + (0 if shape.tied_embeddings else V * d) + (S * d if gpt else 0)
    total = L * (block_fixed + ffns_total * ffn_each) + norm + embedding
    active_params = L * (block_fixed + ffns_active * ffn_each) + norm + embedding
    matmul_active = L * (attn_weights + router + ffns_active * ffn_weights)

    scores = 0.5 if causal_attention else 1.0
    h, k = shape.n_heads, shape.head_dim
    terms = {
        "embeddings": 2.0 * S * V * d,
        "attention_qkv": L * 2.0 * S * d * (h + 2 * shape.kv_heads) * k,
        "attention_logits": L * scores * 2.0 * S * S * (k * h),
        "attention_softmax": L * scores * 3.0 * h * S * S,
        "attention_values": L * scores * 2.0 * S * S * (k * h),
        "attention_output": L * 2.0 * S * (k * h) * d,
        "ffn": L * (2.0 * S * ffns_active * ffn_weights + 2.0 * S * router),
        "final_logits": 2.0 * S * d * V,
    }
    forward_per_sequence = sum(terms.values())
    non_embedding_active = active_params - embedding
    return Counts(
        params_total=total,
        params_active=active_params,
        params_embedding=embedding,
        block_matmul_params_active=matmul_active,
        flops_per_token_6n=6.0 * active_params,
        flops_per_token_kaplan=6.0 * non_embedding_active + 6.0 * L * S * d_attn,
        flops_per_token_deepseek=6.0 * matmul_active + 12.0 * L * d_attn * S,
        flops_per_token_full=3.0 * forward_per_sequence / S,
        full_terms=terms,
        causal_attention=causal_attention,
    )


# --- finding a shape near a size ------------------------------------------------------------------------------------


def default_d_ff(d_model: int, ffn: str) -> int:
    """4·d_model for a 2-matrix FFN; 8/3·d_model for SwiGLU, which keeps its three matrices at the parameters of
    the 2-matrix FFN (Shazeer 2020; Touvron et al. 2023), rounded to a multiple of 128."""
    if ffn == "swiglu":
        return max(SIZE_MULTIPLE, round(8 * d_model / 3 / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return 4 * d_model


def default_heads(d_model: int) -> int:
    head_dim = 128 if d_model >= WIDE_HEAD_FROM_D_MODEL else 64
    return max(1, d_model // head_dim)


def _sized(template: Shape, n_layers: int, d_model: int) -> Shape:
    return replace(
        template, n_layers=n_layers, d_model=d_model, n_heads=default_heads(d_model),
        d_ff=default_d_ff(d_model, template.ffn),
    )  # fmt: skip


#: Largest size a shape is searched for: the search spans layers ∝ N^(1/3) (1.2 s at this size, and minutes past
#: 1e18). 1,000T parameters is hundreds of times any model trained.
MAX_SHAPE_PARAMS = 1e15


def shape_for_params(target_params: float, template: Shape) -> Shape:
    """A shape whose active parameters are near `target_params`, with the template's vocabulary, sequence length,
    FFN kind, embeddings, key/value heads, style and experts.

    d_model and d_ff are multiples of 128 and heads have 64 or 128 channels. Among shapes within 2% of the target,
    the one whose d_model / n_layers is nearest 128, preferring ratios from 64 to 256; when none is that close, the
    nearest in size. (With grouped-query attention widths step by 128 x kv-heads, so a small model may need a ratio
    outside 64-256 to come within 2%.)
    """

    # Widths step by 128, or by 128 x the key/value heads so that the heads always group evenly.
    step = SIZE_MULTIPLE * (template.n_kv_heads or 1)

    def params(n_layers: int, d_model: int) -> int:
        return count(_sized(template, n_layers, d_model)).params_active

    # Width at the aspect ratio if only the blocks counted (about 12·L·d² parameters): where to look.
    guess_d = (target_params * ASPECT_RATIO / 12.0) ** (1.0 / 3.0)
    # Layers over twice the span, so that coarse width steps still find a shape of the right size.
    low_layers = max(1, math.floor(guess_d / ASPECT_RATIO / ASPECT_SPAN**2))
    high_layers = max(low_layers, math.ceil(guess_d / ASPECT_RATIO * ASPECT_SPAN**2))
    candidates: list[tuple[bool, float, float, int, int]] = []
    for n_layers in range(low_layers, high_layers + 1):
        # The widest step under the target, by bisection (parameters grow with d_model), and the next.
        low, high = 1, 1
        while params(n_layers, high * step) < target_params and high < 2**16:
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if params(n_layers, middle * step) < target_params:
                low = middle
            else:
                high = middle
        for units in {low, high}:
            d_model = units * step
            error = abs(math.log(params(n_layers, d_model) / target_params))
            aspect = abs(math.log(d_model / n_layers / ASPECT_RATIO))
            close = error <= math.log1p(PARAMS_TOLERANCE)
            in_span = aspect <= math.log(ASPECT_SPAN) + 1e-9
            candidates.append((not close, close and not in_span, aspect if close else error, n_layers, d_model))
    *_, n_layers, d_model = min(candidates)
    return _sized(template, n_layers, d_model)


# --- memory ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """Bytes per GPU for data-parallel training with mixed-precision Adam, on `n_gpus` GPUs.

    States: weights 2, gradients 2 and optimiser 12 bytes per parameter (all parameters, every expert), each
    divided over the GPUs as the sharding says (Rajbhandari et al. 2020, Fig. 1): ZeRO-1 the optimiser states,
    ZeRO-2 also the gradients, ZeRO-3 (FSDP) also the weights. Activations are per micro-batch and not sharded.
    Tensor and pipeline parallelism are not modelled.
    """

    sharding: str
    recompute: str
    micro_batch: int
    n_gpus: int
    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float
    activations_no_recompute_bytes: float
    activations_full_recompute_bytes: float
    capacity_bytes: float
    min_gpus: int

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes

    @property
    def dominant(self) -> str:
        parts = {
            "weights": self.weights_bytes,
            "gradients": self.gradients_bytes,
            "optimizer": self.optimizer_bytes,
            "activations": self.activations_bytes,
        }
        return max(parts, key=lambda name: parts[name])


def activation_bytes(shape: Shape, micro_batch: int, recompute: str) -> float:
    """Activation memory of one micro-batch on one GPU (no tensor or sequence parallelism), 16-bit activations.

    Korthikanti et al. 2022, sec. 4: per layer s·b·h·(34 + 5·a·s/h) bytes, of which 5·a·s²·b are the attention
    scores that selective recomputation drops; with full recomputation a layer keeps only its 2·s·b·h input, and
    one layer's activations exist at a time while it is recomputed. Plus 4·s·b·h·(1 + v/h) for the embedding,
    final norm and logits (sec. 4.3). The 34 is 11 for attention, 19 for a 4h 2-matrix MLP and 4 for the norms;
    here the MLP's part follows d_ff (3 + 4·d_ff/h; SwiGLU 3 + 6·d_ff/h), attention's follows the key/value heads
    (7 + 4·kv/heads), and an MoE layer holds the MLP activations of each expert a token uses.
    """
    s, b, h, a = shape.seq_len, micro_batch, shape.d_model, shape.n_heads
    ffns = shape.active_experts + shape.shared_experts if shape.experts else 1
    mlp = 3 + (6 if shape.ffn == "swiglu" else 4) * shape.ffn_width / h
    attention = 7 + 4 * shape.kv_heads / a
    linear = s * b * h * (attention + ffns * mlp + 4)
    scores = 5.0 * a * s * s * b
    full_layer = linear + scores
    per_layer = {"none": full_layer, "selective": linear, "full": 2.0 * s * b * h}[recompute]
    rebuilt = full_layer if recompute == "full" else 0.0
    return shape.n_layers * per_layer + rebuilt + 4.0 * s * b * h * (1 + shape.vocab_size / h)


def memory(
    shape: Shape, params_total: int, capacity_bytes: float, sharding: str, recompute: str, micro_batch: int,
    n_gpus: int | None,
) -> Memory:  # fmt: skip
    """Memory per GPU on n_gpus GPUs (the least that fit when None); min_gpus is 0 when no count fits."""
    states = {"weights": WEIGHT_BYTES, "gradients": GRADIENT_BYTES, "optimizer": OPTIMIZER_BYTES}
    sharded = SHARDED_STATES[sharding]
    activations = activation_bytes(shape, micro_batch, recompute)
    fixed = activations + sum(states[s] * params_total for s in states if s not in sharded)
    split = sum(states[s] * params_total for s in sharded)
    room = capacity_bytes - fixed
    if room <= 0:
        least = 0
    elif split == 0:
        least = 1
    else:
        least = max(1, math.ceil(split / room))
    gpus = n_gpus if n_gpus is not None else max(least, 1)
    per_gpu = {s: states[s] * params_total / (gpus if s in sharded else 1) for s in states}
    return Memory(
        sharding, recompute, micro_batch, gpus, per_gpu["weights"], per_gpu["gradients"], per_gpu["optimizer"],
        activations, activation_bytes(shape, micro_batch, "none"), activation_bytes(shape, micro_batch, "full"),
        capacity_bytes, least,
    )  # fmt: skip


# --- hyperparameters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyperparameters:
    compute_flops: float  # C = M·D, DeepSeek's convention
    lr_peak: float
    batch_tokens_optimal: float
    batch_sequences: int
    batch_tokens: int
    train_steps: int

    @property
    def extrapolated(self) -> bool:
        low, high = HYPER_FITTED_RANGE_FLOPS
        return not low <= self.compute_flops <= high


def hyperparameters(counts: Counts, seq_len: int, n_tokens: float) -> Hyperparameters:
    """DeepSeek LLM's eq. 1 at C = M·D, with the batch rounded to whole sequences."""
    compute = counts.flops_per_token_deepseek * n_tokens
    batch_optimal = BATCH_COEFFICIENT * compute**BATCH_EXPONENT
    sequences = max(1, round(batch_optimal / seq_len))
    return Hyperparameters(
        compute_flops=compute,
        lr_peak=LR_COEFFICIENT * compute**LR_EXPONENT,
        batch_tokens_optimal=batch_optimal,
        batch_sequences=sequences,
        batch_tokens=sequences * seq_len,
        train_steps=max(1, math.ceil(n_tokens / (sequences * seq_len))),
    )


# --- the blueprint --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlueprintRequest:
    """How to make a blueprint: a template shape (sized to the plan unless `explicit`), and how it is trained."""

    template: Shape
    explicit: bool = False  # the template is the user's own shape, counted as it is
    causal_attention: bool = False
    sharding: str = "zero-3"
    recompute: str = "full"  # without tensor parallelism, large models' activations only fit recomputed
    micro_batch: int = 1
    sharding_where: str = "--sharding"
    recompute_where: str = "--recompute"


@dataclass(frozen=True)
class Blueprint:
    request: BlueprintRequest
    target_params: float | None
    n_tokens: float
    shape: Shape
    counts: Counts
    memory: Memory | None  # with a GPU preset
    hyper: Hyperparameters
    training_flops_full: float
    gpu_hours_full: float | None
    wall_clock_days_full: float | None
    cost_usd_full: float | None

    @property
    def params_vs_target_pct(self) -> float | None:
        if self.target_params is None:
            return None
        return 100.0 * (self.counts.params_active / self.target_params - 1.0)


@functools.lru_cache(maxsize=4096)  # a pure function of its inputs, and each call is a few shape searches
def params_for_flops_per_token(flops_per_token: float, template: Shape | None = None) -> float:
    """The parameters of the default shape (or the template's) whose DeepSeek M (non-embedding FLOPs per token, as
    count() gives it) is `flops_per_token`: M grows about as 6·N, so N ← N·(M_target/M(N)) settles in a few steps
    (the shape search rounds widths to 128, so it stops when a step comes back to a shape it has seen)."""
    shape_template = template or Shape(n_layers=1, d_model=128, n_heads=1, d_ff=default_d_ff(128, "swiglu"))
    n_params = flops_per_token / 6.0
    counts = count(shape_for_params(n_params, shape_template))
    seen = [counts]
    for _ in range(MAX_SIZE_STEPS):
        if abs(counts.flops_per_token_deepseek / flops_per_token - 1) < 1e-3:
            break
        n_params *= flops_per_token / counts.flops_per_token_deepseek
        n_params = min(max(n_params, 1e3), MAX_SHAPE_PARAMS)
        counts = count(shape_for_params(n_params, shape_template))
        if counts in seen:  # the rounding of widths sends it back and forth between shapes: take the nearest
            break
        seen.append(counts)
    nearest = min(seen, key=lambda c: abs(c.flops_per_token_deepseek / flops_per_token - 1))
    return float(nearest.params_total)


def flops_per_token_for_params(n_params: float, template: Shape | None = None) -> float:
    """DeepSeek's M (non-embedding FLOPs per token) of the default shape (or the template's) near n_params."""
    shape_template = template or Shape(n_layers=1, d_model=128, n_heads=1, d_ff=default_d_ff(128, "swiglu"))
    return float(count(shape_for_params(n_params, shape_template)).flops_per_token_deepseek)


#: Steps of params_for_flops_per_token's fixed-point search (it settles in 3 to 6).
MAX_SIZE_STEPS = 12


def make_blueprint(
    request: BlueprintRequest,
    target_params: float | None,
    n_tokens: float | None,
    hardware: Hardware | None,
    where: str = "--params",
) -> Blueprint:
    """The shape (the request's own, or one sized to target_params), its counts, memory, hyperparameters and the
    run's time under the full FLOP count. Without n_tokens the run trains 20 tokens per active parameter. A target
    no shape comes within PARAMS_REFUSAL of is refused, naming `where`."""
    if request.explicit or target_params is None:
        shape = request.template
    else:
        shape = shape_for_params(target_params, request.template)
    counts = count(shape, request.causal_attention)
    if target_params is not None and not request.explicit:
        off = counts.params_active / target_params - 1.0
        if abs(off) > PARAMS_REFUSAL:
            raise UsageError(
                where,
                f"no shape comes within {PARAMS_REFUSAL:.0%} of {format_count(target_params)} parameters: the nearest,"
                f" {shape.n_layers:,} x {shape.d_model:,} with a vocabulary of {shape.vocab_size:,}, has"
                f" {counts.params_active:,} ({off:+.0%}); give a larger size or an explicit shape (--layers,"
                " --d-model)",
            )
    if n_tokens is None:
        n_tokens = TOKENS_PER_PARAM_DEFAULT * counts.params_active
    run_memory = None
    if hardware is not None:
        capacity = hardware.gpu.memory_bytes
        run_memory = memory(
            shape, counts.params_total, capacity, request.sharding, request.recompute, request.micro_batch,
            hardware.n_gpus,
        )  # fmt: skip
        if run_memory.min_gpus == 0:
            fixed = "activations" if request.sharding == "zero-3" else "unsharded states and activations"
            remedies = [
                *(["shard the states (--sharding zero-3)"] if request.sharding != "zero-3" else []),
                *(["recompute activations (--recompute full)"] if request.recompute != "full" else []),
                "use a GPU with more memory",
            ]
            # The culprit: sharding that leaves states whole, else activations kept for the backward pass.
            where = request.sharding_where if request.sharding != "zero-3" else request.recompute_where
            recompute = "no" if request.recompute == "none" else request.recompute
            raise UsageError(
                where,
                f"{counts.params_total:,} parameters fit on no number of {hardware.gpu.name} GPUs"
                f" ({capacity / GIB:.1f} GiB each) with sharding {request.sharding} and {recompute}"
                f" recomputation: the {fixed} alone need"
                f" {(run_memory.total_bytes - _sharded_bytes(run_memory)) / GIB:,.1f} GiB per GPU; "
                + " or ".join(remedies),
            )
    training_flops = counts.flops_per_token_full * n_tokens
    gpu_hours = hardware.gpu_hours(training_flops) if hardware else None
    return Blueprint(
        request, target_params, n_tokens, shape, counts, run_memory,
        hyperparameters(counts, shape.seq_len, n_tokens), training_flops, gpu_hours,
        None if hardware is None or gpu_hours is None else hardware.wall_clock_days(gpu_hours),
        None if hardware is None or gpu_hours is None else hardware.cost_usd(gpu_hours),
    )  # fmt: skip


def _sharded_bytes(run_memory: Memory) -> float:
    """The part of the per-GPU memory that more GPUs would divide."""
    per_state = {
        "weights": run_memory.weights_bytes,
        "gradients": run_memory.gradients_bytes,
        "optimizer": run_memory.optimizer_bytes,
    }
    return sum(per_state[state] for state in SHARDED_STATES[run_memory.sharding])


def blueprint_warnings(blueprint: Blueprint) -> list[str]:
    warnings = []
    hyper = blueprint.hyper
    if hyper.extrapolated:
        warnings.append(
            "learning rate and batch size extrapolate DeepSeek LLM's eq. 1 (fitted on about 1e17 to 2e19 FLOPs)"
            f" to C = M·D = {format_scientific(hyper.compute_flops)} FLOPs"
        )
    run_memory = blueprint.memory
    if run_memory is not None and run_memory.n_gpus < run_memory.min_gpus:
        warnings.append(
            f"{run_memory.n_gpus:,} GPUs hold {run_memory.total_bytes / GIB:,.1f} GiB each, over their"
            f" {run_memory.capacity_bytes / GIB:.0f} GiB: at least {run_memory.min_gpus:,} are needed with sharding"
            f" {run_memory.sharding}"
        )
    share = blueprint.counts.params_embedding / blueprint.counts.params_total
    if share > EMBEDDING_SHARE_WARNING:
        shape = blueprint.shape
        warnings.append(
            f"embeddings are {share:.0%} of the {format_count(blueprint.counts.params_total)} parameters (vocabulary"
            f" {shape.vocab_size:,} x d_model {shape.d_model:,}): the blocks are too small to stand for the model"
            " planned; a smaller --vocab-size (or --tied-embeddings) makes it truer"
        )
    error, target = blueprint.params_vs_target_pct, blueprint.target_params
    if error is not None and target is not None and abs(error) > 100 * PARAMS_TOLERANCE:
        warnings.append(
            f"the nearest hardware-friendly shape has {blueprint.counts.params_active:,} parameters,"
            f" {error:+.1f}% from the plan's {format_count(target)}"
        )
    return warnings
