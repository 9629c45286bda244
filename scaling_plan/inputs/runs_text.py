"""A runs file's text as its header and rows: a delimited file (a `,`, `;` or tab separator, found from the header
line; comment lines and empty rows skipped), JSON Lines or a JSON array, each row with its line number, and whether
the file writes numbers with a decimal comma. inputs/runs.py reads the values from the rows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..errors import UsageError
from ..units import COMMA_GROUPED

#: Most runs fitted: the fit's time grows with runs × 4,500 starts (about 100 s and 230 MB at this limit on 2 cores),
#: and real sweeps hold hundreds (Hoffmann et al. 2022's Approach 3 fitted 245).
MAX_RUNS = 10_000


#: Separators a spreadsheet writes between cells; the header line's most frequent one is the file's.
SEPARATORS = (",", ";", "\t")
#: A number written with a decimal comma (2,8134), as a `;` file or a tab file may hold.
DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")

Records = list[tuple[int, dict[str, object]]]

#: JSON's whitespace, between the items of an array.
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _after_space(text: str, position: int) -> int:
    """The position of the first character at or after `position` that is not JSON whitespace."""
    found = _JSON_SPACE.match(text, position)
    return found.end() if found else position


def _take(records: Records, line: int, record: dict[str, object], label: str) -> None:
    """Keep a row, or refuse the file at the first row past MAX_RUNS: the rows after it are never read."""
    if len(records) == MAX_RUNS:
        raise UsageError(
            f"{label}:{line}",
            f"more than {MAX_RUNS:,} runs; fit takes at most {MAX_RUNS:,} (real sweeps hold hundreds): the file is"
            " read no further",
        )
    records.append((line, record))


#: Where str.splitlines() ends a line in a text file: \n, \r\n or \r.
_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> Iterator[str]:
    """The lines of `text`, as str.splitlines() gives them (for \\n, \\r\\n and \\r), one at a time: a file of
    millions of rows is never held as a list of them. (io.StringIO would copy the text at four bytes a character.)"""
    start = 0
    for end in _LINE_END.finditer(text):
        yield text[start : end.start()]
        start = end.end()
    if start < len(text):
        yield text[start:]


def _csv_lines(text: str) -> Iterator[str]:
    """The lines of `text` ended by \\n, each with its end, one at a time: what the csv module reads from a file."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def _json_lines(text: str, label: str) -> tuple[list[str], Records]:
    import json

    records: Records = []
    columns: list[str] = []
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UsageError(f"{label}:{number}", f"not a JSON object: {error.msg}") from None
        if not isinstance(record, dict):
            raise UsageError(f"{label}:{number}", f"expected a JSON object per line, got {type(record).__name__}")
        columns += [key for key in record if key not in columns]
        _take(records, number, record, label)
    return columns, records


def _json_array(text: str, label: str) -> tuple[list[str], Records]:
    """A JSON array of objects (what most tools export as "JSON"), each record with the line it starts on. Read an
    item at a time, so that a file of too many runs is refused at the first item past MAX_RUNS."""
    import json

    decoder = json.JSONDecoder()
    records: Records = []
    columns: list[str] = []

    def refuse(problem: str, position: int) -> UsageError:
        where = text.count("\n", 0, position) + 1
        return UsageError(f"{label}:{where}", f"not a JSON array: {problem}")

    position = text.index("[") + 1
    line, counted_to = text.count("\n", 0, position) + 1, position
    position = _after_space(text, position)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            try:
                item, end = decoder.raw_decode(text, position)
            except json.JSONDecodeError as error:
                raise UsageError(f"{label}:{error.lineno}", f"not a JSON array: {error.msg}") from None
            line, counted_to = line + text.count("\n", counted_to, position), position
            if not isinstance(item, dict):
                raise UsageError(
                    f"{label}:{line}", f"item {len(records) + 1}: expected a JSON object, got {type(item).__name__}"
                )
            columns += [key for key in item if key not in columns]
            _take(records, line, item, label)
            position = _after_space(text, end)
            if text.startswith("]", position):
                position += 1
                break
            if not text.startswith(",", position):
                raise refuse("Expecting ',' delimiter", position)
            position = _after_space(text, position + 1)
    position = _after_space(text, position)
    if position < len(text):
        raise refuse("Extra data", position)
    return columns, records


def _count_outside_quotes(line: str, separator: str) -> int:
    return sum(part.count(separator) for part in line.split('"')[::2])


def _is_comment(cells: Sequence[str]) -> bool:
    return bool(cells) and cells[0].strip().startswith("#")


def _delimited(text: str, label: str, path: str) -> tuple[list[str], Records, bool, str]:
    """Column names and (line, record) pairs from CSV or TSV as a spreadsheet writes it, whether its numbers use a
    decimal comma, and its separator. A row with fewer cells than the header is refused: a run still to train has
    every cell, its loss empty, and a short row is a row cut off or written under other columns."""
    import csv

    header_line = next(line for line in _lines(text) if line.strip() and not _is_comment([line.lstrip('"')]))
    counts = {separator: _count_outside_quotes(header_line, separator) for separator in SEPARATORS}
    separator = "\t" if path.endswith(".tsv") else max(SEPARATORS, key=lambda each: counts[each])  # ties: ','
    reader = csv.reader(_csv_lines(text), delimiter=separator)
    columns: list[str] = []
    records: Records = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells) or _is_comment(cells):
                continue
            if not columns:
                columns = [cell.strip() for cell in cells]
                while columns and not columns[-1]:  # Excel's trailing empty columns
                    columns.pop()
                continue
            extra = [cell for cell in cells[len(columns) :] if cell.strip()]
            if extra:
                raise UsageError(
                    f"{label}:{reader.line_num}", f"{len(cells)} cells under {len(columns)} columns: {extra[0]!r}"
                )
            if len(cells) < len(columns):
                raise UsageError(
                    f"{label}:{reader.line_num}",
                    f"{len(cells)} cells under {len(columns)} columns (none from {columns[len(cells)]!r} on): a row"
                    " shorter than the header; write every cell, empty ones too (a run not trained yet has an empty"
                    " loss)",
                )
            _take(records, reader.line_num, dict(zip(columns, cells, strict=False)), label)
    except csv.Error as error:
        raise UsageError(f"{label}:{reader.line_num}", f"malformed CSV: {error}") from None
    if separator == ";":
        decimal_comma = True  # the separator of the locales whose decimal mark is a comma
    elif separator == "\t":
        values = [str(cell).strip() for _, record in records for cell in record.values()]
        decimal_comma = any(DECIMAL_COMMA.fullmatch(cell) and not COMMA_GROUPED.fullmatch(cell) for cell in values)
    else:
        decimal_comma = False
    return columns, records, decimal_comma, separator


def header_and_rows(text: str, label: str, path: str) -> tuple[list[str], Records, bool, str | None]:
    """Column names, (line, record) pairs, whether numbers use a decimal comma, and the separator (None for JSON),
    from JSON Lines, a JSON array, TSV or CSV (by extension, else by content). Each reader stops at the first row past
    MAX_RUNS, and holds no more than that many."""
    first = re.search(r"\S", text)
    if first is None or all(not line.strip() or line.lstrip().startswith("#") for line in _lines(text)):
        raise UsageError(label, "the file is empty: expected a header row (CSV/TSV) or JSON Lines")
    if first.group() == "[":
        return (*_json_array(text, label), False, None)
    if path.endswith((".jsonl", ".ndjson", ".json")) or first.group() == "{":
        return (*_json_lines(text, label), False, None)
    return _delimited(text, label, path)
