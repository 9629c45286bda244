"""plot: draw a law, its frontier and the runs it was fitted to."""

from typing import Annotated

import typer

from ..errors import UsageError
from ..presets import PRESETS
from .app import command, warn_all, wrote
from .images import image_file, image_kind, plotting
from .options import (
    WRITTEN_WHOLE,
    FlopsColOption,
    LossColOption,
    ParamsColOption,
    QuietWithoutNotesOption,
    RequireCompleteOption,
    SkipInvalidOption,
    TokensColOption,
    WhereOption,
    complete_law,
)


@command(
    (
        ("A law's isoFLOP curves and frontier", "scaling-plan plot chinchilla-2022 -o frontier.png"),
        (
            "Your runs beside your fitted law and two presets",
            "scaling-plan plot my-law.yaml --runs runs.csv --presets epoch-2024,kaplan-2020 -o fit.svg",
        ),
    )
)
def plot(
    law: Annotated[
        str,
        typer.Argument(
            help="Law file (e.g. from fit --output) or preset.",
            show_default=False,
            metavar="LAW",
            autocompletion=complete_law,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Image to write: .png or .svg." + WRITTEN_WHOLE, show_default=False, metavar="PATH"
        ),
    ],
    runs: Annotated[
        str | None, typer.Option(help="Runs file to draw beside the law (as fit reads it).", metavar="PATH")
    ] = None,
    params_col: ParamsColOption = None,
    tokens_col: TokensColOption = None,
    flops_col: FlopsColOption = None,
    loss_col: LossColOption = None,
    require_complete: RequireCompleteOption = False,
    where: WhereOption = None,
    skip_invalid: SkipInvalidOption = False,
    presets: Annotated[
        str | None,
        typer.Option(
            help=f"Published laws to draw on the frontier, comma-separated: {', '.join(PRESETS)}.", metavar="NAME,..."
        ),
    ] = None,
    quiet: QuietWithoutNotesOption = False,
) -> None:
    """Draw a law: (a) the runs and the fitted loss per model size; (b) the frontier with its bootstrap band.

    Needs the optional plot extra: pip install 'scaling-plan[plot]'.
    """
    from ..inputs.request import resolve_law
    from ..inputs.values import Sourced, comma_items

    figure = image_file(output, "--output", [(law, "the law file"), (runs, "the runs file")])
    from ..errors import unknown_name
    from ..laws import ParametricLaw
    from ..presets import find_law

    chosen = resolve_law(Sourced(law, "LAW"))
    if not isinstance(chosen, ParametricLaw):
        raise UsageError("LAW", f"{chosen.name} is not of the form E + A/N^alpha + B/D^beta")
    others = []
    for name in [] if presets is None else comma_items(presets, "--presets", "epoch-2024,kaplan-2020"):
        preset = find_law(name)
        if preset is None:
            raise UsageError("--presets", unknown_name("preset", name, PRESETS))
        others.append(preset)
    selected = None
    reading = {"--params-col": params_col, "--tokens-col": tokens_col, "--flops-col": flops_col,
               "--loss-col": loss_col, "--require-complete": require_complete, "--where": where,
               "--skip-invalid": skip_invalid}  # fmt: skip
    unused = [flag for flag, value in reading.items() if value]
    if runs is None and unused:
        warn_all([f"{', '.join(unused)} unused without --runs"])
    if runs is not None:
        from ..inputs.runs import read_runs, select_runs, where_items

        table = read_runs(runs, params_col, tokens_col, flops_col, loss_col, require_complete,
                          where=where_items(where or []), skip_invalid=skip_invalid)  # fmt: skip
        warn_all(table.warnings())
        selected = select_runs(table).runs
    plotting().plot_law(chosen, selected, others, figure)
    wrote(output, f"{image_kind(figure)} figure of {chosen.name}")
