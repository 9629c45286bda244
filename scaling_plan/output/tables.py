"""Rich tables for people (rich is imported only here, and only when a table is printed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from .fields import NAME_KEYS, TEXT_KEYS, humanise, label
from .records import Record

if TYPE_CHECKING:
    pass


def _console(out: IO[str]) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1 itself; the CLI gives a closed pipe its own exit code

    console = _Console(file=out)
    if not console.is_terminal:
        # A pipe or file gets plain text (rich drops colour itself, and NO_COLOR is honoured) and room for wide tables:
        # a table takes only the width it needs, so wide sweeps are never squeezed into a terminal's width.
        console.width = 400
    return console


def print_table(title: str, table: Any, notes: Sequence[str], out: IO[str]) -> None:
    """A bold title, the table, and its notes (formulas, sources) as plain unwrapped lines."""
    console = _console(out)
    console.print(title, style="bold", highlight=False, markup=False)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, markup=False, soft_wrap=True)


def print_key_values(title: str, record: Record, keys: Sequence[str], notes: Sequence[str], out: IO[str]) -> None:
    """One record as a two-column table, with notes (formulas, sources) beneath."""
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key in keys:
        if record.get(key) is not None:
            table.add_row(label(key), humanise(key, record[key]))
    print_table(title, table, notes, out)


def print_rows(
    title: str,
    records: Sequence[Record],
    keys: Sequence[str],
    notes: Sequence[str],
    out: IO[str],
    labels: dict[str, str] | None = None,
) -> None:
    """Records as rows of one table, with notes beneath; `labels` names columns LABELS does not."""
    from rich.table import Table

    table = Table()
    shown = [key for key in keys if any(record.get(key) is not None for record in records)]
    for key in shown:
        text = key in TEXT_KEYS
        heading = (labels or {}).get(key) or label(key)
        table.add_column(heading, justify="left" if text else "right", no_wrap=key in NAME_KEYS)
    for record in records:
        table.add_row(*(humanise(key, record.get(key)) for key in shown))
    print_table(title, table, notes, out)
