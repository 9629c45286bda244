"""A plan: one 'given' (a budget or an inverse target) -> compute, N, D, predicted loss, and what the run takes.

A run a team intends (N, D) is measured against its law's compute-optimal frontier at the same compute.

Pure domain: no printing, no files. Inputs arrive validated (inputs.request.build_request); problems found here, such as
a loss target no compute reaches, raise UsageError naming the input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .allocate import (
    SOLVER_RANGE_FLOPS,
    Allocator,
    LawOptimum,
    TokensPerParamRule,
    compute_for_loss,
    pinned_allocation,
)
from .budget import Hardware
from .choices import GIVEN_KINDS, Given
from .data_constrained import DataConstrainedLaw, DataUse, data_use, unconstrained, with_unique_tokens
from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN, FrontierLaw, KaplanLaw, Law, Num, ParametricLaw
from .moe import MoELaw
from .returns import Returns, returns_at
from .units import format_scientific

if TYPE_CHECKING:
    from .blueprint import Blueprint, BlueprintRequest  # imported when a request asks for a blueprint
    from .downstream import DownstreamMapping, MetricPrediction  # imported when a request has downstream mappings
    from .gap import Gap  # imported when a plan has a run to place
    from .inference import InferencePlan, InferenceRequest  # imported when a request has inference tokens
    from .serving import ServeRequest, Serving  # imported when a request serves its model

#: Budget kinds turn into FLOPs through hardware; targets are inverse questions answered through the allocator.
BUDGET_KINDS = GIVEN_KINDS[:4]
#: Budgets a user cannot exceed (money, GPU-hours, a cluster's days): every run a plan recommends trains within them
#: under the count of FLOPs the plan reports, or says that it does not. A FLOP budget counts 6·N·D, as the laws do.
HARD_BUDGET_KINDS = ("dollars", "gpu_hours", "days")
TARGET_KINDS = GIVEN_KINDS[4:]

#: An intended run may exceed its (often rounded) budget by this factor before the user is warned.
RUN_OVER_BUDGET_FACTOR = 1.05

#: When the rule's tokens/param and the law's own optimum differ by more than this factor, the user is warned.
RULE_LAW_DISAGREEMENT_FACTOR = 2.0


@dataclass(frozen=True)
class IntendedRun:
    """The run a team actually intends to train, beside the plan for its budget."""

    n_params: float
    n_tokens: float
    where: str  # the config field it came from, for messages

    @property
    def compute_flops(self) -> float:
        return FLOPS_PER_PARAM_TOKEN * self.n_params * self.n_tokens


@dataclass(frozen=True)
class PlanRequest:
    given: Given
    given_value: float
    given_where: str  # the flag or config field it came from, for messages
    allocator: Allocator
    law: Law  # a DataConstrainedLaw when the request caps unique tokens
    hardware: Hardware | None = None
    run: IntendedRun | None = None
    inference: InferenceRequest | None = None
    blueprint: BlueprintRequest | None = None
    downstream: tuple[DownstreamMapping, ...] = ()  # metrics to predict from the plan's loss
    serve: ServeRequest | None = None  # serve the plan's blueprint (its GPU is the hardware's)
    #: Where each input given came from (the flag, or file:line and key), by field name: a number that cannot be
    #: planned names the inputs that made it.
    wheres: Mapping[str, str] = field(default_factory=dict)

    def named(self, *fields: str) -> list[str]:
        """The inputs among `fields` that were given, as their flag or file:line and key say them."""
        return [self.wheres[name] for name in fields if name in self.wheres]


@dataclass(frozen=True)
class Intervals:
    """Ranges over a fitted law's bootstrap refits, each holding `level` of them (e.g. 0.9: 5th-95th percentile)."""

    level: float
    n_params: tuple[float, float]
    n_tokens: tuple[float, float]
    loss_nats: tuple[float, float]


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    compute_flops: float
    n_params: float
    n_tokens: float
    loss_nats: float
    gpu_hours: float | None
    wall_clock_days: float | None
    cost_usd: float | None
    run: Gap | None = None  # the intended run's distance from optimal, when the request has one
    intervals: Intervals | None = None  # when the law carries bootstrap refits
    data: DataUse | None = None  # under a unique-token cap: epochs, effective tokens, the cap's loss penalty
    inference: InferencePlan | None = None  # with inference tokens: the model with the least lifetime cost
    blueprint: Blueprint | None = None  # when asked for: shape, exact counts, memory, GPUs, batch size and LR
    downstream: tuple[MetricPrediction, ...] = ()  # each downstream mapping's metric at the plan's loss
    tokens_trimmed_pct: float | None = None  # under a hard budget with a blueprint: tokens trimmed to fit (fill_budget)
    serving: Serving | None = None  # when asked for: the blueprint served on the hardware's GPU
    returns: Returns | None = None  # what 10x the compute and the next 0.01 nats buy and cost, along the allocation

    @property
    def next_step_time_and_cost(self) -> tuple[float | None, float | None]:
        """GPU-hours and cost of the compute for the next 0.01 nats, counted as the plan's own training is."""
        extra, hardware = self.returns.flops_for_next_step if self.returns else None, self.request.hardware
        if extra is None or hardware is None:
            return None, None
        gpu_hours, _, cost = hardware.time_and_cost(extra * self.training_flops / self.compute_flops)
        return gpu_hours, cost

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    @property
    def granularity(self) -> int | None:  # under a mixture-of-experts law, the one its loss is predicted at
        return int(self.request.law.granularity_for(self.n_params)) if isinstance(self.request.law, MoELaw) else None

    @property
    def extrapolated(self) -> bool:
        low, high = self.request.law.compute_range_flops
        return not low <= self.compute_flops <= high

    @property
    def training_flops(self) -> float:
        """The training FLOPs the plan's GPU-hours, days and cost count: its blueprint's full count (every matrix
        multiply, attention and the logits), else compute_flops."""
        return self.compute_flops if self.blueprint is None else self.blueprint.training_flops_full

    @property
    def budget_flops(self) -> float | None:
        """A hard budget (HARD_BUDGET_KINDS) in training FLOPs, the limit training_flops keeps within; else None."""
        return hard_budget_flops(self.request)


def hard_budget_flops(request: PlanRequest) -> float | None:
    """The training FLOPs a hard budget buys (HARD_BUDGET_KINDS); None for a FLOP budget or an inverse target."""
    return float(budget_compute(request, request.given_value)) if request.given in HARD_BUDGET_KINDS else None


def budget_compute(request: PlanRequest, value: Num) -> Num:
    """Training FLOPs for a budget of the request's kind (a float or an array of budgets)."""
    kind, hardware = request.given, request.hardware
    if kind == "flops":
        return value
    assert hardware is not None  # build_request guarantees hardware (and price or GPU count) for these kinds
    if kind == "dollars":
        return hardware.compute_flops(hardware.gpu_hours_for_cost(value))
    if kind == "days":
        return hardware.compute_flops(hardware.gpu_hours_for_days(value))
    return hardware.compute_flops(value)


def _compute_for_given(request: PlanRequest) -> tuple[float, tuple[float, float] | None]:
    """The training compute the given asks for, and for a size or token target the (N, D) it pins: the given one
    exactly as given, the other derived from it."""
    kind, value = request.given, request.given_value
    if kind in BUDGET_KINDS:
        return budget_compute(request, value), None
    if kind == "loss":
        floor = request.law.irreducible_loss
        if value <= floor:
            raise UsageError(
                request.given_where,
                f"loss {value:g} is at or below {request.law.name}'s irreducible loss E = {floor:g}; no compute reaches it",
            )
        law = request.law
        if isinstance(law, DataConstrainedLaw) and value <= law.loss_floor:
            raise UsageError(
                request.given_where,
                f"loss {value:g} is at or below {law.loss_floor:.4g}, the least loss {law.name} allows with"
                f" {law.unique_tokens:.3g} unique tokens (repeated data and excess parameters saturate); no compute"
                " reaches it",
            )
        compute = compute_for_loss(request.allocator, law, value)
        if compute is not None:
            return compute, None
    else:
        found = pinned_allocation(request.allocator, kind, value)
        if found is not None:
            return found[0], found[1:]
    raise UsageError(request.given_where, _out_of_reach(request))


def _out_of_reach(request: PlanRequest) -> str:
    """Why no compute answers an inverse question: the target lies below the smallest plan, or beyond the largest."""
    kind, value = request.given, request.given_value
    least_compute, most_compute = SOLVER_RANGE_FLOPS
    n_params, n_tokens = request.allocator.allocate(least_compute)
    if kind == "loss":
        smallest = float(request.law.loss(n_params, n_tokens))
        if value > smallest:
            return f"loss {value:g} is above {smallest:.4g}, the loss of the least training planned (1 FLOP): any run reaches it"
    else:
        smallest = float(n_params if kind == "params" else n_tokens)
        if value < smallest:
            return (
                f"{kind} = {value:g} is too small to plan: the least training planned (1 FLOP) already has"
                f" {smallest:.3g} {'parameters' if kind == 'params' else 'tokens'}"
            )
    jumps = isinstance(request.allocator, LawOptimum) and isinstance(request.law, MoELaw)  # where G doubles
    return f"no training compute up to {format_scientific(most_compute, 1)} FLOPs gives {kind} = {value:g}" + (
        f": {request.law.name}'s optimum jumps over it where its granularity doubles" if jumps else "")  # fmt: skip


class Outcome(NamedTuple):
    """A plan's numbers at one compute (floats), or a sweep's at many (arrays of one value per budget): Any, since a
    NamedTuple cannot be generic over the float-or-array Num on Python 3.10."""

    compute_flops: Any
    n_params: Any
    n_tokens: Any
    loss_nats: Any
    gpu_hours: Any  # None without hardware, like the two after it
    wall_clock_days: Any
    cost_usd: Any


def outcome(request: PlanRequest, compute_flops: Num, allocation: tuple[Num, Num] | None = None) -> Outcome:
    """N, D, loss, GPU-hours, days and cost at the given compute: the one place a plan's numbers are made.

    `allocation` is an (N, D) already fixed by the question (an inverse target); else the allocator chooses it,
    within its bound (require_allocatable).
    """
    if allocation is None:
        require_allocatable(request, compute_flops)
    n_params, n_tokens = request.allocator.allocate(compute_flops) if allocation is None else allocation
    loss_nats = request.law.loss(n_params, n_tokens)
    hardware = request.hardware
    if hardware is None:
        return Outcome(compute_flops, n_params, n_tokens, loss_nats, None, None, None)
    return Outcome(compute_flops, n_params, n_tokens, loss_nats, *hardware.time_and_cost(compute_flops))


def sweep_searches(request: PlanRequest) -> str | None:
    """What searches each row of a sweep of this request makes (inputs.budgets.SWEEP_SEARCH_LIMITS), or None."""
    searched = bool(getattr(request.allocator, "sizes_by_search", False))
    filled = request.blueprint is not None and request.given in HARD_BUDGET_KINDS
    if searched and filled:
        return "searched+filled"
    return "filled" if filled else "searched" if searched else "blueprint" if request.blueprint is not None else None


def require_allocatable(request: PlanRequest, compute_flops: Num) -> None:
    """Refuse, before any search, a budget past the allocator's bound: a frontier that sizes N by a shape search
    (DeepSeek LLM's) searches no further than `shape --params` does."""
    bound = getattr(request.allocator, "max_compute_flops", math.inf)
    if bound == math.inf:
        return
    import numpy as np

    largest = float(np.max(compute_flops))
    if largest > bound:
        from .shapes import MAX_SHAPE_PARAMS

        raise UsageError(
            request.given_where,
            f"{format_scientific(largest)} FLOPs is past what {request.allocator.method} allocates"
            f" ({format_scientific(bound)} FLOPs): its N comes from a shape search, which sizes models of at most"
            f" {MAX_SHAPE_PARAMS:.0e} parameters",
        )


#: The hardware inputs that turn FLOPs into GPU-hours, days, cost, energy and emissions (budget.Hardware).
HARDWARE_INPUTS = ("gpu", "peak_flops", "mfu", "goodput", "gpus", "price_per_gpu_hour")


def _require_plannable(request: PlanRequest, numbers: Outcome) -> None:
    """Each number of a plan finite and positive, or a UsageError naming the inputs that made it: the allocation
    (the budget with the rule's ratio or the law), the loss (the law), the time and cost (the budget with the
    hardware). Every input has a range (inputs/fields.py) where these stay finite; this names what combines past."""
    n_params, n_tokens, loss = numbers.n_params, numbers.n_tokens, numbers.loss_nats
    given = f"{request.given} = {request.given_value:g}"
    if not finite_positive(n_params, n_tokens):
        allocator = request.allocator
        rule = request.named("tokens_per_param" if isinstance(allocator, TokensPerParamRule) else "law")
        chosen = f"{allocator.law.name}'s optimum" if isinstance(allocator, LawOptimum) else allocator.method
        raise UsageError(
            request.given_where,
            f"{given}{_with(rule)}: {chosen} is N = {n_params:g} and D = {n_tokens:g}, past floating point",
        )
    if n_params < 1 or n_tokens < 1:
        raise UsageError(
            request.given_where,
            f"{given} is too small: it leaves fewer than one parameter or token",
        )
    if not finite_positive(loss):
        raise UsageError(
            (request.named("law") or [request.given_where])[0],
            f"{request.law.name} predicts a loss of {loss:g} nats for N = {n_params:.3g}, D = {n_tokens:.3g}: its"
            " constants do not plan this run",
        )
    made = {"GPU-hours": numbers.gpu_hours, "wall-clock days": numbers.wall_clock_days, "cost": numbers.cost_usd}
    for what, value in made.items():
        if value is not None and not finite_positive(value):
            raise UsageError(
                request.given_where,
                f"{given}{_with(request.named(*HARDWARE_INPUTS))}: the {what} ({value:g}) are past floating point",
            )


def finite_positive(*values: float) -> bool:
    return all(math.isfinite(value) and value > 0 for value in values)


def _with(inputs: Sequence[str]) -> str:
    """' with --mfu and --peak-flops': the other inputs a number combines, for a message."""
    if not inputs:
        return ""
    return " with " + (inputs[0] if len(inputs) == 1 else f"{', '.join(inputs[:-1])} and {inputs[-1]}")


def refit_outcomes(request: PlanRequest, compute_flops: float) -> Any:
    """Rows of (N, D, loss) at this compute, one per bootstrap refit of the law; None for a law without them.

    Under the law's own optimum each refit chooses its own N and D; under the rule N and D are fixed and only the
    predicted loss varies.
    """
    law = unconstrained(request.law)
    if not isinstance(law, (ParametricLaw, KaplanLaw, FrontierLaw)) or not law.samples:
        return None
    import numpy as np

    cap = request.law.unique_tokens if isinstance(request.law, DataConstrainedLaw) else None
    rows = []
    for refit in law.refits() if cap is None else [with_unique_tokens(r, cap) for r in law.refits()]:
        assert refit is not None
        allocator = LawOptimum(refit) if isinstance(request.allocator, LawOptimum) else request.allocator
        if isinstance(refit, MoELaw):  # at its own optimum's granularity, or the plan's: no table of G per refit
            assert isinstance(law, MoELaw)
            if isinstance(allocator, LawOptimum):
                n_params, n_tokens, granularity = refit.optimum_with_granularity(compute_flops)
            else:
                n_params, n_tokens = allocator.allocate(compute_flops)
                granularity = law.granularity_for(n_params)
            rows.append((n_params, n_tokens, refit.loss_at(n_params, n_tokens, granularity)))
            continue
        n_params, n_tokens = allocator.allocate(compute_flops)
        rows.append((n_params, n_tokens, refit.loss(n_params, n_tokens)))
    return np.array(rows)


def intervals_of(request: PlanRequest, rows: Any) -> Intervals | None:
    """N, D and loss across the refits' outcomes (refit_outcomes), each holding the law's interval level of them."""
    if rows is None:
        return None
    import numpy as np

    law = unconstrained(request.law)
    assert isinstance(law, (ParametricLaw, KaplanLaw, FrontierLaw))  # only they have refits
    level = law.interval_level
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(rows, [tail, 100 - tail], axis=0)
    pairs = [(float(low[i]), float(high[i])) for i in range(3)]  # plain floats, as the annotations say
    return Intervals(level, pairs[0], pairs[1], pairs[2])


def predict_downstream(
    request: PlanRequest, loss_nats: float, refit_losses: Sequence[float] = ()
) -> tuple[MetricPrediction, ...]:
    """Each of the request's downstream metrics at this loss, its interval spanning the law's refits' losses too."""
    if not request.downstream:
        return ()
    from .downstream import predict_metric

    law = unconstrained(request.law)
    level = law.interval_level if isinstance(law, (ParametricLaw, KaplanLaw, FrontierLaw)) else None
    return tuple(predict_metric(mapping, loss_nats, refit_losses, level) for mapping in request.downstream)


def plan_inference(
    request: PlanRequest,
    n_params: float,
    n_tokens: float,
    loss_nats: float,
    chosen_n_params: float | None = None,
    training_flops: float | None = None,
) -> InferencePlan | None:
    """With inference tokens: the plan's model as the quality target, beside the least-lifetime-cost model. The
    latter's training is counted as the plan's `training_flops` count its own 6·N·D (a blueprint's full count, say)
    and held to a hard budget."""
    if request.inference is None:
        return None
    from .inference import Lifetime, inference_aware

    reference = Lifetime(n_params, n_tokens, loss_nats, request.inference.tokens)
    is_optimum = isinstance(request.allocator, LawOptimum)
    count_per_6nd = 1.0 if training_flops is None else training_flops / reference.training_flops
    return inference_aware(
        request.law, reference, request.inference, request.hardware, is_optimum, chosen_n_params, count_per_6nd,
        hard_budget_flops(request),
    )  # fmt: skip


def make_plan(request: PlanRequest) -> Plan:
    """Allocate the given budget (or answer the inverse question) and predict the loss with the request's law; with
    --mfu predict, at the MFU of the blueprint's predicted step (pace.py)."""
    if request.hardware is None or not request.hardware.mfu_predicted:
        return _make_plan(request)
    from .pace import at_predicted_pace

    return at_predicted_pace(request, _make_plan)


def _make_plan(request: PlanRequest) -> Plan:
    compute_flops, allocation = _compute_for_given(request)
    numbers = outcome(request, compute_flops, allocation)
    if request.given == "loss":  # the solver meets the target to the last bits; the plan reports the loss asked for
        numbers = numbers._replace(loss_nats=request.given_value)
    _require_plannable(request, numbers)
    numbers, blueprint, trimmed_pct = with_blueprint(request, numbers)
    n_params, n_tokens, loss_nats = numbers.n_params, numbers.n_tokens, numbers.loss_nats
    run = request.run
    gap = None if run is None else _gap(run.n_params, run.n_tokens, request, run.where)
    refits = refit_outcomes(request, numbers.compute_flops)
    return Plan(
        request, *numbers, run=gap, intervals=intervals_of(request, refits),
        data=data_use(request.law, n_params, n_tokens),
        inference=plan_inference(
            request, n_params, n_tokens, loss_nats,
            training_flops=numbers.compute_flops if blueprint is None else blueprint.training_flops_full,
        ),
        blueprint=blueprint, tokens_trimmed_pct=trimmed_pct,
        downstream=predict_downstream(request, loss_nats, () if refits is None else tuple(refits[:, 2])),
        serving=serve_blueprint(request, blueprint), returns=returns_at(request, numbers.compute_flops),
    )  # fmt: skip


def serve_blueprint(request: PlanRequest, blueprint: Blueprint | None) -> Serving | None:
    """The plan's model served on its hardware's GPU, when asked for (the request then has both)."""
    if request.serve is None:
        return None
    from .architectures import architecture_of_shape
    from .serving import serve

    assert blueprint is not None and request.hardware is not None
    return serve(architecture_of_shape(blueprint.shape), request.hardware.gpu, request.serve)


#: Steps of the search that sizes a blueprint's run to fill a hard budget under its full count. The count grows about
#: as C (as D for the user's own shape), so a step lands near the budget's edge; where the shape search flips
#: between two shapes across that edge, the steps bisect between them.
FILL_STEPS = 12
#: A blueprint's run under a hard budget departs from the question by at most this share where the shapes allow:
#: that much of the budget unspent, or of the allocation's tokens trimmed (it never exceeds the budget). The steps
#: aim halfway between filling the budget to this share and filling it whole.
FILL_TOLERANCE = 0.002
FILL_SHARE = 1.0 - FILL_TOLERANCE
FILL_AIM = 1.0 - FILL_TOLERANCE / 2


def with_blueprint(request: PlanRequest, numbers: Outcome) -> tuple[Outcome, Blueprint | None, float | None]:
    """The plan's numbers with its blueprint, when one is asked for, and the % of tokens trimmed to fit a hard budget
    (None without one). GPU-hours, days and cost count the blueprint's full FLOPs, not 6·N·D; under a hard budget N
    and D are chosen so that that count fills the budget without exceeding it (fill_budget)."""
    if request.blueprint is None:
        return numbers, None, None
    budget, trimmed_pct = hard_budget_flops(request), None
    if budget is not None:
        numbers, trimmed_pct = fill_budget(request, numbers, budget)
    blueprint = plan_blueprint(request, numbers.n_params, numbers.n_tokens)
    assert blueprint is not None
    if request.hardware is not None:
        gpu_hours, days, cost = request.hardware.time_and_cost(blueprint.training_flops_full)
        numbers = numbers._replace(gpu_hours=gpu_hours, wall_clock_days=days, cost_usd=cost)
    return numbers, blueprint, trimmed_pct


def fill_budget(request: PlanRequest, numbers: Outcome, budget_flops: float) -> tuple[Outcome, float]:
    """N and D whose blueprint's full count of training FLOPs fills the budget without exceeding it, and the % of
    the allocation's tokens trimmed to get there.

    The steps seek the compute whose allocation's full count fills the budget. The shape search rounds widths, so the
    full count jumps where the shape changes: near the budget's edge there may be only a shape just under it (its
    allocation kept whole, part of the budget unspent) and one just over it (its tokens trimmed to fit). Of the
    candidates, the one that departs least from the question is chosen: the least share of the budget left unspent,
    or of the allocation's tokens trimmed.
    """
    from .blueprint import full_training_flops, shape_of

    assert request.blueprint is not None
    fits_below, over_above = 0.0, math.inf  # compute known to fit, and known not to
    candidates: list[tuple[float, Outcome, float]] = []  # (departure, numbers, tokens trimmed %)
    # The full count grows as D for one shape (the user's own, or a sized one between two steps that land on the
    # same), and about as N·D, as C, where the sizing moves to another shape: d ln(full) / d ln(C).
    d_exponent = _tokens_exponent(request.allocator, numbers.compute_flops)
    last_shape = None
    for _ in range(FILL_STEPS):
        compute = numbers.compute_flops
        mixture = mixture_of(request, numbers.n_params)
        full = full_training_flops(request.blueprint, numbers.n_params, numbers.n_tokens, mixture)
        shape = shape_of(request.blueprint, numbers.n_params, mixture)
        exponent = d_exponent if shape == last_shape or request.blueprint.explicit else 1.0
        last_shape = shape
        if full <= budget_flops:
            candidates.append((1.0 - full / budget_flops, numbers, 0.0))
            fits_below = max(fits_below, compute)
        else:
            trim = budget_flops / full
            allocation = (numbers.n_params, numbers.n_tokens * trim)
            candidates.append((1.0 - trim, outcome(request, compute * trim, allocation), 100.0 * (1.0 - trim)))
            over_above = min(over_above, compute)
        if candidates[-1][0] <= FILL_TOLERANCE or over_above <= fits_below * (1.0 + FILL_TOLERANCE):
            break  # close enough, or the full count jumps across the edge between these two: no closer step
        step = compute * (budget_flops * FILL_AIM / full) ** (1.0 / exponent)
        if not fits_below < step < over_above:
            step = math.sqrt(fits_below * over_above)
        numbers = outcome(request, step)
        _require_plannable(request, numbers)
    _, numbers, trimmed_pct = min(candidates, key=lambda candidate: candidate[0])
    return numbers, trimmed_pct


def _tokens_exponent(allocator: Allocator, compute_flops: float) -> float:
    """d ln D / d ln C along the allocator (0.5 for the rule), measured over 1%; 0.5 where it is not positive."""
    ratio = float(allocator.allocate(compute_flops * 1.01)[1]) / float(allocator.allocate(compute_flops)[1])
    exponent = math.log(ratio) / math.log(1.01)
    return exponent if math.isfinite(exponent) and exponent > 0.05 else 0.5


def plan_blueprint(request: PlanRequest, n_params: float, n_tokens: float) -> Blueprint | None:
    """When asked for: a shape for N (or the request's own), with its counts, memory, GPUs, batch size and LR."""
    if request.blueprint is None:
        return None
    from .blueprint import make_blueprint
    from .shapes import MAX_SHAPE_PARAMS

    if not request.blueprint.explicit and n_params > MAX_SHAPE_PARAMS:
        raise UsageError(
            request.given_where,
            f"N = {n_params:.3g} parameters: a blueprint shapes models of at most {MAX_SHAPE_PARAMS:.0e}; lower the"
            " budget, or give an explicit shape",
        )
    return make_blueprint(
        request.blueprint, n_params, n_tokens, request.hardware, "blueprint", mixture_of(request, n_params)
    )


def mixture_of(request: PlanRequest, n_params: float) -> tuple[float, int] | None:
    """Under a mixture-of-experts law, the mixture a blueprint of N active parameters lays out: the law's expansion
    and the granularity its plan of that size takes."""
    law = request.law
    return (law.expansion, int(law.granularity_for(n_params))) if isinstance(law, MoELaw) else None


def assessed(plan: Plan) -> Gap:
    """The run a config stands for: its intended run when it names one, else the planned allocation itself."""
    if plan.run is not None:
        return plan.run
    return _gap(plan.n_params, plan.n_tokens, plan.request)


def _gap(n_params: float, n_tokens: float, request: PlanRequest, where: str = "") -> Gap:
    """A run's distance from the law's own optimum at its compute (gap.py, imported only for a plan that has a run
    to place: most do not)."""
    from .gap import gap_to_optimal

    return gap_to_optimal(n_params, n_tokens, request.law, request.hardware, where)
