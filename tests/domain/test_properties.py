"""Properties across the domain: the identities every law and allocator keeps, inverse questions that round-trip
(budget -> N -> budget), and unit parsing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.allocate import LawOptimum, TokensPerParamRule, compute_for_loss, compute_for_params
from scaling_plan.budget import GPUS, Hardware
from scaling_plan.laws import ParametricLaw
from scaling_plan.moe import MoELaw
from scaling_plan.presets import PRESETS
from scaling_plan.units import parse_quantity

from ..strength import examples

#: The laws of the form E + A/N^α + B/D^β under C = 6·N·D (a mixture of experts' law has its own terms and FLOPs).
PARAMETRIC = [law for law in PRESETS.values() if isinstance(law, ParametricLaw) and not isinstance(law, MoELaw)]
log_compute = st.floats(min_value=17, max_value=28)
log_params = st.floats(min_value=6, max_value=13)
log_tokens = st.floats(min_value=8, max_value=15)
few = examples(60)


@few
@given(log_n=log_params, log_d=log_tokens, law=st.sampled_from(PARAMETRIC))
def test_a_parametric_law_is_its_formula_and_falls_in_n_and_d(log_n: float, log_d: float, law: ParametricLaw) -> None:
    n, d = 10**log_n, 10**log_d
    assert law.loss(n, d) == pytest.approx(law.E + law.A / n**law.alpha + law.B / d**law.beta, rel=1e-12)
    assert law.loss(n * 1.01, d) < law.loss(n, d) and law.loss(n, d * 1.01) < law.loss(n, d)
    assert law.loss(n, d) > law.irreducible_loss


@few
@given(log_c=log_compute, law=st.sampled_from(PARAMETRIC))
def test_each_laws_optimum_spends_the_budget_and_beats_its_neighbours_on_the_isoflop(log_c: float, law: Any) -> None:
    """For E + A/N^α + B/D^β the optimum is the isoFLOP minimum. (Kaplan 2020's optimum is their fitted frontier,
    N ∝ C^0.73 from training curves, not the minimum of their L(N, D): the two fits disagree, by design.)"""
    compute = 10**log_c
    n, d = law.optimum(compute)
    assert 6 * n * d == pytest.approx(compute, rel=1e-9)
    best = law.loss(n, d)
    for factor in (0.9, 1.1):  # a model 10% smaller or larger, trained on the same compute
        assert law.loss(n * factor, compute / (6 * n * factor)) >= best - 1e-12


@few
@given(log_n=log_params, law=st.sampled_from(list(PRESETS.values())), excess=st.floats(0.01, 2.0))
def test_tokens_for_loss_inverts_the_loss(log_n: float, law: Any, excess: float) -> None:
    n = 10**log_n
    reachable = law.loss(n, 1e30)  # the least loss this size reaches with unlimited tokens
    target = reachable + excess
    d = law.tokens_for_loss(n, target)
    assert law.loss(n, d) == pytest.approx(target, rel=1e-9)


ALLOCATORS = [TokensPerParamRule(20.0), TokensPerParamRule(200.0)] + [LawOptimum(law) for law in PRESETS.values()]


@few
@given(log_n=st.floats(min_value=7, max_value=12), allocator=st.sampled_from(ALLOCATORS))
def test_params_to_compute_to_params_round_trips_for_every_allocator(log_n: float, allocator: Any) -> None:
    compute = compute_for_params(allocator, 10**log_n)
    assert compute is not None
    assert allocator.allocate(compute)[0] == pytest.approx(10**log_n, rel=1e-6)


@few
@given(log_c=st.floats(min_value=18, max_value=27), law=st.sampled_from(PARAMETRIC), ratio=st.floats(5, 200))
def test_loss_to_compute_to_loss_round_trips(log_c: float, law: ParametricLaw, ratio: float) -> None:
    allocator = TokensPerParamRule(ratio)
    target = law.loss(*allocator.allocate(10**log_c))
    compute = compute_for_loss(allocator, law, target)
    assert compute == pytest.approx(10**log_c, rel=1e-6)


@few
@given(hours=st.floats(min_value=1, max_value=1e9), gpu=st.sampled_from(list(GPUS)), mfu=st.floats(0.05, 1.0))
def test_gpu_hours_to_flops_to_gpu_hours_round_trips(hours: float, gpu: str, mfu: float) -> None:
    hardware = Hardware(GPUS[gpu], mfu=mfu)
    assert hardware.gpu_hours(hardware.compute_flops(hours)) == pytest.approx(hours, rel=1e-12)


SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


@examples(200)
@given(
    value=st.floats(min_value=1e-3, max_value=1e6),
    suffix=st.sampled_from(list(SUFFIX)),
    dollar=st.booleans(),
    space=st.sampled_from(["", " "]),
)
def test_parsing_reads_every_written_form(value: float, suffix: str, dollar: bool, space: str) -> None:
    text = f"{'$' if dollar else ''}{space}{value!r}{suffix}{space}"
    assert parse_quantity(text, money=True) == pytest.approx(value * SUFFIX[suffix], rel=1e-12)
    assert parse_quantity(text.lower(), money=True) == parse_quantity(text, money=True)
