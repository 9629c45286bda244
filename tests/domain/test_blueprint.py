"""Blueprints: exact counts against published models and tables, memory, hyperparameters, and the CLI around them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.blueprint import hyperparameters
from scaling_plan.shapes import Shape, count, shape_for_params

from ..strength import examples

# --- parameter totals of published models (within 1%) -----------------------------------------------------------

#: (name, shape, published total). GPT-3: Brown et al. 2020, Table 2.1 (vocabulary 50,257 and 2,048-token context,
#: sec. 2.1; LayerNorm, biases, learned positions, tied embeddings as GPT-2). Llama 3: Dubey et al. 2024, Table 3
#: (vocabulary 128,000; SwiGLU; RMSNorm; untied embeddings).
PUBLISHED = [
    ("GPT-3 175B", Shape(96, 12288, 96, 4 * 12288, 50257, 2048, "gelu", True, None, "gpt"), 175.0e9),
    ("GPT-3 6.7B", Shape(32, 4096, 32, 4 * 4096, 50257, 2048, "gelu", True, None, "gpt"), 6.7e9),
    ("Llama 3 8B", Shape(32, 4096, 32, 14336, 128000, 8192, "swiglu", False, 8), 8e9),
    ("Llama 3 70B", Shape(80, 8192, 64, 28672, 128000, 8192, "swiglu", False, 8), 70e9),
    ("Llama 3 405B", Shape(126, 16384, 128, 53248, 128000, 8192, "swiglu", False, 8), 405e9),
]


@pytest.mark.parametrize(("name", "shape", "published"), PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_parameter_totals_match_published_models_within_1_percent(name: str, shape: Shape, published: float) -> None:
    counts = count(shape)
    assert counts.params_total == pytest.approx(published, rel=0.01)
    assert counts.params_active == counts.params_total
    assert counts.params_embedding + counts.params_non_embedding == counts.params_total


#: Exact totals of released checkpoints (tests/data/hf_configs/README.md gives each count's source: Pythia-160M's
#: model card; the checkpoint of Qwen2.5-0.5B, which has Qwen2-0.5B's dimensions), typed as shapes of the two styles that are neither llama's nor gpt's: Pythia-160M (GPT-NeoX: LayerNorm,
#: biases, rotary; Biderman et al. 2023, Table 1: 12 layers, d_model 768, 12 heads) and Qwen2-0.5B (RMSNorm, biases
#: on queries, keys and values; Yang et al. 2024, Table 1: 24 layers, 14 heads, 2 key/value heads, tied).
STYLED = [
    ("neox", Shape(12, 768, 12, 3072, 50304, 2048, "gelu", False, None, "neox"), 162_322_944),
    ("qwen2", Shape(24, 896, 14, 4864, 151936, 4096, "swiglu", True, 2, "qwen2"), 494_032_768),
]


@pytest.mark.parametrize(("style", "shape", "published"), STYLED, ids=[s[0] for s in STYLED])
def test_the_neox_and_qwen2_styles_count_their_released_models_exactly(
    style: str, shape: Shape, published: int
) -> None:
    assert count(shape).params_total == published


def test_a_head_width_given_as_d_model_over_heads_lays_out_as_the_derived_one() -> None:
    from dataclasses import replace

    from scaling_plan.blueprint import model_size

    shape = Shape(32, 4096, 32, 14336, 128256, 8192, "swiglu", False, 8)
    stated = replace(shape, head_width=128)
    assert count(stated) == count(shape)
    assert model_size(stated, count(stated)).linear_units == pytest.approx(model_size(shape, count(shape)).linear_units)


def test_dense_first_layers_leave_the_heaviest_pipeline_stage_all_experts() -> None:
    """DeepSeek-style: the first layers dense, the rest experts. A pipeline stage of expert layers only holds more
    than an even share of all blocks, and ZeRO-3 gathers an expert layer, not the mean block."""
    from dataclasses import replace

    from scaling_plan.blueprint import model_size

    moe = Shape(16, 2048, 16, 10944, 102400, 4096, "swiglu", False, None, experts=64, active_experts=6,
                shared_experts=2, expert_d_ff=1408)  # fmt: skip
    mixed = replace(moe, dense_layers=1)
    counts = count(mixed)
    size = model_size(mixed, counts)
    expert_layer = (count(moe).params_total - count(moe).params_embedding) / 16
    assert counts.heaviest_block_params == pytest.approx(expert_layer)
    assert size.largest_unit_params() == pytest.approx(expert_layer)
    blocks = counts.params_total - counts.params_embedding
    assert size.stage_params(4) - counts.params_embedding / 2 == pytest.approx(4 * expert_layer)
    assert 4 * expert_layer > blocks / 4


def test_tied_embeddings_are_counted_once_and_untied_twice() -> None:
    tied = Shape(2, 256, 4, 1024, vocab_size=1000, ffn="gelu", tied_embeddings=True)
    untied = Shape(2, 256, 4, 1024, vocab_size=1000, ffn="gelu", tied_embeddings=False)
    assert count(tied).params_embedding == 1000 * 256
    assert count(untied).params_embedding == 2 * 1000 * 256
    assert count(tied).params_non_embedding == count(untied).params_non_embedding


def test_gqa_and_swiglu_count_their_matrices() -> None:
    d, layers, ff = 1024, 3, 2816
    mha = count(Shape(layers, d, 8, ff, vocab_size=10, tied_embeddings=True))
    gqa = count(Shape(layers, d, 8, ff, vocab_size=10, tied_embeddings=True, n_kv_heads=2))
    # K and V shrink from 8 heads of 128 to 2: 2 x d x (1024 - 256) fewer weights per layer.
    assert mha.params_total - gqa.params_total == layers * 2 * d * (1024 - 256)
    gelu = count(Shape(layers, d, 8, ff, vocab_size=10, tied_embeddings=True, ffn="gelu"))
    assert mha.params_total - gelu.params_total == layers * d * ff  # the third (gate) matrix


# --- DeepSeek LLM Table 3 ---------------------------------------------------------------------------------------

#: DeepSeek-AI 2024 (DeepSeek LLM), Table 3, n_vocab = 102,400 and l_seq = 4,096: (n_layer, d_model, N1, N2, M,
#: 6N1/M, 6N2/M) as printed. Their N1 = 12·L·d² and M = 72·L·d² + 12·L·d·l_seq describe multi-head attention with
#: a 2-matrix FFN of 4·d_model; N2 adds one vocabulary matrix (tied embeddings).
DEEPSEEK_TABLE_3 = [
    (8, 512, 25.2e6, 77.6e6, 352e6, 0.43, 1.32),
    (12, 768, 84.9e6, 164e6, 963e6, 0.53, 1.02),
    (24, 1024, 302e6, 407e6, 3.02e9, 0.60, 0.81),
    (24, 2048, 1.21e9, 1.42e9, 9.66e9, 0.75, 0.88),
    (32, 4096, 6.44e9, 6.86e9, 45.1e9, 0.85, 0.91),
    (40, 5120, 12.6e9, 13.1e9, 85.6e9, 0.88, 0.92),
    (80, 8192, 64.4e9, 65.3e9, 419e9, 0.92, 0.94),
]


@pytest.mark.parametrize(("layers", "d", "n1", "n2", "m", "ratio1", "ratio2"), DEEPSEEK_TABLE_3)
def test_deepseek_table_3_reproduces(
    layers: int, d: int, n1: float, n2: float, m: float, ratio1: float, ratio2: float
) -> None:
    shape = Shape(layers, d, d // 64, 4 * d, vocab_size=102400, seq_len=4096, ffn="gelu", tied_embeddings=True)
    counts = count(shape)
    # Printed to three significant figures: within half a unit of the last digit.
    assert counts.flops_per_token_deepseek == pytest.approx(m, rel=0.5 / 100 * 1.01)
    assert counts.flops_per_token_deepseek == 72 * layers * d**2 + 12 * layers * d * 4096  # their formula, exactly
    assert counts.params_non_embedding == pytest.approx(n1, rel=0.005)
    assert counts.params_total == pytest.approx(n2, rel=0.005)
    # Ratios to one unit of the printed second decimal: the 32 x 4096 row prints 0.85 where its own formula,
    # 72·L·d² / M = 0.857, rounds to 0.86 (truncated in the table, it seems); every other ratio rounds exactly.
    assert 6 * counts.params_non_embedding / counts.flops_per_token_deepseek == pytest.approx(ratio1, abs=0.01)
    assert 6 * counts.params_total / counts.flops_per_token_deepseek == pytest.approx(ratio2, abs=0.01)


# --- Chinchilla appendix F, term by term ---------------------------------------------------------------------------

#: Hoffmann et al. 2022, Table A4's smallest model: 10 layers, d_model 640, ffw_size 2560, 10 heads of 64; with a
#: 2,048-token sequence and a 32,000-token vocabulary (neither is printed for Table A4).
F_LAYERS, F_D, F_FF, F_HEADS, F_KEY, F_SEQ, F_VOCAB = 10, 640, 2560, 10, 64, 2048, 32000
F_SHAPE = Shape(F_LAYERS, F_D, F_HEADS, F_FF, vocab_size=F_VOCAB, seq_len=F_SEQ, ffn="gelu")


def _terms(causal: bool = False) -> dict[str, float]:
    return count(F_SHAPE, causal_attention=causal).full_terms


def test_appendix_f_embeddings() -> None:
    assert _terms()["embeddings"] == 2 * F_SEQ * F_VOCAB * F_D


def test_appendix_f_key_query_value_projections() -> None:
    assert _terms()["attention_qkv"] == F_LAYERS * 2 * 3 * F_SEQ * F_D * (F_KEY * F_HEADS)


def test_appendix_f_key_query_logits() -> None:
    assert _terms()["attention_logits"] == F_LAYERS * 2 * F_SEQ * F_SEQ * (F_KEY * F_HEADS)


def test_appendix_f_softmax() -> None:
    assert _terms()["attention_softmax"] == F_LAYERS * 3 * F_HEADS * F_SEQ * F_SEQ


def test_appendix_f_softmax_query_reductions() -> None:
    assert _terms()["attention_values"] == F_LAYERS * 2 * F_SEQ * F_SEQ * (F_KEY * F_HEADS)


def test_appendix_f_final_linear() -> None:
    assert _terms()["attention_output"] == F_LAYERS * 2 * F_SEQ * (F_KEY * F_HEADS) * F_D


def test_appendix_f_dense_block() -> None:
    assert _terms()["ffn"] == F_LAYERS * 2 * F_SEQ * (F_D * F_FF + F_D * F_FF)


def test_appendix_f_final_logits() -> None:
    assert _terms()["final_logits"] == 2 * F_SEQ * F_D * F_VOCAB


def test_appendix_f_total_is_three_forward_passes_per_token() -> None:
    counts = count(F_SHAPE)
    assert set(counts.full_terms) == {
        "embeddings", "attention_qkv", "attention_logits", "attention_softmax", "attention_values",
        "attention_output", "ffn", "final_logits",
    }  # fmt: skip
    assert counts.flops_per_token_full == pytest.approx(3 * sum(counts.full_terms.values()) / F_SEQ, rel=1e-15)


def test_causal_masking_halves_only_the_attention_score_terms() -> None:
    full, causal = _terms(), _terms(causal=True)
    for term in full:
        halved = term in ("attention_logits", "attention_softmax", "attention_values")
        assert causal[term] == (full[term] / 2 if halved else full[term])


def test_full_count_is_deepseek_m_plus_vocabulary_and_softmax() -> None:
    """Two conventions, two sources: appendix F's count = M + 12·V·d (embeddings, logits) + 9·L·h·S (softmax)."""
    counts = count(F_SHAPE)
    extra = 12 * F_VOCAB * F_D + 9 * F_LAYERS * F_HEADS * F_SEQ
    assert counts.flops_per_token_full == pytest.approx(counts.flops_per_token_deepseek + extra, rel=1e-12)


def test_kaplan_convention_adds_the_context_term_to_6n() -> None:
    counts = count(F_SHAPE)
    expected = 6 * counts.params_non_embedding + 6 * F_LAYERS * F_SEQ * F_D
    assert counts.flops_per_token_kaplan == expected


# --- mixture of experts ----------------------------------------------------------------------------------------------


def test_moe_flops_scale_with_active_experts_not_total() -> None:
    base = dict(n_layers=4, d_model=512, n_heads=8, d_ff=1408, vocab_size=1000, seq_len=1024)
    ffn = 3 * 512 * 1408
    few = count(Shape(**base, experts=8, active_experts=2))  # type: ignore[arg-type]
    many = count(Shape(**base, experts=64, active_experts=2))  # type: ignore[arg-type]
    more_active = count(Shape(**base, experts=64, active_experts=4))  # type: ignore[arg-type]
    # 56 more experts: 56 more FFNs of parameters per layer, but per-token FLOPs change only by the router's logits.
    assert many.params_total - few.params_total == 4 * (56 * ffn + 56 * 512)
    assert many.params_active - few.params_active == 4 * 56 * 512
    for convention in ("flops_per_token_6n", "flops_per_token_deepseek", "flops_per_token_full"):
        assert getattr(many, convention) - getattr(few, convention) == pytest.approx(6 * 4 * 56 * 512, rel=1e-12)
        # Two more active experts per token: two more FFNs in every layer, forward and backward.
        assert getattr(more_active, convention) - getattr(many, convention) == pytest.approx(6 * 4 * 2 * ffn)
    shared = count(Shape(**base, experts=64, active_experts=2, shared_experts=1))  # type: ignore[arg-type]
    assert shared.flops_per_token_full - many.flops_per_token_full == pytest.approx(6 * 4 * ffn)


# --- hyperparameters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "batch_sequences", "lr"),
    [
        (Shape(30, 4096, 32, 11008, vocab_size=102400, seq_len=4096), 2304, 4.2e-4),
        (Shape(95, 8192, 64, 22016, vocab_size=102400, seq_len=4096, n_kv_heads=8), 4608, 3.2e-4),
    ],
    ids=["7B", "67B"],
)
def test_deepseek_eq_1_gives_their_table_2_settings(shape: Shape, batch_sequences: int, lr: float) -> None:
    """DeepSeek LLM Table 2: 7B and 67B on 2T tokens of 4,096-token sequences, batch 2,304 and 4,608 sequences,
    peak LR 4.2e-4 and 3.2e-4 (their published values are rounded; d_ff from their released configs)."""
    hyper = hyperparameters(count(shape), shape.seq_len, 2e12)
    assert hyper.lr_peak == pytest.approx(lr, rel=0.02)
    assert hyper.batch_sequences == pytest.approx(batch_sequences, rel=0.05)
    assert hyper.batch_tokens == hyper.batch_sequences * 4096
    assert hyper.extrapolated


def test_hyperparameters_inside_the_fitted_range_are_not_extrapolated() -> None:
    shape = Shape(12, 768, 12, 3072, vocab_size=102400, seq_len=4096, ffn="gelu")
    counts = count(shape)
    tokens = 1e18 / counts.flops_per_token_deepseek
    hyper = hyperparameters(counts, 4096, tokens)
    assert hyper.compute_flops == pytest.approx(1e18)
    assert not hyper.extrapolated
    assert hyper.lr_peak == pytest.approx(0.3118 * 1e18**-0.125)


# --- finding a shape ----------------------------------------------------------------------------------------------


@pytest.mark.slow  # a shape search per example
@examples(100)
@given(
    target=st.floats(min_value=3e8, max_value=3e12),
    kv=st.sampled_from([None, 1, 4, 8]),
    ffn=st.sampled_from(["gelu", "swiglu"]),
)
def test_found_shapes_are_hardware_friendly_and_near_the_target(target: float, kv: int | None, ffn: str) -> None:
    shape = shape_for_params(target, Shape(1, 128, 1, 128, n_kv_heads=kv, ffn=ffn, vocab_size=32000))
    assert shape.d_model % 128 == 0 and shape.d_ff % 128 == 0
    assert shape.head_dim in (64, 128) and shape.n_heads * shape.head_dim == shape.d_model
    assert shape.n_heads % shape.kv_heads == 0
    assert count(shape).params_active == pytest.approx(target, rel=0.02)
    if (kv or 1) * 128 * 8 <= shape.d_model:  # width steps fine enough for the depth rule to have a choice
        assert 64 <= shape.d_model / shape.n_layers <= 256


def test_shape_for_7b_is_llama_like() -> None:
    shape = shape_for_params(7e9, Shape(1, 128, 1, 128, n_kv_heads=8))
    assert shape.d_model == 4096 and shape.n_heads == 32 and shape.kv_heads == 8
    assert count(shape).params_total == pytest.approx(7e9, rel=0.02)


# --- the CLI ------------------------------------------------------------------------------------------------------
