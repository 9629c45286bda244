"""Budget -> (N, D): the tokens-per-parameter rule and the closed-form optimum of a law.

Both allocators keep C = 6·N·D. The inverse questions (which compute makes a model of N parameters optimal, which
compute reaches a loss) are answered by one monotone solver over compute, so every allocator gets them for free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .laws import FLOPS_PER_PARAM_TOKEN, FrontierLaw, Law, Num
from .moe import GRANULARITIES, MoELaw

#: The Chinchilla rule of thumb: about 20 training tokens per parameter (Hoffmann et al. 2022, Table 3 lists
#: D/N between 20 and 22 for its Approach-1 projections; Chinchilla itself is 70B parameters on 1.4T tokens).
#: Hoffmann's Approach-3 constants (eq. 10) do NOT reproduce it: their own optimum sits near 60-100 tokens/param.
TOKENS_PER_PARAM_DEFAULT = 20.0


#: The rule under a mixture's eq. 10 searches N_act within e^-12 of 6·N·D's answer (the router's FLOPs are far less
#: than that factor at any size a plan takes), in 60 halvings: to 1e-17 of ln N.
MIXTURE_RULE_SPAN, MIXTURE_RULE_STEPS = 12.0, 60


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
    """D = r·N and C = 6·N·D, so N = sqrt(C / (6r)) and D = r·N. Under a mixture-of-experts law (`mixture`), C is
    its eq. 10 FLOPs at the granularity of that active size (moe.MoELaw.compute_flops): N is the largest whose run
    spends at most C (where the granularity doubles, the FLOPs jump and a run may spend a little less)."""

    tokens_per_param: float = TOKENS_PER_PARAM_DEFAULT
    method: str = "tokens-per-param"
    mixture: MoELaw | None = None

    @property
    def description(self) -> str:
        ratio = self.tokens_per_param
        if self.mixture is not None:
            return f"tokens-per-param rule: D = {ratio:g}·N_act with C = {self.mixture.name}'s eq. 10 FLOPs"
        return f"tokens-per-param rule: D = {ratio:g}·N with C = 6·N·D, so N = sqrt(C / {6 * ratio:g})"

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        n_params = (compute_flops / (FLOPS_PER_PARAM_TOKEN * self.tokens_per_param)) ** 0.5
        if self.mixture is not None:
            n_params = self._within_eq_10(compute_flops, n_params)
        return n_params, self.tokens_per_param * n_params

    def _within_eq_10(self, compute_flops: Num, most: Num) -> Num:
        """The largest N_act, at most `most` (6·N·D's answer; eq. 10 adds the router), whose run of r·N_act tokens
        spends at most the compute under eq. 10: a bisection in ln N, as the FLOPs rise with N but jump where G
        doubles."""
        import numpy as np

        law, ratio = self.mixture, self.tokens_per_param
        assert law is not None
        compute = np.asarray(compute_flops, dtype=float)
        high = np.log(np.asarray(most, dtype=float))
        low = high - MIXTURE_RULE_SPAN
        for _ in range(MIXTURE_RULE_STEPS):
            middle = (low + high) / 2
            n_active = np.exp(middle)
            fits = law.compute_flops(n_active, ratio * n_active) <= compute
            low, high = np.where(fits, middle, low), np.where(fits, high, middle)
        found = np.exp(low)
        return found if found.ndim else float(found)  # type: ignore[return-value]


@dataclass(frozen=True)
class LawOptimum:
    """The compute-optimal (N, D) of a law: the loss minimum along C = 6·N·D."""

    law: Law
    method: str = "law"

    @property
    def description(self) -> str:
        if isinstance(self.law, FrontierLaw):
            return f"along {self.law.name}'s fitted frontier (Hoffmann et al. 2022 Approach 2): {self.law.formula}"
        if isinstance(self.law, MoELaw):
            searched = "" if self.law.granularity else f" and G in {', '.join(map(str, GRANULARITIES))}"
            return f"optimum of {self.law.name}: {self.law.formula}, minimised over N_act{searched} at fixed C"
        return f"optimum of {self.law.name}: {self.law.formula}, minimised at fixed C = 6·N·D"

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        return self.law.optimum(compute_flops)


@dataclass(frozen=True)
class PublishedFrontier:
    """A lab's published compute-optimal frontier, as an allocator: it chooses N and D for a budget. The papers
    print no loss law beside it, so the plan's loss law (--law) predicts the loss of what it chooses.

    D_opt = k_D·C^b tokens. N follows from C = 6·N·D, or (DeepSeek's convention) from M_opt = k_M·C^a, the
    non-embedding FLOPs per token, with C = M·D: N is the size whose blueprint shape (shapes.py's default
    llama-style shape) has that M by the blueprint's own count, so 6·N·D is not exactly C there.
    """

    method: str
    source: str
    convention: str
    k_d: float
    b: float
    k_m: float | None = None
    a: float | None = None

    @property
    def description(self) -> str:
        return f"{self.method} frontier: {self.convention} ({self.source})"

    def allocate(self, compute_flops: Num) -> tuple[Num, Num]:
        import numpy as np

        n_tokens: Num = self.k_d * compute_flops**self.b
        if self.k_m is None or self.a is None:
            n_params: Num = compute_flops / (FLOPS_PER_PARAM_TOKEN * n_tokens)
            return n_params, n_tokens
        from .shapes import params_for_flops_per_token

        per_token = self.k_m * np.asarray(compute_flops, dtype=float) ** self.a
        sizes = np.array([params_for_flops_per_token(float(m)) for m in per_token.ravel()]).reshape(per_token.shape)
        return (sizes if sizes.ndim else float(sizes)), n_tokens  # type: ignore[return-value]

    @property
    def sizes_by_search(self) -> bool:
        """Whether N comes from a shape search (M_opt given), which costs tens of milliseconds a budget."""
        return self.k_m is not None

    @property
    def max_compute_flops(self) -> float:
        """The largest budget the frontier allocates: with M_opt, N comes from a shape search, bounded (as
        `shape --params` is) at blueprint.MAX_SHAPE_PARAMS parameters, whose M is about 6 x that; past it, none."""
        if self.k_m is None or self.a is None:
            return math.inf
        from .shapes import MAX_SHAPE_PARAMS

        return float((FLOPS_PER_PARAM_TOKEN * MAX_SHAPE_PARAMS / self.k_m) ** (1 / self.a))

    def compute_for(self, kind: str, value: float) -> float:
        """The budget at which the frontier chooses `value` parameters (kind "params") or tokens, in closed form."""
        if kind == "tokens":
            return float((value / self.k_d) ** (1 / self.b))
        if self.k_m is None or self.a is None:  # N = C / (6·k_D·C^b), so C^(1-b) = 6·k_D·N
            return float((FLOPS_PER_PARAM_TOKEN * self.k_d * value) ** (1 / (1 - self.b)))
        from .shapes import flops_per_token_for_params

        return float((flops_per_token_for_params(value) / self.k_m) ** (1 / self.a))


#: Published frontiers, each as its paper prints it (see PublishedFrontier).
FRONTIERS: dict[str, PublishedFrontier] = {
    # Dubey et al. 2024, "The Llama 3 Herd of Models", sec. 3.2.1: N*(C) = A·C^alpha training tokens with
    # (alpha, A) = (0.53, 0.29). Their headline, 402B parameters on 16.55T tokens at 3.8e25 FLOPs, is not what these
    # printed (rounded) constants give: at 3.8e25 they give about 10.5T tokens and, by C = 6·N·D, about 605B.
    "llama3-2024": PublishedFrontier(
        method="llama3-2024",
        source="Dubey et al. 2024, 'The Llama 3 Herd of Models', sec. 3.2.1",
        convention="D_opt = 0.29·C^0.53 tokens as printed, N = C/(6·D); the paper's own 402B on 16.55T at 3.8e25"
        " FLOPs is not reproduced by the printed rounding (it gives about 605B on 10.5T)",
        k_d=0.29,
        b=0.53,
    ),
    # Bi et al. 2024, "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism", eq. 4:
    # M_opt = M_base·C^a and D_opt = D_base·C^b with M_base = 0.1715, a = 0.5243, D_base = 5.8316, b = 0.4757, where
    # M is non-embedding FLOPs per token (their eq. 2: 72·n_layer·d_model² + 12·n_layer·d_model·l_seq) and C = M·D.
    "deepseek-llm-2024": PublishedFrontier(
        method="deepseek-llm-2024",
        source="Bi et al. 2024, 'DeepSeek LLM', eq. 4",
        convention="M_opt = 0.1715·C^0.5243 non-embedding FLOPs/token and D_opt = 5.8316·C^0.4757 with C = M·D;"
        " N is the size whose blueprint shape has M = M_opt",
        k_d=5.8316,
        b=0.4757,
        k_m=0.1715,
        a=0.5243,
    ),
}


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


def _within_solver_range(compute_flops: float) -> bool:
    low, high = SOLVER_RANGE_FLOPS
    return low <= compute_flops <= high


#: A mixture's plan at the compute found for a size or a token count must give it back this closely (its optimum is
#: searched, to about 1e-7): else the value lies where the optimum jumps, and no compute gives it.
MOE_PINNED_RTOL = 1e-5


def pinned_allocation(allocator: Allocator, kind: str, value: float) -> tuple[float, float, float] | None:
    """(C, N, D) at which the allocator chooses exactly `value` parameters (kind "params") or tokens ("tokens").

    The given quantity is kept as given and the other follows from it (closed form for the rule, D = r·N), then
    C = 6·N·D: never the given one round-tripped through the solver. None when no compute in SOLVER_RANGE_FLOPS does.
    """
    given = 0 if kind == "params" else 1
    if isinstance(allocator, TokensPerParamRule):
        ratio = allocator.tokens_per_param
        other = value * ratio if given == 0 else value / ratio
    elif isinstance(allocator, PublishedFrontier):
        other = float(allocator.allocate(allocator.compute_for(kind, value))[1 - given])
    else:
        compute = (compute_for_params if given == 0 else compute_for_tokens)(allocator, value)
        if compute is None:
            return None
        other = float(allocator.allocate(compute)[1 - given])
    n_params, n_tokens = (value, other) if given == 0 else (other, value)
    law = (
        allocator.law if isinstance(allocator, LawOptimum)
        else allocator.mixture if isinstance(allocator, TokensPerParamRule) else None
    )  # fmt: skip
    if isinstance(law, MoELaw):  # a mixture's optimum, or the rule under it, spends eq. 10's FLOPs, router included
        compute = float(law.compute_flops(n_params, n_tokens))
        # Where the granularity doubles the optimum jumps (N up, D down), over values no compute gives.
        if not math.isclose(float(allocator.allocate(compute)[given]), value, rel_tol=MOE_PINNED_RTOL):
            return None
    else:
        compute = FLOPS_PER_PARAM_TOKEN * n_params * n_tokens
    low, high = SOLVER_RANGE_FLOPS
    return (compute, n_params, n_tokens) if low <= compute <= high else None


def compute_for_loss(allocator: Allocator, law: Law, loss_nats: float) -> float | None:
    """The least compute, along the allocator's path, at which the law predicts loss_nats."""
    return solve_compute(lambda c: law.loss(*allocator.allocate(c)), loss_nats, increasing=False)
