"""The commands' options. Every plan field's option is built from the one table of fields (inputs/fields.py):
a command names the fields it takes with `with_fields`, and receives their values keyed by field name."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Annotated, Any, TypeVar

import typer

from ..choices import FitCriterion
from ..inputs.fields import BY_NAME, FLAGS, Field, range_text

#: Help panels, so related options show together in --help.
PANEL_BUDGET = "Budget (exactly one, or one inverse target)"
PANEL_SWEEP = "Budgets to sweep"
PANEL_HARDWARE = "Hardware"
PANEL_ALLOCATION = "Allocation and loss law"
PANEL_DATA = "Data and inference"
PANEL_BLUEPRINT = "Blueprint: shape, counts, memory, batch size and learning rate"
PANEL_SERVE = "Serving: precisions, requests and load"
PANEL_POLICY = "Policy limits (override the config's policy: section)"
PANEL_OUTPUT = "Output"

#: What every -o and --plot help says of how the file is written (output/files.py).
WRITTEN_WHOLE = " Written whole (a device or pipe in place), never over a file the command reads."
PANEL_COLUMNS = "Columns (default: the first found, ignoring case)"
PANEL_SELECTION = "Which runs"
PANEL_FIT = "Fit and bootstrap"
#: Each config section's panel.
_PANELS = {
    "budget": PANEL_BUDGET, "target": PANEL_BUDGET, "hardware": PANEL_HARDWARE, "allocation": PANEL_ALLOCATION,
    "data": PANEL_DATA, "inference": PANEL_DATA, "blueprint": PANEL_BLUEPRINT, "policy": PANEL_POLICY,
    "serve": PANEL_SERVE,
}  # fmt: skip

#: What a command with `with_fields` receives: each field's value (None when not given), keyed by field name.
FieldValues = dict[str, Any]
NO_FIELDS: FieldValues = {}


def complete_gpu(incomplete: str) -> list[str]:
    """Shell completion of --gpu: the presets and aliases that start with what is typed, in any case (the typed part
    is kept as typed, since shells offer only words that start with it; any case names the same GPU)."""
    from ..budget import GPU_ALIASES, GPUS

    names = [*GPUS, *GPU_ALIASES]
    return [incomplete + name[len(incomplete) :] for name in names if name.lower().startswith(incomplete.lower())]


def complete_law(incomplete: str) -> list[str]:
    """Shell completion of a law: the presets, then law files (and folders on the way to them) by path."""
    import glob
    import os

    from ..presets import PRESETS

    presets = [name for name in PRESETS if name.startswith(incomplete.lower())]
    paths = sorted(glob.glob(glob.escape(incomplete) + "*"))
    files = [path + (os.sep if os.path.isdir(path) else "") for path in paths]
    return presets + [path for path in files if path.endswith((".yaml", ".yml", os.sep))]


_COMPLETIONS = {"gpu": complete_gpu, "law": complete_law}


def format_option(help_text: str = "Output format.", panel: str | None = PANEL_OUTPUT) -> Any:
    """Every command's --format/-f (its choices come from the parameter's Literal in choices.py)."""
    return typer.Option("--format", "-f", help=help_text, rich_help_panel=panel)


def hf_config_option(help_text: str, panel: str | None = None) -> Any:
    """`--hf-config PATH`: a released model's Hugging Face config.json, as each command that reads one uses it."""
    return typer.Option("--hf-config", help=help_text, rich_help_panel=panel, show_default=False, metavar="PATH")


def option(help_text: str, panel: str, metavar: str | None = None) -> Any:
    """A plain option in a help panel (its name comes from the parameter); `metavar` names what its value counts."""
    return typer.Option(help=help_text, rich_help_panel=panel, metavar=metavar)


#: The name of the parameter for a bool field's off flag (--untied-embeddings).
_OFF = "{}__off"


def _switch(name: str, flag: str, help_text: str, panel: str) -> inspect.Parameter:
    annotation = Annotated[bool, typer.Option(flag, help=help_text, rich_help_panel=panel)]
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=annotation)


def _parameters(field: Field, panel: str | None = None) -> list[inspect.Parameter]:
    """The command parameters for a field: its flag, type, help and panel (the section's unless given), all from the
    table. A bool with an off flag gets two, each its own line in --help (Typer's `--on/--off` pair takes a column of
    its own)."""
    assert field.flag is not None
    panel = panel or _PANELS[field.section]
    if field.kind == "switch":
        return [_switch(field.name, field.flag, field.help, panel)]
    if field.kind == "bool":
        option_info = typer.Option(field.flag, help=field.help, rich_help_panel=panel, show_default=False)
        annotation: Any = Annotated[bool | None, option_info]
        parameter = inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        if field.off_flag is None:
            return [parameter]
        return [parameter, _switch(_OFF.format(field.name), field.off_flag, f"The opposite of {field.flag}.", panel)]
    else:
        value_type = str if field.kind in ("quantity", "text") else field.kind
        option_info = typer.Option(
            field.flag,
            help=field.help + (f" Range {range_text(field)}." if field.kind == "quantity" else ""),
            rich_help_panel=panel,
            metavar=field.metavar,
            autocompletion=_COMPLETIONS.get(field.name),
        )
        annotation = Annotated[value_type | None, option_info]
    return [inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)]


def _field_value(field: Field, values: dict[str, Any]) -> Any:
    """A field's value from its parameters: for a bool with an off flag, True, False or None (neither given)."""
    value = values.pop(field.name)
    if field.off_flag is None:
        return value
    off = values.pop(_OFF.format(field.name))
    if value and off:
        from ..errors import UsageError

        raise UsageError(f"{field.flag}/{field.off_flag}", "give one of the two, not both")
    return False if off else value


Command = TypeVar("Command", bound=Callable[..., Any])


def with_fields(
    *names: str, retold: Mapping[str, str] | None = None, panels: Mapping[str, str] | None = None
) -> Callable[[Command], Command]:
    """Give a command an option for each named field, where its `fields` parameter stands; the command is called
    with `fields` holding their values keyed by field name. `retold`: a field's help where the command gives it
    another meaning (serve's --gpus are a replica's); `panels`: a section's help panel in this command."""
    retold, panels = retold or {}, panels or {}

    def option_of(name: str) -> list[inspect.Parameter]:
        field = BY_NAME[name]
        return _parameters(replace(field, help=retold.get(name, field.help)), panels.get(field.section))

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.name == "fields":
                parameters += [each for name in names for each in option_of(name)]
            else:
                parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

        @functools.wraps(command)
        def run(**values: Any) -> Any:
            fields = {name: _field_value(BY_NAME[name], values) for name in names}
            return command(fields=fields, **values)

        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


def plan_flags(fields: FieldValues) -> dict[str, Any]:
    """The fields given as flags (None, or False for a switch, is not given; False for a bool is its off flag), each
    remembering its flag."""
    from ..inputs.values import Sourced

    def given(name: str, value: Any) -> bool:
        return value is not None and not (value is False and BY_NAME[name].kind == "switch")

    def flag(name: str, value: Any) -> str:  # a bool given False came by its off flag
        off_flag = BY_NAME[name].off_flag
        return off_flag if value is False and off_flag is not None else FLAGS[name]

    return {name: Sourced(value, flag(name, value)) for name, value in fields.items() if given(name, value)}


#: The columns of a runs file, for every command that reads one (fit, plot).
ParamsColOption = Annotated[
    str | None, option("Parameters column (n_params, Model Size, params, N).", PANEL_COLUMNS, "COLUMN")
]
TokensColOption = Annotated[str | None, option("Tokens column (n_tokens, tokens, D).", PANEL_COLUMNS, "COLUMN")]
FlopsColOption = Annotated[
    str | None,
    option("Compute column, when tokens are absent: D = C/(6N) (Training FLOP, flops).", PANEL_COLUMNS, "COLUMN"),
]
LossColOption = Annotated[
    str | None, option("Final loss column in nats/token (loss_nats, loss).", PANEL_COLUMNS, "COLUMN")
]
UniqueColOption = Annotated[
    str | None,
    option("Unique tokens column (unique_tokens, U): the data-constrained form reads it.", PANEL_COLUMNS, "COLUMN"),
]
GranularityColOption = Annotated[
    str | None,
    option(
        "Granularity column (granularity, G): a mixture's d_ff over its experts' width; the moe form reads it.",
        PANEL_COLUMNS,
        "COLUMN",
    ),
]
ExpertsColOption = Annotated[
    str | None,
    option(
        "Expansion column (expansion, experts): E, the dense FFNs of parameters a mixture's experts hold (its"
        " experts at granularity 1); the moe form reads it, one value for all runs.",
        PANEL_COLUMNS,
        "COLUMN",
    ),
]
RequireCompleteOption = Annotated[
    bool,
    typer.Option(
        "--require-complete",
        help="Refuse a runs file with a run whose loss is empty (by default such runs are skipped, with a warning).",
        rich_help_panel=PANEL_COLUMNS,
    ),
]
#: The bootstrap of every fitting command (fit, fit-downstream).
BootstrapOption = Annotated[
    int,
    typer.Option(
        min=0,
        max=100_000,
        help="Bootstrap resamples (e.g. 1000); 0 for none. Refused past about a minute of work, saying how many the"
        " runs allow.",
        rich_help_panel=PANEL_FIT,
        metavar="COUNT",
    ),
]
CriterionOption = Annotated[
    FitCriterion,
    option(
        "What the fit minimises over the runs' misses on log loss: huber (Hoffmann et al. 2022), mse, mae, or"
        " asymmetric (an over-prediction of the loss counts --asymmetry times an under-prediction: the law follows"
        " the lowest losses; the chinchilla toolkit's asymmetric MAE).",
        PANEL_FIT,
        "NAME",
    ),
]
HuberDeltaOption = Annotated[
    str | None, option("Huber delta on log loss (default 1e-3, Hoffmann et al. 2022).", PANEL_FIT, "DELTA")
]
AsymmetryOption = Annotated[
    str | None,
    option(
        "--criterion asymmetric: an over-prediction's weight against an under-prediction's (default 10, the"
        " chinchilla toolkit's; below 1, an optimistic prediction costs more).",
        PANEL_FIT,
        "WEIGHT",
    ),
]
WeightsOption = Annotated[
    str | None,
    option("Column of each run's weight in the fit (positive; e.g. repeats, or trust).", PANEL_COLUMNS, "COLUMN"),
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Keep only the rows whose COLUMN holds VALUE (State=finished, as trackers export runs); repeat to keep"
        " the rows that match every one. How many are left out is said.",
        rich_help_panel=PANEL_SELECTION,
        metavar="COLUMN=VALUE",
    ),
]
SkipInvalidOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Skip rows whose size, tokens, compute, loss (or unique tokens, granularity, expansion, metric) cannot be"
        " read or are out of range (a crashed run's loss that is not a number), counting them by reason in one"
        " warning, instead of refusing the file.",
        rich_help_panel=PANEL_SELECTION,
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        min=0,  # numpy's generators take no negative seed
        help="Seed of the bootstrap's resampling (0 or more).",
        rich_help_panel=PANEL_FIT,
        metavar="SEED",
    ),
]
IntervalOption = Annotated[
    float,
    typer.Option(
        min=1,
        max=99.9,
        help="Interval level in percent (90: 5th to 95th percentile).",
        rich_help_panel=PANEL_FIT,
        metavar="PERCENT",
    ),
]
#: The isoFLOP grid that experiments lays out and simulate fills in.
GridBudgetsOption = Annotated[
    str, typer.Option(help="Compute budgets of the grid: 1e18,1e19,1e20.", show_default=False, metavar="FLOPS,...")
]
SizesPerBudgetOption = Annotated[
    int,
    typer.Option(  # isoflop.MIN_SIZES_PER_BUDGET: fewer is warned of (inputs.budgets.isoflop_grid_of)
        min=1, max=100, help="Model sizes per budget (an isoFLOP fit needs 4 or more).", metavar="COUNT"
    ),
]
SpreadOption = Annotated[
    str | None,
    typer.Option(
        help="Sizes run from N*/spread to N*·spread around the law's optimum N* (default 4).", metavar="FACTOR"
    ),
]
#: Downstream files for the commands that plan (budget, sweep, compare) and backtest.
DownstreamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--downstream",
        help="A downstream file (from fit-downstream -o): also predict that metric from the loss, held within the"
        " mapping's floor and ceiling (marked where it is held there); repeat for more.",
        rich_help_panel=PANEL_ALLOCATION,
        metavar="PATH",
    ),
]


def downstream_flag(paths: list[str] | None) -> dict[str, Any]:
    """--downstream's files as a request value (none given: nothing)."""
    from ..inputs.values import Sourced

    return {} if not paths else {"downstream": Sourced(tuple(paths), "--downstream")}


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Leave out the notes under tables (formulas and sources); warnings still go to stderr.",
        rich_help_panel=PANEL_OUTPUT,
    ),
]
#: -q for a command that prints no notes (schema, plot): every command takes it, so a script may pass it to each.
QuietWithoutNotesOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Taken by every command; this one prints no notes to leave out.",
        rich_help_panel=PANEL_OUTPUT,
    ),
]
CompareLawsOption = Annotated[
    bool,
    typer.Option(
        "--compare-laws", help="Also show what every law's own optimum chooses.", rich_help_panel=PANEL_ALLOCATION
    ),
]
ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file ('-' for stdin); flags override it.",
        rich_help_panel=PANEL_OUTPUT,
        metavar="PATH",
    ),
]
ConfigsArgument = Annotated[
    list[str],
    typer.Argument(
        help="YAML config files, or folders of them (their own *.yaml and *.yml), one or more.",
        show_default=False,
        metavar="CONFIG",
    ),
]
