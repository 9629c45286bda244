"""A plan: one 'given' (a budget or an inverse target) -> compute, N, D, predicted loss, and what the run takes.

Pure domain: no printing, no files. Inputs arrive validated (config.build_request); problems found here, such as
a loss target no compute reaches, raise UsageError naming the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .allocate import (
    Allocator,
    LawOptimum,
    TokensPerParamRule,
    compute_for_loss,
    compute_for_params,
    compute_for_tokens,
)
from .budget import Hardware
from .errors import UsageError
from .laws import PRESETS, Law

#: Budget kinds turn into FLOPs through hardware; targets are inverse questions answered through the allocator.
BUDGET_KINDS = ("flops", "dollars", "gpu_hours", "days")
TARGET_KINDS = ("params", "tokens", "loss")
GIVEN_KINDS = BUDGET_KINDS + TARGET_KINDS

#: When the rule's tokens/param and the law's own optimum differ by more than this factor, the user is warned.
RULE_LAW_DISAGREEMENT_FACTOR = 2.0


@dataclass(frozen=True)
class PlanRequest:
    given: str  # one of GIVEN_KINDS
    given_value: float
    given_where: str  # the flag or config field it came from, for messages
    allocator: Allocator
    law: Law
    hardware: Hardware | None = None


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

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    @property
    def extrapolated(self) -> bool:
        low, high = self.request.law.compute_range_flops
        return not low <= self.compute_flops <= high


def _compute_for_given(request: PlanRequest) -> float:
    kind, value, hardware = request.given, request.given_value, request.hardware
    if kind == "flops":
        return value
    if kind in ("dollars", "gpu_hours", "days"):
        assert hardware is not None  # build_request guarantees hardware (and price or GPU count) for these kinds
        if kind == "dollars":
            assert hardware.price_usd_per_gpu_hour is not None
            gpu_hours = value / hardware.price_usd_per_gpu_hour
        elif kind == "days":
            assert hardware.n_gpus is not None
            gpu_hours = value * 24.0 * hardware.n_gpus
        else:
            gpu_hours = value
        return hardware.compute_flops(gpu_hours)
    if kind == "loss":
        floor = request.law.irreducible_loss
        if value <= floor:
            raise UsageError(
                request.given_where,
                f"loss {value:g} is at or below {request.law.name}'s irreducible loss E = {floor:g}; no compute reaches it",
            )
        compute = compute_for_loss(request.allocator, request.law, value)
    elif kind == "params":
        compute = compute_for_params(request.allocator, value)
    else:
        compute = compute_for_tokens(request.allocator, value)
    if compute is None:
        raise UsageError(request.given_where, f"no training compute up to 1e60 FLOPs gives {kind} = {value:g}")
    return compute


def make_plan(request: PlanRequest) -> Plan:
    """Allocate the given budget (or answer the inverse question) and predict the loss with the request's law."""
    compute_flops = _compute_for_given(request)
    n_params, n_tokens = request.allocator.allocate(compute_flops)
    loss_nats = request.law.loss(n_params, n_tokens)
    gpu_hours = wall_clock_days = cost_usd = None
    if request.hardware is not None:
        gpu_hours = request.hardware.gpu_hours(compute_flops)
        wall_clock_days = request.hardware.wall_clock_days(gpu_hours)
        cost_usd = request.hardware.cost_usd(gpu_hours)
    numbers = (compute_flops, n_params, n_tokens, loss_nats, gpu_hours, wall_clock_days, cost_usd)
    if not all(x is None or (math.isfinite(x) and x > 0) for x in numbers):
        raise UsageError(
            request.given_where, f"{request.given} = {request.given_value:g} is beyond what floating point can plan"
        )
    if n_params < 1 or n_tokens < 1:
        raise UsageError(
            request.given_where,
            f"{request.given} = {request.given_value:g} is too small: it leaves fewer than one parameter or token",
        )
    return Plan(request, compute_flops, n_params, n_tokens, loss_nats, gpu_hours, wall_clock_days, cost_usd)


def compare_laws(request: PlanRequest, extra_law: Law | None = None) -> tuple[list[Plan], list[str]]:
    """The same given answered by the rule and by each preset's own optimum (and a user law's, if any).

    The rule row predicts loss with the request's law; each optimum row with its own law. Rows whose question has no
    answer under that law (a loss at or below its E) are left out, with a note saying why.
    """
    rule = request.allocator if isinstance(request.allocator, TokensPerParamRule) else TokensPerParamRule()
    candidates: list[PlanRequest] = [replace(request, allocator=rule)]
    laws = list(PRESETS.values()) + ([extra_law] if extra_law is not None else [])
    candidates += [replace(request, allocator=LawOptimum(law), law=law) for law in laws]
    plans, notes = [], []
    for candidate in candidates:
        try:
            plans.append(make_plan(candidate))
        except UsageError as error:
            notes.append(f"{candidate.allocator.method} / {candidate.law.name} left out: {error.message}")
    return plans, notes


def warnings_for(plan: Plan) -> list[str]:
    """What the user must know about a plan that the numbers alone don't say."""
    request, warnings = plan.request, []
    if plan.extrapolated:
        low, high = request.law.compute_range_flops
        warnings.append(
            f"{plan.compute_flops:.3g} FLOPs lies outside {low:.0e}-{high:.0e}, where {request.law.name} was fitted:"
            " this plan is an extrapolation"
        )
    if isinstance(request.allocator, TokensPerParamRule):
        law_n, law_d = request.law.optimum(plan.compute_flops)
        law_ratio = law_d / law_n
        rule_ratio = request.allocator.tokens_per_param
        if max(law_ratio / rule_ratio, rule_ratio / law_ratio) > RULE_LAW_DISAGREEMENT_FACTOR:
            warnings.append(
                f"the rule's {rule_ratio:g} tokens/param differs by more than {RULE_LAW_DISAGREEMENT_FACTOR:g}x from"
                f" {request.law.name}'s own optimum ({law_ratio:.3g} tokens/param at this compute); the loss is"
                f" {request.law.name}'s prediction for the rule's allocation (use --method law for the law's own)"
            )
    if request.law.n_params_kind != "total":
        warnings.append(
            f"{request.law.name} counts {request.law.n_params_kind} parameters and predicts loss on"
            f" {request.law.dataset}: compare its numbers with other laws' with care"
        )
    return warnings
