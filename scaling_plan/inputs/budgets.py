"""The budgets of a sweep or a grid: --from/--to/--per-decade or --budgets, as the decimals a user would type."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ..errors import UsageError
from .values import comma_items, positive_number

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


#: Most budgets one sweep plans (csv, json, jsonl): a few seconds, and an absurd range is refused at once.
MAX_SWEEP_POINTS = 100_000


#: Most rows of a sweep drawn as a table (more is for a spreadsheet), or given blueprints (about 20 ms each).
MAX_SWEEP_TABLE_ROWS = 1_000


MAX_SWEEP_BLUEPRINTS = 1_000


def check_sweep_size(n_budgets: int, where: str, table: bool, blueprints: bool) -> None:
    """Refuse, before planning, a sweep too long to draw as a table or to give every row a blueprint."""
    flag = "--budgets" if where == "--budgets" else "--per-decade"
    if table and n_budgets > MAX_SWEEP_TABLE_ROWS:
        raise UsageError(
            flag,
            f"{n_budgets:,} budgets is too many rows for a table (at most {MAX_SWEEP_TABLE_ROWS:,}); use --format csv or jsonl",
        )
    if blueprints and n_budgets > MAX_SWEEP_BLUEPRINTS:
        raise UsageError(flag, f"{n_budgets:,} budgets; a sweep with blueprints sizes at most {MAX_SWEEP_BLUEPRINTS:,}")


#: An amount of money written with thousands separators ($1,250,000): in a comma-separated list, several items.
_MONEY_WITH_SEPARATORS = re.compile(r"\$\s*\d{1,3}(?:,\d{3})+(?![\d.])")


def _budget_number(value: str, flag: str, unit: str) -> float:
    if value.strip().startswith("$") and unit != "dollars":
        raise UsageError(flag, f"{value!r} is an amount of money: add --unit dollars (with --gpu and a price)")
    return positive_number(value, flag, money=unit == "dollars")


def sweep_budgets(
    start: str | None, stop: str | None, per_decade: str | None, budgets: str | None, unit: str
) -> tuple[NDArray[np.float64], str]:
    """The budgets (in `unit`) of a sweep and the flag they came from: --budgets a,b,c, or --from/--to with
    --per-decade points spaced evenly in log scale (both ends included)."""
    import numpy as np

    if budgets is not None:
        if start is not None or stop is not None or per_decade is not None:
            raise UsageError("--budgets", "give either --budgets or --from/--to/--per-decade, not both")
        grouped = _MONEY_WITH_SEPARATORS.search(budgets)
        if grouped is not None and unit == "dollars":
            from ..units import format_scientific, format_usd

            amount = float(re.sub(r"[$,\s]", "", grouped.group()))
            raise UsageError(
                "--budgets",
                f"{grouped.group()!r} has thousands separators, but commas separate the budgets: write"
                f" {format_usd(amount)} or {format_scientific(amount)}",
            )
        items = comma_items(budgets, "--budgets", "1e20,1e21,1e22")
        if len(items) > MAX_SWEEP_POINTS:
            raise UsageError("--budgets", f"{len(items):,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,}")
        return np.array([_budget_number(item, "--budgets", unit) for item in items]), "--budgets"
    if start is None or stop is None:
        raise UsageError("--from" if start is None else "--to", "a sweep needs --from and --to, or --budgets")
    low, high = _budget_number(start, "--from", unit), _budget_number(stop, "--to", unit)
    if high < low:
        raise UsageError("--to", f"must not be below --from ({stop} < {start})")
    steps_per_decade = 4.0 if per_decade is None else positive_number(per_decade, "--per-decade")
    if steps_per_decade != int(steps_per_decade):
        raise UsageError("--per-decade", f"must be a whole number of points, got {steps_per_decade:g}")
    decades = math.log10(high / low)
    n_steps = math.floor(decades * steps_per_decade + 1e-9)
    if n_steps + 2 > MAX_SWEEP_POINTS:
        raise UsageError(
            "--per-decade", f"{n_steps + 1:,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,} (narrow the range)"
        )
    # Points evenly spaced in log10 from the start, each the decimal a user would type: rounded to 15 significant
    # digits, so 1e23 is 1e+23 however the power of ten lands in its last bit (1.0000000000000001e+23).
    exponents = math.log10(low) + np.arange(n_steps + 1) / steps_per_decade
    values = np.array([float(f"{value:.15g}") for value in np.power(10.0, exponents)])
    values[0] = low
    if abs(values[-1] - high) <= 1e-9 * high:
        values[-1] = high
    else:
        values = np.append(values, high)
    return values, "--from"
