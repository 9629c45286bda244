"""Utilisation from a measured step time, against Korthikanti et al. 2022's Table 5."""

from __future__ import annotations

import pytest

from scaling_plan.errors import UsageError
from scaling_plan.shapes import Shape, count
from scaling_plan.utilisation import flops_per_token, measured_step

#: Korthikanti et al. 2022, Table 3 (configurations: heads, hidden size h, layers, GPUs, global batch) and Table 5
#: (A100s; sequence parallelism with selective recomputation: step seconds, MFU %, HFU %; full recomputation's step
#: seconds). Sequence 2048, vocabulary 51,200 (sec. 6).
TABLE_5 = [
    ("22B", 64, 6144, 48, 8, 4, 1.10, 41.5, 43.7, 1.42),
    ("175B", 96, 12288, 96, 64, 64, 13.75, 51.4, 52.8, 18.13),
    ("530B", 128, 20480, 105, 280, 280, 37.83, 56.0, 57.0, 49.05),
    ("1T", 160, 25600, 128, 512, 512, 71.49, 56.3, 57.0, 94.42),
]
#: The A100's dense BF16 peak, which Table 5's percentages imply (NVIDIA A100 datasheet: 312 TFLOP/s).
A100_PEAK = 312e12
#: Table 5 prints MFU and HFU to a tenth of a point.
POINTS = 0.5


def gpt(heads: int, hidden: int, layers: int) -> Shape:
    return Shape(n_layers=layers, d_model=hidden, n_heads=heads, d_ff=4 * hidden, vocab_size=51_200, seq_len=2048,
                 ffn="gelu", style="gpt")  # fmt: skip


@pytest.mark.parametrize(("name", "heads", "hidden", "layers", "gpus", "batch", "seconds", "mfu", "hfu", "_"), TABLE_5)
def test_the_printed_step_times_give_the_printed_mfu_and_hfu(
    name: str, heads: int, hidden: int, layers: int, gpus: int, batch: int, seconds: float, mfu: float, hfu: float,
    _: float,
) -> None:  # fmt: skip
    shape = gpt(heads, hidden, layers)
    step = measured_step(shape, count(shape), "selective", batch, seconds, gpus, A100_PEAK)
    assert 100 * step.mfu == pytest.approx(mfu, abs=POINTS), name
    assert 100 * step.hfu == pytest.approx(hfu, abs=POINTS), name


def test_the_per_token_count_is_equation_7_to_the_flop() -> None:
    """72·B·s·L·h²·(1 + s/(6h) + V/(12hL)) for the 175B of Table 3, one sequence; eq. 8 with s/(3h); full
    recomputation 96·B·s·L·h²·(1 + s/(6h) + V/(16hL))."""
    h, layers, s, v = 12288, 96, 2048, 51_200
    shape = gpt(96, h, layers)
    counts = count(shape)
    assert flops_per_token(shape, counts) * s == pytest.approx(
        72 * s * layers * h**2 * (1 + s / (6 * h) + v / (12 * h * layers)), rel=1e-12
    )
    assert flops_per_token(shape, counts, "selective") * s == pytest.approx(
        72 * s * layers * h**2 * (1 + s / (3 * h) + v / (12 * h * layers)), rel=1e-12
    )
    assert flops_per_token(shape, counts, "full") * s == pytest.approx(
        96 * s * layers * h**2 * (1 + s / (6 * h) + v / (16 * h * layers)), rel=1e-12
    )


def test_full_recomputation_does_more_hardware_flops_for_the_same_model_flops() -> None:
    """Table 5's full-recomputation step times: the model FLOPs are the same, so MFU falls by the ratio of the step
    times; HFU counts the layers' forward a second time."""
    _, heads, hidden, layers, gpus, batch, seconds, _, _, full_seconds = TABLE_5[1]
    shape = gpt(heads, hidden, layers)
    selective = measured_step(shape, count(shape), "selective", batch, seconds, gpus, A100_PEAK)
    full = measured_step(shape, count(shape), "full", batch, full_seconds, gpus, A100_PEAK)
    assert full.model_flops == selective.model_flops
    assert full.mfu == pytest.approx(selective.mfu * seconds / full_seconds, rel=1e-12)
    assert full.hfu > full.mfu * 4 / 3 * 0.99


def test_a_step_faster_than_the_peak_is_refused_naming_the_field() -> None:
    shape = gpt(64, 6144, 48)
    with pytest.raises(UsageError, match="faster than the peak allows") as raised:
        measured_step(shape, count(shape), "none", 4, 0.3, 8, A100_PEAK)
    assert raised.value.field == "step_seconds"
