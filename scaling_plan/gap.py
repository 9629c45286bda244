"""How far a run a team intends (N, D) is from its law's compute-optimal frontier at the same compute.

Pure domain, as plans.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from .allocate import LawOptimum, compute_for_loss
from .budget import Hardware
from .data_constrained import DataUse, data_use
from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN, Law
from .moe import MoELaw


@dataclass(frozen=True)
class Gap:
    """How far a run (N, D) is from its law's compute-optimal frontier at the same compute C = 6·N·D (under a
    mixture-of-experts law, its eq. 10 FLOPs: moe.MoELaw.compute_flops).

    The reference is always the law's own optimum (not the tokens-per-param rule), so the gap says what the law
    predicts is lost; the same-loss compute is the least compute at which that frontier reaches the run's loss.
    """

    n_params: float
    n_tokens: float
    loss_nats: float
    optimal_n_params: float
    optimal_n_tokens: float
    optimal_loss_nats: float
    same_loss_compute_flops: float
    gpu_hours: float | None
    wall_clock_days: float | None
    cost_usd: float | None
    compute_flops: float
    data: DataUse | None = None  # under a unique-token cap

    @property
    def epochs(self) -> float | None:
        return None if self.data is None else self.data.epochs

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    @property
    def loss_gap_nats(self) -> float:
        return self.loss_nats - self.optimal_loss_nats

    @property
    def loss_gap_pct(self) -> float:
        return 100.0 * self.loss_gap_nats / self.optimal_loss_nats

    @property
    def compute_overhead_pct(self) -> float:
        return 100.0 * (self.compute_flops / self.same_loss_compute_flops - 1.0)


def gap_to_optimal(
    n_params: float, n_tokens: float, law: Law, hardware: Hardware | None = None, where: str = ""
) -> Gap:
    """Measure a run (N, D) against the law's compute-optimal run at the same compute, as the law counts it: C =
    6·N·D, or a mixture's eq. 10 FLOPs (the router's too)."""
    compute_flops = float(
        law.compute_flops(n_params, n_tokens)
        if isinstance(law, MoELaw)
        else FLOPS_PER_PARAM_TOKEN * n_params * n_tokens
    )
    loss_nats = law.loss(n_params, n_tokens)
    optimum = LawOptimum(law)
    optimal_n, optimal_d = optimum.allocate(compute_flops)
    same_loss_compute = compute_for_loss(optimum, law, loss_nats)
    if same_loss_compute is None:  # the loss lies beyond what 1..1e60 FLOPs reach on the frontier
        raise UsageError(where, f"the run's predicted loss {loss_nats:g} is out of {law.name}'s reach")
    gpu_hours, days, cost = hardware.time_and_cost(compute_flops) if hardware else (None, None, None)
    return Gap(
        n_params, n_tokens, loss_nats, optimal_n, optimal_d, law.loss(optimal_n, optimal_d), same_loss_compute,
        gpu_hours, days, cost, compute_flops, data_use(law, n_params, n_tokens),
    )  # fmt: skip
