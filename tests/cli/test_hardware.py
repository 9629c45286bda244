"""Hardware beyond the presets: FP8 peaks, custom peaks and memory, and hardware files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_plan.budget import GPUS

from ..conftest import Cli

#: Dense (no sparsity) FP8 peaks: NVIDIA H100 datasheet (2023): SXM 3,958 and PCIe 3,026 TFLOPS with sparsity; H200
#: datasheet (2024): 3,958 with sparsity; AMD MI300X data sheet (2023): 2,614.9 dense. A100 and TPU v5p have none.
FP8_DENSE = {"H100-SXM": 1979e12, "H100-PCIe": 1513e12, "H200": 1979e12, "MI300X": 2614.9e12}


@pytest.mark.parametrize(("name", "peak"), FP8_DENSE.items())
def test_fp8_peaks_are_the_datasheets_dense_figures(name: str, peak: float) -> None:
    assert GPUS[name].peak("fp8") == pytest.approx(peak, rel=1e-9)
    assert GPUS[name].peak("fp8") == pytest.approx(2 * GPUS[name].peak_flops_per_second, rel=0.002)


def test_fp8_halves_the_gpu_hours_on_an_h100(cli: Cli) -> None:
    bf16 = cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024")
    fp8 = cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--precision", "fp8")
    assert (bf16["precision"], fp8["precision"]) == ("bf16", "fp8")
    assert fp8["gpu_peak_flops"] == 1979e12
    assert fp8["gpu_hours"] == pytest.approx(1e24 / (1979e12 * 0.4 * 3600), rel=1e-12)
    assert bf16["gpu_hours"] / fp8["gpu_hours"] == pytest.approx(1979 / 989, rel=1e-12)
    text = cli.run("budget", "--flops", "1e24", "--gpu", "H100", "--precision", "fp8", env={"COLUMNS": "120"}).stdout
    assert "1979 TFLOP/s FP8 dense peak" in text


def test_a_custom_gpu_from_flags(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24", "--peak-flops", "2e15", "--gpus", "100")
    assert plan["gpu"] == "custom" and plan["gpu_peak_flops"] == 2e15
    assert plan["gpu_hours"] == pytest.approx(1e24 / (2e15 * 0.4 * 3600), rel=1e-12)
    assert plan["energy_mwh"] is None  # no rated power given
    blueprint = cli.json("shape", "--params", "7B", "--peak-flops", "2e15", "--gpu-memory-gib", "96")
    assert blueprint["gpu_memory_gib"] == 96 and blueprint["memory_gib_per_gpu"] <= 96


def test_flags_override_a_preset(cli: Cli) -> None:
    record = cli.json("shape", "--params", "70B", "--gpu", "H100", "--gpu-memory-gib", "141", "--peak-flops", "1e15",
                      "--gpus", "64")  # fmt: skip
    assert record["gpu_memory_gib"] == 141
    assert record["gpu_hours_full"] == pytest.approx(
        record["training_flops_full"] / (1e15 * record["mfu"] * 3600), rel=1e-12
    )


def test_a_hardware_file_is_a_gpu(cli: Cli, tmp_path: Path) -> None:
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(
        "kind: hardware\nname: Accelerator-X\npeak_flops_per_second: 1.5e15\npeak_fp8_flops_per_second: 3e15\n"
        "memory_gib: 128\npower_watts: 900\nsource: a datasheet\n"
    )
    plan = cli.json("budget", "--flops", "1e24", "--gpu", str(gpu), "--precision", "fp8")
    assert plan["gpu"] == "Accelerator-X" and plan["gpu_peak_flops"] == 3e15
    assert plan["energy_mwh"] == pytest.approx(plan["gpu_hours"] * 900 * 1.2 / 1e6, rel=1e-12)
    shape = cli.json("shape", "--params", "70B", "--gpu", str(gpu))
    assert shape["gpu_memory_gib"] == 128
    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e24\nhardware:\n  gpu: gpu.yaml\n")  # relative to the config
    assert cli.json("budget", "--config", str(config))["gpu"] == "Accelerator-X"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("kind: hardware\nname: X\npeak_flops_per_second: -1\n", 3, "peak_flops_per_second"),
        ("kind: hardware\nname: X\npeak_flops_per_second: 1e15\nmemory_gb: 80\n", 4, "memory_gb"),
        ("kind: hardware\nname: X\n", 1, "peak_flops_per_second"),
        ("kind: law\n", 1, "not a hardware file"),
    ],
)
def test_a_bad_hardware_file_names_its_line(cli: Cli, tmp_path: Path, text: str, line: int, message: str) -> None:
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(text)
    error = cli.error("budget", "--flops", "1e24", "--gpu", str(gpu))
    assert error.startswith(f"scaling-plan: error: {gpu}:{line}") and message in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--gpu", "A100", "--precision", "fp8"), "--precision: A100-SXM has no published FP8 peak"),
        (("--gpu", "H100", "--precision", "fp4"), "--precision"),
        (("--gpu", "missing.yaml"), "--gpu: hardware file 'missing.yaml' not found"),
        (("--gpu", "H1OO"), "--gpu: unknown GPU"),
        (("--peak-flops", "0"), "--peak-flops: must be at least 1e9, got 0"),
        (("--gpu", "H100", "--gpu-memory-gib", "-80"), "--gpu-memory-gib: must be at least 1, got -80"),
    ],
)
def test_bad_hardware_flags_are_one_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli.error("budget", "--flops", "1e24", *args)


def test_a_custom_gpu_needs_its_memory_for_a_blueprint(cli: Cli) -> None:
    error = cli.error("shape", "--params", "7B", "--peak-flops", "2e15")
    assert "--gpu-memory-gib: a blueprint lays the model out in GPU memory" in error


def test_the_gpus_listing_and_schema_show_fp8_and_hardware_files(cli: Cli) -> None:
    listing = {row["name"]: row for row in cli.json("gpus")["gpus"]}
    assert listing["H100-SXM"]["peak_fp8_flops_per_second"] == 1979e12
    assert listing["A100-SXM"]["peak_fp8_flops_per_second"] is None
    result = cli.run("schema", "--hardware-file")
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "scaling-plan hardware file" and "peak_flops_per_second" in schema["required"]


@pytest.mark.parametrize(
    ("section", "line", "field"),
    [
        ("hardware:\n  gpu: H100\n  precision: fp16\n", 6, "precision"),
        ("hardware:\n  gpu: H100\n  peak_flops: -3\n", 6, "peak_flops"),
        ("hardware:\n  gpu: H100\n  gpu_memory_gib: lots\n", 6, "gpu_memory_gib"),
        ("hardware:\n  gpu: H100\nblueprint:\n  flash_attention: maybe\n", 7, "flash_attention"),
        ("hardware:\n  gpu: H100\nblueprint:\n  gpus_per_node: 0\n", 7, "gpus_per_node"),
        ("hardware:\n  gpu: H100\nblueprint:\n  cp: 1.5\n", 7, "cp"),
    ],
)
def test_new_config_fields_name_their_line(cli: Cli, tmp_path: Path, section: str, line: int, field: str) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text("name: x\nbudget:\n  flops: 1e24\n" + section)
    error = cli.error("budget", "--config", str(config))
    assert error.startswith(f"scaling-plan: error: {config}:{line}") and field in error
