"""Every choice list of the tool, each defined once as a Literal: Typer reads it for the flags (and their help), the
pydantic models for configs, and so the JSON Schema; the tuples beside them are for the code's own checks.

A leaf module of constants (like errors.py): importing it costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

#: What a plan is given: a budget (training FLOPs, money, GPU-hours, a cluster's days) or an inverse target.
Given = Literal["flops", "dollars", "gpu_hours", "days", "params", "tokens", "loss"]
GIVEN_KINDS: tuple[Given, ...] = get_args(Given)

#: How N and D are chosen: the D = r·N rule, the law's own compute optimum, or a lab's published frontier
#: (allocate.FRONTIERS; the loss is then the law's prediction for what it chooses).
Method = Literal["tokens-per-param", "law", "llama3-2024", "deepseek-llm-2024"]
METHODS: tuple[str, ...] = get_args(Method)

#: What an inference-aware plan minimises over the model's life.
Objective = Literal["flops", "cost"]
OBJECTIVES: tuple[str, ...] = get_args(Objective)

#: FFN kind: 2 matrices (gelu) or 3 (SwiGLU, Shazeer 2020).
FfnKind = Literal["gelu", "swiglu"]
FFN_KINDS: tuple[str, ...] = get_args(FfnKind)

#: Block style (norms, biases, positions; shapes.BLOCK_STYLES): 'llama' has RMSNorm, no biases and rotary positions;
#: 'gpt' has LayerNorm with biases, a bias in every linear layer and learned position embeddings (Brown et al. 2020,
#: after Radford et al. 2019); 'neox' is gpt's with rotary positions (GPT-NeoX and Pythia; Black et al. 2022);
#: 'qwen2' is llama's with biases on queries, keys and values (Qwen2; Yang et al. 2024).
Style = Literal["llama", "gpt", "neox", "qwen2"]
STYLES: tuple[str, ...] = get_args(Style)

#: How training states split over GPUs, as a user may name it ('fsdp' is the same as 'zero-3').
Sharding = Literal["none", "zero-1", "zero-2", "zero-3", "fsdp"]
SHARDING_CHOICES: tuple[str, ...] = get_args(Sharding)

#: Model series whose conventions a blueprint can follow (blueprint.FAMILIES).
Family = Literal["llama2", "llama3", "gpt3"]
FAMILY_NAMES: tuple[str, ...] = get_args(Family)

#: The number format the matrix multiplies run in, which sets the GPU's peak (FP8 training: DeepSeek-V3).
Precision = Literal["bf16", "fp8"]
PRECISIONS: tuple[str, ...] = get_args(Precision)

#: The number format a served model's weights are stored in (int8 and int4: weight-only quantisation, computing in
#: bf16), and its KV cache's.
WeightsPrecision = Literal["bf16", "fp8", "int8", "int4"]
WEIGHTS_PRECISIONS: tuple[str, ...] = get_args(WeightsPrecision)
KvPrecision = Literal["bf16", "fp8"]
KV_PRECISIONS: tuple[str, ...] = get_args(KvPrecision)

#: The format training keeps gradients in: bf16, or fp32 as Megatron-LM and DeepSpeed's bf16 optimiser keep them.
GradPrecision = Literal["bf16", "fp32"]
GRAD_PRECISIONS: tuple[str, ...] = get_args(GradPrecision)

#: The format Adam's momentum and variance are kept in: fp32, or 8-bit block-wise (Dettmers et al. 2022).
OptimizerStates = Literal["fp32", "8bit"]
OPTIMIZER_STATES: tuple[str, ...] = get_args(OptimizerStates)

#: The law families fit fits (families.py besides Chinchilla's own).
LawForm = Literal["chinchilla", "kaplan", "compute", "broken"]
LAW_FORMS: tuple[str, ...] = get_args(LawForm)
#: ... Muennighoff et al. 2023's data-constrained law, for runs with their unique tokens, Krajewski et al. 2024's
#: mixture-of-experts law, for runs with their granularity and expansion, and `fit --form auto`, which chooses among
#: the first by a backtest on the largest budgets.
FitForm = Literal["chinchilla", "kaplan", "compute", "broken", "data-constrained", "moe", "auto"]
FIT_FORMS: tuple[str, ...] = get_args(FitForm)

#: What a fit minimises over the runs' misses on log loss (fitting.CRITERIA says each with its source).
FitCriterion = Literal["huber", "mse", "mae", "asymmetric"]
FIT_CRITERIA: tuple[str, ...] = get_args(FitCriterion)

#: Activation recomputation (Korthikanti et al. 2022).
Recompute = Literal["none", "selective", "full"]
RECOMPUTE: tuple[str, ...] = get_args(Recompute)

#: How `fit` fits: Approach 3 of Hoffmann et al. 2022 (the parametric L(N, D)) or Approach 2 (isoFLOP profiles and
#: the frontier through their minima).
Approach = Literal["parametric", "isoflop"]
APPROACHES: tuple[str, ...] = get_args(Approach)
#: What a backtest scores: one approach or both.
BacktestApproach = Literal["parametric", "isoflop", "both"]

#: How fit-downstream maps loss to a metric: Gadre et al. 2024's exponential, or a sigmoid (as Llama 3's Figure 4).
DownstreamForm = Literal["exponential", "sigmoid"]
DOWNSTREAM_FORMS: tuple[str, ...] = get_args(DownstreamForm)

#: What suggest's next runs should pin down at the target budget: the optimal size, or the optimal loss.
SuggestObjective = Literal["n-opt", "loss"]
SUGGEST_OBJECTIVES: tuple[str, ...] = get_args(SuggestObjective)

#: What a sweep's budgets count.
BudgetUnit = Literal["flops", "dollars", "gpu-hours", "days"]
BUDGET_UNITS: tuple[str, ...] = get_args(BudgetUnit)

#: Output formats: every command's, a sweep's (jsonl streams a record per line), and the reports' (markdown for a
#: pull-request comment).
OutputFormat = Literal["table", "json", "csv"]
SweepFormat = Literal["table", "json", "jsonl", "csv"]
ReportFormat = Literal["table", "json", "csv", "markdown"]


def member_named(value: object, members: Iterable[str]) -> str | None:
    """The member a value names, in any case and with surrounding spaces ('Law', ' JSON ' name law and json); None
    when it names none. Every choice is read this way: flags, config keys and the Python API's arguments alike."""
    wanted = str(value).strip().casefold()
    return next((member for member in members if member.casefold() == wanted), None)
