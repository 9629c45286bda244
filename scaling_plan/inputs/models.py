"""The config and law-file formats as pydantic models: the one definition their validation and schema come from.

Imported only when a YAML file is read (pydantic costs start-up time the flag-only path does not pay).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model

from ..units import parse_quantity
from .fields import SECTIONS
from .fields import Field as InputField

#: A number written as YAML reads it: 1e24 (a string to YAML 1.1), 5.76e23, 70B, 1.4T, $2M.
Quantity = Annotated[
    float,
    BeforeValidator(parse_quantity),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\$?[0-9.eE+_-]+[kKmMbBtTpP]?$"}]}),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: What each config section is for (its fields, with their descriptions, come from the table of fields).
SECTION_DOCS = {
    "budget": "Exactly one budget kind (or, instead of a budget, a `target`).",
    "target": "An inverse question instead of a budget: exactly one of these.",
    "hardware": None,
    "allocation": None,
    "data": "The unique data available: training past it repeats tokens (Muennighoff et al. 2023).",
    "inference": "Inference the model will serve over its life: the plan adds the model with the least lifetime cost.",
    "run": "The run the team intends to train, measured against the compute-optimal run at the same compute.",
    "blueprint": "A concrete transformer for the plan: its presence asks for one. With n_layers and d_model the shape"
    " is yours,\n    counted as it is; otherwise one is sized to the plan's N.",
    "policy": "Limits `scaling-plan check` enforces on the intended run (or, without one, on the plan).",
}


def _annotation(field: InputField) -> Any:
    if field.kind == "quantity":
        return Quantity
    if field.kind == "text":
        return str
    if field.kind == "bool":
        return bool
    return field.kind  # a choice Literal


def _section_model(section: str, fields: tuple[InputField, ...]) -> type[BaseModel]:
    """A config section's model, built from the table of fields."""
    definitions: dict[str, Any] = {}
    for field in fields:
        if field.required:
            definitions[field.key] = (_annotation(field), Field(description=field.description))
        else:
            definitions[field.key] = (_annotation(field) | None, Field(None, description=field.description))
    name = f"{section.title()}Section"
    return create_model(name, __base__=_Section, __doc__=SECTION_DOCS[section], **definitions)


SECTION_MODELS = {section: _section_model(section, fields) for section, fields in SECTIONS.items()}

#: A scaling-plan config: a budget (or target), hardware, allocation, an intended run and a policy.
_PLAN_FIELDS: dict[str, Any] = {
    "name": (str | None, Field(None, description="a short name for this plan")),
    "description": (str | None, None),
    **{section: (model | None, None) for section, model in SECTION_MODELS.items()},
}
PlanConfig: type[BaseModel] = create_model(
    "PlanConfig",
    __base__=_Section,
    __doc__="A scaling-plan config: a budget (or target), hardware, allocation, an intended run and a policy.",
    **_PLAN_FIELDS,
)


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
