"""Fitting L(N, D) = E + A/N^α + B/D^β to observed runs, and bootstrap intervals for the fitted constants.

The procedure is Hoffmann et al. 2022, appendix D.2: minimise the SUM over runs of the Huber loss (δ = 1e-3) between
the log of the predicted loss and the log of the observed loss, with the prediction in log-sum-exp form

    log L̂ = LSE(a − α log N, b − β log D, e),   A = e^a, B = e^b, E = e^e,

starting from their grid of initialisations (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25};
4,500 starts) and keeping the best. Besiroglu et al. 2024 (Epoch AI) replicate it on Chinchilla's runs.

All starts are solved at once by a batched L-BFGS written with numpy (each start is an independent 5-parameter
problem; one vectorised objective evaluates them together). Starts that meet on the way (the same small cell of
parameter space at a check) go on as one, which halves the work: of the 4,500 starts, about a thousand reach the
optimum, and they do not need to walk there separately. It replaces a scipy loop over starts, which is ~20x
slower here; benchmarks/fit.py measures both, and the chinchilla and simple-scaling-laws packages when given an
interpreter that has them. Bootstrap resamples are the same batched problem with per-problem run weights (a
resample's multiplicity of each run), warm-started from the full-data optima that a resample could rank first, each
refit's L-BFGS from the objective's curvature there.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN
from .lbfgs import minimise
from .units import counted

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

#: Huber δ on log loss (Hoffmann et al. 2022, appendix D.2).
HUBER_DELTA_DEFAULT = 1e-3

#: How a fit weighs each run's miss (choices.FIT_CRITERIA) r = log L̂ − log L (`fit --criterion`): huber is Hoffmann et al. 2022's (appendix
#: D.2); mse (r²/2) and mae (|r|) are the chinchilla toolkit's other criteria (Takano 2024, github.com/kyo-takano/
#: chinchilla, `chinchilla/_metrics.py`); asymmetric is that toolkit's asymmetric MAE, |r| with an over-prediction of
#: the loss (r > 0) counted ASYMMETRY_DEFAULT times an under-prediction, so the law follows the lowest losses the
#: runs reach rather than their mean (its docs/changes.md, sec. 1; weight w = 10 in `asymmetric_mae`). A weight
#: below 1 turns it round: an optimistic prediction (below the observed loss) then costs more.
ASYMMETRY_DEFAULT = 10.0

#: The initialisation grid of Hoffmann et al. 2022, appendix D.2, in the order (a, α, b, β, e) used below.
INITIAL_GRID = np.array(
    [
        (a, alpha, b, beta, e)
        for alpha, beta in itertools.product((0.0, 0.5, 1.0, 1.5, 2.0), repeat=2)
        for e in (-1.0, -0.5, 0.0, 0.5, 1.0)
        for a, b in itertools.product((0.0, 5.0, 10.0, 15.0, 20.0, 25.0), repeat=2)
    ]
)

#: The fewest runs that can fit five constants.
MIN_RUNS = 6

#: Refits with finite constants that intervals and standard errors need (one sample has no spread).
MIN_BOOTSTRAP_SAMPLES = 2

#: A start "reached the best optimum" when its objective is within this relative distance of the best.
SAME_OPTIMUM_RTOL = 1e-5

#: Starts evaluated together per numpy call: small enough to stay in cache, large enough to amortise the call.
CHUNK_STARTS = 256

CONSTANTS = ("E", "A", "B", "alpha", "beta")


@dataclass(frozen=True)
class Criterion:
    """What a fit minimises: the sum over runs of weight × penalty(log L̂ − log L) (choices.FIT_CRITERIA). `huber_delta` is used
    by huber only, `asymmetry` by asymmetric only."""

    kind: str = "huber"
    huber_delta: float = HUBER_DELTA_DEFAULT
    asymmetry: float = ASYMMETRY_DEFAULT

    @property
    def cap(self) -> float:
        """Where the penalty turns from square to straight: δ for huber, never for mse, at once for mae/asymmetric."""
        return {"huber": self.huber_delta, "mse": math.inf}.get(self.kind, 0.0)

    @property
    def source(self) -> str:
        if self.kind == "huber":
            return "Hoffmann et al. 2022, appendix D.2"
        return f"{self.kind} as in the chinchilla toolkit, Takano 2024; the starts of Hoffmann et al. 2022"

    def describe(self) -> str:
        """The criterion in words, for the notes."""
        return {
            "huber": f"the sum of Huber losses (delta {self.huber_delta:g}) on log loss",
            "mse": "the sum of squared errors on log loss",
            "mae": "the sum of absolute errors on log loss",
            "asymmetric": f"the sum of absolute errors on log loss, an over-prediction counted {self.asymmetry:g}"
            " times an under-prediction",
        }[self.kind]


#: The default criterion: Hoffmann et al. 2022's Huber loss at δ = 1e-3.
HUBER = Criterion()


@dataclass(frozen=True)
class Runs:
    """Observed training runs: parameters N, tokens D and final loss (nats/token), each run's weight in a fit (None:
    every run once) and the unique tokens U its data held (None: not known; a run of D > U saw its data D/U times).
    A mixture of experts' N is its active parameters."""

    n_params: Array
    n_tokens: Array
    loss_nats: Array
    weights: Array | None = None
    unique_tokens: Array | None = None
    #: A mixture of experts' granularity G and expansion E (Krajewski et al. 2024), when the runs file gives them
    granularity: Array | None = None
    experts: Array | None = None

    def __len__(self) -> int:
        return len(self.loss_nats)

    @property
    def compute_flops(self) -> Array:
        return FLOPS_PER_PARAM_TOKEN * self.n_params * self.n_tokens


@dataclass(frozen=True)
class Fit:
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    objective: float  # the criterion's sum at the optimum
    criterion: Criterion
    n_starts: int
    n_starts_at_best: int
    converged: bool
    iterations: int  # of the best start
    residual_rmse: float  # of log loss (log predicted − log observed)
    residual_max: float  # largest |log predicted − log observed|

    @property
    def constants(self) -> tuple[float, float, float, float, float]:
        return (self.E, self.A, self.B, self.alpha, self.beta)

    @property
    def frontier_exponent(self) -> float:
        """a in N_opt ∝ C^a: β/(α+β) (Hoffmann et al. 2022, eq. 4)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def finite(self) -> bool:
        """False when the best fit ran away to infinite constants: no law fits these runs."""
        return all(math.isfinite(value) for value in (*self.constants, self.objective))

    @property
    def problem(self) -> str | None:
        """Why this fit is not a law to plan with (it did not converge, or an exponent is not positive), or None."""
        if not self.converged:
            return f"the fit did not converge in {self.iterations} iterations"
        if not (self.alpha > 0 and self.beta > 0):
            return f"the best fit is degenerate (alpha = {self.alpha:.4g}, beta = {self.beta:.4g}; both must be > 0)"
        return None


@dataclass(frozen=True)
class Bootstrap:
    """Refits on resamples of the runs (drawn with replacement): rows of the family's constants (names; Chinchilla's
    E, A, B, alpha, beta), one per refit whose constants are finite (a refit that ran away to an overflow is left out,
    and not counted as converged). Which of them a law file may hold is the inputs' question (answers.kept_refits)."""

    samples: Array
    resamples: int
    seed: int
    n_converged: int
    names: tuple[str, ...] = CONSTANTS

    def values(self) -> dict[str, Array]:
        """Each constant's samples, and for Chinchilla's family the implied frontier exponent a = β/(α+β)."""
        columns = {name: self.samples[:, i] for i, name in enumerate(self.names)}
        if self.names == CONSTANTS:
            columns["frontier_exponent"] = columns["beta"] / (columns["alpha"] + columns["beta"])
        return columns

    def intervals(self, level: float) -> dict[str, tuple[float, float]]:
        """Percentile intervals holding `level` of the samples (0.9: the 5th to the 95th percentile)."""
        tail = 100 * (1 - level) / 2
        return {
            name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
            for name, v in self.values().items()
        }

    def standard_errors(self) -> dict[str, float]:
        """The samples' standard deviation per constant, computed on the samples over their largest magnitude, so
        that a refit that ran far (B near 1e250 from a single budget's runs) gives a large finite spread, not an
        overflow to inf."""
        errors = {}
        for name, v in self.values().items():
            scale = float(np.max(np.abs(v))) if len(v) else 0.0
            errors[name] = scale * float(np.std(v / scale, ddof=1)) if scale > 0 else 0.0
        return errors


def penalty_slopes(criterion: Criterion, residual: Array, out: Array) -> float:
    """Each run's penalty is s·r − h·s², with s written into `out` and h returned; its slope in r is s. Huber's
    s = r clipped to ±δ and h = 1/2 (mse: s = r); the absolute errors' s = sign(r) (the asymmetry, where r > 0) and
    h = 0."""
    if criterion.kind == "asymmetric":
        np.copyto(out, np.where(residual > 0, criterion.asymmetry, np.copysign(1.0, residual)))
        return 0.0
    if criterion.kind == "mae":
        np.copysign(1.0, residual, out=out)
        return 0.0
    np.clip(residual, -criterion.cap, criterion.cap, out=out)
    return 0.5


class _Objective:
    """The criterion's sum over runs of penalty(log L̂ − log L) for a batch of parameter rows (a, α, b, β, e), and its
    gradient (penalty_slopes)."""

    def __init__(self, runs: Runs, criterion: Criterion, weights: Array | None = None, centred: bool = False) -> None:
        self.log_n = np.log(runs.n_params)
        self.log_d = np.log(runs.n_tokens)
        self.log_loss = np.log(runs.loss_nats)
        # Centred, θ's a and b are taken at the runs' mean ln N and ln D (to_inner): a and α, b and β then move
        # nearly independently, and the bootstrap's refits take about half the L-BFGS steps.
        self.shift = (float(np.mean(self.log_n)), float(np.mean(self.log_d))) if centred else (0.0, 0.0)
        self.x_n, self.x_d = self.log_n - self.shift[0], self.log_d - self.shift[1]
        self.neg_log_n, self.neg_log_d = -self.x_n, -self.x_d
        self.criterion = criterion
        # one row of run weights per problem (a resample's), times the runs' own weights; or the runs' own alone
        self.run_weights = runs.weights
        if weights is not None and runs.weights is not None:
            weights = weights * runs.weights
        self.weights = weights
        # Work arrays reused by every chunk: fresh ones each call would be paged in by the kernel every time
        # (they are above malloc's mmap threshold), which doubled the fit's wall time.
        self._work = np.empty((6, CHUNK_STARTS, len(self.log_n)))

    def __call__(self, theta: Array, problems: NDArray[np.intp]) -> tuple[Array, Array]:
        if len(theta) <= CHUNK_STARTS:
            return self._chunk(theta, problems)
        parts = [
            self._chunk(theta[i : i + CHUNK_STARTS], problems[i : i + CHUNK_STARTS])
            for i in range(0, len(theta), CHUNK_STARTS)
        ]
        return np.concatenate([f for f, _ in parts]), np.concatenate([g for _, g in parts])

    def to_inner(self, theta: Array) -> Array:
        """Rows of (a, α, b, β, e) -> the coordinates the objective takes (a + α·m_N, α, b + β·m_D, β, e centred)."""
        inner: Array = theta.copy()
        inner[:, 0] -= inner[:, 1] * self.shift[0]
        inner[:, 2] -= inner[:, 3] * self.shift[1]
        return inner

    def from_inner(self, inner: Array) -> Array:
        """to_inner's inverse."""
        theta: Array = inner.copy()
        theta[:, 0] += theta[:, 1] * self.shift[0]
        theta[:, 2] += theta[:, 3] * self.shift[1]
        return theta

    def residuals(self, theta: Array) -> Array:
        a, alpha, b, beta, e = (theta[:, i : i + 1] for i in range(5))
        predicted = np.exp(a - alpha * self.log_n) + np.exp(b - beta * self.log_d) + np.exp(e)
        residual: Array = np.log(predicted) - self.log_loss
        return residual

    def _chunk(self, theta: Array, problems: NDArray[np.intp]) -> tuple[Array, Array]:
        a, b, e = theta[:, 0:1], theta[:, 2:3], theta[:, 4:5]
        n_term, d_term, predicted, residual, slope, weights = (work[: len(theta)] for work in self._work)
        # α·x as einsum's outer product: the same products as broadcasting, in about two thirds of the time
        np.exp(np.subtract(a, np.einsum("s,r->sr", theta[:, 1], self.x_n, out=n_term), out=n_term), out=n_term)
        np.exp(np.subtract(b, np.einsum("s,r->sr", theta[:, 3], self.x_d, out=d_term), out=d_term), out=d_term)
        irreducible = np.exp(e)  # E
        np.add(n_term, d_term, out=predicted)
        predicted += irreducible
        np.log(predicted, out=residual)
        residual -= self.log_loss
        half = penalty_slopes(self.criterion, residual, slope)
        weighted = slope
        if self.weights is not None:
            weighted = np.take(self.weights, problems, axis=0, out=weights)  # gathered into a reused array
            weighted *= slope
        elif self.run_weights is not None:
            weighted = np.multiply(slope, self.run_weights, out=weights)
        # Sums over runs by einsum or numpy's reductions rather than a BLAS product, which may sum in another order
        # from one call to the next on a threaded BLAS.
        value = np.einsum("sr,sr->s", weighted, residual)
        if half:
            value -= half * np.einsum("sr,sr->s", weighted, slope)
        weighted /= predicted  # w·penalty'(r) · d/dθ log L̂, as d log L̂ = dL̂ / L̂
        gradient = np.empty((len(theta), 5))
        np.multiply(weighted, n_term, out=n_term)
        n_term.sum(axis=1, out=gradient[:, 0])
        np.einsum("sr,r->s", n_term, self.neg_log_n, out=gradient[:, 1])
        np.multiply(weighted, d_term, out=d_term)
        d_term.sum(axis=1, out=gradient[:, 2])
        np.einsum("sr,r->s", d_term, self.neg_log_d, out=gradient[:, 3])
        weighted.sum(axis=1, out=gradient[:, 4])
        gradient[:, 4] *= irreducible[:, 0]
        return value, gradient


def _constants(theta: Array) -> Array:
    """(a, α, b, β, e) rows -> (E, A, B, α, β) rows."""
    a, alpha, b, beta, e = theta.T
    with np.errstate(over="ignore"):  # a runaway start overflows to inf; callers keep only finite rows
        constants: Array = np.column_stack([np.exp(e), np.exp(a), np.exp(b), alpha, beta])
    return constants


def fit_law(runs: Runs, criterion: Criterion = HUBER, start: Array = INITIAL_GRID) -> tuple[Fit, Array]:
    """The best of the grid's starts; also returns the distinct local optima found (rows of a, α, b, β, e, best first),
    which warm-start the bootstrap."""
    objective = _Objective(runs, criterion)
    theta, f, converged, iterations = minimise(objective, start, np.zeros(len(start), dtype=np.intp))
    f = np.where(np.isfinite(f), f, np.inf)
    best = int(np.argmin(f))
    residual = objective.residuals(theta[best : best + 1])[0]
    E, A, B, alpha, beta = (float(v) for v in _constants(theta[best : best + 1])[0])
    fit = Fit(
        E=E, A=A, B=B, alpha=alpha, beta=beta,
        objective=float(f[best]),
        criterion=criterion,
        n_starts=len(start),
        n_starts_at_best=int(np.sum(f <= f[best] * (1 + SAME_OPTIMUM_RTOL))),
        converged=bool(converged[best]),
        iterations=int(iterations[best]),
        residual_rmse=float(np.sqrt(np.mean(residual**2))),
        residual_max=float(np.max(np.abs(residual))),
    )  # fmt: skip
    order = np.argsort(f)
    _, first = np.unique(np.round(f[order] / max(f[best], 1e-300), 4), return_index=True)
    optima = theta[order[np.sort(first)]]
    return fit, optima[np.isfinite(f[order[np.sort(first)]])]


@dataclass(frozen=True)
class RefitWork:
    """The work bootstrap refits ask for, known before any starts: refits × (units + fixed), where the units are what
    each refit works through (its runs, or its budgets) and `fixed` counts, in those units, what a refit costs
    whatever their number (its starts, grid and iterations). At most `most`: about a minute on 2 cores."""

    unit: str
    fixed: int
    most: int

    def of(self, refits: int, units: int) -> int:
        return refits * (units + self.fixed)

    def check(self, refits: int, units: int, where: str) -> None:
        """Refuse (UsageError at `where`, the flag) refits past the cap, saying how many the cap allows."""
        work = self.of(refits, units)
        if work > self.most:
            raise UsageError(
                where,
                f"{counted(refits, 'refit')} × ({counted(units, self.unit)} + {self.fixed} for a refit's own cost) ="
                f" {work:,} {self.unit}-refits; at most {self.most:,}, about a minute on 2 cores: give"
                f" {self.most // (units + self.fixed):,} or fewer",
            )


#: The bootstrap's work in runs: measured on 2 shared cores (bootstrap_fit alone), a refit took 2.3 ms on
#: Hoffmann et al. 2022's 240 runs, 1.8 ms on Sardana et al. 2024's 47, 3.9 ms on 8 of them, 15 ms on 1,000
#: synthetic runs and 83 ms on 10,000: about 10 µs a run. Refits that wander take longer: 6.6 ms on 7 runs of one
#: budget, 8.7 ms on the 245 runs with their losses shuffled. So a refit counts 650 runs' worth on top of its own,
#: and 6,000,000 run-refits is about a minute at worst: 563 refits of 10,000 runs, 6,703 of 245, 9,132 of 7.
BOOTSTRAP_WORK = RefitWork("run", 650, 6_000_000)

#: Bootstrap starts per resample: the full-data optimum and the next-best distinct local optima; for Chinchilla's
#: family, of those a resample could rank first (warm_starts).
BOOTSTRAP_STARTS = 4
#: ... that is, an optimum whose objective on the full runs is above the best's by at most this many standard
#: deviations of that gap over resamples. A resample draws each run a multinomial number of times, so the gap
#: Σ_i m_i·(ρ_i(θ_k) − ρ_i(θ_best)) has mean the full runs' gap and variance n·var_i(ρ_i(θ_k) − ρ_i(θ_best)); past
#: 4 standard deviations (a normal tail of 3e-5) a resample ranks it first about once in 30,000, at those
#: constants. On Hoffmann et al. 2022's 240 runs the next optima are 7.5 and 16 deviations behind: one start, and
#: of its 1,000 refits 1,000 and 999 (seeds 0 and 1) are those of all four to 1e-3 relative, in a sixth of the
#: time. On Sardana et al. 2024's 47 runs the next three are 0.55 behind (E's flat valley): all four start. Against
#: all four on 15 sets of runs (Hoffmann's 245, Sardana's 47, Muennighoff et al. 2023's 182 as N and D, and 12
#: simulated with 0.5% to 5% noise; 300 resamples each) no refit's objective was higher by more than 1e-6
#: relative. Kaplan's family keeps all four (families.py): there, starts 12 to 16 deviations behind still found a
#: lower objective in one resample in ten, where the best's refit stops short in that law's flat directions.
SCREEN_DEVIATIONS = 4.0
#: Each refit's L-BFGS starts from the inverse Hessian at its warm start (inverse_hessians), found by central
#: differences of the gradient with steps of this size relative to each coordinate (at least 1) ...
CURVATURE_STEP = 1e-5
#: ... when every start's is positive definite with its smallest eigenvalue above this share of its largest (a
#: valley flatter than that would send the first step far along it). On Hoffmann et al. 2022's 240 runs (one
#: start, condition number 1e4) the refits take 11 steps for 33 and the bootstrap a third of the time. Against
#: refits that start from the identity (300 resamples of those runs, of all 245, and of four simulated sets) no
#: objective was higher by more than 1e-8 relative; over 1,000 resamples of 12 sets and two criteria (those, Sardana
#: et al. 2024's 47 and Muennighoff et al. 2023's 182, where it applies to none, and 8 simulated) the 5th, 50th and
#: 95th percentiles moved by at most 0.0016 of the refits' standard deviation, against a Monte-Carlo error of 0.07.
CURVATURE_CONDITION = 1e-8
#: Resamples solved per batch (progress is reported between batches): the slowest problem of a batch sets its
#: length, so fewer, larger batches pay that tail once (1,000 resamples: 1.5 s in one batch, 1.9 s in four).
BOOTSTRAP_BATCH = 1000
#: ... and at most this many resample-runs per batch: a batch holds a weight per start, resample and run (on 10,000
#: runs, 200 resamples' weights are 64 MB; 582 in one batch took the fit from about 230 MB to 384 MB).
BOOTSTRAP_BATCH_RUNS = 2_000_000


def run_penalties(criterion: Criterion, residual: Array, weights: Array | None) -> Array:
    """Each run's term of the criterion's sum, w·(s·r − h·s²) (penalty_slopes), for rows of residuals r."""
    slope = np.empty_like(residual)
    half = penalty_slopes(criterion, residual, slope)
    terms: Array = slope * (residual - half * slope)
    return terms if weights is None else terms * weights


def warm_starts(optima: Array, penalties: Array) -> Array:
    """The optima (best first) that warm-start each resample's refit: of the first BOOTSTRAP_STARTS, those within
    SCREEN_DEVIATIONS of the best (`penalties`: each optimum's run_penalties, a row each)."""
    count = min(BOOTSTRAP_STARTS, len(optima))
    gap = penalties[:count] - penalties[0]
    spread = math.sqrt(gap.shape[1]) * np.std(gap, axis=1)
    kept: Array = optima[:count][np.sum(gap, axis=1) <= SCREEN_DEVIATIONS * spread]
    return kept


def inverse_hessians(objective: _Objective, starts: Array) -> Array | None:
    """The inverse of the objective's Hessian at each start (rows of its coordinates), by central differences of its
    gradient; None unless every one is positive definite. A resample's objective is the full runs' reweighted, so at
    an optimum of the full runs this is close to the curvature its refit meets. The absolute-error criteria have no
    curvature there to speak of, and an optimum in a flat valley (E towards 0) none in some direction: those refits
    start as the others do."""
    n_params = starts.shape[1]
    steps = CURVATURE_STEP * np.maximum(1.0, np.abs(starts))  # (starts, params)
    shifts = np.eye(n_params)[None, :, :] * steps[:, :, None]  # (starts, params, params): one step per row
    points = np.concatenate([starts[:, None, :] + shifts, starts[:, None, :] - shifts], axis=1).reshape(-1, n_params)
    _, gradient = objective(points, np.zeros(len(points), dtype=np.intp))
    gradient = gradient.reshape(len(starts), 2, n_params, n_params)
    hessian = (gradient[:, 0] - gradient[:, 1]) / (2 * steps[:, :, None])  # row k: the gradient's change along k
    hessian = 0.5 * (hessian + np.swapaxes(hessian, 1, 2))
    if not np.isfinite(hessian).all():
        return None
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.any(eigenvalues[:, 0] <= CURVATURE_CONDITION * eigenvalues[:, -1]):
        return None
    inverse: Array = np.linalg.inv(hessian).astype(np.float64)
    return inverse


def resample_weights(rng: np.random.Generator, n_runs: int, count: int) -> Array:
    """`count` resamples of `n_runs` runs drawn with replacement, each as weights: how many times each run was
    drawn (a refit on the weights is a refit on the resample)."""
    draws = np.stack([np.bincount(rng.integers(0, n_runs, n_runs), minlength=n_runs) for _ in range(count)])
    weights: Array = draws.astype(np.float64)
    return weights


def bootstrap_fit(
    runs: Runs,
    optima: Array,
    resamples: int,
    seed: int,
    criterion: Criterion = HUBER,
    progress: Callable[[int, int], None] | None = None,
) -> Bootstrap:
    """Refit on `resamples` resamples of the runs drawn with replacement (numpy's PCG64 seeded with `seed`)."""
    rng = np.random.default_rng(seed)
    n_runs = len(runs)
    full = _Objective(runs, criterion, centred=True)  # the full runs': which optima start, and their curvature
    starts = warm_starts(optima, run_penalties(criterion, full.residuals(optima[:BOOTSTRAP_STARTS]), runs.weights))
    curvature = inverse_hessians(full, full.to_inner(starts))
    samples, n_converged = [], 0
    batch = max(1, min(BOOTSTRAP_BATCH, BOOTSTRAP_BATCH_RUNS // n_runs))
    for first in range(0, resamples, batch):
        count = min(batch, resamples - first)
        weights: Array = np.repeat(resample_weights(rng, n_runs, count), len(starts), axis=0)
        # No merging here: a resample's few warm starts gain little from it, and a merge is a yes-or-no decision that
        # a last-bit difference can flip, sending a refit to a neighbouring optimum: the same starts and seed give
        # the same refits.
        objective = _Objective(runs, criterion, weights, centred=True)
        inverse = None if curvature is None else np.tile(curvature, (count, 1, 1))
        inner, f, converged, _ = minimise(objective, objective.to_inner(np.tile(starts, (count, 1))), None, inverse)
        theta = objective.from_inner(inner)
        f = np.where(np.isfinite(f), f, np.inf).reshape(count, len(starts))
        best = np.argmin(f, axis=1) + np.arange(count) * len(starts)
        constants = _constants(theta[best])
        finite = np.isfinite(constants).all(axis=1)  # a refit that ran away is no sample of the law
        samples.append(constants[finite])
        n_converged += int((converged[best] & finite).sum())
        if progress is not None:
            progress(first + count, resamples)
    return Bootstrap(np.concatenate(samples), resamples, seed, n_converged)
