"""The one table of plan fields: each field's flag, its place in a config file, its kind, and its help for the flag
and for the config. The command line builds its options from it (cli/options.py), the config models and so the JSON
Schema are built from it (inputs/models.py), and messages name a field's flag through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..budget import DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, DEFAULT_PUE, GPUS
from ..choices import (
    Family,
    FfnKind,
    GradPrecision,
    KvPrecision,
    Method,
    Objective,
    OptimizerStates,
    Precision,
    Recompute,
    Sharding,
    Style,
    WeightsPrecision,
)
from ..laws import MAX_LOSS_NATS
from ..moe import GRANULARITIES
from ..presets import DEFAULT_LAW, PRESETS


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
    # The range a quantity must lie in: every quantity has both ends (see RANGES), enforced on config values by the
    # models and written into the schema; request.py checks flags the same way (range_problem).
    low: float = 0.0
    low_inclusive: bool = False
    high: float | None = None
    whole: bool = False
    money: bool = False  # US dollars: the only quantities that may be written with a '$'
    size: str | None = None  # "params" or "tokens": a model's size or a count of training tokens (see MIN_SIZES)
    metavar: str | None = None  # what --help shows for the value: the quantity and its unit (FLOPS, USD, TOKENS)
    high_inclusive: bool = True
    word: str | None = None  # a word the quantity may be instead of a number (--mfu predict)


@dataclass(frozen=True)
class FileNumber:
    """A number in a file the tool reads besides a config (law, frontier, downstream, hardware and runs files): its
    key there, its unit and the range it must lie in, checked where the file is read (file:line: key)."""

    kind: str  # "law", "frontier", "downstream", "hardware" or "runs"
    key: str  # its key in the file (a column's role for runs files)
    unit: str
    low: float
    high: float
    low_inclusive: bool = False
    high_inclusive: bool = True
    whole: bool = False
    size: str | None = None  # never a plan's size: runs and laws hold what was measured and fitted


#: The smallest model size and token count a plan takes. The presets' fits start far above: Hoffmann et al. 2022
#: (abstract) trained 70M to 16B parameters on 5B to 500B tokens (the runs Besiroglu et al. 2024 refit), and Kaplan
#: et al. 2020 (sec. 3) 768 to 1.5B non-embedding parameters on 22M to 23B tokens. No plan is for a model below
#: 1e5 parameters or a run below 1e6 tokens, while a size typed without its suffix (70 for 70B, 15 for 15T) always
#: lands there: such a size is refused, with the suffix it most likely lacks (SIZE_SUFFIX_AIMS).
MIN_SIZES = {"params": 1e5, "tokens": 1e6}
#: Where a forgotten suffix most likely lands: the suffix that puts the number nearest (in log scale) a typical
#: size, 10B parameters and 1T tokens, so 7 and 70 read as 7B and 70B, 500 as 500M, 15 as 15T.
SIZE_SUFFIX_AIMS = {"params": 1e10, "tokens": 1e12}


# --- Ranges. Every number the tool reads has one, wide enough for any real run and no wider: a value past a bound is
# a slip (a unit, a suffix, a percentage for a fraction), and within them every plan is finite (what still overflows
# in combination is refused naming the inputs that combine; see plans.py). docs/limits.md lists them.

#: Training compute, FLOPs. The largest runs reported by 2025 used a few times 1e26 (Epoch AI's "Notable AI Models"
#: data); every data-centre GPU on Earth (about 1e7) at 1e15 FLOP/s for a century is about 3e31. 1e40 leaves any
#: extrapolation room.
MAX_FLOPS = 1e40
#: US dollars, for budgets and limits: the world's yearly output is about 1e14 dollars; no training run costs a tenth.
MAX_DOLLARS = 1e13
#: GPU-hours: every data-centre GPU on Earth (about 1e7) for a century is about 9e12.
MAX_GPU_HOURS = 1e13
#: Wall-clock days: 27 years; real runs take weeks to months.
MAX_DAYS = 1e4
#: Parameters of a model: 1,000 times the largest dense models trained (PaLM 540B, Chowdhery et al. 2022; Llama 3
#: 405B, Dubey et al. 2024), and the most a blueprint shapes (blueprint.MAX_SHAPE_PARAMS).
MAX_PARAMS = 1e15
#: Tokens: public human text is about 3e14 tokens (Villalobos et al. 2024, "Will we run out of data?"); 1e18
#: leaves room for repetition and synthetic data.
MAX_TOKENS = 1e18
#: Dense peak FLOP/s per GPU. The fastest accelerators peak near 4.5e15 dense FP8 (B200 in budget.GPUS); 1e18 is
#: generous. Below 1e9 (a phone's core) is a peak typed in TFLOP/s (989 for 989e12).
MIN_PEAK_FLOPS, MAX_PEAK_FLOPS = 1e9, 1e18
#: Memory per GPU, GiB: devices hold 16 to 288 GB (budget.GPUS: up to 179 GiB); no planned model trains below 1 GiB
#: per GPU, and a figure above 10,000 was typed in MiB or bytes.
MIN_GPU_MEMORY_GIB, MAX_GPU_MEMORY_GIB = 1.0, 1e4
#: Rated board power per GPU, watts: B200 1,000 W (budget.GPUS); a wafer-scale system draws about 23 kW (Cerebras
#: CS-3 datasheet, 2024). 1e5 bounds any one accelerator; below 1 W is a figure in kW.
MIN_POWER_WATTS, MAX_POWER_WATTS = 1.0, 1e5
#: Memory and link bandwidth per GPU, GB/s: B200's HBM3e gives 8,000 and its NVLink 1,800 (budget.GPUS); 1e6 is a
#: hundred times that. Below 1 GB/s is a figure in TB/s (3.35 for an H100's 3,350).
MIN_BANDWIDTH_GB_PER_SECOND, MAX_BANDWIDTH_GB_PER_SECOND = 1.0, 1e6
#: Model FLOPs utilisation: large runs report 21-46% (Chowdhery et al. 2022, Table 3) and 38-43% (Dubey et al. 2024,
#: Table 4). Below 0.1% a run leaves 99.9% of its GPUs' peak idle: a slip, not a plan.
MIN_MFU = 1e-3
#: Largest cluster, GPUs: the largest built hold 1e5 to 2e5 (xAI's Colossus, 2025); 1e7 is about every data-centre
#: GPU shipped.
MAX_GPUS = 1e7
#: US dollars per GPU-hour: cloud prices run from about $1 to $12 (H100 on demand, 2024-25). Above $1,000 is a typo
#: (a node-hour at least a hundred times over); below a tenth of a cent, a price in other units.
MIN_PRICE_USD_PER_GPU_HOUR, MAX_PRICE_USD_PER_GPU_HOUR = 1e-3, 1e3
#: Power usage effectiveness: 1.1 for hyperscalers, 1.58 on average (Uptime Institute Global Data Center Survey
#: 2023, as budget.DEFAULT_PUE says); 3 is past the worst facility surveyed.
MAX_PUE = 3.0
#: Grid carbon intensity, gCO2e/kWh: coal's life-cycle median is 820 (IPCC AR5 WG3, 2014, Annex III, Table A.III.2);
#: 2,000 bounds every grid, and 0 is allowed (a dedicated renewable supply).
MAX_GRID_GCO2_PER_KWH = 2000.0
#: Goodput: Llama 3 405B kept above 90% through 466 interruptions (Dubey et al. 2024, sec. 3.3.4). Below 1% the
#: cluster does little but restart.
MIN_GOODPUT = 0.01
#: Tokens per parameter, for the rule and for policy limits: Kaplan et al. 2020's frontier (Table 6) trains about 0.3
#: per parameter at 1e24 FLOPs, and small models of 2025 trained up to about 60,000 (Qwen3 0.6B on 36T tokens, Yang
#: et al. 2025, Qwen3 Technical Report).
MIN_TOKENS_PER_PARAM, MAX_TOKENS_PER_PARAM = 0.01, 1e6
#: Tokens served over a model's life: Google reported serving about 1e15 tokens a month across its products in 2025;
#: 1e19 is eight centuries of that.
MAX_INFERENCE_TOKENS = 1e19
#: Transformer shapes. Layers: Llama 3 405B has 126; DeepNet trained 1,000 (Wang et al. 2022). Width: PaLM 540B's
#: 18,432 is the widest published (Chowdhery et al. 2022, Table 1), its FFN 73,728. Heads: Llama 3 405B has 128 (Dubey
#: et al. 2024, Table 3). Vocabulary: Gemma's 256K is among the largest (Gemma Team 2024). Context: training contexts
#: reach about 1e6 tokens. Experts: He 2024 ("Mixture of a Million Experts") routes among 1,048,576 per layer.
MAX_LAYERS, MAX_WIDTH, MAX_FFN_WIDTH, MAX_HEADS = 1e4, 1e5, 1e6, 1e4
MAX_VOCAB, MAX_SEQ_LEN, MAX_EXPERTS = 1e7, 1e8, 2.0**20
#: Parallel layouts: sequences per GPU per step, and tensor, pipeline and context degrees and GPUs per node (a TPU v5p
#: pod, 8,960 chips, is the largest single interconnect domain).
MAX_MICRO_BATCH, MAX_DEGREE = 1e5, 1e4
#: A global batch of up to 1e8 sequences, a measured step of up to a day, and up to 64 interleaved stages per GPU
#: (Megatron-LM's runs use a few: 3 in Korthikanti et al. 2022's 175B and 530B).
MAX_GLOBAL_BATCH, MAX_STEP_SECONDS, MAX_INTERLEAVE = 1e8, 86_400.0, 64
#: A mixture-of-experts law's granularity: Krajewski et al. 2024's code searches up to 256.
MAX_GRANULARITY = float(GRANULARITIES[-1])
#: A run's granularity, d_ff over its experts' width: far past any trained (DeepSeek-V3's is 9).
MAX_RUN_GRANULARITY = 1e4
#: Policy limits: extra compute over the optimal run, in percent (a run at 60,000 tokens per parameter pays a few
#: hundred percent); passes over the unique data (past 16, repeated tokens are worth little: Muennighoff et al. 2023).
MAX_COMPUTE_OVERHEAD_PCT, MAX_EPOCHS = 1e6, 1e4
#: Serving load, output tokens per second: Google's 1e15 tokens a month (above) is about 4e8 a second; 1e12 is
#: thousands of times that.
MAX_TOKENS_PER_SECOND = 1e12


def _f(name: str, flag: str | None, section: str, kind: Any, help: str, description: str, **extra: Any) -> Field:
    key = extra.pop("key", name)
    return Field(name, flag, section, key, kind, help, description, **extra)


Q = "quantity"
FIELDS: tuple[Field, ...] = (
    _f("flops", "--flops", "budget", Q, "Training compute in FLOPs, e.g. 1e24.", "training compute in FLOPs, e.g. 1e24", metavar="FLOPS", high=MAX_FLOPS),
    _f("dollars", "--dollars", "budget", Q,
       "Money for training, e.g. 2e6, '$2M' or '$2,000,000'; needs --gpu and --price-per-gpu-hour.",
       "money for training, e.g. $2M; needs hardware.gpu and price", money=True, metavar="USD", high=MAX_DOLLARS),
    _f("gpu_hours", "--gpu-hours", "budget", Q, "GPU-hours, e.g. 5e5; needs --gpu.",
       "GPU-hours, e.g. 5e5; needs hardware.gpu", metavar="GPU_HOURS", high=MAX_GPU_HOURS),
    _f("days", "--days", "budget", Q, "Wall-clock days on --gpus GPUs of --gpu.",
       "wall-clock days on hardware.gpus GPUs of hardware.gpu", metavar="DAYS", high=MAX_DAYS),
    _f("params", "--params", "target", Q, "Inverse: the compute that makes a model of this size optimal, e.g. 70B.",
       "model size to make compute-optimal, e.g. 70B", metavar="PARAMS", size="params", low=1e5, low_inclusive=True, high=MAX_PARAMS),
    _f("tokens", "--tokens", "target", Q, "Inverse: the optimal model and compute for this many tokens, e.g. 15T.",
       "training tokens to make compute-optimal, e.g. 15T", metavar="TOKENS", size="tokens", low=1e6, low_inclusive=True, high=MAX_TOKENS),
    _f("loss", "--loss", "target", Q, "Inverse: the least compute that reaches this loss (nats/token).",
       "loss in nats/token to reach with the least compute", metavar="NATS", high=MAX_LOSS_NATS),
    _f("gpu", "--gpu", "hardware", "text", f"GPU preset ({', '.join(GPUS)}) or a hardware YAML file.",
       "GPU preset, e.g. H100-SXM (see `scaling-plan gpus`), or a hardware file path (relative to this config)",
       metavar="NAME|PATH"),
    _f("precision", "--precision", "hardware", Precision,
       "Number format of the matrix multiplies, for the GPU's peak: bf16 (default) or fp8.",
       "number format of the matmuls, for the GPU's peak: bf16 or fp8; default bf16", metavar="FORMAT"),
    _f("peak_flops", "--peak-flops", "hardware", Q,
       "Dense peak FLOP/s per GPU at --precision: overrides the preset, or without --gpu makes a custom GPU.",
       "dense peak FLOP/s per GPU at the precision; overrides the preset, or alone makes a custom GPU",
       metavar="FLOPS", low=MIN_PEAK_FLOPS, low_inclusive=True, high=MAX_PEAK_FLOPS),
    _f("gpu_memory_gib", "--gpu-memory-gib", "hardware", Q, "Memory per GPU in GiB, for blueprints: overrides the preset.",
       "memory per GPU in GiB (as the device reports it); overrides the preset", metavar="GIB", low=MIN_GPU_MEMORY_GIB, low_inclusive=True, high=MAX_GPU_MEMORY_GIB),
    _f("mfu", "--mfu", "hardware", Q,
       "Model FLOPs utilisation, a fraction; or 'predict': the MFU of the training step predicted for the blueprint's"
       " layout (budget --blueprint, or shape), which then fills a budget of time or money. Default: predict with a"
       f" blueprint on a GPU whose bandwidths are known, else {DEFAULT_MFU:.2f}.",
       "model FLOPs utilisation in [0.001, 1], or predict (the blueprint's step's; the default with one, else 0.40)",
       low=MIN_MFU, low_inclusive=True, high=1.0, metavar="FRACTION|predict", word="predict"),
    _f("gpus", "--gpus", "hardware", Q, "Number of GPUs, for wall-clock days.",
       "number of GPUs, for wall-clock time (and the `days` budget)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT", high=MAX_GPUS),
    _f("price_per_gpu_hour", "--price-per-gpu-hour", "hardware", Q,
       "US dollars per GPU-hour (no default: prices vary too much).", "US dollars per GPU-hour", money=True, metavar="USD", low=MIN_PRICE_USD_PER_GPU_HOUR, low_inclusive=True, high=MAX_PRICE_USD_PER_GPU_HOUR),
    _f("pue", "--pue", "hardware", Q, f"Power usage effectiveness of the facility (default {DEFAULT_PUE:g}).",
       f"facility energy over IT energy, at least 1; default {DEFAULT_PUE:g}", low=1.0, low_inclusive=True, metavar="RATIO", high=MAX_PUE),
    _f("grid_gco2_per_kwh", "--grid-gco2-per-kwh", "hardware", Q,
       "Carbon intensity of the grid, gCO2e per kWh, for the run's emissions (no default: grids differ 40x).",
       "grid carbon intensity in gCO2e/kWh (no default)", low_inclusive=True, metavar="G_PER_KWH", high=MAX_GRID_GCO2_PER_KWH),
    _f("goodput", "--goodput", "hardware", Q,
       "Share of wall-clock time spent training; restarts stretch days and cost (default 1).",
       "share of wall-clock time spent training, in [0.01, 1]; default 1", low=MIN_GOODPUT, low_inclusive=True, high=1.0, metavar="FRACTION"),
    _f("method", "--method", "allocation", Method,
       "How N and D are chosen: tokens-per-param (D = r·N), law (the law's own optimum), or a published"
       " frontier, llama3-2024 or deepseek-llm-2024 (loss from --law); default tokens-per-param.",
       "how N and D are chosen", metavar="RULE"),
    _f("tokens_per_param", "--tokens-per-param", "allocation", Q,
       "r in D = r·N for the tokens-per-param rule (default 20).", "r in D = r·N for the tokens-per-param rule", metavar="RATIO", low=MIN_TOKENS_PER_PARAM, low_inclusive=True, high=MAX_TOKENS_PER_PARAM),
    _f("law", "--law", "allocation", "text",
       f"Loss law: {', '.join(PRESETS)}, or a law YAML file (default {DEFAULT_LAW}).",
       "loss law preset or a law file path (relative to this config)", metavar="NAME|PATH"),
    _f("granularity", "--granularity", "allocation", Q,
       "Under a mixture-of-experts law: fix its granularity G (expert width d_ff/G, G routed experts a token)"
       " instead of searching 1 to 256.", "mixture-of-experts law: granularity G, fixed; default searched",
       low=1.0, low_inclusive=True, whole=True, metavar="G", high=MAX_GRANULARITY),
    _f("unique_tokens", "--unique-tokens", "data", Q,
       "Unique training tokens available, e.g. 25B: data past it repeats (Muennighoff et al. 2023).",
       "unique training tokens available, e.g. 25B", metavar="TOKENS", size="tokens", low=1e6, low_inclusive=True, high=MAX_TOKENS),
    _f("inference_tokens", "--inference-tokens", "inference", Q,
       "Tokens the model will serve over its life, e.g. 2T: adds the model with the least lifetime compute"
       " (Sardana et al. 2024).", "tokens served over the model's life, e.g. 2T", key="tokens", low_inclusive=True, metavar="TOKENS", high=MAX_INFERENCE_TOKENS),
    _f("inference_objective", "--inference-objective", "inference", Objective,
       "Minimise lifetime flops or cost (dollars); default cost when an inference MFU or price is given.",
       "minimise lifetime FLOPs, or lifetime dollars (default cost when mfu or price is given)", key="objective",
       metavar="WHAT"),
    _f("inference_mfu", "--inference-mfu", "inference", Q, "MFU when serving (default: the training MFU).",
       "model FLOPs utilisation when serving; default the training MFU", key="mfu", low=MIN_MFU, low_inclusive=True, high=1.0, metavar="FRACTION"),
    _f("inference_price_per_gpu_hour", "--inference-price-per-gpu-hour", "inference", Q,
       "US dollars per GPU-hour when serving (default: the training price).",
       "US dollars per GPU-hour when serving; default the training price", key="price_per_gpu_hour", money=True, metavar="USD", low=MIN_PRICE_USD_PER_GPU_HOUR, low_inclusive=True, high=MAX_PRICE_USD_PER_GPU_HOUR),
    _f("n_params", None, "run", Q, "", "parameters of the intended model, e.g. 70B", required=True, size="params", low=1e5, low_inclusive=True, high=MAX_PARAMS),
    _f("n_tokens", None, "run", Q, "", "training tokens of the intended run, e.g. 1.4T", required=True, size="tokens", low=1e6, low_inclusive=True, high=MAX_TOKENS),
    _f("blueprint", "--blueprint", "blueprint", "switch",
       "Also size a concrete transformer for N: exact counts, memory per GPU, GPUs, batch size and LR.",
       "(the section's presence asks for a blueprint)"),
    _f("family", "--family", "blueprint", Family,
       "Follow a model series' conventions: llama2, llama3 or gpt3 (vocabulary, context, FFN rule, key/value"
       " heads, embeddings, blocks); flags given beside it win.", "a model series' conventions; flags beside it win",
       metavar="NAME"),
    _f("n_layers", "--layers", "blueprint", Q, "Explicit shape: layers.", "explicit shape: layers (with d_model)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT", high=MAX_LAYERS),
    _f("d_model", "--d-model", "blueprint", Q, "Explicit shape: model width.",
       "explicit shape: model width (with n_layers)", low=1.0, low_inclusive=True, whole=True, metavar="WIDTH", high=MAX_WIDTH),
    _f("n_heads", "--heads", "blueprint", Q, "Explicit shape: attention heads (default width/128, or /64 under 1024).",
       "explicit shape: attention heads", low=1.0, low_inclusive=True, whole=True, metavar="COUNT", high=MAX_HEADS),
    _f("d_ff", "--d-ff", "blueprint", Q, "Explicit shape: FFN width (default 4·d, SwiGLU 8/3·d).",
       "explicit shape: FFN width", low=1.0, low_inclusive=True, whole=True, metavar="WIDTH", high=MAX_FFN_WIDTH),
    _f("n_kv_heads", "--kv-heads", "blueprint", Q, "Key/value heads for grouped-query attention (default: all).",
       "key/value heads (grouped-query attention)", low=1.0, low_inclusive=True, whole=True, metavar="COUNT", high=MAX_HEADS),
    _f("vocab_size", "--vocab-size", "blueprint", Q, "Vocabulary size (default 128000).",
       "vocabulary size; default 128000", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS", high=MAX_VOCAB),
    _f("seq_len", "--seq-len", "blueprint", Q, "Training sequence length in tokens (default 4096).",
       "training sequence length; default 4096", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS", high=MAX_SEQ_LEN),
    _f("ffn", "--ffn", "blueprint", FfnKind, "FFN kind: gelu (2 matrices) or swiglu (3); default swiglu.",
       "FFN kind; default swiglu"),
    _f("tied_embeddings", "--tied-embeddings", "blueprint", "bool",
       "Share the input and output embedding (default untied).", "share input and output embeddings; default false",
       off_flag="--untied-embeddings"),
    _f("style", "--style", "blueprint", Style,
       "Blocks: llama (RMSNorm, no biases, rotary), gpt (LayerNorm, biases, learned positions), neox (gpt's with"
       " rotary, as Pythia) or qwen2 (llama's with query/key/value biases).",
       "block style: llama, gpt, neox or qwen2; default llama"),
    _f("experts", "--experts", "blueprint", Q,
       "Mixture-of-experts: routed experts per layer; under a mixture-of-experts law, its expansion E (the layer then"
       " routes among E·G experts of width d_ff/G).",
       "mixture-of-experts: routed experts per layer (under a mixture-of-experts law: its expansion E)", low_inclusive=True, whole=True, metavar="COUNT", high=MAX_EXPERTS),
    _f("active_experts", "--active-experts", "blueprint", Q, "Routed experts each token uses (top-k; default 1).",
       "routed experts each token uses (top-k)", low_inclusive=True, whole=True, metavar="COUNT", high=MAX_EXPERTS),
    _f("shared_experts", "--shared-experts", "blueprint", Q, "Experts every token uses besides the routed ones.",
       "experts every token uses", low_inclusive=True, whole=True, metavar="COUNT", high=MAX_EXPERTS),
    _f("expert_d_ff", "--expert-d-ff", "blueprint", Q,
       "Explicit shape: each expert's FFN width (default --d-ff); narrower for a fine-grained MoE.",
       "explicit shape: each expert's FFN width (default d_ff)", low=1.0, low_inclusive=True, whole=True,
       metavar="WIDTH", high=MAX_FFN_WIDTH),
    _f("causal_attention", "--causal-attention", "blueprint", "bool",
       "Halve the attention-score FLOPs for causal masking in the full count.",
       "halve attention-score FLOPs in the full count"),
    _f("sharding", "--sharding", "blueprint", Sharding,
       "ZeRO stage over the data-parallel GPUs: none, zero-1, zero-2, zero-3 or fsdp (the same as zero-3);"
       " default: searched.", "ZeRO stage over data-parallel GPUs; default searched", metavar="MODE"),
    _f("recompute", "--recompute", "blueprint", Recompute,
       "Activation recomputation: none, selective or full; default: searched (the least that fits).",
       "activation recomputation; default searched", metavar="MODE"),
    _f("grad_precision", "--grad-precision", "blueprint", GradPrecision,
       "Gradient format in training memory: bf16 (default; 16 bytes a parameter with Adam, as the ZeRO paper counts)"
       " or fp32 (18: Megatron-LM's and DeepSpeed's bf16 training keep fp32 gradients).",
       "gradient format: bf16 (16 bytes a parameter with Adam) or fp32 (18, as Megatron-LM and DeepSpeed keep them);"
       " default bf16", metavar="FORMAT"),
    _f("optimizer_states", "--optimizer-states", "blueprint", OptimizerStates,
       "Adam's momentum and variance in training memory: fp32 (default; 12 bytes a parameter with the FP32 master"
       " weights) or 8bit (6: block-wise 8-bit states, Dettmers et al. 2022).",
       "Adam's states: fp32 (12 bytes a parameter with the master weights) or 8bit (6, Dettmers et al. 2022);"
       " default fp32", metavar="FORMAT"),
    _f("micro_batch", "--micro-batch", "blueprint", Q, "Sequences per GPU per forward pass (default 1).",
       "sequences per GPU per forward pass; default 1", low=1.0, low_inclusive=True, whole=True, metavar="SEQUENCES", high=MAX_MICRO_BATCH),
    _f("interleave", "--interleave", "blueprint", Q,
       "Pipeline stages per GPU, V, interleaved (Narayanan et al. 2021): the bubble falls from (pp - 1)/m to"
       " (pp - 1)/(m·V), m the micro-batches per step, for more activation memory on the first stage and V times the"
       " traffic between stages. Needs pp of 2 or more; the layers must split into pp x V stages (default 1).",
       "interleaved pipeline stages per GPU (V): the bubble is (pp - 1)/(m·V); default 1", low=1.0, low_inclusive=True, whole=True, metavar="STAGES", high=MAX_INTERLEAVE),
    _f("global_batch", "--global-batch", "blueprint", Q,
       "Sequences per optimiser step, all data-parallel ranks together (default: the batch-size law's, rounded to"
       " the layout); the layout must split it whole.", "global batch in sequences; default the batch-size law's",
       low=1.0, low_inclusive=True, whole=True, metavar="SEQUENCES", high=MAX_GLOBAL_BATCH),
    _f("step_seconds", "--step-seconds", "blueprint", Q,
       "A measured training step, in seconds, on --gpus GPUs at --global-batch: gives MFU and HFU measured"
       " (Korthikanti et al. 2022, eq. 7 and 8) and the run's time at that step.",
       "measured seconds per training step on `gpus` GPUs at `global_batch`: measured MFU, HFU and run time",
       low=0.0, high=MAX_STEP_SECONDS, metavar="SECONDS"),
    _f("calibrate", "--calibrate", "blueprint", "bool", "Time the plan at the measured step (--step-seconds) rather than"
       " the predicted one: its GPU-hours, days, cost and energy, and a budget of time or money, at the measured step's"
       " MFU (the model must not depend on it).", "time the plan at the measured step (step_seconds), not the predicted"),
    _f("tp", "--tp", "blueprint", Q, "Tensor-parallel GPUs per model replica, within a node; default: searched.",
       "tensor-parallel degree (within a node); default searched", low=1.0, low_inclusive=True, whole=True, metavar="DEGREE", high=MAX_DEGREE),
    _f("pp", "--pp", "blueprint", Q, "Pipeline stages; must divide the layers; default: searched.",
       "pipeline-parallel stages (divide the layers); default searched", low=1.0, low_inclusive=True, whole=True, metavar="STAGES", high=MAX_DEGREE),
    _f("cp", "--cp", "blueprint", Q, "Context-parallel GPUs, each holding 1/cp of every sequence; default: searched.",
       "context-parallel degree; default searched", low=1.0, low_inclusive=True, whole=True, metavar="DEGREE", high=MAX_DEGREE),
    _f("ep", "--ep", "blueprint", Q, "Expert-parallel GPUs, within the data-parallel ones, each holding experts/ep of a"
       " layer's routed experts; must divide the experts; default: searched.", "expert-parallel degree (within data"
       " parallelism); default searched", low=1.0, low_inclusive=True, whole=True, metavar="DEGREE", high=MAX_EXPERTS),
    _f("flash_attention", "--flash-attention", "blueprint", "bool",
       "Attention kernels that keep no seq x seq score tensor, as FlashAttention (default on).",
       "FlashAttention-style kernels (no score tensor kept); default true", off_flag="--no-flash-attention"),
    _f("dropout", "--dropout", "blueprint", "bool",
       "Blocks with dropout, whose masks count in activation memory (default: on for --style gpt and gpt3, off for"
       " the others).", "dropout in the blocks (its masks count in activation memory); default true for the gpt"
       " style, false for the others", off_flag="--no-dropout"),
    _f("gpus_per_node", "--gpus-per-node", "blueprint", Q, "GPUs per node: the most tensor parallelism spans (default 8).",
       "GPUs per node, the most tensor parallelism spans; default 8", low=1.0, low_inclusive=True, whole=True,
       metavar="COUNT", high=MAX_DEGREE),
    _f("serve", "--serve", "serve", "switch",
       "Also serve the plan's model (implies --blueprint; needs --gpu): memory per GPU, tokens/s and the cost of a"
       " million tokens, on the fewest GPUs that hold it.", "(the section's presence asks for serving)"),
    _f("weights_precision", "--weights-precision", "serve", WeightsPrecision,
       "Format the served weights are stored in: bf16 (default), fp8, int8 or int4 (int8 and int4 compute in bf16).",
       "format of the served weights: bf16, fp8, int8 or int4; default bf16", metavar="FORMAT"),
    _f("kv_precision", "--kv-precision", "serve", KvPrecision, "Format of the KV cache: bf16 (default) or fp8.",
       "format of the KV cache: bf16 or fp8; default bf16", metavar="FORMAT"),
    _f("prompt_tokens", "--prompt-tokens", "serve", Q, f"Tokens in each request's prompt (default {DEFAULT_PROMPT_TOKENS}).",
       f"tokens in each request's prompt; default {DEFAULT_PROMPT_TOKENS}", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS", high=MAX_SEQ_LEN),
    _f("output_tokens", "--output-tokens", "serve", Q, f"Tokens generated for each request (default {DEFAULT_OUTPUT_TOKENS}).",
       f"tokens generated for each request; default {DEFAULT_OUTPUT_TOKENS}", low=1.0, low_inclusive=True, whole=True, metavar="TOKENS", high=MAX_SEQ_LEN),
    _f("context", "--context", "serve", Q,
       "Tokens per sequence, prompt and output together (instead of --prompt-tokens): the prompt is the rest.",
       "tokens per sequence, prompt and output together (instead of prompt_tokens)", low=2.0, low_inclusive=True, whole=True, metavar="TOKENS", high=MAX_SEQ_LEN),
    _f("batch", "--batch", "serve", Q, "Sequences decoded together per replica (default: the most that fit).",
       "sequences decoded together per replica; default the most that fit", low=1.0, low_inclusive=True, whole=True, metavar="SEQUENCES", high=MAX_MICRO_BATCH),
    _f("tokens_per_second", "--tokens-per-second", "serve", Q,
       "A load to serve, output tokens per second: adds the replicas and GPUs it takes.",
       "a load to serve, in output tokens per second", metavar="TOKENS_PER_S", high=MAX_TOKENS_PER_SECOND),
    _f("mbu", "--mbu", "serve", Q, f"Memory bandwidth utilisation of a decode step, a fraction (default {DEFAULT_MBU:.2f}).",
       f"share of peak HBM bandwidth a decode step achieves, in [0.001, 1]; default {DEFAULT_MBU:.2f}", low=MIN_MFU, low_inclusive=True, high=1.0, metavar="FRACTION"),
    _f("max_loss_gap", "--max-loss-gap", "policy", Q, "Largest predicted loss above optimal, in nats/token.",
       "largest predicted loss above optimal, in nats/token", low_inclusive=True, metavar="NATS", high=MAX_LOSS_NATS),
    _f("max_compute_overhead", "--max-compute-overhead", "policy", Q,
       "Largest extra compute over the optimal run reaching the same loss, in percent.",
       "largest extra compute over the optimal run that reaches the same loss, in percent", low_inclusive=True, metavar="PERCENT", high=MAX_COMPUTE_OVERHEAD_PCT),
    _f("min_tokens_per_param", "--min-tokens-per-param", "policy", Q, "Fewest training tokens per parameter.",
       "fewest training tokens per parameter", low_inclusive=True, metavar="RATIO", high=MAX_TOKENS_PER_PARAM),
    _f("max_tokens_per_param", "--max-tokens-per-param", "policy", Q, "Most training tokens per parameter.",
       "most training tokens per parameter", low_inclusive=True, metavar="RATIO", high=MAX_TOKENS_PER_PARAM),
    _f("max_cost_usd", "--max-cost-usd", "policy", Q, "Most US dollars the run may cost (needs a price).",
       "most US dollars the run may cost (needs a price)", low_inclusive=True, money=True, metavar="USD", high=MAX_DOLLARS),
    _f("max_wall_clock_days", "--max-wall-clock-days", "policy", Q, "Most wall-clock days (needs --gpus in the config).",
       "most wall-clock days (needs hardware.gpus)", low_inclusive=True, metavar="DAYS", high=MAX_DAYS),
    _f("max_usd_per_million_tokens", "--max-usd-per-million-tokens", "policy", Q,
       "Most US dollars per million output tokens the plan's model costs to serve (needs a serve: section and a price).",
       "most US dollars per million output tokens served (needs a serve: section and a price)", low_inclusive=True,
       money=True, metavar="USD", high=MAX_DOLLARS),
    _f("max_epochs", "--max-epochs", "policy", Q,
       "Most passes over the unique data (needs data.unique_tokens in the config).",
       "most passes over the unique data (needs data.unique_tokens)", low_inclusive=True, metavar="EPOCHS", high=MAX_EPOCHS),
)  # fmt: skip

#: A loss law's scale constants (A and B of E + A/N^alpha + B/D^beta; A of a frontier's E + A·C^-gamma): published fits
#: give 4e2 to 2e3 (Hoffmann et al. 2022 eq. 10, Besiroglu et al. 2024 Table 1, Muennighoff et al. 2023), the fit's
#: grid starts at up to e^25 ≈ 7e10 (Hoffmann et al. 2022, appendix D.2); a steeper exponent needs a larger A (with
#: alpha = 2, A = 1e20 is 1 nat at 1e10 parameters). Below 1e-6 the term is under a micro-nat for every model.
MIN_LAW_SCALE, MAX_LAW_SCALE = 1e-6, 1e20
#: A law's exponents alpha and beta: published fits give 0.28 to 0.37 (Hoffmann et al. 2022, Besiroglu et al. 2024),
#: Kaplan et al. 2020's 0.076 and 0.103 (Table 2). Past 2 the powers overflow in the optimum; below 0.01, N^alpha moves
#: by a factor 1.26 from 1e5 to 1e15 parameters, no law at all.
MIN_LAW_EXPONENT, MAX_LAW_EXPONENT = 0.01, 2.0
#: R_D* and R_N* (Muennighoff et al. 2023, eq. 5 and 6; fitted 15.4 and 5.3): below 0.1 a second epoch is worth
#: nothing, past 1e4 a repeated token never loses value in any run.
MIN_REPETITION_CONSTANT, MAX_REPETITION_CONSTANT = 0.1, 1e4
#: A frontier N_opt = k_n·C^a: Hoffmann et al. 2022's Approach 2 gives a = 0.49 (Table 2) and k_n about 0.1, Kaplan
#: et al. 2020 a = 0.73 (Table 6). For any a in [0.1, 0.9] these k_n size a model from 1 to 1e15 parameters at 1e24
#: FLOPs. Its loss exponent gamma: Kaplan et al. 2020's L(C) falls as C^-0.050 (eq. 1.3); this tool's isoFLOP fit of
#: Hoffmann's points gives 0.12.
MIN_FRONTIER_K, MAX_FRONTIER_K = 1e-25, 1e16
MIN_FRONTIER_A, MAX_FRONTIER_A = 0.1, 0.9
MIN_FRONTIER_GAMMA, MAX_FRONTIER_GAMMA = 0.005, 1.0
#: Kaplan et al. 2020's scales N_c and D_c (6.4e13 parameters and 1.8e13 tokens, Table 2): from 1 to 1e30, past
#: which (N_c/N)^p overflows for any real N.
MIN_KAPLAN_SCALE, MAX_KAPLAN_SCALE = 1.0, 1e30
#: A broken frontier's change of slope at its break (Caballero et al. 2023's c_1; a loss that falls faster, or
#: slower, past the break) and the break's sharpness f (smaller is sharper; their fits use 0.05 to 1.5).
MIN_GAMMA_CHANGE, MAX_GAMMA_CHANGE = -1.0, 2.0
MIN_SHARPNESS, MAX_SHARPNESS = 1e-3, 100.0
#: Downstream mappings (Gadre et al. 2024's exponential; a sigmoid as in Dubey et al. 2024, Figure 4). 1 - epsilon is
#: the metric at a high loss, a score in [-1, 1]; k is the metric's rise at zero loss, far outside any fit: fit-
#: downstream writes k = u·exp(gamma·mean loss), up to exp(30 x 7) ≈ 1e91 for its steepest start (gamma = 30 per nat)
#: at losses up to 7 nats, so 1e100; gamma past 100 per nat rises from chance to perfect within 0.05 nats. The
#: sigmoid's midpoint l0 and its scale are losses, in nats per token.
MAX_DOWNSTREAM_K, MAX_DOWNSTREAM_GAMMA = 1e100, 100.0


#: The numbers of the files the tool reads, besides configs (whose numbers are the FIELDS above): each checked where
#: the file is read, naming file:line and its key, and written into the file kinds' JSON Schemas.
FILE_NUMBERS: tuple[FileNumber, ...] = (
    FileNumber("law", "E", "nats/token", 0.0, MAX_LOSS_NATS),
    FileNumber("law", "A", "nats·params^alpha", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("law", "B", "nats·tokens^beta", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("law", "alpha", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("law", "beta", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("law", "rd_star", "epochs", MIN_REPETITION_CONSTANT, MAX_REPETITION_CONSTANT, low_inclusive=True),
    FileNumber("law", "rn_star", "", MIN_REPETITION_CONSTANT, MAX_REPETITION_CONSTANT, low_inclusive=True),
    FileNumber("law", "compute_flops", "FLOPs", 0.0, MAX_FLOPS),  # fitted_range
    FileNumber("moe", "E", "nats/token", 0.0, MAX_LOSS_NATS),
    FileNumber("moe", "A", "nats·params^alpha", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("moe", "B", "nats·tokens^beta", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("moe", "alpha", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("moe", "beta", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("moe", "g", "nats·params^alpha", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("moe", "gamma", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("moe", "expansion", "", 1.0, MAX_EXPERTS, low_inclusive=True),
    FileNumber("frontier", "k_n", "params/FLOPs^a", MIN_FRONTIER_K, MAX_FRONTIER_K, low_inclusive=True),
    FileNumber("frontier", "a", "", MIN_FRONTIER_A, MAX_FRONTIER_A, low_inclusive=True),
    FileNumber("frontier", "E", "nats/token", 0.0, MAX_LOSS_NATS, low_inclusive=True),
    FileNumber("frontier", "A", "nats·FLOPs^gamma", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("frontier", "gamma", "", MIN_FRONTIER_GAMMA, MAX_FRONTIER_GAMMA, low_inclusive=True),
    FileNumber("broken", "k_n", "params/FLOPs^a", MIN_FRONTIER_K, MAX_FRONTIER_K, low_inclusive=True),
    FileNumber("broken", "a", "", MIN_FRONTIER_A, MAX_FRONTIER_A, low_inclusive=True),
    FileNumber("broken", "E", "nats/token", 0.0, MAX_LOSS_NATS, low_inclusive=True),
    FileNumber("broken", "A", "nats·FLOPs^gamma", MIN_LAW_SCALE, MAX_LAW_SCALE, low_inclusive=True),
    FileNumber("broken", "gamma", "", MIN_FRONTIER_GAMMA, MAX_FRONTIER_GAMMA, low_inclusive=True),
    FileNumber(
        "broken", "gamma_change", "", MIN_GAMMA_CHANGE, MAX_GAMMA_CHANGE, low_inclusive=True, high_inclusive=True
    ),
    FileNumber("broken", "break_flops", "FLOPs", 0.0, MAX_FLOPS),
    FileNumber("broken", "sharpness", "", MIN_SHARPNESS, MAX_SHARPNESS, low_inclusive=True),
    FileNumber("kaplan", "alpha_n", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("kaplan", "alpha_d", "", MIN_LAW_EXPONENT, MAX_LAW_EXPONENT, low_inclusive=True),
    FileNumber("kaplan", "n_c", "parameters", MIN_KAPLAN_SCALE, MAX_KAPLAN_SCALE, low_inclusive=True),
    FileNumber("kaplan", "d_c", "tokens", MIN_KAPLAN_SCALE, MAX_KAPLAN_SCALE, low_inclusive=True),
    FileNumber("downstream", "epsilon", "", 0.0, 2.0, low_inclusive=True),
    FileNumber("downstream", "k", "", 0.0, MAX_DOWNSTREAM_K),
    FileNumber("downstream", "gamma", "1/nats", 0.0, MAX_DOWNSTREAM_GAMMA),
    FileNumber("downstream", "l0", "nats/token", 0.0, MAX_LOSS_NATS, low_inclusive=True),
    FileNumber("downstream", "scale", "nats/token", 0.0, MAX_LOSS_NATS),
    FileNumber("downstream", "loss_nats", "nats/token", 0.0, MAX_LOSS_NATS),  # fitted_range
    FileNumber("hardware", "peak_flops_per_second", "FLOP/s", MIN_PEAK_FLOPS, MAX_PEAK_FLOPS, low_inclusive=True),
    FileNumber("hardware", "peak_fp8_flops_per_second", "FLOP/s", MIN_PEAK_FLOPS, MAX_PEAK_FLOPS, low_inclusive=True),
    FileNumber("hardware", "memory_gib", "GiB", MIN_GPU_MEMORY_GIB, MAX_GPU_MEMORY_GIB, low_inclusive=True),
    FileNumber("hardware", "power_watts", "W", MIN_POWER_WATTS, MAX_POWER_WATTS, low_inclusive=True),
    FileNumber(
        "hardware",
        "memory_bandwidth_gb_per_second",
        "GB/s",
        MIN_BANDWIDTH_GB_PER_SECOND,
        MAX_BANDWIDTH_GB_PER_SECOND,
        low_inclusive=True,
    ),
    FileNumber(
        "hardware",
        "link_bandwidth_gb_per_second",
        "GB/s",
        MIN_BANDWIDTH_GB_PER_SECOND,
        MAX_BANDWIDTH_GB_PER_SECOND,
        low_inclusive=True,
    ),
    FileNumber(
        "hardware",
        "network_bandwidth_gb_per_second",
        "GB/s",
        MIN_BANDWIDTH_GB_PER_SECOND,
        MAX_BANDWIDTH_GB_PER_SECOND,
        low_inclusive=True,
    ),
    # Runs are measurements, of models smaller than any plan's too (Kaplan et al. 2020 trained 768 parameters): at
    # least one parameter and one token, at most what a plan takes.
    FileNumber("runs", "params", "parameters", 1.0, MAX_PARAMS, low_inclusive=True),
    FileNumber("runs", "tokens", "tokens", 1.0, MAX_TOKENS, low_inclusive=True),
    FileNumber("runs", "unique", "tokens", 1.0, MAX_TOKENS, low_inclusive=True),
    # a mixture's granularity and expansion (Krajewski et al. 2024 ran G from 1 to 16 and E from 1 to 64)
    FileNumber("runs", "granularity", "", 1.0, MAX_RUN_GRANULARITY, low_inclusive=True),
    FileNumber("runs", "experts", "", 1.0, MAX_EXPERTS, low_inclusive=True),
    FileNumber("runs", "flops", "FLOPs", 0.0, MAX_FLOPS),
    FileNumber("runs", "budget", "FLOPs", 0.0, MAX_FLOPS),
)
FILE_NUMBER: dict[tuple[str, str], FileNumber] = {(number.kind, number.key): number for number in FILE_NUMBERS}
#: The constants of each law kind's bootstrap samples, in their order (models.py's law file models).
SAMPLE_CONSTANTS = {
    "law": ("E", "A", "B", "alpha", "beta"),
    "frontier": ("k_n", "a", "E", "A", "gamma"),
    "broken": ("k_n", "a", "E", "A", "gamma", "gamma_change", "break_flops", "sharpness"),
    "kaplan": ("alpha_n", "alpha_d", "n_c", "d_c"),
    "moe": ("E", "A", "B", "alpha", "beta", "g", "gamma"),
}
REPETITION_SAMPLE_CONSTANTS = (*SAMPLE_CONSTANTS["law"], "rd_star", "rn_star")  # a law fitted with repetition's rows
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


def bound_text(value: float) -> str:
    """A range's bound as messages, --help and the docs write it: 2000, 0.001 and 1048576 as they are, a power of
    ten from 1e4 and anything past 1e7 as 1e4 and 1e18 (no thousands separators: [1, 1,000] would read as three)."""
    exponent = round(math.log10(abs(value))) if value else 0
    if exponent >= 4 and value == 10.0**exponent:
        return f"1e{exponent}"
    if value == int(value) and abs(value) < 1e7:
        return str(int(value))
    return f"{value:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def range_text(ranged: Field | FileNumber) -> str:
    """A range as an interval: [1, 3], (0, 1e40], [0.001, 1]."""
    assert ranged.high is not None
    left, right = "[" if ranged.low_inclusive else "(", "]" if ranged.high_inclusive else ")"
    return f"{left}{bound_text(ranged.low)}, {bound_text(ranged.high)}{right}"


def range_problem(field: Field | FileNumber, value: float) -> str | None:
    """What is wrong with a number for this field (of the table of fields, or of a file: FILE_NUMBERS), in the words
    request.py uses for flags and the file readers for files; None when it lies in the field's range."""
    if value != value:  # NaN: every comparison below is false
        return f"must be a finite number, got {value:g}"
    if field.size is not None and value <= 0:
        return f"must be positive, got {value:g}"
    if field.size is not None and (problem := size_problem(field.size, value)) is not None:
        return problem
    low, high = field.low, field.high
    below = value < low or (value == low and not field.low_inclusive)
    above = high is not None and (value > high or (value == high and not field.high_inclusive))
    if field.whole and (below or value != int(value)):
        return f"must be a whole number of at least {bound_text(low)}, got {value:g}"
    if field.whole and above:
        return f"must be a whole number of at most {bound_text(high or 0)}, got {value:g}"
    if (below or above) and high == 1 and low > 0:  # a fraction: both ends say what it is
        return f"must be in {range_text(field)}, got {value:g}"
    if below and low == 0:
        return f"must be positive, got {value:g}" if not field.low_inclusive else f"must not be negative, got {value:g}"
    if below:
        return f"must be {'at least' if field.low_inclusive else 'above'} {bound_text(low)}, got {value:g}"
    if above:
        return f"must be {'at most' if field.high_inclusive else 'below'} {bound_text(high or 0)}, got {value:g}"
    return None


def fields_of(*sections: str) -> tuple[str, ...]:
    """The names of every field (with a flag) in these config sections, in table order."""
    return tuple(field.name for field in FIELDS if field.section in sections and field.flag is not None)
