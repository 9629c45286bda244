"""A transformer's shape: its dimensions, the exact parameter and FLOP counts they make, the model families' fixed
choices, and the hardware-friendly shape nearest a parameter count.

Pure domain, integers where counts are exact. Shapes are validated by `shape_problems`, which names fields, so the
caller can say which flag or config key is wrong. blueprint.py makes a plan concrete from these shapes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from .choices import FFN_KINDS

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
class BlockStyle:
    """A block's norms, biases and positions (choices.STYLES)."""

    layer_norm: bool  # LayerNorm (a gain and a bias), else RMSNorm (a gain)
    qkv_bias: bool  # biases on the query, key and value projections
    output_bias: bool  # a bias on attention's output projection
    mlp_bias: bool  # biases in the FFN's matrices
    learned_positions: bool  # a learned position embedding of seq_len rows, else rotary positions (no weights)
    says: str


BLOCK_STYLES: dict[str, BlockStyle] = {
    "llama": BlockStyle(False, False, False, False, False, "RMSNorm, no biases, rotary positions"),
    "gpt": BlockStyle(True, True, True, True, True, "LayerNorm, biases, learned positions"),
    "neox": BlockStyle(True, True, True, True, False, "LayerNorm, biases, rotary positions"),
    "qwen2": BlockStyle(False, True, False, False, False, "RMSNorm, biases on queries, keys and values, rotary positions"),
}  # fmt: skip


@dataclass(frozen=True)
class Latent:
    """Multi-head latent attention (DeepSeek-AI 2024, DeepSeek-V2, sec. 2.1): keys and values are made from one
    compressed latent of `kv_rank` channels per token, plus a shared rotary key of `rope_dim`; queries from a latent
    of `q_rank` (None: queries straight from the hidden state). Each head has `nope_dim` + `rope_dim` query/key
    channels and `v_dim` value channels."""

    kv_rank: int
    q_rank: int | None
    rope_dim: int
    nope_dim: int
    v_dim: int


@dataclass(frozen=True)
class Shape:
    """A decoder-only transformer. Mixture-of-experts when `experts` > 0: every FFN is an expert (after the first
    `dense_layers`, which keep a dense FFN of d_ff), and each token uses `active_experts` of the routed experts plus
    every shared expert, each an FFN of width `expert_d_ff` (d_ff unless given: narrower experts make a fine-grained
    MoE, as DeepSeekMoE and Qwen-MoE; a wider shared expert is that many shared experts of the routed width, or
    `shared_d_ff` wide together). The router is one d_model x experts matrix per layer, with one bias per expert
    when `router_bias` (DeepSeek-V3's load-balancing bias); `shared_gate` scales the shared experts by a learned
    d_model x 1 gate (Qwen-MoE). Norms, biases and positions follow the style.

    The fields after `d_ff_rule` state released architectures a designed shape does not have (all from a
    config.json; inputs/hf_config.py): a head width other than d_model / heads (`head_width`: Gemma, Qwen3), norms
    on queries and keys (`qk_norm`, one of head_width each: Qwen3), `norms_per_layer` other than 2 (Gemma 2 has
    4) and multi-head latent attention (`latent`: DeepSeek-V2 and V3)."""

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
    head_width: int | None = None  # None: d_model / n_heads
    qk_norm: bool = False
    norms_per_layer: int = 2
    latent: Latent | None = None
    dense_layers: int = 0
    shared_d_ff: int | None = None  # the shared experts' width together; None: shared_experts x expert_d_ff
    shared_gate: bool = False
    router_bias: bool = False

    @property
    def ffn_width(self) -> int:
        """The width of each FFN: an expert's in a mixture of experts, else d_ff."""
        return self.expert_d_ff if self.experts and self.expert_d_ff is not None else self.d_ff

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads if self.head_width is None else self.head_width

    @property
    def kv_heads(self) -> int:
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    @property
    def d_attn(self) -> int:
        return self.n_heads * self.head_dim

    @property
    def ffn_matrices(self) -> int:
        return 3 if self.ffn == "swiglu" else 2

    @property
    def block_style(self) -> BlockStyle:
        return BLOCK_STYLES[self.style]

    @property
    def shared_width(self) -> int:
        """The shared experts' FFN width, together."""
        return self.shared_experts * self.ffn_width if self.shared_d_ff is None else self.shared_d_ff

    @property
    def score_width(self) -> float:
        """The width the attention scores' FLOPs count: heads x head width; with latent attention, whose query/key
        and value heads differ in width, the mean of the two (the scores are one product with each)."""
        return self.d_attn if self.latent is None else self.n_heads * (self.qk_dim + self.v_dim) / 2

    @property
    def qk_dim(self) -> int:
        """Query/key channels of a head (with latent attention, its own and its rotary part)."""
        return self.head_dim if self.latent is None else self.latent.nope_dim + self.latent.rope_dim

    @property
    def v_dim(self) -> int:
        """Value channels of a head."""
        return self.head_dim if self.latent is None else self.latent.v_dim

    def parts(self) -> list[str]:
        """What the shape has beyond its style and sizes, in words (empty for a designed shape)."""
        said = [
            (self.head_width is not None and self.latent is None, f"heads {self.head_dim} wide"),
            (self.qk_norm, "norms on queries and keys"),
            (self.norms_per_layer != 2, f"{self.norms_per_layer} norms a layer"),
            (self.latent is not None, "multi-head latent attention"),
            (self.dense_layers > 0, f"{self.dense_layers} dense first layer{'s' if self.dense_layers != 1 else ''}"),
            (self.shared_gate, "a gated shared expert"),
            (self.router_bias, "a router bias"),
        ]
        return [words for present, words in said if present]


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
    if sized and shape.head_width is None and shape.d_model % shape.n_heads:
        problems.append(("n_heads", f"{shape.n_heads} heads do not divide d_model {shape.d_model}"))
    if sized and shape.n_kv_heads is not None and shape.n_heads % shape.n_kv_heads:
        problems.append(("n_kv_heads", f"{shape.n_kv_heads} key/value heads must divide {shape.n_heads} heads"))
    if shape.ffn not in FFN_KINDS:
        problems.append(("ffn", f"unknown FFN kind {shape.ffn!r}; choose one of {', '.join(FFN_KINDS)}"))
    if shape.style not in BLOCK_STYLES:
        problems.append(("style", f"unknown style {shape.style!r}; choose one of {', '.join(BLOCK_STYLES)}"))
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
    kv_cache_elements_per_token: int = 0  # keys and values (or latent attention's latent) a token adds, all layers
    heaviest_block_params: int = 0  # the largest layer's parameters (a mixture of experts' dense layers are less)
    routed_params_per_layer: int = 0  # one expert layer's routed experts: what expert parallelism divides
    expert_layers: int = 0  # layers with routed experts

    @property
    def params_non_embedding(self) -> int:
        return self.params_total - self.params_embedding

    @property
    def full_to_6n_ratio(self) -> float:
        return self.flops_per_token_full / self.flops_per_token_6n


def _ffn_params(shape: Shape, width: int) -> tuple[int, int]:
    """Weights and biases of one FFN of this width (one expert's, the shared experts', a dense layer's)."""
    weights = shape.ffn_matrices * shape.d_model * width
    biases = (shape.ffn_matrices - 1) * width + shape.d_model if shape.block_style.mlp_bias else 0
    return weights, biases


def _attention_params(shape: Shape) -> tuple[int, int, int]:
    """One layer's attention: the input projections' weights (queries, keys, values; with latent attention, their
    latents), the output projection's weights, and the rest (biases, norms); each as the modelling code builds it
    (Hugging Face transformers' modeling_<type>.py; DeepSeek's modeling_deepseek.py for latent attention)."""
    d, h, style = shape.d_model, shape.n_heads, shape.block_style
    output = h * shape.v_dim * d
    latent = shape.latent
    if latent is not None:  # DeepSeek-V2, sec. 2.1 (eqs. 9-19)
        qk = shape.qk_dim
        # q_proj; or q_a_proj, its RMSNorm and q_b_proj
        query = d * h * qk if latent.q_rank is None else d * latent.q_rank + latent.q_rank * h * qk
        # kv_a_proj_with_mqa (the latent and the rotary key), its RMSNorm, kv_b_proj
        keys_values = d * (latent.kv_rank + latent.rope_dim) + latent.kv_rank * h * (latent.nope_dim + latent.v_dim)
        norms = latent.kv_rank + (latent.q_rank or 0)
        return query + keys_values, output, norms
    q_width, kv_width = shape.d_attn, shape.kv_heads * shape.head_dim
    biases = (q_width + 2 * kv_width if style.qkv_bias else 0) + (d if style.output_bias else 0)
    norms = 2 * shape.head_dim if shape.qk_norm else 0
    return d * q_width + 2 * d * kv_width, output, biases + norms


def count(shape: Shape, causal_attention: bool = False) -> Counts:
    """Parameters and FLOPs per token of a valid shape.

    Conventions (training = forward + backward, per token):
      6N         6 x all parameters used per token (the planner's C = 6·N·D).
      kaplan     6·N + 6·n_layer·n_ctx·d_attn with N non-embedding (Kaplan et al. 2020, Table 1 and eq. 2.2).
      deepseek   M = 6 x block matmul weights + 12·n_layer·d_attn·l_seq (DeepSeek-AI 2024, sec. 3.2); for multi-head
                 attention and a 2-matrix FFN of 4·d_model this is their 72·n_layer·d_model² + 12·n_layer·d_model·l_seq.
      full       Hoffmann et al. 2022, appendix F: every matrix multiply, attention and softmax, embeddings and
                 logits; backward = 2 x forward. Causal attention optionally halves the attention-score terms.
    d_attn is n_heads x head_dim; with latent attention, whose query/key and value heads differ in width, the mean
    of the two (the score terms are one product with each).
    """
    d, L, V, S = shape.d_model, shape.n_layers, shape.vocab_size, shape.seq_len
    style = shape.block_style
    attn_in, attn_out, attn_rest = _attention_params(shape)
    attn_weights = attn_in + attn_out
    norm = 2 * d if style.layer_norm else d  # LayerNorm has a gain and a bias, RMSNorm a gain
    ffn_weights, ffn_biases = _ffn_params(shape, shape.ffn_width)
    routed, active, shared = shape.experts, shape.active_experts, shape.shared_experts
    ffn_each = ffn_weights + ffn_biases
    fixed = attn_weights + attn_rest + shape.norms_per_layer * norm
    if routed:
        router = d * routed
        if shape.shared_d_ff is None:  # shared experts of the routed width, each its own FFN
            shared_weights, shared_params = shared * ffn_weights, shared * ffn_each
        else:  # one FFN of their summed width, as a released model's config gives it
            shared_weights, shared_biases = _ffn_params(shape, shape.shared_d_ff) if shape.shared_d_ff else (0, 0)
            shared_params = shared_weights + shared_biases
        gate = d if shape.shared_gate else 0
        sparse_fixed = fixed + router + (routed if shape.router_bias else 0) + shared_params + gate
        sparse_total, sparse_active = sparse_fixed + routed * ffn_each, sparse_fixed + active * ffn_each
        sparse_matmul = router + active * ffn_weights + shared_weights + gate
    else:
        router = 0
        sparse_total = sparse_active = fixed + ffn_each
        sparse_matmul = ffn_weights
    dense_weights, dense_biases = _ffn_params(shape, shape.d_ff)
    dense_block = fixed + dense_weights + dense_biases
    n_dense, n_sparse = shape.dense_layers if routed else 0, L - (shape.dense_layers if routed else 0)
    embedding = V * d + (0 if shape.tied_embeddings else V * d) + (S * d if style.learned_positions else 0)
    total = n_dense * dense_block + n_sparse * sparse_total + norm + embedding
    active_params = n_dense * dense_block + n_sparse * sparse_active + norm + embedding
    matmul_active = L * attn_weights + n_dense * dense_weights + n_sparse * sparse_matmul

    scores = 0.5 if causal_attention else 1.0
    h = shape.n_heads
    d_attn = shape.score_width
    if n_dense or shape.shared_d_ff is not None or shape.shared_gate:
        ffn_flops = 2.0 * S * (n_dense * dense_weights + n_sparse * sparse_matmul)
    else:
        ffn_flops = L * (2.0 * S * (active + shared if routed else 1) * ffn_weights + 2.0 * S * router)
    terms = {
        "embeddings": 2.0 * S * V * d,
        "attention_qkv": L * 2.0 * S * attn_in,
        "attention_logits": L * scores * 2.0 * S * S * (h * shape.qk_dim),
        "attention_softmax": L * scores * 3.0 * h * S * S,
        "attention_values": L * scores * 2.0 * S * S * (h * shape.v_dim),
        "attention_output": L * 2.0 * S * attn_out,
        "ffn": ffn_flops,
        "final_logits": 2.0 * S * d * V,
    }
    forward_per_sequence = sum(terms.values())
    non_embedding_active = active_params - embedding
    cache = shape.latent.kv_rank + shape.latent.rope_dim if shape.latent else 2 * shape.kv_heads * shape.head_dim
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
        kv_cache_elements_per_token=L * cache,
        heaviest_block_params=max(dense_block if n_dense else 0, sparse_total if n_sparse else 0),
        routed_params_per_layer=routed * ffn_each,
        expert_layers=n_sparse if routed else 0,
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


@functools.lru_cache(maxsize=1 << 16)  # searches for nearby sizes (a bisection over budgets) probe the same widths
def _params_by_layers(template: Shape, d_model: int) -> tuple[int, int]:
    """Active parameters of the template at this width are linear in the layers (per-layer blocks, plus embeddings
    and the final norm): (the fixed part, the part per layer), from two counts, for every depth the search probes."""
    one, two = (count(_sized(template, layers, d_model)).params_active for layers in (1, 2))
    return one - (two - one), two - one


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

    widths: dict[int, tuple[int, int]] = {}  # this search's widths, without hashing the template at every probe

    def params(n_layers: int, d_model: int) -> int:
        if d_model not in widths:
            widths[d_model] = _params_by_layers(template, d_model)
        fixed, per_layer = widths[d_model]
        return fixed + n_layers * per_layer

    # Width at the aspect ratio if only the blocks counted (about 12·L·d² parameters): where to look.
    guess_d = (target_params * ASPECT_RATIO / 12.0) ** (1.0 / 3.0)
    # Layers over twice the span, so that coarse width steps still find a shape of the right size.
    low_layers = max(1, math.floor(guess_d / ASPECT_RATIO / ASPECT_SPAN**2))
    high_layers = max(low_layers, math.ceil(guess_d / ASPECT_RATIO * ASPECT_SPAN**2))

    def widest_under(n_layers: int, width_step: int) -> int:
        """The most width steps whose shape stays under the target (at least 1), by doubling then bisection."""
        low, high = 1, 1
        while params(n_layers, high * width_step) < target_params and high < 2**16:
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if params(n_layers, middle * width_step) < target_params:
                low = middle
            else:
                high = middle
        return low

    candidates: list[tuple[bool, bool, int, float, int, int]] = []
    for width_step in {step, parallel_step}:
        # Parameters grow with the width and the layers, so each layer more keeps the widest width under the target
        # or narrows it: searched once, then walked down.
        low = widest_under(low_layers, width_step)
        for n_layers in range(low_layers, high_layers + 1):
            while low > 1 and params(n_layers, low * width_step) >= target_params:
                low -= 1
            # The widest step under the target and the next; one step only when even that is not under it.
            for units in {low, low + 1} if params(n_layers, low * width_step) < target_params else {1}:
                d_model = units * width_step
                error = abs(math.log(params(n_layers, d_model) / target_params))
                aspect = abs(math.log(d_model / n_layers / ASPECT_RATIO))
                close = error <= math.log1p(PARAMS_TOLERANCE)
                in_span = aspect <= math.log(ASPECT_SPAN) + 1e-9
                heads = default_heads(d_model)
                awkward = _awkward(n_layers, heads, template.n_kv_heads or heads) if close else 0
                candidates.append(
                    (not close, close and not in_span, awkward, aspect if close else error, n_layers, d_model)
                )
    *_, n_layers, d_model = min(candidates)
    return _sized(template, n_layers, d_model)


def _awkward(n_layers: int, n_heads: int, kv_heads: int) -> int:
    """The splits teams make that a shape of these layers and heads refuses: heads (and key/value groups, when there
    are more than 8) over 8 tensor-parallel GPUs counts 2 (nothing else splits a layer within a node), layers over 4
    pipeline stages 1 (another number of stages may still divide them). 0 for a shape like Llama 3 8B's (32 layers,
    32 heads, 8 groups). Read from the numbers, not a Shape: the search asks it of thousands of candidates."""
    heads = n_heads % PARALLEL_SPLIT != 0 or kv_heads % min(PARALLEL_SPLIT, kv_heads) != 0
    return 2 * int(heads) + int(n_layers % PIPELINE_SPLIT != 0)


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
