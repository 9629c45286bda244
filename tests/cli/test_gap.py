"""An intended run beside its plan at the command line: the config's run: section, its warnings and errors."""

import pytest

from ..conftest import CONFIGS, Cli


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
    assert "Compute overhead" in table.stdout


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
