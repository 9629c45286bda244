"""How a model is split over GPUs, and what each GPU holds: tensor parallelism (with sequence parallelism) inside a
node, pipeline stages, context parallelism and data parallelism with a ZeRO stage; the pipeline bubble; and the
launchable global batch = data-parallel size x micro-batch x gradient-accumulation steps.

Memory per GPU, mixed-precision Adam and 16-bit activations:
- States: 2 + 2 + 12 bytes per parameter the GPU's pipeline stage and tensor rank hold (Rajbhandari et al. 2020,
  sec. 3.1; 2 + 4 + 12 with fp32 gradients, as Megatron-LM keeps them), the ZeRO stage dividing optimiser states, then gradients, then weights over the dp x cp ranks that hold
  the same shard (their Fig. 1; Megatron-LM's distributed optimiser shards over data- and context-parallel ranks).
  A stage holds its L/pp blocks and, when pp > 1, one vocabulary matrix (the first stage the input embedding, the
  last the output layer or, tied, a copy of the embedding); tensor parallelism divides all of it, norms included.
  A mixture's routed experts are split by tensor parallelism like dense FFNs, and over `ep` expert-parallel ranks
  taken from the data-parallel ones (each holds experts/ep whole experts; Lepikhin et al. 2021, GShard, sec. 2.2;
  Megatron-LM's expert parallelism), so their states are sharded by ZeRO over the dp x cp / ep ranks that hold the
  same experts. ZeRO-3 also holds two units (blocks, their experts divided by ep, or the vocabulary matrix)
  gathered whole, GATHERED_UNITS.
- All-to-all traffic of expert parallelism: each expert layer sends every token to the GPUs of the experts it is
  routed to and takes the outputs back (dispatch and combine; GShard, Algorithm 2), and the backward pass does both
  again for the gradients: 4 exchanges per expert layer per micro-batch, 6 under full recomputation (the forward
  pass is run twice). Each exchange moves, per GPU, its tokens (s/cp·b/tp under sequence parallelism) x the experts
  a token uses x d_model x 2 bytes, the (ep - 1)/ep of it bound for other GPUs: an upper bound, since a token
  routed to two experts on one GPU is often sent once.
- Activations: Korthikanti et al. 2022, Table 2, with sequence parallelism whenever tp > 1 (as Megatron-LM runs
  tensor parallelism): per layer s·b·h/t·(34 + 5·a·s/h) bytes for their GPT block, whose 34 and 5 count dropout
  masks and the scores' dropout output; a block without dropout keeps s·b·h/t·(32 + 2·a·s/h) (blueprint.model_size
  breaks the terms down). Selective recomputation drops the attention scores, full recomputation keeps 2·s·b·h/t
  per layer plus one layer rebuilt at a time. FlashAttention-style kernels keep no s x s score tensor (Dao et al.
  2022), so with them selective recomputation saves nothing more.
  Context parallelism gives each GPU s/cp of the sequence. The pipeline's first stage holds min(pp, m) micro-batches
  of its L/pp layers under the 1F1B schedule (Narayanan et al. 2021, sec. 2.2), m the accumulation steps.
- The pipeline bubble is (pp - 1)/m of the ideal step time (Narayanan et al. 2021, sec. 2.2.1, 1F1B), (pp - 1)/(m·v)
  with v interleaved stages per GPU (sec. 2.2.2), whose first stage holds (1 + (pp - 1)/(pp·v)) times the
  activations (Korthikanti et al. 2022, sec. 4.2.3).

The search (`choose_layout`) ranks the layouts that fit by their predicted step (steptime.py) per sequence of the
batch when the caller can predict it (the GPU's memory, NVLink and network bandwidths known): of those within
PACE_BAND of the fastest, the rules of Layout._rank choose; where some layout's step cannot be predicted (a link the
GPU gives no bandwidth for), the rules choose among all, so that no layout wins for being the one the model can
time.

Pure domain: the search raises UsageError naming the flag of a degree that cannot be used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .budget import GIB
from .errors import UsageError
from .units import counted

#: Mixed-precision Adam: bytes per parameter (Rajbhandari et al. 2020, ZeRO, sec. 3.1: 2Ψ + 2Ψ + KΨ with K = 12).
WEIGHT_BYTES = 2  # BF16/FP16 weights used in forward and backward
#: Optimizer states by the format of Adam's momentum and variance: fp32, FP32 master weights 4 + momentum 4 + variance
#: 4; 8bit, the master weights 4 + one byte each, with an FP32 scale per block of 2,048 values of each (Dettmers et
#: al. 2022, "8-bit Optimizers via Block-wise Quantization", ICLR, sec. 2: block-wise dynamic quantization).
OPTIMIZER_BYTES = {"fp32": 12.0, "8bit": 4.0 + 2.0 * (1.0 + 4.0 / 2048)}
#: Bytes of an activation element: training and serving compute in 16-bit formats.
ACTIVATION_BYTES = 2.0
#: Gradients by their format: bf16 (2 bytes, the ZeRO paper's 16 bytes a parameter with Adam) or fp32 (4: Megatron-LM
#: accumulates and all-reduces bf16 training's gradients in fp32, 18 bytes a parameter, 6 + 12/d with its distributed
#: optimiser: Megatron-LM README, "Distributed Optimizer"; DeepSpeed's bf16 optimiser keeps fp32 gradients too).
GRADIENT_BYTES = {"bf16": 2, "fp32": 4}
#: ZeRO-3 (FSDP) gathers each unit's weights whole before using it, and holds two gathered units at once so that the
#: next one's all-gather overlaps this one's compute (PyTorch FSDP2's default: "two all-gather output tensors to be
#: alive at once", pytorch/pytorch#128884). A unit is a block, or the vocabulary matrix where that is larger.
GATHERED_UNITS = 2

#: FSDP's full sharding keeps the same per-GPU state as ZeRO-3.
SHARDING_ALIASES = {"fsdp": "zero-3"}
#: The training states each sharding divides over the GPUs (Rajbhandari et al. 2020, Fig. 1: P_os, P_os+g, P_os+g+p).
SHARDED_STATES: dict[str, tuple[str, ...]] = {
    "none": (),
    "zero-1": ("optimizer",),
    "zero-2": ("optimizer", "gradients"),
    "zero-3": ("optimizer", "gradients", "weights"),
}
SHARDINGS = tuple(SHARDED_STATES)
#: ZeRO-2 and -3 shard gradients or weights that pipeline stages exchange every micro-batch; DeepSpeed does not
#: combine them with pipeline parallelism (DeepSpeed docs, "Pipeline Parallelism": ZeRO stages 2 and 3 are
#: incompatible with it), and Megatron-LM's distributed optimiser is ZeRO-1.
PIPELINE_SHARDINGS = ("none", "zero-1")
#: ZeRO-3 moves 1.5x the data-parallel traffic of the others (Rajbhandari et al. 2020, sec. 7): chosen only to fit.
COSTLY_SHARDING = "zero-3"

RECOMPUTE_ORDER = ("none", "selective", "full")

#: Bubbles this close (a share of the step time) count alike when layouts are ranked, so that a layout does not take
#: on more model parallelism (context parallelism's traffic, more pipeline stages) to shave a bubble of a few percent
#: to less; past it, the smaller bubble wins. It is a judgement, not a measured cost.
BUBBLE_BAND = 0.05

#: Layouts whose predicted step per sequence is within this share of the fastest's count alike, and the rules choose
#: among them: the step model leaves out costs worth a few percent (stages that are not balanced, expert parallelism's
#: all-to-all, congestion), so it is not let trade a simpler layout for a predicted gain smaller than that. (A 9B
#: model on 64 H100s: 8 pipeline stages of 4-way context parallelism are predicted 0.4% faster than data parallelism
#: alone.) A judgement, as BUBBLE_BAND is.
PACE_BAND = 0.05

#: GPUs per node when none is given: HGX/DGX H100, A100 and B200 boards hold 8 (NVIDIA DGX datasheets).
DEFAULT_GPUS_PER_NODE = 8
#: Context parallelism splits sequences of at least this many tokens per GPU (shorter ones gain little).
MIN_TOKENS_PER_CONTEXT_RANK = 1024
#: The most pipeline stages searched (Llama 3 405B used 16; Dubey et al. 2024, Table 4).
MAX_PIPELINE_STAGES = 128


@dataclass(frozen=True)
class ModelSize:
    """What the memory model needs of a shape and its counts."""

    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    seq_len: int
    vocab_size: int
    params_total: int
    params_embedding: int  # token embedding, the output matrix when untied, learned positions
    tied_embeddings: bool
    #: Bytes of activations per token per layer, in units of d_model, besides attention scores (34 for a GPT block
    #: with dropout, 32 without; Korthikanti et al. 2022, sec. 4.1).
    linear_units: float
    #: Bytes of attention scores per query per key per head (5 with dropout: the softmax output 2, its dropout mask 1
    #: and the dropout's output 2; 2 without, the softmax output; Korthikanti et al. 2022, sec. 4.1).
    score_units: float = 5.0
    #: The largest block's parameters where blocks differ (a mixture of experts' dense first layers); None when
    #: every block is alike.
    heaviest_block_params: float | None = None
    #: A mixture of experts: routed experts per layer, the experts a token uses, the layers that have them, and
    #: one such layer's routed experts' parameters (what expert parallelism divides).
    experts: int = 0
    active_experts: int = 0
    expert_layers: int = 0
    routed_params_per_layer: float = 0.0

    def largest_unit_params(self, ep: int = 1) -> float:
        """Parameters of the largest unit ZeRO-3 gathers whole: a block (its routed experts divided over ep), or the
        vocabulary matrix."""
        block = (self.params_total - self.params_embedding) / self.n_layers
        if self.heaviest_block_params is not None:
            block = self.heaviest_block_params
        block -= self.routed_params_per_layer * (1.0 - 1.0 / ep)
        return max(block, float(self.vocab_size * self.d_model))

    def stage_expert_layers(self, pp: int) -> float:
        """Expert layers in the heaviest pipeline stage."""
        return min(float(self.expert_layers), self.n_layers / pp)

    def stage_params(self, pp: int) -> float:
        """Parameters of the heaviest pipeline stage (where blocks differ, a stage of the heaviest)."""
        if pp == 1:
            return float(self.params_total)
        blocks = self.params_total - self.params_embedding
        one_matrix = self.params_embedding if self.tied_embeddings else self.params_embedding / 2
        if self.heaviest_block_params is not None:
            return min(self.heaviest_block_params * self.n_layers / pp, float(blocks)) + one_matrix
        return blocks / pp + one_matrix


@dataclass(frozen=True)
class LayoutRequest:
    """Degrees and settings the user fixed (None: searched), and what the search needs to know."""

    tp: int | None = None
    pp: int | None = None
    cp: int | None = None
    ep: int | None = None
    sharding: str | None = None
    recompute: str | None = None
    micro_batch: int = 1
    flash_attention: bool = True
    gpus_per_node: int = DEFAULT_GPUS_PER_NODE
    grad_precision: str = "bf16"
    optimizer_states: str = "fp32"
    global_batch: int | None = None  # sequences per step, split whole over dp x micro-batch; None: near the law's
    interleave: int = 1  # pipeline stages per GPU (v), interleaved
    where: Mapping[str, str] = field(default_factory=dict)  # each fixed setting's flag or file:line, for messages

    def flag(self, name: str) -> str:
        return self.where.get(name, "--" + name.replace("_", "-"))


@dataclass(frozen=True)
class Layout:
    tp: int
    pp: int
    cp: int
    dp: int
    sharding: str
    recompute: str
    micro_batch: int
    accumulation: int  # micro-batches per pipeline per step (gradient-accumulation steps)
    flash_attention: bool
    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float
    activations_no_recompute_bytes: float
    activations_full_recompute_bytes: float
    capacity_bytes: float
    gather_bytes: float = 0.0  # ZeRO-3's gathered units
    micro_batch_max: int = 0  # the largest micro-batch that fits this layout (0: not even one); see largest_micro_batch
    ep: int = 1  # expert-parallel ranks, within the data-parallel ones
    all_to_all_bytes: float = 0.0  # expert parallelism's all-to-all traffic per GPU per step (see the module doc)
    interleave: int = 1  # pipeline stages per GPU (v), interleaved; 1 with one stage

    @property
    def n_gpus(self) -> int:
        return self.tp * self.pp * self.cp * self.dp

    @property
    def phrase(self) -> str:
        """tp 8 x pp 4 x cp 1 x dp 32, zero-1, no recomputation: the layout in a phrase."""
        recompute = "no" if self.recompute == "none" else self.recompute
        stages = f" ({self.interleave} interleaved per GPU)" if self.interleave > 1 else ""
        return f"tp {self.tp} x pp {self.pp}{stages} x cp {self.cp} x dp {self.dp}, {self.sharding}, {recompute} recomputation"

    @property
    def global_batch_sequences(self) -> int:
        return self.dp * self.micro_batch * self.accumulation

    @property
    def bubble_fraction(self) -> float:
        """Idle pipeline time over the ideal step time, (pp - 1)/(m·v) (Narayanan et al. 2021, sec. 2.2: 1F1B, and
        its interleaved schedule of v stages per GPU)."""
        return (self.pp - 1) / (self.accumulation * self.interleave)

    @property
    def total_bytes(self) -> float:
        return (
            self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes
            + self.gather_bytes
        )  # fmt: skip

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.capacity_bytes

    @property
    def dominant(self) -> str:
        parts = {
            "weights": self.weights_bytes,
            "gradients": self.gradients_bytes,
            "optimizer": self.optimizer_bytes,
            "activations": self.activations_bytes,
            "gathered weights": self.gather_bytes,
        }
        return max(parts, key=lambda name: parts[name])

    def _rank(self) -> tuple[int, int, bool, int, int, float, int, float]:
        """Lower is better: least recomputation, then bubble (in bands of BUBBLE_BAND), then no ZeRO-3, the fewest
        GPUs per model replica (less traffic inside a replica), the least expert parallelism (less all-to-all
        traffic), the least bubble, tensor before context parallelism, then the least memory."""
        return (
            RECOMPUTE_ORDER.index(self.recompute),
            math.ceil(round(self.bubble_fraction / BUBBLE_BAND, 9)),
            self.sharding == COSTLY_SHARDING,
            self.tp * self.pp * self.cp,
            self.ep,
            round(self.bubble_fraction, 9),
            self.cp,
            self.total_bytes,
        )


#: How choose_layout ranks the layouts that fit, in words (LayoutChoice.reason says it of one choice).
RANKING = (
    f"where the GPU's bandwidths are known, the layouts whose predicted step per sequence is within {PACE_BAND:.0%} of"
    " the fastest's; among them (or all, without a prediction) the least recomputation, then the least pipeline"
    f" bubble (bubbles within {BUBBLE_BAND:.0%} counting alike), then the fewest GPUs per model replica, then the"
    " least expert parallelism"
)

#: Seconds per sequence of a layout's predicted step, or None where it cannot be predicted (choose_layout's `pace`).
Pace = Callable[[Layout], "float | None"]


@dataclass(frozen=True)
class LayoutChoice:
    layout: Layout  # the best that fits; when none fits, the one needing the least memory
    n_searched: int
    n_fitting: int
    min_gpus: int  # the fewest GPUs any layout fits on with the fixed settings; 0 when none does
    seconds_per_sequence: float | None = None  # the chosen layout's predicted step per sequence, when it ranked them
    n_fast: int = 0  # layouts within PACE_BAND of the fastest predicted step, when the step was predicted
    fastest: tuple[Layout, float] | None = None  # the fastest layout predicted, and its seconds per sequence

    @property
    def reason(self) -> str:
        layout = self.layout
        if not layout.fits:
            return (
                f"none of {self.n_searched:,} layouts fits in {layout.capacity_bytes / GIB:.1f} GiB; this one needs"
                " the least memory"
            )
        bubble = f"a {100 * layout.bubble_fraction:.1f}% pipeline bubble" if layout.pp > 1 else "no pipeline bubble"
        # The ranking of choose_layout, said of this layout (RANKING says it of any).
        if self.seconds_per_sequence is not None and self.fastest is not None:
            fastest, seconds = self.fastest
            band = (
                "it is the fastest predicted" if fastest == layout
                else f"the fastest predicted is {fastest.phrase} at {1e3 * seconds:.3g} ms"
            )  # fmt: skip
            return (
                f"of {counted(self.n_fitting, 'layout')} that fit (of {self.n_searched:,} searched), {self.n_fast:,}"
                f" predict a step per sequence within {PACE_BAND:.0%} of the fastest's, and of those this one"
                f" ({1e3 * self.seconds_per_sequence:.3g} ms; {band}) has the least recomputation and {bubble}"
                f" (bubbles within {BUBBLE_BAND:.0%} counting alike), then the fewest GPUs per model replica"
                + (", then the least expert parallelism" if layout.ep > 1 else "")
            )
        return (
            f"of {counted(self.n_fitting, 'layout')} that fit (of {self.n_searched:,} searched), the one with the least"
            f" recomputation ({layout.recompute}) and {bubble} (bubbles within {BUBBLE_BAND:.0%} counting alike),"
            " then the fewest GPUs per model replica" + (", then the least expert parallelism" if layout.ep > 1 else "")
        )


def activation_bytes(
    model: ModelSize, micro_batch: int, recompute: str, tp: int = 1, cp: int = 1, pp: int = 1,
    in_flight: float = 1, flash_attention: bool = False,
) -> float:  # fmt: skip
    """Activations one GPU holds (Korthikanti et al. 2022, Table 2 with sequence parallelism when tp > 1): the
    stage's L/pp layers for `in_flight` micro-batches, one layer rebuilt under full recomputation, and
    4·s·b·h·(1 + v/h)/t for the embedding, final norm and logits (sec. 4.3)."""
    s, b, h, a = model.seq_len / cp, micro_batch, model.d_model, model.n_heads
    linear = s * b * h * model.linear_units / tp
    scores = 0.0 if flash_attention else model.score_units * a * s * model.seq_len * b / tp  # local queries x keys
    full_layer = linear + scores
    per_layer = {"none": full_layer, "selective": linear, "full": 2.0 * s * b * h / tp}[recompute]
    rebuilt = full_layer if recompute == "full" else 0.0
    layers = model.n_layers / pp * in_flight
    return layers * per_layer + rebuilt + 4.0 * s * b * h * (1 + model.vocab_size / h) / tp


def all_to_all_bytes(
    model: ModelSize, tp: int, pp: int, cp: int, ep: int, micro_batch: int, accumulation: int, recompute: str
) -> float:
    """Expert parallelism's all-to-all bytes one GPU sends per step (the module doc's upper bound); 0 without it."""
    if ep == 1 or not model.experts:
        return 0.0
    tokens = model.seq_len / cp * micro_batch / tp
    exchange = tokens * model.active_experts * model.d_model * ACTIVATION_BYTES * (ep - 1) / ep
    exchanges = 6 if recompute == "full" else 4
    return exchange * exchanges * model.stage_expert_layers(pp) * accumulation


def layout_memory(
    model: ModelSize, capacity_bytes: float, tp: int, pp: int, cp: int, dp: int, sharding: str, recompute: str,
    micro_batch: int, accumulation: int, flash_attention: bool, grad_precision: str = "bf16", ep: int = 1,
    optimizer_states: str = "fp32", interleave: int = 1,
) -> Layout:  # fmt: skip
    experts = model.routed_params_per_layer * model.stage_expert_layers(pp)
    held, held_experts = (model.stage_params(pp) - experts) / tp, experts / (tp * ep)
    sharded = SHARDED_STATES[sharding]
    replicas = dp * cp  # ranks holding the same shard of the model, over which ZeRO divides
    per_state = {
        state: bytes_per_param * (
            held / replicas + held_experts / (replicas // ep) if state in sharded else held + held_experts
        )
        for state, bytes_per_param in (
            ("weights", WEIGHT_BYTES), ("gradients", GRADIENT_BYTES[grad_precision]), ("optimizer", OPTIMIZER_BYTES[optimizer_states]),
        )
    }  # fmt: skip
    # Interleaving keeps (1 + (pp - 1)/(pp·v)) times the activations on the first stage (Korthikanti et al. 2022,
    # sec. 4.2.3): its micro-batches wait on more, smaller stages.
    in_flight = min(pp, accumulation) * (1 + (pp - 1) / (pp * interleave) if interleave > 1 else 1)
    gather = GATHERED_UNITS * WEIGHT_BYTES * model.largest_unit_params(ep) / tp if "weights" in sharded else 0.0

    def activations(mode: str, sequences: int = micro_batch) -> float:
        return activation_bytes(model, sequences, mode, tp, cp, pp, in_flight, flash_attention)

    # Activations grow in proportion to the micro-batch, all else fixed: the largest that fits follows.
    fixed = per_state["weights"] + per_state["gradients"] + per_state["optimizer"] + gather
    per_sequence = activations(recompute, 1)
    largest = max(0, int((capacity_bytes - fixed) // per_sequence)) if per_sequence > 0 else 0
    return Layout(
        tp, pp, cp, dp, sharding, recompute, micro_batch, accumulation, flash_attention,
        per_state["weights"], per_state["gradients"], per_state["optimizer"], activations(recompute),
        activations("none"), activations("full"), capacity_bytes, gather, largest, ep,
        all_to_all_bytes(model, tp, pp, cp, ep, micro_batch, accumulation, recompute), interleave,
    )  # fmt: skip


def _powers_of_two(up_to: int) -> list[int]:
    return [2**k for k in range(int(math.log2(max(up_to, 1))) + 1)]


def _divisors(n: int, up_to: int) -> list[int]:
    return [d for d in range(1, min(n, up_to) + 1) if n % d == 0]


def check_request(model: ModelSize, request: LayoutRequest, n_gpus: int | None) -> None:
    """Refuse a fixed degree the model or the cluster cannot take, naming its flag."""
    tp, pp, cp, ep = request.tp, request.pp, request.cp, request.ep
    if ep is not None and ep > 1:
        if not model.experts:
            raise UsageError(request.flag("ep"), f"expert parallelism ({ep}) needs a mixture of experts")
        if model.experts % ep:
            raise UsageError(request.flag("ep"), f"{ep} must divide the {model.experts:,} routed experts")
    if tp is not None:
        if tp > request.gpus_per_node:
            raise UsageError(
                request.flag("tp"),
                f"tensor parallelism stays within a node: {tp} is more than its {request.gpus_per_node} GPUs"
                " (--gpus-per-node)",
            )
        for count, what in ((model.n_heads, "attention heads"), (model.n_kv_heads, "key/value heads")):
            if count % tp:
                raise UsageError(request.flag("tp"), f"{tp} must divide the {count:,} {what}")
    if pp is not None and model.n_layers % pp:
        raise UsageError(request.flag("pp"), f"{pp} must divide the {model.n_layers:,} layers")
    v = request.interleave
    if v > 1 and pp is not None and (pp == 1 or model.n_layers % (pp * v)):
        problem = (
            f"need pipeline stages ({request.flag('pp')} over 1)" if pp == 1
            else f": pp {pp} x {v} = {pp * v} must divide the {model.n_layers:,} layers"
        )  # fmt: skip
        raise UsageError(request.flag("interleave"), f"{v} interleaved stages per GPU {problem}".replace(" :", ":"))
    if v > 1 and pp is None and not any(model.n_layers % (p * v) == 0 for p in range(2, MAX_PIPELINE_STAGES + 1)):
        raise UsageError(
            request.flag("interleave"),
            f"{v} interleaved stages per GPU: no pipeline of 2 to {MAX_PIPELINE_STAGES} stages x {v} divides the"
            f" {model.n_layers:,} layers",
        )
    if cp is not None and model.seq_len % (2 * cp) and cp > 1:
        # Load-balanced causal context parallelism cuts each sequence into 2·cp chunks (Megatron-LM, Dubey et al.
        # 2024 sec. 3.3.2).
        raise UsageError(request.flag("cp"), f"2 x {cp} must divide the sequence length {model.seq_len:,}")
    if request.sharding is not None and request.sharding not in PIPELINE_SHARDINGS and (pp or 1) > 1:
        raise UsageError(
            request.flag("sharding"),
            f"{request.sharding} does not combine with pipeline parallelism (--pp {pp}): use none or zero-1",
        )
    if n_gpus is not None:
        fixed = _fixed_gpus(request)
        if n_gpus % fixed:
            degrees = " x ".join(
                f"{name} {value}"
                for name, value in (("tp", tp), ("pp", pp), ("cp", cp), ("ep", ep))
                if value is not None
            )
            raise UsageError(request.flag("gpus"), f"{n_gpus:,} GPUs do not divide into {degrees} ({fixed:,})")


def _fixed_gpus(request: LayoutRequest) -> int:
    """The GPUs the fixed degrees take (expert parallelism's within the data-parallel ranks, so a factor of them)."""
    return (request.tp or 1) * (request.pp or 1) * (request.cp or 1) * (request.ep or 1)


def _candidates(
    model: ModelSize, request: LayoutRequest, n_gpus: int, batch_sequences: float, capacity_bytes: float
) -> Iterable[Layout]:
    tps = [request.tp] if request.tp else [
        t for t in _powers_of_two(request.gpus_per_node)
        if model.n_heads % t == 0 and model.n_kv_heads % t == 0
    ]  # fmt: skip
    pps = [request.pp] if request.pp else [
        p for p in _divisors(model.n_layers, MAX_PIPELINE_STAGES)
        if request.interleave == 1 or (p > 1 and model.n_layers % (p * request.interleave) == 0)
    ]  # fmt: skip
    cps = [request.cp] if request.cp else [
        c for c in _powers_of_two(n_gpus)
        if c == 1 or (model.seq_len % (2 * c) == 0 and model.seq_len / c >= MIN_TOKENS_PER_CONTEXT_RANK)
    ]  # fmt: skip
    recomputes = [request.recompute] if request.recompute else ["none", "full"] if request.flash_attention else [
        "none", "selective", "full"
    ]  # fmt: skip
    for tp in tps:
        for pp in pps:
            for cp in cps:
                if n_gpus % (tp * pp * cp):
                    continue
                dp = n_gpus // (tp * pp * cp)
                shardings = [request.sharding] if request.sharding else (
                    list(PIPELINE_SHARDINGS) if pp > 1 else list(SHARDINGS)
                )  # fmt: skip
                eps = [request.ep] if request.ep else [
                    e for e in _powers_of_two(dp) if model.experts % e == 0
                ] if model.experts else [1]  # fmt: skip
                per_step = dp * request.micro_batch
                if request.global_batch is not None and request.global_batch % per_step:
                    continue  # a fixed global batch is split whole over the data-parallel ranks
                accumulation = max(1, round(batch_sequences / per_step))
                for ep in eps:
                    if dp % ep:
                        continue
                    for sharding in shardings:
                        for recompute in recomputes:
                            yield layout_memory(
                                model, capacity_bytes, tp, pp, cp, dp, sharding, recompute, request.micro_batch,
                                accumulation, request.flash_attention, request.grad_precision, ep,
                                request.optimizer_states, request.interleave if pp > 1 else 1,
                            )  # fmt: skip


def _search(
    model: ModelSize, request: LayoutRequest, n_gpus: int, batch_sequences: float, capacity_bytes: float,
    pace: Pace | None = None,
) -> tuple[Layout | None, Layout | None, int, int, float | None, int, tuple[Layout, float] | None]:  # fmt: skip
    """(best fitting, least memory, searched, fitting, and when `pace` predicted the fitting layouts' steps: the
    best's seconds per sequence, how many were within PACE_BAND of the fastest, and the fastest)."""
    smallest: Layout | None = None
    searched = 0
    fit: list[Layout] = []
    for layout in _candidates(model, request, n_gpus, batch_sequences, capacity_bytes):
        searched += 1
        if smallest is None or layout.total_bytes < smallest.total_bytes:
            smallest = layout
        if layout.fits:
            fit.append(layout)
    paces = [pace(layout) for layout in fit] if pace is not None and fit else []
    known = [seconds for seconds in paces if seconds is not None]
    if not known or len(known) < len(fit):  # a layout whose step cannot be predicted: the rules choose among all
        return min(fit, key=Layout._rank, default=None), smallest, searched, len(fit), None, 0, None
    timed = [(layout, seconds) for layout, seconds in zip(fit, paces, strict=True) if seconds is not None]
    fastest = min(timed, key=lambda each: (each[1], each[0]._rank()))
    fast = [(layout, seconds) for layout, seconds in timed if seconds <= fastest[1] * (1 + PACE_BAND)]
    best, seconds = min(fast, key=lambda each: each[0]._rank())
    return best, smallest, searched, len(fit), seconds, len(fast), fastest


#: Counts tried when looking for the fewest GPUs: 1, 2, 4, then whole nodes from the first whose GPUs can hold the
#: training states at all, at most this many counts.
MAX_GPU_COUNTS_TRIED = 400


def fewest_gpus(model: ModelSize, request: LayoutRequest, batch_sequences: float, capacity_bytes: float) -> int:
    """The fewest GPUs (1, 2, 4, or whole nodes) any layout fits on with the request's fixed settings; 0 if none."""
    per_param = WEIGHT_BYTES + GRADIENT_BYTES[request.grad_precision] + OPTIMIZER_BYTES[request.optimizer_states]
    states = per_param * model.params_total
    floor = max(1, math.ceil(states / capacity_bytes))  # every state fully divided: no fewer can hold them
    node = request.gpus_per_node
    fixed = _fixed_gpus(request)
    first_node = max(1, math.ceil(floor / node))  # whole nodes from the first that can hold the states
    counts = [c for c in (1, 2, 4) if c < node] + [
        node * k for k in range(first_node, first_node + MAX_GPU_COUNTS_TRIED)
    ]
    for n in counts:
        if n < floor or n % fixed:
            continue
        if _search(model, request, n, batch_sequences, capacity_bytes)[0] is not None:
            return n
    return 0


def choose_layout(
    model: ModelSize, request: LayoutRequest, capacity_bytes: float, n_gpus: int | None, batch_sequences: float,
    pace: Pace | None = None,
) -> LayoutChoice:  # fmt: skip
    """The best layout on n_gpus GPUs (on the fewest that fit when None) for a global batch near batch_sequences:
    the fastest by `pace` (a layout's predicted seconds per sequence) where it predicts, else by the rules."""
    check_request(model, request, n_gpus)
    if request.global_batch is not None:
        batch_sequences = request.global_batch
    least = fewest_gpus(model, request, batch_sequences, capacity_bytes)
    fixed = _fixed_gpus(request)
    gpus = n_gpus if n_gpus is not None else (least or fixed)
    best, smallest, searched, fitting, paced, fast, fastest = _search(
        model, request, gpus, batch_sequences, capacity_bytes, pace
    )
    if smallest is None and request.interleave > 1 and request.pp is None:
        # Interleaving leaves only pipelines of pp x V stages that divide the layers; none may divide the GPUs.
        stages = [p for p in range(2, MAX_PIPELINE_STAGES + 1) if model.n_layers % (p * request.interleave) == 0]
        raise UsageError(
            request.flag("interleave"),
            f"{request.interleave} interleaved stages per GPU need a pipeline whose stages x {request.interleave}"
            f" divide the {model.n_layers:,} layers ({', '.join(map(str, stages))} stages), and none of those lays"
            f" the model out on {gpus:,} GPUs",
        )
    if smallest is None:  # only a fixed global batch leaves no candidate: tp = pp = cp = ep = 1 is one otherwise
        assert request.global_batch is not None
        raise UsageError(
            request.flag("global_batch"),
            f"{request.global_batch:,} sequences split whole over no layout on {gpus:,} GPUs (micro-batch"
            f" {request.micro_batch}): each data-parallel rank must take a whole number of micro-batches; give a"
            " batch that dp x micro-batch divides, or fix --tp, --pp and --cp",
        )
    chosen = best or smallest
    return LayoutChoice(chosen, searched, fitting, least, paced, fast, fastest)
