"""Parallel layouts: memory per GPU against Korthikanti et al. 2022 and Rajbhandari et al. 2020, the search, launchable
batches, and the CLI around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_plan.blueprint import Shape, count, model_size
from scaling_plan.budget import GIB
from scaling_plan.parallel import (
    LayoutRequest,
    ModelSize,
    activation_bytes,
    choose_layout,
    fewest_gpus,
    layout_memory,
)

from ..conftest import Cli

H100_BYTES = 81559 * 2**20  # as nvidia-smi reports an H100 80GB


def gpt_block(layers: int, h: int, a: int, s: int, v: int) -> ModelSize:
    """A GPT block as Korthikanti et al. 2022 count it: multi-head attention, a 4h two-matrix MLP, and dropout (on
    the attention probabilities, after attention and after the MLP), whose masks their 34 and 5·a·s/h count."""
    shape = Shape(layers, h, a, 4 * h, vocab_size=v, seq_len=s, ffn="gelu", style="gpt")
    return model_size(shape, count(shape), dropout=True)


# --- activations: Korthikanti et al. 2022 --------------------------------------------------------------------------


@pytest.mark.parametrize("t", [1, 2, 8])
def test_tensor_and_sequence_parallel_activations_are_korthikanti_table_2(t: int) -> None:
    """Table 2, tensor + sequence parallelism: s·b·h·(34/t + 5·a·s/(h·t)) per layer; with selective recomputation
    s·b·h·34/t; full recomputation keeps 2·s·b·h/t per layer and rebuilds one layer. Plus 4·s·b·h·(1 + v/h)/t
    for the embedding, final norm and logits (sec. 4.3)."""
    s, b, h, a, layers, v = 2048, 2, 4096, 32, 10, 51200
    model = gpt_block(layers, h, a, s, v)
    outside = 4 * s * b * h * (1 + v / h) / t
    layer = s * b * h * (34 / t + 5 * a * s / (h * t))
    assert model.linear_units == pytest.approx(34)
    assert activation_bytes(model, b, "none", tp=t) == pytest.approx(layers * layer + outside)
    assert activation_bytes(model, b, "selective", tp=t) == pytest.approx(layers * s * b * h * 34 / t + outside)
    assert activation_bytes(model, b, "full", tp=t) == pytest.approx(layers * 2 * s * b * h / t + layer + outside)


def test_a_llama_2_7b_block_keeps_no_dropout_masks() -> None:
    """LLaMA-2-7B (32 layers, h 4,096, 32 heads, SwiGLU d_ff 11,008, vocabulary 32,000) at s 4,096, b 1, t 1 has no
    dropout. Korthikanti et al. 2022's terms (sec. 4.1), in bytes per s·b·h, without the two masks of 1 byte:
      attention  QKV input 2 + Q 2 + K 2 + V 2 + output projection input 2              = 10
      MLP        input 2 + gate and up outputs 2·2·11008/4096 + down input 2·11008/4096  = 2 + 16.125 = 18.125
      norms      2 + 2                                                                    = 4
    so 32.125 (34.125 with the masks, 6.2% more). Selective recomputation keeps
    32 x 4096·4096·32.125 = 17,246,978,048 bytes, plus 4·s·h·(1 + v/h) = 67,108,864 x 8.8125 = 591,396,864 for the
    embedding, final norm and logits (sec. 4.3): 17,838,374,912 bytes, 16.61328125 GiB."""
    shape = Shape(32, 4096, 32, 11008, vocab_size=32000, seq_len=4096, ffn="swiglu", style="llama")
    model = model_size(shape, count(shape))
    assert model.linear_units == 32.125 and model.score_units == 2
    assert activation_bytes(model, 1, "selective") == 17_838_374_912
    masked = model_size(shape, count(shape), dropout=True)
    assert activation_bytes(masked, 1, "selective") - 17_838_374_912 == 32 * 2 * 4096 * 4096  # two masks a layer
    # Without recomputation or FlashAttention the scores keep the softmax output alone, 2·a·s² bytes, not 5·a·s².
    kept = activation_bytes(model, 1, "none") - activation_bytes(model, 1, "none", flash_attention=True)
    assert kept == 32 * 2 * 32 * 4096 * 4096


@pytest.mark.parametrize(
    ("shape", "high_pct"),
    [
        (Shape(32, 4096, 32, 11008, vocab_size=32000, seq_len=4096), 6.23),  # LLaMA-2-7B: 34.125 / 32.125
        (Shape(32, 4096, 32, 14336, vocab_size=128256, seq_len=8192, n_kv_heads=8), 5.88),  # Llama-3-8B: 36 / 34
        (Shape(80, 8192, 64, 28672, vocab_size=128256, seq_len=8192, n_kv_heads=8), 5.97),  # Llama-3-70B: 35.5 / 33.5
    ],
    ids=["llama-2-7b", "llama-3-8b", "llama-3-70b"],
)
def test_llama_blocks_default_to_no_dropout_and_masks_would_add_about_6_percent(shape: Shape, high_pct: float) -> None:
    plain, masked = model_size(shape, count(shape)), model_size(shape, count(shape), dropout=True)
    assert masked.linear_units - plain.linear_units == 2  # the masks after attention and after the MLP
    assert 100 * (masked.linear_units / plain.linear_units - 1) == pytest.approx(high_pct, abs=0.01)
    gpt = Shape(32, 4096, 32, 16384, ffn="gelu", style="gpt")
    assert model_size(gpt, count(gpt)).linear_units == 34  # the gpt style has dropout unless told


def test_flash_attention_keeps_no_score_tensor() -> None:
    s, b, h, a, layers, v = 4096, 1, 4096, 32, 32, 32000
    model = gpt_block(layers, h, a, s, v)
    kept = activation_bytes(model, b, "none", tp=2, flash_attention=False)
    flash = activation_bytes(model, b, "none", tp=2, flash_attention=True)
    assert kept - flash == pytest.approx(layers * 5 * a * s * s * b / 2)  # the scores, softmax and dropout mask
    assert flash == pytest.approx(activation_bytes(model, b, "selective", tp=2, flash_attention=False))


#: Korthikanti et al. 2022, Table 3: GPT-3 175B (96 heads, hidden 12,288, 96 layers) on tensor parallel 8 x pipeline
#: 8 = 64 GPUs, sequences of 2,048, micro-batch 1; the vocabulary is GPT-3's 51,200 as Megatron-LM pads it.
GPT3 = {"layers": 96, "h": 12288, "a": 96, "s": 2048, "v": 51200, "t": 8, "p": 8}


def test_gpt3_175b_configuration_of_korthikanti_table_3() -> None:
    """Sec. 4.2.3: under 1F1B the first stage holds p micro-batches of its L/p layers, so L layers' activations;
    with sequence parallelism and selective recomputation that is L·s·b·h·34/t. Against the tensor-parallel
    baseline of Table 2, s·b·h·(10 + 24/t + 5·a·s/(h·t)) per layer, that is the paper's about 5x less."""
    g = GPT3
    model = gpt_block(g["layers"], g["h"], g["a"], g["s"], g["v"])
    layout = layout_memory(model, 80 * GIB, g["t"], g["p"], 1, 1, "none", "selective", 1, 64, False)
    outside = 4 * g["s"] * g["h"] * (1 + g["v"] / g["h"]) / g["t"]
    expected = g["layers"] * g["s"] * g["h"] * 34 / g["t"] + outside
    assert layout.activations_bytes == pytest.approx(expected)
    baseline = g["layers"] * g["s"] * g["h"] * (10 + 24 / g["t"] + 5 * g["a"] * g["s"] / (g["h"] * g["t"]))
    assert 5.0 <= baseline / (expected - outside) <= 5.5
    # The stage's weights: 96/8 layers of 12·h² (plus biases and norms) and one vocabulary matrix, over 8 ranks.
    stage = count(Shape(96, 12288, 96, 4 * 12288, 51200, 2048, "gelu", False, None, "gpt")).params_total
    assert layout.weights_bytes == pytest.approx(2 * model.stage_params(8) / 8)
    assert model.stage_params(8) < stage / 8 + 51200 * 12288 + 1e6


# --- states: Rajbhandari et al. 2020 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sharding", "published_gb"), [("none", 120), ("zero-1", 31.4), ("zero-2", 16.6), ("zero-3", 1.9)]
)
def test_zero_states_match_rajbhandari_figure_1(sharding: str, published_gb: float) -> None:
    """Rajbhandari et al. 2020, Fig. 1: 7.5B parameters, 64-way data parallel, K = 12: 120, 31.4, 16.6, 1.9 GB."""
    model = ModelSize(1, 128, 1, 1, 1, 1, 7_500_000_000, 0, False, 34.0)
    layout = layout_memory(model, 1e15, 1, 1, 1, 64, sharding, "full", 1, 1, True)
    states = layout.weights_bytes + layout.gradients_bytes + layout.optimizer_bytes
    assert states / 1e9 == pytest.approx(published_gb, abs=0.05)


def test_zero_shards_over_data_and_context_parallel_ranks_and_tensor_parallelism_divides_first() -> None:
    model = ModelSize(8, 1024, 8, 8, 8192, 1000, 8_000_000_000, 0, False, 34.0)
    layout = layout_memory(model, 1e15, 4, 1, 2, 8, "zero-1", "full", 1, 1, True)
    assert layout.weights_bytes == pytest.approx(2 * 8e9 / 4)
    assert layout.optimizer_bytes == pytest.approx(12 * 8e9 / 4 / (8 * 2))


def test_moe_memory_counts_every_expert() -> None:
    shape = Shape(4, 512, 8, 1408, vocab_size=1000, seq_len=1024, experts=64, active_experts=2)
    counts = count(shape)
    layout = layout_memory(model_size(shape, counts), 80 * GIB, 1, 1, 1, 1, "none", "full", 1, 1, True)
    assert layout.weights_bytes == 2 * counts.params_total
    assert counts.params_total > 10 * (counts.params_active - counts.params_embedding)


def test_a_pipeline_stage_holds_its_layers_and_one_vocabulary_matrix() -> None:
    shape = Shape(8, 1024, 8, 4096, vocab_size=50000, seq_len=2048, ffn="gelu")
    counts = count(shape)
    model = model_size(shape, counts)
    assert model.stage_params(1) == counts.params_total
    blocks = counts.params_total - counts.params_embedding
    assert model.stage_params(4) == pytest.approx(blocks / 4 + 50000 * 1024)


# --- the search -----------------------------------------------------------------------------------------------------


def llama_70b() -> ModelSize:
    shape = Shape(80, 8192, 64, 28672, vocab_size=128256, seq_len=8192, n_kv_heads=8)
    return model_size(shape, count(shape))


def test_the_fewest_gpus_fit_and_one_node_fewer_does_not() -> None:
    model, request = llama_70b(), LayoutRequest()
    least = fewest_gpus(model, request, 2000, H100_BYTES)
    assert least > 8 and least % 8 == 0
    assert choose_layout(model, request, H100_BYTES, least, 2000).layout.fits
    assert not choose_layout(model, request, H100_BYTES, least - 8, 2000).layout.fits


def test_the_chosen_layout_recomputes_only_when_nothing_else_fits() -> None:
    model = llama_70b()
    roomy = choose_layout(model, LayoutRequest(), H100_BYTES, 1024, 2000).layout
    assert roomy.fits and roomy.recompute == "none"
    tight = choose_layout(model, LayoutRequest(tp=8, pp=1, cp=1, sharding="zero-1"), H100_BYTES, 16, 2000)
    if tight.layout.fits:
        none = choose_layout(
            model, LayoutRequest(tp=8, pp=1, cp=1, sharding="zero-1", recompute="none"), H100_BYTES, 16, 2000
        )
        assert tight.layout.recompute == "none" or not none.layout.fits


def test_fixed_degrees_are_kept_and_the_rest_searched() -> None:
    choice = choose_layout(llama_70b(), LayoutRequest(tp=8, pp=4), H100_BYTES, 1024, 2000)
    layout = choice.layout
    assert (layout.tp, layout.pp) == (8, 4) and layout.n_gpus == 1024
    assert layout.sharding in ("none", "zero-1")  # pipelines take no ZeRO-2 or -3
    assert layout.bubble_fraction == pytest.approx(3 / layout.accumulation)


def test_a_large_bubble_loses_and_a_small_one_is_not_chased() -> None:
    # A small batch on many GPUs: few micro-batches per step, so any pipeline idles a large share of it.
    small_batch = choose_layout(llama_70b(), LayoutRequest(), H100_BYTES, 256, 64).layout
    assert small_batch.fits and small_batch.pp == 1
    # With tp 8 x pp 4 fixed, context parallelism would shrink a 1.9% bubble to 0.5%: not worth its traffic.
    fixed = choose_layout(llama_70b(), LayoutRequest(tp=8, pp=4), H100_BYTES, 1024, 5141).layout
    assert fixed.cp == 1 and fixed.dp == 32 and 0 < fixed.bubble_fraction < 0.05


def test_the_launchable_batch_is_a_whole_number_of_micro_batches_per_rank() -> None:
    for gpus in (64, 256, 1024):
        layout = choose_layout(llama_70b(), LayoutRequest(micro_batch=2), H100_BYTES, gpus, 2000).layout
        assert layout.global_batch_sequences == layout.dp * 2 * layout.accumulation
        assert abs(layout.global_batch_sequences - 2000) <= layout.dp  # the nearest multiple of dp x 2


# --- the CLI --------------------------------------------------------------------------------------------------------


def test_a_1e24_plan_on_1024_h100s_is_launchable(cli: Cli) -> None:
    record = cli.json("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024")
    assert record["tp"] * record["pp"] * record["cp"] * record["dp"] == 1024
    assert record["n_heads"] % record["tp"] == 0 and record["n_layers"] % record["pp"] == 0
    assert record["batch_sequences"] % record["dp"] == 0
    assert record["batch_sequences"] == record["dp"] * record["micro_batch_sequences"] * record[
        "gradient_accumulation_steps"]  # fmt: skip
    parts = ("weights_gib_per_gpu", "gradients_gib_per_gpu", "optimizer_gib_per_gpu", "activations_gib_per_gpu")
    assert sum(record[p] for p in parts) == pytest.approx(record["memory_gib_per_gpu"])
    assert record["memory_gib_per_gpu"] < record["gpu_memory_gib"] < 80
    assert record["min_gpus"] <= 1024 and record["layouts_fitting"] >= 1
    assert "least recomputation" in record["layout_reason"]
    assert abs(record["batch_sequences"] / record["batch_sequences_optimal"] - 1) < 0.25
    assert record["batch_tokens"] == record["batch_sequences"] * record["seq_len"]


def test_the_table_shows_the_layout_and_why(cli: Cli) -> None:
    result = cli.run("shape", "--params", "70B", "--gpu", "H100", "--gpus", "256", "--tp", "8")
    assert result.exit_code == 0, result.stderr
    for text in ("Tensor parallel (tp)", "Pipeline stages (pp)", "Data parallel (dp)", "Accumulation steps",
                 "Batch, launchable (sequences)", "Layout: tp 8 x pp"):  # fmt: skip
        assert text in result.stdout


def test_too_few_gpus_warn_with_the_fewest_that_fit(cli: Cli) -> None:
    result = cli.run("shape", "--params", "70B", "--gpu", "H100", "--gpus", "4")
    assert result.exit_code == 0
    record = cli.json("shape", "--params", "70B", "--gpu", "H100", "--gpus", "4")
    assert f"at least {record['min_gpus']:,} are needed" in result.stderr
    assert record["memory_gib_per_gpu"] > record["gpu_memory_gib"]


def test_a_batch_far_from_the_law_is_said(cli: Cli) -> None:
    result = cli.run("shape", "--params", "1B", "--tokens", "20B", "--gpu", "H100", "--gpus", "8192", "--tp", "1",
                     "--pp", "1", "--cp", "1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "the launchable batch of 8,192 sequences" in result.stderr


@pytest.mark.parametrize(("dropout", "units"), [((), 2), (("--dropout",), 5)])
def test_flash_attention_off_holds_the_scores(cli: Cli, dropout: tuple[str, ...], units: int) -> None:
    """The scores keep the softmax output (2 bytes), and with dropout its mask (1) and output (2) too."""
    args = ("shape", "--params", "1B", "--gpu", "H100", "--gpus", "8", "--tp", "1", "--pp", "1", "--cp", "1",
            "--recompute", "none", "--sharding", "zero-3", *dropout)  # fmt: skip
    flash, kept = cli.json(*args), cli.json(*args, "--no-flash-attention")
    assert flash["flash_attention"] is True and kept["flash_attention"] is False
    assert flash["dropout"] is bool(dropout)
    s, a, layers = flash["seq_len"], flash["n_heads"], flash["n_layers"]
    gained = (kept["activations_gib_per_gpu"] - flash["activations_gib_per_gpu"]) * GIB
    assert gained == pytest.approx(layers * units * a * s * s)


def test_llama_2_7b_activations_leave_out_dropout_masks_unless_asked(cli: Cli, tmp_path: Path) -> None:
    """test_a_llama_2_7b_block_keeps_no_dropout_masks computes the 16.61328125 GiB by hand; --dropout adds two masks
    of s·h bytes in each of the 32 layers, 1 GiB; gpt3 blocks have them unless --no-dropout."""
    args = ("shape", "--params", "6.7B", "--family", "llama2", "--gpu", "H100", "--gpus", "8", "--tp", "1", "--pp",
            "1", "--cp", "1", "--recompute", "selective", "--sharding", "zero-3")  # fmt: skip
    plain = cli.json(*args)
    assert (plain["n_layers"], plain["d_model"], plain["d_ff"], plain["vocab_size"]) == (32, 4096, 11008, 32000)
    assert plain["dropout"] is False and plain["activations_gib_per_gpu"] == 16.61328125
    masked = cli.json(*args, "--dropout")
    assert masked["dropout"] is True and masked["activations_gib_per_gpu"] == 17.61328125
    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e23\nblueprint:\n  family: llama2\n  dropout: true\n")
    assert cli.json("budget", "--config", str(config))["dropout"] is True
    assert cli.json("budget", "--config", str(config), "--no-dropout")["dropout"] is False
    assert cli.json("shape", "--params", "6.7B", "--family", "gpt3")["dropout"] is True
    assert cli.json("shape", "--params", "6.7B", "--family", "gpt3", "--no-dropout")["dropout"] is False
    table = cli.run(*args, env={"COLUMNS": "200"}).stdout
    assert "blocks without dropout keep no dropout masks" in " ".join(table.split())


def test_layout_settings_from_yaml_match_flags(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text(
        "budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\n  gpus: 1024\n"
        "blueprint:\n  tp: 8\n  pp: 2\n  flash_attention: true\n  gpus_per_node: 8\n"
    )
    from_file = cli.json("budget", "--config", str(config))
    from_flags = cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--blueprint",
                          "--tp", "8", "--pp", "2")  # fmt: skip
    for key in ("tp", "pp", "cp", "dp", "sharding", "recompute", "memory_gib_per_gpu", "batch_sequences"):
        assert from_file[key] == from_flags[key]
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\nblueprint:\n  tp: eight\n")
    result = cli.run("budget", "--config", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{bad}:6" in result.stderr and "tp" in result.stderr


def test_layout_settings_without_a_gpu_are_said_unused(cli: Cli) -> None:
    result = cli.run("shape", "--params", "7B", "--tp", "8", "--no-flash-attention", "--dropout")
    assert result.exit_code == 0
    assert "--tp, --no-flash-attention, --dropout unused without --gpu" in result.stderr
