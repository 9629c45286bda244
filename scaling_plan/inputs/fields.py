"""The one table of plan fields: each field's flag, its place in a config file, its kind, and its help for the flag
and for the config. The command line builds its options from it (cli/options.py), the config models and so the JSON
Schema are built from it (inputs/models.py), and messages name a field's flag through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..budget import DEFAULT_MFU, DEFAULT_PUE, GPUS
from ..choices import Family, FfnKind, Method, Objective, Precision, Recompute, Sharding, Style
from ..laws import DEFAULT_LAW, PRESETS


@dataclass(frozen=True)
class Field:
    """One plan field. `kind` is "quantity" (1e24, 70B, $2M), "text", "switch" (a flag that asks for something),
    "bool" (on/off) or a choice Literal from choices.py."""

    name: str  # the plan field, and the name of every command parameter that sets it
    flag: str | None  # None: only in config files
    section: str  # where it sits in a config file
    key: str  # its key in that section
    kind: Any
    help: str  # for --help
    description: str  # for the config schema
    off_flag: str | None = None  # a bool's flag for False
    required: bool = False  # in its config section
    # The range a quantity must lie in; the defaults are "positive". Enforced on config values by the models and
    # written into the schema; request.py checks flags the same way.
    low: float = 0.0
    low_inclusive: bool = False
    high: float | None = None
    whole: bool = False
    money: bool = False  # US dollars: the only quantities that may be written with a '$'
    size: str | None = None  # "params" or "tokens": a model's size or a count of training tokens (see MIN_SIZES)
    metavar: str | None = None  # what --help shows for the value: the quantity and its unit (FLOPS, USD, TOKENS)


#: The smallest model size and token count a plan takes. The presets' fits start far above: Hoffmann et al. 2022
#: (abstract) trained 70M to 16B parameters on 5B to 500B tokens (the runs Besiroglu et al. 2024 refit), and Kaplan
#: et al. 2020 (sec. 3) 768 to 1.5B non-embedding parameters on 22M to 23B tokens. No plan is for a model below
#: 1e5 parameters or a run below 1e6 tokens, while a size typed without its suffix (70 for 70B, 15 for 15T) always
#: lands there: such a size is refused, with the suffix it most likely lacks (SIZE_SUFFIX_AIMS).
MIN_SIZES = {"params": 1e5, "tokens": 1e6}
#: Where a forgotten suffix most likely lands: the suffix that puts the number nearest (in log scale) a typical
#: size, 10B parameters and 1T tokens, so 7 and 70 read as 7B and 70B, 500 as 500M, 15 as 15T.
SIZE_SUFFIX_AIMS = {"params": 1e10, "tokens": 1e12}


def _f(name: str, flag: str | None, section: str, kind: Any, help: str, description: str, **extra: Any) -> Field:
    key = extra.pop("key", name)
    return Field(name, flag, section, key, kind, help, description, **extra)


Q = "quantity"
FIELDS: tuple[Field, ...] = (
    _f("flops", "--flops", "budget", Q, "Training compute in FLOPs, e.g. 1e24.", "training compute in FLOPs, e.g. 1e24", metavar="FLOPS"),
    _f("dollars", "--dollars", "budget", Q,
       "Money for training, e.g. 2e6, '$2M' or '$2,000,000'; needs --gpu and --price-per-gpu-hour.",
       "money for training, e.g. $2M; needs hardware.gpu and price", money=True, metavar="USD"),
    _f("gpu_hours", "--gpu-hours", "budget", Q, "GPU-hours, e.g. 5e5; needs --gpu.",
       "GPU-hours, e.g. 5e5; needs hardware.gpu", metavar="GPU_HOURS"),
    _f("days", "--days", "budget", Q, "Wall-clock days on --gpus GPUs of --gpu.",
       "wall-clock days on hardware.gpus GPUs of hardware.gpu", metavar="DAYS"),
    _f("params", "--params", "target", Q, "Inverse: the compute that makes a model of this size optimal, e.g. 70B.",
       "model size to make compute-optimal, e.g. 70B", metavar="PARAMS", size="params", low=1e5, low_inclusive=True),
    _f("tokens", "--tokens", "target", Q, "Inverse: the optimal model and compute for this many tokens, e.g. 15T.",
       "training tokens to make compute-optimal, e.g. 15T", metavar="TOKENS", size="tokens", low=1e6, low_inclusive=True),
    _f("loss", "--loss", "target", Q, "Inverse: the least compute that reaches this loss (nats/token).",
       "loss in nats/token to reach with the least compute", metavar="NATS"),
    _f("gpu", "--gpu", "hardware", "text", f"GPU preset ({', '.join(GPUS)}) or a hardware YAML file.",
       "GPU preset, e.g. H100-SXM (see `scaling-plan gpus`), or a hardware file path (relative to this config)",
       metavar="NAME|PATH"),
    _f("precision", "--precision", "hardware", Precision,
       "Number format of the matrix multiplies, for the GPU's peak: bf16 (default) or fp8.",
       "number format of the matmuls, for the GPU's peak: bf16 or fp8; default bf16", metavar="FORMAT"),
    _f("peak_flops", "--peak-flops", "hardware", Q,
       "Dense peak FLOP/s per GPU at --precision: overrides the preset, or without --gpu makes a custom GPU.",
       "dense peak FLOP/s per GPU at the precision; overrides the preset, or alone makes a custom GPU",
       metavar="FLOPS"),
    _f("gpu_memory_gib", "--gpu-memory-gib", "hardware", Q, "Memory per GPU in GiB, for blueprints: overrides the preset.",
       "memory per GPU in GiB (as the device reports it); overrides the preset", metavar="GIB"),
    _f("mfu", "--mfu", "hardware", Q, f"Model FLOPs utilisation in (0, 1] (default {DEFAULT_MFU:.2f}).",
       "model FLOPs utilisation in (0, 1]; default 0.40", high=1.0, metavar="FRACTION"),
    _f("gpus", "--gpus", "hardware", Q, "Number of GPUs, for wall-clock days.",
       "number of GPUs, for wall-clock time (and the `days` budget)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT"),
    _f("price_per_gpu_hour", "--price-per-gpu-hour", "hardware", Q,
       "US dollars per GPU-hour (no default: prices vary too much).", "US dollars per GPU-hour", money=True, metavar="USD"),
    _f("pue", "--pue", "hardware", Q, f"Power usage effectiveness of the facility, at least 1 (default {DEFAULT_PUE:g}).",
       f"facility energy over IT energy, at least 1; default {DEFAULT_PUE:g}", low=1.0, low_inclusive=True, metavar="RATIO"),
    _f("grid_gco2_per_kwh", "--grid-gco2-per-kwh", "hardware", Q,
       "Carbon intensity of the grid, gCO2e per kWh, for the run's emissions (no default: grids differ 40x).",
       "grid carbon intensity in gCO2e/kWh (no default)", low_inclusive=True, metavar="G_PER_KWH"),
    _f("goodput", "--goodput", "hardware", Q,
       "Share of wall-clock time spent training, in (0, 1]; restarts stretch days and cost (default 1).",
       "share of wall-clock time spent training, in (0, 1]; default 1", high=1.0, metavar="FRACTION"),
    _f("method", "--method", "allocation", Method,
       "How N and D are chosen: tokens-per-param (D = r·N), law (the law's own optimum), or a published"
       " frontier, llama3-2024 or deepseek-llm-2024 (loss from --law); default tokens-per-param.",
       "how N and D are chosen", metavar="RULE"),
    _f("tokens_per_param", "--tokens-per-param", "allocation", Q,
       "r in D = r·N for the tokens-per-param rule (default 20).", "r in D = r·N for the tokens-per-param rule", metavar="RATIO"),
    _f("law", "--law", "allocation", "text",
       f"Loss law: {', '.join(PRESETS)}, or a law YAML file (default {DEFAULT_LAW}).",
       "loss law preset or a law file path (relative to this config)", metavar="NAME|PATH"),
    _f("unique_tokens", "--unique-tokens", "data", Q,
       "Unique training tokens available, e.g. 25B: data past it repeats (Muennighoff et al. 2023).",
       "unique training tokens available, e.g. 25B", metavar="TOKENS", size="tokens", low=1e6, low_inclusive=True),
    _f("inference_tokens", "--inference-tokens", "inference", Q,
       "Tokens the model will serve over its life, e.g. 2T: adds the model with the least lifetime compute"
       " (Sardana et al. 2024).", "tokens served over the model's life, e.g. 2T", key="tokens", low_inclusive=True, metavar="TOKENS"),
    _f("inference_objective", "--inference-objective", "inference", Objective,
       "Minimise lifetime flops or cost (dollars); default cost when an inference MFU or price is given.",
       "minimise lifetime FLOPs, or lifetime dollars (default cost when mfu or price is given)", key="objective",
       metavar="WHAT"),
    _f("inference_mfu", "--inference-mfu", "inference", Q, "MFU when serving (default: the training MFU).",
       "model FLOPs utilisation when serving; default the training MFU", key="mfu", high=1.0, metavar="FRACTION"),
    _f("inference_price_per_gpu_hour", "--inference-price-per-gpu-hour", "inference", Q,
       "US dollars per GPU-hour when serving (default: the training price).",
       "US dollars per GPU-hour when serving; default the training price", key="price_per_gpu_hour", money=True, metavar="USD"),
    _f("n_params", None, "run", Q, "", "parameters of the intended model, e.g. 70B", required=True, size="params", low=1e5, low_inclusive=True),
    _f("n_tokens", None, "run", Q, "", "training tokens of the intended run, e.g. 1.4T", required=True, size="tokens", low=1e6, low_inclusive=True),
    _f("blueprint", "--blueprint", "blueprint", "switch",
       "Also size a concrete transformer for N: exact counts, memory per GPU, GPUs, batch size and LR.",
       "(the section's presence asks for a blueprint)"),
    _f("family", "--family", "blueprint", Family,
       "Follow a model series' conventions: llama2, llama3 or gpt3 (vocabulary, context, FFN rule, key/value"
       " heads, embeddings, blocks); flags given beside it win.", "a model series' conventions; flags beside it win",
       metavar="NAME"),
    _f("n_layers", "--layers", "blueprint", Q, "Explicit shape: layers.", "explicit shape: layers (with d_model)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT"),
    _f("d_model", "--d-model", "blueprint", Q, "Explicit shape: model width.",
       "explicit shape: model width (with n_layers)", low=1.0, low_inclusive=True, whole=True, metavar="WIDTH"),
    _f("n_heads", "--heads", "blueprint", Q, "Explicit shape: attention heads (default width/128, or /64 under 1024).",
       "explicit shape: attention heads", low=1.0, low_inclusive=True, whole=True, metavar="COUNT"),
    _f("d_ff", "--d-ff", "blueprint", Q, "Explicit shape: FFN width (default 4·d, SwiGLU 8/3·d).",
       "explicit shape: FFN width", low=1.0, low_inclusive=True, whole=True, metavar="WIDTH"),
    _f("n_kv_heads", "--kv-heads", "blueprint", Q, "Key/value heads for grouped-query attention (default: all).",
       "key/value heads (grouped-query attention)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT"),
    _f("vocab_size", "--vocab-size", "blueprint", Q, "Vocabulary size (default 128000).",
       "vocabulary size; default 128000", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS"),
    _f("seq_len", "--seq-len", "blueprint", Q, "Training sequence length in tokens (default 4096).",
       "training sequence length; default 4096", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS"),
    _f("ffn", "--ffn", "blueprint", FfnKind, "FFN kind: gelu (2 matrices) or swiglu (3); default swiglu.",
       "FFN kind; default swiglu"),
    _f("tied_embeddings", "--tied-embeddings", "blueprint", "bool",
       "Share the input and output embedding (default untied).", "share input and output embeddings; default false",
       off_flag="--untied-embeddings"),
    _f("style", "--style", "blueprint", Style,
       "Blocks: llama (RMSNorm, no biases, rotary) or gpt (LayerNorm, biases, learned positions).",
       "block style; default llama"),
    _f("experts", "--experts", "blueprint", Q, "Mixture-of-experts: routed experts per layer.",
       "mixture-of-experts: routed experts per layer", low_inclusive=True, whole=True, metavar="COUNT"),
    _f("active_experts", "--active-experts", "blueprint", Q, "Routed experts each token uses (top-k; default 1).",
       "routed experts each token uses (top-k)", low_inclusive=True, whole=True, metavar="COUNT"),
    _f("shared_experts", "--shared-experts", "blueprint", Q, "Experts every token uses besides the routed ones.",
       "experts every token uses", low_inclusive=True, whole=True, metavar="COUNT"),
    _f("expert_d_ff", "--expert-d-ff", "blueprint", Q,
       "Explicit shape: each expert's FFN width (default --d-ff); narrower for a fine-grained MoE.",
       "explicit shape: each expert's FFN width (default d_ff)", low=1.0, low_inclusive=True, whole=True,
       metavar="WIDTH"),
    _f("causal_attention", "--causal-attention", "blueprint", "bool",
       "Halve the attention-score FLOPs for causal masking in the full count.",
       "halve attention-score FLOPs in the full count"),
    _f("sharding", "--sharding", "blueprint", Sharding,
       "ZeRO stage over the data-parallel GPUs: none, zero-1, zero-2, zero-3 or fsdp (the same as zero-3);"
       " default: searched.", "ZeRO stage over data-parallel GPUs; default searched", metavar="MODE"),
    _f("recompute", "--recompute", "blueprint", Recompute,
       "Activation recomputation: none, selective or full; default: searched (the least that fits).",
       "activation recomputation; default searched", metavar="MODE"),
    _f("micro_batch", "--micro-batch", "blueprint", Q, "Sequences per GPU per forward pass (default 1).",
       "sequences per GPU per forward pass; default 1", low=1.0, low_inclusive=True, whole=True, metavar="SEQUENCES"),
    _f("tp", "--tp", "blueprint", Q, "Tensor-parallel GPUs per model replica, within a node; default: searched.",
       "tensor-parallel degree (within a node); default searched", low=1.0, low_inclusive=True, whole=True,
       metavar="DEGREE"),
    _f("pp", "--pp", "blueprint", Q, "Pipeline stages; must divide the layers; default: searched.",
       "pipeline-parallel stages (divide the layers); default searched", low=1.0, low_inclusive=True, whole=True,
       metavar="STAGES"),
    _f("cp", "--cp", "blueprint", Q, "Context-parallel GPUs, each holding 1/cp of every sequence; default: searched.",
       "context-parallel degree; default searched", low=1.0, low_inclusive=True, whole=True, metavar="DEGREE"),
    _f("flash_attention", "--flash-attention", "blueprint", "bool",
       "Attention kernels that keep no seq x seq score tensor, as FlashAttention (default on).",
       "FlashAttention-style kernels (no score tensor kept); default true", off_flag="--no-flash-attention"),
    _f("dropout", "--dropout", "blueprint", "bool",
       "Blocks with dropout, whose masks count in activation memory (default: on for --style gpt and gpt3, off for"
       " llama).", "dropout in the blocks (its masks count in activation memory); default true for the gpt style,"
       " false for llama", off_flag="--no-dropout"),
    _f("gpus_per_node", "--gpus-per-node", "blueprint", Q, "GPUs per node: the most tensor parallelism spans (default 8).",
       "GPUs per node, the most tensor parallelism spans; default 8", low=1.0, low_inclusive=True, whole=True,
       metavar="COUNT"),
    _f("max_loss_gap", "--max-loss-gap", "policy", Q, "Largest predicted loss above optimal, in nats/token.",
       "largest predicted loss above optimal, in nats/token", low_inclusive=True, metavar="NATS"),
    _f("max_compute_overhead", "--max-compute-overhead", "policy", Q,
       "Largest extra compute over the optimal run reaching the same loss, in percent.",
       "largest extra compute over the optimal run that reaches the same loss, in percent", low_inclusive=True, metavar="PERCENT"),
    _f("min_tokens_per_param", "--min-tokens-per-param", "policy", Q, "Fewest training tokens per parameter.",
       "fewest training tokens per parameter", low_inclusive=True, metavar="RATIO"),
    _f("max_tokens_per_param", "--max-tokens-per-param", "policy", Q, "Most training tokens per parameter.",
       "most training tokens per parameter", low_inclusive=True, metavar="RATIO"),
    _f("max_cost_usd", "--max-cost-usd", "policy", Q, "Most US dollars the run may cost (needs a price).",
       "most US dollars the run may cost (needs a price)", low_inclusive=True, money=True, metavar="USD"),
    _f("max_wall_clock_days", "--max-wall-clock-days", "policy", Q, "Most wall-clock days (needs --gpus in the config).",
       "most wall-clock days (needs hardware.gpus)", low_inclusive=True, metavar="DAYS"),
    _f("max_epochs", "--max-epochs", "policy", Q,
       "Most passes over the unique data (needs data.unique_tokens in the config).",
       "most passes over the unique data (needs data.unique_tokens)", low_inclusive=True, metavar="EPOCHS"),
)  # fmt: skip

#: Fields by name.
BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}
#: Each field's flag, for messages (fields only in files have none).
FLAGS: dict[str, str] = {field.name: field.flag for field in FIELDS if field.flag is not None}
#: Config sections in file order, each with its fields (the blueprint switch is the section itself).
SECTIONS: dict[str, tuple[Field, ...]] = {}
for _field in FIELDS:
    if _field.kind != "switch":
        SECTIONS.setdefault(_field.section, ())
        SECTIONS[_field.section] += (_field,)

#: A blueprint's fields: the shape (counted as given when n_layers and d_model are), and how it is trained.
BLUEPRINT_FIELDS = tuple(field.name for field in SECTIONS["blueprint"])
#: Whole numbers of a shape (at least 1) and of its experts (at least 0).
SHAPE_INTEGERS = tuple(field.name for field in SECTIONS["blueprint"] if field.whole and field.low == 1)
EXPERT_INTEGERS = tuple(field.name for field in SECTIONS["blueprint"] if field.whole and field.low == 0)


def size_problem(size: str, value: float) -> str | None:
    """What is wrong with a model size or token count (`size` "params" or "tokens") below MIN_SIZES: said with the
    suffix it most likely lacks; None when it is large enough."""
    import math

    from ..units import format_scientific

    least = MIN_SIZES[size]
    if not 0 < value < least:
        return None
    unit = ("parameter" if size == "params" else "token") + ("" if value == 1 else "s")
    small = "too small a model" if size == "params" else "too few"
    said = f"{value:g} {unit} is {small} to plan (at least {format_scientific(least, 1)})"
    if value >= 1000:  # a number that size was typed as it is, not short of a suffix
        return said
    aim = math.log10(SIZE_SUFFIX_AIMS[size])
    suffix, _ = min((("K", 3), ("M", 6), ("B", 9), ("T", 12)), key=lambda s: abs(math.log10(value) + s[1] - aim))
    return f"{said}; did you mean {value:g}{suffix}?"


def range_problem(field: Field, value: float) -> str | None:
    """What is wrong with a quantity for this field, in the words request.py uses for flags; None when it fits."""
    if field.size is not None and value <= 0:
        return f"must be positive, got {value:g}"
    if field.size is not None and (problem := size_problem(field.size, value)) is not None:
        return problem
    if field.whole and value != int(value):
        return f"must be a whole number of at least {field.low:g}, got {value:g}"
    if field.high is not None and not (field.low < value <= field.high):
        return f"must be in ({field.low:g}, {field.high:g}], got {value:g}"
    if field.low_inclusive and value < field.low:
        if field.whole:
            return f"must be a whole number of at least {field.low:g}, got {value:g}"
        return (
            f"must not be negative, got {value:g}"
            if field.low == 0
            else f"must be at least {field.low:g}, got {value:g}"
        )
    if not field.low_inclusive and value <= field.low:
        return f"must be positive, got {value:g}"
    return None


def fields_of(*sections: str) -> tuple[str, ...]:
    """The names of every field (with a flag) in these config sections, in table order."""
    return tuple(field.name for field in FIELDS if field.section in sections and field.flag is not None)
