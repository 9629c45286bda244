"""Serving: the KV cache from the attention's own formula, memory that fits, and no rate past the roofline."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_plan.architectures import architecture_of_shape, count_architecture
from scaling_plan.budget import GPUS, MIB
from scaling_plan.errors import UsageError
from scaling_plan.inputs.hf_config import read_hf_config
from scaling_plan.serving import MEMORY_UTILISATION, SECONDS_PER_HOUR, ServeRequest, serve
from scaling_plan.shapes import Shape, count

from ..conftest import ROOT

CONFIGS = ROOT / "tests" / "data" / "hf_configs"
LLAMA_2_70B = read_hf_config(str(CONFIGS / "llama-2-70b.json"))
MIXTRAL = read_hf_config(str(CONFIGS / "mixtral-8x7b.json"))
DEEPSEEK_V3 = read_hf_config(str(CONFIGS / "deepseek-v3.json"))
H100 = GPUS["H100-SXM"]
#: NVIDIA H100 datasheet (2023): 3.35 TB/s of HBM3 on the SXM board.
H100_HBM_BYTES_PER_SECOND = 3.35e12
KIB = 1024


def test_llama_2_70b_caches_320_kib_a_token_in_bf16_and_half_in_fp8() -> None:
    # 80 layers x 8 key/value heads of 128 x (key + value) x 2 bytes (Touvron et al. 2023, Table 1 and the config).
    served = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=1))
    assert served.kv_cache_bytes_per_token == 80 * 8 * 128 * 2 * 2 == 320 * KIB
    assert served.kv_cache_bytes_per_sequence == 320 * KIB * (2048 + 256)
    fp8 = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=1, kv_precision="fp8"))
    assert fp8.kv_cache_bytes_per_token == 160 * KIB
    # tensor parallel over 2 GPUs: each keeps 4 of the 8 key/value heads
    assert served.kv_cache_bytes_per_gpu == 160 * KIB * (2048 + 256)


def test_latent_attention_caches_its_latent_and_rotary_key_whole_on_every_gpu() -> None:
    # DeepSeek-V2 (DeepSeek-AI 2024), sec. 2.1.4, Table 1: MLA caches (d_c + d_h^R) x l elements a token, with
    # d_c = 4·d_h = 512 and d_h^R = d_h/2 = 64; DeepSeek-V3 has 61 layers. The latent serves every head, so tensor
    # parallelism does not split it.
    on_one = serve(DEEPSEEK_V3, GPUS["H200"], replace(ServeRequest(gpus=8, batch=1), weights_precision="fp8"))
    assert on_one.kv_cache_bytes_per_token == (512 + 64) * 61 * 2
    assert on_one.kv_cache_bytes_per_gpu == (512 + 64) * 61 * 2 * (2048 + 256)


def test_weights_split_evenly_over_the_replica() -> None:
    served = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=1))
    assert served.weights_bytes_per_gpu == 68_976_648_192 * 2 / 2
    int4 = serve(LLAMA_2_70B, H100, ServeRequest(gpus=1, batch=1, weights_precision="int4"))
    assert int4.weights_bytes_per_gpu == 68_976_648_192 / 2


def test_the_largest_batch_is_the_last_that_fits() -> None:
    served = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2))
    usable = 81559 * MIB * MEMORY_UTILISATION
    assert served.memory_bytes_per_gpu <= usable
    one_more = served.kv_cache_bytes_per_gpu / served.batch * (served.batch + 1)
    assert served.weights_bytes_per_gpu + served.activation_bytes_per_gpu + one_more > usable
    assert served.batch == served.batch_max == 20
    with pytest.raises(UsageError) as refused:
        serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=64))
    assert refused.value.field == "batch" and "at most 20 do" in refused.value.message


def test_a_model_too_big_for_its_gpus_names_the_fewest_that_hold_it() -> None:
    with pytest.raises(UsageError) as refused:
        serve(LLAMA_2_70B, H100, ServeRequest(gpus=1))
    assert refused.value.field == "gpus" and "gpus 2" in refused.value.message
    with pytest.raises(UsageError) as uneven:
        serve(LLAMA_2_70B, H100, ServeRequest(gpus=3))
    assert uneven.value.field == "gpus" and "64 attention heads" in uneven.value.message


def test_decoding_one_sequence_reads_the_weights_once_a_step() -> None:
    # At batch 1 a step is bound by memory: the weights and one sequence's cache over the HBM bandwidth at the MBU.
    served = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=1, mbu=0.8))
    assert served.decode_bound == "memory"
    step_bytes = 68_976_648_192 + (2048 + 257 / 2) * 160 * KIB  # per GPU: half the weights, 4 of 8 KV heads
    assert served.decode_memory_seconds == pytest.approx(step_bytes / (H100_HBM_BYTES_PER_SECOND * 0.8), rel=1e-9)
    # two ring all-reduces of one token's hidden state per layer: microseconds
    assert served.decode_comm_seconds == pytest.approx(2 * 80 * 8192 * 2 * 1 / 900e9, rel=1e-9)


def test_a_mixture_of_experts_reads_the_experts_its_batch_is_routed_to() -> None:
    counts = count_architecture(MIXTRAL)
    one = serve(MIXTRAL, H100, ServeRequest(gpus=1, batch=1, weights_precision="fp8", mbu=1.0))
    # one token: its 2 of 8 experts in each layer, so the active parameters (Jiang et al. 2024: 12.9B of 46.7B)
    kv = (2048 + 257 / 2) * 32 * 2 * 8 * 128 * 2
    assert one.decode_bytes_per_step_per_gpu == pytest.approx(counts.params_active + kv, rel=1e-9)
    many = serve(MIXTRAL, H100, ServeRequest(gpus=1, batch=64, weights_precision="fp8", prompt_tokens=512))
    # 64 tokens each choosing 2 of 8: all but (3/4)^64 of the experts are touched
    touched = many.decode_bytes_per_step_per_gpu - 64 * (512 + 257 / 2) * 32 * 2 * 8 * 128 * 2
    assert touched == pytest.approx(counts.params_total, rel=1e-6)


def test_costs_split_the_replicas_time_between_prefill_and_decode() -> None:
    served = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=16, price_usd_per_gpu_hour=2.5))
    per_second = 2.5 * 2 / SECONDS_PER_HOUR
    assert served.usd_per_million_output_tokens == pytest.approx(per_second * served.decode_seconds_per_step / 16 * 1e6)
    assert served.usd_per_million_input_tokens == pytest.approx(per_second * served.prefill_seconds / 2048 * 1e6)
    # Little's law: 16 requests in flight, each taking its prefill and 1/16 of 256 steps of the replica's time
    assert served.requests_per_second == pytest.approx(
        1 / (served.prefill_seconds + 256 * served.decode_seconds_per_step / 16)
    )
    loaded = serve(LLAMA_2_70B, H100, ServeRequest(gpus=2, batch=16, load_tokens_per_second=1e4))
    assert loaded.gpus_for_load == 2 * math.ceil(1e4 / loaded.output_tokens_per_second)


SERVED = [
    LLAMA_2_70B,
    MIXTRAL,
    read_hf_config(str(CONFIGS / "qwen3-0.6b.json")),
    read_hf_config(str(CONFIGS / "gpt2.json")),
]


@settings(max_examples=200, deadline=None)
@given(
    model=st.sampled_from(SERVED),
    gpu=st.sampled_from(sorted(GPUS)),
    gpus=st.sampled_from([1, 2, 4, 8]),
    prompt=st.integers(1, 32_768),
    output=st.integers(1, 4096),
    batch=st.one_of(st.none(), st.integers(1, 512)),
    mbu=st.floats(0.05, 1.0),
    mfu=st.floats(0.05, 1.0),
    weights=st.sampled_from(["bf16", "fp8", "int8", "int4"]),
    kv=st.sampled_from(["bf16", "fp8"]),
)
def test_no_decode_rate_exceeds_the_roofline(
    model: object,
    gpu: str,
    gpus: int,
    prompt: int,
    output: int,
    batch: int | None,
    mbu: float,
    mfu: float,
    weights: str,
    kv: str,
) -> None:
    from scaling_plan.architectures import Architecture

    assert isinstance(model, Architecture)
    request = ServeRequest(weights, kv, prompt, output, batch, gpus, mfu, mbu)
    try:
        served = serve(model, GPUS[gpu], request)
    except UsageError as error:
        assert error.field in ("gpus", "batch"), error
        return
    bandwidth = GPUS[gpu].memory_bandwidth_bytes_per_second
    assert bandwidth is not None
    assert served.decode_seconds_per_step >= served.decode_bytes_per_step_per_gpu / bandwidth
    assert served.decode_tokens_per_second <= served.roofline_tokens_per_second
    assert served.memory_bytes_per_gpu <= served.usable_bytes_per_gpu
    for value in (served.prefill_seconds, served.request_seconds, served.output_tokens_per_second):
        assert math.isfinite(value) and value > 0


@pytest.mark.parametrize(
    "shape",
    [
        Shape(32, 4096, 32, 11008, 32000),
        Shape(12, 768, 12, 3072, 50257, 1024, "gelu", True, None, "gpt"),
        Shape(32, 4096, 32, 14336, 32000, n_kv_heads=8, experts=8, active_experts=2),
        Shape(16, 2048, 16, 1408, experts=64, active_experts=6, shared_experts=2, expert_d_ff=1408),
    ],
)
def test_a_designed_shape_serves_with_the_counts_the_planner_gives_it(shape: Shape) -> None:
    counted, planned = count_architecture(architecture_of_shape(shape)), count(shape)
    assert (counted.params_total, counted.params_active, counted.params_embedding) == (
        planned.params_total, planned.params_active, planned.params_embedding,
    )  # fmt: skip
