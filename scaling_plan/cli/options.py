"""Options shared by the commands, declared once so every command spells and documents them alike."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..budget import DEFAULT_MFU, GPUS
from ..choices import FfnKind, Method, Objective, Recompute, Sharding, Style
from ..laws import DEFAULT_LAW, PRESETS

#: Help panels, so related options show together in --help.
PANEL_BUDGET = "Budget (exactly one, or one inverse target)"
PANEL_SWEEP = "Budgets to sweep"
PANEL_HARDWARE = "Hardware"
PANEL_ALLOCATION = "Allocation and loss law"
PANEL_POLICY = "Policy limits (override the config's policy: section)"
PANEL_OUTPUT = "Output"
PANEL_DATA = "Data and inference"
PANEL_BLUEPRINT = "Blueprint: shape, counts, memory, batch size and learning rate"
PANEL_COLUMNS = "Columns (default: the first found, ignoring case)"
PANEL_SELECTION = "Which runs"
PANEL_FIT = "Fit and bootstrap"


def option(help_text: str, panel: str) -> Any:
    """A plain option in a help panel (its name comes from the parameter)."""
    return typer.Option(help=help_text, rich_help_panel=panel)


# Options shared by the planning commands: declared once, so every command spells and documents them alike.
GpuOption = Annotated[str | None, option(f"GPU preset: {', '.join(GPUS)}.", PANEL_HARDWARE)]


MfuOption = Annotated[
    str | None,
    option(f"Model FLOPs utilisation in (0, 1] (default {DEFAULT_MFU:.2f}).", PANEL_HARDWARE),
]


GpusOption = Annotated[str | None, option("Number of GPUs, for wall-clock days.", PANEL_HARDWARE)]


PriceOption = Annotated[
    str | None,
    option("US dollars per GPU-hour (no default: prices vary too much).", PANEL_HARDWARE),
]


MethodOption = Annotated[
    Method | None,
    option(
        "How N and D are chosen: the D = r·N rule, or the law's own optimum (default tokens-per-param).",
        PANEL_ALLOCATION,
    ),
]


TokensPerParamOption = Annotated[
    str | None,
    option("r in D = r·N for the tokens-per-param rule (default 20).", PANEL_ALLOCATION),
]


LawOption = Annotated[
    str | None,
    option(f"Loss law: {', '.join(PRESETS)}, or a law YAML file (default {DEFAULT_LAW}).", PANEL_ALLOCATION),
]


UniqueTokensOption = Annotated[
    str | None,
    option("Unique training tokens available, e.g. 25B: data past it repeats (Muennighoff et al. 2023).", PANEL_DATA),
]


InferenceTokensOption = Annotated[
    str | None,
    option(
        "Tokens the model will serve over its life, e.g. 2T: adds the model with the least lifetime compute"
        " (Sardana et al. 2024).",
        PANEL_DATA,
    ),
]


InferenceObjectiveOption = Annotated[
    Objective | None,
    option(
        "Minimise lifetime FLOPs, or lifetime dollars (default: cost when an inference MFU or price is given).",
        PANEL_DATA,
    ),
]


InferenceMfuOption = Annotated[str | None, option("MFU when serving (default: the training MFU).", PANEL_DATA)]


InferencePriceOption = Annotated[
    str | None, option("US dollars per GPU-hour when serving (default: the training price).", PANEL_DATA)
]


BlueprintOption = Annotated[
    bool,
    typer.Option(
        "--blueprint",
        help="Also size a concrete transformer for N: exact counts, memory per GPU, GPUs, batch size and LR.",
        rich_help_panel=PANEL_BLUEPRINT,
    ),
]


LayersOption = Annotated[
    str | None, typer.Option("--layers", help="Explicit shape: layers.", rich_help_panel=PANEL_BLUEPRINT)
]


DModelOption = Annotated[str | None, option("Explicit shape: model width.", PANEL_BLUEPRINT)]


HeadsOption = Annotated[
    str | None,
    typer.Option("--heads", help="Explicit shape: attention heads (default width/128, or /64 under 1024).",
                 rich_help_panel=PANEL_BLUEPRINT),
]  # fmt: skip


DFfOption = Annotated[str | None, option("Explicit shape: FFN width (default 4·d, SwiGLU 8/3·d).", PANEL_BLUEPRINT)]


KvHeadsOption = Annotated[
    str | None, option("Key/value heads for grouped-query attention (default: all).", PANEL_BLUEPRINT)
]


VocabSizeOption = Annotated[str | None, option("Vocabulary size (default 128000).", PANEL_BLUEPRINT)]


SeqLenOption = Annotated[str | None, option("Training sequence length in tokens (default 4096).", PANEL_BLUEPRINT)]


FfnOption = Annotated[
    FfnKind | None, option("FFN kind: gelu (2 matrices) or swiglu (3); default swiglu.", PANEL_BLUEPRINT)
]


TiedOption = Annotated[
    bool | None,
    typer.Option("--tied-embeddings/--untied-embeddings", help="Share the input and output embedding (default untied).",
                 rich_help_panel=PANEL_BLUEPRINT, show_default=False),
]  # fmt: skip


StyleOption = Annotated[
    Style | None,
    option(
        "Blocks: llama (RMSNorm, no biases, rotary) or gpt (LayerNorm, biases, learned positions).", PANEL_BLUEPRINT
    ),
]


ExpertsOption = Annotated[str | None, option("Mixture-of-experts: routed experts per layer.", PANEL_BLUEPRINT)]


ActiveExpertsOption = Annotated[
    str | None, option("Routed experts each token uses (top-k; default 1).", PANEL_BLUEPRINT)
]


SharedExpertsOption = Annotated[
    str | None, option("Experts every token uses besides the routed ones.", PANEL_BLUEPRINT)
]


CausalOption = Annotated[
    bool | None,
    typer.Option("--causal-attention", help="Halve the attention-score FLOPs for causal masking in the full count.",
                 rich_help_panel=PANEL_BLUEPRINT, show_default=False),
]  # fmt: skip


ShardingOption = Annotated[
    Sharding | None,
    option("How optimiser state, gradients and weights split over GPUs (default zero-3).", PANEL_BLUEPRINT),
]


RecomputeOption = Annotated[
    Recompute | None, option("Activation recomputation: none, selective or full (default full).", PANEL_BLUEPRINT)
]


MicroBatchOption = Annotated[
    str | None, option("Sequences per GPU per step, for activations (default 1).", PANEL_BLUEPRINT)
]


def blueprint_flags(blueprint: bool, **flags: Any) -> dict[str, Any]:
    """Blueprint flags keyed by plan field (--blueprint itself only when given)."""
    return plan_flags(blueprint=True if blueprint else None, **flags)


CompareLawsOption = Annotated[
    bool,
    typer.Option(
        "--compare-laws", help="Also show what every law's own optimum chooses.", rich_help_panel=PANEL_ALLOCATION
    ),
]


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config", "-c", help="YAML config file ('-' for stdin); flags override it.", rich_help_panel=PANEL_OUTPUT
    ),
]


ConfigsArgument = Annotated[list[str], typer.Argument(help="YAML config files.", show_default=False)]


def plan_flags(**flags: Any) -> dict[str, Any]:
    """Flag values (None when not given) keyed by plan field, each remembering its flag for messages."""
    from ..inputs.fields import FLAGS
    from ..inputs.values import Sourced

    return {name: Sourced(value, FLAGS[name]) for name, value in flags.items() if value is not None}
