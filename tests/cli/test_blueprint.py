"""Blueprints at the command line: budget --blueprint, shape, CSV, YAML, sweeps, compare and their errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from scaling_plan.shapes import Shape, count

from ..conftest import CONFIGS, Cli

# --- parameter totals of published models (within 1%) -----------------------------------------------------------

#: Exact totals, as the released checkpoints count them (the sum of every tensor's elements in their Hugging Face
#: configs' shapes): LLaMA-2-7B (Touvron et al. 2023: 32 x 4096, 32 heads, FFN 11,008, vocabulary 32,000),
#: Llama-3-8B and Llama-3-70B (Dubey et al. 2024: vocabulary 128,256, 8 key/value heads, FFN 14,336 and 28,672);
#: all SwiGLU, RMSNorm, untied embeddings.
EXACT = [
    ("LLaMA-2-7B", ("--layers", "32", "--d-model", "4096", "--heads", "32", "--d-ff", "11008", "--vocab-size", "32000"),
     6_738_415_616),
    ("Llama-3-8B", ("--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8", "--d-ff", "14336",
                    "--vocab-size", "128256"), 8_030_261_248),
    ("Llama-3-70B", ("--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8", "--d-ff", "28672",
                     "--vocab-size", "128256"), 70_553_706_496),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "published"), EXACT, ids=[e[0] for e in EXACT])
def test_explicit_shapes_of_released_models_count_exactly(
    cli: Cli, name: str, args: tuple[str, ...], published: int
) -> None:
    shape = cli.json("shape", *args, "--untied-embeddings")
    assert shape["params_total"] == published, name


def test_budget_blueprint_prints_shape_counts_memory_gpus_batch_lr_and_days(cli: Cli) -> None:
    args = ("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024")
    result = cli.run(*args)
    assert result.exit_code == 0, result.stderr
    for text in ("Layers", "d_model", "Non-embedding parameters", "FLOPs/token: full count", "Memory per GPU",
                 "Minimum GPUs", "Batch (tokens)", "Peak learning rate", "Training FLOPs, full count", "Wall-clock days"):  # fmt: skip
        assert text in result.stdout
    assert "extrapolate DeepSeek LLM's eq. 1" in result.stderr
    record = cli.json(*args)
    for field in ("n_layers", "d_model", "n_heads", "head_dim", "d_ff", "params_non_embedding",
                  "flops_per_token_full", "memory_gib_per_gpu", "min_gpus", "lr_peak", "batch_tokens",
                  "wall_clock_days_full"):  # fmt: skip
        assert record[field] is not None and record[field] > 0
    assert record["memory_gpus"] == 1024 and record["min_gpus"] <= 1024
    assert record["params_total"] == pytest.approx(record["n_params"], rel=0.02)
    # Training time uses the full count: days scale with full / 6N.
    ratio = record["flops_per_token_full"] / (6 * record["params_total"])
    assert record["full_to_6n_ratio"] == pytest.approx(ratio)
    # ... at the MFU of the layout's predicted step: a blueprint's default, where the GPU's bandwidths are known
    assert record["mfu_from"] == "predicted" and record["mfu"] == pytest.approx(record["mfu_predicted_full_count"])
    expected_days = record["flops_per_token_full"] * record["n_tokens"] / (989e12 * record["mfu"] * 86400 * 1024)
    assert record["wall_clock_days_full"] == pytest.approx(expected_days)
    assert cli.json(*args, "--mfu", "0.4")["wall_clock_days_full"] == pytest.approx(expected_days * record["mfu"] / 0.4)


def test_shape_counts_an_explicit_shape(cli: Cli) -> None:
    record = cli.json(
        "shape", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8", "--d-ff", "14336",
        "--vocab-size", "128000",
    )  # fmt: skip
    assert record["params_total"] == count(Shape(32, 4096, 32, 14336, 128000, n_kv_heads=8)).params_total
    assert record["target_n_params"] is None
    assert record["n_tokens"] == 20 * record["params_total"]


def test_shape_moe_reports_total_and_active(cli: Cli) -> None:
    record = cli.json("shape", "--params", "3B", "--experts", "16", "--active-experts", "2", "--shared-experts", "1")
    assert record["params_total"] > 3 * record["params_active"]
    assert record["params_active"] == pytest.approx(3e9, rel=0.05)
    assert record["flops_per_token_6n"] == 6 * record["params_active"]


def test_csv_carries_the_same_fields(cli: Cli) -> None:
    rows = cli.csv("shape", "--params", "1B", "--gpu", "A100-SXM")
    record = cli.json("shape", "--params", "1B", "--gpu", "A100-SXM")
    assert list(rows[0]) == list(record)


def test_blueprint_from_yaml_matches_flags(cli: Cli) -> None:
    from_file = cli.json("budget", "-c", str(CONFIGS / "blueprint-1e24.yaml"))
    from_flags = cli.json(
        "budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--blueprint", "--vocab-size", "128000",
        "--seq-len", "8192", "--ffn", "swiglu", "--kv-heads", "8", "--causal-attention", "--tp", "8",
        "--flash-attention", "--mfu", "0.4",
    )  # fmt: skip
    assert from_file == from_flags
    assert from_file["n_kv_heads"] == 8 and from_file["causal_attention"] is True


def test_sweep_rows_equal_single_blueprints(cli: Cli) -> None:
    """A sweep's rows take the MFU as a number (0.40 unless given), as budget does when given one: a blueprint's
    default, its predicted step, is one plan's."""
    rows = cli.json("sweep", "--budgets", "1e21,1e23", "--blueprint", "--gpu", "H100-SXM")["plans"]
    assert {row["mfu_from"] for row in rows} == {"assumed"}
    for row, flops in zip(rows, ("1e21", "1e23"), strict=True):
        single = cli.json("budget", "--flops", flops, "--blueprint", "--gpu", "H100-SXM", "--mfu", "0.4")
        assert {k: row[k] for k in single if k != "given_value"} == {
            k: v for k, v in single.items() if k != "given_value"
        }


def test_compare_shows_blueprint_rows(cli: Cli) -> None:
    records = cli.json("compare", str(CONFIGS / "blueprint-1e24.yaml"), str(CONFIGS / "flops-1e24.yaml"))["configs"]
    assert records[0]["min_gpus"] is not None and records[1]["min_gpus"] is None
    assert records[0]["n_layers"] > 0


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("shape", "--layers", "32", "--d-model", "4096", "--heads", "30"), "--heads: 30 heads do not divide"),
        (("shape", "--layers", "0", "--d-model", "4096"), "--layers: must be a whole number of at least 1, got 0"),
        (("shape", "--layers", "32", "--d-model", "4096", "--kv-heads", "5"), "--kv-heads: 5 key/value heads"),
        (("shape", "--layers", "32"), "--layers: an explicit shape needs --d-model too"),
        (("shape",), "give --params"),
        (("shape", "--params", "7B", "--layers", "2", "--d-model", "256"), "--params: give --params or"),
        (("shape", "--params", "7B", "--heads", "8"), "--heads: is part of an explicit shape"),
        (
            ("shape", "--params", "7B", "--active-experts", "2"),
            "--active-experts: active or shared experts, and an expert width, need",
        ),
        (("shape", "--params", "7B", "--experts", "8", "--active-experts", "9"), "--active-experts: must be"),
        (("shape", "--params", "7B", "--seq-len", "2.5"), "--seq-len: must be a whole number"),
        (("shape", "--params", "7B", "--vocab-size", "nan"), "--vocab-size: must be a finite number"),
        (
            (
                "budget",
                "--flops",
                "1e24",
                "--blueprint",
                "--gpu",
                "H100-SXM",
                "--sharding",
                "none",
                "--tp",
                "1",
                "--pp",
                "1",
            ),
            "--tp: 92,051,923,968 parameters fit on no number of H100-SXM GPUs (79.6 GiB each) with the settings given",
        ),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus", "64", "--tp", "3"), "--tp: 3 must divide the 64"),
        (("shape", "--params", "70B", "--gpu", "H100", "--tp", "16"), "--tp: tensor parallelism stays within a node"),
        (("shape", "--params", "70B", "--gpu", "H100", "--pp", "5"), "--pp: 5 must divide the 84 layers"),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus", "60", "--tp", "8"), "--gpus: 60 GPUs do not divide"),
        (("shape", "--params", "70B", "--gpu", "H100", "--cp", "3"), "--cp: 2 x 3 must divide the sequence length"),
        (
            ("shape", "--params", "70B", "--gpu", "H100", "--pp", "4", "--sharding", "zero-3"),
            "--sharding: zero-3 does not combine with pipeline parallelism",
        ),
        (("shape", "--params", "70B", "--gpu", "H100", "--tp", "0"), "--tp: must be a whole number of at least 1"),
        (("shape", "--params", "70B", "--gpu", "H100", "--gpus-per-node", "2.5"), "--gpus-per-node: must be a whole"),
    ],
)
def test_impossible_shapes_and_memory_are_one_line_errors(cli: Cli, args: tuple[str, ...], culprit: str) -> None:
    assert culprit in cli.error(*args)


def test_yaml_blueprint_errors_name_file_line_and_field(cli: Cli) -> None:
    config = {"budget": {"flops": 1e22}, "blueprint": {"n_layers": 4, "d_model": 1000, "n_heads": 3}}
    line = cli.error("budget", "-c", "-", input=yaml.safe_dump(config))
    assert "blueprint.n_heads: 3 heads do not divide d_model 1000" in line and "<stdin>:3:" in line
    line = cli.error("budget", "-c", "-", input="budget:\n  flops: 1e22\nblueprint:\n  layers: 4\n")
    assert "unknown key 'blueprint.layers'; did you mean 'n_layers'?" in line


def test_shape_flags_without_blueprint_warn(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e22", "--vocab-size", "32000")
    assert result.exit_code == 0
    assert "--vocab-size unused without --blueprint" in result.stderr


def test_no_nan_or_inf_in_blueprint_output(cli: Cli) -> None:
    record = cli.json("shape", "--params", "1e6", "--vocab-size", "256", "--gpu", "H100-SXM")
    for value in record.values():
        if isinstance(value, float):
            assert math.isfinite(value)


def test_the_off_flag_of_a_config_switch_overrides_the_config(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "tied.yaml"
    config.write_text("budget: {flops: 1e22}\nblueprint: {tied_embeddings: true}\n")
    assert cli.json("budget", "-c", str(config))["tied_embeddings"] is True
    assert cli.json("budget", "-c", str(config), "--untied-embeddings")["tied_embeddings"] is False
    line = cli.error("budget", "-c", str(config), "--untied-embeddings", "--tied-embeddings")
    assert "--tied-embeddings/--untied-embeddings" in line


def test_gpu_memory_is_what_the_device_reports(cli: Cli) -> None:
    """nvidia-smi's totals: 81,559 MiB for an H100 80GB and 81,920 MiB for an A100 80GB (binary: HBM stacks), not the
    74.5 GiB that 80e9 bytes would be."""
    listed = {gpu["name"]: gpu["memory_gib"] for gpu in cli.json("gpus")["gpus"]}
    assert listed["H100-SXM"] == pytest.approx(81559 / 1024, rel=1e-12)
    assert listed["A100-SXM"] == 80.0
    assert all(value > 79 for name, value in listed.items() if name != "TPU-v5p")


def test_a_size_no_shape_comes_near_is_refused_naming_the_nearest(cli: Cli) -> None:
    """Was: --params 10 gave a 33M model, +329813660%, and exit 0."""
    line = cli.error("shape", "--params", "1e5")
    assert "--params: no shape comes within 10% of 100K parameters: the nearest, 1 x 128" in line
    assert cli.error("shape", "--params", "10").endswith("did you mean 10B?")  # a size short of its suffix
    assert cli.error("budget", "--flops", "1e6", "--blueprint").startswith("scaling-plan: error: --blueprint: no shape")
    near = cli.run("shape", "--params", "7B", "-f", "json")  # a size shapes reach: no refusal, no warning
    assert near.exit_code == 0 and "no shape" not in near.stderr


def test_embeddings_that_dwarf_the_blocks_are_said(cli: Cli) -> None:
    small = cli.run("shape", "--params", "100M", "-f", "json")
    record = json.loads(small.stdout)
    share = record["params_embedding"] / record["params_total"]
    assert share > 0.5 and f"embeddings are {share:.0%} of the" in small.stderr
    sized = cli.run("shape", "--params", "100M", "--vocab-size", "32000", "-f", "json")
    assert sized.exit_code == 0 and "embeddings are" not in sized.stderr


def test_mixtral_8x7b_counts_its_published_total_and_active_parameters(cli: Cli) -> None:
    """Jiang et al. 2024 (Mixtral of Experts): 32 layers of 4,096, 32 heads with 8 key/value heads, 8 experts of
    SwiGLU width 14,336 with 2 used per token, vocabulary 32,000; 46.7B parameters, 12.9B active (Mistral's model
    card; the paper rounds them to 47B and 13B)."""
    shape = cli.json("shape", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8",
                     "--d-ff", "14336", "--vocab-size", "32000", "--experts", "8", "--active-experts", "2",
                     "--untied-embeddings")  # fmt: skip
    assert shape["params_total"] == pytest.approx(46.7e9, abs=0.05e9)
    assert shape["params_active"] == pytest.approx(12.9e9, abs=0.05e9)


def test_a_fine_grained_moe_counts_qwen_moe_a2_7b(cli: Cli) -> None:
    """Qwen1.5-MoE-A2.7B (Qwen team, 2024): 24 layers of 2,048, 16 heads, 60 routed experts of SwiGLU width 1,408
    with 4 used per token, and a shared expert of width 5,632 (four experts' worth: --shared-experts 4), vocabulary
    151,936; 14.3B parameters, 2.7B activated (its biases on Q, K and V, 6,144 per layer, are left out)."""
    shape = cli.json("shape", "--layers", "24", "--d-model", "2048", "--heads", "16", "--experts", "60",
                     "--active-experts", "4", "--shared-experts", "4", "--expert-d-ff", "1408", "--vocab-size",
                     "151936", "--untied-embeddings")  # fmt: skip
    assert shape["params_total"] == pytest.approx(14.3e9, abs=0.05e9)
    assert shape["params_active"] == pytest.approx(2.7e9, abs=0.05e9)
    assert shape["expert_d_ff"] == 1408
    assert "--expert-d-ff: is part of an explicit shape" in cli.error("shape", "--params", "7B", "--expert-d-ff", "128")
    assert "need routed experts" in cli.error("shape", "--layers", "2", "--d-model", "256", "--expert-d-ff", "128")


# --- families ---------------------------------------------------------------------------------------------------------

#: Sizes a family's rule lands on its own released models exactly (the totals of EXACT above; Llama 2 13B's
#: 13,015,864,320 as its checkpoint counts it: 40 x 5,120, FFN 13,824, vocabulary 32,000), and GPT-3's shapes
#: (Brown et al. 2020, Table 2.1).
FAMILY_SHAPES = [
    ("8B", "llama3", (32, 4096, 32, 8, 14336), 8_030_261_248),
    ("70B", "llama3", (80, 8192, 64, 8, 28672), 70_553_706_496),
    ("6.7B", "llama2", (32, 4096, 32, 32, 11008), 6_738_415_616),
    ("13B", "llama2", (40, 5120, 40, 40, 13824), 13_015_864_320),
    ("175B", "gpt3", (96, 12288, 96, 96, 49152), None),
    ("6.7B", "gpt3", (32, 4096, 32, 32, 16384), None),
]


@pytest.mark.parametrize(
    ("params", "family", "shape", "total"), FAMILY_SHAPES, ids=[f"{f[1]}-{f[0]}" for f in FAMILY_SHAPES]
)
def test_a_family_lands_on_its_released_shapes(
    cli: Cli, params: str, family: str, shape: tuple[int, ...], total: int | None
) -> None:
    record = cli.json("shape", "--params", params, "--family", family)
    assert (record["n_layers"], record["d_model"], record["n_heads"], record["n_kv_heads"], record["d_ff"]) == shape
    assert record["family"] == family
    if total is not None:
        assert record["params_total"] == total


def test_flags_beside_a_family_win(cli: Cli) -> None:
    record = cli.json("shape", "--params", "8B", "--family", "llama3", "--vocab-size", "32000", "--kv-heads", "4")
    assert record["vocab_size"] == 32000 and record["n_kv_heads"] == 4 and record["seq_len"] == 8192
    gelu = cli.json("shape", "--params", "8B", "--family", "llama3", "--ffn", "gelu")
    assert gelu["d_ff"] == 4 * gelu["d_model"]  # the family's SwiGLU rule does not carry over to another FFN
    text = cli.run("shape", "--params", "8B", "--family", "llama3", env={"COLUMNS": "120"}).stdout
    assert "Family llama3: Dubey et al. 2024" in " ".join(text.split())


def test_an_unknown_family_is_one_line(cli: Cli, tmp_path: Path) -> None:
    error = cli.error("shape", "--params", "8B", "--family", "llama4")
    assert "--family" in error and "llama4" in error
    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e24\nblueprint:\n  family: llama4\n")
    error = cli.error("budget", "--config", str(config))
    assert f"{config}:4" in error and "family" in error
