"""Parallel layouts at the command line: the layout table, warnings and settings from YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_plan.budget import GIB

from ..conftest import ROOT, Cli


def test_a_1e24_plan_on_1024_h100s_is_launchable(cli: Cli) -> None:
    record = cli.json("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024")
    assert record["tp"] * record["pp"] * record["cp"] * record["dp"] == 1024
    assert record["n_heads"] % record["tp"] == 0 and record["n_layers"] % record["pp"] == 0
    assert record["batch_sequences"] % record["dp"] == 0
    assert record["batch_sequences"] == record["dp"] * record["micro_batch_sequences"] * record[
        "gradient_accumulation_steps"]  # fmt: skip
    parts = ("weights_gib_per_gpu", "gradients_gib_per_gpu", "optimizer_gib_per_gpu", "activations_gib_per_gpu")
    assert sum(record[p] for p in parts) == pytest.approx(record["memory_gib_per_gpu"])
    assert record["memory_gib_per_gpu"] < record["gpu_memory_gib"] < 80
    assert record["min_gpus"] <= 1024 and record["layouts_fitting"] >= 1
    assert "least recomputation" in record["layout_reason"]
    assert abs(record["batch_sequences"] / record["batch_sequences_optimal"] - 1) < 0.25
    assert record["batch_tokens"] == record["batch_sequences"] * record["seq_len"]


def test_the_table_shows_the_layout_and_why(cli: Cli) -> None:
    result = cli.run("shape", "--params", "70B", "--gpu", "H100", "--gpus", "256", "--tp", "8")
    assert result.exit_code == 0, result.stderr
    for text in ("Tensor parallel (tp)", "Pipeline stages (pp)", "Data parallel (dp)", "Accumulation steps",
                 "Batch, launchable (sequences)", "Layout: tp 8 x pp"):  # fmt: skip
        assert text in result.stdout


def test_too_few_gpus_warn_with_the_fewest_that_fit(cli: Cli) -> None:
    result = cli.run("shape", "--params", "70B", "--gpu", "H100", "--gpus", "4")
    assert result.exit_code == 0
    record = cli.json("shape", "--params", "70B", "--gpu", "H100", "--gpus", "4")
    assert f"at least {record['min_gpus']:,} are needed" in result.stderr
    assert record["memory_gib_per_gpu"] > record["gpu_memory_gib"]


def test_a_batch_far_from_the_law_is_said(cli: Cli) -> None:
    result = cli.run("shape", "--params", "1B", "--tokens", "20B", "--gpu", "H100", "--gpus", "8192", "--tp", "1",
                     "--pp", "1", "--cp", "1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "the launchable batch of 8,192 sequences" in result.stderr


@pytest.mark.parametrize(("dropout", "units"), [((), 2), (("--dropout",), 5)])
def test_flash_attention_off_holds_the_scores(cli: Cli, dropout: tuple[str, ...], units: int) -> None:
    """The scores keep the softmax output (2 bytes), and with dropout its mask (1) and output (2) too."""
    args = ("shape", "--params", "1B", "--gpu", "H100", "--gpus", "8", "--tp", "1", "--pp", "1", "--cp", "1",
            "--recompute", "none", "--sharding", "zero-3", *dropout)  # fmt: skip
    flash, kept = cli.json(*args), cli.json(*args, "--no-flash-attention")
    assert flash["flash_attention"] is True and kept["flash_attention"] is False
    assert flash["dropout"] is bool(dropout)
    s, a, layers = flash["seq_len"], flash["n_heads"], flash["n_layers"]
    gained = (kept["activations_gib_per_gpu"] - flash["activations_gib_per_gpu"]) * GIB
    assert gained == pytest.approx(layers * units * a * s * s)


def test_llama_2_7b_activations_leave_out_dropout_masks_unless_asked(cli: Cli, tmp_path: Path) -> None:
    """test_a_llama_2_7b_block_keeps_no_dropout_masks computes the 16.61328125 GiB by hand; --dropout adds two masks
    of s·h bytes in each of the 32 layers, 1 GiB; gpt3 blocks have them unless --no-dropout."""
    args = ("shape", "--params", "6.7B", "--family", "llama2", "--gpu", "H100", "--gpus", "8", "--tp", "1", "--pp",
            "1", "--cp", "1", "--recompute", "selective", "--sharding", "zero-3")  # fmt: skip
    plain = cli.json(*args)
    assert (plain["n_layers"], plain["d_model"], plain["d_ff"], plain["vocab_size"]) == (32, 4096, 11008, 32000)
    assert plain["dropout"] is False and plain["activations_gib_per_gpu"] == 16.61328125
    masked = cli.json(*args, "--dropout")
    assert masked["dropout"] is True and masked["activations_gib_per_gpu"] == 17.61328125
    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e23\nblueprint:\n  family: llama2\n  dropout: true\n")
    assert cli.json("budget", "--config", str(config))["dropout"] is True
    assert cli.json("budget", "--config", str(config), "--no-dropout")["dropout"] is False
    assert cli.json("shape", "--params", "6.7B", "--family", "gpt3")["dropout"] is True
    assert cli.json("shape", "--params", "6.7B", "--family", "gpt3", "--no-dropout")["dropout"] is False
    table = cli.run(*args, env={"COLUMNS": "200"}).stdout
    assert "blocks without dropout keep no dropout masks" in " ".join(table.split())


def test_layout_settings_from_yaml_match_flags(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text(
        "budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\n  gpus: 1024\n"
        "blueprint:\n  tp: 8\n  pp: 2\n  flash_attention: true\n  gpus_per_node: 8\n"
    )
    from_file = cli.json("budget", "--config", str(config))
    from_flags = cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--blueprint",
                          "--tp", "8", "--pp", "2")  # fmt: skip
    for key in ("tp", "pp", "cp", "dp", "sharding", "recompute", "memory_gib_per_gpu", "batch_sequences"):
        assert from_file[key] == from_flags[key]
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\nblueprint:\n  tp: eight\n")
    result = cli.run("budget", "--config", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{bad}:6" in result.stderr and "tp" in result.stderr


def test_layout_settings_without_a_gpu_are_said_unused(cli: Cli) -> None:
    result = cli.run("shape", "--params", "7B", "--tp", "8", "--no-flash-attention", "--dropout")
    assert result.exit_code == 0
    assert "--tp, --no-flash-attention, --dropout unused without --gpu" in result.stderr


def test_fp32_gradients_double_the_gradients_and_zero_3_gathers(cli: Cli) -> None:
    args = ("shape", "--params", "70B", "--gpu", "H100", "--sharding", "zero-3", "--gpus", "64", "--tp", "8")
    bf16, fp32 = cli.json(*args), cli.json(*args, "--grad-precision", "fp32")
    assert fp32["gradients_gib_per_gpu"] == pytest.approx(2 * bf16["gradients_gib_per_gpu"])
    assert (bf16["grad_precision"], fp32["grad_precision"]) == ("bf16", "fp32")
    assert bf16["gather_gib_per_gpu"] > 0 and bf16["micro_batch_max"] >= 1
    assert cli.json("shape", "--params", "7B", "--gpu", "H100", "--sharding", "zero-1")["gather_gib_per_gpu"] is None
    assert "--grad-precision" in cli.error(*args, "--grad-precision", "fp16")


def test_8_bit_adam_states_lay_mixtral_out_on_8_h100s(cli: Cli) -> None:
    """Mixtral-8x7B from its config: with FP32 Adam states (16 bytes a parameter, 696 GiB) no layout holds it on 8
    H100s and the plan says 16; with 8-bit states (Dettmers et al. 2022; 10 bytes, 435 GiB) it fits on 8."""
    args = ("budget", "--flops", "1e23", "--hf-config", str(ROOT / "tests" / "data" / "hf_configs" / "mixtral-8x7b.json"),
            "--gpu", "H100-SXM", "--gpus", "8")  # fmt: skip
    fp32, eight = cli.json(*args), cli.json(*args, "--optimizer-states", "8bit")
    assert fp32["min_gpus"] == 16 and fp32["memory_gib_per_gpu"] > fp32["gpu_memory_gib"]
    assert eight["optimizer_states"] == "8bit" and eight["min_gpus"] == 8
    assert eight["memory_gib_per_gpu"] <= eight["gpu_memory_gib"] and "predict a step" in eight["layout_reason"]
    table = " ".join(cli.run(*args, "--optimizer-states", "8bit", env={"COLUMNS": "200"}).stdout.split())
    assert "2 + 2 + 6.004 bytes per parameter" in table and "Dettmers et al. 2022" in table
    assert cli.error(*args, "--optimizer-states", "4bit").startswith("scaling-plan: error: --optimizer-states:")
