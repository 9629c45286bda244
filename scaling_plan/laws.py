"""Loss laws L(N, D) and their presets, each with provenance.

N is parameters, D training tokens, C = 6·N·D training FLOPs (forward 2ND + backward 4ND; Kaplan et al. 2020
section 2.1). Losses are nats per token on the data and tokenizer a law was fitted on; they do not transfer across
datasets. Every function takes floats or numpy arrays alike, so a sweep is one vectorised call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

from .errors import UsageError, named

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: A float or a numpy array of floats: the domain maths is written once for both.
Num = TypeVar("Num", float, "NDArray[np.float64]")

#: Training FLOPs per parameter per token, C = 6·N·D (Kaplan et al. 2020, section 2.1; Hoffmann et al. 2022, sec. 3).
FLOPS_PER_PARAM_TOKEN = 6.0

#: Compute range the published laws were fitted over, roughly (Hoffmann et al. 2022 Figure 4 spans ~6e18-3e21
#: FLOPs for Approach 3; their Table 3 extrapolates to 1e26). Outside it a plan is an extrapolation.
PUBLISHED_COMPUTE_RANGE_FLOPS = (1e18, 1e26)

#: Seconds in a petaflop/s-day, Kaplan et al. 2020's compute unit (1 PF-day = 1e15 FLOP/s x 86,400 s).
PF_DAY_FLOPS = 1e15 * 86_400


#: Compute over which a law must plan within floating point: 1 FLOP to 1e60, the inverse questions' search
#: (allocate.SOLVER_RANGE_FLOPS; a budget is at most 1e40 FLOPs).
PLANNED_COMPUTE_FLOPS = (1.0, 1e60)
#: The largest base-10 magnitude a law's compute-optimal N and D, and its loss terms there, may reach over
#: PLANNED_COMPUTE_FLOPS: 1e300, short of float overflow (1.8e308) with room for the products a plan forms (6·N·D).
MAX_LOG10_MAGNITUDE = 300.0


def optimum_magnitude(A: Num, B: Num, alpha: Num, beta: Num) -> Num:
    """The largest base-10 magnitude |log10 x| that the compute-optimal N and D of E + A/N^α + B/D^β reach over
    PLANNED_COMPUTE_FLOPS, and that the loss terms A/N^α and B/D^β reach there when they grow (ParametricLaw's closed
    form). Floats, or arrays of refits; worked in logarithms, so it never overflows itself."""
    import numpy as np

    a, b, al, be = (np.asarray(x, dtype=float) for x in (A, B, alpha, beta))
    with np.errstate(all="ignore"):  # past floating point: inf, a magnitude too large
        total = al + be
        log_g = (np.log(al * a) - np.log(be * b)) / total
        worst = np.zeros(np.broadcast(a, b, al, be).shape)
        for compute in PLANNED_COMPUTE_FLOPS:
            half = math.log(compute / FLOPS_PER_PARAM_TOKEN)
            log_n = log_g + be / total * half
            log_d = al / total * half - log_g
            term_n, term_d = np.log(a) - al * log_n, np.log(b) - be * log_d  # ln of A/N^α and B/D^β
            for value in (np.abs(log_n), np.abs(log_d), np.maximum(term_n, 0.0), np.maximum(term_d, 0.0)):
                worst = np.maximum(worst, np.where(np.isnan(value), np.inf, value))
    magnitude = worst / math.log(10)
    return magnitude if magnitude.ndim else float(magnitude)  # type: ignore[return-value]


class Law(Protocol):
    """What every loss law offers the planner."""

    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def dataset(self) -> str: ...
    @property
    def n_params_kind(self) -> str: ...
    @property
    def irreducible_loss(self) -> float: ...
    @property
    def compute_range_flops(self) -> tuple[float, float]: ...
    @property
    def formula(self) -> str: ...

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        """Predicted loss in nats per token."""
        ...

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        """The law's own compute-optimal (N, D) for training compute C."""
        ...

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        """The D at which a model of N parameters reaches the loss; inf where no D does."""
        ...


#: Highest loss a run or a law may have, in nats per token: ln(2^20) ≈ 13.86, the cross-entropy of a uniform guess over a
#: vocabulary of 1,048,576 tokens, larger than any released tokenizer's (a trained model does better than a uniform
#: guess). A loss above it is not in nats per token: a percentage, a perplexity, or a loss summed over a sequence.
MAX_LOSS_NATS = 20 * math.log(2)


def _term(coefficient: float, x: float, exponent: float) -> float:
    """coefficient / x^exponent for x > 0 in floats as numpy gives it: 0 where the power overflows, inf where it
    underflows to 0."""
    try:
        power = float(x) ** exponent
    except OverflowError:
        return 0.0
    return coefficient / power if power else math.inf


@dataclass(frozen=True)
class ParametricLaw:
    """L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, eq. 2).

    Its compute-optimal frontier under C = 6·N·D is closed-form (Hoffmann et al. 2022, eq. 4 and appendix D.2):
        G = (αA / (βB))^(1/(α+β)),  N_opt = G·(C/6)^(β/(α+β)),  D_opt = G^(-1)·(C/6)^(α/(α+β)).
    """

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str
    dataset: str = "MassiveText (Chinchilla's training data)"
    n_params_kind: str = "total"
    compute_range_flops: tuple[float, float] = PUBLISHED_COMPUTE_RANGE_FLOPS
    #: Bootstrap refits (E, A, B, alpha, beta) of a fitted law, and the share of them an interval holds.
    samples: tuple[tuple[float, ...], ...] = ()
    interval_level: float = 0.9
    #: R_D* and R_N* of Muennighoff et al. 2023 (eq. 5 and 6): how fast repeated tokens and parameters in excess of
    #: the unique data lose value. Only a law fitted with repetition carries them (see data_constrained.py).
    rd_star: float | None = None
    rn_star: float | None = None
    #: The runs a fitted law was fitted on, as (count, hash) (inputs.runs.RunsTable.fingerprint); None for a preset.
    runs_fingerprint: tuple[int, str] | None = None

    def __post_init__(self) -> None:
        for field in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"law {self.name!r}: {field} must be a positive finite number, got {value!r}")

    @property
    def irreducible_loss(self) -> float:
        return self.E

    @property
    def formula(self) -> str:
        return f"L = {self.E:g} + {self.A:g}/N^{self.alpha:g} + {self.B:g}/D^{self.beta:g}"

    @property
    def frontier_coefficient(self) -> float:
        """G in N_opt = G·(C/6)^(β/(α+β)), worked in logarithms: inf or 0 past floating point (law files and refits
        whose optimum leaves it are refused where they are read: optimum_magnitude)."""
        log_g = (math.log(self.alpha * self.A) - math.log(self.beta * self.B)) / (self.alpha + self.beta)
        return math.exp(log_g) if log_g < 709.0 else math.inf

    def refits(self) -> list[ParametricLaw]:
        """The law under each of its bootstrap refits (empty without samples): rows of E, A, B, α, β, and for a law
        fitted with repetition R_D* and R_N* too (a row of five keeps the law's own)."""
        return [self._refit(*row) for row in self.samples]

    def _refit(self, E: float, A: float, B: float, alpha: float, beta: float, *repetition: float) -> ParametricLaw:
        rd_star, rn_star = repetition or (self.rd_star, self.rn_star)
        return replace(self, E=E, A=A, B=B, alpha=alpha, beta=beta, rd_star=rd_star, rn_star=rn_star, samples=())

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        """E + A/N^α + B/D^β; inf where a term passes floating point (the plan refuses it, naming the law)."""
        if isinstance(n_params, (int, float)) and isinstance(n_tokens, (int, float)) and n_params > 0 and n_tokens > 0:
            # one run, as a plan asks: plain floats, so that a plan's start-up never waits for numpy
            return self.E + _term(self.A, n_params, self.alpha) + _term(self.B, n_tokens, self.beta)
        import numpy as np

        with np.errstate(over="ignore", divide="ignore", under="ignore"):
            loss = self.E + self.A / np.power(n_params, self.alpha) + self.B / np.power(n_tokens, self.beta)
        return loss if np.ndim(loss) else float(loss)  # type: ignore[return-value]

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        """D = (B / (L - E - A/N^α))^(1/β), the iso-loss curve; inf where the N term alone is already above L."""
        import numpy as np

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            data_term = np.asarray(loss_nats - self.E - self.A / n_params**self.alpha, dtype=float)
            n_tokens = np.where(
                data_term > 0, (self.B / np.where(data_term > 0, data_term, 1.0)) ** (1 / self.beta), np.inf
            )
        return n_tokens if n_tokens.ndim else float(n_tokens)  # type: ignore[return-value]

    def optimal_params_for_tokens(self, n_tokens: Num) -> Num:
        """The N whose compute-optimal D is n_tokens: N = G·(D·G)^(β/α), inverting the frontier above."""
        import numpy as np

        g = self.frontier_coefficient
        with np.errstate(over="ignore"):  # past floating point: inf, which the callers' minimum takes in its stride
            n_params = g * np.power(np.asarray(n_tokens, dtype=float) * g, self.beta / self.alpha)
        return n_params if n_params.ndim else float(n_params)  # type: ignore[return-value]

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        g = self.frontier_coefficient
        half_total = compute_flops / FLOPS_PER_PARAM_TOKEN
        exponent_sum = self.alpha + self.beta
        n_params = g * half_total ** (self.beta / exponent_sum)
        n_tokens = half_total ** (self.alpha / exponent_sum) / g
        return n_params, n_tokens


@dataclass(frozen=True)
class KaplanLaw:
    """Kaplan et al. 2020: L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (eq. 1.5, constants from Table 2).

    N counts non-embedding parameters and the loss is on WebText2 with GPT-2's tokenizer, so neither compares
    directly with the Chinchilla-family laws.

    Allocation follows Kaplan's compute-efficient frontier (Table 6): N_opt = 1.3e9 · C_min^0.73 with C_min in
    PF-days. C_min is the compute at infinitely small batch; a run trained at the critical batch size B = B_crit
    spends C = 2·C_min (Kaplan eq. 5.5, C_min = C / (1 + B/B_crit)). We use C_min = C/2: it is how Hoffmann et al.
    2022 (appendix D.4) read Kaplan when they quote 4.68B parameters as Kaplan-optimal at 1e21 FLOPs. Tokens
    follow from D = C / (6·N) so that C = 6·N·D holds for every plan.

    A law fitted to runs (`fit --form kaplan`) has no Table 6 of its own: `frontier_n_coefficient` None allocates
    by eq. 1.5's own optimum under C = 6·N·D. With p = α_N/α_D, minimising (N_c/N)^p + 6·D_c·N/C over N gives
        N_opt = (p·N_c^p·C / (6·D_c))^(1/(p+1)),   D_opt = C / (6·N_opt).
    """

    name: str = "kaplan-2020"
    alpha_n: float = 0.076  # Kaplan et al. 2020, Table 2 (fit of L(N, D))
    alpha_d: float = 0.103  # Kaplan et al. 2020, Table 2
    n_c: float = 6.4e13  # Kaplan et al. 2020, Table 2, non-embedding parameters
    d_c: float = 1.8e13  # Kaplan et al. 2020, Table 2, tokens
    frontier_n_coefficient: float | None = 1.3e9  # Kaplan et al. 2020, Table 6: N_e, parameters
    frontier_n_exponent: float = 0.73  # Kaplan et al. 2020, Table 6: p_N
    source: str = "Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', eq. 1.5, Tables 2 and 6"
    dataset: str = "WebText2 (GPT-2 tokenizer)"
    n_params_kind: str = "non-embedding"
    compute_range_flops: tuple[float, float] = PUBLISHED_COMPUTE_RANGE_FLOPS
    irreducible_loss: float = 0.0  # the L(N, D) form has no constant term
    #: Bootstrap refits (alpha_n, alpha_d, n_c, d_c) of a fitted law, and the share of them an interval holds.
    samples: tuple[tuple[float, ...], ...] = ()
    interval_level: float = 0.9
    runs_fingerprint: tuple[int, str] | None = None

    @property
    def formula(self) -> str:
        law = f"L = [({self.n_c:.4g}/N)^({self.alpha_n:.4g}/{self.alpha_d:.4g}) + {self.d_c:.4g}/D]^{self.alpha_d:.4g}"
        if self.frontier_n_coefficient is None:
            return f"{law}; N_opt from its own optimum under C = 6·N·D"
        return f"{law}; N_opt = {self.frontier_n_coefficient:g}·(C/2 in PF-days)^{self.frontier_n_exponent:g}"

    def refits(self) -> list[KaplanLaw]:
        return [replace(self, alpha_n=an, alpha_d=ad, n_c=nc, d_c=dc, samples=()) for an, ad, nc, dc in self.samples]

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        loss: Num = ((self.n_c / n_params) ** (self.alpha_n / self.alpha_d) + self.d_c / n_tokens) ** self.alpha_d
        return loss

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        """D = D_c / (L^(1/α_D) - (N_c/N)^(α_N/α_D)), the iso-loss curve; inf where N alone cannot reach L."""
        import numpy as np

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            room = np.asarray(loss_nats ** (1 / self.alpha_d) - (self.n_c / n_params) ** (self.alpha_n / self.alpha_d))
            n_tokens = np.where(room > 0, self.d_c / np.where(room > 0, room, 1.0), np.inf)
        return n_tokens if n_tokens.ndim else float(n_tokens)  # type: ignore[return-value]

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        if self.frontier_n_coefficient is None:
            p = self.alpha_n / self.alpha_d
            log_n = (math.log(p) + p * math.log(self.n_c) - math.log(FLOPS_PER_PARAM_TOKEN * self.d_c)) / (p + 1)
            n_params: Num = math.exp(log_n) * compute_flops ** (1 / (p + 1))
        else:
            c_min_pf_days = compute_flops / 2.0 / PF_DAY_FLOPS
            n_params = self.frontier_n_coefficient * c_min_pf_days**self.frontier_n_exponent
        n_tokens = compute_flops / (FLOPS_PER_PARAM_TOKEN * n_params)
        return n_params, n_tokens


#: How far (relative) a model may sit from a frontier law's N_opt for the law to give its loss: the rounding of
#: N·D = C/6 and back, not a real distance.
FRONTIER_RTOL = 1e-6


@dataclass(frozen=True)
class FrontierLaw:
    """A compute-optimal frontier, as Approach 2 of Hoffmann et al. 2022 fits it (isoflop.py):

        N_opt = k_N·C^a,   D_opt = C / (6·N_opt) = k_D·C^(1−a),   L_opt(C) = E + A·C^(−γ).

    It allocates along the frontier and predicts the loss of the runs on it; it has no L(N, D) for a run off the
    frontier, and says so rather than guess one.
    """

    name: str
    k_n: float
    a: float
    E: float
    A: float
    gamma: float
    source: str
    dataset: str = "the data the law was fitted on"
    n_params_kind: str = "total"
    compute_range_flops: tuple[float, float] = PUBLISHED_COMPUTE_RANGE_FLOPS
    #: Bootstrap refits (k_N, a, E, A, γ, and for a broken one Δγ, C_b, f), and the share of them an interval holds.
    samples: tuple[tuple[float, ...], ...] = ()
    interval_level: float = 0.9
    #: The runs it was fitted on, as (count, hash) (inputs.runs.RunsTable.fingerprint); None when not known.
    runs_fingerprint: tuple[int, str] | None = None
    #: A broken power law (Caballero et al. 2023, eq. 1, one break; families.py): past break_flops the slope turns
    #: from γ to γ + gamma_change, over a span set by the sharpness: L_opt = E + A·C^(−γ)·(1 + (C/C_b)^(1/f))^(−Δγ·f).
    gamma_change: float = 0.0
    break_flops: float | None = None
    sharpness: float = 1.0

    @property
    def irreducible_loss(self) -> float:
        return self.E

    @property
    def formula(self) -> str:
        k_d = 1.0 / (FLOPS_PER_PARAM_TOKEN * self.k_n)
        broken = ""
        if self.break_flops is not None:
            broken = (
                f"·(1 + (C/{self.break_flops:.4g})^(1/{self.sharpness:.4g}))^-({self.gamma_change:.4g}·"
                f"{self.sharpness:.4g})"
            )
        return (
            f"frontier N_opt = {self.k_n:.4g}·C^{self.a:.4g}, D_opt = {k_d:.4g}·C^{1 - self.a:.4g},"
            f" L_opt = {self.E:.4g} + {self.A:.4g}·C^-{self.gamma:.4g}{broken}"
        )

    def refits(self) -> list[FrontierLaw]:
        if self.break_flops is None:
            return [replace(self, k_n=k, a=a, E=e, A=big_a, gamma=g, samples=()) for k, a, e, big_a, g in self.samples]
        return [
            replace(self, k_n=k, a=a, E=e, A=big_a, gamma=g, gamma_change=dg, break_flops=cb, sharpness=f, samples=())
            for k, a, e, big_a, g, dg, cb, f in self.samples
        ]

    def loss_at(self, compute_flops: Num) -> Num:
        """L_opt(C), the loss of the compute-optimal run at this compute."""
        loss: Num = self.E + self.A * compute_flops ** (-self.gamma)
        if self.break_flops is not None:  # the bend in logarithms: (1 + e^z)^(−Δγ·f) = e^(−Δγ·f·ln(1 + e^z))
            import numpy as np

            z = (np.log(compute_flops) - math.log(self.break_flops)) / self.sharpness
            bend = np.exp(-self.gamma_change * self.sharpness * np.logaddexp(0.0, z))
            loss = self.E + (loss - self.E) * bend
            return loss if np.ndim(loss) else float(loss)  # type: ignore[return-value]
        return loss

    def optimum(self, compute_flops: Num) -> tuple[Num, Num]:
        n_params: Num = self.k_n * compute_flops**self.a
        n_tokens: Num = compute_flops / (FLOPS_PER_PARAM_TOKEN * n_params)
        return n_params, n_tokens

    def _off_frontier(self) -> UsageError:
        return UsageError(
            "law",
            f"{self.name} is a frontier law: it predicts the loss of compute-optimal runs only, not of this N and D"
            f" (plan with {named('method')} law, or use a law of the form E + A/N^alpha + B/D^beta)",
        )

    def loss(self, n_params: Num, n_tokens: Num) -> Num:
        import numpy as np

        compute = FLOPS_PER_PARAM_TOKEN * n_params * n_tokens
        if not np.allclose(n_params, self.k_n * compute**self.a, rtol=FRONTIER_RTOL, atol=0):
            raise self._off_frontier()
        return self.loss_at(compute)

    def tokens_for_loss(self, n_params: Num, loss_nats: Num) -> Num:
        raise self._off_frontier()
