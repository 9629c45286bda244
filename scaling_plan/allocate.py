"""Budget -> (N, D): the tokens-per-parameter rule and the closed-form optimum of a law.

Both allocators keep C = 6·N·D. The inverse questions (which compute makes a model of N parameters optimal, which
compute reaches a loss) are answered by one monotone solver over compute, so every allocator gets them for free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .laws import FLOPS_PER_PARAM_TOKEN, Law, Num

#: The Chinchilla rule of thumb: about 20 training tokens per parameter (Hoffmann et al. 2022, Table 3 lists
#: D/N between 20 and 22 for its Approach-1 projections; Chinchilla itself is 70B parameters on 1.4T tokens).
#: Hoffmann's Approach-3 constants (eq. 10) do NOT reproduce it: their own optimum sits near 60-100 tokens/param.
TOKENS_PER_PARAM_DEFAULT = 20.0


class Allocator(Protocol):
    @property
    def method(self) -> str:
        """The `--method` name."""
        ...

    @property
    def description(self) -> str:
        """One line naming the rule and its formula."""
        ...

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        """(N, D) for training compute C, with 6·N·D = C."""
        ...


@dataclass(frozen=True)
class TokensPerParamRule:
    """D = r·N and C = 6·N·D, so N = sqrt(C / (6r)) and D = r·N."""

    tokens_per_param: float = TOKENS_PER_PARAM_DEFAULT
    method: str = "tokens-per-param"

    @property
    def description(self) -> str:
        return f"tokens-per-param rule: D = {self.tokens_per_param:g}·N with C = 6·N·D, so N = sqrt(C / {6 * self.tokens_per_param:g})"

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        n_params = (compute_flops / (FLOPS_PER_PARAM_TOKEN * self.tokens_per_param)) ** 0.5
        return n_params, self.tokens_per_param * n_params


@dataclass(frozen=True)
class LawOptimum:
    """The compute-optimal (N, D) of a law: the loss minimum along C = 6·N·D."""

    law: Law
    method: str = "law"

    @property
    def description(self) -> str:
        return f"optimum of {self.law.name}: {self.law.formula}, minimised at fixed C = 6·N·D"

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        return self.law.optimum(compute_flops)


#: Compute the inverse solver searches over, in FLOPs: far past any budget, still far from float overflow.
SOLVER_RANGE_FLOPS = (1.0, 1e60)


def solve_compute(quantity: Callable[[float], float], target: float, increasing: bool) -> float | None:
    """The compute C at which a monotone quantity(C) equals target, by bisection in log C.

    Returns None when the target lies outside what SOLVER_RANGE_FLOPS reaches. Bisection runs until the bracket is
    as narrow as floats allow, so results match closed forms to about 1e-15 relative.
    """
    low, high = (math.log(bound) for bound in SOLVER_RANGE_FLOPS)

    def below(log_compute: float) -> bool:
        value = quantity(math.exp(log_compute))
        return value < target if increasing else value > target

    if not below(low) or below(high):
        return None
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if below(middle):
            low = middle
        else:
            high = middle
    return math.exp(0.5 * (low + high))


def compute_for_params(allocator: Allocator, n_params: float) -> float | None:
    """The compute at which the allocator chooses a model of n_params."""
    return solve_compute(lambda c: allocator.allocate(c)[0], n_params, increasing=True)


def compute_for_tokens(allocator: Allocator, n_tokens: float) -> float | None:
    """The compute at which the allocator trains on n_tokens."""
    return solve_compute(lambda c: allocator.allocate(c)[1], n_tokens, increasing=True)


def compute_for_loss(allocator: Allocator, law: Law, loss_nats: float) -> float | None:
    """The least compute, along the allocator's path, at which the law predicts loss_nats."""
    return solve_compute(lambda c: law.loss(*allocator.allocate(c)), loss_nats, increasing=False)
