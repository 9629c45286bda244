"""Which runs to train next: suggest."""

import io
import sys
from typing import Annotated

import typer

from ..choices import OutputFormat, SuggestObjective
from ..inputs.fields import fields_of
from ..status import ExitStatus
from .app import command, fail, warn_all, wrote
from .options import (
    NO_FIELDS,
    PANEL_FIT,
    PANEL_OUTPUT,
    WRITTEN_WHOLE,
    ExpertsColOption,
    FieldValues,
    FlopsColOption,
    GranularityColOption,
    LossColOption,
    ParamsColOption,
    QuietOption,
    SkipInvalidOption,
    TokensColOption,
    UniqueColOption,
    WhereOption,
    complete_law,
    format_option,
    option,
    plan_flags,
    with_fields,
)


@command(
    (
        ("Five runs that most narrow N_opt at 1e24, none above 1e21 FLOPs",
         "scaling-plan suggest runs.csv --law my-law.yaml --target 1e24 --max-run-flops 1e21"),
        ("As a runs file to fill in and append to runs.csv",
         "scaling-plan suggest runs.csv --law my-law.yaml --target 1e24 -o next.csv"),
        ("A stopping rule for CI: fail while the interval is wider than half of N_opt (exit 1)",
         "scaling-plan suggest runs.csv --law my-law.yaml --target 1e24 --max-relative-width 0.5"),
    )
)  # fmt: skip
@with_fields("unique_tokens", *fields_of("hardware"))
def suggest(
    runs: Annotated[
        str,
        typer.Argument(
            help="The runs so far, as fit reads them (those the law was fitted on).", show_default=False, metavar="RUNS"
        ),
    ],
    law: Annotated[
        str,
        typer.Option(
            help="The law fitted to RUNS with bootstrap refits: fit --bootstrap 200 -o my-law.yaml (the default form,"
            " --form kaplan, moe or data-constrained); or a frontier: fit --approach isoflop, fit --form compute or fit --form broken, each"
            " with --bootstrap.",
            show_default=False,
            metavar="PATH",
            autocompletion=complete_law,
        ),
    ],
    target: Annotated[
        str, typer.Option(help="The compute of the big run to predict, in FLOPs.", show_default=False, metavar="FLOPS")
    ],
    count: Annotated[
        int,
        typer.Option(
            "-n",
            "--count",
            min=1,
            max=100,
            metavar="COUNT",
            help="Runs to suggest; with a frontier law, budgets, each a profile of 5 sizes.",
        ),
    ] = 5,
    max_run_flops: Annotated[
        str | None,
        option("Most compute one run may spend (default 10x the largest run so far).", PANEL_FIT, "FLOPS"),
    ] = None,
    budget_flops: Annotated[
        str | None, option("Most compute the suggested runs may spend together (default: no cap).", PANEL_FIT, "FLOPS")
    ] = None,
    objective: Annotated[
        SuggestObjective,
        typer.Option(
            help="What to pin down at the target: n-opt (the optimal size) or loss (the optimal loss).",
            rich_help_panel=PANEL_FIT,
            metavar="WHAT",
        ),
    ] = "n-opt",
    max_relative_width: Annotated[
        str | None,
        option(
            "Exit 1 while the interval at the target is wider than this fraction of its value, 0 once it is not.",
            PANEL_FIT,
            "FRACTION",
        ),
    ] = None,
    params_col: ParamsColOption = None,
    tokens_col: TokensColOption = None,
    flops_col: FlopsColOption = None,
    loss_col: LossColOption = None,
    unique_col: UniqueColOption = None,
    granularity_col: GranularityColOption = None,
    experts_col: ExpertsColOption = None,
    where: WhereOption = None,
    skip_invalid: SkipInvalidOption = False,
    fields: FieldValues = NO_FIELDS,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the suggested runs to fill in, in RUNS's own columns and separator, so that they append to it"
            " (a JSON RUNS: as experiments writes runs)." + WRITTEN_WHOLE,
            rich_help_panel=PANEL_OUTPUT,
            metavar="PATH",
        ),
    ] = None,
    output_format: Annotated[OutputFormat, format_option()] = "table",
    quiet: QuietOption = False,
) -> None:
    """The next runs to train: those that most narrow the interval on N_opt (or the loss) at the target budget.

    A linearised optimal design over the runs' information (see docs/suggest.md); with a frontier law, whole isoFLOP
    profiles at new budgets. Exit codes: 0 done (or, with
    --max-relative-width, narrow enough); 1 the interval is still wider than --max-relative-width; 2 bad input.
    """
    from ..answers import suggestion_of
    from ..design import PROFILE_SIZES
    from ..inputs.hardware_file import looks_like_file
    from ..inputs.request import hardware_of
    from ..inputs.runs import where_items
    from ..inputs.values import checked_number, positive_number
    from ..laws import FrontierLaw
    from ..output.files import output_file
    from ..output.fit_records import runs_file_rows, suggested_runs_file, suggestion_document
    from ..output.reports import emit_suggestion
    from ..output.tables import without_notes
    from ..output.writers import write_cells, write_csv
    from ..units import counted, format_scientific

    target_flops = positive_number(target, "--target")
    cap = None if max_run_flops is None else positive_number(max_run_flops, "--max-run-flops")
    total = None if budget_flops is None else positive_number(budget_flops, "--budget-flops")
    width = None if max_relative_width is None else positive_number(max_relative_width, "--max-relative-width")
    flags = plan_flags(fields)
    gpu = str(flags["gpu"].value) if "gpu" in flags else None
    reading = [(runs, "the runs file"), (law, "the law file")]
    reading += [(gpu, "the hardware file")] if gpu is not None and looks_like_file(gpu) else []
    out_file = None if output is None else output_file(output, "--output", reading)
    warnings: list[str] = []
    hardware = hardware_of(flags, warnings)
    suggestion, chosen, table, said = suggestion_of(
        runs, law, target_flops, count, cap, total, objective, (params_col, tokens_col, flops_col, loss_col),
        lambda option: "--" + option.replace("_", "-"), where_items(where or []), skip_invalid,
        (unique_col, granularity_col, experts_col), checked_number(flags, "unique_tokens"),
    )  # fmt: skip
    warn_all(table.warnings() + said + warnings)
    asked = count * (PROFILE_SIZES if isinstance(chosen, FrontierLaw) else 1)
    if len(suggestion.runs) < asked:
        warn_all([f"only {len(suggestion.runs)} of {asked} runs fit under --budget-flops"])
    document = suggestion_document(suggestion, table.label, chosen.name, hardware, width)
    with without_notes(quiet):
        emit_suggestion(document, output_format, sys.stdout)
    if out_file is not None:
        rows = suggested_runs_file(suggestion)
        own = runs_file_rows(rows, table)

        text = io.StringIO(newline="")
        if own is None:
            write_csv(rows, text)
        else:
            write_cells(table.header, own, text, table.separator or ",")
        out_file.write(lambda handle: handle.write(text.getvalue().encode("utf-8")))
        planned = counted(len(rows), "run")
        if own is None:
            wrote(out_file.path, f"{planned} to train, in the columns experiments writes; fill in loss_nats, then add them"
                          f" to {table.label} as JSON records of its own")  # fmt: skip
        else:
            wrote(out_file.path, f"{planned} to train, in the columns of {table.label}; fill in {table.columns['loss']} and"
                          f" append the rows to {table.label}")  # fmt: skip
    if width is not None and suggestion.relative_width > width:
        sys.stdout.flush()
        fail(
            f"the interval on {objective} at {format_scientific(target_flops)} FLOPs is {suggestion.relative_width:.3g}"
            " of its value,"
            f" wider than --max-relative-width {width:g}: train the runs above and refit",
            ExitStatus.FAILED,
        )
