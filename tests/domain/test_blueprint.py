"""Blueprints: exact counts against published models and tables, memory, hyperparameters, and the CLI around them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_plan.blueprint import Shape, count, hyperparameters, shape_for_params

from ..conftest import CONFIGS, Cli

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


#: Exact totals, as the released checkpoints count them (the sum of every tensor's elements in their Hugging Face
#: configs' shapes): LLaMA-2-7B (Touvron et al. 2023: 32 x 4096, 32 heads, FFN 11,008, vocabulary 32,000),
#: Llama-3-8B and Llama-3-70B (Dubey et al. 2024: vocabulary 128,256, 8 key/value heads, FFN 14,336 and 28,672);
#: all SwiGLU, RMSNorm, untied embeddings.
EXACT = [
    ("LLaMA-2-7B", ("--layers", "32", "--d-model", "4096", "--heads", "32", "--d-ff", "11008", "--vocab-size", "32000"),
     6_738_415_616),
    ("Llama-3-8B", ("--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8", "--d-ff", "14336",
                    "--vocab-size", "128256"), 8_030_261_248),
    ("Llama-3-70B", ("--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8", "--d-ff", "28672",
                     "--vocab-size", "128256"), 70_553_706_496),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "published"), EXACT, ids=[e[0] for e in EXACT])
def test_explicit_shapes_of_released_models_count_exactly(
    cli: Cli, name: str, args: tuple[str, ...], published: int
) -> None:
    shape = cli.json("shape", *args, "--untied-embeddings")
    assert shape["params_total"] == published, name


@pytest.mark.parametrize(("name", "shape", "published"), PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_parameter_totals_match_published_models_within_1_percent(name: str, shape: Shape, published: float) -> None:
    counts = count(shape)
    assert counts.params_total == pytest.approx(published, rel=0.01)
    assert counts.params_active == counts.params_total
    assert counts.params_embedding + counts.params_non_embedding == counts.params_total


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
@settings(max_examples=100, deadline=None)
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


def test_budget_blueprint_prints_shape_counts_memory_gpus_batch_lr_and_days(cli: Cli) -> None:
    args = ("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024")
    result = cli.run(*args)
    assert result.exit_code == 0, result.stderr
    for text in ("Layers", "d_model", "Non-embedding parameters", "FLOPs/token: full count", "Memory per GPU",
                 "Minimum GPUs", "Batch (tokens)", "Peak learning rate", "Training FLOPs, full count", "Wall-clock days"):  # fmt: skip
        assert text in result.stdout
    assert "extrapolate DeepSeek LLM's eq. 1" in result.stderr
    record = cli.json(*args)
    for field in ("n_layers", "d_model", "n_heads", "head_dim", "d_ff", "params_non_embedding",
                  "flops_per_token_full", "memory_gib_per_gpu", "min_gpus", "lr_peak", "batch_tokens",
                  "wall_clock_days_full"):  # fmt: skip
        assert record[field] is not None and record[field] > 0
    assert record["memory_gpus"] == 1024 and record["min_gpus"] <= 1024
    assert record["params_total"] == pytest.approx(record["n_params"], rel=0.02)
    # Training time uses the full count: days scale with full / 6N.
    ratio = record["flops_per_token_full"] / (6 * record["params_total"])
    assert record["full_to_6n_ratio"] == pytest.approx(ratio)
    expected_days = record["flops_per_token_full"] * record["n_tokens"] / (989e12 * 0.4 * 86400 * 1024)
    assert record["wall_clock_days_full"] == pytest.approx(expected_days)


def test_shape_counts_an_explicit_shape(cli: Cli) -> None:
    record = cli.json(
        "shape", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8", "--d-ff", "14336",
        "--vocab-size", "128000",
    )  # fmt: skip
    assert record["params_total"] == count(Shape(32, 4096, 32, 14336, 128000, n_kv_heads=8)).params_total
    assert record["target_n_params"] is None
    assert record["n_tokens"] == 20 * record["params_total"]


def test_shape_moe_reports_total_and_active(cli: Cli) -> None:
    record = cli.json("shape", "--params", "3B", "--experts", "16", "--active-experts", "2", "--shared-experts", "1")
    assert record["params_total"] > 3 * record["params_active"]
    assert record["params_active"] == pytest.approx(3e9, rel=0.05)
    assert record["flops_per_token_6n"] == 6 * record["params_active"]


def test_csv_carries_the_same_fields(cli: Cli) -> None:
    rows = cli.csv("shape", "--params", "1B", "--gpu", "A100-SXM")
    record = cli.json("shape", "--params", "1B", "--gpu", "A100-SXM")
    assert list(rows[0]) == list(record)


def test_blueprint_from_yaml_matches_flags(cli: Cli) -> None:
    from_file = cli.json("budget", "-c", str(CONFIGS / "blueprint-1e24.yaml"))
    from_flags = cli.json(
        "budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--blueprint", "--vocab-size", "128000",
        "--seq-len", "8192", "--ffn", "swiglu", "--kv-heads", "8", "--causal-attention", "--tp", "8",
        "--flash-attention",
    )  # fmt: skip
    assert from_file == from_flags
    assert from_file["n_kv_heads"] == 8 and from_file["causal_attention"] is True


def test_sweep_rows_equal_single_blueprints(cli: Cli) -> None:
    rows = cli.json("sweep", "--budgets", "1e21,1e23", "--blueprint", "--gpu", "H100-SXM")["plans"]
    for row, flops in zip(rows, ("1e21", "1e23"), strict=True):
        single = cli.json("budget", "--flops", flops, "--blueprint", "--gpu", "H100-SXM")
        assert {k: row[k] for k in single if k != "given_value"} == {
            k: v for k, v in single.items() if k != "given_value"
        }


def test_compare_shows_blueprint_rows(cli: Cli) -> None:
    records = cli.json("compare", str(CONFIGS / "blueprint-1e24.yaml"), str(CONFIGS / "flops-1e24.yaml"))["configs"]
    assert records[0]["min_gpus"] is not None and records[1]["min_gpus"] is None
    assert records[0]["n_layers"] > 0


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("shape", "--layers", "32", "--d-model", "4096", "--heads", "30"), "--heads: 30 heads do not divide"),
        (("shape", "--layers", "0", "--d-model", "4096"), "--layers: must be a whole number of at least 1, got 0"),
        (("shape", "--layers", "32", "--d-model", "4096", "--kv-heads", "5"), "--kv-heads: 5 key/value heads"),
        (("shape", "--layers", "32"), "--layers: an explicit shape needs --d-model too"),
        (("shape",), "give --params"),
        (("shape", "--params", "7B", "--layers", "2", "--d-model", "256"), "--params: give --params or"),
        (("shape", "--params", "7B", "--heads", "8"), "--heads: is part of an explicit shape"),
        (
            ("shape", "--params", "7B", "--active-experts", "2"),
            "--active-experts: active or shared experts, and an expert width, need",
        ),
        (("shape", "--params", "7B", "--experts", "8", "--active-experts", "9"), "--active-experts: must be"),
        (("shape", "--params", "7B", "--seq-len", "2.5"), "--seq-len: must be a whole number"),
        (("shape", "--params", "7B", "--vocab-size", "nan"), "--vocab-size: must be a finite number"),
        (
            (
                "budget",
                "--flops",
                "1e24",
                "--blueprint",
                "--gpu",
                "H100-SXM",
                "--sharding",
                "none",
                "--tp",
                "1",
                "--pp",
                "1",
            ),
            "--tp: 92,051,923,968 parameters fit on no number of H100-SXM GPUs (79.6 GiB each) with the settings given",
        ),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus", "64", "--tp", "3"), "--tp: 3 must divide the 64"),
        (("shape", "--params", "70B", "--gpu", "H100", "--tp", "16"), "--tp: tensor parallelism stays within a node"),
        (("shape", "--params", "70B", "--gpu", "H100", "--pp", "5"), "--pp: 5 must divide the 84 layers"),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus", "60", "--tp", "8"), "--gpus: 60 GPUs do not divide"),
        (("shape", "--params", "70B", "--gpu", "H100", "--cp", "3"), "--cp: 2 x 3 must divide the sequence length"),
        (
            ("shape", "--params", "70B", "--gpu", "H100", "--pp", "4", "--sharding", "zero-3"),
            "--sharding: zero-3 does not combine with pipeline parallelism",
        ),
        (("shape", "--params", "70B", "--gpu", "H100", "--tp", "0"), "--tp: must be a whole number of at least 1"),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus-per-node", "2.5"), "--gpus-per-node: must be a whole"),
    ],
)
def test_impossible_shapes_and_memory_are_one_line_errors(cli: Cli, args: tuple[str, ...], culprit: str) -> None:
    assert culprit in cli.error(*args)


def test_yaml_blueprint_errors_name_file_line_and_field(cli: Cli) -> None:
    config = {"budget": {"flops": 1e22}, "blueprint": {"n_layers": 4, "d_model": 1000, "n_heads": 3}}
    line = cli.error("budget", "-c", "-", input=yaml.safe_dump(config))
    assert "blueprint.n_heads: 3 heads do not divide d_model 1000" in line and "<stdin>:3:" in line
    line = cli.error("budget", "-c", "-", input="budget:\n  flops: 1e22\nblueprint:\n  layers: 4\n")
    assert "unknown key 'blueprint.layers'; did you mean 'n_layers'?" in line


def test_shape_flags_without_blueprint_warn(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e22", "--vocab-size", "32000")
    assert result.exit_code == 0
    assert "--vocab-size unused without --blueprint" in result.stderr


def test_no_nan_or_inf_in_blueprint_output(cli: Cli) -> None:
    record = cli.json("shape", "--params", "1e6", "--vocab-size", "256", "--gpu", "H100-SXM")
    for value in record.values():
        if isinstance(value, float):
            assert math.isfinite(value)


def test_the_off_flag_of_a_config_switch_overrides_the_config(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "tied.yaml"
    config.write_text("budget: {flops: 1e22}\nblueprint: {tied_embeddings: true}\n")
    assert cli.json("budget", "-c", str(config))["tied_embeddings"] is True
    assert cli.json("budget", "-c", str(config), "--untied-embeddings")["tied_embeddings"] is False
    line = cli.error("budget", "-c", str(config), "--untied-embeddings", "--tied-embeddings")
    assert "--tied-embeddings/--untied-embeddings" in line


def test_gpu_memory_is_what_the_device_reports(cli: Cli) -> None:
    """nvidia-smi's totals: 81,559 MiB for an H100 80GB and 81,920 MiB for an A100 80GB (binary: HBM stacks), not the
    74.5 GiB that 80e9 bytes would be."""
    listed = {gpu["name"]: gpu["memory_gib"] for gpu in cli.json("gpus")["gpus"]}
    assert listed["H100-SXM"] == pytest.approx(81559 / 1024, rel=1e-12)
    assert listed["A100-SXM"] == 80.0
    assert all(value > 79 for name, value in listed.items() if name != "TPU-v5p")


def test_a_size_no_shape_comes_near_is_refused_naming_the_nearest(cli: Cli) -> None:
    """Was: --params 10 gave a 33M model, +329813660%, and exit 0."""
    line = cli.error("shape", "--params", "1e5")
    assert "--params: no shape comes within 10% of 100K parameters: the nearest, 1 x 128" in line
    assert cli.error("shape", "--params", "10").endswith("did you mean 10B?")  # a size short of its suffix
    assert cli.error("budget", "--flops", "1e6", "--blueprint").startswith("scaling-plan: error: --blueprint: no shape")
    near = cli.run("shape", "--params", "7B", "-f", "json")  # a size shapes reach: no refusal, no warning
    assert near.exit_code == 0 and "no shape" not in near.stderr


def test_embeddings_that_dwarf_the_blocks_are_said(cli: Cli) -> None:
    small = cli.run("shape", "--params", "100M", "-f", "json")
    record = json.loads(small.stdout)
    share = record["params_embedding"] / record["params_total"]
    assert share > 0.5 and f"embeddings are {share:.0%} of the" in small.stderr
    sized = cli.run("shape", "--params", "100M", "--vocab-size", "32000", "-f", "json")
    assert sized.exit_code == 0 and "embeddings are" not in sized.stderr


def test_mixtral_8x7b_counts_its_published_total_and_active_parameters(cli: Cli) -> None:
    """Jiang et al. 2024 (Mixtral of Experts): 32 layers of 4,096, 32 heads with 8 key/value heads, 8 experts of
    SwiGLU width 14,336 with 2 used per token, vocabulary 32,000; 46.7B parameters, 12.9B active (Mistral's model
    card; the paper rounds them to 47B and 13B)."""
    shape = cli.json("shape", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8",
                     "--d-ff", "14336", "--vocab-size", "32000", "--experts", "8", "--active-experts", "2",
                     "--untied-embeddings")  # fmt: skip
    assert shape["params_total"] == pytest.approx(46.7e9, abs=0.05e9)
    assert shape["params_active"] == pytest.approx(12.9e9, abs=0.05e9)


def test_a_fine_grained_moe_counts_qwen_moe_a2_7b(cli: Cli) -> None:
    """Qwen1.5-MoE-A2.7B (Qwen team, 2024): 24 layers of 2,048, 16 heads, 60 routed experts of SwiGLU width 1,408
    with 4 used per token, and a shared expert of width 5,632 (four experts' worth: --shared-experts 4), vocabulary
    151,936; 14.3B parameters, 2.7B activated (its biases on Q, K and V, 6,144 per layer, are left out)."""
    shape = cli.json("shape", "--layers", "24", "--d-model", "2048", "--heads", "16", "--experts", "60",
                     "--active-experts", "4", "--shared-experts", "4", "--expert-d-ff", "1408", "--vocab-size",
                     "151936", "--untied-embeddings")  # fmt: skip
    assert shape["params_total"] == pytest.approx(14.3e9, abs=0.05e9)
    assert shape["params_active"] == pytest.approx(2.7e9, abs=0.05e9)
    assert shape["expert_d_ff"] == 1408
    assert "--expert-d-ff: is part of an explicit shape" in cli.error("shape", "--params", "7B", "--expert-d-ff", "128")
    assert "need routed experts" in cli.error("shape", "--layers", "2", "--d-model", "256", "--expert-d-ff", "128")


# --- families ---------------------------------------------------------------------------------------------------------

#: Sizes a family's rule lands on its own released models exactly (the totals of EXACT above; Llama 2 13B's
#: 13,015,864,320 as its checkpoint counts it: 40 x 5,120, FFN 13,824, vocabulary 32,000), and GPT-3's shapes
#: (Brown et al. 2020, Table 2.1).
FAMILY_SHAPES = [
    ("8B", "llama3", (32, 4096, 32, 8, 14336), 8_030_261_248),
    ("70B", "llama3", (80, 8192, 64, 8, 28672), 70_553_706_496),
    ("6.7B", "llama2", (32, 4096, 32, 32, 11008), 6_738_415_616),
    ("13B", "llama2", (40, 5120, 40, 40, 13824), 13_015_864_320),
    ("175B", "gpt3", (96, 12288, 96, 96, 49152), None),
    ("6.7B", "gpt3", (32, 4096, 32, 32, 16384), None),
]


@pytest.mark.parametrize(
    ("params", "family", "shape", "total"), FAMILY_SHAPES, ids=[f"{f[1]}-{f[0]}" for f in FAMILY_SHAPES]
)
def test_a_family_lands_on_its_released_shapes(
    cli: Cli, params: str, family: str, shape: tuple[int, ...], total: int | None
) -> None:
    record = cli.json("shape", "--params", params, "--family", family)
    assert (record["n_layers"], record["d_model"], record["n_heads"], record["n_kv_heads"], record["d_ff"]) == shape
    assert record["family"] == family
    if total is not None:
        assert record["params_total"] == total


def test_flags_beside_a_family_win(cli: Cli) -> None:
    record = cli.json("shape", "--params", "8B", "--family", "llama3", "--vocab-size", "32000", "--kv-heads", "4")
    assert record["vocab_size"] == 32000 and record["n_kv_heads"] == 4 and record["seq_len"] == 8192
    gelu = cli.json("shape", "--params", "8B", "--family", "llama3", "--ffn", "gelu")
    assert gelu["d_ff"] == 4 * gelu["d_model"]  # the family's SwiGLU rule does not carry over to another FFN
    text = cli.run("shape", "--params", "8B", "--family", "llama3", env={"COLUMNS": "120"}).stdout
    assert "Family llama3: Dubey et al. 2024" in " ".join(text.split())


def test_an_unknown_family_is_one_line(cli: Cli, tmp_path: Path) -> None:
    error = cli.error("shape", "--params", "8B", "--family", "llama4")
    assert "--family" in error and "llama4" in error
    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e24\nblueprint:\n  family: llama4\n")
    error = cli.error("budget", "--config", str(config))
    assert f"{config}:4" in error and "family" in error
