"""serve: a model's serving at the command line and in the API, and bad input in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest

import scaling_plan as sp

from ..conftest import ROOT, Cli

CONFIGS = ROOT / "tests" / "data" / "hf_configs"
LLAMA_2_70B = str(CONFIGS / "llama-2-70b.json")
ON_TWO_H100 = ("--gpu", "H100-SXM", "--gpus", "2")


def test_json_csv_and_the_table_agree(cli: Cli) -> None:
    args = ("serve", "--hf-config", LLAMA_2_70B, *ON_TWO_H100, "--batch", "16", "--price-per-gpu-hour", "2.5")
    record = cli.json(*args)
    assert (record["params_total"], record["gpus_per_replica"], record["batch"], record["batch_max"]) == (
        68_976_648_192, 2, 16, 20,
    )  # fmt: skip
    assert record["kv_cache_bytes_per_token"] == 320 * 1024
    assert record["decode_bound"] == "memory"
    assert record["decode_tokens_per_second"] < record["roofline_tokens_per_second"]
    assert record["usd_per_million_output_tokens"] > record["usd_per_million_input_tokens"] > 0
    row = cli.csv(*args)[0]
    assert int(row["batch_max"]) == 20 and float(row["decode_seconds_per_step"]) == record["decode_seconds_per_step"]
    table = " ".join(cli.run(*args, env={"COLUMNS": "120"}).stdout.split())
    assert "KV cache per token │ 320 KiB" in table and "Largest batch that fits │ 20" in table
    markdown = cli.run(*args, "--format", "markdown").stdout
    assert "| KV cache per token | 320 KiB |" in markdown and markdown.startswith("**Serving ")


def test_a_shape_by_size_or_by_flags_serves_too(cli: Cli) -> None:
    sized = cli.json("serve", "--params", "8B", "--gpu", "H100")
    assert sized["model"].endswith("near 8.00B") and abs(sized["params_total"] / 8e9 - 1) < 0.05
    flags = cli.json("serve", "--layers", "32", "--d-model", "4096", "--kv-heads", "8", "--gpu", "H100")
    assert flags["kv_cache_bytes_per_token"] == 32 * 2 * 8 * 128 * 2


def test_context_is_prompt_and_output_together(cli: Cli) -> None:
    record = cli.json("serve", "--params", "1B", "--gpu", "H100", "--context", "8192", "--output-tokens", "1024")
    assert (record["prompt_tokens"], record["output_tokens"]) == (7168, 1024)


def test_a_load_takes_whole_replicas(cli: Cli) -> None:
    record = cli.json("serve", "--hf-config", LLAMA_2_70B, *ON_TWO_H100, "--tokens-per-second", "1e4")
    assert record["replicas"] == math.ceil(1e4 / record["output_tokens_per_second"])
    assert record["gpus_for_load"] == 2 * record["replicas"]


def test_a_hardware_file_gives_its_bandwidth(cli: Cli, tmp_path: Path) -> None:
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(
        "kind: hardware\nname: slow-h100\npeak_flops_per_second: 989e12\nmemory_gib: 79.6\n"
        "memory_bandwidth_gb_per_second: 1675\nlink_bandwidth_gb_per_second: 450\n"
    )
    fast = cli.json("serve", "--hf-config", LLAMA_2_70B, *ON_TWO_H100, "--batch", "1")
    slow = cli.json("serve", "--hf-config", LLAMA_2_70B, "--gpu", str(gpu), "--gpus", "2", "--batch", "1")
    assert slow["decode_bound"] == "memory"
    assert math.isclose(slow["roofline_tokens_per_second"] * 2, fast["roofline_tokens_per_second"], rel_tol=1e-9)


def test_bad_input_is_one_line_naming_the_flag(cli: Cli) -> None:
    model = ("serve", "--hf-config", LLAMA_2_70B)
    assert cli.error(*model, *ON_TWO_H100, "--batch", "64").startswith(
        "scaling-plan: error: --batch: 64 sequences of 2,304 tokens do not fit in 2 x H100-SXM: at most 20 do"
    )
    assert "--gpus 2" in cli.error(*model, "--gpu", "H100", "--gpus", "1")
    assert "64 attention heads" in cli.error(*model, "--gpu", "H100", "--gpus", "3")
    assert cli.error(*model).startswith("scaling-plan: error: --gpu: serving needs a GPU")
    assert "--weights-precision" in cli.error(*model, *ON_TWO_H100, "--weights-precision", "int3")
    assert "--kv-precision" in cli.error(*model, *ON_TWO_H100, "--kv-precision", "int8")
    assert "leave no prompt" in cli.error(*model, *ON_TWO_H100, "--context", "200")
    assert "not 4,000" in cli.error(*model, *ON_TWO_H100, "--context", "4000", "--prompt-tokens", "2048")
    assert cli.error(*model, *ON_TWO_H100, "--mbu", "60").startswith(
        "scaling-plan: error: --mbu: must be in [0.001, 1]"
    )
    assert cli.error(*model, *ON_TWO_H100, "--batch", "0").startswith(
        "scaling-plan: error: --batch: must be a whole number"
    )
    assert "--tokens-per-second" in cli.error(*model, *ON_TWO_H100, "--tokens-per-second", "-5")
    assert "no memory bandwidth" in cli.error(*model, "--peak-flops", "1e15", "--gpu-memory-gib", "80")
    assert "--params" in cli.error(*model, *ON_TWO_H100, "--params", "7B")
    assert "give the model to serve" in cli.error("serve", "--gpu", "H100")


def test_the_api_gives_what_the_command_prints(cli: Cli) -> None:
    result = sp.serve(LLAMA_2_70B, gpu="H100-SXM", gpus=2, batch=16)
    assert result.serving.batch_max == 20
    assert result.to_dict() == cli.json("serve", "--hf-config", LLAMA_2_70B, *ON_TWO_H100, "--batch", "16")
    try:
        sp.serve(LLAMA_2_70B, gpu="H100-SXM", gpus=2, batch=64)
    except sp.ScalingPlanError as error:
        assert error.field == "batch" and "at most 20 do" in error.message
    else:
        raise AssertionError("batch 64 fits nowhere on two H100s")
    try:
        sp.serve(LLAMA_2_70B, gpu="H100-SXM", bacth=16)
    except sp.ScalingPlanError as error:
        assert error.field == "bacth" and "batch" in error.message
    else:
        raise AssertionError("a misspelt option is refused")


@pytest.mark.slow
def test_the_output_matches_its_schema(cli: Cli) -> None:
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    definition = {"$ref": "#/$defs/ServeOutput", "$defs": schema["$defs"]}
    for args in (
        ("--hf-config", LLAMA_2_70B, *ON_TWO_H100, "--price-per-gpu-hour", "2", "--tokens-per-second", "100"),
        (
            "--hf-config",
            str(CONFIGS / "deepseek-v3.json"),
            "--gpu",
            "H200",
            "--gpus",
            "8",
            "--weights-precision",
            "fp8",
        ),
        ("--params", "1B", "--gpu", "TPU-v5p"),
    ):
        jsonschema.validate(cli.json("serve", *args), definition)


PLAN = ("budget", "--flops", "1e24", "--gpu", "H100", "--price-per-gpu-hour", "2.5")


def test_a_plan_serves_its_own_model(cli: Cli) -> None:
    record = cli.json(*PLAN, "--serve")
    assert record["n_layers"] is not None  # --serve implies --blueprint
    assert 1 <= record["gpus_per_replica"] <= 8 and record["batch"] == record["batch_max"] >= 1
    assert record["decode_tokens_per_second"] <= record["roofline_tokens_per_second"]
    assert record["memory_bytes_per_gpu"] <= record["usable_bytes_per_gpu"]
    # the replica's GPUs are those that give the most output tokens a second per GPU
    tried = 0
    for gpus in (1, 2, 3, 4, 6, 8):
        if record["n_heads"] % gpus:
            continue
        try:
            other = sp.serve(
                gpu="H100", gpus=gpus, n_layers=record["n_layers"], d_model=record["d_model"],
                n_heads=record["n_heads"], d_ff=record["d_ff"], vocab_size=record["vocab_size"],
            )  # fmt: skip
        except sp.ScalingPlanError as error:
            assert error.field == "gpus"  # the model does not fit on so few
            continue
        tried += 1
        assert other.serving.output_tokens_per_second_per_gpu <= record["output_tokens_per_second_per_gpu"]
    assert tried >= 2
    table = " ".join(cli.run(*PLAN, "--serve", env={"COLUMNS": "120"}).stdout.split())
    assert "Serving the plan's model on" in table and "USD per million output tokens" in table
    assert sp.plan(flops=1e24, gpu="H100", price_per_gpu_hour=2.5, serve=True).to_dict() == cli.json(*PLAN, "--serve")


def test_a_configs_serve_section_asks_for_serving(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text(
        "budget:\n  flops: 1e23\nhardware:\n  gpu: H100\n  price_per_gpu_hour: 2\nserve:\n  kv_precision: fp8\n"
        "  output_tokens: 512\n"
    )
    record = cli.json("budget", "-c", str(config))
    assert (record["kv_precision"], record["output_tokens"]) == ("fp8", 512)
    swept = cli.run("sweep", "-c", str(config), "--from", "1e22", "--to", "1e23", "--format", "json")
    assert swept.exit_code == 0 and "serve: section is unused by a sweep" in swept.stderr


def test_serving_flags_without_serve_are_said_to_be_unused(cli: Cli) -> None:
    result = cli.run(*PLAN, "--kv-precision", "fp8", "--format", "json")
    assert result.exit_code == 0 and "--kv-precision unused without --serve" in result.stderr
    assert "--serve: serving needs a GPU" in cli.error("budget", "--flops", "1e24", "--serve")


def test_inference_priced_by_serving_chooses_its_own_model_and_says_what_flops_would(cli: Cli) -> None:
    # At one MFU for both: --serve lays the model out (a blueprint, whose step would set the MFU otherwise).
    record = cli.json(*PLAN, "--serve", "--inference-tokens", "10T", "--mfu", "0.4")
    assert record["inference_priced_by"] == "serving"
    served, by_flops = record["inference_aware_n_params"], record["flop_priced_n_params"]
    assert by_flops is not None and abs(served / by_flops - 1) > 0.01  # the two pricings choose different models
    # the served optimum is never worse, as served, than what FLOP pricing picks, nor than the plan's own model
    assert record["inference_aware_lifetime_cost_usd"] <= record["flop_priced_lifetime_cost_usd"]
    assert record["inference_aware_lifetime_cost_usd"] <= record["lifetime_cost_usd"]
    flops_objective = cli.json(*PLAN, "--serve", "--inference-tokens", "10T", "--inference-objective", "flops")
    assert flops_objective["inference_priced_by"] is None and flops_objective["flop_priced_n_params"] is None
    priced_by_flops = cli.json(*PLAN, "--inference-tokens", "10T", "--inference-objective", "cost")
    assert priced_by_flops["inference_priced_by"] == "flops"
    assert math.isclose(priced_by_flops["inference_aware_n_params"], by_flops, rel_tol=1e-6)


def test_check_and_compare_see_what_serving_costs(cli: Cli, tmp_path: Path) -> None:
    served = tmp_path / "served.yaml"
    served.write_text("budget:\n  flops: 1e23\nhardware:\n  gpu: H100\n  price_per_gpu_hour: 2\nserve:\n  batch: 8\n")
    cost = cli.json("budget", "-c", str(served))["usd_per_million_output_tokens"]
    passed = cli.json("check", str(served), "--max-usd-per-million-tokens", str(cost * 1.01))
    failed = cli.run("check", str(served), "--max-usd-per-million-tokens", str(cost * 0.99), "--format", "json")
    assert passed["results"][0]["status"] == "pass" and failed.exit_code == 1
    assert json.loads(failed.stdout)["results"][0]["measured"] == cost
    plain = tmp_path / "plain.yaml"
    plain.write_text("budget:\n  flops: 1e23\nhardware:\n  gpu: H100\n  price_per_gpu_hour: 2\n")
    refused = cli.run("check", str(plain), "--max-usd-per-million-tokens", "1")
    assert refused.exit_code == 2 and "needs the plan's model served" in refused.stderr
    compared = cli.json("compare", str(plain), str(served))["configs"]
    assert compared[0]["usd_per_million_output_tokens"] is None
    assert compared[1]["usd_per_million_output_tokens"] == cost
