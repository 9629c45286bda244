"""docs/output-fields.md is the table of output fields as docs/gen_output_fields.py draws it today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from scaling_plan.output.catalog import FIELDS

ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = ROOT / "docs" / "output-fields.md"


def test_the_page_is_current_and_names_every_field() -> None:
    """Stale? Run `python docs/gen_output_fields.py` and commit docs/output-fields.md."""
    spec = importlib.util.spec_from_file_location("gen_output_fields", ROOT / "docs" / "gen_output_fields.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text = PAGE.read_text(encoding="utf-8")
    assert text == generator.render()
    assert [name for name in FIELDS if f"| `{name}` |" not in text] == []
