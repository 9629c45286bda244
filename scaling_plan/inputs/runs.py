"""Reading observed runs for `fit` and `plot`: CSV, TSV, JSON Lines or a JSON array (or stdin), as spreadsheets and
trackers write them, with column mapping and run filters.

What spreadsheets write is read as they mean it: a `,`, `;` or tab separator (found from the header line), comment
lines starting with `#`, blank rows and Excel's all-empty `,,,,` rows skipped, headers trimmed and matched ignoring
case, and numbers with thousands separators (`"22,821,773"`, `22 821 773`) or a decimal comma (`2,8134`, in a `;`
file, or a tab file whose numbers use one). A grid being filled in as runs finish is read too: a run without a loss
is skipped, counted and named in one warning, unless the caller requires every run to have one; a row shorter than
the header is refused (rows written under other columns).

Every value is checked where it is read, so an error names file:line and the column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UsageError, named
from ..laws import MAX_LOSS_NATS
from ..units import COMMA_GROUPED, counted, parse_quantity
from .files import file_label, read_text
from .runs_text import DECIMAL_COMMA, header_and_rows

if TYPE_CHECKING:
    from ..fitting import Runs


#: Largest runs file read, in bytes: far above any real sweep of training runs, small enough to refuse junk at once.
MAX_RUNS_BYTES = 20_000_000


#: Prefixes an experiment tracker's export puts before a run's parameters and metrics (MLflow's `mlflow.search_runs`
#: and its UI's CSV: params.n_params, metrics.loss): a default column is found under them too.
TRACKER_PREFIXES = ("params.", "metrics.")

#: Column names tried, in order and ignoring case, when no --*-col flag names one.
DEFAULT_COLUMNS = {
    "params": ("n_params", "Model Size", "params", "parameters", "N"),
    "tokens": ("n_tokens", "tokens", "Training Tokens", "D"),
    "flops": ("compute_flops", "Training FLOP", "flops", "C"),
    "loss": ("loss_nats", "loss", "Loss", "Smoothed Loss"),  # the last as MosaicML's trainer logs it
    "budget": ("budget_flops", "budget"),  # an isoFLOP grid's budget per run (experiments writes it)
    "unique": ("unique_tokens", "Unique Tokens", "U"),  # the unique tokens a run's data held (repeated past them)
    # a mixture of experts' granularity G and expansion E, as Krajewski et al. 2024 name them (fit --form moe)
    "granularity": ("granularity", "G"),
    "experts": ("expansion", "experts"),
}


#: Thousands grouped by commas (US and UK spreadsheets), by dots (with a decimal comma), or by spaces (SI, French).
_COMMA_GROUPED = COMMA_GROUPED  # as money is read from flags and configs
_DOT_GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?([eE][+-]?\d+)?")


@dataclass(frozen=True)
class RunsTable:
    label: str
    n_params: list[float]
    n_tokens: list[float]
    loss_nats: list[float]
    lines: list[int]  # the file line of each run
    columns: dict[str, str]  # role -> column name used
    tokens_from_compute: bool  # tokens were absent and follow from D = C / (6·N)
    without_loss: list[int]  # lines of the runs skipped because their loss is not filled in yet
    budget_flops: list[float] | None = None  # each run's isoFLOP budget, when the file has a budget column
    metrics: dict[str, list[float]] | None = None  # by column: each run's score on the metrics asked for
    without_metric: tuple[int, ...] = ()  # lines of the runs skipped because a metric is not filled in yet
    header: tuple[str, ...] = ()  # every column of the file, in its order
    separator: str | None = None  # the separator of a CSV or TSV file (None: JSON, whose rows do not append)
    decimal_comma: bool = False  # whether its numbers are written with a decimal comma
    weights: list[float] | None = None  # each run's weight in a fit, when a --weights column is named
    unique_tokens: list[float] | None = None  # each run's unique tokens, when the file has a unique-tokens column
    #: rows left out: by --where (its items and the count), and by --skip-invalid (each reason and its lines)
    where: tuple[tuple[str, str], ...] = ()
    not_where: int = 0
    invalid: dict[str, list[int]] | None = None
    #: a mixture of experts' granularity G and expansion E of each run, when the file has those columns
    granularity: list[float] | None = None
    experts: list[float] | None = None

    @property
    def fingerprint(self) -> tuple[int, str]:
        """The runs with a loss, as (count, hash): the first 16 hex digits of the SHA-256 of their (N, D, loss)
        triples, each to 7 significant digits and sorted, so that the same runs read the same from a file saved
        again, reordered, or with compute for tokens. A law file keeps it, to know the runs the law was fitted on."""
        import hashlib

        triples = sorted(f"{n:.6e},{d:.6e},{loss:.6e}" for n, d, loss in zip(self.n_params, self.n_tokens,
                                                                             self.loss_nats, strict=True))  # fmt: skip
        return len(triples), hashlib.sha256("\n".join(triples).encode()).hexdigest()[:16]

    def warnings(self) -> list[str]:
        said = []
        if self.where:
            chosen = " and ".join(f"{column}={value}" for column, value in self.where)
            said.append(f"{self.label}: {counted(self.not_where, 'row')} left out by {named('where')} {chosen}")
        if self.invalid:
            reasons = "; ".join(
                f"{len(lines):,} with {reason} (the first at line {lines[0]})" for reason, lines in self.invalid.items()
            )
            total = sum(len(lines) for lines in self.invalid.values())
            said.append(f"{self.label}: {counted(total, 'row')} skipped by {named('skip_invalid')}: {reasons}")
        names = " or ".join(self.metrics or ())
        for lines, what in ((self.without_loss, "a loss"), (self.without_metric, f"a score for {names}")):
            if lines:
                count = len(lines)
                said.append(
                    f"{self.label}: {counted(count, 'run')} without {what} skipped (the first at"
                    f" line {lines[0]}); {named('require_complete')} refuses a file with any"
                )
        return said


def _column(role: str, chosen: str | None, columns: Sequence[str], label: str, required: bool) -> str | None:
    """The column for a role: the one a --*-col flag names, else the first of DEFAULT_COLUMNS found, bare or under a
    tracker's prefix (TRACKER_PREFIXES; all matched ignoring case and surrounding spaces)."""
    field = f"{role}_col"  # the CLI says --params-col, the API params_col
    if chosen is not None:
        return _named_column(chosen, field, columns, label)
    by_name = {column.strip().casefold(): column for column in columns}
    bare = [name.casefold() for name in DEFAULT_COLUMNS[role]]
    tried = bare + [prefix + name for name in bare for prefix in TRACKER_PREFIXES]
    found = next((by_name[name] for name in tried if name in by_name), None)
    if found is None and required:
        names = ", ".join(DEFAULT_COLUMNS[role])
        raise UsageError(
            label,
            f"no {role} column (tried {names}, also under params. or metrics.; name it with {named(field)}); columns"
            " found:"
            f" {', '.join(columns)}",
        )
    return found


def _named_column(chosen: str, field: str, columns: Sequence[str], label: str) -> str:
    """A column a flag (or the API's keyword, `field`) names, matched ignoring case and surrounding spaces."""
    by_name = {column.strip().casefold(): column for column in columns}
    if chosen.strip().casefold() not in by_name:
        raise UsageError(field, f"no column {chosen!r} in {label}; columns found: {', '.join(columns) or 'none'}")
    return by_name[chosen.strip().casefold()]


def plain_number(cell: str, decimal_comma: bool) -> str:
    """A number as a spreadsheet shows it, written plainly: '22,821,773' and '22 821 773' are 22821773; with a
    decimal comma, '2,8134' is 2.8134 and '22.821.773,5' is 22821773.5. Anything else is left as it is."""
    text = cell.strip()
    if _SPACE_GROUPED.fullmatch(text):
        text = re.sub("[ \u00a0\u202f]", "", text)
    if decimal_comma:
        if _DOT_GROUPED.fullmatch(text) and (text.count(".") > 1 or "," in text):
            text = text.replace(".", "")
        if DECIMAL_COMMA.fullmatch(text):
            text = text.replace(",", ".")
    elif _COMMA_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


def _is_empty(record: dict[str, object], column: str) -> bool:
    raw = record.get(column)
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _value(record: dict[str, object], column: str, where: str, decimal_comma: bool) -> float:
    raw = record.get(column)
    if _is_empty(record, column):
        raise UsageError(where, f"{column}: empty; every run needs a value")
    try:
        value = parse_quantity(plain_number(raw, decimal_comma) if isinstance(raw, str) else raw)
    except ValueError as error:
        raise UsageError(where, f"{column}: {error}") from None
    if not (math.isfinite(value) and value > 0):
        raise UsageError(where, f"{column}: must be positive, got {value:g}")
    return value


def _loss_value(record: dict[str, object], column: str, where: str, decimal_comma: bool) -> float:
    """A run's final loss: positive, and no more than a uniform guess over any real vocabulary (MAX_LOSS_NATS)."""
    value = _value(record, column, where, decimal_comma)
    if value > MAX_LOSS_NATS:
        raise UsageError(
            where,
            f"{column}: {value:g} is not a loss in nats per token: it is above ln(2^20) = {MAX_LOSS_NATS:.2f}, a"
            " uniform guess over a 1,048,576-token vocabulary (a percentage, a perplexity or a summed loss?)",
        )
    return value


def _metric_value(record: dict[str, object], column: str, where: str, decimal_comma: bool) -> float:
    """A score where 1 is perfect, from -1 (a score centred on chance may be below it) to 1."""
    raw = record.get(column)
    try:
        value = parse_quantity(plain_number(raw, decimal_comma) if isinstance(raw, str) else raw)
    except ValueError as error:
        raise UsageError(where, f"{column}: {error}") from None
    if not math.isfinite(value):
        raise UsageError(where, f"{column}: must be a finite number, got {value:g}")
    if value > 1:
        raise UsageError(where, f"{column}: {value:g} is above 1; give scores as fractions (0.253), not percentages")
    if value < -1:
        raise UsageError(where, f"{column}: {value:g} is below -1; a score runs from 0 (or -1, centred on chance) to 1")
    return value


def read_runs(
    path: str,
    params_col: str | None = None,
    tokens_col: str | None = None,
    flops_col: str | None = None,
    loss_col: str | None = None,
    require_complete: bool = False,
    budget_col: str | None = None,
    metric_cols: Sequence[str] = (),
    weights_col: str | None = None,
    where: Sequence[tuple[str, str]] = (),
    skip_invalid: bool = False,
    unique_col: str | None = None,
    granularity_col: str | None = None,
    experts_col: str | None = None,
) -> RunsTable:
    """The runs of a file. A run whose loss is empty is skipped (RunsTable.without_loss), or refused with
    `require_complete`. With `metric_cols`, each run's score on those metrics too, from -1 to 1 (a run without one is
    skipped the same way); with `weights_col`, each run's weight in a fit (positive). `where` keeps the rows whose
    columns hold those values (as written, spaces around them aside); `skip_invalid` skips a row whose values cannot
    be read or are out of range, counting each reason (RunsTable.invalid), where it would refuse the file."""
    label = file_label(path)
    text = read_text(path, MAX_RUNS_BYTES, "a runs file holds one row per training run", utf16=True, kind="runs file")
    columns, records, decimal_comma, separator = header_and_rows(text, label, path)
    if not records:
        raise UsageError(label, "no runs: the file has a header but no rows")
    params = _column("params", params_col, columns, label, True)
    loss = _column("loss", loss_col, columns, label, True)
    tokens = (
        None if flops_col is not None and tokens_col is None else _column("tokens", tokens_col, columns, label, False)
    )
    flops = None if tokens is not None else _column("flops", flops_col, columns, label, False)
    budget = _column("budget", budget_col, columns, label, False)
    unique = _column("unique", unique_col, columns, label, False)
    granularity = _column("granularity", granularity_col, columns, label, False)
    experts = _column("experts", experts_col, columns, label, False)
    metric_columns = [_named_column(chosen, "metric", columns, label) for chosen in metric_cols]
    weights = None if weights_col is None else _named_column(weights_col, "weights", columns, label)
    run_weights: list[float] = []
    if tokens is None and flops is None:
        raise UsageError(
            label,
            f"no tokens or compute column (tried {', '.join(DEFAULT_COLUMNS['tokens'] + DEFAULT_COLUMNS['flops'])});"
            f" columns found: {', '.join(columns)}",
        )
    assert params is not None and loss is not None
    chosen = [(_named_column(column, "where", columns, label), value) for column, value in where]
    n_params, n_tokens, losses, lines, without_loss, budgets, uniques = [], [], [], [], [], [], []
    granularities: list[float] = []
    expansions: list[float] = []
    scores: dict[str, list[float]] = {column: [] for column in metric_columns}
    without_metric: list[int] = []
    not_where = 0
    invalid: dict[str, list[int]] = {}
    for line, record in records:
        at = f"{label}:{line}"
        if any(str(record.get(column, "")).strip() != value.strip() for column, value in chosen):
            not_where += 1
            continue
        if _is_empty(record, loss) and not require_complete:
            without_loss.append(line)  # a run of the grid not finished yet
            continue
        empty = [column for column in metric_columns if _is_empty(record, column)]
        if empty:
            if require_complete:
                raise UsageError(at, f"{empty[0]}: empty; every run needs a value")
            without_metric.append(line)  # a run not evaluated yet
            continue
        try:
            metric = [_metric_value(record, column, at, decimal_comma) for column in metric_columns]
            n = _ranged(_value(record, params, at, decimal_comma), "params", params, at)
            d = (
                _ranged(_value(record, tokens, at, decimal_comma), "tokens", tokens, at)
                if tokens is not None
                else _ranged(_value(record, flops or "", at, decimal_comma) / (6.0 * n), "tokens", flops or "", at,
                             from_compute=True)
            )  # fmt: skip
            run_loss = _loss_value(record, loss, at, decimal_comma)
            run_budget = None if budget is None else _ranged(_value(record, budget, at, decimal_comma), "budget",
                                                             budget, at)  # fmt: skip
            weight = None if weights is None else _value(record, weights, at, decimal_comma)
            run_unique = None if unique is None else _ranged(_value(record, unique, at, decimal_comma), "unique",
                                                             unique, at)  # fmt: skip
            mixture = [None if column is None else _ranged(_value(record, column, at, decimal_comma), role, column, at)
                       for role, column in (("granularity", granularity), ("experts", experts))]  # fmt: skip
        except UsageError as error:
            if not skip_invalid:
                raise
            invalid.setdefault(_reason(error.message), []).append(line)
            continue
        for column, score in zip(metric_columns, metric, strict=True):
            scores[column].append(score)
        n_params.append(n)
        n_tokens.append(d)
        losses.append(run_loss)
        lines.append(line)
        if run_budget is not None:
            budgets.append(run_budget)
        if weight is not None:
            run_weights.append(weight)
        if run_unique is not None:
            uniques.append(run_unique)
        if mixture[0] is not None:
            granularities.append(mixture[0])
        if mixture[1] is not None:
            expansions.append(mixture[1])
    if chosen and not_where == len(records):
        asked = " and ".join(f"{column}={value}" for column, value in chosen)
        raise UsageError("where", f"no row of {label} has {asked} ({counted(len(records), 'row')} read)")
    if not losses and invalid:
        raise UsageError(label, f"no run left: every row with a loss was skipped by {named('skip_invalid')}")
    if not losses:
        raise UsageError(label, f"no run has a loss yet: fill in the {loss} column as runs finish")
    used = {"params": params, "loss": loss} | ({"tokens": tokens} if tokens else {"flops": flops or ""})
    used |= {"budget": budget} if budget is not None else {}
    used |= {"metric": metric_columns[0]} if len(metric_columns) == 1 else {}
    used |= {"weights": weights} if weights is not None else {}
    used |= {"unique": unique} if unique is not None else {}
    used |= {"granularity": granularity} if granularity is not None else {}
    used |= {"experts": experts} if experts is not None else {}
    return RunsTable(
        label, n_params, n_tokens, losses, lines, used, tokens is None, without_loss, budgets if budget else None,
        scores if metric_columns else None, tuple(without_metric), tuple(columns), separator, decimal_comma,
        run_weights if weights is not None else None, uniques if unique is not None else None, tuple(chosen), not_where,
        invalid or None, granularities if granularity is not None else None, expansions if experts is not None else None,
    )  # fmt: skip


def where_items(items: Sequence[str], field: str = "where") -> list[tuple[str, str]]:
    """--where COLUMN=VALUE items as (column, value) pairs; an item without `=` or a column is refused, naming it."""
    pairs = []
    for item in items:
        column, equals, value = item.partition("=")
        if not equals or not column.strip():
            raise UsageError(field, f"expected COLUMN=VALUE (State=finished), got {item!r}")
        pairs.append((column.strip(), value))
    return pairs


def _ranged(value: float, role: str, column: str, at: str, from_compute: bool = False) -> float:
    """A run's value in the range of its role (fields.FILE_NUMBERS: runs), or a UsageError naming file:line and the
    column; tokens given by compute are checked as the tokens they give, D = C/(6·N), naming the compute column."""
    from .fields import FILE_NUMBER, range_problem

    problem = range_problem(FILE_NUMBER[("runs", role)], value)
    if problem is not None:
        said = " (the tokens it gives, D = C/(6·N))" if from_compute else ""
        raise UsageError(at, f"{column}: {problem}{said}")
    return value


def _reason(message: str) -> str:
    """Why a row was skipped, as --skip-invalid counts it: the column and the kind of fault, without the value."""
    column, _, problem = message.partition(": ")
    if "not a loss in nats" in problem:
        return f"{column} not a loss in nats per token"
    kind = next((kind for kind in ("empty", "must be positive", "must be at least", "must be at most") if kind in problem),
                "not a number")  # fmt: skip
    return f"{column} {kind}"


@dataclass(frozen=True)
class Selection:
    """The runs a fit uses, after the filters, and how many were left out."""

    table: RunsTable
    runs: Runs
    n_dropped: int
    budget_flops: list[float] | None = None  # the kept runs' budgets, when the file has a budget column
    lines: tuple[int, ...] = ()  # the file line of each kept run


def select_runs(
    table: RunsTable, drop_top_loss: int = 0, min_flops: float | None = None, max_flops: float | None = None
) -> Selection:
    """Apply --min-flops/--max-flops, then leave out the `drop_top_loss` highest-loss runs; check what remains can
    determine five constants."""
    import numpy as np

    from ..fitting import MIN_RUNS, Runs

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
        raise UsageError(where, f"{counted(n_kept, 'run')} selected; fitting five constants needs at least {MIN_RUNS}")
    for name, values in (("parameter count", n_params[keep]), ("token count", n_tokens[keep])):
        if values.min() == values.max():  # (np.unique would import numpy.ma, ~8 ms of start-up)
            raise UsageError(
                where, f"every selected run has the same {name} ({values[0]:g}): the law cannot separate N and D"
            )
    weights = None if table.weights is None else np.array(table.weights)[keep]
    unique, granularity, experts = (
        None if values is None else np.array(values)[keep]
        for values in (table.unique_tokens, table.granularity, table.experts)
    )
    runs = Runs(n_params[keep], n_tokens[keep], loss[keep], weights, unique, granularity, experts)
    budgets = None if table.budget_flops is None else [b for b, k in zip(table.budget_flops, keep, strict=True) if k]
    lines = tuple(line for line, kept in zip(table.lines, keep, strict=True) if kept)
    return Selection(table, runs, len(loss) - n_kept, budgets, lines)
