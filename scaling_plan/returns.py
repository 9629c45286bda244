"""What more compute buys along a plan's allocation: the loss the next factor of ten takes off, and the compute that
takes off the next 0.01 nats.

    loss_drop_per_10x = L(A(C)) - L(A(10·C))
    flops_for_next_0_01_nats = C' - C, where L(A(C')) = L(A(C)) - 0.01

with A the plan's allocator (the tokens-per-param rule, the law's own optimum, or a published frontier) and L its
law, so the answer follows the same rule that chose N and D. Along any of them the loss falls toward the law's
irreducible loss E and never below it: past a point no compute buys 0.01 nats more, and the answer is None.

Pure domain, plain floats: a plan's start-up imports no numpy for this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plans import PlanRequest

#: The step of loss asked about, in nats per token, and the factor of compute.
LOSS_STEP_NATS = 0.01
COMPUTE_FACTOR = 10.0
#: The most compute searched for the next step (inputs.fields.MAX_FLOPS): past it, the step is out of reach.
SEARCH_LIMIT_FLOPS = 1e40
#: Bisection steps in log compute: 60 halvings of a span of at most 40 decades leave under 1e-16 of a decade.
BISECTION_STEPS = 60


@dataclass(frozen=True)
class Returns:
    loss_drop_per_10x_nats: float | None  # None past the allocator's bound
    flops_for_next_step: float | None  # extra FLOPs (6·N·D) for LOSS_STEP_NATS less; None when out of reach


def _loss_at(request: PlanRequest, compute_flops: float) -> float | None:
    """The law's loss at the allocator's N and D for this compute; None past the allocator's bound."""
    if compute_flops > getattr(request.allocator, "max_compute_flops", math.inf):
        return None
    n_params, n_tokens = request.allocator.allocate(compute_flops)
    loss = float(request.law.loss(float(n_params), float(n_tokens)))
    return loss if math.isfinite(loss) else None


def returns_at(request: PlanRequest, compute_flops: float) -> Returns:
    """What 10x the compute and the next 0.01 nats cost, from `compute_flops` along the request's allocation."""
    here = _loss_at(request, compute_flops)
    if here is None:
        return Returns(None, None)
    tenfold = _loss_at(request, compute_flops * COMPUTE_FACTOR)
    drop = None if tenfold is None else here - tenfold
    target = here - LOSS_STEP_NATS
    low, high = compute_flops, compute_flops
    while True:  # the first factor of ten that reaches the target
        high *= COMPUTE_FACTOR
        loss = _loss_at(request, high) if high <= SEARCH_LIMIT_FLOPS else None
        if loss is None:
            return Returns(drop, None)
        if loss <= target:
            break
        low = high
    for _ in range(BISECTION_STEPS):
        middle = math.sqrt(low * high)
        loss = _loss_at(request, middle)
        if loss is not None and loss <= target:
            high = middle
        else:
            low = middle
    return Returns(drop, high - compute_flops)
