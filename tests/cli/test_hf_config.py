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
    assert "--hf-config: counts the file alone; --params cannot be given beside it yet" in cli.error(
        "shape", "--hf-config", MIXTRAL, "--params", "7B"
    )
