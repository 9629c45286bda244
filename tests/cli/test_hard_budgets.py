"""A budget the user cannot exceed holds: every model a plan recommends trains within it under the count of FLOPs the
plan itself reports, or is said to exceed it.

The budget's FLOPs are worked out here from the datasheet and the flags (H100 SXM: 989 TFLOP/s dense BF16, NVIDIA's
H100 datasheet), not read back from the tool.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from ..conftest import Cli

H100_PEAK_FLOPS = 989e12
MFU, GPUS, PRICE, GOODPUT = 0.4, 512, 2.10, 0.9
HARDWARE = ("--gpu", "H100", "--gpus", str(GPUS), "--price-per-gpu-hour", str(PRICE), "--mfu", str(MFU))

#: Each hard budget, and the GPU-hours it holds.
BUDGETS: dict[str, tuple[tuple[str, ...], float]] = {
    "days": (("--days", "45"), 45 * 24 * GPUS),
    "dollars": (("--dollars", "$1.2M"), 1.2e6 / PRICE),
    "gpu_hours": (("--gpu-hours", "5e5"), 5e5),
}

#: What a plan may recommend besides its own model: a blueprint (time counted in full), an inference-aware model, a
#: cap on unique data; and all three at once.
VARIANTS: dict[str, tuple[str, ...]] = {
    "blueprint": ("--blueprint",),
    "blueprint-llama3": ("--blueprint", "--family", "llama3"),
    "inference-aware": ("--inference-tokens", "10T"),
    "data-constrained": ("--unique-tokens", "300B", "--law", "datablations-2023"),
    "all": ("--blueprint", "--inference-tokens", "10T", "--unique-tokens", "300B", "--law", "datablations-2023"),
}

METHODS = ("tokens-per-param", "law")


def _plan(cli: Cli, *args: str) -> tuple[dict[str, Any], str]:
    result = cli.run("budget", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _budget_flops(gpu_hours: float, goodput: float) -> float:
    return gpu_hours * H100_PEAK_FLOPS * MFU * goodput * 3600


@pytest.mark.parametrize(
    ("budget", "variant", "method", "goodput"),
    [(*combination, 1.0) for combination in itertools.product(BUDGETS, VARIANTS, METHODS)]
    + [("days", "all", "law", GOODPUT), ("dollars", "blueprint", "tokens-per-param", GOODPUT)],
)
@pytest.mark.slow
def test_every_recommended_model_fits_a_hard_budget_or_says_it_does_not(
    cli: Cli, budget: str, variant: str, method: str, goodput: float
) -> None:
    given, held_gpu_hours = BUDGETS[budget]
    plan, stderr = _plan(cli, *given, *HARDWARE, "--goodput", str(goodput), "--method", method, *VARIANTS[variant])
    limit = _budget_flops(held_gpu_hours, goodput)

    # The plan's own model, under the count its time and cost use.
    assert plan["training_flops"] <= limit * (1 + 1e-9)
    assert plan["gpu_hours"] <= held_gpu_hours * (1 + 1e-9)
    # GPU-hours, days and cost are one quantity in three units.
    assert plan["wall_clock_days"] * GPUS * 24 == pytest.approx(plan["gpu_hours"], rel=1e-12)
    assert plan["cost_usd"] == pytest.approx(plan["gpu_hours"] * PRICE, rel=1e-12)
    assert plan["gpu_hours"] == pytest.approx(plan["training_flops"] / (H100_PEAK_FLOPS * MFU * goodput * 3600))

    if "--blueprint" in VARIANTS[variant]:
        # Time and cost count the blueprint's full FLOPs, which fill the budget: the shapes come in steps (widths of
        # 128), so within 3% of it, never over it.
        assert plan["training_flops"] == plan["training_flops_full"]
        assert plan["training_flops_full"] == pytest.approx(plan["flops_per_token_full"] * plan["n_tokens"], rel=1e-12)
        assert plan["training_flops"] >= 0.97 * limit
        assert plan["compute_flops"] == pytest.approx(6 * plan["n_params"] * plan["n_tokens"], rel=1e-9)
        assert plan["compute_flops"] < plan["training_flops"]  # attention and the logits cost more than 6·N·D
    else:
        assert plan["training_flops"] == plan["compute_flops"] == pytest.approx(limit, rel=1e-9)

    if "--inference-tokens" in VARIANTS[variant]:
        # The inference-aware model, counted as the plan counts its own 6·N·D.
        per_6nd = plan["training_flops"] / (6 * plan["n_params"] * plan["n_tokens"])
        chosen = 6 * plan["inference_aware_n_params"] * plan["inference_aware_n_tokens"] * per_6nd
        days = plan["inference_aware_training_days"]
        assert days * GPUS * 24 * H100_PEAK_FLOPS * MFU * goodput * 3600 == pytest.approx(chosen, rel=1e-9)
        if chosen <= limit * (1 + 1e-9):
            assert plan["inference_aware_over_budget_pct"] is None and "exceeds the budget" not in stderr
        else:
            assert plan["inference_aware_over_budget_pct"] == pytest.approx(100 * (chosen / limit - 1), rel=1e-9)
            assert "the inference-aware model" in stderr and "it exceeds the budget" in stderr


def test_the_issue_s_cluster_budget_with_a_llama3_blueprint(cli: Cli) -> None:
    """512 H100s for 45 days at $2.10: before, the plan said 45.0 days and $1.16M while its own blueprint's full
    count said 51.5 days and $1.33M. Now both are the same run, within the budget."""
    plan, _ = _plan(cli, "--days", "45", *HARDWARE, "--method", "law", "--blueprint", "--family", "llama3")
    assert 44.0 <= plan["wall_clock_days"] <= 45.0
    assert plan["cost_usd"] <= 45 * 24 * GPUS * PRICE * (1 + 1e-9)
    assert plan["wall_clock_days_full"] == plan["wall_clock_days"] and plan["cost_usd_full"] == plan["cost_usd"]
    table = cli.run("budget", "--days", "45", *HARDWARE, "--method", "law", "--blueprint", "--family", "llama3")
    assert "Training FLOPs, full count" in table.stdout and "whose full count fills it" in table.stdout


def test_a_flop_budget_counts_6nd_and_times_the_full_count(cli: Cli) -> None:
    """--flops keeps its meaning (C = 6·N·D, as the laws count it), labelled; its time and cost count in full."""
    plan, _ = _plan(cli, "--flops", "1e24", *HARDWARE, "--blueprint")
    assert plan["compute_flops"] == pytest.approx(1e24, rel=1e-12)
    assert plan["training_flops"] == plan["training_flops_full"] > 1e24
    assert plan["gpu_hours"] == pytest.approx(plan["training_flops"] / (H100_PEAK_FLOPS * MFU * 3600), rel=1e-12)
    assert plan["tokens_trimmed_pct"] is None
    table = cli.run("budget", "--flops", "1e24", *HARDWARE, "--blueprint", env={"COLUMNS": "200"})
    assert "the 1.00e24 FLOPs budget is C" in table.stdout


def test_sweep_rows_under_hard_budgets_fit_as_single_plans_do(cli: Cli) -> None:
    rows = cli.json("sweep", "--unit", "days", "--budgets", "1,10,45,200", *HARDWARE, "--blueprint")
    for row in rows["plans"]:
        single, _ = _plan(cli, "--days", str(row["given_value"]), *HARDWARE, "--blueprint")
        assert row["wall_clock_days"] <= row["given_value"] * (1 + 1e-9)
        assert row["training_flops"] == pytest.approx(single["training_flops"], rel=1e-12)
        assert row["n_params"] == pytest.approx(single["n_params"], rel=1e-12)


def test_a_sweep_says_which_budgets_inference_aware_models_exceed(cli: Cli) -> None:
    result = cli.run("sweep", "--unit", "days", "--budgets", "10,45", *HARDWARE, "--inference-tokens", "10T",
                     "--format", "csv")  # fmt: skip
    assert result.exit_code == 0
    assert "budget 45.0 days: the inference-aware model" in result.stderr
    assert "(2 of the 2 budgets' inference-aware models exceed them)" in result.stderr


def test_the_api_holds_the_budget_and_warns_as_the_cli_does(cli: Cli) -> None:
    import scaling_plan as sp

    result = sp.plan(days=45, gpus=GPUS, gpu="H100", price_per_gpu_hour=PRICE, blueprint=True, inference_tokens="10T",
                     mfu=MFU)  # fmt: skip
    assert result.plan.training_flops <= _budget_flops(45 * 24 * GPUS, 1.0) * (1 + 1e-9)
    assert any("it exceeds the budget" in warning for warning in result.warnings)
    _, stderr = _plan(cli, "--days", "45", *HARDWARE, "--blueprint", "--inference-tokens", "10T")
    assert [line.removeprefix("scaling-plan: warning: ") for line in stderr.splitlines()] == list(result.warnings)
