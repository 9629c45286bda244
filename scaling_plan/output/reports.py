"""Views of the report commands (compare, check, laws and gpus, fit, experiments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from ..units import counted
from .fields import DAY_KEYS, TEXT_KEYS, downstream_cell, humanise, in_hours, in_unit, label, signed
from .fit_records import (
    BACKTEST_KEYS,
    DOWNSTREAM_BACKTEST_KEYS,
    EXPERIMENT_KEYS,
    FIT_CONSTANTS,
    FRONTIER_CONSTANTS,
    PREDICTION_KEYS,
    SUGGESTED_KEYS,
)
from .records import COMPARED_KEYS, SCHEMA_VERSION, Record
from .tables import notes_shown, print_grid, print_key_values, print_rows
from .writers import Report, write_markdown, write_report

if TYPE_CHECKING:
    from ..diagnostics import Diagnostics
    from ..families import FamilyFit
    from ..fitting import Fit
    from ..inputs.runs import Selection
    from ..laws import ParametricLaw


def _compare_grid(records: Sequence[Record]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for the people-facing compare: a row per quantity, a column per config."""
    headers = ["", *(record["config"] for record in records)]
    rows = [
        ["Compared", *(record["subject"] for record in records)],
        ["Allocation / law", *(f"{record['method']} / {record['law']}" for record in records)],
    ]
    if any(record["change"] is not None for record in records):
        rows.insert(1, ["Change", *(record["change"] or "-" for record in records)])
    metrics = [key for key in records[0] if key.startswith("downstream_") and f"delta_{key}" in records[0]]
    for key in [*COMPARED_KEYS, *metrics]:
        if all(record[key] is None for record in records):
            continue
        hours = key in DAY_KEYS and in_hours(record[key] for record in records)  # one unit per row of quantities
        cells = [label(key, hours)]
        for record in records:
            cell = downstream_cell(record, key) if key in metrics else humanise(key, record[key], hours)
            delta, pct = record[f"delta_{key}"], record.get(f"delta_{key}_pct")
            if record["baseline"] != record["config"] and delta is not None:
                change = "same" if delta == 0 else signed(key, delta, hours) + ("" if pct is None else f", {pct:+.1f}%")
                cell += f" ({change})"
            cells.append(cell)
        rows.append(cells)
    return headers, rows


def emit_compare(
    records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str], failed: Sequence[str] = ()
) -> None:
    """The configs side by side; `failed` are the configs that could not be compared, each with its error (said
    in the markdown whatever --quiet says: a pull request's reader must see them)."""
    headers, rows = _compare_grid(records)
    bases = sorted({record["baseline"] for record in records}, key=[r["config"] for r in records].index)
    title = "Configs compared; deltas (absolute, %) against " + ", ".join(bases)

    def markdown(out: IO[str]) -> None:
        out.write(f"### scaling-plan compare\n\n{title}.\n\n")
        if failed:
            out.write("**Not compared:**\n\n" + "".join(f"- {error}\n" for error in failed) + "\n")
        write_markdown(headers, rows, out)
        if notes_shown():
            out.write("\n" + "".join(f"- {note}\n" for note in notes))

    def table(out: IO[str]) -> None:
        print_grid(title, headers, rows, notes, out)

    document = {"schema_version": SCHEMA_VERSION, "configs": list(records)}
    write_report(Report(records, document, table, markdown), output_format, out)


def emit_unchanged(paths: Sequence[str], base_ref: str, output_format: str, out: IO[str]) -> None:
    """`compare --base-ref` over folders in which no config differs from the base: said, not an error."""
    message = f"No config in {', '.join(paths)} differs from {base_ref}."

    def markdown(out: IO[str]) -> None:
        out.write(f"### scaling-plan compare\n\n{message}\n")

    def table(out: IO[str]) -> None:
        out.write(message + "\n")

    document = {"schema_version": SCHEMA_VERSION, "configs": []}
    write_report(Report([], document, table, markdown), output_format, out)


CHECK_KEYS = ("config", "rule", "status", "measured", "limit", "message")


def emit_check(records: Sequence[Record], output_format: str, out: IO[str]) -> None:
    def measured(record: Record) -> list[str | None]:
        """The measured value and the limit, each in the rule's unit ($1.03M, 16.8 days): rules share the columns."""
        return [None if record[key] is None else in_unit(record[key], record["unit"]) for key in ("measured", "limit")]

    statuses = ("pass", "fail", "error", "skipped")
    counts = {status: sum(record["status"] == status for record in records) for status in statuses}
    summary = (
        f"{counts['fail']} failed, {counts['pass']} passed"
        + (f", {counts['error']} could not be checked" if counts["error"] else "")
        + (f", {counts['skipped']} without a policy" if counts["skipped"] else "")
    )

    def markdown(out: IO[str]) -> None:
        out.write(f"### scaling-plan check: {summary}\n\n")
        marks = {"pass": "pass", "fail": "**FAIL**", "error": "**ERROR**", "skipped": "skipped"}
        rows = [
            [record["config"], record["rule"] or "-", marks[record["status"]], *(cell or "-" for cell in measured(record)),
             record["message"]]
            for record in records
        ]  # fmt: skip
        text = frozenset(i for i, key in enumerate(CHECK_KEYS) if key in TEXT_KEYS)
        write_markdown([label(key) for key in CHECK_KEYS], rows, out, text)

    def table(out: IO[str]) -> None:
        shown = [
            record
            | {"status": record["status"].upper()}
            | dict(zip(("measured", "limit"), measured(record), strict=True))
            for record in records
        ]
        print_rows(f"Policy check: {summary}", shown, CHECK_KEYS, [], out)

    document = {"schema_version": SCHEMA_VERSION, "summary": counts, "results": list(records)}
    write_report(Report(records, document, table, markdown), output_format, out)


def emit_listing(
    title: str, key: str, records: Sequence[Record], table_keys: Sequence[str], output_format: str, out: IO[str]
) -> None:
    """A list of presets: JSON nests the records under `key`; CSV gives a row each; the table shows table_keys."""

    def table(out: IO[str]) -> None:
        print_rows(title, records, table_keys, [], out)

    write_report(Report(records, {"schema_version": SCHEMA_VERSION, key: list(records)}, table), output_format, out)


def diagnostic_notes(diagnosed: Diagnostics) -> list[str]:
    """What the runs behind a fit can tell, and each finding, as notes."""
    counts = (f"{counted(diagnosed.n_distinct_params, 'size')}, {counted(diagnosed.n_distinct_tokens, 'token count')},"
              f" {counted(diagnosed.n_budgets, 'budget')}")  # fmt: skip
    if diagnosed.seed_noise_log is None:
        noise = "; no point run more than once, so no seed-to-seed noise to judge the residuals by"
    elif diagnosed.seed_noise_log == 0:
        noise = (f"; {counted(diagnosed.n_repeat_groups, 'point')} run more than once with the same loss each time"
                 " (rows written twice?), so no seed-to-seed noise to judge the residuals by")  # fmt: skip
    else:
        noise = (f"; seed-to-seed noise {diagnosed.seed_noise_log:.3g} of log loss, from"
                 f" {counted(diagnosed.n_repeat_groups, 'point')} run more than once")  # fmt: skip
    return [f"Runs hold {counts}{noise}.", *(f"Diagnostic: {finding}." for finding in diagnosed.findings)]


def _weighted(columns: dict[str, str]) -> str:
    return f", each run weighted by its {columns['weights']!r}," if "weights" in columns else ""


def fit_notes(selection: Selection, fit: Fit) -> list[str]:
    table = selection.table
    notes = [
        f"Runs: {len(selection.runs)} from {table.label} ({selection.n_dropped} left out by the filters);"
        f" columns {', '.join(f'{role}={column!r}' for role, column in table.columns.items())}.",
        f"Fit: minimum of {fit.criterion.describe()}{_weighted(table.columns)} over {fit.n_starts:,} starts"
        f" ({fit.criterion.source}); {fit.n_starts_at_best:,} reached the best optimum.",
    ]
    if table.tokens_from_compute:
        notes.append("Tokens were not given: D = C / (6·N) from the compute column.")
    return notes


#: What `fit --form` shows: any family's constants (a compute family's allocation first), then the diagnostics.
FORM_FIT_KEYS = ("k_n", "a", "alpha_n", "alpha_d", "n_c", "d_c", "E", "A", "B", "alpha", "beta", "rd_star", "rn_star",
                 "g", "gamma", "gamma_change", "break_flops", "sharpness", "objective", "criterion", "n_starts_at_best", "converged", "residual_rmse_log",
                 "residual_max_log", "n_runs", "n_runs_fitted", "min_compute_flops", "max_compute_flops")  # fmt: skip


def form_fit_notes(selection: Selection, fit: FamilyFit, base: ParametricLaw | None = None) -> list[str]:
    """How a family's fit was made; `base`: the law a data-constrained fit held."""
    from ..families import FAMILIES

    table, family = selection.table, FAMILIES[fit.form]
    notes = [
        f"Law: {family.formula} ({family.source}).",
        f"Runs: {len(selection.runs)} from {table.label} ({selection.n_dropped} left out by the filters);"
        f" columns {', '.join(f'{role}={column!r}' for role, column in table.columns.items())}.",
        f"Fit: minimum of {fit.criterion.describe()}{_weighted(table.columns)} over {fit.n_starts:,} starts;"
        f" {fit.n_starts_at_best:,} reached the best optimum.",
    ]
    if family.on_frontier:
        notes.append(
            f"A function of compute alone: fitted to the best run of each of the {len(fit.used)} budgets; N_opt ="
            " k_n·C^a is the least-squares line through their ln N against ln C, and D_opt = C/(6·N_opt)."
        )
    elif fit.form == "data-constrained":
        runs = selection.runs
        assert runs.unique_tokens is not None  # the fit read them
        once = int((runs.n_tokens <= runs.unique_tokens * (1 + 1e-9)).sum())
        first = (
            f"held at {base.name}'s"
            if base is not None
            else f"fitted first to the {once} runs that see their data once"
        )
        notes.append(
            f"Two steps, as Muennighoff et al. 2023 fitted it: E, A, B, alpha and beta {first}, then R_D* and R_N* to"
            " every run with those held. N' and D': a run's parameters and tokens worth counting when its unique"
            " tokens U repeat (D' = U·(1 + R_D*·(1 - e^(-R_D/R_D*))), R_D = D/U - 1; N' likewise past the"
            " compute-optimal N for U). Plan with it under a cap: --unique-tokens."
        )
    elif fit.form == "moe":
        notes.append(
            "N: each run's active non-embedding parameters, counted in the law as the mixture's total, N_act·(8E +"
            " 4)/12 at the runs' expansion E (Krajewski et al. 2024, sec. 3 and 5). Planning with it allocates N_act,"
            " D and the granularity by its own optimum under their eq. 10 FLOPs (the router's included)."
        )
    else:
        notes.append("Planning with it allocates by its own optimum under C = 6·N·D (not Kaplan's Table 6).")
    if table.tokens_from_compute:
        notes.append("Tokens were not given: D = C / (6·N) from the compute column.")
    return notes


def emit_form_fit(record: Record, notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    def table(out: IO[str]) -> None:
        shown = dict(record)
        keys = []
        for key in FORM_FIT_KEYS:
            if key not in record or (key == "n_runs_fitted" and record[key] == record["n_runs"]):
                continue
            keys.append(key)
            if f"{key}_low" in record:
                shown[f"{key}_interval"] = f"{record[key + '_low']:.4g} - {record[key + '_high']:.4g}"
                keys.append(f"{key}_interval")
        title = f"Fitted {record['form']} law: {record['formula']}"
        if "interval_level" in record:
            title += (
                f" ({record['interval_level']:.0%} intervals from {record['bootstrap_resamples']} bootstrap refits)"
            )
        print_key_values(title, shown, keys, notes, out)

    write_report(Report([record], record, table), output_format, out)


def emit_fit(record: Record, notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    def table(out: IO[str]) -> None:
        shown = dict(record)
        if "interval_level" in record:
            for name in FIT_CONSTANTS:
                shown[f"{name}_interval"] = f"{record[name + '_low']:.4g} - {record[name + '_high']:.4g}"
        keys = [key for name in FIT_CONSTANTS for key in (name, f"{name}_interval")]
        keys += ["objective", "n_starts_at_best", "converged", "residual_rmse_log", "residual_max_log", "n_runs"]
        keys += ["min_compute_flops", "max_compute_flops"]
        title = "Fitted law: L = E + A/N^alpha + B/D^beta"
        if "interval_level" in record:
            title += (
                f" ({record['interval_level']:.0%} intervals from {record['bootstrap_resamples']} bootstrap refits)"
            )
        print_key_values(title, shown, keys, notes, out)

    write_report(Report([record], record, table), output_format, out)


def emit_downstream_fit(record: Record, output_format: str, out: IO[str]) -> None:
    from ..downstream import CONSTANT_NAMES

    names = CONSTANT_NAMES[str(record["form"])]
    shown_as = {"gamma": "metric_gamma"}  # the frontier's gamma is another quantity with its own label

    def table(out: IO[str]) -> None:
        shown = dict(record)
        keys = ["metric", "form"]
        for name in names:
            key = shown_as.get(name, name)
            shown[key] = record[name]
            keys.append(key)
            if "interval_level" in record:
                shown[f"{key}_interval"] = (
                    f"{humanise(key, record[name + '_low'])} - {humanise(key, record[name + '_high'])}"
                )
                keys.append(f"{key}_interval")
        keys += ["chance", "floor", "ceiling", "n_at_chance", "residual_rmse", "n_runs", "min_loss_nats",
                 "max_loss_nats"]  # fmt: skip
        title = f"Fitted {record['name']}, {record['form']} form"
        if "interval_level" in record:
            title += f" ({record['interval_level']:.0%} intervals from {record['bootstrap_kept']} bootstrap refits)"
        notes = [
            f"Form: {record['formula']}.",
            f"Runs: {record['n_runs']:,} from {record['runs_file']}, loss from its {record['loss_column']} column"
            f" ({record['loss_dataset']}).",
            f"Chance: {record['chance']:g}; {record['n_at_chance']} of {record['n_runs']} runs score within"
            f" {record['chance_margin']:g} of it.",
            f"A loss outside {record['min_loss_nats']:.4g} to {record['max_loss_nats']:.4g} (the runs' own) is an"
            " extrapolation, and predictions from it say so.",
        ]
        print_key_values(title, shown, keys, notes, out)

    write_report(Report([record], record, table), output_format, out)


def emit_suggestion(document: Record, output_format: str, out: IO[str]) -> None:
    """The runs to train next, with what each is expected to do to the interval at the target."""
    from ..design import CANDIDATE_EPOCHS, CANDIDATE_GRANULARITIES
    from ..units import format_scientific

    runs = document["runs"]
    low_g, high_g = min(CANDIDATE_GRANULARITIES), max(CANDIDATE_GRANULARITIES)
    epochs_shown = ", ".join(f"{epochs:g}" for epochs in CANDIDATE_EPOCHS)
    quantity = "N_opt" if document["objective"] == "n-opt" else "L_opt"
    key = "n_params" if document["objective"] == "n-opt" else "loss_nats"
    labels = {"run": "Run", "budget_flops": "Budget (FLOPs)", "n_params": "N", "n_tokens": "D",
              "tokens_per_param": "D/N", "granularity": "G", "unique_tokens": "U", "epochs": "Epochs",
              "gpu_hours": "GPU-hours", "expected_relative_width": "Width after"}  # fmt: skip

    def table(out: IO[str]) -> None:
        value = humanise(key, document["value"])
        interval = f"{humanise(key, document['value_low'])} - {humanise(key, document['value_high'])}"
        title = (
            f"Next {document['n_runs']} runs for {document['law']}: {quantity} at"
            f" {format_scientific(document['target_flops'])} FLOPs is {value} ({interval},"
            f" {document['interval_level']:.0%}), relative width {document['relative_width']:.3g} now,"
            f" {document['expected_relative_width']:.3g} expected after them"
        )
        mixture = bool(runs) and "granularity" in runs[0]  # a mixture of experts' runs: N active, at a granularity
        repeating = bool(runs) and "unique_tokens" in runs[0]  # a law fitted with repetition's: on unique tokens
        shown = {"gpu_hours": document["gpu"] is not None, "granularity": mixture, "unique_tokens": repeating,
                 "epochs": repeating}  # fmt: skip
        keys = [k for k in SUGGESTED_KEYS if shown.get(k, True)]
        budget = "none" if document["budget_flops"] is None else format_scientific(document["budget_flops"])
        profiles = document["design"] == "isoflop profiles"
        candidates = (
            f"{document['n_candidates']:,} budgets, each an isoFLOP profile of 5 sizes from N*/4 to 4·N*,"
            if profiles
            else f"{document['n_candidates']:,} candidates (sizes N*/4 to 4·N*"
            + (f" of active parameters at granularities {low_g} to {high_g} and expansion {runs[0]['expansion']:g}, D"
               " from Krajewski et al. 2024's eq. 10 FLOPs," if mixture else "")
            + (f", each on its tokens' unique share for {epochs_shown} epochs," if repeating else "")
            + " at budgets"
        )  # fmt: skip
        notes = [
            "Width = (high - low) / value of the bootstrap interval at the target; 'Width after' is what adding the"
            f" {'profiles' if profiles else 'runs'} down to that row is expected to leave (a linearised optimal"
            f" design: each new measurement's information J·J^T/sigma^2, sigma = {document['noise']:.3g}, the RMS"
            f" residual of {document['noise_of']} about the fit).",
            f"Chosen one at a time from {candidates} up to the per-run cap of"
            f" {format_scientific(document['max_run_flops'])} FLOPs{'' if profiles else ')'}; total cap {budget};"
            f" {format_scientific(document['total_flops'])} FLOPs in all.",
            "Train them, fill in loss_nats (-o writes them as a runs file, as experiments does), refit, and suggest"
            " again until the width is small enough (--max-relative-width exits 1 until it is).",
        ]
        print_rows(title, runs, keys, notes, out, labels)

    write_report(Report(runs, document, table), output_format, out)


def emit_experiments(records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    def table(out: IO[str]) -> None:
        print_rows(f"IsoFLOP grid: {counted(len(records), 'run')} to train", records, EXPERIMENT_KEYS, notes, out)

    write_report(Report(records, {"schema_version": SCHEMA_VERSION, "runs": list(records)}, table), output_format, out)


def emit_simulated(records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    """`simulate`: the grid's runs with their simulated losses."""
    repeats = any(record["repeat"] > 1 for record in records)
    keys = [*EXPERIMENT_KEYS, "loss_nats", *(("repeat",) if repeats else ())]

    def table(out: IO[str]) -> None:
        print_rows(f"Simulated: {counted(len(records), 'run')}", records, keys, notes, out)

    write_report(Report(records, {"schema_version": SCHEMA_VERSION, "runs": list(records)}, table), output_format, out)


#: The budgets of an isoFLOP fit, as its table shows them.
PROFILE_KEYS = ("budget_flops", "n_runs", "n_sizes", "optimal_n_params", "optimal_n_tokens", "optimal_loss_nats",
                "curvature", "left_out")  # fmt: skip


def isoflop_notes(record: Record) -> list[str]:
    grouped = (
        "from its budget_flops column"
        if record["budgets_from"] == "column"
        else f"by compute: runs within {record['budget_rtol']:.0%} of a bucket's smallest compute share a budget"
        " (--budget-rtol)"
    )
    return [
        f"Runs: {record['n_runs']:,} from {record['runs_file']}; each run's budget {grouped}.",
        "Per budget: a parabola of loss in ln N, its vertex the budget's optimum (Hoffmann et al. 2022, Approach 2);"
        " a budget is used when the parabola opens upward with its vertex inside the sizes trained.",
        "Frontier: least squares of ln N_opt on ln C; D_opt = C/(6·N_opt), so b = 1 - a and k_d = 1/(6·k_n);"
        " L_opt = E + A·C^-gamma through the budgets' minimum losses (E kept at or above 0).",
    ]


def emit_isoflop(record: Record, notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    budgets = list(record["budgets"])

    def table(out: IO[str]) -> None:
        shown = dict(record)
        keys = []
        for name in FRONTIER_CONSTANTS:
            keys.append(name)
            if f"{name}_low" in record:
                shown[f"{name}_interval"] = f"{record[name + '_low']:.4g} - {record[name + '_high']:.4g}"
                keys.append(f"{name}_interval")
        keys += ["n_budgets", "n_budgets_used", "residual_rmse_log_n", "residual_rmse_loss"]
        keys += ["min_budget_flops", "max_budget_flops"]
        title = "Fitted frontier: N_opt = k_n·C^a, D_opt = k_d·C^b, L_opt = E + A·C^-gamma"
        if "interval_level" in record:
            title += f" ({record['interval_level']:.0%} intervals from {record['bootstrap_kept']} bootstrap refits)"
        print_key_values(title, shown, keys, [], out)
        labels = {"n_runs": "Runs", "optimal_n_params": "N_opt", "optimal_n_tokens": "D_opt",
                  "optimal_loss_nats": "Minimum loss"}  # fmt: skip
        print_rows("IsoFLOP profiles, one per budget", budgets, PROFILE_KEYS, notes, out, labels)

    write_report(Report(budgets, record, table), output_format, out)


def emit_backtest(
    records: Sequence[Record],
    runs_file: str,
    output_format: str,
    out: IO[str],
    downstream: Sequence[Record] = (),
) -> None:
    """The summary per split and method; for one split, each held-out prediction too (all of them in JSON and CSV).
    With downstream scores, their summary too; in CSV their predictions follow the loss's, in the same columns."""
    predictions = [row for record in records for row in record["predictions"]]
    metric_rows = [row for record in downstream for row in record["predictions"]]
    if metric_rows:  # one CSV: every row has every column, empty where it does not apply
        columns = list(dict.fromkeys(key for row in [*predictions, *metric_rows] for key in row))
        predictions = [{key: row.get(key) for key in columns} for row in [*predictions, *metric_rows]]
    splits = list(dict.fromkeys(record["split"] for record in records))
    labels = {"compute_ratio": "Reach (x compute)", "method": "Predicted by", "predicted_loss_nats": "Predicted",
              "loss_nats": "Observed"}  # fmt: skip
    notes = [
        "Error % = 100·(predicted - observed)/observed loss. Reach: largest held-out compute over largest training"
        " compute. isoflop predicts each held-out budget's minimum loss (its own parabola), not single runs.",
    ]

    # a rank says something among several fits of a split; what was scored, when not every held-out run
    shown = [key for key in BACKTEST_KEYS
             if not (key == "rank" and all((record["rank"] or 1) == 1 for record in records))
             and not (key == "scored_on" and all(record["scored_on"] == "held-out runs" for record in records))]  # fmt: skip

    def table(out: IO[str]) -> None:
        title = f"Backtest of {runs_file}: fitted on the smaller runs, scored on the held-out larger ones"
        print_rows(title, records, tuple(shown), [] if len(splits) == 1 else notes, out, labels)
        loss_rows = [row for row in predictions if row.get("relative_error_pct") is not None]
        if len(splits) == 1 and loss_rows:
            print_rows("Held-out predictions", loss_rows, PREDICTION_KEYS[1:], notes, out, labels,
                       lead=("n_params", "n_tokens"))  # fmt: skip
        if downstream:
            rows = [record | {"metric": record["name"]} for record in downstream]
            print_rows("Downstream metrics: refitted on the training runs, scored on the held-out ones", rows,
                       DOWNSTREAM_BACKTEST_KEYS, downstream_notes, out, labels)  # fmt: skip

    downstream_notes = [
        "Errors are predicted minus observed, in the metric's own units (0.01 is one point of accuracy). From the"
        " loss: observed, the run's own loss (the second step alone); else the loss that fit predicted for the run"
        " (both steps, as a plan makes them).",
    ]
    document = {"schema_version": SCHEMA_VERSION, "runs_file": runs_file, "scores": list(records)}
    if downstream:
        document["downstream_scores"] = list(downstream)
    write_report(Report(predictions, document, table), output_format, out)


#: `predict` of several runs: each run's row, ranked.
CANDIDATE_KEYS = (
    "rank_by_loss", "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats", "loss_gap_nats",
    "compute_overhead_pct", "rank_by_compute", "gpu_hours", "cost_usd",
)  # fmt: skip


def ranked(records: Sequence[Record]) -> list[Record]:
    """Each run's record with its rank by predicted loss and by compute (1: the lowest; ties keep their order)."""
    by_loss = sorted(range(len(records)), key=lambda i: records[i]["loss_nats"])
    by_compute = sorted(range(len(records)), key=lambda i: records[i]["compute_flops"])
    return [
        record | {"rank_by_loss": by_loss.index(i) + 1, "rank_by_compute": by_compute.index(i) + 1}
        for i, record in enumerate(records)
    ]


def emit_candidates(records: Sequence[Record], notes: Sequence[str], output_format: str, out: IO[str]) -> None:
    """`predict` of several runs (--params 7B,13B --tokens 2T,1T): each run's prediction, ranked by loss and by
    compute; one JSON document holding them, a CSV row each."""
    rows = ranked(records)
    document = {"schema_version": SCHEMA_VERSION, "law": rows[0]["law"], "candidates": rows}

    def table(out: IO[str]) -> None:
        keys = [key for key in CANDIDATE_KEYS if any(row[key] is not None for row in rows)]
        shown = sorted(rows, key=lambda row: row["rank_by_loss"])
        print_rows(f"{len(rows)} runs under {rows[0]['law']}, by predicted loss", shown, keys, notes, out)

    write_report(Report(rows, document, table), output_format, out)
