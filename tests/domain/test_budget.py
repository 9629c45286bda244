import pytest

from scaling_plan.budget import DEFAULT_MFU, GPUS, Hardware, find_gpu

# Peak dense BF16 FLOP/s per accelerator, from the vendors' datasheets.
DATASHEET = {
    "A100-SXM": 312e12,
    "H100-SXM": 989e12,
    "H100-PCIe": 756e12,
    "H200": 989e12,
    "B200": 2.25e15,
    "MI300X": 1.307e15,
    "TPU-v5p": 459e12,
}


def test_presets_have_the_datasheet_peaks_and_a_source() -> None:
    assert {name: gpu.peak_flops_per_second for name, gpu in GPUS.items()} == DATASHEET
    assert all(gpu.source for gpu in GPUS.values())


def test_find_gpu_ignores_case_and_underscores() -> None:
    assert find_gpu("h100_sxm") is GPUS["H100-SXM"]
    assert find_gpu("X100") is None


def test_conversions_round_trip_and_match_hand_arithmetic() -> None:
    hardware = Hardware(GPUS["H100-SXM"], mfu=0.4, n_gpus=1024, price_usd_per_gpu_hour=2.5)
    # 1e24 / (989e12 x 0.4 x 3600) = 702,168.2 GPU-hours.
    gpu_hours = hardware.gpu_hours(1e24)
    assert gpu_hours == pytest.approx(1e24 / (989e12 * 0.4 * 3600), rel=1e-12)
    assert hardware.compute_flops(gpu_hours) == pytest.approx(1e24, rel=1e-12)
    assert hardware.wall_clock_days(gpu_hours) == pytest.approx(gpu_hours / 1024 / 24, rel=1e-12)
    assert hardware.cost_usd(gpu_hours) == pytest.approx(gpu_hours * 2.5, rel=1e-12)
    assert Hardware(GPUS["A100-SXM"]).mfu == DEFAULT_MFU == 0.40
    assert Hardware(GPUS["A100-SXM"]).cost_usd(10.0) is None
