"""A transformer's shape: its dimensions, the exact parameter and FLOP counts they make, the model families' fixed
choices, and the hardware-friendly shape nearest a parameter count.

Pure domain, integers where counts are exact. Shapes are validated by `shape_problems`, which names fields, so the
caller can say which flag or config key is wrong. blueprint.py makes a plan concrete from these shapes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from .choices import FFN_KINDS, STYLES

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
#: Among shapes near the target, those whose heads split over 8 tensor-parallel GPUs (a node of 8) and whose layers
#: split into 4 pipeline stages are preferred, as teams size them (Llama 3 8B and 70B: 32 and 64 heads, 32 and 80
#: layers; Dubey et al. 2024, Table 3).
PARALLEL_SPLIT = 8
PIPELINE_SPLIT = 4
#: Among shapes this close to the target size (relative), the one nearest the aspect ratio wins.
PARAMS_TOLERANCE = 0.02
#: Heads of 128 channels from this width up (Llama 3, DeepSeek LLM), 64 below it (GPT-3's small models).
WIDE_HEAD_FROM_D_MODEL = 1024


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
    #: How a sized shape's d_ff follows d_model: ratio x d_model rounded up to a multiple (a family's rule), or
    #: None for default_d_ff's. Explicit shapes carry their own d_ff.
    d_ff_rule: tuple[float, int] | None = None

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


@dataclass(frozen=True)
class Family:
    """What a model series fixes besides its sizes (`--family`); flags given beside it override it."""

    name: str
    vocab_size: int
    seq_len: int
    ffn: str
    d_ff_rule: tuple[float, int]  # d_ff = ratio x d_model, rounded up to the multiple
    n_kv_heads: int | None  # None: multi-head attention
    tied_embeddings: bool
    style: str
    source: str


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            "llama2", 32000, 4096, "swiglu", (8 / 3, 256), None, False, "llama",
            "Touvron et al. 2023, Llama 2: vocabulary 32,000, 4,096-token context, SwiGLU with d_ff = 8/3·d rounded"
            " up to 256 (11,008 at 4,096), multi-head attention as the 7B and 13B, untied, RMSNorm",
        ),
        Family(
            "llama3", 128256, 8192, "swiglu", (3.5, 1024), 8, False, "llama",
            "Dubey et al. 2024, Llama 3, Table 3: vocabulary 128,256 as released, 8,192-token context, SwiGLU with"
            " d_ff = 3.5·d in multiples of 1,024 (14,336 and 28,672 at 4,096 and 8,192; the 405B's 53,248 is"
            " 3.25·d), 8 key/value heads, untied, RMSNorm",
        ),
        Family(
            "gpt3", 50257, 2048, "gelu", (4.0, 128), None, True, "gpt",
            "Brown et al. 2020, GPT-3, Table 2.1 and sec. 2.1: vocabulary 50,257, 2,048-token context, d_ff = 4·d,"
            " multi-head attention, tied embeddings, LayerNorm, biases, learned positions",
        ),
    )
}  # fmt: skip


def default_d_ff(d_model: int, ffn: str, rule: tuple[float, int] | None = None) -> int:
    """4·d_model for a 2-matrix FFN; 8/3·d_model for SwiGLU, which keeps its three matrices at the parameters of
    the 2-matrix FFN (Shazeer 2020; Touvron et al. 2023), rounded to a multiple of 128; or a family's rule, ratio x
    d_model rounded up to its multiple."""
    if rule is not None:
        ratio, multiple = rule
        return multiple * math.ceil(ratio * d_model / multiple - 1e-9)
    if ffn == "swiglu":
        return max(SIZE_MULTIPLE, round(8 * d_model / 3 / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return 4 * d_model


def default_heads(d_model: int) -> int:
    head_dim = 128 if d_model >= WIDE_HEAD_FROM_D_MODEL else 64
    return max(1, d_model // head_dim)


def _sized(template: Shape, n_layers: int, d_model: int) -> Shape:
    return replace(
        template, n_layers=n_layers, d_model=d_model, n_heads=default_heads(d_model),
        d_ff=default_d_ff(d_model, template.ffn, template.d_ff_rule),
    )  # fmt: skip


#: Largest size a shape is searched for: the search spans layers ∝ N^(1/3) (1.2 s at this size, and minutes past
#: 1e18). 1,000T parameters is hundreds of times any model trained.
MAX_SHAPE_PARAMS = 1e15


@functools.lru_cache(maxsize=4096)  # a pure function of its inputs; a plan under a hard budget asks for a size twice
def shape_for_params(target_params: float, template: Shape) -> Shape:
    """A shape whose active parameters are near `target_params`, with the template's vocabulary, sequence length,
    FFN kind, embeddings, key/value heads, style and experts.

    d_model and d_ff are multiples of 128 and heads have 64 or 128 channels. Among shapes within 2% of the target,
    the one whose d_model / n_layers is nearest 128, preferring ratios from 64 to 256; when none is that close, the
    nearest in size. (With grouped-query attention widths step by 128 x kv-heads, so a small model may need a ratio
    outside 64-256 to come within 2%.)
    """

    # Widths step by 128, or by 128 x the key/value heads so that the heads always group evenly; the widths whose
    # heads split over a node's tensor-parallel GPUs step by 8 heads.
    step = SIZE_MULTIPLE * (template.n_kv_heads or 1)
    parallel_step = math.lcm(step, SIZE_MULTIPLE * PARALLEL_SPLIT)

    # Active parameters are linear in the layers (per-layer blocks, plus embeddings and the final norm), so two
    # counts per width give every depth: the search probes the same widths at many depths.
    per_width: dict[int, tuple[int, int]] = {}

    def params(n_layers: int, d_model: int) -> int:
        if d_model not in per_width:
            one, two = (count(_sized(template, layers, d_model)).params_active for layers in (1, 2))
            per_width[d_model] = (one - (two - one), two - one)
        fixed, per_layer = per_width[d_model]
        return fixed + n_layers * per_layer

    # Width at the aspect ratio if only the blocks counted (about 12·L·d² parameters): where to look.
    guess_d = (target_params * ASPECT_RATIO / 12.0) ** (1.0 / 3.0)
    # Layers over twice the span, so that coarse width steps still find a shape of the right size.
    low_layers = max(1, math.floor(guess_d / ASPECT_RATIO / ASPECT_SPAN**2))
    high_layers = max(low_layers, math.ceil(guess_d / ASPECT_RATIO * ASPECT_SPAN**2))
    candidates: list[tuple[bool, bool, int, float, int, int]] = []
    for n_layers in range(low_layers, high_layers + 1):
        for width_step in {step, parallel_step}:
            # The widest step under the target, by bisection (parameters grow with d_model), and the next.
            low, high = 1, 1
            while params(n_layers, high * width_step) < target_params and high < 2**16:
                low, high = high, high * 2
            while high - low > 1:
                middle = (low + high) // 2
                if params(n_layers, middle * width_step) < target_params:
                    low = middle
                else:
                    high = middle
            for units in {low, high}:
                d_model = units * width_step
                error = abs(math.log(params(n_layers, d_model) / target_params))
                aspect = abs(math.log(d_model / n_layers / ASPECT_RATIO))
                close = error <= math.log1p(PARAMS_TOLERANCE)
                in_span = aspect <= math.log(ASPECT_SPAN) + 1e-9
                awkward = _awkward(_sized(template, n_layers, d_model)) if close else 0
                candidates.append(
                    (not close, close and not in_span, awkward, aspect if close else error, n_layers, d_model)
                )
    *_, n_layers, d_model = min(candidates)
    return _sized(template, n_layers, d_model)


def _awkward(shape: Shape) -> int:
    """The splits teams make that the shape refuses: heads (and key/value groups, when there are more than 8) over
    8 tensor-parallel GPUs counts 2 (nothing else splits a layer within a node), layers over 4 pipeline stages 1
    (another number of stages may still divide them). 0 for a shape like Llama 3 8B's (32 layers, 32 heads, 8
    groups)."""
    heads = shape.n_heads % PARALLEL_SPLIT != 0 or shape.kv_heads % min(PARALLEL_SPLIT, shape.kv_heads) != 0
    return 2 * int(heads) + int(shape.n_layers % PIPELINE_SPLIT != 0)


#: Steps of params_for_flops_per_token's fixed-point search (it settles in 3 to 6).
MAX_SIZE_STEPS = 12


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
