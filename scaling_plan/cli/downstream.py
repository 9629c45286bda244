"""From loss to a downstream metric: fit-downstream."""

import sys
from typing import Annotated

import typer

from ..choices import DownstreamForm, OutputFormat
from ..errors import UsageError
from .app import command, warn_all, wrote
from .options import (
    PANEL_COLUMNS,
    PANEL_FIT,
    PANEL_OUTPUT,
    WRITTEN_WHOLE,
    BootstrapOption,
    FlopsColOption,
    IntervalOption,
    LossColOption,
    ParamsColOption,
    QuietOption,
    RequireCompleteOption,
    SeedOption,
    SkipInvalidOption,
    TokensColOption,
    WhereOption,
    format_option,
    option,
)


@command(
    (
        ("The eval gauntlet's average against the runs' loss, kept for --downstream",
         "scaling-plan fit-downstream scores.csv --metric eval_gauntlet/core_average -o core.yaml"),
        ("With 90% intervals from 500 refits on resampled runs",
         "scaling-plan fit-downstream scores.csv --metric eval_gauntlet/core_average --bootstrap 500"),
        ("The metric at a plan's loss (best with a law fitted to the same runs)",
         "scaling-plan budget --flops 1e22 --law my-law.yaml --downstream core.yaml"),
    ),
    name="fit-downstream",
)  # fmt: skip
def fit_downstream(
    runs: Annotated[
        str,
        typer.Argument(
            help="Runs file with a loss and a metric column, as fit reads it.", show_default=False, metavar="RUNS"
        ),
    ],
    metric: Annotated[
        str, typer.Option(help="The metric's column: a score where 1 is perfect.", show_default=False, metavar="COLUMN")
    ],
    form: Annotated[
        DownstreamForm,
        option(
            "exponential: metric = 1 - epsilon + k·exp(-gamma·L) (Gadre et al. 2024); sigmoid: metric = floor +"
            " (ceiling - floor)·sigmoid(-(L - L0)/s).",
            PANEL_FIT,
        ),
    ] = "exponential",
    chance: Annotated[
        str | None,
        option(
            "The metric's score at chance: 0.25 for four choices, 0 for a score centred on chance (default: known"
            " for MMLU, ARC, HellaSwag, PIQA, WinoGrande, BoolQ and the eval gauntlet).",
            PANEL_FIT,
            "SCORE",
        ),
    ] = None,
    chance_margin: Annotated[
        str | None,
        option("Runs within this of chance count as at chance (default 0.02).", PANEL_FIT, "SCORE"),
    ] = None,
    floor: Annotated[
        str | None, option("sigmoid: the lower asymptote (default: the chance level).", PANEL_FIT, "SCORE")
    ] = None,
    ceiling: Annotated[str | None, option("sigmoid: the upper asymptote (default 1).", PANEL_FIT, "SCORE")] = None,
    params_col: ParamsColOption = None,
    tokens_col: TokensColOption = None,
    flops_col: FlopsColOption = None,
    loss_col: LossColOption = None,
    require_complete: RequireCompleteOption = False,
    where: WhereOption = None,
    skip_invalid: SkipInvalidOption = False,
    bootstrap: BootstrapOption = 0,
    seed: SeedOption = 42,
    interval: IntervalOption = 90.0,
    dataset: Annotated[
        str | None,
        option(
            "The data the loss was measured on, as the file records it (default: as fit records it for this runs"
            " file, so a law fitted to the same runs matches).",
            PANEL_COLUMNS,
            "TEXT",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the mapping to this YAML file (for --downstream)." + WRITTEN_WHOLE,
            rich_help_panel=PANEL_OUTPUT,
            metavar="PATH",
        ),
    ] = None,
    name: Annotated[
        str | None,
        option(
            "Short name of the metric: output fields are downstream_<name> (default: from the column).",
            PANEL_OUTPUT,
            "NAME",
        ),
    ] = None,
    output_format: Annotated[OutputFormat, format_option()] = "table",
    quiet: QuietOption = False,
) -> None:
    """Fit a downstream metric against loss, to predict it from a plan's loss, with bootstrap intervals.

    A metric at chance in nearly every run is refused: its runs say nothing about how it follows the loss. Exit
    codes: 0 fitted; 2 bad input (including such a metric).
    """
    import datetime

    from ..answers import downstream_fit_of
    from ..inputs.downstream_file import downstream_file_problem
    from ..inputs.runs import where_items
    from ..output.files import output_file
    from ..output.fit_records import downstream_fit_record
    from ..output.lawfile import downstream_file_data, write_yaml
    from ..output.reports import emit_downstream_fit
    from ..output.tables import without_notes

    out_file = None
    if output is not None:
        if not output.lower().endswith((".yaml", ".yml")):
            raise UsageError(
                "--output", f"a downstream file is YAML: give a name ending in .yaml or .yml, not {output!r}"
            )
        out_file = output_file(output, "--output", [(runs, "the runs file")])
    options = {
        "chance": chance, "chance_margin": chance_margin, "floor": floor, "ceiling": ceiling,
        "params_col": params_col, "tokens_col": tokens_col, "flops_col": flops_col, "loss_col": loss_col,
        "require_complete": require_complete, "bootstrap": bootstrap, "seed": seed, "name": name, "dataset": dataset,
        "where": where_items(where or []), "skip_invalid": skip_invalid,
    }  # fmt: skip
    table, fitted, short, measured_on, fit_warnings = downstream_fit_of(
        runs, metric, form, options, lambda option: "--" + option.replace("_", "-")
    )
    warn_all([*table.warnings(), *fit_warnings])
    record = downstream_fit_record(table, short, fitted, interval / 100, measured_on)
    with without_notes(quiet):
        emit_downstream_fit(record, output_format, sys.stdout)
    if out_file is not None:
        today = datetime.date.today().isoformat()
        data = downstream_file_data(table, short, fitted, interval / 100, measured_on, today)
        problem = downstream_file_problem(data)
        if problem is not None:  # the file's own checks decide: never a file that --downstream then refuses
            sys.stdout.flush()
            raise UsageError(
                "--output",
                f"{output} not written: the fitted mapping is outside what a downstream file holds ({problem})",
            )
        write_yaml(out_file, data)
        kept = "" if fitted.samples is None else f", {len(fitted.samples):,} bootstrap samples"
        wrote(out_file.path, f"mapping {short!r} ({fitted.form}){kept}; use it with --downstream {out_file.path}")
