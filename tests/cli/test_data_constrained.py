"""Data-constrained plans at the command line: --unique-tokens, epoch warnings, law files with repetition constants,
check, compare and sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_plan.data_constrained import with_unique_tokens
from scaling_plan.presets import PRESETS

from ..conftest import CONFIGS, Cli

BASE = PRESETS["datablations-2023"]
CAPPED = with_unique_tokens(BASE, 25e9)


def test_predict_reports_the_published_loss_and_data_use(cli: Cli) -> None:
    out = cli.json(
        "predict", "--params", "6.34e9", "--tokens", "242e9", "--unique-tokens", "25e9", "--law", "datablations-2023"
    )
    assert out["law"] == "datablations-2023"
    assert out["loss_nats"] == pytest.approx(2.2256440889984477, rel=1e-12)
    assert out["epochs"] == pytest.approx(242 / 25)
    assert out["effective_tokens"] < 242e9
    assert out["unlimited_data_loss_nats"] == pytest.approx(BASE.loss(6.34e9, 242e9), rel=1e-12)
    assert out["data_penalty_nats"] == pytest.approx(out["loss_nats"] - out["unlimited_data_loss_nats"], rel=1e-12)
    # The gap is against the constrained optimum at the same compute, which beats this run only slightly.
    assert 0 <= out["loss_gap_nats"] < 1e-3


def test_predict_without_a_cap_is_the_plain_law_and_shares_the_gap_computation(cli: Cli) -> None:
    out = cli.json("predict", "--params", "280B", "--tokens", "300B", "--law", "chinchilla-2022")
    budget = cli.json("budget", "-c", str(CONFIGS / "gopher-280b.yaml"), "--law", "chinchilla-2022")
    for key in ("loss_nats", "loss_gap_nats", "compute_overhead_pct", "optimal_n_params"):
        assert out[key] == pytest.approx(budget[f"run_{key}"], rel=1e-12)
    assert "epochs" not in out


@pytest.mark.slow
def test_budget_with_unique_tokens_allocates_by_the_constrained_law(cli: Cli) -> None:
    plan = cli.json(
        "budget", "--flops", "1e22", "--unique-tokens", "25B", "--law", "datablations-2023", "--method", "law"
    )
    n_params, n_tokens = CAPPED.optimum(1e22)
    assert plan["n_params"] == pytest.approx(n_params, rel=1e-12)
    assert plan["epochs"] == pytest.approx(n_tokens / 25e9, rel=1e-12)
    assert plan["data_penalty_nats"] > 0
    # With more unique data than the plan needs, the cap changes nothing.
    free = cli.json("budget", "--flops", "1e22", "--law", "datablations-2023", "--method", "law")
    roomy = cli.json(
        "budget", "--flops", "1e22", "--unique-tokens", "10T", "--law", "datablations-2023", "--method", "law"
    )
    assert (roomy["n_params"], roomy["n_tokens"], roomy["loss_nats"]) == (
        free["n_params"],
        free["n_tokens"],
        free["loss_nats"],
    )
    assert roomy["data_penalty_nats"] == 0


@pytest.mark.slow
def test_epoch_warnings_at_four_and_sixteen(cli: Cli) -> None:
    mild = cli.run("predict", "--params", "1B", "--tokens", "100B", "--unique-tokens", "20B")
    assert mild.exit_code == 0
    assert "5 epochs" in mild.stderr and "past ~4 epochs" in mild.stderr
    strong = cli.run("predict", "--params", "1B", "--tokens", "100B", "--unique-tokens", "5B")
    assert "20 epochs" in strong.stderr and "past ~16 epochs" in strong.stderr
    fine = cli.run("predict", "--params", "1B", "--tokens", "100B", "--unique-tokens", "50B")
    assert "epochs" not in fine.stderr


def test_a_law_without_repetition_constants_borrows_muennighoffs_and_says_so(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e23", "--unique-tokens", "100B", "--format", "json")
    assert result.exit_code == 0
    assert "epoch-2024 carries no repetition constants" in result.stderr


def test_a_law_file_carries_its_repetition_constants(cli: Cli, tmp_path: Path) -> None:
    law = tmp_path / "law.yaml"
    law.write_text("E: 1.87\nA: 520.8\nB: 1487.7\nalpha: 0.35\nbeta: 0.35\nrd_star: 4\nrn_star: 2\n")
    result = cli.run(
        "predict", "--params", "1B", "--tokens", "100B", "--unique-tokens", "10B", "--law", str(law), "-f", "json"
    )
    assert result.exit_code == 0 and "repetition constants" not in result.stderr
    one = tmp_path / "one.yaml"
    one.write_text("E: 1.87\nA: 520.8\nB: 1487.7\nalpha: 0.35\nbeta: 0.35\nrd_star: 4\n")
    line = cli.error("predict", "--params", "1B", "--tokens", "1B", "--law", str(one))
    assert f"{one}:6: rd_star: give both rd_star and rn_star" in line


@pytest.mark.slow
def test_check_max_epochs(cli: Cli) -> None:
    config = str(CONFIGS / "data-limited-served.yaml")
    assert cli.run("check", config).exit_code == 0  # its policy: max_epochs 16, and it plans 9.5 epochs
    failed = cli.run("check", config, "--max-epochs", "4", "--format", "json")
    assert failed.exit_code == 1
    import json

    (result,) = json.loads(failed.stdout)["results"]
    assert (result["rule"], result["status"]) == ("max_epochs", "fail")
    assert result["measured"] == pytest.approx(CAPPED.optimum(1e22)[1] / 25e9, rel=1e-12)


@pytest.mark.slow
def test_compare_shows_epochs_and_the_cap(cli: Cli) -> None:
    out = cli.json("compare", str(CONFIGS / "data-limited-served.yaml"), str(CONFIGS / "flops-1e24.yaml"))
    capped, free = out["configs"]
    assert capped["epochs"] == pytest.approx(CAPPED.optimum(1e22)[1] / 25e9, rel=1e-12)
    assert free["epochs"] is None and free["delta_epochs"] is None


@pytest.mark.slow
def test_sweep_rows_equal_single_plans_under_a_cap(cli: Cli) -> None:
    rows = cli.json(
        "sweep",
        "--budgets",
        "1e20,1e22,1e24",
        "--unique-tokens",
        "25B",
        "--method",
        "law",
        "--law",
        "datablations-2023",
    )["plans"]
    for row in rows:
        single = cli.json(
            "budget",
            "--flops",
            str(row["compute_flops"]),
            "--unique-tokens",
            "25B",
            "--method",
            "law",
            "--law",
            "datablations-2023",
        )
        for key in ("n_params", "n_tokens", "loss_nats", "epochs", "effective_tokens", "data_penalty_nats"):
            assert row[key] == pytest.approx(single[key], rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("budget", "--flops", "1e24", "--unique-tokens", "0"), "--unique-tokens: must be positive, got 0"),
        (("budget", "--flops", "1e24", "--unique-tokens", "-3"), "--unique-tokens: must be positive"),
        (("budget", "--flops", "1e24", "--unique-tokens", "nan"), "--unique-tokens: must be a finite number"),
        (
            ("predict", "--params", "1B", "--tokens", "1B", "--unique-tokens", "0.5"),
            "--unique-tokens: 0.5 tokens is too few to plan (at least 1e6); did you mean 0.5T?",
        ),
        (("budget", "--flops", "1e24", "--unique-tokens", "1B", "--law", "kaplan-2020"), "kaplan-2020 is not"),
        (
            ("budget", "--loss", "2.2", "--unique-tokens", "1M", "--law", "datablations-2023"),
            "--loss: loss 2.2 is at or below 12.07, the least loss datablations-2023 allows with 1e+06 unique tokens",
        ),
        (("budget", "--loss", "1.5", "--law", "chinchilla-2022"), "at or below chinchilla-2022's irreducible loss"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli.error(*args)
