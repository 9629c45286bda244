"""Allocators: the 20x rule against Chinchilla's Table 3, the law optimum, and the inverse solver."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.allocate import (
    LawOptimum,
    TokensPerParamRule,
    compute_for_loss,
    compute_for_params,
    compute_for_tokens,
)
from scaling_plan.laws import ParametricLaw
from scaling_plan.moe import MoELaw
from scaling_plan.presets import PRESETS

RULE = TokensPerParamRule()

# Hoffmann et al. 2022, Table 3 (Approach 1 projections): parameters, FLOPs, tokens.
TABLE_3 = [
    (400e6, 1.92e19, 8.0e9),
    (1e9, 1.21e20, 20.2e9),
    (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12),
    (175e9, 3.85e24, 3.7e12),
    (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12),
    (1e12, 1.27e26, 21.2e12),
    (10e12, 1.30e28, 216.2e12),
]


@pytest.mark.parametrize(("n_params", "compute_flops", "n_tokens"), TABLE_3)
def test_rule_reproduces_chinchilla_table_3_from_its_flops(
    n_params: float, compute_flops: float, n_tokens: float
) -> None:
    # The table is rounded and its rows have D/N between 20 and 22.4 (6·N·D matches its FLOPs column only to ~5%),
    # so the 20x rule meets it within 5% on N and 8% on D.
    rule_n, rule_d = RULE.allocate(compute_flops)
    assert rule_n == pytest.approx(n_params, rel=0.05)
    assert rule_d == pytest.approx(n_tokens, rel=0.08)


def test_rule_reproduces_table_3_rows_named_in_the_spec_from_their_parameters() -> None:
    # 1B params <-> 1.21e20 FLOPs and 20.2B tokens: the rule gives 1.20e20 and 20.0B (within 1%).
    compute = compute_for_params(RULE, 1e9)
    assert compute == pytest.approx(1.21e20, rel=0.01)
    assert RULE.allocate(compute)[1] == pytest.approx(20.2e9, rel=0.01)
    # 67B <-> 5.76e23 FLOPs and 1.5T tokens: the table's row has D/N = 22.4, so the 20x rule is 6.5% and 10.7% low.
    compute = compute_for_params(RULE, 67e9)
    assert compute == pytest.approx(5.76e23, rel=0.07)
    assert RULE.allocate(compute)[1] == pytest.approx(1.5e12, rel=0.11)


def test_rule_is_the_exact_formula() -> None:
    n_params, n_tokens = RULE.allocate(1e24)
    assert n_params == pytest.approx(math.sqrt(1e24 / 120), rel=1e-12)
    assert n_tokens == pytest.approx(20 * math.sqrt(1e24 / 120), rel=1e-12)
    assert TokensPerParamRule(100).allocate(6e4) == pytest.approx((10.0, 1000.0), rel=1e-12)


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.slow
def test_inverse_questions_match_closed_forms(name: str) -> None:
    """Each inverse question gives back the budget its answer came from: to 1e-9 where the optimum is a closed
    form; to 1e-6 for the mixture-of-experts law, whose optimum is searched on a flat minimum, where the loss tells
    sizes apart only to about the square root of float precision."""
    law = PRESETS[name]
    allocator = LawOptimum(law)
    rel = 1e-6 if isinstance(law, MoELaw) else 1e-9
    for compute_flops in (3e19, 5.76e23, 2e27):
        n_params, n_tokens = allocator.allocate(compute_flops)
        assert compute_for_params(allocator, n_params) == pytest.approx(compute_flops, rel=rel)
        assert compute_for_tokens(allocator, n_tokens) == pytest.approx(compute_flops, rel=rel)
        target = law.loss(n_params, n_tokens)
        assert compute_for_loss(allocator, law, target) == pytest.approx(compute_flops, rel=1e-6)


def test_least_compute_for_a_loss_has_the_closed_form_along_the_parametric_frontier() -> None:
    # Along the frontier both terms scale as (C/6)^(-αβ/(α+β)), so L*(C) = E + K·(C/6)^(-αβ/(α+β)).
    law = PRESETS["chinchilla-2022"]
    assert isinstance(law, ParametricLaw)
    g, a, b = law.frontier_coefficient, law.alpha, law.beta
    k = law.A * g ** (-a) + law.B * g**b
    expected = 6 * (k / (2.0 - law.E)) ** ((a + b) / (a * b))
    assert compute_for_loss(LawOptimum(law), law, 2.0) == pytest.approx(expected, rel=1e-9)


def test_rule_inverse_for_params_is_120_n_squared() -> None:
    assert compute_for_params(RULE, 70e9) == pytest.approx(120 * 70e9**2, rel=1e-12)
    assert compute_for_tokens(RULE, 1.4e12) == pytest.approx(6 * 70e9 * 1.4e12, rel=1e-12)


def test_unreachable_targets_return_none() -> None:
    law = PRESETS["epoch-2024"]
    assert compute_for_loss(RULE, law, law.irreducible_loss) is None
    assert compute_for_params(RULE, 1e40) is None


compute = st.floats(min_value=1e15, max_value=1e30)
ratios = st.floats(min_value=0.1, max_value=1000)


@given(compute, ratios)
def test_rule_spends_exactly_the_budget(compute_flops: float, tokens_per_param: float) -> None:
    n_params, n_tokens = TokensPerParamRule(tokens_per_param).allocate(compute_flops)
    assert 6 * n_params * n_tokens == pytest.approx(compute_flops, rel=1e-9)
    assert n_tokens / n_params == pytest.approx(tokens_per_param, rel=1e-12)


@given(compute, compute)
@pytest.mark.slow
def test_every_allocator_grows_n_and_d_with_compute_and_its_loss_falls(c1: float, c2: float) -> None:
    low, high = sorted((c1, c2))
    for law in PRESETS.values():
        for allocator in (RULE, LawOptimum(law)):
            n_low, d_low = allocator.allocate(low)
            n_high, d_high = allocator.allocate(high)
            moe = isinstance(law, MoELaw) and allocator is not RULE
            if moe:  # its optimum spends the budget under eq. 10, router included
                assert isinstance(law, MoELaw)
                granularity = law.optimum_with_granularity(high)[2]
                assert d_high * law.flops_per_token(n_high, granularity) == pytest.approx(high, rel=1e-9)
            else:
                assert 6 * n_high * d_high == pytest.approx(high, rel=1e-9)
            # Monotone up to float rounding: D = C/(6N) can round down by an ulp between adjacent budgets. A
            # mixture's D drops where its granularity doubles (the router's FLOPs take a share of the budget).
            assert n_low <= n_high * (1 + 1e-12) and (moe or d_low <= d_high * (1 + 1e-12))
            assert law.loss(n_high, d_high) <= law.loss(n_low, d_low) + 1e-12


def test_allocators_are_vectorised_over_numpy_arrays() -> None:
    import numpy as np

    budgets = np.logspace(18, 26, 9)
    for allocator in (RULE, *(LawOptimum(law) for law in PRESETS.values())):
        n_params, n_tokens = allocator.allocate(budgets)
        for i, c in enumerate(budgets):
            assert (n_params[i], n_tokens[i]) == pytest.approx(allocator.allocate(float(c)), rel=1e-12)


def test_the_rule_under_a_mixture_spends_the_budget_as_its_law_counts_flops() -> None:
    """Under krajewski-2024-moe, compute is eq. 10's (the router's FLOPs too): D = 20·N_act spends at most C by that
    count, to 1e-9 of it away from where the granularity doubles, and loses to the law's own optimum."""
    law = PRESETS["krajewski-2024-moe"]
    assert isinstance(law, MoELaw)
    rule = TokensPerParamRule(20.0, mixture=law)
    budgets = np.logspace(19, 26, 29)
    n_params, n_tokens = rule.allocate(budgets)
    spent = law.compute_flops(n_params, n_tokens) / budgets
    assert np.all(spent <= 1 + 1e-12) and np.median(spent) > 1 - 1e-9
    assert np.all(n_tokens == 20.0 * n_params)
    assert np.all(n_params < TokensPerParamRule(20.0).allocate(budgets)[0])  # 6·N·D would spend more than C
    optimum = np.array([law.loss_at(*law.optimum_with_granularity(c)) for c in budgets])
    assert np.all(law.loss(n_params, n_tokens) >= optimum - 1e-12)
