"""An intended run against the compute-optimal run at the same compute (the config's run: section)."""

import pytest

from scaling_plan.allocate import LawOptimum
from scaling_plan.laws import PRESETS, ParametricLaw
from scaling_plan.plans import gap_to_optimal

from ..conftest import CONFIGS, Cli

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


def test_budget_reports_the_run_beside_the_plan(cli: Cli) -> None:
    plan = cli.json("budget", "-c", str(CONFIGS / "gopher-280b.yaml"))
    assert (plan["run_n_params"], plan["run_n_tokens"]) == (280e9, 300e9)
    assert plan["run_compute_flops"] == pytest.approx(6 * 280e9 * 300e9)
    assert plan["run_tokens_per_param"] == pytest.approx(300 / 280)
    assert plan["run_loss_gap_nats"] > 0 and plan["run_compute_overhead_pct"] > 50
    assert plan["run_cost_usd"] == pytest.approx(plan["run_gpu_hours"] * 2.5)
    assert plan["compute_flops"] == 5.76e23  # the plan itself is still the budget's optimum
    table = cli.run("budget", "-c", str(CONFIGS / "gopher-280b.yaml"))
    assert "Intended run against compute-optimal at the same compute" in table.stdout
    assert "Compute overhead (%)" in table.stdout


def test_a_run_without_a_budget_is_planned_at_its_own_compute(cli: Cli) -> None:
    plan = cli.json("budget", "-c", "-", input="run:\n  n_params: 7B\n  n_tokens: 2T\n")
    assert plan["compute_flops"] == pytest.approx(6 * 7e9 * 2e12)
    assert plan["run_n_params"] == 7e9


def test_a_run_over_its_budget_is_warned_about(cli: Cli) -> None:
    text = "budget:\n  flops: 1e22\nrun:\n  n_params: 7B\n  n_tokens: 2T\n"
    result = cli.run("budget", "-c", "-", "--format", "json", input=text)
    assert result.exit_code == 0
    assert "<stdin>:3: run: the intended run needs 8.4e+22 FLOPs" in result.stderr


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("run:\n  n_params: 7B\n", "<stdin>:1: run.n_tokens: required field is missing"),
        ("run:\n  n_params: 7B\n  n_tokens: -1\n", "<stdin>:3: run.n_tokens"),
        ("run:\n  n_params: 0.5\n  n_tokens: 1T\n", "<stdin>:2: run.n_params: 0.5 parameters is too small a model"),
        ("run:\n  n_params: 7B\n  n_tokens: 1T\n  shape: x\n", "<stdin>:4: unknown key 'run.shape'"),
    ],
)
def test_bad_runs_name_the_file_line_and_field(cli: Cli, text: str, culprit: str) -> None:
    assert culprit in cli.error("budget", "-c", "-", input=text)
