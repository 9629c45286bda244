"""Plan a training run from Python, with types checked (mypy --strict passes on this file).

Run it from the repository's root: python examples/python/plan_a_run.py
"""

from __future__ import annotations

import scaling_plan as sp


def cheapest_days(budget_usd: float, gpus: int) -> tuple[float, float]:
    """Parameters and wall-clock days for a dollar budget on H100s at $2.50 per GPU-hour."""
    result: sp.PlanResult = sp.plan(dollars=budget_usd, gpu="H100", gpus=gpus, price_per_gpu_hour=2.5)
    days = result.wall_clock_days
    assert days is not None  # known: the plan has GPUs
    return result.n_params, days


def main() -> None:
    for budget in (1e6, 1e7):
        n_params, days = cheapest_days(budget, 1024)
        print(f"${budget:,.0f}: {n_params / 1e9:.1f}B parameters in {days:.1f} days")
    options: sp.Options = {"gpu": "H100-SXM", "price_per_gpu_hour": 2.5, "method": "law"}
    sweep = sp.sweep([1e22, 1e23, 1e24], **options)
    for record in sweep.records():
        print(f"{record['compute_flops']:.0e} FLOPs: {record['n_params'] / 1e9:.1f}B, ${record['cost_usd']:,.0f}")
    try:
        sp.plan(flops=1e24, mfu=1.5)
    except sp.ScalingPlanError as error:
        print(f"refused: {error.field}: {error.message}")


if __name__ == "__main__":
    main()
