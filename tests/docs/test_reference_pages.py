"""The generated pages are what docs/gen_reference.py draws today: docs/cli-reference.md, the `--help` of every
command the app registers (a test fails when a command is missing or the page is stale), and docs/output-fields.md,
every output field of the catalog."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import typer.main

from scaling_plan.cli.app import app, load_commands
from scaling_plan.output.catalog import FIELDS

ROOT = Path(__file__).resolve().parent.parent.parent

PAGE = ROOT / "docs" / "cli-reference.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "docs" / "gen_reference.py")
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


def words(text: str) -> list[str]:
    """The page's words, without the help's frames and the spaces between them: releases of rich wrap a help text
    at different words (the suite runs against the oldest and newest allowed), never change what it says."""
    return re.sub(r"[\u2500-\u257f]", " ", text).split()


@pytest.mark.slow
def test_the_reference_is_current() -> None:
    """Stale? Run `python docs/gen_reference.py` and commit docs/cli-reference.md."""
    assert words(PAGE.read_text(encoding="utf-8")) == words(generator().render()), "run python docs/gen_reference.py"


def test_a_changed_help_text_makes_the_reference_stale() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert words(page.replace("Range (0, 1e40]", "Range (0, 1e41]", 1)) != words(page)
    assert words(page.replace("│ --flops ", "│\n   --flops ", 1)) == words(page)  # wrapped elsewhere: the same


def test_the_reference_is_drawn_at_a_fixed_width_without_colour() -> None:
    module = generator()
    text = module.help_text(["budget"])
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) == module.WIDTH
    assert "--price-per-gpu-hour" in text and "Examples" in text


def test_the_output_fields_page_is_current_and_names_every_field() -> None:
    """Stale? Run `python docs/gen_reference.py` and commit docs/output-fields.md."""
    text = (ROOT / "docs" / "output-fields.md").read_text(encoding="utf-8")
    assert text == generator().render_fields()
    assert [name for name in FIELDS if f"| `{name}` |" not in text] == []
