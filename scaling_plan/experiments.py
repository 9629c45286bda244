"""The isoFLOP grid of small runs to train before fitting a law (Hoffmann et al. 2022, Approach 2, section 3.2).

For each budget C, model sizes spread evenly in log scale around the size a law expects to be optimal, each trained
on the whole number of tokens nearest to spending C: D = C / (6·N), rounded (a trainer counts whole tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN, Law

#: Default spread of sizes around the expected optimum: from N*/4 to 4·N*. Hoffmann et al. 2022's isoFLOP profiles
#: (Figure 3) span roughly this, enough to see the valley's both sides.
SPREAD_DEFAULT = 4.0

#: Reading a grid back without its budget column (fit --approach isoflop), runs whose compute lies within this
#: relative distance of a bucket's smallest compute share a budget: a grid's runs spend the same C up to rounding,
#: and 10% keeps budgets spaced by 3x or more (as Hoffmann et al. 2022's isoFLOP budgets are) apart.
BUDGET_RTOL_DEFAULT = 0.1


@dataclass(frozen=True)
class Experiment:
    run: int
    budget_flops: float
    n_params: float
    n_tokens: float
    expected_optimal_n_params: float

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params


def isoflop_grid(budgets_flops: Sequence[float], sizes_per_budget: int, law: Law, spread: float) -> list[Experiment]:
    """`sizes_per_budget` sizes from N*/spread to N*·spread (log-even) at each budget, N* = the law's optimum."""
    experiments: list[Experiment] = []
    for budget in budgets_flops:
        expected, _ = law.optimum(budget)
        for k in range(sizes_per_budget):
            position = 0.0 if sizes_per_budget == 1 else 2.0 * k / (sizes_per_budget - 1) - 1.0  # -1 .. 1
            n_params = float(round(expected * spread**position))
            n_tokens = float(round(budget / (FLOPS_PER_PARAM_TOKEN * n_params))) if n_params >= 1 else 0.0
            if n_tokens < 1:
                raise UsageError(
                    "budgets", f"{budget:g} FLOPs is too small: a run would have fewer than one parameter or token"
                )
            experiments.append(Experiment(len(experiments) + 1, budget, n_params, n_tokens, expected))
    return experiments
