"""Laws against the papers: closed forms, published constants and published values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.laws import KaplanLaw, ParametricLaw
from scaling_plan.presets import PRESETS

CHINCHILLA = PRESETS["chinchilla-2022"]
EPOCH = PRESETS["epoch-2024"]


def test_presets_carry_the_published_constants() -> None:
    # Hoffmann et al. 2022 eq. 10; Besiroglu et al. 2024.
    assert isinstance(CHINCHILLA, ParametricLaw) and isinstance(EPOCH, ParametricLaw)
    assert (CHINCHILLA.E, CHINCHILLA.A, CHINCHILLA.B, CHINCHILLA.alpha, CHINCHILLA.beta) == (
        1.69,
        406.4,
        410.7,
        0.34,
        0.28,
    )
    assert (EPOCH.E, EPOCH.A, EPOCH.B, EPOCH.alpha, EPOCH.beta) == (1.8172, 482.01, 2085.43, 0.3478, 0.3658)


def _numerical_optimum(law: ParametricLaw, compute_flops: float) -> float:
    """N minimising the loss along 6·N·D = C, by golden-section search on log N (independent of the closed form)."""
    low, high = math.log(1e3), math.log(compute_flops / 6 / 1e3)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        loss_a = law.loss(math.exp(a), compute_flops / 6 / math.exp(a))
        loss_b = law.loss(math.exp(b), compute_flops / 6 / math.exp(b))
        low, high = (low, b) if loss_a < loss_b else (a, high)
    return math.exp((low + high) / 2)


@pytest.mark.parametrize("name", ["chinchilla-2022", "epoch-2024"])
@pytest.mark.parametrize("compute_flops", [1e19, 1e22, 5.76e23, 1e26])
def test_closed_form_optimum_is_the_loss_minimum_at_fixed_compute(name: str, compute_flops: float) -> None:
    law = PRESETS[name]
    assert isinstance(law, ParametricLaw)
    n_params, n_tokens = law.optimum(compute_flops)
    assert 6 * n_params * n_tokens == pytest.approx(compute_flops, rel=1e-12)
    assert n_params == pytest.approx(_numerical_optimum(law, compute_flops), rel=1e-6)


def test_chinchilla_approach3_constants_do_not_give_20_tokens_per_param() -> None:
    # The trap in Hoffmann et al. 2022: eq. 10's own optimum at Chinchilla's budget sits near 100 tokens/param,
    # far from the ~20 of its Table 3 (Besiroglu et al. 2024 discuss the inconsistency).
    n_params, n_tokens = CHINCHILLA.optimum(5.76e23)
    assert 60 < n_tokens / n_params < 100


def test_epoch_refit_lands_near_20_tokens_per_param() -> None:
    # Besiroglu et al. 2024: their refit is consistent with Approaches 1 and 2 (~20 tokens/param).
    for compute_flops in (1e21, 5.76e23, 1e25):
        n_params, n_tokens = EPOCH.optimum(compute_flops)
        assert 17 < n_tokens / n_params < 22


def test_kaplan_allocation_matches_chinchilla_appendix_d4() -> None:
    # Hoffmann et al. 2022, appendix D.4: Kaplan's frontier gives 4.68B parameters at 1e21 FLOPs.
    n_params, n_tokens = KaplanLaw().optimum(1e21)
    assert n_params == pytest.approx(4.68e9, rel=5e-3)
    assert 6 * n_params * n_tokens == pytest.approx(1e21, rel=1e-12)


def test_kaplan_loss_is_its_published_form() -> None:
    # Kaplan et al. 2020 eq. 1.5: with D -> infinity, L(N) = (N_c/N)^alpha_N (eq. 1.1).
    law = KaplanLaw()
    assert law.loss(1e9, 1e300) == pytest.approx((6.4e13 / 1e9) ** 0.076, rel=1e-12)
    assert law.loss(1e300, 1e10) == pytest.approx((1.8e13 / 1e10) ** 0.103, rel=1e-12)


def test_a_law_with_a_non_positive_constant_is_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        ParametricLaw(name="bad", E=1.0, A=1.0, B=1.0, alpha=0.0, beta=0.3, source="test")


budgets = st.floats(min_value=1e15, max_value=1e30)


@given(budgets, budgets)
@pytest.mark.slow
def test_optimal_loss_falls_and_sizes_rise_with_compute(c1: float, c2: float) -> None:
    low, high = sorted((c1, c2))
    for law in PRESETS.values():
        n_low, d_low = law.optimum(low)
        n_high, d_high = law.optimum(high)
        assert n_low <= n_high * (1 + 1e-12) and d_low <= d_high * (1 + 1e-12)  # up to float rounding
        assert law.loss(n_high, d_high) <= law.loss(n_low, d_low) + 1e-12


def test_the_unrounded_chinchilla_constants_put_chinchilla_s_optimum_near_40b() -> None:
    """Hoffmann et al. 2022's Approach 3 at the precision of its LaTeX source: at Chinchilla's 5.76e23 FLOPs the
    optimum is about 40B parameters, where the rounded eq. 10 constants give about 32B (closed form, eq. 4)."""
    unrounded, _ = PRESETS["chinchilla-2022-unrounded"].optimum(5.76e23)
    rounded, _ = PRESETS["chinchilla-2022"].optimum(5.76e23)
    assert unrounded == pytest.approx(40e9, rel=0.02) and rounded == pytest.approx(32e9, rel=0.02)
    A, B, alpha, beta = 406.401018, 410.722827, 0.33917084, 0.2849083  # E does not move the optimum
    g = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    assert unrounded == pytest.approx(g * (5.76e23 / 6) ** (beta / (alpha + beta)), rel=1e-12)


# --- mixtures of experts: Krajewski et al. 2024 ------------------------------------------------------------------------

#: Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts", Table 2: the compute-optimal mixture
#: (E = 64) of each active size: (active parameters, tokens D, granularity G, FLOPs, loss).
KRAJEWSKI_TABLE_2 = [
    (100e6, 4.37e9, 8, 2.95e18, 3.133),
    (1e9, 28.94e9, 16, 1.93e20, 2.491),
    (3e9, 72.90e9, 16, 1.41e21, 2.245),
    (7e9, 137.60e9, 32, 6.46e21, 2.076),
    (70e9, 941.07e9, 32, 4.16e23, 1.694),
    (300e9, 2.96e12, 64, 5.69e24, 1.503),
    (1e12, 7.94e12, 64, 4.97e25, 1.367),
]


@pytest.mark.parametrize(("n_active", "n_tokens", "granularity", "compute", "loss"), KRAJEWSKI_TABLE_2)
def test_the_moe_law_gives_krajewskis_table_2_compute_optimal_mixtures(
    n_active: float, n_tokens: float, granularity: int, compute: float, loss: float
) -> None:
    """At each row's FLOPs: its granularity exactly, its active size and tokens within 1% (the table's sizes are
    nominal, 64 x 100M ...) and its loss within 0.003 (the table rounds to 3 decimals, from constants the code
    keeps to 4 or 5 digits)."""
    from scaling_plan.moe import MoELaw

    law = PRESETS["krajewski-2024-moe"]
    assert isinstance(law, MoELaw)
    n, d, g = law.optimum_with_granularity(compute)
    assert g == granularity
    assert (n, d) == pytest.approx((n_active, n_tokens), rel=0.01)
    assert law.loss(n, d) == pytest.approx(loss, abs=0.003)
    assert d * law.flops_per_token(n, g) == pytest.approx(compute, rel=1e-9)  # the budget spent under eq. 10


def test_the_moe_law_counts_every_expert_and_the_router_as_the_paper_does() -> None:
    """Sec. 3 and eq. 10: N = d²·(8E + 4)·n_blocks, 43 x N_act = 12·d²·n_blocks at E = 64; per token 6·N_act +
    14·d_model·E·G·n_blocks, with d_model = 64·n_blocks."""
    from scaling_plan.moe import MoELaw

    law = PRESETS["krajewski-2024-moe"]
    assert isinstance(law, MoELaw)
    d_model, n_blocks = 1024, 16  # 64 x 16
    n_active = 12 * d_model**2 * n_blocks
    assert law.total_params(n_active) == pytest.approx(d_model**2 * (8 * 64 + 4) * n_blocks)
    assert law.flops_per_token(n_active, 8) == pytest.approx(6 * n_active + 14 * d_model * 64 * 8 * n_blocks)


def test_the_dense_law_of_the_same_paper_carries_its_table_1() -> None:
    dense = PRESETS["krajewski-2024-dense"]
    assert isinstance(dense, ParametricLaw)
    assert (dense.E, dense.A, dense.alpha, dense.B, dense.beta) == (0.47, 16.3, 0.126, 26.7, 0.127)


def test_a_fixed_granularity_is_kept_and_a_larger_one_never_raises_the_loss_at_the_same_size() -> None:
    from dataclasses import replace

    from scaling_plan.moe import MoELaw

    law = PRESETS["krajewski-2024-moe"]
    assert isinstance(law, MoELaw)
    fixed = replace(law, granularity=4)
    assert fixed.optimum_with_granularity(1e21)[2] == 4 and fixed.granularity_for(1e9) == 4
    assert law.loss_at(1e9, 3e10, 16) < law.loss_at(1e9, 3e10, 4)
