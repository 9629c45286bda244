"""The planning commands: budget, shape, predict and sweep."""

import sys
from typing import Annotated, Any

import typer

from ..choices import BudgetUnit, OutputFormat, ReportFormat, SweepFormat
from ..inputs.fields import BLUEPRINT_FIELDS, fields_of
from .app import command, warn_all
from .options import (
    NO_FIELDS,
    PANEL_BLUEPRINT,
    PANEL_SWEEP,
    CompareLawsOption,
    ConfigOption,
    DownstreamOption,
    FieldValues,
    QuietOption,
    downstream_flag,
    format_option,
    hf_config_option,
    option,
    plan_flags,
    with_fields,
)

#: What a plan is asked with: a budget or target, hardware, allocation, data and inference, and a blueprint.
PLAN_FIELDS = fields_of("budget", "target", "hardware", "allocation", "data", "inference", "blueprint", "serve")
FormatOption = Annotated[OutputFormat, format_option()]


@command(
    (
        ("Tokens and parameters for a budget of FLOPs", "scaling-plan budget --flops 1e24"),
        (
            "A cluster for 30 days, with cost",
            "scaling-plan budget --days 30 --gpus 1024 --gpu H100 --price-per-gpu-hour 2.5",
        ),
        ("What each published law would choose instead", "scaling-plan budget --flops 1e24 --compare-laws"),
        ("A config from the repository, with a model to train", "scaling-plan budget -c configs/blueprint-1e24.yaml"),
    )
)
@with_fields(*PLAN_FIELDS)
def budget(
    hf_config: Annotated[
        str | None,
        hf_config_option(
            "A released model's Hugging Face config.json (or its folder) as the blueprint: its exact shape beside"
            " the plan (implies --blueprint; llama, mistral, mixtral and gpt2 types: those a shape counts exactly).",
            PANEL_BLUEPRINT,
        ),
    ] = None,
    fields: FieldValues = NO_FIELDS,
    compare_laws: CompareLawsOption = False,
    downstream: DownstreamOption = None,
    config: ConfigOption = None,
    output_format: Annotated[
        ReportFormat, format_option("Output format (markdown for a pull request or notebook).")
    ] = "table",
    quiet: QuietOption = False,
) -> None:
    """Compute-optimal N, D and loss for a budget, with GPU-hours, days and cost when hardware is known.

    Allocation assumes training compute C = 6·N·D (forward 2ND + backward 4ND). A config with a run: section also
    gets the intended run's gap to the compute-optimal run at the same compute.
    """
    from ..answers import plan_of
    from ..inputs.values import Sourced, config_file_values, merge
    from ..output.plans import emit_budget
    from ..output.tables import without_notes

    values = merge(config_file_values(config), plan_flags(fields) | downstream_flag(downstream))
    released = Sourced(hf_config, "--hf-config") if hf_config is not None else None
    plan, compared, warnings = plan_of(values, compare_laws, released)
    warn_all(list(warnings))
    with without_notes(quiet):
        emit_budget(plan, compared, output_format, sys.stdout)


@command(
    (
        ("A shape near 7B parameters, with its exact counts", "scaling-plan shape --params 7B"),
        ("Memory per GPU and the fewest GPUs for 70B", "scaling-plan shape --params 70B --gpu H100 --sharding zero-3"),
        (
            "Your own shape: 32 layers of width 4096, 8 KV heads",
            "scaling-plan shape --layers 32 --d-model 4096 --kv-heads 8",
        ),
        ("A released model's exact counts, from its config.json", "scaling-plan shape --hf-config config.json"),
    )
)
@with_fields(*fields_of("hardware"), *BLUEPRINT_FIELDS)
def shape(
    params: Annotated[
        str | None,
        typer.Option(help="Size to shape: active parameters, e.g. 7B.", show_default=False, metavar="PARAMS"),
    ] = None,
    tokens: Annotated[
        str | None,
        typer.Option(
            help="Training tokens, for batch size, LR and time (default 20 per parameter).",
            show_default=False,
            metavar="TOKENS",
        ),
    ] = None,
    hf_config: Annotated[
        str | None,
        hf_config_option(
            "A released model's Hugging Face config.json (or the folder holding it): its exact parameters,"
            " FLOPs per token and KV cache; --layers, --d-model, --heads, --kv-heads, --d-ff, --vocab-size and the"
            " expert flags given beside it replace what it says. Model types: llama, mistral, mixtral, qwen2,"
            " qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, deepseek_v2, deepseek_v3, gpt2, gpt_neox."
        ),
    ] = None,
    fields: FieldValues = NO_FIELDS,
    output_format: FormatOption = "table",
    quiet: QuietOption = False,
) -> None:
    """A transformer shape near --params (or your own, with --layers and --d-model) and its exact counts.

    Parameters, FLOPs per token under four conventions, and with --gpu the memory per GPU and the fewest GPUs;
    batch size and learning rate from DeepSeek LLM's fit. With --hf-config, a released model's exact counts.
    """
    from ..output.tables import without_notes

    if hf_config is not None:
        from ..architectures import count_architecture
        from ..errors import UsageError
        from ..inputs.hf_config import OVERRIDES, read_hf_config, with_overrides
        from ..output.models import emit_architecture

        given = plan_flags(fields | {"params": params, "tokens": tokens})
        beside = [item.where for name, item in given.items() if name not in OVERRIDES]
        if beside:
            raise UsageError(
                "--hf-config", f"counts the file, with its shape flags over it; {', '.join(beside)} cannot be given"
                " beside it yet",
            )  # fmt: skip
        architecture = with_overrides(read_hf_config(hf_config, "--hf-config"), given, hf_config)
        overridden = [f"{item.where} {item.value}" for name, item in given.items() if name in OVERRIDES]
        with without_notes(quiet):
            emit_architecture(
                hf_config, architecture, count_architecture(architecture), output_format, sys.stdout, overridden
            )
        return
    from ..blueprint import blueprint_at_predicted_mfu, blueprint_warnings
    from ..inputs.request import shape_request
    from ..output.plans import emit_shape

    given = {"params": params, "tokens": tokens, "blueprint": True}  # shape always makes a blueprint
    values = plan_flags(fields | given)
    question, warnings = shape_request(values)
    blueprint, hardware = blueprint_at_predicted_mfu(
        question.blueprint, question.target_n_params, question.n_tokens, question.hardware
    )
    warn_all(warnings + blueprint_warnings(blueprint))
    with without_notes(quiet):
        emit_shape(blueprint, hardware, output_format, sys.stdout)


@command(
    (
        (
            "Chinchilla's loss, and its gap to the optimum",
            "scaling-plan predict --params 70B --tokens 1.4T --law chinchilla-2022",
        ),
        ("Llama 2 7B's run, with its GPU-hours", "scaling-plan predict --params 7B --tokens 2T --gpu A100"),
        ("Four epochs over 500B unique tokens", "scaling-plan predict --params 7B --tokens 2T --unique-tokens 500B"),
    )
)
@with_fields("unique_tokens", "law", *fields_of("hardware"))
def predict(
    tokens: Annotated[
        str,
        typer.Option(
            help="Training tokens of the run, e.g. 1.4T; several: 2T,1T, each with its --params.",
            show_default=False,
            metavar="TOKENS",
        ),
    ],
    params: Annotated[
        str | None,
        typer.Option(
            help="Parameters of the run, e.g. 70B (or --hf-config); several runs: 7B,13B with --tokens 2T,1T.",
            show_default=False,
            metavar="PARAMS",
        ),
    ] = None,
    hf_config: Annotated[
        str | None,
        hf_config_option(
            "Or a released model's Hugging Face config.json (or its folder): its exact parameters are N (a"
            " mixture of experts: those a token uses)."
        ),
    ] = None,
    fields: FieldValues = NO_FIELDS,
    output_format: FormatOption = "table",
    quiet: QuietOption = False,
) -> None:
    """The predicted loss of one run (N, D), and how far it is from the law's compute-optimal run at its compute.

    With --unique-tokens the loss counts repeated data and excess parameters at their effective worth.
    """
    from ..gap import gap_to_optimal
    from ..inputs.request import build_request
    from ..inputs.values import Sourced
    from ..output.plans import emit_prediction
    from ..output.tables import without_notes
    from ..plan_warnings import prediction_warnings

    values = plan_flags(fields)
    predictions, said = [], []
    runs = _runs(params, hf_config, tokens)
    for n_params, n_tokens, of_file in runs:
        asked = values | {
            "run": Sourced(None, "--params/--tokens"),
            "n_params": n_params,
            "n_tokens": n_tokens,
            "method": Sourced("law", "--params/--tokens"),  # the run is measured against the law's own optimum
        }
        request, warnings = build_request(asked)
        assert request.run is not None
        run = request.run
        gap = gap_to_optimal(run.n_params, run.n_tokens, request.law, request.hardware, run.where)
        prefix = "" if len(runs) == 1 else f"{n_params.value} x {n_tokens.value}: "
        said += [prefix + line for line in of_file + warnings + prediction_warnings(request, gap)]
        predictions.append((gap, request))
    warn_all(list(dict.fromkeys(said)))
    with without_notes(quiet):
        if len(predictions) == 1:
            emit_prediction(gap, request.law, request.hardware, output_format, sys.stdout)
        else:
            from ..output.plans import prediction_notes, prediction_record
            from ..output.reports import emit_candidates

            records = [prediction_record(gap, request.law, request.hardware) for gap, request in predictions]
            emit_candidates(records, prediction_notes(request.law, request.hardware), output_format, sys.stdout)


def _runs(params: str | None, hf_config: str | None, tokens: str) -> list[tuple[Any, Any, list[str]]]:
    """predict's runs: N and D for each (--params 7B,13B --tokens 2T,1T pair up; one of either goes with each of the
    other), with the warnings a config.json's N brings."""
    from ..errors import UsageError
    from ..inputs.values import Sourced, comma_items

    token_items = comma_items(tokens, "--tokens", "2T,1T")
    sizes: list[tuple[Any, list[str]]]
    if params is not None and hf_config is not None:
        _run_params(params, hf_config)  # refuses the two together
    if params is not None:
        param_items = comma_items(params, "--params", "7B,13B")
        if (
            len(param_items) > 1
            and param_items[0].isdigit()
            and all(len(i) == 3 and i.isdigit() for i in param_items[1:])
        ):
            raise UsageError("--params", f"thousands separators are read in money only, got {params!r}: write a number"
                             " such as 8.03e9, or sizes such as 7B,13B for several runs")  # fmt: skip
        sizes = [(Sourced(item, "--params"), []) for item in param_items]
    else:
        sizes = [_run_params(None, hf_config)]
    if len(sizes) > 1 and len(token_items) > 1 and len(sizes) != len(token_items):
        raise UsageError(
            "--tokens", f"{len(token_items)} token counts for {len(sizes)} sizes: give as many (they pair up), or one"
        )
    count = max(len(sizes), len(token_items))
    return [
        (*sizes[i if len(sizes) > 1 else 0][:1], Sourced(token_items[i if len(token_items) > 1 else 0], "--tokens"),
         sizes[i if len(sizes) > 1 else 0][1])
        for i in range(count)
    ]  # fmt: skip


def _run_params(params: str | None, hf_config: str | None) -> tuple[Any, list[str]]:
    """predict's N: --params, or the parameters a token uses of the model a config.json describes (exactly one)."""
    from ..errors import UsageError
    from ..inputs.values import Sourced

    if (params is None) == (hf_config is None):
        raise UsageError("--params", "give the run's parameters, --params or --hf-config (one of them)")
    if hf_config is None:
        return Sourced(params, "--params"), []
    from ..architectures import count_architecture
    from ..inputs.hf_config import read_hf_config

    architecture = read_hf_config(hf_config, "--hf-config")
    counted = count_architecture(architecture)
    warnings = []
    if architecture.experts is not None:
        warnings.append(
            f"--hf-config: {architecture.model_type} is a mixture of experts; N is the {counted.params_active:,}"
            f" parameters a token uses (of {counted.params_total:,}), and the law was fitted on dense models"
        )
    return Sourced(float(counted.params_active), "--hf-config"), warnings


@command(
    (
        (
            "One budget per decade, under every law",
            "scaling-plan sweep --from 1e20 --to 1e24 --per-decade 1 --compare-laws",
        ),
        (
            "Budgets in dollars on H100s",
            "scaling-plan sweep --budgets 1e5,1e6,1e7 --unit dollars --gpu H100 --price-per-gpu-hour 2.5",
        ),
        (
            "With data limited to 1T unique tokens",
            "scaling-plan sweep --from 1e22 --to 1e25 --per-decade 1 --unique-tokens 1T",
        ),
        (
            "Every budget as a CSV row, for a spreadsheet",
            "scaling-plan sweep --from 1e18 --to 1e26 --format csv > sweep.csv",
        ),
    )
)
@with_fields(*fields_of("hardware", "allocation", "data", "inference"), "blueprint")
def sweep(
    start: Annotated[
        str | None,
        typer.Option("--from", help="Smallest budget, e.g. 1e18.", rich_help_panel=PANEL_SWEEP, metavar="BUDGET"),
    ] = None,
    stop: Annotated[
        str | None,
        typer.Option("--to", help="Largest budget, e.g. 1e26.", rich_help_panel=PANEL_SWEEP, metavar="BUDGET"),
    ] = None,
    per_decade: Annotated[
        str | None,
        option("Budgets per factor of ten, evenly spaced in log scale (default 4).", PANEL_SWEEP, "COUNT"),
    ] = None,
    budgets: Annotated[
        str | None,
        option("Explicit budgets instead of a range: 1e20,1e21,1e22.", PANEL_SWEEP, "BUDGET,..."),
    ] = None,
    unit: Annotated[
        BudgetUnit,
        option(
            "What the budgets count: FLOPs, dollars (needs --gpu, --price-per-gpu-hour), GPU-hours (needs"
            " --gpu) or days (needs --gpu, --gpus).",
            PANEL_SWEEP,
        ),
    ] = "flops",
    fields: FieldValues = NO_FIELDS,
    compare_laws: CompareLawsOption = False,
    downstream: DownstreamOption = None,
    config: ConfigOption = None,
    output_format: Annotated[SweepFormat, format_option("Output format (jsonl: one JSON record per line).")] = "table",
    quiet: QuietOption = False,
) -> None:
    """Plans across a range of budgets: how N, D, loss, GPU-hours and cost grow with the budget.

    Every budget goes through the allocator, the law and the hardware in one vectorised pass. A config supplies
    hardware and allocation; its own budget is replaced by the sweep's.
    """
    from ..answers import sweep_of
    from ..inputs.budgets import sweep_budgets
    from ..inputs.values import config_file_values, merge
    from ..output.sweeps import emit_sweep
    from ..output.tables import without_notes

    kind = unit.replace("-", "_")
    values, where = sweep_budgets(start, stop, per_decade, budgets, kind)
    given = merge(config_file_values(config), plan_flags(fields) | downstream_flag(downstream))
    plans, compared, warnings = sweep_of(given, values, where, kind, compare_laws, output_format == "table")
    warn_all(list(warnings))
    with without_notes(quiet):
        emit_sweep(plans, compared, output_format, sys.stdout)
