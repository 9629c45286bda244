"""Sweeps in the domain: one vectorised pass equal to a loop of single plans."""

from dataclasses import replace

import numpy as np
import pytest

from scaling_plan.budget import GPUS, Hardware
from scaling_plan.plans import PlanRequest, make_plan
from scaling_plan.presets import PRESETS
from scaling_plan.sweeps import make_sweep


def test_domain_sweep_is_one_vectorised_pass_equal_to_single_plans() -> None:
    hardware = Hardware(GPUS["A100-SXM"], n_gpus=64, price_usd_per_gpu_hour=1.5)
    law = PRESETS["epoch-2024"]
    from scaling_plan.allocate import LawOptimum

    request = PlanRequest("gpu_hours", 1.0, "--from", LawOptimum(law), law, hardware)
    budgets = np.geomspace(1e3, 1e8, 11)
    sweep = make_sweep(request, budgets)
    assert isinstance(sweep.n_params, np.ndarray) and sweep.n_params.shape == (11,)
    for row, plan in enumerate(sweep.plans()):
        single = make_plan(PlanRequest("gpu_hours", float(budgets[row]), "--from", LawOptimum(law), law, hardware))
        # The same numbers to the last few bits: numpy's array power and Python's scalar one may differ in the last.
        assert replace(plan, compute_flops=0, n_params=0, n_tokens=0, loss_nats=0, gpu_hours=0, wall_clock_days=0,
                       cost_usd=0) == replace(single, compute_flops=0, n_params=0, n_tokens=0, loss_nats=0,
                                              gpu_hours=0, wall_clock_days=0, cost_usd=0)  # fmt: skip
        for field in ("compute_flops", "n_params", "n_tokens", "loss_nats", "gpu_hours", "wall_clock_days", "cost_usd"):
            assert getattr(plan, field) == pytest.approx(getattr(single, field), rel=1e-13), field
