"""The file formats as pydantic models (law, frontier, downstream and hardware files), and the types the config's
model (config_model.py) is built from: the one definition their validation and schema come from.

Imported only when a YAML file is read or a fit's law file checked (pydantic costs start-up time the flag-only path
does not pay).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from ..choices import DownstreamForm, FitCriterion
from ..units import parse_quantity
from .fields import FILE_NUMBER, REPETITION_SAMPLE_CONSTANTS, FileNumber, range_problem
from .fields import Field as InputField

#: A quantity as text, the way units.parse_quantity reads it: '$2M', '70B', '1.4T', '5.76e23' (never negative, and
#: with an exponent that stays finite).
_EXPONENT = r"(?:[eE][+-]?(?:[0-9]{1,2}|[0-2][0-9]{2}|30[0-7]))?"
_PLAIN = rf"\+?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*){_EXPONENT}[kKmMbBtTpP]?"
QUANTITY_PATTERN = rf"^\s*\$?\s*{_PLAIN}\s*$"
#: A quantity that is not money: no '$', no thousands separators.
NUMBER_PATTERN = rf"^\s*{_PLAIN}\s*$"
#: Money, which may also be written with thousands separators as units.COMMA_GROUPED reads them: '$2,000,000'.
MONEY_PATTERN = rf"^\s*\$?\s*(?:{_PLAIN}|\+?[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?{_EXPONENT})\s*$"
#: Largest finite float: a bound that also refuses .inf.
_LARGEST = 1.7976931348623157e308

#: A number written as YAML reads it: 1e24, 5.76e23, or text such as 70B, 1.4T, $2M (law files: positive).
Quantity = Annotated[
    float,
    BeforeValidator(parse_quantity),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": QUANTITY_PATTERN}]}),
]


def number_schema(field: InputField | FileNumber, text_too: bool = True) -> dict[str, Any]:
    """The JSON Schema of a field's quantity: a number in its range, or (`text_too`) text in the form units.py reads.

    NaN passes every ordinary comparison, so each lower bound is also written as a `not` (which NaN fails)."""
    number: dict[str, Any] = {"type": "integer" if field.whole else "number"}
    if field.low_inclusive:
        number |= {"minimum": field.low, "not": {"exclusiveMaximum": field.low}}
    else:
        number |= {"exclusiveMinimum": field.low, "not": {"maximum": field.low}}
    if field.high is None:
        number["maximum"] = _LARGEST
    else:
        number["maximum" if field.high_inclusive else "exclusiveMaximum"] = field.high
    money = isinstance(field, InputField) and field.money
    text: dict[str, Any] = {"type": "string", "pattern": MONEY_PATTERN if money else NUMBER_PATTERN}
    if not field.low_inclusive and field.low == 0:  # text for a positive quantity is not all zeros
        text["not"] = {"pattern": r"^[\s$+]*[0._,]*(?:[eE][+-]?[0-9]+)?[kKmMbBtTpP]?\s*$"}
    if isinstance(field, InputField):
        return {"anyOf": [number, text], "description": field.description}
    return {"anyOf": [number, text]} if text_too else number


def in_range(field: InputField | FileNumber) -> Any:
    def check(value: float) -> float:
        problem = range_problem(field, value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


@dataclasses.dataclass(frozen=True)
class InRange:
    """Marks a float field of a law, frontier, downstream or hardware file: read as units.py reads quantities
    (`text_too`: '1.4T' as well as 1.4e12; else a YAML number, whose .nan and .inf fail the range), in its range
    (fields.FILE_NUMBERS), with that range in the file's JSON Schema. Use as Annotated[float, InRange(kind, key)]."""

    kind: str
    key: str
    text_too: bool = True

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        field = FILE_NUMBER[(self.kind, self.key)]

        def check(value: float) -> float:
            problem = range_problem(field, value)
            if problem is not None:
                raise ValueError(problem)
            return value

        def not_a_flag(value: Any) -> Any:
            """YAML's true and false are numbers to pydantic (1 and 0): a number field refuses them."""
            if isinstance(value, bool):
                raise ValueError(f"must be a number, not {str(value).lower()}")
            return value

        checked = core_schema.no_info_after_validator_function(check, handler(source))
        read = core_schema.no_info_before_validator_function(parse_quantity, checked) if self.text_too else checked
        return core_schema.no_info_before_validator_function(not_a_flag, read)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return number_schema(FILE_NUMBER[(self.kind, self.key)], self.text_too)


def choice_type(members_of: Any, kind: str) -> Any:
    """A choice Literal as a config reads it: its member in any case ('Law' is law), an unknown name answered with the
    closest member; the schema offers the members (an editor's completions) and takes them in any case too."""
    from typing import get_args

    from ..choices import member_named
    from ..errors import unknown_name

    members = [str(member) for member in get_args(members_of)]

    def named(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # refused below as not a member, with its type
        found = member_named(value, members)
        if found is None:
            raise ValueError(unknown_name(kind, value, members))
        return found

    any_case = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in m) for m in members)
    pattern = r"^\s*(?:" + "|".join(any_case) + r")\s*$"
    schema = {"anyOf": [{"enum": members}, {"type": "string", "pattern": pattern}]}
    return Annotated[members_of, BeforeValidator(named), WithJsonSchema(schema)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: The ends of a fitted range, each in the range of what it counts (fields.FILE_NUMBERS).
FittedFlops = Annotated[float, InRange("law", "compute_flops")]
FittedParams = Annotated[float, InRange("runs", "params")]
FittedTokens = Annotated[float, InRange("runs", "tokens")]
FittedLoss = Annotated[float, InRange("downstream", "loss_nats", text_too=False)]


class FittedRange(_Section):
    compute_flops: tuple[FittedFlops, FittedFlops] | None = None
    n_params: tuple[FittedParams, FittedParams] | None = None
    n_tokens: tuple[FittedTokens, FittedTokens] | None = None


class RunsFingerprint(_Section):
    """The runs a fit was made from (written by fit; suggest warns when its runs are not these): the runs file's runs
    with a loss, before fit's filters, counted and hashed."""

    runs: int = Field(ge=0, description="how many runs had a loss")
    sha256: str = Field(
        pattern=r"^[0-9a-f]{16}$",
        description="the first 16 hex digits of the SHA-256 of the runs' sorted lines 'N,D,loss', each number written"
        " as Python's '{:.6e}' writes it",
    )


class FitProcedure(_Section):
    """How `scaling-plan fit` made a law (written by it; informational)."""

    method: str
    runs_file: str
    runs: int
    runs_dropped: int
    tokens_from_compute: bool
    criterion: FitCriterion = "huber"
    huber_delta: float | None = None
    asymmetry: float | None = None
    weights_column: str | None = None
    starts: int
    starts_at_best: int
    objective: float
    residual_rmse_log: float
    converged: bool


def _samples_schema(kind: str, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON Schema of a law or frontier file's bootstrap rows (the kind's constants, or `names` of it): each value
    in its constant's range. The readers check the rows themselves (lawfile.checked_samples), naming a bad row's line
    and index."""
    from .fields import SAMPLE_CONSTANTS

    columns = [number_schema(FILE_NUMBER[(kind, name)], text_too=False) for name in names or SAMPLE_CONSTANTS[kind]]
    width = len(columns)
    return {"type": "array", "items": {"type": "array", "prefixItems": columns, "minItems": width, "maxItems": width}}


Row = tuple[float, float, float, float, float]
LawSamples = Annotated[
    list[Row] | list[tuple[float, float, float, float, float, float, float]],
    WithJsonSchema({"anyOf": [_samples_schema("law"), _samples_schema("law", REPETITION_SAMPLE_CONSTANTS)]}),
]
FrontierSamples = Annotated[list[Row], WithJsonSchema(_samples_schema("frontier"))]
BrokenSamples = Annotated[
    list[tuple[float, float, float, float, float, float, float, float]], WithJsonSchema(_samples_schema("broken"))
]
KaplanSamples = Annotated[list[tuple[float, float, float, float]], WithJsonSchema(_samples_schema("kaplan"))]
MoESamples = Annotated[
    list[tuple[float, float, float, float, float, float, float]], WithJsonSchema(_samples_schema("moe"))
]


class BootstrapSummary(_Section):
    """Refits on resampled runs: the samples let `budget` give intervals on N, D and loss."""

    resamples: int
    seed: int
    converged: int
    level: float = Field(gt=0, lt=1, description="the share of samples each interval holds, e.g. 0.9")
    intervals: dict[str, tuple[float, float]]
    standard_errors: dict[str, float]
    samples: LawSamples = Field(
        description="rows of E, A, B, alpha, beta (and rd_star, rn_star: a law fitted with repetition), each in its"
        " constant's range"
    )


class LawFile(_Section):
    """L(N, D) = E + A/N^alpha + B/D^beta, in nats per token."""

    kind: Literal["parametric"] = "parametric"
    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    E: Annotated[float, InRange("law", "E")]
    A: Annotated[float, InRange("law", "A")]
    B: Annotated[float, InRange("law", "B")]
    alpha: Annotated[float, InRange("law", "alpha")]
    beta: Annotated[float, InRange("law", "beta")]
    rd_star: Annotated[float, InRange("law", "rd_star")] | None = Field(
        None, description="R_D*: how fast repeated tokens lose value (Muennighoff et al. 2023 eq. 5), e.g. 15.4"
    )
    rn_star: Annotated[float, InRange("law", "rn_star")] | None = Field(
        None, description="R_N*: how fast parameters beyond the unique data lose value (eq. 6), e.g. 5.3"
    )
    fitted_range: FittedRange | None = None
    runs_fingerprint: RunsFingerprint | None = None
    procedure: FitProcedure | None = None
    bootstrap: BootstrapSummary | None = None


class FrontierBootstrap(_Section):
    """Refits on runs resampled within each budget: the samples let `budget` give intervals on N, D and loss."""

    resamples: int
    seed: int
    kept: int = Field(description="resamples that still had enough budgets to fit a frontier")
    level: float = Field(gt=0, lt=1, description="the share of samples each interval holds, e.g. 0.9")
    intervals: dict[str, tuple[float, float]]
    samples: FrontierSamples = Field(description="rows of k_n, a, E, A, gamma, each in its constant's range")


class FrontierLawFile(_Section):
    """A compute-optimal frontier, from isoFLOP profiles (Hoffmann et al. 2022 Approach 2; `fit --approach isoflop`):
    N_opt = k_n·C^a, D_opt = C/(6·N_opt) = k_d·C^(1-a), and L_opt = E + A·C^-gamma in nats per token. It allocates
    along the frontier (--method law) and predicts the loss of runs on it only."""

    kind: Literal["frontier"]
    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    k_n: Annotated[float, InRange("frontier", "k_n")] = Field(description="N_opt = k_n·C^a, C in FLOPs")
    a: Annotated[float, InRange("frontier", "a")]
    E: Annotated[float, InRange("frontier", "E", text_too=False)] = Field(description="the frontier's irreducible loss")
    A: Annotated[float, InRange("frontier", "A")]
    gamma: Annotated[float, InRange("frontier", "gamma")]
    fitted_range: FittedRange | None = None
    runs_fingerprint: RunsFingerprint | None = None
    procedure: dict[str, Any] | None = Field(None, description="how it was fitted (informational)")
    bootstrap: FrontierBootstrap | None = None


class BrokenBootstrap(FrontierBootstrap):
    samples: BrokenSamples = Field(  # type: ignore[assignment]
        description="rows of k_n, a, E, A, gamma, gamma_change, break_flops, sharpness, each in its constant's range"
    )


class BrokenLawFile(_Section):
    """A compute-optimal frontier whose loss is a broken power law in compute (Caballero et al. 2023, eq. 1 with one
    break; `fit --form broken`): N_opt = k_n·C^a and L_opt = E + A·C^-gamma·(1 + (C/break_flops)^(1/sharpness))^
    (-gamma_change·sharpness) in nats per token. Like a frontier file, it allocates along the frontier and predicts
    the loss of runs on it only."""

    kind: Literal["broken"]
    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    k_n: Annotated[float, InRange("broken", "k_n")] = Field(description="N_opt = k_n·C^a, C in FLOPs")
    a: Annotated[float, InRange("broken", "a")]
    E: Annotated[float, InRange("broken", "E", text_too=False)] = Field(description="the frontier's irreducible loss")
    A: Annotated[float, InRange("broken", "A")]
    gamma: Annotated[float, InRange("broken", "gamma")] = Field(description="the slope before the break")
    gamma_change: Annotated[float, InRange("broken", "gamma_change")] = Field(
        description="how much steeper the slope is past the break (negative: flatter)"
    )
    break_flops: Annotated[float, InRange("broken", "break_flops")] = Field(description="where the slope turns")
    sharpness: Annotated[float, InRange("broken", "sharpness")] = Field(
        description="the turn's span (smaller: sharper)"
    )
    fitted_range: FittedRange | None = None
    runs_fingerprint: RunsFingerprint | None = None
    procedure: dict[str, Any] | None = Field(None, description="how it was fitted (informational)")
    bootstrap: BrokenBootstrap | None = None


class KaplanBootstrap(BootstrapSummary):
    """Refits on resampled runs: the samples let `budget` give intervals on N, D and loss."""

    samples: KaplanSamples = Field(  # type: ignore[assignment]
        description="rows of alpha_n, alpha_d, n_c, d_c, each in its constant's range"
    )


class KaplanLawFile(_Section):
    """Kaplan et al. 2020's joint law (eq. 1.5) fitted to runs (`fit --form kaplan`): L = [(n_c/N)^(alpha_n/alpha_d)
    + d_c/D]^alpha_d in nats per token, with N counted as the runs count it. It allocates by its own optimum under
    C = 6·N·D."""

    kind: Literal["kaplan"]
    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    alpha_n: Annotated[float, InRange("kaplan", "alpha_n")]
    alpha_d: Annotated[float, InRange("kaplan", "alpha_d")]
    n_c: Annotated[float, InRange("kaplan", "n_c")]
    d_c: Annotated[float, InRange("kaplan", "d_c")]
    fitted_range: FittedRange | None = None
    runs_fingerprint: RunsFingerprint | None = None
    procedure: FitProcedure | None = None
    bootstrap: KaplanBootstrap | None = None


class MoEBootstrap(BootstrapSummary):
    """Refits on resampled runs: the samples let `budget` give intervals on N, D and loss."""

    samples: MoESamples = Field(description="rows of E, A, B, alpha, beta, g, gamma, each in its constant's range")


class MoELawFile(_Section):
    """Krajewski et al. 2024's fine-grained mixture-of-experts law (eq. 9) fitted to runs (`fit --form moe`): L = E +
    (g/G^gamma + A)/N^alpha + B/D^beta in nats per token, N the total non-embedding parameters, N = N_act·(8·expansion
    + 4)/12 of a mixture with N_act active at expansion E (the law is fitted at one). It allocates N_act, D and the
    granularity G by its own optimum under their eq. 10 FLOPs."""

    kind: Literal["moe"]
    name: str | None = None
    source: str | None = None
    dataset: str | None = None
    date: str | None = None
    E: Annotated[float, InRange("moe", "E")]
    A: Annotated[float, InRange("moe", "A")]
    B: Annotated[float, InRange("moe", "B")]
    alpha: Annotated[float, InRange("moe", "alpha")]
    beta: Annotated[float, InRange("moe", "beta")]
    g: Annotated[float, InRange("moe", "g")] = Field(description="the granularity term's scale, g/G^gamma")
    gamma: Annotated[float, InRange("moe", "gamma")] = Field(description="how fast finer experts lower the loss")
    expansion: Annotated[float, InRange("moe", "expansion")] = Field(
        description="E of the runs: their experts hold E dense FFNs of parameters (64 in Krajewski et al.'s Table 1)"
    )
    fitted_range: FittedRange | None = None
    runs_fingerprint: RunsFingerprint | None = None
    procedure: FitProcedure | None = None
    bootstrap: MoEBootstrap | None = None


class DownstreamRange(_Section):
    loss_nats: tuple[FittedLoss, FittedLoss] = Field(description="the lowest and highest loss of the runs fitted on")


class DownstreamBootstrap(_Section):
    """Refits on resampled runs: the samples give the predicted metric its interval."""

    resamples: int
    seed: int
    kept: int = Field(description="refits with finite constants")
    level: float = Field(gt=0, lt=1, description="the share of samples each interval holds, e.g. 0.9")
    intervals: dict[str, tuple[float, float]]
    samples: list[list[float]] = Field(
        description="rows of the form's constants, in the order of `constants`, each held to their ranges"
    )


class DownstreamFile(_Section):
    """A mapping from loss (nats/token) to a downstream metric (1 is perfect), from `scaling-plan fit-downstream`:
    exponential, metric = 1 - epsilon + k·exp(-gamma·L) (Gadre et al. 2024); sigmoid, metric = floor + (ceiling -
    floor)·σ(-(L - l0)/scale). `budget`, `sweep`, `compare` and `backtest` read it with --downstream."""

    kind: Literal["downstream"]
    name: str = Field(pattern=r"^[a-z0-9_]+$", description="short name: the output fields are downstream_<name>")
    metric: str = Field(description="the column the mapping was fitted to")
    form: choice_type(DownstreamForm, "form")  # type: ignore[valid-type]
    source: str | None = None
    dataset: str | None = Field(None, description="the data the loss was measured on")
    date: str | None = None
    constants: dict[str, float] = Field(description="exponential: epsilon, k, gamma; sigmoid: l0, scale")
    chance: float = Field(ge=-1, le=1, description="the metric's score at chance")
    floor: float = Field(ge=-1, le=1, description="the sigmoid's lower asymptote (chance unless set)")
    ceiling: float = Field(gt=-1, le=1, description="the highest score the mapping predicts")
    fitted_range: DownstreamRange
    procedure: dict[str, Any] | None = Field(None, description="how it was fitted (informational)")
    bootstrap: DownstreamBootstrap | None = None


class HardwareFile(_Section):
    """A GPU that is not a preset, with the fields the presets have (`scaling-plan gpus`): `--gpu FILE` (or
    `hardware.gpu: FILE` in a config) reads it."""

    kind: Literal["hardware"]
    name: str = Field(min_length=1, description="what the output calls the GPU")
    peak_flops_per_second: Annotated[float, InRange("hardware", "peak_flops_per_second", text_too=False)] = Field(
        description="dense (no sparsity) BF16 peak FLOP/s per GPU"
    )
    peak_fp8_flops_per_second: (
        Annotated[float, InRange("hardware", "peak_fp8_flops_per_second", text_too=False)] | None
    ) = Field(None, description="dense FP8 peak FLOP/s per GPU, if any")
    memory_gib: Annotated[float, InRange("hardware", "memory_gib", text_too=False)] | None = Field(
        None, description="memory per GPU in GiB, as the device reports it"
    )
    power_watts: Annotated[float, InRange("hardware", "power_watts", text_too=False)] | None = Field(
        None, description="rated board power (TDP) in watts, for energy"
    )
    memory_bandwidth_gb_per_second: (
        Annotated[float, InRange("hardware", "memory_bandwidth_gb_per_second", text_too=False)] | None
    ) = Field(None, description="HBM bandwidth per GPU in GB/s (1e9 bytes), for serving")
    link_bandwidth_gb_per_second: (
        Annotated[float, InRange("hardware", "link_bandwidth_gb_per_second", text_too=False)] | None
    ) = Field(
        None,
        description="GPU-to-GPU bandwidth within a node per GPU in GB/s (both directions, as datasheets give NVLink),"
        " for tensor-parallel serving and a predicted training step",
    )
    network_bandwidth_gb_per_second: (
        Annotated[float, InRange("hardware", "network_bandwidth_gb_per_second", text_too=False)] | None
    ) = Field(None, description="bandwidth between nodes per GPU and direction in GB/s (its NIC), for a predicted step")
    source: str | None = Field(None, description="where the figures come from (a datasheet)")
