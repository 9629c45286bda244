"""A mixture of experts' loss law: Krajewski et al. 2024's fine-grained MoE law, its FLOPs and its compute-optimal
granularity (presets.py holds the preset). Pure domain; a plan's N is the mixture's active parameters."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

from .laws import FLOPS_PER_PARAM_TOKEN, Num, ParametricLaw

#: Granularities a mixture-of-experts plan searches: powers of two from 1 to 256, as Krajewski et al. 2024's code
#: searches them (github.com/llm-random/llm-random, branch scaling_laws_paper, scaling_laws/).
GRANULARITIES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Tokens per active parameter bounding an MoE optimum's search: far wider than any plan.
MOE_SEARCH_TOKENS_PER_PARAM = (1e-4, 1e8)


#: c_r of Krajewski et al. 2024's eq. 10: the router's FLOPs per token per d_model·E·G·n_blocks.
ROUTER_FLOPS = 14.0


def eq_10_flops_per_token(n_active: Num, granularity: Any, expansion: float, router_flops: float = ROUTER_FLOPS) -> Num:
    """Krajewski et al. 2024's eq. 10 per token: 6·N_act + c_r·d_model·E·G·n_blocks, with d_model = 64·n_blocks and
    N_act = 12·d_model²·n_blocks: the matrix multiplies a token uses, and the router."""
    d_model_squared = (64.0 * n_active / 12.0) ** (2.0 / 3.0)
    flops: Num = 6.0 * n_active + router_flops * expansion * granularity * d_model_squared / 64.0
    return flops


@dataclass(frozen=True)
class MoELaw(ParametricLaw):
    """Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts" (arXiv 2402.07871), eq. 9:
        L(N, D, G) = c + (g/G^γ + a)·N^(−α) + b·D^(−β)
    with E, A, B of the base class as c, a, b. N is the total non-embedding parameters of a mixture whose experts
    hold `expansion` (their E) times a dense FFN, routed to G experts a token of G·E finer ones (granularity G =
    d_ff / d_expert; Expert Choice routing); a plan's N is the active parameters N_act = 12·d_model²·n_blocks, with
    N = N_act·(8E + 4)/12 (43·N_act at E = 64) and d_model = 64·n_blocks (sec. 3 and 5). Training FLOPs per token,
    eq. 10: 6·N_act + c_r·d_model·E·G·n_blocks with c_r = 14 (the router; embeddings left out).

    The compute-optimal plan searches N_act for each G in GRANULARITIES (or `granularity`, fixed) and keeps the
    lowest loss. A loss for a given N_act and D is at the granularity the compute-optimal plan of that active size
    takes (the pairing of their Table 2), or at `granularity` when it is fixed."""

    g: float = 0.0
    gamma: float = 0.0
    expansion: float = 64.0
    router_flops: float = ROUTER_FLOPS
    granularity: int | None = None

    def refits(self) -> list[ParametricLaw]:
        """The law under each of its bootstrap refits, rows of E, A, B, α, β, g, γ (empty without samples)."""
        return [
            replace(self, E=E, A=A, B=B, alpha=alpha, beta=beta, g=g, gamma=gamma, samples=())
            for E, A, B, alpha, beta, g, gamma in self.samples
        ]

    def total_params(self, n_active: Num) -> Num:
        """N in the law: the total non-embedding parameters of the mixture with N_act active."""
        return n_active * (8.0 * self.expansion + 4.0) / 12.0

    def flops_per_token(self, n_active: Num, granularity: Any) -> Num:
        return eq_10_flops_per_token(n_active, granularity, self.expansion, self.router_flops)

    def loss_at(self, n_active: Num, n_tokens: Num, granularity: Any) -> Num:
        params_term = (self.g / granularity**self.gamma + self.A) * self.total_params(n_active) ** (-self.alpha)
        loss: Num = self.E + params_term + self.B * n_tokens ** (-self.beta)
        return loss

    @property
    def formula(self) -> str:
        fixed = f", G = {self.granularity}" if self.granularity else ", G searched"
        return (
            f"L = {self.E:.4g} + ({self.g:.4g}/G^{self.gamma:.4g} + {self.A:.4g})/N^{self.alpha:.4g}"
            f" + {self.B:.4g}/D^{self.beta:.4g}, N = {(8 * self.expansion + 4) / 12:.4g}·N_act (E = {self.expansion:g}"
            f"{fixed})"
        )

    @property
    def flops_convention(self) -> str:
        return (
            f"C = (6·N_act + {self.router_flops:g}·d_model·E·G·n_blocks)·D training FLOPs (Krajewski et al. 2024, eq."
            " 10: the matrix multiplies a token uses, and the router), d_model = 64·n_blocks"
        )

    def optima_by_granularity(self, compute_flops: Any) -> tuple[Any, Any, Any, Any]:
        """For each granularity allowed (a trailing axis), the least loss at this compute under eq. 10's FLOPs:
        (N_act, D, loss, G), every granularity searched at once."""
        import numpy as np

        from .search import minimise_in_log

        compute = np.asarray(compute_flops, dtype=float)[..., None]
        grid = np.array((self.granularity,) if self.granularity else GRANULARITIES, dtype=float)
        low_ratio, high_ratio = MOE_SEARCH_TOKENS_PER_PARAM
        half = compute / FLOPS_PER_PARAM_TOKEN * np.ones_like(grid)
        each = grid[..., None]
        n_active = np.asarray(minimise_in_log(
            lambda n: self.loss_at(n, compute[..., None] / self.flops_per_token(n, each), each),
            np.sqrt(half / high_ratio), np.sqrt(half / low_ratio),
        ))  # fmt: skip
        n_tokens = compute / self.flops_per_token(n_active, grid)
        return n_active, n_tokens, self.loss_at(n_active, n_tokens, grid), grid * np.ones_like(n_active)

    def optimum_with_granularity(self, compute_flops: Num) -> tuple[Num, Num, Num]:
        """(N_act, D, G) of the least loss at this compute under eq. 10's FLOPs, over the granularities allowed."""
        import numpy as np

        n_active, n_tokens, loss, grid = self.optima_by_granularity(compute_flops)
        best = np.argmin(loss, axis=-1)[..., None]
        chosen = (np.take_along_axis(x, best, axis=-1)[..., 0] for x in (n_active, n_tokens, grid))
        return tuple(x if x.ndim else float(x) for x in chosen)  # type: ignore[return-value]

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        n_active, n_tokens, _ = self.optimum_with_granularity(compute_flops)
        return n_active, n_tokens

    def granularity_for(self, n_active: Num) -> Any:
        """The granularity of the compute-optimal plan whose active size is n_active (or the fixed one)."""
        import numpy as np

        sizes = np.asarray(n_active, dtype=float)
        if self.granularity:
            found = np.full_like(sizes, float(self.granularity))
        else:
            largest, granularities = _granularity_table(self)
            found = granularities[np.searchsorted(largest, sizes * (1 - 1e-9))]
        return found if found.ndim else float(found)

    def compute_flops(self, n_active: Num, n_tokens: Num) -> Num:
        """Eq. 10's training FLOPs of N_act on D tokens, at the granularity of that active size."""
        flops: Num = n_tokens * self.flops_per_token(n_active, self.granularity_for(n_active))
        return flops

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        return self.loss_at(n_params, n_tokens, self.granularity_for(n_params))

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        """The iso-loss curve at the granularity of that active size: D = (b / (L − c − A_G·N^−α))^(1/β)."""
        import numpy as np

        granularity = self.granularity_for(n_params)
        params_term = (self.g / granularity**self.gamma + self.A) * self.total_params(n_params) ** (-self.alpha)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            data_term = np.asarray(loss_nats - self.E - params_term, dtype=float)
            n_tokens = np.where(
                data_term > 0, (self.B / np.where(data_term > 0, data_term, 1.0)) ** (1 / self.beta), np.inf
            )
        return n_tokens if n_tokens.ndim else float(n_tokens)  # type: ignore[return-value]


#: Steps of the bisection that finds where the compute-optimal granularity changes (each halves a bracket of 1/20
#: of a decade of compute).
GRANULARITY_SWITCH_STEPS = 24


@functools.lru_cache(maxsize=8)
def _granularity_table(law: MoELaw) -> tuple[Any, Any]:
    """The compute-optimal plan's granularity as a function of its active size: the largest active size of each
    granularity (where the plan turns to the next), and the granularities. Along the plan N_act grows with compute
    and jumps up where G changes (D drops: the router's FLOPs), so each turn is one threshold. Found on a grid of
    compute (1e12 to 1e40 FLOPs, 20 per decade), then each turn by bisection in log compute."""
    import numpy as np

    compute = np.logspace(12, 40, 561)
    _, _, granularity = law.optimum_with_granularity(compute)
    turns = np.flatnonzero(np.diff(granularity))
    low, high = np.log(compute[turns]), np.log(compute[turns + 1])
    before, after = granularity[turns], granularity[turns + 1]
    index = np.searchsorted(np.array(GRANULARITIES, dtype=float), np.stack([before, after]))
    for _ in range(GRANULARITY_SWITCH_STEPS):
        middle = 0.5 * (low + high)
        _, _, loss, _ = law.optima_by_granularity(np.exp(middle))
        still = (
            np.take_along_axis(loss, index[0][:, None], -1)[:, 0]
            <= np.take_along_axis(loss, index[1][:, None], -1)[:, 0]
        )
        low, high = np.where(still, middle, low), np.where(still, high, middle)
    n_active, _, _, _ = law.optima_by_granularity(np.exp(low))
    largest = np.take_along_axis(n_active, index[0][:, None], -1)[:, 0]
    return largest, np.append(before, granularity[-1])
