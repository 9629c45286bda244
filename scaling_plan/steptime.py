"""A training step's time predicted from the shape, the layout and the hardware, term by term, and the MFU and HFU
that follow: what `--mfu 0.40` assumes, worked out instead.

Each term is per step, on the slowest GPU of a balanced layout (tp x pp x cp x dp GPUs, m micro-batches of b
sequences of s tokens per pipeline, v interleaved stages per GPU):

- compute: the step's hardware FLOPs (utilisation.flops_per_token: the model's, plus what recomputation runs again)
  over the GPUs and their peak, at an achievable efficiency. The blocks' matrix multiplies run at the efficiency
  of a GEMM of the size each GPU multiplies (gemm_efficiency: smaller per-GPU matrices run further from the peak);
  the attention scores at ATTENTION_EFFICIENCY.
- tensor and sequence parallelism (tp > 1): 4 all-gathers or reduce-scatters of a micro-batch's activations
  (b·s/cp·h x 2 bytes) per layer forward and 4 backward (Korthikanti et al. 2022, sec. 4.2.2), 4 more with full
  recomputation, each a ring over the tp GPUs of a node moving (tp - 1)/tp of the tensor over NVLink. Exposed:
  Megatron-LM runs them between the matrix multiplies that need their result.
- the pipeline bubble: (pp - 1)/(m·v) of the ideal time (Narayanan et al. 2021, sec. 2.2.2), and each micro-batch's
  activations sent to the next stage and its gradients back (b·s/cp·h/tp x 2 bytes each way, v times per
  micro-batch), over the network once the pipeline spans nodes (some hand-off then crosses one), else NVLink;
  counted in full.
- data parallelism (dp > 1): the gradients' reduce-scatter and the weights' all-gather (an all-reduce's traffic,
  2·(dp - 1)/dp of the stage's gradients; ZeRO-3 1.5x that, Rajbhandari et al. 2020, sec. 7) over the network,
  hidden behind the last micro-batch's backward pass as far as it lasts (DP_OVERLAP of it). A mixture's routed
  experts, divided over ep expert-parallel ranks, are reduced over the dp/ep ranks that hold the same experts.
- expert parallelism (ep > 1): its all-to-all bytes per GPU per step (parallel.all_to_all_bytes, an upper bound:
  dispatch and combine, forward and backward) over NVLink when tp x cp x ep GPUs fit in a node, else over the
  network; exposed (the experts wait for their tokens).
- context parallelism (cp > 1): each layer's keys and values gathered from the other cp - 1 GPUs forward and their
  gradients reduce-scattered backward, over the network when tp x cp spans nodes; hidden behind the attention
  scores' compute as far as it lasts.

- memory-bound kernels (norms, softmax, dropout, bias and activation): their bytes over HBM (see
  _memory_bound_bytes_per_token).

Left out: stages that are not balanced (the first holds the embedding, the last the logits), the optimizer step,
the routers' imbalance across experts, stragglers and the network's congestion, and any overlap of tensor-parallel traffic
with compute. FP8 matrix multiplies take the FP8 share of MAMF_SHARE_FP8 (attention keeps its BF16 efficiency). The constants, and where they come from, are stated where they are set.
"""

from __future__ import annotations

from dataclasses import dataclass

from .budget import Gpu
from .parallel import Layout
from .shapes import Counts, Shape
from .utilisation import MeasuredStep, flops_per_token, score_flops_per_token

#: The best a matrix multiply achieves of the GPU's dense peak, at sizes large enough that their size no longer
#: matters: on an A100 under Megatron-LM, the value with which this model reproduces Narayanan et al. 2021's Table 1
#: (ten A100 runs of 1.7B to 1T parameters, 32 to 3,072 GPUs; none of the runs the tests predict) with the least
#: squared error in achieved TFLOP/s (benchmarks/steptime.py prints the fit).
MATMUL_EFFICIENCY_A100 = 0.65
#: Other GPUs scale it by their best measured matrix multiply against the A100's (the maximum achievable matmul
#: FLOPs of Bekman's ml-engineering table, after Anthony et al. 2024, BF16: A100 SXM 271.2 of 312 TFLOP/s, 86.9%; H100
#: SXM 794.5 of 989, 80.3%; GH200 828.6 of 989, 83.8%; B200 1,745 of 2,250, 77.6%; MI300X 668.4 TFLOP/s, 51.1% of the
#: preset's 1,307.4 under ROCm 6.3); a GPU not in it (TPU v5p, a hardware file) takes the A100's.
MAMF_SHARE = {"A100-SXM": 0.869, "H100-SXM": 0.803, "H100-PCIe": 0.803, "H200": 0.838, "B200": 0.776, "MI300X": 0.511}
#: ... and in FP8, of the FP8 peak (the same table: H100 SXM 1,402.6 of 1,979, 70.9%; H200 1,453.4, 73.4%; B200
#: 3,432.5 of 4,500, 76.3%); a GPU without an FP8 figure takes its BF16 share, which is optimistic.
MAMF_SHARE_FP8 = {"H100-SXM": 0.709, "H100-PCIe": 0.709, "H200": 0.734, "B200": 0.763}
#: A matrix multiply of W FLOPs runs at W/(W + MATMUL_HALF_FLOPS) of that best: Calculon's A100 and H100 system
#: files (Isaev et al. 2023) give 0.60 of the peak to multiplies of 1 to 16 GFLOP against 0.95 above 128, 0.63 of
#: it at the bin's geometric middle (4 GFLOP), where this curve's 2.3 GFLOP half-point gives the same.
MATMUL_HALF_FLOPS = 2.3e9
#: A fused attention kernel (FlashAttention) reaches less of the peak than the matrix multiplies: FlashAttention-2
#: 50-73% on an A100 (Dao 2023, sec. 4.1; 0.5 taken, its backward pass being the slower) and 35% on an H100 (Shah et
#: al. 2024, FlashAttention-3, sec. 1); a GPU not named takes the H100's. Unfused attention scores are batched matrix
#: multiplies, at the matrix-multiply efficiency.
ATTENTION_EFFICIENCY = {"A100-SXM": 0.5, "H100-SXM": 0.35, "H100-PCIe": 0.35, "H200": 0.35}
#: Collectives within a node reach about 80% of NVLink's one-way line rate: NCCL's bus bandwidth is ~230 GB/s of
#: 300 on a DGX A100 and ~370 GB/s of 450 on an H100 ("protocol overhead ~20%": S. Jeaugey, NVIDIA/nccl-tests
#: issues 149 and 212). The presets hold NVLink's two-way rate, twice the one-way.
LINK_EFFICIENCY = 0.8
#: ... and between nodes about 96% of the NIC's: 192 GB/s of 8 x 200 Gb/s on a DGX A100 (NVIDIA/nccl issue 812),
#: 48-49 GB/s of a 400 Gb/s NIC (NVIDIA/nccl-tests issue 267).
NETWORK_EFFICIENCY = 0.96
#: HBM reached by the memory-bound kernels (norms, softmax, dropout, bias and activation): Calculon's efficiency for
#: transfers of 100 MB and more.
HBM_EFFICIENCY = 0.9
#: Bytes of an activation or a gradient sent between GPUs (16-bit).
WIRE_BYTES = 2.0


@dataclass(frozen=True)
class StepTime:
    """A predicted step: its terms in seconds, and the FLOPs that give MFU and HFU."""

    compute_seconds: float  # matrix multiplies at the achievable efficiency, recomputation included
    recompute_seconds: float  # of which recomputation
    memory_bound_seconds: float  # norms, softmax, dropout, bias and activation over HBM
    tensor_parallel_seconds: float  # exposed
    bubble_seconds: float
    pipeline_transfer_seconds: float
    data_parallel_seconds: float  # exposed
    context_parallel_seconds: float  # exposed
    expert_parallel_seconds: float  # the all-to-all, exposed
    model_flops: float  # per step, Korthikanti et al. 2022 eq. 7
    hardware_flops: float  # per step, with recomputation
    n_gpus: int
    peak_flops_per_second: float  # per GPU
    matmul_efficiency: float

    @property
    def communication_seconds(self) -> float:
        return (
            self.tensor_parallel_seconds + self.pipeline_transfer_seconds + self.data_parallel_seconds
            + self.context_parallel_seconds + self.expert_parallel_seconds
        )  # fmt: skip

    @property
    def step_seconds(self) -> float:
        return self.compute_seconds + self.memory_bound_seconds + self.communication_seconds + self.bubble_seconds

    @property
    def utilisation(self) -> MeasuredStep:
        """MFU and HFU of the predicted step, as a step measured at that time gives them."""
        return MeasuredStep(
            self.step_seconds, self.n_gpus, self.peak_flops_per_second, self.model_flops, self.hardware_flops
        )

    @property
    def mfu(self) -> float:
        return self.utilisation.mfu

    @property
    def hfu(self) -> float:
        return self.utilisation.hfu


def matmul_efficiency(gpu: Gpu, matmul_flops: float, precision: str = "bf16") -> float:
    """The share of the peak (at `precision`) a matrix multiply of `matmul_flops` achieves on `gpu`."""
    share = MAMF_SHARE.get(gpu.name, MAMF_SHARE["A100-SXM"])
    if precision == "fp8":
        share = MAMF_SHARE_FP8.get(gpu.name, share)
    best = MATMUL_EFFICIENCY_A100 * share / MAMF_SHARE["A100-SXM"]
    return best * matmul_flops / (matmul_flops + MATMUL_HALF_FLOPS)


def _memory_bound_bytes_per_token(shape: Shape, tp: int, flash_attention: bool, recompute: str) -> float:
    """Bytes the memory-bound kernels of one layer move per token, forward and backward: about 38·h/t forward for
    the norms and the fused bias, dropout and residual adds over a sequence-parallel slice, 16·h/t for the FFN's
    bias and activation (d_ff = 4h), and without a fused attention kernel 9 bytes per score (softmax read and
    written, dropout read, written and its 1-byte mask) over the a/t heads' s scores; the backward pass moves twice
    the forward's, and recomputation repeats the forward parts it reruns."""
    h, scores = shape.d_model, 0.0 if flash_attention else 9.0 * shape.n_heads * shape.seq_len
    forward = (38.0 * h + 16.0 * h * shape.d_ff / (4 * h) + scores) / tp
    again = {"none": 0.0, "selective": scores / tp, "full": forward}[recompute]
    return 3.0 * forward + again


class _NoBandwidth(Exception):
    """The GPU has no memory bandwidth, or none for a link the layout uses: no step is predicted."""


def _ring_seconds(gpu: Gpu, ranks: int, tensor_bytes: float, within_node: bool) -> float:
    """An all-gather or reduce-scatter of a `tensor_bytes` tensor over `ranks` GPUs in a ring: each GPU moves
    (ranks - 1)/ranks of it, over NVLink within a node, else over its network link."""
    if ranks <= 1:
        return 0.0
    return (ranks - 1) / ranks * tensor_bytes / _bandwidth(gpu, within_node)


def _bandwidth(gpu: Gpu, within_node: bool) -> float:
    """Bytes per second one GPU sends to another: NVLink's one-way rate within a node, else its NIC's."""
    link, network = gpu.link_bandwidth_bytes_per_second, gpu.network_bandwidth_bytes_per_second
    if within_node and link:
        return link / 2 * LINK_EFFICIENCY
    if not within_node and network:
        return network * NETWORK_EFFICIENCY
    raise _NoBandwidth


def predict_step(
    shape: Shape, counts: Counts, layout: Layout, gpu: Gpu, gpus_per_node: int = 8, gradient_bytes: float = 2.0,
    peak_flops_per_second: float | None = None, precision: str = "bf16",
) -> StepTime | None:  # fmt: skip
    """The step time of `layout` (its degrees, micro-batch, accumulation steps, interleaved stages and
    recomputation) on `gpu` (at its peak, or `peak_flops_per_second`); see the module doc for each term.
    None when the GPU has no memory bandwidth, or none for a link the layout uses (a GPU given by its peak alone)."""
    try:
        return _predict(shape, counts, layout, gpu, gpus_per_node, gradient_bytes, peak_flops_per_second, precision)
    except _NoBandwidth:
        return None


def _predict(
    shape: Shape, counts: Counts, layout: Layout, gpu: Gpu, gpus_per_node: int, gradient_bytes: float,
    peak_flops_per_second: float | None, precision: str,
) -> StepTime:  # fmt: skip
    tp, pp, cp, dp, v = layout.tp, layout.pp, layout.cp, layout.dp, layout.interleave
    b, m, s, h = layout.micro_batch, layout.accumulation, shape.seq_len, shape.d_model
    n_gpus, peak = layout.n_gpus, peak_flops_per_second or gpu.peak_flops_per_second
    tokens = layout.global_batch_sequences * s
    model_flops = tokens * flops_per_token(shape, counts)
    hardware_flops = tokens * flops_per_token(shape, counts, layout.recompute)
    # Each GPU's matrix multiplies: the FFN's first, b·s/cp tokens by h by d_ff/tp, sets the size.
    efficiency = matmul_efficiency(gpu, 2.0 * b * s / cp * h * shape.d_ff / tp, precision)
    attention_efficiency = ATTENTION_EFFICIENCY.get(gpu.name, ATTENTION_EFFICIENCY["H100-SXM"])

    def scores_run(recompute: str) -> float:
        """The attention scores' FLOPs per token a kernel runs: causal kernels (flash attention) skip the masked
        half of what eq. 7 counts; unfused ones run it all."""
        return score_flops_per_token(shape, recompute) * (0.5 if layout.flash_attention else 1.0)

    def compute_seconds(recompute: str) -> float:
        """The step's compute under a recomputation: fused attention at its own efficiency, the rest at the matrix
        multiplies'."""
        flops = flops_per_token(shape, counts, recompute)
        if not layout.flash_attention:
            return tokens * flops / efficiency / (n_gpus * peak)
        matmuls = flops - score_flops_per_token(shape, recompute)
        return tokens * (matmuls / efficiency + scores_run(recompute) / attention_efficiency) / (n_gpus * peak)

    compute = compute_seconds(layout.recompute)
    recompute = compute - compute_seconds("none")
    layers = shape.n_layers / pp  # each GPU's, over its v stages
    tokens_per_gpu = m * b * s / cp  # per layer, over the step's micro-batches
    if not gpu.memory_bandwidth_bytes_per_second:
        raise _NoBandwidth
    memory_bandwidth = gpu.memory_bandwidth_bytes_per_second * HBM_EFFICIENCY
    memory_bound = (
        layers * tokens_per_gpu * _memory_bound_bytes_per_token(shape, tp, layout.flash_attention, layout.recompute)
        / memory_bandwidth
    )  # fmt: skip
    activations = b * s / cp * h * WIRE_BYTES  # one micro-batch's, at one layer
    collectives = 12 if layout.recompute == "full" else 8
    tensor = layers * m * collectives * _ring_seconds(gpu, tp, activations, tp <= gpus_per_node)
    ideal = compute + memory_bound + tensor
    bubble = layout.bubble_fraction * ideal
    transfers = 0.0
    if pp > 1:
        # Stages take consecutive ranks (tp, then cp and dp, within each): once the pipeline spans nodes, some stage
        # hands its activations to the next over the network, and the slowest hand-off paces every micro-batch.
        transfers = m * 2 * v * activations / tp / _bandwidth(gpu, n_gpus <= gpus_per_node)
    data = 0.0
    if dp > 1:
        ep = layout.ep
        experts = counts.routed_params_per_layer * counts.expert_layers  # all routed experts' parameters
        within = tp * cp * dp <= gpus_per_node
        dense = (counts.params_total - experts) / (pp * tp) * gradient_bytes
        one_way = _ring_seconds(gpu, dp, dense, within) + _ring_seconds(
            gpu, dp // ep, experts / (pp * tp * ep) * gradient_bytes, within
        )
        gathered = one_way * (2.0 if layout.sharding == "zero-3" else 1.0)  # ZeRO-3 gathers the weights twice
        # The reduce-scatter runs beside the last micro-batch's backward pass (2/3 of its compute), the weights'
        # all-gather after the optimizer step.
        data = max(0.0, one_way - 2.0 / 3.0 * ideal / m) + gathered
    context = 0.0
    if cp > 1:
        keys_values = 2 * b * s * shape.kv_heads * shape.head_dim / tp * WIRE_BYTES
        exchange = 2 * _ring_seconds(gpu, cp, keys_values, tp * cp <= gpus_per_node)  # forward, and backward
        attention_rate = peak * (attention_efficiency if layout.flash_attention else efficiency)
        attention = scores_run(layout.recompute) / shape.n_layers * b * s / cp / tp / attention_rate  # a layer's
        context = layers * m * max(0.0, exchange - attention)
    expert = 0.0
    if layout.all_to_all_bytes:
        expert = layout.all_to_all_bytes / _bandwidth(gpu, tp * cp * layout.ep <= gpus_per_node)
    return StepTime(
        compute, recompute, memory_bound, tensor, bubble, transfers, data, context, expert, model_flops,
        hardware_flops, n_gpus, peak, efficiency,
    )  # fmt: skip
