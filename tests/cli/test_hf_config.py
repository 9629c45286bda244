"""shape --hf-config: a released model's exact counts at the command line and in the API, and bad files in one line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import scaling_plan as sp

from ..conftest import ROOT, Cli

CONFIGS = ROOT / "tests" / "data" / "hf_configs"
MIXTRAL = str(CONFIGS / "mixtral-8x7b.json")


def test_json_csv_and_the_table_give_the_exact_counts(cli: Cli) -> None:
    record = cli.json("shape", "--hf-config", MIXTRAL)
    assert (record["model_type"], record["params_total"], record["params_active"]) == (
        "mixtral", 46_702_792_704, 12_879_925_248,
    )  # fmt: skip
    assert (record["experts"], record["active_experts"], record["attention"]) == (
        8, 2, "grouped-query, 8 KV heads",
    )  # fmt: skip
    assert record["flops_per_token_6n"] == 6 * 12_879_925_248
    assert record["kv_cache_bytes_per_token"] == 32 * 2 * 8 * 128 * 2
    row = cli.csv("shape", "--hf-config", MIXTRAL)[0]
    assert int(row["params_total"]) == 46_702_792_704 and row["not_counted"] == ""
    table = " ".join(cli.run("shape", "--hf-config", MIXTRAL, "--format", "table").stdout.split())
    assert "Parameters (total, exact) │ 46,702,792,704" in table
    assert "KV cache per token │ 128 KiB" in table


def test_a_folder_holding_config_json_is_read(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text((CONFIGS / "gpt2.json").read_text())
    assert cli.json("shape", "--hf-config", str(tmp_path))["params_total"] == 124_439_808


def test_what_the_count_leaves_out_is_said(cli: Cli) -> None:
    result = cli.run("shape", "--hf-config", str(CONFIGS / "deepseek-v3.json"))
    assert result.exit_code == 0, result.stderr
    assert "Not counted: 1 multi-token-prediction module (num_nextn_predict_layers)." in " ".join(result.stdout.split())
    record = cli.json("shape", "--hf-config", str(CONFIGS / "deepseek-v3.json"))
    assert record["not_counted"] == "1 multi-token-prediction module (num_nextn_predict_layers)"
    assert record["attention"] == "latent, rank 512 + 64 rotary"


def test_the_api_gives_what_the_command_prints(cli: Cli) -> None:
    result = sp.architecture(MIXTRAL)
    assert (result.counts.params_total, result.counts.params_active) == (46_702_792_704, 12_879_925_248)
    assert result.counts.kv_cache_bytes_per_token == 128 * 1024
    assert result.to_dict() == cli.json("shape", "--hf-config", MIXTRAL)


@pytest.mark.slow
def test_the_output_matches_its_schema(cli: Cli) -> None:
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    definition = {"$ref": "#/$defs/ArchitectureOutput", "$defs": schema["$defs"]}
    for name in ("mixtral-8x7b", "deepseek-v3", "gpt2"):
        jsonschema.validate(cli.json("shape", "--hf-config", str(CONFIGS / f"{name}.json")), definition)


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ('{"model_type": "bert"}', ":1: model_type: 'bert' is not a model type read here (read: llama, mistral"),
        ('{"hidden_size": 8}', ": model_type: missing"),
        ('{"model_type": "llama", "hidden_size": 4096}', ": num_attention_heads: required by model_type 'llama'"),
        ('{"model_type": "llama",\n "hidden_size": -4}', ":2: hidden_size: must be a whole number of at least 1"),
        (
            json.dumps(json.loads((CONFIGS / "llama-2-7b.json").read_text()) | {"tie_word_embeddings": "yes"}),
            ":1: tie_word_embeddings: must be true or false, got 'yes'",
        ),
        ("[1, 2]", ":1: not a JSON object"),
        ('{"model_type": "llama",', "malformed"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_file_and_key(cli: Cli, tmp_path: Path, text: str, culprit: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    result = cli.run("shape", "--hf-config", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert culprit in result.stderr
    with pytest.raises(sp.ScalingPlanError) as raised:
        sp.architecture(path)
    assert culprit in str(raised.value)


def test_a_missing_file_and_flags_beside_it_are_refused(cli: Cli) -> None:
    assert "--hf-config: Hugging Face config.json 'nowhere.json' not found" in cli.error(
        "shape", "--hf-config", "nowhere.json"
    )
    assert (
        "--hf-config: counts the file, with its shape flags over it; --params cannot be given beside it yet"
        in cli.error("shape", "--hf-config", MIXTRAL, "--params", "7B")
    )


def test_shape_flags_beside_the_file_replace_what_it_says(cli: Cli) -> None:
    llama_3_8b = str(CONFIGS / "llama-3-8b.json")
    record = cli.json("shape", "--hf-config", llama_3_8b, "--layers", "40", "--kv-heads", "4")
    # Llama-3-8B's blocks (d 4096, 32 heads of 128, SwiGLU 14336, RMSNorm), 40 of them with 4 key/value heads
    block = 2 * 4096 * 4096 + 2 * 4096 * 4 * 128 + 3 * 4096 * 14336 + 2 * 4096
    assert record["params_non_embedding"] == 40 * block + 4096
    assert (record["n_layers"], record["n_kv_heads"], record["head_dim"]) == (40, 4, 128)
    assert record["kv_cache_bytes_per_token"] == 40 * 2 * 4 * 128 * 2
    table = " ".join(cli.run("shape", "--hf-config", llama_3_8b, "--layers", "40").stdout.split())
    assert "Over the file: --layers 40." in table
    assert sp.architecture(llama_3_8b, n_layers=40, n_kv_heads=4).to_dict() == record
    assert "is dense: it has no experts" in cli.error("shape", "--hf-config", llama_3_8b, "--experts", "8")
    assert "--family" in cli.error("shape", "--hf-config", llama_3_8b, "--family", "llama3")
    assert "must divide the 32 attention heads" in cli.error("shape", "--hf-config", llama_3_8b, "--kv-heads", "5")
    mixtral = cli.json("shape", "--hf-config", MIXTRAL, "--active-experts", "1")
    assert mixtral["params_active"] == 12_879_925_248 - 32 * 3 * 4096 * 14336
    served = cli.json("serve", "--hf-config", llama_3_8b, "--kv-heads", "4", "--gpu", "H100", "--gpus", "1")
    assert served["kv_cache_bytes_per_token"] == 32 * 2 * 4 * 128 * 2
    assert served["model"].endswith("with --kv-heads 4")


def test_predict_takes_its_parameters_from_a_config(cli: Cli) -> None:
    llama_3_8b = str(CONFIGS / "llama-3-8b.json")
    from_file = cli.json("predict", "--hf-config", llama_3_8b, "--tokens", "15T", "--law", "epoch-2024")
    typed = cli.json("predict", "--params", "8030261248", "--tokens", "15T", "--law", "epoch-2024")
    assert from_file == typed
    moe = cli.run("predict", "--hf-config", MIXTRAL, "--tokens", "1T", "--format", "json")
    assert moe.exit_code == 0 and json.loads(moe.stdout)["n_params"] == 12_879_925_248
    assert "a mixture of experts; N is the 12,879,925,248 parameters a token uses" in moe.stderr
    assert "one of them" in cli.error("predict", "--hf-config", llama_3_8b, "--params", "8B", "--tokens", "1T")
    assert "one of them" in cli.error("predict", "--tokens", "1T")


def test_budget_lays_out_a_released_model_a_shape_counts_exactly(cli: Cli) -> None:
    record = cli.json("budget", "--flops", "1e24", "--hf-config", str(CONFIGS / "llama-3-70b.json"), "--gpu", "H100")
    assert (record["params_total"], record["n_layers"], record["n_kv_heads"], record["vocab_size"]) == (
        70_553_706_496, 80, 8, 128_256,
    )  # fmt: skip
    assert record["n_params"] == pytest.approx(91.3e9, rel=0.01)  # the plan stays the compute-optimal one beside it
    table = cli.run("budget", "--flops", "1e24", "--hf-config", str(CONFIGS / "llama-3-70b.json"), "-q").stdout
    assert "Blueprint: 80 layers x d_model 8,192 (from " in table
    served = cli.json(
        "budget", "--flops", "1e24", "--hf-config", MIXTRAL, "--serve", "--gpu", "H100", "--price-per-gpu-hour", "2"
    )
    assert (served["params_total"], served["params_active"]) == (46_702_792_704, 12_879_925_248)
    assert "--family cannot be given" in cli.error("budget", "--flops", "1e24", "--hf-config", MIXTRAL, "--family",
                                                   "llama3")  # fmt: skip


@pytest.mark.parametrize("name", sorted(path.stem for path in CONFIGS.glob("*.json")))
def test_budget_lays_out_every_released_model_as_shape_counts_it(cli: Cli, name: str) -> None:
    """Every supported model type (head widths, query/key norms, four norms a layer, each style's biases, latent
    attention, dense first layers, gated shared experts, router biases) is laid out with the count `shape
    --hf-config` gives, which tests/domain/test_architectures.py holds to the makers' published counts."""
    config = str(CONFIGS / f"{name}.json")
    counted = cli.json("shape", "--hf-config", config)
    record = cli.json("budget", "--flops", "1e24", "--hf-config", config, "--gpu", "H100")
    assert (record["params_total"], record["params_active"]) == (counted["params_total"], counted["params_active"])
    assert record["params_embedding"] == counted["params_embedding"]
    assert record["memory_gib_per_gpu"] <= record["gpu_memory_gib"]  # a layout that fits was found


def test_a_blueprint_of_a_released_model_says_its_parts_and_what_it_leaves_out(cli: Cli) -> None:
    notes = cli.run("budget", "--flops", "1e24", "--hf-config", str(CONFIGS / "deepseek-v3.json")).stdout
    assert "multi-head latent attention; 3 dense first layers; a router bias." in notes
    assert "Left out: 1 multi-token-prediction module" in notes
    gemma = cli.run("budget", "--flops", "1e24", "--hf-config", str(CONFIGS / "gemma-2-9b.json")).stdout
    assert "heads 256 wide; 4 norms a layer." in gemma
    pythia = cli.json("budget", "--flops", "1e24", "--hf-config", str(CONFIGS / "pythia-160m.json"))
    assert (pythia["style"], pythia["head_dim"]) == ("neox", 64)


def test_the_api_plans_with_a_released_model_as_budget_does(cli: Cli) -> None:
    config = str(CONFIGS / "deepseek-v3.json")
    result = sp.plan(flops=1e24, hf_config=config, gpu="H100")
    assert result.to_dict() == cli.json("budget", "--flops", "1e24", "--hf-config", config, "--gpu", "H100")
    assert any("the blueprint's own model has 37,552,297,472 parameters" in line for line in result.warnings)
