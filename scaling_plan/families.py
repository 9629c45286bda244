"""Law families besides Chinchilla's, fitted to runs (`fit --form`): Kaplan et al. 2020's joint law L(N, D), and the
loss along the compute-optimal frontier as a function of compute alone, a power law or a broken power law.

    kaplan    L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D           Kaplan et al. 2020, eq. 1.5
    compute   L_opt(C) = E + A·C^(−γ)                        the frontier form of Hoffmann et al. 2022 (isoflop.py)
    broken    L_opt(C) = E + A·C^(−γ)·(1 + (C/C_b)^(1/f))^(−Δγ·f)   Caballero et al. 2023, "Broken Neural Scaling
              Laws" (ICLR), eq. 1 with one break: the slope turns from γ to γ + Δγ around C_b, sharper for smaller f
    data-constrained   L = E + A/N'^α + B/D'^β                  Muennighoff et al. 2023, eq. 5-7: runs that repeat
              their unique tokens U count D' and N', worth less than D and N (data_constrained.py)

Each family is fitted as fitting.py fits Chinchilla's: a criterion (fitting.Criterion) on log loss, minimised by the
batched L-BFGS from a grid of starts, the bootstrap's resamples as run weights; Chinchilla's own family keeps its
faster objective there. The compute families describe the best run a budget buys, so they are fitted to the lowest
loss of each budget (runs grouped as isoflop.py groups them), and their allocation N_opt = k_N·C^a is the least-squares
line through those runs' ln N against ln C.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .data_constrained import REPETITION_SOURCE
from .fitting import (
    HUBER,
    SAME_OPTIMUM_RTOL,
    Bootstrap,
    Criterion,
    Runs,
    _constants,
    fit_law,
    penalty_slopes,
    resample_weights,
)
from .fitting import _Objective as _ChinchillaObjective
from .isoflop import group_budgets
from .lbfgs import minimise

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

#: Runs × starts evaluated per numpy call: the Jacobian holds one row of parameters per run and start.
CHUNK_CELLS = 200_000

KAPLAN_SOURCE = "Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', eq. 1.5"
COMPUTE_SOURCE = "Hoffmann et al. 2022, the frontier L_opt(C) = E + A·C^-gamma (their eq. 4 in compute)"
BROKEN_SOURCE = "Caballero et al. 2023, 'Broken Neural Scaling Laws' (ICLR), eq. 1 with one break"


def _lse(first: Array, second: Array) -> tuple[Array, Array]:
    """ln(e^first + e^second) and the share of the first term, without overflow."""
    total = np.logaddexp(first, second)
    return total, np.exp(first - total)


class Family:
    """A law family: its constants, formula and source, the starts its fits begin from, and log L̂ with its Jacobian
    in the optimiser's coordinates θ. `on_frontier`: a function of compute alone, fitted to each budget's best run."""

    name = ""
    constants: tuple[str, ...] = ()
    formula = ""
    source = ""
    on_frontier = False

    def inputs(self, runs: Runs) -> Array:
        """What the law reads of each run: ln N and ln D (rows), or ln C."""
        if self.on_frontier:
            return np.log(runs.compute_flops)[None, :]
        return np.vstack([np.log(runs.n_params), np.log(runs.n_tokens)])

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        """Where the fit's L-BFGS starts, θ rows, given the runs' inputs, losses and weights (one row, or None)."""
        raise NotImplementedError

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        """ln L̂ for every start (rows of θ) and run, (starts, runs), and its Jacobian in θ, (starts, runs, θ)."""
        raise NotImplementedError

    def constants_of(self, theta: Array, x: Array) -> Array:
        """Rows of θ -> rows of the named constants."""
        raise NotImplementedError

    def resample_starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array, starts: Array) -> Array:
        """The bootstrap's starts: each resample (a row of run weights) from each of the fit's optima."""
        return np.tile(starts, (len(weights), 1))


class Kaplan(Family):
    """θ = (a, p, b, q): ln L̂ = q·ln(e^(a − p·ln N) + e^(b − ln D)), so α_D = q, α_N = p·q, N_c = e^(a/p), D_c = e^b."""

    name = "kaplan"
    constants = ("alpha_n", "alpha_d", "n_c", "d_c")
    formula = "L = [(n_c/N)^(alpha_n/alpha_d) + d_c/D]^alpha_d"
    source = KAPLAN_SOURCE

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        # Exponents around Kaplan's (alpha_d 0.103, alpha_n/alpha_d 0.74) and scales N_c, D_c from 1e10 to 1e16: 81
        # starts. Against a grid of 256 (alpha_d up to 0.4, scales from 1e9), they reached the same optimum (objective
        # within 1e-13 relative) on Chinchilla's 245 runs, Sardana et al.'s 47 and runs simulated from kaplan-2020,
        # in a tenth of the time.
        rows = [
            (p * math.log(10.0**n_c), p, math.log(10.0**d_c), q)
            for q, p, n_c, d_c in itertools.product((0.05, 0.1, 0.2), (0.5, 1.0, 1.5), (10, 13, 16), (10, 13, 16))
        ]
        return np.array(rows)

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        a, p, b, q = (theta[:, i : i + 1] for i in range(4))
        log_n, log_d = x
        total, share = _lse(a - p * log_n, b - log_d)
        jacobian = np.stack([q * share, -q * share * log_n, q * (1 - share), total], axis=2)
        return q * total, jacobian

    def constants_of(self, theta: Array, x: Array) -> Array:
        a, p, b, q = theta.T
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return np.column_stack([p * q, q, np.exp(a / p), np.exp(b)])


def _centred(x: Array) -> tuple[Array, float]:
    """ln C less its mean over the runs, and that mean: in these coordinates a law's scale and slope are nearly
    independent (uncentred, ln A and γ move together along ln C ≈ 46), which takes L-BFGS far fewer steps."""
    centre = float(np.mean(x[0]))
    return x[0] - centre, centre


class Compute(Family):
    """θ = (e, b, γ): ln L̂ = ln(e^e + e^(b − γ·(ln C − c))) with c the runs' mean ln C, so E = e^e and
    A = e^(b + γ·c)."""

    name = "compute"
    constants = ("E", "A", "gamma")
    formula = "L_opt = E + A·C^-gamma"
    source = COMPUTE_SOURCE
    on_frontier = True

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        # E from e^-1 to e^1 nats, the reducible loss at the runs' mean compute from e^-3 to e^1 nats
        starts = itertools.product((-1.0, -0.5, 0.0, 0.5, 1.0), (-3.0, -2.0, -1.0, 0.0, 1.0),
                                   (0.02, 0.05, 0.1, 0.2, 0.4))  # fmt: skip
        return np.array(list(starts))

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        e, b, gamma = (theta[:, i : i + 1] for i in range(3))
        t, _ = _centred(x)
        total, share = _lse(np.broadcast_to(e, (len(theta), len(t))), b - gamma * t)
        rest = 1 - share
        return total, np.stack([share, rest, -rest * t], axis=2)

    def constants_of(self, theta: Array, x: Array) -> Array:
        e, b, gamma = theta.T
        _, centre = _centred(x)
        with np.errstate(over="ignore"):
            return np.column_stack([np.exp(e), np.exp(b + gamma * centre), gamma])


#: A break within this factor of the runs' smallest or largest compute bends no more than one budget's runs: the
#: fit found no bend within them.
EDGE = 1.5
#: The sharpest break fitted: a turn over a hundredth of a factor e of compute is a corner to any runs' spacing.
SHARPNESS_MIN = 0.01


class Broken(Family):
    """θ = (e, b, γ, Δγ, u, s): with z = (ln C − l)/f, g = b − γ·(ln C − c) − Δγ·f·ln(1 + e^z) (c the runs' mean
    ln C, as Compute's) and ln L̂ = ln(e^e + e^g): E = e^e, A = e^(b + γ·c), the break C_b = e^l and its sharpness
    f = SHARPNESS_MIN + e^s. The break is kept within the runs' compute, l = ln C_min + (ln C_max − ln C_min)·σ(u): a
    break beyond the runs bends nothing they measured, and its place and change of slope are then not determined by
    them."""

    name = "broken"
    constants = ("E", "A", "gamma", "gamma_change", "break_flops", "sharpness")
    formula = "L_opt = E + A·C^-gamma·(1 + (C/break_flops)^(1/sharpness))^(-gamma_change·sharpness)"
    source = BROKEN_SOURCE
    on_frontier = True

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        """A broken law with no change of slope is the compute law: its fit's best optima, each bent either way at a
        quarter, half and three quarters of the runs' span of ln C, by a sharp or a gentle turn."""
        straight = COMPUTE.starts(x, loss, criterion)
        theta, f, _, _ = minimise(_Objective(COMPUTE, x, loss, criterion, None), straight,
                                  np.zeros(len(straight), dtype=np.intp))  # fmt: skip
        order = np.argsort(np.where(np.isfinite(f), f, np.inf))[:3]
        places = [math.log(share / (1 - share)) for share in (0.25, 0.5, 0.75)]  # u at those shares of the span
        turns = (math.log(0.25), math.log(2.0))
        rows = [(*theta[i], change, u, s) for i in order for change, u, s in
                itertools.product((-0.1, 0.1), places, turns)]  # fmt: skip
        # and a grid of its own, for bends the compute law's optima are far from
        rows += list(itertools.product((-0.5, 0.5), (-2.0, 0.0), (0.15, 0.3), (-0.1, 0.1), places, turns))
        return np.array(rows)

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        e, b, gamma, change, u, s = (theta[:, i : i + 1] for i in range(6))
        log_c = x[0]
        low, span = float(np.min(log_c)), float(np.ptp(log_c))
        place = 1 / (1 + np.exp(-u))
        log_break = low + span * place
        sharpness = SHARPNESS_MIN + np.exp(s)
        z = (log_c - log_break) / sharpness
        soft = np.logaddexp(0.0, z)  # ln(1 + e^z)
        sigmoid = np.exp(z - soft)
        t, _ = _centred(x)
        g = b - gamma * t - change * sharpness * soft
        total, share = _lse(np.broadcast_to(e, g.shape), g)
        rest = 1 - share
        jacobian = np.stack(
            [share, rest, -rest * t, -rest * sharpness * soft, rest * change * sigmoid * span * place * (1 - place),
             -rest * change * np.exp(s) * (soft - z * sigmoid)], axis=2,
        )  # fmt: skip
        return total, jacobian

    def constants_of(self, theta: Array, x: Array) -> Array:
        e, b, gamma, change, u, s = theta.T
        log_c = x[0]
        log_break = float(np.min(log_c)) + float(np.ptp(log_c)) / (1 + np.exp(-u))
        _, centre = _centred(x)
        with np.errstate(over="ignore"):
            return np.column_stack([np.exp(e), np.exp(b + gamma * centre), gamma, change, np.exp(log_break),
                                    SHARPNESS_MIN + np.exp(s)])  # fmt: skip


#: R_D* and R_N* the data-constrained fit starts from, with the base law's constants: about those Muennighoff et al.
#: 2023 fitted (15.4 and 5.3) and a factor of 3 to 10 either side (their notebook started from 0 to 20).
REPETITION_STARTS = (0.5, 2.0, 6.0, 20.0, 60.0)


class DataConstrained(Family):
    """Muennighoff et al. 2023's repetition-aware law (data_constrained.py), fitted as they fitted it (their code,
    github.com/huggingface/datablations, utils/parametric_fit.ipynb): first E, A, B, α, β to the runs that see each
    unique token at most once, then R_D* and R_N* to every run with those five held fixed, by L-BFGS on the same
    criterion. θ = (a, α, b, β, e, ln R_D*, ln R_N*), the first five held (their gradient is zero) at the first
    step's fit: a start's first five columns are the base law it keeps. Reads N, D and the unique tokens U."""

    name = "data-constrained"
    constants = ("E", "A", "B", "alpha", "beta", "rd_star", "rn_star")
    formula = "L = E + A/N'^alpha + B/D'^beta, N' and D' the parameters and tokens worth counting when data repeat"
    source = REPETITION_SOURCE

    def __init__(self, base: tuple[float, float, float, float, float] | None = None) -> None:
        """`base`: E, A, B, α, β to hold instead of fitting them first (as Muennighoff et al. held their C4 fit)."""
        self.base = base

    def inputs(self, runs: Runs) -> Array:
        if runs.unique_tokens is None:
            raise ValueError("the data-constrained family reads each run's unique tokens")
        return np.vstack([runs.n_params, runs.n_tokens, runs.unique_tokens])

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        if self.base is None:
            _, optima = fit_law(base_runs(x, loss, weights), criterion)
            held = optima[:1]
        else:
            E, A, B, alpha, beta = self.base
            held = np.array([[math.log(A), alpha, math.log(B), beta, math.log(E)]])
        grid = np.log(np.array(list(itertools.product(REPETITION_STARTS, repeat=2))))
        return np.column_stack([np.repeat(held, len(grid), axis=0), grid])

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        a, alpha, b, beta, e, rho_d, rho_n = (theta[:, i : i + 1] for i in range(7))
        n_params, n_tokens, unique = x
        seen = np.minimum(unique, n_tokens)
        # the parameters the unique data can use: the base law's compute-optimal N for D = seen (laws.py's
        # optimal_params_for_tokens, N = G·(D·G)^(β/α)), in logarithms
        log_g = (np.log(alpha) + a - np.log(beta) - b) / (alpha + beta)
        usable = np.minimum(np.log(n_params), log_g + beta / alpha * (np.log(seen) + log_g))
        tokens, d_tokens = _worth(np.log(seen), n_tokens / seen - 1.0, rho_d)
        params, d_params = _worth(usable, n_params / np.exp(usable) - 1.0, rho_n)
        log_n_term, log_d_term = a - alpha * np.log(params), b - beta * np.log(tokens)
        total = np.logaddexp(np.logaddexp(log_n_term, log_d_term), np.broadcast_to(e, log_n_term.shape))
        jacobian = np.zeros((*total.shape, 7))
        jacobian[..., 5] = -beta * np.exp(log_d_term - total) * d_tokens
        jacobian[..., 6] = -alpha * np.exp(log_n_term - total) * d_params
        return total, jacobian

    def constants_of(self, theta: Array, x: Array) -> Array:
        with np.errstate(over="ignore"):
            return np.column_stack([_constants(theta[:, :5]), np.exp(theta[:, 5:])])

    def resample_starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array, starts: Array) -> Array:
        """Both steps again on each resample: its base law refitted to its runs that see their data once (from the
        fit's base law), then R_D* and R_N* from each of the fit's optima with that base held. A base given is held
        in every refit."""
        if self.base is not None:
            return super().resample_starts(x, loss, criterion, weights, starts)
        once = base_mask(x)
        refit = _ChinchillaObjective(Runs(x[0][once], x[1][once], loss[once]), criterion, weights[:, once])
        base, _, _, _ = minimise(refit, np.tile(starts[:1, :5], (len(weights), 1)))
        return np.column_stack([np.repeat(base, len(starts), axis=0), np.tile(starts[:, 5:], (len(weights), 1))])


def _worth(log_unique: Array, repeats: Array, log_star: Array) -> tuple[Array, Array]:
    """U·(1 + R*·(1 − e^(−R/R*))) (Muennighoff et al. 2023, eq. 5-6) for R repeats of U, with R* = e^(log_star), and
    its derivative in log_star over itself: d ln(worth) / d ln R*."""
    star = np.exp(log_star)
    decayed = -np.expm1(-repeats / star)  # 1 − e^(−R/R*)
    factor = 1.0 + star * decayed
    slope = star * decayed - repeats * np.exp(-repeats / star)  # d(R*·(1 − e^(−R/R*))) / d ln R*
    return np.exp(log_unique) * factor, slope / factor


def base_mask(x: Array) -> NDArray[np.bool_]:
    """The runs (columns of the data-constrained inputs N, D, U) that see each unique token at most once: the base
    law's runs."""
    _, n_tokens, unique = x
    once: NDArray[np.bool_] = n_tokens <= unique * (1 + 1e-9)
    return once


def base_runs(x: Array, loss: Array, weights: Array | None) -> Runs:
    """The base law's runs (base_mask), with their weights."""
    once = base_mask(x)
    return Runs(x[0][once], x[1][once], loss[once], None if weights is None else weights[0][once])


#: The granularity term's share g/A and exponent γ the MoE fit starts from, with the dense law's constants: about
#: Krajewski et al. 2024's (g/a = 2.1/18.1, γ = 0.58; Table 1) and a factor of 3 to 10 either side.
MIXTURE_SHARES = (0.01, 0.03, 0.1, 0.3, 1.0)
MIXTURE_GAMMAS = (0.2, 0.6, 1.2)


class Mixture(Family):
    """Krajewski et al. 2024's fine-grained mixture-of-experts law (moe.py), eq. 9: L = c + (g/G^γ + a)·N^(−α) +
    b·D^(−β), N the total non-embedding parameters, N = N_act·(8E + 4)/12 for runs whose `n_params` are their active
    parameters at expansion E (as moe.MoELaw counts them). θ = (ln a, α, ln b, β, ln c, ln g, γ); the starts are the
    dense law E + A/N^α + B/D^β fitted to the runs (G ignored) with the granularity term's share and exponent from a
    grid (MIXTURE_SHARES, MIXTURE_GAMMAS). Reads N, D, G and one expansion E."""

    name = "moe"
    constants = ("E", "A", "B", "alpha", "beta", "g", "gamma")
    formula = "L = E + (g/G^gamma + A)/N^alpha + B/D^beta, N = N_act·(8·expansion + 4)/12"
    source = "Krajewski et al. 2024, 'Scaling Laws for Fine-Grained Mixture of Experts', eq. 9"

    def inputs(self, runs: Runs) -> Array:
        if runs.granularity is None or runs.experts is None:
            raise ValueError("the moe family reads each run's granularity and expansion")
        total = runs.n_params * (8.0 * runs.experts + 4.0) / 12.0
        return np.vstack([np.log(total), np.log(runs.n_tokens), np.log(runs.granularity)])

    def starts(self, x: Array, loss: Array, criterion: Criterion, weights: Array | None = None) -> Array:
        dense = Runs(np.exp(x[0]), np.exp(x[1]), loss, None if weights is None else weights[0])
        _, optima = fit_law(dense, criterion)
        a, alpha, b, beta, e = optima[0]
        rows = [(a, alpha, b, beta, e, a + math.log(share), gamma)
                for share, gamma in itertools.product(MIXTURE_SHARES, MIXTURE_GAMMAS)]  # fmt: skip
        return np.array(rows)

    def log_loss(self, theta: Array, x: Array) -> tuple[Array, Array]:
        a, alpha, b, beta, e, g, gamma = (theta[:, i : i + 1] for i in range(7))
        log_n, log_d, log_g = x
        terms = np.stack(np.broadcast_arrays(a - alpha * log_n, g - gamma * log_g - alpha * log_n,
                                             b - beta * log_d, e))  # fmt: skip
        total = np.logaddexp.reduce(terms, axis=0)
        share_a, share_g, share_b, share_e = np.exp(terms - total)
        jacobian = np.stack([share_a, -(share_a + share_g) * log_n, share_b, -share_b * log_d, share_e, share_g,
                             -share_g * log_g], axis=2)  # fmt: skip
        return total, jacobian

    def constants_of(self, theta: Array, x: Array) -> Array:
        with np.errstate(over="ignore"):
            return np.column_stack([_constants(theta[:, :5]), np.exp(theta[:, 5]), theta[:, 6]])


COMPUTE = Compute()
FAMILIES: dict[str, Family] = {
    family.name: family for family in (Kaplan(), COMPUTE, Broken(), DataConstrained(), Mixture())
}
#: The kind of law file each family's fit writes (inputs.models): a compute family is a frontier file, the
#: data-constrained law a parametric one ("law") with its R_D* and R_N*, a mixture of experts' a "moe" file.
FILE_KINDS = {"kaplan": "kaplan", "compute": "frontier", "broken": "broken", "data-constrained": "law", "moe": "moe"}


def families_for(runs: Runs) -> tuple[str, ...]:
    """Every family the runs can be fitted by (`backtest --form all`, `fit --form auto`): Chinchilla's, Kaplan's and
    the compute families always; the data-constrained law when the runs give unique tokens; the mixture's when they
    give a granularity and an expansion."""
    from .choices import LAW_FORMS

    forms: tuple[str, ...] = LAW_FORMS
    if runs.unique_tokens is not None:
        forms += ("data-constrained",)
    if runs.granularity is not None and runs.experts is not None:
        forms += ("moe",)
    return forms


class _Objective:
    """The criterion's sum over runs of penalty(ln L̂ − ln L) for a batch of θ rows, and its gradient."""

    def __init__(self, family: Family, x: Array, loss: Array, criterion: Criterion, weights: Array | None) -> None:
        self.family, self.x, self.log_loss, self.criterion = family, x, np.log(loss), criterion
        self.weights = weights  # one row of run weights per problem, or one row for them all

    def __call__(self, theta: Array, problems: NDArray[np.intp]) -> tuple[Array, Array]:
        chunk = max(1, CHUNK_CELLS // self.x.shape[1])
        values, gradients = [], []
        for start in range(0, len(theta), chunk):
            rows, which = theta[start : start + chunk], problems[start : start + chunk]
            predicted, jacobian = self.family.log_loss(rows, self.x)
            residual = predicted - self.log_loss
            slope = np.empty_like(residual)
            half = penalty_slopes(self.criterion, residual, slope)
            if self.weights is None:
                weighted = slope
            else:
                weighted = slope * (self.weights if len(self.weights) == 1 else self.weights[which])
            value = np.einsum("sr,sr->s", weighted, residual)
            if half:
                value -= half * np.einsum("sr,sr->s", weighted, slope)
            values.append(value)
            gradients.append(np.einsum("sr,srp->sp", weighted, jacobian))
        return np.concatenate(values), np.concatenate(gradients)


@dataclass(frozen=True)
class FamilyFit:
    """A family fitted to runs: its constants, the criterion's sum and the optimiser's report, the runs used (the
    compute families: the best of each budget, by index into the runs) and, for those, the allocation k_N, a."""

    form: str
    constants: dict[str, float]
    objective: float
    criterion: Criterion
    n_starts: int
    n_starts_at_best: int
    converged: bool
    iterations: int
    residual_rmse: float  # of ln loss, over the runs fitted
    residual_max: float
    used: tuple[int, ...]
    allocation: tuple[float, float] | None = None  # (k_n, a) in N_opt = k_n·C^a, for the compute families
    compute_range_flops: tuple[float, float] = (0.0, math.inf)  # of the runs fitted to
    residual_log: tuple[float, ...] = ()  # ln L̂ − ln L of each run fitted to, in the order of `used`

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (*self.constants.values(), self.objective))

    @property
    def problem(self) -> str | None:
        """Why the fit is no law to plan with, or None."""
        if not self.converged:
            return f"the fit did not converge in {self.iterations} iterations"
        c = self.constants
        exponents = {"kaplan": ("alpha_n", "alpha_d"), "compute": ("gamma",), "broken": ("gamma",),
                     "data-constrained": ("alpha", "beta"), "moe": ("alpha", "beta", "gamma")}[self.form]  # fmt: skip
        bad = [name for name in exponents if not c[name] > 0]
        if bad:
            said = ", ".join(f"{name} = {c[name]:.4g}" for name in bad)
            return f"the best fit is degenerate ({said}; it must be > 0)"
        if self.form == "broken" and not c["gamma"] + c["gamma_change"] > 0:
            return (f"the best fit's loss rises with compute past its break (gamma + gamma_change ="
                    f" {c['gamma'] + c['gamma_change']:.4g})")  # fmt: skip
        low, high = self.compute_range_flops
        if self.form == "broken" and not low * EDGE < c["break_flops"] < high / EDGE:
            return (f"no bend within the runs: the best fit's break ({c['break_flops']:.3g} FLOPs) sits at the edge"
                    f" of their compute ({low:.3g} to {high:.3g}), where one budget decides it; the compute form is"
                    " the law for them")  # fmt: skip
        return None


def frontier_runs(runs: Runs, budgets: Array | None, rtol: float) -> NDArray[np.intp]:
    """The lowest-loss run of each budget (isoflop.group_budgets), in order of compute: the runs a compute family
    is fitted to."""
    groups = group_budgets(runs.compute_flops, budgets, rtol)
    best = [int(np.flatnonzero(groups == g)[np.argmin(runs.loss_nats[groups == g])]) for g in np.unique(groups)]
    return np.array(sorted(best, key=lambda i: runs.compute_flops[i]), dtype=np.intp)


def allocation(n_params: Array, compute: Array, weights: Array | None = None) -> tuple[float, float]:
    """(k_N, a) of the weighted least-squares line ln N = ln k_N + a·ln C."""
    w = np.ones(len(compute)) if weights is None else weights
    slope, intercept = np.polyfit(np.log(compute), np.log(n_params), 1, w=np.sqrt(w))
    return float(math.exp(intercept)), float(slope)


def fit_family(
    family: Family, runs: Runs, criterion: Criterion = HUBER, budgets: Array | None = None, rtol: float = 0.1
) -> tuple[FamilyFit, Array]:
    """The family's best fit from its starts, and the distinct optima (θ rows, best first) for the bootstrap."""
    used = frontier_runs(runs, budgets, rtol) if family.on_frontier else np.arange(len(runs))
    x, loss = family.inputs(runs)[:, used], runs.loss_nats[used]
    weights = None if runs.weights is None else runs.weights[used][None, :]
    start = family.starts(x, loss, criterion, weights)
    objective = _Objective(family, x, loss, criterion, weights)
    problems = np.zeros(len(start), dtype=np.intp)
    theta, f, converged, iterations = minimise(objective, start, problems)
    f = np.where(np.isfinite(f), f, np.inf)
    best = int(np.argmin(f))
    predicted, _ = family.log_loss(theta[best : best + 1], x)
    residual = predicted[0] - np.log(loss)
    constants = dict(zip(family.constants, (float(v) for v in family.constants_of(theta[best : best + 1], x)[0]),
                         strict=True))  # fmt: skip
    chosen = runs.n_params[used], runs.compute_flops[used]
    fit = FamilyFit(
        form=family.name, constants=constants, objective=float(f[best]), criterion=criterion, n_starts=len(start),
        n_starts_at_best=int(np.sum(f <= f[best] * (1 + SAME_OPTIMUM_RTOL))), converged=bool(converged[best]),
        iterations=int(iterations[best]), residual_rmse=float(np.sqrt(np.mean(residual**2))),
        residual_max=float(np.max(np.abs(residual))), used=tuple(int(i) for i in used),
        allocation=allocation(*chosen, None if weights is None else weights[0]) if family.on_frontier else None,
        compute_range_flops=(float(np.min(chosen[1])), float(np.max(chosen[1]))),
        residual_log=tuple(float(r) for r in residual),
    )  # fmt: skip
    order = np.argsort(f)
    _, first = np.unique(np.round(f[order] / max(f[best], 1e-300), 4), return_index=True)
    optima = theta[order[np.sort(first)]]
    return fit, optima[np.isfinite(f[order[np.sort(first)]])]


#: Bootstrap starts per resample, as fitting.BOOTSTRAP_STARTS, all of them (fitting.SCREEN_DEVIATIONS says why).
BOOTSTRAP_STARTS = 4


def bootstrap_family(family: Family, runs: Runs, fit: FamilyFit, optima: Array, resamples: int, seed: int) -> Bootstrap:
    """Refits of the family on resamples of the runs it was fitted to (numpy's PCG64 seeded with `seed`), warm-started
    from the fit's optima. The compute families' rows begin with their refitted allocation k_n, a."""
    rng = np.random.default_rng(seed)
    used = np.array(fit.used, dtype=np.intp)
    x, loss = family.inputs(runs)[:, used], runs.loss_nats[used]
    draws = resample_weights(rng, len(used), resamples)
    weights = draws if runs.weights is None else draws * runs.weights[used]
    starts = optima[:BOOTSTRAP_STARTS]
    stacked = np.repeat(weights, len(starts), axis=0)
    objective = _Objective(family, x, loss, fit.criterion, stacked)
    theta, f, converged, _ = minimise(objective, family.resample_starts(x, loss, fit.criterion, weights, starts))
    f = np.where(np.isfinite(f), f, np.inf).reshape(resamples, len(starts))
    best = np.argmin(f, axis=1) + np.arange(resamples) * len(starts)
    constants = family.constants_of(theta[best], x)
    names = family.constants
    if family.on_frontier:
        n_params, compute = runs.n_params[used], runs.compute_flops[used]
        rows = [allocation(n_params, compute, w) for w in weights]
        constants = np.column_stack([np.array(rows), constants])
        names = ("k_n", "a", *names)
    finite = np.isfinite(constants).all(axis=1)
    return Bootstrap(constants[finite], resamples, seed, int((converged[best] & finite).sum()), names)
