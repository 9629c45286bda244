"""What a plan warns of: a budget outside its law's fitted range, a rule the law disagrees with, data repeated for
too many epochs, an intended run over its budget, an inference-aware model that needs more than the budget buys.

Pure domain, as plans.py: the lines are returned, each door says them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .allocate import TokensPerParamRule
from .data_constrained import epoch_warnings
from .errors import named
from .plans import RULE_LAW_DISAGREEMENT_FACTOR, RUN_OVER_BUDGET_FACTOR, Plan, PlanRequest, finite_positive
from .units import format_scientific

if TYPE_CHECKING:
    from .blueprint import Blueprint
    from .gap import Gap
    from .inference import InferencePlan


def warnings_at(request: PlanRequest, compute_flops: Sequence[float], n_outside: int) -> list[str]:
    """Warnings for plans at the given compute values (one for a plan, the extremes of a sweep)."""
    law, warnings = request.law, []
    low, high = law.compute_range_flops
    if n_outside:
        where = (
            f"{format_scientific(compute_flops[0])} FLOPs lies"
            if len(compute_flops) == 1
            else f"{n_outside} of the budgets ({format_scientific(min(compute_flops))}-"
            f"{format_scientific(max(compute_flops))} FLOPs) lie"
        )
        warnings.append(
            f"{where} outside {format_scientific(low)}-{format_scientific(high)} FLOPs, the range {law.name!r} was"
            " fitted on: this plan is an"
            " extrapolation"
        )
    if isinstance(request.allocator, TokensPerParamRule):
        rule_ratio = request.allocator.tokens_per_param
        optima = (law.optimum(c) for c in set(compute_flops))
        law_ratios = sorted(d / n for n, d in optima if finite_positive(n, d))  # none: a law object past floats
        factor = max(law_ratios[-1] / rule_ratio, rule_ratio / law_ratios[0]) if law_ratios else 1.0
        if factor > RULE_LAW_DISAGREEMENT_FACTOR:
            at = f"{law_ratios[0]:.3g}" + (f"-{law_ratios[-1]:.3g}" if len(law_ratios) > 1 else "")
            warnings.append(
                f"the rule's {rule_ratio:g} tokens/param differs by more than {RULE_LAW_DISAGREEMENT_FACTOR:g}x from"
                f" {law.name}'s own optimum ({at} tokens/param at this compute); the loss is"
                f" {law.name}'s prediction for the rule's allocation (use {named('method')} law for the law's own)"
            )
    if law.n_params_kind != "total":
        warnings.append(
            f"{law.name} counts {law.n_params_kind} parameters and predicts loss on"
            f" {law.dataset}: compare its numbers with other laws' with care"
        )
    return warnings


def prediction_warnings(request: PlanRequest, gap: Gap) -> list[str]:
    """Warnings for one run measured on its own (`predict`)."""
    low, high = request.law.compute_range_flops
    warnings = warnings_at(request, [gap.compute_flops], int(not low <= gap.compute_flops <= high))
    if gap.data is not None:
        warnings += epoch_warnings(gap.data.epochs, gap.data.unique_tokens)
    return warnings


def warnings_for(plan: Plan) -> list[str]:
    """What the user must know about a plan that the numbers alone don't say."""
    warnings = warnings_at(plan.request, [plan.compute_flops], int(plan.extrapolated))
    if plan.data is not None:
        warnings += epoch_warnings(plan.data.epochs, plan.data.unique_tokens)
    if plan.blueprint is not None:
        from .blueprint import blueprint_warnings

        warnings += blueprint_warnings(plan.blueprint)
    if plan.run is not None and plan.run.data is not None and plan.request.run is not None:
        warnings += epoch_warnings(plan.run.data.epochs, plan.run.data.unique_tokens, plan.request.run.where)
    if plan.downstream:
        from .downstream import prediction_warnings

        for prediction in plan.downstream:
            warnings += prediction_warnings(prediction, plan.request.law.dataset)
    if plan.inference is not None:
        warnings += over_budget_warnings(plan.request, plan.inference)
    if plan.blueprint is not None:
        warnings += step_over_budget_warnings(plan.request, plan.blueprint)
        warnings += unsettled_pace_warnings(plan.request, plan.blueprint)
    run = plan.request.run
    if (
        run is not None
        and plan.request.given_where != run.where
        and run.compute_flops > plan.compute_flops * RUN_OVER_BUDGET_FACTOR
    ):
        warnings.append(
            f"{run.where}: the intended run needs {run.compute_flops:.3g} FLOPs (6·N·D),"
            f" {run.compute_flops / plan.compute_flops - 1:.0%} more than the budget's {plan.compute_flops:.3g}"
        )
    return warnings


def step_over_budget_warnings(request: PlanRequest, blueprint: Blueprint) -> list[str]:
    """The plan fills a budget of time or money at --mfu; at the measured step, or the predicted one, the same run
    may take more."""
    kinds = ("gpu_hours", "days", "dollars")
    if request.given not in kinds:
        return []
    from .units import format_budget, format_seconds

    measured, predicted = blueprint.step, blueprint.predicted
    if request.hardware is not None and request.hardware.mfu_calibrated:  # the plan is timed at the measured step
        predicted = None
    steps = (
        ("measured", measured and f"{measured.step_seconds:g} s", blueprint.measured_time_and_cost, None),
        ("predicted", predicted and f"{format_seconds(predicted.step_seconds)}, MFU {100 * predicted.mfu:.1f}%",
         blueprint.predicted_time_and_cost, blueprint.mfu_predicted_full_count),
    )  # fmt: skip
    assumed = request.hardware.mfu if request.hardware else None
    warnings = []
    for kind, step, time_and_cost, fills in steps:
        taken = time_and_cost[kinds.index(request.given)]
        if step is None or taken is None or taken <= request.given_value * (1 + 1e-9):
            continue
        warnings.append(
            f"at the {kind} step ({step}) the run takes {format_budget(request.given, taken)},"
            f" {taken / request.given_value - 1:.0%} more than the {format_budget(request.given, request.given_value)}"
            f" budget the plan fills at --mfu {assumed:g}: it exceeds the budget"
            + (f"; the predicted step amounts to --mfu {fills:.3f}" if fills else "")
        )
    return warnings


#: A plan at a predicted MFU whose own step predicts a pace this much faster than it was sized at is said to end early.
UNSETTLED_PACE = 0.01


def unsettled_pace_warnings(request: PlanRequest, blueprint: Blueprint) -> list[str]:
    """A predicted MFU under a budget of time or money finds no single pace when the larger model a faster pace buys
    takes a slower layout: the plan keeps the run that fits (plans.make_plan), whose predicted step ends early."""
    hardware, predicted = request.hardware, blueprint.mfu_predicted_full_count
    if hardware is None or not hardware.mfu_predicted or hardware.mfu_calibrated or predicted is None:
        return []
    if predicted <= hardware.mfu * (1 + UNSETTLED_PACE):
        return []
    return [
        f"the predicted MFU found no single pace: this run's step predicts --mfu {predicted:.3f}, but the larger model"
        f" that pace buys takes a slower layout; the plan keeps this run, sized at --mfu {hardware.mfu:.3f}, whose"
        f" predicted step uses {hardware.mfu / predicted:.0%} of the budget"
    ]


def over_budget_warnings(request: PlanRequest, inference: InferencePlan) -> list[str]:
    """The inference-aware model trains on more than the hard budget buys (it reaches the plan's loss with a smaller
    model, so it needs more training compute than the plan, which fills the budget): its own time and cost."""
    over = inference.over_budget_pct
    if over is None:
        return []
    from .units import format_budget, format_count

    chosen = inference.chosen
    gpu_hours, days, cost = inference.time_and_cost(chosen)
    takes = [format_budget(kind, value) for kind, value in (("gpu_hours", gpu_hours), ("days", days), ("dollars", cost))
             if value is not None]  # fmt: skip
    return [
        f"the inference-aware model ({format_count(chosen.n_params)} parameters on {format_count(chosen.n_tokens)}"
        f" tokens) needs {format_scientific(inference.chosen_training_flops)} training FLOPs, {over:.0f}% more than"
        f" the {format_budget(request.given, request.given_value)} budget buys"
        + (f": it takes {', '.join(takes)}" if takes else "")
        + "; it exceeds the budget"
    ]
