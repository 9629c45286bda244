"""The printed JSON Schemas: every example file validates against them, and so does every command's JSON output."""

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ..conftest import CONFIGS, ROOT, Cli

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))
LAW_FILES = sorted((CONFIGS / "laws").glob("*.yaml"))


def printed_schema(cli: Cli, *args: str) -> dict[str, Any]:
    return _printed_schema(args)


@functools.cache
def _printed_schema(args: tuple[str, ...]) -> dict[str, Any]:
    """Printed and checked once per session: the schema is the same for every test, and building it is the slow part."""
    result = Cli().run("schema", *args)
    assert result.exit_code == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_every_config_validates_against_the_printed_schema(cli: Cli, path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), printed_schema(cli))


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.name)
def test_every_law_file_validates_against_the_printed_law_schema(cli: Cli, path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), printed_schema(cli, "--law-file"))


@pytest.mark.parametrize(
    "config",
    [
        {"budget": {"flops": 1e24}, "hardwre": {}},
        {"budget": {"flops": "lots"}},
        {"run": {"n_params": "7B"}},
        {"allocation": {"method": "guess"}},
        {"policy": {"max_loss_gap": [1]}},
    ],
)
def test_the_schema_rejects_what_the_tool_rejects(cli: Cli, config: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, printed_schema(cli))
    assert cli.run("budget", "-c", "-", input=yaml.safe_dump(config)).exit_code == 2


@functools.cache
def _output_validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = _printed_schema(("--output-schema",))
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}", "anyOf": [{}]})


def output_validator(cli: Cli, definition: str) -> jsonschema.Draft202012Validator:
    return _output_validator(definition)


OUTPUTS = [
    ("BudgetOutput", ("budget", "--flops", "1e24")),
    ("BudgetOutput", ("budget", "-c", str(CONFIGS / "gopher-280b.yaml"), "--compare-laws")),
    ("BudgetOutput", ("budget", "-c", str(CONFIGS / "h100-cluster-30d.yaml"))),
    ("SweepOutput", ("sweep", "--from", "1e18", "--to", "1e26", "--per-decade", "1", "--compare-laws")),
    ("CompareOutput", ("compare", str(CONFIGS / "chinchilla-70b.yaml"), str(CONFIGS / "flops-1e24.yaml"))),
    ("CheckOutput", ("check", str(CONFIGS / "chinchilla-70b.yaml"))),
    ("LawsOutput", ("laws",)),
    ("FitOutput", ("fit", str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"), "--bootstrap", "5")),
    ("FitOutput", ("fit", str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"))),
    ("ExperimentsOutput", ("experiments", "--budgets", "1e18,1e19")),
    (
        "IsoflopFitOutput",
        (
            "fit",
            str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"),
            "--approach",
            "isoflop",
            "--budget-rtol",
            "0.2",
            "--bootstrap",
            "5",
        ),
    ),
    (
        "BacktestOutput",
        (
            "backtest",
            str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"),
            "--holdout-above",
            "1e21",
            "--approach",
            "both",
            "--budget-rtol",
            "0.2",
            "--law",
            "epoch-2024",
        ),
    ),
    ("GpusOutput", ("gpus",)),
    ("BudgetOutput", ("budget", "-c", str(CONFIGS / "data-limited-served.yaml"), "--compare-laws")),
    (
        "BudgetOutput",
        (
            "budget",
            "--flops",
            "1e24",
            "--inference-tokens",
            "2T",
            "--gpu",
            "H100-SXM",
            "--price-per-gpu-hour",
            "2",
            "--inference-mfu",
            "0.1",
            "--unique-tokens",
            "1T",
        ),
    ),
    (
        "SweepOutput",
        (
            "sweep",
            "--from",
            "1e20",
            "--to",
            "1e24",
            "--unique-tokens",
            "25B",
            "--inference-tokens",
            "1T",
            "--compare-laws",
        ),
    ),
    ("CompareOutput", ("compare", str(CONFIGS / "data-limited-served.yaml"), str(CONFIGS / "flops-1e24.yaml"))),
    ("CheckOutput", ("check", str(CONFIGS / "data-limited-served.yaml"))),
    ("PredictOutput", ("predict", "--params", "70B", "--tokens", "1.4T")),
    ("BudgetOutput", ("budget", "--flops", "1e24", "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024")),
    ("BudgetOutput", ("budget", "-c", str(CONFIGS / "blueprint-1e24.yaml"), "--compare-laws")),
    ("ShapeOutput", ("shape", "--params", "7B", "--kv-heads", "8", "--gpu", "H100-SXM", "--price-per-gpu-hour", "2")),
    ("ShapeOutput", ("shape", "--layers", "24", "--d-model", "2048", "--experts", "64", "--active-experts", "6")),
    ("SweepOutput", ("sweep", "--from", "1e20", "--to", "1e24", "--blueprint", "--gpu", "A100-SXM")),
    ("CompareOutput", ("compare", str(CONFIGS / "blueprint-1e24.yaml"), str(CONFIGS / "flops-1e24.yaml"))),
    (
        "PredictOutput",
        ("predict", "--params", "6.34B", "--tokens", "242B", "--unique-tokens", "25B", "--gpu", "A100-SXM"),
    ),
]


@pytest.mark.parametrize(("definition", "args"), OUTPUTS, ids=lambda x: x if isinstance(x, str) else x[0])
@pytest.mark.slow
def test_json_output_matches_the_output_schema(cli: Cli, definition: str, args: tuple[str, ...]) -> None:
    output_validator(cli, definition).validate(cli.json(*args))


def test_jsonl_lines_match_the_sweep_record_schema(cli: Cli) -> None:
    result = cli.run("sweep", "--budgets", "1e20,1e22", "--compare-laws", "--format", "jsonl")
    validator = output_validator(cli, "SweepRecord")
    for line in result.stdout.splitlines():
        validator.validate(json.loads(line))


def test_the_output_schema_catches_drift(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24")
    validator = output_validator(cli, "BudgetOutput")
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**plan, "surprise_field": 1})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({key: value for key, value in plan.items() if key != "n_params"})


@pytest.mark.slow
def test_a_plan_with_bootstrap_intervals_matches_the_output_schema(cli: Cli, tmp_path: Path) -> None:
    law = tmp_path / "fitted.yaml"
    runs = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
    assert cli.run("fit", runs, "--bootstrap", "10", "-o", str(law)).exit_code == 0
    plan = cli.json("budget", "--law", str(law), "--flops", "1e22", "--method", "law")
    assert "n_params_low" in plan
    output_validator(cli, "BudgetOutput").validate(plan)
