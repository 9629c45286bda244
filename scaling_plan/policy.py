"""Policy rules `scaling-plan check` enforces on a config's run: each a limit on one measured quantity.

The run measured is the config's intended run when it names one, else its planned allocation (plan.assessed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from .errors import UsageError

if TYPE_CHECKING:
    from .plans import Plan


# NamedTuples rather than dataclasses: config imports this module on every run, and they are quicker to define.
class Rule(NamedTuple):
    name: str  # the policy field and, as --max-loss-gap etc., the flag
    quantity: str  # the measured quantity, a field of plan.Gap and of the output records
    is_max: bool  # a maximum (measured <= limit passes) or a minimum (measured >= limit passes)
    unit: str
    needs: str  # what a config must give for the quantity to be known


#: What the serving rule needs: the plan's model served, with a price.
SERVED = "the plan's model served (a serve: section) with hardware.gpu and hardware.price_per_gpu_hour"
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("max_loss_gap", "loss_gap_nats", True, "nats/token", ""),
        Rule("max_compute_overhead", "compute_overhead_pct", True, "%", ""),
        Rule("min_tokens_per_param", "tokens_per_param", False, "tokens/param", ""),
        Rule("max_tokens_per_param", "tokens_per_param", True, "tokens/param", ""),
        Rule("max_cost_usd", "cost_usd", True, "USD", "hardware.gpu and hardware.price_per_gpu_hour"),
        Rule("max_wall_clock_days", "wall_clock_days", True, "days", "hardware.gpu and hardware.gpus"),
        Rule("max_epochs", "epochs", True, "epochs", "a unique-token cap (data: unique_tokens: in the config)"),
        Rule("max_usd_per_million_tokens", "usd_per_million_output_tokens", True, "USD", SERVED),
    )
}
#: Quantities of the plan's model as served (plan.serving), not of the run.
SERVING_QUANTITIES = frozenset({"usd_per_million_output_tokens"})


class Limit(NamedTuple):
    rule: Rule
    value: float
    where: str  # the flag or config field it came from


class Verdict(NamedTuple):
    limit: Limit
    measured: float

    @property
    def passed(self) -> bool:
        rule, limit = self.limit.rule, self.limit.value
        return self.measured <= limit if rule.is_max else self.measured >= limit


def check_plan(plan: Plan, limits: Sequence[Limit]) -> list[Verdict]:
    """One verdict per limit, in the order given. A limit whose quantity the config cannot give is bad input."""
    from .plans import assessed

    run = assessed(plan)
    verdicts = []
    for limit in limits:
        source = plan.serving if limit.rule.quantity in SERVING_QUANTITIES else run
        measured = None if source is None else getattr(source, limit.rule.quantity)
        if measured is None:
            raise UsageError(
                limit.where, f"{limit.rule.name} needs {limit.rule.needs} to measure {limit.rule.quantity}"
            )
        verdicts.append(Verdict(limit, measured))
    return verdicts
