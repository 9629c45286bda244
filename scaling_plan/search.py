"""One-variable searches on arrays of independent problems, in log x: a minimum (log grid, then golden sections) and
a root of a decreasing function (bisection). Pure numpy; the laws, allocators and serving model search with them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

#: Grid points of minimise_in_log's first pass; golden-section steps of its second (each shrinks the bracket 0.618x).
MINIMISE_GRID_POINTS = 64
GOLDEN_STEPS = 64
BISECTION_STEPS = 64


def minimise_in_log(objective: Callable[[Any], Any], low: Any, high: Any) -> Any:
    """The x in [low, high] minimising objective(x), searched in log x: a log-spaced grid, then golden-section search
    between the best grid point's neighbours. Robust to a non-finite objective (counted as +inf: an infeasible x).

    low and high are floats or arrays (one problem per element). objective receives x with one extra trailing axis
    (problems x candidates) and must broadcast its own per-problem values against it (give them a trailing axis).
    """
    import numpy as np

    log_low, log_high = np.broadcast_arrays(np.log(np.asarray(low, float)), np.log(np.asarray(high, float)))
    log_low, log_high = log_low[..., None], log_high[..., None]

    def f(log_x: Any) -> Any:
        with np.errstate(all="ignore"):
            values = np.asarray(objective(np.exp(log_x)), dtype=float)
        return np.where(np.isfinite(values), values, np.inf)

    grid = log_low + (log_high - log_low) * np.linspace(0.0, 1.0, MINIMISE_GRID_POINTS)
    best = np.argmin(f(grid), axis=-1)[..., None]
    best_x = np.take_along_axis(grid, best, axis=-1)
    last = MINIMISE_GRID_POINTS - 1
    a = np.take_along_axis(grid, np.maximum(best - 1, 0), axis=-1)
    b = np.take_along_axis(grid, np.minimum(best + 1, last), axis=-1)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(GOLDEN_STEPS):
        # The minimum lies in [a, d], else in [c, b]; where both probes are infeasible, toward the best grid point.
        left = np.where(np.isinf(fc) & np.isinf(fd), best_x <= d, fc <= fd)
        a, b = np.where(left, a, c), np.where(left, d, b)
        kept, kept_value = np.where(left, c, d), np.where(left, fc, fd)
        new = np.where(left, b - ratio * (b - a), a + ratio * (b - a))
        new_value = f(new)
        c, fc = np.where(left, new, kept), np.where(left, new_value, kept_value)
        d, fd = np.where(left, kept, new), np.where(left, kept_value, new_value)
    x = np.exp(np.where(fc <= fd, c, d))[..., 0]
    return x if x.ndim else float(x)


def bisect_in_log(decreasing: Callable[[Any], Any], target: Any, low: Any, high: Any) -> Any:
    """The x in [low, high] where a decreasing function equals target, by bisection in log x; inf where even
    `high` stays above target (no such x). Floats or arrays of independent problems, like minimise_in_log."""
    import numpy as np

    log_low, log_high = np.broadcast_arrays(np.log(np.asarray(low, float)), np.log(np.asarray(high, float)))
    log_low, log_high = log_low.copy(), log_high.copy()
    with np.errstate(all="ignore"):
        reachable = np.asarray(decreasing(np.exp(log_high)) <= target)
        for _ in range(BISECTION_STEPS):
            middle = 0.5 * (log_low + log_high)
            above = np.asarray(decreasing(np.exp(middle)) > target)
            log_low, log_high = np.where(above, middle, log_low), np.where(above, log_high, middle)
    x = np.where(reachable, np.exp(log_high), np.inf)
    return x if x.ndim else float(x)
