"""A plan made concrete: a transformer shape (shapes.py) of the planned size, its memory per GPU and the GPU count,
and a batch size and learning rate.

Pure domain, integers where counts are exact.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .allocate import TOKENS_PER_PARAM_DEFAULT
from .budget import GIB, HOURS_PER_DAY, SECONDS_PER_HOUR, Hardware
from .errors import UsageError
from .parallel import GRADIENT_BYTES, Layout, LayoutChoice, LayoutRequest, ModelSize, choose_layout
from .shapes import PARAMS_TOLERANCE, Counts, Shape, count, shape_for_params
from .steptime import StepTime, predict_step
from .units import format_count, format_scientific
from .utilisation import MeasuredStep, measured_step

#: A sized shape further than this from its target is no shape of that size: refused (the nearest one is named). Between
#: PARAMS_TOLERANCE and this, it is used with a warning.
PARAMS_REFUSAL = 0.10
#: A launchable batch further than this from the batch-size law's (relative) is said: too many data-parallel ranks
#: for the batch, or a micro-batch too large.
LAUNCHABLE_BATCH_WARNING = 0.25
#: Embeddings above this share of the parameters leave blocks too small to stand for the model planned: said.
EMBEDDING_SHARE_WARNING = 0.5

#: DeepSeek LLM's near-optimal hyperparameters (DeepSeek-AI 2024, eq. 1), with C = M·D in their convention:
#: eta_opt = 0.3118 · C^-0.1250, B_opt = 0.2920 · C^0.3271 tokens; fitted on budgets of about 1e17 to 2e19 FLOPs.
LR_COEFFICIENT, LR_EXPONENT = 0.3118, -0.1250
BATCH_COEFFICIENT, BATCH_EXPONENT = 0.2920, 0.3271
HYPER_FITTED_RANGE_FLOPS = (1e17, 2e19)
HYPER_SOURCE = "DeepSeek-AI 2024, DeepSeek LLM, eq. 1 (fitted on 1e17 to 2e19 FLOPs; C = M·D)"


# --- families: the conventions of a model series ---------------------------------------------------------------


# --- finding a shape near a size ------------------------------------------------------------------------------------


# --- memory ---------------------------------------------------------------------------------------------------------


#: Whether blocks have dropout when nothing says: the gpt style's do, as the GPT block Korthikanti et al. 2022 count
#: (sec. 4.1: dropout on the attention probabilities and after attention and the MLP; GPT-1 used 0.1 on residuals
#: and attention, Radford et al. 2018, sec. 4.1); the llama style's do not (Meta's released Llama code, Touvron et
#: al. 2023, has no dropout in its blocks).
DROPOUT_STYLES = ("gpt",)


def default_dropout(style: str) -> bool:
    return style in DROPOUT_STYLES


def model_size(shape: Shape, counts: Counts, dropout: bool | None = None) -> ModelSize:
    """What the parallel layout's memory model needs of a shape: its sizes, counts, and activation bytes per token
    per layer in units of d_model, besides and for the attention scores. `dropout` None follows the style.

    Korthikanti et al. 2022, sec. 4.1, 16-bit activations (2 bytes an element) and 1-byte dropout masks, per layer:
      attention  11·s·b·h + 5·a·s²·b: the QKV input 2sbh, Q and K 4sbh, V 2sbh, the output projection's input 2sbh
                 and the dropout mask after attention sbh; the softmax output 2as²b, its dropout mask as²b and the
                 dropout's output 2as²b that attention over V reads;
      MLP        19·s·b·h for 4h and two matrices: the first matrix's input 2sbh, GeLU's input 8sbh, the second
                 matrix's input 8sbh and the dropout mask after the MLP sbh;
      norms      4·s·b·h: each of the two norms' input 2sbh;
    in all s·b·h·(34 + 5·a·s/h). Here K and V follow the key/value heads (4·kv/heads), the MLP follows d_ff (2 +
    4·d_ff/h; SwiGLU keeps its gate and up outputs and the down matrix's input, 2 + 6·d_ff/h), and an MoE layer
    holds the MLP activations of each expert a token uses. Blocks without dropout keep neither mask of s·b·h nor,
    of the scores, the mask and the dropout's output: 32 + 2·a·s/h for the paper's block. A released model's parts
    follow the same tensors at their own widths (heads of their own width, latent attention's latents and heads,
    the inputs of query/key norms, norms_per_layer norms); with dense first layers every layer counts as the heavier
    kind, since a pipeline stage may hold only those."""
    dropout = default_dropout(shape.style) if dropout is None else dropout
    d, h, kv = shape.d_model, shape.n_heads, shape.kv_heads
    if shape.latent is not None:
        # the hidden state 2; each latent (queries', keys and values' with the rotary key) twice, as its norm's
        # input and its up-projection's; Q and K 4·h·qk/d, V 2·h·v/d; the output projection's input 2·h·v/d
        latent = shape.latent
        latents = (latent.q_rank or 0) + latent.kv_rank + latent.rope_dim
        attention = 2 + (4 * latents + 4 * h * shape.qk_dim + 4 * h * shape.v_dim) / d
    elif shape.head_width is not None:  # the same tensors with heads of their own width
        attention = 2 + (2 * h * shape.head_dim + 4 * kv * shape.head_dim + 2 * h * shape.head_dim) / d
    else:
        attention = 6 + 4 * kv / h  # QKV input 2, Q 2, K and V 4·kv/heads, output input 2
    if shape.qk_norm:  # the inputs of the norms on queries and keys
        attention += 2 * (h + kv) * shape.head_dim / d
    gated = 6 if shape.ffn == "swiglu" else 4

    def mlp(width: int) -> float:  # one FFN of this width: its input, and its intermediates
        return 2 + gated * width / d

    if not shape.experts:
        ffn = mlp(shape.d_ff)
    elif shape.shared_d_ff is None:  # each expert a token uses, shared ones of the routed width
        ffn = (shape.active_experts + shape.shared_experts) * mlp(shape.ffn_width)
    else:
        ffn = shape.active_experts * mlp(shape.ffn_width) + (mlp(shape.shared_d_ff) if shape.shared_d_ff else 0)
    if shape.experts and shape.dense_layers:  # every layer held as the heavier kind: a stage may be all of one
        ffn = max(ffn, mlp(shape.d_ff))
    norms = 2 * shape.norms_per_layer
    masks = 2 if dropout else 0  # 1 byte each, after attention and after the MLP
    return ModelSize(
        n_layers=shape.n_layers, d_model=d, n_heads=h, n_kv_heads=kv,
        seq_len=shape.seq_len, vocab_size=shape.vocab_size, params_total=counts.params_total,
        params_embedding=counts.params_embedding, tied_embeddings=shape.tied_embeddings,
        linear_units=attention + ffn + norms + masks,
        score_units=5 if dropout else 2,  # softmax output 2 (+ its dropout mask 1 and the dropout's output 2)
        heaviest_block_params=counts.heaviest_block_params if shape.experts and shape.dense_layers else None,
        experts=shape.experts, active_experts=shape.active_experts, expert_layers=counts.expert_layers,
        routed_params_per_layer=counts.routed_params_per_layer,
    )  # fmt: skip


# --- hyperparameters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyperparameters:
    compute_flops: float  # C = M·D, DeepSeek's convention
    lr_peak: float
    batch_tokens_optimal: float
    batch_sequences_optimal: int  # the law's batch in whole sequences
    batch_sequences: int  # launchable: data-parallel size x micro-batch x accumulation steps, when laid out
    batch_tokens: int
    train_steps: int

    @property
    def extrapolated(self) -> bool:
        low, high = HYPER_FITTED_RANGE_FLOPS
        return not low <= self.compute_flops <= high


def hyperparameters(
    counts: Counts, seq_len: int, n_tokens: float, layout: Layout | None = None, global_batch: int | None = None
) -> Hyperparameters:
    """DeepSeek LLM's eq. 1 at C = M·D, with the batch rounded to whole sequences, and then to the layout's
    launchable batch (a whole number of micro-batches on every data-parallel rank) when there is one; a global batch
    given is the batch (the layout splits it whole)."""
    compute = counts.flops_per_token_deepseek * n_tokens
    batch_optimal = BATCH_COEFFICIENT * compute**BATCH_EXPONENT
    optimal_sequences = max(1, round(batch_optimal / seq_len))
    sequences = layout.global_batch_sequences if layout is not None else global_batch or optimal_sequences
    return Hyperparameters(
        compute_flops=compute,
        lr_peak=LR_COEFFICIENT * compute**LR_EXPONENT,
        batch_tokens_optimal=batch_optimal,
        batch_sequences_optimal=optimal_sequences,
        batch_sequences=sequences,
        batch_tokens=sequences * seq_len,
        train_steps=max(1, math.ceil(n_tokens / (sequences * seq_len))),
    )


# --- the blueprint --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlueprintRequest:
    """How to make a blueprint: a template shape (sized to the plan unless `explicit`), and how it is trained (the
    parallel layout's fixed degrees and settings; the rest are searched)."""

    template: Shape
    explicit: bool = False  # the template is the user's own shape, counted as it is
    causal_attention: bool = False
    family: str | None = None  # the model series whose conventions the template follows
    dropout: bool | None = None  # blocks with dropout, whose masks activations keep; None follows the style
    layout: LayoutRequest = dataclasses.field(default_factory=LayoutRequest)
    source: str | None = None  # the config.json an explicit template was read from (--hf-config)
    left_out: tuple[str, ...] = ()  # what that checkpoint holds that the count leaves out
    step_seconds: float | None = None  # a measured training step on the hardware's GPUs (utilisation.py)
    calibrate: bool = False  # time the plan at the measured step (--calibrate)


@dataclass(frozen=True)
class Blueprint:
    request: BlueprintRequest
    target_params: float | None
    n_tokens: float
    shape: Shape
    counts: Counts
    layout: LayoutChoice | None  # with a GPU
    hyper: Hyperparameters
    training_flops_full: float
    gpu_hours_full: float | None
    wall_clock_days_full: float | None
    cost_usd_full: float | None
    step: MeasuredStep | None = None  # with a measured step time: its utilisation
    #: The run's GPU-hours, days and cost at the measured step time (train steps x step); None without one.
    measured_time_and_cost: tuple[float | None, float | None, float | None] = (None, None, None)
    #: The step time predicted for the layout (steptime.py); None without a layout that fits, or bandwidths.
    predicted: StepTime | None = None
    #: The run's GPU-hours, days and cost at the predicted step, on the layout's GPUs; None without one.
    predicted_time_and_cost: tuple[float | None, float | None, float | None] = (None, None, None)
    #: Why a layout that fits has no predicted step (a bandwidth the GPU does not give); None otherwise.
    unpredicted: str | None = None

    @property
    def dropout(self) -> bool:
        """Whether the blocks have dropout (the request's, else the style's default)."""
        return default_dropout(self.shape.style) if self.request.dropout is None else self.request.dropout

    @property
    def mfu_predicted_full_count(self) -> float | None:
        """The --mfu at which the full count of training FLOPs takes the predicted step's GPU-hours: --mfu counts the
        full count, the predicted MFU eq. 7's (the goodput stretches both alike)."""
        predicted, layout = self.predicted, self.layout
        if predicted is None or layout is None:
            return None
        held = self.hyper.train_steps * predicted.step_seconds * layout.layout.n_gpus * predicted.peak_flops_per_second
        return self.training_flops_full / held

    @property
    def mfu_measured_full_count(self) -> float | None:
        """The --mfu at which the full count of training FLOPs takes the measured step's GPU-hours (as
        mfu_predicted_full_count is the predicted step's)."""
        step = self.step
        if step is None:
            return None
        held = self.hyper.train_steps * step.step_seconds * step.n_gpus * step.peak_flops_per_second
        return self.training_flops_full / held

    @property
    def step_measured_over_predicted(self) -> float | None:
        """The measured step over the predicted one, for the same layout and batch: how far the model is off."""
        if self.step is None or self.predicted is None:
            return None
        return self.step.step_seconds / self.predicted.step_seconds

    @property
    def params_vs_target_pct(self) -> float | None:
        if self.target_params is None:
            return None
        return 100.0 * (self.counts.params_active / self.target_params - 1.0)


#: A mixture of experts a plan asks for: (expansion E, granularity G) of Krajewski et al. 2024's law.
Mixture = tuple[float, int]


def mixture_shape(dense: Shape, mixture: Mixture) -> Shape:
    """The fine-grained mixture of experts of a dense shape (Krajewski et al. 2024, sec. 3): each FFN becomes E·G
    experts of width d_ff/G (rounded), G of them a token, so that a token uses a dense FFN's parameters and the
    experts hold E times them."""
    expansion, granularity = mixture
    return dataclasses.replace(
        dense, experts=round(expansion * granularity), active_experts=granularity,
        expert_d_ff=max(1, round(dense.d_ff / granularity)),
    )  # fmt: skip


def shape_of(request: BlueprintRequest, target_params: float | None, mixture: Mixture | None = None) -> Shape:
    """The request's own shape, or the one sized to target_params (active parameters; a mixture of experts of that
    active size when `mixture` is given)."""
    if request.explicit or target_params is None:
        return request.template
    shape = shape_for_params(target_params, request.template)
    return mixture_shape(shape, mixture) if mixture else shape


def full_training_flops(
    request: BlueprintRequest, target_params: float, n_tokens: float, mixture: Mixture | None = None
) -> float:
    """The full count of training FLOPs (Counts.flops_per_token_full x tokens) of the shape make_blueprint makes for
    target_params, without laying it out on GPUs."""
    shape = shape_of(request, target_params, mixture)
    return count(shape, request.causal_attention).flops_per_token_full * n_tokens


def make_blueprint(
    request: BlueprintRequest,
    target_params: float | None,
    n_tokens: float | None,
    hardware: Hardware | None,
    where: str = "params",
    mixture: Mixture | None = None,
) -> Blueprint:
    """The shape (the request's own, or one sized to target_params: a mixture of experts when `mixture` is given),
    its counts, parallel layout and memory, hyperparameters and the run's time under the full FLOP count. Without
    n_tokens the run trains 20 tokens per active parameter. A target no shape comes within PARAMS_REFUSAL of is
    refused, naming `where`."""
    shape = shape_of(request, target_params, mixture)
    counts = count(shape, request.causal_attention)
    if target_params is not None and not request.explicit:
        off = counts.params_active / target_params - 1.0
        if abs(off) > PARAMS_REFUSAL:
            raise UsageError(
                where,
                f"no shape comes within {PARAMS_REFUSAL:.0%} of {format_count(target_params)} parameters: the nearest,"
                f" {shape.n_layers:,} x {shape.d_model:,} with a vocabulary of {shape.vocab_size:,}, has"
                f" {counts.params_active:,} ({off:+.0%}); give a larger size or an explicit shape (--layers,"
                " --d-model)",
            )
    if n_tokens is None:
        n_tokens = TOKENS_PER_PARAM_DEFAULT * counts.params_active
    choice = None
    if hardware is not None:
        law_batch = hyperparameters(counts, shape.seq_len, n_tokens).batch_sequences_optimal
        model = model_size(shape, counts, request.dropout)
        if hardware.gpu.memory_bytes is None:
            raise UsageError(
                request.layout.flag("gpu_memory_gib"),
                f"a blueprint lays the model out in GPU memory: give the {hardware.gpu.name} GPU's memory in GiB",
            )
        choice = choose_layout(model, request.layout, hardware.gpu.memory_bytes, hardware.n_gpus, law_batch,
                               lambda layout: _pace(shape, counts, request, hardware, layout))  # fmt: skip
        if choice.min_gpus == 0:
            raise UsageError(_culprit(request.layout), _fits_nowhere(counts, hardware, choice))
    training_flops = counts.flops_per_token_full * n_tokens
    hyper = hyperparameters(counts, shape.seq_len, n_tokens, choice.layout if choice else None,
                            request.layout.global_batch)  # fmt: skip
    step: MeasuredStep | None = None
    measured: tuple[float | None, float | None, float | None] = (None, None, None)
    if request.step_seconds is not None:
        step, measured = _measured(request, shape, counts, hyper, choice, hardware)
    gpu_hours, days, cost = hardware.time_and_cost(training_flops) if hardware else (None, None, None)
    predicted, unpredicted = None, None
    at_prediction: tuple[float | None, float | None, float | None] = (None, None, None)
    if hardware is not None and choice is not None and choice.layout.fits:
        predicted = _predicted(shape, counts, request, hardware, choice.layout)
        if predicted is not None:
            at_prediction = run_at_step(hyper, predicted.step_seconds, choice.layout.n_gpus, hardware)
        else:
            gpu = hardware.gpu
            bandwidths = (
                ("memory", gpu.memory_bandwidth_bytes_per_second), ("NVLink", gpu.link_bandwidth_bytes_per_second),
                ("network", gpu.network_bandwidth_bytes_per_second),
            )  # fmt: skip
            missing = " or ".join(kind for kind, value in bandwidths if not value)
            unpredicted = f"{gpu.name} gives no {missing} bandwidth, which the layout's step needs"
    return Blueprint(
        request, target_params, n_tokens, shape, counts, choice, hyper, training_flops, gpu_hours, days, cost, step,
        measured, predicted, at_prediction, unpredicted,
    )  # fmt: skip


def _predicted(
    shape: Shape, counts: Counts, request: BlueprintRequest, hardware: Hardware, layout: Layout
) -> StepTime | None:
    """The layout's step predicted on the hardware (steptime.py; None where the GPU's bandwidths are not known)."""
    fixed = request.layout
    return predict_step(
        shape, counts, layout, hardware.gpu, fixed.gpus_per_node, GRADIENT_BYTES[fixed.grad_precision],
        hardware.peak_flops_per_second, hardware.precision,
    )  # fmt: skip


def _pace(shape: Shape, counts: Counts, request: BlueprintRequest, hardware: Hardware, layout: Layout) -> float | None:
    """A layout's predicted step per sequence of its batch: how the layout search ranks the layouts that fit."""
    step = _predicted(shape, counts, request, hardware, layout)
    return None if step is None else step.step_seconds / layout.global_batch_sequences


def blueprint_at_predicted_mfu(
    request: BlueprintRequest, target_params: float | None, n_tokens: float | None, hardware: Hardware | None
) -> tuple[Blueprint, Hardware | None]:
    """make_blueprint, and the hardware it used: with --mfu predict, at the MFU of its own predicted step (the shape
    and layout do not depend on the MFU, so once is enough)."""
    blueprint = make_blueprint(request, target_params, n_tokens, hardware)
    if hardware is None or not hardware.mfu_predicted:
        return blueprint, hardware
    if hardware.mfu_by_default and blueprint.mfu_predicted_full_count is None:  # no step predicted: the MFU assumed
        assumed = hardware.assumed()
        return make_blueprint(request, target_params, n_tokens, assumed), assumed
    pace = predicted_pace(blueprint, hardware.mfu_where, hardware.mfu_calibrated)
    predicted = dataclasses.replace(hardware, mfu=min(pace, 1.0))
    return make_blueprint(request, target_params, n_tokens, predicted), predicted


def predicted_pace(blueprint: Blueprint | None, where: str, measured: bool = False) -> float:
    """The --mfu of a blueprint's predicted step (or, `measured`, its measured step: --calibrate), the full count's,
    or a UsageError at `where` (the MFU's flag or file:line) saying why there is none."""
    if measured and blueprint is not None and blueprint.mfu_measured_full_count is not None:
        return blueprint.mfu_measured_full_count
    mfu = None if blueprint is None else blueprint.mfu_predicted_full_count
    if mfu is not None:
        return mfu
    reason = (
        "no blueprint (add --blueprint, or a config's blueprint: section)" if blueprint is None
        else blueprint.unpredicted or ("no GPU to lay it out on" if blueprint.layout is None else "no layout fits")
    )  # fmt: skip
    raise UsageError(where, f"predict needs a blueprint's predicted step on the GPU: {reason}")


def run_at_step(
    hyper: Hyperparameters, step_seconds: float, n_gpus: int, hardware: Hardware
) -> tuple[float, float, float | None]:
    """The run's GPU-hours, days and cost when every training step takes `step_seconds` on `n_gpus` GPUs (restarts
    stretch them as --goodput says)."""
    gpu_hours = hyper.train_steps * step_seconds * n_gpus / SECONDS_PER_HOUR / hardware.goodput
    return gpu_hours, gpu_hours / (n_gpus * HOURS_PER_DAY), hardware.cost_usd(gpu_hours)


def _measured(
    request: BlueprintRequest, shape: Shape, counts: Counts, hyper: Hyperparameters, choice: LayoutChoice | None,
    hardware: Hardware | None,
) -> tuple[MeasuredStep, tuple[float | None, float | None, float | None]]:  # fmt: skip
    """A measured step's utilisation, and the run's GPU-hours, days and cost at that step (restarts stretch them as
    --goodput says): a step is measured on a layout, so it needs the GPU, their count and the global batch."""
    fixed = request.layout
    where = fixed.flag("step_seconds")
    for needed in ("gpu", "gpus", "global_batch"):
        if needed not in fixed.where:
            raise UsageError(
                where, f"a measured step needs {fixed.flag(needed)}: the GPU, how many ran the step and its batch"
            )
    assert hardware is not None and hardware.n_gpus is not None and choice is not None and request.step_seconds
    layout = choice.layout
    step = measured_step(
        shape, counts, layout.recompute, hyper.batch_sequences, request.step_seconds, hardware.n_gpus,
        hardware.peak_flops_per_second, where,
    )  # fmt: skip
    return step, run_at_step(hyper, request.step_seconds, hardware.n_gpus, hardware)


def _culprit(request: LayoutRequest) -> str:
    """The flag to blame when no number of GPUs holds the model: the first fixed setting that saves less memory
    than the search could (activations first: they are what no GPU count divides), else the GPU."""
    saves_less = {
        "recompute": request.recompute not in (None, "full"),
        "flash_attention": not request.flash_attention,
        "tp": request.tp is not None,
        "pp": request.pp is not None,
        "cp": request.cp is not None,
        "ep": request.ep is not None,
        "sharding": request.sharding not in (None, "zero-3"),
        "micro_batch": request.micro_batch > 1,
        "interleave": request.interleave > 1,
    }
    return next((request.flag(name) for name, fixed in saves_less.items() if fixed), request.flag("gpu"))


def _fits_nowhere(counts: Counts, hardware: Hardware, choice: LayoutChoice) -> str:
    layout = choice.layout
    return (
        f"{counts.params_total:,} parameters fit on no number of {hardware.gpu.name} GPUs"
        f" ({(hardware.gpu.memory_bytes or 0) / GIB:.1f} GiB each) with the settings given: the least memory found is"
        f" {layout.total_bytes / GIB:,.1f} GiB per GPU ({layout.phrase}); leave the layout to the search, or"
        " use a GPU with more memory"
    )


def blueprint_warnings(blueprint: Blueprint) -> list[str]:
    warnings = []
    hyper = blueprint.hyper
    if hyper.extrapolated:
        warnings.append(
            "learning rate and batch size extrapolate DeepSeek LLM's eq. 1 (fitted on about 1e17 to 2e19 FLOPs)"
            f" to C = M·D = {format_scientific(hyper.compute_flops)} FLOPs"
        )
    choice = blueprint.layout
    fixed = blueprint.request.layout
    settings = (
        "tp", "pp", "cp", "ep", "sharding", "recompute", "micro_batch", "gpus_per_node", "flash_attention", "dropout",
        "interleave",
    )  # fmt: skip
    unused = [fixed.where[name] for name in settings if name in fixed.where]
    if choice is None and unused:
        warnings.append(f"{', '.join(unused)} unused without --gpu: a layout needs a GPU to lay the model out on")
    if choice is not None and not choice.layout.fits:
        layout = choice.layout
        gpus = f"{layout.n_gpus:,} GPUs hold" if layout.n_gpus != 1 else "1 GPU holds"
        warnings.append(
            f"{gpus} {layout.total_bytes / GIB:,.1f} GiB each at best ({layout.phrase}), over the"
            f" {layout.capacity_bytes / GIB:.1f} GiB of one: at least {choice.min_gpus:,} are needed"
        )
    if choice is not None and choice.layout.fits:
        off = hyper.batch_sequences / hyper.batch_sequences_optimal - 1
        if abs(off) > LAUNCHABLE_BATCH_WARNING:
            layout = choice.layout
            batch = f"the global batch of {hyper.batch_sequences:,} sequences ({fixed.flag('global_batch')}"
            if fixed.global_batch is None:
                batch = f"the launchable batch of {hyper.batch_sequences:,} sequences (dp {layout.dp:,} x micro-batch"
                batch += f" {layout.micro_batch} x {layout.accumulation} steps"
            ratio = hyper.batch_sequences / hyper.batch_sequences_optimal
            apart = f"{off:+.0%} from" if 0.5 <= ratio <= 2 else f"{ratio:.3g} times"  # -99.6% would print as -100%
            warnings.append(f"{batch}) is {apart} the batch-size law's {hyper.batch_sequences_optimal:,}")
    if hyper.batch_tokens > blueprint.n_tokens:
        warnings.append(
            f"one step of {hyper.batch_sequences:,} sequences is {format_count(hyper.batch_tokens)} tokens, more than"
            f" the run's {format_count(blueprint.n_tokens)}: its one step trains {hyper.batch_tokens / blueprint.n_tokens:.3g}"
            " times the tokens planned"
        )
    share = blueprint.counts.params_embedding / blueprint.counts.params_total
    if share > EMBEDDING_SHARE_WARNING:
        shape = blueprint.shape
        warnings.append(
            f"embeddings are {share:.0%} of the {format_count(blueprint.counts.params_total)} parameters (vocabulary"
            f" {shape.vocab_size:,} x d_model {shape.d_model:,}): the blocks are too small to stand for the model"
            " planned; a smaller --vocab-size (or --tied-embeddings) makes it truer"
        )
    error, target = blueprint.params_vs_target_pct, blueprint.target_params
    if error is not None and target is not None and abs(error) > 100 * PARAMS_TOLERANCE:
        model = "the blueprint's own model" if blueprint.request.explicit else "the nearest hardware-friendly shape"
        warnings.append(
            f"{model} has {blueprint.counts.params_active:,} parameters, {error:+.1f}% from the plan's"
            f" {format_count(target)}"
            + (": the blueprint trains it on the plan's tokens" if blueprint.request.explicit else "")
        )
    return warnings
