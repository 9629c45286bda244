"""A measured step time at the command line and in the API: MFU and HFU against Korthikanti et al. 2022's Table 5,
the run's time at that step, a global batch the layout splits whole, and what is refused."""

from __future__ import annotations

import json

import pytest

from ..conftest import Cli
from ..domain.test_utilisation import POINTS, TABLE_5

#: Pipeline stages of Table 3's runs (tensor parallelism 8 in every one).
PIPELINE = {"22B": 1, "175B": 8, "530B": 35, "1T": 64}


def step_args(name: str, heads: int, hidden: int, layers: int, gpus: int, batch: int, seconds: float) -> list[str]:
    return [
        "shape", "--layers", str(layers), "--d-model", str(hidden), "--heads", str(heads), "--vocab-size", "51200",
        "--seq-len", "2048", "--ffn", "gelu", "--style", "gpt", "--gpu", "A100-SXM", "--gpus", str(gpus), "--tp", "8",
        "--pp", str(PIPELINE[name]), "--recompute", "selective", "--global-batch", str(batch), "--step-seconds",
        str(seconds), "--tokens", "1T", "--price-per-gpu-hour", "2",
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "heads", "hidden", "layers", "gpus", "batch", "seconds", "mfu", "hfu", "_"), TABLE_5)
def test_shape_gives_table_5s_mfu_and_hfu_from_its_step_times(
    cli: Cli, name: str, heads: int, hidden: int, layers: int, gpus: int, batch: int, seconds: float, mfu: float,
    hfu: float, _: float,
) -> None:  # fmt: skip
    record = cli.json(*step_args(name, heads, hidden, layers, gpus, batch, seconds))
    assert (record["tp"], record["pp"], record["dp"], record["batch_sequences"]) == (8, PIPELINE[name], 1, batch)
    assert record["mfu_measured_pct"] == pytest.approx(mfu, abs=POINTS)
    assert record["hfu_measured_pct"] == pytest.approx(hfu, abs=POINTS)
    assert record["step_seconds_measured"] == seconds
    # The run at that step: every training step takes it, on every GPU.
    hours = record["train_steps"] * seconds * gpus / 3600
    assert record["gpu_hours_measured"] == pytest.approx(hours, rel=1e-12)
    assert record["wall_clock_days_measured"] == pytest.approx(hours / gpus / 24, rel=1e-12)
    assert record["cost_usd_measured"] == pytest.approx(2 * hours, rel=1e-12)


def test_the_table_csv_and_api_give_the_measured_step_alike(cli: Cli) -> None:
    import scaling_plan as sp

    args = step_args(*TABLE_5[0][:7])
    table = cli.run(*args).stdout
    assert "MFU, measured" in table and "41.65%" in table and "Measured step:" in table
    rows = cli.csv(*args)
    assert float(rows[0]["mfu_measured_pct"]) == pytest.approx(41.65, abs=0.01)
    budget = cli.json("budget", "--flops", "1e23", "--blueprint", "--gpu", "H100-SXM", "--gpus", "64",
                      "--global-batch", "512", "--step-seconds", "10")  # fmt: skip
    result = sp.plan(flops=1e23, blueprint=True, gpu="H100-SXM", gpus=64, global_batch=512, step_seconds=10)
    made = result.to_dict()
    for key in ("mfu_measured_pct", "hfu_measured_pct", "gpu_hours_measured", "batch_sequences", "dp"):
        assert made[key] == budget[key], key
    assert budget["batch_sequences"] == 512 and 512 % (budget["dp"] * budget["micro_batch_sequences"]) == 0
    assert "the global batch of 512 sequences (global_batch) is" in " ".join(result.warnings)


def test_a_global_batch_sets_the_steps_and_must_split_whole(cli: Cli) -> None:
    record = cli.json("shape", "--params", "7B", "--tokens", "1T", "--gpu", "H100-SXM", "--gpus", "8",
                      "--global-batch", "1024")  # fmt: skip
    assert record["batch_sequences"] == 1024 and record["batch_tokens"] == 1024 * record["seq_len"]
    assert record["train_steps"] == -(-int(1e12) // (1024 * record["seq_len"]))
    too_big = cli.run("shape", "--params", "7B", "--tokens", "1e9", "--global-batch", "1000000")
    assert "one step of 1,000,000 sequences is 4.10B tokens, more than the run's 1.00B" in too_big.stderr
    said = cli.error("shape", "--params", "7B", "--gpu", "H100-SXM", "--gpus", "8", "--tp", "1", "--pp", "1",
                     "--cp", "1", "--global-batch", "12", "--micro-batch", "1")  # fmt: skip
    assert "--global-batch: 12 sequences split whole over no layout on 8 GPUs" in said


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--gpu", "A100-SXM", "--gpus", "8", "--global-batch", "4", "--step-seconds", "0.4"],
         "--step-seconds: 0.400 s is faster than the peak allows"),
        (["--gpu", "A100-SXM", "--global-batch", "4", "--step-seconds", "2"], "--step-seconds: a measured step needs --gpus"),
        (["--gpu", "A100-SXM", "--gpus", "8", "--step-seconds", "2"], "--step-seconds: a measured step needs --global-batch"),
        (["--gpu", "A100-SXM", "--gpus", "8", "--global-batch", "4", "--step-seconds", "0"], "--step-seconds:"),
        (["--gpu", "A100-SXM", "--gpus", "8", "--global-batch", "0"], "--global-batch:"),
    ],
)  # fmt: skip
def test_a_step_or_batch_that_cannot_be_is_one_line_and_exit_2(cli: Cli, extra: list[str], expected: str) -> None:
    args = ["shape", "--layers", "48", "--d-model", "6144", "--heads", "64", "--vocab-size", "51200", "--seq-len",
            "2048", "--ffn", "gelu", "--style", "gpt", "--tp", "8", *extra]  # fmt: skip
    result = cli.run(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr


def test_a_measured_step_is_refused_beside_compare_laws(cli: Cli) -> None:
    said = cli.error("budget", "--flops", "1e23", "--compare-laws", "--blueprint", "--gpu", "H100-SXM", "--gpus", "64",
                     "--global-batch", "512", "--step-seconds", "10")  # fmt: skip
    assert "--step-seconds: a measured step is one model's" in said


def test_a_measured_step_slower_than_the_budget_allows_says_the_budget_is_exceeded(cli: Cli) -> None:
    """The plan fills 30 days at the assumed MFU; at a measured 20 s step the same run takes longer, which is said
    (the CLI and the API alike); at 10 s it fits and nothing is said."""
    import scaling_plan as sp

    args = ["budget", "--days", "30", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--global-batch", "512",
            "--mfu", "0.4"]  # fmt: skip
    slow = cli.run(*args, "--step-seconds", "20", "-f", "json")
    record = json.loads(slow.stdout)
    assert record["wall_clock_days_measured"] > 30
    assert "at the measured step (20 s) the run takes 48.8 days" in slow.stderr and "exceeds the budget" in slow.stderr
    api = sp.plan(days=30, gpu="H100-SXM", gpus=64, blueprint=True, global_batch=512, step_seconds=20, mfu=0.4)
    assert any("exceeds the budget" in warning for warning in api.warnings)
    fast = cli.run(*args, "--step-seconds", "10", "-f", "json")
    assert json.loads(fast.stdout)["wall_clock_days_measured"] <= 30 and "exceeds the budget" not in fast.stderr
