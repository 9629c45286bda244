"""Hugging Face `config.json` files (`--hf-config`): a released model's architecture, read into an Architecture.

Each model type's keys and defaults are those of its configuration class in Hugging Face transformers
(`configuration_<type>.py`; DeepSeek's own `configuration_deepseek.py` for deepseek_v2 and deepseek_v3). Unknown
keys are ignored (a config holds training and generation settings too); a key the type needs and does not default
is named with the file. The file is read as the tool reads every config: bounded, safe, each key's line known.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..architectures import Architecture, Experts
from ..errors import UsageError
from ..shapes import Latent
from .yaml_files import Path, read_yaml

if TYPE_CHECKING:
    from .values import Sourced

#: The largest config.json read: a few kilobytes in practice (DeepSeek-V3's is 1.7 KB).
MAX_HF_CONFIG_BYTES = 1_000_000


class _Keys:
    """A config's keys, each read with its line for messages: file:line: key."""

    def __init__(self, data: dict[str, Any], lines: dict[Path, int], label: str, model_type: str) -> None:
        self.data, self.lines, self.label, self.model_type = data, lines, label, model_type

    def where(self, key: str) -> str:
        return f"{self.label}:{self.lines.get((key,), 1)}: {key}"

    def whole(self, key: str, default: int | None = None, low: int = 1) -> int:
        value = self.data.get(key, default)
        if value is None:
            if key in self.data:
                raise UsageError(self.where(key), f"must be a whole number for model_type {self.model_type!r}")
            raise UsageError(f"{self.label}: {key}", f"required by model_type {self.model_type!r}, and missing")
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(self.where(key), f"must be a whole number of at least {low}, got {value!r}")
        return value

    def optional_whole(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.whole(key)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise UsageError(self.where(key), f"must be true or false, got {value!r}")
        return value

    def layers(self, key: str) -> list[int]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise UsageError(self.where(key), f"must be a list of layer numbers, got {value!r}")
        return value


def _attention_heads(keys: _Keys, *, head_dim_default: int | None = None) -> dict[str, Any]:
    d_model = keys.whole("hidden_size")
    n_heads = keys.whole("num_attention_heads")
    head_dim = keys.data.get("head_dim")
    return {
        "n_layers": keys.whole("num_hidden_layers"),
        "d_model": d_model,
        "vocab_size": keys.whole("vocab_size"),
        "n_heads": n_heads,
        "n_kv_heads": keys.whole("num_key_value_heads", n_heads),
        "head_dim": keys.whole("head_dim") if head_dim is not None else head_dim_default or d_model // n_heads,
    }


def _llama(keys: _Keys) -> Architecture:
    """llama and mistral: RMSNorm, SwiGLU, rotary; biases on q, k, v and o with attention_bias, on the FFN with
    mlp_bias (LlamaConfig; MistralConfig has neither)."""
    bias = keys.flag("attention_bias", False)
    return Architecture(
        keys.model_type, **_attention_heads(keys), d_ff=keys.whole("intermediate_size"), gated_ffn=True,
        tied_embeddings=keys.flag("tie_word_embeddings", False), norm_params=keys.whole("hidden_size"),
        qkv_bias=bias, output_bias=bias, mlp_bias=keys.flag("mlp_bias", False),
    )  # fmt: skip


def _mixtral(keys: _Keys) -> Architecture:
    """Mixtral: Mistral's blocks with a routed mixture of SwiGLU experts of intermediate_size, no shared expert."""
    experts = Experts(
        keys.whole("num_local_experts"), keys.whole("num_experts_per_tok"), keys.whole("intermediate_size")
    )
    return Architecture(
        keys.model_type, **_attention_heads(keys), d_ff=keys.whole("intermediate_size"), gated_ffn=True,
        tied_embeddings=keys.flag("tie_word_embeddings", False), norm_params=keys.whole("hidden_size"),
        experts=experts,
    )  # fmt: skip


def _qwen(keys: _Keys) -> Architecture:
    """qwen2 (biases on q, k and v, none on o), qwen3 (norms on queries and keys, head_dim 128 unless given,
    attention_bias on q, k, v and o), and their mixtures of experts: qwen2_moe (a gated shared expert of
    shared_expert_intermediate_size) and qwen3_moe (none). A layer is dense when listed in mlp_only_layers or when
    its number + 1 is not a multiple of decoder_sparse_step."""
    qwen3 = keys.model_type.startswith("qwen3")
    bias = keys.flag("attention_bias", False)
    experts = None
    if keys.model_type.endswith("_moe"):
        n_layers, step = keys.whole("num_hidden_layers"), keys.whole("decoder_sparse_step", 1)
        only_mlp = set(keys.layers("mlp_only_layers"))
        dense = sum(1 for layer in range(n_layers) if layer in only_mlp or (layer + 1) % step != 0)
        shared = 0 if qwen3 else keys.whole("shared_expert_intermediate_size")
        experts = Experts(
            keys.whole("num_experts"), keys.whole("num_experts_per_tok"), keys.whole("moe_intermediate_size"),
            shared=0 if qwen3 else 1, shared_d_ff=shared, shared_gate=not qwen3, dense_layers=dense,
        )  # fmt: skip
    return Architecture(
        keys.model_type, **_attention_heads(keys, head_dim_default=128 if qwen3 else None),
        d_ff=keys.whole("intermediate_size"), gated_ffn=True, tied_embeddings=keys.flag("tie_word_embeddings", False),
        norm_params=keys.whole("hidden_size"), qkv_bias=bias if qwen3 else True, output_bias=bias if qwen3 else False,
        qk_norm=qwen3, experts=experts,
    )  # fmt: skip


def _gemma(keys: _Keys) -> Architecture:
    """gemma and gemma2: GeGLU, heads of head_dim (256 unless given), tied embeddings; Gemma 2 adds a norm after
    attention and one before and after the FFN (4 per layer)."""
    return Architecture(
        keys.model_type, **_attention_heads(keys, head_dim_default=256), d_ff=keys.whole("intermediate_size"),
        gated_ffn=True, tied_embeddings=keys.flag("tie_word_embeddings", True), norm_params=keys.whole("hidden_size"),
        norms_per_layer=4 if keys.model_type == "gemma2" else 2,
        qkv_bias=keys.flag("attention_bias", False), output_bias=keys.flag("attention_bias", False),
    )  # fmt: skip


def _deepseek(keys: _Keys) -> Architecture:
    """deepseek_v2 and deepseek_v3: multi-head latent attention; the first first_k_dense_replace layers dense, the
    rest routed experts of moe_intermediate_size with n_shared_experts shared ones (one FFN of that many times the
    width); DeepSeek-V3's router holds a bias per expert (topk_method noaux_tc). The multi-token-prediction modules
    (num_nextn_predict_layers) are left out and said."""
    if keys.whole("moe_layer_freq", 1) != 1:
        raise UsageError(keys.where("moe_layer_freq"), "only 1 (every layer after the dense ones routed) is counted")
    latent = Latent(
        kv_rank=keys.whole("kv_lora_rank"), q_rank=keys.optional_whole("q_lora_rank"),
        rope_dim=keys.whole("qk_rope_head_dim"), nope_dim=keys.whole("qk_nope_head_dim"),
        v_dim=keys.whole("v_head_dim"),
    )  # fmt: skip
    moe_d_ff, shared = keys.whole("moe_intermediate_size"), keys.whole("n_shared_experts", 0, low=0)
    experts = Experts(
        keys.whole("n_routed_experts"), keys.whole("num_experts_per_tok"), moe_d_ff,
        shared=shared,
        shared_d_ff=moe_d_ff * shared,
        router_bias=keys.data.get("topk_method") == "noaux_tc",
        dense_layers=keys.whole("first_k_dense_replace", 0, low=0),
    )  # fmt: skip
    mtp = keys.whole("num_nextn_predict_layers", 0, low=0)
    left_out = (
        (f"{mtp} multi-token-prediction module{'s' if mtp > 1 else ''} (num_nextn_predict_layers)",) if mtp else ()
    )
    d_model = keys.whole("hidden_size")
    return Architecture(
        keys.model_type, n_layers=keys.whole("num_hidden_layers"), d_model=d_model,
        vocab_size=keys.whole("vocab_size"), n_heads=keys.whole("num_attention_heads"),
        n_kv_heads=keys.whole("num_attention_heads"), head_dim=latent.nope_dim + latent.rope_dim,
        d_ff=keys.whole("intermediate_size"), gated_ffn=True,
        tied_embeddings=keys.flag("tie_word_embeddings", False), norm_params=d_model, latent=latent,
        experts=experts, left_out=left_out,
    )  # fmt: skip


def _gpt2(keys: _Keys) -> Architecture:
    """GPT-2: LayerNorm, biases everywhere, a GELU MLP of n_inner (4·n_embd unless given), learned positions,
    tied embeddings."""
    d_model, n_heads = keys.whole("n_embd"), keys.whole("n_head")
    inner = keys.data.get("n_inner")
    return Architecture(
        keys.model_type, n_layers=keys.whole("n_layer"), d_model=d_model, vocab_size=keys.whole("vocab_size"),
        n_heads=n_heads, n_kv_heads=n_heads, head_dim=d_model // n_heads,
        d_ff=keys.whole("n_inner") if inner is not None else 4 * d_model, gated_ffn=False,
        tied_embeddings=keys.flag("tie_word_embeddings", True), norm_params=2 * d_model, qkv_bias=True,
        output_bias=True, mlp_bias=True, learned_positions=keys.whole("n_positions"),
    )  # fmt: skip


def _gpt_neox(keys: _Keys) -> Architecture:
    """GPT-NeoX (Pythia): LayerNorm, biases on attention (attention_bias) and the GELU MLP, rotary, untied."""
    bias = keys.flag("attention_bias", True)
    return Architecture(
        keys.model_type, **_attention_heads(keys), d_ff=keys.whole("intermediate_size"), gated_ffn=False,
        tied_embeddings=keys.flag("tie_word_embeddings", False), norm_params=2 * keys.whole("hidden_size"),
        qkv_bias=bias, output_bias=bias, mlp_bias=True,
    )  # fmt: skip


#: The model types read, each by the reader of its family.
READERS: dict[str, Callable[[_Keys], Architecture]] = {
    "llama": _llama, "mistral": _llama, "mixtral": _mixtral,
    "qwen2": _qwen, "qwen2_moe": _qwen, "qwen3": _qwen, "qwen3_moe": _qwen,
    "gemma": _gemma, "gemma2": _gemma,
    "deepseek_v2": _deepseek, "deepseek_v3": _deepseek,
    "gpt2": _gpt2, "gpt_neox": _gpt_neox,
}  # fmt: skip


def read_hf_config(path: str, where: str = "hf_config") -> Architecture:
    """The architecture a Hugging Face config.json (or a folder holding one) describes."""
    if path != "-" and os.path.isdir(path):
        path = os.path.join(path, "config.json")
    data, lines, label = read_yaml(
        path, max_bytes=MAX_HF_CONFIG_BYTES, what="a config.json is a small file", kind="Hugging Face config.json",
        where=where,
    )  # fmt: skip
    if not isinstance(data, dict):
        raise UsageError(f"{label}:1", "not a JSON object: a Hugging Face config.json is one")
    model_type = data.get("model_type")
    if model_type is None:
        raise UsageError(label, "model_type: missing (a Hugging Face config.json names its model type)")
    if model_type not in READERS:
        raise UsageError(
            f"{label}:{lines.get(('model_type',), 1)}: model_type",
            f"{model_type!r} is not a model type read here (read: {', '.join(READERS)})",
        )
    return READERS[model_type](_Keys(data, lines, label, model_type))


#: Shape flags that may be given beside a config.json, each replacing what the file says (the field of the table of
#: fields, and the Architecture field it sets).
OVERRIDES = {
    "n_layers": "n_layers", "d_model": "d_model", "n_heads": "n_heads", "n_kv_heads": "n_kv_heads", "d_ff": "d_ff",
    "vocab_size": "vocab_size", "tied_embeddings": "tied_embeddings", "experts": "routed",
    "active_experts": "active", "expert_d_ff": "d_ff",
}  # fmt: skip
EXPERT_OVERRIDES = ("experts", "active_experts", "expert_d_ff")


def with_overrides(arch: Architecture, values: Mapping[str, Sourced], where: str) -> Architecture:
    """The file's architecture with the shape flags given beside it (OVERRIDES) in place of what it says; any other
    shape flag is refused, naming `where` (the file's flag). A head width the file derives (d_model / heads) follows
    new widths and heads; one it states stays."""
    from dataclasses import replace

    from .fields import FLAGS
    from .values import checked_whole

    given = {name: values[name] for name in OVERRIDES if name in values}
    if not given:
        return arch
    numbers: dict[str, Any] = {name: checked_whole(values, name) for name in given if name != "tied_embeddings"}
    if arch.experts is None and (expert_flags := [values[name].where for name in EXPERT_OVERRIDES if name in given]):
        raise UsageError(expert_flags[0], f"{arch.model_type} from {where} is dense: it has no experts to change")
    own: dict[str, Any] = {OVERRIDES[name]: number for name, number in numbers.items() if name not in EXPERT_OVERRIDES}
    if "tied_embeddings" in given:
        own["tied_embeddings"] = bool(given["tied_embeddings"].value)
    derived = arch.latent is None and arch.head_dim == arch.d_model // arch.n_heads
    changed = replace(arch, **own)
    if derived:
        changed = replace(changed, head_dim=changed.d_model // changed.n_heads)
    if "d_model" in own:  # a norm's parameters follow the width (RMSNorm d, LayerNorm 2·d)
        changed = replace(changed, norm_params=arch.norm_params // arch.d_model * changed.d_model)
    if arch.experts is not None:
        experts: dict[str, Any] = {OVERRIDES[n]: number for n, number in numbers.items() if n in EXPERT_OVERRIDES}
        changed = replace(changed, experts=replace(arch.experts, **experts))
    problems = [
        ("n_kv_heads", changed.n_heads % changed.n_kv_heads != 0, f"{changed.n_kv_heads} key/value heads must divide"
         f" the {changed.n_heads} attention heads"),
        ("active_experts", changed.experts is not None and changed.experts.active > changed.experts.routed,
         f"{changed.experts.active if changed.experts else 0} active experts are more than the"
         f" {changed.experts.routed if changed.experts else 0} routed"),
        ("n_heads", derived and changed.d_model % changed.n_heads != 0, f"{changed.n_heads} heads must divide"
         f" d_model {changed.d_model}"),
    ]  # fmt: skip
    for name, wrong, message in problems:
        if wrong:
            culprit = values.get(name) or values.get("n_heads") or values.get("d_model")
            raise UsageError(culprit.where if culprit else FLAGS[name], message)
    return changed
