"""A released model's architecture, as its Hugging Face `config.json` describes it, counted exactly.

Pure domain: inputs/hf_config.py reads the file into an Architecture, in the config's own terms (which projections
have biases, how wide a norm is). `shape_of_architecture` states it as a Shape, which says the same in the planner's
terms (a block style, a head width, latent attention, dense first layers...), and shapes.count counts every weight
of it, component by component, as the modelling code of each model type builds them (Hugging Face transformers'
`modeling_<type>.py`, and DeepSeek's own `modeling_deepseek.py` for deepseek_v2 and deepseek_v3). One count serves
both: what `shape --hf-config` reports is what a blueprint lays out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shapes import BLOCK_STYLES, DEFAULT_SEQ_LEN, Latent, Shape, count

#: Bytes of one key/value cache element at bf16 (and fp16).
KV_BYTES_BF16 = 2


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


def count_architecture(arch: Architecture) -> ArchitectureCount:
    """Every parameter the architecture has, and those one token uses (k of the routed experts): its shape's count."""
    counts = count(shape_of_architecture(arch, DEFAULT_SEQ_LEN))
    return ArchitectureCount(
        params_total=counts.params_total,
        params_active=counts.params_active,
        params_embedding=counts.params_embedding,
        kv_cache_elements_per_token=counts.kv_cache_elements_per_token,
    )


def architecture_of_shape(shape: Shape) -> Architecture:
    """A shape as an architecture: the same weights, so the same counts (shared experts of the routed width are one
    FFN of their summed width, which counts the same weights; a gpt-style one's FFN bias once)."""
    style = shape.block_style
    experts = None
    if shape.experts:
        experts = Experts(
            routed=shape.experts, active=shape.active_experts, d_ff=shape.ffn_width, shared=shape.shared_experts,
            shared_d_ff=shape.shared_width, shared_gate=shape.shared_gate, router_bias=shape.router_bias,
            dense_layers=shape.dense_layers,
        )  # fmt: skip
    return Architecture(
        model_type="shape", n_layers=shape.n_layers, d_model=shape.d_model, vocab_size=shape.vocab_size,
        n_heads=shape.n_heads, n_kv_heads=shape.kv_heads, head_dim=shape.head_dim, d_ff=shape.d_ff,
        gated_ffn=shape.ffn_matrices == 3, tied_embeddings=shape.tied_embeddings,
        norm_params=2 * shape.d_model if style.layer_norm else shape.d_model, norms_per_layer=shape.norms_per_layer,
        qkv_bias=style.qkv_bias, output_bias=style.output_bias, mlp_bias=style.mlp_bias, qk_norm=shape.qk_norm,
        learned_positions=shape.seq_len if style.learned_positions else 0, latent=shape.latent, experts=experts,
    )  # fmt: skip


def style_of(arch: Architecture) -> str | None:
    """The block style (shapes.BLOCK_STYLES) with the architecture's norms, biases and positions; None if none has."""
    layer_norm = arch.norm_params == 2 * arch.d_model
    if not layer_norm and arch.norm_params != arch.d_model:
        return None
    found = (layer_norm, arch.qkv_bias, arch.output_bias, arch.mlp_bias, arch.learned_positions > 0)
    return next(
        (
            name
            for name, style in BLOCK_STYLES.items()
            if (style.layer_norm, style.qkv_bias, style.output_bias, style.mlp_bias, style.learned_positions) == found
        ),
        None,
    )


def shape_of_architecture(arch: Architecture, seq_len: int) -> Shape:
    """The architecture as a Shape, which a blueprint lays out and times: the same weights. `seq_len` is the
    training context of a model without learned positions (one with them has as many as it learned).
    Raises ValueError for norms, biases and positions of no block style (the config reader makes none such)."""
    style = style_of(arch)
    if style is None:
        raise ValueError(f"{arch.model_type}: norms, biases and positions of no block style")
    d, h, moe = arch.d_model, arch.n_heads, arch.experts
    natural = arch.latent is None and d % h == 0 and arch.head_dim == d // h
    return Shape(
        n_layers=arch.n_layers, d_model=d, n_heads=h, d_ff=arch.d_ff, vocab_size=arch.vocab_size,
        seq_len=arch.learned_positions or seq_len, ffn="swiglu" if arch.gated_ffn else "gelu",
        tied_embeddings=arch.tied_embeddings, n_kv_heads=arch.n_kv_heads, style=style,
        experts=moe.routed if moe else 0, active_experts=moe.active if moe else 0,
        shared_experts=moe.shared if moe else 0, expert_d_ff=moe.d_ff if moe else None,
        head_width=None if natural else arch.head_dim, qk_norm=arch.qk_norm,
        norms_per_layer=arch.norms_per_layer, latent=arch.latent, dense_layers=moe.dense_layers if moe else 0,
        shared_d_ff=moe.shared_d_ff if moe and moe.shared_d_ff else None, shared_gate=moe.shared_gate if moe else False,
        router_bias=moe.router_bias if moe else False,
    )  # fmt: skip
