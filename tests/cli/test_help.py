"""Help and shell completion as a newcomer meets them."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from scaling_plan.cli import app

from ..conftest import Cli

COMMANDS = list(get_command(app).commands)  # type: ignore[attr-defined]  # every command, a new one too


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.slow
def test_every_command_answers_dash_h(cli: Cli, command: str) -> None:
    short, long = cli.run(command, "-h"), cli.run(command, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout
    params = get_command(app).commands[command].params  # type: ignore[attr-defined]
    options = [
        name for param in params if not getattr(param, "hidden", False) for name in param.opts if name[:2] == "--"
    ]
    assert options and [name for name in options if name not in short.stdout] == []


@pytest.mark.parametrize("command", COMMANDS)
def test_no_help_reads_as_a_non_finite_number(cli: Cli, command: str) -> None:
    """Output is checked for NaN and inf as numbers (the fuzz walk's rule); help words them otherwise ("not a
    number"), so that the check holds for every output, help included."""
    from ..fuzz.fuzzing import NON_FINITE

    assert NON_FINITE.search(cli.run(command, "--help").stdout) is None


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
    from ..conftest import ROOT

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
    assert result.exit_code == 0, (result.exception, result.stdout, result.stderr)
    assert "_SCALING_PLAN_COMPLETE=complete_bash" in result.stdout


@pytest.mark.slow
def test_the_shell_named_is_the_shell_served_whatever_shell_runs_the_command() -> None:
    """Under sh (a container's or a CI's shell), `--show-completion bash` is bash's script, not "sh not supported"."""
    import subprocess
    import sys

    for shell, mark in (("bash", "complete_bash"), ("zsh", "#compdef scaling-plan"), ("fish", "complete_fish")):
        command = f"{sys.executable} -m scaling_plan --show-completion {shell}"
        result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and mark in result.stdout, (shell, result.stderr)
    refused = subprocess.run(["sh", "-c", f"{sys.executable} -m scaling_plan --show-completion sh"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--show-completion" in refused.stderr


def _command(name: str) -> Any:
    import typer

    group = typer.main.get_command(app)
    return group.commands[name]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_option_names_and_metavars_stand_whole_at_80_columns(cli: Cli, command: str) -> None:
    text = cli.run(command, "--help", env={"COLUMNS": "80"}).stdout
    names = [name for param in _command(command).params for name in (*param.opts, *param.secondary_opts)]
    rows = [line for line in text.splitlines() if line.startswith("│")]
    for name in names:
        if name.startswith("--"):
            assert any(re.search(rf"│ +(\* +)?{re.escape(name)}( |,)", row) for row in rows), name
    assert "…" not in text
    for line in text.splitlines():
        assert len(line) <= 80, line
    # A flag takes no value, so it shows no type; a value shows what it counts, never a Python type.
    for python_type in ("<bool>", "<str>", "<int>", "<float>", "<list", "<int range>", "<float range>"):
        assert python_type not in text, python_type


def _examples(command: str) -> list[tuple[str, str]]:
    """A command's examples from its help: what each does, and the command line."""
    epilog = _command(command).epilog or ""
    lines = epilog.split("```")[1].strip().splitlines()
    assert all(
        what.startswith("# ") and not line.startswith("#") for what, line in zip(lines[::2], lines[1::2], strict=True)
    )
    return [(what.removeprefix("# "), line) for what, line in zip(lines[::2], lines[1::2], strict=True)]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_teaches_with_two_to_four_examples(cli: Cli, command: str) -> None:
    examples = _examples(command)
    assert 2 <= len(examples) <= 4, examples
    text = cli.run(command, "--help", env={"COLUMNS": "100"}).stdout
    assert "Examples" in text
    for _, example in examples:
        assert example in text, example  # each on one line at 100 columns, under a comment saying what it does
        assert len(example) <= 96, example


@pytest.mark.slow
def test_every_example_in_the_help_runs(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example as a user would paste it, in a repository holding the configs, a runs file and a config.json, with the
    configs also committed on origin/main (for the --base-ref examples). Examples run in the order of --help, so
    fit writes the law file that the examples after it use; one whose comment ends "(exit 1)" must exit 1."""
    import shlex
    import shutil
    import subprocess

    from ..conftest import CONFIGS, ROOT

    shutil.copytree(CONFIGS, tmp_path / "configs")
    shutil.copy(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv", tmp_path / "runs.csv")
    shutil.copy(ROOT / "tests" / "data" / "sardana2024_training_runs.csv", tmp_path / "scores.csv")
    shutil.copy(ROOT / "tests" / "data" / "hf_configs" / "llama-3-8b.json", tmp_path / "config.json")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["commit", "-qm", "configs"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run([*git, *args], check=True)
    monkeypatch.chdir(tmp_path)
    for command in COMMANDS:
        for what, example in _examples(command):
            words = shlex.split(example)
            target = None
            if ">" in words:
                words, target = words[: words.index(">")], words[words.index(">") + 1]
            assert words[0] == "scaling-plan"
            result = cli.run(*words[1:], env={"COLUMNS": "80"})
            expected = 1 if what.endswith("(exit 1)") else 0  # an example may show a policy that fails
            assert result.exit_code == expected, (example, result.stderr)
            assert result.stdout or "-o" in words, example
            if target is not None:
                Path(target).write_text(result.stdout)
    for written in ("my-law.yaml", "frontier.png", "fit.svg", "sweep.csv", "runs-grid.csv", "scaling-plan.schema.json",
                    "core.yaml", "backtest.png"):  # fmt: skip
        assert (tmp_path / written).stat().st_size > 0, written
