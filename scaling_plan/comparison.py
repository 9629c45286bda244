"""--compare-laws: the same given answered by the tokens-per-param rule, by each law's own optimum and along each
published frontier, one plan each (plans.make_plan), with a note for every law or frontier left out and why."""

from __future__ import annotations

from dataclasses import replace

from .allocate import FRONTIERS, LawOptimum, TokensPerParamRule
from .data_constrained import DataConstrainedLaw, unconstrained, with_unique_tokens
from .errors import UsageError
from .laws import Law
from .moe import MoELaw
from .plans import Plan, PlanRequest, make_plan
from .presets import PRESETS


def laws_to_compare(request: PlanRequest) -> list[Law]:
    """Every preset, and the request's own law when it is a user's law file; under a unique-token cap, each law
    that can carry the cap, with it."""
    law = request.law
    own = unconstrained(law)
    laws = [*PRESETS.values(), *([] if own in PRESETS.values() else [own])]
    if not isinstance(law, DataConstrainedLaw):
        return laws
    capped = [with_unique_tokens(other, law.unique_tokens) for other in laws]
    return [other for other in capped if other is not None]


def compare_laws(request: PlanRequest) -> tuple[list[Plan], list[str]]:
    """The same given answered by the rule and by each law's own optimum (see laws_to_compare).

    The rule row predicts loss with the request's law; each optimum row with its own law. Rows whose question has no
    answer under that law (a loss at or below its E) are left out, with a note saying why; so is, for a loss target,
    every law whose loss is on other data: the same number of nats there is a different target.
    """
    rule = request.allocator if isinstance(request.allocator, TokensPerParamRule) else TokensPerParamRule()
    rule = replace(rule, mixture=request.law if isinstance(request.law, MoELaw) else None)
    candidates: list[PlanRequest] = [replace(request, allocator=rule, run=None)]
    plans: list[Plan] = []
    notes: list[str] = []
    for law in laws_to_compare(request):
        if isinstance(law, MoELaw) and (request.serve or request.inference):
            notes.append(f"{law.name} left out: serving and inference-aware plans do not take a mixture of experts")
            continue
        if request.given == "loss" and law.dataset != request.law.dataset:
            notes.append(
                f"{law.name} left out: its loss is on {law.dataset}, not {request.law.dataset}, so loss"
                f" {request.given_value:g} there is a different target"
            )
            continue
        candidates.append(replace(request, allocator=LawOptimum(law), law=law, run=None))
    # Published frontiers allocate; the plan's own law predicts the loss of what they choose. A loss target along
    # DeepSeek's would convert M to parameters by a shape search at every step of the search: left out, and said.
    for frontier in FRONTIERS.values():
        if request.given == "loss" and frontier.k_m is not None:
            notes.append(f"{frontier.method} left out: a loss target along its frontier is not supported")
            continue
        if isinstance(request.law, MoELaw):  # its N and D at C = 6·N·D would spend more than C by eq. 10
            notes.append(
                f"{frontier.method} left out: its frontier allocates C = 6·N·D, which under {request.law.name}'s eq."
                " 10 FLOPs (the router's too) spends more than the budget"
            )
            continue
        candidates.append(replace(request, allocator=frontier, run=None))
    if isinstance(request.law, DataConstrainedLaw):
        kept = {law.name for law in laws_to_compare(request)}
        notes += [
            f"{name} left out: a unique-token cap needs a law of the form E + A/N^α + B/D^β"
            for name in PRESETS
            if name not in kept
        ]
    for candidate in candidates:
        try:
            plans.append(make_plan(candidate))
        except UsageError as error:
            notes.append(f"{candidate.allocator.method} / {candidate.law.name} left out: {error.message}")
    return plans, notes
