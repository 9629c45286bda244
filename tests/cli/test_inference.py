"""Inference-aware plans at the command line: the inference section of configs, tables, sweeps and bad input."""

from __future__ import annotations

import pytest

from scaling_plan.budget import GPUS, Hardware

from ..conftest import CONFIGS, Cli

SARDANA_FILE = str(CONFIGS / "laws" / "sardana-2024.yaml")


def test_sardana_figure_1_thirteen_billion_for_two_trillion_tokens(cli: Cli) -> None:
    # Sardana et al. 2024, Figure 1: "An LLM developer seeking to train a 13B model who expects 2 trillion tokens of
    # inference demand ... can reduce their total compute by 1.7 x 10^22 FLOPs (17%) by instead training a 7B model
    # on more data". Tolerance 2% on the model size and the FLOPs saved; the percentage is printed rounded to 17.
    out = cli.json("budget", "--params", "13B", "--method", "law", "--law", SARDANA_FILE, "--inference-tokens", "2T")
    assert out["n_params"] == pytest.approx(13e9, rel=1e-9)
    assert out["inference_aware_n_params"] == pytest.approx(7e9, rel=0.02)
    assert out["flops_saved"] == pytest.approx(1.7e22, rel=0.02)
    assert round(out["flops_saved_pct"]) == 17
    assert out["inference_aware_loss_nats"] == pytest.approx(out["loss_nats"], rel=1e-12)
    assert out["inference_objective"] == "lifetime_flops"


def test_cost_objective_weighs_cheap_training_against_dear_serving(cli: Cli) -> None:
    args = ("budget", "--flops", "1e24", "--method", "law", "--inference-tokens", "10T", "--gpu", "H100-SXM",
            "--price-per-gpu-hour", "2")  # fmt: skip
    by_flops = cli.json(*args)
    by_cost = cli.json(*args, "--inference-mfu", "0.05")  # serving at 5% MFU: inference FLOPs cost 8x more
    assert by_flops["inference_objective"] == "lifetime_flops"
    assert by_cost["inference_objective"] == "lifetime_cost_usd"
    assert by_cost["inference_aware_n_params"] < by_flops["inference_aware_n_params"]
    assert by_cost["cost_saved_usd"] > 0
    # The cost in the output is training at 40% MFU plus serving at 5%, both at $2 per GPU-hour.
    hardware = Hardware(GPUS["H100-SXM"], 0.4, None, 2.0)
    serving = Hardware(GPUS["H100-SXM"], 0.05, None, 2.0)
    expected = hardware.cost_usd(hardware.gpu_hours(by_cost["inference_aware_training_flops"])) + serving.cost_usd(
        serving.gpu_hours(by_cost["inference_aware_inference_flops"])
    )
    assert by_cost["inference_aware_lifetime_cost_usd"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.slow
def test_config_inference_section_and_table(cli: Cli) -> None:
    result = cli.run("budget", "-c", str(CONFIGS / "data-limited-served.yaml"))
    assert result.exit_code == 0
    assert "Serving 1.00T inference tokens" in result.stdout
    assert "inference-aware" in result.stdout and "Lifetime FLOPs saved" in result.stdout


@pytest.mark.slow
def test_quiet_keeps_the_saving_a_result_not_a_note(cli: Cli) -> None:
    """-q leaves out notes only: what the inference-aware model saves is a result, shown in its row."""
    saved = cli.json("budget", "-c", str(CONFIGS / "data-limited-served.yaml"))["flops_saved_pct"]
    quiet = cli.run("budget", "-c", str(CONFIGS / "data-limited-served.yaml"), "-q", env={"COLUMNS": "200"})
    assert quiet.exit_code == 0
    assert "saved" in quiet.stdout and f"+{saved:.1f}%" in quiet.stdout
    assert "Objective:" not in quiet.stdout  # the note goes


def test_sweep_rows_equal_single_plans_with_inference(cli: Cli) -> None:
    rows = cli.json("sweep", "--budgets", "1e19,1e23,1e27", "--inference-tokens", "1T", "--method", "law")["plans"]
    for row in rows:
        single = cli.json("budget", "--flops", str(row["compute_flops"]), "--inference-tokens", "1T", "--method", "law")
        for key in ("inference_aware_n_params", "inference_aware_n_tokens", "flops_saved", "lifetime_flops"):
            assert row[key] == pytest.approx(single[key], rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--inference-tokens", "-1"), "--inference-tokens: must not be negative, got -1"),
        (("--inference-tokens", "nan"), "--inference-tokens: must be a finite number"),
        (("--inference-tokens", "lots"), "--inference-tokens: cannot read 'lots'"),
        (("--inference-tokens", "1T", "--inference-objective", "cost"), "--inference-objective: the lifetime-cost"),
        (
            ("--inference-tokens", "1T", "--gpu", "H100-SXM", "--inference-price-per-gpu-hour", "3"),
            "needs --price-per-gpu-hour",
        ),
        (("--inference-tokens", "1T", "--inference-mfu", "1.5"), "--inference-mfu: must be in [0.001, 1], got 1.5"),
        (("--inference-tokens", "1T", "--law", "kaplan-2020"), "kaplan-2020's frontier is a separate fit"),
    ],
)
def test_bad_inference_input_is_one_line_naming_the_flag(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli.error("budget", "--flops", "1e24", *args)
