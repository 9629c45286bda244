"""How tables show output fields: each field's label (catalog.py) and the format of its unit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from ..units import format_bytes, format_count, format_number, format_scientific, format_seconds, format_usd
from .catalog import FIELDS, Field

#: Labels of fields that are not output fields of their own: a fitted constant's interval row in a table.
_INTERVAL_ROWS = ("n_params", "n_tokens", "loss_nats", "E", "A", "B", "alpha", "beta", "g", "frontier_exponent", "k_n", "a",
                  "k_d", "b", "gamma", "epsilon", "k", "metric_gamma", "l0", "scale", "alpha_n", "alpha_d", "n_c", "d_c",
                  "gamma_change", "break_flops", "sharpness", "rd_star", "rn_star")  # fmt: skip


def _decimals(default: int) -> Callable[[Field], Callable[[Any], str]]:
    def made(field: Field) -> Callable[[Any], str]:
        digits, sign = default if field.digits is None else field.digits, "+" if field.signed else ""
        # a value too small for the decimals keeps three significant digits: 1.77e-05, never a false 0.0000
        return lambda x: f"{x:{sign}.{digits}f}" if x == 0 or abs(x) >= 10**-digits else f"{x:{sign}.3g}"

    return made


def _significant(field: Field) -> Callable[[Any], str]:
    digits = 4 if field.digits is None else field.digits
    return lambda x: f"{x:.{digits}g}"


def _percent(field: Field) -> Callable[[Any], str]:
    digits, sign = 1 if field.digits is None else field.digits, "+" if field.signed else ""
    return lambda x: f"{x:{sign}.{digits}f}%"


def _fixed(formatter: Callable[[Any], str]) -> Callable[[Field], Callable[[Any], str]]:
    return lambda field: formatter


#: How a table shows each unit: the one format of every field in it (a field's digits and sign tune it).
FORMATS: dict[str, Callable[[Field], Callable[[Any], str]]] = {
    "text": _fixed(str),
    "flag": _fixed(lambda x: "yes" if x else "no"),
    "count": _fixed(lambda x: f"{x:,}"),
    "FLOPs": _fixed(format_scientific),
    "FLOP/s": _fixed(format_scientific),
    "parameters": _fixed(format_count),
    "tokens": _fixed(format_count),
    "GPU-hours": _fixed(format_count),
    "MWh": _fixed(format_count),
    "tCO2e": _fixed(format_count),
    "tokens/parameter": _fixed(format_number),
    "epochs": _fixed(format_number),
    "days": _fixed(format_number),
    "number": _fixed(format_number),
    "USD": _fixed(format_usd),
    "USD/GPU-hour": _fixed(lambda x: f"${x:,.2f}"),
    "nats": _decimals(4),
    "bits": _decimals(4),
    "score": _decimals(4),
    "exponent": _decimals(4),
    "ratio": _decimals(2),
    "constant": _significant,
    "%": _percent,
    "fraction": _fixed(lambda x: f"{x:.2f}" if x >= 0.01 else f"{x:.2g}"),  # 0.40, and 0.001 rather than 0.00
    "bytes": _fixed(format_bytes),
    "GiB": lambda field: lambda x: f"{x:,.{2 if field.digits is None else field.digits}f}",
    "W": _fixed(lambda x: f"{x:,.0f}"),
    "gCO2e/kWh": _fixed(format_number),
    "seconds": _fixed(format_seconds),
    "tokens/s": _fixed(format_number),
    "USD/Mtok": _fixed(lambda x: f"${x:,.2f}" if x >= 0.01 else f"${x:.2g}"),
    "kWh": _fixed(format_number),
}


@cache
def formatter(name: str) -> Callable[[Any], str]:
    """How a table shows the field `name`, chosen by its unit."""
    field = FIELDS[name]
    return FORMATS[field.unit](field)


#: Durations the records hold in days. A table shows them in days, or in hours when every one of them in it is under
#: a day, and says which in the heading: one unit per column, and per table (in_hours).
DAY_KEYS = frozenset(
    {"wall_clock_days", "wall_clock_days_full", "wall_clock_days_measured", "wall_clock_days_predicted"}
)


def in_hours(values: Iterable[Any]) -> bool:
    """Whether a table's durations (in days) read best in hours: every one of them is under a day."""
    days = [value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return bool(days) and all(value < 1 for value in days)


def as_hours(heading: str) -> str:
    """A duration's heading for the same column in hours: 'Wall-clock days' -> 'Wall-clock hours', 'Days' -> 'Hours'."""
    return heading.replace("days", "hours").replace("Days", "Hours")


def in_unit(value: float, unit: str) -> str:
    """A quantity with its unit, for a column whose rows measure different things (check's Measured and Limit):
    $1.03M, 0.0635%, 16.8 days, 1.77e-5 nats/token."""
    if unit == "USD":
        return format_usd(value)
    if unit == "%":
        return f"{format_number(value)}%"
    return f"{format_number(value)} {unit}"


#: Columns of names never wrap; columns of text are left-aligned, numbers right-aligned.
NAME_KEYS = frozenset({"method", "law", "gpu", "name", "config", "rule", "status", "model", "split"})


TEXT_KEYS = NAME_KEYS | {"formula", "source", "message", "loss_dataset", "left_out", "predicts", "metric", "form"}


def field_of(key: str) -> str:
    """The quantity a key holds: 'epoch-2024.n_params' (a column group's field) holds n_params."""
    return key.rsplit(".", 1)[-1]


#: A downstream metric's fields are named for it: downstream_<name>, and its _low, _high, _extrapolated and _clamped.
DOWNSTREAM_PREFIX = "downstream_"


def downstream_cell(record: Mapping[str, Any], key: str) -> str:
    """A predicted metric as a table shows it: marked (ceiling) or (floor) where it is held at the mapping's bound."""
    clamped = record.get(f"{key}_clamped")
    return humanise(key, record[key]) + ("" if clamped is None else f" ({clamped})")


def _downstream_label(field: str) -> str:
    name = field.removeprefix(DOWNSTREAM_PREFIX)
    for suffix, text in (("_interval", "  interval"), ("_extrapolated", "  extrapolated")):
        if name.endswith(suffix):
            return text
    return f"{name} (predicted)"


def label(key: str, hours: bool = False) -> str:
    """A field's heading; `hours`: a duration's, for a table that shows durations in hours (in_hours)."""
    group, _, field = key.rpartition(".")
    if field.startswith(DOWNSTREAM_PREFIX):
        text = _downstream_label(field)
    elif field.endswith("_interval") and field.removesuffix("_interval") in _INTERVAL_ROWS:
        text = "  interval"
    else:
        text = FIELDS[field].label
    text = as_hours(text) if hours and field in DAY_KEYS else text
    return f"{group}: {text}" if group else text


def humanise(key: str, value: Any, hours: bool = False) -> str:
    """A value as a table shows it (text already made for a table stays as it is); `hours`: a duration in hours."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    field = field_of(key)
    if field.startswith(DOWNSTREAM_PREFIX):
        return ("yes" if value else "no") if isinstance(value, bool) else f"{value:.4f}"
    if hours and field in DAY_KEYS:
        return format_number(value * 24)
    return formatter(field)(value)


def signed(key: str, value: float, hours: bool = False) -> str:
    """A delta with its sign in front of any unit: +210B, -$147K, +1.08%."""
    return ("-" if value < 0 else "+") + humanise(key, abs(value), hours).lstrip("+")
