"""What more compute buys, at the command line; predict's several runs, ranked."""

from __future__ import annotations

import json

import jsonschema
import pytest

import scaling_plan as sp

from ..conftest import Cli

H100 = ("--gpu", "H100", "--price-per-gpu-hour", "2.5")


def test_a_plan_says_what_10x_and_the_next_0_01_nats_buy_and_cost(cli: Cli) -> None:
    record = cli.json("budget", "--flops", "1e24", *H100)
    assert record["loss_drop_per_10x_nats"] > 0 and record["flops_for_next_0_01_nats"] > 0
    gpu_hours = record["flops_for_next_0_01_nats"] / (989e12 * 0.40 * 3600)
    assert record["gpu_hours_for_next_0_01_nats"] == pytest.approx(gpu_hours, rel=1e-9)
    assert record["cost_usd_for_next_0_01_nats"] == pytest.approx(2.5 * gpu_hours, rel=1e-9)
    table = " ".join(cli.run("budget", "--flops", "1e24", *H100, env={"COLUMNS": "120"}).stdout.split())
    assert "Loss drop per 10x compute │ 0.0480" in table and "Cost of the next 0.01 nats │ $885K" in table
    rows = cli.json("sweep", "--from", "1e20", "--to", "1e22", "--per-decade", "1")["plans"]
    drops = [row["loss_drop_per_10x_nats"] for row in rows]
    assert drops[0] == pytest.approx(rows[0]["loss_nats"] - rows[1]["loss_nats"], rel=1e-9)
    assert drops == sorted(drops, reverse=True)  # each decade buys less than the one before
    assert sp.plan(flops=1e24).plan.returns.flops_for_next_step == pytest.approx(record["flops_for_next_0_01_nats"])


@pytest.mark.slow
def test_predict_ranks_several_runs(cli: Cli) -> None:
    document = cli.json("predict", "--params", "7B,13B", "--tokens", "2T,1T", "--law", "epoch-2024")
    seven, thirteen = document["candidates"]
    assert (seven["n_params"], thirteen["n_tokens"]) == (7e9, 1e12)
    # 13B x 1T is 7.8e22 FLOPs against 8.4e22, and lands lower under Besiroglu et al.'s law: first by both
    assert (thirteen["rank_by_loss"], thirteen["rank_by_compute"]) == (1, 1)
    assert thirteen["loss_nats"] < seven["loss_nats"] and thirteen["compute_flops"] < seven["compute_flops"]
    one = cli.json("predict", "--params", "13B", "--tokens", "1T", "--law", "epoch-2024")
    assert {key: thirteen[key] for key in one} == one  # each candidate is the single prediction, ranked
    rows = cli.csv("predict", "--params", "7B", "--tokens", "1T,2T,4T")
    assert [row["rank_by_loss"] for row in rows] == ["3", "2", "1"]
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    jsonschema.validate(document, {"$ref": "#/$defs/PredictCandidatesOutput", "$defs": schema["$defs"]})
    assert "2 token counts for 3 sizes" in cli.error("predict", "--params", "1B,2B,3B", "--tokens", "1T,2T")
    assert "thousands separators" in cli.error("predict", "--params", "8,030,261,248", "--tokens", "1T")
