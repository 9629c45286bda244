"""Utilisation measured from a step time: model FLOPs utilisation (MFU) and hardware FLOPs utilisation (HFU).

A team that has timed a few training steps knows what its stack achieves; the FLOPs a step does, over the step time
and the GPUs' peak, say how far from the peak that is. The FLOPs follow Korthikanti et al. 2022, "Reducing
Activation Recomputation in Large Transformer Models", eq. 7 (model FLOPs, what MFU counts) and eq. 8 (hardware
FLOPs with selective recomputation, what HFU counts), for a global batch of B sequences of s tokens, L layers of
width h and a vocabulary V:

    model         72·B·s·L·h²·(1 + s/(6h) + V/(12·h·L))    (eq. 7; PaLM's appendix B gives the same for dense models)
    selective     72·B·s·L·h²·(1 + s/(3h) + V/(12·h·L))    (eq. 8: the attention scores' forward once more)
    full          96·B·s·L·h²·(1 + s/(6h) + V/(16·h·L))    (every layer's forward once more; the logits not)

Written per token for any shape (grouped-query attention, SwiGLU, experts: 72·L·h² is 6 x the blocks' matrix-multiply
weights a token uses, 12·s·L·h the attention scores over d_attn = heads x head width, 6·V·h the logits), so that for
a GPT block (attention 4h², FFN 8h²) it is eq. 7 to the FLOP:

    model per token     = 6·W + 12·L·s·d_attn + 6·V·h          (W: Counts.block_matmul_params_active)
    selective per token = 6·W + 24·L·s·d_attn + 6·V·h
    full per token      = 8·W + 16·L·s·d_attn + 6·V·h

Attention is counted without causal masking, as eq. 7 counts it. On Korthikanti et al.'s Table 5 (A100s, 312
TFLOP/s each), the printed step times give 41.65%, 51.39%, 56.05% and 56.27% MFU against the printed 41.5%, 51.4%,
56.0% and 56.3% (tests/domain/test_utilisation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError
from .shapes import Counts, Shape
from .units import format_number

SOURCE = "Korthikanti et al. 2022, 'Reducing Activation Recomputation in Large Transformer Models', eq. 7 and 8"


#: The attention scores' FLOPs a recomputation runs, over eq. 7's: selective reruns their forward (eq. 8's s/(3h) for
#: s/(6h)), full the whole forward pass (a third more).
RERUN_SCORES = {"none": 1.0, "selective": 2.0, "full": 4.0 / 3.0}


def score_flops_per_token(shape: Shape, recompute: str = "none") -> float:
    """The attention scores' training FLOPs per token, 12·L·s·d_attn (eq. 7), with what the recomputation reruns."""
    return RERUN_SCORES[recompute] * 12.0 * shape.n_layers * shape.seq_len * shape.score_width


def flops_per_token(shape: Shape, counts: Counts, recompute: str = "none") -> float:
    """Training FLOPs per token of a step: the model's (recompute "none", eq. 7), or the hardware's under selective
    (eq. 8) or full recomputation."""
    matmul = 6.0 * counts.block_matmul_params_active * (4 / 3 if recompute == "full" else 1.0)
    return matmul + score_flops_per_token(shape, recompute) + 6.0 * shape.vocab_size * shape.d_model


@dataclass(frozen=True)
class MeasuredStep:
    step_seconds: float
    n_gpus: int
    peak_flops_per_second: float  # per GPU
    model_flops: float  # per step, eq. 7
    hardware_flops: float  # per step, by the recomputation used

    @property
    def mfu(self) -> float:
        return self.model_flops / (self.step_seconds * self.n_gpus * self.peak_flops_per_second)

    @property
    def hfu(self) -> float:
        return self.hardware_flops / (self.step_seconds * self.n_gpus * self.peak_flops_per_second)


def measured_step(
    shape: Shape, counts: Counts, recompute: str, batch_sequences: int, step_seconds: float, n_gpus: int,
    peak_flops_per_second: float, where: str = "step_seconds",
) -> MeasuredStep:  # fmt: skip
    """The utilisation a step of `batch_sequences` sequences in `step_seconds` on `n_gpus` GPUs achieves; a step
    faster than the GPUs' peak allows is refused, naming `where`."""
    tokens = batch_sequences * shape.seq_len
    step = MeasuredStep(
        step_seconds, n_gpus, peak_flops_per_second,
        flops_per_token(shape, counts) * tokens, flops_per_token(shape, counts, recompute) * tokens,
    )  # fmt: skip
    if step.hfu > 1:
        fastest = step.hardware_flops / (n_gpus * peak_flops_per_second)
        raise UsageError(
            where,
            f"{format_number(step_seconds)} s is faster than the peak allows: a step of {batch_sequences:,} sequences"
            f" does {step.hardware_flops:.3g} FLOPs ({'no' if recompute == 'none' else recompute} recomputation),"
            " at least"
            f" {format_number(fastest)} s on {n_gpus:,} GPUs at {peak_flops_per_second:.3g} FLOP/s each",
        )
    return step
