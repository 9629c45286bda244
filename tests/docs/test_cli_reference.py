"""docs/cli-reference.md is the `--help` of every command the app registers, as docs/gen_cli_reference.py draws it
today: a test fails when a command is missing or the page is stale."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import typer.main

from scaling_plan.cli.app import app, load_commands

ROOT = Path(__file__).resolve().parent.parent.parent

PAGE = ROOT / "docs" / "cli-reference.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_reference", ROOT / "docs" / "gen_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_has_a_section_for_every_registered_command() -> None:
    load_commands()
    registered = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert len(registered) >= 15
    sections = re.findall(r"^## (\S+)$", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sections == ["scaling-plan", *registered]
    for name in registered:
        assert f"\n Usage: scaling-plan {name} [OPTIONS]" in PAGE.read_text(encoding="utf-8"), name


def test_the_reference_is_current() -> None:
    """Stale? Run `python docs/gen_cli_reference.py` and commit docs/cli-reference.md."""
    assert PAGE.read_text(encoding="utf-8") == generator().render(), "run python docs/gen_cli_reference.py"


def test_the_reference_is_drawn_at_a_fixed_width_without_colour() -> None:
    module = generator()
    text = module.help_text(["budget"])
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) == module.WIDTH
    assert "--price-per-gpu-hour" in text and "Examples" in text
