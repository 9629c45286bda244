"""The config and law-file formats as pydantic models: the one definition their validation and schema come from.

Imported only when a YAML file is read (pydantic costs start-up time the flag-only path does not pay).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ..choices import FfnKind, Method, Objective, Recompute, Sharding, Style
from ..units import parse_quantity

#: A number written as YAML reads it: 1e24 (a string to YAML 1.1), 5.76e23, 70B, 1.4T, $2M.
Quantity = Annotated[
    float,
    BeforeValidator(parse_quantity),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\$?[0-9.eE+_-]+[kKmMbBtTpP]?$"}]}),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BudgetSection(_Section):
    """Exactly one budget kind (or, instead of a budget, a `target`)."""

    flops: Quantity | None = Field(None, description="training compute in FLOPs, e.g. 1e24")
    dollars: Quantity | None = Field(None, description="money for training, e.g. $2M; needs hardware.gpu and price")
    gpu_hours: Quantity | None = Field(None, description="GPU-hours, e.g. 5e5; needs hardware.gpu")
    days: Quantity | None = Field(None, description="wall-clock days on hardware.gpus GPUs of hardware.gpu")


class TargetSection(_Section):
    """An inverse question instead of a budget: exactly one of these."""

    params: Quantity | None = Field(None, description="model size to make compute-optimal, e.g. 70B")
    tokens: Quantity | None = Field(None, description="training tokens to make compute-optimal, e.g. 15T")
    loss: Quantity | None = Field(None, description="loss in nats/token to reach with the least compute")


class HardwareSection(_Section):
    gpu: str | None = Field(None, description="GPU preset, e.g. H100-SXM (see `scaling-plan budget --help`)")
    mfu: Quantity | None = Field(None, description="model FLOPs utilisation in (0, 1]; default 0.40")
    gpus: Quantity | None = Field(None, description="number of GPUs, for wall-clock time (and the `days` budget)")
    price_per_gpu_hour: Quantity | None = Field(None, description="US dollars per GPU-hour")


class AllocationSection(_Section):
    method: Method | None = Field(None, description="how N and D are chosen")
    tokens_per_param: Quantity | None = Field(None, description="r in D = r·N for the tokens-per-param rule")
    law: str | None = Field(None, description="loss law preset or a law file path (relative to this config)")


class DataSection(_Section):
    """The unique data available: training past it repeats tokens (Muennighoff et al. 2023)."""

    unique_tokens: Quantity | None = Field(None, description="unique training tokens available, e.g. 25B")


class InferenceSection(_Section):
    """Inference the model will serve over its life: the plan adds the model with the least lifetime cost."""

    tokens: Quantity | None = Field(None, description="tokens served over the model's life, e.g. 2T")
    objective: Objective | None = Field(
        None, description="minimise lifetime FLOPs, or lifetime dollars (default cost when mfu or price is given)"
    )
    mfu: Quantity | None = Field(None, description="model FLOPs utilisation when serving; default the training MFU")
    price_per_gpu_hour: Quantity | None = Field(
        None, description="US dollars per GPU-hour when serving; default the training price"
    )


class BlueprintSection(_Section):
    """A concrete transformer for the plan: its presence asks for one. With n_layers and d_model the shape is yours,
    counted as it is; otherwise one is sized to the plan's N."""

    n_layers: Quantity | None = Field(None, description="explicit shape: layers (with d_model)")
    d_model: Quantity | None = Field(None, description="explicit shape: model width (with n_layers)")
    n_heads: Quantity | None = Field(None, description="explicit shape: attention heads")
    d_ff: Quantity | None = Field(None, description="explicit shape: FFN width")
    n_kv_heads: Quantity | None = Field(None, description="key/value heads (grouped-query attention)")
    vocab_size: Quantity | None = Field(None, description="vocabulary size; default 128000")
    seq_len: Quantity | None = Field(None, description="training sequence length; default 4096")
    ffn: FfnKind | None = Field(None, description="FFN kind; default swiglu")
    tied_embeddings: bool | None = Field(None, description="share input and output embeddings; default false")
    style: Style | None = Field(None, description="block style; default llama")
    experts: Quantity | None = Field(None, description="mixture-of-experts: routed experts per layer")
    active_experts: Quantity | None = Field(None, description="routed experts each token uses (top-k)")
    shared_experts: Quantity | None = Field(None, description="experts every token uses")
    causal_attention: bool | None = Field(None, description="halve attention-score FLOPs in the full count")
    sharding: Sharding | None = Field(None, description="how states split over GPUs; default zero-3")
    recompute: Recompute | None = Field(None, description="activation recomputation; default full")
    micro_batch: Quantity | None = Field(None, description="sequences per GPU per step; default 1")


class RunSection(_Section):
    """The run the team intends to train, measured against the compute-optimal run at the same compute."""

    n_params: Quantity = Field(description="parameters of the intended model, e.g. 70B")
    n_tokens: Quantity = Field(description="training tokens of the intended run, e.g. 1.4T")


class PolicySection(_Section):
    """Limits `scaling-plan check` enforces on the intended run (or, without one, on the plan)."""

    max_loss_gap: Quantity | None = Field(None, description="largest predicted loss above optimal, in nats/token")
    max_compute_overhead: Quantity | None = Field(
        None, description="largest extra compute over the optimal run that reaches the same loss, in percent"
    )
    min_tokens_per_param: Quantity | None = Field(None, description="fewest training tokens per parameter")
    max_tokens_per_param: Quantity | None = Field(None, description="most training tokens per parameter")
    max_cost_usd: Quantity | None = Field(None, description="most US dollars the run may cost (needs a price)")
    max_wall_clock_days: Quantity | None = Field(None, description="most wall-clock days (needs hardware.gpus)")
    max_epochs: Quantity | None = Field(None, description="most passes over the unique data (needs data.unique_tokens)")


class PlanConfig(_Section):
    """A scaling-plan config: a budget (or target), hardware, allocation, an intended run and a policy."""

    name: str | None = Field(None, description="a short name for this plan")
    description: str | None = None
    budget: BudgetSection | None = None
    target: TargetSection | None = None
    hardware: HardwareSection | None = None
    allocation: AllocationSection | None = None
    data: DataSection | None = None
    inference: InferenceSection | None = None
    run: RunSection | None = None
    blueprint: BlueprintSection | None = None
    policy: PolicySection | None = None


class FittedRange(_Section):
    compute_flops: tuple[Quantity, Quantity] | None = None
    n_params: tuple[Quantity, Quantity] | None = None
    n_tokens: tuple[Quantity, Quantity] | None = None


class FitProcedure(_Section):
    """How `scaling-plan fit` made a law (written by it; informational)."""

    method: str
    runs_file: str
    runs: int
    runs_dropped: int
    tokens_from_compute: bool
    huber_delta: float
    starts: int
    starts_at_best: int
    objective: float
    residual_rmse_log: float
    converged: bool


class BootstrapSummary(_Section):
    """Refits on resampled runs: the samples let `budget` give intervals on N, D and loss."""

    resamples: int
    seed: int
    converged: int
    level: float = Field(gt=0, lt=1, description="the share of samples each interval holds, e.g. 0.9")
    intervals: dict[str, tuple[float, float]]
    standard_errors: dict[str, float]
    samples: list[tuple[float, float, float, float, float]] = Field(description="rows of E, A, B, alpha, beta")


class LawFile(_Section):
    """L(N, D) = E + A/N^alpha + B/D^beta, in nats per token."""

    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    E: Quantity
    A: Quantity
    B: Quantity
    alpha: Quantity
    beta: Quantity
    rd_star: Quantity | None = Field(
        None, description="R_D*: how fast repeated tokens lose value (Muennighoff et al. 2023 eq. 5), e.g. 15.4"
    )
    rn_star: Quantity | None = Field(
        None, description="R_N*: how fast parameters beyond the unique data lose value (eq. 6), e.g. 5.3"
    )
    fitted_range: FittedRange | None = None
    procedure: FitProcedure | None = None
    bootstrap: BootstrapSummary | None = None
