"""A hardware file (a GPU that is not a preset) -> budget.Gpu, checked where it is read."""

from __future__ import annotations

from ..budget import GIB, Gpu
from ..errors import UsageError
from .yaml_files import read_yaml, validate_model

#: Largest hardware file read, in bytes: it holds a handful of numbers.
MAX_HARDWARE_FILE_BYTES = 100_000


def looks_like_file(name: str) -> bool:
    """A --gpu value that names a file rather than a preset."""
    return name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name


def load_hardware_file(path: str, where: str) -> Gpu:
    """The GPU a hardware file describes; every problem is one line naming file:line and the field, or `where`
    (the flag or config key that named the file) when it cannot be read."""
    from .models import HardwareFile

    data, lines, label = read_yaml(
        path, max_bytes=MAX_HARDWARE_FILE_BYTES, what="a hardware file holds a few numbers", kind="hardware file",
        where=where,
    )  # fmt: skip
    if not (isinstance(data, dict) and data.get("kind") == "hardware"):
        raise UsageError(f"{label}:1", "not a hardware file (kind: hardware); `scaling-plan schema --hardware-file`")
    model = validate_model(HardwareFile, data, lines, label)  # each figure in its range (fields.FILE_NUMBERS)
    return Gpu(
        name=model.name,
        peak_flops_per_second=model.peak_flops_per_second,
        memory_bytes=None if model.memory_gib is None else model.memory_gib * GIB,
        source=model.source or f"hardware file {path}",
        power_watts=model.power_watts,
        peak_fp8_flops_per_second=model.peak_fp8_flops_per_second,
        memory_bandwidth_bytes_per_second=_bytes(model.memory_bandwidth_gb_per_second),
        link_bandwidth_bytes_per_second=_bytes(model.link_bandwidth_gb_per_second),
        network_bandwidth_bytes_per_second=_bytes(model.network_bandwidth_gb_per_second),
    )


def _bytes(gb_per_second: float | None) -> float | None:
    return None if gb_per_second is None else gb_per_second * 1e9
