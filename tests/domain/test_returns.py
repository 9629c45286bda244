"""What more compute buys: the loss drop per 10x and the compute for the next 0.01 nats, against closed forms of the
allocations (Besiroglu et al. 2024's law, Table 1; the rule D = 20·N; the law's own optimum, DESIGN's frontier)."""

from __future__ import annotations

import math

import pytest

from scaling_plan.inputs.request import build_request
from scaling_plan.inputs.values import Sourced
from scaling_plan.plans import make_plan
from scaling_plan.presets import PRESETS

EPOCH = PRESETS["epoch-2024"]
E, A, B, ALPHA, BETA = EPOCH.E, EPOCH.A, EPOCH.B, EPOCH.alpha, EPOCH.beta  # type: ignore[attr-defined]


def _plan(**fields: str) -> object:
    values = {name: Sourced(value, name) for name, value in fields.items()}
    return make_plan(build_request(values)[0])


def rule_loss(compute: float, r: float = 20.0) -> float:
    """Along D = r·N with C = 6·N·D: N = sqrt(C / 6r), D = r·N."""
    n = math.sqrt(compute / (6 * r))
    return E + A / n**ALPHA + B / (r * n) ** BETA


def optimum_loss(compute: float) -> float:
    """Along the law's own optimum: N = G·(C/6)^(β/(α+β)), D = (C/6)^(α/(α+β)) / G, G = (αA/(βB))^(1/(α+β))."""
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    n = g * (compute / 6) ** (BETA / (ALPHA + BETA))
    d = (compute / 6) ** (ALPHA / (ALPHA + BETA)) / g
    return E + A / n**ALPHA + B / d**BETA


@pytest.mark.parametrize("compute", [1e20, 1e22, 1e24, 1e26])
def test_the_rules_returns_follow_its_closed_form(compute: float) -> None:
    plan = _plan(flops=str(compute), law="epoch-2024")
    returns = plan.returns  # type: ignore[attr-defined]
    assert returns.loss_drop_per_10x_nats == pytest.approx(rule_loss(compute) - rule_loss(10 * compute), rel=1e-9)
    extra = returns.flops_for_next_step
    assert rule_loss(compute + extra) == pytest.approx(rule_loss(compute) - 0.01, abs=1e-9)


@pytest.mark.parametrize("compute", [1e21, 1e24])
def test_along_the_laws_optimum_the_next_step_is_a_power_of_the_loss_above_e(compute: float) -> None:
    """On the frontier L*(C) = E + K·(C/6)^(-αβ/(α+β)): C' = 6·((L* - 0.01 - E)/K)^(-(α+β)/(αβ))."""
    plan = _plan(flops=str(compute), law="epoch-2024", method="law")
    returns = plan.returns  # type: ignore[attr-defined]
    exponent = ALPHA * BETA / (ALPHA + BETA)
    k = (optimum_loss(compute) - E) * (compute / 6) ** exponent
    target = optimum_loss(compute) - 0.01
    assert returns.flops_for_next_step == pytest.approx(6 * ((target - E) / k) ** (-1 / exponent) - compute, rel=1e-6)
    assert returns.loss_drop_per_10x_nats == pytest.approx((optimum_loss(compute) - E) * (1 - 10**-exponent), rel=1e-9)


def test_near_the_floor_no_compute_buys_the_next_step() -> None:
    plan = _plan(flops="1e40", law="epoch-2024")
    assert plan.returns.flops_for_next_step is None  # type: ignore[attr-defined]
    assert 0 < plan.returns.loss_drop_per_10x_nats < 0.01  # type: ignore[attr-defined]
