"""The fit and backtest commands' entries of the one table of output fields (catalog.py), and the type of an entry.

Split from catalog.py for its length only: catalog.FIELDS holds these with every other field, one name, one meaning.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

#: What a field measures. Its JSON type follows (text: a string, flag: a boolean, count: an integer, else a number),
#: and how a table shows it (fields.py's FORMATS, one format per unit).
Unit = Literal[
    "text", "flag", "count",
    "FLOPs", "FLOP/s", "parameters", "tokens", "tokens/parameter", "epochs", "GPU-hours", "days", "USD", "USD/GPU-hour",
    "nats", "bits", "score", "exponent", "constant", "%", "fraction", "ratio", "bytes", "GiB", "W", "MWh", "tCO2e",
    "gCO2e/kWh", "number", "seconds", "tokens/s", "USD/Mtok", "kWh",
]  # fmt: skip


class Field(NamedTuple):
    """One output field. `digits`: a table's significant digits (or decimals) where the unit's default does not suit;
    `signed`: a change, shown with its sign; `null`: may be null (unknown, or not applicable) in a record that has it;
    `shown`: a row of its record's table."""

    name: str
    unit: Unit
    label: str
    description: str = ""
    group: str = ""
    digits: int | None = None
    signed: bool = False
    null: bool = False
    shown: bool = False


F = Field

#: What fit, fit --form, fit --approach isoflop, fit-downstream, backtest, predict and simulate write besides plans.
FIT_FIELDS: tuple[Field, ...] = (
    F("n_distinct_params", "count", "Distinct sizes"),
    F("n_distinct_tokens", "count", "Distinct token counts"),
    F("n_repeat_groups", "count", "Points run more than once"),
    F("seed_noise_log", "constant", "Seed-to-seed noise (std of log loss)"),
    F("diagnostics", "text", "Diagnostics"),
    F("frontier_exponent", "exponent", "Frontier exponent a = beta/(alpha+beta)"),
    F("objective", "constant", "Objective (the criterion's sum)", digits=6),
    F("criterion", "text", "Criterion"),
    F("huber_delta", "constant", "Huber delta"),
    F("asymmetry", "constant", "Over-prediction weight"),
    F("weights_column", "text", "Weights column"),
    F("n_runs_fitted", "count", "Runs the law was fitted to"),
    F("form_choice", "text", "Why this form"),
    F("rank", "count", "Rank", "by mean |error| among the split's fits scored on the same runs (1: the least)"),
    F("scored_on", "text", "Scored on"),
    F("gamma_change", "exponent", "gamma_change: the slope's change past the break"),
    F("break_flops", "FLOPs", "break_flops: where the slope turns"),
    F("sharpness", "constant", "sharpness of the break"),
    F("n_starts_at_best", "count", "Starts reaching the best optimum"),
    F("residual_rmse_log", "constant", "RMSE of log loss"),
    F("residual_max_log", "constant", "Largest |log residual|"),
    F("n_runs", "count", "Runs fitted"),
    F("min_compute_flops", "FLOPs", "Smallest run (FLOPs)"),
    F("max_compute_flops", "FLOPs", "Largest run (FLOPs)"),
    F("expected_optimal_n_params", "parameters", "Expected optimal N"),
    F("E", "nats", "E"),
    F("A", "constant", "A", digits=5),
    F("B", "constant", "B", digits=5),
    F("alpha", "exponent", "alpha"),
    F("beta", "exponent", "beta"),
    F("k_n", "constant", "k_n in N_opt = k_n·C^a"),
    F("a", "exponent", "a"),
    F("k_d", "constant", "k_d in D_opt = k_d·C^b"),
    F("b", "exponent", "b"),
    F("g", "constant", "g", digits=5),
    F("gamma", "exponent", "gamma"),
    F("n_sizes", "count", "Sizes"),
    F("curvature", "constant", "Curvature"),
    F("n_budgets", "count", "Budgets found"),
    F("min_budget_flops", "FLOPs", "Smallest budget used (FLOPs)"),
    F("max_budget_flops", "FLOPs", "Largest budget used (FLOPs)"),
    F("n_budgets_used", "count", "Budgets used"),
    F("residual_rmse_log_n", "constant", "RMSE of ln N_opt"),
    F("residual_rmse_loss", "constant", "RMSE of minimum loss"),
    F("over_budget_pct", "%", "Over the budget", signed=True),
    F("epsilon", "score", "epsilon in Err = epsilon - k·exp(-gamma·L)"),
    F("k", "constant", "k"),
    F("metric_gamma", "exponent", "gamma"),
    F("l0", "nats", "L0, the loss at the midpoint"),
    F("scale", "nats", "s, the loss over which it rises"),
    F("chance", "constant", "Chance level"),
    F("floor", "constant", "Floor"),
    F("ceiling", "constant", "Ceiling"),
    F("n_at_chance", "count", "Runs within the margin of chance"),
    F("residual_rmse", "score", "RMSE of the metric"),
    F("min_loss_nats", "nats", "Lowest loss fitted (nats/token)"),
    F("max_loss_nats", "nats", "Highest loss fitted (nats/token)"),
    F("measured", "number", "Measured"),
    F("limit", "number", "Limit"),
    F("predicted_loss_nats", "nats", "Predicted loss (nats/token)"),
    F("relative_error_pct", "%", "Error", digits=2, signed=True),
    F("mean_signed_error_pct", "%", "Mean error", digits=2, signed=True),
    F("mean_abs_error_pct", "%", "Mean |error|", digits=2),
    F("max_abs_error_pct", "%", "Largest |error|", digits=2),
    F("compute_ratio", "number", "Compute ratio"),
    F("expected_relative_width", "constant", "Width after", digits=3),
    F("mean_abs_error", "score", "Mean |error|"),
    F("mean_signed_error", "score", "Mean error", signed=True),
    F("max_abs_error", "score", "Largest |error|"),
    F("n_train", "count", "Trained on", "runs the law was fitted on"),
    F("n_held_out", "count", "Held out", "runs it was scored on"),
    F("loss_from", "text", "From the loss", "observed: the run's own loss; fitted: the loss the fitted law predicts"),
    F("note", "text", "Note"),
    F("alpha_n", "exponent", "alpha_N"),
    F("alpha_d", "exponent", "alpha_D"),
    F("n_c", "constant", "N_c"),
    F("d_c", "constant", "D_c"),
    F("frontier_n_coefficient", "constant", "Frontier coefficient of N"),
    F("frontier_n_exponent", "exponent", "Frontier exponent of N"),
    F("rd_star", "constant", "R_D*"),
    F("repeat", "count", "Repeat", "simulate: which copy of the run (each its own noise, as a seed)"),
    F("rank_by_loss", "count", "Rank by loss", "1 for the lowest predicted loss of the runs given"),
    F("rank_by_compute", "count", "Rank by compute", "1 for the least compute of the runs given"),
    F("rn_star", "constant", "R_N*"),
)
