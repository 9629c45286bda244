"""The budgets of a sweep or a grid: --from/--to/--per-decade or --budgets, as the decimals a user would type."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ..errors import UsageError, named
from .values import comma_items, positive_number

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ..experiments import Experiment
    from ..laws import Law


#: Most budgets one sweep plans (csv, json, jsonl): a few seconds, and an absurd range is refused at once.
MAX_SWEEP_POINTS = 100_000


#: Most rows of a sweep drawn as a table (more is for a spreadsheet).
MAX_SWEEP_TABLE_ROWS = 1_000


#: Most budgets of a sweep whose every row is a search, each held to about a minute on a 2-core machine (per row, as
#: benchmarks/sweep.py measures it): a blueprint's shape and layout search (about 20 ms a row); DeepSeek LLM's
#: frontier, whose N is a shape search (about 30 ms); a blueprint filling a dollars, GPU-hours or days budget under its
#: full count, a few shape searches (about 60 ms); and that frontier with such a blueprint (about 250 ms).
SWEEP_SEARCH_LIMITS: dict[str, tuple[int, str]] = {
    "blueprint": (1_000, "a sweep with blueprints sizes at most"),
    "searched": (1_000, "a sweep along a frontier whose N is a shape search plans at most"),
    "filled": (500, "a sweep with blueprints filling hard budgets sizes at most"),
    "searched+filled": (200, "a sweep along a frontier whose N is a shape search, with blueprints filling hard budgets,"
                             " sizes at most"),
}  # fmt: skip


def check_sweep_size(n_budgets: int, where: str, table: bool, searches: str | None) -> None:
    """Refuse, before planning, a sweep too long to draw as a table, or whose rows' searches (SWEEP_SEARCH_LIMITS)
    would take more than about a minute."""
    flag = "budgets" if where == "budgets" else "per_decade"
    if table and n_budgets > MAX_SWEEP_TABLE_ROWS:
        raise UsageError(
            flag,
            f"{n_budgets:,} budgets is too many rows for a table (at most {MAX_SWEEP_TABLE_ROWS:,}); use {named('output_format')} csv or jsonl",
        )
    if searches is not None and n_budgets > SWEEP_SEARCH_LIMITS[searches][0]:
        most, said = SWEEP_SEARCH_LIMITS[searches]
        raise UsageError(flag, f"{n_budgets:,} budgets; {said} {most:,} (about a minute of searches)")


#: An amount of money written with thousands separators ($1,250,000): in a comma-separated list, several items.
_MONEY_WITH_SEPARATORS = re.compile(r"\$\s*\d{1,3}(?:,\d{3})+(?![\d.])")


def _budget_number(value: str, flag: str, unit: str) -> float:
    if value.strip().startswith("$") and unit != "dollars":
        raise UsageError(
            flag, f"{value!r} is an amount of money: add {named('unit')} dollars (with {named('gpu')} and a price)"
        )
    return positive_number(value, flag, money=unit == "dollars")


def sweep_budgets(
    start: str | None, stop: str | None, per_decade: str | None, budgets: str | None, unit: str
) -> tuple[NDArray[np.float64], str]:
    """The budgets (in `unit`) of a sweep and the field they came from: budgets a,b,c (--budgets), or start to stop
    (--from, --to) with per_decade points spaced evenly in log scale (both ends included)."""
    import numpy as np

    B = named("budgets")
    if budgets is not None:
        if start is not None or stop is not None or per_decade is not None:
            raise UsageError(
                "budgets", f"give either {B} or {named('start')}/{named('stop')}/{named('per_decade')}, not both"
            )
        grouped = _MONEY_WITH_SEPARATORS.search(budgets)
        if grouped is not None and unit == "dollars":
            from ..units import format_scientific, format_usd

            amount = float(re.sub(r"[$,\s]", "", grouped.group()))
            raise UsageError(
                "budgets",
                f"{grouped.group()!r} has thousands separators, but commas separate the budgets: write"
                f" {format_usd(amount)} or {format_scientific(amount)}",
            )
        items = comma_items(budgets, "budgets", "1e20,1e21,1e22")
        if len(items) > MAX_SWEEP_POINTS:
            raise UsageError("budgets", f"{len(items):,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,}")
        return np.array([_budget_number(item, "budgets", unit) for item in items]), "budgets"
    if start is None or stop is None:
        raise UsageError(
            "start" if start is None else "stop", f"a sweep needs {named('start')} and {named('stop')}, or {B}"
        )
    low, high = _budget_number(start, "start", unit), _budget_number(stop, "stop", unit)
    if high < low:
        raise UsageError("stop", f"must not be below {named('start')} ({stop} < {start})")
    steps_per_decade = 4.0 if per_decade is None else positive_number(per_decade, "per_decade")
    if steps_per_decade != int(steps_per_decade):
        raise UsageError("per_decade", f"must be a whole number of points, got {steps_per_decade:g}")
    decades = math.log10(high / low)
    n_steps = math.floor(decades * steps_per_decade + 1e-9)
    # The points from the start, then the end itself unless the last point lands on it: counted before any is made.
    last = 10.0 ** (math.log10(low) + n_steps / steps_per_decade)
    ends_on_grid = abs(last - high) <= 1e-9 * high
    n_budgets = n_steps + 1 + (0 if ends_on_grid else 1)
    if n_budgets > MAX_SWEEP_POINTS:
        raise UsageError(
            "per_decade", f"{n_budgets:,} budgets; a sweep plans at most {MAX_SWEEP_POINTS:,} (narrow the range)"
        )
    # Points evenly spaced in log10 from the start, each the decimal a user would type: rounded to 15 significant
    # digits, so 1e23 is 1e+23 however the power of ten lands in its last bit (1.0000000000000001e+23).
    exponents = math.log10(low) + np.arange(n_steps + 1) / steps_per_decade
    values = np.array([float(f"{value:.15g}") for value in np.power(10.0, exponents)])
    values[0] = low
    if ends_on_grid:
        values[-1] = high
    else:
        values = np.append(values, high)
    return values, "start"


def isoflop_grid_of(
    budgets: str, sizes_per_budget: int, spread: str | None, law: str | None, repeats: int = 1
) -> tuple[list[Experiment], Law, float, list[str]]:
    """The isoFLOP grid `experiments` and `simulate` are asked for (--budgets, --sizes-per-budget, --spread, --law),
    checked: the grid, the law that centres it, the spread, and warnings."""
    from ..experiments import SPREAD_DEFAULT, isoflop_grid
    from ..isoflop import MIN_SIZES_PER_BUDGET
    from ..units import format_scientific
    from .request import resolve_law
    from .runs_text import MAX_RUNS
    from .values import Sourced

    values = [float(value) for value in sweep_budgets(None, None, None, budgets, "flops")[0]]
    factor = SPREAD_DEFAULT if spread is None else positive_number(spread, "--spread")
    if factor <= 1:
        raise UsageError("--spread", f"must be more than 1 (at 1 every size is the same), got {factor:g}")
    repeated = sorted({value for value in values if values.count(value) > 1}, key=values.index)
    if repeated:
        raise UsageError(
            "--budgets",
            f"{format_scientific(repeated[0])} FLOPs is given more than once: each budget is one column of the grid",
        )
    if len(values) * sizes_per_budget * repeats > MAX_RUNS:
        each = "" if repeats == 1 else f" × {repeats} repeats"
        raise UsageError(
            "--budgets",
            f"{len(values):,} budgets × {sizes_per_budget} sizes{each}; a grid holds at most {MAX_RUNS:,} runs, as many"
            " as fit reads",
        )
    warnings = []
    if sizes_per_budget < MIN_SIZES_PER_BUDGET:
        warnings.append(
            f"--sizes-per-budget {sizes_per_budget}: an isoFLOP profile needs {MIN_SIZES_PER_BUDGET} or more sizes (a"
            " parabola's three coefficients and a residual), so fit --approach isoflop would leave every budget out;"
            " fit (Approach 3) can still use these runs"
        )
    chosen = resolve_law(None if law is None else Sourced(law, "--law"))
    from ..moe import MoELaw

    if isinstance(chosen, MoELaw):  # a grid of N and D at C = 6·N·D: a mixture's runs need their granularity too
        raise UsageError(
            "--law",
            f"{chosen.name} plans a mixture of experts, whose runs need a granularity and eq. 10's FLOPs: isoFLOP"
            " grids are of L(N, D) at C = 6·N·D (not yet of a mixture's runs)",
        )
    return isoflop_grid(values, sizes_per_budget, chosen, factor), chosen, factor, warnings
