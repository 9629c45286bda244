"""An intended run against the compute-optimal run at the same compute (the config's run: section)."""

import pytest

from scaling_plan.allocate import LawOptimum
from scaling_plan.gap import gap_to_optimal
from scaling_plan.laws import ParametricLaw
from scaling_plan.presets import PRESETS

CHINCHILLA = PRESETS["chinchilla-2022"]
assert isinstance(CHINCHILLA, ParametricLaw)


def closed_form_loss(law: ParametricLaw, n: float, d: float) -> float:
    return law.E + law.A / n**law.alpha + law.B / d**law.beta


def test_gap_is_the_loss_above_the_closed_form_optimum_at_the_same_compute() -> None:
    # Gopher: 280B parameters on 300B tokens (Rae et al. 2021; Hoffmann et al. 2022, Table 1).
    gap = gap_to_optimal(280e9, 300e9, CHINCHILLA)
    compute = 6 * 280e9 * 300e9
    exponent_sum = CHINCHILLA.alpha + CHINCHILLA.beta
    g = (CHINCHILLA.alpha * CHINCHILLA.A / (CHINCHILLA.beta * CHINCHILLA.B)) ** (1 / exponent_sum)
    n_opt = g * (compute / 6) ** (CHINCHILLA.beta / exponent_sum)
    d_opt = (compute / 6) ** (CHINCHILLA.alpha / exponent_sum) / g
    expected = closed_form_loss(CHINCHILLA, 280e9, 300e9) - closed_form_loss(CHINCHILLA, n_opt, d_opt)
    assert gap.loss_gap_nats == pytest.approx(expected, rel=1e-9)
    assert gap.loss_gap_pct == pytest.approx(100 * expected / closed_form_loss(CHINCHILLA, n_opt, d_opt), rel=1e-9)
    assert gap.tokens_per_param == pytest.approx(300 / 280)


def test_chinchilla_beats_gopher_under_hoffmanns_own_law() -> None:
    # Hoffmann et al. 2022's headline: at (about) Gopher's compute, 70B on 1.4T tokens has lower loss than 280B on 300B.
    gopher, chinchilla = gap_to_optimal(280e9, 300e9, CHINCHILLA), gap_to_optimal(70e9, 1.4e12, CHINCHILLA)
    assert chinchilla.loss_nats < gopher.loss_nats
    assert gopher.loss_gap_nats > chinchilla.loss_gap_nats > 0
    assert gopher.compute_overhead_pct > 50


def test_overhead_is_measured_against_the_frontier_run_that_reaches_the_same_loss() -> None:
    gap = gap_to_optimal(280e9, 300e9, CHINCHILLA)
    n, d = LawOptimum(CHINCHILLA).allocate(gap.same_loss_compute_flops)
    assert CHINCHILLA.loss(n, d) == pytest.approx(gap.loss_nats, rel=1e-12)
    assert gap.compute_overhead_pct == pytest.approx(100 * (gap.compute_flops / gap.same_loss_compute_flops - 1))


@pytest.mark.parametrize("law", ["epoch-2024", "chinchilla-2022"])
@pytest.mark.parametrize("compute", [1e19, 1e23, 1e26])
def test_a_run_on_the_frontier_has_no_gap(law: str, compute: float) -> None:
    n, d = PRESETS[law].optimum(compute)
    gap = gap_to_optimal(n, d, PRESETS[law])
    assert gap.loss_gap_nats == pytest.approx(0, abs=1e-12)
    assert gap.compute_overhead_pct == pytest.approx(0, abs=1e-6)
