"""The Python examples of README.md and docs/*.md run as doctests, from the repository's root (they name its files)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from .transcripts import PAGES, ROOT

WITH_EXAMPLES = [page for page in PAGES if ">>> " in page.read_text(encoding="utf-8")]


def test_the_api_page_and_the_readme_have_examples() -> None:
    assert {ROOT / "README.md", ROOT / "docs" / "api.md"} <= set(WITH_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("page", WITH_EXAMPLES, ids=[str(page.relative_to(ROOT)) for page in WITH_EXAMPLES])
def test_the_examples_run_as_doctests(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0, page
