"""A batched L-BFGS: many independent problems of a few parameters each, solved at once with numpy.

Every row of the start is its own problem; one vectorised objective evaluates all the rows still running, so the
work of an iteration is a few numpy calls whatever the number of problems. Converged problems leave the batch, and
starts of one problem that meet on the way go on as one. fitting.py solves Hoffmann et al. 2022's 4,500 starts and
the bootstrap's refits with it, families.py every other law family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

#: L-BFGS settings: history length, stop when an iteration lowers the objective by less than FTOL relative,
#: or after MAX_ITERATIONS (then the start did not converge).
HISTORY = 10
FTOL = 1e-10
MAX_ITERATIONS = 1000
#: Starts of one problem that fall in the same cell of this width (in every one of a, α, b, β, e) at a check every
#: MERGE_EVERY iterations have met: one goes on and the others take its result. Every other check uses a grid offset
#: by half a cell, so two starts close together across a cell's edge meet too. Against every start alone, this kept
#: the optimum (objective within 3e-14 relative) on Chinchilla's 245 runs, the same less its 5 highest-loss runs,
#: Sardana et al.'s 47 and four synthetic sets, with the count of starts reaching it within 20% (1043 alone, 1189
#: merged, on the 240), for a fifth of the work; a cell of 0.5 began to lose starts that reach it.
MERGE_WIDTH = 0.3
MERGE_EVERY = 2


def minimise(
    objective: Callable[[Array, NDArray[np.intp]], tuple[Array, Array]],
    start: Array,
    same_problem: NDArray[np.intp] | None = None,
    inverse_hessian: Array | None = None,
) -> tuple[Array, Array, NDArray[np.bool_], NDArray[np.int_]]:
    """Batched L-BFGS with a backtracking (Armijo) line search: every row of `start` is its own problem.

    Returns each problem's parameters, objective, whether it converged (stopped on FTOL, or could not decrease any
    further) rather than hitting MAX_ITERATIONS, and its iterations. Converged problems leave the batch, so late
    iterations cost only what is still running. Rows with the same `same_problem` label are starts of one problem:
    starts that meet go on as one (MERGE_WIDTH) and the others report its result. With `inverse_hessian` (a matrix
    per problem, positive definite) the L-BFGS estimate starts from it rather than a multiple of the identity
    (Nocedal & Wright 2006, sec. 7.2): a start whose curvature is known takes about a third of the steps.
    """
    n_problems, n_params = start.shape
    out_theta, out_f = start.copy(), np.full(n_problems, np.inf)
    out_converged, out_iterations = np.zeros(n_problems, bool), np.full(n_problems, MAX_ITERATIONS)
    problems = np.arange(n_problems)
    joined = np.arange(n_problems)  # the start each one follows (itself until it meets another)
    theta = start.copy()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        f, g = objective(theta, problems)
        # The stored pairs, pair first: each pair's rows are contiguous, which the two loops below read.
        steps, changes = np.zeros((HISTORY, n_problems, n_params)), np.zeros((HISTORY, n_problems, n_params))
        rho = np.zeros((HISTORY, n_problems))  # 1/(s·y); 0 marks an empty or unusable pair
        newest = -1
        for iteration in range(1, MAX_ITERATIONS + 1):
            if len(problems) == 0:
                break
            # Two-loop recursion: direction = -H·g with H the L-BFGS inverse-Hessian estimate.
            order = [(newest - k) % HISTORY for k in range(min(iteration - 1, HISTORY))]  # the pairs stored so far
            q = g.copy()
            alphas = []
            for i in order:
                alphas.append(rho[i] * np.einsum("sp,sp->s", steps[i], q))
                q -= alphas[-1][:, None] * changes[i]
            g_norm = np.sqrt(np.einsum("sp,sp->s", g, g))
            if inverse_hessian is not None:
                r = np.einsum("sp,spq->sq", q, inverse_hessian[problems])
            else:
                gamma = 1.0 / np.maximum(g_norm, 1e-300)  # no history: a unit-length first step
                if order:
                    usable = rho[newest] > 0
                    yy = np.einsum("sp,sp->s", changes[newest], changes[newest])
                    gamma = np.where(usable, 1.0 / np.where(usable, rho[newest] * yy, 1.0), gamma)
                r = gamma[:, None] * q
            for i, alpha_i in zip(reversed(order), reversed(alphas), strict=True):
                beta = rho[i] * np.einsum("sp,sp->s", changes[i], r)
                r += steps[i] * (alpha_i - beta)[:, None]
            direction = -r
            slope = np.einsum("sp,sp->s", g, direction)
            uphill = ~(slope < 0)
            if uphill.any():  # a stale estimate: restart that problem from steepest descent (or its first estimate)
                if inverse_hessian is not None:
                    direction[uphill] = -np.einsum("sp,spq->sq", g[uphill], inverse_hessian[problems[uphill]])
                    slope[uphill] = np.einsum("sp,sp->s", g[uphill], direction[uphill])
                else:
                    direction[uphill] = -g[uphill] / np.maximum(g_norm[uphill], 1e-300)[:, None]
                    slope[uphill] = -g_norm[uphill]
                rho[:, uphill] = 0.0
            # Backtracking line search, all problems at once: each shortens its own step until Armijo holds, to the
            # minimum of the quadratic through f, the slope and the failed trial (Nocedal & Wright 2006, sec. 3.5),
            # kept within a tenth to a half of the step.
            t = np.ones(len(problems))
            f_new, g_new = np.full(len(problems), np.nan), np.zeros_like(g)
            pending = np.arange(len(problems))
            for _ in range(60):
                trial, trial_g = objective(theta[pending] + t[pending, None] * direction[pending], problems[pending])
                ok = np.isfinite(trial) & (trial <= f[pending] + 1e-4 * t[pending] * slope[pending])
                f_new[pending[ok]], g_new[pending[ok]] = trial[ok], trial_g[ok]
                failed, pending = trial[~ok], pending[~ok]
                if len(pending) == 0:
                    break
                step_now, rise = t[pending], failed - f[pending] - slope[pending] * t[pending]
                fitted = np.where(rise > 0, -slope[pending] * step_now**2 / (2 * np.where(rise > 0, rise, 1.0)), 0.0)
                t[pending] = np.clip(np.where(np.isfinite(fitted), fitted, 0.0), 0.1 * step_now, 0.5 * step_now)
            moved = np.isfinite(f_new)
            step = np.where(moved[:, None], t[:, None] * direction, 0.0)
            change = np.where(moved[:, None], g_new - g, 0.0)
            f_before = f
            theta = theta + step
            f = np.where(moved, f_new, f)
            g = np.where(moved[:, None], g_new, g)
            newest = (newest + 1) % HISTORY
            sy = np.einsum("sp,sp->s", step, change)
            steps[newest], changes[newest] = step, change
            rho[newest] = np.where(sy > 0, 1.0 / np.where(sy > 0, sy, 1.0), 0.0)
            done = ~moved | (f_before - f <= FTOL * np.abs(f))
            if done.any():
                finished = problems[done]
                out_theta[finished], out_f[finished] = theta[done], f[done]
                out_converged[finished], out_iterations[finished] = True, iteration
                keep = ~done
                problems, theta, f, g = problems[keep], theta[keep], f[keep], g[keep]
                steps, changes, rho = steps[:, keep], changes[:, keep], rho[:, keep]
            if same_problem is not None and iteration % MERGE_EVERY == 0 and len(problems) > 1:
                shift = 0.5 * ((iteration // MERGE_EVERY) % 2)  # alternate checks use a grid offset by half a cell
                cells = np.column_stack([same_problem[problems], np.floor(theta / MERGE_WIDTH + shift)])
                leader = first_of_same_row(cells)
                follows = leader != np.arange(len(problems))
                joined[problems[follows]] = problems[leader[follows]]
                keep = ~follows
                problems, theta, f, g = problems[keep], theta[keep], f[keep], g[keep]
                steps, changes, rho = steps[:, keep], changes[:, keep], rho[:, keep]
        out_theta[problems], out_f[problems] = theta, f  # those still running at MAX_ITERATIONS
    while np.any(joined[joined] != joined):  # a leader may itself have met another later
        joined = joined[joined]
    return out_theta[joined], out_f[joined], out_converged[joined], out_iterations[joined]


def first_of_same_row(rows: Array) -> NDArray[np.intp]:
    """For each row, the index of the first row equal to it (np.unique's first index per row, by a stable lexsort,
    which is several times faster than np.unique over rows)."""
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    starts = np.ones(len(rows), bool)
    np.any(ordered[1:] != ordered[:-1], axis=1, out=starts[1:])
    group = np.cumsum(starts) - 1
    first = np.empty(len(rows), np.intp)
    first[order] = order[starts][group]  # stable: a group's first row in sorted order is its first in `rows`
    return first
