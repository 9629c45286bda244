"""Money, GPU-hours and cluster-days <-> training FLOPs, the energy and emissions of a run, and the hardware presets.

GPU-hours = C / (peak FLOP/s per GPU x MFU x goodput x 3600 s/h)
wall-clock days = GPU-hours / (GPUs x 24 h/day)
cost = GPU-hours x price per GPU-hour
energy (MWh) = GPU-hours x goodput x GPU power (W) x PUE / 1e6
emissions (tCO2e) = energy (MWh) x grid intensity (gCO2e/kWh) / 1,000

Goodput is the share of the cluster's wall-clock time spent training (restarts after failures take the rest:
Llama 3 405B had 466 interruptions in 54 days and above 90% effective training time, Dubey et al. 2024 §3.3.4).
GPU-hours are the hours the GPUs are held, restarts included, so GPU-hours, days and cost always agree (days x GPUs
x 24 = GPU-hours; GPU-hours x price = cost), and a budget in any of them buys goodput x its hours of training.
Energy counts the training share of those hours at the GPU's rated power (TDP): an upper bound on what the GPUs draw
while training, before the facility's overhead (PUE).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import unknown_name
from .laws import Num

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0

#: Model FLOPs utilisation when none is given: a typical figure for large dense training runs (e.g. PaLM reports
#: 46% and Llama 3 405B 38-43%, Chowdhery et al. 2022 Table 3; Dubey et al. 2024 Table 4). Always shown in output.
DEFAULT_MFU = 0.40

#: Model bandwidth utilisation when none is given: the share of peak HBM bandwidth a decode step achieves. Databricks
#: (Agarwal et al. 2023, "LLM Inference Performance Engineering: Best Practices") define MBU as (weights + KV cache
#: bytes) / step time / peak bandwidth, with a worked example at 50%; llm-analysis (0.2.2, analysis.py `infer`) warns
#: that benchmarks show 0.6 to 0.7 of HBM bandwidth achieved. Always shown.
DEFAULT_MBU = 0.6
#: A served request when none is given (serving.py): a 2,048-token prompt and 256 tokens out. Give your own: the
#: costs follow them.
DEFAULT_PROMPT_TOKENS = 2048
DEFAULT_OUTPUT_TOKENS = 256


@dataclass(frozen=True)
class Gpu:
    name: str
    peak_flops_per_second: float  # dense BF16 (no structured sparsity), per accelerator
    memory_bytes: float | None  # on-package memory as the device reports it; None for a custom GPU not given one
    source: str
    power_watts: float | None = None  # rated board power (TDP) from the datasheet; None where none is published
    peak_fp8_flops_per_second: float | None = None  # dense FP8; None without FP8 tensor cores (or none published)
    memory_bandwidth_bytes_per_second: float | None = None  # HBM, per accelerator: what bounds decoding (serving.py)
    link_bandwidth_bytes_per_second: float | None = None  # GPU-to-GPU within a node (NVLink and peers), per GPU
    #: Between nodes, per GPU and direction: the NIC each GPU of its reference system has (None where none is).
    network_bandwidth_bytes_per_second: float | None = None

    def peak(self, precision: str) -> float | None:
        """Dense peak FLOP/s per accelerator in `precision` (bf16 or fp8); None where there is none."""
        return self.peak_fp8_flops_per_second if precision == "fp8" else self.peak_flops_per_second


#: Datasheets' "80GB" is binary: HBM comes in stacks of 16 or 24 GiB, so an 80 GB H100 holds about 80 GiB, and
#: nvidia-smi reports 81,559 MiB for an H100 80GB and 81,920 MiB for an A100 80GB (modal-labs/modal-client pull
#: request 2797 lists both; NVIDIA/nccl issue 1264 shows the H100's). Reading them as decimal gigabytes (74.5 GiB)
#: made every memory check about 7% too strict. H200 and B200 are as nvidia-smi reports them (143,771 and 183,359
#: MiB); MI300X and TPU v5p their vendors' capacities, in GiB (8 stacks of 24 GiB; 95 GiB per chip).
MIB = 2**20
GIB = 2**30


GPUS: dict[str, Gpu] = {
    gpu.name: gpu
    for gpu in (
        Gpu(
            "A100-SXM",
            312e12,
            81920 * MIB,
            "NVIDIA A100 Tensor Core GPU datasheet (2021): BF16 312 TFLOPS dense; 80GB HBM2e (SXM 80GB) at 2,039 GB/s;"
            " NVLink 600 GB/s; max TDP 400 W; no FP8. Network: NVIDIA DGX A100 datasheet, 8 x 200 Gb/s HDR"
            " InfiniBand per 8 GPUs (25 GB/s each)",
            400.0,
            memory_bandwidth_bytes_per_second=2039e9,
            link_bandwidth_bytes_per_second=600e9,
            network_bandwidth_bytes_per_second=25e9,
        ),
        Gpu(
            "H100-SXM",
            989e12,
            81559 * MIB,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,979 TFLOPS with sparsity, 989 dense; FP8 3,958 with"
            " sparsity, 1,979 dense; 80GB HBM3 at 3.35 TB/s; NVLink 900 GB/s; max TDP up to 700 W. Network: NVIDIA"
            " DGX H100 user guide, 8 ConnectX-7 at 400 Gb/s per 8 GPUs (50 GB/s each)",
            700.0,
            1979e12,
            memory_bandwidth_bytes_per_second=3.35e12,
            link_bandwidth_bytes_per_second=900e9,
            network_bandwidth_bytes_per_second=50e9,
        ),
        Gpu(
            "H100-PCIe",
            756e12,
            81559 * MIB,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,513 TFLOPS with sparsity, 756 dense; FP8 3,026 with"
            " sparsity, 1,513 dense; 80GB HBM2e at 2 TB/s; NVLink bridge 600 GB/s; max TDP 300-350 W",
            350.0,
            1513e12,
            memory_bandwidth_bytes_per_second=2.0e12,
            link_bandwidth_bytes_per_second=600e9,
        ),
        Gpu(
            "H200",
            989e12,
            143771 * MIB,
            "NVIDIA H200 Tensor Core GPU datasheet (2024), SXM: BF16 1,979 TFLOPS with sparsity, 989 dense; FP8 3,958"
            " with sparsity, 1,979 dense; 141GB HBM3e at 4.8 TB/s; NVLink 900 GB/s; max TDP up to 700 W. Network:"
            " NVIDIA DGX H200 user guide, 8 ConnectX-7 at 400 Gb/s per 8 GPUs (50 GB/s each)",
            700.0,
            1979e12,
            memory_bandwidth_bytes_per_second=4.8e12,
            link_bandwidth_bytes_per_second=900e9,
            network_bandwidth_bytes_per_second=50e9,
        ),
        Gpu(
            "B200",
            2.25e15,
            183359 * MIB,
            "NVIDIA DGX B200 datasheet (2024): 72 PFLOPS FP8 training per 8 GPUs with sparsity, so 4.5 dense per GPU;"
            " BF16 2.25 PFLOPS dense per GPU; 1,440GB GPU memory and 64 TB/s HBM3e bandwidth per 8 GPUs (8 TB/s"
            " each); 14.4 TB/s NVLink per 8 GPUs (1.8 TB/s each); 1,000 W per GPU as HGX B200 configures it. Network:"
            " NVIDIA DGX B200 user guide, 8 ConnectX-7 at 400 Gb/s per 8 GPUs (50 GB/s each)",
            1000.0,
            4.5e15,
            memory_bandwidth_bytes_per_second=8.0e12,
            link_bandwidth_bytes_per_second=1.8e12,
            network_bandwidth_bytes_per_second=50e9,
        ),
        Gpu(
            "MI300X",
            1.307e15,
            192 * GIB,
            "AMD Instinct MI300X data sheet (2023): BF16 1,307.4 TFLOPS dense; FP8 2,614.9 dense; 192GB HBM3 at"
            " 5.3 TB/s; 7 GPU-to-GPU fabric links of 128 GB/s, 896 GB/s peak aggregate; 750 W peak board power",
            750.0,
            2.6149e15,
            memory_bandwidth_bytes_per_second=5.3e12,
            link_bandwidth_bytes_per_second=896e9,
        ),
        Gpu(
            "TPU-v5p",
            459e12,
            95 * GIB,
            "Google Cloud TPU v5p documentation (2023): 459 TFLOPS BF16 and 95 GB HBM2e at 2,765 GB/s per chip;"
            " inter-chip interconnect 4,800 Gbps (600 GB/s) per chip; no FP8 (INT8 918 TOPS); no power published",
            memory_bandwidth_bytes_per_second=2765e9,
            link_bandwidth_bytes_per_second=600e9,
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


#: Power usage effectiveness when none is given: the facility's energy over the IT equipment's. Hyperscale AI
#: datacentres report about 1.1 (Google's fleet 1.10 in its 2024 Environmental Report), the industry's average about
#: 1.58 (Uptime Institute Global Data Center Survey 2023); 1.2 is a modern dedicated training cluster. Always shown.
DEFAULT_PUE = 1.2


@dataclass(frozen=True)
class Hardware:
    gpu: Gpu
    mfu: float = DEFAULT_MFU
    n_gpus: int | None = None
    price_usd_per_gpu_hour: float | None = None
    pue: float = DEFAULT_PUE
    grid_gco2_per_kwh: float | None = None  # no default: grids range from ~20 (hydro, nuclear) to ~800 (coal)
    goodput: float = 1.0  # the share of wall-clock time spent training
    precision: str = "bf16"  # the matrix multiplies' number format: bf16 or fp8 (the GPU must have that peak)
    mfu_predicted: bool = False  # --mfu predict: `mfu` is the blueprint's predicted step's (plans.make_plan sets it)
    mfu_where: str = "mfu"  # where the MFU was given (its flag, or file:line: field), for messages
    #: Predicted because no MFU was given and the plan has a blueprint: where no step is predicted (a GPU without the
    #: bandwidths), the plan keeps DEFAULT_MFU rather than refusing.
    mfu_by_default: bool = False
    mfu_calibrated: bool = False  # --calibrate: `mfu` is the blueprint's measured step's (plans.make_plan sets it)

    def assumed(self) -> Hardware:
        """This hardware at its MFU as a number, predicted no more (where a default prediction cannot be made)."""
        return replace(self, mfu_predicted=False, mfu_by_default=False, mfu_calibrated=False)

    @property
    def peak_flops_per_second(self) -> float:
        peak = self.gpu.peak(self.precision)
        assert peak is not None, "inputs check that the GPU has a peak in the precision asked for"
        return peak

    @property
    def effective_flops_per_gpu_hour(self) -> float:
        """Model FLOPs per GPU-hour held: the peak at the MFU, over the share of the hours spent training."""
        return self.peak_flops_per_second * self.mfu * self.goodput * SECONDS_PER_HOUR

    # Each conversion takes a float or a numpy array alike (a sweep converts all its budgets in one call).
    def gpu_hours(self, compute_flops: Num) -> Num:
        """GPU-hours held (restarts included) to train `compute_flops`."""
        return compute_flops / self.effective_flops_per_gpu_hour

    def compute_flops(self, gpu_hours: Num) -> Num:
        return gpu_hours * self.effective_flops_per_gpu_hour

    def wall_clock_days(self, gpu_hours: Num) -> Num | None:
        return None if self.n_gpus is None else gpu_hours / (self.n_gpus * HOURS_PER_DAY)

    def cost_usd(self, gpu_hours: Num) -> Num | None:
        return None if self.price_usd_per_gpu_hour is None else gpu_hours * self.price_usd_per_gpu_hour

    def time_and_cost(self, compute_flops: Num) -> tuple[Num, Num | None, Num | None]:
        """GPU-hours, wall-clock days (None without a GPU count) and cost (None without a price) of training
        `compute_flops`: the one place a count of FLOPs becomes time and money."""
        gpu_hours = self.gpu_hours(compute_flops)
        return gpu_hours, self.wall_clock_days(gpu_hours), self.cost_usd(gpu_hours)

    def gpu_hours_for_days(self, days: Num) -> Num:
        """The GPU-hours `days` of the cluster hold (the inverse of wall_clock_days)."""
        assert self.n_gpus is not None
        return days * HOURS_PER_DAY * self.n_gpus

    def gpu_hours_for_cost(self, cost_usd: Num) -> Num:
        """The GPU-hours a budget in dollars buys (the inverse of cost_usd)."""
        assert self.price_usd_per_gpu_hour is not None
        return cost_usd / self.price_usd_per_gpu_hour

    def energy_mwh(self, gpu_hours: Num) -> Num | None:
        """The training share (goodput) of the GPU-hours at the GPU's rated power, with the facility's overhead;
        None without a rated power."""
        if self.gpu.power_watts is None:
            return None
        return gpu_hours * self.goodput * self.gpu.power_watts * self.pue / 1e6

    def emissions_tco2e(self, gpu_hours: Num) -> Num | None:
        """Tonnes of CO2-equivalent for that energy on the grid given; None without a grid intensity."""
        energy = self.energy_mwh(gpu_hours)
        if energy is None or self.grid_gco2_per_kwh is None:
            return None
        return energy * self.grid_gco2_per_kwh / 1000.0  # MWh x g/kWh = kg; / 1000 = t

    def formula(self, flops: str = "C") -> str:
        """How GPU-hours follow from a count of training FLOPs named `flops`, for the note under a table."""
        goodput = "" if self.goodput == 1 else f" x goodput {self.goodput:g}"
        step = "measured" if self.mfu_calibrated else "predicted"
        mfu = f"{self.mfu:.3f}, the pace its {step} step sized the run at," if self.mfu_predicted else f"{self.mfu:g}"
        return (
            f"GPU-hours = {flops} / ({self.peak_flops_per_second / 1e12:g} TFLOP/s {self.precision.upper()} dense peak x MFU"
            f" {mfu}{goodput} x 3600 s/h) on " + self.gpu.name
        )

    @property
    def energy_formula(self) -> str | None:
        """How energy and emissions follow from GPU-hours, for the note under a table; None without a rated power."""
        if self.gpu.power_watts is None:
            return None
        emissions = (
            "; emissions = energy x "
            + (f"{self.grid_gco2_per_kwh:g} gCO2e/kWh" if self.grid_gco2_per_kwh is not None else "grid intensity")
            + (" / 1,000 (tCO2e)" if self.grid_gco2_per_kwh is not None else " (give --grid-gco2-per-kwh)")
        )
        goodput = "" if self.goodput == 1 else f" x goodput {self.goodput:g}"
        return (
            f"Energy = GPU-hours{goodput} x {self.gpu.power_watts:g} W ({self.gpu.name} TDP) x PUE {self.pue:g} / 1e6 (MWh)"
            + emissions
        )
