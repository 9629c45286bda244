"""Records of the commands that fit, test and design runs (fit, fit --approach isoflop, fit-downstream, backtest,
experiments, suggest): flat dicts of plain values with units in the names, as records.py's are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..laws import FLOPS_PER_PARAM_TOKEN
from .records import SCHEMA_VERSION, Record

if TYPE_CHECKING:
    from ..backtest import DownstreamScore, Score
    from ..budget import Hardware
    from ..design import Suggestion
    from ..diagnostics import Diagnostics
    from ..downstream import DownstreamFit
    from ..experiments import Experiment
    from ..families import FamilyFit
    from ..fitting import Bootstrap, Criterion, Fit
    from ..inputs.runs import RunsTable, Selection
    from ..isoflop import IsoflopFit, Profile
    from ..simulate import SimulatedRun


FIT_CONSTANTS = ("E", "A", "B", "alpha", "beta", "frontier_exponent")


def value_range(values: Any) -> list[float]:
    return [float(values.min()), float(values.max())]


def criterion_fields(criterion: Criterion, table: RunsTable) -> Record:
    """What a fit minimised: its criterion, Huber's delta or the asymmetry where they apply, and the weights column."""
    return {
        "criterion": criterion.kind,
        "huber_delta": criterion.huber_delta if criterion.kind == "huber" else None,
        "asymmetry": criterion.asymmetry if criterion.kind == "asymmetric" else None,
        "weights_column": table.columns.get("weights"),
    }


def form_fit_record(
    selection: Selection,
    fit: FamilyFit,
    bootstrap: Bootstrap | None,
    level: float,
    choice: str | None,
    diagnostics: Diagnostics,
) -> Record:
    """A fit of another law family (fit --form): its constants (and a compute family's allocation k_n, a), what
    it minimised, diagnostics, and bootstrap intervals when there are any."""
    from ..families import FAMILIES

    family = FAMILIES[fit.form]
    allocation = {} if fit.allocation is None else dict(zip(("k_n", "a"), fit.allocation, strict=True))
    heading: Record = {
        "schema_version": SCHEMA_VERSION, "runs_file": selection.table.label, "form": fit.form, "form_choice": choice,
        "formula": family.formula, "source": family.source, "n_runs": len(selection.runs),
        "n_runs_dropped": selection.n_dropped, "n_runs_fitted": len(fit.used),
        "tokens_from_compute": selection.table.tokens_from_compute,
    }  # fmt: skip
    return _fitted(heading | allocation | fit.constants, selection, fit, bootstrap, level, diagnostics)


def fit_record(
    selection: Selection,
    fit: Fit,
    bootstrap: Bootstrap | None,
    level: float,
    choice: str | None,
    diagnostics: Diagnostics,
) -> Record:
    """A fit's constants, objective and diagnostics, and bootstrap intervals when there are any."""
    heading: Record = {
        "schema_version": SCHEMA_VERSION, "runs_file": selection.table.label, "n_runs": len(selection.runs),
        "n_runs_dropped": selection.n_dropped, "tokens_from_compute": selection.table.tokens_from_compute,
        "form": "chinchilla", "form_choice": choice,
    }  # fmt: skip
    constants = dict(zip(FIT_CONSTANTS, (*fit.constants, fit.frontier_exponent), strict=True))
    return _fitted(heading | constants, selection, fit, bootstrap, level, diagnostics)


def _fitted(
    record: Record,
    selection: Selection,
    fit: Fit | FamilyFit,
    bootstrap: Bootstrap | None,
    level: float,
    diagnostics: Diagnostics,
) -> Record:
    """A fit's record (its heading and constants given) with what it minimised, the optimiser's report, what the
    runs can tell (diagnostics.py), the runs' ranges and the bootstrap's intervals and standard errors of every
    constant it refitted."""
    runs, table = selection.runs, selection.table
    record = record | {
        "objective": fit.objective, **criterion_fields(fit.criterion, table), "n_starts": fit.n_starts,
        "n_starts_at_best": fit.n_starts_at_best, "converged": fit.converged, "iterations": fit.iterations,
        "residual_rmse_log": fit.residual_rmse, "residual_max_log": fit.residual_max,
        "n_distinct_params": diagnostics.n_distinct_params, "n_distinct_tokens": diagnostics.n_distinct_tokens,
        "n_budgets": diagnostics.n_budgets, "n_repeat_groups": diagnostics.n_repeat_groups,
        "seed_noise_log": diagnostics.seed_noise_log, "diagnostics": "; ".join(diagnostics.findings) or None,
    }  # fmt: skip
    for name, values in (("n_params", runs.n_params), ("n_tokens", runs.n_tokens),
                         ("compute_flops", runs.compute_flops)):  # fmt: skip
        record[f"min_{name}"], record[f"max_{name}"] = value_range(values)
    if bootstrap is not None:
        intervals, errors = bootstrap.intervals(level), bootstrap.standard_errors()
        record.update(
            {"bootstrap_resamples": bootstrap.resamples, "bootstrap_seed": bootstrap.seed,
             "bootstrap_converged": bootstrap.n_converged, "interval_level": level}
        )  # fmt: skip
        for name in intervals:
            record[f"{name}_low"], record[f"{name}_high"] = intervals[name]
            record[f"{name}_se"] = errors[name]
    return record


#: The formula of each downstream form, as tables and files say it.
DOWNSTREAM_FORMULAS = {
    "exponential": "metric = 1 - epsilon + k·exp(-gamma·L) (Gadre et al. 2024: Err = epsilon - k·exp(-gamma·L))",
    "sigmoid": "metric = floor + (ceiling - floor)·sigmoid(-(L - L0)/s)",
}


def downstream_fit_record(table: RunsTable, name: str, fit: DownstreamFit, level: float, dataset: str) -> Record:
    """A downstream fit: the metric and form, its constants (with intervals from the refits), and how the runs sat
    against chance."""
    from ..downstream import CONSTANT_NAMES

    record: Record = {
        "schema_version": SCHEMA_VERSION,
        "runs_file": table.label,
        "metric": table.columns["metric"],
        "name": name,
        "form": fit.form,
        "formula": DOWNSTREAM_FORMULAS[fit.form],
        "loss_column": table.columns["loss"],
        "loss_dataset": dataset,
        "n_runs": fit.n_runs,
        "n_runs_skipped": len(table.without_loss) + len(table.without_metric),
        "chance": fit.chance,
        "floor": fit.floor if fit.form == "sigmoid" else None,
        "ceiling": fit.ceiling,
        "chance_margin": fit.margin,
        "n_at_chance": fit.n_at_chance,
        "min_loss_nats": fit.loss_range_nats[0],
        "max_loss_nats": fit.loss_range_nats[1],
        "residual_rmse": fit.residual_rmse,
    }
    record |= dict(zip(CONSTANT_NAMES[fit.form], fit.constants, strict=True))
    intervals = fit.intervals(level)
    if intervals:
        assert fit.samples is not None
        record |= {"bootstrap_resamples": fit.resamples, "bootstrap_seed": fit.seed,
                   "bootstrap_kept": len(fit.samples), "interval_level": level}  # fmt: skip
        for constant, (low, high) in intervals.items():
            record[f"{constant}_low"], record[f"{constant}_high"] = low, high
    return record


EXPERIMENT_KEYS = ("run", "budget_flops", "n_params", "n_tokens", "tokens_per_param", "expected_optimal_n_params")


def experiment_records(experiments: Sequence[Experiment]) -> list[Record]:
    """One row per run to train; `loss_nats` is left empty for the trainer to fill in, and `fit` reads it back."""
    return [
        {
            "schema_version": SCHEMA_VERSION,
            "run": e.run,
            "budget_flops": e.budget_flops,
            "n_params": int(e.n_params),  # whole, as a trainer's config takes them
            "n_tokens": int(e.n_tokens),
            "tokens_per_param": e.tokens_per_param,
            "expected_optimal_n_params": e.expected_optimal_n_params,
            "loss_nats": None,
        }
        for e in experiments
    ]


def simulated_records(runs: Sequence[SimulatedRun]) -> list[Record]:
    """`simulate`: experiments' rows with their loss filled in, and each copy's repeat number."""
    return [
        record | {"loss_nats": run.loss_nats, "repeat": run.repeat}
        for run, record in zip(runs, experiment_records([run.experiment for run in runs]), strict=True)
    ]


#: A suggested run, as suggest's table shows it.
SUGGESTED_KEYS = ("run", "budget_flops", "n_params", "n_tokens", "tokens_per_param", "granularity", "unique_tokens",
                  "epochs", "gpu_hours", "expected_relative_width")  # fmt: skip


def suggested_runs_file(suggestion: Suggestion) -> list[Record]:
    """The suggested runs as the rows of a runs file to fill in: exactly the rows experiments writes, and a mixture of
    experts' granularity and expansion (the columns fit --form moe reads), or a law fitted with repetition's unique
    tokens and epochs (fit --form data-constrained reads the unique tokens)."""
    from ..experiments import Experiment

    rows = experiment_records(
        [
            Experiment(r.run, r.budget_flops, r.n_params, r.n_tokens, r.expected_optimal_n_params)
            for r in suggestion.runs
        ]
    )
    if any(run.unique_tokens is not None for run in suggestion.runs):
        return [
            row | {"unique_tokens": round(run.unique_tokens or 0), "epochs": run.epochs}
            for row, run in zip(rows, suggestion.runs, strict=True)
        ]
    if suggestion.expansion is None:
        return rows
    return [
        row | {"granularity": round(run.granularity or 0), "expansion": _plain(suggestion.expansion)}
        for row, run in zip(rows, suggestion.runs, strict=True)
    ]


def _plain(value: float) -> float | int:
    """A whole number as one (64, not 64.0), as a runs file writes it."""
    return int(value) if value.is_integer() else value


#: The columns of a runs file (inputs.runs' roles) that a mixture of experts' or a law fitted with repetition's runs
#: fill, and the keys of a run to train that fill them.
OTHER_ROLES = {"granularity": "granularity", "experts": "expansion", "unique": "unique_tokens"}


def runs_file_rows(rows: Sequence[Record], table: RunsTable) -> list[list[str]] | None:
    """Runs to train (rows as experiments writes them) as rows of the runs file `table` was read from, a cell under
    each of its columns: N, D (or the compute 6·N·D) and the budget in the columns it reads them from, a column named
    as one of experiments' fields filled as experiments fills it, and every other cell (the loss among them) empty,
    so that the rows append to the file. None for a JSON file, to which CSV rows do not append."""
    if table.separator is None:
        return None
    roles = table.columns
    made = []
    for row in rows:
        by_role = {roles["params"]: row["n_params"]} | (
            {roles["budget"]: row["budget_flops"]} if "budget" in roles else {}
        )
        by_role |= {roles[role]: row[key] for role, key in OTHER_ROLES.items() if role in roles and key in row}
        if "tokens" in roles:
            by_role[roles["tokens"]] = row["n_tokens"]
        else:  # C = 6·N·D: the compute the run spends
            by_role[roles["flops"]] = FLOPS_PER_PARAM_TOKEN * row["n_params"] * row["n_tokens"]
        by_name = {key.casefold(): value for key, value in row.items()}
        cells = []
        for column in table.header:
            value = by_role[column] if column in by_role else by_name.get(column.strip().casefold())
            cells.append("" if value is None or column == roles["loss"] else _cell(value, table.decimal_comma))
        made.append(cells)
    return made


def _cell(value: Any, decimal_comma: bool) -> str:
    """A number as the runs file writes its numbers: plainly, with a decimal comma where it uses one."""
    text = str(value) if isinstance(value, (int, str)) else repr(float(value))
    return text.replace(".", ",") if decimal_comma and not isinstance(value, str) else text


def suggestion_document(suggestion: Suggestion, runs_file: str, law: str, hardware: Hardware | None,
                        max_relative_width: float | None) -> Record:  # fmt: skip
    """suggest's JSON: the quantity at the target, its interval now and expected after the runs, and the runs (each
    an experiments row, with its GPU-hours and the width expected once it is added)."""

    runs = suggested_runs_file(suggestion)
    for record, run in zip(runs, suggestion.runs, strict=True):
        record["gpu_hours"] = None if hardware is None else hardware.gpu_hours(run.budget_flops)
        record["expected_relative_width"] = run.expected_relative_width
    low, high = suggestion.interval
    return {
        "schema_version": SCHEMA_VERSION,
        "runs_file": runs_file,
        "law": law,
        "objective": suggestion.objective,
        "target_flops": suggestion.target_flops,
        "value": suggestion.value,
        "value_low": low,
        "value_high": high,
        "interval_level": suggestion.level,
        "relative_width": suggestion.relative_width,
        "expected_relative_width": suggestion.expected_relative_width,
        "max_relative_width": max_relative_width,
        "narrow_enough": None if max_relative_width is None else suggestion.relative_width <= max_relative_width,
        "n_runs": len(suggestion.runs),
        "total_flops": suggestion.total_flops,
        "total_gpu_hours": None if hardware is None else hardware.gpu_hours(suggestion.total_flops),
        "max_run_flops": suggestion.max_run_flops,
        "budget_flops": suggestion.budget_flops,
        "design": suggestion.design,
        "noise": suggestion.noise,
        "noise_of": suggestion.noise_of,
        "n_candidates": suggestion.n_candidates,
        "gpu": None if hardware is None else hardware.gpu.name,
        "runs": runs,
    }


#: A frontier's constants, as isoFLOP fits and frontier law files name them.
FRONTIER_CONSTANTS = ("k_n", "a", "k_d", "b", "E", "A", "gamma")


def _frontier_constants(k_n: float, a: float, e: float, big_a: float, gamma: float) -> dict[str, float]:
    return {"k_n": k_n, "a": a, "k_d": 1.0 / (6.0 * k_n), "b": 1.0 - a, "E": e, "A": big_a, "gamma": gamma}


def profile_record(profile: Profile) -> Record:
    """One budget of an isoFLOP fit: its parabola's minimum, or why it was left out."""
    return {
        "schema_version": SCHEMA_VERSION,
        "budget_flops": profile.budget_flops,
        "n_runs": profile.n_runs,
        "n_sizes": profile.n_sizes,
        "min_n_params": profile.min_n_params,
        "max_n_params": profile.max_n_params,
        "optimal_n_params": profile.optimal_n_params,
        "optimal_n_tokens": profile.optimal_n_tokens,
        "optimal_loss_nats": profile.optimal_loss_nats,
        "curvature": profile.curvature,
        "used": profile.left_out is None,
        "left_out": profile.left_out,
    }


def isoflop_record(selection: Selection, fit: IsoflopFit, level: float) -> Record:
    """An isoFLOP fit: the frontier's constants (with bootstrap intervals), its residuals, and each budget."""
    import numpy as np

    frontier = fit.frontier
    record: Record = {
        "schema_version": SCHEMA_VERSION,
        "approach": "isoflop",
        "runs_file": selection.table.label,
        "n_runs": len(selection.runs),
        "n_runs_dropped": selection.n_dropped,
        "budgets_from": "column" if fit.budget_rtol is None else "compute",
        "budget_rtol": fit.budget_rtol,
        "n_budgets": len(fit.profiles),
        "n_budgets_used": len(fit.kept),
        **_frontier_constants(frontier.k_n, frontier.a, frontier.E, frontier.A, frontier.gamma),
        "residual_rmse_log_n": fit.residual_rmse_log_n,
        "residual_rmse_loss": fit.residual_rmse_loss,
        "min_budget_flops": fit.compute_range_flops[0],
        "max_budget_flops": fit.compute_range_flops[1],
    }
    if fit.samples:
        tail = 100 * (1 - level) / 2
        rows = [_frontier_constants(*sample) for sample in fit.samples]
        record |= {"bootstrap_resamples": fit.n_resamples, "bootstrap_kept": len(fit.samples), "interval_level": level}
        for name in FRONTIER_CONSTANTS:
            low, high = np.percentile([row[name] for row in rows], [tail, 100 - tail])
            record |= {f"{name}_low": float(low), f"{name}_high": float(high)}
    record["budgets"] = [profile_record(profile) for profile in fit.profiles]
    return record


#: A backtest's summary of one way of predicting on one split.
BACKTEST_KEYS = (
    "split",
    "method",
    "rank",
    "scored_on",
    "n_train",
    "n_held_out",
    "compute_ratio",
    "mean_abs_error_pct",
    "mean_signed_error_pct",
    "max_abs_error_pct",
)  # fmt: skip (a score's note goes to stderr)
#: One held-out run (or budget minimum) and its prediction.
PREDICTION_KEYS = ("split", "method", "n_params", "n_tokens", "compute_flops", "loss_nats", "predicted_loss_nats",
                   "relative_error_pct")  # fmt: skip


def prediction_records(score: Score) -> list[Record]:
    return [
        {
            "schema_version": SCHEMA_VERSION, "split": score.split, "method": score.method,
            "n_params": p.n_params, "n_tokens": p.n_tokens, "compute_flops": p.compute_flops, "loss_nats": p.loss_nats,
            "predicted_loss_nats": p.predicted_loss_nats, "relative_error_pct": p.relative_error_pct,
        }
        for p in score.predictions
    ]  # fmt: skip


#: A downstream backtest's summary per split, metric and starting loss, as its table shows it.
DOWNSTREAM_BACKTEST_KEYS = (
    "split", "metric", "loss_from", "n_train", "n_held_out", "mean_abs_error", "mean_signed_error", "max_abs_error",
    "note",
)  # fmt: skip


def downstream_score_record(score: DownstreamScore) -> Record:
    """A downstream backtest score: the metric refitted on the training runs, and its errors on the held-out runs."""
    return {
        "schema_version": SCHEMA_VERSION,
        "split": score.split,
        "name": score.name,
        "metric": score.metric,
        "loss_from": score.loss_from,
        "n_train": score.n_train,
        "n_held_out": score.n_held_out,
        "n_predictions": len(score.predictions),
        "mean_abs_error": score.mean_abs_error,
        "mean_signed_error": score.mean_signed_error,
        "max_abs_error": score.max_abs_error,
        "note": score.note,
        "constants": dict(score.constants),
        "predictions": [
            {
                "schema_version": SCHEMA_VERSION, "split": score.split, "method": f"{score.name} from {score.loss_from}",
                "n_params": p.n_params, "n_tokens": p.n_tokens, "compute_flops": p.compute_flops,
                "loss_nats": p.loss_nats, "from_loss_nats": p.from_loss_nats, "observed_metric": p.metric,
                "predicted_metric": p.predicted_metric, "metric_error": p.error,
            }
            for p in score.predictions
        ],
    }  # fmt: skip


def score_record(score: Score) -> Record:
    """A backtest score: the split, what was fitted, the errors, and each prediction."""
    return {
        "schema_version": SCHEMA_VERSION,
        "split": score.split,
        "method": score.method,
        "rank": score.rank,
        "scored_on": score.scored_on,
        "n_train": score.n_train,
        "n_held_out": score.n_held_out,
        "max_train_flops": score.max_train_flops,
        "max_held_out_flops": score.max_held_out_flops,
        "compute_ratio": score.compute_ratio,
        "n_predictions": len(score.predictions),
        "mean_abs_error_pct": score.mean_abs_error_pct,
        "mean_signed_error_pct": score.mean_signed_error_pct,
        "max_abs_error_pct": score.max_abs_error_pct,
        "note": score.note,
        "constants": dict(score.constants),
        "predictions": prediction_records(score),
    }
