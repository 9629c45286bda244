"""The printed schema enforces what the tool enforces: each wrong config below is refused both by `scaling-plan budget
-c` (exit 2, one line naming file:line) and by validating against `scaling-plan schema`; every example config and
each valid edge case passes both. YAML is read as YAML 1.2, as editors' language servers read it."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from scaling_plan.inputs.yaml_files import _core_schema

from ..conftest import CONFIGS, Cli

BUDGET = "budget:\n  flops: 1e22\n"
H100 = "hardware:\n  gpu: H100-SXM\n"

WRONG = {
    "two budgets": "budget:\n  flops: 1e24\n  dollars: 5\n",
    "a budget and a target": BUDGET + "target:\n  params: 70B\n",
    "an empty budget": "budget: {}\n",
    "an empty target": "target: {}\n",
    "two targets": "target:\n  params: 70B\n  tokens: 1T\n",
    "no budget, target or run": "name: plan\n",
    "mfu above 1": BUDGET + H100 + "  mfu: 1.5\n",
    "mfu of zero": BUDGET + H100 + "  mfu: 0\n",
    "negative mfu": BUDGET + H100 + "  mfu: -0.1\n",
    "zero GPUs": BUDGET + H100 + "  gpus: 0\n",
    "half a GPU": BUDGET + H100 + "  gpus: 512.5\n",
    "zero price": BUDGET + H100 + "  price_per_gpu_hour: 0\n",
    "an unknown GPU": BUDGET + "hardware:\n  gpu: V100\n",
    "a GPU that is a number": BUDGET + "hardware:\n  gpu: 100\n",
    "half a layer": BUDGET + "blueprint:\n  n_layers: 32.5\n  d_model: 4096\n",
    "a fractional width": BUDGET + "blueprint:\n  n_layers: 32\n  d_model: 4096.7\n",
    "zero micro-batch": BUDGET + "blueprint:\n  micro_batch: 0\n",
    "negative experts": BUDGET + "blueprint:\n  experts: -1\n",
    "yes for a boolean (YAML 1.1 only)": BUDGET + "blueprint:\n  tied_embeddings: yes\n",
    "on for a boolean (YAML 1.1 only)": BUDGET + "blueprint:\n  causal_attention: on\n",
    "an unknown FFN": BUDGET + "blueprint:\n  ffn: relu\n",
    "an unknown style": BUDGET + "blueprint:\n  style: bert\n",
    "an unknown sharding": BUDGET + "blueprint:\n  sharding: zero-4\n",
    "an unknown recompute": BUDGET + "blueprint:\n  recompute: partial\n",
    "NaN FLOPs": "budget:\n  flops: .nan\n",
    "infinite days": H100 + "  gpus: 8\nbudget:\n  days: .inf\n",
    "FLOPs past float range": "budget:\n  flops: 1e400\n",
    "FLOPs as text past float range": "budget:\n  flops: '1e400'\n",
    "negative FLOPs": "budget:\n  flops: -1e24\n",
    "zero FLOPs": "budget:\n  flops: 0\n",
    "zero FLOPs as text": "budget:\n  flops: '0e10'\n",
    "an ellipsis": "budget:\n  flops: ...\n",
    "letters": "budget:\n  flops: eee\n",
    "two decimal points": "budget:\n  flops: 1.2.3B\n",
    "a thousands comma": BUDGET + "data:\n  unique_tokens: '1,000'\n",
    "a negative dollar amount": H100 + "  price_per_gpu_hour: 2\nbudget:\n  dollars: $-5\n",
    "a boolean budget": "budget:\n  flops: true\n",
    "a fractional exponent": BUDGET + "blueprint:\n  vocab_size: 1e3.5\n",
    "zero tokens per parameter": BUDGET + "allocation:\n  tokens_per_param: 0\n",
    "an unknown method": BUDGET + "allocation:\n  method: guess\n",
    "an unknown law": BUDGET + "allocation:\n  law: epoch-2025\n",
    "an unknown objective": BUDGET + "inference:\n  tokens: 1T\n  objective: speed\n",
    "negative inference tokens": BUDGET + "inference:\n  tokens: -1\n",
    "inference MFU above 1": BUDGET + "inference:\n  tokens: 1T\n  mfu: 2\n",
    "a run without tokens": "run:\n  n_params: 70B\n",
    "a run of half a parameter": "run:\n  n_params: 0.5\n  n_tokens: 1T\n",
    "a model size without its suffix": "target:\n  params: 70\n",
    "training tokens without their suffix": "run:\n  n_params: 70B\n  n_tokens: 1.4\n",
    "thousands separators in a count": "target:\n  tokens: '15,000,000,000,000'\n",
    "money in groups of two": H100 + "  price_per_gpu_hour: 2\nbudget:\n  dollars: '$2,00,000'\n",
    "a negative policy limit": BUDGET + "policy:\n  max_loss_gap: -1\n",
    "a policy limit that is a list": BUDGET + "policy:\n  max_epochs: [1]\n",
    "an unknown top-level key": BUDGET + "hardwre:\n  gpu: H100-SXM\n",
    "an unknown section key": BUDGET + "hardware:\n  gpux: H100-SXM\n",
    "a section that is a number": "budget: 5\n",
    "a section that is a list": BUDGET + "hardware: [H100-SXM]\n",
    "a name that is a list": BUDGET + "name: [1, 2]\n",
    "a name that is a number (YAML 1.2)": BUDGET + "name: 1e22\n",
}

VALID = {
    "a GPU in lower case with an underscore": BUDGET + "hardware:\n  gpu: h100_sxm\n",
    "a GPU by its alias": BUDGET + "hardware:\n  gpu: a100\n",
    "a law preset in capitals": BUDGET + "allocation:\n  law: EPOCH-2024\n",
    "a method in capitals": BUDGET + "allocation:\n  method: LAW\n",
    "a sharding in mixed case": BUDGET + "blueprint:\n  sharding: Zero-3\n",
    "dollars with thousands separators": H100 + "  price_per_gpu_hour: 2.5\nbudget:\n  dollars: '$2,000,000'\n",
    "FLOPs as text": "budget:\n  flops: '1e24'\n",
    "dollars with a suffix": H100 + "  price_per_gpu_hour: 2.5\nbudget:\n  dollars: $2M\n",
    "a whole number written with a decimal point": BUDGET + "blueprint:\n  n_layers: 32.0\n  d_model: 4096\n",
    "true for a boolean": BUDGET + "blueprint:\n  tied_embeddings: true\n",
    "zero inference tokens": BUDGET + "inference:\n  tokens: 0\n",
    "zero experts": BUDGET + "blueprint:\n  experts: 0\n",
    "a run alone": "run:\n  n_params: 70B\n  n_tokens: 1.4T\n",
    "a target alone": "target:\n  params: 7B\n",
    "a zero policy limit": BUDGET + "policy:\n  max_loss_gap: 0\n",
}


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    result = Cli().run("schema")
    assert result.exit_code == 0, result.stderr
    return jsonschema.Draft202012Validator(json.loads(result.stdout))


def as_an_editor_reads(text: str) -> Any:
    return yaml.load(text, Loader=_core_schema(yaml.SafeLoader))  # a safe loader, with YAML 1.2 resolution


@pytest.mark.parametrize("text", WRONG.values(), ids=list(WRONG))
def test_a_wrong_config_is_refused_by_the_tool_and_by_the_schema(cli: Cli, tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    assert str(path) in cli.error("budget", "-c", str(path))
    assert not validator().is_valid(as_an_editor_reads(text))


@pytest.mark.parametrize("text", VALID.values(), ids=list(VALID))
def test_a_valid_edge_case_passes_both(cli: Cli, tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    result = cli.run("budget", "-c", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    validator().validate(as_an_editor_reads(text))


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_config_passes_both(cli: Cli, path: Path) -> None:
    assert cli.run("budget", "-c", str(path), "--format", "json").exit_code == 0
    validator().validate(as_an_editor_reads(path.read_text()))


def test_yaml_is_read_as_yaml_1_2() -> None:
    """The YAML 1.2 core schema (section 10.3.2), where it differs from YAML 1.1."""
    document = as_an_editor_reads(
        "a: yes\nb: on\nc: 010\nd: 0o10\ne: 0x1f\nf: 1e24\ng: 2026-12-01\nh: 1_000\ni: True\nj: ~\nk: .NaN\n"
    )
    assert document["a"] == "yes" and document["b"] == "on"
    assert document["c"] == 10 and document["d"] == 8 and document["e"] == 31
    assert document["f"] == 1e24 and isinstance(document["f"], float)
    assert document["g"] == "2026-12-01" and document["h"] == "1_000"
    assert document["i"] is True and document["j"] is None and math.isnan(document["k"])
