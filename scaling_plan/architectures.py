"""A released model's architecture, as its Hugging Face `config.json` describes it, counted exactly.

Pure domain: inputs/hf_config.py reads the file into an Architecture; `count_architecture` counts every weight the
checkpoint holds for it, component by component, as the modelling code of each model type builds them (Hugging Face
transformers' `modeling_<type>.py`, and DeepSeek's own `modeling_deepseek.py` for deepseek_v2 and deepseek_v3).
A shape the planner designs is shapes.py's Shape; this is a shape someone released, with the parts Shape does not
model (explicit head widths, query/key norms, attention biases, multi-head latent attention, dense first layers,
gated shared experts, router biases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .shapes import Shape

#: Bytes of one key/value cache element at bf16 (and fp16).
KV_BYTES_BF16 = 2


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
class Experts:
    """A mixture-of-experts FFN: `routed` experts of width `d_ff`, `active` of them per token, and `shared`
    experts that every token uses (together one FFN of width `shared_d_ff`). `shared_gate`: the shared expert's output is
    scaled by a learned d_model x 1 gate (Qwen-MoE); `router_bias`: the router holds one bias per expert
    (DeepSeek-V3's load-balancing bias, e_score_correction_bias). `dense_layers`: how many first layers keep a dense
    FFN instead (DeepSeek's first_k_dense_replace)."""

    routed: int
    active: int
    d_ff: int
    shared: int = 0  # shared experts, as the config counts them
    shared_d_ff: int = 0
    shared_gate: bool = False
    router_bias: bool = False
    dense_layers: int = 0


@dataclass(frozen=True)
class Architecture:
    """What a config fixes. `head_dim` is the width of a query/key head and of a value head (latent attention sets
    its own); `norm_params` the parameters of one norm (d_model for RMSNorm, 2·d_model for LayerNorm);
    `norms_per_layer` 2, or 4 in Gemma 2 (norms before and after both attention and FFN)."""

    model_type: str
    n_layers: int
    d_model: int
    vocab_size: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int  # the dense FFN's width (the dense layers' in a mixture of experts)
    gated_ffn: bool  # three matrices (SwiGLU, GeGLU), else two (GELU MLP)
    tied_embeddings: bool
    norm_params: int
    norms_per_layer: int = 2
    qkv_bias: bool = False
    output_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = False  # one norm of head_dim each on queries and keys (Qwen3)
    learned_positions: int = 0  # rows of a learned position embedding (GPT-2)
    latent: Latent | None = None
    experts: Experts | None = None
    left_out: tuple[str, ...] = ()  # what the checkpoint holds that the count leaves out, said in the output


@dataclass(frozen=True)
class ArchitectureCount:
    """Exact parameters (total, and used per token), the KV cache a token adds, and the training FLOPs per token of
    the planner's C = 6·N·D (N the parameters used per token)."""

    params_total: int
    params_active: int
    params_embedding: int  # token embedding, the output matrix when untied, learned positions
    kv_cache_elements_per_token: int  # over all layers

    @property
    def params_non_embedding(self) -> int:
        return self.params_total - self.params_embedding

    @property
    def params_active_non_embedding(self) -> int:
        return self.params_active - self.params_embedding

    @property
    def flops_per_token_6n(self) -> float:
        return 6.0 * self.params_active

    @property
    def kv_cache_bytes_per_token(self) -> int:
        """At bf16; a KV cache in fp8 holds half."""
        return KV_BYTES_BF16 * self.kv_cache_elements_per_token


def _attention(arch: Architecture) -> tuple[int, int]:
    """Parameters of one layer's attention, and the KV cache elements it adds per token."""
    d, h = arch.d_model, arch.n_heads
    if arch.latent is not None:  # DeepSeek-V2, sec. 2.1 (eqs. 9-19), as modeling_deepseek.py builds it
        lat = arch.latent
        qk_dim = lat.nope_dim + lat.rope_dim
        # q_proj; or q_a_proj, its RMSNorm and q_b_proj
        q_rank = lat.q_rank
        query = d * h * qk_dim if q_rank is None else d * q_rank + q_rank + q_rank * h * qk_dim
        # kv_a_proj_with_mqa (the latent and the rotary key), its RMSNorm, kv_b_proj, o_proj
        keys_values = d * (lat.kv_rank + lat.rope_dim) + lat.kv_rank + lat.kv_rank * h * (lat.nope_dim + lat.v_dim)
        output = h * lat.v_dim * d
        return query + keys_values + output, lat.kv_rank + lat.rope_dim  # the cache: latent and rotary key
    q_width, kv_width = h * arch.head_dim, arch.n_kv_heads * arch.head_dim
    weights = d * q_width + 2 * d * kv_width + q_width * d
    biases = (q_width + 2 * kv_width if arch.qkv_bias else 0) + (d if arch.output_bias else 0)
    norms = 2 * arch.head_dim if arch.qk_norm else 0
    return weights + biases + norms, 2 * kv_width


def _ffn(arch: Architecture, d_ff: int) -> int:
    """Parameters of one FFN of width d_ff."""
    matrices = 3 if arch.gated_ffn else 2
    biases = (matrices - 1) * d_ff + arch.d_model if arch.mlp_bias else 0
    return matrices * arch.d_model * d_ff + biases


def count_architecture(arch: Architecture) -> ArchitectureCount:
    """Every parameter the architecture has, and those one token uses (k of the routed experts)."""
    d, layers = arch.d_model, arch.n_layers
    attention, kv_elements = _attention(arch)
    fixed = attention + arch.norms_per_layer * arch.norm_params
    dense = _ffn(arch, arch.d_ff)
    moe = arch.experts
    if moe is None:
        layers_total = layers_active = layers * (fixed + dense)
    else:
        expert = _ffn(arch, moe.d_ff)
        router = d * moe.routed + (moe.routed if moe.router_bias else 0)
        shared = (_ffn(arch, moe.shared_d_ff) if moe.shared_d_ff else 0) + (d if moe.shared_gate else 0)
        sparse = layers - moe.dense_layers
        layers_total = moe.dense_layers * (fixed + dense) + sparse * (fixed + router + shared + moe.routed * expert)
        layers_active = moe.dense_layers * (fixed + dense) + sparse * (fixed + router + shared + moe.active * expert)
    embedding = arch.vocab_size * d * (1 if arch.tied_embeddings else 2) + arch.learned_positions * d
    final_norm = arch.norm_params
    return ArchitectureCount(
        params_total=layers_total + final_norm + embedding,
        params_active=layers_active + final_norm + embedding,
        params_embedding=embedding,
        kv_cache_elements_per_token=layers * kv_elements,
    )


def architecture_of_shape(shape: Shape) -> Architecture:
    """A shape the planner designs (shapes.Shape), as an architecture: the same weights, so the same counts (its
    shared experts one FFN of their summed width, which counts the same weights; a gpt-style one's FFN bias once)."""
    gpt = shape.style == "gpt"
    experts = None
    if shape.experts:
        width = shape.ffn_width
        experts = Experts(
            routed=shape.experts, active=shape.active_experts, d_ff=width, shared=shape.shared_experts,
            shared_d_ff=shape.shared_experts * width,
        )  # fmt: skip
    return Architecture(
        model_type="shape", n_layers=shape.n_layers, d_model=shape.d_model, vocab_size=shape.vocab_size,
        n_heads=shape.n_heads, n_kv_heads=shape.kv_heads, head_dim=shape.head_dim, d_ff=shape.d_ff,
        gated_ffn=shape.ffn_matrices == 3, tied_embeddings=shape.tied_embeddings, norm_params=2 * shape.d_model if gpt
        else shape.d_model, qkv_bias=gpt, output_bias=gpt, mlp_bias=gpt, learned_positions=shape.seq_len if gpt else 0,
        experts=experts,
    )  # fmt: skip


def shape_of_architecture(arch: Architecture, seq_len: int) -> tuple[Shape | None, str]:
    """The planner's shape for a released architecture, when one counts it exactly: (shape, "") or (None, what the
    shape cannot state). A blueprint lays out and times a Shape; the parts a Shape does not model (an explicit head
    width, biases without the gpt style's learned positions, query/key norms, latent attention, dense first layers,
    gated shared experts, router biases) would be miscounted, so they are named instead. `seq_len`: the training
    context, for a model without learned positions."""
    from .shapes import Shape, count

    d, h = arch.d_model, arch.n_heads
    gpt = arch.learned_positions > 0 and arch.qkv_bias and arch.output_bias and arch.mlp_bias
    gpt = gpt and arch.norm_params == 2 * d
    llama = not (arch.learned_positions or arch.qkv_bias or arch.output_bias or arch.mlp_bias) and arch.norm_params == d
    moe = arch.experts
    biases = arch.qkv_bias or arch.output_bias or arch.mlp_bias
    reasons = [
        (arch.latent is not None, "multi-head latent attention"),
        (arch.qk_norm, "norms on queries and keys"),
        (arch.latent is None and (d % h != 0 or arch.head_dim != d // h), f"heads {arch.head_dim} wide on a width of"
         f" {d} (a shape's are d_model / heads)"),
        (arch.norms_per_layer != 2, f"{arch.norms_per_layer} norms a layer"),
        (biases and not gpt, "biases without the gpt style's learned positions"),
        (not biases and not llama, "norms or positions of neither the llama nor the gpt style"),
        (moe is not None and moe.dense_layers > 0, "dense first layers"),
        (moe is not None and moe.shared_gate, "a gated shared expert"),
        (moe is not None and moe.router_bias, "a router bias"),
        (moe is not None and moe.shared_d_ff != moe.shared * moe.d_ff, "shared experts of another width"),
    ]  # fmt: skip
    said = [reason for wrong, reason in reasons if wrong]
    if said:
        return None, ", ".join(said)
    shape = Shape(
        n_layers=arch.n_layers, d_model=d, n_heads=h, d_ff=arch.d_ff, vocab_size=arch.vocab_size,
        seq_len=arch.learned_positions if gpt else seq_len, ffn="swiglu" if arch.gated_ffn else "gelu",
        tied_embeddings=arch.tied_embeddings, n_kv_heads=arch.n_kv_heads, style="gpt" if gpt else "llama",
        experts=moe.routed if moe else 0, active_experts=moe.active if moe else 0,
        shared_experts=moe.shared if moe else 0, expert_d_ff=moe.d_ff if moe else None,
    )  # fmt: skip
    counted, exact = count(shape), count_architecture(arch)
    if (counted.params_total, counted.params_active) != (exact.params_total, exact.params_active):
        return None, f"a count of {counted.params_total:,} parameters as a shape, not its {exact.params_total:,}"
    return shape, ""
