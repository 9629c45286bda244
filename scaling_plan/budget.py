"""Money, GPU-hours and cluster-days <-> training FLOPs, and the hardware presets behind them.

GPU-hours = C / (peak FLOP/s per GPU x MFU x 3600 s/h)
wall-clock days = GPU-hours / (GPUs x 24 h/day)
cost = GPU-hours x price per GPU-hour
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import unknown_name
from .laws import Num

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0

#: Model FLOPs utilisation when none is given: a typical figure for large dense training runs (e.g. PaLM reports
#: 46% and Llama 3 405B 38-43%, Chowdhery et al. 2022 Table 3; Dubey et al. 2024 Table 4). Always shown in output.
DEFAULT_MFU = 0.40


@dataclass(frozen=True)
class Gpu:
    name: str
    peak_flops_per_second: float  # dense BF16 (no structured sparsity), per accelerator
    memory_bytes: float  # on-package memory as the datasheet gives it (decimal GB)
    source: str


GPUS: dict[str, Gpu] = {
    gpu.name: gpu
    for gpu in (
        Gpu(
            "A100-SXM",
            312e12,
            80e9,
            "NVIDIA A100 Tensor Core GPU datasheet (2021): BF16 312 TFLOPS dense; 80GB HBM2e (SXM 80GB)",
        ),
        Gpu(
            "H100-SXM",
            989e12,
            80e9,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,979 TFLOPS with sparsity, 989 dense; 80GB HBM3",
        ),
        Gpu(
            "H100-PCIe",
            756e12,
            80e9,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,513 TFLOPS with sparsity, 756 dense; 80GB HBM2e",
        ),
        Gpu(
            "H200",
            989e12,
            141e9,
            "NVIDIA H200 Tensor Core GPU datasheet (2024), SXM: BF16 1,979 TFLOPS with sparsity, 989 dense;"
            " 141GB HBM3e",
        ),
        Gpu(
            "B200",
            2.25e15,
            180e9,
            "NVIDIA DGX B200 datasheet (2024): 72 PFLOPS FP8 training per 8 GPUs; BF16 2.25 PFLOPS dense per GPU;"
            " 1,440GB GPU memory per 8 GPUs",
        ),
        Gpu(
            "MI300X",
            1.307e15,
            192e9,
            "AMD Instinct MI300X data sheet (2023): BF16 1,307.4 TFLOPS dense; 192GB HBM3",
        ),
        Gpu(
            "TPU-v5p",
            459e12,
            95e9,
            "Google Cloud TPU v5p documentation (2023): 459 TFLOPS BF16 and 95 GB HBM2e per chip",
        ),
    )
}


#: Short names people use for the form most training runs on: the SXM boards (NVIDIA's datasheets above).
GPU_ALIASES = {"H100": "H100-SXM", "A100": "A100-SXM"}


def find_gpu(name: str) -> Gpu | None:
    """A preset by name or alias, ignoring case and '_' versus '-' (h100_sxm and H100 find H100-SXM)."""
    wanted = name.strip().upper().replace("_", "-")
    wanted = next((full.upper() for alias, full in GPU_ALIASES.items() if alias.upper() == wanted), wanted)
    return next((gpu for key, gpu in GPUS.items() if key.upper() == wanted), None)


def gpu_problem(name: str) -> str | None:
    """What is wrong with a GPU name, with the closest preset; None for a known one."""
    if find_gpu(name) is not None:
        return None
    aliases = ", ".join(f"{alias} for {full}" for alias, full in GPU_ALIASES.items())
    return unknown_name("GPU", name, GPUS, f"; or {aliases}", aliases=GPU_ALIASES)


@dataclass(frozen=True)
class Hardware:
    gpu: Gpu
    mfu: float = DEFAULT_MFU
    n_gpus: int | None = None
    price_usd_per_gpu_hour: float | None = None

    @property
    def effective_flops_per_gpu_hour(self) -> float:
        return self.gpu.peak_flops_per_second * self.mfu * SECONDS_PER_HOUR

    # Each conversion takes a float or a numpy array alike (a sweep converts all its budgets in one call).
    def gpu_hours(self, compute_flops: Num) -> Num:
        return compute_flops / self.effective_flops_per_gpu_hour

    def compute_flops(self, gpu_hours: Num) -> Num:
        return gpu_hours * self.effective_flops_per_gpu_hour

    def wall_clock_days(self, gpu_hours: Num) -> Num | None:
        return None if self.n_gpus is None else gpu_hours / (self.n_gpus * HOURS_PER_DAY)

    def cost_usd(self, gpu_hours: Num) -> Num | None:
        return None if self.price_usd_per_gpu_hour is None else gpu_hours * self.price_usd_per_gpu_hour

    @property
    def formula(self) -> str:
        return (
            f"GPU-hours = C / ({self.gpu.peak_flops_per_second / 1e12:g} TFLOP/s peak x MFU {self.mfu:g} x 3600 s/h)"
            " on " + self.gpu.name
        )
