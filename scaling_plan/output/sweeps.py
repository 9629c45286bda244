"""`sweep`'s output: a row per budget (and, compared, a group of columns per law), its table, notes and files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from ..units import format_count, format_number, format_usd
from .fields import downstream_cell, field_of
from .plans import (
    blueprint_notes,
    dataset_name,
    mixed_datasets_note,
    plan_notes,
    plan_title,
)
from .records import SCHEMA_VERSION, sweep_records
from .tables import print_rows
from .writers import Report, Streamed, write_report

if TYPE_CHECKING:
    from ..sweeps import Sweep


#: Per law compared in a sweep, this group of columns, named "<law>.<field>".
SWEEP_GROUP_KEYS = ("n_params", "n_tokens", "tokens_per_param", "loss_nats")


SWEEP_KEYS = (
    "given_value", "compute_flops", "n_params", "n_tokens", "tokens_per_param", "loss_nats", "loss_drop_per_10x_nats",
    "gpu_hours", "wall_clock_days", "cost_usd", "energy_mwh", "emissions_tco2e",
)  # fmt: skip


#: With --unique-tokens, after the loss: passes over the data and what the cap costs in loss.
SWEEP_DATA_KEYS = ("epochs", "data_penalty_nats")


#: Under a mixture-of-experts law, after N (its active parameters): the total parameters and the granularity.
SWEEP_MOE_KEYS = ("n_params_total", "granularity")


#: With --inference-tokens, at the end: the inference-aware model and what it saves over the model's life.
SWEEP_INFERENCE_KEYS = ("inference_aware_n_params", "inference_aware_n_tokens", "flops_saved_pct", "cost_saved_pct")


#: With --blueprint, each row's shape and what it needs.
SWEEP_BLUEPRINT_KEYS = (
    "family", "n_layers", "d_model", "training_flops", "full_to_6n_ratio", "tp", "pp", "cp", "dp",
    "memory_gib_per_gpu", "min_gpus", "lr_peak", "batch_tokens",
)  # fmt: skip


#: Sweep tables are wide: short headings keep them readable in a terminal.
_SWEEP_LABELS = {
    "compute_flops": "FLOPs", "n_params": "N", "n_tokens": "D", "tokens_per_param": "D/N", "loss_nats": "Loss",
    "gpu_hours": "GPU-hours", "wall_clock_days": "Days", "cost_usd": "Cost", "n_layers": "Layers",
    "d_model": "d_model", "full_to_6n_ratio": "Full/6N", "training_flops": "Full FLOPs",
    "memory_gib_per_gpu": "GiB/GPU", "min_gpus": "Min GPUs", "lr_peak": "LR", "batch_tokens": "Batch", "tp": "TP",
    "pp": "PP", "cp": "CP", "dp": "DP", "n_params_total": "N total", "granularity": "G",
    "epochs": "Epochs", "data_penalty_nats": "Data penalty", "energy_mwh": "MWh", "emissions_tco2e": "tCO2e", "inference_aware_n_params": "Inference-aware N",
    "inference_aware_n_tokens": "Inference-aware D", "flops_saved_pct": "FLOPs saved", "cost_saved_pct": "Cost saved",
}  # fmt: skip


_BUDGET_COLUMNS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "dollars": ("Budget", format_usd),
    "gpu_hours": ("Budget GPU-hours", format_count),
    "days": ("Budget days", format_number),
}


def emit_sweep(sweep: Sweep, compared: Sequence[Sweep], output_format: str, out: IO[str]) -> None:
    records = sweep_records(sweep, compared)

    def table(out: IO[str]) -> None:
        kind = sweep.request.given
        keys = [key for key in SWEEP_KEYS if key != "given_value" or kind in _BUDGET_COLUMNS]
        keys += [f"{other.request.law.name}.{field}" for other in compared for field in SWEEP_GROUP_KEYS]
        if sweep.plan(0).data is not None:
            keys[keys.index("loss_nats") + 1 : keys.index("loss_nats") + 1] = SWEEP_DATA_KEYS
        metrics = [f"downstream_{mapping.name}" for mapping in sweep.request.downstream]
        keys[keys.index("loss_nats") + 1 : keys.index("loss_nats") + 1] = metrics
        if sweep.plan(0).granularity is not None:  # a mixture's total size and granularity, after its active one
            keys[keys.index("n_params") + 1 : keys.index("n_params") + 1] = SWEEP_MOE_KEYS
        if sweep.request.inference is not None:
            keys += SWEEP_INFERENCE_KEYS
        if sweep.request.blueprint is not None:
            keys += SWEEP_BLUEPRINT_KEYS
        rows = list(records)
        labels = dict(_SWEEP_LABELS) | {key: key.removeprefix("downstream_") for key in metrics}
        labels.update({key: f"{key.rpartition('.')[0]} {_SWEEP_LABELS[field_of(key)]}" for key in keys if "." in key})
        own = sweep.request.law.dataset
        datasets = list(dict.fromkeys([own, *(other.request.law.dataset for other in compared)]))
        for other in compared:
            if other.request.law.dataset != own:  # a loss on other data, said beside it
                labels[f"{other.request.law.name}.loss_nats"] += f" on {dataset_name(other.request.law.dataset)}"
        if kind in _BUDGET_COLUMNS:
            labels["given_value"], formatter = _BUDGET_COLUMNS[kind]
            for row in rows:
                row["given_value"] = formatter(row["given_value"])
        held = sorted({row[f"{key}_clamped"] for row in rows for key in metrics if row[f"{key}_clamped"]})
        for row in rows:
            row.update({key: downstream_cell(row, key) for key in metrics})
        notes = plan_notes(sweep.plan(0), one_plan=False)
        if held:
            notes.append(
                f"A metric marked ({') or ('.join(held)}) is held at its mapping's {' or '.join(held)}, which the"
                " form reaches at that row's loss: a bound rather than a prediction (its _low and _high in JSON and"
                " CSV are the refits' spread, or empty where every refit is held there too)."
            )
        if compared:
            notes.append(
                "Each '<law> ...' column group is that law's own optimum, with its loss predicted by that law."
            )
            if len(datasets) > 1:
                notes.append(mixed_datasets_note(datasets))
        inference = sweep.request.inference
        if inference is not None:
            objective = "lifetime cost" if inference.objective == "cost" else "lifetime FLOPs"
            notes.append(
                f"Inference-aware: the model with each row's loss and the least {objective} serving"
                f" {format_count(inference.tokens)} tokens; training 6·N·D, inference 2·N·D_inf FLOPs"
                " (Sardana et al. 2024, sec. 2)."
            )
        if sweep.blueprints is not None:
            notes += blueprint_notes(sweep.blueprints[0], sweep.blueprints)
        title = (
            f"Sweep of {len(sweep)} budget{'s' if len(sweep) != 1 else ''}, {plan_title(sweep.plan(0)).removeprefix('Plan for ')} to "
            + plan_title(sweep.plan(len(sweep) - 1)).removeprefix("Plan for ")
        )
        print_rows(title, rows, keys, notes, out, labels)

    write_report(Report(records, Streamed({"schema_version": SCHEMA_VERSION}, "plans"), table), output_format, out)
