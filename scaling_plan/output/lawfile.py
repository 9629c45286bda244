"""The law file fit writes: its data, written whole or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .fit_records import criterion_fields, value_range
from .records import Record

if TYPE_CHECKING:
    from ..downstream import DownstreamFit
    from ..families import FamilyFit
    from ..fitting import Bootstrap, Fit
    from ..inputs.runs import RunsTable, Selection
    from ..isoflop import IsoflopFit
    from .files import OutputFile


def law_file_data(
    selection: Selection, fit: Fit, bootstrap: Bootstrap | None, level: float, name: str, date: str
) -> Record:
    """The law file `fit --output` writes; `budget --law`, `sweep` and `compare` read it back (inputs.lawfile.load_law_file)."""
    runs, table = selection.runs, selection.table
    data: Record = {
        "name": name,
        "source": f"scaling-plan fit of {table.label} (Hoffmann et al. 2022 appendix D.2 procedure"
        + (")" if fit.criterion.kind == "huber" else f", by {fit.criterion.kind})"),
        "dataset": f"the data the runs in {table.label} were trained and evaluated on",
        "date": date,
        "E": fit.E,
        "A": fit.A,
        "B": fit.B,
        "alpha": fit.alpha,
        "beta": fit.beta,
        "fitted_range": {
            "compute_flops": value_range(runs.compute_flops),
            "n_params": value_range(runs.n_params),
            "n_tokens": value_range(runs.n_tokens),
        },
        "runs_fingerprint": runs_fingerprint(table),
        "procedure": {
            "method": f"{fit.criterion.describe()}, log-sum-exp form, L-BFGS from the paper's grid",
            "runs_file": table.label,
            "runs": len(runs),
            "runs_dropped": selection.n_dropped,
            "tokens_from_compute": table.tokens_from_compute,
            "criterion": fit.criterion.kind,
            **({"huber_delta": fit.criterion.huber_delta} if fit.criterion.kind == "huber" else {}),
            **({"asymmetry": fit.criterion.asymmetry} if fit.criterion.kind == "asymmetric" else {}),
            **({"weights_column": table.columns["weights"]} if "weights" in table.columns else {}),
            "starts": fit.n_starts,
            "starts_at_best": fit.n_starts_at_best,
            "objective": fit.objective,
            "residual_rmse_log": fit.residual_rmse,
            "converged": fit.converged,
        },
    }
    if bootstrap is not None:
        data["bootstrap"] = {
            "resamples": bootstrap.resamples,
            "seed": bootstrap.seed,
            "converged": bootstrap.n_converged,
            "level": level,
            "intervals": {k: list(v) for k, v in bootstrap.intervals(level).items()},
            "standard_errors": bootstrap.standard_errors(),
            "samples": [[float(v) for v in row] for row in bootstrap.samples],
        }
    return data


def form_file_data(
    selection: Selection, fit: FamilyFit, bootstrap: Bootstrap | None, level: float, name: str, date: str
) -> Record:
    """The law file `fit --form NAME --output` writes (families.FILE_KINDS: kaplan, or a frontier file for the
    compute families); --law reads it back (inputs.lawfile.law_of_data)."""
    import numpy as np

    from ..families import FAMILIES, FILE_KINDS

    runs, table, family = selection.runs, selection.table, FAMILIES[fit.form]
    kind = "parametric" if FILE_KINDS[fit.form] == "law" else FILE_KINDS[fit.form]  # a "law" is a parametric file
    used = np.array(fit.used, dtype=np.intp)
    allocation = {} if fit.allocation is None else dict(zip(("k_n", "a"), fit.allocation, strict=True))
    procedure: Record = {
        "method": f"{fit.criterion.describe()}, L-BFGS from a grid of starts",
        "runs_file": table.label,
        "runs": len(runs),
        "runs_dropped": selection.n_dropped,
        "tokens_from_compute": table.tokens_from_compute,
        **{key: value for key, value in criterion_fields(fit.criterion, table).items() if value is not None},
        "starts": fit.n_starts,
        "starts_at_best": fit.n_starts_at_best,
        "objective": fit.objective,
        "residual_rmse_log": fit.residual_rmse,
        "converged": fit.converged,
    }
    if family.on_frontier:
        procedure["budgets_fitted"] = len(used)
    compute = runs.compute_flops[used]
    mixture: Record = {}
    if fit.form == "moe":  # the runs' compute as the law counts it (eq. 10, the router's FLOPs too), and their E
        from ..moe import eq_10_flops_per_token

        assert runs.experts is not None and runs.granularity is not None
        expansion = float(runs.experts[0])
        compute = runs.n_tokens[used] * eq_10_flops_per_token(runs.n_params[used], runs.granularity[used], expansion)
        mixture = {"expansion": expansion}
    data: Record = {
        "kind": kind,
        "name": name,
        "source": f"scaling-plan fit --form {fit.form} of {table.label} ({family.source})",
        "dataset": f"the data the runs in {table.label} were trained and evaluated on",
        "date": date,
        **allocation,
        **fit.constants,
        **mixture,
        "fitted_range": {
            "compute_flops": value_range(compute),
            "n_params": value_range(runs.n_params[used]),
            "n_tokens": value_range(runs.n_tokens[used]),
        },
        "runs_fingerprint": runs_fingerprint(table),
        "procedure": procedure,
    }
    if bootstrap is not None:
        summary: Record = {"resamples": bootstrap.resamples, "seed": bootstrap.seed}
        summary |= {"kept": len(bootstrap.samples)} if family.on_frontier else {"converged": bootstrap.n_converged}
        summary |= {"level": level, "intervals": {k: list(v) for k, v in bootstrap.intervals(level).items()}}
        summary |= {} if family.on_frontier else {"standard_errors": bootstrap.standard_errors()}
        summary["samples"] = [[float(v) for v in row] for row in bootstrap.samples]
        data["bootstrap"] = summary
    return data


def runs_fingerprint(table: RunsTable) -> Record:
    """The runs a law was fitted on, as its file keeps them (RunsTable.fingerprint): suggest checks its runs are they."""
    count, digest = table.fingerprint
    return {"runs": count, "sha256": digest}


def frontier_file_data(selection: Selection, fit: IsoflopFit, level: float, name: str, date: str) -> Record:
    """The frontier file `fit --approach isoflop --output` writes; `--law` reads it back (kind: frontier)."""
    from .fit_records import isoflop_record

    record = isoflop_record(selection, fit, level)
    frontier, table = fit.frontier, selection.table
    data: Record = {
        "kind": "frontier",
        "name": name,
        "source": f"scaling-plan isoFLOP fit of {table.label} (Hoffmann et al. 2022 Approach 2)",
        "dataset": f"the data the runs in {table.label} were trained and evaluated on",
        "date": date,
        "k_n": frontier.k_n,
        "a": frontier.a,
        "E": frontier.E,
        "A": frontier.A,
        "gamma": frontier.gamma,
        "fitted_range": {
            "compute_flops": list(fit.compute_range_flops),
            "n_params": value_range(selection.runs.n_params),
            "n_tokens": value_range(selection.runs.n_tokens),
        },
        "runs_fingerprint": runs_fingerprint(table),
        "procedure": {
            "method": "a parabola of loss in ln N per budget; power law through the minima; L_opt = E + A·C^-gamma",
            "runs_file": table.label,
            "runs": len(selection.runs),
            "budgets": record["n_budgets"],
            "budgets_used": record["n_budgets_used"],
            "budget_rtol": fit.budget_rtol,
            "residual_rmse_log_n": fit.residual_rmse_log_n,
            "residual_rmse_loss": fit.residual_rmse_loss,
        },
    }
    if fit.samples:
        data["bootstrap"] = {
            "resamples": fit.n_resamples,
            "seed": fit.seed,
            "kept": len(fit.samples),
            "level": level,
            "intervals": {k: [record[f"{k}_low"], record[f"{k}_high"]] for k in ("k_n", "a", "E", "A", "gamma")},
            "samples": [[float(v) for v in row] for row in fit.samples],
        }
    return data


def downstream_file_data(
    table: RunsTable, name: str, fit: DownstreamFit, level: float, dataset: str, date: str
) -> Record:
    """The downstream file `fit-downstream --output` writes; --downstream reads it back (inputs.downstream_file)."""
    from ..downstream import CONSTANT_NAMES
    from .fit_records import DOWNSTREAM_FORMULAS

    data: Record = {
        "kind": "downstream",
        "name": name,
        "metric": table.columns["metric"],
        "form": fit.form,
        "source": f"scaling-plan fit-downstream of {table.label}: {DOWNSTREAM_FORMULAS[fit.form]}",
        "dataset": dataset,
        "date": date,
        "constants": dict(zip(CONSTANT_NAMES[fit.form], fit.constants, strict=True)),
        "chance": fit.chance,
        "floor": fit.floor,
        "ceiling": fit.ceiling,
        "fitted_range": {"loss_nats": list(fit.loss_range_nats)},
        "procedure": {
            "method": "least squares on the metric, Levenberg-Marquardt from a grid start",
            "runs_file": table.label,
            "loss_column": table.columns["loss"],
            "runs": fit.n_runs,
            "chance_margin": fit.margin,
            "runs_at_chance": fit.n_at_chance,
            "residual_rmse": fit.residual_rmse,
        },
    }
    if fit.samples is not None and len(fit.samples):
        data["bootstrap"] = {
            "resamples": fit.resamples,
            "seed": fit.seed,
            "kept": len(fit.samples),
            "level": level,
            "intervals": {k: list(v) for k, v in fit.intervals(level).items()},
            "samples": [[float(v) for v in row] for row in fit.samples],
        }
    return data


def write_yaml(output: OutputFile, data: Mapping[str, Any]) -> None:
    """Write YAML whole or not at all (files.OutputFile.write)."""
    import yaml

    text = yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)

    output.write(lambda handle: handle.write(text.encode("utf-8")))
