"""Parallel layouts: memory per GPU against Korthikanti et al. 2022 and Rajbhandari et al. 2020, the search, launchable
batches, and the CLI around them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scaling_plan.blueprint import model_size
from scaling_plan.budget import GIB
from scaling_plan.parallel import (
    LayoutRequest,
    ModelSize,
    activation_bytes,
    choose_layout,
    fewest_gpus,
    layout_memory,
)
from scaling_plan.shapes import Shape, count

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


def test_a_predicted_pace_ranks_the_layouts_and_gains_within_its_band_leave_the_rules_to_choose() -> None:
    """A pace (seconds per sequence) decides between layouts that fit when one is more than PACE_BAND faster; within
    the band the rules choose, as without a pace; a pace that predicts nothing leaves the rules to choose."""
    from scaling_plan.parallel import PACE_BAND, Layout

    model, request = llama_70b(), LayoutRequest()
    by_rules = choose_layout(model, request, H100_BYTES, 1024, 2000)
    assert by_rules.seconds_per_sequence is None and by_rules.layout.pp == 1

    def pipelines_faster(gain: float) -> Callable[[Layout], float | None]:
        return lambda layout: 1.0 / (1.0 + gain) if layout.pp == 4 and layout.recompute == "none" else 1.0

    ranked = choose_layout(model, request, H100_BYTES, 1024, 2000, pipelines_faster(2 * PACE_BAND))
    assert ranked.layout.pp == 4 and ranked.seconds_per_sequence == pytest.approx(1 / (1 + 2 * PACE_BAND))
    assert ranked.n_fast >= 1 and "within 5% of the fastest" in ranked.reason
    alike = choose_layout(model, request, H100_BYTES, 1024, 2000, pipelines_faster(PACE_BAND / 2))
    assert alike.layout == by_rules.layout and alike.n_fast == alike.n_fitting
    unknown = choose_layout(model, request, H100_BYTES, 1024, 2000, lambda layout: None)
    assert unknown.layout == by_rules.layout and unknown.seconds_per_sequence is None
    # Where only some layouts can be timed (a link without a bandwidth), none wins for being timed: the rules choose.
    only_pipelines = choose_layout(
        model, request, H100_BYTES, 1024, 2000, lambda layout: 0.5 if layout.pp == 4 else None
    )
    assert only_pipelines.layout == by_rules.layout and only_pipelines.seconds_per_sequence is None


def test_the_launchable_batch_is_a_whole_number_of_micro_batches_per_rank() -> None:
    for gpus in (64, 256, 1024):
        layout = choose_layout(llama_70b(), LayoutRequest(micro_batch=2), H100_BYTES, gpus, 2000).layout
        assert layout.global_batch_sequences == layout.dp * 2 * layout.accumulation
        assert abs(layout.global_batch_sequences - 2000) <= layout.dp  # the nearest multiple of dp x 2


# --- the CLI --------------------------------------------------------------------------------------------------------


# --- training memory conventions: gradients' format, ZeRO-3's gathered units, the largest micro-batch -------------


@pytest.mark.parametrize(
    ("grad_precision", "unsharded", "sharded_per_d"), [("fp32", 18, (6, 12)), ("bf16", 16, (4, 12))]
)
@pytest.mark.parametrize("d", [1, 8, 64])
def test_state_bytes_per_parameter_are_megatrons_table(
    grad_precision: str, unsharded: int, sharded_per_d: tuple[int, int], d: int
) -> None:
    """Megatron-LM README, "Distributed Optimizer": bf16 params with fp32 grads take 18 bytes a parameter, 6 + 12/d
    with the distributed optimiser (ZeRO-1 over d data-parallel ranks); the ZeRO paper's bf16 gradients take 16 and
    4 + 12/d (Rajbhandari et al. 2020, Fig. 1, K = 12)."""
    params = 7_000_000_000
    model = ModelSize(32, 4096, 32, 32, 4096, 32000, params, 0, False, 34.0)
    states = {}
    for sharding in ("none", "zero-1"):
        layout = layout_memory(model, 1e15, 1, 1, 1, d, sharding, "full", 1, 1, True, grad_precision)
        states[sharding] = (layout.weights_bytes + layout.gradients_bytes + layout.optimizer_bytes) / params
        assert layout.gather_bytes == 0
    fixed, per_d = sharded_per_d
    assert states["none"] == pytest.approx(unsharded)
    assert states["zero-1"] == pytest.approx(fixed + per_d / d)


def test_zero_3_holds_two_gathered_units_beside_its_shards() -> None:
    shape = Shape(32, 4096, 32, 11008, vocab_size=32000)  # LLaMA-2-7B's blocks
    model = model_size(shape, count(shape))
    block = (count(shape).params_total - count(shape).params_embedding) / 32
    assert block > 32000 * 4096  # a block outweighs the vocabulary matrix here
    for tp in (1, 2):
        layout = layout_memory(model, H100_BYTES, tp, 1, 1, 8, "zero-3", "full", 1, 1, True)
        assert layout.gather_bytes == pytest.approx(2 * 2 * block / tp)
        parts = layout.weights_bytes + layout.gradients_bytes + layout.optimizer_bytes + layout.activations_bytes
        assert layout.total_bytes == pytest.approx(parts + layout.gather_bytes)
    wide_vocabulary = Shape(4, 1024, 8, 4096, vocab_size=256_000)
    small = model_size(wide_vocabulary, count(wide_vocabulary))
    assert (
        layout_memory(small, H100_BYTES, 1, 1, 1, 8, "zero-3", "full", 1, 1, True).gather_bytes
        == 2 * 2 * 256_000 * 1024
    )


def test_the_largest_micro_batch_is_the_last_that_fits() -> None:
    shape = Shape(32, 4096, 32, 11008, vocab_size=32000, seq_len=4096)
    model = model_size(shape, count(shape))
    layout = layout_memory(model, H100_BYTES, 4, 1, 1, 2, "zero-1", "none", 1, 16, True)
    m = layout.micro_batch_max
    assert m >= 1
    fits = layout_memory(model, H100_BYTES, 4, 1, 1, 2, "zero-1", "none", m, 16, True)
    too_many = layout_memory(model, H100_BYTES, 4, 1, 1, 2, "zero-1", "none", m + 1, 16, True)
    assert fits.fits and not too_many.fits


# --- expert parallelism --------------------------------------------------------------------------------------------


def mixtral() -> tuple[Shape, ModelSize]:
    """Mixtral-8x7B from its config.json: 32 layers of 8 SwiGLU experts of width 14,336 on d_model 4,096, 2 a token."""
    from scaling_plan.architectures import shape_of_architecture
    from scaling_plan.inputs.hf_config import read_hf_config

    config = Path(__file__).resolve().parents[1] / "data" / "hf_configs" / "mixtral-8x7b.json"
    shape = shape_of_architecture(read_hf_config(str(config)), 4096)
    return shape, model_size(shape, count(shape))


def test_expert_parallelism_divides_the_routed_experts_and_zero_shards_them_over_dp_over_ep() -> None:
    """Each of ep ranks holds experts/ep whole experts of every layer; the rest of the model is held whole. ZeRO
    shards the experts' states over the dp/ep ranks that hold the same experts, so a sharded state ends divided
    over all dp ranks with or without expert parallelism."""
    shape, model = mixtral()
    routed = 32 * 8 * 3 * 4096 * 14336  # layers x experts x SwiGLU's three matrices
    assert model.routed_params_per_layer * model.expert_layers == routed
    rest = count(shape).params_total - routed
    for ep in (1, 2, 8):
        layout = layout_memory(model, H100_BYTES, 1, 1, 1, 8, "zero-1", "full", 1, 8, True, ep=ep)
        assert layout.weights_bytes == pytest.approx(2 * (rest + routed / ep))
        assert layout.gradients_bytes == pytest.approx(2 * (rest + routed / ep))
        assert layout.optimizer_bytes == pytest.approx(12 * (rest + routed) / 8)  # the same at every ep
        zero_3 = layout_memory(model, H100_BYTES, 1, 1, 1, 8, "zero-3", "full", 1, 8, True, ep=ep)
        assert zero_3.weights_bytes == pytest.approx(2 * (rest + routed) / 8)
        # two gathered blocks, each with its experts divided over ep
        block = (count(shape).params_total - count(shape).params_embedding) / 32
        assert zero_3.gather_bytes == pytest.approx(2 * 2 * (block - routed / 32 * (1 - 1 / ep)))


def test_all_to_all_traffic_is_four_exchanges_per_expert_layer_and_micro_batch() -> None:
    """Dispatch and combine, forward and backward (6 under full recomputation): each exchange sends the GPU's
    s/cp·b/tp tokens x top-k x d_model x 2 bytes, (ep - 1)/ep of it to other GPUs."""
    _, model = mixtral()
    tp, cp, ep, micro, steps = 2, 1, 4, 1, 3
    layout = layout_memory(model, H100_BYTES, tp, 1, cp, 8, "zero-1", "none", micro, steps, True, ep=ep)
    exchange = 4096 / cp * micro / tp * 2 * 4096 * 2 * (ep - 1) / ep
    assert layout.all_to_all_bytes == pytest.approx(exchange * 4 * 32 * steps)
    full = layout_memory(model, H100_BYTES, tp, 1, cp, 8, "zero-1", "full", micro, steps, True, ep=ep)
    assert full.all_to_all_bytes == pytest.approx(1.5 * layout.all_to_all_bytes)
    assert layout_memory(model, H100_BYTES, tp, 1, cp, 8, "zero-1", "none", micro, steps, True).all_to_all_bytes == 0


def test_expert_parallelism_must_divide_the_experts_and_the_data_parallel_ranks() -> None:
    from scaling_plan.errors import UsageError

    _, model = mixtral()
    with pytest.raises(UsageError, match="3 must divide the 8 routed experts"):
        choose_layout(model, LayoutRequest(ep=3), H100_BYTES, 16, 512)
    with pytest.raises(UsageError, match="needs a mixture of experts"):
        choose_layout(gpt_block(4, 1024, 16, 2048, 51200), LayoutRequest(ep=2), H100_BYTES, 8, 64)
    with pytest.raises(UsageError, match="16 GPUs do not divide into tp 4 x ep 8"):
        choose_layout(model, LayoutRequest(tp=4, ep=8), H100_BYTES, 16, 512)
    chosen = choose_layout(model, LayoutRequest(ep=8), H100_BYTES, 16, 512).layout
    assert chosen.ep == 8 and chosen.dp % 8 == 0 and chosen.fits


def test_mixtral_fits_on_16_h100s_and_no_layout_holds_its_adam_states_on_8() -> None:
    """46.7B parameters x 16 bytes of mixed-precision Adam are 696 GiB: more than 8 H100s hold whatever the layout."""
    shape, model = mixtral()
    assert 16 * count(shape).params_total > 8 * H100_BYTES
    assert fewest_gpus(model, LayoutRequest(), 512, H100_BYTES) == 16
    choice = choose_layout(model, LayoutRequest(), H100_BYTES, 16, 512)
    assert choice.layout.fits and choice.layout.ep > 1  # expert parallelism is what fits it without recomputing
    assert not choose_layout(model, LayoutRequest(), H100_BYTES, 8, 512).layout.fits


def test_mixtral_fits_on_8_h100s_with_8_bit_adam_states() -> None:
    """Dettmers et al. 2022's block-wise 8-bit Adam keeps momentum and variance in a byte each, with an FP32 scale per
    2,048 values, beside the FP32 master weights: 2 + 2 + 6.0039 bytes a parameter, 435 GiB for Mixtral's 46.7B, which
    8 H100s (637 GiB) hold."""
    shape, model = mixtral()
    request = LayoutRequest(optimizer_states="8bit")
    layout = layout_memory(model, H100_BYTES, 1, 1, 1, 8, "zero-1", "full", 1, 8, True, optimizer_states="8bit")
    assert layout.optimizer_bytes == pytest.approx((4 + 2 * (1 + 4 / 2048)) * count(shape).params_total / 8)
    assert fewest_gpus(model, request, 512, H100_BYTES) == 8
    choice = choose_layout(model, request, H100_BYTES, 8, 512)
    assert choice.layout.fits and choice.layout.total_bytes <= H100_BYTES
