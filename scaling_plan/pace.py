"""--mfu predict: a plan made at the MFU of its own blueprint's predicted step (steptime.py). A budget of FLOPs or
a target fixes the model, so one plan more settles it; a budget of days, GPU-hours or dollars sizes the model by
the MFU, and the model's layout sets the MFU, so the plan is made again at each new pace until it settles, or, where
a larger model takes a slower layout and no pace settles, the largest run that keeps to its own predicted step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .blueprint import predicted_pace
from .plans import HARD_BUDGET_KINDS, Plan, PlanRequest

#: Plans made at most, each at the MFU of the last one's predicted step (--mfu predict): a budget of days or dollars
#: sizes the model by the MFU, and the model's layout sets the MFU; it settles in two or three.
PREDICTED_MFU_ROUNDS = 6
#: ... until the MFU moves by less than this, relatively; where it never settles, bisection steps for the largest
#: pace whose run keeps to its own predicted step (8 leave under 0.5% of the gap between two layouts' paces).
PREDICTED_MFU_RTOL, PACE_BISECTION_STEPS = 1e-4, 8


def at_predicted_pace(request: PlanRequest, make: Callable[[PlanRequest], Plan]) -> Plan:
    """The plan `make` makes for the request, at the MFU of its blueprint's predicted step; where the MFU is
    predicted by default and no step is predicted, the plan at the MFU assumed."""
    hardware = request.hardware
    assert hardware is not None and hardware.mfu_predicted
    # A budget of time or money is filled a hair under the predicted pace, so that its run keeps to it.
    margin = 1.0 - PREDICTED_MFU_RTOL if request.given in HARD_BUDGET_KINDS else 1.0
    plans = [make(request)]
    if hardware.mfu_by_default and (plans[0].blueprint is None or plans[0].blueprint.mfu_predicted_full_count is None):
        return make(replace(request, hardware=hardware.assumed()))
    for _ in range(PREDICTED_MFU_ROUNDS):
        plan = plans[-1]
        mfu, used = _predicted_mfu(plan), _used_mfu(plan)
        if used <= mfu and mfu / used - 1 <= 2 * PREDICTED_MFU_RTOL:
            return plan
        plans.append(make(replace(request, hardware=replace(hardware, mfu=min(mfu * margin, 1.0)))))
    # No pace settles (a larger model takes a slower layout, a smaller one a faster): the largest run that keeps to
    # its own predicted step, by bisection between the paces tried, which plan_warnings says ends early.
    keeps = [_used_mfu(plan) <= _predicted_mfu(plan) for plan in plans]
    if not any(keeps):
        return plans[-1]
    best = max((plan for plan, kept in zip(plans, keeps, strict=True) if kept), key=_used_mfu)
    low = _used_mfu(best)
    high = min((_used_mfu(plan) for plan, kept in zip(plans, keeps, strict=True) if not kept), default=1.0)
    for _ in range(PACE_BISECTION_STEPS):
        middle = (low + high) / 2
        plan = make(replace(request, hardware=replace(hardware, mfu=middle)))
        if middle <= _predicted_mfu(plan):
            low, best = middle, plan
        else:
            high = middle
    return best


def _used_mfu(plan: Plan) -> float:
    return plan.request.hardware.mfu if plan.request.hardware else 0.0


def _predicted_mfu(plan: Plan) -> float:
    hardware = plan.request.hardware
    assert hardware is not None
    return predicted_pace(plan.blueprint, hardware.mfu_where, hardware.mfu_calibrated)
