"""Released models counted exactly from their published config.json (tests/data/hf_configs, provenance in its
README), against the counts their makers publish."""

from __future__ import annotations

import pytest

from scaling_plan.architectures import count_architecture
from scaling_plan.inputs.hf_config import read_hf_config

from ..conftest import ROOT

CONFIGS = ROOT / "tests" / "data" / "hf_configs"


def counted(name: str) -> tuple[int, int]:
    counts = count_architecture(read_hf_config(str(CONFIGS / f"{name}.json")))
    return counts.params_total, counts.params_active


# Exact counts as published with the models' checkpoints (their safetensors parameter counts; Mixtral's active
# count is the total less the 6 of 8 experts a token skips in each of its 32 layers).
@pytest.mark.parametrize(
    ("name", "total", "active"),
    [
        ("llama-2-7b", 6_738_415_616, 6_738_415_616),
        ("llama-3-8b", 8_030_261_248, 8_030_261_248),
        ("llama-3-70b", 70_553_706_496, 70_553_706_496),
        ("mixtral-8x7b", 46_702_792_704, 12_879_925_248),
        ("gemma-2-9b", 9_241_705_984, 9_241_705_984),
        ("gpt2", 124_439_808, 124_439_808),
        ("mistral-7b", 7_241_732_096, 7_241_732_096),
        ("gemma-7b", 8_537_680_896, 8_537_680_896),  # heads of 256 channels: 16 x 256 = 4,096 > d_model 3,072
        ("qwen2-0.5b", 494_032_768, 494_032_768),  # biases on q, k and v; tied embeddings
        ("pythia-160m", 162_322_944, 162_322_944),  # gpt_neox: LayerNorm, biases, untied
    ],
)
def test_released_models_count_exactly_as_published(name: str, total: int, active: int) -> None:
    assert counted(name) == (total, active)


def test_llama_2_70b_is_its_published_68_977b() -> None:
    """Published to the million (68.977B, its checkpoint's count rounded): the count is exact, so within 0.5M."""
    assert counted("llama-2-70b")[0] == pytest.approx(68.977e9, abs=0.5e6)


def test_pythia_160m_is_85_056_000_without_its_embeddings() -> None:
    """Biderman et al. 2023, Table 1: Pythia-160M has 85,056,000 non-embedding parameters."""
    counts = count_architecture(read_hf_config(str(CONFIGS / "pythia-160m.json")))
    assert counts.params_non_embedding == 85_056_000


def test_qwen3_counts_its_query_and_key_norms() -> None:
    """Qwen3-0.6B's card: 0.6B parameters, 0.44B of them non-embedding (head_dim 128 beside d_model 1,024, a norm of
    128 on queries and one on keys in each of 28 layers)."""
    architecture = read_hf_config(str(CONFIGS / "qwen3-0.6b.json"))
    assert (architecture.head_dim, architecture.qk_norm, architecture.tied_embeddings) == (128, True, True)
    counts = count_architecture(architecture)
    assert counts.params_total == pytest.approx(0.6e9, rel=0.01)
    assert counts.params_non_embedding == pytest.approx(0.44e9, rel=0.01)


def test_qwen3_30b_a3b_is_its_published_30_5b_and_3_3b_active() -> None:
    """Qwen3-30B-A3B's card: 30.5B in all, 3.3B activated, 29.9B non-embedding (128 experts, 8 a token, no shared
    expert)."""
    counts = count_architecture(read_hf_config(str(CONFIGS / "qwen3-30b-a3b.json")))
    assert counts.params_total == pytest.approx(30.5e9, rel=0.002)
    assert counts.params_active == pytest.approx(3.3e9, rel=0.02)
    assert counts.params_non_embedding == pytest.approx(29.9e9, rel=0.002)


def test_qwen1_5_moe_a2_7b_counts_its_gated_shared_expert() -> None:
    """Qwen's card: 14.3B parameters in all, 2.7B activated (of which 2.0B non-embedding)."""
    total, active = counted("qwen1.5-moe-a2.7b")
    assert total == pytest.approx(14.3e9, rel=0.005)
    assert active == pytest.approx(2.7e9, rel=0.02)


def test_deepseek_v3_is_its_published_671b_main_model_and_37b_active() -> None:
    """DeepSeek-AI 2024, DeepSeek-V3 Technical Report: 671B total, 37B activated per token, the main model without
    the multi-token-prediction module (its README: 685B on Hugging Face = 671B + 14B of MTP)."""
    architecture = read_hf_config(str(CONFIGS / "deepseek-v3.json"))
    counts = count_architecture(architecture)
    assert counts.params_total == pytest.approx(671e9, rel=0.002)
    assert counts.params_active == pytest.approx(37e9, rel=0.02)
    assert architecture.left_out == ("1 multi-token-prediction module (num_nextn_predict_layers)",)


def test_the_kv_cache_of_grouped_query_attention() -> None:
    """Llama 2 70B: 80 layers x (keys and values) x 8 heads x 128 channels x 2 bytes = 320 KiB a token."""
    counts = count_architecture(read_hf_config(str(CONFIGS / "llama-2-70b.json")))
    assert counts.kv_cache_bytes_per_token == 320 * 1024


def test_deepseek_v2_lite_makes_queries_without_a_latent() -> None:
    """DeepSeek-V2-Lite (q_lora_rank null: queries straight from the hidden state): 16B in all, as its card rounds it,
    and the same latent cache, (512 + 64) elements a layer over 27 layers."""
    architecture = read_hf_config(str(CONFIGS / "deepseek-v2-lite.json"))
    assert architecture.latent is not None and architecture.latent.q_rank is None
    counts = count_architecture(architecture)
    assert counts.params_total == pytest.approx(16e9, rel=0.025)
    assert counts.kv_cache_elements_per_token == (512 + 64) * 27


def test_the_kv_cache_of_multi_head_latent_attention() -> None:
    """DeepSeek-V2, sec. 2.1.4 and Table 1: MLA caches (d_c + d_h^R)·l elements a token, d_c = 4·d_h = 512 and
    d_h^R = d_h/2 = 64; DeepSeek-V3 keeps those widths over its 61 layers."""
    architecture = read_hf_config(str(CONFIGS / "deepseek-v3.json"))
    assert architecture.latent is not None
    assert (architecture.latent.kv_rank, architecture.latent.rope_dim) == (512, 64)
    counts = count_architecture(architecture)
    assert counts.kv_cache_elements_per_token == (512 + 64) * 61
    assert counts.kv_cache_bytes_per_token == 2 * (512 + 64) * 61


def test_an_active_count_is_the_total_less_the_experts_a_token_skips() -> None:
    architecture = read_hf_config(str(CONFIGS / "mixtral-8x7b.json"))
    assert architecture.experts is not None
    counts = count_architecture(architecture)
    one_expert = 3 * 4096 * 14336
    assert counts.params_total - counts.params_active == 32 * (8 - 2) * one_expert


@pytest.mark.parametrize("name", sorted(path.stem for path in CONFIGS.glob("*.json")))
def test_every_released_model_is_a_shape_with_its_parts_and_goes_back_unchanged(name: str) -> None:
    """A blueprint lays out a released model as a Shape: the shape states every part the config has (head widths,
    query/key norms, Gemma 2's four norms, biases of each style, latent attention, dense first layers, gated shared
    experts, router biases), and goes back to the same architecture."""
    from dataclasses import replace

    from scaling_plan.architectures import architecture_of_shape, shape_of_architecture

    architecture = read_hf_config(str(CONFIGS / f"{name}.json"))
    shape = shape_of_architecture(architecture, 4096)
    back = architecture_of_shape(shape)
    assert back == replace(architecture, model_type="shape", left_out=())


@pytest.mark.parametrize(
    ("name", "style", "parts"),
    [
        ("llama-3-8b", "llama", []), ("gpt2", "gpt", []), ("pythia-160m", "neox", []),
        ("qwen2-0.5b", "qwen2", []), ("gemma-7b", "llama", ["heads 256 wide"]),
        ("gemma-2-9b", "llama", ["heads 256 wide", "4 norms a layer"]),
        ("qwen3-0.6b", "llama", ["heads 128 wide", "norms on queries and keys"]),
        ("deepseek-v3", "llama", ["multi-head latent attention", "3 dense first layers", "a router bias"]),
        ("qwen1.5-moe-a2.7b", "qwen2", ["a gated shared expert"]),
    ],
)  # fmt: skip
def test_a_released_models_shape_says_its_style_and_parts(name: str, style: str, parts: list[str]) -> None:
    from scaling_plan.architectures import shape_of_architecture

    shape = shape_of_architecture(read_hf_config(str(CONFIGS / f"{name}.json")), 4096)
    assert (shape.style, shape.parts()) == (style, parts)
