"""simulate: runs from a known law, which fit recovers; seeded, repeatable, and refused where it cannot be."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scaling_plan.presets import PRESETS

from ..conftest import Cli

GRID = ("--budgets", "1e18,3e18,1e19,3e19,1e20,3e20,1e21", "--sizes-per-budget", "9")


@pytest.mark.slow
def test_fit_recovers_the_law_the_runs_came_from(cli: Cli, tmp_path: Path) -> None:
    """Besiroglu et al. 2024's constants (Table 1), 63 runs with 0.5% noise: each lies in the bootstrap's 90% interval."""
    runs = tmp_path / "runs.csv"
    runs.write_text(cli.run("simulate", *GRID, "--law", "epoch-2024", "--noise", "0.005", "--format", "csv").stdout)
    fitted = cli.json("fit", str(runs), "--bootstrap", "200")
    law = PRESETS["epoch-2024"]
    for name in ("E", "A", "B", "alpha", "beta"):
        truth = getattr(law, name)
        assert fitted[f"{name}_low"] <= truth <= fitted[f"{name}_high"], (name, truth, fitted[f"{name}_low"])


def test_the_losses_are_the_laws_seeded_and_repeatable(cli: Cli) -> None:
    law = PRESETS["chinchilla-2022"]
    exact = cli.json("simulate", "--budgets", "1e19,1e20", "--law", "chinchilla-2022")["runs"]
    assert all(run["loss_nats"] == law.loss(run["n_params"], run["n_tokens"]) for run in exact)
    noisy = cli.json("simulate", "--budgets", "1e19,1e20", "--noise", "0.01", "--seed", "7", "--repeats", "3")["runs"]
    assert (
        noisy
        == cli.json("simulate", "--budgets", "1e19,1e20", "--noise", "0.01", "--seed", "7", "--repeats", "3")["runs"]
    )
    assert [run["repeat"] for run in noisy] == [1] * 14 + [2] * 14 + [3] * 14
    first, second = noisy[0]["loss_nats"], noisy[14]["loss_nats"]
    assert first != second and abs(first / second - 1) < 0.1  # each copy its own noise, of about 1%
    other = cli.json("simulate", "--budgets", "1e19,1e20", "--noise", "0.01", "--seed", "8")["runs"]
    assert other[0]["loss_nats"] != first


def test_bad_input_is_one_line(cli: Cli, tmp_path: Path) -> None:
    assert "--noise" in cli.error("simulate", "--budgets", "1e19", "--noise", "2")
    frontier = tmp_path / "frontier.yaml"
    frontier.write_text("kind: frontier\nk_n: 0.14\na: 0.49\nE: 1.52\nA: 287.6\ngamma: 0.122\n")
    assert "is a frontier, with no loss away from it" in cli.error(
        "simulate", "--budgets", "1e19", "--law", str(frontier)
    )
    assert "a grid holds at most" in cli.error("simulate", "--budgets", "1e18,1e19,1e20", "--sizes-per-budget", "100",
                                               "--repeats", "100")  # fmt: skip
    assert "--budgets" in cli.error("simulate", "--budgets", "1e19,1e19")


@pytest.mark.slow
def test_the_output_matches_its_schema(cli: Cli) -> None:
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    document = cli.json("simulate", "--budgets", "1e19", "--noise", "0.01", "--repeats", "2")
    jsonschema.validate(document, {"$ref": "#/$defs/SimulateOutput", "$defs": schema["$defs"]})


@pytest.mark.parametrize("law", ["kaplan-2020", "datablations-2023"])
def test_every_law_with_a_loss_simulates(cli: Cli, law: str) -> None:
    runs = cli.json("simulate", "--budgets", "1e19", "--law", law)["runs"]
    assert len(runs) == 7 and all(run["loss_nats"] > 0 for run in runs)
