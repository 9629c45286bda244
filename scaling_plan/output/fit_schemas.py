"""The JSON output models of the commands that fit and test laws (fit, fit --form, fit --approach isoflop,
fit-downstream, backtest): split from schemas.py, which gathers every command's into one schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..choices import FitCriterion
from .fit_records import FIT_CONSTANTS, FRONTIER_CONSTANTS
from .records import SCHEMA_VERSION


class RecordModel(BaseModel):
    """A record of the JSON output: its fields and no others, and the schema version."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(description=f"output schema version ({SCHEMA_VERSION}); bumped on renames")


_Record = RecordModel


class _Diagnosed(_Record):
    """What the runs behind a fit can tell (diagnostics.py), in every fit's record."""

    n_distinct_params: int = Field(description="distinct model sizes")
    n_distinct_tokens: int = Field(description="distinct token counts")
    n_budgets: int = Field(description="distinct compute budgets (within 10% of each other's compute)")
    n_repeat_groups: int = Field(description="(N, D) points run more than once")
    seed_noise_log: float | None = Field(description="their pooled std of log loss; null without repeats")
    diagnostics: str | None = Field(description="what the runs cannot tell, or a lack of fit, in sentences; null")


_FIT_BOOTSTRAP = (
    "bootstrap_resamples", "bootstrap_seed", "bootstrap_converged", "interval_level",
    *(f"{name}_{part}" for name in FIT_CONSTANTS for part in ("low", "high", "se")),
)  # fmt: skip


FitOutput = create_model(  # type: ignore[call-overload]
    "FitOutput",
    __base__=_Diagnosed,
    runs_file=(str, ...),
    n_runs=(int, ...),
    n_runs_dropped=(int, ...),
    tokens_from_compute=(bool, Field(description="tokens were absent: D = C/(6N)")),
    form=(Literal["chinchilla"], Field(description="the law family: E + A/N^alpha + B/D^beta")),
    form_choice=(str | None, Field(description="--form auto: which family it chose and why; else null")),
    **{name: (float, ...) for name in FIT_CONSTANTS},
    objective=(float, Field(description="the criterion's sum at the optimum (Huber losses on log loss by default)")),
    criterion=(FitCriterion, Field(description="what the fit minimised")),
    huber_delta=(float | None, Field(description="Huber's delta on log loss (criterion huber; else null)")),
    asymmetry=(float | None, Field(description="an over-prediction's weight (criterion asymmetric; else null)")),
    weights_column=(str | None, Field(description="the column weighting each run (--weights; else null)")),
    n_starts=(int, ...),
    n_starts_at_best=(int, ...),
    converged=(bool, ...),
    iterations=(int, ...),
    residual_rmse_log=(float, ...),
    residual_max_log=(float, ...),
    **{f"{end}_{q}": (float, ...) for q in ("n_params", "n_tokens", "compute_flops") for end in ("min", "max")},
    **{key: (float | None, None) for key in _FIT_BOOTSTRAP},
)


class DownstreamFitOutput(_Record):
    """`fit-downstream --format json`: the form's constants (exponential: epsilon, k, gamma; sigmoid: l0, scale),
    with <constant>_low and _high from the bootstrap refits."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "patternProperties": {r"^(epsilon|k|gamma|l0|scale)(_low|_high)?$": {"type": "number"}},
            "additionalProperties": False,
        },
    )

    runs_file: str
    metric: str = Field(description="the column fitted")
    name: str = Field(description="short name: --downstream's fields are downstream_<name>")
    form: str = Field(description="exponential or sigmoid")
    formula: str
    loss_column: str
    loss_dataset: str
    n_runs: int
    n_runs_skipped: int = Field(description="runs without a loss or a metric yet")
    chance: float
    floor: float | None = Field(description="the sigmoid's lower asymptote; null for the exponential")
    ceiling: float
    chance_margin: float
    n_at_chance: int = Field(description="runs within chance_margin of chance")
    min_loss_nats: float
    max_loss_nats: float
    residual_rmse: float = Field(description="root mean square error of the metric")
    bootstrap_resamples: int | None = None
    bootstrap_seed: int | None = None
    bootstrap_kept: int | None = None
    interval_level: float | None = None


#: The constants of every family `fit --form` fits, and a compute family's allocation.
_FORM_CONSTANTS = r"k_n|a|alpha_n|alpha_d|n_c|d_c|E|A|B|alpha|beta|g|gamma|gamma_change|break_flops|sharpness"


class FormFitOutput(_Diagnosed):
    """`fit --form kaplan|compute|broken|moe --format json`: the family's constants (kaplan: alpha_n, alpha_d, n_c,
    d_c; compute: k_n, a, E, A, gamma; broken: those and gamma_change, break_flops, sharpness; moe: E, A, B, alpha,
    beta, g, gamma), each with <constant>_low, _high and _se from the bootstrap refits."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "patternProperties": {rf"^({_FORM_CONSTANTS})(_low|_high|_se)?$": {"type": "number"}},
            "additionalProperties": False,
        },
    )

    runs_file: str
    form: Literal["kaplan", "compute", "broken", "moe"]
    form_choice: str | None = Field(description="--form auto: which family it chose and why; else null")
    formula: str
    source: str
    n_runs: int
    n_runs_dropped: int
    n_runs_fitted: int = Field(description="the runs the law was fitted to (a compute family: each budget's best)")
    tokens_from_compute: bool
    objective: float = Field(description="the criterion's sum at the optimum")
    criterion: FitCriterion
    huber_delta: float | None
    asymmetry: float | None
    weights_column: str | None
    n_starts: int
    n_starts_at_best: int
    converged: bool
    iterations: int
    residual_rmse_log: float
    residual_max_log: float
    min_n_params: float
    max_n_params: float
    min_n_tokens: float
    max_n_tokens: float
    min_compute_flops: float
    max_compute_flops: float
    bootstrap_resamples: int | None = None
    bootstrap_seed: int | None = None
    bootstrap_converged: int | None = None
    interval_level: float | None = None


class ProfileRecord(_Record):
    budget_flops: float
    n_runs: int
    n_sizes: int
    min_n_params: float
    max_n_params: float
    optimal_n_params: float | None
    optimal_n_tokens: float | None
    optimal_loss_nats: float | None
    curvature: float | None = Field(description="the parabola's coefficient of (ln N)^2")
    used: bool
    left_out: str | None = Field(description="why the budget is not used, else null")


IsoflopFitOutput = create_model(  # type: ignore[call-overload]
    "IsoflopFitOutput",
    __base__=_Record,
    __doc__="`fit --approach isoflop --format json`: the frontier through the isoFLOP minima, and each budget.",
    approach=(str, Field(description="isoflop")),
    runs_file=(str, ...),
    n_runs=(int, ...),
    n_runs_dropped=(int, ...),
    budgets_from=(str, Field(description="column (a budget column) or compute (bucketed by --budget-rtol)")),
    budget_rtol=(float | None, ...),
    n_budgets=(int, ...),
    n_budgets_used=(int, ...),
    **{name: (float, ...) for name in FRONTIER_CONSTANTS},
    residual_rmse_log_n=(float, ...),
    residual_rmse_loss=(float, ...),
    min_budget_flops=(float, ...),
    max_budget_flops=(float, ...),
    bootstrap_resamples=(int | None, None),
    bootstrap_kept=(int | None, None),
    interval_level=(float | None, None),
    **{f"{name}_{end}": (float | None, None) for name in FRONTIER_CONSTANTS for end in ("low", "high")},
    budgets=(list[ProfileRecord], ...),
)


class PredictionRecord(_Record):
    split: str
    method: str = Field(description="as the score's")
    n_params: float
    n_tokens: float
    compute_flops: float
    loss_nats: float = Field(description="observed (isoflop: the held-out budget's own isoFLOP minimum)")
    predicted_loss_nats: float
    relative_error_pct: float = Field(description="100·(predicted - observed)/observed")


class ScoreRecord(_Record):
    split: str
    method: str = Field(
        description="parametric, kaplan, compute or broken (a criterion other than huber appended:"
        " 'parametric mse'), isoflop, or the law scored"
    )
    rank: int | None = Field(description="by mean |error| among the split's scores of the same targets; 1: the least")
    scored_on: str = Field(description="held-out runs, each held-out budget's best run, or held-out isoFLOP minima")
    n_train: int
    n_held_out: int
    max_train_flops: float
    max_held_out_flops: float
    compute_ratio: float = Field(description="largest held-out compute over largest training compute")
    n_predictions: int
    mean_abs_error_pct: float | None
    mean_signed_error_pct: float | None
    max_abs_error_pct: float | None
    note: str | None = Field(description="why there are no predictions (or the fit's problem), else null")
    constants: dict[str, float] = Field(description="what was fitted on the training runs; empty for a preset")
    predictions: list[PredictionRecord]


class BacktestOutput(_Record):
    """`backtest --format json`."""

    runs_file: str
    scores: list[ScoreRecord]
