"""Rich tables for people (rich is imported only here, and only when a table is printed).

Tables fit the width they are printed at: no number, header or name is ever cut. A table too wide for the width is
split into several, each repeating the columns that say which row is which (its first, and the names, or keys such
as a run's N and D, after it); in a table of three rows or more, a column with the same value in every row becomes
one line above it. Notes wrap at word boundaries.

The same views print as markdown (`as_markdown`: a title, a GitHub table and the notes as a list, for a pull-request
comment or a notebook) and without their notes (`without_notes`, for --quiet).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, Literal

from .fields import DAY_KEYS, NAME_KEYS, TEXT_KEYS, as_hours, field_of, humanise, in_hours, label
from .records import Record
from .writers import write_markdown

#: A pipe or file without COLUMNS gets lines this long: a table takes only the width it needs.
PIPE_WIDTH = 400
#: At most this many leading name columns say what a row is (an allocation and a law; a config and a rule).
MAX_LEAD = 2
#: The narrowest a name column folds to when the names are too long for the width.
NAME_FOLD_WIDTH = 16
#: Rows before a column that never changes is lifted out of the table.
CONSTANT_ROWS = 3


#: How the views print, for the output being written: with their notes, and as rich tables or markdown.
_NOTES: ContextVar[bool] = ContextVar("notes", default=True)
_MARKDOWN: ContextVar[bool] = ContextVar("markdown", default=False)


@contextmanager
def _setting(setting: ContextVar[bool], value: bool) -> Iterator[None]:
    token = setting.set(value)
    try:
        yield
    finally:
        setting.reset(token)


def without_notes(quiet: bool = True) -> Any:
    """While it lasts, tables print without the notes beneath them (--quiet)."""
    return _setting(_NOTES, not quiet)


def notes_shown() -> bool:
    return _NOTES.get()


def as_markdown() -> Any:
    """While it lasts, tables print as markdown."""
    return _setting(_MARKDOWN, True)


def _markdown(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], text: Sequence[bool], notes: Sequence[str],
    out: IO[str],
) -> None:  # fmt: skip
    out.write(f"**{title}**\n\n")
    write_markdown(headers, rows, out, frozenset(i for i, is_text in enumerate(text) if is_text))
    if notes and _NOTES.get():
        out.write("\n" + "".join(f"- {note}\n" for note in notes))
    out.write("\n")


def _console(out: IO[str]) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1 itself; the CLI gives a closed pipe its own exit code

    console = _Console(file=out)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        # A pipe or file gets plain text (rich drops colour itself, and NO_COLOR is honoured) and, unless COLUMNS
        # says otherwise, room for wide tables, so wide sweeps are never squeezed.
        console.width = PIPE_WIDTH
    return console


def _print_notes(console: Any, notes: Sequence[str]) -> None:
    if not _NOTES.get():
        return
    for note in notes:
        console.print(note, highlight=False, markup=False, overflow="fold")  # wrapped at words to the width


def print_table(title: str, table: Any, notes: Sequence[str], out: IO[str]) -> None:
    """A bold title, the table, and its notes (formulas, sources) wrapped to the width."""
    console = _console(out)
    console.print(title, style="bold", highlight=False, markup=False)
    console.print(table)
    _print_notes(console, notes)


def print_key_values(title: str, record: Record, keys: Sequence[str], notes: Sequence[str], out: IO[str]) -> None:
    """One record as a two-column table, with notes (formulas, sources) beneath; durations in hours when every one
    shown is under a day."""
    hours = in_hours(record.get(key) for key in keys if field_of(key) in DAY_KEYS)
    rows = [[label(key, hours), humanise(key, record[key], hours)] for key in keys if record.get(key) is not None]
    if _MARKDOWN.get():
        _markdown(title, ["Quantity", "Value"], rows, [True, False], notes, out)
        return
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("quantity", style="bold", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    print_table(title, table, notes, out)


def print_rows(
    title: str,
    records: Sequence[Record],
    keys: Sequence[str],
    notes: Sequence[str],
    out: IO[str],
    labels: dict[str, str] | None = None,
    lead: Sequence[str] = (),
) -> None:
    """Records as rows of a table, with notes beneath; `labels` names columns LABELS does not. `lead` keys, which
    follow the first, say with it which row is which (a run's N and D): a split table repeats them all. Durations
    are in days, or in hours when every one in the table is under a day, and the headings say which."""
    shown = [key for key in keys if any(record.get(key) is not None for record in records)]
    durations = [key for key in shown if field_of(key) in DAY_KEYS]
    hours = in_hours(record.get(key) for record in records for key in durations)
    headers = [(labels or {}).get(key) or label(key) for key in shown]
    headers = [
        as_hours(heading) if hours and key in durations else heading
        for key, heading in zip(shown, headers, strict=True)
    ]
    rows = [[humanise(key, record.get(key), hours) for key in shown] for record in records]
    print_grid(title, headers, rows, notes, out, text=[key in TEXT_KEYS for key in shown],
               names=[key in NAME_KEYS for key in shown], lift_constant=True,
               identity=[key in lead for key in shown] if lead else None)  # fmt: skip


def print_grid(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str],
    out: IO[str],
    text: Sequence[bool] | None = None,
    names: Sequence[bool] | None = None,
    lift_constant: bool = False,
    identity: Sequence[bool] | None = None,
) -> None:
    """Cells under headers, as one table or, when that is too wide, as several that each repeat the first column.

    `text` columns are left-aligned and may wrap at words; the others (numbers) are right-aligned and never wrap;
    `names` columns never wrap either. With `identity`, the marked columns right after the first say with it which
    row is which, and every split table repeats them (instead of the name columns).
    """
    text = list(text) if text is not None else [index == 0 for index in range(len(headers))]
    if _MARKDOWN.get():
        _markdown(title, headers, rows, text, notes, out)
        return
    from rich.table import Table

    console = _console(out)
    names = list(names) if names is not None else [False] * len(headers)
    columns = list(range(len(headers)))
    console.print(title, style="bold", highlight=False, markup=False)
    if lift_constant and len(rows) >= CONSTANT_ROWS:
        constant = [i for i in columns[1:] if not text[i] and len({row[i] for row in rows}) == 1 and rows[0][i] != "-"]
        if constant:
            same = "; ".join(f"{headers[i]} {rows[0][i]}" for i in constant)
            console.print(f"Every row: {same}.", highlight=False, markup=False)
            columns = [i for i in columns if i not in constant]
    least = {i: _least_width(headers[i], [row[i] for row in rows], text[i] and not names[i]) for i in columns}
    lead = _lead(columns, names, identity)
    others = [least[i] + 3 for i in columns if i not in lead]
    for i in sorted(lead, key=lambda i: -least[i]):
        # Names too long to stand whole beside even one other column (deep paths at 60 columns) fold across lines,
        # the longest first and only as far as needed, every character kept, so the numbers beside them stay whole.
        excess = sum(least[j] + 3 for j in lead) + min(others, default=0) + 1 - (console.width - 1)
        if excess > 0:
            least[i] = max(NAME_FOLD_WIDTH, least[i] - excess)
    room = console.width - 1  # a column's share of rounding in rich's layout: never fill the last character
    for group in _groups(columns, least, names, room, identity):
        widths = _widths(group, least, headers, rows, room)
        table = Table()
        for i in group:
            justify: Literal["left", "right"] = "left" if text[i] else "right"
            table.add_column(headers[i], justify=justify, width=widths.get(i), overflow="fold")
        for row in rows:
            table.add_row(*(row[i] for i in group))
        console.print(table)
    _print_notes(console, notes)


def _least_width(header: str, cells: Sequence[str], wraps: bool) -> int:
    """The narrowest a column can be without cutting anything: its longest cell (its longest word, for a column of
    text), and its header's longest word (headers wrap at spaces)."""
    words = [word for cell in cells for word in cell.split()] if wraps else list(cells)
    return max([len(word) for word in header.split()] + [len(word) for word in words] + [1])


def _widths(
    group: list[int], least: dict[int, int], headers: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> dict[int, int]:
    """Column widths for a table that would be wider than `width` at its natural size: each column its least width,
    and what is left given to the columns that want more, so that rich neither squeezes a number nor crops a line.
    Empty when the natural size fits (rich lays it out itself)."""
    natural = {i: max([len(headers[i]), *(len(row[i]) for row in rows)]) for i in group}
    if sum(natural[i] + 3 for i in group) + 1 <= width:
        return {}
    widths = {i: least[i] for i in group}
    spare = width - (sum(widths[i] + 3 for i in group) + 1)
    for i in sorted(group, key=lambda i: natural[i] - least[i]):
        extra = max(0, min(natural[i] - widths[i], spare))
        widths[i] += extra
        spare -= extra
    return widths


def _lead(columns: list[int], names: Sequence[bool], identity: Sequence[bool] | None = None) -> list[int]:
    """The columns that say what a row is, repeated in every split table: the first, and the name columns after it
    (or, with `identity`, the identity columns after it)."""
    lead = 1
    if identity is not None:
        while lead < len(columns) - 1 and identity[columns[lead]]:
            lead += 1
        return columns[:lead]
    while lead < min(len(columns) - 1, MAX_LEAD) and names[columns[lead - 1]] and names[columns[lead]]:
        lead += 1
    return columns[:lead]


def _groups(
    columns: list[int], least: dict[int, int], names: Sequence[bool], width: int, identity: Sequence[bool] | None
) -> list[list[int]]:
    """The columns split into tables that each fit `width`, each repeating the leading columns (what a row is)."""
    key = _lead(columns, names, identity)
    rest = columns[len(key) :]
    groups: list[list[int]] = []
    current = list(key)
    for i in rest:
        # A rich table with borders takes each column's width plus 3 (padding and a rule), and 1 more at the end.
        if len(current) > len(key) and sum(least[j] + 3 for j in [*current, i]) + 1 > width:
            groups.append(current)
            current = list(key)
        current.append(i)
    groups.append(current)
    return groups
