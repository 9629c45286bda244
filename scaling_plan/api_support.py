"""What every function of the Python API does alike (api.py, api_fits.py, api_models.py): warnings in the API's
words, an interval level checked as the flag is, and a record as the CLI's JSON gives it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def _said(warnings: Sequence[str]) -> tuple[str, ...]:
    """Warnings as the API says them: an input named by its keyword (the command line says its flag)."""
    from .errors import in_words

    return tuple(in_words(warning) for warning in warnings)


def _interval_level(interval: float) -> float:
    """An interval given in percent (90: the 5th to 95th percentile) as a level, checked as the flag --interval is."""
    from .errors import UsageError

    if not 1 <= interval <= 99.9:
        raise UsageError("interval", f"must be a percentage from 1 to 99.9, got {interval:g}")
    return interval / 100


def _as_json(payload: Any) -> dict[str, Any]:
    """`payload` as the CLI's JSON gives it, copied from the records (not written and read back): tuples as lists,
    every number finite (the JSON writer refuses NaN and inf too)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
        return value

    result: dict[str, Any] = plain(payload)
    return result
