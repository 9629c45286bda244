"""One writer per machine format: JSON (whole or streamed), JSON Lines, CSV and markdown. Never a NaN or inf."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .records import Record


def _check_finite(value: Any) -> Any:
    """Machine formats never carry NaN or inf: a non-finite number here is a bug, not an answer."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number in output: {value}")
    return value


def write_json(payload: Any, out: IO[str]) -> None:
    import json

    out.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def write_json_records(head: Mapping[str, Any], key: str, records: Iterable[Record], out: IO[str]) -> None:
    """The same text as write_json({**head, key: list(records)}), written one record at a time: a sweep of 100,000
    budgets never holds them all as objects."""
    import json

    before, _, after = json.dumps({**head, key: []}, indent=2).rpartition("[]")
    out.write(before + "[")
    written = False
    for record in records:
        out.write(
            ("," if written else "") + "\n    " + json.dumps(record, indent=2, allow_nan=False).replace("\n", "\n    ")
        )
        written = True
    out.write(("\n  ]" if written else "]") + after + "\n")


def write_jsonl(records: Iterable[Record], out: IO[str]) -> None:
    """JSON Lines: one record per line, written as each is made."""
    import json

    for record in records:
        out.write(json.dumps(record, allow_nan=False) + "\n")


def write_csv(records: Iterable[Record], out: IO[str]) -> None:
    """A header from the first record's fields, then one row per record (all records share those fields)."""
    import csv
    import itertools

    rows = iter(records)
    first = next(rows, None)
    if first is None:
        return
    writer = csv.DictWriter(out, fieldnames=list(first), lineterminator="\n")
    writer.writeheader()
    for record in itertools.chain([first], rows):
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})


def write_cells(header: Sequence[str], rows: Iterable[Sequence[str]], out: IO[str], separator: str = ",") -> None:
    """A header and rows of cells, as a spreadsheet writes them with `separator` (rows for a file of other columns)."""
    import csv

    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def write_markdown(
    headers: Sequence[str], rows: Sequence[Sequence[str]], out: IO[str], text_columns: frozenset[int] = frozenset({0})
) -> None:
    """A GitHub-flavoured markdown table: text columns left-aligned, the others (numbers) right-aligned."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |\n"

    out.write(line(headers))
    out.write("|" + "|".join(":---" if i in text_columns else "---:" for i in range(len(headers))) + "|\n")
    for row in rows:
        out.write(line(row))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON
    return _check_finite(value)


@dataclass(frozen=True)
class Streamed:
    """A JSON document {**head, key: rows} written one row at a time (a sweep of 100,000 budgets)."""

    head: Mapping[str, Any]
    key: str


@dataclass(frozen=True)
class Report:
    """What a command prints, ready for every format; write_report picks the one asked for.

    `rows` (one-shot: each format reads them once) are CSV's and JSON Lines' rows; `document` is the JSON document
    (or Streamed, to write it with the rows inside); `table` and `markdown` print for people."""

    rows: Iterable[Record]
    document: Any
    table: Callable[[IO[str]], None]
    markdown: Callable[[IO[str]], None] | None = None


def write_report(report: Report, output_format: str, out: IO[str]) -> None:
    """The one format switch: every command's output goes through here."""
    if output_format == "json":
        if isinstance(report.document, Streamed):
            write_json_records(report.document.head, report.document.key, report.rows, out)
        else:
            write_json(report.document, out)
    elif output_format == "jsonl":
        write_jsonl(report.rows, out)
    elif output_format == "csv":
        write_csv(report.rows, out)
    elif output_format == "markdown" and report.markdown is not None:
        report.markdown(out)
    elif output_format == "markdown":
        from .tables import as_markdown

        with as_markdown():
            report.table(out)
    else:
        report.table(out)
