"""The config's pydantic model, built from the table of fields (fields.SECTIONS): the one definition a config's
validation and its JSON Schema come from. Apart from the file models (models.py), since building its sections costs
a fit that only checks its law file some 15 ms.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    WithJsonSchema,
    create_model,
)

from ..budget import GPU_ALIASES, GPUS, gpu_problem
from ..presets import PRESETS
from ..units import parse_quantity
from .fields import SECTIONS, range_problem
from .fields import Field as InputField
from .models import choice_type, in_range, number_schema


def _known_gpu(name: str) -> str:
    from .hardware_file import looks_like_file

    problem = None if looks_like_file(name) else gpu_problem(name)
    if problem is not None:
        raise ValueError(problem + ", or a hardware file path")
    return name


def _case_free(name: str) -> str:
    """A regex for a name matched as find_gpu matches it: any case, '-' or '_' alike."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else "[-_]" if c in "-_" else re.escape(c) for c in name)


def _annotation(field: InputField) -> Any:
    """A field's type, validation and JSON Schema, from its row in the table."""
    if field.kind == "quantity" and field.word is not None:  # a number in its range, or its word (mfu: predict)
        word = field.word
        schema = number_schema(field)
        schema["anyOf"].append({"type": "string", "pattern": rf"^\s*{_case_free(word)}\s*$"})

        def number_or_word(value: Any) -> float | str:
            if isinstance(value, str) and value.strip().casefold() == word:
                return word
            try:
                number = parse_quantity(value, money=field.money)
            except ValueError as error:
                raise ValueError(f"{error}, or {word}") from None
            problem = range_problem(field, number)
            if problem is not None:
                raise ValueError(problem)
            return number

        return Annotated[float | str, PlainValidator(number_or_word), WithJsonSchema(schema)]
    if field.kind == "quantity":
        return Annotated[
            float,
            BeforeValidator(functools.partial(parse_quantity, money=field.money)),
            in_range(field),
            WithJsonSchema(number_schema(field)),
        ]
    if field.name == "gpu":  # a preset, or a hardware file (read when the plan is made, relative to the config)
        pattern = r"^\s*(?:" + "|".join(_case_free(name) for name in [*GPUS, *GPU_ALIASES]) + r")\s*$"
        gpu_schema = {"type": "string", "anyOf": [{"pattern": pattern}, {"pattern": r"(?:\.[yY][aA]?[mM][lL]$|/)"}]}
        return Annotated[str, AfterValidator(_known_gpu), WithJsonSchema(gpu_schema)]
    if field.name == "law":  # a preset, or a law file (checked when the config is read, relative to it)
        presets = r"^\s*(?:" + "|".join(_case_free(name) for name in PRESETS) + r")\s*$"
        law_schema = {"type": "string", "anyOf": [{"pattern": presets}, {"pattern": r"(?:\.[yY][aA]?[mM][lL]$|/)"}]}
        return Annotated[str, WithJsonSchema(law_schema)]
    if field.kind == "text":
        return str
    if field.kind == "bool":
        return Annotated[bool, Strict()]  # true or false: YAML 1.2 reads yes and on as text
    return choice_type(field.kind, field.key.replace("_", " "))


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
    "serve": "How the model is served (`scaling-plan serve`): precisions, requests, batch and load.",
    "policy": "Limits `scaling-plan check` enforces on the intended run (or, without one, on the plan).",
}


def _section_model(section: str, fields: tuple[InputField, ...]) -> type[BaseModel]:
    """A config section's model, built from the table of fields."""
    definitions: dict[str, Any] = {}
    for field in fields:
        if field.required:
            definitions[field.key] = (_annotation(field), Field(description=field.description))
        else:
            definitions[field.key] = (_annotation(field) | None, Field(None, description=field.description))
    name = f"{section.title()}Section"
    extra: dict[str, Any] | None = {"minProperties": 1, "maxProperties": 1} if section in ("budget", "target") else None
    config = ConfigDict(extra="forbid", json_schema_extra=extra)
    return create_model(name, __config__=config, __doc__=SECTION_DOCS[section], **definitions)


SECTION_MODELS = {section: _section_model(section, fields) for section, fields in SECTIONS.items()}

#: A scaling-plan config: a budget (or target), hardware, allocation, an intended run and a policy.
_PLAN_FIELDS: dict[str, Any] = {
    "name": (str | None, Field(None, description="a short name for this plan")),
    "description": (str | None, None),
    **{section: (model | None, None) for section, model in SECTION_MODELS.items()},
}
#: What build_request also requires of a config: exactly one budget or target, or an intended run to give one.
_ONE_GIVEN: dict[str, Any] = {
    "not": {"required": ["budget", "target"]},
    "anyOf": [{"required": ["budget"]}, {"required": ["target"]}, {"required": ["run"]}],
}
PlanConfig: type[BaseModel] = create_model(
    "PlanConfig",
    __config__=ConfigDict(extra="forbid", json_schema_extra=_ONE_GIVEN),
    __doc__="A scaling-plan config: a budget (or target), hardware, allocation, an intended run and a policy.",
    **_PLAN_FIELDS,
)
