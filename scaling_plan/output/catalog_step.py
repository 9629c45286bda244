"""A blueprint's step entries of the one table of output fields (catalog.py): a measured step's utilisation and time
(utilisation.py) and a predicted step with its terms (steptime.py).

Split from catalog.py for its length only: catalog.FIELDS holds these in the blueprint group, after train_steps.
"""

from __future__ import annotations

from .catalog_fit import Field

F = Field

STEP_FIELDS = (
    F(
        "step_seconds_measured",
        "seconds",
        "Step, measured",
        "the training step timed (--step-seconds); null without one",
        null=True,
        shown=True,
    ),
    F(
        "model_flops_per_step",
        "FLOPs",
        "Model FLOPs per step",
        "Korthikanti et al. 2022, eq. 7, for the global batch; null without a measured or predicted step",
        null=True,
        shown=True,
    ),
    F(
        "hardware_flops_per_step",
        "FLOPs",
        "Hardware FLOPs per step",
        "eq. 7 with the recomputation done (eq. 8 for selective); null without a measured or predicted step",
        null=True,
        shown=True,
    ),
    F(
        "mfu_measured_pct",
        "%",
        "MFU, measured",
        "model FLOPs per step over the step time, GPUs and peak; null without a measured step",
        digits=2,
        null=True,
        shown=True,
    ),
    F(
        "hfu_measured_pct",
        "%",
        "HFU, measured",
        "hardware FLOPs per step over the step time, GPUs and peak; null without a measured step",
        digits=2,
        null=True,
        shown=True,
    ),
    F(
        "gpu_hours_measured",
        "GPU-hours",
        "GPU-hours at the measured step",
        "training steps x step x GPUs, over the goodput; null without a measured step",
        null=True,
        shown=True,
    ),
    F("wall_clock_days_measured", "days", "Training days at the measured step", null=True, shown=True),
    F("cost_usd_measured", "USD", "Cost at the measured step", null=True, shown=True),
    F(
        "step_seconds_predicted",
        "seconds",
        "Step, predicted",
        "the training step's time predicted for the layout on the GPU, the sum of the step_*_seconds terms"
        " (docs/blueprints.md, 'A predicted step'); null without a layout that fits or the GPU's bandwidths",
        null=True,
        shown=True,
    ),
    F(
        "step_measured_over_predicted",
        "ratio",
        "Step, measured over predicted",
        "the measured step over the one predicted for the same layout and batch: how far the model is from the run"
        " (--calibrate times the plan at the measured step); null without both",
        null=True,
        shown=True,
    ),
    F(
        "mfu_predicted_pct",
        "%",
        "MFU, predicted",
        "model FLOPs per step (Korthikanti et al. 2022, eq. 7) over the predicted step, the layout's GPUs and"
        " the peak; null without a predicted step",
        digits=2,
        null=True,
        shown=True,
    ),
    F(
        "hfu_predicted_pct",
        "%",
        "HFU, predicted",
        "hardware FLOPs per step (recomputation included) over the predicted step; null without one",
        digits=2,
        null=True,
        shown=True,
    ),
    F(
        "matmul_efficiency_pct",
        "%",
        "Matmul efficiency (FFN size)",
        "the share of the peak the predicted step gives the matrix multiplies, at the size of each GPU's share of the"
        " FFN's first; fused attention runs at its own, and eq. 7 counts the causal half it skips, so MFU may exceed"
        " this; null without a predicted step",
        digits=2,
        null=True,
        shown=True,
    ),
    F(
        "step_compute_seconds",
        "seconds",
        "Step: compute",
        "matrix multiplies and attention at their achievable efficiency, recomputation included; null without a"
        " predicted step",
        null=True,
        shown=True,
    ),
    F(
        "step_recompute_seconds",
        "seconds",
        "Step: of which recomputation",
        "the part of the compute that reruns the forward pass; null without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "step_memory_bound_seconds",
        "seconds",
        "Step: memory-bound kernels",
        "norms, softmax, dropout, bias and activation over the GPU's memory bandwidth; null without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "step_communication_seconds",
        "seconds",
        "Step: exposed communication",
        "tensor/sequence, pipeline, data, context and expert parallel traffic not hidden behind compute; null"
        " without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "step_bubble_seconds",
        "seconds",
        "Step: pipeline bubble",
        "(pp - 1)/m of the ideal step (Narayanan et al. 2021, sec. 2.2); null without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "gpu_hours_predicted",
        "GPU-hours",
        "GPU-hours at the predicted step",
        "training steps x the predicted step x the layout's GPUs, over the goodput; null without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "wall_clock_days_predicted",
        "days",
        "Training days at the predicted step",
        "the GPU-hours at the predicted step over the layout's GPUs; null without a predicted step",
        null=True,
        shown=True,
    ),
    F(
        "cost_usd_predicted",
        "USD",
        "Cost at the predicted step",
        "the GPU-hours at the predicted step x the price per GPU-hour; null without one or without a price",
        null=True,
        shown=True,
    ),
    F(
        "mfu_predicted_full_count",
        "fraction",
        "MFU, predicted, as --mfu takes it",
        "the --mfu at which the plan's full FLOP count takes the GPU-hours of the predicted step (--mfu counts"
        " Hoffmann et al. 2022's full count, mfu_predicted_pct eq. 7's); null without a predicted step",
        digits=3,
        null=True,
        shown=True,
    ),
)
