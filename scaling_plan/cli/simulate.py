"""Runs to train and runs to fit: experiments (an isoFLOP grid to train and fill in) and simulate (runs with losses
from a known law, to test a fitting procedure before training)."""

import sys
from typing import Annotated

import typer

from ..choices import OutputFormat
from ..presets import DEFAULT_LAW
from .app import command, warn_all
from .options import GridBudgetsOption, QuietOption, SizesPerBudgetOption, SpreadOption, complete_law, format_option


@command(
    (
        (
            "An isoFLOP grid of 7 sizes at each of four budgets",
            "scaling-plan experiments --budgets 1e17,3e17,1e18,3e18",
        ),
        (
            "As a runs file to fill in with losses",
            "scaling-plan experiments --budgets 1e18,1e19 -f csv > runs-grid.csv",
        ),
    )
)
def experiments(
    budgets: GridBudgetsOption,
    sizes_per_budget: SizesPerBudgetOption = 7,
    spread: SpreadOption = None,
    law: Annotated[
        str | None,
        typer.Option(
            help=f"Law that gives the expected optimum (default {DEFAULT_LAW}); a preset or file.",
            metavar="NAME|PATH",
            autocompletion=complete_law,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, format_option("Output format (csv or json to drive training jobs).", panel=None)
    ] = "table",
    quiet: QuietOption = False,
) -> None:
    """The isoFLOP grid of runs to train: model sizes around the expected optimum at each budget, and their tokens.

    Fill in each run's final loss in the loss_nats column and `scaling-plan fit` reads the file back.
    """
    from ..inputs.budgets import isoflop_grid_of
    from ..output.fit_records import experiment_records
    from ..output.reports import emit_experiments
    from ..output.tables import without_notes

    grid, chosen, factor, warnings = isoflop_grid_of(budgets, sizes_per_budget, spread, law)
    warn_all(warnings)
    notes = [
        f"Sizes: {sizes_per_budget} per budget, log-even from N*/{factor:g} to N*·{factor:g}, N* = {chosen.name}'s optimum.",
        "Tokens: D = C / (6·N), so each run spends exactly its budget. Fill in loss_nats, then run scaling-plan fit.",
    ]
    with without_notes(quiet):
        emit_experiments(experiment_records(grid), notes, output_format, sys.stdout)


@command(
    (
        (
            "Runs from Epoch AI's law with 1% noise, to fit back",
            "scaling-plan simulate --budgets 1e18,1e19,1e20,1e21 --noise 0.01 -f csv > runs.csv",
        ),
        ("Three seeds of each run", "scaling-plan simulate --budgets 1e18,1e19 --noise 0.01 --repeats 3 -f csv"),
    )
)
def simulate(
    budgets: GridBudgetsOption,
    law: Annotated[
        str | None,
        typer.Option(
            help=f"The law the losses come from (default {DEFAULT_LAW}): a preset or file with L(N, D).",
            metavar="NAME|PATH",
            autocompletion=complete_law,
        ),
    ] = None,
    sizes_per_budget: SizesPerBudgetOption = 7,
    spread: SpreadOption = None,
    noise: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Relative spread of each run's loss: loss x exp(noise·z), z standard normal (default 0: the law's"
            " own loss).",
            metavar="FRACTION",
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the noise (0 or more).", metavar="SEED")] = 0,
    repeats: Annotated[
        int,
        typer.Option(min=1, max=100, help="Copies of each run, each with its own noise, as seeds.", metavar="COUNT"),
    ] = 1,
    output_format: Annotated[
        OutputFormat, format_option("Output format (csv for fit and backtest to read).", panel=None)
    ] = "table",
    quiet: QuietOption = False,
) -> None:
    """Runs of an isoFLOP grid with losses from a known law and seeded noise: fit them back to test a procedure.

    The columns are experiments', with loss_nats filled and each copy's repeat number; fit and backtest read them.
    """
    from ..errors import UsageError
    from ..inputs.budgets import isoflop_grid_of
    from ..laws import FrontierLaw
    from ..output.fit_records import simulated_records
    from ..output.reports import emit_simulated
    from ..output.tables import without_notes
    from ..simulate import simulate_runs

    grid, chosen, factor, warnings = isoflop_grid_of(budgets, sizes_per_budget, spread, law, repeats)
    if isinstance(chosen, FrontierLaw):
        if sizes_per_budget != 1:
            raise UsageError(
                "--law",
                f"{chosen.name} is a frontier, with no loss away from it: simulate its own runs with"
                " --sizes-per-budget 1 (one run per budget, at its N_opt)",
            )
        warnings = []  # one run per budget is what a frontier has, not a profile missing sizes
    warn_all(warnings)
    runs = simulate_runs(grid, chosen, noise, seed, repeats)
    notes = [
        f"Sizes: {sizes_per_budget} per budget, log-even from N*/{factor:g} to N*·{factor:g}, N* = {chosen.name}'s"
        " optimum; D = C / (6·N).",
        f"Loss: {chosen.name}, {chosen.formula}, x exp({noise:g}·z), z standard normal from seed {seed}"
        + (f"; {repeats} copies of each run." if repeats > 1 else "."),
    ]
    with without_notes(quiet):
        emit_simulated(simulated_records(runs), notes, output_format, sys.stdout)
