"""The Typer app: commands only. `_Group.main` is the single place where errors become exit codes.

Exit codes: 0 success; 2 bad input (usage, flags, config or law files); 3 an internal error (a bug: please report);
141 the reader closed stdout early (`| head`).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from typer import Abort
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from . import __version__
from .budget import DEFAULT_MFU, GPUS
from .errors import UsageError
from .laws import DEFAULT_LAW, PRESETS

EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed the pipe
PROG = "scaling-plan"


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.exit(code)


def warn(message: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {message}\n")


class _ClosedPipe(Exception):
    """stdout's reader went away; raised past typer, which would otherwise exit 1 for it."""


class _Group(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
            return result
        except BrokenPipeError as error:
            raise _ClosedPipe from error

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except UsageError as error:
            _fail(str(error), EXIT_USAGE)
        except ClickException as error:
            # Click's own usage errors (unknown option, bad choice): one line, not a usage banner.
            _fail(" ".join(error.format_message().replace("Value error, ", "").split()), error.exit_code)
        except (Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except _ClosedPipe:
            # The reader went away (`| head`): say nothing more, and exit as a process killed by SIGPIPE would.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as error:
            if os.environ.get("SCALING_PLAN_DEBUG"):
                raise
            _fail(
                f"internal error: {type(error).__name__}: {error} (set SCALING_PLAN_DEBUG=1 for a traceback)",
                EXIT_INTERNAL,
            )
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan compute-optimal language-model training: parameters, tokens, loss, time and cost from a budget.",
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Method(str, Enum):
    tokens_per_param = "tokens-per-param"
    law = "law"


def _show_version(value: bool) -> None:
    if value:
        print(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Plan compute-optimal language-model training: parameters, tokens, loss, time and cost from a budget."""


_BUDGET = "Budget (exactly one, or one inverse target)"
_HARDWARE = "Hardware"
_ALLOCATION = "Allocation and loss law"
_OUTPUT = "Output"


@app.command()
def budget(
    flops: Annotated[
        str | None, typer.Option(help="Training compute in FLOPs, e.g. 1e24.", rich_help_panel=_BUDGET)
    ] = None,
    dollars: Annotated[
        str | None,
        typer.Option(
            help="Money for training, e.g. 2e6 or '$2M'; needs --gpu and --price-per-gpu-hour.", rich_help_panel=_BUDGET
        ),
    ] = None,
    gpu_hours: Annotated[
        str | None, typer.Option(help="GPU-hours, e.g. 5e5; needs --gpu.", rich_help_panel=_BUDGET)
    ] = None,
    days: Annotated[
        str | None, typer.Option(help="Wall-clock days on --gpus GPUs of --gpu.", rich_help_panel=_BUDGET)
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            help="Inverse: the compute that makes a model of this size optimal, e.g. 70B.", rich_help_panel=_BUDGET
        ),
    ] = None,
    tokens: Annotated[
        str | None,
        typer.Option(
            help="Inverse: the optimal model and compute for this many tokens, e.g. 15T.", rich_help_panel=_BUDGET
        ),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(help="Inverse: the least compute that reaches this loss (nats/token).", rich_help_panel=_BUDGET),
    ] = None,
    gpu: Annotated[str | None, typer.Option(help=f"GPU preset: {', '.join(GPUS)}.", rich_help_panel=_HARDWARE)] = None,
    mfu: Annotated[
        str | None,
        typer.Option(help=f"Model FLOPs utilisation in (0, 1] (default {DEFAULT_MFU:.2f}).", rich_help_panel=_HARDWARE),
    ] = None,
    gpus: Annotated[
        str | None, typer.Option(help="Number of GPUs, for wall-clock days.", rich_help_panel=_HARDWARE)
    ] = None,
    price_per_gpu_hour: Annotated[
        str | None,
        typer.Option(help="US dollars per GPU-hour (no default: prices vary too much).", rich_help_panel=_HARDWARE),
    ] = None,
    method: Annotated[
        Method | None,
        typer.Option(
            help="How N and D are chosen: the D = r·N rule, or the law's own optimum (default tokens-per-param).",
            rich_help_panel=_ALLOCATION,
        ),
    ] = None,
    tokens_per_param: Annotated[
        str | None,
        typer.Option(help="r in D = r·N for the tokens-per-param rule (default 20).", rich_help_panel=_ALLOCATION),
    ] = None,
    law: Annotated[
        str | None,
        typer.Option(
            help=f"Loss law: {', '.join(PRESETS)}, or a law YAML file (default {DEFAULT_LAW}).",
            rich_help_panel=_ALLOCATION,
        ),
    ] = None,
    compare_laws: Annotated[
        bool,
        typer.Option(
            "--compare-laws", help="Also show what the rule and every preset choose.", rich_help_panel=_ALLOCATION
        ),
    ] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help="YAML config file ('-' for stdin); flags override it.", rich_help_panel=_OUTPUT
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.", rich_help_panel=_OUTPUT)
    ] = OutputFormat.table,
) -> None:
    """Compute-optimal N, D and loss for a budget, with GPU-hours, days and cost when hardware is known.

    Allocation assumes training compute C = 6·N·D (forward 2ND + backward 4ND).
    """
    from .config import FLAGS, Sourced, build_request, load_config, merge
    from .plan import compare_laws as compare
    from .plan import make_plan, warnings_for
    from .render import emit_budget

    flags: dict[str, Any] = {
        "flops": flops, "dollars": dollars, "gpu_hours": gpu_hours, "days": days,
        "params": params, "tokens": tokens, "loss": loss,
        "gpu": gpu, "mfu": mfu, "gpus": gpus, "price_per_gpu_hour": price_per_gpu_hour,
        "method": method.value if method else None, "tokens_per_param": tokens_per_param, "law": law,
    }  # fmt: skip
    flag_values = {name: Sourced(value, FLAGS[name]) for name, value in flags.items() if value is not None}
    config_values = load_config(config) if config is not None else {}
    request, warnings = build_request(merge(config_values, flag_values))
    plan = make_plan(request)
    warnings += warnings_for(plan)
    compared = None
    if compare_laws:
        user_law = None if request.law in PRESETS.values() else request.law
        compared, notes = compare(request, user_law)
        warnings += notes
    for message in warnings:
        warn(message)
    emit_budget(plan, compared, output_format.value, sys.stdout)


@app.command()
def laws(
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """List the loss-law presets with every constant and its source."""
    from .render import emit_listing, law_record

    records = [law_record(law) for law in PRESETS.values()]
    keys = ("name", "formula", "optimal_tokens_per_param_at_1e24_flops", "source")
    emit_listing("Loss-law presets (--law)", "laws", records, keys, output_format.value, sys.stdout)


@app.command()
def gpus(
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """List the GPU presets with their peak dense BF16 FLOP/s and its source."""
    from .render import emit_listing, gpu_record

    records = [gpu_record(gpu) for gpu in GPUS.values()]
    keys = ("name", "peak_flops_per_second", "source")
    emit_listing("GPU presets (--gpu)", "gpus", records, keys, output_format.value, sys.stdout)


def main() -> None:
    app(prog_name=PROG)
