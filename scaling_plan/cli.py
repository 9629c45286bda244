"""The Typer app: commands only. `_Group.main` is the single place where errors become exit codes.

Exit codes: 0 success; 1 a policy rule failed (`check`) or a fit did not converge (`fit`); 2 bad input (usage, flags, config or law files); 3 an
internal error (a bug: please report); 74 an output could not be written (a full disk, a closed stdout); 141 the
reader closed stdout early (`| head`).
"""

from __future__ import annotations

import errno
import math
import os
import sys
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from typer import Abort
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from . import __version__
from .budget import DEFAULT_MFU, GPUS
from .errors import OutputError, UsageError
from .laws import DEFAULT_LAW, PRESETS

EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_OUTPUT = 74  # EX_IOERR in sysexits.h
#: Errors writing stdout that are the machine's, not the tool's: a full disk or quota, a file-size limit, I/O.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed the pipe
PROG = "scaling-plan"


#: Longest message shown: the culprit comes first, so a message that echoes a huge value loses only its tail.
MAX_MESSAGE_CHARS = 1000


def _stderr_line(kind: str, message: str) -> None:
    """One line on stderr, whatever the message holds (a value echoed from a file may carry line breaks)."""
    if sys.stderr is None:  # started with stderr closed (2>&-): the exit code is all there is
        return
    line = " ".join(message.splitlines())
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    sys.stderr.write(f"{PROG}: {kind}: {line}\n")


def error_line(message: str) -> None:
    _stderr_line("error", message)


def warn(message: str) -> None:
    _stderr_line("warning", message)


def _fail(message: str, code: int) -> NoReturn:
    error_line(message)
    sys.exit(code)


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
        except OSError as error:
            if error.errno not in _OUTPUT_ERRNOS:
                raise
            raise OutputError("stdout", f"cannot write the output: {error.strerror}") from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        if sys.stdout is None:  # started with stdout closed (>&-)
            _fail("stdout is closed: nowhere to write the output", EXIT_OUTPUT)
        try:
            code = super().main(*args, **kwargs)
        except OutputError as error:
            _fail(str(error), EXIT_OUTPUT)
        except UsageError as error:
            _fail(str(error), EXIT_USAGE)
        except NoArgsIsHelpError as error:
            # The help is already on the screen; the error line says what was missing.
            _fail(f"missing a command: choose one of {', '.join(self.list_commands(error.ctx))}", EXIT_USAGE)
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


class Objective(str, Enum):
    flops = "flops"
    cost = "cost"


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
_SWEEP = "Budgets to sweep"
_HARDWARE = "Hardware"
_ALLOCATION = "Allocation and loss law"
_POLICY = "Policy limits (override the config's policy: section)"
_OUTPUT = "Output"


class SweepFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class BudgetUnit(str, Enum):
    flops = "flops"
    dollars = "dollars"
    gpu_hours = "gpu-hours"
    days = "days"


def _option(help_text: str, panel: str) -> Any:
    """A plain option in a help panel (its name comes from the parameter)."""
    return typer.Option(help=help_text, rich_help_panel=panel)


# Options shared by the planning commands: declared once, so every command spells and documents them alike.
GpuOption = Annotated[str | None, _option(f"GPU preset: {', '.join(GPUS)}.", _HARDWARE)]
MfuOption = Annotated[
    str | None,
    _option(f"Model FLOPs utilisation in (0, 1] (default {DEFAULT_MFU:.2f}).", _HARDWARE),
]
GpusOption = Annotated[str | None, _option("Number of GPUs, for wall-clock days.", _HARDWARE)]
PriceOption = Annotated[
    str | None,
    _option("US dollars per GPU-hour (no default: prices vary too much).", _HARDWARE),
]
MethodOption = Annotated[
    Method | None,
    _option(
        "How N and D are chosen: the D = r·N rule, or the law's own optimum (default tokens-per-param).", _ALLOCATION
    ),
]
TokensPerParamOption = Annotated[
    str | None,
    _option("r in D = r·N for the tokens-per-param rule (default 20).", _ALLOCATION),
]
LawOption = Annotated[
    str | None,
    _option(f"Loss law: {', '.join(PRESETS)}, or a law YAML file (default {DEFAULT_LAW}).", _ALLOCATION),
]
_DATA = "Data and inference"
UniqueTokensOption = Annotated[
    str | None,
    _option("Unique training tokens available, e.g. 25B: data past it repeats (Muennighoff et al. 2023).", _DATA),
]
InferenceTokensOption = Annotated[
    str | None,
    _option(
        "Tokens the model will serve over its life, e.g. 2T: adds the model with the least lifetime compute"
        " (Sardana et al. 2024).",
        _DATA,
    ),
]
InferenceObjectiveOption = Annotated[
    Objective | None,
    _option(
        "Minimise lifetime FLOPs, or lifetime dollars (default: cost when an inference MFU or price is given).", _DATA
    ),
]
InferenceMfuOption = Annotated[str | None, _option("MFU when serving (default: the training MFU).", _DATA)]
InferencePriceOption = Annotated[
    str | None, _option("US dollars per GPU-hour when serving (default: the training price).", _DATA)
]
_BLUEPRINT = "Blueprint: shape, counts, memory, batch size and learning rate"


class Ffn(str, Enum):
    gelu = "gelu"
    swiglu = "swiglu"


class Style(str, Enum):
    llama = "llama"
    gpt = "gpt"


class Sharding(str, Enum):
    none = "none"
    zero_1 = "zero-1"
    zero_2 = "zero-2"
    zero_3 = "zero-3"
    fsdp = "fsdp"


class Recompute(str, Enum):
    none = "none"
    selective = "selective"
    full = "full"


BlueprintOption = Annotated[
    bool,
    typer.Option(
        "--blueprint",
        help="Also size a concrete transformer for N: exact counts, memory per GPU, GPUs, batch size and LR.",
        rich_help_panel=_BLUEPRINT,
    ),
]
LayersOption = Annotated[
    str | None, typer.Option("--layers", help="Explicit shape: layers.", rich_help_panel=_BLUEPRINT)
]
DModelOption = Annotated[str | None, _option("Explicit shape: model width.", _BLUEPRINT)]
HeadsOption = Annotated[
    str | None,
    typer.Option("--heads", help="Explicit shape: attention heads (default width/128, or /64 under 1024).",
                 rich_help_panel=_BLUEPRINT),
]  # fmt: skip
DFfOption = Annotated[str | None, _option("Explicit shape: FFN width (default 4·d, SwiGLU 8/3·d).", _BLUEPRINT)]
KvHeadsOption = Annotated[
    str | None, _option("Key/value heads for grouped-query attention (default: all).", _BLUEPRINT)
]
VocabSizeOption = Annotated[str | None, _option("Vocabulary size (default 128000).", _BLUEPRINT)]
SeqLenOption = Annotated[str | None, _option("Training sequence length in tokens (default 4096).", _BLUEPRINT)]
FfnOption = Annotated[Ffn | None, _option("FFN kind: gelu (2 matrices) or swiglu (3); default swiglu.", _BLUEPRINT)]
TiedOption = Annotated[
    bool | None,
    typer.Option("--tied-embeddings/--untied-embeddings", help="Share the input and output embedding (default untied).",
                 rich_help_panel=_BLUEPRINT, show_default=False),
]  # fmt: skip
StyleOption = Annotated[
    Style | None,
    _option("Blocks: llama (RMSNorm, no biases, rotary) or gpt (LayerNorm, biases, learned positions).", _BLUEPRINT),
]
ExpertsOption = Annotated[str | None, _option("Mixture-of-experts: routed experts per layer.", _BLUEPRINT)]
ActiveExpertsOption = Annotated[str | None, _option("Routed experts each token uses (top-k; default 1).", _BLUEPRINT)]
SharedExpertsOption = Annotated[str | None, _option("Experts every token uses besides the routed ones.", _BLUEPRINT)]
CausalOption = Annotated[
    bool | None,
    typer.Option("--causal-attention", help="Halve the attention-score FLOPs for causal masking in the full count.",
                 rich_help_panel=_BLUEPRINT, show_default=False),
]  # fmt: skip
ShardingOption = Annotated[
    Sharding | None, _option("How optimiser state, gradients and weights split over GPUs (default zero-3).", _BLUEPRINT)
]
RecomputeOption = Annotated[
    Recompute | None, _option("Activation recomputation: none, selective or full (default full).", _BLUEPRINT)
]
MicroBatchOption = Annotated[
    str | None, _option("Sequences per GPU per step, for activations (default 1).", _BLUEPRINT)
]


def _blueprint_flags(
    blueprint: bool, ffn: Ffn | None, style: Style | None, sharding: Sharding | None, recompute: Recompute | None,
    **flags: Any,
) -> dict[str, Any]:  # fmt: skip
    """Blueprint flags keyed by plan field; enum choices as their values."""
    choices = {"ffn": ffn, "style": style, "sharding": sharding, "recompute": recompute}
    values = flags | {name: choice.value for name, choice in choices.items() if choice is not None}
    return _plan_flags(blueprint=True if blueprint else None, **values)


CompareLawsOption = Annotated[
    bool,
    typer.Option("--compare-laws", help="Also show what every law's own optimum chooses.", rich_help_panel=_ALLOCATION),
]
ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config", "-c", help="YAML config file ('-' for stdin); flags override it.", rich_help_panel=_OUTPUT
    ),
]
ConfigsArgument = Annotated[list[str], typer.Argument(help="YAML config files.", show_default=False)]


def _plan_flags(**flags: Any) -> dict[str, Any]:
    """Flag values (None when not given) keyed by plan field, each remembering its flag for messages."""
    from .config import FLAGS, Sourced

    return {name: Sourced(value, FLAGS[name]) for name, value in flags.items() if value is not None}


def _warn_all(messages: list[str], prefix: str = "") -> None:
    for message in messages:
        warn(prefix + message)


@app.command()
def budget(
    flops: Annotated[str | None, _option("Training compute in FLOPs, e.g. 1e24.", _BUDGET)] = None,
    dollars: Annotated[
        str | None,
        _option("Money for training, e.g. 2e6 or '$2M'; needs --gpu and --price-per-gpu-hour.", _BUDGET),
    ] = None,
    gpu_hours: Annotated[str | None, _option("GPU-hours, e.g. 5e5; needs --gpu.", _BUDGET)] = None,
    days: Annotated[str | None, _option("Wall-clock days on --gpus GPUs of --gpu.", _BUDGET)] = None,
    params: Annotated[
        str | None,
        _option("Inverse: the compute that makes a model of this size optimal, e.g. 70B.", _BUDGET),
    ] = None,
    tokens: Annotated[
        str | None,
        _option("Inverse: the optimal model and compute for this many tokens, e.g. 15T.", _BUDGET),
    ] = None,
    loss: Annotated[
        str | None,
        _option("Inverse: the least compute that reaches this loss (nats/token).", _BUDGET),
    ] = None,
    gpu: GpuOption = None,
    mfu: MfuOption = None,
    gpus: GpusOption = None,
    price_per_gpu_hour: PriceOption = None,
    method: MethodOption = None,
    tokens_per_param: TokensPerParamOption = None,
    law: LawOption = None,
    compare_laws: CompareLawsOption = False,
    unique_tokens: UniqueTokensOption = None,
    inference_tokens: InferenceTokensOption = None,
    inference_objective: InferenceObjectiveOption = None,
    inference_mfu: InferenceMfuOption = None,
    inference_price_per_gpu_hour: InferencePriceOption = None,
    blueprint: BlueprintOption = False,
    layers: LayersOption = None,
    d_model: DModelOption = None,
    heads: HeadsOption = None,
    d_ff: DFfOption = None,
    kv_heads: KvHeadsOption = None,
    vocab_size: VocabSizeOption = None,
    seq_len: SeqLenOption = None,
    ffn: FfnOption = None,
    tied_embeddings: TiedOption = None,
    style: StyleOption = None,
    experts: ExpertsOption = None,
    active_experts: ActiveExpertsOption = None,
    shared_experts: SharedExpertsOption = None,
    causal_attention: CausalOption = None,
    sharding: ShardingOption = None,
    recompute: RecomputeOption = None,
    micro_batch: MicroBatchOption = None,
    config: ConfigOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.", rich_help_panel=_OUTPUT)
    ] = OutputFormat.table,
) -> None:
    """Compute-optimal N, D and loss for a budget, with GPU-hours, days and cost when hardware is known.

    Allocation assumes training compute C = 6·N·D (forward 2ND + backward 4ND). A config with a run: section also
    gets the intended run's gap to the compute-optimal run at the same compute.
    """
    from .config import build_request, load_config, merge
    from .plan import compare_laws as compare
    from .plan import make_plan, warnings_for
    from .render import emit_budget

    flag_values = _plan_flags(
        flops=flops, dollars=dollars, gpu_hours=gpu_hours, days=days, params=params, tokens=tokens, loss=loss,
        gpu=gpu, mfu=mfu, gpus=gpus, price_per_gpu_hour=price_per_gpu_hour,
        method=method.value if method else None, tokens_per_param=tokens_per_param, law=law,
        unique_tokens=unique_tokens, inference_tokens=inference_tokens,
        inference_objective=inference_objective.value if inference_objective else None,
        inference_mfu=inference_mfu, inference_price_per_gpu_hour=inference_price_per_gpu_hour,
    ) | _blueprint_flags(
        blueprint, ffn, style, sharding, recompute, n_layers=layers, d_model=d_model, n_heads=heads, d_ff=d_ff,
        n_kv_heads=kv_heads, vocab_size=vocab_size, seq_len=seq_len, tied_embeddings=tied_embeddings,
        experts=experts, active_experts=active_experts, shared_experts=shared_experts,
        causal_attention=causal_attention, micro_batch=micro_batch,
    )  # fmt: skip
    config_values = load_config(config) if config is not None else {}
    request, warnings = build_request(merge(config_values, flag_values))
    plan = make_plan(request)
    warnings += warnings_for(plan)
    compared = None
    if compare_laws:
        compared, notes = compare(request)
        warnings += notes
    _warn_all(warnings)
    emit_budget(plan, compared, output_format.value, sys.stdout)


@app.command()
def shape(
    params: Annotated[
        str | None, typer.Option(help="Size to shape: active parameters, e.g. 7B.", show_default=False)
    ] = None,
    tokens: Annotated[
        str | None,
        typer.Option(
            help="Training tokens, for batch size, LR and time (default 20 per parameter).", show_default=False
        ),
    ] = None,
    gpu: GpuOption = None,
    mfu: MfuOption = None,
    gpus: GpusOption = None,
    price_per_gpu_hour: PriceOption = None,
    layers: LayersOption = None,
    d_model: DModelOption = None,
    heads: HeadsOption = None,
    d_ff: DFfOption = None,
    kv_heads: KvHeadsOption = None,
    vocab_size: VocabSizeOption = None,
    seq_len: SeqLenOption = None,
    ffn: FfnOption = None,
    tied_embeddings: TiedOption = None,
    style: StyleOption = None,
    experts: ExpertsOption = None,
    active_experts: ActiveExpertsOption = None,
    shared_experts: SharedExpertsOption = None,
    causal_attention: CausalOption = None,
    sharding: ShardingOption = None,
    recompute: RecomputeOption = None,
    micro_batch: MicroBatchOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.", rich_help_panel=_OUTPUT)
    ] = OutputFormat.table,
) -> None:
    """A transformer shape near --params (or your own, with --layers and --d-model) and its exact counts.

    Parameters, FLOPs per token under four conventions, and with --gpu the memory per GPU and the fewest GPUs;
    batch size and learning rate from DeepSeek LLM's fit.
    """
    from .blueprint import blueprint_warnings, make_blueprint
    from .config import shape_request
    from .render import emit_shape

    values = _plan_flags(
        params=params, tokens=tokens, gpu=gpu, mfu=mfu, gpus=gpus, price_per_gpu_hour=price_per_gpu_hour
    ) | _blueprint_flags(
        True, ffn, style, sharding, recompute, n_layers=layers, d_model=d_model, n_heads=heads, d_ff=d_ff,
        n_kv_heads=kv_heads, vocab_size=vocab_size, seq_len=seq_len, tied_embeddings=tied_embeddings,
        experts=experts, active_experts=active_experts, shared_experts=shared_experts,
        causal_attention=causal_attention, micro_batch=micro_batch,
    )  # fmt: skip
    request, target, n_tokens, hardware, warnings = shape_request(values)
    blueprint = make_blueprint(request, target, n_tokens, hardware)
    _warn_all(warnings + blueprint_warnings(blueprint))
    emit_shape(blueprint, hardware, output_format.value, sys.stdout)


@app.command()
def predict(
    params: Annotated[str, typer.Option(help="Parameters of the run, e.g. 70B.", show_default=False)],
    tokens: Annotated[str, typer.Option(help="Training tokens of the run, e.g. 1.4T.", show_default=False)],
    unique_tokens: UniqueTokensOption = None,
    law: LawOption = None,
    gpu: GpuOption = None,
    mfu: MfuOption = None,
    gpus: GpusOption = None,
    price_per_gpu_hour: PriceOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.", rich_help_panel=_OUTPUT)
    ] = OutputFormat.table,
) -> None:
    """The predicted loss of one run (N, D), and how far it is from the law's compute-optimal run at its compute.

    With --unique-tokens the loss counts repeated data and excess parameters at their effective worth.
    """
    from .config import Sourced, build_request
    from .plan import gap_to_optimal, prediction_warnings
    from .render import emit_prediction

    values = _plan_flags(
        gpu=gpu, mfu=mfu, gpus=gpus, price_per_gpu_hour=price_per_gpu_hour, law=law, unique_tokens=unique_tokens
    )  # fmt: skip
    values |= {
        "run": Sourced(None, "--params/--tokens"),
        "n_params": Sourced(params, "--params"),
        "n_tokens": Sourced(tokens, "--tokens"),
        "method": Sourced("law", "--params/--tokens"),  # the run is measured against the law's own optimum
    }
    request, warnings = build_request(values)
    assert request.run is not None
    gap = gap_to_optimal(request.run.n_params, request.run.n_tokens, request.law, request.hardware, request.run.where)
    _warn_all(warnings + prediction_warnings(request, gap))
    emit_prediction(gap, request.law, output_format.value, sys.stdout)


@app.command()
def sweep(
    start: Annotated[
        str | None, typer.Option("--from", help="Smallest budget, e.g. 1e18.", rich_help_panel=_SWEEP)
    ] = None,
    stop: Annotated[str | None, typer.Option("--to", help="Largest budget, e.g. 1e26.", rich_help_panel=_SWEEP)] = None,
    per_decade: Annotated[
        str | None,
        _option("Budgets per factor of ten, evenly spaced in log scale (default 4).", _SWEEP),
    ] = None,
    budgets: Annotated[
        str | None,
        _option("Explicit budgets instead of a range: 1e20,1e21,1e22.", _SWEEP),
    ] = None,
    unit: Annotated[
        BudgetUnit,
        _option(
            "What the budgets count: FLOPs, dollars (needs --gpu, --price-per-gpu-hour), GPU-hours (needs"
            " --gpu) or days (needs --gpu, --gpus).",
            _SWEEP,
        ),
    ] = BudgetUnit.flops,
    gpu: GpuOption = None,
    mfu: MfuOption = None,
    gpus: GpusOption = None,
    price_per_gpu_hour: PriceOption = None,
    method: MethodOption = None,
    tokens_per_param: TokensPerParamOption = None,
    law: LawOption = None,
    compare_laws: CompareLawsOption = False,
    unique_tokens: UniqueTokensOption = None,
    inference_tokens: InferenceTokensOption = None,
    inference_objective: InferenceObjectiveOption = None,
    inference_mfu: InferenceMfuOption = None,
    inference_price_per_gpu_hour: InferencePriceOption = None,
    blueprint: BlueprintOption = False,
    config: ConfigOption = None,
    output_format: Annotated[
        SweepFormat,
        typer.Option(
            "--format", "-f", help="Output format (jsonl: one JSON record per line).", rich_help_panel=_OUTPUT
        ),
    ] = SweepFormat.table,
) -> None:
    """Plans across a range of budgets: how N, D, loss, GPU-hours and cost grow with the budget.

    Every budget goes through the allocator, the law and the hardware in one vectorised pass. A config supplies
    hardware and allocation; its own budget is replaced by the sweep's.
    """
    from .config import Sourced, build_request, check_sweep_size, load_config, merge, sweep_budgets
    from .plan import laws_to_compare
    from .render import emit_sweep
    from .sweep import make_sweep, sweep_under, sweep_warnings

    kind = unit.value.replace("-", "_")
    values, where = sweep_budgets(start, stop, per_decade, budgets, kind)
    flag_values = _plan_flags(
        gpu=gpu, mfu=mfu, gpus=gpus, price_per_gpu_hour=price_per_gpu_hour,
        method=method.value if method else None, tokens_per_param=tokens_per_param, law=law,
        unique_tokens=unique_tokens, inference_tokens=inference_tokens,
        inference_objective=inference_objective.value if inference_objective else None,
        inference_mfu=inference_mfu, inference_price_per_gpu_hour=inference_price_per_gpu_hour,
        blueprint=True if blueprint else None,
    )  # fmt: skip
    flag_values[kind] = Sourced(float(values[0]), where)
    config_values = load_config(config) if config is not None else {}
    request, warnings = build_request(merge(config_values, flag_values))
    check_sweep_size(len(values), where, output_format is SweepFormat.table, request.blueprint is not None)
    plans = make_sweep(request, values)
    compared = [sweep_under(plans, other) for other in laws_to_compare(request)] if compare_laws else []
    _warn_all(warnings + sweep_warnings(plans))
    emit_sweep(plans, compared, output_format.value, sys.stdout)


def _entries(configs: list[str], base_ref: str | None) -> tuple[list[Any], list[int], list[str]]:
    """Each config's plan (and, with base_ref, its version at that ref before it); baselines; warnings."""
    from .config import build_request, load_config, read_from_git
    from .plan import make_plan, warnings_for
    from .render import Entry

    entries: list[Entry] = []
    baselines: list[int] = []
    warnings: list[str] = []

    def add(path: str, text: str | None = None, label: str | None = None) -> None:
        values = load_config(path, text, label)
        request, notes = build_request(values)
        plan = make_plan(request)
        name = values["name"].value if "name" in values else None
        shown = label or path
        warnings.extend(note if note.startswith(shown) else f"{shown}: {note}" for note in notes + warnings_for(plan))
        entries.append(Entry(shown, None if name is None else str(name), plan))

    for path in configs:
        if base_ref is not None:
            baselines += [len(entries), len(entries)]
            add(path, read_from_git(base_ref, path), f"{base_ref}:{path}")
        else:
            baselines.append(0)
        add(path)
    return entries, baselines, warnings


@app.command(name="compare")
def compare_configs(
    configs: ConfigsArgument,
    base_ref: Annotated[
        str | None,
        typer.Option(
            help="Compare each config with its version at this git ref (e.g. origin/main), read with `git show`."
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format (markdown for a pull-request comment).")
    ] = ReportFormat.table,
) -> None:
    """Configs side by side: budget, N, D, tokens/param, loss, GPU-hours, days, cost and gap to optimal.

    Deltas (absolute and %) are against the first config, or with --base-ref against each config's base version.
    A config with a run: section is compared by its intended run; one without, by its planned run.
    """
    from .render import compare_records, emit_compare, gap_notes

    entries, baselines, warnings = _entries(configs, base_ref)
    if len(entries) < 2:
        raise UsageError("CONFIGS", "give at least two configs to compare, or one with --base-ref")
    _warn_all(warnings)
    laws = {entry.plan.request.law.name: entry.plan.request.law for entry in entries}
    notes = [note for law in laws.values() for note in gap_notes(law)]
    emit_compare(compare_records(entries, baselines), notes, output_format.value, sys.stdout)


EXIT_POLICY_FAILED = 1


@app.command()
def check(
    configs: ConfigsArgument,
    max_loss_gap: Annotated[
        str | None,
        _option("Largest predicted loss above optimal, in nats/token.", _POLICY),
    ] = None,
    max_compute_overhead: Annotated[
        str | None,
        _option("Largest extra compute over the optimal run reaching the same loss, in percent.", _POLICY),
    ] = None,
    min_tokens_per_param: Annotated[str | None, _option("Fewest training tokens per parameter.", _POLICY)] = None,
    max_tokens_per_param: Annotated[str | None, _option("Most training tokens per parameter.", _POLICY)] = None,
    max_cost_usd: Annotated[str | None, _option("Most US dollars the run may cost (needs a price).", _POLICY)] = None,
    max_wall_clock_days: Annotated[
        str | None, _option("Most wall-clock days (needs --gpus in the config).", _POLICY)
    ] = None,
    max_epochs: Annotated[
        str | None, _option("Most passes over the unique data (needs data.unique_tokens in the config).", _POLICY)
    ] = None,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", help="Output format (markdown for a pull-request comment).", rich_help_panel=_OUTPUT
        ),
    ] = ReportFormat.table,
) -> None:
    """Check configs against policy limits: one line per config and rule, with the measured value and the limit.

    The intended run (run: section) is checked, or the planned run when a config has none. Every config is reported.
    Exit codes: 0 all rules pass; 1 a rule failed; 2 bad input (a config or flag that cannot be checked).
    """
    from .config import build_request, load_config, merge, policy_limits
    from .plan import make_plan
    from .policy import check_plan
    from .render import Entry, emit_check, error_record, verdict_record

    flag_values = _plan_flags(
        max_loss_gap=max_loss_gap, max_compute_overhead=max_compute_overhead,
        min_tokens_per_param=min_tokens_per_param, max_tokens_per_param=max_tokens_per_param,
        max_cost_usd=max_cost_usd, max_wall_clock_days=max_wall_clock_days, max_epochs=max_epochs,
    )  # fmt: skip
    policy_limits(flag_values)  # a bad flag is bad for every config: say so once, before reading any
    records = []
    for path in configs:
        try:
            values = merge(load_config(path), flag_values)
            limits = policy_limits(values)
            if not limits:
                raise UsageError(
                    path, "no policy: give limits as flags (e.g. --min-tokens-per-param 15) or in a policy: section"
                )
            request, _ = build_request(values)
            plan = make_plan(request)
            name = str(values["name"].value) if "name" in values else None
            records += [verdict_record(Entry(path, name, plan), verdict) for verdict in check_plan(plan, limits)]
        except UsageError as error:
            error_line(str(error))
            records.append(error_record(path, str(error)))
    emit_check(records, output_format.value, sys.stdout)
    statuses = {record["status"] for record in records}
    if "error" in statuses:
        raise typer.Exit(EXIT_USAGE)
    if "fail" in statuses:
        failed: dict[str, list[str]] = {}
        for record in records:
            if record["status"] == "fail":
                failed.setdefault(str(record["config"]), []).append(str(record["rule"]))
        sys.stdout.flush()  # the report, then the verdict
        _fail(
            "policy failed: " + "; ".join(f"{path}: {', '.join(rules)}" for path, rules in failed.items()),
            EXIT_POLICY_FAILED,
        )


EXIT_UNCONVERGED = 1
_COLUMNS = "Columns (default: the first found, ignoring case)"
_SELECTION = "Which runs"
_FIT = "Fit and bootstrap"


@app.command()
def fit(
    runs: Annotated[str, typer.Argument(help="Runs file: CSV, TSV or JSON Lines ('-' for stdin).", show_default=False)],
    params_col: Annotated[str | None, _option("Parameters column (n_params, Model Size, params, N).", _COLUMNS)] = None,
    tokens_col: Annotated[str | None, _option("Tokens column (n_tokens, tokens, D).", _COLUMNS)] = None,
    flops_col: Annotated[
        str | None, _option("Compute column, when tokens are absent: D = C/(6N) (Training FLOP, flops).", _COLUMNS)
    ] = None,
    loss_col: Annotated[str | None, _option("Final loss column in nats/token (loss_nats, loss).", _COLUMNS)] = None,
    drop_top_loss: Annotated[
        int, typer.Option(min=0, help="Leave out the K highest-loss runs (outliers).", rich_help_panel=_SELECTION)
    ] = 0,
    min_flops: Annotated[str | None, _option("Leave out runs below this compute.", _SELECTION)] = None,
    max_flops: Annotated[str | None, _option("Leave out runs above this compute.", _SELECTION)] = None,
    huber_delta: Annotated[
        str | None, _option("Huber delta on log loss (default 1e-3, Hoffmann et al. 2022).", _FIT)
    ] = None,
    bootstrap: Annotated[
        int, typer.Option(min=0, max=100_000, help="Bootstrap resamples (e.g. 1000); 0 for none.", rich_help_panel=_FIT)
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap's resampling.", rich_help_panel=_FIT)] = 42,
    interval: Annotated[
        float,
        typer.Option(
            min=1, max=99.9, help="Interval level in percent (90: 5th to 95th percentile).", rich_help_panel=_FIT
        ),
    ] = 90.0,
    allow_unconverged: Annotated[
        bool,
        typer.Option(
            "--allow-unconverged",
            help="Exit 0 and write the law even if the fit did not converge.",
            rich_help_panel=_FIT,
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Write the fitted law to this YAML file (for --law).", rich_help_panel=_OUTPUT
        ),
    ] = None,
    name: Annotated[
        str | None, _option("Name of the law in the written file (default: the file's name).", _OUTPUT)
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.", rich_help_panel=_OUTPUT)
    ] = OutputFormat.table,
) -> None:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to your own runs, with bootstrap intervals.

    The procedure of Hoffmann et al. 2022 (appendix D.2): the sum of Huber losses on log loss, from their grid of
    4,500 starts. Exit codes: 0 fitted; 1 the fit did not converge (unless --allow-unconverged); 2 bad input.
    """
    import datetime

    from .config import positive_number, write_yaml
    from .files import check_writable
    from .fit import HUBER_DELTA_DEFAULT, bootstrap_fit, fit_law
    from .render import emit_fit, fit_notes, fit_record, law_file_data
    from .runs import read_runs, select_runs

    delta = HUBER_DELTA_DEFAULT if huber_delta is None else positive_number(huber_delta, "--huber-delta")
    low = None if min_flops is None else positive_number(min_flops, "--min-flops")
    high = None if max_flops is None else positive_number(max_flops, "--max-flops")
    if output is not None:
        if not output.lower().endswith((".yaml", ".yml")):
            raise UsageError("--output", f"a law file is YAML: give a name ending in .yaml or .yml, not {output!r}")
        check_writable(output, "--output")
    table = read_runs(runs, params_col, tokens_col, flops_col, loss_col)
    selection = select_runs(table, drop_top_loss, low, high)
    result, optima = fit_law(selection.runs, delta)
    if not all(math.isfinite(v) for v in (*result.constants, result.objective)):
        columns = ", ".join(f"{role}={name!r}" for role, name in table.columns.items())
        _fail(
            f"{runs}: no law fits: the best fit runs away to infinite constants (columns used: {columns})",
            EXIT_UNCONVERGED,
        )
    problem = None
    if not result.converged:
        problem = f"the fit did not converge in {result.iterations} iterations"
    elif not (result.alpha > 0 and result.beta > 0):
        problem = f"the best fit is degenerate (alpha = {result.alpha:.4g}, beta = {result.beta:.4g}; both must be > 0)"
    samples = None
    if bootstrap and problem is None:

        def progress(done: int, total: int) -> None:
            if sys.stderr.isatty():
                sys.stderr.write(f"\rbootstrap: {done:,}/{total:,} refits")
                sys.stderr.write("\n" if done == total else "")

        samples = bootstrap_fit(selection.runs, optima, bootstrap, seed, delta, progress)
        if len(samples.samples) == 0:
            warn(f"none of the {bootstrap} bootstrap refits gave finite constants: no intervals")
            samples = None
    level = interval / 100
    emit_fit(
        fit_record(selection, result, samples, level), fit_notes(selection, result), output_format.value, sys.stdout
    )
    if problem is not None and not allow_unconverged:
        sys.stdout.flush()
        _fail(f"{runs}: {problem} (use --allow-unconverged to keep it anyway)", EXIT_UNCONVERGED)
    if problem is not None:
        warn(f"{runs}: {problem}")
    if samples is not None and samples.n_converged < samples.resamples:
        warn(f"{samples.resamples - samples.n_converged} of {samples.resamples} bootstrap refits did not converge")
    if output is not None:
        law_name = name or os.path.splitext(os.path.basename(output))[0]
        today = datetime.date.today().isoformat()
        write_yaml(output, law_file_data(selection, result, samples, level, law_name, today))


@app.command()
def experiments(
    budgets: Annotated[str, typer.Option(help="Compute budgets of the grid: 1e17,3e17,1e18,3e18.", show_default=False)],
    sizes_per_budget: Annotated[int, typer.Option(min=1, max=100, help="Model sizes per budget.")] = 7,
    spread: Annotated[
        str | None,
        typer.Option(help="Sizes run from N*/spread to N*·spread around the expected optimum N* (default 4)."),
    ] = None,
    law: Annotated[
        str | None, typer.Option(help=f"Law that gives the expected optimum (default {DEFAULT_LAW}); a preset or file.")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format (csv or json to drive training jobs).")
    ] = OutputFormat.table,
) -> None:
    """The isoFLOP grid of runs to train: model sizes around the expected optimum at each budget, and their tokens.

    Fill in each run's final loss in the loss_nats column and `scaling-plan fit` reads the file back.
    """
    from .config import Sourced, positive_number, resolve_law, sweep_budgets
    from .experiments import SPREAD_DEFAULT, isoflop_grid
    from .render import emit_experiments, experiment_records
    from .runs import MAX_RUNS

    values, _ = sweep_budgets(None, None, None, budgets, "flops")
    factor = SPREAD_DEFAULT if spread is None else positive_number(spread, "--spread")
    if factor < 1:
        raise UsageError("--spread", f"must be at least 1, got {factor:g}")
    if len(values) * sizes_per_budget > MAX_RUNS:
        raise UsageError(
            "--budgets",
            f"{len(values):,} budgets × {sizes_per_budget} sizes; a grid holds at most {MAX_RUNS:,} runs, as many as fit reads",
        )
    chosen = resolve_law(None if law is None else Sourced(law, "--law"))
    grid = isoflop_grid([float(v) for v in values], sizes_per_budget, chosen, factor)
    notes = [
        f"Sizes: {sizes_per_budget} per budget, log-even from N*/{factor:g} to N*·{factor:g}, N* = {chosen.name}'s optimum.",
        "Tokens: D = C / (6·N), so each run spends exactly its budget. Fill in loss_nats, then run scaling-plan fit.",
    ]
    emit_experiments(experiment_records(grid), notes, output_format.value, sys.stdout)


@app.command()
def plot(
    law: Annotated[str, typer.Argument(help="Law file (e.g. from fit --output) or preset.", show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="Image to write: .png or .svg.", show_default=False)],
    runs: Annotated[str | None, typer.Option(help="Runs file to draw beside the law (as fit reads it).")] = None,
    presets: Annotated[
        str | None, typer.Option(help=f"Published laws to draw on the frontier: e.g. {','.join(PRESETS)}.")
    ] = None,
) -> None:
    """Draw a law: (a) the runs and the fitted loss per model size; (b) the frontier with its bootstrap band.

    Needs the optional plot extra: pip install 'scaling-plan[plot]'.
    """
    from .config import Sourced, resolve_law
    from .files import check_writable

    extension = os.path.splitext(output)[1].lower()
    if extension not in (".png", ".svg"):
        raise UsageError("--output", f"write a .png or .svg file, not {extension or 'a file without an extension'!r}")
    check_writable(output, "--output")
    from .laws import ParametricLaw

    chosen = resolve_law(Sourced(law, "LAW"))
    if not isinstance(chosen, ParametricLaw):
        raise UsageError("LAW", f"{chosen.name} is not of the form E + A/N^alpha + B/D^beta")
    others = []
    for name in (presets or "").split(","):
        if name.strip():
            if name.strip() not in PRESETS:
                raise UsageError("--presets", f"unknown preset {name.strip()!r}; choose from {', '.join(PRESETS)}")
            others.append(PRESETS[name.strip()])
    selected = None
    if runs is not None:
        from .runs import read_runs, select_runs

        selected = select_runs(read_runs(runs)).runs
    try:
        from .plot import plot_law
    except ImportError as error:
        if error.name != "matplotlib":
            raise
        raise UsageError("plot", "needs matplotlib: pip install 'scaling-plan[plot]'") from None
    plot_law(chosen, selected, others, output)


@app.command()
def schema(
    output_schema: Annotated[
        bool, typer.Option("--output-schema", help="Print the schema of every command's JSON output instead.")
    ] = False,
    law_file: Annotated[bool, typer.Option("--law-file", help="Print the schema of a law file instead.")] = False,
) -> None:
    """Print the JSON Schema of the config file (for editors' YAML language servers), generated from its models."""
    from .render import write_json
    from .schemas import config_schema, law_file_schema, output_json_schema

    if output_schema and law_file:
        raise UsageError("--law-file", "give --output-schema or --law-file, not both")
    chosen = output_json_schema() if output_schema else law_file_schema() if law_file else config_schema()
    write_json(chosen, sys.stdout)


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
    """List the GPU presets with their peak dense BF16 FLOP/s, memory and sources."""
    from .render import emit_listing, gpu_record

    records = [gpu_record(gpu) for gpu in GPUS.values()]
    keys = ("name", "peak_flops_per_second", "memory_gib", "source")
    emit_listing("GPU presets (--gpu)", "gpus", records, keys, output_format.value, sys.stdout)


def main() -> None:
    app(prog_name=PROG)
