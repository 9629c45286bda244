"""Reading observed runs for `fit`: CSV, TSV or JSON Lines (or stdin), with column mapping and run filters.

Every value is checked where it is read, so an error names file:line and the column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..units import parse_quantity
from .files import file_label, read_text

if TYPE_CHECKING:
    from ..fit import Runs


#: Largest runs file read, in bytes: far above any real sweep of training runs, small enough to refuse junk at once.
MAX_RUNS_BYTES = 20_000_000


#: Most runs fitted: the fit's time grows with runs × 4,500 starts (about 100 s and 230 MB at this limit on 2 cores),
#: and real sweeps hold hundreds (Hoffmann et al. 2022's Approach 3 fitted 245).
MAX_RUNS = 10_000


#: Column names tried, in order and ignoring case, when no --*-col flag names one.
DEFAULT_COLUMNS = {
    "params": ("n_params", "Model Size", "params", "parameters", "N"),
    "tokens": ("n_tokens", "tokens", "Training Tokens", "D"),
    "flops": ("compute_flops", "Training FLOP", "flops", "C"),
    "loss": ("loss_nats", "loss", "Loss"),
}


@dataclass(frozen=True)
class RunsTable:
    label: str
    n_params: list[float]
    n_tokens: list[float]
    loss_nats: list[float]
    lines: list[int]  # the file line of each run
    columns: dict[str, str]  # role -> column name used
    tokens_from_compute: bool  # tokens were absent and follow from D = C / (6·N)


def _records(text: str, label: str, path: str) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Column names and (line, record) pairs, from JSON Lines, TSV or CSV (by extension, else by content)."""
    import csv
    import io
    import json

    stripped = text.lstrip()
    if not stripped:
        raise UsageError(label, "the file is empty: expected a header row (CSV/TSV) or JSON Lines")
    if path.endswith((".jsonl", ".ndjson", ".json")) or stripped.startswith("{"):
        records: list[tuple[int, dict[str, object]]] = []
        columns: list[str] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UsageError(f"{label}:{number}", f"not a JSON object: {error.msg}") from None
            if not isinstance(record, dict):
                raise UsageError(f"{label}:{number}", f"expected a JSON object per line, got {type(record).__name__}")
            columns += [key for key in record if key not in columns]
            records.append((number, record))
        return columns, records
    delimiter = "\t" if path.endswith(".tsv") or "\t" in text.splitlines()[0] else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        columns = list(reader.fieldnames or [])
        rows = [(reader.line_num, dict(row)) for row in reader]
    except csv.Error as error:
        raise UsageError(f"{label}:{reader.line_num}", f"malformed CSV: {error}") from None
    return columns, rows


def _column(role: str, chosen: str | None, columns: Sequence[str], label: str, required: bool) -> str | None:
    flag = f"--{role}-col"
    if chosen is not None:
        if chosen not in columns:
            raise UsageError(flag, f"no column {chosen!r} in {label}; columns found: {', '.join(columns) or 'none'}")
        return chosen
    by_lower = {column.lower(): column for column in columns}
    found = next((by_lower[name.lower()] for name in DEFAULT_COLUMNS[role] if name.lower() in by_lower), None)
    if found is None and required:
        tried = ", ".join(DEFAULT_COLUMNS[role])
        raise UsageError(
            label, f"no {role} column (tried {tried}; name it with {flag}); columns found: {', '.join(columns)}"
        )
    return found


def _value(record: dict[str, object], column: str, where: str) -> float:
    raw = record.get(column)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise UsageError(where, f"{column}: empty; every run needs a value")
    try:
        value = parse_quantity(raw)
    except ValueError as error:
        raise UsageError(where, f"{column}: {error}") from None
    if not (math.isfinite(value) and value > 0):
        raise UsageError(where, f"{column}: must be positive, got {value:g}")
    return value


def read_runs(
    path: str,
    params_col: str | None = None,
    tokens_col: str | None = None,
    flops_col: str | None = None,
    loss_col: str | None = None,
) -> RunsTable:
    label = file_label(path)
    text = read_text(path, MAX_RUNS_BYTES, "a runs file holds one row per training run")
    columns, records = _records(text, label, path)
    if not records:
        raise UsageError(label, "no runs: the file has a header but no rows")
    if len(records) > MAX_RUNS:
        raise UsageError(label, f"{len(records):,} runs; fit takes at most {MAX_RUNS:,} (real sweeps hold hundreds)")
    params = _column("params", params_col, columns, label, True)
    loss = _column("loss", loss_col, columns, label, True)
    tokens = (
        None if flops_col is not None and tokens_col is None else _column("tokens", tokens_col, columns, label, False)
    )
    flops = None if tokens is not None else _column("flops", flops_col, columns, label, False)
    if tokens is None and flops is None:
        raise UsageError(
            label,
            f"no tokens or compute column (tried {', '.join(DEFAULT_COLUMNS['tokens'] + DEFAULT_COLUMNS['flops'])});"
            f" columns found: {', '.join(columns)}",
        )
    assert params is not None and loss is not None
    n_params, n_tokens, losses, lines = [], [], [], []
    for line, record in records:
        where = f"{label}:{line}"
        n = _value(record, params, where)
        d = _value(record, tokens, where) if tokens is not None else _value(record, flops or "", where) / (6.0 * n)
        n_params.append(n)
        n_tokens.append(d)
        losses.append(_value(record, loss, where))
        lines.append(line)
    used = {"params": params, "loss": loss} | ({"tokens": tokens} if tokens else {"flops": flops or ""})
    return RunsTable(label, n_params, n_tokens, losses, lines, used, tokens is None)


@dataclass(frozen=True)
class Selection:
    """The runs a fit uses, after the filters, and how many were left out."""

    table: RunsTable
    runs: Runs
    n_dropped: int


def select_runs(
    table: RunsTable, drop_top_loss: int = 0, min_flops: float | None = None, max_flops: float | None = None
) -> Selection:
    """Apply --min-flops/--max-flops, then leave out the `drop_top_loss` highest-loss runs; check what remains can
    determine five constants."""
    import numpy as np

    from ..fit import MIN_RUNS, Runs

    n_params, n_tokens, loss = (np.array(v) for v in (table.n_params, table.n_tokens, table.loss_nats))
    with np.errstate(over="ignore"):
        compute = 6.0 * n_params * n_tokens
    if not np.isfinite(compute).all():
        line = table.lines[int(np.argmin(np.isfinite(compute)))]
        raise UsageError(f"{table.label}:{line}", "6·N·D overflows: parameters and tokens are beyond any real run")
    keep = np.ones(len(loss), bool)
    if min_flops is not None:
        keep &= compute >= min_flops
    if max_flops is not None:
        keep &= compute <= max_flops
    if drop_top_loss:
        if drop_top_loss >= keep.sum():
            raise UsageError(
                "--drop-top-loss", f"{drop_top_loss} would leave no runs (only {int(keep.sum())} selected)"
            )
        highest = np.flatnonzero(keep)[np.argsort(loss[keep])[-drop_top_loss:]]
        keep[highest] = False
    n_kept = int(keep.sum())
    where = table.label
    if n_kept < MIN_RUNS:
        raise UsageError(where, f"{n_kept} runs selected; fitting five constants needs at least {MIN_RUNS}")
    for name, values in (("parameter count", n_params[keep]), ("token count", n_tokens[keep])):
        if np.unique(values).size < 2:
            raise UsageError(
                where, f"every selected run has the same {name} ({values[0]:g}): the law cannot separate N and D"
            )
    runs = Runs(n_params[keep], n_tokens[keep], loss[keep])
    return Selection(table, runs, len(loss) - n_kept)
