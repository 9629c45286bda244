"""Help and shell completion as a newcomer meets them."""

from __future__ import annotations

import os

import pytest

from scaling_plan.cli import app

from .conftest import Cli

COMMANDS = ["budget", "shape", "predict", "sweep", "compare", "check", "fit", "experiments", "plot", "schema", "laws",
            "gpus"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_dash_h(cli: Cli, command: str) -> None:
    short, long = cli.run(command, "-h"), cli.run(command, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout and "Usage: " in short.stdout


def test_help_names_the_quantity_each_value_counts(cli: Cli) -> None:
    text = cli.run("budget", "--help", env={"COLUMNS": "120"}).stdout
    for metavar in ("FLOPS", "USD", "GPU_HOURS", "PARAMS", "TOKENS", "NATS", "FRACTION", "COUNT", "NAME|PATH"):
        assert metavar in text, metavar
    assert "<str>" not in text


def test_the_plot_extra_is_written_out_whole(cli: Cli) -> None:
    assert "pip install 'scaling-plan[plot]'" in cli.run("plot", "--help", env={"COLUMNS": "120"}).stdout


def complete(words: str) -> list[str]:
    """What bash completion offers for the last word of `words` (the environment a completion script sets)."""
    from typer.testing import CliRunner

    env = {"_SCALING_PLAN_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    result = CliRunner().invoke(app, [], env=env, prog_name="scaling-plan")
    return result.stdout.split()


def test_completion_offers_gpu_presets_and_aliases() -> None:
    assert complete("scaling-plan budget --gpu H1") == ["H100-SXM", "H100-PCIe", "H100"]
    assert complete("scaling-plan shape --gpu h2") == ["h200"]  # kept as typed: any case names the same GPU


def test_completion_offers_law_presets_and_law_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert complete("scaling-plan budget --law ep") == ["epoch-2024"]
    assert complete("scaling-plan budget --law configs/la") == [f"configs{os.sep}laws{os.sep}".replace("//", "/")]
    assert "configs/laws/sardana-2024.yaml" in complete("scaling-plan sweep --law configs/laws/s")


def test_completion_offers_commands_and_choices() -> None:
    assert complete("scaling-plan sw") == ["sweep"]
    assert complete("scaling-plan budget --format j") == ["json"]


def test_the_completion_script_can_be_shown() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="scaling-plan")
    assert result.exit_code == 0 and "_SCALING_PLAN_COMPLETE=complete_bash" in result.stdout
