"""Your own law: fit and backtest."""

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..choices import Approach, BacktestApproach, FitForm, OutputFormat
from ..errors import UsageError
from ..status import ExitStatus
from .app import command, fail, warn, warn_all, wrote
from .images import image_file, image_kind, plotting
from .options import (
    PANEL_COLUMNS,
    PANEL_FIT,
    PANEL_OUTPUT,
    PANEL_SELECTION,
    WRITTEN_WHOLE,
    AsymmetryOption,
    BootstrapOption,
    CriterionOption,
    ExpertsColOption,
    FlopsColOption,
    GranularityColOption,
    HuberDeltaOption,
    IntervalOption,
    LossColOption,
    ParamsColOption,
    QuietOption,
    RequireCompleteOption,
    SeedOption,
    SkipInvalidOption,
    TokensColOption,
    UniqueColOption,
    WeightsOption,
    WhereOption,
    complete_law,
    format_option,
    option,
)

if TYPE_CHECKING:
    from ..output.files import OutputFile


@command(
    (
        ("Fit a law to your runs", "scaling-plan fit runs.csv"),
        ("With 90% intervals, written as a law file", "scaling-plan fit runs.csv --bootstrap 100 -o my-law.yaml"),
        ("Plan with the fitted law", "scaling-plan budget --flops 1e22 --law my-law.yaml --method law"),
        ("The law family that best predicts your largest runs", "scaling-plan fit runs.csv --form auto"),
    )
)
def fit(
    runs: Annotated[
        str,
        typer.Argument(help="Runs file: CSV, TSV or JSON Lines ('-' for stdin).", show_default=False, metavar="RUNS"),
    ],
    params_col: ParamsColOption = None,
    tokens_col: TokensColOption = None,
    flops_col: FlopsColOption = None,
    loss_col: LossColOption = None,
    require_complete: RequireCompleteOption = False,
    budget_col: Annotated[
        str | None,
        option(
            "IsoFLOP budget column (budget_flops, budget); without one, budgets come from compute.",
            PANEL_COLUMNS,
            "COLUMN",
        ),
    ] = None,
    unique_col: UniqueColOption = None,
    granularity_col: GranularityColOption = None,
    experts_col: ExpertsColOption = None,
    form: Annotated[
        FitForm,
        option(
            "The law family: chinchilla (E + A/N^alpha + B/D^beta), kaplan (Kaplan et al. 2020 eq. 1.5), compute"
            " (L = E + A·C^-gamma along the frontier), broken (a broken power law in compute, Caballero et al."
            " 2023), data-constrained (Muennighoff et al. 2023: runs that repeat their unique tokens) or moe"
            " (Krajewski et al. 2024: mixtures of experts, N active, with their granularity); compute and broken are"
            " fitted to each budget's best run. auto: the one that best predicts the largest"
            " budgets' runs from the rest, said in the notes.",
            PANEL_FIT,
            "FORM",
        ),
    ] = "chinchilla",
    base_law: Annotated[
        str | None,
        option(
            "data-constrained: hold E, A, B, alpha and beta at this law (a preset or law file) and fit R_D* and R_N*"
            " alone, as Muennighoff et al. held theirs (default: fitted first to the runs that see their data once).",
            PANEL_FIT,
            "NAME|PATH",
        ),
    ] = None,
    approach: Annotated[
        Approach,
        option(
            "parametric: L(N, D) = E + A/N^alpha + B/D^beta (Approach 3); isoflop: a parabola per budget and the"
            " frontier through the minima (Approach 2).",
            PANEL_FIT,
        ),
    ] = "parametric",
    budget_rtol: Annotated[
        str | None,
        option(
            "isoflop, compute and broken without a budget column: runs within this relative compute of a bucket's"
            " smallest share a budget (default 0.1).",  # experiments.BUDGET_RTOL_DEFAULT; a test holds them equal
            PANEL_FIT,
            "FRACTION",
        ),
    ] = None,
    drop_top_loss: Annotated[
        int,
        typer.Option(
            min=0, help="Leave out the K highest-loss runs (outliers).", rich_help_panel=PANEL_SELECTION, metavar="K"
        ),
    ] = 0,
    min_flops: Annotated[str | None, option("Leave out runs below this compute.", PANEL_SELECTION, "FLOPS")] = None,
    max_flops: Annotated[str | None, option("Leave out runs above this compute.", PANEL_SELECTION, "FLOPS")] = None,
    criterion: CriterionOption = "huber",
    huber_delta: HuberDeltaOption = None,
    asymmetry: AsymmetryOption = None,
    weights: WeightsOption = None,
    where: WhereOption = None,
    skip_invalid: SkipInvalidOption = False,
    bootstrap: BootstrapOption = 0,
    seed: SeedOption = 42,
    interval: IntervalOption = 90.0,
    allow_unconverged: Annotated[
        bool,
        typer.Option(
            "--allow-unconverged",
            help="Exit 0 and write the law even if the fit did not converge.",
            rich_help_panel=PANEL_FIT,
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the fitted law to this YAML file (for --law)." + WRITTEN_WHOLE,
            rich_help_panel=PANEL_OUTPUT,
            metavar="PATH",
        ),
    ] = None,
    name: Annotated[
        str | None, option("Name of the law in the written file (default: the file's name).", PANEL_OUTPUT, "NAME")
    ] = None,
    plot_path: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw the fit's residuals against compute and against tokens per parameter, with the runs'"
            " seed-to-seed noise when repeats give one, to a .png or .svg (the plot extra)." + WRITTEN_WHOLE,
            rich_help_panel=PANEL_OUTPUT,
            metavar="PATH",
        ),
    ] = None,
    output_format: Annotated[OutputFormat, format_option()] = "table",
    quiet: QuietOption = False,
) -> None:
    """Fit a scaling law to your own runs (L = E + A/N^alpha + B/D^beta, or --form), with bootstrap intervals.

    The procedure of Hoffmann et al. 2022 (appendix D.2): the sum of Huber losses on log loss, from their grid of
    4,500 starts; --criterion chooses another sum. Exit codes: 0 fitted; 1 the fit did not converge (unless
    --allow-unconverged); 2 bad input.
    """
    import datetime

    from ..answers import law_fit_of
    from ..answers_fit import (
        base_law_of,
        chosen_form,
        criterion_of,
        diagnostics_of,
        form_fit_of,
        only_parametric,
        residuals_of,
    )
    from ..families import FamilyFit
    from ..fitting import Fit
    from ..inputs.runs import read_runs, select_runs, where_items
    from ..inputs.values import positive_number
    from ..output.files import output_file
    from ..output.fit_records import fit_record, form_fit_record
    from ..output.lawfile import form_file_data, law_file_data, write_yaml
    from ..output.reports import diagnostic_notes, emit_fit, emit_form_fit, fit_notes, form_fit_notes
    from ..output.tables import without_notes

    chosen = criterion_of(criterion, huber_delta, asymmetry)
    if approach == "isoflop":
        only_parametric(criterion, huber_delta, asymmetry, weights)
        if form != "chinchilla":
            raise UsageError("--form", "applies to --approach parametric (isoflop fits Chinchilla's frontier)")
    low = None if min_flops is None else positive_number(min_flops, "--min-flops")
    high = None if max_flops is None else positive_number(max_flops, "--max-flops")
    out_file = None
    if output is not None:
        if not output.lower().endswith((".yaml", ".yml")):
            raise UsageError("--output", f"a law file is YAML: give a name ending in .yaml or .yml, not {output!r}")
        out_file = output_file(output, "--output", [(runs, "the runs file")])
    figure = None if plot_path is None else image_file(plot_path, "--plot", [(runs, "the runs file"), (output, "-o")])
    drawing = None if plot_path is None else plotting()
    if figure is not None and approach == "isoflop":
        raise UsageError("--plot", "draws a parametric fit's residuals; plot an isoFLOP fit's law with `plot`")
    table = read_runs(runs, params_col, tokens_col, flops_col, loss_col, require_complete, budget_col,
                      weights_col=weights, where=where_items(where or []), skip_invalid=skip_invalid,
                      unique_col=unique_col, granularity_col=granularity_col, experts_col=experts_col)  # fmt: skip
    warn_all(table.warnings())
    selection = select_runs(table, drop_top_loss, low, high)
    from ..experiments import BUDGET_RTOL_DEFAULT  # here, not at the top: experiments is not needed to start

    rtol = BUDGET_RTOL_DEFAULT if budget_rtol is None else positive_number(budget_rtol, "--budget-rtol")
    if approach == "isoflop":
        _fit_isoflop(selection, rtol, bootstrap, seed, interval / 100, out_file, name, output_format, quiet)
        return

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rbootstrap: {done:,}/{total:,} refits")
            sys.stderr.write("\n" if done == total else "")

    level = interval / 100
    law_name = name or (os.path.splitext(os.path.basename(output))[0] if output is not None else "fitted")
    today = datetime.date.today().isoformat()
    base = base_law_of(form, base_law)
    family, choice = chosen_form(selection, form, chosen, rtol)
    told = [] if choice is None else [f"Form: {choice}."]
    fitted: Fit | FamilyFit
    if family == "chinchilla":
        fitted, samples, said, problem = law_fit_of(selection, chosen, bootstrap, seed, progress)
    else:
        fitted, samples, said, problem = form_fit_of(selection, family, chosen, bootstrap, seed, rtol, progress, base)
    warn_all(said)
    diagnosed = diagnostics_of(selection, fitted, rtol)
    with without_notes(quiet):
        if isinstance(fitted, Fit):
            data = law_file_data(selection, fitted, samples, level, law_name, today)
            emit_fit(fit_record(selection, fitted, samples, level, choice, diagnosed),
                     [*told, *fit_notes(selection, fitted), *diagnostic_notes(diagnosed)], output_format,
                     sys.stdout)  # fmt: skip
        else:
            data = form_file_data(selection, fitted, samples, level, law_name, today)
            emit_form_fit(form_fit_record(selection, fitted, samples, level, choice, diagnosed),
                          [*told, *form_fit_notes(selection, fitted, base), *diagnostic_notes(diagnosed)],
                          output_format,
                          sys.stdout)  # fmt: skip
    if drawing is not None and figure is not None:
        used, residual = residuals_of(selection, fitted)
        drawing.plot_residuals(used, residual, diagnosed.seed_noise_log, f"{family} fit", figure)
        wrote(figure.path, f"{image_kind(figure)} figure of the fit's residuals")
    if problem is not None and not allow_unconverged:
        sys.stdout.flush()
        fail(f"{runs}: {problem} (use --allow-unconverged to keep it anyway)", ExitStatus.FAILED)
    if problem is not None:
        warn(f"{runs}: {problem}")
    _check_law_file(data, runs, out_file)
    if out_file is not None:
        write_yaml(out_file, data)
        kept = f", {len(samples.samples):,} bootstrap samples" if samples is not None else ""
        constants = ", ".join(samples.names if samples is not None else [k for k in data if k in _CONSTANT_KEYS])
        wrote(out_file.path, f"law {law_name!r}: {constants}{kept}; use it with --law {out_file.path}")


#: The constants a law file holds, of every kind fit writes, in the order they are said.
_CONSTANT_KEYS = ("E", "A", "B", "alpha", "beta", "k_n", "a", "alpha_n", "alpha_d", "n_c", "d_c", "g", "gamma", "gamma_change",
                  "break_flops", "sharpness")  # fmt: skip


def _check_law_file(data: Any, runs: str, output: "OutputFile | None") -> None:
    """A fit whose file --law would refuse is not written (-o: one line, exit 2); without -o, a warning says so."""
    from ..answers import law_file_refusal, law_file_warning

    refusal = law_file_refusal(data)
    if refusal is None:
        return
    sys.stdout.flush()
    if output is not None:
        raise UsageError(output.where, f"{output.path} not written: {refusal}, and --law would refuse it")
    warn(law_file_warning(runs, refusal))


def _fit_isoflop(
    selection: Any,
    rtol: float,
    resamples: int,
    seed: int,
    level: float,
    output: "OutputFile | None",
    name: str | None,
    output_format: str,
    quiet: bool,
) -> None:
    """fit --approach isoflop: the profiles and the frontier, each left-out budget named, and the frontier file."""
    import datetime

    from ..answers import isoflop_fit_of
    from ..output.fit_records import isoflop_record
    from ..output.lawfile import frontier_file_data, write_yaml
    from ..output.reports import emit_isoflop, isoflop_notes
    from ..output.tables import without_notes

    result, warnings = isoflop_fit_of(selection, rtol, resamples, seed, "--bootstrap")
    warn_all(warnings)
    record = isoflop_record(selection, result, level)
    with without_notes(quiet):
        emit_isoflop(record, isoflop_notes(record), output_format, sys.stdout)
    law_name = name or (os.path.splitext(os.path.basename(output.path))[0] if output is not None else "fitted")
    data = frontier_file_data(selection, result, level, law_name, datetime.date.today().isoformat())
    _check_law_file(data, selection.table.label, output)
    if output is not None:
        write_yaml(output, data)
        kept = f", {len(result.samples):,} bootstrap samples" if result.samples else ""
        wrote(
            output.path, f"frontier {law_name!r}: k_n, a, E, A, gamma{kept}; plan with --law {output.path} --method law"
        )


@command(
    (
        ("Fit on the runs up to 1e21 FLOPs, predict the larger ones", "scaling-plan backtest runs.csv --holdout-above 1e21"),
        ("Both approaches and a published law on the same held-out runs",
         "scaling-plan backtest runs.csv --holdout-top 20 --approach both --law epoch-2024"),
        ("Each decade of compute as the cutoff in turn", "scaling-plan backtest runs.csv --rolling -f csv"),
        ("The same, drawn: predicted against observed, and the error against compute",
         "scaling-plan backtest runs.csv --rolling --plot backtest.png"),
    )
)  # fmt: skip
def backtest(
    runs: Annotated[
        str,
        typer.Argument(help="Runs file, as fit reads it.", show_default=False, metavar="RUNS"),
    ],
    holdout_above: Annotated[
        str | None, option("Hold out the runs above this compute.", PANEL_SELECTION, "FLOPS")
    ] = None,
    holdout_params_above: Annotated[
        str | None, option("Hold out the models above this size, whatever their tokens.", PANEL_SELECTION, "PARAMS")
    ] = None,
    holdout_top: Annotated[int | None, option("Hold out the K largest runs by compute.", PANEL_SELECTION, "K")] = None,
    rolling: Annotated[
        bool,
        typer.Option(
            "--rolling",
            help="Each power of ten of compute as the cutoff in turn: fit on every run below, score the decade above"
            " (runs grouped by budget first, so no budget is cut in two).",
            rich_help_panel=PANEL_SELECTION,
        ),
    ] = False,
    approach: Annotated[
        BacktestApproach,
        option("Fitted predictions to score: parametric (Approach 3), isoflop (Approach 2) or both.", PANEL_FIT),
    ] = "parametric",
    form: Annotated[
        str,
        option(
            "Law families to fit and rank on the same held-out runs, as fit's --form: one, several"
            " (chinchilla,kaplan) or all (with data-constrained when the runs give unique tokens, moe when they give"
            " a granularity and an expansion). With compute or broken among them, every family is scored on each"
            " held-out budget's best run.",
            PANEL_FIT,
            "NAMES",
        ),
    ] = "chinchilla",
    criterion: Annotated[
        str,
        option(
            "What the parametric fit minimises, as fit's --criterion; several (huber,mse,mae,asymmetric) or all to"
            " score each on the same held-out runs.",
            PANEL_FIT,
            "NAMES",
        ),
    ] = "huber",
    law: Annotated[
        list[str] | None,
        typer.Option(
            "--law",
            help="Also score a published law (or law file) on the held-out runs; repeat for several.",
            rich_help_panel=PANEL_FIT,
            metavar="NAME|PATH",
            autocompletion=complete_law,
        ),
    ] = None,
    budget_rtol: Annotated[
        str | None,
        option(
            "isoflop without a budget column: the budget tolerance, as fit takes it (default 0.1).",
            PANEL_FIT,
            "FRACTION",
        ),
    ] = None,
    params_col: ParamsColOption = None,
    tokens_col: TokensColOption = None,
    flops_col: FlopsColOption = None,
    loss_col: LossColOption = None,
    where: WhereOption = None,
    skip_invalid: SkipInvalidOption = False,
    downstream: Annotated[
        list[str] | None,
        typer.Option(
            "--downstream",
            help="A downstream file: refit its metric on the training runs and score the held-out runs' metric, from"
            " their own loss and from each fit's predicted loss; repeat for more.",
            rich_help_panel=PANEL_FIT,
            metavar="PATH",
        ),
    ] = None,
    plot_path: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw predicted against observed loss, and the error against compute, to a .png or .svg "
            "(the plot extra)." + WRITTEN_WHOLE,
            metavar="PATH",
        ),
    ] = None,
    output_format: Annotated[OutputFormat, format_option()] = "table",
    quiet: QuietOption = False,
) -> None:
    """Fit on the smaller runs, predict the larger ones, and report the errors: how far an extrapolation holds.

    Per held-out run the observed and predicted loss and the relative error; per fit the mean absolute and signed
    error, the largest error, and how far (in compute) the held-out runs reach beyond the training runs.
    """
    import numpy as np

    from ..answers_fit import criteria_of, forms_of
    from ..backtest import backtest as run_backtest
    from ..backtest import score_downstream, splits
    from ..experiments import BUDGET_RTOL_DEFAULT
    from ..inputs.downstream_file import load_downstream_file
    from ..inputs.request import resolve_law
    from ..inputs.runs import read_runs, select_runs, where_items
    from ..inputs.values import Sourced, positive_number
    from ..output.fit_records import downstream_score_record, score_record
    from ..output.reports import emit_backtest
    from ..output.tables import without_notes

    above = None if holdout_above is None else positive_number(holdout_above, "--holdout-above")
    params_above = (
        None if holdout_params_above is None else positive_number(holdout_params_above, "--holdout-params-above")
    )
    rtol = BUDGET_RTOL_DEFAULT if budget_rtol is None else positive_number(budget_rtol, "--budget-rtol")
    criteria = criteria_of(criterion)
    forms_of(form, approach)  # a bad --form refused before the runs are read
    reading = [(runs, "the runs file"), *((path, "a law file") for path in law or []),
               *((path, "a downstream file") for path in downstream or [])]  # fmt: skip
    figure = None if plot_path is None else image_file(plot_path, "--plot", reading)
    drawing = None if plot_path is None else plotting()
    laws = [resolve_law(Sourced(name, "--law")) for name in law or []]
    mappings = [load_downstream_file(path, "--downstream") for path in downstream or []]
    table = read_runs(runs, params_col, tokens_col, flops_col, loss_col, metric_cols=[m.metric for m in mappings],
                      where=where_items(where or []), skip_invalid=skip_invalid)  # fmt: skip
    warn_all(table.warnings())
    selection = select_runs(table)
    forms = forms_of(form, approach, selection.runs)
    chosen = splits(selection.runs, above, params_above, holdout_top, rolling, selection.budget_flops, rtol)
    approaches = ["parametric", "isoflop"] if approach == "both" else [approach]
    scores = run_backtest(selection.runs, chosen, approaches, laws, selection.budget_flops, rtol, criteria, forms)
    metric_scores = []
    for mapping in mappings:
        assert table.metrics is not None
        observed = np.array(table.metrics[_column_of(mapping.metric, table.metrics)])
        for split in chosen:
            metric_scores += score_downstream(split, selection.runs, observed, mapping, scores)
    for score in scores:
        if score.note is not None:
            warn(f"{score.split}, {score.method}: {score.note}")
    for metric_score in metric_scores:
        if metric_score.note is not None:
            warn(f"{metric_score.split}, {metric_score.name}: {metric_score.note}")
    with without_notes(quiet):
        emit_backtest([score_record(score) for score in scores], table.label, output_format, sys.stdout,
                      [downstream_score_record(score) for score in metric_scores])  # fmt: skip
    if drawing is not None and figure is not None:
        drawing.plot_backtest(scores, figure)
        wrote(figure.path, f"{image_kind(figure)} figure of the backtest")


def _column_of(name: str, columns: dict[str, list[float]]) -> str:
    """The column a downstream file names, as the runs file spells it (matched ignoring case)."""
    return next(column for column in columns if column.strip().casefold() == name.strip().casefold())
