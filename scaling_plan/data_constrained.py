"""Data-constrained loss: a parametric law when only U unique tokens exist, so training data must repeat.

Muennighoff et al. 2023, "Scaling Data-Constrained Language Models", eq. 5-7, as in their published code:
    U_D = min(U, D)                          unique tokens seen;   R_D = D/U_D - 1 repetitions
    D'  = U_D + U_D·R_D*·(1 - exp(-R_D/R_D*))     effective tokens: repeats decay in value with constant R_D*
    U_N = min(N, N_opt(U_D))                 parameters the unique data can use (N_opt: the law's frontier N for D)
    R_N = N/U_N - 1;  N' = U_N + U_N·R_N*·(1 - exp(-R_N/R_N*))   effective parameters
    L   = E + A/N'^α + B/D'^β
Since 1 - exp(-x) <= x, D' <= D and N' <= N: repetition never helps beyond what unique data would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .laws import FLOPS_PER_PARAM_TOKEN, Law, Num, ParametricLaw
from .moe import MoELaw
from .search import bisect_in_log, minimise_in_log
from .units import format_count

#: R_D* and R_N* fitted by Muennighoff et al. 2023 (published with their code, github.com/huggingface/datablations,
#: README "Parametric Fit"; the paper rounds them to 15.4 and 5.3). Used for laws that carry none of their own.
RD_STAR_DEFAULT = 15.387756
RN_STAR_DEFAULT = 5.309743
REPETITION_SOURCE = "Muennighoff et al. 2023, eq. 5-6"

#: Epochs past which Muennighoff et al. 2023 find returns from repeated data fall off quickly (sec. 5: up to ~4
#: epochs repeated tokens are almost as good as unique ones), and past which they are worth little (sec. 5, ~R_D*).
EPOCHS_DIMINISHING = 4.0
EPOCHS_WORTHLESS = 16.0

#: Tokens/param bounds of the isoFLOP search for the constrained optimum: far wider than any plan.
SEARCH_TOKENS_PER_PARAM = (1e-4, 1e8)


@dataclass(frozen=True)
class DataConstrainedLaw:
    """A ParametricLaw with a cap of `unique_tokens` unique training tokens (see the module docstring)."""

    base: ParametricLaw
    unique_tokens: float
    rd_star: float
    rn_star: float

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def source(self) -> str:
        return f"{self.base.source}; repetition: {REPETITION_SOURCE}"

    @property
    def dataset(self) -> str:
        return self.base.dataset

    @property
    def n_params_kind(self) -> str:
        return self.base.n_params_kind

    @property
    def irreducible_loss(self) -> float:
        return self.base.E

    @property
    def compute_range_flops(self) -> tuple[float, float]:
        return self.base.compute_range_flops

    @property
    def formula(self) -> str:
        return (
            f"{self.base.formula} with N -> N', D -> D' for {format_count(self.unique_tokens)} unique tokens"
            f" (R_D* = {self.rd_star:g}, R_N* = {self.rn_star:g})"
        )

    @property
    def loss_floor(self) -> float:
        """The least loss any compute reaches under the cap: as D and N grow, D' -> U·(1 + R_D*) and
        N' -> N_opt(U)·(1 + R_N*)."""
        params = self.base.optimal_params_for_tokens(self.unique_tokens) * (1.0 + self.rn_star)
        return float(self.base.loss(params, self.unique_tokens * (1.0 + self.rd_star)))

    def effective(self, n_params: Num, n_tokens: Num) -> tuple[Num, Num]:
        """(N', D'): the parameters and tokens a run is worth under the cap."""
        import numpy as np

        unique_seen = np.minimum(self.unique_tokens, n_tokens)
        repeats = n_tokens / unique_seen - 1.0
        tokens = unique_seen * (1.0 + self.rd_star * -np.expm1(-repeats / self.rd_star))
        usable = np.minimum(n_params, self.base.optimal_params_for_tokens(unique_seen))
        excess = n_params / usable - 1.0
        params = usable * (1.0 + self.rn_star * -np.expm1(-excess / self.rn_star))
        return _plain(params), _plain(tokens)

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        params, tokens = self.effective(n_params, n_tokens)
        return self.base.loss(params, tokens)

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        # At least the unconstrained law's D (the cap only makes tokens worth less); 1e12 times more is past where
        # repeated tokens add anything (exp(-R_D/R_D*) underflows), so a loss not reached there is never reached.
        import numpy as np

        floor = np.asarray(self.base.tokens_for_loss(n_params, loss_nats))
        start = np.where(np.isfinite(floor), floor, 1.0)
        found = bisect_in_log(lambda d: self.loss(n_params, d), loss_nats, start, start * 1e12)
        result: Num = _plain(np.where(np.isfinite(floor), found, np.inf))
        return result

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        """The loss minimum along C = 6·N·D, searched numerically (there is no closed form).

        Where the unconstrained optimum needs no more than U tokens it is also the constrained one: there D' = D
        and N' = N, and the constrained loss is never below the unconstrained loss anywhere.
        """
        import numpy as np

        compute = np.asarray(compute_flops, dtype=float)
        free_n, free_d = self.base.optimum(compute)
        half = compute / FLOPS_PER_PARAM_TOKEN
        low_ratio, high_ratio = SEARCH_TOKENS_PER_PARAM
        n_low, n_high = np.sqrt(half / high_ratio), np.sqrt(half / low_ratio)
        trailing = half[..., None]
        searched = minimise_in_log(lambda n: self.loss(n, trailing / n), n_low, n_high)
        n_params = np.where(free_d <= self.unique_tokens, free_n, searched)
        n_tokens = np.where(free_d <= self.unique_tokens, free_d, half / n_params)
        return _plain(n_params), _plain(n_tokens)


def _plain(values: Any) -> Any:
    """A 0-d array back to a float, so scalar callers get floats."""
    return float(values) if getattr(values, "ndim", 1) == 0 else values


def repetition_constants(law: ParametricLaw) -> tuple[float, float, bool]:
    """R_D*, R_N* for a law, and whether they are its own (else Muennighoff et al.'s fitted values)."""
    if law.rd_star is not None and law.rn_star is not None:
        return law.rd_star, law.rn_star, True
    return RD_STAR_DEFAULT, RN_STAR_DEFAULT, False


def with_unique_tokens(law: Law, unique_tokens: float) -> DataConstrainedLaw | None:
    """The law under a unique-token cap; None for a law not of the form E + A/N^α + B/D^β."""
    base = law.base if isinstance(law, DataConstrainedLaw) else law
    if not isinstance(base, ParametricLaw) or isinstance(base, MoELaw):  # repetition was fitted on dense models
        return None
    rd_star, rn_star, _ = repetition_constants(base)
    return DataConstrainedLaw(base, unique_tokens, rd_star, rn_star)


def unconstrained(law: Law) -> Law:
    return law.base if isinstance(law, DataConstrainedLaw) else law


@dataclass(frozen=True)
class DataUse:
    """How a run (N, D) uses U unique tokens, and what the cap costs it in loss."""

    unique_tokens: float
    epochs: float  # D / U: passes over the unique data
    effective_tokens: float  # D'
    effective_params: float  # N'
    unlimited_loss_nats: float  # the same N and D with unlimited unique data (the unconstrained law)
    loss_nats: float

    @property
    def loss_penalty_nats(self) -> float:
        return self.loss_nats - self.unlimited_loss_nats


def data_use(law: Law, n_params: float, n_tokens: float) -> DataUse | None:
    """How a run uses the unique data under a capped law; None for a law without a cap."""
    if not isinstance(law, DataConstrainedLaw):
        return None
    params, tokens = law.effective(n_params, n_tokens)
    return DataUse(
        law.unique_tokens,
        n_tokens / law.unique_tokens,
        float(tokens),
        float(params),
        float(law.base.loss(n_params, n_tokens)),
        float(law.loss(n_params, n_tokens)),
    )


def epoch_warnings(epochs: float, unique_tokens: float, where: str = "") -> list[str]:
    """Muennighoff et al. 2023's thresholds, as warnings."""
    prefix = f"{where}: " if where else ""
    if epochs > EPOCHS_WORTHLESS:
        return [
            f"{prefix}{epochs:.3g} epochs over {format_count(unique_tokens)} unique tokens: past ~{EPOCHS_WORTHLESS:g} epochs"
            " repeated tokens add almost nothing (Muennighoff et al. 2023, R_D* = 15.4); spend the compute on"
            " parameters or find more data"
        ]
    if epochs > EPOCHS_DIMINISHING:
        return [
            f"{prefix}{epochs:.3g} epochs over {format_count(unique_tokens)} unique tokens: past ~{EPOCHS_DIMINISHING:g}"
            " epochs returns from repeated data fall off quickly (Muennighoff et al. 2023)"
        ]
    return []
