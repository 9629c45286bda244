"""Writing a file whole or not at all (output.files), called directly."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from scaling_plan.output.files import output_file


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "law.yaml"
    target.write_text("previous")

    def half_then_fail(handle: BinaryIO) -> None:
        handle.write(b"half")
        handle.flush()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        output_file(str(target), "--output").write(half_then_fail)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["law.yaml"]
