"""Plans for many budgets at once: one vectorised call through the allocator, the law and the hardware.

The numbers come from the same functions as a single plan (plan.outcome), on numpy arrays instead of floats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .allocate import LawOptimum
from .data_constrained import DataConstrainedLaw, data_use, epoch_warnings
from .inference import least_lifetime_params
from .laws import FLOPS_PER_PARAM_TOKEN, Law
from .plan_warnings import over_budget_warnings, warnings_at
from .plans import (
    BUDGET_KINDS,
    HARD_BUDGET_KINDS,
    Outcome,
    Plan,
    PlanRequest,
    budget_compute,
    make_plan,
    outcome,
    plan_inference,
    predict_downstream,
    with_blueprint,
)
from .returns import returns_at
from .units import format_budget

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .blueprint import Blueprint


@dataclass(frozen=True)
class Sweep:
    """Plans for many budgets of one kind, held as arrays (one row per budget)."""

    request: PlanRequest  # the kind of budget, allocator, law and hardware shared by every row
    given_values: NDArray[np.float64]
    compute_flops: NDArray[np.float64]
    n_params: NDArray[np.float64]
    n_tokens: NDArray[np.float64]
    loss_nats: NDArray[np.float64]
    gpu_hours: NDArray[np.float64] | None
    wall_clock_days: NDArray[np.float64] | None
    cost_usd: NDArray[np.float64] | None
    inference_n_params: NDArray[np.float64] | None = None  # with inference tokens: each row's inference-aware N
    blueprints: tuple[Blueprint, ...] | None = None  # with a blueprint: each row's, made with the row's numbers
    tokens_trimmed_pct: tuple[float | None, ...] | None = None  # with a blueprint: each row's (Plan's field)

    def __len__(self) -> int:
        return len(self.given_values)

    def plan(self, row: int) -> Plan:
        """Row `row` as a Plan, so every renderer of a single plan serves sweeps too.

        A row's data use and inference-aware model are made here, one row at a time, by the single plan's functions.
        """

        def at(values: NDArray[np.float64] | None) -> float | None:
            return None if values is None else float(values[row])

        request = replace(self.request, given_value=float(self.given_values[row]))
        compute, n_params, n_tokens = (
            float(self.compute_flops[row]),
            float(self.n_params[row]),
            float(self.n_tokens[row]),
        )
        loss = float(self.loss_nats[row])
        blueprint = None if self.blueprints is None else self.blueprints[row]
        training_flops = compute if blueprint is None else blueprint.training_flops_full
        return Plan(
            request, compute, n_params, n_tokens, loss, at(self.gpu_hours), at(self.wall_clock_days), at(self.cost_usd),
            data=data_use(request.law, n_params, n_tokens),
            inference=plan_inference(request, n_params, n_tokens, loss, at(self.inference_n_params), training_flops),
            blueprint=blueprint, tokens_trimmed_pct=None if self.tokens_trimmed_pct is None else self.tokens_trimmed_pct[row],
            downstream=predict_downstream(request, loss), returns=returns_at(request, compute),
        )  # fmt: skip

    def plans(self) -> Iterator[Plan]:
        return (self.plan(row) for row in range(len(self)))


def make_sweep(request: PlanRequest, given_values: NDArray[np.float64]) -> Sweep:
    """Plans for every budget in given_values (of the request's budget kind), in one vectorised pass."""
    import numpy as np

    assert request.given in BUDGET_KINDS
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in the single plan's words
        compute_flops = budget_compute(request, given_values)
        numbers = outcome(request, compute_flops)
    with np.errstate(invalid="ignore"):
        plannable = np.ones(len(given_values), dtype=bool)
        for values in numbers:
            if values is not None:
                plannable &= np.isfinite(values) & (values > 0)
        plannable &= (numbers.n_params >= 1) & (numbers.n_tokens >= 1)
    if not plannable.all():
        # The single-plan check says what is wrong with the first budget that fails, in the same words.
        make_plan(replace(request, given_value=float(given_values[int(np.argmin(plannable))])))
    blueprints, trimmed_pct = None, None
    if request.blueprint is not None:
        # Each row's blueprint counts its time and cost, and under a hard budget sizes the row: as a single plan.
        rows = [
            with_blueprint(
                replace(request, given_value=float(given_values[i])),
                Outcome(*(None if values is None else float(values[i]) for values in numbers)),
            )
            for i in range(len(given_values))
        ]
        blueprints = tuple(blueprint for _, blueprint, _ in rows if blueprint is not None)
        trimmed_pct = tuple(trimmed for *_, trimmed in rows)
        columns = zip(*(row_numbers for row_numbers, *_ in rows), strict=True)
        numbers = Outcome(*(None if column[0] is None else np.array(column, dtype=float) for column in columns))
    inference_n_params = None
    if request.inference is not None:
        inference_n_params = least_lifetime_params(
            request.law, request.inference, request.hardware, numbers.n_params, numbers.loss_nats
        )
    return Sweep(request, given_values, *numbers, inference_n_params, blueprints, trimmed_pct)


def sweep_under(sweep: Sweep, law: Law) -> Sweep:
    """The same budgets allocated by a law's own optimum and predicted by that law (no inference-aware model)."""
    return make_sweep(replace(sweep.request, allocator=LawOptimum(law), law=law, inference=None), sweep.given_values)


def sweep_warnings(sweep: Sweep) -> list[str]:
    low, high = sweep.request.law.compute_range_flops
    compute = sweep.compute_flops
    n_outside = int(((compute < low) | (compute > high)).sum())
    warnings = warnings_at(sweep.request, [float(compute.min()), float(compute.max())], n_outside)
    law = sweep.request.law
    if isinstance(law, DataConstrainedLaw):
        epochs = sweep.n_tokens / law.unique_tokens
        worst = int(epochs.argmax())
        warnings += [
            f"budget {format_budget(sweep.request.given, float(sweep.given_values[worst]))}: {message}"
            for message in epoch_warnings(float(epochs[worst]), law.unique_tokens)
        ]
    if sweep.request.downstream:
        from .downstream import clamp_warning, dataset_warning, extrapolation_warning

        # The lowest and highest losses bound what a row can extrapolate, and where a metric can reach its mapping's
        # ceiling or floor; the dataset is the same for every row.
        for row in sorted({int(sweep.loss_nats.argmin()), int(sweep.loss_nats.argmax())}):
            budget = format_budget(sweep.request.given, float(sweep.given_values[row]))
            for prediction in sweep.plan(row).downstream:
                at_row = (extrapolation_warning(prediction), clamp_warning(prediction))
                warnings += [f"budget {budget}: {each}" for each in at_row if each is not None]
        for mapping in sweep.request.downstream:
            said = dataset_warning(mapping, law.dataset)
            warnings += [] if said is None else [said]
    if sweep.inference_n_params is not None and sweep.request.given in HARD_BUDGET_KINDS:
        warnings += _inference_over_budget(sweep)
    if sweep.request.blueprint is not None:
        from .blueprint import blueprint_warnings

        # The smallest and largest budgets bound what a blueprint row can warn of (extrapolation, memory).
        for row in sorted({int(compute.argmin()), int(compute.argmax())}):
            blueprint = sweep.plan(row).blueprint
            assert blueprint is not None
            budget = format_budget(sweep.request.given, float(sweep.given_values[row]))
            warnings += [f"budget {budget}: {m}" for m in blueprint_warnings(blueprint)]
    return warnings


def _inference_over_budget(sweep: Sweep) -> list[str]:
    """Under hard budgets: the largest budget whose inference-aware model trains past it (see
    plan_warnings.over_budget_warnings), and how many do."""
    import numpy as np

    from .inference import BUDGET_SLACK

    request = sweep.request
    assert sweep.inference_n_params is not None
    tokens = request.law.tokens_for_loss(sweep.inference_n_params, sweep.loss_nats)
    # Counted as each row's plan counts its own 6·N·D (a blueprint's full count).
    training = (
        sweep.compute_flops if sweep.blueprints is None else np.array([b.training_flops_full for b in sweep.blueprints])
    )
    count_per_6nd = training / (FLOPS_PER_PARAM_TOKEN * sweep.n_params * sweep.n_tokens)
    chosen = FLOPS_PER_PARAM_TOKEN * sweep.inference_n_params * tokens * count_per_6nd
    over = np.flatnonzero(chosen > budget_compute(request, sweep.given_values) * BUDGET_SLACK)
    if len(over) == 0:
        return []
    row = int(over[-1])
    inference = sweep.plan(row).inference
    assert inference is not None
    largest = float(sweep.given_values[row])
    said = over_budget_warnings(replace(request, given_value=largest), inference)
    more = f" ({len(over)} of the {len(sweep)} budgets' inference-aware models exceed them)" if len(over) > 1 else ""
    return [f"budget {format_budget(request.given, largest)}: {said[0]}{more}"]
