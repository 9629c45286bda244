"""Figures a command writes: the file refused before any work when it cannot be written, and the drawing module
loaded only when a figure is asked for (matplotlib is the plot extra)."""

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..output.files import OutputFile


def image_file(path: str, where: str, reading: Iterable[tuple[str | None, str]]) -> "OutputFile":
    """An image to write (.png or .svg), refused before any work when it cannot or must not be written."""
    from ..output.files import output_file

    extension = os.path.splitext(path)[1].lower()
    if extension not in (".png", ".svg"):
        raise UsageError(where, f"write a .png or .svg file, not {extension or 'a file without an extension'!r}")
    return output_file(path, where, reading)


def image_kind(figure: "OutputFile") -> str:
    return "SVG" if figure.path.lower().endswith(".svg") else "PNG"


def plotting() -> Any:
    """The drawing module, or one clear line when the plot extra is not installed."""
    import importlib

    try:  # by name, so that a module left out of sys.modules is looked for again, as a fresh start would
        drawing = importlib.import_module("..output.plot", __package__)
    except ImportError as error:
        if error.name != "matplotlib":
            raise
        raise UsageError("plot", "needs matplotlib: pip install 'scaling-plan[plot]'") from None
    return drawing
